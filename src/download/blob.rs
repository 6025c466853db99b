//! Bringing one blob's bytes to disk: streamed to `{blob}.incomplete` in bounded memory,
//! hashed while written (sha256 for LFS objects), resumed with `Range` after a transient
//! failure part-way, and renamed into place only when complete and verified.
//!
//! Three stages run side by side: the network side (async) gathers the body's small chunks
//! into batches of about `BATCH` bytes and hands them over a bounded channel, awaiting
//! room (a runtime worker never blocks); a blocking writer writes each batch with one
//! vectored write; a hashing thread hashes what was written. Memory stays bounded by the
//! queues (about `(QUEUE + HASH_QUEUE + 3) × BATCH`).

use std::io::{self, IoSlice, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use url::Url;

use super::wire;
use crate::client::Hub;
use crate::commit::{Phase, ProgressEvent};
use crate::error::{Error, Result};
use crate::retry::{RetryState, Verdict};

/// How many bytes the network side gathers before handing them to the writer.
const BATCH: usize = 1 << 20;

/// How many batches may wait between the network side and the writer.
const QUEUE: usize = 4;

/// How many written batches may wait for the hashing thread.
const HASH_QUEUE: usize = 2;

/// Bodies up to this size (from their first byte) are gathered in memory and written at once
/// on the network side: for them a writer task costs more than the write.
const SMALL: u64 = 64 << 10;

/// Chunks as they came from the network, written together.
type Batch = Vec<Bytes>;

/// What to fetch and where to put it.
pub(crate) struct BlobJob<'a> {
    /// Where the bytes come from (the CDN URL, or the Hub's `resolve`).
    pub(crate) url: &'a Url,
    /// The blob's final path.
    pub(crate) dest: PathBuf,
    /// The partial file, kept across calls and resumed.
    pub(crate) incomplete: PathBuf,
    /// The expected size.
    pub(crate) size: u64,
    /// The expected sha256 (LFS objects), checked before the rename.
    pub(crate) sha256: Option<&'a str>,
    /// The file's path in the repository (for errors and progress).
    pub(crate) label: &'a Arc<str>,
    /// Start over instead of resuming.
    pub(crate) restart: bool,
    /// The file's Xet source, when it is Xet-stored and Xet can be used.
    #[cfg(feature = "xet")]
    pub(crate) xet: Option<&'a super::xet::XetSource>,
}

/// Reports progress of one file, or nothing.
pub(crate) type Progress<'a> = &'a (dyn Fn(ProgressEvent) + Send + Sync);

/// Why one GET stopped before the end.
enum Cut {
    /// A transient failure (connection, timeout, a short body): resume.
    Transient(Error),
    /// Anything else: give up.
    Fatal(Error),
}

impl Cut {
    /// How a failure while reading the body ends this try: resumed, or given up.
    fn of_body_error(e: Error) -> Cut {
        if Verdict::Final == body_verdict(&e) {
            Cut::Fatal(e)
        } else {
            Cut::Transient(e)
        }
    }
}

/// Fetches the blob (see the module docs). The caller holds the blob's lock.
pub(crate) async fn fetch(hub: &Hub, job: &BlobJob<'_>, progress: Progress<'_>) -> Result<()> {
    let io_err = |what: &str, e: io::Error| {
        Error::io(
            format!("{what} {} (for {})", job.incomplete.display(), job.label),
            e,
        )
    };
    super::cache::create_parent(&job.incomplete)
        .and_then(|()| super::cache::create_parent(&job.dest))
        .map_err(|e| io_err("cannot create the folder of", e))?;
    let mut offset = if job.restart {
        0
    } else {
        std::fs::metadata(&job.incomplete).map_or(0, |m| m.len())
    };
    if offset > job.size {
        offset = 0;
    }
    let mut hasher = job.sha256.map(|_| Sha256::new());
    if offset > 0 {
        if let Some(h) = hasher.as_mut() {
            hash_prefix(&job.incomplete, offset, h).map_err(|e| io_err("cannot read", e))?;
        }
        tracing::debug!(file = %job.label, offset, "resuming a partial download");
    }
    let mut retries = RetryState::new(hub.transport().retry_policy());
    while offset < job.size || (job.size == 0 && !job.incomplete.exists()) {
        match one_get(hub, job, offset, hasher.take(), progress).await {
            Ok((end, h)) => {
                offset = end;
                hasher = h;
                if offset >= job.size {
                    break;
                }
            }
            Err((end, h, Cut::Transient(e))) => {
                offset = end;
                hasher = h;
                let Some(delay) = retries.next_delay_hinted(None) else {
                    return Err(e);
                };
                tracing::debug!(file = %job.label, offset, error = %e, "download cut: resuming");
                tokio::time::sleep(delay).await;
            }
            Err((_, _, Cut::Fatal(e))) => {
                if matches!(e, Error::Decode { .. }) {
                    // The server sent more than it announced: the partial file cannot be trusted.
                    let _ = std::fs::remove_file(&job.incomplete);
                }
                return Err(e);
            }
        }
    }
    if let (Some(expected), Some(h)) = (job.sha256, hasher) {
        let actual = super::hex(&h.finalize());
        if !actual.eq_ignore_ascii_case(expected) {
            let _ = std::fs::remove_file(&job.incomplete);
            return Err(Error::io(
                format!(
                    "the download of {} does not match its sha256: expected {expected}, got {actual}; \
                     nothing was stored",
                    job.label
                ),
                io::Error::new(io::ErrorKind::InvalidData, "sha256 mismatch"),
            ));
        }
    }
    std::fs::rename(&job.incomplete, &job.dest).map_err(|e| io_err("cannot move into place", e))
}

/// Reads the first `len` bytes of a partial file into the hasher.
fn hash_prefix(path: &Path, len: u64, hasher: &mut Sha256) -> io::Result<()> {
    let mut file = std::fs::File::open(path)?.take(len);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
    }
}

type Attempt = std::result::Result<(u64, Option<Sha256>), (u64, Option<Sha256>, Cut)>;

/// One GET from `offset`, written as it arrives; returns where the file ends.
async fn one_get(
    hub: &Hub,
    job: &BlobJob<'_>,
    offset: u64,
    mut hasher: Option<Sha256>,
    progress: Progress<'_>,
) -> Attempt {
    #[cfg(feature = "xet")]
    let response = super::xet::get(hub, job.xet, job.url, job.size, job.label, offset).await;
    #[cfg(not(feature = "xet"))]
    let response = wire::get(hub, job.url, offset).await;
    let response = match response {
        Ok(r) => r,
        // The transport already retried the request itself.
        Err(e) => return Err((offset, hasher, Cut::Fatal(e))),
    };
    let mut start = offset;
    let restart = match response.status() {
        StatusCode::PARTIAL_CONTENT => wire::range_start(response.headers()) != Some(offset),
        _ => offset > 0,
    };
    if restart {
        // The server sent the whole file (or another range): start over.
        tracing::debug!(file = %job.label, "the server ignored the range: starting over");
        start = 0;
        hasher = job.sha256.map(|_| Sha256::new());
    }
    if start == 0 && job.size <= SMALL {
        return small_body(job, response, hasher, progress).await;
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Batch>(QUEUE);
    let path = job.incomplete.clone();
    let writer = tokio::task::spawn_blocking(move || write_batches(&path, start, rx, hasher));
    let mut stream = response.bytes_stream();
    let mut cut = None;
    let mut received = 0u64;
    let mut batch = Batch::new();
    let mut batched = 0usize;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                let n = bytes.len();
                if start + received + n as u64 > job.size {
                    cut = Some(Cut::Fatal(too_long(job)));
                    break;
                }
                received += n as u64;
                batched += n;
                batch.push(bytes);
                progress(ProgressEvent::FileBytes {
                    phase: Phase::Downloading,
                    path: job.label.clone(),
                    bytes: n as u64,
                    file_size: Some(job.size),
                });
                if batched >= BATCH {
                    batched = 0;
                    if tx.send(std::mem::take(&mut batch)).await.is_err() {
                        break; // the writer failed: its error is below
                    }
                }
            }
            Err(e) => {
                cut = Some(Cut::of_body_error(Error::from(e)));
                break;
            }
        }
    }
    if !batch.is_empty() {
        // What arrived before the end (or a cut) is kept, so that a resume starts after it;
        // a failed send means the writer failed, whose error is below.
        let _ = tx.send(batch).await;
    }
    drop(tx);
    let written = writer.await.map_err(|e| io::Error::other(e.to_string()));
    let (end, hasher) = match written.and_then(|r| r) {
        Ok(done) => done,
        Err(e) => {
            let e = Error::io(
                format!(
                    "cannot write {} (for {})",
                    job.incomplete.display(),
                    job.label
                ),
                e,
            );
            return Err((start, None, Cut::Fatal(e)));
        }
    };
    match cut {
        Some(c) => Err((end, hasher, c)),
        None if end < job.size => Err((end, hasher, short_body(job, end))),
        None => Ok((end, hasher)),
    }
}

/// A small body (at most [`SMALL`] bytes announced, from byte 0): gathered in memory, then
/// written and hashed in one go on this task, with no writer task or channel.
async fn small_body(
    job: &BlobJob<'_>,
    response: reqwest::Response,
    mut hasher: Option<Sha256>,
    progress: Progress<'_>,
) -> Attempt {
    let mut stream = response.bytes_stream();
    let mut chunks = Batch::new();
    let mut received = 0u64;
    let mut cut = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                let n = bytes.len() as u64;
                if received + n > job.size {
                    return Err((0, hasher, Cut::Fatal(too_long(job))));
                }
                received += n;
                progress(ProgressEvent::FileBytes {
                    phase: Phase::Downloading,
                    path: job.label.clone(),
                    bytes: n,
                    file_size: Some(job.size),
                });
                chunks.push(bytes);
            }
            Err(e) => {
                cut = Some(Cut::of_body_error(Error::from(e)));
                break;
            }
        }
    }
    // What arrived before a cut is kept, so that a resume starts after it.
    let written = std::fs::File::create(&job.incomplete)
        .and_then(|mut file| write_all_vectored(&mut file, &chunks));
    if let Err(e) = written {
        let e = Error::io(
            format!(
                "cannot write {} (for {})",
                job.incomplete.display(),
                job.label
            ),
            e,
        );
        return Err((0, None, Cut::Fatal(e)));
    }
    if let Some(h) = hasher.as_mut() {
        chunks.iter().for_each(|c| h.update(c));
    }
    match cut {
        Some(c) => Err((received, hasher, c)),
        None if received < job.size => Err((received, hasher, short_body(job, received))),
        None => Ok((received, hasher)),
    }
}

/// The error of a body longer than announced.
fn too_long(job: &BlobJob<'_>) -> Error {
    Error::Decode {
        path: "body".into(),
        message: format!(
            "{} sent more than the {} bytes announced",
            job.label, job.size
        ),
    }
}

/// The cut of a body that ended after `end` of its bytes.
fn short_body(job: &BlobJob<'_>, end: u64) -> Cut {
    Cut::Transient(Error::Transport {
        message: format!(
            "the body of {} ended after {end} of {} bytes",
            job.label, job.size
        ),
        maybe_sent: true,
        idempotent: true,
        source: None,
    })
}

/// A failure while reading a body: worth resuming when it is a connection or timeout error.
fn body_verdict(e: &Error) -> Verdict {
    match e {
        Error::Transport { .. } | Error::Timeout { .. } => Verdict::Retry {
            status: None,
            hint: None,
        },
        _ => Verdict::Final,
    }
}

/// The disk side: writes batches at `start` (truncating what follows) while a scoped thread
/// hashes what was written; returns where the file ends and the hasher, which has seen
/// exactly the bytes written.
fn write_batches(
    path: &Path,
    start: u64,
    mut rx: tokio::sync::mpsc::Receiver<Batch>,
    hasher: Option<Sha256>,
) -> io::Result<(u64, Option<Sha256>)> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    file.set_len(start)?;
    file.seek(io::SeekFrom::Start(start))?;
    std::thread::scope(|scope| {
        let (to_hasher, hashing) = match hasher {
            Some(mut h) => {
                let (htx, hrx) = sync_channel::<Batch>(HASH_QUEUE);
                let handle = scope.spawn(move || {
                    for batch in hrx {
                        batch.iter().for_each(|chunk| h.update(chunk));
                    }
                    h
                });
                (Some(htx), Some(handle))
            }
            None => (None, None),
        };
        let mut end = start;
        let mut written = Ok(());
        while let Some(batch) = rx.blocking_recv() {
            if let Err(e) = write_all_vectored(&mut file, &batch) {
                written = Err(e);
                break;
            }
            end += batch.iter().map(|c| c.len() as u64).sum::<u64>();
            if let Some(htx) = &to_hasher {
                // Fails only if the hashing thread is gone, which its join reports.
                let _ = htx.send(batch);
            }
        }
        drop(rx);
        drop(to_hasher);
        let hasher = match hashing.map(|h| h.join()) {
            None => None,
            Some(Ok(h)) => Some(h),
            Some(Err(_)) => return Err(io::Error::other("the sha256 thread stopped")),
        };
        written.map(|()| (end, hasher))
    })
}

/// Writes every chunk of `batch`, in order, with as few `writev` calls as it takes.
fn write_all_vectored(file: &mut std::fs::File, batch: &[Bytes]) -> io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = batch
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| IoSlice::new(c))
        .collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the writer on its own thread with `batches`, as the network side would.
    fn write(
        path: &Path,
        start: u64,
        batches: Vec<Batch>,
        hasher: Option<Sha256>,
    ) -> io::Result<(u64, Option<Sha256>)> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Batch>(1);
        let path = path.to_owned();
        let handle = std::thread::spawn(move || write_batches(&path, start, rx, hasher));
        for batch in batches {
            tx.blocking_send(batch).unwrap();
        }
        drop(tx);
        handle.join().unwrap()
    }

    #[test]
    fn the_writer_truncates_at_its_start_and_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.incomplete");
        std::fs::write(&path, b"hello world").unwrap();
        let batch = vec![Bytes::from_static(b", you")];
        let (end, h) = write(&path, 5, vec![batch], Some(Sha256::new())).unwrap();
        assert_eq!(end, 10);
        assert_eq!(std::fs::read(&path).unwrap(), b"hello, you");
        // The hasher saw only what this call wrote.
        assert_eq!(
            super::super::hex(&h.unwrap().finalize()),
            super::super::hex(&Sha256::digest(b", you"))
        );
    }

    #[test]
    fn batches_are_written_and_hashed_in_order_with_empty_chunks_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("y.incomplete");
        // Many batches of many uneven chunks (more than one writev's worth of slices).
        let mut expected = Vec::new();
        let mut batches = Vec::new();
        for b in 0..5u8 {
            let mut batch = Batch::new();
            for c in 0..1500u32 {
                let len = (c as usize * 7 + b as usize) % 97;
                let chunk: Vec<u8> = (0..len).map(|i| (i as u8) ^ b ^ (c as u8)).collect();
                expected.extend_from_slice(&chunk);
                batch.push(Bytes::from(chunk));
            }
            batch.push(Bytes::new());
            batches.push(batch);
        }
        let (end, h) = write(&path, 0, batches, Some(Sha256::new())).unwrap();
        assert_eq!(end, expected.len() as u64);
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        assert_eq!(
            super::super::hex(&h.unwrap().finalize()),
            super::super::hex(&Sha256::digest(&expected))
        );
        // Without a hasher (not an LFS file), nothing is hashed and the bytes are the same.
        let (end, h) = write(&path, 0, vec![vec![Bytes::from_static(b"abc")]], None).unwrap();
        assert_eq!((end, h.is_none()), (3, true));
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
    }

    #[test]
    fn a_writer_that_cannot_open_its_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-folder/z.incomplete");
        let err = write(&path, 0, vec![], Some(Sha256::new())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
