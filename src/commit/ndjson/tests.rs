//! Unit tests of `ndjson`.

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
    let items: Vec<io::Result<Bytes>> = commit_body(CommitHeader::new("s"), lines).collect().await;
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
async fn small_files_share_chunks_and_readers_keep_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    let mut expected = Vec::new();
    for i in 0..1000usize {
        let data: Vec<u8> = (0..2048).map(|j| (j * 31 + i) as u8).collect();
        let path = dir.path().join(format!("s{i}"));
        std::fs::write(&path, &data).unwrap();
        lines.push(CommitLine::File {
            path: format!("s{i}"),
            source: AddSource::File(path),
            size: 2048,
            old_path: None,
        });
        expected.push((format!("s{i}"), STANDARD.encode(&data)));
        if i == 500 {
            // A reader in the middle, then a fixed line: the order is the callers'.
            let shared = Bytes::from_static(b"from a reader");
            lines.push(CommitLine::File {
                path: "r".into(),
                source: AddSource::from_reader_factory("gen", 13, move || {
                    let b = shared.clone();
                    Box::pin(async move {
                        Ok(Box::new(std::io::Cursor::new(b)) as crate::commit::BoxAsyncRead)
                    })
                }),
                size: 13,
                old_path: None,
            });
            expected.push(("r".into(), STANDARD.encode(b"from a reader")));
            lines.push(CommitLine::DeletedFile { path: "d".into() });
        }
    }
    let header = CommitHeader::new("many");
    let expected_len = commit_body_len(&header, &lines).unwrap();
    let mut s = std::pin::pin!(commit_body(header, lines));
    let mut chunks = 0;
    let mut body = Vec::new();
    while let Some(chunk) = s.next().await {
        let chunk = chunk.unwrap();
        assert!(chunk.len() <= BODY_CHUNK, "chunk of {}", chunk.len());
        chunks += 1;
        body.extend_from_slice(&chunk);
    }
    assert_eq!(body.len() as u64, expected_len);
    // ~2.8 MB of lines: a handful of chunks around the reader's few, not thousands.
    assert!(chunks < 30, "{chunks} chunks");
    let text = String::from_utf8(body).unwrap();
    let files: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["key"] == "file")
        .map(|v| {
            (
                v["value"]["path"].as_str().unwrap().to_owned(),
                v["value"]["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(files, expected);
    let keys: Vec<String> = text
        .lines()
        .skip(502)
        .take(3)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["key"].to_string())
        .collect();
    assert_eq!(keys, ["\"file\"", "\"deletedFile\"", "\"file\""]);
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
        git_blob_id: Some("bb".into()),
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
