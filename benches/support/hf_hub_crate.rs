//! The `hf-hub` crate 1.0 as a measured client: a throwaway crate written and built (release)
//! under `target/bench-hf-hub/` at bench time, never a dependency of ours. Shared by the bench
//! binaries (`#[path = "support/hf_hub_crate.rs"] mod hf_hub_crate;`).
//!
//! The binary it builds, `hf-hub-bench`, takes one case per run and prints `seconds peak_kib`
//! (the wall time of the one call, `VmHWM` reset just before it):
//!
//! - `snapshot|file ENDPOINT TOKEN REPO FILE CACHE`: `snapshot_download` / `download_file`;
//! - `upload ENDPOINT TOKEN REPO FOLDER`: `upload_folder` of FOLDER to the root of REPO. When
//!   the call fails it prints `failed <the error, on one line>` and exits with status 3.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes and builds the measurement crate; answers the path of its binary.
pub fn build(manifest: &Path) -> PathBuf {
    let dir = manifest.join("target/bench-hf-hub");
    std::fs::create_dir_all(dir.join("src")).expect("dir");
    std::fs::write(dir.join("Cargo.toml"), TOML).expect("toml");
    std::fs::write(dir.join("src/main.rs"), MAIN).expect("main");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .status()
        .expect("cargo");
    assert!(
        status.success(),
        "building the hf-hub measurement crate failed"
    );
    dir.join("target/release/hf-hub-bench")
}

const TOML: &str = r#"[package]
name = "hf-hub-bench"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
hf-hub = "=1.0.0"
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
"#;

const MAIN: &str = r#"
// hf-hub-bench snapshot|file ENDPOINT TOKEN REPO FILE CACHE
// hf-hub-bench upload ENDPOINT TOKEN REPO FOLDER
// Prints `seconds peak_kib`, or `failed <error>` (exit status 3).
fn hwm() -> u64 {
    std::fs::read_to_string("/proc/self/status").ok().and_then(|t| {
        t.lines().find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }).unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (case, endpoint, token, repo) = (&a[1], &a[2], &a[3], &a[4]);
    let client = hf_hub::HFClient::builder()
        .endpoint(endpoint.as_str()).token(token.as_str());
    let client = if case == "upload" { client } else { client.cache_dir(&a[6]) };
    let client = client.build().unwrap();
    let (owner, name) = repo.split_once('/').unwrap();
    let repo = client.model(owner, name);
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let started = std::time::Instant::now();
    if case == "snapshot" {
        repo.snapshot_download().send().await.unwrap();
    } else if case == "file" {
        repo.download_file().filename(a[5].clone()).send().await.unwrap();
    } else {
        let sent = repo
            .upload_folder()
            .folder_path(a[5].as_str())
            .commit_message("commit bench (hf-hub)")
            .send()
            .await;
        if let Err(e) = sent {
            println!("failed {}", e.to_string().replace('\n', " "));
            std::process::exit(3);
        }
    }
    println!("{} {}", started.elapsed().as_secs_f64(), hwm());
}
"#;
