//! Streamed hashing of added content, with bounded memory.
//!
//! One pass over the content gives everything the preupload and the commit need: the size, the
//! sha256 (the LFS object id), the git blob id (sha1 of `"blob {size}\0"` followed by the content,
//! which the preupload answers as `oid` for a regular file already in the repository) and the
//! preupload `sample` (base64 of the first 512 bytes at most).
//!
//! Local files and in-memory bytes are hashed on tokio's blocking pool: small ones (under
//! [`SMALL_CONTENT`]) many at a time in one blocking task ([`hash_small_batch`]), larger ones one
//! per task with a 1 MiB buffer; reader-factory sources are read asynchronously in 1 MiB chunks
//! and hashed as they arrive. The git blob id is computed in that pass only for content under
//! [`GIT_ID_EAGER_MAX`]: larger files go to LFS, and [`git_blob_id`] computes the id of one the Hub
//! wants as a regular file when the preupload says such a file already exists remotely.
//!
//! A pass stops early (with an `Interrupted` I/O error) once its cancel flag is set: a push that
//! failed or was dropped does not leave a blocking thread reading a large file to the end.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::TryStreamExt;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::ops::{AddSource, ByteProgress, sized_chunks};
use crate::error::{Error, Result};

/// How many bytes are read at a time when hashing.
pub const HASH_CHUNK_SIZE: usize = 1024 * 1024;

/// How many leading bytes the preupload `sample` holds at most.
pub const SAMPLE_SIZE: usize = 512;

/// Content smaller than this is read whole and hashed in batches (see [`hash_small_batch`]).
pub const SMALL_CONTENT: u64 = 1024 * 1024;

/// The git blob id is computed while hashing only for content smaller than this: the Hub
/// refuses regular (non-LFS) files of 10 MB or more, so a larger file goes to LFS and its sha1
/// would be wasted work (0.6 s per GiB).
pub const GIT_ID_EAGER_MAX: u64 = 10_000_000;

/// Set to stop hashing passes early (checked between chunks).
pub type Cancel = Arc<AtomicBool>;

fn cancelled() -> io::Error {
    io::Error::new(
        io::ErrorKind::Interrupted,
        "hashing stopped: the push ended",
    )
}

/// What one hashing pass learned about a piece of content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHashes {
    /// The size in bytes.
    pub size: u64,
    /// The sha256 of the content, lowercase hex (the LFS object id).
    pub sha256: String,
    /// The git blob id, lowercase hex: sha1 of `"blob {size}\0"` followed by the content;
    /// `None` when it was not computed (content of [`GIT_ID_EAGER_MAX`] bytes or more).
    pub git_blob_id: Option<String>,
    /// Base64 (standard alphabet, padded) of the first 512 bytes at most: the preupload `sample`.
    pub sample: String,
}

impl FileHashes {
    /// The id the preupload's `oid` is compared with: the sha256 for a file uploaded to LFS, the
    /// git blob id for a regular file (`None` when it was not computed).
    pub fn local_oid(&self, lfs: bool) -> Option<&str> {
        if lfs {
            Some(&self.sha256)
        } else {
            self.git_blob_id.as_deref()
        }
    }

    /// Whether the preupload's `oid` for this path shows the remote file already has this content,
    /// so the file can be left out of the commit.
    pub fn matches_remote_oid(&self, lfs: bool, remote_oid: Option<&str>) -> bool {
        match (remote_oid, self.local_oid(lfs)) {
            (Some(remote), Some(local)) => remote.eq_ignore_ascii_case(local),
            _ => false,
        }
    }
}

struct Hashing {
    sha256: Sha256,
    sha1: Option<Sha1>,
    sample: Vec<u8>,
    total: u64,
}

/// A sha1 over the git blob header of `size` bytes, ready for the content.
fn git_hasher(size: u64) -> Sha1 {
    let mut sha1 = Sha1::new();
    sha1.update(format!("blob {size}\0").as_bytes());
    sha1
}

impl Hashing {
    /// A pass over `size` bytes; with the git blob id when `size` is under [`GIT_ID_EAGER_MAX`].
    fn new(size: u64) -> Self {
        Hashing {
            sha256: Sha256::new(),
            sha1: (size < GIT_ID_EAGER_MAX).then(|| git_hasher(size)),
            sample: Vec::with_capacity(SAMPLE_SIZE),
            total: 0,
        }
    }

    fn update(&mut self, chunk: &[u8]) {
        if self.sample.len() < SAMPLE_SIZE {
            let take = (SAMPLE_SIZE - self.sample.len()).min(chunk.len());
            self.sample.extend_from_slice(&chunk[..take]);
        }
        self.sha256.update(chunk);
        if let Some(sha1) = &mut self.sha1 {
            sha1.update(chunk);
        }
        self.total += chunk.len() as u64;
    }

    fn finish(self) -> FileHashes {
        FileHashes {
            size: self.total,
            sha256: hex(&self.sha256.finalize()),
            git_blob_id: self.sha1.map(|h| hex(&h.finalize())),
            sample: STANDARD.encode(&self.sample),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn io_error(what: &str, source: io::Error) -> Error {
    Error::Io {
        context: format!("hashing {what}"),
        source,
    }
}

fn hash_file_blocking(
    path: &Path,
    progress: Option<&ByteProgress>,
    cancel: &AtomicBool,
    buf: &mut Vec<u8>,
) -> io::Result<FileHashes> {
    let file = std::fs::File::open(path)?;
    let expected = file.metadata()?.len();
    hash_read_blocking_with(file, expected, progress, cancel, buf)
}

/// Hashes `reader`, which its metadata said holds `expected` bytes; a different count is an error.
#[cfg(test)]
fn hash_read_blocking(file: impl Read, expected: u64) -> io::Result<FileHashes> {
    hash_read_blocking_with(
        file,
        expected,
        None,
        &AtomicBool::new(false),
        &mut Vec::new(),
    )
}

fn hash_read_blocking_with(
    mut file: impl Read,
    expected: u64,
    progress: Option<&ByteProgress>,
    cancel: &AtomicBool,
    buf: &mut Vec<u8>,
) -> io::Result<FileHashes> {
    let mut hashing = Hashing::new(expected);
    // Sized to the file (and reused across the files of a batch): 10,000 small files must not
    // each cost a 1 MiB buffer (glibc keeps such freed buffers per thread, which showed as
    // +30 MiB peak RSS in benches/commit.rs).
    let cap = usize::try_from(expected.saturating_add(1))
        .unwrap_or(HASH_CHUNK_SIZE)
        .clamp(1, HASH_CHUNK_SIZE);
    if buf.len() < cap {
        buf.resize(cap, 0);
    }
    let buf = &mut buf[..cap];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        let n = match file.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        hashing.update(&buf[..n]);
        if let Some(progress) = progress {
            progress(n as u64);
        }
        if hashing.total > expected {
            break;
        }
    }
    if hashing.total != expected {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the file changed size while being read: its metadata said {expected} bytes, {} were read",
                hashing.total
            ),
        ));
    }
    Ok(hashing.finish())
}

fn hash_bytes_blocking(
    bytes: &[u8],
    progress: Option<&ByteProgress>,
    cancel: &AtomicBool,
) -> io::Result<FileHashes> {
    let mut hashing = Hashing::new(bytes.len() as u64);
    for chunk in bytes.chunks(HASH_CHUNK_SIZE) {
        if cancel.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        hashing.update(chunk);
        if let Some(progress) = progress {
            progress(chunk.len() as u64);
        }
    }
    Ok(hashing.finish())
}

/// Hashes one source in a single bounded-memory pass.
///
/// A local file whose size differs from its metadata at the end of the read (it changed while being
/// read), or a reader that does not yield exactly its declared size, is an [`Error::Io`] naming it.
#[cfg(test)]
pub async fn hash_source(source: &AddSource) -> Result<FileHashes> {
    hash_source_with_progress(source, None, Cancel::default()).await
}

/// Like [`hash_source`], telling `progress` how many more bytes were hashed after each chunk,
/// and stopping early once `cancel` is set.
pub async fn hash_source_with_progress(
    source: &AddSource,
    progress: Option<ByteProgress>,
    cancel: Cancel,
) -> Result<FileHashes> {
    match source {
        AddSource::File(path) => {
            let owned: PathBuf = path.clone();
            tokio::task::spawn_blocking(move || {
                hash_file_blocking(&owned, progress.as_ref(), &cancel, &mut Vec::new())
            })
            .await
            .map_err(|e| io_error(&source.describe(), io::Error::other(e)))?
            .map_err(|e| io_error(&source.describe(), e))
        }
        AddSource::Bytes(bytes) => {
            let bytes = bytes.clone();
            tokio::task::spawn_blocking(move || {
                hash_bytes_blocking(&bytes, progress.as_ref(), &cancel)
            })
            .await
            .map_err(|e| io_error(&source.describe(), io::Error::other(e)))?
            .map_err(|e| io_error(&source.describe(), e))
        }
        AddSource::Reader { size, label, .. } => {
            let reader = source.open().await.map_err(|e| io_error(label, e))?;
            let mut hashing = Hashing::new(*size);
            let mut chunks =
                std::pin::pin!(sized_chunks(reader, *size, HASH_CHUNK_SIZE, label.clone()));
            while let Some(chunk) = chunks.try_next().await.map_err(|e| io_error(label, e))? {
                if cancel.load(Ordering::Relaxed) {
                    return Err(io_error(label, cancelled()));
                }
                hashing.update(&chunk);
                if let Some(progress) = &progress {
                    progress(chunk.len() as u64);
                }
            }
            Ok(hashing.finish())
        }
    }
}

/// Tells a batch's caller that its item `index` is hashed, with its size.
pub type BatchDone = Arc<dyn Fn(usize, u64) + Send + Sync>;

/// Hashes small local files and in-memory contents (under [`SMALL_CONTENT`]; a reader is an
/// error) one after the other in one blocking task with one buffer: one result per item, in
/// order. `done` is told each item once it is hashed.
pub async fn hash_small_batch(
    items: Vec<(AddSource, Option<ByteProgress>)>,
    cancel: Cancel,
    done: BatchDone,
) -> Vec<Result<FileHashes>> {
    let described: Vec<String> = items.iter().map(|(s, _)| s.describe()).collect();
    let joined = tokio::task::spawn_blocking(move || {
        let mut buf = Vec::new();
        items
            .iter()
            .enumerate()
            .map(|(i, (source, progress))| {
                let hashed = match source {
                    AddSource::File(path) => {
                        hash_file_blocking(path, progress.as_ref(), &cancel, &mut buf)
                    }
                    AddSource::Bytes(bytes) => {
                        hash_bytes_blocking(bytes, progress.as_ref(), &cancel)
                    }
                    AddSource::Reader { .. } => Err(io::Error::other(
                        "a reader source cannot be hashed in a blocking batch",
                    )),
                };
                if let Ok(h) = &hashed {
                    done(i, h.size);
                }
                hashed.map_err(|e| io_error(&source.describe(), e))
            })
            .collect::<Vec<_>>()
    })
    .await;
    match joined {
        Ok(results) => results,
        Err(e) => described
            .iter()
            .map(|d| Err(io_error(d, io::Error::other(e.to_string()))))
            .collect(),
    }
}

/// The size and preupload sample of a source without hashing it: a file's first bytes are
/// read (on the blocking pool); a reader is opened and its first bytes read.
pub async fn size_and_sample(source: &AddSource) -> Result<(u64, String)> {
    match source {
        AddSource::Bytes(b) => Ok((
            b.len() as u64,
            STANDARD.encode(&b[..b.len().min(SAMPLE_SIZE)]),
        )),
        AddSource::File(path) => {
            let owned = path.clone();
            tokio::task::spawn_blocking(move || -> io::Result<(u64, String)> {
                let file = std::fs::File::open(&owned)?;
                let size = file.metadata()?.len();
                let mut head = Vec::with_capacity(SAMPLE_SIZE);
                file.take(SAMPLE_SIZE as u64).read_to_end(&mut head)?;
                Ok((size, STANDARD.encode(&head)))
            })
            .await
            .map_err(|e| io_error(&source.describe(), io::Error::other(e)))?
            .map_err(|e| io_error(&source.describe(), e))
        }
        AddSource::Reader { size, label, .. } => {
            use tokio::io::AsyncReadExt as _;
            let reader = source.open().await.map_err(|e| io_error(label, e))?;
            let mut head = Vec::with_capacity(SAMPLE_SIZE);
            reader
                .take((*size).min(SAMPLE_SIZE as u64))
                .read_to_end(&mut head)
                .await
                .map_err(|e| io_error(label, e))?;
            Ok((*size, STANDARD.encode(&head)))
        }
    }
}

/// The git blob id of `size` bytes of `source` (a second pass, sha1 only), for a large file the
/// Hub wants as a regular file; a size other than `size` is an error naming the source.
pub async fn git_blob_id(source: &AddSource, size: u64) -> Result<String> {
    let what = source.describe();
    let reader = source.open().await.map_err(|e| io_error(&what, e))?;
    let mut sha1 = git_hasher(size);
    let mut chunks = std::pin::pin!(sized_chunks(reader, size, HASH_CHUNK_SIZE, what.clone()));
    while let Some(chunk) = chunks.try_next().await.map_err(|e| io_error(&what, e))? {
        sha1.update(&chunk);
    }
    Ok(hex(&sha1.finalize()))
}

/// Hashes the content of every [`CommitOperation::Add`](super::ops::CommitOperation::Add) in `ops`, at most `parallelism` at a time
/// (at least one). The result has one entry per operation, in the same order: `Some` for an add,
/// `None` for every other operation. The first failure is returned.
#[cfg(test)]
pub async fn hash_all(
    ops: &[super::ops::CommitOperation],
    parallelism: usize,
) -> Result<Vec<Option<FileHashes>>> {
    use futures::StreamExt as _;
    futures::stream::iter(ops.iter().map(|op| async move {
        match op {
            super::ops::CommitOperation::Add { source, .. } => hash_source(source).await.map(Some),
            _ => Ok(None),
        }
    }))
    .buffered(parallelism.max(1))
    .try_collect()
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::ops::BoxAsyncRead;
    use crate::commit::ops::CommitOperation;
    use bytes::Bytes;

    #[tokio::test]
    async fn known_values() {
        // `printf 'hello\n' | git hash-object --stdin` and `sha256sum`.
        let h = hash_source(&AddSource::Bytes(Bytes::from_static(b"hello\n")))
            .await
            .unwrap();
        assert_eq!(h.size, 6);
        assert_eq!(
            h.git_blob_id.as_deref(),
            Some("ce013625030ba8dba906f756967f9e9ca394464a")
        );
        assert_eq!(
            h.sha256,
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        assert_eq!(h.sample, "aGVsbG8K");
        // Empty content: git's empty blob.
        let e = hash_source(&AddSource::Bytes(Bytes::new())).await.unwrap();
        assert_eq!(
            e.git_blob_id.as_deref(),
            Some("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        );
        assert_eq!(
            e.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(e.sample, "");
        assert!(e.matches_remote_oid(false, Some("E69DE29BB2D1D6434B8B29AE775AD8C2E48C5391")));
        assert!(!e.matches_remote_oid(true, e.git_blob_id.as_deref()));
        assert!(!e.matches_remote_oid(false, None));
    }

    #[tokio::test]
    async fn all_source_kinds_agree_and_sample_is_bounded() {
        let data: Vec<u8> = (0..(3 * HASH_CHUNK_SIZE + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        std::fs::write(&path, &data).unwrap();
        let shared = Bytes::from(data.clone());
        let reader = AddSource::from_reader_factory("gen", data.len() as u64, move || {
            let b = shared.clone();
            Box::pin(async move { Ok(Box::new(std::io::Cursor::new(b)) as BoxAsyncRead) })
        });
        let from_bytes = hash_source(&AddSource::Bytes(Bytes::from(data.clone())))
            .await
            .unwrap();
        let from_file = hash_source(&AddSource::File(path)).await.unwrap();
        let from_reader = hash_source(&reader).await.unwrap();
        assert_eq!(from_bytes, from_file);
        assert_eq!(from_bytes, from_reader);
        assert_eq!(from_bytes.size, data.len() as u64);
        assert_eq!(from_bytes.sample, STANDARD.encode(&data[..SAMPLE_SIZE]));
        assert_eq!(from_bytes.sha256, hex(&Sha256::digest(&data)));
    }

    #[tokio::test]
    async fn reader_of_wrong_size_names_it() {
        let reader = AddSource::from_reader_factory("my-generator", 10, || {
            Box::pin(async {
                Ok(Box::new(std::io::Cursor::new(Bytes::from_static(b"short"))) as BoxAsyncRead)
            })
        });
        match hash_source(&reader).await {
            Err(Error::Io { context, source }) => {
                assert!(context.contains("my-generator"), "{context}");
                assert_eq!(source.kind(), io::ErrorKind::UnexpectedEof);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn missing_file_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.bin");
        match hash_source(&AddSource::File(path.clone())).await {
            Err(Error::Io { context, .. }) => {
                assert!(context.contains(&path.display().to_string()))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn file_that_changed_size_is_detected() {
        let grown = hash_read_blocking(&[1u8; 15][..], 10).unwrap_err();
        assert_eq!(grown.kind(), io::ErrorKind::InvalidData);
        assert!(grown.to_string().contains("changed size"), "{grown}");
        let shrunk = hash_read_blocking(&[1u8; 5][..], 10).unwrap_err();
        assert!(
            shrunk.to_string().contains("10 bytes, 5 were read"),
            "{shrunk}"
        );
        assert_eq!(hash_read_blocking(&[1u8; 10][..], 10).unwrap().size, 10);
    }

    #[tokio::test]
    async fn hash_all_keeps_order_and_skips_non_adds() {
        let ops: Vec<CommitOperation> = (0..20)
            .map(|i| {
                if i % 5 == 0 {
                    CommitOperation::Delete {
                        path: format!("d{i}"),
                    }
                } else {
                    CommitOperation::Add {
                        path_in_repo: format!("f{i}"),
                        source: AddSource::Bytes(Bytes::from(vec![0u8; i * 1000])),
                    }
                }
            })
            .collect();
        let hashes = hash_all(&ops, 3).await.unwrap();
        assert_eq!(hashes.len(), ops.len());
        for (i, h) in hashes.iter().enumerate() {
            match h {
                None => assert_eq!(i % 5, 0),
                Some(h) => assert_eq!(h.size, (i * 1000) as u64),
            }
        }
    }

    #[tokio::test]
    async fn large_content_skips_the_git_id_which_is_computed_on_demand() {
        let size = GIT_ID_EAGER_MAX as usize + 5;
        let data: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
        let source = AddSource::Bytes(Bytes::from(data.clone()));
        let h = hash_source(&source).await.unwrap();
        assert_eq!(h.git_blob_id, None);
        assert_eq!(h.sha256, hex(&Sha256::digest(&data)));
        // Without a local git id, a regular file never counts as unchanged.
        assert!(!h.matches_remote_oid(false, Some("00")));
        let mut expected = Sha1::new();
        expected.update(format!("blob {size}\0").as_bytes());
        expected.update(&data);
        assert_eq!(
            git_blob_id(&source, size as u64).await.unwrap(),
            hex(&expected.finalize())
        );
        // The id of content of another size than announced is an error.
        assert!(git_blob_id(&source, size as u64 + 1).await.is_err());
    }

    #[tokio::test]
    async fn a_small_batch_answers_in_order_and_names_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(&a, b"hello\n").unwrap();
        let gone = dir.path().join("gone.txt");
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let results = hash_small_batch(
            vec![
                (AddSource::File(a), None),
                (AddSource::File(gone.clone()), None),
                (AddSource::Bytes(Bytes::from_static(b"")), None),
            ],
            Cancel::default(),
            Arc::new(move |i, size| record.lock().unwrap().push((i, size))),
        )
        .await;
        assert_eq!(results.len(), 3);
        assert_eq!(
            results[0].as_ref().unwrap().git_blob_id.as_deref(),
            Some("ce013625030ba8dba906f756967f9e9ca394464a")
        );
        match &results[1] {
            Err(Error::Io { context, .. }) => {
                assert!(context.contains(&gone.display().to_string()), "{context}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(results[2].as_ref().unwrap().size, 0);
        assert_eq!(*seen.lock().unwrap(), [(0, 6), (2, 0)]);
    }

    #[tokio::test]
    async fn sample_without_hashing_and_cancel_stops_a_pass() {
        let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, &data).unwrap();
        let (size, sample) = size_and_sample(&AddSource::File(path.clone()))
            .await
            .unwrap();
        assert_eq!(
            (size, sample),
            (3000, STANDARD.encode(&data[..SAMPLE_SIZE]))
        );
        let reader = AddSource::from_reader_factory("gen", 3, || {
            Box::pin(async {
                Ok(Box::new(std::io::Cursor::new(Bytes::from_static(b"abc"))) as BoxAsyncRead)
            })
        });
        assert_eq!(
            size_and_sample(&reader).await.unwrap(),
            (3, STANDARD.encode(b"abc"))
        );
        let cancel = Cancel::default();
        cancel.store(true, Ordering::Relaxed);
        match hash_source_with_progress(&AddSource::File(path), None, cancel).await {
            Err(Error::Io { source, .. }) => {
                assert_eq!(source.kind(), io::ErrorKind::Interrupted)
            }
            other => panic!("{other:?}"),
        }
    }
}
