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

pub use crate::config::DEFAULT_ENDPOINT;

/// The default connect timeout of the built-in HTTP clients.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default read timeout of the built-in HTTP clients.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The per-client state every request goes through: endpoint origin, token, retry policy,
/// timeouts.
#[derive(Clone)]
pub(crate) struct Transport {
    endpoint: Url,
    /// `Bearer <token>`, marked sensitive; checked to be a valid header value at build time.
    authorization: Option<HeaderValue>,
    retry: RetryPolicy,
    user_agent: HeaderValue,
    timeouts: Timeouts,
    /// The client for requests with a streamed body, without a read timeout of its own (see
    /// [`streamed`]); `None` when the caller gave their own client, whose timeouts then apply.
    uploads: Option<reqwest::Client>,
    /// The client for downloads: never follows a redirect by itself (the download code
    /// follows those that stay on the endpoint's origin and reads the metadata of the others).
    downloads: reqwest::Client,
    /// The shared download cache (`None` when nothing said where it is, not even `HOME`).
    cache_dir: Option<PathBuf>,
    /// Answer downloads from the cache only.
    offline: bool,
    /// Use Xet storage when the Hub offers it (and the `xet` feature is on).
    xet: bool,
}

/// The connect and read timeouts of the built-in clients.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    pub(crate) read: Duration,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("endpoint", &self.endpoint.as_str())
            .field("token", &self.authorization.as_ref().map(|_| "<redacted>"))
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("cache_dir", &self.cache_dir)
            .field("offline", &self.offline)
            .field("xet", &self.xet)
            .finish()
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The extension marking the answer [`Transport::execute`] makes up when a streamed body was
/// sent and no answer came in time ([`check_status`] turns it into [`Error::Timeout`]).
#[derive(Debug, Clone)]
struct NoAnswer;

impl Transport {
    /// The configured endpoint.
    pub(crate) fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Whether `url` is on the endpoint's origin (scheme, host, port).
    pub(crate) fn is_endpoint_origin(&self, url: &Url) -> bool {
        same_origin(url, &self.endpoint)
    }

    /// The retry policy.
    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The timeouts the built-in clients use.
    pub(crate) fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The HTTP client of downloads (follows no redirect by itself).
    pub(crate) fn downloads(&self) -> &reqwest::Client {
        &self.downloads
    }

    /// Whether Xet storage may be used (see [`HubBuilder::xet`]).
    #[cfg_attr(
        not(feature = "xet"),
        allow(dead_code, reason = "read by the xet feature")
    )]
    pub(crate) fn xet_enabled(&self) -> bool {
        self.xet
    }

    /// `Bearer <token>` (a sensitive header value), for requests to the endpoint's origin
    /// that another HTTP client sends (Xet's token refreshes).
    #[cfg(feature = "xet")]
    pub(crate) fn authorization(&self) -> Option<&HeaderValue> {
        self.authorization.as_ref()
    }

    /// The user agent every request carries.
    #[cfg(feature = "xet")]
    pub(crate) fn user_agent(&self) -> &HeaderValue {
        &self.user_agent
    }

    /// Puts our headers on a request: user agent, and the token only on the endpoint origin.
    fn prepare(&self, request: &mut Request) {
        let on_endpoint = same_origin(request.url(), &self.endpoint);
        let headers = request.headers_mut();
        headers.remove("api-version");
        headers.insert(USER_AGENT, self.user_agent.clone());
        headers.remove(AUTHORIZATION);
        if let Some(value) = &self.authorization
            && on_endpoint
        {
            headers.insert(AUTHORIZATION, value.clone());
        }
    }

    /// Sends a request with the client's rules: token scoping, user agent, tracing, the
    /// timeouts, and retries (through [`retry::run`]) when `info` says the request is safe to
    /// repeat — never for one that is not, and never for a streamed body, which cannot be
    /// replayed.
    ///
    /// A streamed body that was sent without an answer within the read timeout gives a
    /// made-up answer that [`check_status`] reports as [`Error::Timeout`].
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        mut request: Request,
        info: &RequestInfo,
    ) -> reqwest::Result<Response> {
        self.prepare(&mut request);
        let span = tracing::debug_span!(
            "hub_request",
            operation = info.operation,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let policy = if info.idempotent {
            self.retry
        } else {
            RetryPolicy::disabled()
        };
        async move {
            let mut next = Some(request);
            let (result, attempts) = retry::run(
                policy,
                info.operation,
                || {
                    let request = next.take();
                    next = match &request {
                        Some(r) if policy.is_enabled() => r.try_clone(),
                        _ => None,
                    };
                    let replayable = next.is_some();
                    async move {
                        match request {
                            Some(r) => (self.send_once(client, r).await.map(Some), replayable),
                            // `run` only tries again after a replayable try.
                            None => (Ok(None), false),
                        }
                    }
                },
                |(result, replayable)| match result {
                    Ok(Some(r)) if *replayable => {
                        Verdict::of_answer(r.status().as_u16(), r.headers())
                    }
                    Err(e) if *replayable => Verdict::of_send_error(e),
                    _ => Verdict::Final,
                },
            )
            .await;
            let result = result.0.map(|r| r.unwrap_or_else(no_answer_response));
            record(&result, attempts);
            result
        }
        .instrument(span)
        .await
    }

    /// Follows, for a `GET`, the redirects to other origins that the HTTP client stops at
    /// (see [`redirect_policy`]): each hop is a new request through [`Self::execute`], with the
    /// original headers but never the token (it only goes to the endpoint's origin). A `HEAD`
    /// is not followed: there the redirect itself is the answer (a file's metadata).
    pub(crate) async fn follow_elsewhere(
        &self,
        client: &reqwest::Client,
        mut response: Response,
        headers: HeaderMap,
        info: &RequestInfo,
    ) -> reqwest::Result<Response> {
        for _ in 0..MAX_REDIRECTS {
            if !response.status().is_redirection() {
                break;
            }
            let Some(next) = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| response.url().join(l).ok())
            else {
                break;
            };
            tracing::debug!(
                operation = info.operation,
                host = next.host_str(),
                "following a redirect to another origin"
            );
            let mut request = Request::new(reqwest::Method::GET, next);
            *request.headers_mut() = headers.clone();
            response = self.execute(client, request, info).await?;
        }
        Ok(response)
    }

    /// One try: a streamed body through the client without read timeout when there is one.
    async fn send_once(
        &self,
        client: &reqwest::Client,
        request: Request,
    ) -> reqwest::Result<Response> {
        match &self.uploads {
            Some(uploads) if streamed::has_streamed_body(&request) => {
                match streamed::send(uploads, request, self.timeouts.read).await {
                    Ok(response) => Ok(response),
                    Err(streamed::Failure::Send(e)) => Err(e),
                    Err(streamed::Failure::NoAnswer) => Ok(no_answer_response()),
                }
            }
            _ => client.execute(request).await,
        }
    }
}

/// The answer standing for "the body was sent, no answer came in time".
fn no_answer_response() -> Response {
    let mut response = http::Response::new(reqwest::Body::from(Vec::new()));
    *response.status_mut() = http::StatusCode::GATEWAY_TIMEOUT;
    response.extensions_mut().insert(NoAnswer);
    Response::from(response)
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

/// Headers a generated operation's request gets from what the crate knows about it: the
/// commit's ndjson body, vendor JSON media types, and `Accept-Encoding: identity` on a `HEAD`
/// (the metadata of the content as stored: the size is the real one).
fn generated_headers(request: &mut Request, info: &RequestInfo) {
    if info.commit {
        request.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
    }
    if let Some((_, media)) = crate::generated::MEDIA_TYPES
        .iter()
        .find(|(o, _)| *o == info.operation)
    {
        let value = HeaderValue::from_static(media);
        request.headers_mut().insert(CONTENT_TYPE, value.clone());
        request.headers_mut().insert(ACCEPT, value);
    }
    if request.method() == reqwest::Method::HEAD {
        request
            .headers_mut()
            .insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    }
}

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

/// The most redirects one request follows.
const MAX_REDIRECTS: usize = 10;

/// The redirects the built-in clients follow by themselves: those that stay on the origin of
/// the request (a renamed repository answers a relative one), at most [`MAX_REDIRECTS`]. A
/// redirect to another origin is an answer: a `HEAD` of a file reads its metadata from it,
/// and a `GET` follows it by hand without the token ([`Transport::follow_elsewhere`]).
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .last()
            .is_some_and(|prev| same_origin(prev, attempt.url()));
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if same {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// TLS for every built-in client: rustls with the *ring* provider (aws-lc, reqwest's default,
/// costs every dependent build minutes of C compilation) and the platform's certificate
/// verifier, offering HTTP/2 and HTTP/1.1. Nothing process-wide is installed.
fn tls_config() -> std::result::Result<rustls::ClientConfig, rustls::Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// What every built-in client shares: our TLS and the connect timeout.
fn client_builder(timeouts: Timeouts, what: &str) -> Result<reqwest::ClientBuilder> {
    let tls = tls_config().map_err(|e| Error::Transport {
        message: format!("cannot set up TLS for the {what}: {e}"),
        maybe_sent: false,
        idempotent: true,
        source: None,
    })?;
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(timeouts.connect))
}

/// A plain client builder for unit tests, with the same TLS setup (reqwest has no default
/// provider here: the workspace's rustls carries only *ring*).
#[cfg(test)]
pub(crate) fn test_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_backend_preconfigured(tls_config().expect("TLS config"))
}

fn build_client(builder: reqwest::ClientBuilder, what: &str) -> Result<reqwest::Client> {
    builder.build().map_err(|e| Error::Transport {
        message: format!("cannot build the {what}: {e}"),
        maybe_sent: false,
        idempotent: true,
        source: None,
    })
}

/// A built-in HTTP client: with `timeouts.read` as its read timeout, or without one (for
/// streamed bodies, whose answer wait [`streamed`] times instead).
pub(crate) fn http_client(
    timeouts: Timeouts,
    with_read_timeout: bool,
    what: &str,
) -> Result<reqwest::Client> {
    let mut builder = client_builder(timeouts, what)?.redirect(redirect_policy());
    if with_read_timeout {
        builder = builder.read_timeout(timeouts.read);
    }
    build_client(builder, what)
}

/// The client of downloads: the built-in timeouts, and no redirect followed by itself.
fn download_client(timeouts: Timeouts) -> Result<reqwest::Client> {
    let what = "HTTP client for downloads";
    let builder = client_builder(timeouts, what)?
        .read_timeout(timeouts.read)
        .redirect(reqwest::redirect::Policy::none());
    build_client(builder, what)
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

/// The statuses an operation answers with; anything else is an error (read from the body).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expect {
    /// Ranges of statuses, inclusive.
    statuses: &'static [(u16, u16)],
    /// Whether a redirect the client did not follow (to another origin) is an answer too: a
    /// file's metadata is read from the redirect to the CDN.
    redirects: bool,
}

impl Expect {
    /// Any success.
    pub(crate) const SUCCESS: Expect = Expect::of(&[(200, 299)]);

    /// The statuses of these ranges (inclusive).
    pub(crate) const fn of(statuses: &'static [(u16, u16)]) -> Expect {
        Expect {
            statuses,
            redirects: false,
        }
    }

    fn accepts(self, status: u16) -> bool {
        self.statuses
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&status))
            || (self.redirects && (300..400).contains(&status))
    }
}

/// The answer of a generated operation, unread: its request (or why it could not be built)
/// sent through [`Hub::execute`] with the operation's own headers.
async fn answer(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> Result<Response> {
    answer_with_info(hub, operation, expect, request)
        .await
        .map(|(response, _)| response)
}

async fn answer_with_info(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> Result<(Response, RequestInfo)> {
    let mut request = request?;
    let info = RequestInfo::of(operation, request.method().as_str());
    generated_headers(&mut request, &info);
    Ok((hub.execute(request, &info, expect).await?, info))
}

/// The status, headers and whole body of a generated operation's answer.
async fn answer_parts(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> Result<(u16, HeaderMap, Bytes)> {
    let (response, info) = answer_with_info(hub, operation, expect, request).await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::from(e).for_request(&info))?;
    Ok((status, headers, body))
}

/// The most bytes a text answer may have (a paper is a few hundred KiB).
const MAX_TEXT: usize = 64 * 1024 * 1024;

/// A text answer, read whole (at most [`MAX_TEXT`] bytes); text that is not UTF-8 is an error.
async fn text(operation: &'static str, response: Response) -> Result<String> {
    let mut body = ByteStream::of_response(response);
    let mut bytes = Vec::new();
    while let Some(chunk) = futures::StreamExt::next(&mut body).await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > MAX_TEXT {
            return Err(Error::Decode {
                path: ".".into(),
                message: format!("{operation}: the text answer is longer than {MAX_TEXT} bytes"),
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|e| Error::Decode {
        path: ".".into(),
        message: format!("{operation}: the text answer is not UTF-8: {e}"),
    })
}

/// The error of a request the generated code could not build (never sent).
pub(crate) fn request_error(operation: &'static str, e: progenitor_client::Error<()>) -> Error {
    use progenitor_client::Error as P;
    let info = RequestInfo::of_operation(operation);
    match e {
        P::InvalidRequest(reason) => Error::invalid("request", operation, reason),
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
            Error::from(e).for_request(&info)
        }
        other => Error::Transport {
            message: format!("{operation}: the request could not be built: {other}"),
            maybe_sent: false,
            idempotent: info.idempotent,
            source: None,
        },
    }
}

// The answers of generated operations, one function per kind of answer. Each takes the
// built request as plain data and returns a boxed future: the sending and checking is one
// non-generic function for every operation; only decoding is per type.

/// A JSON answer, decoded as `T`.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn send_json<T: DeserializeOwned + Send + 'static>(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> BoxFuture<'static, Result<T>> {
    Box::pin(
        answer_parts(hub, operation, expect, request)
            .map(|r| r.and_then(|(_, _, body)| crate::error::decode(&body))),
    )
}

/// An answer without a body.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn send_empty(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> BoxFuture<'static, Result<()>> {
    Box::pin(answer(hub, operation, expect, request).map(|r| r.map(|_| ())))
}

/// A streamed answer.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn send_bytes(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> BoxFuture<'static, Result<ByteStream>> {
    Box::pin(answer(hub, operation, expect, request).map(|r| r.map(ByteStream::of_response)))
}

/// A text answer.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn send_text(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> BoxFuture<'static, Result<String>> {
    Box::pin(async move { text(operation, answer(hub, operation, expect, request).await?).await })
}

/// An answer whose headers are the answer; a redirect the client did not follow (to another
/// origin) is one too.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn send_headers<H: FromHeaders + Send + 'static>(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> BoxFuture<'static, Result<H>> {
    let expect = Expect {
        redirects: true,
        ..expect
    };
    Box::pin(
        answer(hub, operation, expect, request)
            .map(|r| r.and_then(|r| H::from_headers(r.status().as_u16(), r.headers()))),
    )
}

/// A JSON answer and its headers.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn send_json_with_headers<T, H>(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> BoxFuture<'static, Result<(T, H)>>
where
    T: DeserializeOwned + Send + 'static,
    H: FromHeaders + Send + 'static,
{
    Box::pin(answer_parts(hub, operation, expect, request).map(|r| {
        r.and_then(|(status, headers, body)| {
            Ok((
                crate::error::decode(&body)?,
                H::from_headers(status, &headers)?,
            ))
        })
    }))
}

/// A streamed answer and its headers.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn send_bytes_with_headers<H: FromHeaders + Send + 'static>(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> BoxFuture<'static, Result<(ByteStream, H)>> {
    Box::pin(answer(hub, operation, expect, request).map(|r| {
        r.and_then(|r| {
            let headers = H::from_headers(r.status().as_u16(), r.headers())?;
            Ok((ByteStream::of_response(r), headers))
        })
    }))
}

/// A text answer and its headers.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn send_text_with_headers<H: FromHeaders + Send + 'static>(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> BoxFuture<'static, Result<(String, H)>> {
    Box::pin(async move {
        let response = answer(hub, operation, expect, request).await?;
        let headers = H::from_headers(response.status().as_u16(), response.headers())?;
        Ok((text(operation, response).await?, headers))
    })
}

/// Turns an error status into [`Error::Hub`], reading (a bounded part of) the body.
pub(crate) async fn check_status(response: Response, info: &RequestInfo) -> Result<Response> {
    if response.status().is_success() {
        return Ok(response);
    }
    Err(error_from_response(response, info).await)
}

async fn error_from_response(response: Response, info: &RequestInfo) -> Error {
    if response.extensions().get::<NoAnswer>().is_some() {
        return Error::Timeout {
            message: format!(
                "no answer within the read timeout after sending the body of {}",
                if info.operation.is_empty() {
                    "the request"
                } else {
                    info.operation
                }
            ),
            maybe_sent: true,
            idempotent: info.idempotent,
        };
    }
    let status = response.status().as_u16();
    let headers: HeaderMap = response.headers().clone();
    let body = read_bounded(response, MAX_ERROR_BODY).await;
    crate::error::from_response_parts(info, status, &headers, &body)
}

#[cfg(test)]
mod tests;
