//! Link pagination on loopback: laziness and caps (call counts), resume, guards, empty
//! middle pages, mid-stream failures and retried pages.

mod common;

use std::time::Duration;

use common::{Answer, ScriptServer};
use futures::{StreamExt, TryStreamExt};
use hf_hub_api::pagination::Paginator;
use hf_hub_api::requests::ListModelsRequest;
use hf_hub_api::retry::RetryPolicy;
use hf_hub_api::types::ModelInfo;
use hf_hub_api::{Error, Hub};
use httpmock::prelude::*;

fn hub(url: &str) -> Hub {
    Hub::builder()
        .endpoint(url)
        .token("hf_x")
        .retry(
            RetryPolicy::default()
                .with_max_retries(2)
                .with_max_delay(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

fn models(ids: &[&str]) -> String {
    let items: Vec<String> = ids
        .iter()
        .map(|i| format!(r#"{{"_id":"x","id":"{i}","likes":1}}"#))
        .collect();
    format!("[{}]", items.join(","))
}

/// Three pages: a,b | c,d | e, each answering a `Link` to the next (absolute, as the Hub does).
fn three_pages(server: &MockServer) -> [httpmock::Mock<'_>; 3] {
    let p1 = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("author", "me")
            .query_param_missing("cursor");
        then.status(200)
            .header(
                "link",
                format!(
                    "<{}>; rel=\"next\"",
                    server.url("/api/models?author=me&cursor=p2")
                ),
            )
            .body(models(&["me/a", "me/b"]));
    });
    let p2 = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "p2");
        then.status(200)
            .header(
                "link",
                format!(
                    "<{}>; rel=\"next\"",
                    server.url("/api/models?author=me&cursor=p3")
                ),
            )
            .body(models(&["me/c", "me/d"]));
    });
    let p3 = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "p3");
        then.status(200).body(models(&["me/e"]));
    });
    [p1, p2, p3]
}

fn by_me(hub: &Hub) -> ListModelsRequest {
    hub.list_models().author("me")
}

#[tokio::test]
async fn all_items_in_order_across_pages() {
    let server = MockServer::start_async().await;
    let mocks = three_pages(&server);
    let ids: Vec<String> = by_me(&hub(&server.base_url()))
        .items()
        .map_ok(|m: ModelInfo| m.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["me/a", "me/b", "me/c", "me/d", "me/e"]);
    for m in &mocks {
        m.assert_calls(1);
    }
}

#[tokio::test]
async fn lazy_and_capped() {
    let server = MockServer::start_async().await;
    let [p1, p2, p3] = three_pages(&server);
    let hub = hub(&server.base_url());
    // Nothing is sent before the first poll, and nothing after a drop.
    let paginator = by_me(&hub);
    let stream = paginator.items();
    tokio::time::sleep(Duration::from_millis(50)).await;
    p1.assert_calls(0);
    drop(stream);
    // take(3) needs pages 1 and 2 only.
    let three: Vec<ModelInfo> = by_me(&hub).items().take(3).try_collect().await.unwrap();
    assert_eq!(three.len(), 3);
    p1.assert_calls(1);
    p2.assert_calls(1);
    p3.assert_calls(0);
    // take(2) is served by the first page alone.
    let two: Vec<ModelInfo> = by_me(&hub).items().take(2).try_collect().await.unwrap();
    assert_eq!(two.len(), 2);
    p1.assert_calls(2);
    p2.assert_calls(1);
}

#[tokio::test]
async fn page_size_and_first_request_parameters() {
    let server = MockServer::start_async().await;
    let m = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("limit", "1000")
            .query_param("search", "bert")
            .query_param("filter", "text-classification");
        then.status(200).body(models(&["a/bert"]));
    });
    let all: Vec<ModelInfo> = hub(&server.base_url())
        .list_models()
        .search("bert")
        .filter(["text-classification"])
        .limit(1000)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    m.assert_calls(1);
}

#[tokio::test]
async fn pages_expose_cursors_and_resume() {
    let server = MockServer::start_async().await;
    let [p1, p2, p3] = three_pages(&server);
    let hub = hub(&server.base_url());
    let first = by_me(&hub).pages().next().await.unwrap().unwrap();
    assert_eq!(first.items().len(), 2);
    assert!(first.has_more());
    let cursor = first.next_cursor().unwrap().clone();
    assert!(cursor.as_str().ends_with("cursor=p2"));
    // A later run resumes from the saved cursor.
    let rest: Vec<ModelInfo> = Paginator::<ModelInfo>::resume(&hub, "list_models", cursor)
        .unwrap()
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = rest.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["me/c", "me/d", "me/e"]);
    p1.assert_calls(1);
    p2.assert_calls(1);
    p3.assert_calls(1);
    // A cursor on another origin is refused before any request.
    let foreign = url::Url::parse("http://127.0.0.1:9/api/models?cursor=x").unwrap();
    let err = Paginator::<ModelInfo>::resume(&hub, "list_models", foreign).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                what: "pagination cursor",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_loop_ends_the_stream_with_an_error() {
    let server = MockServer::start_async().await;
    let p1 = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param_missing("cursor");
        then.status(200)
            .header(
                "link",
                format!("<{}>; rel=\"next\"", server.url("/api/models?cursor=again")),
            )
            .body(models(&["a/1"]));
    });
    let again = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "again");
        then.status(200)
            .header(
                "link",
                format!("<{}>; rel=\"next\"", server.url("/api/models?cursor=again")),
            )
            .body(models(&["a/2"]));
    });
    let results: Vec<Result<ModelInfo, Error>> = hub(&server.base_url())
        .list_models()
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results[2].as_ref().unwrap_err();
    assert!(err.to_string().contains("loops"), "{err}");
    p1.assert_calls(1);
    again.assert_calls(1);
}

#[tokio::test]
async fn a_next_page_on_another_origin_is_refused() {
    let server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let foreign = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200).body(models(&["evil/1"]));
    });
    server.mock(|when, then| {
        when.method(GET).path("/api/models");
        then.status(200)
            .header(
                "link",
                format!("<{}>; rel=\"next\"", elsewhere.url("/api/models?cursor=2")),
            )
            .body(models(&["a/1"]));
    });
    let results: Vec<Result<ModelInfo, Error>> = hub(&server.base_url())
        .list_models()
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert!(
        results[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("another origin")
    );
    foreign.assert_calls(0);
}

#[tokio::test]
async fn an_empty_middle_page_does_not_end_the_stream() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param_missing("cursor");
        then.status(200)
            .header(
                "link",
                format!("<{}>; rel=\"next\"", server.url("/api/models?cursor=2")),
            )
            .body(models(&["a/1"]));
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "2");
        then.status(200)
            .header(
                "link",
                format!("<{}>; rel=\"next\"", server.url("/api/models?cursor=3")),
            )
            .body("[]");
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "3");
        then.status(200).body(models(&["a/3"]));
    });
    let ids: Vec<String> = hub(&server.base_url())
        .list_models()
        .items()
        .map_ok(|m| m.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a/1", "a/3"]);
}

#[tokio::test]
async fn a_page_that_keeps_failing_ends_the_stream_with_its_error() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param_missing("cursor");
        then.status(200)
            .header(
                "link",
                format!("<{}>; rel=\"next\"", server.url("/api/models?cursor=2")),
            )
            .body(models(&["a/1"]));
    });
    let broken = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "2");
        then.status(503)
            .header("x-request-id", "r-503")
            .body("down");
    });
    let results: Vec<Result<ModelInfo, Error>> = hub(&server.base_url())
        .list_models()
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.hub().unwrap().request_id.as_deref(), Some("r-503"));
    broken.assert_calls(3); // one try + two retries
}

#[tokio::test]
async fn pages_are_retried_and_carry_the_token() {
    let s = ScriptServer::start(vec![]).await;
    s.push(Answer::new(200, &models(&["a/1"])).header(
        "link",
        &format!("<{}/api/models?cursor=2>; rel=\"next\"", s.url),
    ));
    s.push(Answer::new(429, "slow down").header("retry-after", "0"));
    s.push(Answer::new(200, &models(&["a/2"])));
    let ids: Vec<String> = hub(&s.url)
        .list_models()
        .items()
        .map_ok(|m| m.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a/1", "a/2"]);
    let seen = s.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].target, "/api/models?cursor=2");
    assert!(
        seen.iter()
            .all(|r| r.header("authorization") == Some("Bearer hf_x"))
    );
}

#[tokio::test]
async fn prefetch_stays_one_page_ahead() {
    let server = MockServer::start_async().await;
    let [p1, p2, p3] = three_pages(&server);
    let mut items = by_me(&hub(&server.base_url())).prefetch(true).items();
    let first = items.next().await.unwrap().unwrap();
    assert_eq!(first.id, "me/a");
    tokio::time::sleep(Duration::from_millis(100)).await;
    p1.assert_calls(1);
    p2.assert_calls(1); // fetched ahead while page 1 is consumed
    p3.assert_calls(0); // but never two pages ahead
    let rest: Vec<String> = items.map_ok(|m| m.id).try_collect().await.unwrap();
    assert_eq!(rest, ["me/b", "me/c", "me/d", "me/e"]);
    p2.assert_calls(1);
    p3.assert_calls(1);
}

#[tokio::test]
async fn the_root_of_a_tree_is_listed_without_a_trailing_slash() {
    let server = MockServer::start_async().await;
    let root = server.mock(|when, then| {
        when.method(GET).path("/api/models/me/repo/tree/main");
        then.status(200)
            .body(r#"[{"type":"file","oid":"x","size":1,"path":"a.txt"}]"#);
    });
    let sub = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models/me/repo/tree/main/dir%2Fsub");
        then.status(200).body("[]");
    });
    let hub = hub(&server.base_url());
    let tree = |path: &'static str| {
        hub.list_repo_tree(
            &hf_hub_api::repo::Repo::model("me/repo").unwrap(),
            "main",
            path,
        )
        .items()
        .try_collect::<Vec<_>>()
    };
    assert_eq!(tree("").await.unwrap().len(), 1);
    assert!(tree("dir/sub").await.unwrap().is_empty());
    root.assert_calls(1);
    sub.assert_calls(1);
}
