//! The streamed `application/x-ndjson` body of a commit.
//!
//! [`commit_body`] turns a header and the ordered lines of a commit into a stream of byte chunks.
//! Nothing is built ahead of time: a regular file is opened only when the body reaches it, read in
//! chunks of [`BASE64_INPUT_CHUNK`] bytes (a multiple of 3, so the concatenated pieces equal the
//! base64 of the whole content) and encoded as the body is polled. Memory stays bounded by one
//! chunk whatever the number and the size of the files. A file whose size differs from the hashed
//! size ends the stream with an I/O error naming it.
//!
//! Every line is one JSON object ending in exactly one `\n`; the small JSON pieces (paths,
//! summary, ...) are written with `serde_json`, so they are escaped correctly.

use std::io;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};
use serde::Serialize;

use super::hash::FileHashes;
use super::ops::{AddSource, sized_chunks};

/// How many raw bytes of a regular file are base64-encoded at a time (192 KiB, a multiple of 3);
/// each chunk of the body is at most 4/3 of this (256 KiB).
pub const BASE64_INPUT_CHUNK: usize = 3 * 64 * 1024;

/// The first line of a commit body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitHeader {
    /// The commit title.
    pub summary: String,
    /// The commit description (`""` when none).
    pub description: String,
    /// The commit the caller expects to be the head of the branch; the Hub answers 412 otherwise.
    pub parent_commit: Option<String>,
}

impl CommitHeader {
    /// A header with this summary, an empty description and no parent commit.
    #[cfg(test)]
    pub fn new(summary: impl Into<String>) -> Self {
        CommitHeader {
            summary: summary.into(),
            description: String::new(),
            parent_commit: None,
        }
    }
}

/// One line of a commit body after the header.
#[derive(Debug, Clone)]
pub enum CommitLine {
    /// A regular file whose base64 content is sent inline (`"key":"file"`).
    File {
        /// Its path in the repository.
        path: String,
        /// Where its content is read from when the body reaches this line.
        source: AddSource,
        /// The size found when it was hashed; the content read must have exactly this size.
        size: u64,
        /// For a server-side move: the path the file is moved from (`oldPath`).
        old_path: Option<String>,
    },
    /// A file whose content is already in LFS storage (`"key":"lfsFile"`).
    LfsFile {
        /// Its path in the repository.
        path: String,
        /// The sha256 of its content, hex.
        oid: String,
        /// Its size in bytes.
        size: u64,
        /// For a server-side move: the path the file is moved from (`oldPath`).
        old_path: Option<String>,
    },
    /// A deleted file (`"key":"deletedFile"`).
    DeletedFile {
        /// Its path in the repository.
        path: String,
    },
    /// A deleted folder (`"key":"deletedFolder"`).
    DeletedFolder {
        /// Its path in the repository.
        path: String,
    },
}

impl CommitLine {
    /// The line for an added file once it is hashed and its upload mode is known: an `lfsFile`
    /// line when it went to LFS (`lfs`), otherwise a `file` line reading `source`. Empty content is
    /// always a `file` line (empty LFS objects fail in storage).
    pub fn for_add(
        path: impl Into<String>,
        source: AddSource,
        hashes: &FileHashes,
        lfs: bool,
    ) -> Self {
        if lfs && hashes.size > 0 {
            CommitLine::LfsFile {
                path: path.into(),
                oid: hashes.sha256.clone(),
                size: hashes.size,
                old_path: None,
            }
        } else {
            CommitLine::File {
                path: path.into(),
                source,
                size: hashes.size,
                old_path: None,
            }
        }
    }
}

#[derive(Serialize)]
struct Line<V: Serialize> {
    key: &'static str,
    value: V,
}

#[derive(Serialize)]
struct HeaderValue<'a> {
    summary: &'a str,
    description: &'a str,
    #[serde(rename = "parentCommit", skip_serializing_if = "Option::is_none")]
    parent_commit: Option<&'a str>,
}

#[derive(Serialize)]
struct FileTail<'a> {
    path: &'a str,
    encoding: &'static str,
    #[serde(rename = "oldPath", skip_serializing_if = "Option::is_none")]
    old_path: Option<&'a str>,
}

#[derive(Serialize)]
struct LfsValue<'a> {
    path: &'a str,
    algo: &'static str,
    oid: &'a str,
    size: u64,
    #[serde(rename = "oldPath", skip_serializing_if = "Option::is_none")]
    old_path: Option<&'a str>,
}

#[derive(Serialize)]
struct PathValue<'a> {
    path: &'a str,
}

const FILE_PREFIX: &[u8] = br#"{"key":"file","value":{"content":""#;

fn json_line<V: Serialize>(key: &'static str, value: V) -> io::Result<Bytes> {
    let mut out = serde_json::to_vec(&Line { key, value }).map_err(io::Error::other)?;
    out.push(b'\n');
    Ok(Bytes::from(out))
}

fn header_line(header: &CommitHeader) -> io::Result<Bytes> {
    json_line(
        "header",
        HeaderValue {
            summary: &header.summary,
            description: &header.description,
            parent_commit: header.parent_commit.as_deref(),
        },
    )
}

/// The bytes after a file's base64 content: closes the string, then the rest of the line.
fn file_suffix(path: &str, old_path: Option<&str>) -> io::Result<Bytes> {
    let tail = serde_json::to_vec(&FileTail {
        path,
        encoding: "base64",
        old_path,
    })
    .map_err(io::Error::other)?;
    // `tail` is `{"path":...}`: replace its opening brace by the end of the content string.
    let mut out = Vec::with_capacity(tail.len() + 4);
    out.extend_from_slice(b"\",");
    out.extend_from_slice(tail.get(1..).unwrap_or_default());
    out.extend_from_slice(b"}\n");
    Ok(Bytes::from(out))
}

/// A fixed line (everything but a regular file's content), rendered.
fn simple_line(line: &CommitLine) -> io::Result<Bytes> {
    match line {
        CommitLine::LfsFile {
            path,
            oid,
            size,
            old_path,
        } => json_line(
            "lfsFile",
            LfsValue {
                path,
                algo: "sha256",
                oid,
                size: *size,
                old_path: old_path.as_deref(),
            },
        ),
        CommitLine::DeletedFile { path } => json_line("deletedFile", PathValue { path }),
        CommitLine::DeletedFolder { path } => json_line("deletedFolder", PathValue { path }),
        CommitLine::File { .. } => Err(io::Error::other("a file line has no fixed rendering")),
    }
}

fn base64_len(size: u64) -> u64 {
    size.div_ceil(3) * 4
}

/// The exact length in bytes of the body [`commit_body`] produces for these lines (when every
/// file has its expected size), e.g. for a `Content-Length` header or a progress bar.
pub fn commit_body_len(header: &CommitHeader, lines: &[CommitLine]) -> io::Result<u64> {
    let mut total = header_line(header)?.len() as u64;
    for line in lines {
        total += match line {
            CommitLine::File {
                path,
                size,
                old_path,
                ..
            } => {
                FILE_PREFIX.len() as u64
                    + base64_len(*size)
                    + file_suffix(path, old_path.as_deref())?.len() as u64
            }
            other => simple_line(other)?.len() as u64,
        };
    }
    Ok(total)
}

fn line_stream(line: CommitLine) -> BoxStream<'static, io::Result<Bytes>> {
    match line {
        CommitLine::File {
            path,
            source,
            size,
            old_path,
        } => {
            let suffix = file_suffix(&path, old_path.as_deref());
            let label = format!("commit body, file {path:?} read from {}", source.describe());
            let open_label = label.clone();
            let content = stream::once(async move {
                source.open().await.map_err(|e| {
                    io::Error::new(e.kind(), format!("{open_label}: open failed: {e}"))
                })
            })
            .map_ok(move |reader| {
                sized_chunks(reader, size, BASE64_INPUT_CHUNK, label.clone())
                    .map_ok(|raw| Bytes::from(STANDARD.encode(&raw)))
            })
            .try_flatten();
            stream::once(async { Ok(Bytes::from_static(FILE_PREFIX)) })
                .chain(content)
                .chain(stream::once(async move { suffix }))
                .boxed()
        }
        other => {
            let rendered = simple_line(&other);
            stream::once(async move { rendered }).boxed()
        }
    }
}

/// The commit body: the header line, then one line per entry of `lines` in order, as a stream of
/// chunks ready for `reqwest::Body::wrap_stream`. The stream ends after its first error.
pub fn commit_body(
    header: CommitHeader,
    lines: Vec<CommitLine>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let first = header_line(&header);
    stream::once(async move { first })
        .chain(stream::iter(lines).flat_map(line_stream))
        .scan(false, |failed, item| {
            let next = if *failed {
                None
            } else {
                *failed = item.is_err();
                Some(item)
            };
            futures::future::ready(next)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(header: CommitHeader, lines: Vec<CommitLine>) -> (Vec<u8>, usize) {
        let mut body = Vec::new();
        let mut max = 0;
        let mut s = std::pin::pin!(commit_body(header, lines));
        while let Some(chunk) = s.next().await {
            let chunk = chunk.unwrap();
            max = max.max(chunk.len());
            body.extend_from_slice(&chunk);
        }
        (body, max)
    }

    #[tokio::test]
    async fn exact_bytes_for_every_line_kind() {
        let header = CommitHeader {
            summary: "Add \"things\"\tand more".into(),
            description: String::new(),
            parent_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        };
        let lines = vec![
            CommitLine::File {
                path: "dir/hello \"world\".txt".into(),
                source: AddSource::Bytes(Bytes::from_static(b"hello")),
                size: 5,
                old_path: None,
            },
            CommitLine::LfsFile {
                path: "weights/é.bin".into(),
                oid: "ab".repeat(32),
                size: 1234,
                old_path: None,
            },
            CommitLine::LfsFile {
                path: "new.bin".into(),
                oid: "cd".repeat(32),
                size: 7,
                old_path: Some("old.bin".into()),
            },
            CommitLine::File {
                path: "moved.txt".into(),
                source: AddSource::Bytes(Bytes::new()),
                size: 0,
                old_path: Some("was\\here.txt".into()),
            },
            CommitLine::DeletedFile {
                path: "gone.txt".into(),
            },
            CommitLine::DeletedFolder {
                path: "old/dir".into(),
            },
        ];
        let expected_len = commit_body_len(&header, &lines).unwrap();
        let (body, _) = collect(header, lines).await;
        let expected = format!(
            concat!(
                r#"{{"key":"header","value":{{"summary":"Add \"things\"\tand more","description":"","parentCommit":"0123456789abcdef0123456789abcdef01234567"}}}}"#,
                "\n",
                r#"{{"key":"file","value":{{"content":"aGVsbG8=","path":"dir/hello \"world\".txt","encoding":"base64"}}}}"#,
                "\n",
                r#"{{"key":"lfsFile","value":{{"path":"weights/é.bin","algo":"sha256","oid":"{ab}","size":1234}}}}"#,
                "\n",
                r#"{{"key":"lfsFile","value":{{"path":"new.bin","algo":"sha256","oid":"{cd}","size":7,"oldPath":"old.bin"}}}}"#,
                "\n",
                r#"{{"key":"file","value":{{"content":"","path":"moved.txt","encoding":"base64","oldPath":"was\\here.txt"}}}}"#,
                "\n",
                r#"{{"key":"deletedFile","value":{{"path":"gone.txt"}}}}"#,
                "\n",
                r#"{{"key":"deletedFolder","value":{{"path":"old/dir"}}}}"#,
                "\n",
            ),
            ab = "ab".repeat(32),
            cd = "cd".repeat(32),
        );
        assert_eq!(String::from_utf8(body.clone()).unwrap(), expected);
        assert_eq!(expected_len, body.len() as u64);
        // Every line is valid JSON.
        for line in expected.lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
    }

    #[tokio::test]
    async fn header_without_parent() {
        let (body, _) = collect(CommitHeader::new("s"), vec![]).await;
        assert_eq!(
            body,
            b"{\"key\":\"header\",\"value\":{\"summary\":\"s\",\"description\":\"\"}}\n"
        );
    }

    #[tokio::test]
    async fn base64_around_chunk_boundaries() {
        let c = BASE64_INPUT_CHUNK;
        let dir = tempfile::tempdir().unwrap();
        let mut lines = Vec::new();
        let mut contents = Vec::new();
        for (i, size) in [0, 1, 2, 3, c - 1, c, c + 1, 3 * c + 2]
            .into_iter()
            .enumerate()
        {
            let data: Vec<u8> = (0..size).map(|j| (j * 7 + i) as u8).collect();
            let path = dir.path().join(format!("f{i}"));
            std::fs::write(&path, &data).unwrap();
            lines.push(CommitLine::File {
                path: format!("f{i}"),
                source: AddSource::File(path),
                size: size as u64,
                old_path: None,
            });
            // The same content from memory too.
            lines.push(CommitLine::File {
                path: format!("m{i}"),
                source: AddSource::Bytes(Bytes::from(data.clone())),
                size: size as u64,
                old_path: None,
            });
            contents.push(data);
        }
        let header = CommitHeader::new("sizes");
        let expected_len = commit_body_len(&header, &lines).unwrap();
        let (body, max) = collect(header, lines).await;
        assert_eq!(body.len() as u64, expected_len);
        assert!(max <= c / 3 * 4, "chunk of {max} bytes");
        let text = String::from_utf8(body).unwrap();
        let parsed: Vec<serde_json::Value> = text
            .lines()
            .skip(1)
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(parsed.len(), contents.len() * 2);
        for (i, data) in contents.iter().enumerate() {
            let expected = STANDARD.encode(data);
            for line in &parsed[2 * i..2 * i + 2] {
                assert_eq!(
                    line["value"]["content"].as_str().unwrap(),
                    expected,
                    "size {}",
                    data.len()
                );
            }
        }
    }

    #[tokio::test]
    async fn twenty_megabytes_with_a_small_peak_buffer() {
        let size = 20 * 1024 * 1024 + 5;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let data: Vec<u8> = (0..size).map(|j| (j % 253) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let expected_b64 = STANDARD.encode(&data);
        drop(data);
        let lines = vec![CommitLine::File {
            path: "big.bin".into(),
            source: AddSource::File(path),
            size: size as u64,
            old_path: None,
        }];
        let mut s = std::pin::pin!(commit_body(CommitHeader::new("big"), lines));
        let mut max = 0;
        let mut chunks = 0;
        let mut body = Vec::new();
        while let Some(chunk) = s.next().await {
            let chunk = chunk.unwrap();
            max = max.max(chunk.len());
            chunks += 1;
            body.extend_from_slice(&chunk);
        }
        assert!(max <= 256 * 1024, "peak chunk {max}");
        assert!(chunks > 100, "{chunks} chunks");
        let text = String::from_utf8(body).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        assert_eq!(line["value"]["content"].as_str().unwrap(), expected_b64);
    }

    #[tokio::test]
    async fn file_of_another_size_fails_the_stream_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("changed.bin");
        std::fs::write(&path, vec![1u8; 12]).unwrap();
        for declared in [10u64, 20] {
            let lines = vec![
                CommitLine::File {
                    path: "changed.bin".into(),
                    source: AddSource::File(path.clone()),
                    size: declared,
                    old_path: None,
                },
                CommitLine::DeletedFile { path: "x".into() },
            ];
            let items: Vec<io::Result<Bytes>> =
                commit_body(CommitHeader::new("s"), lines).collect().await;
            let last = items.last().unwrap();
            let err = last.as_ref().unwrap_err();
            assert!(err.to_string().contains("changed.bin"), "{err}");
            // Nothing follows the error.
            assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
        }
        // A missing file fails when the body reaches it.
        let lines = vec![CommitLine::File {
            path: "m".into(),
            source: AddSource::File(dir.path().join("missing")),
            size: 1,
            old_path: None,
        }];
        let items: Vec<io::Result<Bytes>> =
            commit_body(CommitHeader::new("s"), lines).collect().await;
        assert!(
            items
                .last()
                .unwrap()
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
    }

    #[tokio::test]
    async fn body_is_sent_by_reqwest() {
        use httpmock::prelude::*;
        let server = MockServer::start_async().await;
        let expected = "{\"key\":\"header\",\"value\":{\"summary\":\"s\",\"description\":\"\"}}\n\
            {\"key\":\"file\",\"value\":{\"content\":\"aGk=\",\"path\":\"a\",\"encoding\":\"base64\"}}\n";
        let mock = server
            .mock_async(|when, then| {
                when.method(POST).path("/commit").body(expected);
                then.status(200);
            })
            .await;
        let lines = vec![CommitLine::File {
            path: "a".into(),
            source: AddSource::Bytes(Bytes::from_static(b"hi")),
            size: 2,
            old_path: None,
        }];
        let body = reqwest::Body::wrap_stream(commit_body(CommitHeader::new("s"), lines));
        let status = crate::client::test_client_builder()
            .build()
            .unwrap()
            .post(server.url("/commit"))
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        mock.assert_async().await;
    }

    #[test]
    fn for_add_picks_the_line_kind() {
        let h = FileHashes {
            size: 3,
            sha256: "aa".into(),
            git_blob_id: "bb".into(),
            sample: String::new(),
        };
        let src = AddSource::Bytes(Bytes::from_static(b"abc"));
        assert!(
            matches!(CommitLine::for_add("p", src.clone(), &h, true), CommitLine::LfsFile { ref oid, .. } if oid == "aa")
        );
        assert!(matches!(
            CommitLine::for_add("p", src.clone(), &h, false),
            CommitLine::File { .. }
        ));
        let empty = FileHashes { size: 0, ..h };
        assert!(matches!(
            CommitLine::for_add("p", src, &empty, true),
            CommitLine::File { .. }
        ));
    }
}
