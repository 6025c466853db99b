//! Xet against LFS on loopback (feature `xet`): a file uploaded, then re-uploaded with 1 MiB
//! changed in the middle — bytes sent and wall time through each — and the download of the
//! changed file through Xet against the CDN path. The simulator runs in this process (its
//! CAS origin is `hf-xet`'s own local CAS server, in memory). See benches/README.md.
//!
//! `cargo bench --features xet --bench xet` runs 1 GiB (`BENCH_XET_MIB` changes it); without
//! `--bench` (e.g. `cargo test --benches`) it is a smoke run of 16 MiB.

#[cfg(not(feature = "xet"))]
fn main() {
    println!("the xet bench needs the xet feature: cargo bench --features xet --bench xet");
}

#[cfg(feature = "xet")]
fn main() {
    bench::run();
}

#[cfg(feature = "xet")]
#[path = "support/noise.rs"]
mod noise;

#[cfg(feature = "xet")]
mod bench {
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Instant;

    use hf_hub_api::repo::Repo;
    use hf_hub_api::{Hub, Phase, ProgressEvent, ProgressObserver};
    use hf_hub_sim::{DEFAULT_TOKEN, RepoType, SimConfig, SimHandle, Simulator};

    use super::noise::noise;

    const REPO: &str = "sim-user/xet-bench";
    const FILE: &str = "model.safetensors";

    /// Bytes the commit handed to the connection while uploading (the LFS path's bytes sent).
    #[derive(Default)]
    struct Sent(AtomicU64);

    impl ProgressObserver for Sent {
        fn on_event(&self, event: &ProgressEvent) {
            if let ProgressEvent::FileBytes {
                phase: Phase::Uploading,
                bytes,
                ..
            } = event
            {
                self.0.fetch_add(*bytes, Ordering::Relaxed);
            }
        }
    }

    struct Row {
        what: String,
        bytes: Option<u64>,
        secs: f64,
    }

    fn hub(sim: &SimHandle, cache: &Path, xet: bool) -> Hub {
        Hub::builder()
            .endpoint(sim.endpoint().as_str())
            .token(DEFAULT_TOKEN)
            .cache_dir(cache)
            .xet(xet)
            .build()
            .expect("hub")
    }

    async fn upload(hub: &Hub, file: &Path) -> (f64, u64) {
        let sent = Arc::new(Sent::default());
        let start = Instant::now();
        hub.commit(Repo::model(REPO).expect("repo"))
            .summary("bench upload")
            .add_file(FILE, file)
            .progress_shared(sent.clone())
            .push()
            .await
            .expect("upload");
        (
            start.elapsed().as_secs_f64(),
            sent.0.load(Ordering::Relaxed),
        )
    }

    async fn download(hub: &Hub) -> f64 {
        let start = Instant::now();
        hub.download(&Repo::model(REPO).expect("repo"), FILE)
            .await
            .expect("download");
        start.elapsed().as_secs_f64()
    }

    pub(super) fn run() {
        let full = std::env::args().any(|a| a == "--bench");
        let mib: usize = std::env::var("BENCH_XET_MIB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if full { 1024 } else { 16 });
        let size = (mib << 20) as u64;
        let dir = tempfile::tempdir().expect("tempdir");
        let v1 = dir.path().join("v1.bin");
        let v2 = dir.path().join("v2.bin");
        let mut data = vec![0u8; mib << 20];
        noise(&mut data, 0xB16);
        std::fs::write(&v1, &data).expect("write v1");
        let middle = data.len() / 2;
        let changed = (1usize << 20).min(data.len() / 4);
        noise(&mut data[middle..middle + changed], 0xC4A);
        std::fs::write(&v2, &data).expect("write v2");
        drop(data);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut rows = Vec::new();
        runtime.block_on(async {
            // LFS: the Hub does not offer Xet.
            {
                let sim = Simulator::start(
                    SimConfig::default()
                        .lfs_threshold(1 << 20)
                        .max_recorded_requests(0),
                )
                .expect("simulator");
                sim.create_repo(RepoType::Model, REPO, false).expect("repo");
                let cache = tempfile::tempdir().expect("cache");
                let hub = hub(&sim, cache.path(), true);
                let (t, b) = upload(&hub, &v1).await;
                rows.push(Row {
                    what: "LFS upload".into(),
                    bytes: Some(b),
                    secs: t,
                });
                let (t, b) = upload(&hub, &v2).await;
                rows.push(Row {
                    what: "LFS re-upload, 1 MiB changed".into(),
                    bytes: Some(b),
                    secs: t,
                });
                let cold = tempfile::tempdir().expect("cache");
                let t = download(&self::hub(&sim, cold.path(), false)).await;
                rows.push(Row {
                    what: "CDN download (LFS repo)".into(),
                    bytes: None,
                    secs: t,
                });
            }
            // Xet.
            let sim = Simulator::start(
                SimConfig::default()
                    .lfs_threshold(1 << 20)
                    .max_recorded_requests(0)
                    .xet(true),
            )
            .expect("simulator");
            sim.create_repo(RepoType::Model, REPO, false).expect("repo");
            let cache = tempfile::tempdir().expect("cache");
            let hub = hub(&sim, cache.path(), true);
            let (t, _) = upload(&hub, &v1).await;
            let first = sim.xet_bytes_received();
            rows.push(Row {
                what: "Xet upload".into(),
                bytes: Some(first),
                secs: t,
            });
            let (t, _) = upload(&hub, &v2).await;
            let second = sim.xet_bytes_received() - first;
            rows.push(Row {
                what: "Xet re-upload, 1 MiB changed".into(),
                bytes: Some(second),
                secs: t,
            });
            let cold = tempfile::tempdir().expect("cache");
            let t = download(&self::hub(&sim, cold.path(), true)).await;
            rows.push(Row {
                what: "Xet download".into(),
                bytes: None,
                secs: t,
            });
            let cold = tempfile::tempdir().expect("cache");
            let t = download(&self::hub(&sim, cold.path(), false)).await;
            rows.push(Row {
                what: "CDN download (same repo, Xet off)".into(),
                bytes: None,
                secs: t,
            });
        });
        println!("xet bench: {mib} MiB file, 1 MiB changed in the middle for the re-upload");
        println!("| case | bytes sent | % of file | wall time | MiB/s |");
        println!("|---|---|---|---|---|");
        for r in &rows {
            let (bytes, pct) = match r.bytes {
                Some(b) => (
                    b.to_string(),
                    format!("{:.2} %", b as f64 * 100.0 / size as f64),
                ),
                None => ("-".into(), "-".into()),
            };
            println!(
                "| {} | {bytes} | {pct} | {:.2} s | {:.0} |",
                r.what,
                r.secs,
                mib as f64 / r.secs
            );
        }
    }
}
