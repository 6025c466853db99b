//! Token discovery from the environment, end to end: the token found is the one a loopback
//! server receives. One test in its own binary, because it changes process variables.

mod common;

use common::{Answer, ScriptServer};
use hf_hub_api::Hub;

async fn token_seen(url: &str) -> Option<String> {
    let s = ScriptServer::start(vec![Answer::new(200, r#"{"type":"user","name":"me"}"#)]).await;
    let _ = url;
    // SAFETY: this test binary has a single test; nothing else reads the environment.
    unsafe { std::env::set_var("HF_ENDPOINT", &s.url) };
    let hub = Hub::from_env().unwrap();
    let _ = hub.whoami().await;
    s.seen()[0]
        .header("authorization")
        .map(|v| v.trim_start_matches("Bearer ").to_string())
}

#[tokio::test]
async fn discovery_order_and_switch_off() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("hf_home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("token"), "hf_from_home\n").unwrap();
    let token_path = dir.path().join("custom_token");
    std::fs::write(&token_path, "hf_from_token_path").unwrap();
    // SAFETY: single test in this binary.
    unsafe {
        for k in [
            "HF_TOKEN",
            "HF_TOKEN_PATH",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN",
            "XDG_CACHE_HOME",
        ] {
            std::env::remove_var(k);
        }
        std::env::set_var("HF_HOME", &home);
    }
    assert_eq!(token_seen("").await.as_deref(), Some("hf_from_home"));

    unsafe { std::env::set_var("HF_TOKEN_PATH", &token_path) };
    assert_eq!(token_seen("").await.as_deref(), Some("hf_from_token_path"));

    unsafe { std::env::set_var("HF_TOKEN", "hf_from_env") };
    assert_eq!(token_seen("").await.as_deref(), Some("hf_from_env"));

    unsafe { std::env::set_var("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1") };
    assert_eq!(token_seen("").await, None);

    // An explicit token still wins when discovery is off.
    let s = ScriptServer::start(vec![Answer::new(200, "{}")]).await;
    let hub = Hub::builder()
        .from_env()
        .endpoint(&s.url)
        .token("hf_explicit")
        .build()
        .unwrap();
    let _ = hub.whoami().await;
    assert_eq!(
        s.seen()[0].header("authorization"),
        Some("Bearer hf_explicit")
    );

    // XDG_CACHE_HOME is HF_HOME's default parent.
    unsafe {
        std::env::remove_var("HF_HUB_DISABLE_IMPLICIT_TOKEN");
        std::env::remove_var("HF_TOKEN");
        std::env::remove_var("HF_TOKEN_PATH");
        std::env::remove_var("HF_HOME");
        std::env::set_var("XDG_CACHE_HOME", dir.path());
    }
    std::fs::create_dir_all(dir.path().join("huggingface")).unwrap();
    std::fs::write(dir.path().join("huggingface/token"), "hf_from_xdg").unwrap();
    assert_eq!(token_seen("").await.as_deref(), Some("hf_from_xdg"));
}
