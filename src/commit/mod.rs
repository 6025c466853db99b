//! The self-contained parts of a streamed commit.
//!
//! [`CommitBuilder`] (from [`Hub::commit`](crate::Hub::commit)) runs a whole commit; see its
//! module, [`builder`], for the flow. Progress is reported through [`progress`].
//!
//! A commit goes: validate → hash → preupload → LFS batch → uploads → commit `POST`. This module
//! holds the public parts — the operation model ([`ops`]: [`CommitOperation`], [`AddSource`],
//! [`validate_operations`], run before any request), [`progress`] and [`UploadSettings`] — and,
//! privately, the hashing pass, the git-lfs wire types and uploads to storage (never with the Hub
//! token), the streamed `application/x-ndjson` body and the folder listing.
//!
//! Memory never grows with a file's size: content is read in bounded chunks each time it is
//! needed, which is why a reader source is a factory that can be opened again.

pub mod builder;
pub(crate) mod folder;
pub(crate) mod hash;
pub(crate) mod lfs;
pub(crate) mod ndjson;
pub mod ops;
pub mod progress;
#[cfg(feature = "xet")]
pub(crate) mod xet;

pub use builder::{CommitBuilder, CommitInfo, MAX_PREUPLOAD_FILES};
pub use lfs::UploadSettings;
pub use ops::{
    AddSource, BoxAsyncRead, ByteProgress, CommitOperation, ReaderFactory,
    normalize_folder_path_in_repo, normalize_path_in_repo, validate_operations,
};
#[cfg(feature = "indicatif")]
pub use progress::IndicatifProgress;
pub use progress::{Phase, ProgressEvent, ProgressObserver};
