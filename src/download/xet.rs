//! A Xet-stored file's bytes through Xet (cargo feature `xet`; see [`crate::xet`]).
//!
//! [`get`] answers what the CDN `GET` would: a `200` (or, from an offset, a `206` with its
//! `Content-Range`) whose body is the file's bytes in order, so the blob writer keeps every
//! rule it has for the CDN (bounded memory, sha256 check, resume from where a cut stopped,
//! atomic rename). The read token comes from the Hub's `xet-read-token` route at the file's
//! commit (with the Hub token, on the endpoint's origin only); the CAS gets only that token.
//! When Xet cannot start (no token, no such file in the CAS, a runtime Xet cannot run on),
//! the CDN `GET` answers instead, with a `tracing` warning.

use bytes::Bytes;
use reqwest::Response;
use url::Url;
use xet::xet_session::{XetDownloadStream, XetFileInfo};

use super::wire;
use crate::client::Hub;
use crate::error::{Error, Result};
use crate::repo::{Repo, encode_path_segment};
use crate::xet::{cas_headers, failure, token_route_headers};

/// A Xet-stored file: its Xet hash and where its read token comes from.
#[derive(Debug, Clone)]
pub(crate) struct XetSource {
    hash: String,
    token_route: Url,
}

impl XetSource {
    /// The source of a file whose `resolve` answer carried `X-Xet-Hash: hash`, at `commit`;
    /// `None` when Xet is off or cannot run here, or the hash is not one (64 hex digits).
    pub(crate) fn of(hub: &Hub, repo: &Repo, commit: &str, hash: &str) -> Option<XetSource> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            tracing::warn!(hash, "ignoring an X-Xet-Hash that is not 64 hex digits");
            return None;
        }
        if !crate::xet::usable(hub) {
            return None;
        }
        let text = format!(
            "{}/{}/xet-read-token/{}",
            hub.endpoint().as_str().trim_end_matches('/'),
            repo.api_path(),
            encode_path_segment(commit)
        );
        let token_route = Url::parse(&text).ok()?;
        Some(XetSource {
            hash: hash.to_ascii_lowercase(),
            token_route,
        })
    }
}

/// One attempt's answer for the file `label` of `size` bytes from byte `offset`: through Xet
/// when it is Xet-stored (`source`) and Xet starts, else the `GET` of its `url`.
pub(crate) async fn get(
    hub: &Hub,
    source: Option<&XetSource>,
    url: &Url,
    size: u64,
    label: &str,
    offset: u64,
) -> Result<Response> {
    if let Some(source) = source
        && offset < size
    {
        match open(hub, source, offset, size).await {
            Ok(response) => return Ok(response),
            Err(e) => tracing::warn!(
                file = %label, error = %e,
                "the Xet download could not start: using the CDN"
            ),
        }
    }
    wire::get(hub, url, offset).await
}

/// Starts the Xet stream of bytes `offset..size` and wraps it as an HTTP answer.
async fn open(hub: &Hub, source: &XetSource, offset: u64, size: u64) -> Result<Response> {
    let context = || format!("Xet download of {}", source.hash);
    let session = crate::xet::session(hub)?;
    let group = session
        .new_download_stream_group()
        .map_err(|e| failure(context(), e, false))?
        .with_custom_headers(cas_headers(hub))
        .with_token_refresh_url(
            source.token_route.as_str(),
            token_route_headers(hub, &source.token_route)?,
        )
        .build()
        .await
        .map_err(|e| failure(context(), e, true))?;
    let info = XetFileInfo::new(source.hash.clone(), size);
    let range = (offset > 0).then_some(offset..size);
    let stream = group
        .download_stream(info, range)
        .await
        .map_err(|e| failure(context(), e, true))?;
    tracing::debug!(hash = %source.hash, offset, size, "Xet download");
    // The session and group live as long as the stream that needs them; an error ends it.
    let chunks = futures::stream::unfold(
        Some((stream, session, group)),
        |state: Option<(XetDownloadStream, _, _)>| async move {
            let (mut stream, session, group) = state?;
            match stream.next().await {
                Ok(Some(bytes)) => Some((Ok(bytes), Some((stream, session, group)))),
                Ok(None) => None,
                Err(e) => Some((Err::<Bytes, xet::XetError>(e), None)),
            }
        },
    );
    let mut builder = http::Response::builder();
    if offset > 0 {
        builder = builder.status(http::StatusCode::PARTIAL_CONTENT).header(
            "content-range",
            format!("bytes {offset}-{}/{size}", size - 1),
        );
    }
    let response = builder
        .header("content-length", size - offset)
        .body(reqwest::Body::wrap_stream(chunks))
        .map_err(|e| Error::Decode {
            path: "xet".into(),
            message: format!("{}: {e}", context()),
        })?;
    Ok(Response::from(response))
}
