//! Every generated operation, called against a loopback server: the method, the exact
//! percent-encoded path and the required query parameters are what the document says.

#[cfg(not(exercise_generated))]
compile_error!("the exercise code was not generated: this copy has no ../spec/hub-openapi.json");

use std::collections::BTreeSet;

use hf_hub_api::Hub;
use hf_hub_api::operations::OPERATIONS;

use hf_hub_api::retry::RetryPolicy;
use hf_hub_api_exercise::{exercise_expectation, exercise_operation};
use httpmock::prelude::*;

/// Operations that cannot be exercised with a sample, and why (kept empty unless a sample
/// cannot be built; the generator says why in `Expectation::skipped`).
const ALLOWED_SKIPS: &[&str] = &[];

#[tokio::test]
async fn every_operation_sends_the_documented_request() {
    let server = MockServer::start_async().await;
    let hub = Hub::builder()
        .endpoint(server.base_url())
        .token("hf_test_token")
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let names: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.name).collect();
    let mut exercised = 0;
    let mut failures = Vec::new();
    for name in &names {
        let exp = exercise_expectation(name).unwrap_or_else(|| panic!("no expectation for {name}"));
        if let Some(reason) = exp.skipped {
            if !ALLOWED_SKIPS.contains(name) {
                failures.push(format!("{name}: skipped without being allowed: {reason}"));
            }
            continue;
        }
        server.reset_async().await;
        let method = exp.method;
        let path = exp.path.clone();
        let required = exp.required_query;
        let mock = server
            .mock_async(|mut when, then| {
                when = when.method(method).path(path.as_str());
                for q in required {
                    when = when.query_param_exists(*q);
                }
                let _ = when;
                then.status(200)
                    .header("content-type", "application/json")
                    .body("null");
            })
            .await;
        let result = exercise_operation(&hub, name).await;
        assert!(result.is_some(), "{name}: no call generated");
        if mock.calls_async().await != 1 {
            failures.push(format!(
                "{name}: expected {method} {} (query {:?}); the server saw no such request",
                exp.path, required
            ));
        }
        exercised += 1;
    }
    // Control: the same call does not match the path with its `/` left unencoded, so the
    // matching above is exact.
    server.reset_async().await;
    let exp = exercise_expectation("list_repo_tree").unwrap();
    assert!(exp.path.contains("seg%2Fa%20b"), "{}", exp.path);
    let loose = server
        .mock_async(|when, then| {
            when.method("GET")
                .path(exp.path.replace("%2F", "/").replace("%20", " "));
            then.status(200).body("null");
        })
        .await;
    let _ = exercise_operation(&hub, "list_repo_tree").await;
    assert_eq!(loose.calls_async().await, 0);
    // A download keeps the file path's `/` literal (each segment encoded), as every official
    // client sends it: the raw request path is `…/resolve/{rev}/seg/a%20b`.
    let exp = exercise_expectation("resolve_file").unwrap();
    assert!(exp.path.ends_with("/seg/a%20b"), "{}", exp.path);
    server.reset_async().await;
    let literal = server
        .mock_async(|when, then| {
            when.method("GET").path(exp.path.as_str());
            then.status(200).body("");
        })
        .await;
    let _ = exercise_operation(&hub, "resolve_file").await;
    assert_eq!(literal.calls_async().await, 1, "{}", exp.path);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(exercised + ALLOWED_SKIPS.len(), names.len());
    assert!(exercised >= 200, "only {exercised} operations exercised");
}
