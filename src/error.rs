//! The crate's one error type.
//!
//! CONTRACT (shared by every facade module; the variant set is fixed, the mapping
//! helpers are filled in by the client work):
//! - `Error::InvalidInput` is raised before any request is sent and names the value.
//! - `Error::Hub` carries what the Hub said (status, `X-Error-Code`, message, request id)
//!   and a `HubErrorKind` classifying it.
//!
//! Besides the type, this module maps raw answers to errors
//! (`from_response_parts`), decodes JSON bodies with a path to the failing value
//! (`decode`) and converts `reqwest` errors without leaking credentials.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::operations::{RequestInfo, Scope};

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to the Hub.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller gave a value the Hub would reject; no request was sent.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput {
        /// What the value is (e.g. "repo id", "path in repo").
        what: &'static str,
        /// The offending value, as given (never a credential: a bad token shows as `<redacted>`).
        value: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The Hub answered with an error status.
    #[error("{0}")]
    Hub(Box<HubError>),
    /// The request could not be sent or its answer not received.
    #[error("transport error: {message}")]
    Transport {
        /// What failed, without any credential.
        message: String,
        /// Whether the request may have reached the server (false only when it certainly did
        /// not: the connection was never made, or the request could not even be built).
        maybe_sent: bool,
        /// Whether the request is safe to send again (it changes nothing, or the same thing
        /// each time); false for the commit `POST` and any request not known to be safe.
        idempotent: bool,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// The request timed out: connecting, or waiting for (or reading) the answer.
    #[error("request timed out: {message}")]
    Timeout {
        /// What timed out.
        message: String,
        /// Whether the request may have reached the server (false only for a connect timeout).
        maybe_sent: bool,
        /// Whether the request is safe to send again; see [`Error::Transport`].
        idempotent: bool,
    },
    /// A successful answer whose body could not be decoded.
    #[error("cannot decode the Hub's answer at `{path}`: {message}")]
    Decode {
        /// The JSON path of the value that failed (`.` for the root).
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A local file could not be read.
    ///
    /// The display names only the context; the I/O error is the [`source`](std::error::Error::source).
    #[error("{context}")]
    Io {
        /// What was being done, naming the file.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// What the Hub said when it refused a request.
#[derive(Debug, Clone)]
pub struct HubError {
    /// The classification of this error.
    pub kind: HubErrorKind,
    /// The HTTP status.
    pub status: u16,
    /// The `X-Error-Code` header, when present.
    pub code: Option<String>,
    /// `X-Error-Message`, or the body's `error`, or the body itself (truncated).
    pub message: String,
    /// The `X-Request-Id` header, when present.
    pub request_id: Option<String>,
    /// Whether the refused request is safe to send again (it changes nothing, or the same
    /// thing each time); false for the commit `POST` and any request not known to be safe.
    pub idempotent: bool,
}

impl std::fmt::Display for HubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the Hub answered {} ({:?})", self.status, self.kind)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// The classes of Hub errors a caller may want to match on.
///
/// An `X-Error-Code` header decides when the Hub sends one. Without it, a 401 or 404 is
/// classified by what the operation's path is about and by the message: the Hub answers
/// 401 for a missing, private or gated repository alike (`{"error":"Invalid username or
/// password."}` included), so a 401 on a repository's operation is [`RepoNotFound`]
/// (as the official client reports it) and on any other operation [`Unauthorized`]; a 404
/// is [`EntryNotFound`] on a file or folder operation (`…/tree/{rev}/{path}`),
/// [`RevisionNotFound`] on a revision's, [`RepoNotFound`] on the repository's own.
///
/// [`RepoNotFound`]: HubErrorKind::RepoNotFound
/// [`RevisionNotFound`]: HubErrorKind::RevisionNotFound
/// [`EntryNotFound`]: HubErrorKind::EntryNotFound
/// [`Unauthorized`]: HubErrorKind::Unauthorized
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubErrorKind {
    /// The repository does not exist, or is private and the token cannot see it.
    RepoNotFound,
    /// The revision does not exist.
    RevisionNotFound,
    /// The file or folder does not exist.
    EntryNotFound,
    /// The repository is gated and access was not granted.
    GatedRepo,
    /// The repository has been disabled.
    DisabledRepo,
    /// The token is invalid or expired.
    InvalidCredentials,
    /// 401 on an operation that is not about a repository: it needs a token (or another one).
    Unauthorized,
    /// The token is valid but not allowed to do this.
    Forbidden,
    /// Too many requests; wait before trying again.
    RateLimited {
        /// How long the Hub asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// 409 on anything but the commit: what the request would create already exists (a
    /// repository, branch or tag) or clashes with the current state. Trying again gives the
    /// same answer.
    Conflict,
    /// 412: the commit's parent is no longer the head of the branch.
    CommitConflict {
        /// The parent commit the caller expected, when one was given.
        expected_parent: Option<String>,
    },
    /// 409 on the commit `POST`: another commit is in progress on this repository. Nothing was
    /// committed.
    CommitInProgress,
    /// Any other error status.
    Other,
}

impl Error {
    /// The HTTP status the Hub answered, for [`Error::Hub`]; `None` otherwise.
    pub fn status(&self) -> Option<u16> {
        self.hub().map(|h| h.status)
    }

    /// Whether sending the same request again later may succeed **and** cannot do harm.
    ///
    /// - [`Error::Timeout`] and [`Error::Transport`]: when the request is safe to repeat
    ///   (`idempotent`), or certainly never reached the server (`maybe_sent == false`). A
    ///   timed-out or dropped commit `POST` is **not** retryable: the Hub may have created
    ///   the commit.
    /// - [`Error::Hub`]: answers the Hub gives before doing anything — 429
    ///   ([`HubErrorKind::RateLimited`], wait `retry_after`) and 409 on the commit
    ///   ([`HubErrorKind::CommitInProgress`]) — whatever the request; 408, 500, 502, 503 and
    ///   504 only for a request safe to repeat. Never a [`HubErrorKind::Conflict`] or a
    ///   [`HubErrorKind::CommitConflict`]: the same request gets the same answer.
    /// - Never for invalid input, decode or local I/O errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout {
                maybe_sent,
                idempotent,
                ..
            }
            | Error::Transport {
                maybe_sent,
                idempotent,
                ..
            } => *idempotent || !*maybe_sent,
            Error::Hub(h) => match h.kind {
                HubErrorKind::RateLimited { .. } | HubErrorKind::CommitInProgress => true,
                HubErrorKind::Conflict | HubErrorKind::CommitConflict { .. } => false,
                _ => h.idempotent && crate::retry::is_retryable_status(h.status),
            },
            Error::InvalidInput { .. } | Error::Decode { .. } | Error::Io { .. } => false,
        }
    }

    /// Whether the server may have received the whole request (and so may have acted on it).
    ///
    /// True for every answer ([`Error::Hub`], [`Error::Decode`]); for [`Error::Timeout`] and
    /// [`Error::Transport`], their `maybe_sent`; false for [`Error::InvalidInput`] (raised
    /// before sending) and [`Error::Io`] (a local source failed: the body was cut short, and
    /// the Hub does not act on an incomplete body). Check it before repeating a request
    /// that is not idempotent, such as a commit.
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Error::Hub(_) | Error::Decode { .. } => true,
            Error::Timeout { maybe_sent, .. } | Error::Transport { maybe_sent, .. } => *maybe_sent,
            Error::InvalidInput { .. } | Error::Io { .. } => false,
        }
    }

    /// What the Hub said, for [`Error::Hub`]; `None` otherwise.
    pub fn hub(&self) -> Option<&HubError> {
        match self {
            Error::Hub(h) => Some(h),
            _ => None,
        }
    }

    /// The classification of the Hub's answer, for [`Error::Hub`]; `None` otherwise.
    pub fn kind(&self) -> Option<&HubErrorKind> {
        self.hub().map(|h| &h.kind)
    }

    /// An [`Error::InvalidInput`] naming the value and why it is rejected.
    pub(crate) fn invalid(
        what: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidInput {
            what,
            value: value.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Io`] with a context naming what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// This error, marked as one of a request that is (or is not) safe to send again.
    pub(crate) fn for_request(mut self, info: &RequestInfo) -> Self {
        match &mut self {
            Error::Timeout { idempotent, .. } | Error::Transport { idempotent, .. } => {
                *idempotent = info.idempotent;
            }
            Error::Hub(h) => h.idempotent = info.idempotent,
            _ => {}
        }
        self
    }
}

impl From<HubError> for Error {
    fn from(e: HubError) -> Self {
        Error::Hub(Box::new(e))
    }
}

/// How many characters of a non-JSON body an error message keeps.
const MAX_BODY_CHARS: usize = 500;

/// The most bytes of an error answer's body that are read (the rest is never downloaded).
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;

/// The exact `X-Error-Message` the Hub sends for a disabled repository.
const DISABLED_MESSAGE: &str = "Access to this resource is disabled.";

/// Reads at most `limit` bytes of a body (an error answer's: enough for any message, and a
/// huge or endless body costs nothing more); a failure part-way keeps what was read.
pub(crate) async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

/// Maps an error answer (status, headers, body) of the request `info` describes to an
/// [`Error::Hub`].
///
/// Never panics, whatever the bytes. For 412 the kind is
/// `CommitConflict { expected_parent: None }`: the caller fills in the parent it sent.
pub(crate) fn from_response_parts(
    info: &RequestInfo,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let code = header_text(headers, "x-error-code");
    let message = header_text(headers, "x-error-message")
        .or_else(|| message_from_body(body))
        .unwrap_or_default();
    let request_id =
        header_text(headers, "x-request-id").or_else(|| header_text(headers, "x-amzn-trace-id"));
    let kind = classify(info, status, code.as_deref(), &message, headers);
    Error::from(HubError {
        kind,
        status,
        code,
        message,
        request_id,
        idempotent: info.idempotent,
    })
}

/// Classifies an error answer; see [`from_response_parts`] and [`HubErrorKind`].
fn classify(
    info: &RequestInfo,
    status: u16,
    code: Option<&str>,
    message: &str,
    headers: &HeaderMap,
) -> HubErrorKind {
    if message.trim().eq_ignore_ascii_case(DISABLED_MESSAGE) {
        return HubErrorKind::DisabledRepo;
    }
    // A bad token is the root cause whatever else the answer says.
    if status == 401 && says_invalid_credentials(message) {
        return HubErrorKind::InvalidCredentials;
    }
    match code {
        Some("RepoNotFound") => return HubErrorKind::RepoNotFound,
        Some("RevisionNotFound") => return HubErrorKind::RevisionNotFound,
        Some("EntryNotFound") => return HubErrorKind::EntryNotFound,
        Some("GatedRepo") => return HubErrorKind::GatedRepo,
        Some("DisabledRepo") => return HubErrorKind::DisabledRepo,
        _ => {}
    }
    match status {
        401 => match says_not_found(message) {
            Some(kind) => kind,
            // The Hub hides private, gated and missing repositories alike behind 401.
            None if info.scope.is_repo() => HubErrorKind::RepoNotFound,
            None => HubErrorKind::Unauthorized,
        },
        403 => HubErrorKind::Forbidden,
        404 => says_not_found(message).unwrap_or(match info.scope {
            Scope::Path => HubErrorKind::EntryNotFound,
            Scope::Revision => HubErrorKind::RevisionNotFound,
            Scope::Repo => HubErrorKind::RepoNotFound,
            Scope::RepoItem | Scope::Account => HubErrorKind::Other,
        }),
        409 if info.commit => HubErrorKind::CommitInProgress,
        409 => HubErrorKind::Conflict,
        412 => HubErrorKind::CommitConflict {
            expected_parent: None,
        },
        429 => HubErrorKind::RateLimited {
            retry_after: crate::retry::server_wait_hint(headers),
        },
        _ => HubErrorKind::Other,
    }
}

/// Whether a 401's message says the credentials themselves are bad. (Not "Invalid username
/// or password.": the Hub says that for a missing repository requested without a token.)
fn says_invalid_credentials(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "invalid credentials",
        "invalid token",
        "token is expired",
        "token has expired",
        "expired token",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// The kind a not-found message names, when it names one: `Repository not found`,
/// `Invalid rev id: x` / `Revision not found`, `x does not exist on "main"` / `Entry not found`.
fn says_not_found(message: &str) -> Option<HubErrorKind> {
    let lower = message.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if has(&["repository not found", "repo not found"]) {
        Some(HubErrorKind::RepoNotFound)
    } else if has(&["revision not found", "invalid rev id", "unknown revision"]) {
        Some(HubErrorKind::RevisionNotFound)
    } else if has(&["entry not found", "does not exist on ", "file not found"]) {
        Some(HubErrorKind::EntryNotFound)
    } else {
        None
    }
}

/// A header's value as text (lossy for non-UTF-8 bytes), trimmed; `None` when absent or blank.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The message a body carries: its JSON `error` (a string, or strings joined), else its
/// text truncated; `None` for an empty body.
fn message_from_body(body: &[u8]) -> Option<String> {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        match map.get("error") {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                return Some(s.trim().to_owned());
            }
            Some(serde_json::Value::Array(items)) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|item| match item {
                        serde_json::Value::String(s) => s.trim().to_owned(),
                        other => other.to_string(),
                    })
                    .filter(|s| !s.is_empty())
                    .collect();
                if !parts.is_empty() {
                    return Some(parts.join("; "));
                }
            }
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    (!text.is_empty()).then(|| truncate_chars(text, MAX_BODY_CHARS))
}

/// The first `max` characters of `s` (never splitting a character), with `…` when cut.
fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// The [`Error::Decode`] for a body serde_json refused, naming the JSON path of the value
/// that failed (see [`crate::json_path`]).
pub(crate) fn decode_failure(bytes: &[u8], e: &serde_json::Error) -> Error {
    Error::Decode {
        path: crate::json_path::path_of_error(bytes, e),
        message: e.to_string(),
    }
}

/// Decodes a JSON body as `T`; on failure the error names the failing value's path.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| decode_failure(bytes, &e))
}

/// A URL safe to show: no user info, query or fragment.
fn redacted_url(url: &url::Url) -> String {
    let mut url = url.clone();
    // These fail only for URLs that cannot carry them, which then have none to remove.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// A value a generated type refused (a string off its pattern, a number out of range), so
/// `"MODEL_ID".parse::<types::Key>()?` works in a function returning this crate's `Result`.
impl From<crate::types::error::ConversionError> for Error {
    fn from(e: crate::types::error::ConversionError) -> Self {
        Error::InvalidInput {
            what: "request value",
            value: String::new(),
            reason: e.to_string(),
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        let target = e
            .url()
            .map(|u| format!(" {}", redacted_url(u)))
            .unwrap_or_default();
        if e.is_timeout() {
            let phase = if e.is_connect() {
                "connecting to"
            } else if e.is_body() || e.is_decode() {
                "reading the answer from"
            } else {
                "waiting for"
            };
            return Error::Timeout {
                message: format!("{phase}{target}").trim_end().to_owned(),
                maybe_sent: !e.is_connect(),
                idempotent: false,
            };
        }
        let (what, maybe_sent) = if e.is_builder() {
            ("cannot build the request to", false)
        } else if e.is_connect() {
            ("cannot connect to", false)
        } else if e.is_redirect() {
            ("bad redirect from", true)
        } else if e.is_body() {
            ("body error talking to", true)
        } else if e.is_decode() {
            ("cannot read the answer from", true)
        } else if e.is_status() {
            ("error status from", true)
        } else {
            ("request failed to", true)
        };
        Error::Transport {
            message: format!("{what}{target}").trim_end().to_owned(),
            maybe_sent,
            idempotent: false,
            source: Some(Box::new(e.without_url())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};
    use std::error::Error as _;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    /// An answer to a request nothing is known about (not about a repository, not safe to repeat).
    fn parts(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
        from_response_parts(&RequestInfo::UNKNOWN, status, headers, body)
    }

    /// An answer to `operation` of the table.
    fn answer(operation: &'static str, method: &str, status: u16, body: &str) -> Error {
        from_response_parts(
            &RequestInfo::of(operation, method),
            status,
            &HeaderMap::new(),
            body.as_bytes(),
        )
    }

    fn hub(e: &Error) -> &HubError {
        e.hub().expect("a Hub error")
    }

    #[test]
    fn error_codes_map_to_kinds() {
        let cases = [
            ("RepoNotFound", 404, HubErrorKind::RepoNotFound),
            ("RevisionNotFound", 404, HubErrorKind::RevisionNotFound),
            ("EntryNotFound", 404, HubErrorKind::EntryNotFound),
            ("GatedRepo", 401, HubErrorKind::GatedRepo),
            ("GatedRepo", 403, HubErrorKind::GatedRepo),
            ("RepoNotFound", 401, HubErrorKind::RepoNotFound),
            ("SomethingNew", 404, HubErrorKind::Other),
            ("SomethingNew", 403, HubErrorKind::Forbidden),
        ];
        for (code, status, kind) in cases {
            let e = parts(status, &headers(&[("X-Error-Code", code)]), b"");
            assert_eq!(e.kind(), Some(&kind), "{code} {status}");
            assert_eq!(hub(&e).code.as_deref(), Some(code));
            assert_eq!(e.status(), Some(status));
        }
    }

    #[test]
    fn status_without_code_maps_to_kinds() {
        let cases = [
            (401, HubErrorKind::Unauthorized),
            (403, HubErrorKind::Forbidden),
            (409, HubErrorKind::Conflict),
            (
                412,
                HubErrorKind::CommitConflict {
                    expected_parent: None,
                },
            ),
            (429, HubErrorKind::RateLimited { retry_after: None }),
            (400, HubErrorKind::Other),
            (404, HubErrorKind::Other),
            (500, HubErrorKind::Other),
        ];
        for (status, kind) in cases {
            let e = parts(status, &HeaderMap::new(), b"");
            assert_eq!(e.kind(), Some(&kind), "{status}");
            assert_eq!(hub(&e).code, None);
            assert_eq!(hub(&e).message, "");
        }
    }

    #[test]
    fn disabled_repo_from_message() {
        let e = parts(
            403,
            &headers(&[("X-Error-Message", "Access to this resource is disabled.")]),
            b"",
        );
        assert_eq!(e.kind(), Some(&HubErrorKind::DisabledRepo));
        let e = parts(
            404,
            &headers(&[
                ("X-Error-Code", "RepoNotFound"),
                ("X-Error-Message", "Access to this resource is disabled."),
            ]),
            b"",
        );
        assert_eq!(e.kind(), Some(&HubErrorKind::DisabledRepo));
    }

    #[test]
    fn unauthorized_with_bad_credentials() {
        for msg in [
            "Invalid credentials in Authorization header",
            "invalid token",
            "Token is expired",
        ] {
            let e = parts(401, &headers(&[("X-Error-Message", msg)]), b"");
            assert_eq!(e.kind(), Some(&HubErrorKind::InvalidCredentials), "{msg}");
            assert_eq!(hub(&e).message, msg);
        }
        // From the body too.
        let e = parts(
            401,
            &HeaderMap::new(),
            br#"{"error":"Invalid credentials in Authorization header"}"#,
        );
        assert_eq!(e.kind(), Some(&HubErrorKind::InvalidCredentials));
        // Other 401 messages mean "not found or no access".
        let e = parts(
            401,
            &headers(&[("X-Error-Message", "Repository not found")]),
            b"",
        );
        assert_eq!(e.kind(), Some(&HubErrorKind::RepoNotFound));
        // "Invalid username or password." is what the Hub says for a missing repository asked
        // for without a token: not a statement about credentials.
        let e = parts(
            401,
            &HeaderMap::new(),
            br#"{"error":"Invalid username or password."}"#,
        );
        assert_eq!(e.kind(), Some(&HubErrorKind::Unauthorized));
        // A 403 saying "invalid token" stays Forbidden.
        let e = parts(403, &headers(&[("X-Error-Message", "invalid token")]), b"");
        assert_eq!(e.kind(), Some(&HubErrorKind::Forbidden));
    }

    #[test]
    fn rate_limit_wait() {
        let e = parts(429, &headers(&[("Retry-After", "7")]), b"");
        assert_eq!(
            e.kind(),
            Some(&HubErrorKind::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            })
        );
        let e = parts(429, &headers(&[("RateLimit", "\"api\";r=0;t=55")]), b"");
        assert_eq!(
            e.kind(),
            Some(&HubErrorKind::RateLimited {
                retry_after: Some(Duration::from_secs(55))
            })
        );
        let e = parts(429, &headers(&[("Retry-After", "soon")]), b"");
        assert_eq!(
            e.kind(),
            Some(&HubErrorKind::RateLimited { retry_after: None })
        );
        assert!(e.is_retryable());
    }

    #[test]
    fn message_sources_in_order() {
        // Header wins over body.
        let e = parts(
            400,
            &headers(&[("X-Error-Message", "from header")]),
            br#"{"error":"from body"}"#,
        );
        assert_eq!(hub(&e).message, "from header");
        // JSON string.
        let e = parts(400, &HeaderMap::new(), br#"{"error":"from body"}"#);
        assert_eq!(hub(&e).message, "from body");
        // JSON array of strings.
        let e = parts(400, &HeaderMap::new(), br#"{"error":["a","b"]}"#);
        assert_eq!(hub(&e).message, "a; b");
        // JSON without `error`: the text.
        let e = parts(400, &HeaderMap::new(), br#"{"detail":"x"}"#);
        assert_eq!(hub(&e).message, r#"{"detail":"x"}"#);
        // Plain text, trimmed.
        let e = parts(502, &HeaderMap::new(), b"  Bad Gateway\n");
        assert_eq!(hub(&e).message, "Bad Gateway");
    }

    #[test]
    fn long_bodies_are_truncated_on_char_boundaries() {
        let body = "é".repeat(2000);
        let e = parts(500, &HeaderMap::new(), body.as_bytes());
        let msg = &hub(&e).message;
        assert_eq!(msg.chars().count(), MAX_BODY_CHARS + 1);
        assert!(msg.ends_with('…'));
        let body = "x".repeat(MAX_BODY_CHARS);
        let e = parts(500, &HeaderMap::new(), body.as_bytes());
        assert_eq!(hub(&e).message, body);
    }

    #[test]
    fn request_id_and_display() {
        let e = parts(
            404,
            &headers(&[
                ("X-Error-Code", "EntryNotFound"),
                ("X-Error-Message", "Entry not found"),
                ("X-Request-Id", "Root=1-abc"),
            ]),
            b"",
        );
        assert_eq!(hub(&e).request_id.as_deref(), Some("Root=1-abc"));
        let text = e.to_string();
        assert!(text.contains("404"), "{text}");
        assert!(text.contains("Entry not found"), "{text}");
        assert!(text.contains("Root=1-abc"), "{text}");
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..500 {
            let len = (next() % 1200) as usize;
            let body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let mut map = HeaderMap::new();
            let raw: Vec<u8> = (0..(next() % 40))
                .map(|_| (next() % 0x5f + 0x20) as u8 | ((next() as u8) & 0x80))
                .collect();
            if let Ok(v) = HeaderValue::from_bytes(&raw) {
                map.insert("x-error-message", v.clone());
                map.insert("retry-after", v.clone());
                map.insert("ratelimit", v);
            }
            let status = [400u16, 401, 403, 404, 409, 412, 429, 500][round % 8];
            let e = parts(status, &map, &body);
            let _ = e.to_string();
        }
        // Non-UTF-8 header bytes are read lossily.
        let mut map = HeaderMap::new();
        map.insert(
            "x-error-message",
            HeaderValue::from_bytes(b"caf\xc3\xa9 \xff").unwrap(),
        );
        let e = parts(400, &map, b"\xff\xfe");
        assert!(hub(&e).message.starts_with("café"));
    }

    #[test]
    fn retryable() {
        let safe = RequestInfo::of("whoami", "GET");
        let unsafe_post = RequestInfo::of("create_repo", "POST");
        let commit = RequestInfo::of("create_commit", "POST");
        let none = HeaderMap::new();
        for status in [408, 429, 500, 502, 503, 504] {
            let e = from_response_parts(&safe, status, &none, b"");
            assert!(e.is_retryable(), "{status}");
            assert!(e.may_have_reached_server());
        }
        for status in [400, 401, 403, 404, 409, 412, 413] {
            let e = from_response_parts(&safe, status, &none, b"");
            assert!(!e.is_retryable(), "{status}");
        }
        // A request that is not safe to repeat: only refusals made before doing anything.
        for info in [&unsafe_post, &commit] {
            for status in [408, 500, 502, 503, 504] {
                let e = from_response_parts(info, status, &none, b"");
                assert!(!e.is_retryable(), "{} {status}", info.operation);
            }
            assert!(from_response_parts(info, 429, &none, b"").is_retryable());
        }
        // 409: a conflict is final, a commit in progress is worth waiting for.
        let e = from_response_parts(&unsafe_post, 409, &none, b"");
        assert_eq!(e.kind(), Some(&HubErrorKind::Conflict));
        assert!(!e.is_retryable());
        let e = from_response_parts(&commit, 409, &none, b"");
        assert_eq!(e.kind(), Some(&HubErrorKind::CommitInProgress));
        assert!(e.is_retryable());

        // Timeouts and transport errors: safe requests, or requests never sent.
        let timeout = |maybe_sent, idempotent| Error::Timeout {
            message: "x".into(),
            maybe_sent,
            idempotent,
        };
        assert!(timeout(true, true).is_retryable());
        assert!(timeout(false, false).is_retryable());
        assert!(!timeout(true, false).is_retryable());
        assert!(timeout(true, false).may_have_reached_server());
        assert!(!timeout(false, true).may_have_reached_server());
        let transport = Error::Transport {
            message: "x".into(),
            maybe_sent: true,
            idempotent: false,
            source: None,
        };
        assert!(!transport.is_retryable());
        assert!(transport.for_request(&safe).is_retryable());

        assert!(!Error::invalid("repo id", "a", "b").is_retryable());
        assert!(!Error::invalid("repo id", "a", "b").may_have_reached_server());
        assert!(
            !Error::Decode {
                path: ".".into(),
                message: "x".into()
            }
            .is_retryable()
        );
        assert_eq!(Error::invalid("repo id", "a", "b").status(), None);
        assert_eq!(Error::invalid("repo id", "a", "b").kind(), None);
    }

    #[test]
    fn the_hubs_real_answers_are_classified_by_operation() {
        // (operation, method, status, body, kind, retryable)
        let cases = [
            (
                "create_repo",
                "POST",
                409,
                r#"{"error":"You already created this space repo","url":"https://huggingface.co/spaces/user/tmp_test_space"}"#,
                HubErrorKind::Conflict,
                false,
            ),
            (
                "create_repo_branch",
                "POST",
                409,
                r#"{"error":"Reference already exists"}"#,
                HubErrorKind::Conflict,
                false,
            ),
            (
                "create_commit",
                "POST",
                409,
                r#"{"error":"Another commit operation is in progress"}"#,
                HubErrorKind::CommitInProgress,
                true,
            ),
            (
                "get_space_variables",
                "GET",
                401,
                r#"{"error":"Invalid username or password."}"#,
                HubErrorKind::RepoNotFound,
                false,
            ),
            (
                "whoami",
                "GET",
                401,
                r#"{"error":"Invalid username or password."}"#,
                HubErrorKind::Unauthorized,
                false,
            ),
            (
                "whoami",
                "GET",
                401,
                r#"{"error":"Invalid credentials in Authorization header"}"#,
                HubErrorKind::InvalidCredentials,
                false,
            ),
            (
                "list_repo_tree",
                "GET",
                404,
                r#"{"error":"additional_chat_templates does not exist on \"main\""}"#,
                HubErrorKind::EntryNotFound,
                false,
            ),
            (
                "list_repo_tree",
                "GET",
                404,
                r#"{"error":"Repository not found"}"#,
                HubErrorKind::RepoNotFound,
                false,
            ),
            (
                "list_repo_tree",
                "GET",
                404,
                r#"{"error":"Invalid rev id: nope"}"#,
                HubErrorKind::RevisionNotFound,
                false,
            ),
            (
                "list_repo_tree",
                "GET",
                404,
                "",
                HubErrorKind::EntryNotFound,
                false,
            ),
            (
                "create_commit",
                "POST",
                404,
                "",
                HubErrorKind::RevisionNotFound,
                false,
            ),
            (
                "create_commit",
                "POST",
                500,
                "boom",
                HubErrorKind::Other,
                false,
            ),
            ("whoami", "GET", 404, "", HubErrorKind::Other, false),
        ];
        for (op, method, status, body, kind, retryable) in cases {
            let e = answer(op, method, status, body);
            assert_eq!(e.kind(), Some(&kind), "{op} {status} {body}");
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.is_retryable(), retryable, "{op} {status} {body}");
        }
    }

    #[test]
    fn invalid_input_display() {
        let e = Error::invalid("repo id", "a//b", "must have one `/`");
        assert_eq!(e.to_string(), "invalid repo id \"a//b\": must have one `/`");
    }

    #[test]
    fn io_display_does_not_repeat_source() {
        let e = Error::io(
            "reading /tmp/x",
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        );
        assert_eq!(e.to_string(), "reading /tmp/x");
        assert_eq!(
            e.source().map(|s| s.to_string()).as_deref(),
            Some("no such file")
        );
    }

    #[derive(Debug, serde::Deserialize)]
    struct Item {
        id: String,
        gated: bool,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Page {
        items: Vec<Item>,
    }

    #[test]
    fn decode_names_the_path() {
        let body = br#"{"items":[{"id":"a","gated":false},{"id":"b","gated":false},
            {"id":"c","gated":true},{"id":"d","gated":"manual"}]}"#;
        match decode::<Page>(body) {
            Err(Error::Decode { path, message }) => {
                assert_eq!(path, "items[3].gated");
                assert!(message.contains("invalid type"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let ok: Page = decode(br#"{"items":[{"id":"a","gated":true}]}"#).unwrap();
        assert_eq!(ok.items.len(), 1);
        assert_eq!(ok.items[0].id, "a");
        assert!(ok.items[0].gated);
    }

    #[test]
    fn decode_root_and_garbage() {
        for body in [
            &b""[..],
            b"not json",
            b"[1,2]",
            b"{\"items\":[]} trailing",
            b"\xff",
        ] {
            match decode::<Page>(body) {
                Err(Error::Decode { path, message }) => {
                    assert!(!message.is_empty());
                    assert!(!path.is_empty());
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        match decode::<Page>(br#"{"items":[{"id":"a"}]}"#) {
            Err(Error::Decode { path, message }) => {
                assert_eq!(path, "items[0]");
                assert!(message.contains("gated"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        match decode::<Page>(b"not json") {
            Err(e @ Error::Decode { .. }) => {
                assert!(e.to_string().contains("`.`"), "{e}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn builder_error_is_not_sent() {
        let client = crate::client::test_client_builder().build().unwrap();
        let err = client
            .get("http://exa mple.com/")
            .build()
            .expect_err("bad URL");
        match Error::from(err) {
            ref e @ Error::Transport {
                maybe_sent,
                ref source,
                ..
            } => {
                assert!(!maybe_sent);
                assert!(source.is_some());
                // Never sent: safe to try again whatever the request.
                assert!(e.is_retryable());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn connect_error_hides_credentials() {
        // A port that was free a moment ago: connecting fails.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let url = format!("http://user:hf_secret@127.0.0.1:{port}/api/models?token=hf_secret#x");
        let err = crate::client::test_client_builder()
            .build()
            .unwrap()
            .get(&url)
            .send()
            .await
            .unwrap_err();
        let e = Error::from(err);
        match &e {
            Error::Transport { maybe_sent, .. } => assert!(!maybe_sent),
            other => panic!("unexpected {other:?}"),
        }
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            text.push_str(&s.to_string());
            source = s.source();
        }
        assert!(!text.contains("hf_secret"), "{text}");
        assert!(e.to_string().contains("/api/models"), "{e}");
    }

    #[tokio::test]
    async fn timeout_maps_to_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accept and hold the connection without answering.
        let hold = tokio::spawn(async move {
            let conn = listener.accept().await;
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(conn);
        });
        let client = crate::client::test_client_builder()
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let err = client
            .get(format!("http://{addr}/slow?token=hf_secret"))
            .send()
            .await
            .unwrap_err();
        let e = Error::from(err);
        match &e {
            Error::Timeout {
                message,
                maybe_sent,
                ..
            } => {
                assert!(message.contains("/slow"), "{message}");
                assert!(!message.contains("hf_secret"), "{message}");
                assert!(maybe_sent, "the request was written before the wait");
            }
            other => panic!("unexpected {other:?}"),
        }
        // A GET is safe to send again; an unknown request is not.
        assert!(!e.is_retryable());
        assert!(
            e.for_request(&RequestInfo::of("whoami", "GET"))
                .is_retryable()
        );
        hold.abort();
    }
}
