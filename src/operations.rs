//! The table of every operation the crate binds.

/// One operation of the Hub's API as the crate binds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The HTTP method.
    pub method: &'static str,
    /// The path template as the Hub's document (or our overlay) writes it.
    pub path: &'static str,
    /// The path template the generated method requests (after merging repo-type copies).
    pub generated_path: &'static str,
    /// The [`Hub`](crate::Hub) method's name.
    pub name: &'static str,
    /// Whether the operation comes from `spec/overlay.json` (served but undocumented).
    pub from_overlay: bool,
    /// Whether the operation pages with a `Link` header.
    pub link_paginated: bool,
}

/// Every operation, one entry per path of the vendored document.
pub const OPERATIONS: &[Operation] = &crate::generated::OPERATIONS;
