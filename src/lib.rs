#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod generated {
    #![allow(
        missing_docs,
        unused_imports,
        clippy::all,
        clippy::pedantic,
        rustdoc::all,
        unreachable_pub,
        dead_code,
        irrefutable_let_patterns
    )]
    include!(concat!(env!("OUT_DIR"), "/generated.rs"));
}

pub mod client;
pub mod commit;
pub mod config;
mod de;
pub mod download;
pub mod error;
pub(crate) mod headers;
mod json_path;
mod link;
pub mod operations;
pub mod pagination;
pub use generated::requests;
pub mod repo;
pub mod retry;
mod streamed;
#[cfg(feature = "xet")]
mod xet;

pub use client::{ByteStream, Hub, HubBuilder};
pub use commit::{CommitBuilder, CommitInfo, Phase, ProgressEvent, ProgressObserver};
pub use error::{Error, HubError, HubErrorKind, Result};

/// Request and response types of every operation, generated from the Hub's OpenAPI document.
pub mod types {
    pub use crate::generated::types::*;
}
