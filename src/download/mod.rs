//! Downloads into the shared Hugging Face cache: one file ([`Hub::download`](crate::Hub::download)), a whole
//! revision ([`Hub::snapshot`](crate::Hub::snapshot)), or a file's bytes without the cache ([`Hub::download_stream`](crate::Hub::download_stream)).
//!
//! ```no_run
//! # async fn demo() -> hf_hub_api::Result<()> {
//! use hf_hub_api::{Hub, repo::Repo};
//! let hub = Hub::from_env()?;
//! let repo = Repo::model("openai-community/gpt2")?;
//! let config = hub.download(&repo, "config.json").await?;
//! let folder = hub
//!     .snapshot(&repo)
//!     .include("*.json")
//!     .include("*.safetensors")
//!     .send()
//!     .await?;
//! println!("{} in {}", config.display(), folder.display());
//! # Ok(()) }
//! ```
//!
//! # The cache
//!
//! The folder is [`Hub::cache_dir`](crate::Hub::cache_dir): `HF_HUB_CACHE`, else `$HF_HOME/hub`, else
//! `~/.cache/huggingface/hub` (with [`HubBuilder::from_env`](crate::HubBuilder::from_env);
//! [`HubBuilder::cache_dir`](crate::HubBuilder::cache_dir) sets it). Its layout is the Python
//! client's, so both read and fill one cache:
//!
//! ```text
//! .locks/models--{ns}--{name}/{etag}.lock     held while a blob is written (flock)
//! models--{ns}--{name}/                     (datasets--, spaces--, kernels--)
//!   blobs/{etag}                            the content: sha256 for LFS files, git blob id otherwise
//!   refs/{revision}                         the commit the revision pointed at when last asked
//!   snapshots/{commit}/{path}               relative symlink to ../../blobs/{etag} (a copy where
//!                                           symlinks cannot be made)
//!   .no_exist/{commit}/{path}               the file is known not to exist at that commit
//! ```
//!
//! What the Python client adds (`trees/{commit}.json`, blobs that are symlinks into a shared
//! store) is read through and never removed.
//!
//! # How a file is fetched
//!
//! 1. `HEAD {endpoint}/{prefix}{ns}/{name}/resolve/{revision}/{path}` with
//!    `Accept-Encoding: identity` (the revision encoded whole, `refs%2Fpr%2F3`; the path segment
//!    by segment). Redirects that stay on the endpoint's origin are followed (a renamed
//!    repository answers a relative 307); one to another origin ends the HEAD and its answer
//!    gives the metadata ([`FileMetadata`]). The commit always comes from the answer's
//!    `X-Repo-Commit`, never from the revision asked for.
//! 2. If `snapshots/{commit}/{path}` is there, that is the answer; if the blob is, only the
//!    link is made. A 404 `EntryNotFound` records `.no_exist/{commit}/{path}`.
//! 3. Otherwise `GET` from where the HEAD pointed (the CDN gets **no token**: the token only
//!    ever goes to the endpoint's origin), streamed to `blobs/{etag}.incomplete` in bounded
//!    memory under the blob's lock. LFS files (a sha256 etag) are hashed as they are written;
//!    a mismatch is an [`Error::Io`](crate::Error::Io) naming the file and both hashes, and
//!    nothing is stored. A connection cut part-way resumes with `Range` in the same call
//!    (under the client's [retry policy](crate::retry)); a partial file left by a killed
//!    process is resumed by the next call. The blob is renamed into place only when complete,
//!    then the snapshot link is made: `snapshots/` never holds a partial file.
//!
//! # Offline
//!
//! With `HF_HUB_OFFLINE=1` (or [`HubBuilder::offline`](crate::HubBuilder::offline), or the
//! request's `offline(true)`) nothing is sent: the answer comes from the cache (`refs/` gives the
//! commit of a branch name), or is an [`Error::Io`](crate::Error::Io) of kind `NotFound` naming
//! what is missing. Online, a request that fails for want of a network (a connection error, a
//! timeout, a 5xx after the retries) on a revision already cached answers from the cache, with a
//! `tracing` warning, as the Python client does.
//!
//! # Progress
//!
//! [`DownloadRequest::progress`] and [`SnapshotRequest::progress`] take the same
//! [`ProgressObserver`](crate::ProgressObserver) as commits: a
//! [`PhaseStarted`](crate::ProgressEvent::PhaseStarted) of [`Phase::Downloading`] with the files
//! and bytes to bring, [`FileBytes`](crate::ProgressEvent::FileBytes) as bytes arrive,
//! [`FileDone`](crate::ProgressEvent::FileDone) per file, and [`Phase::Done`] at the end. With
//! the `indicatif` feature, `commit::IndicatifProgress` draws them.

mod blob;
mod cache;
mod file;
mod local;
mod snapshot;
mod stream;
mod wire;
#[cfg(feature = "xet")]
mod xet;

use url::Url;

pub use file::DownloadRequest;
pub use snapshot::SnapshotRequest;
pub use stream::{FileStream, StreamRequest};

use crate::commit::Phase;

/// What the Hub says about a file at a revision (the answer to `HEAD …/resolve/…`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileMetadata {
    /// The commit the revision points at (`X-Repo-Commit`).
    pub commit: String,
    /// The content's id: the sha256 for LFS files (`X-Linked-Etag`), else the git blob id
    /// (`ETag`), without quotes or `W/`.
    pub etag: String,
    /// The size in bytes (`X-Linked-Size`, else the `Content-Length` of a non-redirect answer).
    pub size: u64,
    /// Where the bytes are: the storage (CDN) URL the Hub redirects to, or the `resolve` URL.
    pub location: Url,
    /// Whether the file is stored in LFS (the answer had `X-Linked-Etag`).
    pub is_lfs: bool,
    /// The Xet hash (`X-Xet-Hash`), for Xet-stored files.
    pub xet_hash: Option<String>,
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The phase downloads report.
const PHASE: Phase = Phase::Downloading;
