//! The simulated Hub's state: repositories, commits, trees, refs and LFS storage.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, TimeZone as _, Utc};
use indexmap::IndexMap;

use crate::config::SimUser;
use crate::util::{git_blob_sha1, is_hex, lfs_pointer, sha1_hex};
use crate::{RepoType, SimError};

mod commit;

/// The `.gitattributes` every new repository starts with.
pub(crate) const DEFAULT_GITATTRIBUTES: &str = "\
*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.gguf filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
";

/// One file in a tree.
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    /// A file stored in git.
    Regular { data: Bytes, oid: String },
    /// A git-lfs pointer to an object in LFS storage.
    Lfs {
        sha256: String,
        size: u64,
        pointer_oid: String,
        pointer_size: u64,
    },
}

impl Entry {
    pub(crate) fn regular(data: Bytes) -> Entry {
        let oid = git_blob_sha1(&data);
        Entry::Regular { data, oid }
    }

    pub(crate) fn lfs(sha256: String, size: u64) -> Entry {
        let pointer = lfs_pointer(&sha256, size);
        Entry::Lfs {
            pointer_oid: git_blob_sha1(pointer.as_bytes()),
            pointer_size: pointer.len() as u64,
            sha256,
            size,
        }
    }

    /// The size of the content (the object's size for LFS files).
    pub(crate) fn size(&self) -> u64 {
        match self {
            Entry::Regular { data, .. } => data.len() as u64,
            Entry::Lfs { size, .. } => *size,
        }
    }

    /// The git blob id in the tree.
    pub(crate) fn git_oid(&self) -> &str {
        match self {
            Entry::Regular { oid, .. } => oid,
            Entry::Lfs { pointer_oid, .. } => pointer_oid,
        }
    }

    /// What preupload reports as the remote file's oid: the blob sha1 of a regular file, the
    /// sha256 of an LFS object.
    pub(crate) fn remote_oid(&self) -> &str {
        match self {
            Entry::Regular { oid, .. } => oid,
            Entry::Lfs { sha256, .. } => sha256,
        }
    }
}

/// A repository's files at one commit, by path.
pub(crate) type Tree = BTreeMap<String, Entry>;

/// A commit.
#[derive(Debug)]
pub(crate) struct Commit {
    pub(crate) id: String,
    pub(crate) parent: Option<usize>,
    pub(crate) title: String,
    pub(crate) message: String,
    pub(crate) author: String,
    pub(crate) date: DateTime<Utc>,
    pub(crate) tree: Arc<Tree>,
}

/// Where a write lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum WriteTarget {
    /// A branch, by name.
    Branch(String),
    /// A pull request, by number (1-based).
    Pr(usize),
}

/// A repository.
#[derive(Debug)]
pub(crate) struct Repo {
    pub(crate) kind: RepoType,
    pub(crate) id: String,
    pub(crate) object_id: String,
    pub(crate) private: bool,
    pub(crate) sdk: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) downloads: u64,
    pub(crate) likes: u64,
    pub(crate) tags: Vec<String>,
    pub(crate) pipeline_tag: Option<&'static str>,
    pub(crate) library_name: Option<&'static str>,
    pub(crate) commits: Vec<Arc<Commit>>,
    pub(crate) branches: BTreeMap<String, usize>,
    pub(crate) tag_refs: BTreeMap<String, usize>,
    /// `refs/pr/{i+1}` points at `prs[i]`.
    pub(crate) prs: Vec<usize>,
}

impl Repo {
    /// The namespace (user or organization).
    pub(crate) fn namespace(&self) -> &str {
        self.id.split('/').next().unwrap_or_default()
    }

    /// The commit index a revision names: branch, tag, `refs/heads/..`, `refs/tags/..`,
    /// `refs/pr/N` or a full commit id.
    pub(crate) fn resolve(&self, rev: &str) -> Option<usize> {
        if let Some(b) = rev.strip_prefix("refs/heads/") {
            return self.branches.get(b).copied();
        }
        if let Some(t) = rev.strip_prefix("refs/tags/") {
            return self.tag_refs.get(t).copied();
        }
        if let Some(n) = rev.strip_prefix("refs/pr/") {
            let n: usize = n.parse().ok()?;
            return self.prs.get(n.checked_sub(1)?).copied();
        }
        if let Some(i) = self.branches.get(rev).or_else(|| self.tag_refs.get(rev)) {
            return Some(*i);
        }
        if is_hex(rev, 40) {
            return self.commits.iter().position(|c| c.id == rev);
        }
        None
    }

    /// The branch or pull request a write to `rev` moves.
    pub(crate) fn write_target(&self, rev: &str) -> Option<WriteTarget> {
        let branch = rev.strip_prefix("refs/heads/").unwrap_or(rev);
        if self.branches.contains_key(branch) {
            return Some(WriteTarget::Branch(branch.to_owned()));
        }
        let n: usize = rev.strip_prefix("refs/pr/")?.parse().ok()?;
        (n >= 1 && n <= self.prs.len()).then_some(WriteTarget::Pr(n))
    }

    pub(crate) fn target_head(&self, target: &WriteTarget) -> Option<usize> {
        match target {
            WriteTarget::Branch(b) => self.branches.get(b).copied(),
            WriteTarget::Pr(n) => self.prs.get(n.checked_sub(1)?).copied(),
        }
    }

    /// The head of the default branch.
    pub(crate) fn main_head(&self) -> Option<&Arc<Commit>> {
        let i = self
            .branches
            .get("main")
            .copied()
            .or_else(|| self.branches.values().next().copied())?;
        self.commits.get(i)
    }

    /// When the default branch last changed.
    pub(crate) fn last_modified(&self) -> DateTime<Utc> {
        self.main_head().map_or(self.created_at, |c| c.date)
    }

    /// The first-parent history from commit `idx`, newest first.
    pub(crate) fn history(&self, idx: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = Some(idx);
        // Parents always have smaller indices, so this ends within `commits.len()` steps.
        while let Some(i) = cur {
            if out.len() > self.commits.len() {
                break;
            }
            out.push(i);
            cur = self.commits.get(i).and_then(|c| c.parent);
        }
        out
    }

    /// Whether `user` may see this repository.
    pub(crate) fn visible_to(&self, user: Option<&SimUser>) -> bool {
        !self.private || user.is_some_and(|u| may_write(u, self.namespace()))
    }
}

/// Whether `user` may write in namespace `ns`.
pub(crate) fn may_write(user: &SimUser, ns: &str) -> bool {
    user.name == ns || user.orgs.iter().any(|o| o == ns)
}

/// Checks a repository id part (namespace or name) against the Hub's rules.
pub(crate) fn validate_name_part(part: &str) -> Result<(), SimError> {
    let ok = !part.is_empty()
        && part.len() <= 96
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !part.contains("--")
        && !part.contains("..")
        && !part.starts_with(['-', '.'])
        && !part.ends_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(SimError::new(
            400,
            None,
            format!(
                "Invalid repo name: {part:?}: use letters, digits, '-', '_' and '.'; no '--' or '..'; not starting or ending with '-' or '.'; at most 96 characters"
            ),
        ))
    }
}

/// Checks a path inside a repository.
pub(crate) fn validate_path(path: &str) -> Result<(), SimError> {
    let bad = path.is_empty()
        || path.len() > 4096
        || path.starts_with('/')
        || path.ends_with('/')
        || path
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
        || path.contains(['\0', '\\', '\n', '\r']);
    if bad {
        Err(SimError::new(
            400,
            None,
            format!("Invalid path in repository: {path:?}"),
        ))
    } else {
        Ok(())
    }
}

/// One operation of a commit.
#[derive(Debug)]
pub(crate) enum Op {
    /// Add or replace a file; with `old_path`, a move (the old path is deleted).
    Put {
        path: String,
        entry: Entry,
        old_path: Option<String>,
    },
    /// Delete a file.
    DeleteFile { path: String },
    /// Delete every file under a folder.
    DeleteFolder { path: String },
}

/// A parsed commit request.
#[derive(Debug)]
pub(crate) struct CommitRequest {
    pub(crate) summary: String,
    pub(crate) description: String,
    pub(crate) parent_commit: Option<String>,
    pub(crate) ops: Vec<Op>,
}

/// What a successful commit made.
#[derive(Debug)]
pub(crate) struct CommitOutcome {
    pub(crate) oid: String,
    pub(crate) pr: Option<usize>,
}

/// An in-progress multipart upload.
#[derive(Debug)]
pub(crate) struct Multipart {
    pub(crate) size: u64,
    pub(crate) chunk_size: u64,
    /// The `ETag` answered for each part received (the latest upload of it).
    pub(crate) parts: BTreeMap<u32, String>,
    /// The object, put together and hashed as the parts arrive.
    pub(crate) assembly: Arc<crate::assembly::Assembly>,
}

/// What a listing of repositories filters and sorts by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ListKey {
    pub(crate) kind: RepoType,
    pub(crate) viewer: Option<String>,
    pub(crate) search: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) filters: Vec<String>,
    pub(crate) sort: Option<String>,
    pub(crate) descending: bool,
    pub(crate) generation: u64,
}

/// The whole state, behind one mutex (so commits are atomic).
#[derive(Default)]
pub(crate) struct State {
    pub(crate) repos: IndexMap<(RepoType, String), Repo>,
    pub(crate) lfs: HashMap<String, crate::object::Object>,
    /// The Xet hash of each object uploaded through Xet, by sha256.
    pub(crate) xet_hashes: HashMap<String, String>,
    pub(crate) pending_uploads: HashMap<String, u64>,
    pub(crate) multipart: HashMap<String, Multipart>,
    /// Bumped on every change that can change a listing.
    pub(crate) generation: u64,
    pub(crate) list_memo: VecDeque<(ListKey, Arc<Vec<u32>>)>,
    /// Old names of renamed repositories, and the new id.
    pub(crate) renamed: HashMap<(RepoType, String), String>,
    seq: u64,
}

const LIST_MEMO_SIZE: usize = 16;

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn seed_epoch() -> DateTime<Utc> {
    Utc.timestamp_opt(1_640_995_200, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// RFC 3339 with milliseconds, as the Hub writes dates.
pub(crate) fn fmt_date(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl State {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn object_id(&mut self) -> String {
        let n = self.next_seq();
        format!("66{n:022x}")
    }

    /// Seeds `n` synthetic public models.
    pub(crate) fn seed_models(&mut self, n: usize) {
        const PIPELINES: [&str; 5] = [
            "text-classification",
            "text-generation",
            "image-classification",
            "translation",
            "fill-mask",
        ];
        const LIBRARIES: [&str; 4] = ["transformers", "pytorch", "diffusers", "gguf"];
        let tree = Arc::new(Tree::from([(
            ".gitattributes".to_owned(),
            Entry::regular(Bytes::from_static(DEFAULT_GITATTRIBUTES.as_bytes())),
        )]));
        let epoch = seed_epoch();
        self.repos.reserve(n);
        for i in 0..n {
            let h = splitmix(i as u64);
            let id = format!("org{}/model-{i:06}", i % 100);
            let pipeline = PIPELINES[(h % 5) as usize];
            let library = LIBRARIES[((h >> 8) % 4) as usize];
            let license = if h & (1 << 20) == 0 {
                "license:mit"
            } else {
                "license:apache-2.0"
            };
            let created = epoch + chrono::Duration::seconds(i as i64 * 60);
            let modified = created + chrono::Duration::seconds(((h >> 24) % 10_000_000) as i64);
            let commit = Commit {
                id: sha1_hex(format!("seed:{id}").as_bytes()),
                parent: None,
                title: "initial commit".to_owned(),
                message: String::new(),
                author: "sim-seed".to_owned(),
                date: modified,
                tree: Arc::clone(&tree),
            };
            let repo = Repo {
                kind: RepoType::Model,
                object_id: self.object_id(),
                private: false,
                sdk: None,
                created_at: created,
                downloads: (h >> 32) % 1_000_000,
                likes: (h >> 12) % 5_000,
                tags: vec![
                    library.to_owned(),
                    pipeline.to_owned(),
                    license.to_owned(),
                    "region:us".to_owned(),
                ],
                pipeline_tag: Some(pipeline),
                library_name: Some(library),
                commits: vec![Arc::new(commit)],
                branches: BTreeMap::from([("main".to_owned(), 0)]),
                tag_refs: BTreeMap::new(),
                prs: Vec::new(),
                id: id.clone(),
            };
            self.repos.insert((RepoType::Model, id), repo);
        }
        self.generation += 1;
    }

    /// Creates a repository with an initial commit holding `.gitattributes`.
    pub(crate) fn create_repo(
        &mut self,
        kind: RepoType,
        id: &str,
        private: bool,
        sdk: Option<String>,
        author: &str,
    ) -> Result<(), SimError> {
        let (ns, name) = id
            .split_once('/')
            .ok_or_else(|| SimError::new(400, None, format!("Invalid repo id: {id}")))?;
        validate_name_part(ns)?;
        validate_name_part(name)?;
        let key = (kind, id.to_owned());
        if self.repos.contains_key(&key) {
            return Err(SimError::new(
                409,
                None,
                format!("You already created this {kind} repo"),
            ));
        }
        let now = Utc::now();
        let seq = self.next_seq();
        let tree = Arc::new(Tree::from([(
            ".gitattributes".to_owned(),
            Entry::regular(Bytes::from_static(DEFAULT_GITATTRIBUTES.as_bytes())),
        )]));
        let commit = Commit {
            id: sha1_hex(format!("init:{kind}:{id}:{seq}").as_bytes()),
            parent: None,
            title: "initial commit".to_owned(),
            message: String::new(),
            author: author.to_owned(),
            date: now,
            tree,
        };
        let mut tags = vec!["region:us".to_owned()];
        if let Some(sdk) = &sdk {
            tags.insert(0, sdk.clone());
        }
        let repo = Repo {
            kind,
            id: id.to_owned(),
            object_id: self.object_id(),
            private,
            sdk,
            created_at: now,
            downloads: 0,
            likes: 0,
            tags,
            pipeline_tag: None,
            library_name: None,
            commits: vec![Arc::new(commit)],
            branches: BTreeMap::from([("main".to_owned(), 0)]),
            tag_refs: BTreeMap::new(),
            prs: Vec::new(),
        };
        self.repos.insert(key, repo);
        self.generation += 1;
        Ok(())
    }

    /// Deletes a repository.
    pub(crate) fn delete_repo(&mut self, kind: RepoType, id: &str) -> Result<(), SimError> {
        match self.repos.shift_remove(&(kind, id.to_owned())) {
            Some(_) => {
                self.generation += 1;
                Ok(())
            }
            None => Err(SimError::new(
                404,
                Some("RepoNotFound"),
                "Repository not found",
            )),
        }
    }

    /// The positions (in `repos`) of a listing, memoized per key.
    pub(crate) fn listing(
        &mut self,
        mut key: ListKey,
        viewer: Option<&SimUser>,
    ) -> Result<Arc<Vec<u32>>, SimError> {
        key.generation = self.generation;
        if let Some((_, v)) = self.list_memo.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(v));
        }
        let search = key.search.as_deref().map(str::to_lowercase);
        let mut positions: Vec<u32> = Vec::new();
        for (i, repo) in self.repos.values().enumerate() {
            if repo.kind != key.kind || !repo.visible_to(viewer) {
                continue;
            }
            if let Some(a) = &key.author
                && repo.namespace() != a
            {
                continue;
            }
            if let Some(s) = &search
                && !repo.id.to_lowercase().contains(s.as_str())
            {
                continue;
            }
            if !key.filters.iter().all(|f| repo.tags.iter().any(|t| t == f)) {
                continue;
            }
            positions.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        if let Some(sort) = &key.sort {
            let repos = &self.repos;
            let get = |p: &u32| repos.get_index(*p as usize).map(|(_, r)| r);
            match sort.as_str() {
                "downloads" => positions.sort_by_key(|p| get(p).map_or(0, |r| r.downloads)),
                "likes" | "trendingScore" => {
                    positions.sort_by_key(|p| get(p).map_or(0, |r| r.likes))
                }
                "lastModified" => positions
                    .sort_by_key(|p| get(p).map_or(DateTime::UNIX_EPOCH, Repo::last_modified)),
                "createdAt" => {
                    positions.sort_by_key(|p| get(p).map_or(DateTime::UNIX_EPOCH, |r| r.created_at))
                }
                "id" | "modelId" => positions.sort_by(|a, b| {
                    get(a)
                        .map(|r| r.id.as_str())
                        .cmp(&get(b).map(|r| r.id.as_str()))
                }),
                other => {
                    return Err(SimError::new(
                        400,
                        None,
                        format!(
                            "Invalid sort: {other} (use downloads, likes, trendingScore, lastModified, createdAt or id)"
                        ),
                    ));
                }
            }
            if key.descending {
                positions.reverse();
            }
        }
        let positions = Arc::new(positions);
        if self.list_memo.len() >= LIST_MEMO_SIZE {
            self.list_memo.pop_front();
        }
        self.list_memo.push_back((key, Arc::clone(&positions)));
        Ok(positions)
    }
}
