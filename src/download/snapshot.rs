//! [`SnapshotRequest`]: every file of a revision (or those the globs choose) into the cache.

use std::future::IntoFuture;
use std::path::PathBuf;
use std::sync::Arc;

use futures::TryStreamExt;
use futures::future::BoxFuture;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use reqwest::{Method, Request};
use serde::Deserialize;
use url::Url;

use super::PHASE;
use super::cache::check_repo_path;
use super::file::{Fetch, Target, is_network_failure};
use super::wire;
use crate::client::Hub;
use crate::commit::progress::Reporter;
use crate::commit::{Phase, ProgressObserver};
use crate::error::{Error, Result};
use crate::repo::{Repo, encode_path_segment, validate_revision};
use crate::types::TreeEntryType;

/// How many files are downloaded at once by default (as the Python client).
const DEFAULT_CONCURRENCY: usize = 8;

impl Hub {
    /// Downloads every file of `repo` at a revision (`main` unless
    /// [`revision`](SnapshotRequest::revision) says otherwise), or those the
    /// [`include`](SnapshotRequest::include)/[`exclude`](SnapshotRequest::exclude) globs
    /// choose, into the shared cache, and answers the snapshot folder
    /// (`…/snapshots/{commit}`).
    ///
    /// It asks for the revision's commit, lists the tree at that commit (recursive, Link
    /// paginated), and downloads what is not in the cache yet, [`concurrency`] at a time: a
    /// warm re-run downloads no body. See the [`download` module](crate::download).
    ///
    /// [`concurrency`]: SnapshotRequest::concurrency
    ///
    /// ```no_run
    /// # async fn demo() -> hf_hub_api::Result<()> {
    /// use hf_hub_api::{Hub, repo::Repo};
    /// let hub = Hub::from_env()?;
    /// let folder = hub
    ///     .snapshot(&Repo::model("openai-community/gpt2")?)
    ///     .exclude("*.onnx")
    ///     .exclude("*.h5")
    ///     .await?;
    /// # let _ = folder; Ok(()) }
    /// ```
    pub fn snapshot(&self, repo: &Repo) -> SnapshotRequest {
        SnapshotRequest {
            hub: self.clone(),
            repo: repo.clone(),
            revision: "main".to_owned(),
            include: Vec::new(),
            exclude: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
            local_dir: None,
            offline: None,
            progress: None,
        }
    }
}

/// The request of [`Hub::snapshot`]: set options, then `.await` it (or call
/// [`send`](Self::send)). Answers the snapshot folder.
#[must_use = "a download does nothing until it is awaited"]
pub struct SnapshotRequest {
    hub: Hub,
    repo: Repo,
    revision: String,
    include: Vec<String>,
    exclude: Vec<String>,
    concurrency: usize,
    local_dir: Option<PathBuf>,
    offline: Option<bool>,
    progress: Option<Arc<dyn ProgressObserver>>,
}

impl std::fmt::Debug for SnapshotRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotRequest")
            .field("repo", &self.repo)
            .field("revision", &self.revision)
            .field("include", &self.include)
            .field("exclude", &self.exclude)
            .field("concurrency", &self.concurrency)
            .field("local_dir", &self.local_dir)
            .field("offline", &self.offline)
            .finish_non_exhaustive()
    }
}

/// The part of the revision's info a snapshot needs.
#[derive(Deserialize)]
struct RevisionInfo {
    sha: Option<String>,
}

impl SnapshotRequest {
    /// The branch, tag, commit id or `refs/pr/N` (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = revision.into();
        self
    }

    /// Download only the files matching this glob (repeatable: any of them). As in the Python
    /// client, `*` matches `/` too and a pattern ending with `/` means everything under it.
    pub fn include(mut self, glob: impl Into<String>) -> Self {
        self.include.push(glob.into());
        self
    }

    /// Leave out the files matching this glob (repeatable; wins over [`include`](Self::include)).
    pub fn exclude(mut self, glob: impl Into<String>) -> Self {
        self.exclude.push(glob.into());
        self
    }

    /// How many files are downloaded at once (default 8, at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Put the files under `dir` (real files, with the Python client's bookkeeping under
    /// `{dir}/.cache/huggingface/`) instead of the cache; `dir` is the answer.
    pub fn local_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.local_dir = Some(dir.into());
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

    /// Downloads the snapshot and answers its folder.
    pub async fn send(self) -> Result<PathBuf> {
        validate_revision(&self.revision)?;
        if self.concurrency == 0 {
            return Err(Error::invalid("concurrency", "0", "must be at least 1"));
        }
        let include = globs("include glob", &self.include)?;
        let exclude = globs("exclude glob", &self.exclude)?;
        let target = Target::of(&self.hub, &self.repo, self.local_dir.as_deref())?;
        let offline = self.offline.unwrap_or_else(|| self.hub.is_offline());
        if offline {
            return self
                .cached_folder(&target)
                .ok_or_else(|| self.missing(&target));
        }
        let commit = match self.commit().await {
            Ok(commit) => commit,
            Err(e) if is_network_failure(&e) => {
                return match self.cached_folder(&target) {
                    Some(folder) => {
                        tracing::warn!(
                            error = %e, revision = self.revision, folder = %folder.display(),
                            "the Hub cannot be reached: answering the cached snapshot"
                        );
                        Ok(folder)
                    }
                    None => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        let files = self.files(&commit, include.as_ref(), &exclude).await?;
        let folder = match &target {
            Target::Cache(cache) => {
                cache.write_ref(&self.revision, &commit)?;
                let folder = cache.snapshot_dir(&commit);
                std::fs::create_dir_all(&folder)
                    .map_err(|e| Error::io(format!("cannot create {}", folder.display()), e))?;
                folder
            }
            Target::Local(dir) => dir.clone(),
        };
        let reporter = Reporter::new(self.progress.clone());
        let total: u64 = files.iter().map(|f| f.size).sum();
        reporter.phase(PHASE, files.len(), total);
        let hub = &self.hub;
        let (target, reporter, commit, repo) = (&target, &reporter, commit.as_str(), &self.repo);
        futures::stream::iter(files.iter().map(Ok))
            .try_for_each_concurrent(self.concurrency, |f| async move {
                let url = wire::resolve_url(hub, repo, commit, &f.path)?;
                let fetch = Fetch {
                    commit,
                    path: &f.path,
                    etag: &f.etag,
                    size: f.size,
                    url: &url,
                    force: false,
                    #[cfg(feature = "xet")]
                    xet: None,
                };
                target.place(hub, &fetch, reporter).await.map(drop)
            })
            .await?;
        reporter.phase(Phase::Done, files.len(), total);
        Ok(folder)
    }

    /// The commit the revision points at, from the Hub.
    async fn commit(&self) -> Result<String> {
        let text = format!(
            "{}/{}/revision/{}",
            self.hub.endpoint().as_str().trim_end_matches('/'),
            self.repo.api_path(),
            encode_path_segment(&self.revision)
        );
        let url = Url::parse(&text).map_err(|e| Error::invalid("URL", text, e.to_string()))?;
        let response = self
            .hub
            .send(Request::new(Method::GET, url), "repo_info_at_revision")
            .await?;
        let bytes = response.bytes().await.map_err(Error::from)?;
        let info: RevisionInfo = crate::error::decode(&bytes)?;
        info.sha
            .filter(|s| super::cache::is_commit_hash(s))
            .ok_or_else(|| Error::Decode {
                path: ".sha".into(),
                message: format!(
                    "the info of {} at {:?} has no commit id",
                    self.repo, self.revision
                ),
            })
    }

    /// The files at `commit` that the globs choose.
    async fn files(
        &self,
        commit: &str,
        include: Option<&GlobSet>,
        exclude: &Option<GlobSet>,
    ) -> Result<Vec<TreeFile>> {
        let entries: Vec<_> = self
            .hub
            .list_repo_tree(&self.repo, commit, "")
            .recursive(true)
            .items()
            .try_collect()
            .await?;
        let mut files = Vec::new();
        for entry in entries {
            if entry.type_ != TreeEntryType::File {
                continue;
            }
            check_repo_path("path in the tree listing", &entry.path).map_err(|e| {
                Error::Decode {
                    path: "[].path".into(),
                    message: e.to_string(),
                }
            })?;
            if include.is_some_and(|g| !g.is_match(&entry.path))
                || exclude.as_ref().is_some_and(|g| g.is_match(&entry.path))
            {
                continue;
            }
            let (etag, size) = match &entry.lfs {
                Some(lfs) => (lfs.oid.clone(), lfs.size),
                None => (entry.oid.clone(), entry.size.unwrap_or(0)),
            };
            super::cache::check_etag(&etag)?;
            files.push(TreeFile {
                path: Arc::from(entry.path.as_str()),
                etag,
                size: u64::try_from(size).unwrap_or(0),
            });
        }
        // The largest first: a big file's body (one stream, hashed in order) then runs beside
        // all the small ones instead of starting last and running alone.
        files.sort_by_key(|f| std::cmp::Reverse(f.size));
        Ok(files)
    }

    /// The snapshot folder as the cache (or local folder) has it for the revision.
    fn cached_folder(&self, target: &Target) -> Option<PathBuf> {
        match target {
            Target::Cache(cache) => {
                let commit = cache.cached_commit(&self.revision)?;
                let folder = cache.snapshot_dir(&commit);
                folder.is_dir().then_some(folder)
            }
            Target::Local(dir) => dir.is_dir().then(|| dir.clone()),
        }
    }

    fn missing(&self, target: &Target) -> Error {
        let place = match target {
            Target::Cache(cache) => cache.dir().display().to_string(),
            Target::Local(dir) => dir.display().to_string(),
        };
        Error::io(
            format!(
                "offline: no snapshot of {} at revision {:?} in the cache; looked in {place}",
                self.repo, self.revision
            ),
            std::io::Error::new(std::io::ErrorKind::NotFound, "not cached"),
        )
    }
}

impl IntoFuture for SnapshotRequest {
    type Output = Result<PathBuf>;
    type IntoFuture = BoxFuture<'static, Result<PathBuf>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A file of the listing to bring.
struct TreeFile {
    path: Arc<str>,
    etag: String,
    size: u64,
}

/// The globs as one set (`None` when there are none), each checked: an error names the bad one.
fn globs(what: &'static str, patterns: &[String]) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let full = if pattern.ends_with('/') {
            format!("{pattern}*")
        } else {
            pattern.clone()
        };
        let glob = GlobBuilder::new(&full)
            .literal_separator(false)
            .build()
            .map_err(|e| Error::invalid(what, pattern.as_str(), e.kind().to_string()))?;
        set.add(glob);
    }
    set.build()
        .map(Some)
        .map_err(|e| Error::invalid(what, patterns.join(", "), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_fnmatch() {
        let set = globs("include glob", &["*.json".into(), "weights/".into()])
            .unwrap()
            .unwrap();
        for yes in ["config.json", "sub/dir/x.json", "weights/a.bin"] {
            assert!(set.is_match(yes), "{yes}");
        }
        for no in ["model.bin", "weightsx/a.bin", "json"] {
            assert!(!set.is_match(no), "{no}");
        }
        assert!(globs("include glob", &[]).unwrap().is_none());
        let err = globs("include glob", &["[".into()]).unwrap_err();
        assert!(err.to_string().contains("include glob \"[\""), "{err}");
    }
}
