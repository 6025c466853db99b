//! Fault injection.

mod common;

use std::time::{Duration, Instant};

use common::*;
use hf_hub_sim::{Fault, RepoType, SimConfig, routes};
use serde_json::json;

#[tokio::test]
async fn status_and_rate_limit_faults_fire_then_stop() {
    let sim = start(SimConfig::default());
    let c = client();
    create_repo(&sim, &c, "f").await;
    let faults = sim.faults();
    faults.inject(routes::TREE, Fault::Status(503), 2);
    faults.once(
        routes::TREE,
        Fault::RateLimit {
            retry_after_secs: 7,
        },
    );
    assert_eq!(faults.pending(routes::TREE), 3);
    let u = url(&sim, "api/models/sim-user/f/tree/main");
    for _ in 0..2 {
        let r = c.get(&u).send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert!(r.headers().contains_key("x-request-id"));
        assert!(r.headers().contains_key("x-error-message"));
    }
    let r = c.get(&u).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    assert_eq!(r.headers()["ratelimit"], "\"api\";r=0;t=7");
    let r = c.get(&u).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.requests(routes::TREE), 4);
    assert_eq!(faults.pending(routes::TREE), 0);
    // Faults on one route do not touch another.
    faults.once(routes::PREUPLOAD, Fault::Status(500));
    assert_eq!(c.get(&u).send().await.unwrap().status(), 200);
    faults.clear();
    assert_eq!(faults.pending(routes::PREUPLOAD), 0);
}

#[tokio::test]
async fn drop_closes_the_connection_and_delay_waits() {
    let sim = start(SimConfig::default());
    let c = client();
    sim.faults().once(routes::WHOAMI, Fault::Drop);
    let err = c
        .get(url(&sim, "api/whoami-v2"))
        .bearer_auth(TOKEN)
        .send()
        .await;
    assert!(err.is_err(), "a dropped connection is an error: {err:?}");
    let r = c
        .get(url(&sim, "api/whoami-v2"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    sim.faults()
        .once(routes::WHOAMI, Fault::Delay(Duration::from_millis(300)));
    let t = Instant::now();
    let r = c
        .get(url(&sim, "api/whoami-v2"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    // A client timeout shorter than the delay.
    sim.faults()
        .once(routes::WHOAMI, Fault::Delay(Duration::from_secs(3)));
    let quick = client_builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = quick
        .get(url(&sim, "api/whoami-v2"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(sim.requests(routes::WHOAMI), 4);
}

#[tokio::test]
async fn fail_after_apply_commits_and_still_fails() {
    let sim = start(SimConfig::default());
    let c = client();
    create_repo(&sim, &c, "dup").await;
    sim.faults()
        .once(routes::COMMIT, Fault::FailAfterApply(500));
    let r = commit(
        &sim,
        &c,
        "sim-user/dup",
        "main",
        ndjson(&[header("once", None), file_line("a", b"a")]),
    )
    .await;
    assert_eq!(r.status(), 500);
    let commits = sim
        .commits(RepoType::Model, "sim-user/dup", "main")
        .unwrap();
    assert_eq!(
        commits.len(),
        2,
        "the commit was applied although the answer was 500"
    );
    assert_eq!(commits[0].title, "once");
    assert_eq!(sim.requests(routes::COMMIT), 1);
}

#[tokio::test]
async fn storage_faults_and_no_authorization_on_storage() {
    let sim = start(SimConfig::default().lfs_threshold(10));
    let c = client();
    create_repo(&sim, &c, "s").await;
    let data = vec![3u8; 64];
    sim.faults().once(routes::STORAGE_PUT, Fault::Status(503));
    let r = c
        .post(url(&sim, "sim-user/s.git/info/lfs/objects/batch"))
        .bearer_auth(TOKEN)
        .json(&json!({"operation":"upload","transfers":["basic"],"objects":[{"oid":sha256(&data),"size":64}]}))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    let href = v["objects"][0]["actions"]["upload"]["href"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        c.put(&href)
            .body(data.clone())
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        c.put(&href)
            .body(data.clone())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(sim.requests(routes::STORAGE_PUT), 2);
    let recorded = sim.storage_requests();
    assert_eq!(recorded.len(), 2);
    assert!(
        recorded
            .iter()
            .all(|r| r.method == "PUT" && !r.has_authorization())
    );
    // Had a client leaked the token, it would show.
    let _ = c
        .put(&href)
        .bearer_auth(TOKEN)
        .body(data)
        .send()
        .await
        .unwrap();
    assert!(sim.storage_requests().last().unwrap().has_authorization());
    assert!(
        sim.hub_requests()
            .iter()
            .any(|r| r.path_and_query.ends_with("/objects/batch"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_apply_commits_then_closes() {
    let sim = start(SimConfig::default());
    let c = client();
    create_repo(&sim, &c, "lost").await;
    sim.faults().once(routes::COMMIT, Fault::DropAfterApply);
    let r = c
        .post(url(&sim, "api/models/sim-user/lost/commit/main"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-ndjson")
        .body(ndjson(&[header("ghost", None), file_line("g", b"g")]))
        .send()
        .await;
    assert!(r.is_err(), "{r:?}");
    let commits = sim
        .commits(RepoType::Model, "sim-user/lost", "main")
        .unwrap();
    assert_eq!(commits[0].title, "ghost");
}

#[test]
fn starts_and_stops_outside_any_runtime() {
    let sim = start(SimConfig::default());
    sim.create_repo(RepoType::Space, "sim-user/app", false)
        .unwrap();
    let oid = sim
        .commit_files(
            RepoType::Space,
            "sim-user/app",
            "main",
            "app",
            &[("app.py", b"print(1)\n")],
        )
        .unwrap();
    assert_eq!(sim.head(RepoType::Space, "sim-user/app", "main"), Some(oid));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        client()
            .get(url(&sim, "spaces/sim-user/app/resolve/main/app.py"))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    let endpoint = sim.endpoint();
    drop(sim);
    // Stopped: the port no longer answers.
    let err = rt.block_on(async { client().get(endpoint).send().await });
    assert!(err.is_err());
}
