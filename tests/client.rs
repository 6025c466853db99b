//! The Hub client on loopback: token scoping, errors, retries, and safe commits.

mod common;

use std::time::Duration;

use common::{Answer, ScriptServer};
use hf_hub_api::repo::{Repo, RepoId};
use hf_hub_api::retry::RetryPolicy;
use hf_hub_api::{Error, Hub, HubErrorKind};

const TOKEN: &str = "hf_secret_token_value";
const WHOAMI: &str = include_str!("fixtures/whoami.json");

fn hub(url: &str) -> Hub {
    Hub::builder()
        .endpoint(url)
        .token(TOKEN)
        .retry(
            RetryPolicy::default()
                .with_max_delay(Duration::from_millis(20))
                .with_base_delay(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn token_goes_to_the_endpoint_only_with_our_user_agent() {
    let s = ScriptServer::start(vec![Answer::new(200, WHOAMI)]).await;
    let hub = hub(&s.url);
    let _ = hub.whoami().await;
    let seen = s.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert!(
        seen[0]
            .header("user-agent")
            .unwrap()
            .starts_with("hf-hub-api/")
    );
    assert_eq!(
        seen[0].header("api-version"),
        None,
        "progenitor's api-version header is dropped"
    );
}

#[tokio::test]
async fn token_is_not_sent_after_a_redirect_to_another_origin() {
    let other = ScriptServer::start(vec![Answer::new(200, WHOAMI)]).await;
    let hub_server = ScriptServer::start(vec![
        Answer::new(302, "").header("location", &format!("{}/elsewhere", other.url)),
    ])
    .await;
    let hub = hub(&hub_server.url);
    let _ = hub.whoami().await;
    assert_eq!(
        hub_server.seen()[0].header("authorization").map(|_| ()),
        Some(())
    );
    let seen = other.seen();
    assert_eq!(seen.len(), 1, "the redirect was followed");
    assert_eq!(seen[0].target, "/elsewhere");
    assert_eq!(
        seen[0].header("authorization"),
        None,
        "no token on another origin"
    );
}

#[tokio::test]
async fn a_same_host_other_port_is_another_origin() {
    // The endpoint's origin includes its port: a Link to the same host on another port
    // is refused by the paginator before any request (see tests/pagination.rs), and a
    // redirect there loses the token.
    let other = ScriptServer::start(vec![Answer::new(200, "{}")]).await;
    let hub_server = ScriptServer::start(vec![
        Answer::new(307, "").header("location", &format!("{}/x", other.url)),
    ])
    .await;
    let _ = hub(&hub_server.url).whoami().await;
    assert_eq!(other.seen()[0].header("authorization"), None);
}

#[tokio::test]
async fn debug_and_errors_never_show_the_token() {
    let s = ScriptServer::start(vec![
        Answer::new(
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
        )
        .header("x-request-id", "req-1"),
    ])
    .await;
    let hub = hub(&s.url);
    let debug = format!("{hub:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
    let err = hub.whoami().await.unwrap_err();
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
    }
    assert_eq!(err.kind(), Some(&HubErrorKind::InvalidCredentials));
    assert_eq!(err.hub().unwrap().request_id.as_deref(), Some("req-1"));
}

#[tokio::test]
async fn error_codes_and_statuses_map_to_kinds() {
    let cases: Vec<(Answer, HubErrorKind, &str)> = vec![
        (
            Answer::new(401, "")
                .header("x-error-code", "RepoNotFound")
                .header("x-error-message", "Repository not found"),
            HubErrorKind::RepoNotFound,
            "Repository not found",
        ),
        (
            Answer::new(401, r#"{"error":"Repository not found"}"#),
            HubErrorKind::RepoNotFound,
            "Repository not found",
        ),
        (
            Answer::new(404, "")
                .header("x-error-code", "RevisionNotFound")
                .header("x-error-message", "Invalid rev id: nope"),
            HubErrorKind::RevisionNotFound,
            "Invalid rev id: nope",
        ),
        (
            Answer::new(404, "")
                .header("x-error-code", "EntryNotFound")
                .header("x-error-message", "Entry not found"),
            HubErrorKind::EntryNotFound,
            "Entry not found",
        ),
        (
            Answer::new(403, "")
                .header("x-error-code", "GatedRepo")
                .header("x-error-message", "Access to model x is restricted"),
            HubErrorKind::GatedRepo,
            "Access to model x is restricted",
        ),
        (
            Answer::new(403, "").header("x-error-message", "Access to this resource is disabled."),
            HubErrorKind::DisabledRepo,
            "Access to this resource is disabled.",
        ),
        (
            Answer::new(403, r#"{"error":"You don't have the rights"}"#),
            HubErrorKind::Forbidden,
            "You don't have the rights",
        ),
        (
            Answer::new(
                412,
                r#"{"error":"A commit has happened since. Please refresh and try again."}"#,
            ),
            HubErrorKind::CommitConflict {
                expected_parent: None,
            },
            "A commit has happened since",
        ),
        (
            // Only the commit's 409 means a commit in progress (tests/hub_answers.rs).
            Answer::new(
                409,
                r#"{"error":"Another commit operation is in progress"}"#,
            ),
            HubErrorKind::Conflict,
            "Another commit operation is in progress",
        ),
        (
            Answer::new(400, "plain text problem"),
            HubErrorKind::Other,
            "plain text problem",
        ),
    ];
    for (answer, kind, message) in cases {
        let s = ScriptServer::start(vec![answer.clone().header("x-request-id", "rid-7")]).await;
        let hub = Hub::builder()
            .endpoint(&s.url)
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();
        let err = hub.whoami().await.unwrap_err();
        let h = err
            .hub()
            .unwrap_or_else(|| panic!("{answer:?} gave {err:?}"));
        assert_eq!(h.kind, kind, "{answer:?}");
        assert_eq!(err.status(), Some(answer.status));
        assert!(h.message.contains(message), "{answer:?}: {}", h.message);
        assert_eq!(h.request_id.as_deref(), Some("rid-7"));
        assert_eq!(
            h.code.is_some(),
            answer.headers.iter().any(|(k, _)| k == "x-error-code")
        );
    }
}

#[tokio::test]
async fn rate_limit_with_retry_after_is_retried() {
    let s = ScriptServer::start(vec![
        Answer::new(429, "")
            .header("retry-after", "0")
            .header("ratelimit", "\"api\";r=0;t=0"),
        Answer::new(200, WHOAMI),
    ])
    .await;
    let me = hub(&s.url).whoami().await.unwrap();
    assert_eq!(me.name, "me");
    assert_eq!(s.seen().len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed_and_give_up_when_exhausted() {
    let s = ScriptServer::start(vec![
        Answer::new(503, "busy"),
        Answer::new(502, "busy"),
        Answer::new(200, WHOAMI),
    ])
    .await;
    hub(&s.url).whoami().await.unwrap();
    assert_eq!(s.seen().len(), 3);

    // Exhausted: 1 try + 2 retries, then the last error is returned.
    let s = ScriptServer::start(vec![
        Answer::new(503, "a"),
        Answer::new(503, "b"),
        Answer::new(503, "c"),
    ])
    .await;
    let hub = Hub::builder()
        .endpoint(&s.url)
        .retry(
            RetryPolicy::default()
                .with_max_retries(2)
                .with_max_delay(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let err = hub.whoami().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    assert_eq!(s.seen().len(), 3);
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let s = ScriptServer::start(vec![Answer::new(503, "busy"), Answer::new(200, "{}")]).await;
    let hub = Hub::builder()
        .endpoint(&s.url)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    assert_eq!(hub.whoami().await.unwrap_err().status(), Some(503));
    assert_eq!(s.seen().len(), 1);
}

#[tokio::test]
async fn a_commit_answered_500_is_not_retried() {
    let s = ScriptServer::start(vec![Answer::new(500, "boom"), Answer::new(200, "{}")]).await;
    let hub = hub(&s.url);
    let body =
        b"{\"key\":\"header\",\"value\":{\"summary\":\"s\",\"description\":\"\"}}\n".to_vec();
    let err = hub
        .create_commit(&Repo::model("me/repo").unwrap(), "main", body)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(!err.is_retryable(), "the commit may have been created");
    assert!(err.may_have_reached_server());
    let seen = s.seen();
    assert_eq!(seen.len(), 1, "the commit POST must never be retried");
    assert_eq!(seen[0].header("content-type"), Some("application/x-ndjson"));
    assert_eq!(seen[0].target, "/api/models/me/repo/commit/main");
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let s = ScriptServer::start(vec![Answer::new(
        200,
        r#"[{"path":"a","type":"file","oid":"x","size":1},{"path":"b","type":"file","oid":"y","size":"big"}]"#,
    )])
    .await;
    let hub = hub(&s.url);
    let mut pages = hub
        .list_repo_tree(&Repo::model("me/repo").unwrap(), "main", "")
        .pages();
    let err = futures::StreamExt::next(&mut pages)
        .await
        .unwrap()
        .unwrap_err();
    match err {
        Error::Decode { path, .. } => assert_eq!(path, "[1].size"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_repo_ids_are_refused_naming_the_value() {
    for bad in [
        "noslash",
        "a/b/c",
        "-a/b",
        "a/b.",
        "a--b/c",
        "a/b..c",
        "/b",
        "a/",
        &format!("a/{}", "x".repeat(97)),
    ] {
        match RepoId::new(bad) {
            Err(Error::InvalidInput { what, value, .. }) => {
                assert_eq!(what, "repo id");
                assert_eq!(value, bad);
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(
        RepoId::new("google/gemma-2b").unwrap().namespace(),
        "google"
    );
}

#[test]
fn invalid_endpoints_are_refused_before_any_request() {
    for bad in ["not a url", "ftp://host", "https://host/?q=1"] {
        let err = Hub::builder().endpoint(bad).build().unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    what: "endpoint",
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
    }
}
