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

use std::io::{self, Seek as _};
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
/// multipart transfers, and `xet` when `offer_xet`, with `ref` set to `revision` when given
/// (left out when the commit opens a pull request).
pub(crate) fn upload_request(
    objects: Vec<LfsObjectSpec>,
    revision: Option<&str>,
    offer_xet: bool,
) -> types::LfsBatchRequest {
    let mut transfers = vec![LfsTransfer::Basic, LfsTransfer::Multipart];
    if offer_xet {
        transfers.push(LfsTransfer::Xet);
    }
    let request = types::LfsBatchRequest::new(objects, types::LfsOperation::Upload)
        .transfers(transfers)
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
        pool: ChunkPool::default(),
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

/// How many bytes of a local file an upload reads at a time.
const FILE_UPLOAD_CHUNK: usize = 512 * 1024;

/// The most buffers a [`ChunkPool`] keeps.
const POOLED_MAX: usize = 32;

/// Buffers of [`FILE_UPLOAD_CHUNK`] bytes shared by the parts of one upload: a chunk handed to
/// the connection comes back here when sent, so an upload allocates a few buffers, not one per
/// chunk (a fresh buffer per chunk, freed on another thread, left glibc holding tens of MiB).
#[derive(Clone, Default)]
struct ChunkPool(Arc<Mutex<Vec<Vec<u8>>>>);

impl ChunkPool {
    fn take(&self) -> Vec<u8> {
        let reused = self.0.lock().ok().and_then(|mut pool| pool.pop());
        let mut buf = reused.unwrap_or_default();
        buf.clear();
        buf.reserve_exact(FILE_UPLOAD_CHUNK);
        buf
    }

    fn bytes(&self, buf: Vec<u8>) -> bytes::Bytes {
        bytes::Bytes::from_owner(Pooled {
            buf,
            pool: self.clone(),
        })
    }
}

/// A chunk's buffer, back to its pool when the chunk is dropped.
struct Pooled {
    buf: Vec<u8>,
    pool: ChunkPool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        if let Ok(mut pool) = self.pool.0.lock()
            && pool.len() < POOLED_MAX
        {
            pool.push(buf);
        }
    }
}

/// `len` bytes of `file` from where it stands, read by one blocking task started when the body
/// is first polled, in chunks of [`FILE_UPLOAD_CHUNK`] bytes, at most one waiting to be sent.
/// Fewer bytes is an `UnexpectedEof` error; with `whole`, more bytes after them too
/// (`InvalidData`), as with [`sized_chunks`].
fn file_chunks(
    file: std::fs::File,
    len: u64,
    whole: bool,
    label: String,
    pool: ChunkPool,
) -> impl futures::Stream<Item = io::Result<bytes::Bytes>> + Send + 'static {
    futures::stream::once(async move {
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<bytes::Bytes>>(1);
        tokio::task::spawn_blocking(move || read_file_chunks(file, len, whole, &label, &pool, &tx));
        futures::stream::unfold(rx, |mut rx| async move {
            let item = rx.recv().await?;
            Some((item, rx))
        })
    })
    .flatten()
}

fn read_file_chunks(
    mut file: std::fs::File,
    len: u64,
    whole: bool,
    label: &str,
    pool: &ChunkPool,
    tx: &tokio::sync::mpsc::Sender<io::Result<bytes::Bytes>>,
) {
    use std::io::Read as _;
    let fail = |kind: io::ErrorKind, message: String| {
        let _ = tx.blocking_send(Err(io::Error::new(kind, format!("{label}: {message}"))));
    };
    let mut done = 0u64;
    while done < len {
        let want = usize::try_from(len - done)
            .unwrap_or(usize::MAX)
            .min(FILE_UPLOAD_CHUNK);
        // `read_to_end` into exact capacity: no zeroing, and `take` ends it without an extra
        // read.
        let mut chunk = pool.take();
        if let Err(e) = (&mut file).take(want as u64).read_to_end(&mut chunk) {
            return fail(e.kind(), format!("read failed: {e}"));
        }
        let filled = chunk.len();
        if filled < want {
            return fail(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "content changed while being read: expected {len} bytes, it ended after {}",
                    done + filled as u64
                ),
            );
        }
        done += want as u64;
        if tx.blocking_send(Ok(pool.bytes(chunk))).is_err() {
            return; // the request is gone
        }
    }
    if whole {
        let mut probe = [0u8; 1];
        loop {
            match file.read(&mut probe) {
                Ok(0) => break,
                Ok(_) => {
                    return fail(
                        io::ErrorKind::InvalidData,
                        format!(
                            "content changed while being read: expected {len} bytes, more remain"
                        ),
                    );
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return fail(e.kind(), format!("read failed: {e}")),
            }
        }
    }
}

/// A slot where a body stream records the I/O error that ended it, so that a failed send caused by
/// the source (not the network) is reported as such and not retried.
type SourceErrorSlot = Arc<Mutex<Option<(io::ErrorKind, String)>>>;

struct Ctx<'a> {
    /// The read buffers of a local file's upload.
    pool: ChunkPool,
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
        let opening = |e: io::Error| Error::Io {
            context: format!("{}: opening {what}", self.label),
            source: e,
        };
        let label = format!("{}, {what}", self.label);
        let whole = offset == 0 && len == self.size;
        let chunks = if let AddSource::File(path) = self.source {
            // Read by one blocking task per body, in large chunks (not one blocking read per
            // 256 KiB through `tokio::fs`).
            let path = path.clone();
            let file = tokio::task::spawn_blocking(move || -> io::Result<std::fs::File> {
                let mut file = std::fs::File::open(path)?;
                file.seek(io::SeekFrom::Start(offset))?;
                Ok(file)
            })
            .await
            .map_err(|e| opening(io::Error::other(e)))?
            .map_err(opening)?;
            file_chunks(file, len, whole, label, self.pool.clone()).boxed()
        } else {
            let reader = if whole {
                self.source.open().await
            } else {
                self.source.open_range(offset, len).await
            }
            .map_err(opening)?;
            sized_chunks(reader, len, UPLOAD_CHUNK, label).boxed()
        };
        let slot: SourceErrorSlot = Arc::new(Mutex::new(None));
        let recorder = slot.clone();
        let progress = self.progress.clone();
        let stream = chunks
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
mod tests;
