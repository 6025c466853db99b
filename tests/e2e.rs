//! End to end on the Hub simulator: the whole flow, then the same flow under injected faults
//! (rate limits, 5xx, dropped connections), proving that nothing is lost and no commit is
//! duplicated.

use std::time::Duration;

use futures::TryStreamExt;
use hf_hub_api::repo::Repo;
use hf_hub_api::retry::RetryPolicy;
use hf_hub_api::{Error, Hub, HubErrorKind};
use hf_hub_sim::{Fault, RepoType, SimConfig, SimHandle, Simulator, routes};

const REPO: &str = "sim-user/e2e";

fn start() -> (SimHandle, Hub) {
    let sim = Simulator::start(
        SimConfig::default()
            .lfs_threshold(64 * 1024)
            .multipart_threshold(1024 * 1024)
            .multipart_chunk_size(256 * 1024)
            .seed_models(2_500),
    )
    .unwrap();
    sim.create_repo(RepoType::Model, REPO, false).unwrap();
    let hub = Hub::builder()
        .endpoint(sim.endpoint().as_str())
        .token(sim.token().unwrap())
        .retry(
            RetryPolicy::default()
                .with_base_delay(Duration::from_millis(5))
                .with_max_delay(Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    (sim, hub)
}

fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A folder with regular files and one multipart-sized LFS file.
fn folder() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# e2e\n").unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    for i in 0..5 {
        std::fs::write(
            dir.path().join(format!("data/part-{i}.csv")),
            format!("a,b\n{i},{i}\n"),
        )
        .unwrap();
    }
    let big = pseudo_random(1024 * 1024 + 4321, 7);
    std::fs::write(dir.path().join("model.bin"), &big).unwrap();
    (dir, big)
}

fn repo() -> Repo {
    Repo::model(REPO).unwrap()
}

fn commit_count(sim: &SimHandle) -> usize {
    sim.commits(RepoType::Model, REPO, "main").unwrap().len()
}

#[tokio::test]
async fn the_whole_flow() {
    let (sim, hub) = start();
    let (dir, big) = folder();
    let info = hub
        .commit(repo())
        .summary("add files")
        .upload_folder(dir.path(), "", vec![], vec![], vec![])
        .push()
        .await
        .unwrap();
    assert!(!info.no_op);
    assert_eq!(
        sim.head(RepoType::Model, REPO, "main").as_deref(),
        Some(info.oid.as_str())
    );
    let stored = sim
        .file(RepoType::Model, REPO, "main", "model.bin")
        .unwrap();
    assert!(stored.lfs.is_some());
    assert_eq!(
        stored.content.as_ref(),
        big.as_slice(),
        "the LFS object is intact"
    );
    assert!(
        sim.requests(routes::STORAGE_PART) >= 5,
        "multipart was used"
    );
    assert!(
        sim.storage_requests()
            .iter()
            .all(|r| !r.has_authorization())
    );

    // The tree, paged by 3, lists every file once.
    let entries: Vec<_> = hub
        .list_repo_tree(&repo(), "main", "")
        .recursive(true)
        .limit(3)
        .items()
        .try_collect()
        .await
        .unwrap();
    let mut paths: Vec<String> = entries.iter().map(|e| e.path.clone()).collect();
    paths.sort();
    let expected = [
        ".gitattributes",
        "README.md",
        "data",
        "data/part-0.csv",
        "data/part-1.csv",
        "data/part-2.csv",
        "data/part-3.csv",
        "data/part-4.csv",
        "model.bin",
    ];
    assert_eq!(paths, expected);

    // Pushing the same folder again changes nothing and sends no commit.
    let before = sim.requests(routes::COMMIT);
    let again = hub
        .commit(repo())
        .summary("again")
        .upload_folder(dir.path(), "", vec![], vec![], vec![])
        .push()
        .await
        .unwrap();
    assert!(again.no_op);
    assert_eq!(sim.requests(routes::COMMIT), before);

    // Delete a folder, move a file, open a PR.
    hub.commit(repo())
        .summary("tidy")
        .delete_folder("data/")
        .move_file("README.md", "docs/README.md")
        .push()
        .await
        .unwrap();
    let files: Vec<String> = sim
        .files(RepoType::Model, REPO, "main")
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(files, [".gitattributes", "docs/README.md", "model.bin"]);
    let pr = hub
        .commit(repo())
        .summary("suggestion")
        .add_bytes("docs/README.md", "# better\n")
        .create_pr(true)
        .push()
        .await
        .unwrap();
    assert_eq!(pr.pull_request_revision.as_deref(), Some("refs/pr/1"));
    assert_eq!(
        sim.file(RepoType::Model, REPO, "main", "docs/README.md")
            .unwrap()
            .content
            .as_ref(),
        b"# e2e\n"
    );

    let log: Vec<_> = hub
        .list_repo_commits(&repo(), "main")
        .items()
        .try_collect()
        .await
        .unwrap();
    let titles: Vec<&str> = log.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles[..2], ["tidy", "add files"]);
}

#[tokio::test]
async fn transient_faults_are_ridden_out_without_duplicates() {
    let (sim, hub) = start();
    let (dir, big) = folder();
    let faults = sim.faults();
    faults.once(routes::PREUPLOAD, Fault::Status(503));
    faults.once(
        routes::LFS_BATCH,
        Fault::RateLimit {
            retry_after_secs: 0,
        },
    );
    faults.inject(routes::STORAGE_PART, Fault::Status(500), 2);
    faults.once(routes::STORAGE_PART, Fault::Drop);
    faults.once(routes::LFS_VERIFY, Fault::Status(502));
    let before = commit_count(&sim);
    hub.commit(repo())
        .summary("through the storm")
        .upload_folder(dir.path(), "", vec![], vec![], vec![])
        .push()
        .await
        .unwrap();
    assert_eq!(commit_count(&sim), before + 1, "exactly one commit");
    assert_eq!(sim.requests(routes::COMMIT), 1);
    let stored = sim
        .file(RepoType::Model, REPO, "main", "model.bin")
        .unwrap();
    assert_eq!(stored.content.as_ref(), big.as_slice());
    assert_eq!(sim.files(RepoType::Model, REPO, "main").unwrap().len(), 8);
}

#[tokio::test]
async fn a_commit_failing_after_it_applied_is_not_retried() {
    let (sim, hub) = start();
    for fault in [Fault::FailAfterApply(500), Fault::DropAfterApply] {
        let before_commits = commit_count(&sim);
        let before_posts = sim.requests(routes::COMMIT);
        sim.faults().once(routes::COMMIT, fault.clone());
        let err = hub
            .commit(repo())
            .summary(format!("{fault:?}"))
            .add_bytes(format!("f-{before_posts}.txt"), "x")
            .push()
            .await
            .unwrap_err();
        assert_eq!(
            sim.requests(routes::COMMIT),
            before_posts + 1,
            "{fault:?}: one POST, no retry"
        );
        assert_eq!(
            commit_count(&sim),
            before_commits + 1,
            "{fault:?}: applied once, not twice"
        );
        if let Error::Transport { maybe_sent, .. } = &err {
            assert!(
                *maybe_sent,
                "{fault:?}: a dropped commit may have been applied"
            );
        }
    }
}

#[tokio::test]
async fn a_failed_upload_commits_nothing() {
    let (sim, hub) = start();
    let (dir, _) = folder();
    sim.faults()
        .inject(routes::STORAGE_PART, Fault::Status(403), 100);
    let head = sim.head(RepoType::Model, REPO, "main");
    let err = hub
        .commit(repo())
        .summary("doomed")
        .upload_folder(dir.path(), "", vec![], vec![], vec![])
        .push()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("model.bin"), "{err}");
    assert_eq!(sim.requests(routes::COMMIT), 0);
    assert_eq!(sim.head(RepoType::Model, REPO, "main"), head);
}

#[tokio::test]
async fn a_stale_parent_is_a_conflict_and_changes_nothing() {
    let (sim, hub) = start();
    let head = sim.head(RepoType::Model, REPO, "main").unwrap();
    hub.commit(repo())
        .summary("move on")
        .add_bytes("a.txt", "a")
        .push()
        .await
        .unwrap();
    let err = hub
        .commit(repo())
        .summary("late")
        .parent_commit(head.clone())
        .add_bytes("b.txt", "b")
        .push()
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&HubErrorKind::CommitConflict {
            expected_parent: Some(head)
        })
    );
    assert!(sim.file(RepoType::Model, REPO, "main", "b.txt").is_none());
}

#[tokio::test]
async fn listing_under_faults_loses_no_item() {
    let (sim, hub) = start();
    let faults = sim.faults();
    faults.once(routes::LIST_MODELS, Fault::Status(503));
    faults.once(
        routes::LIST_MODELS,
        Fault::RateLimit {
            retry_after_secs: 0,
        },
    );
    faults.once(routes::LIST_MODELS, Fault::Drop);
    let ids: Vec<String> = hub
        .list_models()
        .limit(1000)
        .items()
        .map_ok(|m| m.id)
        .try_collect()
        .await
        .unwrap();
    // The 2,500 seeded models and the repository the test created.
    assert_eq!(ids.len(), 2_501);
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 2_501, "no item twice");
}
