//! The answers of generated operations: expected statuses, and the shared helpers that send a
//! built request and decode what comes back (JSON, bytes, text, headers).

use super::transport::generated_headers;
use super::*;

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

    pub(super) fn accepts(self, status: u16) -> bool {
        self.statuses
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&status))
            || (self.redirects && (300..400).contains(&status))
    }
}

/// The answer of a generated operation, unread: its request (or why it could not be built)
/// sent through [`Hub::execute`] with the operation's own headers.
pub(super) async fn answer(
    hub: Hub,
    operation: &'static str,
    expect: Expect,
    request: Result<Request>,
) -> Result<Response> {
    answer_with_info(hub, operation, expect, request)
        .await
        .map(|(response, _)| response)
}

pub(super) async fn answer_with_info(
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
pub(super) async fn answer_parts(
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
pub(super) const MAX_TEXT: usize = 64 * 1024 * 1024;

/// A text answer, read whole (at most [`MAX_TEXT`] bytes); text that is not UTF-8 is an error.
pub(super) async fn text(operation: &'static str, response: Response) -> Result<String> {
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

pub(super) async fn error_from_response(response: Response, info: &RequestInfo) -> Error {
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
