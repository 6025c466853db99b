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

    /// Replaces each `RemoteDeletes` slot by the deletions it stands for.
    async fn resolve_remote_deletes(
        &self,
        slots: Vec<Slot>,
        ops: Vec<CommitOperation>,
    ) -> Result<Vec<CommitOperation>> {
        if !slots
            .iter()
            .any(|s| matches!(s, Slot::RemoteDeletes { .. }))
        {
            return Ok(ops);
        }
        let mut touched: HashSet<String> = HashSet::new();
        for op in &ops {
            touched.insert(op.target_path().to_owned());
            if let CommitOperation::Move { src_path, .. } = op {
                touched.insert(src_path.clone());
            }
        }
        let touched_list: Vec<String> = touched.iter().cloned().collect();
        let mut out = Vec::with_capacity(ops.len());
        for slot in slots {
            match slot {
                Slot::Op(op) => out.push(op),
                Slot::RemoteDeletes {
                    path_in_repo,
                    patterns,
                } => {
                    let folder = path_in_repo.trim_matches('/');
                    let folder = if folder == "." { "" } else { folder };
                    let remote = self.list_remote_files(folder).await?;
                    for path in files_to_delete(&remote, &path_in_repo, &patterns, &touched_list)? {
                        if touched.insert(path.clone()) {
                            out.push(CommitOperation::Delete { path });
                        }
                    }
                }
            }
        }
        validate_operations(&out, &self.summary, self.parent_commit.as_deref())?;
        Ok(out)
    }

    fn api_url(&self, tail: &str) -> Result<Url> {
        let text = format!(
            "{}/{}/{tail}",
            self.hub.endpoint().as_str().trim_end_matches('/'),
            self.repo.api_path()
        );
        Url::parse(&text).map_err(|e| Error::invalid("URL", text, e.to_string()))
    }

    /// Every file under `folder` (`""` for the root) at the revision; none when the folder does
    /// not exist.
    async fn list_remote_files(&self, folder: &str) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct TreeEntry {
            #[serde(rename = "type")]
            kind: String,
            path: String,
        }
        let mut tail = format!("tree/{}", encode_path_segment(&self.revision));
        if !folder.is_empty() {
            tail.push('/');
            tail.push_str(&encode_repo_path(folder));
        }
        let mut url = self.api_url(&tail)?;
        url.query_pairs_mut().append_pair("recursive", "true");
        // The generated `list_repo_tree` item type has no `path` (the spec omits it), so the
        // listing goes through the same Link pagination with an item type that has it.
        let entries: Result<Vec<TreeEntry>> =
            Paginator::<TreeEntry>::resume(&self.hub, "list_repo_tree", url)?
                .items()
                .try_collect()
                .await;
        match entries {
            Ok(entries) => Ok(entries
                .into_iter()
                .filter(|e| e.kind == "file")
                .map(|e| e.path)
                .collect()),
            Err(e)
                if e.kind() == Some(&HubErrorKind::EntryNotFound)
                    || (e.status() == Some(404) && e.kind() == Some(&HubErrorKind::Other)) =>
            {
                tracing::debug!(folder, "remote folder absent: nothing to delete");
                Ok(Vec::new())
            }
            Err(e) => Err(with_context(
                e,
                &format!("listing the remote folder {folder:?} to choose files to delete"),
            )),
        }
    }

    /// Hashes every added file and asks the Hub, in preupload calls, which go to LFS and which
    /// are unchanged; fills `plan` with their lines and the LFS objects to upload.
    ///
    /// Three things overlap: large contents are hashed ([`hash_parallelism`](Self::hash_parallelism)
    /// at a time) from the start; small files are hashed in batches, one preupload call's worth
    /// at a time; and the preupload calls (which need only sizes and samples) are sent
    /// ([`PREUPLOAD_CONCURRENCY`] at a time) as soon as their files are read, without waiting
    /// for the large ones' hashes. The decisions that need a hash wait for it at the end.
    async fn hash_and_preupload(
        &self,
        ops: &[CommitOperation],
        plan: &mut Plan,
        reporter: &Reporter,
    ) -> Result<()> {
        let adds: Vec<Added> = ops
            .iter()
            .enumerate()
            .filter_map(|(index, op)| match op {
                CommitOperation::Add {
                    path_in_repo,
                    source,
                } => Some(Added {
                    index,
                    path: Arc::from(path_in_repo.as_str()),
                    source: source.clone(),
                }),
                _ => None,
            })
            .collect();
        if adds.is_empty() {
            return Ok(());
        }
        let sizes = known_sizes(&adds).await;
        let total: u64 = sizes.iter().flatten().sum();
        reporter.phase(Phase::Hashing, adds.len(), total);
        let stop = StopOnDrop::default();
        let large: Vec<usize> = (0..adds.len())
            .filter(|&i| is_large(&adds[i].source, sizes[i]))
            .collect();
        let large_hashes = futures::stream::iter(large.iter().map(|&i| {
            let added = &adds[i];
            let callback = reporter.bytes_callback(Phase::Hashing, &added.path, sizes[i]);
            let cancel = stop.flag();
            async move {
                let hashes = hash_source_with_progress(&added.source, callback, cancel).await?;
                reporter.file_done(Phase::Hashing, &added.path, hashes.size);
                Ok::<_, Error>(hashes)
            }
        }))
        .buffered(self.hash_parallelism)
        .try_collect::<Vec<FileHashes>>();
        let preuploads = async {
            reporter.phase(Phase::Preupload, adds.len(), total);
            futures::stream::iter(
                adds.chunks(MAX_PREUPLOAD_FILES)
                    .zip(sizes.chunks(MAX_PREUPLOAD_FILES))
                    .map(|(chunk, sizes)| async {
                        let mut heads = read_heads(chunk, sizes, &stop, reporter).await?;
                        let answer = self.preupload_call(chunk, &heads).await?;
                        // Sent: the samples are not needed any more (10,000 of them are 7 MB).
                        heads.iter_mut().for_each(|h| h.sample = String::new());
                        Ok::<_, Error>((heads, answer))
                    }),
            )
            .buffered(PREUPLOAD_CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await
        };
        let (large_hashes, answers) = futures::try_join!(large_hashes, preuploads)?;
        let mut large_hashes: HashMap<usize, FileHashes> =
            large.into_iter().zip(large_hashes).collect();

        let mut lfs_by_oid: HashSet<String> = HashSet::new();
        for (c, (heads, answer)) in answers.into_iter().enumerate() {
            let first = c * MAX_PREUPLOAD_FILES;
            let chunk = &adds[first..(first + MAX_PREUPLOAD_FILES).min(adds.len())];
            // The Hub has answered without `commitOid`: the head is then unknown, which only
            // matters to a no-op commit's report.
            if plan.head.is_none()
                && let Some(head) = answer.commit_oid.as_deref().filter(|h| !h.is_empty())
            {
                plan.head = Some(head.to_owned());
            }
            let by_path: HashMap<&str, &types::PreuploadFile> =
                answer.files.iter().map(|f| (f.path.as_str(), f)).collect();
            for (offset, (added, head)) in chunk.iter().zip(heads).enumerate() {
                let mut hashes = match head.hashes {
                    Some(h) => h,
                    None => large_hashes.remove(&(first + offset)).ok_or_else(|| {
                        Error::io(
                            format!("hashing {}", added.source.describe()),
                            io::Error::other("no hash was computed"),
                        )
                    })?,
                };
                if hashes.size != head.size {
                    return Err(Error::io(
                        format!("hashing {}", added.source.describe()),
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "the file changed size while being read: {} bytes announced to \
                                 the preupload, {} hashed",
                                head.size, hashes.size
                            ),
                        ),
                    ));
                }
                let Some(remote) = by_path.get(&*added.path) else {
                    return Err(Error::Decode {
                        path: "files".to_owned(),
                        message: format!(
                            "the preupload answer does not mention {:?} (from {})",
                            added.path,
                            added.source.describe()
                        ),
                    });
                };
                if remote.should_ignore {
                    tracing::debug!(path = %added.path, "the Hub ignores this file (.gitignore)");
                    continue;
                }
                let lfs =
                    remote.upload_mode == types::PreuploadFileUploadMode::Lfs && hashes.size > 0;
                if !lfs && remote.oid.is_some() && hashes.git_blob_id.is_none() {
                    // A large file the Hub wants as a regular one, already in the repository:
                    // its git blob id tells whether it changed.
                    hashes.git_blob_id = Some(git_blob_id(&added.source, hashes.size).await?);
                }
                if hashes.matches_remote_oid(lfs, remote.oid.as_deref()) {
                    tracing::debug!(path = %added.path, "unchanged: left out of the commit");
                    continue;
                }
                debug_assert!(matches!(ops[added.index], CommitOperation::Add { .. }));
                plan.lines[added.index] = Some(CommitLine::for_add(
                    added.path.to_string(),
                    added.source.clone(),
                    &hashes,
                    lfs,
                ));
                if lfs && lfs_by_oid.insert(hashes.sha256.clone()) {
                    plan.lfs.push(LfsUpload {
                        path: added.path.clone(),
                        source: added.source.clone(),
                        oid: hashes.sha256.clone(),
                        size: hashes.size,
                    });
                }
            }
        }
        Ok(())
    }

    /// One preupload call for `chunk` (at most [`MAX_PREUPLOAD_FILES`] files).
    async fn preupload_call(
        &self,
        chunk: &[Added],
        heads: &[Head],
    ) -> Result<types::PreuploadResponse> {
        let body = types::PreuploadBody::new(
            chunk
                .iter()
                .zip(heads)
                .map(|(a, h)| {
                    types::PreuploadBodyFile::new(
                        &*a.path,
                        h.sample.clone(),
                        i64::try_from(h.size).unwrap_or(i64::MAX),
                    )
                })
                .collect(),
        );
        let mut request = self.hub.preupload(&self.repo, &self.revision, body);
        if self.create_pr {
            request = request.create_pr(true);
        }
        request.await.map_err(|e| {
            with_context(
                e,
                &format!(
                    "preupload of {} (nothing was committed)",
                    name_files(chunk.iter().map(|a| &*a.path))
                ),
            )
        })
    }

    /// Looks up the sources of copies and moves and makes their lines.
    async fn resolve_copies(&self, ops: &[CommitOperation], plan: &mut Plan) -> Result<()> {
        // (op index, source path, source revision, destination, old path for a move)
        let mut wanted: Vec<(usize, &str, &str, &str, Option<&str>)> = Vec::new();
        for (index, op) in ops.iter().enumerate() {
            match op {
                CommitOperation::Copy {
                    src_path,
                    src_revision,
                    dest_path,
                } => wanted.push((
                    index,
                    src_path,
                    src_revision.as_deref().unwrap_or(&self.revision),
                    dest_path,
                    None,
                )),
                CommitOperation::Move {
                    src_path,
                    dest_path,
                } => wanted.push((index, src_path, &self.revision, dest_path, Some(src_path))),
                _ => {}
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let mut by_revision: HashMap<&str, Vec<&str>> = HashMap::new();
        for (_, src, rev, _, _) in &wanted {
            let paths = by_revision.entry(rev).or_default();
            if !paths.contains(src) {
                paths.push(src);
            }
        }
        let mut infos: HashMap<(&str, String), PathInfo> = HashMap::new();
        for (rev, paths) in &by_revision {
            for chunk in paths.chunks(MAX_PATHS_INFO) {
                for info in self.paths_info(rev, chunk).await? {
                    infos.insert((rev, info.path.clone()), info);
                }
            }
        }
        for (index, src, rev, dest, old_path) in wanted {
            let what = if old_path.is_some() { "move" } else { "copy" };
            let info = infos
                .get(&(rev, src.to_owned()))
                .filter(|i| i.kind == "file")
                .ok_or_else(|| {
                    Error::from(crate::error::HubError {
                        kind: HubErrorKind::EntryNotFound,
                        status: 404,
                        code: None,
                        message: format!(
                            "cannot {what} {src:?} to {dest:?}: no such file at revision {rev:?} (nothing was committed)"
                        ),
                        request_id: None,
                        idempotent: true,
                    })
                })?;
            let line = match &info.lfs {
                Some(lfs) => CommitLine::LfsFile {
                    path: dest.to_owned(),
                    oid: lfs.oid.clone(),
                    size: lfs.size,
                    old_path: old_path.map(str::to_owned),
                },
                None => CommitLine::File {
                    path: dest.to_owned(),
                    source: self.download_source(src, rev, info.size)?,
                    size: info.size,
                    old_path: old_path.map(str::to_owned),
                },
            };
            plan.lines[index] = Some(line);
        }
        Ok(())
    }

    /// `paths-info` for `paths` at `rev`. Sent by hand: the generated answer type keeps only
    /// `lfs.pointerSize` (the spec omits `lfs.oid` and `lfs.size`), which a copy needs.
    async fn paths_info(&self, rev: &str, paths: &[&str]) -> Result<Vec<PathInfo>> {
        let url = self.api_url(&format!("paths-info/{}", encode_path_segment(rev)))?;
        let body = serde_json::to_vec(&serde_json::json!({ "paths": paths, "expand": false }))
            .map_err(|e| Error::invalid("paths-info request", rev, e.to_string()))?;
        let mut request = Request::new(Method::POST, url);
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        *request.body_mut() = Some(body.into());
        let context = format!(
            "looking up the copy/move source {} at revision {rev:?}",
            name_files(paths.iter().copied())
        );
        let response = self
            .hub
            .send(request, "get_paths_info")
            .await
            .map_err(|e| with_context(e, &context))?;
        let bytes = response.bytes().await.map_err(Error::from)?;
        crate::error::decode(&bytes).map_err(|e| with_context(e, &context))
    }

    /// A source streaming a regular file of the repository from `resolve` when the commit body
    /// reaches it (memory stays bounded; the download is retried by the client like any GET).
    fn download_source(&self, path: &str, rev: &str, size: u64) -> Result<AddSource> {
        let text = format!(
            "{}/{}/resolve/{}/{}",
            self.hub.endpoint().as_str().trim_end_matches('/'),
            self.repo.git_path(),
            encode_path_segment(rev),
            encode_repo_path(path)
        );
        let url = Url::parse(&text).map_err(|e| Error::invalid("URL", text, e.to_string()))?;
        let hub = self.hub.clone();
        let label = format!("{path:?} at revision {rev:?} (downloaded from the Hub)");
        Ok(AddSource::from_reader_factory(label, size, move || {
            let hub = hub.clone();
            let url = url.clone();
            Box::pin(async move {
                let request = Request::new(Method::GET, url);
                let response = hub
                    .send(request, "resolve_file")
                    .await
                    .map_err(|e| io::Error::other(e.to_string()))?;
                let stream = Box::pin(response.bytes_stream().map_err(io::Error::other));
                Ok(Box::new(tokio_util::io::StreamReader::new(stream)) as BoxAsyncRead)
            })
        }))
    }

    async fn upload_lfs(&self, uploads: Vec<LfsUpload>, reporter: &Reporter) -> Result<()> {
        if uploads.is_empty() {
            return Ok(());
        }
        reporter.phase(
            Phase::Uploading,
            uploads.len(),
            uploads.iter().map(|u| u.size).sum(),
        );
        let transport = self.hub.transport();
        let (client, answer_timeout) = match &self.storage_client {
            Some(client) => (client.clone(), None),
            None => (
                crate::client::http_client(transport.timeouts(), false, "storage HTTP client")?,
                Some(transport.timeouts().read),
            ),
        };
        let storage = Storage {
            client,
            retry: self
                .upload_settings
                .retry
                .unwrap_or_else(|| transport.retry_policy()),
            answer_timeout,
            part_concurrency: self.upload_settings.part_concurrency.max(1),
        };
        let reference = (!self.create_pr).then_some(self.revision.as_str());
        #[cfg(feature = "xet")]
        let offer_xet = crate::xet::usable(&self.hub);
        #[cfg(not(feature = "xet"))]
        let offer_xet = false;
        for chunk in uploads.chunks(MAX_OBJECTS_PER_BATCH) {
            let request = upload_request(
                chunk
                    .iter()
                    .map(|u| types::LfsObjectSpec::new(u.oid.clone(), u.size))
                    .collect(),
                reference,
                offer_xet,
            );
            let context = format!(
                "LFS batch for {} (nothing was committed)",
                name_files(chunk.iter().map(|u| &*u.path))
            );
            let answer = self
                .hub
                .lfs_batch(&self.repo, request)
                .send()
                .await
                .map_err(|e| with_context(e, &context))?;
            let mut by_oid: HashMap<String, types::LfsBatchObject> = answer
                .objects
                .into_iter()
                .map(|o| (o.oid.to_ascii_lowercase(), o))
                .collect();
            let mut jobs = Vec::with_capacity(chunk.len());
            for upload in chunk {
                let Some(object) = by_oid.remove(&upload.oid) else {
                    return Err(Error::Decode {
                        path: "objects".to_owned(),
                        message: format!(
                            "the LFS batch answer has no entry for {:?} (from {}, oid {}); nothing was committed",
                            upload.path,
                            upload.source.describe(),
                            upload.oid
                        ),
                    });
                };
                jobs.push((upload, object));
            }
            #[cfg(feature = "xet")]
            if offer_xet && answer.transfer == Some(types::LfsTransfer::Xet) {
                let objects = jobs.into_iter().map(|(u, answer)| super::xet::XetObject {
                    path: &u.path,
                    source: &u.source,
                    oid: &u.oid,
                    size: u.size,
                    answer,
                });
                super::xet::upload(&self.hub, objects.collect(), reporter).await?;
                continue;
            }
            futures::stream::iter(
                jobs.into_iter()
                    .map(|(upload, object)| self.upload_one(&storage, upload, object, reporter)),
            )
            .buffer_unordered(self.upload_concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        }
        Ok(())
    }

    async fn upload_one(
        &self,
        storage: &Storage,
        upload: &LfsUpload,
        mut object: types::LfsBatchObject,
        reporter: &Reporter,
    ) -> Result<()> {
        // A verify on the Hub's own origin goes through the Hub client (with the token); one on
        // any other origin stays with the storage client (without it).
        let hub_verify = object.actions.as_mut().and_then(|actions| {
            let on_hub = actions.verify.as_ref().is_some_and(|v| {
                Url::parse(&v.href).is_ok_and(|u| self.hub.transport().is_endpoint_origin(&u))
            });
            if on_hub { actions.verify.take() } else { None }
        });
        let callback = reporter.bytes_callback(Phase::Uploading, &upload.path, Some(upload.size));
        let outcome = upload_object(
            storage,
            &object,
            upload.size,
            &upload.source,
            &upload.path,
            callback,
        )
        .await
        .map_err(|e| with_context(e, "LFS upload failed, nothing was committed"))?;
        if outcome != UploadOutcome::AlreadyStored
            && let Some(verify) = hub_verify
        {
            let context = format!(
                "LFS verify of {:?} (from {}), oid {} (nothing was committed)",
                upload.path,
                upload.source.describe(),
                upload.oid
            );
            let url = Url::parse(&verify.href).map_err(|e| Error::Decode {
                path: "actions.verify.href".to_owned(),
                message: format!("{context}: invalid URL: {e}"),
            })?;
            let mut request = Request::new(Method::POST, url);
            for (name, value) in verify.header.iter().flatten() {
                if name.eq_ignore_ascii_case("chunk_size") {
                    continue;
                }
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    request.headers_mut().insert(name, value);
                }
            }
            request
                .headers_mut()
                .insert(ACCEPT, HeaderValue::from_static(LFS_CONTENT_TYPE));
            request
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(LFS_CONTENT_TYPE));
            let body =
                serde_json::to_vec(&types::LfsObjectSpec::new(upload.oid.clone(), upload.size))
                    .map_err(|e| {
                        Error::invalid("verify body", upload.oid.as_str(), e.to_string())
                    })?;
            *request.body_mut() = Some(body.into());
            self.hub
                .send(request, "lfs_verify")
                .await
                .map_err(|e| with_context(e, &context))?;
        }
        tracing::debug!(path = %upload.path, ?outcome, "LFS object ready");
        reporter.file_done(Phase::Uploading, &upload.path, upload.size);
        Ok(())
    }

    async fn send_commit(&self, lines: Vec<CommitLine>, reporter: &Reporter) -> Result<CommitInfo> {
        let header = CommitHeader {
            summary: self.summary.clone(),
            description: self.description.clone(),
            parent_commit: self.parent_commit.clone(),
        };
        let total = commit_body_len(&header, &lines).unwrap_or(0);
        reporter.phase(Phase::Committing, lines.len(), total);
        let failure: Arc<Mutex<Option<(io::ErrorKind, String)>>> = Arc::new(Mutex::new(None));
        let recorder = failure.clone();
        let progress = reporter.clone();
        let stream = commit_body(header, lines)
            .inspect_ok(move |chunk| {
                if progress.is_on() {
                    progress.emit(ProgressEvent::CommitBodyBytes {
                        bytes: chunk.len() as u64,
                    });
                }
            })
            .inspect_err(move |e| {
                if let Ok(mut slot) = recorder.lock() {
                    *slot = Some((e.kind(), e.to_string()));
                }
            });
        let mut request = self.hub.create_commit(
            &self.repo,
            &self.revision,
            reqwest::Body::wrap_stream(stream),
        );
        if self.create_pr {
            request = request.create_pr(true);
        }
        let result = request.await;
        match result {
            Ok(response) => {
                let info = CommitInfo::from_response(response);
                tracing::info!(oid = %info.oid, pr = ?info.pull_request_url, "commit created");
                Ok(info)
            }
            Err(err) => {
                if let Some((kind, message)) = failure.lock().ok().and_then(|mut s| s.take()) {
                    return Err(Error::Io {
                        context: format!(
                            "sending the commit body failed, no commit was created: {message}"
                        ),
                        source: io::Error::new(kind, message),
                    });
                }
                Err(self.commit_error(err))
            }
        }
    }

    fn commit_error(&self, err: Error) -> Error {
        match err {
            Error::Hub(mut hub) => {
                if let HubErrorKind::CommitConflict { expected_parent } = &mut hub.kind {
                    expected_parent.clone_from(&self.parent_commit);
                    let note = match &self.parent_commit {
                        Some(parent) => format!(
                            "the head of {:?} is no longer the parent commit {parent}",
                            self.revision
                        ),
                        None => format!("the head of {:?} moved during the commit", self.revision),
                    };
                    hub.message = if hub.message.is_empty() {
                        note
                    } else {
                        format!("{note}: {}", hub.message)
                    };
                }
                Error::Hub(hub)
            }
            other => other,
        }
    }
}

/// How many preupload calls are in flight at once.
const PREUPLOAD_CONCURRENCY: usize = 4;

/// How many small files one blocking task hashes.
const SMALL_BATCH: usize = 64;

/// An added file.
struct Added {
    index: usize,
    path: Arc<str>,
    source: AddSource,
}

/// One file of a preupload call: its size and sample (emptied once the call is sent), and its
/// hashes when they are known already (small content, hashed whole while reading the sample;
/// their own `sample` is moved here).
struct Head {
    size: u64,
    sample: String,
    hashes: Option<FileHashes>,
}

/// Sets its flag when dropped: stops the hashing passes of a push that failed or was dropped.
#[derive(Default)]
struct StopOnDrop(Cancel);

impl StopOnDrop {
    fn flag(&self) -> Cancel {
        self.0.clone()
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The sizes known before hashing: files are looked at in one blocking task (`None` for one
/// that cannot be: its hashing reports why), bytes and readers say theirs.
async fn known_sizes(adds: &[Added]) -> Vec<Option<u64>> {
    let files: Vec<Option<PathBuf>> = adds
        .iter()
        .map(|a| match &a.source {
            AddSource::File(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let stat = tokio::task::spawn_blocking(move || {
        files
            .iter()
            .map(|p| {
                p.as_ref()
                    .and_then(|p| std::fs::metadata(p).ok().map(|m| m.len()))
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    adds.iter()
        .enumerate()
        .map(|(i, a)| match &a.source {
            AddSource::File(_) => stat.get(i).copied().flatten(),
            other => other.known_size(),
        })
        .collect()
}

/// Whether a content is hashed on its own from the start (rather than in a batch with the
/// small ones of its preupload call): readers, and content of [`SMALL_CONTENT`] bytes or more.
fn is_large(source: &AddSource, size: Option<u64>) -> bool {
    matches!(source, AddSource::Reader { .. }) || size.is_some_and(|s| s >= SMALL_CONTENT)
}

/// What one preupload call needs of its files: small ones hashed whole (in batches of
/// [`SMALL_BATCH`] on the blocking pool, concurrently), the large ones' sizes and samples.
async fn read_heads(
    chunk: &[Added],
    sizes: &[Option<u64>],
    stop: &StopOnDrop,
    reporter: &Reporter,
) -> Result<Vec<Head>> {
    let (large, small): (Vec<usize>, Vec<usize>) =
        (0..chunk.len()).partition(|&i| is_large(&chunk[i].source, sizes[i]));
    let batches = small.chunks(SMALL_BATCH).map(|positions| {
        let items = positions
            .iter()
            .map(|&p| {
                let callback = reporter.bytes_callback(Phase::Hashing, &chunk[p].path, sizes[p]);
                (chunk[p].source.clone(), callback)
            })
            .collect();
        let paths: Vec<Arc<str>> = positions.iter().map(|&p| chunk[p].path.clone()).collect();
        let reporter = reporter.clone();
        let done: BatchDone = Arc::new(move |i, size| {
            if let Some(path) = paths.get(i) {
                reporter.file_done(Phase::Hashing, path, size);
            }
        });
        hash_small_batch(items, stop.flag(), done)
    });
    let samples = large.iter().map(|&p| size_and_sample(&chunk[p].source));
    let (hashed, sampled) = futures::join!(
        futures::future::join_all(batches),
        futures::future::join_all(samples)
    );
    let mut heads: Vec<Option<Head>> = (0..chunk.len()).map(|_| None).collect();
    for (&p, result) in small.iter().zip(hashed.into_iter().flatten()) {
        let mut hashes = result?;
        heads[p] = Some(Head {
            size: hashes.size,
            sample: std::mem::take(&mut hashes.sample),
            hashes: Some(hashes),
        });
    }
    for (&p, result) in large.iter().zip(sampled) {
        let (size, sample) = result?;
        heads[p] = Some(Head {
            size,
            sample,
            hashes: None,
        });
    }
    heads
        .into_iter()
        .map(|h| h.ok_or_else(|| Error::io("hashing", io::Error::other("a file was left unread"))))
        .collect()
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

/// One entry of a `paths-info` answer.
#[derive(Debug, Deserialize)]
struct PathInfo {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    lfs: Option<PathInfoLfs>,
}

#[derive(Debug, Deserialize)]
struct PathInfoLfs {
    oid: String,
    size: u64,
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
