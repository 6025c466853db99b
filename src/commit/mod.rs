//! The self-contained parts of a streamed commit.
//!
//! [`CommitBuilder`] (from [`Hub::commit`](crate::Hub::commit)) runs a whole commit; see its
//! module, [`builder`], for the flow. Progress is reported through [`progress`].
//!
//! A commit goes: validate → hash → preupload → LFS batch → uploads → commit `POST`. This module
//! holds everything but the Hub calls themselves:
//!
//! - [`ops`]: the operation model ([`CommitOperation`], [`AddSource`]) and
//!   [`validate_operations`], run before any request;
//! - [`hash`]: one bounded-memory pass per added file giving its size, sha256, git blob id and
//!   preupload sample ([`hash_all`]);
//! - [`lfs`]: the git-lfs batch wire types and [`upload_object`], which streams one object to
//!   storage (basic or multipart) without the Hub token;
//! - [`ndjson`]: [`commit_body`], the `application/x-ndjson` commit body as a stream whose memory
//!   stays bounded whatever the files;
//! - [`folder`]: the local files of an `upload_folder` and the remote files it deletes.
//!
//! Memory never grows with a file's size: content is read in bounded chunks each time it is
//! needed, which is why a reader source is a factory that can be opened again.

pub mod builder;
pub mod folder;
pub mod hash;
pub mod lfs;
pub mod ndjson;
pub mod ops;
pub mod progress;

pub use builder::{CommitBuilder, CommitInfo, MAX_PREUPLOAD_FILES};
pub use folder::{FolderFile, collect_folder_files, files_to_delete};
pub use hash::{FileHashes, hash_all, hash_source, hash_source_with_progress};
pub use lfs::{
    BatchObject, BatchRequest, BatchResponse, UploadOutcome, UploadSettings, VerifyAuth, batch_url,
    parse_batch_response, upload_object, upload_object_with_progress,
};
pub use ndjson::{CommitHeader, CommitLine, commit_body, commit_body_len};
pub use ops::{
    AddSource, BoxAsyncRead, ByteProgress, CommitOperation, ReaderFactory,
    normalize_folder_path_in_repo, normalize_path_in_repo, validate_operations,
};
#[cfg(feature = "indicatif")]
pub use progress::IndicatifProgress;
pub use progress::{Phase, ProgressEvent, ProgressObserver};
