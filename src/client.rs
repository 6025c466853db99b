//! The [`Hub`] client: configuration, origin-scoped credentials, retries, tracing.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::Stream;
use futures::future::BoxFuture;
use progenitor_client::ClientInfo;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION,
    USER_AGENT,
};
use reqwest::{Request, Response};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::config::{self, Token};
use crate::error::{Error, MAX_ERROR_BODY, Result, read_bounded};
use crate::generated::Client;
use crate::headers::FromHeaders;
use crate::operations::RequestInfo;
use crate::retry::{self, RetryPolicy, Verdict};
use crate::streamed;

mod answer;
mod builtin;
mod transport;

pub(crate) use answer::check_status;
use answer::error_from_response;
pub(crate) use answer::{Expect, request_error};
#[allow(
    unused_imports,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) use answer::{
    send_bytes, send_bytes_with_headers, send_empty, send_headers, send_json,
    send_json_with_headers, send_text, send_text_with_headers,
};
use builtin::download_client;
pub(crate) use builtin::http_client;
#[cfg(test)]
pub(crate) use builtin::test_client_builder;
use transport::NoAnswer;
pub(crate) use transport::{Timeouts, Transport};

pub use crate::config::DEFAULT_ENDPOINT;

/// The most redirects one request follows.
const MAX_REDIRECTS: usize = 10;

/// Whether `a` and `b` share scheme, host and port (the only URLs the token goes to).
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The default connect timeout of the built-in HTTP clients.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default read timeout of the built-in HTTP clients.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// A streamed response body (downloads, server-sent events, undocumented answers): a
/// [`Stream`] of chunks, each a [`Result`] (a failure part-way is an [`Error::Transport`] or
/// [`Error::Timeout`]).
pub struct ByteStream(Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>);

impl std::fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ByteStream")
    }
}

impl ByteStream {
    /// The body of an answer, as it arrives.
    pub(crate) fn of_response(response: Response) -> ByteStream {
        ByteStream(Box::pin(response.bytes_stream()))
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0
            .as_mut()
            .poll_next(cx)
            .map(|chunk| chunk.map(|r| r.map_err(Error::from)))
    }
}

/// Builds a [`Hub`].
#[derive(Debug, Default)]
#[must_use]
pub struct HubBuilder {
    endpoint: Option<String>,
    token: Option<Option<Token>>,
    client: Option<reqwest::Client>,
    retry: Option<RetryPolicy>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    cache_dir: Option<PathBuf>,
    offline: Option<bool>,
    xet: Option<bool>,
    env: bool,
}

impl HubBuilder {
    /// The Hub endpoint (default `https://huggingface.co`, or `HF_ENDPOINT` with [`Self::from_env`]).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Use this token (overrides discovery).
    pub fn token(mut self, token: impl Into<Token>) -> Self {
        self.token = Some(Some(token.into()));
        self
    }

    /// Send no token at all, whatever the environment holds.
    pub fn no_token(mut self) -> Self {
        self.token = Some(None);
        self
    }

    /// Use this `reqwest::Client` (its redirect policy and default headers are the caller's;
    /// the token is still only ever added per request, to the endpoint's origin). The built-in
    /// clients follow redirects only on the origin of the request, so that a file's metadata
    /// (`get_file_metadata`) is read from the Hub's redirect to the CDN; a client that follows
    /// every redirect answers the CDN's headers there instead.
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The retry policy (default: 5 retries, exponential backoff with jitter); see
    /// the [`retry` module](crate::retry) for what is retried.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Connect timeout of the built-in HTTP clients (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }

    /// Read timeout of the built-in HTTP clients (default 60 s): the longest wait for an
    /// answer, and between two chunks of an answer's body. It never applies to sending a
    /// body: a commit or an LFS upload that takes longer than this to send is not cut, and
    /// the wait for its answer starts once the body is sent. There is no total timeout: it
    /// would cut large uploads and long listings. With [`client`](Self::client), that
    /// client's own timeouts apply instead, as it was configured.
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = Some(d);
        self
    }

    /// The shared download cache folder (default `~/.cache/huggingface/hub`, or with
    /// [`Self::from_env`] `HF_HUB_CACHE`, else `$HF_HOME/hub`, as the Python client decides it);
    /// see the [`download` module](crate::download).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Answer downloads from the cache only, sending no request (default off, or with
    /// [`Self::from_env`] `HF_HUB_OFFLINE`).
    pub fn offline(mut self, offline: bool) -> Self {
        self.offline = Some(offline);
        self
    }

    /// Use Xet storage when the Hub offers it (default on, or with [`Self::from_env`] off when
    /// `HF_HUB_DISABLE_XET` is set): deduplicated uploads and downloads through the `hf-xet`
    /// crate. Without the crate's `xet` feature there is no Xet support and this changes
    /// nothing; off, commits offer only the LFS basic and multipart transfers and downloads
    /// come from the CDN (see the [`download` module](crate::download) and the README).
    pub fn xet(mut self, enabled: bool) -> Self {
        self.xet = Some(enabled);
        self
    }

    /// Take `HF_ENDPOINT`, the token (`HF_TOKEN`, `HF_TOKEN_PATH`, `$HF_HOME/token`, unless
    /// `HF_HUB_DISABLE_IMPLICIT_TOKEN`), `HF_HUB_USER_AGENT_ORIGIN`, the download cache
    /// (`HF_HUB_CACHE`, `HF_HOME`), `HF_HUB_OFFLINE` and `HF_HUB_DISABLE_XET` from the environment, for whatever was
    /// not set explicitly.
    pub fn from_env(mut self) -> Self {
        self.env = true;
        self
    }

    /// Builds the client. Fails with [`Error::InvalidInput`] on an endpoint that is not an
    /// absolute http(s) URL, and on a token with bytes an HTTP header cannot carry (a newline,
    /// a control character, non-ASCII): such a token is never silently left out.
    pub fn build(self) -> Result<Hub> {
        self.build_with_env(&config::process_env)
    }

    pub(crate) fn build_with_env(self, env: &dyn Fn(&str) -> Option<String>) -> Result<Hub> {
        let no_env = |_: &str| None;
        let env: &dyn Fn(&str) -> Option<String> = if self.env { env } else { &no_env };
        let endpoint = match &self.endpoint {
            Some(text) => config::parse_endpoint(text)?,
            None => config::endpoint_from_env(env)?,
        };
        let token = match self.token {
            Some(None) => None,
            Some(explicit) => config::resolve_token(explicit, env),
            None => config::resolve_token(None, env),
        };
        let authorization = token.as_ref().map(authorization_value).transpose()?;
        let user_agent = HeaderValue::from_str(&config::user_agent(env))
            .unwrap_or_else(|_| HeaderValue::from_static("hf-hub-api"));
        let timeouts = Timeouts {
            connect: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            read: self.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT),
        };
        let (client, uploads) = match self.client {
            Some(c) => (c, None),
            None => (
                http_client(timeouts, true, "HTTP client")?,
                Some(http_client(timeouts, false, "HTTP client for uploads")?),
            ),
        };
        let home_only = |name: &str| match name {
            "HOME" => config::process_env(name),
            _ => None,
        };
        let cache_dir = match self.cache_dir {
            Some(dir) => Some(dir),
            None if self.env => config::hub_cache(env),
            None => config::hub_cache(&home_only),
        };
        let transport = Transport {
            endpoint: endpoint.clone(),
            authorization,
            retry: self.retry.unwrap_or_default(),
            user_agent,
            timeouts,
            uploads,
            downloads: download_client(timeouts)?,
            cache_dir,
            offline: self.offline.unwrap_or_else(|| config::offline(env)),
            xet: self.xet.unwrap_or_else(|| !config::xet_disabled(env)),
        };
        let base = endpoint.as_str().trim_end_matches('/').to_string();
        let raw = Client::new_with_client(&base, client, transport);
        Ok(Hub {
            inner: Arc::new(raw),
        })
    }
}

/// `Bearer <token>` as a sensitive header value, or [`Error::InvalidInput`] naming the first
/// byte a header cannot carry (never the token itself).
fn authorization_value(token: &Token) -> Result<HeaderValue> {
    let text = format!("Bearer {}", token.expose());
    let mut value = HeaderValue::from_str(&text).map_err(|_| {
        let (at, byte) = token
            .expose()
            .bytes()
            .enumerate()
            .find(|(_, b)| !(b' '..=b'~').contains(b) && *b != b'\t')
            .unwrap_or((0, 0));
        Error::invalid(
            "token",
            "<redacted>",
            format!(
                "byte {at} (0x{byte:02x}) cannot be sent in an HTTP header; \
                 is there a stray newline or a non-ASCII character in the token?"
            ),
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// A client of the Hugging Face Hub.
///
/// Cheap to clone; clones share the connection pool. Every operation of the Hub's API is a
/// method (generated from its OpenAPI document); the hand-written helpers (pagination,
/// commits) sit beside them.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Client>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("transport", self.inner.inner())
            .finish()
    }
}

impl Hub {
    /// A builder with nothing set (no environment read unless [`HubBuilder::from_env`]).
    pub fn builder() -> HubBuilder {
        HubBuilder::default()
    }

    /// A client configured from the environment, like the official clients.
    pub fn from_env() -> Result<Hub> {
        HubBuilder::default().from_env().build()
    }

    pub(crate) fn raw(&self) -> &Client {
        &self.inner
    }

    pub(crate) fn transport(&self) -> &Transport {
        self.inner.inner()
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        self.inner.client()
    }

    /// The configured endpoint.
    pub fn endpoint(&self) -> &Url {
        self.transport().endpoint()
    }

    /// The shared download cache folder, when one is known (see [`HubBuilder::cache_dir`]).
    pub fn cache_dir(&self) -> Option<&Path> {
        self.transport().cache_dir.as_deref()
    }

    /// Whether downloads answer from the cache only (see [`HubBuilder::offline`]).
    pub fn is_offline(&self) -> bool {
        self.transport().offline
    }

    /// Sends a hand-built request for `operation` through the client's rules (token scoping,
    /// retries when the operation is safe to repeat, timeouts, tracing) and maps an error
    /// status to [`Error`].
    pub(crate) async fn send(&self, request: Request, operation: &'static str) -> Result<Response> {
        let info = RequestInfo::of(operation, request.method().as_str());
        self.execute(request, &info, Expect::SUCCESS).await
    }

    /// What every request goes through, hand-built or generated: [`Transport::execute`], a
    /// `GET`'s redirects to other origins followed without the token, and an answer outside
    /// `expect` turned into an [`Error`].
    async fn execute(
        &self,
        request: Request,
        info: &RequestInfo,
        expect: Expect,
    ) -> Result<Response> {
        let headers = (request.method() == reqwest::Method::GET).then(|| request.headers().clone());
        let mut response = self
            .transport()
            .execute(self.http(), request, info)
            .await
            .map_err(|e| Error::from(e).for_request(info))?;
        if let Some(headers) = headers {
            response = self
                .transport()
                .follow_elsewhere(self.http(), response, headers, info)
                .await
                .map_err(|e| Error::from(e).for_request(info))?;
        }
        if expect.accepts(response.status().as_u16())
            && response.extensions().get::<NoAnswer>().is_none()
        {
            return Ok(response);
        }
        Err(error_from_response(response, info).await)
    }
}

#[cfg(test)]
mod tests;
