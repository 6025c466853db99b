//! Small helpers: hashing, hex, cursors, query strings, Hub-style responses.

use std::sync::{Mutex, MutexGuard, PoisonError};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use serde::Serialize;
use sha1::Digest as _;

use crate::SimError;

/// The response type every handler produces.
pub(crate) type Resp = Response<SimBody>;

/// A body held whole in memory, as one or more chunks; or, for a cut download
/// ([`SimBody::cut`]), the first bytes of one, then an error that drops the connection.
#[derive(Debug)]
pub(crate) struct SimBody {
    data: std::collections::VecDeque<Bytes>,
    /// The length announced (`Content-Length`).
    len: u64,
    /// Fail once the data is sent.
    fail: bool,
    /// Whether the connection had its chance to flush the data before the failure.
    flushed: bool,
}

impl SimBody {
    pub(crate) fn new(data: Bytes) -> SimBody {
        SimBody::chunks(vec![data])
    }

    /// A body sent as these chunks, one frame each (no copy into one buffer).
    pub(crate) fn chunks(chunks: Vec<Bytes>) -> SimBody {
        SimBody {
            len: chunks.iter().map(|c| c.len() as u64).sum(),
            data: chunks.into_iter().filter(|c| !c.is_empty()).collect(),
            fail: false,
            flushed: false,
        }
    }

    /// The same announced length, only `after` bytes sent, then the connection dropped.
    pub(crate) fn cut(data: Bytes, after: usize) -> SimBody {
        let sent = data.slice(..after.min(data.len()));
        SimBody {
            len: data.len() as u64,
            data: std::iter::once(sent).filter(|c| !c.is_empty()).collect(),
            fail: true,
            flushed: false,
        }
    }

    /// The whole body, for the fault layer.
    pub(crate) fn into_bytes(self) -> Bytes {
        join(&Vec::from(self.data))
    }
}

impl http_body::Body for SimBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        if let Some(data) = self.data.pop_front() {
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(data))));
        }
        if self.fail && !self.flushed {
            // Let hyper write out what it holds, so the client receives the first bytes.
            self.flushed = true;
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        if self.fail {
            self.fail = false;
            return std::task::Poll::Ready(Some(Err(std::io::Error::other(
                "body cut by fault injection",
            ))));
        }
        std::task::Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty() && !self.fail
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.len)
    }
}

/// `chunks` in one buffer: the chunk itself when there is one.
pub(crate) fn join(chunks: &[Bytes]) -> Bytes {
    match chunks {
        [] => Bytes::new(),
        [one] => one.clone(),
        many => {
            let mut all = bytes::BytesMut::with_capacity(many.iter().map(Bytes::len).sum());
            for chunk in many {
                all.extend_from_slice(chunk);
            }
            all.freeze()
        }
    }
}

/// Lower-case hexadecimal of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// SHA-256 of `data`, as lower-case hex.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&sha2::Sha256::digest(data))
}

/// SHA-1 of `data`, as lower-case hex.
pub(crate) fn sha1_hex(data: &[u8]) -> String {
    hex(&sha1::Sha1::digest(data))
}

/// The git blob id of `data`: `sha1("blob <len>\0" + data)`.
pub(crate) fn git_blob_sha1(data: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    hex(&h.finalize())
}

/// The git-lfs pointer file for an object.
pub(crate) fn lfs_pointer(oid: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n")
}

/// Whether `s` is `len` lower-case hexadecimal digits.
pub(crate) fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

const CURSOR_PREFIX: &str = "hf-hub-sim:offset:";

/// Encodes a page offset as an opaque cursor.
pub(crate) fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{offset}"))
}

/// Decodes a cursor made by [`encode_cursor`].
pub(crate) fn decode_cursor(cursor: &str) -> Result<usize, SimError> {
    let bad = || SimError::new(400, None, format!("Invalid cursor: {cursor}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    text.strip_prefix(CURSOR_PREFIX)
        .and_then(|n| n.parse::<usize>().ok())
        .ok_or_else(bad)
}

/// Decoded query pairs, in order.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    match query {
        Some(q) => url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        None => Vec::new(),
    }
}

/// Accessors on decoded query pairs.
pub(crate) trait QueryExt {
    /// The last value of `key`.
    fn param(&self, key: &str) -> Option<&str>;
    /// Every value of `key`.
    fn all(&self, key: &str) -> Vec<&str>;
    /// Whether `key` is set to a true-ish value (`1`, `true`, or present without value).
    fn flag(&self, key: &str) -> bool;
    /// A numeric parameter; 400 when it does not parse.
    fn number(&self, key: &str) -> Result<Option<i64>, SimError>;
}

impl QueryExt for [(String, String)] {
    fn param(&self, key: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.param(key), Some("" | "1" | "true" | "True" | "TRUE"))
    }

    fn number(&self, key: &str) -> Result<Option<i64>, SimError> {
        match self.param(key) {
            None => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                SimError::new(
                    400,
                    None,
                    format!("Invalid value for query parameter {key}: {v}"),
                )
            }),
        }
    }
}

/// Builds a response with a body and a content type.
pub(crate) fn response(status: u16, content_type: &str, body: Bytes) -> Resp {
    let mut resp = Response::new(SimBody::new(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(CONTENT_TYPE, v);
    }
    resp
}

/// A JSON answer.
pub(crate) fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Resp {
    match serde_json::to_vec(value) {
        Ok(body) => response(status, "application/json; charset=utf-8", Bytes::from(body)),
        Err(e) => error_response(&SimError::new(
            500,
            None,
            format!("serialization failed: {e}"),
        )),
    }
}

/// Sets a header, ignoring values that are not valid header values.
pub(crate) fn set_header(resp: &mut Resp, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        resp.headers_mut().insert(n, v);
    }
}

/// A Hub-style error: status, `X-Error-Code`, `X-Error-Message` and `{"error": message}`.
pub(crate) fn error_response(err: &SimError) -> Resp {
    let mut resp = json(err.status, &serde_json::json!({ "error": err.message }));
    if let Some(code) = &err.code {
        set_header(&mut resp, "x-error-code", code);
    }
    // Header values must be visible ASCII: keep the message on one line.
    let msg: String = err
        .message
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                ' '
            }
        })
        .collect();
    set_header(&mut resp, "x-error-message", &msg);
    resp
}

/// Rounds `a / b` up.
pub(crate) fn div_ceil(a: u64, b: u64) -> u64 {
    if b == 0 { 0 } else { a.div_ceil(b) }
}

/// Locks a mutex, ignoring poisoning (a panicking handler leaves the state consistent because
/// every change is applied at once at the end).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_sha1_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            git_blob_sha1(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            git_blob_sha1(b""),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
    }

    #[test]
    fn cursor_roundtrip() {
        for n in [0, 1, 999, 100_000] {
            assert_eq!(decode_cursor(&encode_cursor(n)).ok(), Some(n));
        }
        assert!(decode_cursor("garbage!").is_err());
    }
}
