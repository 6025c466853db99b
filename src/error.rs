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
        409 if info.conflict_is_commit_in_progress => HubErrorKind::CommitInProgress,
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
mod tests;
