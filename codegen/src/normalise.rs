//! The normaliser: named steps that turn the Hub's OpenAPI 3.1 document into the 3.0 form
//! progenitor accepts, and into good Rust types.
//!
//! Each step is a function over the JSON document that returns how many places it changed
//! and fails, naming the JSON pointer, on a construct it does not know. Each says what the
//! upstream document does that makes it necessary.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::walk::{METHODS, Place, each_operation, each_schema, esc};
use crate::{CodegenError, Result, hoist, media, naming, served};

mod dialect;
mod fields;
mod operations;
mod responses;
mod unions;

pub use dialect::*;
pub use fields::*;
pub use operations::*;
pub use responses::*;
pub use unions::*;

/// What each step changed: `(step name, places changed)`, in the order they ran.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// One entry per step.
    pub steps: Vec<(&'static str, usize)>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, n) in &self.steps {
            writeln!(f, "{name:<40} {n}")?;
        }
        Ok(())
    }
}

type Step = fn(&mut Value) -> Result<usize>;

/// The steps, in the order they run.
pub const STEPS: &[(&str, Step)] = &[
    ("openapi_3_1_to_3_0", openapi_3_1_to_3_0),
    ("drop_dialect_keywords", drop_dialect_keywords),
    ("reject_unknown_keywords", reject_unknown_keywords),
    (
        "drop_content_type_header_params",
        drop_content_type_header_params,
    ),
    (
        "untyped_flag_query_params_to_boolean",
        untyped_flag_query_params_to_boolean,
    ),
    ("exclusive_bounds_to_boolean", exclusive_bounds_to_boolean),
    ("const_to_enum", const_to_enum),
    ("prefix_items_to_any_array", prefix_items_to_any_array),
    ("null_type_to_nullable", null_type_to_nullable),
    ("integer_counts", integer_counts),
    ("drop_untyped_anyof_members", drop_untyped_anyof_members),
    ("scalar_unions_to_oneof", scalar_unions_to_oneof),
    (
        "enums_without_identifiers_to_string",
        enums_without_identifiers_to_string,
    ),
    (
        "drop_additional_properties_false",
        drop_additional_properties_false,
    ),
    ("drop_undefined_required", drop_undefined_required),
    (
        "distribute_all_of_over_unions",
        distribute_all_of_over_unions,
    ),
    ("tree_entries_have_a_path", tree_entries_have_a_path),
    ("keep_unknown_response_fields", keep_unknown_response_fields),
    (
        "optional_fields_the_hub_omits",
        optional_fields_the_hub_omits,
    ),
    (
        "drop_response_string_constraints",
        drop_response_string_constraints,
    ),
    ("no_content_204", no_content_204),
    ("merge_200_207_responses", merge_200_207_responses),
    ("drop_non_success_responses", drop_non_success_responses),
    ("byte_stream_responses", byte_stream_responses),
    ("vendor_json_media_types", media::vendor_json_media_types),
    ("binary_body_media_choice", media::binary_body_media_choice),
    ("commit_raw_body", commit_raw_body),
    ("preupload_create_pr_param", preupload_create_pr_param),
    ("safe_to_repeat_posts", safe_to_repeat_posts),
    ("insert_empty_responses", insert_empty_responses),
    ("rename_duplicate_path_params", rename_duplicate_path_params),
    ("trailing_wildcards", served::trailing_wildcards),
    ("merge_repo_type_copies", merge_repo_type_copies),
    (
        "merge_unprefixed_model_copies",
        served::merge_unprefixed_model_copies,
    ),
    ("extra_repo_types", served::extra_repo_types),
    ("open_enums", crate::patch::open_enums),
    ("assign_operation_ids", naming::assign_operation_ids),
    ("drop_unreferenced_components", drop_unreferenced_components),
    ("hoist_shared_schemas", hoist::hoist_shared_schemas),
];

/// Runs every step; returns the normalised document, the report and the operation table.
pub fn normalise(mut doc: Value) -> Result<(Value, Report, Vec<naming::OperationRow>)> {
    let mut report = Report::default();
    for (name, step) in STEPS {
        let n = step(&mut doc)?;
        report.steps.push((name, n));
    }
    let rows = naming::operation_rows(&doc)?;
    Ok((doc, report, rows))
}

/// Steps that only check (and fail on what they do not know): they change nothing by design.
const CHECKS: &[&str] = &["reject_unknown_keywords"];

/// Fails, naming each, on a step that changed nothing or a naming override that named
/// nothing: a fix upstream no longer needs (or that no longer finds what it fixes) goes
/// rather than lingers. Run on the Hub's own document (the file-based builds); the step
/// tests' small fixtures exercise one step each and skip it.
pub fn every_fix_applies(doc: &Value, report: &Report) -> Result<()> {
    let mut idle: Vec<String> = report
        .steps
        .iter()
        .filter(|(name, n)| *n == 0 && !CHECKS.contains(name))
        .map(|(name, _)| format!("normaliser step `{name}` changed nothing"))
        .collect();
    idle.extend(
        naming::unused_overrides(doc)
            .into_iter()
            .map(|(key, name)| format!("naming override `{key}` -> `{name}` names no operation")),
    );
    idle.extend(
        unused_schema_overrides(doc)
            .into_iter()
            .map(|(key, name)| format!("schema name override `{key}` -> `{name}` names no type")),
    );
    if idle.is_empty() {
        Ok(())
    } else {
        Err(CodegenError::at(
            "",
            format!("{}; remove what upstream no longer needs", idle.join("; ")),
        ))
    }
}

/// The [`hoist::NAME_OVERRIDES`] no component of the normalised `doc` is named by.
fn unused_schema_overrides(doc: &Value) -> Vec<(&'static str, &'static str)> {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    hoist::NAME_OVERRIDES
        .iter()
        .filter(|(_, name)| !schemas.is_some_and(|s| s.contains_key(*name)))
        .copied()
        .collect()
}

/// Runs one step on a schema fragment; for tests.
#[doc(hidden)]
pub fn run_on_schema(step: Step, schema: Value) -> Result<(Value, usize)> {
    let mut doc = json!({
        "openapi": "3.1.0",
        "paths": {"/x": {"get": {"responses": {"200": {"description": "",
            "content": {"application/json": {"schema": schema}}}}}}}
    });
    let n = step(&mut doc)?;
    let s = doc["paths"]["/x"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        .take();
    Ok((s, n))
}
