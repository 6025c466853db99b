//! The JSON path of a decode error, found from where serde_json stopped.
//!
//! A body is decoded once, straight into its type; when that fails, serde_json's error says
//! where (line and column), and [`path_of_error`] walks the text up to that place to name the
//! value that failed (`[3].siblings[0].rfilename`, `.` for the root). Decoding a second time
//! through a path-tracking deserializer would name it too, but every answer type would then be
//! compiled twice (once per deserializer), and the library is built by every user.

/// One step of a path: a key of an object or an index of an array.
enum Frame {
    Object {
        /// The last key read (the raw text between its quotes), once one was.
        key: Option<String>,
    },
    Array {
        index: usize,
    },
}

/// The path of the value `error` is about, in `body`. For "missing field" errors (raised at
/// the object's end) that is the object; for the others the value being read.
pub(crate) fn path_of_error(body: &[u8], error: &serde_json::Error) -> String {
    let end = index_of(body, error.line(), error.column());
    let object_level = error.to_string().starts_with("missing field");
    path_at(body, end, object_level)
}

/// The byte index of the next unread byte for serde_json's 1-based line and the column it
/// reports (the byte it peeked at, counted from 1; 0 at the very start).
fn index_of(body: &[u8], line: usize, column: usize) -> usize {
    let mut start_of_line = 0;
    if line > 1 {
        let mut newlines = 0;
        for (i, b) in body.iter().enumerate() {
            if *b == b'\n' {
                newlines += 1;
                if newlines == line - 1 {
                    start_of_line = i + 1;
                    break;
                }
            }
        }
    }
    (start_of_line + column.saturating_sub(1)).min(body.len())
}

/// The path of the innermost value open (or just read) before byte `end`.
fn path_at(body: &[u8], end: usize, object_level: bool) -> String {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    // Whether the innermost object's current key has started its value (`"k": ` seen).
    let mut in_value = false;
    while i < end {
        match body[i] {
            b'{' => {
                stack.push(Frame::Object { key: None });
                in_value = false;
            }
            b'[' => {
                stack.push(Frame::Array { index: 0 });
                in_value = true;
            }
            b'}' | b']' => {
                stack.pop();
                in_value = true;
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key }) => {
                    *key = None;
                    in_value = false;
                }
                None => {}
            },
            b':' => in_value = true,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    if body[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if let Some(Frame::Object { key }) = stack.last_mut()
                    && !in_value
                {
                    let text = &body[start..i.min(body.len())];
                    *key = Some(String::from_utf8_lossy(text).into_owned());
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    let last = stack.len();
    for (n, frame) in stack.iter().enumerate() {
        match frame {
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
            Frame::Object { key: Some(key) } if !(object_level && n + 1 == last) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object { .. } => {}
        }
    }
    if path.is_empty() {
        ".".to_owned()
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::path_of_error;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "fields are only decoded")]
    struct Entry {
        path: String,
        size: u64,
        #[serde(default)]
        tags: Vec<String>,
        lfs: Option<Lfs>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "fields are only decoded")]
    struct Lfs {
        oid: String,
        size: u64,
    }

    fn path(body: &str) -> String {
        let e = serde_json::from_str::<Vec<Entry>>(body).unwrap_err();
        path_of_error(body.as_bytes(), &e)
    }

    #[test]
    fn paths_name_the_failing_value() {
        let cases = [
            (r#"[{"path":"a","size":"big"}]"#, "[0].size"),
            (
                r#"[{"path":"a","size":1},{"path":"b","size":-1}]"#,
                "[1].size",
            ),
            (r#"[{"path":"a","size":1},{"path":"b"}]"#, "[1]"),
            (r#"[{"path":"a","size":1,"tags":["x",2]}]"#, "[0].tags[1]"),
            (
                r#"[{"path":"a","size":1,"lfs":{"oid":5,"size":1}}]"#,
                "[0].lfs.oid",
            ),
            (r#"[{"path":"a","size":1,"lfs":{"size":1}}]"#, "[0].lfs"),
            (r#"[{"path":"a","size":{"n":1}}]"#, "[0].size"),
            (
                r#"[{"path":"a,\"b","size":1},{"path":["x"],"size":1}]"#,
                "[1].path",
            ),
            ("[\n  {\"path\": \"a\",\n   \"size\": true}\n]", "[0].size"),
            (r#"{"path":"a"}"#, "."),
            ("not json", "."),
            ("[] trailing", "."),
            ("", "."),
        ];
        for (body, expected) in cases {
            assert_eq!(path(body), expected, "{body}");
        }
    }

    #[test]
    fn a_missing_field_names_its_object_even_when_it_ends_a_line() {
        let body = "[{\"path\":\"a\",\"size\":1},\n{\"path\":\"b\"\n}]";
        assert_eq!(path(body), "[1]");
    }
}
