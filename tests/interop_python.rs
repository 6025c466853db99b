//! Proof from a client nobody here wrote: the official Python `huggingface_hub` drives our
//! Hub simulator (paginated `list_models`, `create_commit` with regular and LFS files and
//! deletes, `list_repo_tree`, `list_repo_commits`), and the simulator's state agrees; and it
//! shares one download cache with us, both ways.
//!
//! `.ci/interop` installs the pinned client in a virtual environment and runs this test with
//! `HF_INTEROP_PYTHON` pointing at that environment's interpreter. Without it the test says
//! so and passes: it needs PyPI, which `cargo test` alone must not.

use std::path::{Path, PathBuf};
use std::process::Command;

use hf_hub_sim::{RepoType, SimConfig, Simulator};

#[test]
fn the_official_python_client_speaks_to_the_simulator() {
    let Some(python) = std::env::var_os("HF_INTEROP_PYTHON") else {
        eprintln!("HF_INTEROP_PYTHON not set: run .ci/interop for the interop test");
        return;
    };
    let seeded = 2_345; // three pages of 1,000
    let sim = Simulator::start(
        SimConfig::default()
            .seed_models(seeded)
            .lfs_threshold(1024 * 1024),
    )
    .unwrap();
    let token = sim.token().unwrap().to_string();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/official_client.py"
    );
    let output = Command::new(python)
        .arg(script)
        .arg(sim.endpoint().as_str().trim_end_matches('/'))
        .arg(&token)
        .arg(seeded.to_string())
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("HF_HUB_DISABLE_XET", "1")
        .env(
            "HF_HOME",
            std::env::temp_dir().join("hf-hub-api-interop-home"),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the official client failed:\n{stdout}\n{stderr}"
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["listed_models"], seeded);
    // Three pages of models were served, following our Link headers.
    assert!(sim.requests("list_models") >= 3);
    // The simulator's own view agrees with what the client saw.
    let user = seen["whoami"].as_str().unwrap();
    let repo = format!("{user}/interop");
    let files = sim.files(RepoType::Model, &repo, "main").unwrap();
    let mut paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ".gitattributes",
            "README.md",
            "notes/a.txt",
            "weights/model.bin"
        ]
    );
    let weights = files
        .iter()
        .find(|f| f.path == "weights/model.bin")
        .unwrap();
    assert!(weights.lfs.is_some(), "the large file went through LFS");
    assert!(sim.commits(RepoType::Model, &repo, "main").unwrap().len() >= 2);
    // The official client never sent its token to the storage origin either.
    assert!(
        sim.storage_requests()
            .iter()
            .all(|r| !r.has_authorization())
    );
}

/// Runs `tests/interop/cache_interop.py` with the official client; its JSON answer.
fn cache_script(python: &std::ffi::OsStr, args: &[&str]) -> serde_json::Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/cache_interop.py"
    );
    let output = Command::new(python)
        .arg(script)
        .args(args)
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("HF_HUB_DISABLE_XET", "1")
        .env_remove("HF_HUB_OFFLINE")
        .env_remove("HF_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.to_string_lossy()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the official client failed:\n{stdout}\n{stderr}"
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn the_official_client_and_we_share_one_cache_both_ways() {
    let Some(python) = std::env::var_os("HF_INTEROP_PYTHON") else {
        eprintln!("HF_INTEROP_PYTHON not set: run .ci/interop for the interop test");
        return;
    };
    let sim = Simulator::start(SimConfig::default().lfs_threshold(4096)).unwrap();
    let repo_id = "sim-user/shared";
    sim.create_repo(RepoType::Model, repo_id, false).unwrap();
    let big: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("config.json", b"{\"layers\": 2}".to_vec()),
        ("nested/dir/a b.txt", b"spaces in a name\n".to_vec()),
        ("weights/model.safetensors", big),
    ];
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (*p, c.as_slice())).collect();
    let commit = sim
        .commit_files(RepoType::Model, repo_id, "main", "files", &borrowed)
        .unwrap();
    let repo = hf_hub_api::repo::Repo::model(repo_id).unwrap();
    let token = sim.token().unwrap().to_string();
    let hub_with = |cache: &Path, offline: bool| {
        hf_hub_api::Hub::builder()
            .endpoint(sim.endpoint().as_str())
            .token(token.clone())
            .cache_dir(cache)
            .offline(offline)
            .build()
            .unwrap()
    };

    // Ours, read by the official client without a request.
    let ours = tempfile::tempdir().unwrap();
    let folder = hub_with(ours.path(), false).snapshot(&repo).await.unwrap();
    let mut args = vec!["read", ours.path().to_str().unwrap(), repo_id];
    args.extend(files.iter().map(|(p, _)| *p));
    let before = sim.hub_requests().len();
    let seen = cache_script(&python, &args);
    assert_eq!(
        sim.hub_requests().len(),
        before,
        "local_files_only sent nothing"
    );
    assert_eq!(PathBuf::from(seen["folder"].as_str().unwrap()), folder);
    for (path, content) in &files {
        let entry = &seen["files"][*path];
        assert_eq!(entry["sha256"], sha256_hex(content), "{path}");
        assert_eq!(
            PathBuf::from(entry["path"].as_str().unwrap()),
            folder.join(path)
        );
    }

    // Theirs, read by us offline.
    let theirs = tempfile::tempdir().unwrap();
    let endpoint = sim.endpoint().to_string();
    let written = cache_script(
        &python,
        &[
            "write",
            theirs.path().to_str().unwrap(),
            repo_id,
            endpoint.trim_end_matches('/'),
            &token,
        ],
    );
    let their_folder = PathBuf::from(written["folder"].as_str().unwrap());
    assert!(their_folder.ends_with(format!("models--sim-user--shared/snapshots/{commit}")));
    let offline = hub_with(theirs.path(), true);
    let before = sim.hub_requests().len();
    assert_eq!(offline.snapshot(&repo).await.unwrap(), their_folder);
    for (path, content) in &files {
        let local = offline.download(&repo, path).await.unwrap();
        assert_eq!(local, their_folder.join(path));
        assert_eq!(&std::fs::read(&local).unwrap(), content, "{path}");
    }
    assert_eq!(sim.hub_requests().len(), before, "offline sent nothing");
}
