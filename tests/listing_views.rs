//! The raw view of a listing (`Paginator::raw_items`) and the generated decoders on Hub-shaped
//! items: unknown fields kept, nulls, missing optionals, bad values named by their JSON path.

use futures::TryStreamExt;
use hf_hub_api::types::{ModelInfo, TreeEntryType};
use hf_hub_api::{Error, Hub};
use httpmock::prelude::*;

fn hub(url: &str) -> Hub {
    Hub::builder().endpoint(url).no_token().build().unwrap()
}

/// Two pages of models as the Hub writes them: extra fields the document does not declare,
/// nulls, a missing optional, and one item spread over several lines.
fn two_pages(server: &MockServer) -> [httpmock::Mock<'_>; 2] {
    let p1 =
        server.mock(|when, then| {
            when.method(GET)
                .path("/api/models")
                .query_param("author", "me")
                .query_param_missing("cursor");
            then.status(200)
            .header(
                "link",
                format!("<{}>; rel=\"next\"", server.url("/api/models?author=me&cursor=2")),
            )
            .body(
                r#"[{"_id":"1","id":"me/a","likes":3,"newField":{"x":[1,2]},"pipeline_tag":null},
{"id":"me/b","downloads":7,"tags":["a","b"],"private":false}]"#,
            );
        });
    let p2 = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "2");
        then.status(200)
            .body("[\n  {\n    \"id\": \"me/c\",\n    \"gated\": \"manual\"\n  }\n]");
    });
    [p1, p2]
}

#[tokio::test]
async fn raw_items_are_the_hubs_bytes_page_by_page() {
    let server = MockServer::start_async().await;
    let [p1, p2] = two_pages(&server);
    let items: Vec<_> = hub(&server.base_url())
        .list_models()
        .author("me")
        .into_paginator()
        .raw_items()
        .try_collect()
        .await
        .unwrap();
    let texts: Vec<&[u8]> = items.iter().map(|i| i.as_bytes()).collect();
    assert_eq!(
        texts[0],
        br#"{"_id":"1","id":"me/a","likes":3,"newField":{"x":[1,2]},"pipeline_tag":null}"#
    );
    assert_eq!(
        texts[1],
        br#"{"id":"me/b","downloads":7,"tags":["a","b"],"private":false}"#
    );
    assert_eq!(
        texts[2],
        b"{\n    \"id\": \"me/c\",\n    \"gated\": \"manual\"\n  }"
    );
    // Each decodes to what the typed view gives.
    let typed: Vec<ModelInfo> = hub(&server.base_url())
        .list_models()
        .author("me")
        .items()
        .try_collect()
        .await
        .unwrap();
    for (raw, typed) in items.iter().zip(&typed) {
        assert_eq!(&raw.decode::<ModelInfo>().unwrap(), typed);
    }
    p1.assert_calls(2);
    p2.assert_calls(2);
}

#[tokio::test]
async fn raw_items_are_lazy() {
    let server = MockServer::start_async().await;
    let [p1, p2] = two_pages(&server);
    let mut items = hub(&server.base_url())
        .list_models()
        .author("me")
        .into_paginator()
        .raw_items();
    assert!(futures::StreamExt::next(&mut items).await.unwrap().is_ok());
    p1.assert_calls(1);
    p2.assert_calls(0);
}

#[tokio::test]
async fn a_page_that_is_not_an_array_is_an_error_in_the_raw_view() {
    let server = MockServer::start_async().await;
    let page = server.mock(|when, then| {
        when.method(GET).path("/api/models");
        then.status(200).body(r#"{"error":"not a list"}"#);
    });
    let err = hub(&server.base_url())
        .list_models()
        .into_paginator()
        .raw_items()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    page.assert_calls(1);
}

#[test]
fn unknown_fields_nulls_and_missing_optionals() {
    let m: ModelInfo = serde_json::from_str(
        r#"{"_id":"1","id":"me/a","likes":3,"newField":{"x":[1,2]},"pipeline_tag":null,
            "gated":"manual","config":{"model_type":"gpt2"},"siblings":[{"rfilename":"a","more":1}]}"#,
    )
    .unwrap();
    assert_eq!(m.id, "me/a");
    assert_eq!(m.likes, Some(3));
    assert_eq!(m.pipeline_tag, None);
    assert_eq!(m.downloads, None);
    assert!(m.tags.is_empty());
    assert_eq!(m.extra["newField"], serde_json::json!({"x": [1, 2]}));
    assert_eq!(m.extra.len(), 1, "{:?}", m.extra);
    assert_eq!(m.siblings[0].extra["more"], 1);
    assert_eq!(m.config["model_type"], "gpt2");
    // Nothing is lost on the way back out.
    let back = serde_json::to_value(&m).unwrap();
    assert_eq!(back["newField"], serde_json::json!({"x": [1, 2]}));
    assert_eq!(back["_id"], "1");
    assert_eq!(serde_json::from_value::<ModelInfo>(back).unwrap(), m);
}

#[test]
fn required_duplicate_and_bad_fields_are_errors() {
    let missing = serde_json::from_str::<ModelInfo>(r#"{"likes":3}"#).unwrap_err();
    assert!(
        missing.to_string().contains("missing field `id`"),
        "{missing}"
    );
    let twice = serde_json::from_str::<ModelInfo>(r#"{"id":"a","id":"b"}"#).unwrap_err();
    assert!(
        twice.to_string().contains("duplicate field `id`"),
        "{twice}"
    );
    let bad = serde_json::from_str::<ModelInfo>(r#"{"id":"a","likes":"many"}"#).unwrap_err();
    assert!(bad.to_string().contains("invalid type"), "{bad}");
    let not_object = serde_json::from_str::<ModelInfo>("[1]").unwrap_err();
    assert!(not_object.to_string().contains("ModelInfo"), "{not_object}");
}

#[test]
fn unit_enums_take_their_names_and_refuse_others() {
    assert_eq!(
        serde_json::from_str::<TreeEntryType>(r#""directory""#).unwrap(),
        TreeEntryType::Directory
    );
    assert_eq!(
        serde_json::from_str::<TreeEntryType>(r#""file""#).unwrap(),
        TreeEntryType::File
    );
    let err = serde_json::from_str::<TreeEntryType>(r#""socket""#).unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `socket`"),
        "{err}"
    );
    let back = serde_json::to_string(&TreeEntryType::Directory).unwrap();
    assert_eq!(back, r#""directory""#);
}

#[test]
fn open_enums_keep_values_they_do_not_know() {
    use hf_hub_api::types::LfsTransfer;
    assert_eq!(
        serde_json::from_str::<LfsTransfer>(r#""multipart""#).unwrap(),
        LfsTransfer::Multipart
    );
    let later = serde_json::from_str::<LfsTransfer>(r#""quantum""#).unwrap();
    assert_eq!(later, LfsTransfer::Other("quantum".into()));
    assert_eq!(serde_json::to_string(&later).unwrap(), r#""quantum""#);
    assert!(serde_json::from_str::<LfsTransfer>("3").is_err());
}
