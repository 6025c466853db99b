//! A Hugging Face Hub simulator for tests, benchmarks and tours.
//!
//! [`Simulator::start`] serves a Hub-like HTTP API on `127.0.0.1` (an ephemeral port) from a
//! dedicated thread running its own tokio runtime, so it can be started from plain tests, from
//! `#[tokio::test]` functions and from benchmarks alike. It runs two listeners:
//!
//! - the **hub origin** ([`SimHandle::endpoint`]): `/api/...` endpoints (repos, listings, tree,
//!   commits, refs, preupload, ndjson commit), the git-lfs batch and verify endpoints and the
//!   `resolve` file downloads;
//! - the **storage origin** ([`SimHandle::storage_endpoint`]), a different port and so a
//!   different origin, where LFS objects are uploaded (basic and multipart) and downloaded
//!   (`resolve` redirects there). It records every request's headers so tests can assert that
//!   no `Authorization` header ever reaches it.
//!
//! Tests can inject faults per route ([`SimHandle::faults`]), count requests per route
//! ([`SimHandle::requests`], route names in [`routes`]) and inspect the repositories' state
//! ([`SimHandle::files`], [`SimHandle::commits`], ...). The server shuts down when the handle
//! is dropped.
//!
//! ```no_run
//! let sim = hf_hub_sim::Simulator::start(hf_hub_sim::SimConfig::default().lfs_threshold(1024))?;
//! let api = sim.endpoint(); // http://127.0.0.1:PORT/
//! # let _ = api;
//! # Ok::<(), std::io::Error>(())
//! ```

#![warn(missing_docs)]

mod assembly;
mod config;
mod fault;
mod handle;
mod handlers;
mod object;
mod resolve;
mod server;
mod shared;
mod state;
mod util;
#[cfg(feature = "xet")]
mod xet;

use std::fmt;

pub use config::{DEFAULT_ORG, DEFAULT_TOKEN, DEFAULT_USER, SimConfig};
pub use fault::{Fault, Faults};
pub use handle::{SimHandle, Simulator};

/// The names of the routes, as used by [`SimHandle::requests`] and [`Faults::inject`].
pub mod routes {
    /// `POST /api/repos/create`.
    pub const CREATE_REPO: &str = "create_repo";
    /// `DELETE /api/repos/delete`.
    pub const DELETE_REPO: &str = "delete_repo";
    /// `GET /api/whoami-v2`.
    pub const WHOAMI: &str = "whoami";
    /// `POST /api/validate-yaml` (README metadata check by the official client).
    pub const VALIDATE_YAML: &str = "validate_yaml";
    /// `GET /api/models`.
    pub const LIST_MODELS: &str = "list_models";
    /// `GET /api/datasets`.
    pub const LIST_DATASETS: &str = "list_datasets";
    /// `GET /api/spaces`.
    pub const LIST_SPACES: &str = "list_spaces";
    /// `GET /api/kernels`.
    pub const LIST_KERNELS: &str = "list_kernels";
    /// `GET /api/{type}/{ns}/{repo}` and `.../revision/{rev}`.
    pub const REPO_INFO: &str = "repo_info";
    /// `GET /api/{type}/{ns}/{repo}/tree/{rev}/{path}`.
    pub const TREE: &str = "tree";
    /// `POST /api/{type}/{ns}/{repo}/paths-info/{rev}`.
    pub const PATHS_INFO: &str = "paths_info";
    /// `GET /api/{type}/{ns}/{repo}/commits/{rev}`.
    pub const COMMITS: &str = "commits";
    /// `GET /api/{type}/{ns}/{repo}/refs`.
    pub const REFS: &str = "refs";
    /// `POST /api/{type}/{ns}/{repo}/preupload/{rev}`.
    pub const PREUPLOAD: &str = "preupload";
    /// `POST /api/{type}/{ns}/{repo}/commit/{rev}`.
    pub const COMMIT: &str = "commit";
    /// `POST /{prefix}{ns}/{repo}.git/info/lfs/objects/batch`.
    pub const LFS_BATCH: &str = "lfs_batch";
    /// `POST /{prefix}{ns}/{repo}.git/info/lfs/objects/verify`.
    pub const LFS_VERIFY: &str = "lfs_verify";
    /// `GET`/`HEAD /{prefix}{ns}/{repo}/resolve/{rev}/{path}`.
    pub const RESOLVE: &str = "resolve";
    /// Storage origin: `PUT /upload/{oid}` (basic transfer).
    pub const STORAGE_PUT: &str = "storage_put";
    /// Storage origin: `PUT /upload/{oid}/part/{n}` (one multipart part).
    pub const STORAGE_PART: &str = "storage_part";
    /// Storage origin: `POST /upload/{oid}/complete` (multipart completion).
    pub const STORAGE_COMPLETE: &str = "storage_complete";
    /// Storage origin: `GET`/`HEAD /lfs/{oid}` (an LFS object's bytes, `Range` honoured).
    pub const STORAGE_GET: &str = "storage_get";
    /// `GET /api/{type}/{ns}/{repo}/xet-write-token/{rev}` (feature `xet`).
    pub const XET_WRITE_TOKEN: &str = "xet_write_token";
    /// `GET /api/{type}/{ns}/{repo}/xet-read-token/{rev}` (feature `xet`).
    pub const XET_READ_TOKEN: &str = "xet_read_token";
    /// CAS origin: xorb uploads (`/v1/xorbs/…`, grants and their uploads).
    pub const XET_XORB: &str = "xet_xorb";
    /// CAS origin: `POST /v1/shards` and `/v2/shards` (the upload's last step).
    pub const XET_SHARD: &str = "xet_shard";
    /// CAS origin: file reconstructions (`/v1/reconstructions/…`, `/v2/…`).
    pub const XET_RECONSTRUCTION: &str = "xet_reconstruction";
    /// CAS origin: term fetches (the bytes of a download).
    pub const XET_FETCH: &str = "xet_fetch";
    /// CAS origin: anything else (dedup queries, telemetry, …).
    pub const XET_CAS_OTHER: &str = "xet_cas_other";
    /// Any request that matched no route (answered 404).
    pub const NOT_FOUND: &str = "not_found";
}

/// A repository type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RepoType {
    /// A model repository (`/api/models`, no URL prefix).
    Model,
    /// A dataset repository (`/api/datasets`, URL prefix `datasets/`).
    Dataset,
    /// A Space (`/api/spaces`, URL prefix `spaces/`).
    Space,
    /// A kernel repository (`/api/kernels`, URL prefix `kernels/`).
    Kernel,
}

impl RepoType {
    /// The singular name used in request bodies: `model`, `dataset`, `space`.
    pub fn as_str(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
            RepoType::Kernel => "kernel",
        }
    }

    /// The plural used in `/api/{plural}` paths.
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
            RepoType::Kernel => "kernels",
        }
    }

    /// The prefix of web and git URLs: `""`, `"datasets/"`, `"spaces/"` or `"kernels/"`.
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
            RepoType::Kernel => "kernels/",
        }
    }

    pub(crate) fn from_plural(s: &str) -> Option<RepoType> {
        match s {
            "models" => Some(RepoType::Model),
            "datasets" => Some(RepoType::Dataset),
            "spaces" => Some(RepoType::Space),
            "kernels" => Some(RepoType::Kernel),
            _ => None,
        }
    }

    pub(crate) fn from_singular(s: &str) -> Option<RepoType> {
        match s {
            "model" => Some(RepoType::Model),
            "dataset" => Some(RepoType::Dataset),
            "space" => Some(RepoType::Space),
            "kernel" => Some(RepoType::Kernel),
            _ => None,
        }
    }
}

impl fmt::Display for RepoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// LFS details of a file stored as a git-lfs pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimLfs {
    /// SHA-256 of the object (its LFS oid), lower-case hex.
    pub oid: String,
    /// Size of the object in bytes.
    pub size: u64,
    /// Size of the pointer file stored in git.
    pub pointer_size: u64,
}

/// A file of a repository at some revision, as [`SimHandle::files`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimFile {
    /// Path relative to the repository root.
    pub path: String,
    /// Size of the content in bytes (the object's size for LFS files).
    pub size: u64,
    /// The git blob id stored in the tree: the content's blob sha1 for regular files, the
    /// pointer's blob sha1 for LFS files.
    pub oid: String,
    /// LFS details, for files stored as LFS pointers.
    pub lfs: Option<SimLfs>,
    /// The file's content (resolved from LFS storage for LFS files).
    pub content: bytes::Bytes,
}

/// A commit, as [`SimHandle::commits`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimCommit {
    /// The commit id (40 hex digits).
    pub id: String,
    /// The parent commit's id, `None` for the first commit.
    pub parent: Option<String>,
    /// The commit title (the ndjson header's `summary`).
    pub title: String,
    /// The commit message (the ndjson header's `description`).
    pub message: String,
    /// The user who made it.
    pub author: String,
    /// When it was made, RFC 3339.
    pub date: String,
}

/// One request as the simulator received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: String,
    /// Path and query, as sent.
    pub path_and_query: String,
    /// Every header, names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request carried an `Authorization` header.
    pub fn has_authorization(&self) -> bool {
        self.header("authorization").is_some()
    }
}

/// An error the simulator answers (or a state helper returns): HTTP status, `X-Error-Code`
/// and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimError {
    /// HTTP status code.
    pub status: u16,
    /// The Hub's `X-Error-Code`, when it sends one (`RepoNotFound`, `RevisionNotFound`, ...).
    pub code: Option<String>,
    /// The human-readable message (`X-Error-Message` and the body's `error`).
    pub message: String,
}

impl SimError {
    pub(crate) fn new(status: u16, code: Option<&str>, message: impl Into<String>) -> SimError {
        SimError {
            status,
            code: code.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} {}: {}", self.status, code, self.message),
            None => write!(f, "{}: {}", self.status, self.message),
        }
    }
}

impl std::error::Error for SimError {}
