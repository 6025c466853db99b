//! The README's first command: `cargo run --example tour`.
//!
//! Starts a Hub simulator on 127.0.0.1 (no account, no network), then does what a user of the
//! crate does: create a repository, push regular files and one large file through LFS in one
//! streamed commit with progress, list the tree page by page, list the commits, open a pull
//! request, download the whole snapshot back into a Hugging Face cache (then once more, warm),
//! and print a summary.
//!
//! Against a real Hub: `HF_ENDPOINT=https://huggingface.co HF_TOKEN=hf_… cargo run --example
//! tour -- --repo you/scratch-repo` (the repository is created if it does not exist).

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures::TryStreamExt;
use hf_hub_api::commit::{Phase, ProgressEvent};
use hf_hub_api::repo::{Repo, RepoId};
use hf_hub_api::types::{CreateRepoModel, TreeEntryType};
use hf_hub_api::{Hub, HubErrorKind};
use hf_hub_sim::{SimConfig, Simulator};

const LARGE_FILE: usize = 24 * 1024 * 1024 + 123;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let repo_flag = args
        .iter()
        .position(|a| a == "--repo")
        .and_then(|i| args.get(i + 1).cloned());

    // A simulator unless HF_ENDPOINT says where the Hub is.
    let cache = tempfile::tempdir()?;
    let (_sim, hub, repo_id) = match std::env::var("HF_ENDPOINT") {
        Ok(endpoint) => {
            let repo = repo_flag.ok_or("with HF_ENDPOINT set, pass --repo namespace/name")?;
            println!("Hub: {endpoint} (from HF_ENDPOINT)");
            let hub = Hub::builder().from_env().cache_dir(cache.path()).build()?;
            (None, hub, RepoId::new(repo)?)
        }
        Err(_) => {
            let sim = Simulator::start(
                SimConfig::default()
                    .lfs_threshold(1024 * 1024)
                    .multipart_threshold(16 * 1024 * 1024)
                    .multipart_chunk_size(8 * 1024 * 1024),
            )?;
            let token = sim.token().ok_or("the simulator has no user")?.to_string();
            let hub = Hub::builder()
                .endpoint(sim.endpoint().as_str())
                .token(token)
                .cache_dir(cache.path())
                .build()?;
            println!("Hub: a local simulator at {}", sim.endpoint());
            let repo = RepoId::new(format!("{}/tour", hf_hub_sim::DEFAULT_USER))?;
            (Some(sim), hub, repo)
        }
    };
    let me = hub.whoami().await?;
    println!("Logged in as {}", me.name);

    // 1. Create the repository (an existing one is fine).
    let mut body = CreateRepoModel::new(repo_id.name()).private(false);
    if repo_id.namespace() != me.name {
        body = body.organization(repo_id.namespace());
    }
    match hub.create_repo(body).await {
        Ok(_) => println!("Created {repo_id}"),
        Err(e) if e.status() == Some(409) => println!("{repo_id} already exists"),
        Err(e) => return Err(e.into()),
    }

    // 2. One commit: regular files inline, one large file through LFS (multipart).
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("README.md"),
        "# Tour\n\nPushed by hf-hub-api.\n",
    )?;
    std::fs::write(dir.path().join("config.json"), r#"{"hidden_size": 64}"#)?;
    std::fs::create_dir_all(dir.path().join("src"))?;
    std::fs::write(dir.path().join("src/train.py"), "print('training')\n")?;
    let mut large = vec![0u8; LARGE_FILE];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in large.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    std::fs::write(dir.path().join("model.safetensors"), &large)?;
    drop(large);

    let repo = Repo::model(repo_id.as_str())?;
    let uploaded = Arc::new(AtomicU64::new(0));
    let seen = uploaded.clone();
    let info = hub
        .commit(repo.clone())
        .summary("Tour: first files")
        .upload_folder(dir.path(), "", Vec::new(), Vec::new(), Vec::new())
        .progress(move |event: &ProgressEvent| match event {
            ProgressEvent::PhaseStarted {
                phase,
                files,
                bytes,
            } if *phase != Phase::Done => {
                println!(
                    "  {:<10} {files} item(s), {}",
                    phase.as_str(),
                    human(*bytes)
                );
            }
            ProgressEvent::FileBytes {
                phase: Phase::Uploading,
                bytes,
                file_size,
                ..
            } => {
                let done = seen.fetch_add(*bytes, Ordering::Relaxed) + bytes;
                // One line per 8 MiB uploaded.
                if let Some(total) = file_size
                    && done / (8 << 20) != (done - bytes) / (8 << 20)
                {
                    println!(
                        "  uploading  {} / {}",
                        human(done.min(*total)),
                        human(*total)
                    );
                    let _ = std::io::stdout().flush();
                }
            }
            ProgressEvent::FileDone {
                phase: Phase::Uploading,
                path,
                size,
            } => {
                println!("  stored     {path} in LFS ({})", human(*size));
            }
            _ => {}
        })
        .push()
        .await?;
    println!("Committed {} ({})", short(&info.oid), info.url);

    // 3. The tree, two entries per page to show the pagination.
    let mut pages = hub
        .list_repo_tree(&repo, "main", "")
        .recursive(true)
        .limit(2)
        .pages();
    let mut page_count = 0;
    let mut entries = Vec::new();
    while let Some(page) = pages.try_next().await? {
        page_count += 1;
        entries.extend(page.into_items());
    }
    println!("Tree ({} entries in {page_count} page(s)):", entries.len());
    for e in &entries {
        let lfs = if e.lfs.is_some() { "  [LFS]" } else { "" };
        let size = match e.type_ {
            TreeEntryType::Directory => "dir".to_string(),
            _ => e.size.map(|s| human(s as u64)).unwrap_or_default(),
        };
        println!("  {size:>10}  {}{lfs}", e.path);
    }

    // 4. A pull request.
    let pr = hub
        .commit(repo.clone())
        .summary("Tour: a suggested change")
        .add_bytes(
            "README.md",
            "# Tour\n\nPushed by hf-hub-api, then improved in a PR.\n",
        )
        .create_pr(true)
        .push()
        .await?;
    let pr_url = pr.pull_request_url.clone().unwrap_or_default();
    println!("Opened a pull request: {pr_url}");

    // 5. History.
    let commits: Vec<_> = hub
        .list_repo_commits(&repo, "main")
        .items()
        .try_collect()
        .await?;
    println!("Commits on main:");
    for c in &commits {
        println!("  {}  {}", short(&c.id), c.title);
    }

    // 6. A stale parent is refused, not applied.
    let stale = hub
        .commit(repo.clone())
        .summary("Tour: from an old parent")
        .parent_commit("0000000000000000000000000000000000000000")
        .add_bytes("late.txt", "too late")
        .push()
        .await;
    if let Err(e) = &stale
        && matches!(e.kind(), Some(HubErrorKind::CommitConflict { .. }))
    {
        println!("A commit on a stale parent was refused (412), as it should be");
    }

    // 7. Download what was committed: the whole snapshot into a (temporary) Hugging Face
    //    cache, byte for byte, then again: a warm cache downloads nothing.
    let fetched = Instant::now();
    let folder = hub.snapshot(&repo).await?;
    let cold = fetched.elapsed();
    for name in [
        "README.md",
        "config.json",
        "src/train.py",
        "model.safetensors",
    ] {
        let theirs = std::fs::read(folder.join(name))?;
        if theirs != std::fs::read(dir.path().join(name))? {
            return Err(format!("{name} came back different").into());
        }
    }
    let fetched = Instant::now();
    hub.snapshot(&repo).await?;
    println!(
        "Downloaded the snapshot to {} ({cold:.1?}; again from the cache in {:.1?}); \
         every file matches what was pushed",
        folder.display(),
        fetched.elapsed()
    );

    println!();
    println!("Summary");
    println!("  repository     {repo_id}");
    let files = entries
        .iter()
        .filter(|e| e.type_ == TreeEntryType::File)
        .count();
    println!(
        "  files          {files} (1 through LFS, {})",
        human(LARGE_FILE as u64)
    );
    println!("  tree pages     {page_count}");
    println!("  commits        {}", commits.len());
    println!(
        "  pull request   {}",
        pr.pull_request_revision.as_deref().unwrap_or(&pr_url)
    );
    println!("  took           {:.1?}", started.elapsed());
    Ok(())
}

fn short(oid: &str) -> &str {
    oid.get(..10).unwrap_or(oid)
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
