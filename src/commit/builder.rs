//! [`CommitBuilder`]: one commit of any size, streamed, from [`Hub::commit`].
//!
//! ```no_run
//! # async fn demo() -> hf_hub_api::Result<()> {
//! use hf_hub_api::{Hub, repo::Repo};
//! let hub = Hub::from_env()?;
//! let info = hub
//!     .commit(Repo::model("me/my-model")?)
//!     .summary("Add weights and a README")
//!     .add_file("model.safetensors", "./out/model.safetensors")
//!     .add_bytes("README.md", "# My model\n")
//!     .delete_file("old.bin")
//!     .push()
//!     .await?;
//! if info.no_op {
//!     println!("nothing changed");
//! } else {
//!     println!("committed {} ({})", info.oid, info.url);
//! }
//! # Ok(()) }
//! ```
//!
//! # What `push` does
//!
//! 1. **Validation, before any request**: the summary, the revision, the parent commit, every path
//!    (see [`validate_operations`]), that every local file exists, the folder patterns; an
//!    `upload_folder` lists its local files here. Any problem is an [`Error::InvalidInput`] (or an
//!    [`Error::Io`] for an unreadable folder) and nothing is sent.
//! 2. For an `upload_folder` with delete patterns: the remote tree under its folder is listed
//!    (Link-paginated) to find the files to delete.
//! 3. **Hashing**: every added file is read once for its size, sha256, git blob id (under
//!    10 MB: larger files go to LFS) and preupload sample. Files of 1 MiB or more are hashed from
//!    the start, at most [`hash_parallelism`](CommitBuilder::hash_parallelism) at a time; smaller
//!    ones in batches on the blocking pool. A file whose size changes while it is read is an
//!    error.
//! 4. **Preupload**, in calls of at most [`MAX_PREUPLOAD_FILES`] files (with `create_pr` when
//!    opening a pull request), a few at a time, overlapping the hashing: a call needs only its
//!    files' sizes and samples. Files the Hub says to ignore (`shouldIgnore`) and files whose
//!    remote content is already the same (the answer's `oid` equals the local sha256 or git blob
//!    id) are left out of the commit.
//! 5. **Copies and moves**: the sources are looked up with `paths-info`. An LFS source becomes an
//!    `lfsFile` line carrying its sha256 (nothing is uploaded or downloaded). A regular source's
//!    content is streamed from the Hub's `resolve` endpoint while the commit body is sent (it is
//!    never held whole in memory); a move adds `oldPath`.
//! 6. If nothing is left to change, `push` returns [`CommitInfo`] with `no_op: true` **without
//!    sending the commit**.
//! 7. **LFS**: the batch API in calls of at most 256 objects (without `ref` when opening a pull
//!    request); every object that needs it is uploaded to storage (at most
//!    [`upload_concurrency`](CommitBuilder::upload_concurrency) at a time, basic or multipart,
//!    through a separate HTTP client that never carries the Hub token) and verified. Objects
//!    already stored are skipped.
//! 8. **The commit**: one `POST` of the `application/x-ndjson` body, streamed (regular files are
//!    base64-encoded as the body is sent). It is sent **once** and never retried.
//!
//! If any step before the commit fails, nothing is committed, and the error names the file
//! concerned (its path in the repository and where its content came from).
//!
//! # Errors of the commit itself
//!
//! - 412: the branch moved on since [`parent_commit`](CommitBuilder::parent_commit) —
//!   [`HubErrorKind::CommitConflict`] with `expected_parent` set to the parent that was given.
//! - 409: another commit is in progress on the repository — [`HubErrorKind::CommitInProgress`].
//!   Nothing was committed and [`Error::is_retryable`] is true: calling `push` again later on a
//!   new builder is safe (uploads already done are skipped by the preupload/batch answers).
//! - Any other failure of the `POST` (5xx, a timeout, a dropped connection) is **not** retried
//!   and [`Error::is_retryable`] is false, because the Hub may have created the commit; when
//!   [`Error::may_have_reached_server`] is true, check the branch before trying again.
//! - The read timeout never cuts the body while it is being sent: the wait for the Hub's answer
//!   starts once the whole body is out (see [`HubBuilder::read_timeout`](crate::HubBuilder::read_timeout)).
//! - A file whose content changes size while the body streams ends the upload with an
//!   [`Error::Io`] naming it; the Hub receives an incomplete body and creates no commit.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{Method, Request};
use serde::Deserialize;
use url::Url;

use super::folder::{PathFilter, collect_folder_files, files_to_delete};
use super::hash::{
    BatchDone, Cancel, FileHashes, SMALL_CONTENT, git_blob_id, hash_small_batch,
    hash_source_with_progress, size_and_sample,
};
use super::lfs::{
    LFS_CONTENT_TYPE, MAX_OBJECTS_PER_BATCH, Storage, UploadOutcome, UploadSettings, upload_object,
    upload_request,
};
use super::ndjson::{CommitHeader, CommitLine, commit_body, commit_body_len};
use super::ops::{
    AddSource, BoxAsyncRead, CommitOperation, normalize_folder_path_in_repo, validate_operations,
};
use super::progress::{Phase, ProgressEvent, ProgressObserver, Reporter};
use crate::client::Hub;
use crate::error::{Error, HubErrorKind, Result};
use crate::pagination::Paginator;
use crate::repo::{Repo, encode_path_segment, encode_repo_path, validate_revision};
use crate::types;

mod preupload;
mod remote;
mod send;
mod upload;

/// The most files one preupload call holds (the Hub's limit).
pub const MAX_PREUPLOAD_FILES: usize = 256;

/// The most paths one `paths-info` call holds.
const MAX_PATHS_INFO: usize = 1000;

/// How many files are hashed at once by default.
const DEFAULT_HASH_PARALLELISM: usize = 4;

/// How many LFS objects are uploaded at once by default.
const DEFAULT_UPLOAD_CONCURRENCY: usize = 4;

impl Hub {
    /// Starts a commit to `repo` (on `main` unless [`CommitBuilder::revision`] says otherwise).
    ///
    /// Nothing is sent until [`CommitBuilder::push`]; see the [`builder`](super::builder) module
    /// for the whole flow.
    ///
    /// ```no_run
    /// # async fn demo() -> hf_hub_api::Result<()> {
    /// use hf_hub_api::{Hub, repo::Repo};
    /// let hub = Hub::from_env()?;
    /// let info = hub
    ///     .commit(Repo::dataset("me/data")?)
    ///     .summary("Refresh the data")
    ///     .upload_folder("./data", "", vec![], vec!["*.tmp".into()], vec!["*.parquet".into()])
    ///     .create_pr(true)
    ///     .push()
    ///     .await?;
    /// println!("{:?}", info.pull_request_url);
    /// # Ok(()) }
    /// ```
    pub fn commit(&self, repo: Repo) -> CommitBuilder {
        CommitBuilder::new(self.clone(), repo)
    }
}

/// What [`CommitBuilder::push`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommitInfo {
    /// The id of the new commit. For a no-op, the head of the revision the preupload reported,
    /// else the parent commit given, else empty.
    pub oid: String,
    /// The URL of the new commit; empty for a no-op.
    pub url: String,
    /// The URL of the pull request opened, with [`CommitBuilder::create_pr`].
    pub pull_request_url: Option<String>,
    /// The git revision of that pull request (`refs/pr/3`), derived from its URL, ready to be
    /// given to [`CommitBuilder::revision`] to push more commits to it.
    pub pull_request_revision: Option<String>,
    /// True when there was nothing to change (every added file was already identical or ignored,
    /// and nothing else was asked): no commit was sent.
    pub no_op: bool,
}

impl CommitInfo {
    fn from_response(response: types::CreateCommitResponse) -> Self {
        let pull_request_revision = response
            .pull_request_url
            .as_deref()
            .and_then(pull_request_revision);
        CommitInfo {
            oid: response.commit_oid,
            url: response.commit_url,
            pull_request_url: response.pull_request_url,
            pull_request_revision,
            no_op: false,
        }
    }
}

/// `refs/pr/N` from a pull request URL ending in `/discussions/N`.
fn pull_request_revision(url: &str) -> Option<String> {
    let (_, tail) = url.rsplit_once("/discussions/")?;
    let number: String = tail.chars().take_while(char::is_ascii_digit).collect();
    (!number.is_empty()).then(|| format!("refs/pr/{number}"))
}

/// One `upload_folder` call, expanded at push time.
#[derive(Debug, Clone)]
struct FolderUpload {
    local_dir: PathBuf,
    path_in_repo: String,
    allow: Vec<String>,
    ignore: Vec<String>,
    delete: Vec<String>,
}

#[derive(Debug, Clone)]
enum Item {
    Op(CommitOperation),
    Folder(FolderUpload),
}

/// After local expansion: an operation, or the remote files an `upload_folder` deletes (known
/// only once the remote tree is listed).
enum Slot {
    Op(CommitOperation),
    RemoteDeletes {
        path_in_repo: String,
        patterns: Vec<String>,
    },
}

/// Builds one commit; obtained from [`Hub::commit`]. See the [module docs](self).
///
/// Operations are committed in the order they are added. Setters only record; every check happens
/// in [`push`](Self::push), before any request.
#[must_use = "a commit is only sent by `push`"]
pub struct CommitBuilder {
    hub: Hub,
    repo: Repo,
    summary: String,
    description: String,
    parent_commit: Option<String>,
    create_pr: bool,
    revision: String,
    items: Vec<Item>,
    progress: Option<Arc<dyn ProgressObserver>>,
    hash_parallelism: usize,
    upload_concurrency: usize,
    upload_settings: UploadSettings,
    storage_client: Option<reqwest::Client>,
}

impl std::fmt::Debug for CommitBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitBuilder")
            .field("repo", &self.repo)
            .field("revision", &self.revision)
            .field("summary", &self.summary)
            .field("parent_commit", &self.parent_commit)
            .field("create_pr", &self.create_pr)
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

impl CommitBuilder {
    fn new(hub: Hub, repo: Repo) -> Self {
        CommitBuilder {
            hub,
            repo,
            summary: String::new(),
            description: String::new(),
            parent_commit: None,
            create_pr: false,
            revision: "main".to_owned(),
            items: Vec::new(),
            progress: None,
            hash_parallelism: DEFAULT_HASH_PARALLELISM,
            upload_concurrency: DEFAULT_UPLOAD_CONCURRENCY,
            upload_settings: UploadSettings::default(),
            storage_client: None,
        }
    }

    /// The commit title (required: an empty summary is rejected by `push`).
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    /// The commit description (empty by default).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The commit the caller expects at the head of the revision (a full 40- or 64-digit id). If
    /// the branch has moved on, the Hub refuses the commit with 412
    /// ([`HubErrorKind::CommitConflict`]).
    pub fn parent_commit(mut self, parent: impl Into<String>) -> Self {
        self.parent_commit = Some(parent.into());
        self
    }

    /// Open a pull request with this commit instead of committing to the revision.
    pub fn create_pr(mut self, create_pr: bool) -> Self {
        self.create_pr = create_pr;
        self
    }

    /// The branch to commit to (default `main`), or a pull request's `refs/pr/N`.
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = revision.into();
        self
    }

    /// Adds (or replaces) `path_in_repo` with in-memory content.
    pub fn add_bytes(self, path_in_repo: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        self.add_source(path_in_repo, AddSource::Bytes(bytes.into()))
    }

    /// Adds (or replaces) `path_in_repo` with the content of a local file, read in bounded
    /// chunks when hashing and again when sending.
    pub fn add_file(self, path_in_repo: impl Into<String>, local_path: impl Into<PathBuf>) -> Self {
        self.add_source(path_in_repo, AddSource::File(local_path.into()))
    }

    /// Adds (or replaces) `path_in_repo` with `size` bytes produced by `factory`, which opens a
    /// fresh reader over the same content each time it is called (the content is read once to
    /// hash it, then again to send it; see [`ReaderFactory`](super::ReaderFactory)).
    pub fn add_reader<F>(self, path_in_repo: impl Into<String>, size: u64, factory: F) -> Self
    where
        F: Fn() -> BoxFuture<'static, io::Result<BoxAsyncRead>> + Send + Sync + 'static,
    {
        let path = path_in_repo.into();
        let source = AddSource::from_reader_factory(format!("reader for {path:?}"), size, factory);
        self.add_source(path, source)
    }

    /// Adds (or replaces) `path_in_repo` with content from any [`AddSource`].
    pub fn add_source(self, path_in_repo: impl Into<String>, source: AddSource) -> Self {
        self.operation(CommitOperation::Add {
            path_in_repo: path_in_repo.into(),
            source,
        })
    }

    /// Deletes one file.
    pub fn delete_file(self, path_in_repo: impl Into<String>) -> Self {
        self.operation(CommitOperation::Delete {
            path: path_in_repo.into(),
        })
    }

    /// Deletes a folder and everything under it (one trailing `/` is allowed).
    pub fn delete_folder(self, path_in_repo: impl Into<String>) -> Self {
        self.operation(CommitOperation::DeleteFolder {
            path: path_in_repo.into(),
        })
    }

    /// Copies a file of the repository, as it is at the commit's revision, to `dest`.
    pub fn copy_file(self, src: impl Into<String>, dest: impl Into<String>) -> Self {
        self.operation(CommitOperation::Copy {
            src_path: src.into(),
            src_revision: None,
            dest_path: dest.into(),
        })
    }

    /// Copies a file of the repository as it is at `src_revision` (a branch, tag or commit) to
    /// `dest`.
    pub fn copy_file_from_revision(
        self,
        src: impl Into<String>,
        src_revision: impl Into<String>,
        dest: impl Into<String>,
    ) -> Self {
        self.operation(CommitOperation::Copy {
            src_path: src.into(),
            src_revision: Some(src_revision.into()),
            dest_path: dest.into(),
        })
    }

    /// Moves (renames) a file of the repository, server-side (`oldPath`).
    pub fn move_file(self, src: impl Into<String>, dest: impl Into<String>) -> Self {
        self.operation(CommitOperation::Move {
            src_path: src.into(),
            dest_path: dest.into(),
        })
    }

    /// Adds any [`CommitOperation`].
    pub fn operation(mut self, operation: CommitOperation) -> Self {
        self.items.push(Item::Op(operation));
        self
    }

    /// Uploads the files under `local_dir` to the folder `path_in_repo` (`""` for the root).
    ///
    /// `allow` keeps only the files matching one of its globs (all when empty); `ignore` drops the
    /// files matching one of its globs (`.git` and `.cache/huggingface` folders are always
    /// ignored); both match the path relative to `local_dir`, where `*` also matches `/`.
    /// `delete_patterns` deletes the remote files under `path_in_repo` matching one of its globs
    /// (relative to `path_in_repo`), except the files being uploaded and `.gitattributes`;
    /// e.g. `vec!["*".into()]` makes the remote folder mirror the local one.
    ///
    /// The folder is listed when [`push`](Self::push) runs, not when this is called.
    pub fn upload_folder(
        mut self,
        local_dir: impl Into<PathBuf>,
        path_in_repo: impl Into<String>,
        allow: Vec<String>,
        ignore: Vec<String>,
        delete_patterns: Vec<String>,
    ) -> Self {
        self.items.push(Item::Folder(FolderUpload {
            local_dir: local_dir.into(),
            path_in_repo: path_in_repo.into(),
            allow,
            ignore,
            delete: delete_patterns,
        }));
        self
    }

    /// Reports progress to `observer` (see [`ProgressObserver`]; a closure
    /// `|event: &ProgressEvent| ...` works).
    pub fn progress(mut self, observer: impl ProgressObserver + 'static) -> Self {
        self.progress = Some(Arc::new(observer));
        self
    }

    /// Reports progress to a shared observer.
    pub fn progress_shared(mut self, observer: Arc<dyn ProgressObserver>) -> Self {
        self.progress = Some(observer);
        self
    }

    /// How many files are hashed at once (default 4; at least 1).
    pub fn hash_parallelism(mut self, n: usize) -> Self {
        self.hash_parallelism = n.max(1);
        self
    }

    /// How many LFS objects are uploaded at once (default 4; at least 1). Each multipart upload
    /// also sends several parts at once ([`UploadSettings::part_concurrency`](super::UploadSettings::part_concurrency)).
    pub fn upload_concurrency(mut self, n: usize) -> Self {
        self.upload_concurrency = n.max(1);
        self
    }

    /// How storage requests are parallelised and retried (default [`UploadSettings::default`]:
    /// 8 parts at a time, the [`Hub`]'s retry policy).
    pub fn upload_settings(mut self, settings: UploadSettings) -> Self {
        self.upload_settings = settings;
        self
    }

    /// The HTTP client used for object storage (default: a new client with the [`Hub`]'s
    /// connect and read timeouts, the read timeout applied to waiting for each answer once the
    /// body is sent, never to sending it). It must carry **no** Hub token: storage is on other
    /// hosts. The Hub's own calls keep using the [`Hub`]'s client. A client given here keeps
    /// its own timeouts, as it was configured.
    pub fn storage_client(mut self, client: reqwest::Client) -> Self {
        self.storage_client = Some(client);
        self
    }

    /// Sends the commit; see the [module docs](self) for the steps, the errors and the no-op case.
    pub async fn push(self) -> Result<CommitInfo> {
        let span = tracing::debug_span!(
            "commit",
            repo = %self.repo,
            revision = %self.revision,
            create_pr = self.create_pr
        );
        tracing::Instrument::instrument(self.push_inner(), span).await
    }

    async fn push_inner(self) -> Result<CommitInfo> {
        let reporter = Reporter::new(self.progress.clone());

        // 1. Validation: no request before this is done.
        validate_revision(&self.revision)?;
        let slots = self.expand_local().await?;
        let ops: Vec<CommitOperation> = slots
            .iter()
            .filter_map(|s| match s {
                Slot::Op(op) => Some(op.clone()),
                Slot::RemoteDeletes { .. } => None,
            })
            .collect();
        validate_operations(&ops, &self.summary, self.parent_commit.as_deref())?;
        for op in &ops {
            if let CommitOperation::Copy {
                src_revision: Some(rev),
                ..
            } = op
            {
                validate_revision(rev).map_err(|_| {
                    Error::invalid(
                        "copy source revision",
                        rev.as_str(),
                        "is not a valid revision",
                    )
                })?;
            }
        }

        // 2. Remote deletes of upload_folder.
        let ops = self.resolve_remote_deletes(slots, ops).await?;

        // 3-4. Hashing and preupload, overlapped.
        let mut plan = Plan::new(ops.len());
        self.hash_and_preupload(&ops, &mut plan, &reporter).await?;

        // 5. Copies and moves.
        self.resolve_copies(&ops, &mut plan).await?;

        // The lines, in the caller's order.
        for (index, op) in ops.iter().enumerate() {
            match op {
                CommitOperation::Delete { path } => {
                    plan.lines[index] = Some(CommitLine::DeletedFile { path: path.clone() });
                }
                CommitOperation::DeleteFolder { path } => {
                    plan.lines[index] = Some(CommitLine::DeletedFolder {
                        path: normalize_folder_path_in_repo(path)?,
                    });
                }
                _ => {}
            }
        }
        let lines: Vec<CommitLine> = plan.lines.into_iter().flatten().collect();

        // 6. Nothing to change.
        if lines.is_empty() {
            tracing::info!("nothing to commit: every file is unchanged or ignored");
            reporter.phase(Phase::Done, 0, 0);
            return Ok(CommitInfo {
                oid: plan
                    .head
                    .or_else(|| self.parent_commit.clone())
                    .unwrap_or_default(),
                url: String::new(),
                pull_request_url: None,
                pull_request_revision: None,
                no_op: true,
            });
        }

        // 7. LFS uploads.
        self.upload_lfs(plan.lfs, &reporter).await?;

        // 8. The commit.
        let info = self.send_commit(lines, &reporter).await?;
        reporter.phase(Phase::Done, 0, 0);
        Ok(info)
    }

    /// Lists the local folders and checks their patterns (no request).
    async fn expand_local(&self) -> Result<Vec<Slot>> {
        let mut slots = Vec::with_capacity(self.items.len());
        for item in &self.items {
            match item {
                Item::Op(op) => slots.push(Slot::Op(op.clone())),
                Item::Folder(folder) => {
                    PathFilter::new(&folder.delete, &[]).map_err(|e| match e {
                        Error::InvalidInput { value, reason, .. } => {
                            Error::invalid("delete pattern", value, reason)
                        }
                        other => other,
                    })?;
                    let owned = folder.clone();
                    let files = tokio::task::spawn_blocking(move || {
                        collect_folder_files(
                            &owned.local_dir,
                            &owned.path_in_repo,
                            &owned.allow,
                            &owned.ignore,
                        )
                    })
                    .await
                    .map_err(|e| {
                        Error::io(
                            format!("listing the folder {}", folder.local_dir.display()),
                            io::Error::other(e),
                        )
                    })??;
                    tracing::debug!(
                        folder = %folder.local_dir.display(),
                        files = files.len(),
                        "folder listed"
                    );
                    slots.extend(files.iter().map(|f| Slot::Op(f.to_operation())));
                    if !folder.delete.is_empty() {
                        slots.push(Slot::RemoteDeletes {
                            path_in_repo: folder.path_in_repo.clone(),
                            patterns: folder.delete.clone(),
                        });
                    }
                }
            }
        }
        Ok(slots)
    }
}

/// An LFS object to upload.
struct LfsUpload {
    path: Arc<str>,
    source: AddSource,
    oid: String,
    size: u64,
}

/// What the commit will hold, filled in step by step.
struct Plan {
    /// One slot per operation; `None` when the operation adds no line (yet, or at all).
    lines: Vec<Option<CommitLine>>,
    /// The LFS objects to upload, one per distinct content.
    lfs: Vec<LfsUpload>,
    /// The head of the revision, as the preupload reported it.
    head: Option<String>,
}

impl Plan {
    fn new(len: usize) -> Self {
        Plan {
            lines: (0..len).map(|_| None).collect(),
            lfs: Vec::new(),
            head: None,
        }
    }
}

/// `"a", "b", "c" and 4 more files`, for error messages.
fn name_files<'a>(paths: impl Iterator<Item = &'a str>) -> String {
    let paths: Vec<&str> = paths.collect();
    let shown: Vec<String> = paths.iter().take(3).map(|p| format!("{p:?}")).collect();
    let mut text = shown.join(", ");
    if paths.len() > 3 {
        text.push_str(&format!(" and {} more files", paths.len() - 3));
    }
    text
}

/// Prefixes what an error says with `context` (naming the files concerned).
fn with_context(error: Error, context: &str) -> Error {
    match error {
        Error::Hub(mut hub) => {
            hub.message = if hub.message.is_empty() {
                context.to_owned()
            } else {
                format!("{context}: {}", hub.message)
            };
            Error::Hub(hub)
        }
        Error::Transport {
            message,
            maybe_sent,
            idempotent,
            source,
        } => Error::Transport {
            message: format!("{context}: {message}"),
            maybe_sent,
            idempotent,
            source,
        },
        Error::Timeout {
            message,
            maybe_sent,
            idempotent,
        } => Error::Timeout {
            message: format!("{context}: {message}"),
            maybe_sent,
            idempotent,
        },
        Error::Decode { path, message } => Error::Decode {
            path,
            message: format!("{context}: {message}"),
        },
        Error::Io {
            context: inner,
            source,
        } => Error::Io {
            context: format!("{context}: {inner}"),
            source,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_revision_from_url() {
        assert_eq!(
            pull_request_revision("https://huggingface.co/org/m/discussions/3").as_deref(),
            Some("refs/pr/3")
        );
        assert_eq!(
            pull_request_revision("https://hf.co/datasets/o/d/discussions/12?x=1").as_deref(),
            Some("refs/pr/12")
        );
        assert_eq!(pull_request_revision("https://hf.co/o/m"), None);
        assert_eq!(
            pull_request_revision("https://hf.co/o/m/discussions/"),
            None
        );
    }

    #[test]
    fn file_lists_are_short() {
        assert_eq!(name_files(["a"].into_iter()), "\"a\"");
        assert_eq!(
            name_files(["a", "b", "c", "d", "e"].into_iter()),
            "\"a\", \"b\", \"c\" and 2 more files"
        );
    }

    #[test]
    fn context_names_the_file() {
        let e = with_context(
            Error::Decode {
                path: ".".into(),
                message: "bad".into(),
            },
            "preupload of \"x\"",
        );
        assert!(e.to_string().contains("preupload of \"x\": bad"), "{e}");
    }
}
