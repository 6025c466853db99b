//! Answers read from headers: a file's metadata (`HEAD …/resolve/…`), a raw file's, a bucket
//! file's, and the headers beside a body (xet tokens, raw reads). A redirect to another origin
//! is the answer of a `HEAD` (never followed); a `GET` follows it without the token.

use hf_hub_api::repo::Repo;
use hf_hub_api::retry::RetryPolicy;
use hf_hub_api::{Hub, HubErrorKind};
use httpmock::prelude::*;
use url::Url;

fn hub(server: &MockServer) -> Hub {
    Hub::builder()
        .endpoint(server.base_url())
        .token("hf_meta")
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

const SHA: &str = "7d4bd4d0cd8e3c1bba1e1bb3a9a7d63b0c2f8bb1f3d2b6a9e0f4c1d2e3f4a5b6";

#[tokio::test]
async fn an_lfs_file_redirected_to_the_cdn_answers_from_the_redirect() {
    let hub_server = MockServer::start_async().await;
    let cdn = MockServer::start_async().await;
    let cdn_head = cdn.mock(|when, then| {
        when.any_request();
        then.status(200).header("content-length", "1");
    });
    let head = hub_server.mock(|when, then| {
        when.method("HEAD")
            .path("/acme/llm/resolve/refs%2Fpr%2F3/weights/model%201.safetensors")
            .header("accept-encoding", "identity")
            .header("authorization", "Bearer hf_meta");
        then.status(302)
            .header("location", cdn.url("/repos/ab/cd/blob?X-Amz-Signature=s"))
            .header("x-repo-commit", "c0ffee00")
            .header("x-linked-etag", format!("\"{SHA}\""))
            .header("etag", "W/\"123-abc\"")
            .header("x-linked-size", "4976698672")
            .header("content-length", "1354")
            .header("x-xet-hash", "a1b2")
            .header(
                "link",
                "</api/models/acme/llm/xet-read-token/c0ffee00>; rel=\"xet-auth\"",
            );
    });
    let meta = hub(&hub_server)
        .get_file_metadata(
            &Repo::model("acme/llm").unwrap(),
            "refs/pr/3",
            "weights/model 1.safetensors",
        )
        .await
        .unwrap();
    head.assert_calls(1);
    cdn_head.assert_calls(0);
    assert_eq!(meta.status(), 302);
    assert!(meta.is_redirect());
    assert_eq!(meta.x_repo_commit, "c0ffee00");
    assert_eq!(meta.file_etag().as_deref(), Some(SHA));
    assert_eq!(
        meta.file_size(),
        Some(4_976_698_672),
        "never the redirect's length"
    );
    assert_eq!(meta.content_length, Some(1354));
    assert!(
        meta.location
            .as_deref()
            .unwrap()
            .starts_with(&cdn.base_url())
    );
    assert_eq!(meta.x_xet_hash.as_deref(), Some("a1b2"));
    let base = Url::parse(&hub_server.base_url()).unwrap();
    assert_eq!(
        meta.xet_auth_url(&base).unwrap().path(),
        "/api/models/acme/llm/xet-read-token/c0ffee00"
    );
}

#[tokio::test]
async fn a_renamed_repo_answers_a_relative_redirect_that_is_followed() {
    let server = MockServer::start_async().await;
    let old = server.mock(|when, then| {
        when.method("HEAD")
            .path("/datasets/old/name/resolve/main/data.csv");
        then.status(307)
            .header("location", "/datasets/new/name/resolve/main/data.csv")
            .header("x-repo-commit", "deadbeef");
    });
    let new = server.mock(|when, then| {
        when.method("HEAD")
            .path("/datasets/new/name/resolve/main/data.csv")
            .header("authorization", "Bearer hf_meta");
        then.status(200)
            .header("x-repo-commit", "deadbeef")
            .header("etag", "\"0123abcd\"")
            .header("content-length", "2048");
    });
    let meta = hub(&server)
        .get_file_metadata(&Repo::dataset("old/name").unwrap(), "main", "data.csv")
        .await
        .unwrap();
    old.assert_calls(1);
    new.assert_calls(1);
    assert_eq!(meta.status(), 200);
    assert_eq!(meta.file_etag().as_deref(), Some("0123abcd"));
    assert_eq!(meta.file_size(), Some(2048));
}

#[tokio::test]
async fn a_missing_file_is_an_error_and_a_missing_commit_header_too() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method("HEAD")
            .path("/spaces/a/b/resolve/main/nope.txt");
        then.status(404)
            .header("x-error-code", "EntryNotFound")
            .header("x-error-message", "Entry not found")
            .header("x-repo-commit", "c0ffee00");
    });
    server.mock(|when, then| {
        when.method("HEAD").path("/spaces/a/b/resolve/main/odd.txt");
        then.status(200).header("etag", "\"x\"");
    });
    let hub = hub(&server);
    let space = Repo::space("a/b").unwrap();
    let err = hub
        .get_file_metadata(&space, "main", "nope.txt")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&HubErrorKind::EntryNotFound));
    let err = hub
        .get_file_metadata(&space, "main", "odd.txt")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("X-Repo-Commit"), "{err}");
}

#[tokio::test]
async fn a_download_follows_the_cdn_redirect_without_the_token() {
    let hub_server = MockServer::start_async().await;
    let cdn = MockServer::start_async().await;
    let blob = cdn.mock(|when, then| {
        when.method(GET)
            .path("/blob")
            .header_missing("authorization")
            .header("range", "bytes=0-3");
        then.status(206).body("data");
    });
    let resolve = hub_server.mock(|when, then| {
        when.method(GET)
            .path("/acme/llm/resolve/main/w.bin")
            .header("authorization", "Bearer hf_meta");
        then.status(302).header("location", cdn.url("/blob"));
    });
    let body = hub(&hub_server)
        .resolve_file(&Repo::model("acme/llm").unwrap(), "main", "w.bin")
        .range("bytes=0-3")
        .await
        .unwrap();
    let chunks: Vec<bytes::Bytes> = futures::TryStreamExt::try_collect(body).await.unwrap();
    assert_eq!(chunks.concat(), b"data");
    resolve.assert_calls(1);
    blob.assert_calls(1);
}

#[tokio::test]
async fn raw_files_answer_their_blob_and_its_headers() {
    let server = MockServer::start_async().await;
    let get = server.mock(|when, then| {
        when.method(GET)
            .path("/kernels/acme/k/raw/main/build/torch/_ops.so")
            .header("range", "bytes=0-0");
        then.status(206)
            .header("content-range", "bytes 0-0/134")
            .header("etag", "\"9f1e\"")
            .header("x-linked-etag", format!("\"{SHA}\""))
            .body("v");
    });
    let head = server.mock(|when, then| {
        when.method("HEAD").path("/acme/llm/raw/main/config.json");
        then.status(200)
            .header("etag", "\"c0nf1g\"")
            .header("content-length", "588");
    });
    let hub = hub(&server);
    let (body, headers) = hub
        .get_raw_file(
            &Repo::kernel("acme/k").unwrap(),
            "main",
            "build/torch/_ops.so",
        )
        .range("bytes=0-0")
        .send_with_headers()
        .await
        .unwrap();
    let chunks: Vec<bytes::Bytes> = futures::TryStreamExt::try_collect(body).await.unwrap();
    assert_eq!(chunks.concat(), b"v");
    assert_eq!(headers.status(), 206);
    assert_eq!(headers.content_range.as_deref(), Some("bytes 0-0/134"));
    assert_eq!(headers.x_cache, None);
    let meta = hub
        .get_raw_file_metadata(&Repo::model("acme/llm").unwrap(), "main", "config.json")
        .await
        .unwrap();
    assert_eq!(meta.file_etag().as_deref(), Some("c0nf1g"));
    assert_eq!(meta.content_length, Some(588));
    get.assert_calls(1);
    head.assert_calls(1);
}

#[cfg(feature = "buckets")]
#[tokio::test]
async fn bucket_files_and_xet_tokens_read_their_headers() {
    let server = MockServer::start_async().await;
    let bucket = server.mock(|when, then| {
        when.method("HEAD")
            .path("/buckets/acme/cache/resolve/runs/1/log.txt");
        then.status(200)
            .header("x-xet-hash", "feed")
            .header(
                "x-xet-refresh-route",
                "/api/buckets/acme/cache/xet-read-token",
            )
            .header("x-linked-size", "77");
    });
    let token = server.mock(|when, then| {
        when.method(GET)
            .path("/api/kernels/acme/k/xet-read-token/main");
        then.status(200)
            .header("x-xet-cas-url", "https://cas.example")
            .header("x-xet-access-token", "xet_secret")
            .header("x-xet-token-expiration", "1900000000")
            .body(
                r#"{"casUrl":"https://cas.example","accessToken":"xet_secret","exp":1900000000}"#,
            );
    });
    let hub = hub(&server);
    let meta = hub
        .get_bucket_file_metadata(
            &hf_hub_api::repo::RepoId::new("acme/cache").unwrap(),
            "runs/1/log.txt",
        )
        .await
        .unwrap();
    assert_eq!(meta.x_xet_hash.as_deref(), Some("feed"));
    assert_eq!(meta.file_size(), Some(77));
    let base = Url::parse(&server.base_url()).unwrap();
    assert_eq!(
        meta.xet_auth_url(&base).unwrap().path(),
        "/api/buckets/acme/cache/xet-read-token"
    );
    let (body, headers) = hub
        .get_repo_xet_read_token_at_rev(&Repo::kernel("acme/k").unwrap(), "main")
        .send_with_headers()
        .await
        .unwrap();
    assert_eq!(body.cas_url, "https://cas.example");
    assert_eq!(
        headers.x_xet_cas_url.as_deref(),
        Some("https://cas.example")
    );
    assert_eq!(
        headers.x_xet_token_expiration.as_deref(),
        Some("1900000000")
    );
    let shown = format!("{headers:?}");
    assert!(!shown.contains("xet_secret"), "{shown}");
    bucket.assert_calls(1);
    token.assert_calls(1);
}
