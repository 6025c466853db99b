//! [`Simulator`] and [`SimHandle`]: starting the server and looking inside it.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use url::Url;

use crate::config::SimConfig;
use crate::fault::Faults;
use crate::object::Object;
use crate::server::{self, Running};
use crate::shared::Shared;
use crate::state::{CommitRequest, Entry, Op, Repo, fmt_date};
use crate::util::{lock, sha256_hex};
use crate::{RecordedRequest, RepoType, SimCommit, SimError, SimFile, SimLfs};

/// Starts simulators.
#[derive(Debug, Clone, Copy, Default)]
pub struct Simulator;

impl Simulator {
    /// Binds the hub and storage listeners on `127.0.0.1` (ephemeral ports) and serves them
    /// from a dedicated thread with its own tokio runtime. Synchronous, so it can be called
    /// from plain tests, from `#[tokio::test]` functions (of either flavour) and from
    /// benchmarks. The server stops when the returned handle is dropped.
    pub fn start(config: SimConfig) -> io::Result<SimHandle> {
        let (shared, running) = server::start(config)?;
        Ok(SimHandle {
            shared,
            _running: running,
        })
    }
}

/// A running simulator: its addresses, counters, recorded requests, fault queues and state.
/// Dropping it shuts the server down.
pub struct SimHandle {
    shared: Arc<Shared>,
    _running: Running,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("endpoint", &self.shared.hub_url.as_str())
            .field("storage_endpoint", &self.shared.storage_url.as_str())
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// Starts a simulator with `config`; the same as [`Simulator::start`].
    pub fn start(config: SimConfig) -> io::Result<SimHandle> {
        Simulator::start(config)
    }

    /// Starts a simulator with the default configuration, panicking if it cannot bind: a
    /// one-liner for tests (`let sim = SimHandle::new_default();`).
    #[allow(clippy::expect_used)]
    pub fn new_default() -> SimHandle {
        Simulator::start(SimConfig::default()).expect("the Hub simulator could not start")
    }

    /// The hub origin, e.g. `http://127.0.0.1:40123/` (the value for `HF_ENDPOINT`).
    pub fn endpoint(&self) -> Url {
        self.shared.hub_url.clone()
    }

    /// The storage origin LFS uploads go to (another port, so another origin).
    pub fn storage_endpoint(&self) -> Url {
        self.shared.storage_url.clone()
    }

    /// The first configured user's token ([`DEFAULT_TOKEN`](crate::DEFAULT_TOKEN) with the
    /// default configuration), if any.
    pub fn token(&self) -> Option<&str> {
        self.shared.cfg.users.first().map(|u| u.token.as_str())
    }

    /// The fault queues: `sim.faults().inject(routes::COMMIT, Fault::Status(503), 2)`.
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// How many requests of `route` (a name from [`routes`](crate::routes)) arrived so far,
    /// faulted ones included.
    pub fn requests(&self, route: &str) -> usize {
        lock(&self.shared.counters).get(route).copied().unwrap_or(0)
    }

    /// Every route's request count.
    pub fn request_counts(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = lock(&self.shared.counters)
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect();
        v.sort();
        v
    }

    /// Forgets the request counts and the recorded requests.
    pub fn reset_requests(&self) {
        lock(&self.shared.counters).clear();
        lock(&self.shared.hub_log).clear();
        lock(&self.shared.storage_log).clear();
    }

    /// The requests the storage origin received (method, path, every header), oldest first.
    pub fn storage_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.storage_log).iter().cloned().collect()
    }

    /// The CAS origin of Xet storage (`http://127.0.0.1:PORT`), when
    /// [`SimConfig::xet`](crate::SimConfig::xet) is on.
    #[cfg(feature = "xet")]
    pub fn xet_cas_endpoint(&self) -> Option<&str> {
        self.shared.xet.as_ref().map(|c| c.url.as_str())
    }

    /// The requests the CAS origin received, oldest first (empty when Xet is off).
    #[cfg(feature = "xet")]
    pub fn xet_requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .xet
            .as_ref()
            .map(|c| lock(&c.log).iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many request body bytes the CAS origin received: what clients sent through Xet.
    #[cfg(feature = "xet")]
    pub fn xet_bytes_received(&self) -> u64 {
        self.shared.xet.as_ref().map_or(0, |c| {
            c.bytes_received.load(std::sync::atomic::Ordering::Relaxed)
        })
    }

    /// The Xet hash of an object uploaded through Xet, by its sha256.
    pub fn xet_hash(&self, sha256: &str) -> Option<String> {
        self.shared.state().xet_hashes.get(sha256).cloned()
    }

    /// The requests the hub origin received, oldest first.
    pub fn hub_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.hub_log).iter().cloned().collect()
    }

    /// Whether a repository exists.
    pub fn repo_exists(&self, kind: RepoType, repo_id: &str) -> bool {
        self.shared
            .state()
            .repos
            .contains_key(&(kind, repo_id.to_owned()))
    }

    /// Creates a repository owned by the first configured user (like `POST /api/repos/create`
    /// without checking the namespace). `repo_id` is `namespace/name`.
    pub fn create_repo(
        &self,
        kind: RepoType,
        repo_id: &str,
        private: bool,
    ) -> Result<(), SimError> {
        let author = self.author();
        let sdk = (kind == RepoType::Space).then(|| "static".to_owned());
        self.shared
            .state()
            .create_repo(kind, repo_id, private, sdk, &author)
    }

    /// Commits `files` (path, content) to branch or `refs/pr/N` `rev` of an existing
    /// repository, as a client would: files of at least the LFS threshold are stored in LFS
    /// storage and committed as pointers. Returns the new commit id.
    pub fn commit_files(
        &self,
        kind: RepoType,
        repo_id: &str,
        rev: &str,
        summary: &str,
        files: &[(&str, &[u8])],
    ) -> Result<String, SimError> {
        let threshold = self.shared.cfg.lfs_threshold;
        let mut state = self.shared.state();
        let mut ops = Vec::with_capacity(files.len());
        for (path, content) in files {
            crate::state::validate_path(path)?;
            let entry = if !content.is_empty() && content.len() as u64 >= threshold {
                let oid = sha256_hex(content);
                state.lfs.insert(
                    oid.clone(),
                    Object::from_bytes(Bytes::copy_from_slice(content)),
                );
                Entry::lfs(oid, content.len() as u64)
            } else {
                Entry::regular(Bytes::copy_from_slice(content))
            };
            ops.push(Op::Put {
                path: (*path).to_owned(),
                entry,
                old_path: None,
            });
        }
        let req = CommitRequest {
            summary: summary.to_owned(),
            description: String::new(),
            parent_commit: None,
            ops,
        };
        let author = self.author();
        state
            .apply_commit(kind, repo_id, rev, req, false, &author)
            .map(|o| o.oid)
    }

    /// Renames a repository (as `POST /api/repos/move` would): its old name then answers
    /// `resolve` requests with a relative 307 under the new one.
    pub fn rename_repo(&self, kind: RepoType, from: &str, to: &str) -> Result<(), SimError> {
        let mut state = self.shared.state();
        let Some(mut repo) = state.repos.shift_remove(&(kind, from.to_owned())) else {
            return Err(SimError::new(
                404,
                Some("RepoNotFound"),
                format!("No repo {from}"),
            ));
        };
        repo.id = to.to_owned();
        state.repos.insert((kind, to.to_owned()), repo);
        state.renamed.insert((kind, from.to_owned()), to.to_owned());
        state.generation += 1;
        Ok(())
    }

    fn author(&self) -> String {
        self.shared
            .cfg
            .users
            .first()
            .map_or_else(|| "sim".to_owned(), |u| u.name.clone())
    }

    fn with_repo<T>(&self, kind: RepoType, repo_id: &str, f: impl FnOnce(&Repo) -> T) -> Option<T> {
        let state = self.shared.state();
        state.repos.get(&(kind, repo_id.to_owned())).map(f)
    }

    /// The commit id `rev` (branch, tag, `refs/pr/N`, commit id) points at.
    pub fn head(&self, kind: RepoType, repo_id: &str, rev: &str) -> Option<String> {
        self.with_repo(kind, repo_id, |r| {
            r.resolve(rev)
                .and_then(|i| r.commits.get(i))
                .map(|c| c.id.clone())
        })
        .flatten()
    }

    /// Every file of a repository at `rev`, sorted by path, with content (LFS files' content
    /// comes from LFS storage). `None` when the repository or the revision does not exist.
    pub fn files(&self, kind: RepoType, repo_id: &str, rev: &str) -> Option<Vec<SimFile>> {
        let state = self.shared.state();
        let repo = state.repos.get(&(kind, repo_id.to_owned()))?;
        let commit = repo.commits.get(repo.resolve(rev)?)?;
        Some(
            commit
                .tree
                .iter()
                .map(|(path, entry)| to_sim_file(path, entry, &state.lfs))
                .collect(),
        )
    }

    /// One file of a repository at `rev`.
    pub fn file(&self, kind: RepoType, repo_id: &str, rev: &str, path: &str) -> Option<SimFile> {
        let state = self.shared.state();
        let repo = state.repos.get(&(kind, repo_id.to_owned()))?;
        let commit = repo.commits.get(repo.resolve(rev)?)?;
        commit
            .tree
            .get(path)
            .map(|entry| to_sim_file(path, entry, &state.lfs))
    }

    /// The first-parent history of `rev`, newest first. `None` when the repository or the
    /// revision does not exist.
    pub fn commits(&self, kind: RepoType, repo_id: &str, rev: &str) -> Option<Vec<SimCommit>> {
        self.with_repo(kind, repo_id, |r| {
            let head = r.resolve(rev)?;
            Some(
                r.history(head)
                    .into_iter()
                    .filter_map(|i| r.commits.get(i))
                    .map(|c| SimCommit {
                        id: c.id.clone(),
                        parent: c
                            .parent
                            .and_then(|p| r.commits.get(p))
                            .map(|p| p.id.clone()),
                        title: c.title.clone(),
                        message: c.message.clone(),
                        author: c.author.clone(),
                        date: fmt_date(&c.date),
                    })
                    .collect(),
            )
        })
        .flatten()
    }

    /// The pull request refs of a repository: `(refs/pr/N, commit id)`.
    pub fn pull_requests(&self, kind: RepoType, repo_id: &str) -> Vec<(String, String)> {
        self.with_repo(kind, repo_id, |r| {
            r.prs
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    r.commits
                        .get(*c)
                        .map(|c| (format!("refs/pr/{}", i + 1), c.id.clone()))
                })
                .collect()
        })
        .unwrap_or_default()
    }

    /// An object of LFS storage, by sha256 (in one buffer: a copy of a multipart upload).
    pub fn lfs_object(&self, oid: &str) -> Option<Bytes> {
        let object = self.shared.state().lfs.get(oid).cloned();
        object.map(|o| o.to_bytes())
    }

    /// How many objects LFS storage holds.
    pub fn lfs_object_count(&self) -> usize {
        self.shared.state().lfs.len()
    }
}

fn to_sim_file(
    path: &str,
    entry: &Entry,
    lfs: &std::collections::HashMap<String, Object>,
) -> SimFile {
    match entry {
        Entry::Regular { data, oid } => SimFile {
            path: path.to_owned(),
            size: data.len() as u64,
            oid: oid.clone(),
            lfs: None,
            content: data.clone(),
        },
        Entry::Lfs {
            sha256,
            size,
            pointer_oid,
            pointer_size,
        } => SimFile {
            path: path.to_owned(),
            size: *size,
            oid: pointer_oid.clone(),
            lfs: Some(SimLfs {
                oid: sha256.clone(),
                size: *size,
                pointer_size: *pointer_size,
            }),
            content: lfs.get(sha256).map(Object::to_bytes).unwrap_or_default(),
        },
    }
}
