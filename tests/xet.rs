//! Xet storage end to end on loopback: the simulator's CAS origin in front of `hf-xet`'s own
//! local CAS server. With the `xet` feature: uploads through Xet and downloads back
//! byte-identical (never through the CDN), deduplicated re-uploads, token refresh when the
//! first token has expired, a CAS failure that commits nothing, Xet switched off. With or
//! without it: the LFS path when the Hub does not offer Xet.

use hf_hub_api::Hub;
use hf_hub_api::repo::Repo;
use hf_hub_sim::{DEFAULT_TOKEN, RepoType, SimConfig, SimHandle, Simulator, routes};

mod data;
use data::{noise, sha256};

const REPO: &str = "sim-user/xet";

fn sim(config: SimConfig) -> SimHandle {
    let sim = Simulator::start(config.lfs_threshold(1024)).unwrap();
    sim.create_repo(RepoType::Model, REPO, false).unwrap();
    sim
}

fn builder(sim: &SimHandle, cache: &std::path::Path) -> hf_hub_api::HubBuilder {
    Hub::builder()
        .endpoint(sim.endpoint().as_str())
        .token(DEFAULT_TOKEN)
        .cache_dir(cache)
        .retry(hf_hub_api::retry::RetryPolicy::disabled())
}

fn repo() -> Repo {
    Repo::model(REPO).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_xet_offered_the_commit_uses_lfs() {
    let sim = sim(SimConfig::default());
    let cache = tempfile::tempdir().unwrap();
    let hub = builder(&sim, cache.path()).build().unwrap();
    let big = noise(3 << 20, 1);
    hub.commit(repo())
        .summary("upload")
        .add_bytes("model.bin", big.clone())
        .push()
        .await
        .unwrap();
    let stored = sim
        .file(RepoType::Model, REPO, "main", "model.bin")
        .unwrap();
    assert_eq!(stored.content.as_ref(), big.as_slice());
    assert_eq!(sim.requests(routes::STORAGE_PUT), 1);
    assert_eq!(sim.xet_hash(&sha256(&big)), None);
    assert_eq!(sim.requests(routes::XET_WRITE_TOKEN), 0);
}

#[cfg(feature = "xet")]
mod with_xet {
    use super::*;
    use hf_hub_sim::Fault;

    /// Requests of the CAS origin that carried the Hub token: there must be none.
    fn hub_token_at_cas(sim: &SimHandle) -> usize {
        sim.xet_requests()
            .iter()
            .filter(|r| {
                r.header("authorization")
                    .is_some_and(|v| v.contains(DEFAULT_TOKEN))
            })
            .count()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn upload_through_xet_then_download_back_byte_identical() {
        let sim = sim(SimConfig::default().xet(true));
        let cache = tempfile::tempdir().unwrap();
        let hub = builder(&sim, cache.path()).build().unwrap();
        let big = noise(3 << 20, 2);
        let info = hub
            .commit(repo())
            .summary("upload")
            .add_bytes("weights/model.bin", big.clone())
            .add_bytes("config.json", "{}")
            .push()
            .await
            .unwrap();
        // Through Xet: no LFS storage upload, the CAS got the bytes, the commit resolves.
        assert_eq!(sim.requests(routes::STORAGE_PUT), 0);
        assert_eq!(sim.requests(routes::STORAGE_PART), 0);
        assert!(sim.requests(routes::XET_SHARD) >= 1);
        assert!(sim.xet_bytes_received() >= big.len() as u64);
        let xet_hash = sim.xet_hash(&sha256(&big)).expect("registered through Xet");
        let stored = sim
            .file(RepoType::Model, REPO, "main", "weights/model.bin")
            .unwrap();
        assert_eq!(stored.content.as_ref(), big.as_slice());
        assert_eq!(stored.lfs.unwrap().oid, sha256(&big));
        assert_eq!(hub_token_at_cas(&sim), 0);
        // Every authenticated CAS request carried a Xet token.
        assert!(
            sim.xet_requests()
                .iter()
                .filter(|r| r.path_and_query.starts_with("/v1/shards")
                    || r.path_and_query.starts_with("/v2/shards"))
                .all(|r| r
                    .header("authorization")
                    .is_some_and(|v| v.starts_with("Bearer xet_sim_token_")))
        );

        // A new client and cache: the download goes through Xet, not the CDN.
        let cache2 = tempfile::tempdir().unwrap();
        let reader = builder(&sim, cache2.path()).build().unwrap();
        let meta = reader
            .get_file_metadata(&repo(), "main", "weights/model.bin")
            .await
            .unwrap();
        assert_eq!(meta.x_xet_hash.as_deref(), Some(xet_hash.as_str()));
        let path = reader.download(&repo(), "weights/model.bin").await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), big);
        assert!(
            path.starts_with(
                cache2
                    .path()
                    .join(format!("models--sim-user--xet/snapshots/{}", info.oid))
            )
        );
        assert_eq!(sim.requests(routes::STORAGE_GET), 0, "the CDN was not used");
        assert!(sim.requests(routes::XET_READ_TOKEN) >= 1);
        assert!(sim.requests(routes::XET_RECONSTRUCTION) >= 1);
        assert_eq!(hub_token_at_cas(&sim), 0);
        // No partial file is left in the blobs.
        let blobs = cache2.path().join("models--sim-user--xet/blobs");
        assert!(std::fs::read_dir(blobs).unwrap().all(|e| {
            !e.unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".incomplete")
        }));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_re_upload_with_a_small_change_sends_only_the_change() {
        let sim = sim(SimConfig::default().xet(true));
        let cache = tempfile::tempdir().unwrap();
        let hub = builder(&sim, cache.path()).build().unwrap();
        let mut big = noise(16 << 20, 3);
        hub.commit(repo())
            .summary("upload")
            .add_bytes("model.bin", big.clone())
            .push()
            .await
            .unwrap();
        let first = sim.xet_bytes_received();
        let middle = big.len() / 2;
        big[middle..middle + (256 << 10)].copy_from_slice(&noise(256 << 10, 4));
        hub.commit(repo())
            .summary("upload")
            .add_bytes("model.bin", big.clone())
            .push()
            .await
            .unwrap();
        let second = sim.xet_bytes_received() - first;
        assert!(first >= 16 << 20, "the first upload sent {first} bytes");
        assert!(
            second < (16 << 20) / 10,
            "the re-upload sent {second} bytes: more than 10% of the file"
        );
        let stored = sim
            .file(RepoType::Model, REPO, "main", "model.bin")
            .unwrap();
        assert_eq!(stored.content.as_ref(), big.as_slice());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_expired_first_token_is_refreshed_from_the_write_token_route() {
        let sim = sim(SimConfig::default().xet(true).xet_first_token_ttl(-60));
        let cache = tempfile::tempdir().unwrap();
        let hub = builder(&sim, cache.path()).build().unwrap();
        let big = noise(2 << 20, 5);
        hub.commit(repo())
            .summary("upload")
            .add_bytes("model.bin", big.clone())
            .push()
            .await
            .unwrap();
        assert!(sim.requests(routes::XET_WRITE_TOKEN) >= 1);
        // The refresh went to the Hub with the Hub token; the CAS never saw that token.
        let refreshes: Vec<_> = sim
            .hub_requests()
            .into_iter()
            .filter(|r| r.path_and_query.contains("/xet-write-token/"))
            .collect();
        assert!(
            refreshes
                .iter()
                .all(|r| r.header("authorization") == Some(&format!("Bearer {DEFAULT_TOKEN}")))
        );
        assert_eq!(hub_token_at_cas(&sim), 0);
        let stored = sim
            .file(RepoType::Model, REPO, "main", "model.bin")
            .unwrap();
        assert_eq!(stored.content.as_ref(), big.as_slice());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cas_failure_mid_upload_commits_nothing() {
        let sim = sim(SimConfig::default().xet(true));
        let cache = tempfile::tempdir().unwrap();
        let hub = builder(&sim, cache.path()).build().unwrap();
        let commits_before = sim.commits(RepoType::Model, REPO, "main").unwrap().len();
        // The data goes up, then the shard that would register the file is refused.
        sim.faults()
            .inject(routes::XET_SHARD, Fault::Status(400), 1000);
        let err = hub
            .commit(repo())
            .summary("upload")
            .add_bytes("model.bin", noise(2 << 20, 6))
            .push()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("nothing was committed"), "{err}");
        assert!(
            sim.requests(routes::XET_XORB) >= 1,
            "the data was being sent"
        );
        assert_eq!(sim.requests(routes::COMMIT), 0);
        assert_eq!(
            sim.commits(RepoType::Model, REPO, "main").unwrap().len(),
            commits_before
        );
        assert!(
            sim.file(RepoType::Model, REPO, "main", "model.bin")
                .is_none()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn xet_switched_off_uses_lfs_even_when_offered() {
        let sim = sim(SimConfig::default().xet(true));
        let cache = tempfile::tempdir().unwrap();
        let hub = builder(&sim, cache.path()).xet(false).build().unwrap();
        let big = noise(2 << 20, 7);
        hub.commit(repo())
            .summary("upload")
            .add_bytes("model.bin", big.clone())
            .push()
            .await
            .unwrap();
        assert_eq!(sim.requests(routes::STORAGE_PUT), 1);
        assert!(sim.xet_requests().is_empty());
        let path = hub.download(&repo(), "model.bin").await.unwrap();
        assert_eq!(std::fs::read(path).unwrap(), big);
        assert_eq!(sim.requests(routes::STORAGE_GET), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_download_falls_back_to_the_cdn_when_xet_cannot_start() {
        let sim = sim(SimConfig::default().xet(true));
        let cache = tempfile::tempdir().unwrap();
        let hub = builder(&sim, cache.path()).build().unwrap();
        let big = noise(2 << 20, 8);
        hub.commit(repo())
            .summary("upload")
            .add_bytes("model.bin", big.clone())
            .push()
            .await
            .unwrap();
        sim.faults()
            .inject(routes::XET_READ_TOKEN, Fault::Status(403), 1000);
        let cache2 = tempfile::tempdir().unwrap();
        let reader = builder(&sim, cache2.path()).build().unwrap();
        let path = reader.download(&repo(), "model.bin").await.unwrap();
        assert_eq!(std::fs::read(path).unwrap(), big);
        assert_eq!(sim.requests(routes::STORAGE_GET), 1);
    }
}
