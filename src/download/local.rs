//! Downloads into a local folder instead of the cache, with the Python client's bookkeeping:
//! the file at `{dir}/{path}`, and under `{dir}/.cache/huggingface/` a `.gitignore` (`*`) and
//! `download/{path}.metadata` (`{commit}\n{etag}\n{unix time}\n`), `download/{path}.lock`, and
//! the partial file `download/{folder of path}/{b64(sha1(name.metadata))}.{etag}.incomplete`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use sha1::{Digest, Sha1};

use super::cache::write_atomically;
use crate::error::{Error, Result};

/// The bookkeeping paths of one file of a local folder.
pub(crate) struct LocalFile {
    pub(crate) file: PathBuf,
    pub(crate) metadata: PathBuf,
    pub(crate) lock: PathBuf,
    hf_dir: PathBuf,
}

fn join(base: &Path, path: &str) -> PathBuf {
    let mut out = base.to_path_buf();
    out.extend(path.split('/'));
    out
}

impl LocalFile {
    /// The paths of `path` (checked) under `dir`.
    pub(crate) fn new(dir: &Path, path: &str) -> LocalFile {
        let hf_dir = dir.join(".cache").join("huggingface");
        let base = join(&hf_dir.join("download"), path);
        let name = base
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        LocalFile {
            file: join(dir, path),
            metadata: base.with_file_name(format!("{name}.metadata")),
            lock: base.with_file_name(format!("{name}.lock")),
            hf_dir,
        }
    }

    /// Where the bytes go while they arrive.
    pub(crate) fn incomplete(&self, etag: &str) -> PathBuf {
        let name = self
            .metadata
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let short = base64::engine::general_purpose::URL_SAFE.encode(Sha1::digest(name.as_bytes()));
        self.metadata
            .with_file_name(format!("{short}.{etag}.incomplete"))
    }

    /// The commit and etag the metadata records, when the file is there and not changed since.
    pub(crate) fn recorded(&self) -> Option<(String, String)> {
        let text = std::fs::read_to_string(&self.metadata).ok()?;
        let mut lines = text.lines();
        let commit = lines.next()?.trim().to_owned();
        let etag = lines.next()?.trim().to_owned();
        let stamp: f64 = lines.next()?.trim().parse().ok()?;
        let modified = std::fs::metadata(&self.file).ok()?.modified().ok()?;
        let modified = modified.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
        // The same one-second slack as the Python client: mtimes are not precise.
        (modified - 1.0 <= stamp).then_some((commit, etag))
    }

    /// Records what the file now holds.
    pub(crate) fn record(&self, commit: &str, etag: &str) -> Result<()> {
        let gitignore = self.hf_dir.join(".gitignore");
        if !gitignore.exists() {
            write_atomically(&gitignore, b"*")
                .map_err(|e| Error::io(format!("cannot write {}", gitignore.display()), e))?;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        write_atomically(
            &self.metadata,
            format!("{commit}\n{etag}\n{now}\n").as_bytes(),
        )
        .map_err(|e| Error::io(format!("cannot write {}", self.metadata.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_python_client() {
        let l = LocalFile::new(Path::new("/d"), "a/b.bin");
        assert_eq!(l.file, Path::new("/d/a/b.bin"));
        assert_eq!(
            l.metadata,
            Path::new("/d/.cache/huggingface/download/a/b.bin.metadata")
        );
        assert_eq!(
            l.lock,
            Path::new("/d/.cache/huggingface/download/a/b.bin.lock")
        );
        // base64url(sha1("b.bin.metadata")), as `_short_hash` computes it.
        let short =
            base64::engine::general_purpose::URL_SAFE.encode(Sha1::digest(b"b.bin.metadata"));
        assert_eq!(
            l.incomplete("e1"),
            Path::new(&format!(
                "/d/.cache/huggingface/download/a/{short}.e1.incomplete"
            ))
        );
    }

    #[test]
    fn metadata_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let l = LocalFile::new(dir.path(), "x.txt");
        assert_eq!(l.recorded(), None);
        std::fs::write(&l.file, b"x").unwrap();
        l.record("c1", "e1").unwrap();
        assert_eq!(l.recorded(), Some(("c1".into(), "e1".into())));
        let text = std::fs::read_to_string(&l.metadata).unwrap();
        assert!(
            text.starts_with("c1\ne1\n") && text.ends_with('\n'),
            "{text}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".cache/huggingface/.gitignore")).unwrap(),
            "*"
        );
    }
}
