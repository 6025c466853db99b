//! Bringing one blob's bytes to disk: streamed to `{blob}.incomplete` in bounded memory,
//! hashed while written (sha256 for LFS objects), resumed with `Range` after a transient
//! failure part-way, and renamed into place only when complete and verified.

use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

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

/// How many chunks may wait between the network and the disk writer.
const QUEUE: usize = 16;

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
    let response = match wire::get(hub, job.url, offset).await {
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
    let (tx, rx) = sync_channel::<Bytes>(QUEUE);
    let path = job.incomplete.clone();
    let writer = tokio::task::spawn_blocking(move || write_chunks(&path, start, rx, hasher));
    let mut stream = response.bytes_stream();
    let mut cut = None;
    let mut received = 0u64;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                let n = bytes.len() as u64;
                if start + received + n > job.size {
                    cut = Some(Cut::Fatal(Error::Decode {
                        path: "body".into(),
                        message: format!(
                            "{} sent more than the {} bytes announced",
                            job.label, job.size
                        ),
                    }));
                    break;
                }
                if tx.send(bytes).is_err() {
                    break; // the writer failed: its error is below
                }
                received += n;
                progress(ProgressEvent::FileBytes {
                    phase: Phase::Downloading,
                    path: job.label.clone(),
                    bytes: n,
                    file_size: Some(job.size),
                });
            }
            Err(e) => {
                let e = Error::from(e);
                cut = Some(if Verdict::Final == body_verdict(&e) {
                    Cut::Fatal(e)
                } else {
                    Cut::Transient(e)
                });
                break;
            }
        }
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
        None if end < job.size => Err((
            end,
            hasher,
            Cut::Transient(Error::Transport {
                message: format!(
                    "the body of {} ended after {end} of {} bytes",
                    job.label, job.size
                ),
                maybe_sent: true,
                idempotent: true,
                source: None,
            }),
        )),
        None => Ok((end, hasher)),
    }
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

/// The disk side: appends chunks at `start` (truncating what follows), hashing them.
fn write_chunks(
    path: &Path,
    start: u64,
    rx: Receiver<Bytes>,
    mut hasher: Option<Sha256>,
) -> io::Result<(u64, Option<Sha256>)> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    file.set_len(start)?;
    file.seek(io::SeekFrom::Start(start))?;
    let mut file = io::BufWriter::with_capacity(1 << 20, file);
    let mut end = start;
    for chunk in rx {
        file.write_all(&chunk)?;
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        end += chunk.len() as u64;
    }
    file.flush()?;
    Ok((end, hasher))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_truncates_at_its_start_and_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.incomplete");
        std::fs::write(&path, b"hello world").unwrap();
        let (tx, rx) = sync_channel::<Bytes>(1);
        let handle = std::thread::spawn(move || write_chunks(&path, 5, rx, Some(Sha256::new())));
        tx.send(Bytes::from_static(b", you")).unwrap();
        drop(tx);
        let (end, h) = handle.join().unwrap().unwrap();
        assert_eq!(end, 10);
        assert_eq!(
            std::fs::read(dir.path().join("x.incomplete")).unwrap(),
            b"hello, you"
        );
        // The hasher saw only what this call wrote.
        assert_eq!(
            super::super::hex(&h.unwrap().finalize()),
            super::super::hex(&Sha256::digest(b", you"))
        );
    }
}
