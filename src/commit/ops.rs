//! The operation model of a commit, and its validation before any request.
//!
//! Operations are kept in the order the caller gave them; the commit body sends its lines in that
//! order. A commit touches each path at most once: [`validate_operations`] rejects two operations on
//! the same path before anything is sent.
//!
//! # Paths in the repository
//!
//! [`normalize_path_in_repo`] is strict and never rewrites a path: it returns it unchanged when it is
//! already in the one canonical form (relative, `/`-separated, no `.`/`..`/empty segments, no `.git`
//! segment, no trailing `/`, no backslash or control character) and rejects anything else, so the path
//! the caller wrote is exactly the path that lands in the repository. A folder path (for
//! [`CommitOperation::DeleteFolder`]) may carry one trailing `/`, which
//! [`normalize_folder_path_in_repo`] drops.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::Stream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, ReadBuf};

use crate::error::{Error, Result};

/// A boxed asynchronous reader, as produced by an [`AddSource`].
pub type BoxAsyncRead = Box<dyn AsyncRead + Send + Unpin>;

/// Opens a fresh reader over the same content each time it is called.
///
/// A commit reads an added file's content more than once (a hashing pass, then the upload or the
/// commit body, and once per part of a multipart upload), so a reader source is given as a factory,
/// never as a single-use reader: nothing is spooled to a temporary file and memory stays bounded.
/// Every reader it returns must yield the same bytes, exactly `size` of them.
pub type ReaderFactory =
    Arc<dyn Fn() -> BoxFuture<'static, io::Result<BoxAsyncRead>> + Send + Sync>;

/// A callback told how many more bytes of a file were processed (hashed or sent); called from
/// whatever task or thread does the work, with deltas, never with totals. A retried request is
/// counted again, so the sum can exceed a file's size.
pub type ByteProgress = Arc<dyn Fn(u64) + Send + Sync>;

/// Where the content of an added file comes from.
#[derive(Clone)]
pub enum AddSource {
    /// Content already in memory.
    Bytes(Bytes),
    /// A local file, read in bounded chunks whenever its content is needed.
    File(PathBuf),
    /// Content produced by a reader factory (see [`ReaderFactory`]), of a known size.
    Reader {
        /// Opens a new reader over the content from its start.
        open: ReaderFactory,
        /// The exact number of bytes every reader yields.
        size: u64,
        /// A name for this content in error messages (e.g. where it comes from).
        label: String,
    },
}

impl fmt::Debug for AddSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddSource::Bytes(b) => f.debug_tuple("Bytes").field(&b.len()).finish(),
            AddSource::File(p) => f.debug_tuple("File").field(p).finish(),
            AddSource::Reader { size, label, .. } => f
                .debug_struct("Reader")
                .field("size", size)
                .field("label", label)
                .finish_non_exhaustive(),
        }
    }
}

impl From<Bytes> for AddSource {
    fn from(value: Bytes) -> Self {
        AddSource::Bytes(value)
    }
}

impl From<Vec<u8>> for AddSource {
    fn from(value: Vec<u8>) -> Self {
        AddSource::Bytes(Bytes::from(value))
    }
}

impl From<PathBuf> for AddSource {
    fn from(value: PathBuf) -> Self {
        AddSource::File(value)
    }
}

impl AddSource {
    /// A source read through `open`, which must yield exactly `size` bytes each time it is called.
    pub fn from_reader_factory<F>(label: impl Into<String>, size: u64, open: F) -> Self
    where
        F: Fn() -> BoxFuture<'static, io::Result<BoxAsyncRead>> + Send + Sync + 'static,
    {
        AddSource::Reader {
            open: Arc::new(open),
            size,
            label: label.into(),
        }
    }

    /// A short description of the source for error messages (the file path, or the label).
    pub fn describe(&self) -> String {
        match self {
            AddSource::Bytes(b) => format!("in-memory content ({} bytes)", b.len()),
            AddSource::File(p) => p.display().to_string(),
            AddSource::Reader { label, .. } => label.clone(),
        }
    }

    /// The size known without reading: the length of the bytes or the reader's declared size;
    /// `None` for a file (its size is taken when it is read).
    pub fn known_size(&self) -> Option<u64> {
        match self {
            AddSource::Bytes(b) => Some(b.len() as u64),
            AddSource::File(_) => None,
            AddSource::Reader { size, .. } => Some(*size),
        }
    }

    /// Opens a reader over the whole content, from its start.
    pub async fn open(&self) -> io::Result<BoxAsyncRead> {
        match self {
            AddSource::Bytes(b) => Ok(Box::new(io::Cursor::new(b.clone()))),
            AddSource::File(p) => Ok(Box::new(tokio::fs::File::open(p).await?)),
            AddSource::Reader { open, .. } => open().await,
        }
    }

    /// Opens a reader over `len` bytes starting at `offset` (a file is seeked; a reader from a
    /// factory is opened and the first `offset` bytes are read and dropped).
    pub async fn open_range(&self, offset: u64, len: u64) -> io::Result<BoxAsyncRead> {
        match self {
            AddSource::Bytes(b) => {
                let total = b.len() as u64;
                let start = offset.min(total);
                let end = offset.saturating_add(len).min(total);
                // Both bounds are at most b.len(), so they fit in usize.
                let slice = b.slice(start as usize..end as usize);
                Ok(Box::new(io::Cursor::new(slice)))
            }
            AddSource::File(p) => {
                let mut file = tokio::fs::File::open(p).await?;
                file.seek(io::SeekFrom::Start(offset)).await?;
                Ok(Box::new(file.take(len)))
            }
            AddSource::Reader { open, .. } => {
                let mut reader = open().await?;
                let skipped =
                    tokio::io::copy(&mut (&mut reader).take(offset), &mut tokio::io::sink())
                        .await?;
                if skipped != offset {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("content ended after {skipped} bytes, before offset {offset}"),
                    ));
                }
                Ok(Box::new(reader.take(len)))
            }
        }
    }
}

/// One change in a commit.
#[derive(Debug, Clone)]
pub enum CommitOperation {
    /// Add or replace the file at `path_in_repo` with the content of `source`.
    Add {
        /// Where the file goes in the repository.
        path_in_repo: String,
        /// Its content.
        source: AddSource,
    },
    /// Delete one file (a `deletedFile` line).
    Delete {
        /// The file's path in the repository.
        path: String,
    },
    /// Delete a folder and everything under it (a `deletedFolder` line).
    DeleteFolder {
        /// The folder's path in the repository (one trailing `/` is allowed).
        path: String,
    },
    /// Copy a file already in the repository. An LFS source becomes an `lfsFile` line with the
    /// source's sha256 (nothing is uploaded); a regular source's content is fetched by the caller
    /// and sent as a `file` line.
    Copy {
        /// The file to copy.
        src_path: String,
        /// The revision to copy it from; the commit's parent revision when `None`.
        src_revision: Option<String>,
        /// Where the copy goes.
        dest_path: String,
    },
    /// Move (rename) a file server-side: a `file`/`lfsFile` line at `dest_path` carrying
    /// `oldPath: src_path`.
    Move {
        /// The file to move.
        src_path: String,
        /// Its new path.
        dest_path: String,
    },
}

impl CommitOperation {
    /// The path this operation writes or removes (for a move, its destination).
    pub fn target_path(&self) -> &str {
        match self {
            CommitOperation::Add { path_in_repo, .. } => path_in_repo,
            CommitOperation::Delete { path } | CommitOperation::DeleteFolder { path } => path,
            CommitOperation::Copy { dest_path, .. } | CommitOperation::Move { dest_path, .. } => {
                dest_path
            }
        }
    }
}

fn invalid(what: &'static str, value: &str, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        what,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// Checks that `path` is a canonical file path in a repository and returns it unchanged.
///
/// Rejected: the empty path, a leading `/` (absolute), a trailing `/`, empty segments (`a//b`),
/// `.` and `..` segments (so also a leading `./`), a `.git` segment anywhere, backslashes, NUL and
/// other control characters. Nothing is rewritten: see the module docs.
pub fn normalize_path_in_repo(path: &str) -> Result<String> {
    check_path("path in repo", path)?;
    Ok(path.to_owned())
}

/// Like [`normalize_path_in_repo`] for a folder: one trailing `/` is allowed and removed.
pub fn normalize_folder_path_in_repo(path: &str) -> Result<String> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return Err(invalid(
            "folder path in repo",
            path,
            "is empty (the repository root cannot be named as a folder)",
        ));
    }
    check_path("folder path in repo", trimmed).map_err(|e| match e {
        Error::InvalidInput { what, reason, .. } => invalid(what, path, reason),
        other => other,
    })?;
    Ok(trimmed.to_owned())
}

fn check_path(what: &'static str, path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(invalid(what, path, "is empty"));
    }
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        return Err(invalid(
            what,
            path,
            format!("contains the control character {c:?}"),
        ));
    }
    if path.contains('\\') {
        return Err(invalid(
            what,
            path,
            "contains a backslash (use `/` to separate folders)",
        ));
    }
    if path.starts_with('/') {
        return Err(invalid(
            what,
            path,
            "is absolute (paths in a repository are relative to its root)",
        ));
    }
    if path.ends_with('/') {
        return Err(invalid(what, path, "ends with `/`, which names a folder"));
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(invalid(what, path, "has an empty segment (`//`)")),
            "." => return Err(invalid(what, path, "has a `.` segment")),
            ".." => return Err(invalid(what, path, "has a `..` segment")),
            ".git" => {
                return Err(invalid(
                    what,
                    path,
                    "is or is under a `.git` folder, which a commit cannot write",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks that `parent` is a full commit id: 40 (sha1) or 64 (sha256) hexadecimal digits, either case.
pub fn validate_parent_commit(parent: &str) -> Result<()> {
    let hex = parent.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex || !(parent.len() == 40 || parent.len() == 64) {
        return Err(invalid(
            "parent commit",
            parent,
            "is not a full commit id (40 or 64 hexadecimal digits)",
        ));
    }
    Ok(())
}

/// Validates a commit before any request: the summary, the parent commit, every path, that no path
/// is touched twice, and that every local file exists and is a file.
///
/// Paths touched: an add's path, a delete's path, a folder delete's path, a copy's destination, and
/// both the source and the destination of a move (the source disappears). A copy's source is only
/// read and may appear elsewhere in the commit.
pub fn validate_operations(
    ops: &[CommitOperation],
    summary: &str,
    parent: Option<&str>,
) -> Result<()> {
    if summary.trim().is_empty() {
        return Err(invalid("commit summary", summary, "is empty"));
    }
    if let Some(parent) = parent {
        validate_parent_commit(parent)?;
    }
    let mut touched: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut touch = |path: String, index: usize| -> Result<()> {
        if let Some(first) = touched.insert(path.clone(), index) {
            return Err(invalid(
                "path in repo",
                &path,
                format!(
                    "appears in operations {} and {} of the same commit",
                    first + 1,
                    index + 1
                ),
            ));
        }
        Ok(())
    };
    for (index, op) in ops.iter().enumerate() {
        match op {
            CommitOperation::Add {
                path_in_repo,
                source,
            } => {
                check_path("path in repo", path_in_repo)?;
                if let AddSource::File(local) = source {
                    check_local_file(local)?;
                }
                touch(path_in_repo.clone(), index)?;
            }
            CommitOperation::Delete { path } => {
                check_path("path in repo", path)?;
                touch(path.clone(), index)?;
            }
            CommitOperation::DeleteFolder { path } => {
                let folder = normalize_folder_path_in_repo(path)?;
                touch(folder, index)?;
            }
            CommitOperation::Copy {
                src_path,
                src_revision,
                dest_path,
            } => {
                check_path("copy source path", src_path)?;
                check_path("path in repo", dest_path)?;
                if let Some(rev) = src_revision {
                    if rev.is_empty() || rev.chars().any(|c| c.is_control()) {
                        return Err(invalid(
                            "copy source revision",
                            rev,
                            "is empty or contains a control character",
                        ));
                    }
                } else if src_path == dest_path {
                    return Err(invalid("path in repo", dest_path, "is copied onto itself"));
                }
                touch(dest_path.clone(), index)?;
            }
            CommitOperation::Move {
                src_path,
                dest_path,
            } => {
                check_path("move source path", src_path)?;
                check_path("path in repo", dest_path)?;
                if src_path == dest_path {
                    return Err(invalid("path in repo", dest_path, "is moved onto itself"));
                }
                touch(src_path.clone(), index)?;
                touch(dest_path.clone(), index)?;
            }
        }
    }
    Ok(())
}

fn check_local_file(path: &std::path::Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(invalid(
            "local file",
            &path.display().to_string(),
            "is not a regular file",
        )),
        Err(e) => Err(invalid(
            "local file",
            &path.display().to_string(),
            format!("cannot be read: {e}"),
        )),
    }
}

/// Reads `reader` as a stream of chunks of exactly `chunk` bytes (the last may be shorter), failing
/// with an I/O error naming `label` when the content is not exactly `expected` bytes long (it ended
/// early, or more remains after `expected` bytes).
///
/// At most one chunk is held at a time, whatever the content size.
pub(crate) fn sized_chunks(
    reader: BoxAsyncRead,
    expected: u64,
    chunk: usize,
    label: String,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    SizedChunks {
        reader,
        expected,
        read: 0,
        chunk: chunk.max(1),
        label,
        buf: Vec::new(),
        filled: 0,
        done: false,
    }
}

struct SizedChunks {
    reader: BoxAsyncRead,
    expected: u64,
    read: u64,
    chunk: usize,
    label: String,
    buf: Vec<u8>,
    filled: usize,
    done: bool,
}

impl SizedChunks {
    fn fail(&mut self, kind: io::ErrorKind, msg: String) -> Poll<Option<io::Result<Bytes>>> {
        self.done = true;
        self.buf = Vec::new();
        Poll::Ready(Some(Err(io::Error::new(
            kind,
            format!("{}: {msg}", self.label),
        ))))
    }
}

impl Stream for SizedChunks {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let remaining = this.expected - this.read;
        if this.buf.is_empty() {
            // Start a chunk: the full chunk size, or what remains; one probe byte at the end to
            // detect content longer than expected.
            let want = usize::try_from(remaining)
                .unwrap_or(usize::MAX)
                .min(this.chunk)
                .max(1);
            this.buf = vec![0; want];
            this.filled = 0;
        }
        loop {
            let probing = remaining == 0;
            if this.filled == this.buf.len() {
                break;
            }
            let mut rb = ReadBuf::new(&mut this.buf[this.filled..]);
            match Pin::new(&mut this.reader).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    let kind = e.kind();
                    return this.fail(kind, format!("read failed: {e}"));
                }
                Poll::Ready(Ok(())) => {
                    let n = rb.filled().len();
                    if n == 0 {
                        if probing {
                            this.done = true;
                            this.buf = Vec::new();
                            return Poll::Ready(None);
                        }
                        let got = this.read + this.filled as u64;
                        return this.fail(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "content changed while being read: expected {} bytes, it ended after {got}",
                                this.expected
                            ),
                        );
                    }
                    if probing {
                        return this.fail(
                            io::ErrorKind::InvalidData,
                            format!(
                                "content changed while being read: expected {} bytes, more remain",
                                this.expected
                            ),
                        );
                    }
                    this.filled += n;
                }
            }
        }
        let mut full = std::mem::take(&mut this.buf);
        full.truncate(this.filled);
        this.read += this.filled as u64;
        this.filled = 0;
        Poll::Ready(Some(Ok(Bytes::from(full))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    fn add(path: &str) -> CommitOperation {
        CommitOperation::Add {
            path_in_repo: path.into(),
            source: AddSource::Bytes(Bytes::from_static(b"x")),
        }
    }

    fn rejected_value(r: Result<()>) -> (String, String) {
        match r {
            Err(Error::InvalidInput { what, value, .. }) => (what.to_string(), value),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn good_paths_pass_unchanged() {
        for p in [
            "a",
            "a/b.txt",
            "dir/sub/file.bin",
            ".gitattributes",
            "a/.gitignore",
            "x..y",
            "é/ü.txt",
            "a b/c",
        ] {
            assert_eq!(normalize_path_in_repo(p).unwrap(), p);
        }
    }

    #[test]
    fn bad_paths_are_rejected_naming_the_value() {
        for p in [
            "",
            "/abs",
            "a/",
            "a//b",
            "./a",
            "a/./b",
            "../a",
            "a/../b",
            "..",
            ".",
            ".git",
            ".git/config",
            "sub/.git/HEAD",
            "a\\b",
            "a\0b",
            "a\nb",
            "a\u{7f}b",
        ] {
            match normalize_path_in_repo(p) {
                Err(Error::InvalidInput { value, .. }) => assert_eq!(value, p),
                other => panic!("{p:?} should be rejected, got {other:?}"),
            }
        }
    }

    #[test]
    fn folder_paths_allow_one_trailing_slash() {
        assert_eq!(normalize_folder_path_in_repo("a/b/").unwrap(), "a/b");
        assert_eq!(normalize_folder_path_in_repo("a").unwrap(), "a");
        assert!(normalize_folder_path_in_repo("/").is_err());
        assert!(normalize_folder_path_in_repo("").is_err());
        assert!(normalize_folder_path_in_repo("a//").is_err());
        assert!(normalize_folder_path_in_repo(".git/").is_err());
    }

    #[test]
    fn summary_and_parent_are_checked() {
        let ops = [add("a")];
        assert_eq!(
            rejected_value(validate_operations(&ops, "  ", None)).0,
            "commit summary"
        );
        let sha1 = "0123456789abcdef0123456789ABCDEF01234567";
        validate_operations(&ops, "s", Some(sha1)).unwrap();
        let sha256 = "a".repeat(64);
        validate_operations(&ops, "s", Some(&sha256)).unwrap();
        for bad in ["main", "abc", &"g".repeat(40), &"a".repeat(41), ""] {
            let (what, value) = rejected_value(validate_operations(&ops, "s", Some(bad)));
            assert_eq!(what, "parent commit");
            assert_eq!(value, bad);
        }
    }

    #[test]
    fn duplicate_paths_are_rejected() {
        let dup = [add("a"), add("b"), add("a")];
        assert_eq!(rejected_value(validate_operations(&dup, "s", None)).1, "a");
        let add_del = [add("a"), CommitOperation::Delete { path: "a".into() }];
        assert!(validate_operations(&add_del, "s", None).is_err());
        let folder = [
            CommitOperation::DeleteFolder { path: "d/".into() },
            CommitOperation::Delete { path: "d".into() },
        ];
        assert!(validate_operations(&folder, "s", None).is_err());
        let mv = [
            CommitOperation::Move {
                src_path: "a".into(),
                dest_path: "b".into(),
            },
            add("a"),
        ];
        assert!(validate_operations(&mv, "s", None).is_err());
        // A copy's source may be touched elsewhere.
        let copy = [
            CommitOperation::Copy {
                src_path: "a".into(),
                src_revision: None,
                dest_path: "b".into(),
            },
            CommitOperation::Delete { path: "a".into() },
        ];
        validate_operations(&copy, "s", None).unwrap();
    }

    #[test]
    fn bad_paths_in_any_operation_are_rejected() {
        let cases = [
            vec![add("../x")],
            vec![CommitOperation::Delete { path: "/x".into() }],
            vec![CommitOperation::DeleteFolder {
                path: ".git".into(),
            }],
            vec![CommitOperation::Copy {
                src_path: "a\\b".into(),
                src_revision: None,
                dest_path: "c".into(),
            }],
            vec![CommitOperation::Move {
                src_path: "a".into(),
                dest_path: "b/".into(),
            }],
        ];
        for ops in cases {
            assert!(validate_operations(&ops, "s", None).is_err(), "{ops:?}");
        }
    }

    #[test]
    fn missing_local_file_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.bin");
        let ops = [CommitOperation::Add {
            path_in_repo: "a".into(),
            source: AddSource::File(missing.clone()),
        }];
        let (what, value) = rejected_value(validate_operations(&ops, "s", None));
        assert_eq!(what, "local file");
        assert_eq!(value, missing.display().to_string());
        let present = dir.path().join("yes.bin");
        std::fs::write(&present, b"1").unwrap();
        let ops = [CommitOperation::Add {
            path_in_repo: "a".into(),
            source: AddSource::File(present),
        }];
        validate_operations(&ops, "s", None).unwrap();
        let ops = [CommitOperation::Add {
            path_in_repo: "a".into(),
            source: AddSource::File(dir.path().to_path_buf()),
        }];
        assert!(validate_operations(&ops, "s", None).is_err());
    }

    #[tokio::test]
    async fn ranges_of_every_source_kind() {
        let data: Vec<u8> = (0..100u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, &data).unwrap();
        let shared = Bytes::from(data.clone());
        let factory = AddSource::from_reader_factory("gen", 100, move || {
            let b = shared.clone();
            Box::pin(async move { Ok(Box::new(io::Cursor::new(b)) as BoxAsyncRead) })
        });
        for source in [
            AddSource::Bytes(Bytes::from(data.clone())),
            AddSource::File(file),
            factory,
        ] {
            let mut out = Vec::new();
            source
                .open_range(30, 25)
                .await
                .unwrap()
                .read_to_end(&mut out)
                .await
                .unwrap();
            assert_eq!(out, &data[30..55], "{source:?}");
            let mut out = Vec::new();
            source
                .open()
                .await
                .unwrap()
                .read_to_end(&mut out)
                .await
                .unwrap();
            assert_eq!(out, data);
        }
    }

    #[tokio::test]
    async fn sized_chunks_checks_the_size() {
        let data = Bytes::from(vec![7u8; 10]);
        let ok: Vec<Bytes> =
            sized_chunks(Box::new(io::Cursor::new(data.clone())), 10, 4, "x".into())
                .try_collect()
                .await
                .unwrap();
        assert_eq!(ok.iter().map(|b| b.len()).collect::<Vec<_>>(), [4, 4, 2]);
        let short: io::Result<Vec<Bytes>> =
            sized_chunks(Box::new(io::Cursor::new(data.clone())), 11, 4, "x".into())
                .try_collect()
                .await;
        assert_eq!(short.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        let long: io::Result<Vec<Bytes>> =
            sized_chunks(Box::new(io::Cursor::new(data)), 9, 4, "x".into())
                .try_collect()
                .await;
        assert_eq!(long.unwrap_err().kind(), io::ErrorKind::InvalidData);
        let empty: Vec<Bytes> =
            sized_chunks(Box::new(io::Cursor::new(Bytes::new())), 0, 4, "x".into())
                .try_collect()
                .await
                .unwrap();
        assert!(empty.is_empty());
    }
}
