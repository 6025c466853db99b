//! Answers the real Hub has sent (recorded by public projects), replayed on loopback with
//! exactly those bodies and headers: each test asserts the error kind, `status()`,
//! `is_retryable()` and how many requests went out.
//!
//! Every generated method is called from one helper below, so a change of calling style
//! touches only the helpers.

mod common;

use std::time::{Duration, Instant};

use common::{Answer, ScriptServer};
use hf_hub_api::repo::{Repo, RepoId};
use hf_hub_api::retry::RetryPolicy;
use hf_hub_api::types::{CreateRepoBranchBody, PreuploadBody, PreuploadBodyFile};
use hf_hub_api::{Error, Hub, HubErrorKind, Result};
use serde_json::Value;

fn hub(url: &str) -> Hub {
    Hub::builder()
        .endpoint(url)
        .token("hf_test_token")
        .retry(
            RetryPolicy::default()
                .with_base_delay(Duration::from_millis(5))
                .with_max_delay(Duration::from_millis(50)),
        )
        .build()
        .unwrap()
}

fn model() -> Repo {
    Repo::model("user/repo").unwrap()
}

fn to_json<T: serde::Serialize>(r: Result<T>) -> Result<Value> {
    r.map(|v| serde_json::to_value(v).expect("answers serialise"))
}

// ---- one call site per operation ---------------------------------------------------------

async fn create_repo(hub: &Hub) -> Result<Value> {
    to_json(
        hub.create_repo(hf_hub_api::types::CreateRepoModel::new("tmp_test_space"))
            .await,
    )
}

async fn create_branch(hub: &Hub) -> Result<()> {
    hub.create_repo_branch(&model(), "dev", CreateRepoBranchBody::new())
        .await
}

async fn space_variables(hub: &Hub) -> Result<Value> {
    to_json(
        hub.get_space_variables(&RepoId::new("user/space").unwrap())
            .await,
    )
}

async fn whoami(hub: &Hub) -> Result<Value> {
    to_json(hub.whoami().await)
}

async fn tree_page(hub: &Hub, folder: &str) -> Result<Vec<Value>> {
    let mut pages = hub.list_repo_tree(&model(), "main", folder).pages();
    let page = futures::StreamExt::next(&mut pages)
        .await
        .expect("a first page")?;
    Ok(page
        .into_items()
        .into_iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect())
}

async fn raw_commit(hub: &Hub) -> Result<Value> {
    let body =
        b"{\"key\":\"header\",\"value\":{\"summary\":\"s\",\"description\":\"\"}}\n".to_vec();
    to_json(hub.create_commit(&model(), "main", body).await)
}

async fn preupload(hub: &Hub) -> Result<Value> {
    let body = PreuploadBody::new(vec![PreuploadBodyFile::new(
        "app.py",
        "cHJpbnQoImhpIik=",
        12,
    )]);
    to_json(
        hub.preupload(&Repo::space("user/space").unwrap(), "main", body)
            .await,
    )
}

// ---- error kinds --------------------------------------------------------------------------

#[tokio::test]
async fn an_existing_repo_is_a_conflict_not_retried() {
    let s = ScriptServer::start(vec![Answer::new(
        409,
        r#"{"error":"You already created this space repo","url":"https://huggingface.co/spaces/user/tmp_test_space"}"#,
    )])
    .await;
    let err = create_repo(&hub(&s.url)).await.unwrap_err();
    assert_eq!(err.kind(), Some(&HubErrorKind::Conflict));
    assert_eq!(err.status(), Some(409));
    assert!(!err.is_retryable());
    assert_eq!(
        err.hub().unwrap().message,
        "You already created this space repo"
    );
    assert_eq!(s.seen().len(), 1);
}

#[tokio::test]
async fn an_existing_branch_is_a_conflict() {
    let s = ScriptServer::start(vec![Answer::new(
        409,
        r#"{"error":"Reference already exists: refs/heads/dev"}"#,
    )])
    .await;
    let err = create_branch(&hub(&s.url)).await.unwrap_err();
    assert_eq!(err.kind(), Some(&HubErrorKind::Conflict));
    assert_eq!(err.status(), Some(409));
    assert!(!err.is_retryable());
    assert_eq!(s.seen().len(), 1);
}

#[tokio::test]
async fn only_the_commits_409_is_a_commit_in_progress() {
    let s = ScriptServer::start(vec![Answer::new(
        409,
        r#"{"error":"Another commit operation is in progress"}"#,
    )])
    .await;
    let err = raw_commit(&hub(&s.url)).await.unwrap_err();
    assert_eq!(err.kind(), Some(&HubErrorKind::CommitInProgress));
    assert_eq!(err.status(), Some(409));
    // Refused before anything was done: waiting and pushing again is safe.
    assert!(err.is_retryable());
    assert_eq!(s.seen().len(), 1, "the commit POST is never retried");
}

#[tokio::test]
async fn a_missing_repo_without_a_token_is_repo_not_found() {
    let s = ScriptServer::start(vec![Answer::new(
        401,
        r#"{"error":"Invalid username or password."}"#,
    )])
    .await;
    let err = space_variables(&hub(&s.url)).await.unwrap_err();
    assert_eq!(err.kind(), Some(&HubErrorKind::RepoNotFound));
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_retryable());
    assert_eq!(err.hub().unwrap().code, None);
}

#[tokio::test]
async fn a_401_on_an_account_endpoint_is_unauthorized() {
    let s = ScriptServer::start(vec![Answer::new(
        401,
        r#"{"error":"Invalid username or password."}"#,
    )])
    .await;
    let err = whoami(&hub(&s.url)).await.unwrap_err();
    assert_eq!(err.kind(), Some(&HubErrorKind::Unauthorized));
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_missing_folder_in_a_tree_listing_is_entry_not_found() {
    let s = ScriptServer::start(vec![Answer::new(
        404,
        r#"{"error":"additional_chat_templates does not exist on \"main\""}"#,
    )])
    .await;
    let err = tree_page(&hub(&s.url), "additional_chat_templates")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&HubErrorKind::EntryNotFound));
    assert_eq!(err.status(), Some(404));
    assert!(!err.is_retryable());
    assert_eq!(s.seen().len(), 1);
}

#[tokio::test]
async fn a_request_not_safe_to_repeat_is_not_retried_nor_retryable() {
    let s = ScriptServer::start(vec![Answer::new(503, "busy"), Answer::new(200, "{}")]).await;
    let err = create_repo(&hub(&s.url)).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(!err.is_retryable(), "creating a repo twice is not harmless");
    assert_eq!(s.seen().len(), 1);
}

#[tokio::test]
async fn error_bodies_are_read_bounded() {
    // A 2 MiB error page: the message keeps a short excerpt and reading stops early.
    let huge = "x".repeat(2 * 1024 * 1024);
    let s = ScriptServer::start(vec![Answer::new(400, &huge)]).await;
    let err = whoami(&hub(&s.url)).await.unwrap_err();
    let message = &err.hub().unwrap().message;
    assert!(message.len() < 1024, "{}", message.len());
    assert!(message.starts_with("xxx"));
}

// ---- answers without fields the document requires ------------------------------------------

#[tokio::test]
async fn a_preupload_answer_without_commit_oid_decodes() {
    let s = ScriptServer::start(vec![Answer::new(
        200,
        r#"{"files":[{"path":"app.py","uploadMode":"regular","shouldIgnore":false}]}"#,
    )])
    .await;
    let answer = preupload(&hub(&s.url)).await.unwrap();
    assert_eq!(answer["files"][0]["path"], "app.py");
    assert_eq!(answer["files"][0]["uploadMode"], "regular");
    assert!(
        answer.get("commitOid").is_none_or(Value::is_null),
        "{answer}"
    );
}

#[tokio::test]
async fn space_variables_without_key_decode() {
    let s = ScriptServer::start(vec![Answer::new(
        200,
        r#"{"foo":{"value":"456","description":"…","updatedAt":"2024-05-03T10:20:30.000Z"}}"#,
    )])
    .await;
    let vars = space_variables(&hub(&s.url)).await.unwrap();
    assert_eq!(vars["foo"]["value"], "456");
    assert_eq!(vars["foo"]["description"], "…");
    assert!(vars["foo"].get("key").is_none_or(Value::is_null), "{vars}");
}

#[tokio::test]
async fn a_create_repo_answer_with_only_url_and_name_decodes() {
    let s = ScriptServer::start(vec![Answer::new(
        200,
        r#"{"url":"https://huggingface.co/user/repo","name":"user/repo"}"#,
    )])
    .await;
    let created = create_repo(&hub(&s.url)).await.unwrap();
    assert_eq!(created["url"], "https://huggingface.co/user/repo");
    assert_eq!(created["name"], "user/repo");
}

#[tokio::test]
async fn identity_fields_stay_required() {
    // A tree entry without its path is a decode error naming it, not an anonymous entry.
    let s = ScriptServer::start(vec![Answer::new(
        200,
        r#"[{"type":"file","oid":"abc","size":1}]"#,
    )])
    .await;
    match tree_page(&hub(&s.url), "").await {
        Err(Error::Decode { path, message }) => {
            assert_eq!(path, "[0]");
            assert!(message.contains("path"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

// ---- retries ------------------------------------------------------------------------------

#[tokio::test]
async fn a_server_wait_above_the_cap_ends_with_rate_limited_without_a_retry() {
    let s = ScriptServer::start(vec![
        Answer::new(429, r#"{"error":"rate limited"}"#).header("retry-after", "120"),
        Answer::new(200, "{}"),
    ])
    .await;
    let hub = Hub::builder()
        .endpoint(&s.url)
        .retry(RetryPolicy::default().with_max_delay(Duration::from_secs(60)))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = whoami(&hub).await.unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&HubErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(120))
        })
    );
    assert_eq!(err.status(), Some(429));
    assert!(err.is_retryable(), "later, after retry_after");
    assert_eq!(s.seen().len(), 1, "exactly one request");
    assert!(started.elapsed() < Duration::from_secs(5), "no early retry");
}

#[tokio::test]
async fn the_ratelimit_header_is_honoured() {
    let s = ScriptServer::start(vec![
        Answer::new(429, "").header("ratelimit", "\"api\";r=0;t=0"),
        Answer::new(200, include_str!("fixtures/whoami.json")),
    ])
    .await;
    whoami(&hub(&s.url)).await.unwrap();
    assert_eq!(s.seen().len(), 2);
}

// ---- pagination guards ------------------------------------------------------------------

async fn tree_items(hub: &Hub, folder: &str) -> Vec<Result<Value>> {
    let items = hub.list_repo_tree(&model(), "main", folder).items();
    futures::StreamExt::collect::<Vec<_>>(items)
        .await
        .into_iter()
        .map(|r| r.map(|e| serde_json::to_value(e).unwrap()))
        .collect()
}

const ENTRY: &str = r#"[{"type":"file","oid":"abc","size":1,"path":"sub/a.txt"}]"#;

#[tokio::test]
async fn a_relative_link_on_the_first_page_resolves_against_the_request_url() {
    let s = ScriptServer::start(vec![
        Answer::new(200, ENTRY).header("link", "<?cursor=2>; rel=\"next\""),
        Answer::new(200, ENTRY),
    ])
    .await;
    let items = tree_items(&hub(&s.url), "sub").await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    let seen = s.seen();
    assert_eq!(seen[0].target, "/api/models/user/repo/tree/main/sub");
    assert_eq!(
        seen[1].target,
        "/api/models/user/repo/tree/main/sub?cursor=2"
    );
}

#[tokio::test]
async fn a_link_back_to_the_first_page_is_a_loop() {
    let s = ScriptServer::start(vec![
        Answer::new(200, ENTRY).header("link", "</api/models/user/repo/tree/main/sub>; rel=next"),
        Answer::new(200, ENTRY),
    ])
    .await;
    let items = tree_items(&hub(&s.url), "sub").await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    match &items[1] {
        Err(Error::Decode { path, message }) => {
            assert_eq!(path, "Link header");
            assert!(message.contains("loops"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.seen().len(), 1, "the first page is not fetched again");
}

// ---- configuration ------------------------------------------------------------------------

#[test]
fn a_token_a_header_cannot_carry_is_refused_at_build() {
    for bad in ["hf_abc\n", "hf_a\rb", "hf_a\u{0}b", "hf_a\u{7f}b"] {
        match Hub::builder()
            .endpoint("http://127.0.0.1:9")
            .token(bad)
            .build()
        {
            Err(e @ Error::InvalidInput { what: "token", .. }) => {
                let text = format!("{e} {e:?}");
                assert!(!text.contains("hf_"), "the token leaks: {text}");
                assert!(text.contains("byte "), "{text}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(
        Hub::builder()
            .endpoint("http://127.0.0.1:9")
            .token("hf_fine")
            .build()
            .is_ok()
    );
}
