//! Unit tests of `lfs`.

use super::*;
use bytes::Bytes;
use httpmock::prelude::*;
use serde_json::json;

/// A plain client, 3 tries in all with short waits, 2 parts at a time.
fn storage() -> Storage {
    Storage {
        client: crate::client::test_client_builder().build().unwrap(),
        retry: RetryPolicy::default()
            .with_max_retries(2)
            .with_base_delay(Duration::from_millis(5))
            .with_max_delay(Duration::from_millis(20)),
        answer_timeout: None,
        part_concurrency: 2,
    }
}

fn parse(body: &[u8]) -> Result<types::LfsBatchResponse> {
    crate::error::decode(body)
}

fn object(server: &MockServer, actions: serde_json::Value, size: u64) -> LfsBatchObject {
    let text = json!({"oid": "ab".repeat(32), "size": size, "actions": actions})
        .to_string()
        .replace("BASE", &server.base_url());
    parse(format!(r#"{{"objects":[{text}]}}"#).as_bytes())
        .unwrap()
        .objects
        .remove(0)
}

fn obj_size(o: &LfsBatchObject) -> u64 {
    o.size
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or_default()
}

const DATA: &[u8] = b"0123456789abcdefghijklm"; // 23 bytes

fn file_source(dir: &tempfile::TempDir) -> AddSource {
    let path = dir.path().join("weights.bin");
    std::fs::write(&path, DATA).unwrap();
    AddSource::File(path)
}

#[test]
fn batch_request_is_what_the_hub_expects() {
    let req = upload_request(vec![LfsObjectSpec::new("aa", 3)], Some("main"), false);
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"operation":"upload","transfers":["basic","multipart"],"hash_algo":"sha256",
               "objects":[{"oid":"aa","size":3}],"ref":{"name":"main"}})
    );
    let xet = upload_request(vec![LfsObjectSpec::new("aa", 3)], Some("main"), true);
    assert_eq!(
        serde_json::to_value(&xet).unwrap()["transfers"],
        json!(["basic", "multipart", "xet"])
    );
    let pr = upload_request(vec![], None, false);
    assert!(serde_json::to_value(&pr).unwrap().get("ref").is_none());
}

#[test]
fn batch_response_tolerates_unknown_and_null_fields() {
    let body = br#"{"transfer":"basic","extra":1,"objects":[
        {"oid":"a","size":1,"authenticated":true,"actions":{"upload":{"href":"https://s/x","header":null,"expires_in":3600}}},
        {"oid":"b","size":2},
        {"oid":"c","size":3,"error":{"code":422,"message":"bad"}}
    ]}"#;
    let r = parse(body).unwrap();
    assert_eq!(r.transfer, Some(LfsTransfer::Basic));
    assert_eq!(r.objects.len(), 3);
    let upload = r.objects[0]
        .actions
        .as_ref()
        .unwrap()
        .upload
        .as_ref()
        .unwrap();
    assert!(action_headers(upload).is_empty());
    assert_eq!(upload.expires_in, Some(3600));
    assert!(r.objects[0].extra.is_empty());
    assert!(r.extra.contains_key("extra"), "unknown fields are kept");
    assert!(r.objects[1].actions.is_none());
    assert_eq!(r.objects[2].error.as_ref().unwrap().code, Some(422));
    // A transfer this version does not know is kept.
    let later = parse(br#"{"transfer":"quantum","objects":[]}"#).unwrap();
    assert_eq!(later.transfer, Some(LfsTransfer::Other("quantum".into())));
    match parse(br#"{"objects":[{"oid":5}]}"#) {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "objects[0].oid"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn part_urls_sort_numerically() {
    let header: ActionHeaders = [
        ("chunk_size", "5"),
        ("10", "u10"),
        ("9", "u9"),
        ("00002", "u2"),
        ("1", "u1"),
        ("x1", "no"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(
        multipart_part_urls(&header).unwrap(),
        ["u1", "u2", "u9", "u10"]
    );
}

#[tokio::test]
async fn basic_upload_streams_the_bytes_without_token_then_verifies() {
    let server = MockServer::start_async().await;
    let put = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/storage/obj")
                .header("x-amz-meta-test", "yes")
                .header("content-length", DATA.len().to_string())
                .header_missing("authorization")
                .header_missing("transfer-encoding")
                .header_missing("chunk_size")
                .body(std::str::from_utf8(DATA).unwrap());
            then.status(200);
        })
        .await;
    let verify = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/verify")
                .header("x-verify", "v")
                .header_missing("authorization")
                .json_body(json!({"oid": "ab".repeat(32), "size": DATA.len()}));
            then.status(200);
        })
        .await;
    let obj = object(
        &server,
        json!({
            "upload": {"href": "BASE/storage/obj?X-Sig=secret", "header": {"x-amz-meta-test": "yes"}},
            "verify": {"href": "BASE/verify", "header": {"x-verify": "v"}}
        }),
        DATA.len() as u64,
    );
    let dir = tempfile::tempdir().unwrap();
    let out = upload_object(
        &storage(),
        &obj,
        obj_size(&obj),
        &file_source(&dir),
        "weights.bin",
        None,
    )
    .await
    .unwrap();
    assert_eq!(out, UploadOutcome::UploadedBasic);
    put.assert_async().await;
    verify.assert_async().await;
    assert!(!format!("{obj:?}").contains("secret"));
}

async fn part_mock<'a>(
    server: &'a MockServer,
    n: usize,
    body: &'static [u8],
) -> httpmock::Mock<'a> {
    server
        .mock_async(move |when, then| {
            when.method(PUT)
                .path(format!("/part/{n}"))
                .header_missing("authorization")
                .header("content-length", body.len().to_string())
                .body(std::str::from_utf8(body).unwrap());
            then.status(200).header("ETag", format!("\"etag-{n}\""));
        })
        .await
}

fn multipart_actions() -> serde_json::Value {
    json!({
        "upload": {"href": "BASE/complete", "header": {
            "chunk_size": "10",
            "00003": "BASE/part/3?sig=x",
            "00001": "BASE/part/1?sig=x",
            "00002": "BASE/part/2?sig=x"
        }},
        "verify": {"href": "BASE/verify"}
    })
}

#[tokio::test]
async fn multipart_upload_sends_slices_and_completes_in_order() {
    let server = MockServer::start_async().await;
    // Part 2 fails once with 500, then succeeds.
    let flaky = server
        .mock_async(|when, then| {
            when.method(PUT).path("/part/2");
            then.status(500).up_to_n_times(1);
        })
        .await;
    let p1 = part_mock(&server, 1, &DATA[0..10]).await;
    let p2 = part_mock(&server, 2, &DATA[10..20]).await;
    let p3 = part_mock(&server, 3, &DATA[20..23]).await;
    let complete = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/complete")
                .header_missing("authorization")
                .header("content-type", LFS_CONTENT_TYPE)
                .json_body(json!({"oid": "ab".repeat(32), "parts": [
                    {"partNumber": 1, "etag": "\"etag-1\""},
                    {"partNumber": 2, "etag": "\"etag-2\""},
                    {"partNumber": 3, "etag": "\"etag-3\""}
                ]}));
            then.status(200);
        })
        .await;
    let verify = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/verify")
                .header_missing("authorization")
                .json_body(json!({"oid": "ab".repeat(32), "size": 23}));
            then.status(200);
        })
        .await;
    let dir = tempfile::tempdir().unwrap();
    let obj = object(&server, multipart_actions(), 23);
    let out = upload_object(
        &storage(),
        &obj,
        obj_size(&obj),
        &file_source(&dir),
        "weights.bin",
        None,
    )
    .await
    .unwrap();
    assert_eq!(out, UploadOutcome::UploadedMultipart { parts: 3 });
    flaky.assert_calls_async(1).await;
    p1.assert_async().await;
    p2.assert_async().await;
    p3.assert_async().await;
    complete.assert_async().await;
    verify.assert_async().await;
}

#[tokio::test]
async fn missing_etag_is_an_error_naming_file_and_oid() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(PUT).path_prefix("/part/");
            then.status(200);
        })
        .await;
    let complete = server
        .mock_async(|when, then| {
            when.method(POST).path("/complete");
            then.status(200);
        })
        .await;
    let dir = tempfile::tempdir().unwrap();
    let obj = object(&server, multipart_actions(), 23);
    let err = upload_object(
        &storage(),
        &obj,
        obj_size(&obj),
        &file_source(&dir),
        "weights.bin",
        None,
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("weights.bin") && text.contains(&"ab".repeat(32)) && text.contains("ETag"),
        "{text}"
    );
    complete.assert_calls_async(0).await;
}

#[tokio::test]
async fn wrong_part_count_and_persistent_failure_are_errors() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    // 23 bytes in parts of 10 need 3 URLs; 2 given.
    let obj = object(
        &server,
        json!({"upload": {"href": "BASE/complete", "header": {"chunk_size": "10", "1": "BASE/p1", "2": "BASE/p2"}}}),
        23,
    );
    let err = upload_object(
        &storage(),
        &obj,
        obj_size(&obj),
        &file_source(&dir),
        "w",
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    let always = server
        .mock_async(|when, then| {
            when.method(PUT).path("/storage");
            then.status(503).body("slow down");
        })
        .await;
    let obj = object(&server, json!({"upload": {"href": "BASE/storage"}}), 23);
    match upload_object(
        &storage(),
        &obj,
        obj_size(&obj),
        &file_source(&dir),
        "w",
        None,
    )
    .await
    {
        Err(Error::Hub(hub)) => {
            assert_eq!(hub.status, 503);
            assert!(hub.message.contains("slow down"), "{}", hub.message);
        }
        other => panic!("{other:?}"),
    }
    always.assert_calls_async(3).await;
}

#[tokio::test]
async fn no_actions_or_object_error() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let src = AddSource::Bytes(Bytes::from_static(b"abc"));
    let stored = parse(br#"{"objects":[{"oid":"aa","size":3}]}"#).unwrap();
    let out = upload_object(&storage(), &stored.objects[0], 3, &src, "a", None)
        .await
        .unwrap();
    assert_eq!(out, UploadOutcome::AlreadyStored);
    let refused =
        parse(br#"{"objects":[{"oid":"aa","size":3,"error":{"code":422,"message":"too big"}}]}"#)
            .unwrap();
    match upload_object(&storage(), &refused.objects[0], 3, &src, "a", None).await {
        Err(Error::Hub(hub)) => {
            assert_eq!(hub.status, 422);
            assert!(hub.message.contains("too big") && hub.message.contains("aa"));
        }
        other => panic!("{other:?}"),
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn source_of_the_wrong_size_is_an_io_error_not_retried() {
    let server = MockServer::start_async().await;
    let put = server
        .mock_async(|when, then| {
            when.method(PUT).path("/storage");
            then.status(200);
        })
        .await;
    // The batch says 30 bytes; the source has 23.
    let obj = object(&server, json!({"upload": {"href": "BASE/storage"}}), 30);
    let dir = tempfile::tempdir().unwrap();
    match upload_object(
        &storage(),
        &obj,
        obj_size(&obj),
        &file_source(&dir),
        "w",
        None,
    )
    .await
    {
        Err(Error::Io { context, .. }) => assert!(context.contains("weights.bin"), "{context}"),
        other => panic!("{other:?}"),
    }
    put.assert_calls_async(0).await;
}
