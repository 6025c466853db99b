//! The endpoints the Hub serves but never documented (spec/overlay.json), against fixtures
//! shaped like real Hub answers: nulls, missing fields, unknown fields, every form of `gated`.

use futures::TryStreamExt;
use hf_hub_api::Hub;
use hf_hub_api::operations::{OPERATIONS, Origin};
use hf_hub_api::repo::{Repo, RepoId, RepoType};
use hf_hub_api::retry::RetryPolicy;
#[cfg(feature = "spaces")]
use hf_hub_api::types::SpaceInfo;
use hf_hub_api::types::{DatasetInfo, DeleteRepoBody, GatingMode, ModelInfo, ModelInfoGated};
use httpmock::prelude::*;
use serde_json::json;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/overlay/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn hub(server: &MockServer) -> Hub {
    Hub::builder()
        .endpoint(server.base_url())
        .token("hf_overlay")
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[test]
fn the_inventory_lists_the_overlay_operations() {
    let overlay: Vec<String> = OPERATIONS
        .iter()
        .filter(|o| o.origin == Origin::Overlay)
        .map(|o| format!("{} {} -> {}", o.method, o.path, o.name))
        .collect();
    for expected in [
        "GET /api/models -> list_models",
        "GET /api/datasets -> list_datasets",
        "GET /api/spaces -> list_spaces",
        "GET /api/models/{namespace}/{repo} -> model_info",
        "GET /api/models/{namespace}/{repo}/revision/{rev} -> model_info_at_revision",
        "GET /api/datasets/{namespace}/{repo} -> dataset_info",
        "GET /api/spaces/{namespace}/{repo} -> space_info",
        "DELETE /api/repos/delete -> delete_repo",
        "POST /api/{repoType}/{namespace}/{repo}/like -> like_repo",
        "DELETE /api/{repoType}/{namespace}/{repo}/like -> unlike_repo",
    ] {
        assert!(
            overlay.contains(&expected.to_string()),
            "{expected} missing from {overlay:#?}"
        );
    }
    let text = std::fs::read_to_string(format!(
        "{}/spec/operations.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert_eq!(
        text.lines().filter(|l| l.ends_with("[overlay]")).count(),
        overlay.len()
    );
}

fn id(s: &str) -> RepoId {
    RepoId::new(s).unwrap()
}

#[tokio::test]
async fn model_listing_decodes_real_shapes_across_pages() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param_missing("cursor")
            .query_param("full", "true");
        then.status(200)
            .header(
                "link",
                format!(
                    "<{}>; rel=\"next\"",
                    server.url("/api/models?full=true&cursor=abc")
                ),
            )
            .body(fixture("models_page1.json"));
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/models")
            .query_param("cursor", "abc");
        then.status(200).body(fixture("models_page2.json"));
    });
    let models: Vec<ModelInfo> = hub(&server)
        .list_models()
        .full(true)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(models.len(), 5);
    let gated: Vec<Option<ModelInfoGated>> = models.iter().map(|m| m.gated.clone()).collect();
    assert_eq!(gated[0], None, "a minimal item has no gated field");
    assert_eq!(
        gated[1],
        Some(ModelInfoGated::GatingMode(GatingMode::Manual))
    );
    assert_eq!(gated[2], Some(ModelInfoGated::Boolean(false)));
    assert_eq!(gated[3], Some(ModelInfoGated::GatingMode(GatingMode::Auto)));
    assert_eq!(models[2].pipeline_tag, None, "pipeline_tag: null decodes");
    let llama = &models[1];
    assert!(!llama.siblings.is_empty());
    assert!(
        llama.siblings.iter().any(|s| s.lfs.is_some())
            && llama.siblings.iter().any(|s| s.lfs.is_none())
    );
    assert!(llama.card_data.is_some());
    // A field the Hub added and the schema does not know is kept, not dropped.
    assert!(models.iter().any(|m| m.extra.contains_key("someNewField")));
}

#[tokio::test]
async fn dataset_listings_decode() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/datasets")
            .query_param("author", "rajpurkar");
        then.status(200).body(fixture("datasets_page.json"));
    });
    let hub = hub(&server);
    let datasets: Vec<DatasetInfo> = hub
        .list_datasets()
        .author("rajpurkar")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(!datasets.is_empty());
}

#[cfg(feature = "spaces")]
#[tokio::test]
async fn space_listings_decode() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/spaces")
            .query_param("search", "flux");
        then.status(200).body(fixture("spaces_page.json"));
    });
    let hub = hub(&server);
    let spaces: Vec<SpaceInfo> = hub
        .list_spaces()
        .search("flux")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(!spaces.is_empty());
}

#[tokio::test]
async fn info_calls_decode_rich_answers() {
    let server = MockServer::start_async().await;
    let model = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models/Qwen/Qwen2.5-7B-Instruct");
        then.status(200).body(fixture("model_info_full.json"));
    });
    let at_rev = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models/Qwen/Qwen2.5-7B-Instruct/revision/refs%2Fpr%2F3");
        then.status(200).body(fixture("model_info_full.json"));
    });
    server.mock(|when, then| {
        when.method(GET).path("/api/datasets/rajpurkar/squad");
        then.status(200).body(fixture("dataset_info.json"));
    });
    let hub = hub(&server);
    let m = hub
        .model_info(&id("Qwen/Qwen2.5-7B-Instruct"))
        .await
        .unwrap();
    assert_eq!(m.id, "Qwen/Qwen2.5-7B-Instruct");
    assert!(m.safetensors.is_some());
    assert!(m.transformers_info.is_some());
    assert!(!m.siblings.is_empty());
    model.assert_calls(1);
    hub.model_info_at_revision(&id("Qwen/Qwen2.5-7B-Instruct"), "refs/pr/3")
        .await
        .unwrap();
    at_rev.assert_calls(1);
    let d = hub.dataset_info(&id("rajpurkar/squad")).await.unwrap();
    assert_eq!(d.id, "rajpurkar/squad");
}

#[cfg(feature = "spaces")]
#[tokio::test]
async fn space_info_decodes_its_runtime() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/spaces/black-forest-labs/FLUX.1-dev");
        then.status(200).body(fixture("space_info.json"));
    });
    let hub = hub(&server);
    let s = hub
        .space_info(&id("black-forest-labs/FLUX.1-dev"))
        .await
        .unwrap();
    let runtime = s.runtime.expect("runtime");
    let text = serde_json::to_value(&runtime).unwrap();
    assert_eq!(text["stage"], "RUNNING");
    assert!(text["hardware"]["requested"].is_null());
}

#[tokio::test]
async fn delete_and_like_send_what_the_hub_expects() {
    let server = MockServer::start_async().await;
    let delete = server.mock(|when, then| {
        when.method(DELETE)
            .path("/api/repos/delete")
            .header("authorization", "Bearer hf_overlay")
            .json_body(json!({"type": "dataset", "name": "scratch", "organization": "my-org"}));
        then.status(200);
    });
    let like = server.mock(|when, then| {
        when.method(POST)
            .path("/api/models/google/gemma-2-2b-it/like");
        then.status(200).body("{}");
    });
    let unlike = server.mock(|when, then| {
        when.method(DELETE).path("/api/spaces/a/b/like");
        then.status(200);
    });
    let hub = hub(&server);
    let body = DeleteRepoBody {
        name: "scratch".into(),
        organization: Some("my-org".into()),
        type_: Some(RepoType::Dataset),
    };
    hub.delete_repo(body).await.unwrap();
    delete.assert_calls(1);
    hub.like_repo(&Repo::model("google/gemma-2-2b-it").unwrap())
        .await
        .unwrap();
    like.assert_calls(1);
    hub.unlike_repo(&Repo::space("a/b").unwrap()).await.unwrap();
    unlike.assert_calls(1);
}
