//! The git-lfs batch API (wire types) and the upload of one object to storage.
//!
//! The batch call itself goes to the Hub with the token (the orchestrator sends it); the uploads go
//! to the `href`s the Hub answers, which point at object storage on **other hosts**. [`upload_object`]
//! therefore takes a plain `reqwest::Client` that must carry no Hub token (no default
//! `Authorization` header) and adds none itself. (A verify on the Hub's own origin is sent by the
//! orchestrator through the Hub client instead.)
//!
//! Two transfers are supported:
//! - basic: one `PUT href` with the raw content, streamed from the source;
//! - multipart (the upload action's `header` has `chunk_size`): the header keys made only of digits
//!   are part URLs, sorted numerically, `ceil(size / chunk_size)` of them. Each part is streamed from
//!   its slice of the source (a file is seeked, never read whole), several parts at a time; every
//!   answer's `ETag` is kept, then `POST href` completes the upload with
//!   `{"oid","parts":[{"partNumber","etag"}]}`.
//!
//! Every storage request (whole `PUT`, part, completion, verify) is retried by the crate's one
//! engine, [`retry::run`](crate::retry), under the client's [`RetryPolicy`] (or the one given
//! in [`UploadSettings::retry`]): 408/429/5xx answers, timeouts and connection errors, with
//! jitter, honouring `Retry-After`. A body is never held whole: each try opens the source again.
//! With a read timeout set (the built-in storage client), it applies to waiting for storage's
//! answer once the body is sent, never to sending it (see `streamed`).
//!
//! Then, when the object has a `verify` action, `POST verify.href` with `{"oid","size"}`.
//! A storage answer with an error status becomes [`Error::Hub`] with kind
//! [`HubErrorKind::Other`]; every error names the file and the object id.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use url::Url;

use super::ops::{AddSource, ByteProgress, sized_chunks};
use crate::error::{Error, HubError, HubErrorKind, MAX_ERROR_BODY, Result, read_bounded};
use crate::retry::{self, RetryPolicy, Verdict};
use crate::streamed;
use crate::types::{self, LfsAction, LfsBatchObject, LfsObjectSpec, LfsTransfer};

/// The media type of batch requests and answers (`Accept` and `Content-Type`).
pub const LFS_CONTENT_TYPE: &str = "application/vnd.git-lfs+json";

/// The most objects one batch request may hold.
pub const MAX_OBJECTS_PER_BATCH: usize = 256;

/// How many bytes of an upload are read at a time.
const UPLOAD_CHUNK: usize = 256 * 1024;

/// The most characters of a storage error answer kept in the error message.
const ERROR_MESSAGE_CHARS: usize = 2048;

/// The headers of an action (none when the Hub sent `null` or nothing).
type ActionHeaders = std::collections::HashMap<String, String>;

fn action_headers(action: &LfsAction) -> &ActionHeaders {
    static NONE: std::sync::OnceLock<ActionHeaders> = std::sync::OnceLock::new();
    action
        .header
        .as_ref()
        .unwrap_or_else(|| NONE.get_or_init(ActionHeaders::new))
}

/// An upload request for `objects` (at most [`MAX_OBJECTS_PER_BATCH`]) offering the basic and
/// multipart transfers, with `ref` set to `revision` when given (left out when the commit
/// opens a pull request).
pub(crate) fn upload_request(
    objects: Vec<LfsObjectSpec>,
    revision: Option<&str>,
) -> types::LfsBatchRequest {
    let request = types::LfsBatchRequest::new(objects, types::LfsOperation::Upload)
        .transfers(vec![LfsTransfer::Basic, LfsTransfer::Multipart])
        .hash_algo("sha256");
    match revision {
        Some(name) => request.ref_(types::LfsRef::new(name)),
        None => request,
    }
}

/// How LFS uploads to object storage are parallelised and retried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadSettings {
    /// How many parts of one multipart upload are sent at once (at least one; default 8).
    pub part_concurrency: usize,
    /// The retry policy of storage requests; `None` (the default) uses the [`Hub`](crate::Hub)'s.
    pub retry: Option<RetryPolicy>,
}

impl Default for UploadSettings {
    fn default() -> Self {
        UploadSettings {
            part_concurrency: 8,
            retry: None,
        }
    }
}

impl UploadSettings {
    /// Sends this many parts of one multipart upload at once (at least one).
    #[must_use]
    pub fn with_part_concurrency(mut self, n: usize) -> Self {
        self.part_concurrency = n.max(1);
        self
    }

    /// Retries storage requests under `policy` instead of the Hub client's.
    #[must_use]
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
}

/// How storage requests are sent: the client (without the Hub token), the retry policy and,
/// for the built-in client, the read timeout applied to waiting for each answer.
#[derive(Debug, Clone)]
pub(crate) struct Storage {
    /// The HTTP client; carries no Hub token.
    pub(crate) client: reqwest::Client,
    /// The retry policy.
    pub(crate) retry: RetryPolicy,
    /// The wait for an answer once a body is sent (and between chunks of the answer), when
    /// the client has no read timeout of its own.
    pub(crate) answer_timeout: Option<Duration>,
    /// How many parts of one object are sent at once.
    pub(crate) part_concurrency: usize,
}

/// What [`upload_object`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadOutcome {
    /// The batch answer had no upload action: the object is already stored.
    AlreadyStored,
    /// The content was sent in one `PUT`.
    UploadedBasic,
    /// The content was sent in this many parts.
    UploadedMultipart {
        /// The number of parts.
        parts: usize,
    },
}

/// Uploads one object of a batch answer from `source` (the content of `path_in_repo`), then
/// verifies it when asked, telling `progress` how many more bytes of the content were handed to
/// the connection as each chunk of a `PUT` body is sent (a retried request counts again). The
/// storage client must carry no Hub token. The content is streamed and checked against the
/// object's size; it is never held in memory whole.
pub(crate) async fn upload_object(
    storage: &Storage,
    object: &LfsBatchObject,
    size: u64,
    source: &AddSource,
    path_in_repo: &str,
    progress: Option<ByteProgress>,
) -> Result<UploadOutcome> {
    let ctx = Ctx {
        progress,
        label: format!(
            "LFS upload of {path_in_repo:?} (from {}), oid {}",
            source.describe(),
            object.oid
        ),
        storage,
        oid: &object.oid,
        size,
        source,
    };
    if let Some(err) = &object.error {
        let status = err
            .code
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or_default();
        let message = err.message.as_deref().unwrap_or_default();
        return Err(Error::Hub(Box::new(HubError {
            kind: HubErrorKind::Other,
            status,
            code: None,
            message: format!(
                "{}: the batch answer refused the object: {message}",
                ctx.label
            ),
            request_id: None,
            idempotent: true,
        })));
    }
    let Some(upload) = object.actions.as_ref().and_then(|a| a.upload.as_ref()) else {
        tracing::debug!(oid = %object.oid, path = path_in_repo, "LFS object already stored");
        return Ok(UploadOutcome::AlreadyStored);
    };
    let outcome = if let Some(chunk_size) = action_headers(upload).get("chunk_size") {
        let parts = ctx.upload_multipart(upload, chunk_size).await?;
        UploadOutcome::UploadedMultipart { parts }
    } else {
        ctx.upload_basic(upload).await?;
        UploadOutcome::UploadedBasic
    };
    if let Some(verify) = object.actions.as_ref().and_then(|a| a.verify.as_ref()) {
        ctx.verify(verify).await?;
    }
    tracing::debug!(oid = %object.oid, path = path_in_repo, ?outcome, "LFS object uploaded");
    Ok(outcome)
}

/// The multipart part URLs of an upload action's header: the keys made only of digits, sorted by
/// their numeric value.
pub(crate) fn multipart_part_urls(header: &ActionHeaders) -> Result<Vec<&str>> {
    let mut parts = Vec::new();
    for (key, url) in header {
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
            let number: u64 = key.parse().map_err(|_| Error::Decode {
                path: format!("actions.upload.header.{key}"),
                message: "part number out of range".to_owned(),
            })?;
            parts.push((number, url.as_str()));
        }
    }
    parts.sort_by_key(|(n, _)| *n);
    Ok(parts.into_iter().map(|(_, url)| url).collect())
}

/// A slot where a body stream records the I/O error that ended it, so that a failed send caused by
/// the source (not the network) is reported as such and not retried.
type SourceErrorSlot = Arc<Mutex<Option<(io::ErrorKind, String)>>>;

struct Ctx<'a> {
    progress: Option<ByteProgress>,
    label: String,
    storage: &'a Storage,
    oid: &'a str,
    size: u64,
    source: &'a AddSource,
}

#[derive(Serialize)]
struct CompletionPart<'a> {
    #[serde(rename = "partNumber")]
    part_number: usize,
    etag: &'a str,
}

#[derive(Serialize)]
struct Completion<'a> {
    oid: &'a str,
    parts: Vec<CompletionPart<'a>>,
}

impl Ctx<'_> {
    fn decode_error(&self, path: &str, message: impl Into<String>) -> Error {
        Error::Decode {
            path: path.to_owned(),
            message: format!("{}: {}", self.label, message.into()),
        }
    }

    fn parse_url(&self, href: &str, path: &str) -> Result<Url> {
        Url::parse(href).map_err(|e| self.decode_error(path, format!("invalid URL: {e}")))
    }

    fn header_map(&self, action: &LfsAction) -> Result<HeaderMap> {
        let mut map = HeaderMap::new();
        for (name, value) in action_headers(action) {
            if name.eq_ignore_ascii_case("chunk_size") {
                continue;
            }
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
                self.decode_error("header", format!("bad header name {name:?}: {e}"))
            })?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| self.decode_error("header", format!("bad value for {name}: {e}")))?;
            map.insert(name, value);
        }
        Ok(map)
    }

    /// A streamed body over `len` bytes of the source from `offset`, checked for its size.
    async fn body(
        &self,
        offset: u64,
        len: u64,
        what: &str,
    ) -> Result<(reqwest::Body, SourceErrorSlot)> {
        let reader = if offset == 0 && len == self.size {
            self.source.open().await
        } else {
            self.source.open_range(offset, len).await
        }
        .map_err(|e| Error::Io {
            context: format!("{}: opening {what}", self.label),
            source: e,
        })?;
        let slot: SourceErrorSlot = Arc::new(Mutex::new(None));
        let recorder = slot.clone();
        let progress = self.progress.clone();
        let stream = sized_chunks(reader, len, UPLOAD_CHUNK, format!("{}, {what}", self.label))
            .inspect_ok(move |chunk| {
                if let Some(progress) = &progress {
                    progress(chunk.len() as u64);
                }
            })
            .inspect_err(move |e| {
                if let Ok(mut guard) = recorder.lock() {
                    *guard = Some((e.kind(), e.to_string()));
                }
            });
        Ok((reqwest::Body::wrap_stream(stream), slot))
    }

    async fn upload_basic(&self, upload: &LfsAction) -> Result<()> {
        let url = self.parse_url(&upload.href, "actions.upload.href")?;
        let headers = self.header_map(upload)?;
        self.send_with_retry("upload", || async {
            let (body, slot) = self.body(0, self.size, "content").await?;
            let request = self
                .storage
                .client
                .put(url.clone())
                .headers(headers.clone())
                .header(CONTENT_LENGTH, self.size)
                .body(body);
            Ok((request, Some(slot)))
        })
        .await?;
        Ok(())
    }

    async fn upload_multipart(&self, upload: &LfsAction, chunk_size: &str) -> Result<usize> {
        let chunk: u64 = chunk_size
            .trim()
            .parse()
            .ok()
            .filter(|c| *c > 0)
            .ok_or_else(|| {
                self.decode_error(
                    "actions.upload.header.chunk_size",
                    format!("invalid chunk size {chunk_size:?}"),
                )
            })?;
        let urls = multipart_part_urls(action_headers(upload))?;
        let expected = self.size.div_ceil(chunk);
        if urls.len() as u64 != expected {
            return Err(self.decode_error(
                "actions.upload.header",
                format!(
                    "{} part URLs for {} bytes in parts of {chunk}: expected {expected}",
                    urls.len(),
                    self.size
                ),
            ));
        }
        let mut part_urls = Vec::with_capacity(urls.len());
        for (i, href) in urls.iter().enumerate() {
            part_urls.push(self.parse_url(href, &format!("actions.upload.header.part{}", i + 1))?);
        }
        let completion_url = self.parse_url(&upload.href, "actions.upload.href")?;
        let etags: Vec<String> = futures::stream::iter(part_urls.into_iter().enumerate())
            .map(|(i, url)| {
                let offset = i as u64 * chunk;
                let len = chunk.min(self.size - offset);
                self.upload_part(i + 1, url, offset, len)
            })
            .buffered(self.storage.part_concurrency.max(1))
            .try_collect()
            .await?;
        let completion = Completion {
            oid: self.oid,
            parts: etags
                .iter()
                .enumerate()
                .map(|(i, etag)| CompletionPart {
                    part_number: i + 1,
                    etag,
                })
                .collect(),
        };
        let body = serde_json::to_vec(&completion).map_err(|e| Error::InvalidInput {
            what: "multipart completion",
            value: self.oid.to_owned(),
            reason: e.to_string(),
        })?;
        self.send_with_retry("multipart completion", || async {
            let request = self
                .storage
                .client
                .post(completion_url.clone())
                .header(CONTENT_TYPE, LFS_CONTENT_TYPE)
                .header(reqwest::header::ACCEPT, LFS_CONTENT_TYPE)
                .body(body.clone());
            Ok((request, None))
        })
        .await?;
        Ok(etags.len())
    }

    async fn upload_part(&self, number: usize, url: Url, offset: u64, len: u64) -> Result<String> {
        let what = format!("part {number}");
        let response = self
            .send_with_retry(&what, || async {
                let (body, slot) = self.body(offset, len, &what).await?;
                let request = self
                    .storage
                    .client
                    .put(url.clone())
                    .header(CONTENT_LENGTH, len)
                    .body(body);
                Ok((request, Some(slot)))
            })
            .await?;
        let etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        etag.ok_or_else(|| {
            self.decode_error(
                "ETag",
                format!("storage answered part {number} without an ETag header"),
            )
        })
    }

    async fn verify(&self, verify: &LfsAction) -> Result<()> {
        let url = self.parse_url(&verify.href, "actions.verify.href")?;
        let headers = self.header_map(verify)?;
        let body = serde_json::to_vec(&LfsObjectSpec::new(self.oid, self.size)).map_err(|e| {
            Error::InvalidInput {
                what: "verify body",
                value: self.oid.to_owned(),
                reason: e.to_string(),
            }
        })?;
        self.send_with_retry("verify", || async {
            let request = self
                .storage
                .client
                .post(url.clone())
                .headers(headers.clone())
                .header(CONTENT_TYPE, LFS_CONTENT_TYPE)
                .header(reqwest::header::ACCEPT, LFS_CONTENT_TYPE)
                .body(body.clone());
            Ok((request, None))
        })
        .await?;
        Ok(())
    }

    /// Sends the request `build` makes (a fresh one for each try) through the retry engine,
    /// under the storage retry policy; returns the first success, else the last failure.
    async fn send_with_retry<F, Fut>(&self, what: &str, mut build: F) -> Result<reqwest::Response>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(reqwest::RequestBuilder, Option<SourceErrorSlot>)>>,
    {
        let (outcome, tries) = retry::run(
            self.storage.retry,
            what,
            || {
                let built = build();
                async move { self.try_once(what, built.await).await }
            },
            |outcome| match outcome {
                Ok(r) if r.status().is_success() => Verdict::Final,
                Ok(r) => Verdict::of_answer(r.status().as_u16(), r.headers()),
                // Storage requests are safe to repeat: a lost answer is tried again.
                Err(Error::Timeout { .. } | Error::Transport { .. }) => Verdict::Retry {
                    status: None,
                    hint: None,
                },
                Err(_) => Verdict::Final,
            },
        )
        .await;
        if tries > 1 {
            tracing::debug!(oid = self.oid, what, tries, "storage request retried");
        }
        match outcome? {
            response if response.status().is_success() => Ok(response),
            response => Err(self.status_error(what, response).await),
        }
    }

    /// One try: builds the request and sends it, waiting for the answer with the storage's
    /// answer timeout (from the end of the body) when it has one.
    async fn try_once(
        &self,
        what: &str,
        built: Result<(reqwest::RequestBuilder, Option<SourceErrorSlot>)>,
    ) -> Result<reqwest::Response> {
        let (request, slot) = built?;
        let request = request.build().map_err(|e| self.transport_error(what, e))?;
        let sent = match self.storage.answer_timeout {
            Some(timeout) => streamed::send(&self.storage.client, request, timeout).await,
            None => self
                .storage
                .client
                .execute(request)
                .await
                .map_err(streamed::Failure::Send),
        };
        match sent {
            Ok(response) => Ok(response),
            Err(streamed::Failure::NoAnswer) => Err(Error::Timeout {
                message: format!(
                    "{}: no answer from storage within the read timeout after sending the {what}",
                    self.label
                ),
                maybe_sent: true,
                idempotent: true,
            }),
            Err(streamed::Failure::Send(err)) => {
                if let Some((kind, message)) =
                    slot.and_then(|s| s.lock().ok().and_then(|mut g| g.take()))
                {
                    return Err(Error::Io {
                        context: format!("{}: reading {what}", self.label),
                        source: io::Error::new(kind, message),
                    });
                }
                Err(self.transport_error(what, err))
            }
        }
    }

    async fn status_error(&self, what: &str, response: reqwest::Response) -> Error {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let request_id = ["x-amz-request-id", "x-request-id", "x-goog-request-id"]
            .iter()
            .find_map(|h| headers.get(*h))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let excerpt = read_bounded(response, MAX_ERROR_BODY).await;
        let text = String::from_utf8_lossy(&excerpt);
        let text: String = text.trim().chars().take(ERROR_MESSAGE_CHARS).collect();
        let kind = if status == 429 {
            HubErrorKind::RateLimited {
                retry_after: crate::retry::server_wait_hint(&headers),
            }
        } else {
            HubErrorKind::Other
        };
        Error::Hub(Box::new(HubError {
            kind,
            status,
            code: None,
            message: format!("{}: storage refused the {what}: {text}", self.label),
            request_id,
            idempotent: true,
        }))
    }

    fn transport_error(&self, what: &str, err: reqwest::Error) -> Error {
        let err = err.without_url();
        if err.is_timeout() {
            return Error::Timeout {
                message: format!("{}: {what}", self.label),
                maybe_sent: !err.is_connect(),
                idempotent: true,
            };
        }
        Error::Transport {
            message: format!("{}: sending the {what} failed: {err}", self.label),
            maybe_sent: !(err.is_connect() || err.is_builder()),
            idempotent: true,
            source: Some(Box::new(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use httpmock::prelude::*;
    use serde_json::json;

    /// A plain client, 3 tries in all with short waits, 2 parts at a time.
    fn storage() -> Storage {
        Storage {
            client: crate::client::test_client_builder().build().unwrap(),
            retry: RetryPolicy::default()
                .with_max_retries(2)
                .with_base_delay(Duration::from_millis(5))
                .with_max_delay(Duration::from_millis(20)),
            answer_timeout: None,
            part_concurrency: 2,
        }
    }

    fn parse(body: &[u8]) -> Result<types::LfsBatchResponse> {
        crate::error::decode(body)
    }

    fn object(server: &MockServer, actions: serde_json::Value, size: u64) -> LfsBatchObject {
        let text = json!({"oid": "ab".repeat(32), "size": size, "actions": actions})
            .to_string()
            .replace("BASE", &server.base_url());
        parse(format!(r#"{{"objects":[{text}]}}"#).as_bytes())
            .unwrap()
            .objects
            .remove(0)
    }

    fn obj_size(o: &LfsBatchObject) -> u64 {
        o.size
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or_default()
    }

    const DATA: &[u8] = b"0123456789abcdefghijklm"; // 23 bytes

    fn file_source(dir: &tempfile::TempDir) -> AddSource {
        let path = dir.path().join("weights.bin");
        std::fs::write(&path, DATA).unwrap();
        AddSource::File(path)
    }

    #[test]
    fn batch_request_is_what_the_hub_expects() {
        let req = upload_request(vec![LfsObjectSpec::new("aa", 3)], Some("main"));
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({"operation":"upload","transfers":["basic","multipart"],"hash_algo":"sha256",
                   "objects":[{"oid":"aa","size":3}],"ref":{"name":"main"}})
        );
        let pr = upload_request(vec![], None);
        assert!(serde_json::to_value(&pr).unwrap().get("ref").is_none());
    }

    #[test]
    fn batch_response_tolerates_unknown_and_null_fields() {
        let body = br#"{"transfer":"basic","extra":1,"objects":[
            {"oid":"a","size":1,"authenticated":true,"actions":{"upload":{"href":"https://s/x","header":null,"expires_in":3600}}},
            {"oid":"b","size":2},
            {"oid":"c","size":3,"error":{"code":422,"message":"bad"}}
        ]}"#;
        let r = parse(body).unwrap();
        assert_eq!(r.transfer, Some(LfsTransfer::Basic));
        assert_eq!(r.objects.len(), 3);
        let upload = r.objects[0]
            .actions
            .as_ref()
            .unwrap()
            .upload
            .as_ref()
            .unwrap();
        assert!(action_headers(upload).is_empty());
        assert_eq!(upload.expires_in, Some(3600));
        assert!(r.objects[0].extra.is_empty());
        assert!(r.extra.contains_key("extra"), "unknown fields are kept");
        assert!(r.objects[1].actions.is_none());
        assert_eq!(r.objects[2].error.as_ref().unwrap().code, Some(422));
        // A transfer this version does not know is kept.
        let later = parse(br#"{"transfer":"quantum","objects":[]}"#).unwrap();
        assert_eq!(later.transfer, Some(LfsTransfer::Other("quantum".into())));
        match parse(br#"{"objects":[{"oid":5}]}"#) {
            Err(Error::Decode { path, .. }) => assert_eq!(path, "objects[0].oid"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn part_urls_sort_numerically() {
        let header: ActionHeaders = [
            ("chunk_size", "5"),
            ("10", "u10"),
            ("9", "u9"),
            ("00002", "u2"),
            ("1", "u1"),
            ("x1", "no"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            multipart_part_urls(&header).unwrap(),
            ["u1", "u2", "u9", "u10"]
        );
    }

    #[tokio::test]
    async fn basic_upload_streams_the_bytes_without_token_then_verifies() {
        let server = MockServer::start_async().await;
        let put = server
            .mock_async(|when, then| {
                when.method(PUT)
                    .path("/storage/obj")
                    .header("x-amz-meta-test", "yes")
                    .header("content-length", DATA.len().to_string())
                    .header_missing("authorization")
                    .header_missing("transfer-encoding")
                    .header_missing("chunk_size")
                    .body(std::str::from_utf8(DATA).unwrap());
                then.status(200);
            })
            .await;
        let verify = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/verify")
                    .header("x-verify", "v")
                    .header_missing("authorization")
                    .json_body(json!({"oid": "ab".repeat(32), "size": DATA.len()}));
                then.status(200);
            })
            .await;
        let obj = object(
            &server,
            json!({
                "upload": {"href": "BASE/storage/obj?X-Sig=secret", "header": {"x-amz-meta-test": "yes"}},
                "verify": {"href": "BASE/verify", "header": {"x-verify": "v"}}
            }),
            DATA.len() as u64,
        );
        let dir = tempfile::tempdir().unwrap();
        let out = upload_object(
            &storage(),
            &obj,
            obj_size(&obj),
            &file_source(&dir),
            "weights.bin",
            None,
        )
        .await
        .unwrap();
        assert_eq!(out, UploadOutcome::UploadedBasic);
        put.assert_async().await;
        verify.assert_async().await;
        assert!(!format!("{obj:?}").contains("secret"));
    }

    async fn part_mock<'a>(
        server: &'a MockServer,
        n: usize,
        body: &'static [u8],
    ) -> httpmock::Mock<'a> {
        server
            .mock_async(move |when, then| {
                when.method(PUT)
                    .path(format!("/part/{n}"))
                    .header_missing("authorization")
                    .header("content-length", body.len().to_string())
                    .body(std::str::from_utf8(body).unwrap());
                then.status(200).header("ETag", format!("\"etag-{n}\""));
            })
            .await
    }

    fn multipart_actions() -> serde_json::Value {
        json!({
            "upload": {"href": "BASE/complete", "header": {
                "chunk_size": "10",
                "00003": "BASE/part/3?sig=x",
                "00001": "BASE/part/1?sig=x",
                "00002": "BASE/part/2?sig=x"
            }},
            "verify": {"href": "BASE/verify"}
        })
    }

    #[tokio::test]
    async fn multipart_upload_sends_slices_and_completes_in_order() {
        let server = MockServer::start_async().await;
        // Part 2 fails once with 500, then succeeds.
        let flaky = server
            .mock_async(|when, then| {
                when.method(PUT).path("/part/2");
                then.status(500).up_to_n_times(1);
            })
            .await;
        let p1 = part_mock(&server, 1, &DATA[0..10]).await;
        let p2 = part_mock(&server, 2, &DATA[10..20]).await;
        let p3 = part_mock(&server, 3, &DATA[20..23]).await;
        let complete = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/complete")
                    .header_missing("authorization")
                    .header("content-type", LFS_CONTENT_TYPE)
                    .json_body(json!({"oid": "ab".repeat(32), "parts": [
                        {"partNumber": 1, "etag": "\"etag-1\""},
                        {"partNumber": 2, "etag": "\"etag-2\""},
                        {"partNumber": 3, "etag": "\"etag-3\""}
                    ]}));
                then.status(200);
            })
            .await;
        let verify = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/verify")
                    .header_missing("authorization")
                    .json_body(json!({"oid": "ab".repeat(32), "size": 23}));
                then.status(200);
            })
            .await;
        let dir = tempfile::tempdir().unwrap();
        let obj = object(&server, multipart_actions(), 23);
        let out = upload_object(
            &storage(),
            &obj,
            obj_size(&obj),
            &file_source(&dir),
            "weights.bin",
            None,
        )
        .await
        .unwrap();
        assert_eq!(out, UploadOutcome::UploadedMultipart { parts: 3 });
        flaky.assert_calls_async(1).await;
        p1.assert_async().await;
        p2.assert_async().await;
        p3.assert_async().await;
        complete.assert_async().await;
        verify.assert_async().await;
    }

    #[tokio::test]
    async fn missing_etag_is_an_error_naming_file_and_oid() {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(PUT).path_prefix("/part/");
                then.status(200);
            })
            .await;
        let complete = server
            .mock_async(|when, then| {
                when.method(POST).path("/complete");
                then.status(200);
            })
            .await;
        let dir = tempfile::tempdir().unwrap();
        let obj = object(&server, multipart_actions(), 23);
        let err = upload_object(
            &storage(),
            &obj,
            obj_size(&obj),
            &file_source(&dir),
            "weights.bin",
            None,
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("weights.bin")
                && text.contains(&"ab".repeat(32))
                && text.contains("ETag"),
            "{text}"
        );
        complete.assert_calls_async(0).await;
    }

    #[tokio::test]
    async fn wrong_part_count_and_persistent_failure_are_errors() {
        let server = MockServer::start_async().await;
        let dir = tempfile::tempdir().unwrap();
        // 23 bytes in parts of 10 need 3 URLs; 2 given.
        let obj = object(
            &server,
            json!({"upload": {"href": "BASE/complete", "header": {"chunk_size": "10", "1": "BASE/p1", "2": "BASE/p2"}}}),
            23,
        );
        let err = upload_object(
            &storage(),
            &obj,
            obj_size(&obj),
            &file_source(&dir),
            "w",
            None,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");

        let always = server
            .mock_async(|when, then| {
                when.method(PUT).path("/storage");
                then.status(503).body("slow down");
            })
            .await;
        let obj = object(&server, json!({"upload": {"href": "BASE/storage"}}), 23);
        match upload_object(
            &storage(),
            &obj,
            obj_size(&obj),
            &file_source(&dir),
            "w",
            None,
        )
        .await
        {
            Err(Error::Hub(hub)) => {
                assert_eq!(hub.status, 503);
                assert!(hub.message.contains("slow down"), "{}", hub.message);
            }
            other => panic!("{other:?}"),
        }
        always.assert_calls_async(3).await;
    }

    #[tokio::test]
    async fn no_actions_or_object_error() {
        let server = MockServer::start_async().await;
        let any = server
            .mock_async(|when, then| {
                when.any_request();
                then.status(200);
            })
            .await;
        let src = AddSource::Bytes(Bytes::from_static(b"abc"));
        let stored = parse(br#"{"objects":[{"oid":"aa","size":3}]}"#).unwrap();
        let out = upload_object(&storage(), &stored.objects[0], 3, &src, "a", None)
            .await
            .unwrap();
        assert_eq!(out, UploadOutcome::AlreadyStored);
        let refused = parse(
            br#"{"objects":[{"oid":"aa","size":3,"error":{"code":422,"message":"too big"}}]}"#,
        )
        .unwrap();
        match upload_object(&storage(), &refused.objects[0], 3, &src, "a", None).await {
            Err(Error::Hub(hub)) => {
                assert_eq!(hub.status, 422);
                assert!(hub.message.contains("too big") && hub.message.contains("aa"));
            }
            other => panic!("{other:?}"),
        }
        any.assert_calls_async(0).await;
    }

    #[tokio::test]
    async fn source_of_the_wrong_size_is_an_io_error_not_retried() {
        let server = MockServer::start_async().await;
        let put = server
            .mock_async(|when, then| {
                when.method(PUT).path("/storage");
                then.status(200);
            })
            .await;
        // The batch says 30 bytes; the source has 23.
        let obj = object(&server, json!({"upload": {"href": "BASE/storage"}}), 30);
        let dir = tempfile::tempdir().unwrap();
        match upload_object(
            &storage(),
            &obj,
            obj_size(&obj),
            &file_source(&dir),
            "w",
            None,
        )
        .await
        {
            Err(Error::Io { context, .. }) => assert!(context.contains("weights.bin"), "{context}"),
            other => panic!("{other:?}"),
        }
        put.assert_calls_async(0).await;
    }
}
