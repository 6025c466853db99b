//! Collecting the files of a local folder for `upload_folder`, and choosing remote files to delete.
//!
//! The walk is recursive and deterministic (the result is sorted by path in the repository).
//! Symbolic links are followed only when they point at a file: a link to a folder is skipped (so a
//! walk never loops), and so is a broken link, with a `tracing` warning. Folders named `.git` and
//! `.cache/huggingface` folders are never entered.
//!
//! Patterns are `globset` globs matched against the path relative to the uploaded folder, where
//! `*` also matches `/` (like Python's `fnmatch`, which the official client uses); a pattern ending
//! in `/` matches everything under that folder. The default ignores ([`DEFAULT_IGNORE_PATTERNS`])
//! always apply on top of the caller's.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::ops::{AddSource, CommitOperation, normalize_path_in_repo};
use crate::error::{Error, Result};

/// Patterns always ignored when collecting a folder.
pub const DEFAULT_IGNORE_PATTERNS: &[&str] = &[
    ".git",
    ".git/*",
    "*/.git",
    "**/.git/**",
    ".cache/huggingface",
    ".cache/huggingface/*",
    "*/.cache/huggingface",
    "**/.cache/huggingface/**",
];

/// One local file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderFile {
    /// Where it is on disk.
    pub local_path: PathBuf,
    /// Its path relative to the uploaded folder, `/`-separated (what patterns match).
    pub relative_path: String,
    /// Where it goes in the repository (prefix + relative path).
    pub path_in_repo: String,
    /// Its size when it was listed.
    pub size: u64,
}

impl FolderFile {
    /// The add operation for this file.
    pub fn to_operation(&self) -> CommitOperation {
        CommitOperation::Add {
            path_in_repo: self.path_in_repo.clone(),
            source: AddSource::File(self.local_path.clone()),
        }
    }
}

/// A compiled set of patterns; `None` when no pattern was given.
fn compile(what: &'static str, patterns: &[String]) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let text = if pattern.ends_with('/') {
            format!("{pattern}**")
        } else {
            pattern.clone()
        };
        let glob = Glob::new(&text).map_err(|e| Error::InvalidInput {
            what,
            value: pattern.clone(),
            reason: e.to_string(),
        })?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(|e| Error::InvalidInput {
        what,
        value: patterns.join(", "),
        reason: e.to_string(),
    })
}

/// The allow/ignore filter applied to relative paths.
#[derive(Debug, Clone)]
pub struct PathFilter {
    allow: Option<GlobSet>,
    ignore: Option<GlobSet>,
}

impl PathFilter {
    /// A filter keeping paths that match any of `allow` (all paths when it is empty) and none of
    /// `ignore`. Does not add the default ignores.
    pub fn new(allow: &[String], ignore: &[String]) -> Result<Self> {
        Ok(PathFilter {
            allow: compile("allow pattern", allow)?,
            ignore: compile("ignore pattern", ignore)?,
        })
    }

    /// Whether `relative_path` is kept.
    pub fn keeps(&self, relative_path: &str) -> bool {
        self.allow
            .as_ref()
            .is_none_or(|a| a.is_match(relative_path))
            && !self
                .ignore
                .as_ref()
                .is_some_and(|i| i.is_match(relative_path))
    }
}

/// The repository prefix for `path_in_repo`: `""` for the root (`""`, `"."` or `"/"`), otherwise
/// the folder path (validated) followed by `/`.
fn repo_prefix(path_in_repo: &str) -> Result<String> {
    let trimmed = path_in_repo.trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        return Ok(String::new());
    }
    let folder = normalize_path_in_repo(trimmed).map_err(|e| match e {
        Error::InvalidInput { reason, .. } => Error::InvalidInput {
            what: "folder path in repo",
            value: path_in_repo.to_owned(),
            reason,
        },
        other => other,
    })?;
    Ok(format!("{folder}/"))
}

/// Lists the files under `root` to upload to `path_in_repo` (`""` for the repository root),
/// keeping those matching `allow_patterns` (all when empty) and none of `ignore_patterns` or
/// [`DEFAULT_IGNORE_PATTERNS`]. Sorted by path in the repository.
///
/// Errors: `root` not a readable folder ([`Error::Io`]), a bad pattern, or a file name that is not
/// UTF-8 or not a valid path in a repository ([`Error::InvalidInput`] naming it).
pub fn collect_folder_files(
    root: &Path,
    path_in_repo: &str,
    allow_patterns: &[String],
    ignore_patterns: &[String],
) -> Result<Vec<FolderFile>> {
    let prefix = repo_prefix(path_in_repo)?;
    let mut ignore: Vec<String> = ignore_patterns.to_vec();
    ignore.extend(DEFAULT_IGNORE_PATTERNS.iter().map(|p| (*p).to_owned()));
    let filter = PathFilter::new(allow_patterns, &ignore)?;
    let meta = std::fs::metadata(root).map_err(|e| Error::Io {
        context: format!("reading the folder {}", root.display()),
        source: e,
    })?;
    if !meta.is_dir() {
        return Err(Error::InvalidInput {
            what: "folder",
            value: root.display().to_string(),
            reason: "is not a folder".to_owned(),
        });
    }
    let mut files = Vec::new();
    walk(root, "", &mut |local_path, relative, size| {
        if !filter.keeps(&relative) {
            return Ok(());
        }
        let path_in_repo = format!("{prefix}{relative}");
        normalize_path_in_repo(&path_in_repo)?;
        files.push(FolderFile {
            local_path,
            relative_path: relative,
            path_in_repo,
            size,
        });
        Ok(())
    })?;
    files.sort_by(|a, b| a.path_in_repo.cmp(&b.path_in_repo));
    Ok(files)
}

fn is_pruned(relative_dir: &str) -> bool {
    relative_dir == ".git"
        || relative_dir.ends_with("/.git")
        || relative_dir == ".cache/huggingface"
        || relative_dir.ends_with("/.cache/huggingface")
}

fn walk(
    dir: &Path,
    relative: &str,
    visit: &mut dyn FnMut(PathBuf, String, u64) -> Result<()>,
) -> Result<()> {
    let io_err = |e: std::io::Error| Error::Io {
        context: format!("listing the folder {}", dir.display()),
        source: e,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        entries.push(entry.map_err(io_err)?);
    }
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(Error::InvalidInput {
                what: "local file name",
                value: path.display().to_string(),
                reason: "is not valid UTF-8".to_owned(),
            });
        };
        let child = if relative.is_empty() {
            name.to_owned()
        } else {
            format!("{relative}/{name}")
        };
        let file_type = entry.file_type().map_err(io_err)?;
        if file_type.is_dir() {
            if !is_pruned(&child) {
                walk(&path, &child, visit)?;
            }
            continue;
        }
        // Follows a symbolic link to its target.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => visit(path, child, meta.len())?,
            Ok(_) => {
                tracing::debug!(path = %path.display(), "skipping a link to a folder or a special file");
            }
            Err(e) if file_type.is_symlink() => {
                tracing::warn!(path = %path.display(), error = %e, "skipping a broken symbolic link");
            }
            Err(e) => {
                return Err(Error::Io {
                    context: format!("reading {}", path.display()),
                    source: e,
                });
            }
        }
    }
    Ok(())
}

/// The remote files to delete for `upload_folder`: those under `path_in_repo` (`""` for the root)
/// whose path relative to it matches any of `delete_patterns`, except the files being added
/// (`added_paths`, full paths in the repository) and the root `.gitattributes`. No pattern, no
/// deletion. The result keeps the order of `remote_paths`.
pub fn files_to_delete(
    remote_paths: &[String],
    path_in_repo: &str,
    delete_patterns: &[String],
    added_paths: &[String],
) -> Result<Vec<String>> {
    let Some(delete) = compile("delete pattern", delete_patterns)? else {
        return Ok(Vec::new());
    };
    let prefix = repo_prefix(path_in_repo)?;
    let added: std::collections::HashSet<&str> = added_paths.iter().map(String::as_str).collect();
    Ok(remote_paths
        .iter()
        .filter(|remote| {
            remote.as_str() != ".gitattributes"
                && !added.contains(remote.as_str())
                && remote
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|relative| delete.is_match(relative))
        })
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, content) in [
            ("b.txt", "b"),
            ("a.bin", "aa"),
            ("sub/c.txt", "ccc"),
            ("sub/deep/d.bin", "dddd"),
            ("logs/x.log", "x"),
            (".git/config", "git"),
            ("sub/.git/HEAD", "git"),
            (".cache/huggingface/meta", "m"),
            (".gitattributes", "*.bin lfs"),
        ] {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        dir
    }

    fn repo_paths(files: &[FolderFile]) -> Vec<&str> {
        files.iter().map(|f| f.path_in_repo.as_str()).collect()
    }

    #[test]
    fn walks_sorted_and_skips_default_ignores() {
        let dir = tree();
        let files = collect_folder_files(dir.path(), "", &[], &[]).unwrap();
        assert_eq!(
            repo_paths(&files),
            [
                ".gitattributes",
                "a.bin",
                "b.txt",
                "logs/x.log",
                "sub/c.txt",
                "sub/deep/d.bin"
            ]
        );
        let d = files
            .iter()
            .find(|f| f.path_in_repo == "sub/deep/d.bin")
            .unwrap();
        assert_eq!(d.size, 4);
        assert_eq!(d.local_path, dir.path().join("sub/deep/d.bin"));
        assert!(
            matches!(d.to_operation(), CommitOperation::Add { ref path_in_repo, .. } if path_in_repo == "sub/deep/d.bin")
        );
    }

    #[test]
    fn prefix_and_patterns() {
        let dir = tree();
        let files = collect_folder_files(
            dir.path(),
            "models/v1/",
            &s(&["*.bin", "sub/"]),
            &s(&["logs/"]),
        )
        .unwrap();
        assert_eq!(
            repo_paths(&files),
            [
                "models/v1/a.bin",
                "models/v1/sub/c.txt",
                "models/v1/sub/deep/d.bin"
            ]
        );
        assert_eq!(files[1].relative_path, "sub/c.txt");
        let files = collect_folder_files(dir.path(), ".", &[], &s(&["*.txt", "logs/*"])).unwrap();
        assert_eq!(
            repo_paths(&files),
            [".gitattributes", "a.bin", "sub/deep/d.bin"]
        );
        assert!(collect_folder_files(dir.path(), "../up", &[], &[]).is_err());
        assert!(collect_folder_files(dir.path(), "", &s(&["a[b"]), &[]).is_err());
        assert!(collect_folder_files(&dir.path().join("nope"), "", &[], &[]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_to_files_are_followed_and_to_folders_skipped() {
        let dir = tree();
        let root = dir.path();
        std::os::unix::fs::symlink(root.join("b.txt"), root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("sub"), root.join("loop")).unwrap();
        std::os::unix::fs::symlink(root.join("missing"), root.join("broken")).unwrap();
        let files = collect_folder_files(root, "", &[], &[]).unwrap();
        let paths = repo_paths(&files);
        assert!(paths.contains(&"link.txt"));
        assert!(
            !paths
                .iter()
                .any(|p| p.starts_with("loop") || *p == "broken")
        );
        let link = files.iter().find(|f| f.path_in_repo == "link.txt").unwrap();
        assert_eq!(link.size, 1);
    }

    #[test]
    fn deletions_respect_prefix_patterns_and_additions() {
        let remote = s(&[
            ".gitattributes",
            "README.md",
            "data/a.txt",
            "data/b.txt",
            "data/keep.bin",
            "data/sub/c.txt",
            "other/a.txt",
        ]);
        assert!(files_to_delete(&remote, "", &[], &[]).unwrap().is_empty());
        assert_eq!(
            files_to_delete(&remote, "data", &s(&["*.txt"]), &s(&["data/b.txt"])).unwrap(),
            ["data/a.txt", "data/sub/c.txt"]
        );
        assert_eq!(
            files_to_delete(&remote, "", &s(&["*"]), &s(&["README.md"])).unwrap(),
            [
                "data/a.txt",
                "data/b.txt",
                "data/keep.bin",
                "data/sub/c.txt",
                "other/a.txt"
            ]
        );
        assert_eq!(
            files_to_delete(&remote, "", &s(&["data/sub/"]), &[]).unwrap(),
            ["data/sub/c.txt"]
        );
    }
}
