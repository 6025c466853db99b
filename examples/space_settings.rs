//! A Space's variables and secrets: set, list, delete:
//! `HF_TOKEN=… cargo run --example space_settings --features spaces -- me/my-space`.

use hf_hub_api::repo::RepoId;
use hf_hub_api::types::{DeleteSpaceSecretsBody, SpaceKeyValue};
use hf_hub_api::{Hub, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let space = RepoId::new(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "me/my-space".into()),
    )?;
    let hub = Hub::from_env()?;

    // Variables are visible to anyone who can read the Space; secrets never leave it.
    let variable = SpaceKeyValue::new("MODEL_ID".parse()?)
        .value("openai/whisper-tiny")
        .description("The model the app loads");
    hub.create_space_variables(&space, variable).await?;
    let secret = SpaceKeyValue::new("API_KEY".parse()?).value("not-a-real-key");
    hub.create_space_secrets(&space, secret).await?;

    for (key, v) in hub.get_space_variables(&space).await? {
        println!(
            "{key} = {} ({})",
            v.value,
            v.description.unwrap_or_default()
        );
    }

    hub.delete_space_variables(&space, DeleteSpaceSecretsBody::new("MODEL_ID"))
        .await?;
    hub.delete_space_secrets(&space, DeleteSpaceSecretsBody::new("API_KEY"))
        .await?;
    println!("deleted MODEL_ID and API_KEY");
    Ok(())
}
