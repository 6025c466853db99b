//! [`Transport`]: the per-client state every request goes through (origin, token, retries,
//! timeouts), and how one request is sent and retried.

use super::*;

/// The per-client state every request goes through: endpoint origin, token, retry policy,
/// timeouts.
#[derive(Clone)]
pub(crate) struct Transport {
    pub(super) endpoint: Url,
    /// `Bearer <token>`, marked sensitive; checked to be a valid header value at build time.
    pub(super) authorization: Option<HeaderValue>,
    pub(super) retry: RetryPolicy,
    pub(super) user_agent: HeaderValue,
    pub(super) timeouts: Timeouts,
    /// The client for requests with a streamed body, without a read timeout of its own (see
    /// [`streamed`]); `None` when the caller gave their own client, whose timeouts then apply.
    pub(super) uploads: Option<reqwest::Client>,
    /// The client for downloads: never follows a redirect by itself (the download code
    /// follows those that stay on the endpoint's origin and reads the metadata of the others).
    pub(super) downloads: reqwest::Client,
    /// The shared download cache (`None` when nothing said where it is, not even `HOME`).
    pub(super) cache_dir: Option<PathBuf>,
    /// Answer downloads from the cache only.
    pub(super) offline: bool,
    /// Use Xet storage when the Hub offers it (and the `xet` feature is on).
    pub(super) xet: bool,
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

/// The extension marking the answer [`Transport::execute`] makes up when a streamed body was
/// sent and no answer came in time ([`check_status`] turns it into [`Error::Timeout`]).
#[derive(Debug, Clone)]
pub(super) struct NoAnswer;

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
pub(super) fn no_answer_response() -> Response {
    let mut response = http::Response::new(reqwest::Body::from(Vec::new()));
    *response.status_mut() = reqwest::StatusCode::GATEWAY_TIMEOUT;
    response.extensions_mut().insert(NoAnswer);
    Response::from(response)
}

pub(super) fn record(result: &reqwest::Result<Response>, attempts: u32) {
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
/// media type of a raw body the facade builds (the commit's ndjson), vendor JSON media types,
/// and `Accept-Encoding: identity` on a `HEAD` (the metadata of the content as stored: the
/// size is the real one).
pub(super) fn generated_headers(request: &mut Request, info: &RequestInfo) {
    if let Some(media) = info.body_media_type {
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(media));
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
