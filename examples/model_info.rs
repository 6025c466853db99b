//! A model's card facts: `cargo run --example model_info -- google/gemma-2-2b-it`.
//!
//! Needs a Hub (`HF_ENDPOINT`, default huggingface.co); a token only for private models.

use hf_hub_api::repo::RepoId;
use hf_hub_api::{Hub, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "gpt2/gpt2".into());
    let hub = Hub::from_env()?;
    // Required inputs in the call, optional ones as named setters, then `.await`.
    let model = hub
        .model_info(&RepoId::new(id)?)
        .expand(["downloads", "likes", "pipeline_tag", "siblings"])
        .await?;
    println!("{}", model.id);
    println!("  downloads  {}", model.downloads.unwrap_or_default());
    println!("  likes      {}", model.likes.unwrap_or_default());
    println!(
        "  pipeline   {}",
        model.pipeline_tag.as_deref().unwrap_or("-")
    );
    println!("  files      {}", model.siblings.len());
    Ok(())
}
