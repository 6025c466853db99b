//! The files of one folder of a repository, page by page:
//! `cargo run --example folder_tree -- openai/whisper-tiny main onnx`.

use futures::TryStreamExt;
use hf_hub_api::repo::Repo;
use hf_hub_api::types::TreeEntryType;
use hf_hub_api::{Hub, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let repo = Repo::model(&args.next().unwrap_or_else(|| "openai/whisper-tiny".into()))?;
    let revision = args.next().unwrap_or_else(|| "main".into());
    let folder = args.next().unwrap_or_default(); // "" is the root
    let hub = Hub::from_env()?;
    let mut entries = hub
        .list_repo_tree(&repo, &revision, &folder)
        .expand(true) // last commit and security status of each entry
        .items();
    while let Some(e) = entries.try_next().await? {
        let kind = match e.type_ {
            TreeEntryType::Directory => "dir ".to_string(),
            _ => format!("{:>10}", e.size.unwrap_or_default()),
        };
        let lfs = if e.lfs.is_some() { " (LFS)" } else { "" };
        println!("{kind}  {}{lfs}", e.path);
    }
    Ok(())
}
