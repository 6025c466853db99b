//! Xet storage through the Hub's own engine, the `hf-xet` crate (cargo feature `xet`).
//!
//! What the facade does with it:
//! - **commits**: the LFS batch offers the `xet` transfer; when the Hub answers
//!   `"transfer": "xet"`, the files go through one Xet upload commit configured from the
//!   batch answer's upload action (`X-Xet-Cas-Url`, `X-Xet-Access-Token`,
//!   `X-Xet-Token-Expiration`; its `href` is the write-token route used to refresh the token),
//!   deduplicated chunk by chunk against what the storage already holds. The ndjson commit
//!   is unchanged (`lfsFile` lines keyed by sha256), and is sent only once every file is
//!   stored: a failed Xet upload commits nothing.
//! - **downloads**: a `resolve` answer with `X-Xet-Hash` is downloaded through Xet, into the
//!   same `.incomplete` file as a CDN download and with the same rules (bounded memory,
//!   sha256 check, resume, atomic rename); the read token comes from the `xet-read-token`
//!   route. When Xet cannot start, the CDN `GET` is used instead.
//!
//! The Hub token goes only to the Hub's origin (the token routes); the storage (CAS) gets only
//! the short-lived Xet token. A token route on any other origin is refused.
//!
//! `HubBuilder::xet(false)` or `HF_HUB_DISABLE_XET=1` (with `from_env`) turns it off: the LFS
//! batch then offers only basic and multipart, and downloads use the CDN.
//!
//! Xet needs a multi-thread tokio runtime (it runs its tasks on the caller's runtime); under
//! another one the LFS and CDN paths are used, with a `tracing` warning. `hf-xet` builds its
//! own HTTP clients with rustls and no crypto provider of its own: the first Xet transfer
//! installs rustls' *ring* provider as the process default when none is installed yet (the
//! facade's own clients never need one).

use std::path::PathBuf;

use reqwest::header::{AUTHORIZATION, HeaderMap, USER_AGENT};
use url::Url;
use xet::xet_session::{XetSession, XetSessionBuilder};

use crate::client::Hub;
use crate::error::{Error, Result};

/// Whether Xet transfers can run here: the feature is on (this module exists), the client
/// allows it, and the current tokio runtime is a multi-thread one.
pub(crate) fn usable(hub: &Hub) -> bool {
    if !hub.transport().xet_enabled() {
        return false;
    }
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => true,
        _ => {
            tracing::warn!(
                "Xet transfers need a multi-thread tokio runtime: using LFS and the CDN instead"
            );
            false
        }
    }
}

/// A session on the current runtime, its caches under [`cache_dir`].
pub(crate) fn session(hub: &Hub) -> Result<XetSession> {
    install_tls_provider();
    let mut builder = XetSessionBuilder::new();
    if let Some(dir) = cache_dir(hub) {
        builder = builder.with_cache_dir(dir);
    }
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        builder = builder.with_tokio_handle(handle);
    }
    builder
        .build()
        .map_err(|e| failure("cannot start a Xet session", e, false))
}

/// `hf-xet`'s clients take the process-default rustls provider; install *ring* when there is
/// none (failing only when another thread installed one first, which is as good).
fn install_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let installed = rustls::crypto::ring::default_provider()
            .install_default()
            .is_ok();
        tracing::debug!(
            installed,
            "rustls ring provider set as the process default for Xet"
        );
    }
}

/// Xet's chunk and shard caches: `HF_XET_CACHE` when set (read by `hf-xet` itself), else
/// `xet/` beside the Hub cache when it is the usual `…/hub`, else `.xet/` inside it.
fn cache_dir(hub: &Hub) -> Option<PathBuf> {
    if std::env::var_os("HF_XET_CACHE").is_some() {
        return None;
    }
    let hub_cache = hub.cache_dir()?;
    match (hub_cache.file_name(), hub_cache.parent()) {
        (Some(name), Some(parent)) if name == "hub" => Some(parent.join("xet")),
        _ => Some(hub_cache.join(".xet")),
    }
}

/// The headers of a token-route request: the Hub token (checked to go to the endpoint's
/// origin) and our user agent.
pub(crate) fn token_route_headers(hub: &Hub, route: &Url) -> Result<HeaderMap> {
    let transport = hub.transport();
    if !transport.is_endpoint_origin(route) {
        return Err(Error::Decode {
            path: "xet token route".to_owned(),
            message: format!(
                "the Xet token route {}://{}{} is not on the endpoint's origin: \
                 the Hub token is not sent there",
                route.scheme(),
                route.host_str().unwrap_or_default(),
                route.path()
            ),
        });
    }
    let mut headers = HeaderMap::new();
    if let Some(value) = transport.authorization() {
        headers.insert(AUTHORIZATION, value.clone());
    }
    headers.insert(USER_AGENT, transport.user_agent().clone());
    Ok(headers)
}

/// The headers every CAS request carries: our user agent (never a Hub token).
pub(crate) fn cas_headers(hub: &Hub) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(USER_AGENT, hub.transport().user_agent().clone());
    headers
}

/// An `hf-xet` failure as our error: a transport error that may have reached the storage and
/// is safe to try again (Xet uploads are content-addressed, downloads change nothing).
pub(crate) fn failure(
    context: impl std::fmt::Display,
    e: xet::XetError,
    maybe_sent: bool,
) -> Error {
    Error::Transport {
        message: format!("{context}: {e}"),
        maybe_sent,
        idempotent: true,
        source: Some(Box::new(e)),
    }
}
