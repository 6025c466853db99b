use serde::Deserialize;

use super::decode_page;
use crate::error::Error;

#[derive(Debug, Deserialize, PartialEq)]
struct Item {
    id: String,
    likes: Option<u64>,
}

fn failure(body: &[u8]) -> (String, String) {
    match decode_page::<Item>(body, 4) {
        Err(Error::Decode { path, message }) => (path, message),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn a_page_decodes_whatever_the_capacity_guess() {
    let body = br#"[{"id":"a/b","likes":3},{"id":"c/d"},{"id":"e\u00e9"}]"#;
    for capacity in [0, 1, 3, 1000] {
        let items = decode_page::<Item>(body, capacity).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[0],
            Item {
                id: "a/b".into(),
                likes: Some(3)
            }
        );
        assert_eq!(items[2].id, "e\u{e9}");
    }
    assert!(decode_page::<Item>(b" [ ] ", 10).unwrap().is_empty());
}

#[test]
fn errors_name_the_json_path_read_as_text_or_as_bytes() {
    let (path, message) = failure(br#"[{"id":"a"},{"id":7}]"#);
    assert_eq!(path, "[1].id");
    assert!(message.contains("invalid type"), "{message}");
    // Not UTF-8 (inside the second item's id): read as bytes, the same kind of error.
    let (path, message) = failure(b"[{\"id\":\"a\"},{\"id\":\"\xff\"}]");
    assert_eq!(path, "[1].id");
    assert!(message.contains("invalid unicode"), "{message}");
    let (path, message) = failure(br#"[{"id":"a"},{"likes":1}]"#);
    assert_eq!(path, "[1]");
    assert!(message.contains("missing field `id`"), "{message}");
    let (_, message) = failure(br#"{"id":"a"}"#);
    assert!(message.contains("expected a sequence"), "{message}");
    let (_, message) = failure(br#"[{"id":"a"}] x"#);
    assert!(message.contains("trailing characters"), "{message}");
}
