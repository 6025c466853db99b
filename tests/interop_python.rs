//! Proof from a client nobody here wrote: the official Python `huggingface_hub` drives our
//! Hub simulator (paginated `list_models`, `create_commit` with regular and LFS files and
//! deletes, `list_repo_tree`, `list_repo_commits`), and the simulator's state agrees.
//!
//! `.ci/interop` installs the pinned client in a virtual environment and runs this test with
//! `HF_INTEROP_PYTHON` pointing at that environment's interpreter. Without it the test says
//! so and passes: it needs PyPI, which `cargo test` alone must not.

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
