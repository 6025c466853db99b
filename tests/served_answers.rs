//! The operations the Hub serves without documenting them (spec/overlay.json, beyond the
//! listings and infos of tests/overlay.rs): what each sends, and its answer decoded from a
//! fixture shaped like the Hub's (nulls, missing optional fields, unknown fields kept,
//! values of open enums the crate does not know yet).

use hf_hub_api::Hub;
use hf_hub_api::repo::{Repo, RepoId, RepoType};
use hf_hub_api::retry::RetryPolicy;
use hf_hub_api::types::{
    AttachmentMediaType, EditRepoDiscussionCommentBody, RequestSpaceHardwareBody,
    SetSpaceDevModeBody, SetSpaceSleepTimeBody, SpaceHardware, SpaceReplicasRequested, SpaceStage,
    SpaceStorage, ValidateYamlBody,
};
use httpmock::prelude::*;
use serde_json::json;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/served/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn hub(server: &MockServer) -> Hub {
    Hub::builder()
        .endpoint(server.base_url())
        .token("hf_served")
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn space() -> RepoId {
    RepoId::new("acme/demo").unwrap()
}

#[tokio::test]
async fn the_space_runtime_keeps_stages_and_flavors_it_does_not_know() {
    let server = MockServer::start_async().await;
    let get = server.mock(|when, then| {
        when.method(GET)
            .path("/api/spaces/acme/demo/runtime")
            .header("authorization", "Bearer hf_served");
        then.status(200).body(fixture("space_runtime.json"));
    });
    let rt = hub(&server).get_space_runtime(&space()).await.unwrap();
    get.assert_calls(1);
    assert_eq!(rt.stage, SpaceStage::RunningBuilding);
    let hw = rt.hardware.as_ref().unwrap();
    assert_eq!(hw.current, Some(SpaceHardware::A10gSmall));
    assert_eq!(
        hw.requested,
        Some(SpaceHardware::Other("h200x8".into())),
        "a flavor added after this crate is kept"
    );
    assert_eq!(hw.requested_pretty_name, None, "null decodes");
    assert_eq!(rt.storage, None::<SpaceStorage>);
    assert_eq!(rt.gc_timeout, None);
    assert_eq!(rt.dev_mode, None, "a missing field is None");
    let replicas = rt.replicas.as_ref().unwrap();
    assert_eq!(replicas.current, Some(1));
    assert!(matches!(
        replicas.requested,
        Some(SpaceReplicasRequested::ModeStringMode(_))
    ));
    let hot = rt.hot_reloading.as_ref().unwrap();
    assert_eq!(
        hot.replica_statuses[1],
        vec![Some("4f1d2c0e9a".into()), None]
    );
    assert_eq!(rt.volumes.len(), 2);
    assert!(rt.volumes[1].extra.contains_key("somethingNew"));
    assert!(rt.extra.contains_key("cpu") && rt.extra.contains_key("memory"));
    // What was decoded serialises back as the Hub wrote it.
    let back = serde_json::to_value(&rt).unwrap();
    assert_eq!(back["hardware"]["requested"], "h200x8");
    assert_eq!(back["stage"], "RUNNING_BUILDING");
    // Open enums read and write every value.
    assert_eq!(
        "l4x1".parse::<SpaceHardware>().unwrap(),
        SpaceHardware::L4x1
    );
    assert_eq!(SpaceStage::from("NEW_ONE").as_str(), "NEW_ONE");
    assert_eq!(SpaceStage::Paused.to_string(), "PAUSED");
}

#[tokio::test]
async fn runtime_changes_send_what_the_official_client_sends() {
    let server = MockServer::start_async().await;
    let runtime = fixture("space_runtime.json");
    let hardware = server.mock(|when, then| {
        when.method(POST)
            .path("/api/spaces/acme/demo/hardware")
            .json_body(json!({"flavor": "t4-small", "sleepTimeSeconds": 3600}));
        then.status(200).body(&runtime);
    });
    let future_flavor = server.mock(|when, then| {
        when.method(POST)
            .path("/api/spaces/acme/demo/hardware")
            .json_body(json!({"flavor": "b300x8"}));
        then.status(200).body(&runtime);
    });
    let sleep = server.mock(|when, then| {
        when.method(POST)
            .path("/api/spaces/acme/demo/sleeptime")
            .json_body(json!({"seconds": -1}));
        then.status(200).body(&runtime);
    });
    let pause = server.mock(|when, then| {
        when.method(POST).path("/api/spaces/acme/demo/pause");
        then.status(200).body(&runtime);
    });
    let restart = server.mock(|when, then| {
        when.method(POST)
            .path("/api/spaces/acme/demo/restart")
            .query_param("factory", "true");
        then.status(200).body(&runtime);
    });
    let dev = server.mock(|when, then| {
        when.method(POST)
            .path("/api/spaces/acme/demo/dev-mode")
            .json_body(json!({"enabled": true}));
        then.status(200).body(&runtime);
    });
    let hub = hub(&server);
    let body = RequestSpaceHardwareBody::new(SpaceHardware::T4Small).sleep_time_seconds(3600);
    hub.request_space_hardware(&space(), body).await.unwrap();
    let later = RequestSpaceHardwareBody::new(SpaceHardware::from("b300x8"));
    hub.request_space_hardware(&space(), later).await.unwrap();
    hub.set_space_sleep_time(&space(), SetSpaceSleepTimeBody::new(-1))
        .await
        .unwrap();
    hub.pause_space(&space()).await.unwrap();
    hub.restart_space(&space()).factory(true).await.unwrap();
    hub.set_space_dev_mode(&space(), SetSpaceDevModeBody::new(true))
        .await
        .unwrap();
    for m in [&hardware, &future_flavor, &sleep, &pause, &restart, &dev] {
        m.assert_calls(1);
    }
}

#[tokio::test]
async fn semantic_search_decodes_partial_results() {
    let server = MockServer::start_async().await;
    let search = server.mock(|when, then| {
        when.method(GET)
            .path("/api/spaces/semantic-search")
            .query_param("q", "caption my photos")
            .query_param("filter", "gradio")
            .query_param("includeNonRunning", "true");
        then.status(200).body(fixture("space_search.json"));
    });
    let found = hub(&server)
        .search_spaces("caption my photos")
        .filter(["gradio"])
        .include_non_running(true)
        .await
        .unwrap();
    search.assert_calls(1);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].likes, Some(12));
    let runtime = found[0].runtime.as_ref().unwrap();
    assert_eq!(runtime.stage, SpaceStage::Sleeping);
    assert_eq!(runtime.gc_timeout, Some(172_800));
    assert!(found[0].extra.contains_key("shortDescription"));
    let old = &found[1];
    assert_eq!(old.sdk, None);
    assert_eq!(
        old.runtime.as_ref().unwrap().stage,
        SpaceStage::Other("BRAND_NEW_STAGE".into())
    );
}

#[tokio::test]
async fn comments_are_edited_and_hidden() {
    let server = MockServer::start_async().await;
    let edit = server.mock(|when, then| {
        when.method(POST)
            .path("/api/datasets/acme/data/discussions/7/comment/6650b1c2d3e4f5a6b7c8d9e0/edit")
            .json_body(json!({"content": "Fixed the typo."}));
        then.status(200).body(fixture("discussion_comment.json"));
    });
    let hide = server.mock(|when, then| {
        when.method(POST)
            .path("/api/kernels/acme/kern/discussions/7/comment/6650b1c2d3e4f5a6b7c8d9e0/hide");
        then.status(200).body(fixture("discussion_comment.json"));
    });
    let hub = hub(&server);
    let data = Repo::dataset("acme/data").unwrap();
    let answer = hub
        .edit_repo_discussion_comment(
            &data,
            "7",
            "6650b1c2d3e4f5a6b7c8d9e0",
            EditRepoDiscussionCommentBody::new("Fixed the typo."),
        )
        .await
        .unwrap();
    let comment = answer.updated_comment;
    assert_eq!(comment.type_, "comment");
    let d = comment.data.unwrap();
    assert_eq!(d.edited, Some(true));
    assert_eq!(d.latest.unwrap().raw.as_deref(), Some("Fixed the typo."));
    assert!(d.extra.contains_key("numEdits"));
    assert_eq!(comment.author.unwrap().name.as_deref(), Some("alice"));
    hub.hide_repo_discussion_comment(
        &Repo::kernel("acme/kern").unwrap(),
        "7",
        "6650b1c2d3e4f5a6b7c8d9e0",
    )
    .await
    .unwrap();
    edit.assert_calls(1);
    hide.assert_calls(1);
}

#[tokio::test]
async fn an_attachment_goes_up_with_its_media_type_and_answers_its_url() {
    let server = MockServer::start_async().await;
    let png = *b"PNG\r\n\x1a\nIHDR";
    let upload = server.mock(|when, then| {
        when.method(POST)
            .path("/uploads")
            .header("content-type", "image/png")
            .body(String::from_utf8(png.to_vec()).unwrap());
        then.status(200)
            .header("content-type", "text/plain; charset=utf-8")
            .body("https://cdn-uploads.example/acme/abc.png\n");
    });
    let url = hub(&server)
        .upload_attachment(AttachmentMediaType::ImagePng, png.to_vec())
        .await
        .unwrap();
    upload.assert_calls(1);
    assert_eq!(
        url, "https://cdn-uploads.example/acme/abc.png\n",
        "the text as sent"
    );
}

#[cfg(feature = "collections")]
#[tokio::test]
async fn collection_items_move_and_access_is_checked() {
    use hf_hub_api::HubErrorKind;

    let server = MockServer::start_async().await;
    let patch = server.mock(|when, then| {
        when.method(PATCH)
            .path("/api/collections/acme/favourites-65f0a1b2c3d4e5f6a7b8c9d0/items/65f0a1b2c3d4e5f6a7b8c9d1")
            .json_body(json!({"position": 0, "note": "Start here"}));
        then.status(200).body("{}");
    });
    let read = server.mock(|when, then| {
        when.method(GET).path("/api/models/acme/open/auth-check");
        then.status(200).body("{}");
    });
    let gated = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models/acme/gated/auth-check/write");
        then.status(403)
            .header("x-error-code", "GatedRepo")
            .header(
                "x-error-message",
                "Access to model acme/gated is restricted.",
            )
            .body("{}");
    });
    let hub = hub(&server);
    hub.update_collection_item(
        "acme",
        "favourites",
        "65f0a1b2c3d4e5f6a7b8c9d0",
        "65f0a1b2c3d4e5f6a7b8c9d1",
        hf_hub_api::types::UpdateCollectionItemBody::new()
            .position(0)
            .note("Start here"),
    )
    .await
    .unwrap();
    hub.auth_check_repo(&Repo::model("acme/open").unwrap())
        .await
        .unwrap();
    let err = hub
        .auth_check_repo_write(&Repo::model("acme/gated").unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&HubErrorKind::GatedRepo));
    // Kernels are not served there: an error before any request.
    let kernel = hub
        .auth_check_repo(&Repo::kernel("acme/k").unwrap())
        .await
        .unwrap_err();
    assert!(kernel.to_string().contains("kernel"), "{kernel}");
    patch.assert_calls(1);
    read.assert_calls(1);
    gated.assert_calls(1);
}

#[tokio::test]
async fn readme_metadata_is_validated() {
    let server = MockServer::start_async().await;
    let ok = server.mock(|when, then| {
        when.method(POST)
            .path("/api/validate-yaml")
            .json_body(json!({"content": "# no metadata\n", "repoType": "dataset"}));
        then.status(200).body(fixture("validate_yaml.json"));
    });
    let answer = hub(&server)
        .validate_yaml(ValidateYamlBody::new("# no metadata\n", RepoType::Dataset))
        .await
        .unwrap();
    ok.assert_calls(1);
    assert!(answer.errors.is_empty());
    assert_eq!(answer.warnings.len(), 1);
    assert!(answer.warnings[0].message.contains("yaml metadata"));
}

#[cfg(feature = "orgs")]
#[tokio::test]
async fn likers_and_followers_page_with_the_link_header() {
    use futures::TryStreamExt;

    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/users/alice/followers")
            .query_param_missing("cursor");
        then.status(200)
            .header(
                "link",
                format!(
                    "<{}>; rel=\"next\"",
                    server.url("/api/users/alice/followers?cursor=2")
                ),
            )
            .body(fixture("followers_page1.json"));
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/users/alice/followers")
            .query_param("cursor", "2");
        then.status(200).body(fixture("followers_page2.json"));
    });
    let following = server.mock(|when, then| {
        when.method(GET).path("/api/users/alice/following");
        then.status(200).body("[]");
    });
    let org_followers = server.mock(|when, then| {
        when.method(GET).path("/api/organizations/acme/followers");
        then.status(200).body(fixture("followers_page2.json"));
    });
    let likers = server.mock(|when, then| {
        when.method(GET).path("/api/spaces/acme/demo/likers");
        then.status(200).body(fixture("likers.json"));
    });
    let overview = server.mock(|when, then| {
        when.method(GET).path("/api/organizations/acme/overview");
        then.status(200).body(fixture("organization.json"));
    });
    let hub = hub(&server);
    let users: Vec<_> = hub
        .list_user_followers("alice")
        .items()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = users.iter().map(|u| u.user.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert_eq!(users[0].orgs[0].name, "acme");
    assert_eq!(users[0].orgs[0].plan, None);
    assert_eq!(users[1].num_followers, None);
    assert!(users[2].extra.contains_key("somethingNew"));
    let none: Vec<_> = hub
        .list_user_following("alice")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
    let of_org: Vec<_> = hub
        .list_organization_followers("acme")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(of_org.len(), 1);
    let likes: Vec<_> = hub
        .list_repo_likers(&Repo::space("acme/demo").unwrap())
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(likes[0].is_pro, Some(true));
    assert!(likes[0].extra.contains_key("_id"));
    let org = hub.get_organization_overview("acme").await.unwrap();
    assert_eq!(org.num_followers, Some(12_034));
    assert_eq!(org.details, None);
    assert!(org.extra.contains_key("isEnterprise"));
    for m in [&following, &org_followers, &likers, &overview] {
        m.assert_calls(1);
    }
}

#[tokio::test]
async fn safetensors_headers_are_typed_per_tensor() {
    let server = MockServer::start_async().await;
    let get = server.mock(|when, then| {
        when.method(GET)
            .path("/api/models/acme/llm/safetensors-metadata/sub/model.safetensors.index.json");
        then.status(200).body(fixture("safetensors.json"));
    });
    let meta = hub(&server)
        .get_safetensors_metadata(
            &RepoId::new("acme/llm").unwrap(),
            "sub/model.safetensors.index.json",
        )
        .await
        .unwrap();
    get.assert_calls(1);
    let first = &meta.headers["model-00001-of-00002.safetensors"];
    assert_eq!(first.metadata["format"], "pt");
    let embed = &first.extra["model.embed_tokens.weight"];
    assert_eq!(embed.dtype, "BF16");
    assert_eq!(embed.shape, [128_256, 4096]);
    assert_eq!(embed.data_offsets, [0, 1_050_673_152]);
    assert!(
        meta.headers["model-00002-of-00002.safetensors"]
            .metadata
            .is_empty()
    );
    assert_eq!(
        meta.index.unwrap().metadata["total_size"],
        json!(16_060_522_496_u64)
    );
}

#[cfg(all(feature = "papers", feature = "buckets"))]
#[tokio::test]
async fn a_paper_reads_as_markdown_and_bucket_events_stream() {
    use futures::TryStreamExt;

    let server = MockServer::start_async().await;
    let paper = server.mock(|when, then| {
        when.method(GET).path("/papers/2401.12345.md");
        then.status(200)
            .header("content-type", "text/markdown; charset=utf-8")
            .body("# A paper\n\nAbstract…\n");
    });
    let events = server.mock(|when, then| {
        when.method(GET)
            .path("/api/buckets/acme/cache/events")
            .query_param("cursor", "c1");
        then.status(200)
            .header("content-type", "text/event-stream")
            .body(": ping\n\nevent: ready\ndata: {\"cursor\":\"c2\"}\n\n");
    });
    let hub = hub(&server);
    let md = hub.get_paper_markdown("2401.12345").await.unwrap();
    assert_eq!(md, "# A paper\n\nAbstract…\n");
    let stream = hub
        .get_bucket_events(&RepoId::new("acme/cache").unwrap())
        .cursor("c1")
        .await
        .unwrap();
    let chunks: Vec<bytes::Bytes> = stream.try_collect().await.unwrap();
    let text = String::from_utf8(chunks.concat()).unwrap();
    assert!(text.contains("event: ready"), "{text}");
    paper.assert_calls(1);
    events.assert_calls(1);
}

#[cfg(feature = "oauth")]
#[tokio::test]
async fn oauth_tokens_are_asked_for_with_a_form_and_kept_out_of_debug() {
    let server = MockServer::start_async().await;
    let token = server.mock(|when, then| {
        when.method(POST)
            .path("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .form_urlencoded_tuple("grant_type", "refresh_token")
            .form_urlencoded_tuple("refresh_token", "hf_oauth_refresh_old")
            .form_urlencoded_tuple("client_id", "app-123");
        then.status(200).body(fixture("oauth_token.json"));
    });
    let discovery = server.mock(|when, then| {
        when.method(GET).path("/.well-known/openid-configuration");
        then.status(200).body(fixture("openid_configuration.json"));
    });
    let hub = hub(&server);
    let answer = hub
        .create_oauth_token(hf_hub_api::types::OauthRefreshGrant::new(
            "app-123",
            "hf_oauth_refresh_old",
        ))
        .await
        .unwrap();
    token.assert_calls(1);
    assert_eq!(answer.access_token, "hf_oauth_secret_value");
    assert_eq!(answer.expires_in, Some(28_800));
    assert_eq!(answer.id_token, None);
    let shown = format!("{answer:?}");
    assert!(!shown.contains("secret"), "{shown}");
    let config = hub.get_openid_configuration().await.unwrap();
    discovery.assert_calls(1);
    assert_eq!(config.token_endpoint, "https://huggingface.co/oauth/token");
    assert_eq!(config.code_challenge_methods_supported, ["S256"]);
    assert!(
        config
            .extra
            .contains_key("token_endpoint_auth_methods_supported")
    );
}
