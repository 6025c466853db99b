//! Downloads end to end against the Hub simulator on 127.0.0.1 (and httpmock for answers the
//! simulator never gives): the cache layout, the token never reaching storage, warm re-runs,
//! resumes after a cut, integrity, offline and the fallback to the cache.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt;
use hf_hub_api::repo::Repo;
use hf_hub_api::retry::RetryPolicy;
use hf_hub_api::{Error, Hub, HubErrorKind};
use hf_hub_sim::{Fault, RepoType, SimConfig, SimHandle, Simulator, routes};

mod data;
use data::{noise, sha256};

const REPO: &str = "sim-user/dl";

struct Fixture {
    sim: SimHandle,
    commit: String,
    big: Vec<u8>,
    cache: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let sim = Simulator::start(SimConfig::default().lfs_threshold(1024)).unwrap();
    sim.create_repo(RepoType::Model, REPO, false).unwrap();
    let big = noise(300_000, 7);
    let commit = sim
        .commit_files(
            RepoType::Model,
            REPO,
            "main",
            "files",
            &[
                ("config.json", b"{\"a\": 1}\n"),
                ("tokenizer.json", b"{}"),
                ("dir/sub/notes.txt", b"hello notes\n"),
                ("weights/model.bin", &big),
                ("empty.txt", b""),
            ],
        )
        .unwrap();
    Fixture {
        sim,
        commit,
        big,
        cache: tempfile::tempdir().unwrap(),
    }
}

fn hub_for(f: &Fixture, retry: RetryPolicy) -> Hub {
    Hub::builder()
        .endpoint(f.sim.endpoint().as_str())
        .token(f.sim.token().unwrap())
        .cache_dir(f.cache.path())
        .retry(retry)
        .build()
        .unwrap()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_base_delay(Duration::from_millis(5))
        .with_max_delay(Duration::from_millis(20))
}

fn repo() -> Repo {
    Repo::model(REPO).unwrap()
}

fn repo_dir(f: &Fixture) -> PathBuf {
    f.cache.path().join("models--sim-user--dl")
}

/// GETs of file bodies the simulator served (resolve on the hub, objects on storage).
fn body_gets(sim: &SimHandle) -> usize {
    let hub = sim
        .hub_requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path_and_query.contains("/resolve/"))
        .count();
    let storage = sim
        .storage_requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    hub + storage
}

fn no_token_reached_storage(sim: &SimHandle) {
    let storage = sim.storage_requests();
    assert!(!storage.is_empty(), "the LFS bytes came from storage");
    for r in storage {
        assert!(
            !r.has_authorization(),
            "a storage request carried a token: {r:?}"
        );
    }
}

fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && !p.is_symlink() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

#[tokio::test]
async fn one_file_lands_in_the_python_layout_and_storage_never_sees_the_token() {
    let f = fixture();
    let hub = hub_for(&f, quick_retries());
    let small = hub.download(&repo(), "config.json").await.unwrap();
    let big = hub.download(&repo(), "weights/model.bin").await.unwrap();
    let dir = repo_dir(&f);
    assert_eq!(
        small,
        dir.join("snapshots").join(&f.commit).join("config.json")
    );
    assert_eq!(std::fs::read(&small).unwrap(), b"{\"a\": 1}\n");
    assert_eq!(std::fs::read(&big).unwrap(), f.big);
    // Relative symlinks into blobs/, named by the git blob id and the sha256.
    let regular = f
        .sim
        .file(RepoType::Model, REPO, "main", "config.json")
        .unwrap();
    assert_eq!(
        std::fs::read_link(&small).unwrap(),
        Path::new("../../blobs").join(&regular.oid)
    );
    assert_eq!(
        std::fs::read_link(&big).unwrap(),
        Path::new("../../../blobs").join(sha256(&f.big))
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("refs/main")).unwrap(),
        f.commit
    );
    assert!(
        f.cache
            .path()
            .join(".locks/models--sim-user--dl")
            .join(format!("{}.lock", sha256(&f.big)))
            .exists()
    );
    no_token_reached_storage(&f.sim);
    // The HEAD went to the Hub with identity encoding and the token.
    let heads: Vec<_> = f
        .sim
        .hub_requests()
        .into_iter()
        .filter(|r| r.method == "HEAD")
        .collect();
    assert_eq!(heads.len(), 2);
    assert!(
        heads
            .iter()
            .all(|r| r.header("accept-encoding") == Some("identity"))
    );
    assert!(heads.iter().all(|r| r.has_authorization()));

    // A commit id already cached: answered without a request.
    let before = f.sim.hub_requests().len();
    let again = hub
        .download(&repo(), "config.json")
        .revision(f.commit.clone())
        .await
        .unwrap();
    assert_eq!(again, small);
    assert_eq!(f.sim.hub_requests().len(), before);
    // An empty file is a file too.
    let empty = hub.download(&repo(), "empty.txt").await.unwrap();
    assert_eq!(std::fs::read(empty).unwrap(), b"");
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let f = fixture();
    let hub = hub_for(&f, quick_retries());
    for path in ["", "/abs", "a/../b", "a//b"] {
        let err = hub.download(&repo(), path).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{path}: {err}");
        assert!(err.to_string().contains(&format!("{path:?}")), "{err}");
    }
    let err = hub
        .download(&repo(), "a")
        .revision("a..b")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    let err = hub.snapshot(&repo()).include("[").await.unwrap_err();
    assert!(err.to_string().contains("\"[\""), "{err}");
    let err = hub.snapshot(&repo()).concurrency(0).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    assert!(f.sim.hub_requests().is_empty());
}

#[tokio::test]
async fn snapshot_with_globs_then_whole_then_warm_rerun_downloads_no_body() {
    let f = fixture();
    let hub = hub_for(&f, quick_retries());
    let folder = hub
        .snapshot(&repo())
        .include("*.json")
        .include("dir/")
        .exclude("tokenizer.*")
        .await
        .unwrap();
    assert_eq!(folder, repo_dir(&f).join("snapshots").join(&f.commit));
    assert_eq!(files_under(&folder), ["config.json", "dir/sub/notes.txt"]);
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    let folder = hub
        .snapshot(&repo())
        .concurrency(2)
        .progress(move |e: &hf_hub_api::ProgressEvent| seen.lock().unwrap().push(e.clone()))
        .await
        .unwrap();
    assert_eq!(
        files_under(&folder),
        [
            ".gitattributes",
            "config.json",
            "dir/sub/notes.txt",
            "empty.txt",
            "tokenizer.json",
            "weights/model.bin"
        ]
    );
    assert_eq!(
        std::fs::read(folder.join("weights/model.bin")).unwrap(),
        f.big
    );
    let events = events.lock().unwrap().clone();
    let done = events
        .iter()
        .filter(|e| matches!(e, hf_hub_api::ProgressEvent::FileDone { .. }))
        .count();
    assert_eq!(done, 6);
    assert!(events.iter().any(|e| matches!(
        e,
        hf_hub_api::ProgressEvent::PhaseStarted {
            phase: hf_hub_api::Phase::Downloading,
            files: 6,
            ..
        }
    )));
    no_token_reached_storage(&f.sim);

    let gets = body_gets(&f.sim);
    let again = hub.snapshot(&repo()).await.unwrap();
    assert_eq!(again, folder);
    assert_eq!(body_gets(&f.sim), gets, "a warm re-run downloads no body");
}

#[tokio::test]
async fn a_cut_mid_body_resumes_with_range_in_the_same_call() {
    let f = fixture();
    let hub = hub_for(&f, quick_retries());
    f.sim
        .faults()
        .once(routes::STORAGE_GET, Fault::CutBody { after: 100_000 });
    let path = hub.download(&repo(), "weights/model.bin").await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), f.big);
    let ranges: Vec<_> = f
        .sim
        .storage_requests()
        .iter()
        .filter_map(|r| r.header("range").map(str::to_owned))
        .collect();
    assert_eq!(ranges, ["bytes=100000-"]);
    no_token_reached_storage(&f.sim);
}

/// An LFS file small enough to be read into memory (at most 64 KiB) is resumed like a big one:
/// the cut part is kept, the retry asks for the rest with `Range`, and a failed call leaves
/// only an `.incomplete` blob that the next call completes.
#[tokio::test]
async fn a_cut_small_body_resumes_with_range_and_leaves_only_an_incomplete_blob() {
    let f = fixture();
    let small = noise(20_000, 11);
    f.sim
        .commit_files(
            RepoType::Model,
            REPO,
            "main",
            "small",
            &[("weights/small.bin", &small)],
        )
        .unwrap();
    let hub = hub_for(&f, quick_retries());
    f.sim
        .faults()
        .once(routes::STORAGE_GET, Fault::CutBody { after: 5_000 });
    let path = hub.download(&repo(), "weights/small.bin").await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), small);
    let ranges: Vec<_> = f
        .sim
        .storage_requests()
        .iter()
        .filter_map(|r| r.header("range").map(str::to_owned))
        .collect();
    assert_eq!(ranges, ["bytes=5000-"]);

    let other = noise(30_000, 12);
    f.sim
        .commit_files(
            RepoType::Model,
            REPO,
            "main",
            "other",
            &[("weights/other.bin", &other)],
        )
        .unwrap();
    let strict = hub_for(&f, RetryPolicy::disabled());
    f.sim
        .faults()
        .once(routes::STORAGE_GET, Fault::CutBody { after: 7_000 });
    strict
        .download(&repo(), "weights/other.bin")
        .await
        .unwrap_err();
    let blobs = repo_dir(&f).join("blobs");
    let oid = sha256(&other);
    let partial = std::fs::metadata(blobs.join(format!("{oid}.incomplete"))).unwrap();
    assert_eq!(partial.len(), 7_000);
    assert!(!blobs.join(&oid).exists());
    let path = strict.download(&repo(), "weights/other.bin").await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), other);
    assert!(!blobs.join(format!("{oid}.incomplete")).exists());
    let last = f.sim.storage_requests().pop().unwrap();
    assert_eq!(last.header("range"), Some("bytes=7000-"));
    no_token_reached_storage(&f.sim);
}

#[tokio::test]
async fn a_failed_download_leaves_no_partial_snapshot_file_and_the_next_call_completes_it() {
    let f = fixture();
    let hub = hub_for(&f, RetryPolicy::disabled());
    f.sim
        .faults()
        .once(routes::STORAGE_GET, Fault::CutBody { after: 120_000 });
    let err = hub
        .download(&repo(), "weights/model.bin")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { .. } | Error::Timeout { .. }),
        "{err}"
    );
    let dir = repo_dir(&f);
    assert_eq!(files_under(&dir.join("snapshots")), Vec::<String>::new());
    let oid = sha256(&f.big);
    assert_eq!(
        files_under(&dir.join("blobs")),
        [format!("{oid}.incomplete")]
    );
    let partial = std::fs::metadata(dir.join("blobs").join(format!("{oid}.incomplete"))).unwrap();
    assert_eq!(partial.len(), 120_000);

    let path = hub.download(&repo(), "weights/model.bin").await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), f.big);
    assert_eq!(files_under(&dir.join("blobs")), [oid]);
    let last = f.sim.storage_requests().pop().unwrap();
    assert_eq!(last.header("range"), Some("bytes=120000-"));
}

#[tokio::test]
async fn a_sha256_mismatch_is_rejected_with_both_hashes_and_nothing_lands() {
    use httpmock::prelude::*;
    let server = MockServer::start_async().await;
    let expected = sha256(b"the real content");
    let actual = sha256(b"something else!!");
    let commit = "0123456789abcdef0123456789abcdef01234567";
    server
        .mock_async(|when, then| {
            when.method(httpmock::Method::HEAD)
                .path("/ns/m/resolve/main/w.bin");
            then.status(200)
                .header("x-repo-commit", commit)
                .header("x-linked-etag", format!("\"{expected}\""))
                .header("x-linked-size", "16")
                .header("etag", "\"abc\"")
                .header("content-length", "16");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/ns/m/resolve/main/w.bin");
            then.status(200).body("something else!!");
        })
        .await;
    let cache = tempfile::tempdir().unwrap();
    let hub = Hub::builder()
        .endpoint(server.base_url())
        .no_token()
        .cache_dir(cache.path())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = hub
        .download(&Repo::model("ns/m").unwrap(), "w.bin")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("w.bin") && text.contains(&expected) && text.contains(&actual),
        "{text}"
    );
    let dir = cache.path().join("models--ns--m");
    assert_eq!(files_under(&dir.join("blobs")), Vec::<String>::new());
    assert_eq!(files_under(&dir.join("snapshots")), Vec::<String>::new());
}

#[tokio::test]
async fn offline_answers_from_the_cache_or_names_what_is_missing() {
    let f = fixture();
    let hub = hub_for(&f, quick_retries());
    let cached = hub.download(&repo(), "config.json").await.unwrap();
    let folder = hub.snapshot(&repo()).include("*.json").await.unwrap();
    let before = f.sim.hub_requests().len();
    let offline = Hub::builder()
        .endpoint(f.sim.endpoint().as_str())
        .cache_dir(f.cache.path())
        .offline(true)
        .build()
        .unwrap();
    assert_eq!(
        offline.download(&repo(), "config.json").await.unwrap(),
        cached
    );
    assert_eq!(offline.snapshot(&repo()).await.unwrap(), folder);
    let err = offline
        .download(&repo(), "weights/model.bin")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("weights/model.bin") && text.contains("offline"),
        "{text}"
    );
    match &err {
        Error::Io { source, .. } => assert_eq!(source.kind(), std::io::ErrorKind::NotFound),
        other => panic!("{other}"),
    }
    let err = offline
        .snapshot(&Repo::model("sim-user/other").unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sim-user/other"), "{err}");
    // The request's own option too.
    assert_eq!(
        hub.download(&repo(), "config.json")
            .offline(true)
            .await
            .unwrap(),
        cached
    );
    assert_eq!(f.sim.hub_requests().len(), before, "offline sends nothing");
}

#[tokio::test]
async fn a_network_failure_on_a_cached_revision_falls_back_to_the_cache() {
    let f = fixture();
    let hub = hub_for(&f, RetryPolicy::disabled());
    let cached = hub.download(&repo(), "config.json").await.unwrap();
    let folder = hub.snapshot(&repo()).include("*.json").await.unwrap();
    // 503 on the HEAD, then the whole simulator gone.
    f.sim.faults().once(routes::RESOLVE, Fault::Status(503));
    assert_eq!(hub.download(&repo(), "config.json").await.unwrap(), cached);
    let Fixture { sim, cache, .. } = f;
    drop(sim);
    assert_eq!(hub.download(&repo(), "config.json").await.unwrap(), cached);
    assert_eq!(hub.snapshot(&repo()).await.unwrap(), folder);
    // Not cached: the network error itself.
    let err = hub
        .download(&repo(), "dir/sub/notes.txt")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    drop(cache);
}

#[tokio::test]
async fn a_missing_file_is_recorded_in_no_exist() {
    let f = fixture();
    let hub = hub_for(&f, quick_retries());
    let err = hub.download(&repo(), "nope/x.bin").await.unwrap_err();
    assert_eq!(err.kind(), Some(&HubErrorKind::EntryNotFound), "{err}");
    let marker = repo_dir(&f)
        .join(".no_exist")
        .join(&f.commit)
        .join("nope/x.bin");
    assert!(marker.is_file());
    // Offline, the miss says the file is known not to exist.
    let err = hub
        .download(&repo(), "nope/x.bin")
        .offline(true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("known not to exist"), "{err}");
}

#[tokio::test]
async fn a_renamed_repository_is_followed_on_the_hub_origin() {
    let f = fixture();
    f.sim
        .rename_repo(RepoType::Model, REPO, "sim-user/renamed")
        .unwrap();
    let hub = hub_for(&f, quick_retries());
    let path = hub.download(&repo(), "weights/model.bin").await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), f.big);
    let heads: Vec<_> = f
        .sim
        .hub_requests()
        .into_iter()
        .filter(|r| r.method == "HEAD")
        .map(|r| r.path_and_query)
        .collect();
    assert_eq!(
        heads,
        [
            "/sim-user/dl/resolve/main/weights/model.bin",
            "/sim-user/renamed/resolve/main/weights/model.bin"
        ]
    );
    no_token_reached_storage(&f.sim);
}

#[tokio::test]
async fn a_stream_gives_the_bytes_and_the_metadata_without_the_cache() {
    let f = fixture();
    let hub = hub_for(&f, quick_retries());
    let mut file = hub
        .download_stream(&repo(), "weights/model.bin")
        .await
        .unwrap();
    assert_eq!(file.metadata.commit, f.commit);
    assert_eq!(file.metadata.etag, sha256(&f.big));
    assert_eq!(file.metadata.size, f.big.len() as u64);
    assert!(file.metadata.is_lfs);
    assert!(
        file.metadata
            .location
            .as_str()
            .starts_with(f.sim.storage_endpoint().as_str())
    );
    let mut body = Vec::new();
    while let Some(chunk) = file.body.next().await {
        body.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(body, f.big);
    assert!(!f.cache.path().join("models--sim-user--dl").exists());
    no_token_reached_storage(&f.sim);
}

#[tokio::test]
async fn a_local_dir_gets_real_files_and_the_python_bookkeeping() {
    let f = fixture();
    let hub = hub_for(&f, quick_retries());
    let local = tempfile::tempdir().unwrap();
    let folder = hub
        .snapshot(&repo())
        .local_dir(local.path())
        .exclude("*.txt")
        .await
        .unwrap();
    assert_eq!(folder, local.path());
    let weights = local.path().join("weights/model.bin");
    assert!(!weights.is_symlink());
    assert_eq!(std::fs::read(&weights).unwrap(), f.big);
    let meta = std::fs::read_to_string(
        local
            .path()
            .join(".cache/huggingface/download/weights/model.bin.metadata"),
    )
    .unwrap();
    let lines: Vec<&str> = meta.lines().collect();
    assert_eq!(&lines[..2], [f.commit.as_str(), sha256(&f.big).as_str()]);
    let gets = body_gets(&f.sim);
    hub.snapshot(&repo())
        .local_dir(local.path())
        .exclude("*.txt")
        .await
        .unwrap();
    assert_eq!(
        body_gets(&f.sim),
        gets,
        "a warm local folder downloads nothing"
    );
    assert!(!f.cache.path().join("models--sim-user--dl").exists());
}
