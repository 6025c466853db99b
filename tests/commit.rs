//! The streamed commit flow (`Hub::commit` → `CommitBuilder::push`) against mock servers on
//! 127.0.0.1: the Hub on one server, object storage on another (another origin).

use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use hf_hub_api::commit::UploadSettings;
use hf_hub_api::commit::{BoxAsyncRead, Phase, ProgressEvent};
use hf_hub_api::repo::Repo;
use hf_hub_api::retry::RetryPolicy;
use hf_hub_api::{Error, Hub, HubErrorKind};
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const TOKEN: &str = "hf_test_token";
const AUTH: &str = "Bearer hf_test_token";
const PARENT: &str = "0123456789abcdef0123456789abcdef01234567";
const HEAD: &str = "ffffffffffffffffffffffffffffffffffffffff";
const NEW_COMMIT: &str = "1111111111111111111111111111111111111111";

fn hub(server: &MockServer) -> Hub {
    Hub::builder()
        .endpoint(server.base_url())
        .token(TOKEN)
        .retry(
            RetryPolicy::default()
                .with_base_delay(Duration::from_millis(2))
                .with_max_delay(Duration::from_millis(10)),
        )
        .build()
        .unwrap()
}

fn repo() -> Repo {
    Repo::model("org/model").unwrap()
}

fn fast_storage() -> UploadSettings {
    UploadSettings::default()
        .with_part_concurrency(2)
        .with_retry(
            RetryPolicy::default()
                .with_max_retries(1)
                .with_base_delay(Duration::from_millis(1))
                .with_max_delay(Duration::from_millis(2)),
        )
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn json_response(status: u16, body: &Value) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}

/// The bodies of the requests a mock received, in order.
#[derive(Clone, Default)]
struct Bodies(Arc<Mutex<Vec<Vec<u8>>>>);

impl Bodies {
    fn push(&self, req: &HttpMockRequest) {
        self.0.lock().unwrap().push(req.body_vec());
    }
    fn all(&self) -> Vec<Vec<u8>> {
        self.0.lock().unwrap().clone()
    }
    fn json(&self) -> Vec<Value> {
        self.all()
            .iter()
            .map(|b| serde_json::from_slice(b).unwrap())
            .collect()
    }
}

/// A preupload mock answering every requested file with the mode `mode_of(path)` and no oid,
/// recording the request bodies.
async fn preupload_mock<'a>(
    server: &'a MockServer,
    mode_of: fn(&str) -> &'static str,
) -> (httpmock::Mock<'a>, Bodies) {
    let bodies = Bodies::default();
    let rec = bodies.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/api/models/org/model/preupload/main")
                .header("authorization", AUTH);
            then.respond_with(move |req| {
                rec.push(req);
                let body: Value = serde_json::from_slice(req.body_ref()).unwrap();
                let files: Vec<Value> = body["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        let path = f["path"].as_str().unwrap();
                        json!({"path": path, "uploadMode": mode_of(path), "shouldIgnore": false, "oid": null})
                    })
                    .collect();
                json_response(200, &json!({"files": files, "commitOid": HEAD}))
            });
        })
        .await;
    (mock, bodies)
}

/// A commit mock answering 200, recording the bodies.
async fn commit_mock<'a>(
    server: &'a MockServer,
    path: &str,
    answer: Value,
) -> (httpmock::Mock<'a>, Bodies) {
    let bodies = Bodies::default();
    let rec = bodies.clone();
    let path = path.to_owned();
    let mock = server
        .mock_async(move |when, then| {
            when.method(POST)
                .path(path)
                .header("authorization", AUTH)
                .header("content-type", "application/x-ndjson");
            then.respond_with(move |req| {
                rec.push(req);
                json_response(200, &answer)
            });
        })
        .await;
    (mock, bodies)
}

fn commit_answer() -> Value {
    json!({
        "commitOid": NEW_COMMIT,
        "commitUrl": "https://hub.example/org/model/commit/1111111111111111111111111111111111111111",
        "hookOutput": "",
        "success": true
    })
}

fn write(dir: &Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, data).unwrap();
    path
}

#[tokio::test]
async fn mixed_commit_sends_the_exact_ndjson_lines_in_order() {
    let server = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let local = write(dir.path(), "local.txt", b"local text\n");
    let big: Vec<u8> = (0..5000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let big_path = write(dir.path(), "big.bin", &big);
    let empty = write(dir.path(), "empty.bin", b"");
    let big_oid = sha256_hex(&big);
    let src_oid = "ab".repeat(32);
    let moved_oid = "cd".repeat(32);

    let (preupload, preupload_bodies) = preupload_mock(&server, |p| {
        if p.ends_with(".bin") {
            "lfs"
        } else {
            "regular"
        }
    })
    .await;
    let paths_info = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/models/org/model/paths-info/main")
                .header("authorization", AUTH)
                .json_body(json!({"paths": ["src.bin", "notes.txt", "a.bin"], "expand": false}));
            then.status(200).json_body(json!([
                {"type": "file", "path": "src.bin", "oid": "1234", "size": 77,
                 "lfs": {"oid": src_oid, "size": 77, "pointerSize": 130}},
                {"type": "file", "path": "notes.txt", "oid": "5678", "size": 6},
                {"type": "file", "path": "a.bin", "oid": "9abc", "size": 88,
                 "lfs": {"oid": moved_oid, "size": 88, "pointerSize": 130}}
            ]));
        })
        .await;
    let resolve = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/org/model/resolve/main/notes.txt")
                .header("authorization", AUTH);
            then.status(200).body("notes\n");
        })
        .await;
    let batch = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/org/model.git/info/lfs/objects/batch")
                .header("authorization", AUTH)
                .header("accept", "application/vnd.git-lfs+json")
                .header("content-type", "application/vnd.git-lfs+json")
                .json_body(json!({
                    "operation": "upload",
                    "transfers": ["basic", "multipart"],
                    "hash_algo": "sha256",
                    "objects": [{"oid": big_oid, "size": 5000}],
                    "ref": {"name": "main"}
                }));
            then.status(200).json_body(json!({
                "transfer": "basic",
                "objects": [{"oid": big_oid, "size": 5000,
                    "actions": {"upload": {"href": format!("{}/bucket/big", storage.base_url())}}}]
            }));
        })
        .await;
    let put = storage
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/bucket/big")
                .header_missing("authorization")
                .header("content-length", "5000")
                .body(String::from_utf8(big.clone()).unwrap());
            then.status(200);
        })
        .await;
    let (commit, commit_bodies) = commit_mock(
        &server,
        "/api/models/org/model/commit/main",
        commit_answer(),
    )
    .await;

    let info = hub(&server)
        .commit(repo())
        .summary("Mixed \"commit\"")
        .description("line 1\nline 2")
        .parent_commit(PARENT)
        .add_bytes("README.md", "hello\n")
        .add_file("data/local.txt", &local)
        .add_file("weights/big.bin", &big_path)
        .add_file("empty.bin", &empty)
        .delete_file("old.txt")
        .delete_folder("logs/")
        .copy_file("src.bin", "copy.bin")
        .copy_file("notes.txt", "notes-copy.txt")
        .move_file("a.bin", "b.bin")
        .upload_settings(fast_storage())
        .push()
        .await
        .unwrap();

    assert_eq!(info.oid, NEW_COMMIT);
    assert!(!info.no_op);
    assert_eq!(info.pull_request_url, None);
    preupload.assert_calls_async(1).await;
    paths_info.assert_calls_async(1).await;
    resolve.assert_calls_async(1).await;
    batch.assert_calls_async(1).await;
    put.assert_calls_async(1).await;
    commit.assert_calls_async(1).await;

    // The preupload got every added file with its size (an integer, as the official client
    // sends it: `6`, never `6.0`) and sample.
    let sent = &preupload_bodies.json()[0]["files"];
    assert!(sent.as_array().unwrap().iter().all(|f| f["size"].is_u64()));
    assert_eq!(
        sent,
        &json!([
            {"path": "README.md", "sample": STANDARD.encode(b"hello\n"), "size": 6},
            {"path": "data/local.txt", "sample": STANDARD.encode(b"local text\n"), "size": 11},
            {"path": "weights/big.bin", "sample": STANDARD.encode(&big[..512]), "size": 5000},
            {"path": "empty.bin", "sample": "", "size": 0},
        ])
    );

    let body = String::from_utf8(commit_bodies.all().remove(0)).unwrap();
    let expected = [
        format!(
            r#"{{"key":"header","value":{{"summary":"Mixed \"commit\"","description":"line 1\nline 2","parentCommit":"{PARENT}"}}}}"#
        ),
        r#"{"key":"file","value":{"content":"aGVsbG8K","path":"README.md","encoding":"base64"}}"#
            .to_owned(),
        format!(
            r#"{{"key":"file","value":{{"content":"{}","path":"data/local.txt","encoding":"base64"}}}}"#,
            STANDARD.encode(b"local text\n")
        ),
        format!(
            r#"{{"key":"lfsFile","value":{{"path":"weights/big.bin","algo":"sha256","oid":"{big_oid}","size":5000}}}}"#
        ),
        // Empty content is always a regular file, whatever the preupload said.
        r#"{"key":"file","value":{"content":"","path":"empty.bin","encoding":"base64"}}"#
            .to_owned(),
        r#"{"key":"deletedFile","value":{"path":"old.txt"}}"#.to_owned(),
        r#"{"key":"deletedFolder","value":{"path":"logs"}}"#.to_owned(),
        format!(
            r#"{{"key":"lfsFile","value":{{"path":"copy.bin","algo":"sha256","oid":"{src_oid}","size":77}}}}"#
        ),
        format!(
            r#"{{"key":"file","value":{{"content":"{}","path":"notes-copy.txt","encoding":"base64"}}}}"#,
            STANDARD.encode(b"notes\n")
        ),
        format!(
            r#"{{"key":"lfsFile","value":{{"path":"b.bin","algo":"sha256","oid":"{moved_oid}","size":88,"oldPath":"a.bin"}}}}"#
        ),
    ];
    let mut want = expected.join("\n");
    want.push('\n');
    assert_eq!(body, want);
    assert_eq!(body.matches('\n').count(), expected.len());
    for line in body.lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
}

#[tokio::test]
async fn preupload_is_chunked_at_256_files() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300 {
        write(
            dir.path(),
            &format!("f{i:03}.txt"),
            format!("{i}").as_bytes(),
        );
    }
    let (preupload, bodies) = preupload_mock(&server, |_| "regular").await;
    let (commit, commit_bodies) = commit_mock(
        &server,
        "/api/models/org/model/commit/main",
        commit_answer(),
    )
    .await;

    hub(&server)
        .commit(repo())
        .summary("300 files")
        .upload_folder(dir.path(), "data", vec![], vec![], vec![])
        .push()
        .await
        .unwrap();

    preupload.assert_calls_async(2).await;
    // The calls may be in flight together: in any order, each holds a run of the files.
    let mut sent = bodies.json();
    sent.sort_by_key(|b| {
        b["files"][0]["path"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    });
    let sizes: Vec<usize> = sent
        .iter()
        .map(|b| b["files"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [256, 44]);
    assert_eq!(sent[0]["files"][0]["path"], "data/f000.txt");
    assert_eq!(sent[0]["files"][255]["path"], "data/f255.txt");
    assert_eq!(sent[1]["files"][0]["path"], "data/f256.txt");
    assert_eq!(sent[1]["files"][43]["path"], "data/f299.txt");
    commit.assert_calls_async(1).await;
    let body = String::from_utf8(commit_bodies.all().remove(0)).unwrap();
    assert_eq!(body.lines().count(), 301);
}

#[tokio::test]
async fn multipart_upload_sends_parts_without_token_then_completes_and_verifies() {
    let server = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..25u8).map(|i| b'A' + i).collect();
    let path = write(dir.path(), "model.bin", &data);
    let oid = sha256_hex(&data);

    let (_preupload, _) = preupload_mock(&server, |_| "lfs").await;
    let base = storage.base_url();
    let batch = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/org/model.git/info/lfs/objects/batch")
                .header("authorization", AUTH);
            then.status(200).json_body(json!({
                "transfer": "multipart",
                "objects": [{"oid": oid, "size": 25, "actions": {
                    "upload": {"href": format!("{base}/complete"), "header": {
                        "chunk_size": "10",
                        "00001": format!("{base}/part/1"),
                        "00002": format!("{base}/part/2"),
                        "00003": format!("{base}/part/3"),
                    }},
                    "verify": {"href": format!("{}/org/model.git/info/lfs/objects/verify", server.base_url())}
                }}]
            }));
        })
        .await;
    let mut parts = Vec::new();
    for (n, range) in [(1, 0..10), (2, 10..20), (3, 20..25)] {
        let slice = data[range].to_vec();
        parts.push(
            storage
                .mock_async(move |when, then| {
                    when.method(PUT)
                        .path(format!("/part/{n}"))
                        .header_missing("authorization")
                        .body(String::from_utf8(slice).unwrap());
                    then.status(200).header("ETag", format!("\"etag-{n}\""));
                })
                .await,
        );
    }
    let complete = storage
        .mock_async(|when, then| {
            when.method(POST)
                .path("/complete")
                .header_missing("authorization")
                .json_body(json!({"oid": oid, "parts": [
                    {"partNumber": 1, "etag": "\"etag-1\""},
                    {"partNumber": 2, "etag": "\"etag-2\""},
                    {"partNumber": 3, "etag": "\"etag-3\""},
                ]}));
            then.status(200);
        })
        .await;
    // The verify href is on the Hub's origin: it carries the token there.
    let verify = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/org/model.git/info/lfs/objects/verify")
                .header("authorization", AUTH)
                .json_body(json!({"oid": oid, "size": 25}));
            then.status(200);
        })
        .await;
    let (commit, commit_bodies) = commit_mock(
        &server,
        "/api/models/org/model/commit/main",
        commit_answer(),
    )
    .await;

    hub(&server)
        .commit(repo())
        .summary("multipart")
        .add_file("model.bin", &path)
        .upload_settings(fast_storage())
        .push()
        .await
        .unwrap();

    batch.assert_calls_async(1).await;
    for part in &parts {
        part.assert_calls_async(1).await;
    }
    complete.assert_calls_async(1).await;
    verify.assert_calls_async(1).await;
    commit.assert_calls_async(1).await;
    let body = String::from_utf8(commit_bodies.all().remove(0)).unwrap();
    assert!(body.ends_with(&format!(
        "{{\"key\":\"lfsFile\",\"value\":{{\"path\":\"model.bin\",\"algo\":\"sha256\",\"oid\":\"{oid}\",\"size\":25}}}}\n"
    )));
}

#[tokio::test]
async fn failed_lfs_upload_commits_nothing_and_names_the_file() {
    let server = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "w.bin", b"some weights");
    let oid = sha256_hex(b"some weights");
    let (_preupload, _) = preupload_mock(&server, |_| "lfs").await;
    let href = format!("{}/bucket/w", storage.base_url());
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/org/model.git/info/lfs/objects/batch");
            then.status(200).json_body(json!({"objects": [
                {"oid": oid, "size": 12, "actions": {"upload": {"href": href}}}
            ]}));
        })
        .await;
    let put = storage
        .mock_async(|when, then| {
            when.method(PUT).path("/bucket/w");
            then.status(403).body("AccessDenied");
        })
        .await;
    let commit = server
        .mock_async(|when, then| {
            when.path_includes("/commit/");
            then.status(200).json_body(commit_answer());
        })
        .await;

    let err = hub(&server)
        .commit(repo())
        .summary("s")
        .add_file("weights/w.bin", &path)
        .upload_settings(fast_storage())
        .push()
        .await
        .unwrap_err();
    put.assert_calls_async(1).await;
    commit.assert_calls_async(0).await;
    let text = err.to_string();
    assert!(text.contains("weights/w.bin"), "{text}");
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn per_object_batch_error_commits_nothing() {
    let server = MockServer::start_async().await;
    let (_preupload, _) = preupload_mock(&server, |_| "lfs").await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/org/model.git/info/lfs/objects/batch");
            then.status(200).json_body(json!({"objects": [
                {"oid": sha256_hex(b"xyz"), "size": 3, "error": {"code": 422, "message": "too big"}}
            ]}));
        })
        .await;
    let commit = server
        .mock_async(|when, then| {
            when.path_includes("/commit/");
            then.status(200).json_body(commit_answer());
        })
        .await;
    let err = hub(&server)
        .commit(repo())
        .summary("s")
        .add_bytes("x.bin", "xyz")
        .push()
        .await
        .unwrap_err();
    commit.assert_calls_async(0).await;
    assert!(err.to_string().contains("x.bin"), "{err}");
    assert!(err.to_string().contains("too big"), "{err}");
}

#[tokio::test]
async fn already_stored_objects_are_not_uploaded() {
    let server = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let (_preupload, _) = preupload_mock(&server, |_| "lfs").await;
    let oid = sha256_hex(b"stored");
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/org/model.git/info/lfs/objects/batch");
            then.status(200)
                .json_body(json!({"objects": [{"oid": oid, "size": 6}]}));
        })
        .await;
    let any_storage = storage
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let (commit, bodies) = commit_mock(
        &server,
        "/api/models/org/model/commit/main",
        commit_answer(),
    )
    .await;
    hub(&server)
        .commit(repo())
        .summary("s")
        .add_bytes("a.bin", "stored")
        .push()
        .await
        .unwrap();
    any_storage.assert_calls_async(0).await;
    commit.assert_calls_async(1).await;
    let body = String::from_utf8(bodies.all().remove(0)).unwrap();
    assert!(body.contains(&format!(r#""oid":"{oid}""#)), "{body}");
}

#[tokio::test]
async fn create_pr_goes_on_preupload_and_commit_and_batch_has_no_ref() {
    let server = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let oid = sha256_hex(b"pr content");
    let preupload = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/models/org/model/preupload/main")
                .query_param("create_pr", "true");
            then.status(200)
                .json_body(json!({"commitOid": HEAD, "files": [
                    {"path": "p.bin", "uploadMode": "lfs", "shouldIgnore": false, "oid": null}
                ]}));
        })
        .await;
    let href = format!("{}/b/p", storage.base_url());
    let batch_bodies = Bodies::default();
    let rec = batch_bodies.clone();
    let batch = server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/org/model.git/info/lfs/objects/batch");
            then.respond_with(move |req| {
                rec.push(req);
                json_response(
                    200,
                    &json!({"objects": [{"oid": oid, "size": 10, "actions": {"upload": {"href": href}}}]}),
                )
            });
        })
        .await;
    storage
        .mock_async(|when, then| {
            when.method(PUT).path("/b/p").body("pr content");
            then.status(200);
        })
        .await;
    let commit = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/models/org/model/commit/main")
                .query_param("create_pr", "true");
            then.status(200).json_body(json!({
                "commitOid": NEW_COMMIT,
                "commitUrl": "https://hub.example/org/model/commit/1111",
                "pullRequestUrl": "https://hub.example/org/model/discussions/3",
                "hookOutput": "",
                "success": true
            }));
        })
        .await;

    let info = hub(&server)
        .commit(repo())
        .summary("PR")
        .create_pr(true)
        .add_bytes("p.bin", "pr content")
        .push()
        .await
        .unwrap();
    preupload.assert_calls_async(1).await;
    batch.assert_calls_async(1).await;
    commit.assert_calls_async(1).await;
    assert!(batch_bodies.json()[0].get("ref").is_none());
    assert_eq!(
        info.pull_request_url.as_deref(),
        Some("https://hub.example/org/model/discussions/3")
    );
    assert_eq!(info.pull_request_revision.as_deref(), Some("refs/pr/3"));
}

#[tokio::test]
async fn revision_with_slash_is_encoded_in_every_url() {
    let server = MockServer::start_async().await;
    let preupload = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/models/org/model/preupload/refs%2Fpr%2F3");
            then.status(200)
                .json_body(json!({"commitOid": HEAD, "files": [
                    {"path": "a.txt", "uploadMode": "regular", "shouldIgnore": false}
                ]}));
        })
        .await;
    let (commit, _) = commit_mock(
        &server,
        "/api/models/org/model/commit/refs%2Fpr%2F3",
        commit_answer(),
    )
    .await;
    hub(&server)
        .commit(repo())
        .summary("s")
        .revision("refs/pr/3")
        .add_bytes("a.txt", "a")
        .push()
        .await
        .unwrap();
    preupload.assert_calls_async(1).await;
    commit.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_preupload_answer_without_commit_oid_still_commits() {
    // The Hub has answered the preupload without `commitOid`.
    let server = MockServer::start_async().await;
    let preupload = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/models/org/model/preupload/main");
            then.status(200)
                .header("content-type", "application/json")
                .body(
                    r#"{"files":[{"path":"app.py","uploadMode":"regular","shouldIgnore":false}]}"#,
                );
        })
        .await;
    let (commit, bodies) = commit_mock(
        &server,
        "/api/models/org/model/commit/main",
        commit_answer(),
    )
    .await;
    let info = hub(&server)
        .commit(repo())
        .summary("s")
        .add_bytes("app.py", "print('hi')\n")
        .push()
        .await
        .unwrap();
    assert_eq!(info.oid, NEW_COMMIT);
    assert!(!info.no_op);
    preupload.assert_calls_async(1).await;
    commit.assert_calls_async(1).await;
    let body = String::from_utf8(bodies.all().remove(0)).unwrap();
    assert!(body.contains(r#""path":"app.py""#), "{body}");
}

#[tokio::test]
async fn conflict_412_names_the_expected_parent() {
    let server = MockServer::start_async().await;
    let commit = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/models/org/model/commit/main");
            then.status(412)
                .json_body(json!({"error": "A commit has happened since"}));
        })
        .await;
    let err = hub(&server)
        .commit(repo())
        .summary("s")
        .parent_commit(PARENT)
        .delete_file("x.txt")
        .push()
        .await
        .unwrap_err();
    commit.assert_calls_async(1).await;
    assert_eq!(
        err.kind(),
        Some(&HubErrorKind::CommitConflict {
            expected_parent: Some(PARENT.to_owned())
        })
    );
    assert!(err.to_string().contains(PARENT), "{err}");
}

#[tokio::test]
async fn commit_in_progress_409_is_retryable_by_the_caller() {
    let server = MockServer::start_async().await;
    let commit = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/models/org/model/commit/main");
            then.status(409)
                .json_body(json!({"error": "Another commit operation is in progress"}));
        })
        .await;
    let err = hub(&server)
        .commit(repo())
        .summary("s")
        .delete_folder("x")
        .push()
        .await
        .unwrap_err();
    commit.assert_calls_async(1).await;
    assert_eq!(err.kind(), Some(&HubErrorKind::CommitInProgress));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn commit_answered_500_is_not_retried() {
    let server = MockServer::start_async().await;
    let (_preupload, _) = preupload_mock(&server, |_| "regular").await;
    let commit = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/models/org/model/commit/main");
            then.status(500).body("boom");
        })
        .await;
    let err = hub(&server)
        .commit(repo())
        .summary("s")
        .add_bytes("a.txt", "a")
        .push()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(!err.is_retryable(), "the Hub may have created the commit");
    assert!(err.may_have_reached_server());
    commit.assert_calls_async(1).await;
}

#[tokio::test]
async fn preupload_failure_names_the_files_and_commits_nothing() {
    let server = MockServer::start_async().await;
    let preupload = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/models/org/model/preupload/main");
            then.status(403)
                .json_body(json!({"error": "no write access"}));
        })
        .await;
    let commit = server
        .mock_async(|when, then| {
            when.path_includes("/commit/");
            then.status(200).json_body(commit_answer());
        })
        .await;
    let err = hub(&server)
        .commit(repo())
        .summary("s")
        .add_bytes("secret/a.txt", "a")
        .push()
        .await
        .unwrap_err();
    preupload.assert_calls_async(1).await;
    commit.assert_calls_async(0).await;
    assert_eq!(err.kind(), Some(&HubErrorKind::Forbidden));
    assert!(err.to_string().contains("secret/a.txt"), "{err}");
}

#[tokio::test]
async fn unchanged_and_ignored_files_make_a_no_op_without_commit() {
    let server = MockServer::start_async().await;
    // git hash-object of "hello\n".
    let blob = "ce013625030ba8dba906f756967f9e9ca394464a";
    let lfs_oid = sha256_hex(b"weights");
    let preupload = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/models/org/model/preupload/main");
            then.status(200).json_body(json!({"commitOid": HEAD, "files": [
                {"path": "same.txt", "uploadMode": "regular", "shouldIgnore": false, "oid": blob},
                {"path": "same.bin", "uploadMode": "lfs", "shouldIgnore": false, "oid": lfs_oid},
                {"path": "ignored.log", "uploadMode": "regular", "shouldIgnore": true, "oid": null}
            ]}));
        })
        .await;
    let other = server
        .mock_async(|when, then| {
            when.method(POST).path_includes("/commit/");
            then.status(200).json_body(commit_answer());
        })
        .await;
    let batch = server
        .mock_async(|when, then| {
            when.path_includes("/info/lfs/");
            then.status(500);
        })
        .await;
    let info = hub(&server)
        .commit(repo())
        .summary("s")
        .add_bytes("same.txt", "hello\n")
        .add_bytes("same.bin", "weights")
        .add_bytes("ignored.log", "log")
        .push()
        .await
        .unwrap();
    preupload.assert_calls_async(1).await;
    other.assert_calls_async(0).await;
    batch.assert_calls_async(0).await;
    assert!(info.no_op);
    assert_eq!(info.oid, HEAD);
    assert_eq!(info.url, "");
}

#[tokio::test]
async fn validation_errors_are_raised_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(&server);
    let base = || hub.commit(repo()).summary("s");
    let cases = vec![
        ("empty summary", hub.commit(repo()).add_bytes("a", "x")),
        ("bad path", base().add_bytes("../a", "x")),
        ("absolute path", base().delete_file("/a")),
        ("git folder", base().add_bytes(".git/config", "x")),
        ("duplicate", base().add_bytes("a", "x").delete_file("a")),
        (
            "missing file",
            base().add_file("a", dir.path().join("missing.bin")),
        ),
        ("bad parent", base().parent_commit("main").delete_file("a")),
        ("bad revision", base().revision("a..b").delete_file("a")),
        ("move onto itself", base().move_file("a", "a")),
        ("copy onto itself", base().copy_file("a", "a")),
        (
            "bad copy revision",
            base().copy_file_from_revision("a", "x//y", "b"),
        ),
        (
            "bad delete pattern",
            base().upload_folder(dir.path(), "", vec![], vec![], vec!["a[".into()]),
        ),
        (
            "bad folder destination",
            base().upload_folder(dir.path(), "../up", vec![], vec![], vec![]),
        ),
        (
            "missing folder",
            base().upload_folder(dir.path().join("nope"), "", vec![], vec![], vec![]),
        ),
    ];
    for (name, builder) in cases {
        let err = builder.push().await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { .. } | Error::Io { .. }),
            "{name}: {err:?}"
        );
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn content_of_the_wrong_size_fails_at_hashing_with_no_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let err = hub(&server)
        .commit(repo())
        .summary("s")
        .add_reader("gen.bin", 10, || {
            Box::pin(async {
                Ok(Box::new(std::io::Cursor::new(Bytes::from_static(b"short"))) as BoxAsyncRead)
            })
        })
        .push()
        .await
        .unwrap_err();
    any.assert_calls_async(0).await;
    match &err {
        Error::Io { context, .. } => assert!(context.contains("gen.bin"), "{context}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_file_growing_after_hashing_fails_the_commit_body() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "grow.txt", b"0123456789");
    let (_preupload, _) = preupload_mock(&server, |_| "regular").await;
    let commit = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/models/org/model/commit/main");
            then.status(200).json_body(commit_answer());
        })
        .await;
    let grow = path.clone();
    // The observer runs synchronously when the commit phase starts, before the body is read:
    // the file grows between hashing and sending.
    let err = hub(&server)
        .commit(repo())
        .summary("s")
        .add_file("grow.txt", &path)
        .progress(move |event: &ProgressEvent| {
            if let ProgressEvent::PhaseStarted {
                phase: Phase::Committing,
                ..
            } = event
            {
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&grow)
                    .unwrap();
                f.write_all(b"more").unwrap();
            }
        })
        .push()
        .await
        .unwrap_err();
    match &err {
        Error::Io { context, .. } => {
            assert!(context.contains("grow.txt"), "{context}");
            assert!(context.contains("changed"), "{context}");
        }
        other => panic!("{other:?}"),
    }
    // The server may or may not have seen the start of the body; it never answered a commit.
    assert!(commit.calls_async().await <= 1);
}

#[tokio::test]
async fn an_lfs_file_shrinking_before_upload_fails_with_no_commit() {
    let server = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "w.bin", b"0123456789");
    let oid = sha256_hex(b"0123456789");
    let (_preupload, _) = preupload_mock(&server, |_| "lfs").await;
    let href = format!("{}/b/w", storage.base_url());
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/org/model.git/info/lfs/objects/batch");
            then.status(200).json_body(json!({"objects": [
                {"oid": oid, "size": 10, "actions": {"upload": {"href": href}}}
            ]}));
        })
        .await;
    storage
        .mock_async(|when, then| {
            when.method(PUT).path("/b/w");
            then.status(200);
        })
        .await;
    let commit = server
        .mock_async(|when, then| {
            when.path_includes("/commit/");
            then.status(200).json_body(commit_answer());
        })
        .await;
    let shrink = path.clone();
    let err = hub(&server)
        .commit(repo())
        .summary("s")
        .add_file("w.bin", &path)
        .upload_settings(fast_storage())
        .progress(move |event: &ProgressEvent| {
            if let ProgressEvent::PhaseStarted {
                phase: Phase::Uploading,
                ..
            } = event
            {
                std::fs::write(&shrink, b"0123").unwrap();
            }
        })
        .push()
        .await
        .unwrap_err();
    commit.assert_calls_async(0).await;
    assert!(err.to_string().contains("w.bin"), "{err}");
}

#[tokio::test]
async fn upload_folder_deletes_matching_remote_files_across_pages() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "keep.txt", b"keep");
    write(dir.path(), "sub/new.txt", b"new");
    write(dir.path(), "skip.tmp", b"tmp");
    let (_preupload, bodies) = preupload_mock(&server, |_| "regular").await;
    let next = format!(
        "<{}/api/models/org/model/tree/main/data?recursive=true&cursor=page2>; rel=\"next\"",
        server.base_url()
    );
    let page1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/models/org/model/tree/main/data")
                .query_param("recursive", "true")
                .query_param_missing("cursor")
                .header("authorization", AUTH);
            then.status(200).header("link", next).json_body(json!([
                {"type": "file", "path": "data/keep.txt", "oid": "1", "size": 4},
                {"type": "file", "path": "data/old.txt", "oid": "2", "size": 3},
                {"type": "directory", "path": "data/logs", "oid": "3"}
            ]));
        })
        .await;
    let page2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/models/org/model/tree/main/data")
                .query_param("cursor", "page2");
            then.status(200).json_body(json!([
                {"type": "file", "path": "data/logs/x.log", "oid": "4", "size": 1},
                {"type": "file", "path": "data/explicit.txt", "oid": "5", "size": 1}
            ]));
        })
        .await;
    let (commit, commit_bodies) = commit_mock(
        &server,
        "/api/models/org/model/commit/main",
        commit_answer(),
    )
    .await;

    hub(&server)
        .commit(repo())
        .summary("sync")
        .upload_folder(
            dir.path(),
            "data",
            vec![],
            vec!["*.tmp".into()],
            vec!["*".into()],
        )
        .delete_file("data/explicit.txt")
        .push()
        .await
        .unwrap();
    page1.assert_calls_async(1).await;
    page2.assert_calls_async(1).await;
    commit.assert_calls_async(1).await;
    let uploaded: Vec<Value> = bodies.json()[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].clone())
        .collect();
    assert_eq!(
        uploaded,
        [json!("data/keep.txt"), json!("data/sub/new.txt")]
    );
    let body = String::from_utf8(commit_bodies.all().remove(0)).unwrap();
    let keys: Vec<String> = body
        .lines()
        .skip(1)
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {}",
                v["key"].as_str().unwrap(),
                v["value"]["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            "file data/keep.txt",
            "file data/sub/new.txt",
            "deletedFile data/old.txt",
            "deletedFile data/logs/x.log",
            "deletedFile data/explicit.txt",
        ]
    );
}

#[tokio::test]
async fn progress_reports_phases_in_order_and_bytes() {
    let server = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let data = vec![7u8; 3000];
    let oid = sha256_hex(&data);
    let (_preupload, _) = preupload_mock(&server, |p| {
        if p.ends_with(".bin") {
            "lfs"
        } else {
            "regular"
        }
    })
    .await;
    let href = format!("{}/b/x", storage.base_url());
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/org/model.git/info/lfs/objects/batch");
            then.status(200).json_body(json!({"objects": [
                {"oid": oid, "size": 3000, "actions": {"upload": {"href": href}}}
            ]}));
        })
        .await;
    storage
        .mock_async(|when, then| {
            when.method(PUT).path("/b/x");
            then.status(200);
        })
        .await;
    let _commit = commit_mock(
        &server,
        "/api/models/org/model/commit/main",
        commit_answer(),
    )
    .await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    hub(&server)
        .commit(repo())
        .summary("s")
        .add_bytes("x.bin", data.clone())
        .add_bytes("a.txt", "abc")
        .progress(move |e: &ProgressEvent| sink.lock().unwrap().push(e.clone()))
        .push()
        .await
        .unwrap();
    let events = events.lock().unwrap().clone();
    let phases: Vec<Phase> = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::PhaseStarted { phase, .. } => Some(*phase),
            _ => None,
        })
        .collect();
    assert_eq!(
        phases,
        [
            Phase::Hashing,
            Phase::Preupload,
            Phase::Uploading,
            Phase::Committing,
            Phase::Done
        ]
    );
    let bytes_of = |want: Phase, file: &str| -> u64 {
        events
            .iter()
            .filter_map(|e| match e {
                ProgressEvent::FileBytes {
                    phase, path, bytes, ..
                } if *phase == want && &**path == file => Some(*bytes),
                _ => None,
            })
            .sum()
    };
    assert_eq!(bytes_of(Phase::Hashing, "x.bin"), 3000);
    assert_eq!(bytes_of(Phase::Hashing, "a.txt"), 3);
    assert_eq!(bytes_of(Phase::Uploading, "x.bin"), 3000);
    let body_bytes: u64 = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::CommitBodyBytes { bytes } => Some(*bytes),
            _ => None,
        })
        .sum();
    let committing_total = events.iter().find_map(|e| match e {
        ProgressEvent::PhaseStarted {
            phase: Phase::Committing,
            bytes,
            ..
        } => Some(*bytes),
        _ => None,
    });
    assert_eq!(Some(body_bytes), committing_total);
}

#[tokio::test]
async fn datasets_use_their_prefixes() {
    let server = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let oid = sha256_hex(b"rows");
    let preupload = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/datasets/org/data/preupload/main");
            then.status(200)
                .json_body(json!({"commitOid": HEAD, "files": [
                    {"path": "d.parquet", "uploadMode": "lfs", "shouldIgnore": false}
                ]}));
        })
        .await;
    let href = format!("{}/b/d", storage.base_url());
    let batch = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/datasets/org/data.git/info/lfs/objects/batch");
            then.status(200).json_body(json!({"objects": [
                {"oid": oid, "size": 4, "actions": {"upload": {"href": href}}}
            ]}));
        })
        .await;
    storage
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/b/d")
                .header_missing("authorization");
            then.status(200);
        })
        .await;
    let (commit, _) = commit_mock(
        &server,
        "/api/datasets/org/data/commit/main",
        commit_answer(),
    )
    .await;
    hub(&server)
        .commit(Repo::dataset("org/data").unwrap())
        .summary("s")
        .add_bytes("d.parquet", "rows")
        .push()
        .await
        .unwrap();
    preupload.assert_calls_async(1).await;
    batch.assert_calls_async(1).await;
    commit.assert_calls_async(1).await;
}
