//! Streamed hashing of added content, with bounded memory.
//!
//! One pass over the content gives everything the preupload and the commit need: the size, the
//! sha256 (the LFS object id), the git blob id (sha1 of `"blob {size}\0"` followed by the content,
//! which the preupload answers as `oid` for a regular file already in the repository) and the
//! preupload `sample` (base64 of the first 512 bytes at most).
//!
//! Local files and in-memory bytes are hashed on tokio's blocking pool with a reused 1 MiB buffer;
//! reader-factory sources are read asynchronously in 1 MiB chunks and hashed as they arrive.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

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

/// What one hashing pass learned about a piece of content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHashes {
    /// The size in bytes.
    pub size: u64,
    /// The sha256 of the content, lowercase hex (the LFS object id).
    pub sha256: String,
    /// The git blob id, lowercase hex: sha1 of `"blob {size}\0"` followed by the content.
    pub git_blob_id: String,
    /// Base64 (standard alphabet, padded) of the first 512 bytes at most: the preupload `sample`.
    pub sample: String,
}

impl FileHashes {
    /// The id the preupload's `oid` is compared with: the sha256 for a file uploaded to LFS, the
    /// git blob id for a regular file.
    pub fn local_oid(&self, lfs: bool) -> &str {
        if lfs { &self.sha256 } else { &self.git_blob_id }
    }

    /// Whether the preupload's `oid` for this path shows the remote file already has this content,
    /// so the file can be left out of the commit.
    pub fn matches_remote_oid(&self, lfs: bool, remote_oid: Option<&str>) -> bool {
        remote_oid.is_some_and(|oid| oid.eq_ignore_ascii_case(self.local_oid(lfs)))
    }
}

struct Hashing {
    sha256: Sha256,
    sha1: Sha1,
    sample: Vec<u8>,
    total: u64,
}

impl Hashing {
    fn new(size: u64) -> Self {
        let mut sha1 = Sha1::new();
        sha1.update(format!("blob {size}\0").as_bytes());
        Hashing {
            sha256: Sha256::new(),
            sha1,
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
        self.sha1.update(chunk);
        self.total += chunk.len() as u64;
    }

    fn finish(self) -> FileHashes {
        FileHashes {
            size: self.total,
            sha256: hex(&self.sha256.finalize()),
            git_blob_id: hex(&self.sha1.finalize()),
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

fn hash_file_blocking(path: &Path, progress: Option<&ByteProgress>) -> io::Result<FileHashes> {
    let file = std::fs::File::open(path)?;
    let expected = file.metadata()?.len();
    hash_read_blocking_with(file, expected, progress)
}

/// Hashes `reader`, which its metadata said holds `expected` bytes; a different count is an error.
#[cfg(test)]
fn hash_read_blocking(file: impl Read, expected: u64) -> io::Result<FileHashes> {
    hash_read_blocking_with(file, expected, None)
}

fn hash_read_blocking_with(
    mut file: impl Read,
    expected: u64,
    progress: Option<&ByteProgress>,
) -> io::Result<FileHashes> {
    let mut hashing = Hashing::new(expected);
    // Sized to the file: 10,000 small files must not each cost a 1 MiB buffer (glibc keeps
    // such freed buffers per thread, which showed as +30 MiB peak RSS in benches/commit.rs).
    let cap = usize::try_from(expected.saturating_add(1)).unwrap_or(HASH_CHUNK_SIZE);
    let mut buf = vec![0u8; cap.clamp(1, HASH_CHUNK_SIZE)];
    loop {
        let n = match file.read(&mut buf) {
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

fn hash_bytes_blocking(bytes: &[u8], progress: Option<&ByteProgress>) -> FileHashes {
    let mut hashing = Hashing::new(bytes.len() as u64);
    for chunk in bytes.chunks(HASH_CHUNK_SIZE) {
        hashing.update(chunk);
        if let Some(progress) = progress {
            progress(chunk.len() as u64);
        }
    }
    hashing.finish()
}

/// Hashes one source in a single bounded-memory pass.
///
/// A local file whose size differs from its metadata at the end of the read (it changed while being
/// read), or a reader that does not yield exactly its declared size, is an [`Error::Io`] naming it.
#[cfg(test)]
pub async fn hash_source(source: &AddSource) -> Result<FileHashes> {
    hash_source_with_progress(source, None).await
}

/// Like [`hash_source`], telling `progress` how many more bytes were hashed after each chunk.
pub async fn hash_source_with_progress(
    source: &AddSource,
    progress: Option<ByteProgress>,
) -> Result<FileHashes> {
    match source {
        AddSource::File(path) => {
            let owned: PathBuf = path.clone();
            tokio::task::spawn_blocking(move || hash_file_blocking(&owned, progress.as_ref()))
                .await
                .map_err(|e| io_error(&source.describe(), io::Error::other(e)))?
                .map_err(|e| io_error(&source.describe(), e))
        }
        AddSource::Bytes(bytes) => {
            let bytes = bytes.clone();
            tokio::task::spawn_blocking(move || hash_bytes_blocking(&bytes, progress.as_ref()))
                .await
                .map_err(|e| io_error(&source.describe(), io::Error::other(e)))
        }
        AddSource::Reader { size, label, .. } => {
            let reader = source.open().await.map_err(|e| io_error(label, e))?;
            let mut hashing = Hashing::new(*size);
            let mut chunks =
                std::pin::pin!(sized_chunks(reader, *size, HASH_CHUNK_SIZE, label.clone()));
            while let Some(chunk) = chunks.try_next().await.map_err(|e| io_error(label, e))? {
                hashing.update(&chunk);
                if let Some(progress) = &progress {
                    progress(chunk.len() as u64);
                }
            }
            Ok(hashing.finish())
        }
    }
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
        assert_eq!(h.git_blob_id, "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(
            h.sha256,
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        assert_eq!(h.sample, "aGVsbG8K");
        // Empty content: git's empty blob.
        let e = hash_source(&AddSource::Bytes(Bytes::new())).await.unwrap();
        assert_eq!(e.git_blob_id, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assert_eq!(
            e.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(e.sample, "");
        assert!(e.matches_remote_oid(false, Some("E69DE29BB2D1D6434B8B29AE775AD8C2E48C5391")));
        assert!(!e.matches_remote_oid(true, Some(&e.git_blob_id)));
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
}
