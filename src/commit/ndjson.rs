//! The streamed `application/x-ndjson` body of a commit.
//!
//! [`commit_body`] turns a header and the ordered lines of a commit into a stream of byte chunks.
//! Nothing is built ahead of time: a regular file is opened only when the body reaches it, read in
//! pieces of [`BASE64_INPUT_CHUNK`] bytes (a multiple of 3, so the concatenated pieces equal the
//! base64 of the whole content) and encoded as the body is sent. Local files and in-memory bytes
//! are rendered on tokio's blocking pool, one task per run of such lines, the lines of many small
//! files gathered into chunks of at most [`BODY_CHUNK`] bytes (10,000 small files are then about
//! 100 chunks and one blocking task, not 30,000 small chunks and reads); reader factories are
//! read asynchronously. Memory stays bounded by a few chunks whatever the number and the size of
//! the files. A file whose size differs from the hashed size ends the stream with an I/O error
//! naming it.
//!
//! Every line is one JSON object ending in exactly one `\n`; the small JSON pieces (paths,
//! summary, ...) are written with `serde_json`, so they are escaped correctly.

use std::io::{self, Read as _};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};
use serde::Serialize;

use super::hash::FileHashes;
use super::ops::{AddSource, sized_chunks};

/// How many raw bytes of a regular file are base64-encoded at a time (192 KiB, a multiple of 3);
/// each chunk of the body is at most 4/3 of this (256 KiB).
pub const BASE64_INPUT_CHUNK: usize = 3 * 64 * 1024;

/// The most bytes in one chunk of the body (what one encoded piece of [`BASE64_INPUT_CHUNK`]
/// bytes takes): the lines of small files are gathered up to this.
pub const BODY_CHUNK: usize = BASE64_INPUT_CHUNK / 3 * 4;

/// The first line of a commit body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitHeader {
    /// The commit title.
    pub summary: String,
    /// The commit description (`""` when none).
    pub description: String,
    /// The commit the caller expects to be the head of the branch; the Hub answers 412 otherwise.
    pub parent_commit: Option<String>,
}

impl CommitHeader {
    /// A header with this summary, an empty description and no parent commit.
    #[cfg(test)]
    pub fn new(summary: impl Into<String>) -> Self {
        CommitHeader {
            summary: summary.into(),
            description: String::new(),
            parent_commit: None,
        }
    }
}

/// One line of a commit body after the header.
#[derive(Debug, Clone)]
pub enum CommitLine {
    /// A regular file whose base64 content is sent inline (`"key":"file"`).
    File {
        /// Its path in the repository.
        path: String,
        /// Where its content is read from when the body reaches this line.
        source: AddSource,
        /// The size found when it was hashed; the content read must have exactly this size.
        size: u64,
        /// For a server-side move: the path the file is moved from (`oldPath`).
        old_path: Option<String>,
    },
    /// A file whose content is already in LFS storage (`"key":"lfsFile"`).
    LfsFile {
        /// Its path in the repository.
        path: String,
        /// The sha256 of its content, hex.
        oid: String,
        /// Its size in bytes.
        size: u64,
        /// For a server-side move: the path the file is moved from (`oldPath`).
        old_path: Option<String>,
    },
    /// A deleted file (`"key":"deletedFile"`).
    DeletedFile {
        /// Its path in the repository.
        path: String,
    },
    /// A deleted folder (`"key":"deletedFolder"`).
    DeletedFolder {
        /// Its path in the repository.
        path: String,
    },
}

impl CommitLine {
    /// The line for an added file once it is hashed and its upload mode is known: an `lfsFile`
    /// line when it went to LFS (`lfs`), otherwise a `file` line reading `source`. Empty content is
    /// always a `file` line (empty LFS objects fail in storage).
    pub fn for_add(
        path: impl Into<String>,
        source: AddSource,
        hashes: &FileHashes,
        lfs: bool,
    ) -> Self {
        if lfs && hashes.size > 0 {
            CommitLine::LfsFile {
                path: path.into(),
                oid: hashes.sha256.clone(),
                size: hashes.size,
                old_path: None,
            }
        } else {
            CommitLine::File {
                path: path.into(),
                source,
                size: hashes.size,
                old_path: None,
            }
        }
    }
}

#[derive(Serialize)]
struct Line<V: Serialize> {
    key: &'static str,
    value: V,
}

#[derive(Serialize)]
struct HeaderValue<'a> {
    summary: &'a str,
    description: &'a str,
    #[serde(rename = "parentCommit", skip_serializing_if = "Option::is_none")]
    parent_commit: Option<&'a str>,
}

#[derive(Serialize)]
struct FileTail<'a> {
    path: &'a str,
    encoding: &'static str,
    #[serde(rename = "oldPath", skip_serializing_if = "Option::is_none")]
    old_path: Option<&'a str>,
}

#[derive(Serialize)]
struct LfsValue<'a> {
    path: &'a str,
    algo: &'static str,
    oid: &'a str,
    size: u64,
    #[serde(rename = "oldPath", skip_serializing_if = "Option::is_none")]
    old_path: Option<&'a str>,
}

#[derive(Serialize)]
struct PathValue<'a> {
    path: &'a str,
}

const FILE_PREFIX: &[u8] = br#"{"key":"file","value":{"content":""#;

fn json_line<V: Serialize>(key: &'static str, value: V) -> io::Result<Bytes> {
    let mut out = serde_json::to_vec(&Line { key, value }).map_err(io::Error::other)?;
    out.push(b'\n');
    Ok(Bytes::from(out))
}

fn header_line(header: &CommitHeader) -> io::Result<Bytes> {
    json_line(
        "header",
        HeaderValue {
            summary: &header.summary,
            description: &header.description,
            parent_commit: header.parent_commit.as_deref(),
        },
    )
}

/// The bytes after a file's base64 content: closes the string, then the rest of the line.
fn file_suffix(path: &str, old_path: Option<&str>) -> io::Result<Bytes> {
    let tail = serde_json::to_vec(&FileTail {
        path,
        encoding: "base64",
        old_path,
    })
    .map_err(io::Error::other)?;
    // `tail` is `{"path":...}`: replace its opening brace by the end of the content string.
    let mut out = Vec::with_capacity(tail.len() + 4);
    out.extend_from_slice(b"\",");
    out.extend_from_slice(tail.get(1..).unwrap_or_default());
    out.extend_from_slice(b"}\n");
    Ok(Bytes::from(out))
}

/// A fixed line (everything but a regular file's content), rendered.
fn simple_line(line: &CommitLine) -> io::Result<Bytes> {
    match line {
        CommitLine::LfsFile {
            path,
            oid,
            size,
            old_path,
        } => json_line(
            "lfsFile",
            LfsValue {
                path,
                algo: "sha256",
                oid,
                size: *size,
                old_path: old_path.as_deref(),
            },
        ),
        CommitLine::DeletedFile { path } => json_line("deletedFile", PathValue { path }),
        CommitLine::DeletedFolder { path } => json_line("deletedFolder", PathValue { path }),
        CommitLine::File { .. } => Err(io::Error::other("a file line has no fixed rendering")),
    }
}

fn base64_len(size: u64) -> u64 {
    size.div_ceil(3) * 4
}

/// The exact length in bytes of the body [`commit_body`] produces for these lines (when every
/// file has its expected size), e.g. for a `Content-Length` header or a progress bar.
pub fn commit_body_len(header: &CommitHeader, lines: &[CommitLine]) -> io::Result<u64> {
    let mut total = header_line(header)?.len() as u64;
    for line in lines {
        total += match line {
            CommitLine::File {
                path,
                size,
                old_path,
                ..
            } => {
                FILE_PREFIX.len() as u64
                    + base64_len(*size)
                    + file_suffix(path, old_path.as_deref())?.len() as u64
            }
            other => simple_line(other)?.len() as u64,
        };
    }
    Ok(total)
}

/// A line whose content comes from a reader factory: streamed as the body is polled.
fn line_stream(line: CommitLine) -> BoxStream<'static, io::Result<Bytes>> {
    match line {
        CommitLine::File {
            path,
            source,
            size,
            old_path,
        } => {
            let suffix = file_suffix(&path, old_path.as_deref());
            let label = line_label(&path, &source);
            let open_label = label.clone();
            let content = stream::once(async move {
                source.open().await.map_err(|e| {
                    io::Error::new(e.kind(), format!("{open_label}: open failed: {e}"))
                })
            })
            .map_ok(move |reader| {
                sized_chunks(reader, size, BASE64_INPUT_CHUNK, label.clone())
                    .map_ok(|raw| Bytes::from(STANDARD.encode(&raw)))
            })
            .try_flatten();
            stream::once(async { Ok(Bytes::from_static(FILE_PREFIX)) })
                .chain(content)
                .chain(stream::once(async move { suffix }))
                .boxed()
        }
        other => {
            let rendered = simple_line(&other);
            stream::once(async move { rendered }).boxed()
        }
    }
}

fn line_label(path: &str, source: &AddSource) -> String {
    format!("commit body, file {path:?} read from {}", source.describe())
}

/// Whether a line's content is read asynchronously (a reader factory) rather than rendered with
/// its neighbours on the blocking pool.
fn is_streamed(line: &CommitLine) -> bool {
    matches!(
        line,
        CommitLine::File {
            source: AddSource::Reader { .. },
            ..
        }
    )
}

/// A run of lines whose content is local (files, in-memory bytes, fixed lines), rendered by one
/// blocking task, started when the body reaches the run, into chunks of at most [`BODY_CHUNK`]
/// bytes (the lines of many small files share one), at most two of them waiting to be sent.
fn local_run_stream(lines: Vec<CommitLine>) -> BoxStream<'static, io::Result<Bytes>> {
    stream::once(async move {
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(2);
        tokio::task::spawn_blocking(move || render_local(lines, &tx));
        stream::unfold(rx, |mut rx| async move {
            let item = rx.recv().await?;
            Some((item, rx))
        })
    })
    .flatten()
    .boxed()
}

/// The body bytes being gathered into chunks, handed to the request as they fill.
struct ChunkWriter<'a> {
    out: Vec<u8>,
    tx: &'a tokio::sync::mpsc::Sender<io::Result<Bytes>>,
}

impl ChunkWriter<'_> {
    /// Makes room for `len` more bytes in the current chunk (sending it if it is too full);
    /// false once the body's receiver is gone.
    fn room(&mut self, len: usize) -> bool {
        if self.out.len() + len > BODY_CHUNK && !self.out.is_empty() {
            let full = std::mem::replace(&mut self.out, Vec::with_capacity(BODY_CHUNK));
            return self.tx.blocking_send(Ok(Bytes::from(full))).is_ok();
        }
        true
    }

    fn put(&mut self, bytes: &[u8]) -> bool {
        let alive = self.room(bytes.len());
        self.out.extend_from_slice(bytes);
        alive
    }

    /// Base64 of `raw` (a multiple of 3 bytes unless it is a content's end), in place.
    fn put_base64(&mut self, raw: &[u8]) -> bool {
        let len = base64_len(raw.len() as u64) as usize;
        let alive = self.room(len);
        let start = self.out.len();
        self.out.resize(start + len, 0);
        // The slot is exactly the encoded length: encoding cannot fail.
        let _ = STANDARD.encode_slice(raw, &mut self.out[start..]);
        alive
    }
}

/// Renders `lines` into the channel; stops at the first error (sent last) or when the
/// receiver is gone.
fn render_local(lines: Vec<CommitLine>, tx: &tokio::sync::mpsc::Sender<io::Result<Bytes>>) {
    let mut w = ChunkWriter {
        out: Vec::with_capacity(BODY_CHUNK),
        tx,
    };
    let mut raw = Vec::new();
    for line in lines {
        let rendered = match line {
            CommitLine::File {
                path,
                source,
                size,
                old_path,
            } => {
                if !w.put(FILE_PREFIX) {
                    return;
                }
                match write_content(&mut w, &source, size, &mut raw) {
                    Ok(true) => file_suffix(&path, old_path.as_deref()),
                    Ok(false) => return,
                    Err(e) => Err(io::Error::new(
                        e.kind(),
                        format!("{}: {e}", line_label(&path, &source)),
                    )),
                }
            }
            other => simple_line(&other),
        };
        match rendered {
            Ok(bytes) => {
                if !w.put(&bytes) {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    }
    if !w.out.is_empty() {
        let _ = tx.blocking_send(Ok(Bytes::from(w.out)));
    }
}

/// Writes the base64 of exactly `size` bytes of a local source; `Ok(false)` once the receiver
/// is gone. A content of another size is an error (`UnexpectedEof` shorter, `InvalidData`
/// longer), as with [`sized_chunks`].
fn write_content(
    w: &mut ChunkWriter<'_>,
    source: &AddSource,
    size: u64,
    raw: &mut Vec<u8>,
) -> io::Result<bool> {
    let changed = |kind: io::ErrorKind, what: String| {
        io::Error::new(
            kind,
            format!("content changed while being read: expected {size} bytes, {what}"),
        )
    };
    match source {
        AddSource::Bytes(b) => {
            if b.len() as u64 != size {
                return Err(if (b.len() as u64) < size {
                    changed(
                        io::ErrorKind::UnexpectedEof,
                        format!("it ended after {}", b.len()),
                    )
                } else {
                    changed(io::ErrorKind::InvalidData, "more remain".to_owned())
                });
            }
            for piece in b.chunks(BASE64_INPUT_CHUNK) {
                if !w.put_base64(piece) {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        AddSource::File(path) => {
            let mut file = std::fs::File::open(path)
                .map_err(|e| io::Error::new(e.kind(), format!("open failed: {e}")))?;
            let piece_max = usize::try_from(size)
                .unwrap_or(BASE64_INPUT_CHUNK)
                .clamp(1, BASE64_INPUT_CHUNK);
            if raw.len() < piece_max {
                raw.resize(piece_max, 0);
            }
            let mut done = 0u64;
            loop {
                let want = usize::try_from(size - done)
                    .unwrap_or(usize::MAX)
                    .min(piece_max);
                // Fill the piece (or, at the end, probe one byte for content longer than
                // announced).
                let target = want.max(1);
                let mut filled = 0;
                while filled < target {
                    match file.read(&mut raw[filled..target]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            return Err(io::Error::new(e.kind(), format!("read failed: {e}")));
                        }
                    }
                }
                if want == 0 {
                    return if filled == 0 {
                        Ok(true)
                    } else {
                        Err(changed(
                            io::ErrorKind::InvalidData,
                            "more remain".to_owned(),
                        ))
                    };
                }
                if filled < want {
                    return Err(changed(
                        io::ErrorKind::UnexpectedEof,
                        format!("it ended after {}", done + filled as u64),
                    ));
                }
                if !w.put_base64(&raw[..filled]) {
                    return Ok(false);
                }
                done += filled as u64;
            }
        }
        AddSource::Reader { .. } => Err(io::Error::other(
            "a reader's content is streamed, not rendered locally",
        )),
    }
}

/// The commit body: the header line, then one line per entry of `lines` in order, as a stream of
/// chunks ready for `reqwest::Body::wrap_stream`. The stream ends after its first error.
///
/// Runs of lines with local content are rendered on the blocking pool, many small files per
/// chunk (one blocking task per run, not several per file); a reader's content is streamed
/// when the body reaches it.
pub fn commit_body(
    header: CommitHeader,
    lines: Vec<CommitLine>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let first = header_line(&header);
    let mut runs: Vec<Vec<CommitLine>> = Vec::new();
    for line in lines {
        match runs.last_mut() {
            Some(run) if !is_streamed(&line) && !run.last().is_some_and(is_streamed) => {
                run.push(line)
            }
            _ => runs.push(vec![line]),
        }
    }
    stream::once(async move { first })
        .chain(stream::iter(runs).flat_map(|mut run| {
            if run.len() == 1 && is_streamed(&run[0]) {
                line_stream(run.remove(0))
            } else {
                local_run_stream(run)
            }
        }))
        .scan(false, |failed, item| {
            let next = if *failed {
                None
            } else {
                *failed = item.is_err();
                Some(item)
            };
            futures::future::ready(next)
        })
}

#[cfg(test)]
mod tests;
