//! Kernel repositories end to end on the Hub simulator: created, committed to (a regular file
//! and an LFS file), listed from the tree root, and downloaded — through the same generated
//! operations as models, with the `kernels/` prefix on the web routes and `/api/kernels/…` on
//! the API ones.

use futures::{StreamExt, TryStreamExt};
use hf_hub_api::Hub;
use hf_hub_api::repo::Repo;
use hf_hub_api::types::CreateRepoKernel;
use hf_hub_sim::{RepoType, SimConfig, Simulator};

const REPO: &str = "sim-user/flash-attn";

async fn bytes(mut s: hf_hub_api::ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = s.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

#[tokio::test]
async fn a_kernel_repo_takes_a_commit_lists_its_tree_and_serves_its_files() {
    let sim = Simulator::start(SimConfig::default().lfs_threshold(1024)).unwrap();
    let hub = Hub::builder()
        .endpoint(sim.endpoint().as_str())
        .token(sim.token().unwrap())
        .build()
        .unwrap();
    let created = hub
        .create_repo(CreateRepoKernel::new("flash-attn"))
        .await
        .unwrap();
    assert!(
        created.url.ends_with("/kernels/sim-user/flash-attn"),
        "{}",
        created.url
    );
    assert!(sim.repo_exists(RepoType::Kernel, REPO));

    let repo = Repo::kernel(REPO).unwrap();
    let weights: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let info = hub
        .commit(repo.clone())
        .summary("Add the build")
        .add_bytes("build.toml", "[general]\nname = \"flash-attn\"\n")
        .add_bytes("build/torch/_ops.so", weights.clone())
        .push()
        .await
        .unwrap();
    assert_eq!(
        sim.head(RepoType::Kernel, REPO, "main").as_deref(),
        Some(info.oid.as_str())
    );
    let stored = sim
        .file(RepoType::Kernel, REPO, "main", "build/torch/_ops.so")
        .unwrap();
    assert!(stored.lfs.is_some(), "the large file went through LFS");

    // The tree root is asked for as `…/tree/main`, without a trailing slash.
    sim.reset_requests();
    let entries: Vec<_> = hub
        .list_repo_tree(&repo, "main", "")
        .recursive(true)
        .items()
        .try_collect()
        .await
        .unwrap();
    let mut paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            ".gitattributes",
            "build",
            "build.toml",
            "build/torch",
            "build/torch/_ops.so"
        ]
    );
    let tree = sim
        .hub_requests()
        .into_iter()
        .find(|r| r.path_and_query.contains("/tree/"))
        .unwrap();
    assert!(
        tree.path_and_query
            .starts_with("/api/kernels/sim-user/flash-attn/tree/main?"),
        "{}",
        tree.path_and_query
    );

    // Downloads: the web routes carry the `kernels/` prefix, and the file path keeps its `/`.
    let body = hub
        .resolve_file(&repo, "main", "build/torch/_ops.so")
        .await
        .unwrap();
    assert_eq!(bytes(body).await, weights);
    let meta = hub
        .get_file_metadata(&repo, "main", "build.toml")
        .await
        .unwrap();
    assert_eq!(meta.status(), 200);
    assert_eq!(meta.x_repo_commit, info.oid);
    assert!(meta.file_etag().is_some());
    let lfs = hub
        .get_file_metadata(&repo, "main", "build/torch/_ops.so")
        .await
        .unwrap();
    assert_eq!(lfs.file_size(), Some(weights.len() as u64));
    let downloads: Vec<String> = sim
        .hub_requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains("/resolve/"))
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect();
    assert_eq!(
        downloads,
        [
            "GET /kernels/sim-user/flash-attn/resolve/main/build/torch/_ops.so",
            "HEAD /kernels/sim-user/flash-attn/resolve/main/build.toml",
            "HEAD /kernels/sim-user/flash-attn/resolve/main/build/torch/_ops.so",
        ]
    );
}
