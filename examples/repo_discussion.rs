//! Creates a model repository and opens a discussion on it:
//! `HF_TOKEN=… cargo run --example repo_discussion --features discussions -- me/scratch`.

use hf_hub_api::repo::Repo;
use hf_hub_api::types::{CreateRepoDiscussionsBody, CreateRepoModel};
use hf_hub_api::{Hub, HubErrorKind, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "me/scratch".into());
    let repo = Repo::model(&id)?;
    let hub = Hub::from_env()?;
    let me = hub.whoami().await?;

    // A typed body: the required name, then what differs from the defaults.
    let mut body = CreateRepoModel::new(repo.id.name()).private(true);
    if repo.id.namespace() != me.name {
        body = body.organization(repo.id.namespace());
    }
    match hub.create_repo(body).await {
        Ok(created) => println!("created {}", created.url),
        Err(e) if e.kind() == Some(&HubErrorKind::Conflict) => println!("{id} exists already"),
        Err(e) => return Err(e),
    }

    // Constrained fields (a title of at most 200 characters) are checked when parsed.
    let discussion = CreateRepoDiscussionsBody::new(
        "Opened by hf-hub-api's example.".parse()?,
        "Hello from Rust".parse()?,
    );
    let opened = hub.create_repo_discussions(&repo, discussion).await?;
    println!("opened #{}: {}", opened.num, opened.url);
    Ok(())
}
