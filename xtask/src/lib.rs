//! Project tasks for hf-hub-api (`cargo xtask …`): vendoring the Hub's OpenAPI document with a
//! change report, the CI check of the operation inventory, and writing the generated code out
//! for review.

#![warn(missing_docs)]

pub mod api;
pub mod cycles;
pub mod features;
pub mod pipeline;
pub mod report;
pub mod schema;
pub mod spec;
