//! The shared cache's layout, as the Python client writes it (and reads it back).
//!
//! ```text
//! {cache}/
//!   .locks/{repo folder}/{etag}.lock          cross-process lock of one blob
//!   {models|datasets|spaces|kernels}--{ns}--{name}/    the repo folder
//!     blobs/{etag}                          the content (a symlink into a shared store is fine)
//!     blobs/{etag}.incomplete               a download under way (resumed with Range)
//!     refs/{revision}                       the commit the revision pointed at, no newline
//!     snapshots/{commit}/{path}             relative symlink to ../../blobs/{etag} (or a copy)
//!     .no_exist/{commit}/{path}             empty: the file is known not to exist
//!     trees/{commit}.json                   the Python client's listing cache (left alone)
//! ```

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::repo::Repo;

/// One repository's part of the cache.
#[derive(Debug, Clone)]
pub(crate) struct RepoCache {
    root: PathBuf,
    folder: String,
    dir: PathBuf,
}

/// Whether `s` is a full commit id (40 lower-case hex digits).
pub(crate) fn is_commit_hash(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `s` is a sha256 in hex (an LFS object's etag).
pub(crate) fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a file path in a repository before it names a file on disk: relative, `/`-separated,
/// no empty, `.` or `..` segment, no backslash or NUL. `what` says whose value it is.
pub(crate) fn check_repo_path(what: &'static str, path: &str) -> Result<()> {
    let reason = if path.is_empty() {
        "it is empty"
    } else if path.starts_with('/') {
        "it starts with `/`"
    } else if path.contains('\\') || path.contains('\0') {
        "it contains a backslash or a NUL byte"
    } else if path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        "it has an empty, `.` or `..` segment"
    } else {
        return Ok(());
    };
    Err(Error::invalid(what, path, reason))
}

/// Checks an etag before it names a blob (it comes from the server: never a path).
pub(crate) fn check_etag(etag: &str) -> Result<()> {
    let ok = !etag.is_empty()
        && etag.len() <= 128
        && etag != "."
        && etag != ".."
        && etag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Decode {
            path: "ETag header".into(),
            message: format!("{etag:?} cannot name a file in the cache"),
        })
    }
}

/// `models--ns--name`, `datasets--…`, `spaces--…`, `kernels--…`.
pub(crate) fn repo_folder_name(repo: &Repo) -> String {
    format!(
        "{}--{}",
        repo.repo_type.as_plural(),
        repo.id.as_str().replace('/', "--")
    )
}

/// `path` (checked) joined under `base`, one component per segment.
fn join_repo_path(base: &Path, path: &str) -> PathBuf {
    let mut out = base.to_path_buf();
    out.extend(path.split('/'));
    out
}

impl RepoCache {
    /// The part of the cache at `root` that holds `repo`.
    pub(crate) fn new(root: &Path, repo: &Repo) -> RepoCache {
        let folder = repo_folder_name(repo);
        RepoCache {
            dir: root.join(&folder),
            root: root.to_path_buf(),
            folder,
        }
    }

    /// The repo folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn blob(&self, etag: &str) -> PathBuf {
        self.dir.join("blobs").join(etag)
    }

    pub(crate) fn incomplete(&self, etag: &str) -> PathBuf {
        self.dir.join("blobs").join(format!("{etag}.incomplete"))
    }

    pub(crate) fn lock_file(&self, etag: &str) -> PathBuf {
        self.root
            .join(".locks")
            .join(&self.folder)
            .join(format!("{etag}.lock"))
    }

    pub(crate) fn snapshot_dir(&self, commit: &str) -> PathBuf {
        self.dir.join("snapshots").join(commit)
    }

    pub(crate) fn snapshot_file(&self, commit: &str, path: &str) -> PathBuf {
        join_repo_path(&self.snapshot_dir(commit), path)
    }

    fn ref_file(&self, revision: &str) -> PathBuf {
        join_repo_path(&self.dir.join("refs"), revision)
    }

    pub(crate) fn no_exist_file(&self, commit: &str, path: &str) -> PathBuf {
        join_repo_path(&self.dir.join(".no_exist").join(commit), path)
    }

    /// The commit a revision stands for in the cache: itself when it is a commit id, else what
    /// `refs/{revision}` holds.
    pub(crate) fn cached_commit(&self, revision: &str) -> Option<String> {
        if is_commit_hash(revision) {
            return Some(revision.to_owned());
        }
        let text = std::fs::read_to_string(self.ref_file(revision)).ok()?;
        let commit = text.trim();
        is_commit_hash(commit).then(|| commit.to_owned())
    }

    /// Records that `revision` points at `commit` (nothing for a commit id itself). The file is
    /// replaced whole, never seen half-written.
    pub(crate) fn write_ref(&self, revision: &str, commit: &str) -> Result<()> {
        if revision == commit {
            return Ok(());
        }
        let path = self.ref_file(revision);
        if std::fs::read_to_string(&path).is_ok_and(|t| t.trim() == commit) {
            return Ok(());
        }
        write_atomically(&path, commit.as_bytes())
            .map_err(|e| Error::io(format!("cannot write the ref {}", path.display()), e))
    }

    /// Records that `path` does not exist at `commit`.
    pub(crate) fn mark_missing(&self, commit: &str, path: &str) -> Result<()> {
        let file = self.no_exist_file(commit, path);
        create_parent(&file)
            .and_then(|()| std::fs::write(&file, b""))
            .map_err(|e| Error::io(format!("cannot write {}", file.display()), e))
    }

    /// Points `snapshots/{commit}/{path}` at `blobs/{etag}`: a relative symlink, or a copy where
    /// symlinks cannot be made. The pointer appears whole or not at all.
    pub(crate) fn link(&self, commit: &str, path: &str, etag: &str) -> Result<PathBuf> {
        let pointer = self.snapshot_file(commit, path);
        let blob = self.blob(etag);
        let depth = path.split('/').count() + 1;
        let mut target = PathBuf::new();
        for _ in 0..depth {
            target.push("..");
        }
        target.push("blobs");
        target.push(etag);
        place_pointer(&pointer, &target, &blob)
            .map_err(|e| Error::io(format!("cannot create {}", pointer.display()), e))?;
        Ok(pointer)
    }
}

/// Creates `path`'s parent folders.
pub(crate) fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) => std::fs::create_dir_all(parent),
        None => Ok(()),
    }
}

/// A sibling of `path` no other writer uses (process id and a counter).
pub(crate) fn temp_sibling(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    create_parent(path)?;
    let tmp = temp_sibling(path);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A symlink at `pointer` to `target` (relative), else a copy of `blob`; made under a
/// temporary name and renamed over whatever was there.
fn place_pointer(pointer: &Path, target: &Path, blob: &Path) -> io::Result<()> {
    create_parent(pointer)?;
    let tmp = temp_sibling(pointer);
    #[cfg(unix)]
    let linked = std::os::unix::fs::symlink(target, &tmp);
    #[cfg(windows)]
    let linked = std::os::windows::fs::symlink_file(target, &tmp);
    #[cfg(not(any(unix, windows)))]
    let linked: io::Result<()> = Err(io::Error::other("no symlinks here"));
    if let Err(e) = linked {
        tracing::debug!(error = %e, pointer = %pointer.display(), "no symlink: copying the blob");
        std::fs::copy(blob, &tmp)?;
    }
    std::fs::rename(&tmp, pointer).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// An exclusive lock on a lock file, held until dropped (`flock`, as the Python client's
/// `filelock` takes it, so both wait for each other).
pub(crate) struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    /// Takes the lock on `path` (created with its folders): at once when nobody holds it,
    /// else waiting for it off the async workers.
    pub(crate) async fn acquire(path: PathBuf) -> Result<FileLock> {
        let shown = || path.display().to_string();
        let open = || -> io::Result<std::fs::File> {
            create_parent(&path)?;
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
        };
        let file = open().map_err(|e| Error::io(format!("cannot lock {}", shown()), e))?;
        let file = match file.try_lock() {
            Ok(()) => file,
            Err(std::fs::TryLockError::WouldBlock) => {
                tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                    .await
                    .map_err(|e| {
                        Error::io(format!("cannot lock {}", shown()), io::Error::other(e))
                    })?
                    .map_err(|e| Error::io(format!("cannot lock {}", shown()), e))?
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(format!("cannot lock {}", shown()), e));
            }
        };
        Ok(FileLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(kind: &str, id: &str) -> Repo {
        Repo::new(kind.parse().unwrap(), id.parse().unwrap())
    }

    #[test]
    fn folder_names_follow_the_python_client() {
        assert_eq!(
            repo_folder_name(&repo("model", "google/bert")),
            "models--google--bert"
        );
        assert_eq!(
            repo_folder_name(&repo("dataset", "a/b.c")),
            "datasets--a--b.c"
        );
        assert_eq!(repo_folder_name(&repo("space", "x/y")), "spaces--x--y");
    }

    #[test]
    fn layout_paths() {
        let c = RepoCache::new(Path::new("/c"), &repo("model", "ns/n"));
        let sha = "a".repeat(40);
        assert_eq!(c.blob("e1"), Path::new("/c/models--ns--n/blobs/e1"));
        assert_eq!(
            c.incomplete("e1"),
            Path::new("/c/models--ns--n/blobs/e1.incomplete")
        );
        assert_eq!(
            c.lock_file("e1"),
            Path::new("/c/.locks/models--ns--n/e1.lock")
        );
        assert_eq!(
            c.snapshot_file(&sha, "d/f.txt"),
            Path::new(&format!("/c/models--ns--n/snapshots/{sha}/d/f.txt"))
        );
        assert_eq!(
            c.no_exist_file(&sha, "x"),
            Path::new(&format!("/c/models--ns--n/.no_exist/{sha}/x"))
        );
        assert_eq!(
            c.ref_file("refs/pr/3"),
            Path::new("/c/models--ns--n/refs/refs/pr/3")
        );
    }

    #[test]
    fn refs_links_and_missing_markers() {
        let dir = tempfile::tempdir().unwrap();
        let c = RepoCache::new(dir.path(), &repo("model", "ns/n"));
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(c.cached_commit("main"), None);
        assert_eq!(c.cached_commit(sha).as_deref(), Some(sha));
        c.write_ref("main", sha).unwrap();
        c.write_ref("refs/pr/1", sha).unwrap();
        assert_eq!(
            std::fs::read_to_string(c.dir().join("refs/main")).unwrap(),
            sha,
            "no newline, as the Python client writes it"
        );
        assert_eq!(c.cached_commit("refs/pr/1").as_deref(), Some(sha));
        // A ref holding garbage is no commit.
        std::fs::write(c.dir().join("refs/main"), "not a sha").unwrap();
        assert_eq!(c.cached_commit("main"), None);

        std::fs::create_dir_all(c.dir().join("blobs")).unwrap();
        std::fs::write(c.blob("e1"), b"hello").unwrap();
        let p = c.link(sha, "a/b/c.txt", "e1").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"hello");
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_link(&p).unwrap(),
            Path::new("../../../../blobs/e1")
        );
        // Linking again replaces the pointer.
        std::fs::write(c.blob("e2"), b"other").unwrap();
        c.link(sha, "a/b/c.txt", "e2").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"other");

        c.mark_missing(sha, "gone/x.bin").unwrap();
        assert!(c.no_exist_file(sha, "gone/x.bin").is_file());
    }

    #[test]
    fn paths_and_etags_are_checked() {
        for bad in ["", "/a", "a//b", "a/../b", "./a", "a\\b", "a/."] {
            assert!(check_repo_path("path in repo", bad).is_err(), "{bad:?}");
        }
        for good in ["a", "a/b.txt", ".gitattributes", "d/.hidden/x"] {
            check_repo_path("path in repo", good).unwrap();
        }
        for bad in ["", "..", "a/b", "a b", &"x".repeat(200)] {
            assert!(check_etag(bad).is_err(), "{bad:?}");
        }
        check_etag(&"f".repeat(64)).unwrap();
        assert!(is_sha256(&"f".repeat(64)) && !is_sha256(&"f".repeat(40)));
        assert!(is_commit_hash(&"0".repeat(40)) && !is_commit_hash("main"));
    }
}
