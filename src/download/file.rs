//! [`DownloadRequest`]: one file into the cache (or a local folder); and what a snapshot shares
//! with it: putting one file in place, and answering from the cache.

use std::future::IntoFuture;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::BoxFuture;
use url::Url;

use super::PHASE;
use super::blob::{self, BlobJob};
use super::cache::{FileLock, RepoCache, check_repo_path, is_sha256};
use super::local::LocalFile;
use super::wire::{self, Head};
use crate::client::Hub;
use crate::commit::progress::Reporter;
use crate::commit::{ProgressEvent, ProgressObserver};
use crate::error::{Error, Result};
use crate::repo::{Repo, validate_revision};

impl Hub {
    /// Downloads the file `path` of `repo` (at `main` unless
    /// [`revision`](DownloadRequest::revision) says otherwise) into the shared cache and
    /// answers its path there (`…/snapshots/{commit}/{path}`). See the
    /// [`download` module](crate::download) for the cache and the wire.
    ///
    /// ```no_run
    /// # async fn demo() -> hf_hub_api::Result<()> {
    /// use hf_hub_api::{Hub, repo::Repo};
    /// let hub = Hub::from_env()?;
    /// let repo = Repo::model("openai-community/gpt2")?;
    /// let weights = hub.download(&repo, "model.safetensors").revision("main").await?;
    /// # let _ = weights; Ok(()) }
    /// ```
    pub fn download(&self, repo: &Repo, path: &str) -> DownloadRequest {
        DownloadRequest {
            hub: self.clone(),
            repo: repo.clone(),
            path: path.to_owned(),
            revision: "main".to_owned(),
            local_dir: None,
            force: false,
            offline: None,
            progress: None,
        }
    }
}

/// The request of [`Hub::download`]: set options, then `.await` it (or call
/// [`send`](Self::send)). Answers the file's local path.
#[must_use = "a download does nothing until it is awaited"]
pub struct DownloadRequest {
    hub: Hub,
    repo: Repo,
    path: String,
    revision: String,
    local_dir: Option<PathBuf>,
    force: bool,
    offline: Option<bool>,
    progress: Option<Arc<dyn ProgressObserver>>,
}

impl std::fmt::Debug for DownloadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadRequest")
            .field("repo", &self.repo)
            .field("path", &self.path)
            .field("revision", &self.revision)
            .field("local_dir", &self.local_dir)
            .field("force", &self.force)
            .field("offline", &self.offline)
            .finish_non_exhaustive()
    }
}

impl DownloadRequest {
    /// The branch, tag, commit id or `refs/pr/N` (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = revision.into();
        self
    }

    /// Put the file at `{dir}/{path}` (a real file, with the Python client's bookkeeping under
    /// `{dir}/.cache/huggingface/`) instead of the cache.
    pub fn local_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.local_dir = Some(dir.into());
        self
    }

    /// Download the bytes again even when the file is already there.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Answer from the cache only, sending nothing (default: the client's
    /// [`is_offline`](Hub::is_offline)).
    pub fn offline(mut self, offline: bool) -> Self {
        self.offline = Some(offline);
        self
    }

    /// Report progress to `observer` (see [Progress](crate::download#progress)).
    pub fn progress(mut self, observer: impl ProgressObserver + 'static) -> Self {
        self.progress = Some(Arc::new(observer));
        self
    }

    /// Downloads the file (or finds it in place) and answers its local path.
    pub async fn send(self) -> Result<PathBuf> {
        check_repo_path("path in repo", &self.path)?;
        validate_revision(&self.revision)?;
        let target = Target::of(&self.hub, &self.repo, self.local_dir.as_deref())?;
        let reporter = Reporter::new(self.progress.clone());
        let offline = self.offline.unwrap_or_else(|| self.hub.is_offline());
        if offline {
            return target
                .cached(&self.revision, &self.path)
                .ok_or_else(|| target.missing(&self.repo, &self.revision, &self.path));
        }
        if !self.force
            && let Some(found) = target.cached_commit_file(&self.revision, &self.path)
        {
            return Ok(found);
        }
        let url = wire::resolve_url(&self.hub, &self.repo, &self.revision, &self.path)?;
        let meta = match wire::head(&self.hub, url).await {
            Ok(Head::File(meta)) => meta,
            Ok(Head::Missing { commit, error }) => {
                if let Target::Cache(cache) = &target {
                    cache.write_ref(&self.revision, &commit)?;
                    cache.mark_missing(&commit, &self.path)?;
                }
                return Err(error);
            }
            Err(e) => return target.fallback(e, &self.revision, &self.path),
        };
        if let Target::Cache(cache) = &target {
            cache.write_ref(&self.revision, &meta.commit)?;
        }
        reporter.phase(PHASE, 1, meta.size);
        let label: Arc<str> = Arc::from(self.path.as_str());
        #[cfg(feature = "xet")]
        let xet = meta
            .xet_hash
            .as_deref()
            .and_then(|hash| super::xet::XetSource::of(&self.hub, &self.repo, &meta.commit, hash));
        let file = Fetch {
            commit: &meta.commit,
            path: &label,
            etag: &meta.etag,
            size: meta.size,
            url: &meta.location,
            force: self.force,
            #[cfg(feature = "xet")]
            xet: xet.as_ref(),
        };
        let placed = target.place(&self.hub, &file, &reporter).await?;
        reporter.phase(crate::commit::Phase::Done, 1, meta.size);
        Ok(placed)
    }
}

impl IntoFuture for DownloadRequest {
    type Output = Result<PathBuf>;
    type IntoFuture = BoxFuture<'static, Result<PathBuf>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// One file to put in place.
pub(super) struct Fetch<'a> {
    pub(super) commit: &'a str,
    pub(super) path: &'a Arc<str>,
    pub(super) etag: &'a str,
    pub(super) size: u64,
    pub(super) url: &'a Url,
    pub(super) force: bool,
    /// The Xet source of a Xet-stored file.
    #[cfg(feature = "xet")]
    pub(super) xet: Option<&'a super::xet::XetSource>,
}

impl Fetch<'_> {
    /// The download of this file's bytes to `dest` through the partial file `incomplete`
    /// (an LFS object's etag is its sha256, checked before the rename).
    fn job(&self, dest: PathBuf, incomplete: PathBuf) -> BlobJob<'_> {
        BlobJob {
            url: self.url,
            dest,
            incomplete,
            size: self.size,
            sha256: is_sha256(self.etag).then_some(self.etag),
            label: self.path,
            restart: self.force,
            #[cfg(feature = "xet")]
            xet: self.xet,
        }
    }
}

/// Where downloads go.
pub(super) enum Target {
    Cache(RepoCache),
    Local(PathBuf),
}

impl Target {
    /// The repo's part of the cache, or the local folder when one is given.
    pub(super) fn of(hub: &Hub, repo: &Repo, local_dir: Option<&Path>) -> Result<Target> {
        if let Some(dir) = local_dir {
            return Ok(Target::Local(dir.to_path_buf()));
        }
        let root = hub.cache_dir().ok_or_else(|| {
            Error::invalid(
                "cache dir",
                "",
                "no cache folder is known: set HF_HUB_CACHE or HF_HOME, or give \
                 HubBuilder::cache_dir or a local dir",
            )
        })?;
        Ok(Target::Cache(RepoCache::new(root, repo)))
    }

    /// The file when the revision is a commit id already in the cache (no request needed).
    fn cached_commit_file(&self, revision: &str, path: &str) -> Option<PathBuf> {
        match self {
            Target::Cache(_) if super::cache::is_commit_hash(revision) => {
                self.cached(revision, path)
            }
            _ => None,
        }
    }

    /// The file as the cache (or local folder) has it for `revision`, if it does.
    pub(super) fn cached(&self, revision: &str, path: &str) -> Option<PathBuf> {
        match self {
            Target::Cache(cache) => {
                let commit = cache.cached_commit(revision)?;
                let file = cache.snapshot_file(&commit, path);
                file.exists().then_some(file)
            }
            Target::Local(dir) => {
                let file = LocalFile::new(dir, path).file;
                file.is_file().then_some(file)
            }
        }
    }

    /// The error of an offline miss, naming what is missing and where it was looked for.
    pub(super) fn missing(&self, repo: &Repo, revision: &str, path: &str) -> Error {
        let (known_absent, place) = match self {
            Target::Cache(cache) => {
                let absent = cache
                    .cached_commit(revision)
                    .is_some_and(|c| cache.no_exist_file(&c, path).exists());
                (absent, cache.dir().display().to_string())
            }
            Target::Local(dir) => (false, dir.display().to_string()),
        };
        let what = if known_absent {
            "is known not to exist (.no_exist)"
        } else {
            "is not in the cache"
        };
        Error::io(
            format!(
                "offline: {path:?} of {repo} at revision {revision:?} {what}; looked in {place}"
            ),
            io::Error::new(io::ErrorKind::NotFound, "not cached"),
        )
    }

    /// After a failed request: the cached file when the failure is the network's, with a
    /// warning; else the error.
    fn fallback(&self, error: Error, revision: &str, path: &str) -> Result<PathBuf> {
        if !is_network_failure(&error) {
            return Err(error);
        }
        match self.cached(revision, path) {
            Some(file) => {
                tracing::warn!(
                    %error, path, revision, file = %file.display(),
                    "the Hub cannot be reached: answering from the cache"
                );
                Ok(file)
            }
            None => Err(error),
        }
    }

    /// Puts one file in place (see the [module docs](crate::download)) and answers its path.
    pub(super) async fn place(
        &self,
        hub: &Hub,
        f: &Fetch<'_>,
        reporter: &Reporter,
    ) -> Result<PathBuf> {
        let emit = |event: ProgressEvent| reporter.emit(event);
        let done = |bytes: u64| reporter.file_done(PHASE, f.path, bytes);
        match self {
            Target::Cache(cache) => {
                let pointer = cache.snapshot_file(f.commit, f.path);
                if !f.force && pointer.exists() {
                    done(0);
                    return Ok(pointer);
                }
                let blob_path = cache.blob(f.etag);
                let mut fetched = 0;
                if f.force || !blob_path.exists() {
                    let _lock = FileLock::acquire(cache.lock_file(f.etag)).await?;
                    if f.force || !blob_path.exists() {
                        let job = f.job(blob_path, cache.incomplete(f.etag));
                        blob::fetch(hub, &job, &emit).await?;
                        fetched = f.size;
                    }
                }
                let pointer = cache.link(f.commit, f.path, f.etag)?;
                done(fetched);
                Ok(pointer)
            }
            Target::Local(dir) => {
                let local = LocalFile::new(dir, f.path);
                if !f.force && local.recorded().is_some_and(|(_, etag)| etag == f.etag) {
                    if local.recorded().is_some_and(|(c, _)| c != f.commit) {
                        local.record(f.commit, f.etag)?;
                    }
                    done(0);
                    return Ok(local.file);
                }
                let _lock = FileLock::acquire(local.lock.clone()).await?;
                let job = f.job(local.file.clone(), local.incomplete(f.etag));
                blob::fetch(hub, &job, &emit).await?;
                local.record(f.commit, f.etag)?;
                done(f.size);
                Ok(local.file)
            }
        }
    }
}

/// Whether a failure is the network's (no answer, a timeout, a server error after the
/// retries): then a cached copy may answer instead.
pub(super) fn is_network_failure(e: &Error) -> bool {
    match e {
        Error::Transport { .. } | Error::Timeout { .. } => true,
        Error::Hub(h) => h.status >= 500,
        _ => false,
    }
}
