//! Normaliser and generator for hf-hub-api's bindings.
//!
//! The Hub publishes an OpenAPI 3.1 document; progenitor (through openapiv3 and typify)
//! takes 3.0 and has its own limits. [`normalise`] turns the vendored document (plus our
//! overlay of undocumented endpoints) into what the generator accepts, one named, tested step
//! at a time; [`generate`] runs progenitor on the result and returns formatted Rust.
//!
//! Used by the library's `build.rs` and by `cargo xtask`.
//!
//! # Tolerant answers: which fields may be missing
//!
//! The Hub's answers drift from its document, and serde fails a whole call on one missing
//! required field. The generated answer types are therefore lenient by construction, but only
//! where it is safe, by a written policy rather than by accident:
//!
//! - **Unknown fields are kept**, never an error (`keep_unknown_response_fields`: a flattened map
//!   of what the document does not declare), and the document's string constraints are not
//!   enforced on answers (`drop_response_string_constraints`).
//! - **Fields the document calls optional are `Option<T>`** (or defaulted), as declared.
//! - **A field the document calls required stays required**, unless the Hub has been *seen*
//!   omitting it. Each such case is one row of
//!   [`normalise::OMITTED_ANSWER_FIELDS`], with the answer seen and why the field is not the
//!   answer's identity there; the `optional_fields_the_hub_omits` step makes those fields
//!   optional, and fails once a row no longer applies (the operation is gone or upstream made
//!   the field optional), so the table holds only live fixes. Today: the preupload answer's
//!   `commitOid`, the Space variables listing's `key` and the create-repo answer's `id`.
//! - **Identity fields stay required**: `id`, `oid`, `path`, `name`, `type`, `sha` of listing and
//!   info entries. An entry without its identity cannot be told apart from the others or acted
//!   upon; making it optional would push an `Option` into every caller for the sake of an answer
//!   that is broken anyway, and a decode error naming the JSON path (`[3].path`) is the honest
//!   report. A row of the table may only name such a field when the answer is identified
//!   otherwise — the create-repo answer's `id` is an internal database id, the repository being
//!   named by `name` and `url`; a variable's `key` repeats the key of the map holding it.

pub(crate) mod bodies;
pub mod deserialize;
pub mod features;
pub mod generate;
pub(crate) mod headers;
pub mod hoist;
pub mod media;
pub mod naming;
pub mod normalise;
pub mod overlay;
pub mod patch;
pub(crate) mod requests;
pub mod samples;
pub mod served;
pub mod subset;
pub mod walk;

use std::path::Path;

use serde_json::Value;

pub use subset::Areas;

/// An error of the codegen, naming the place in the document it concerns.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// A construct no normaliser step knows; the JSON pointer names where it is.
    #[error("{pointer}: {message}")]
    Unsupported {
        /// JSON pointer into the (merged) document.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or parsed.
    #[error("{path}: {message}")]
    Input {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// progenitor refused the normalised document.
    #[error("progenitor: {0}")]
    Generator(String),
}

impl CodegenError {
    pub(crate) fn at(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        CodegenError::Unsupported {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// Result alias for the codegen.
pub type Result<T, E = CodegenError> = std::result::Result<T, E>;

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| CodegenError::Input {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| CodegenError::Input {
        path: path.display().to_string(),
        message: format!("not valid JSON: {e}"),
    })
}

/// Everything the build produces from the spec files.
pub struct Output {
    /// The formatted Rust source, with its `@generated` header.
    pub code: String,
    /// The every-operation test's generated calls (see [`generate::Generated`]), when asked
    /// for: the library's build does not need them.
    pub exercise: Option<String>,
    /// Each operation's cargo-feature gate (every operation's, whatever the areas built).
    pub gates: std::collections::BTreeMap<String, features::Gate>,
    /// One row per operation of the merged document (pre-merge paths), sorted.
    pub operations: Vec<naming::OperationRow>,
    /// What each normaliser step changed.
    pub report: normalise::Report,
}

/// Reads `spec` and (when it exists) `overlay`, normalises and generates the library's code,
/// every area of it.
pub fn build_from_files(spec: &Path, overlay: Option<&Path>) -> Result<Output> {
    build_areas_from_files(spec, overlay, &Areas::All)
}

/// [`build_from_files`] for the given areas only ([`subset`]): what the library's build
/// script generates for the enabled cargo features. Names are those of the whole build.
pub fn build_areas_from_files(
    spec: &Path,
    overlay: Option<&Path>,
    areas: &Areas,
) -> Result<Output> {
    let (doc, overlay) = read_inputs(spec, overlay)?;
    build_inner(doc, overlay, areas, false, true)
}

/// [`build_from_files`], plus the every-operation test's calls ([`Output::exercise`]).
pub fn build_with_exercise_from_files(spec: &Path, overlay: Option<&Path>) -> Result<Output> {
    let (doc, overlay) = read_inputs(spec, overlay)?;
    build_inner(doc, overlay, &Areas::All, true, true)
}

fn read_inputs(spec: &Path, overlay: Option<&Path>) -> Result<(Value, Option<Value>)> {
    let doc = read_json(spec)?;
    let overlay = match overlay {
        Some(p) if p.exists() => Some(read_json(p)?),
        _ => None,
    };
    Ok((doc, overlay))
}

/// Normalises and generates the library's code from in-memory documents, every area of it.
pub fn build(doc: Value, overlay: Option<Value>) -> Result<Output> {
    build_inner(doc, overlay, &Areas::All, false, false)
}

/// [`build`] for the given areas only (see [`build_areas_from_files`]).
pub fn build_areas(doc: Value, overlay: Option<Value>, areas: &Areas) -> Result<Output> {
    build_inner(doc, overlay, areas, false, false)
}

fn build_inner(
    doc: Value,
    overlay: Option<Value>,
    areas: &Areas,
    exercise: bool,
    every_fix_applies: bool,
) -> Result<Output> {
    let mut doc = doc;
    if let Some(ov) = overlay {
        overlay::merge_overlay(&mut doc, &ov)?;
    }
    let (normalised, report, operations) = normalise::normalise(doc)?;
    if every_fix_applies {
        normalise::every_fix_applies(&normalised, &report)?;
    }
    let gates = features::operation_gates(&normalised)?;
    let generate::Generated { code, exercise } =
        generate::generate(&normalised, &operations, &gates, areas, exercise)?;
    Ok(Output {
        code,
        exercise,
        gates,
        operations,
        report,
    })
}

/// The text of `spec/operations.txt` for these operations.
pub fn inventory(operations: &[naming::OperationRow]) -> String {
    let mut lines: Vec<String> = operations
        .iter()
        .map(|op| {
            format!(
                "{} {} -> {}  [{}]",
                op.method,
                op.path,
                op.name,
                op.origin.as_str()
            )
        })
        .collect();
    lines.sort();
    let mut out = String::from(
        "# Every operation of spec/hub-openapi.json (+ spec/overlay.json) and its generated method.\n\
         # [document]: the Hub's document; [overlay]: spec/overlay.json; [normaliser]: a repository\n\
         # type the Hub serves there beyond the document (codegen/src/served.rs).\n\
         # Regenerated by `cargo xtask spec update`; checked by `cargo xtask spec check`.\n",
    );
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}
