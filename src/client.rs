//! The [`Hub`] client: configuration, origin-scoped credentials, retries, tracing.

use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Method, Request, Response};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::config::{self, Token};
use crate::error::{Error, Result};
use crate::generated::Client;
use crate::retry::{RetryPolicy, RetryState, is_retryable_status};

pub use crate::config::DEFAULT_ENDPOINT;

/// Operations that are POSTs but safe to repeat (they change nothing on the server).
const SAFE_POSTS: &[&str] = &["preupload", "get_paths_info", "lfs_batch"];

/// The per-client state every request goes through: endpoint origin, token, retry policy.
#[derive(Clone)]
pub struct Transport {
    endpoint: Url,
    token: Option<Token>,
    retry: RetryPolicy,
    user_agent: HeaderValue,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("endpoint", &self.endpoint.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("retry", &self.retry)
            .finish()
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

impl Transport {
    /// The configured endpoint.
    pub(crate) fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Whether `url` is on the endpoint's origin (scheme, host, port).
    pub(crate) fn is_endpoint_origin(&self, url: &Url) -> bool {
        same_origin(url, &self.endpoint)
    }

    /// Puts our headers on a request: user agent, and the token only on the endpoint origin.
    fn prepare(&self, request: &mut Request) {
        let on_endpoint = same_origin(request.url(), &self.endpoint);
        let headers = request.headers_mut();
        headers.remove("api-version");
        headers.insert(USER_AGENT, self.user_agent.clone());
        headers.remove(AUTHORIZATION);
        if let Some(token) = &self.token
            && on_endpoint
            && let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        {
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
    }

    /// Sends a request with the client's rules: token scoping, user agent, tracing, and
    /// retries when `retry_safe` (never for a request that is not safe to repeat, and never
    /// for a streamed body, which cannot be replayed).
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        mut request: Request,
        operation: &'static str,
        retry_safe: bool,
    ) -> reqwest::Result<Response> {
        self.prepare(&mut request);
        let span = tracing::debug_span!(
            "hub_request",
            operation,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        async move {
            let mut attempt: u32 = 0;
            let mut state = RetryState::new(self.retry);
            loop {
                let replay = if retry_safe && self.retry.is_enabled() {
                    request.try_clone()
                } else {
                    None
                };
                let result = client.execute(request).await;
                attempt += 1;
                let Some(next) = replay else {
                    record(&result, attempt);
                    return result;
                };
                let (status, headers) = match &result {
                    Ok(r) if is_retryable_status(r.status().as_u16()) => {
                        (Some(r.status().as_u16()), Some(r.headers().clone()))
                    }
                    Ok(_) => {
                        record(&result, attempt);
                        return result;
                    }
                    Err(e) if e.is_connect() || e.is_timeout() || e.is_request() => (None, None),
                    Err(_) => {
                        record(&result, attempt);
                        return result;
                    }
                };
                let Some(delay) = state.next_delay(status, headers.as_ref()) else {
                    record(&result, attempt);
                    return result;
                };
                tracing::debug!(
                    ?status,
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    "retrying"
                );
                drop(result);
                tokio::time::sleep(delay).await;
                request = next;
            }
        }
        .instrument(span)
        .await
    }
}

fn record(result: &reqwest::Result<Response>, attempts: u32) {
    let span = tracing::Span::current();
    span.record("attempts", attempts);
    if let Ok(r) = result {
        span.record("status", r.status().as_u16());
        if let Some(id) = r
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
        {
            span.record("request_id", id);
        }
    }
}

impl ClientHooks<Transport> for Client {
    async fn exec(&self, mut request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let op = info.operation_id;
        if crate::generated::OPTIONAL_TRAILING_WILDCARD.contains(&op) {
            // An empty trailing wildcard (the repository root) is spelled without the slash.
            let url = request.url_mut();
            if let Some(trimmed) = url.path().strip_suffix('/').map(str::to_owned) {
                url.set_path(&trimmed);
            }
        }
        if op == "create_commit" {
            request.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            );
        }
        let safe =
            matches!(*request.method(), Method::GET | Method::HEAD) || SAFE_POSTS.contains(&op);
        self.inner().execute(self.client(), request, op, safe).await
    }
}

/// A streamed response body (downloads, server-sent events, undocumented answers).
pub type ByteStream = progenitor_client::ByteStream;

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
    /// the token is still only ever added per request, to the endpoint's origin).
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The retry policy (default: 5 retries, exponential backoff with jitter).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Connect timeout of the built-in HTTP client (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }

    /// Read timeout (between bytes) of the built-in HTTP client (default 60 s). There is no
    /// total timeout: it would cut large uploads and long listings.
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = Some(d);
        self
    }

    /// Take `HF_ENDPOINT`, the token (`HF_TOKEN`, `HF_TOKEN_PATH`, `$HF_HOME/token`, unless
    /// `HF_HUB_DISABLE_IMPLICIT_TOKEN`) and `HF_HUB_USER_AGENT_ORIGIN` from the environment,
    /// for whatever was not set explicitly.
    pub fn from_env(mut self) -> Self {
        self.env = true;
        self
    }

    /// Builds the client. Fails on an endpoint that is not an absolute http(s) URL.
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
        let user_agent = HeaderValue::from_str(&config::user_agent(env))
            .unwrap_or_else(|_| HeaderValue::from_static("hf-hub-api"));
        let client = match self.client {
            Some(c) => c,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .read_timeout(self.read_timeout.unwrap_or(Duration::from_secs(60)))
                .build()
                .map_err(|e| Error::Transport {
                    message: format!("cannot build the HTTP client: {e}"),
                    maybe_sent: false,
                    source: None,
                })?,
        };
        let transport = Transport {
            endpoint: endpoint.clone(),
            token,
            retry: self.retry.unwrap_or_default(),
            user_agent,
        };
        let base = endpoint.as_str().trim_end_matches('/').to_string();
        let raw = Client::new_with_client(&base, client, transport);
        Ok(Hub {
            inner: Arc::new(raw),
        })
    }
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

    /// Sends a hand-built request through the client's rules (token scoping, retries when
    /// `retry_safe`, tracing) and maps an error status to [`Error`].
    pub(crate) async fn send(
        &self,
        request: Request,
        operation: &'static str,
        retry_safe: bool,
    ) -> Result<Response> {
        let response = self
            .transport()
            .execute(self.http(), request, operation, retry_safe)
            .await?;
        check_status(response).await
    }
}

/// Turns an error status into [`Error::Hub`], reading the body.
pub(crate) async fn check_status(response: Response) -> Result<Response> {
    if response.status().is_success() {
        return Ok(response);
    }
    Err(error_from_response(response).await)
}

async fn error_from_response(response: Response) -> Error {
    let status = response.status().as_u16();
    let headers: HeaderMap = response.headers().clone();
    let body = response.bytes().await.unwrap_or_default();
    crate::error::from_response_parts(status, &headers, &body)
}

pub(crate) async fn map_error<T: DeserializeOwned>(
    operation: &'static str,
    e: progenitor_client::Error<()>,
    decode: bool,
) -> Error {
    use progenitor_client::Error as P;
    match e {
        P::InvalidRequest(reason) => Error::invalid("request", operation, reason),
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => e.into(),
        P::ErrorResponse(rv) => {
            crate::error::from_response_parts(rv.status().as_u16(), rv.headers(), &[])
        }
        P::InvalidResponsePayload(bytes, e) => {
            if decode {
                crate::error::decode_error::<T>(&bytes)
            } else {
                Error::Decode {
                    path: ".".into(),
                    message: e.to_string(),
                }
            }
        }
        P::UnexpectedResponse(r) => error_from_response(r).await,
        P::Custom(message) => Error::Transport {
            message,
            maybe_sent: false,
            source: None,
        },
    }
}

#[doc(hidden)]
pub async fn finish_json<T: DeserializeOwned>(
    operation: &'static str,
    r: std::result::Result<ResponseValue<T>, progenitor_client::Error<()>>,
) -> Result<T> {
    match r {
        Ok(v) => Ok(v.into_inner()),
        Err(e) => Err(map_error::<T>(operation, e, true).await),
    }
}

#[doc(hidden)]
pub async fn finish_empty(
    operation: &'static str,
    r: std::result::Result<ResponseValue<()>, progenitor_client::Error<()>>,
) -> Result<()> {
    match r {
        Ok(_) => Ok(()),
        Err(e) => Err(map_error::<serde_json::Value>(operation, e, false).await),
    }
}

#[doc(hidden)]
pub async fn finish_bytes(
    operation: &'static str,
    r: std::result::Result<ResponseValue<ByteStream>, progenitor_client::Error<()>>,
) -> Result<ByteStream> {
    match r {
        Ok(v) => Ok(v.into_inner()),
        Err(e) => Err(map_error::<serde_json::Value>(operation, e, false).await),
    }
}
