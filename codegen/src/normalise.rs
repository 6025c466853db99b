//! The normaliser: named steps that turn the Hub's OpenAPI 3.1 document into the 3.0 form
//! progenitor accepts, and into good Rust types.
//!
//! Each step is a function over the JSON document that returns how many places it changed
//! and fails, naming the JSON pointer, on a construct it does not know. Each says what the
//! upstream document does that makes it necessary.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::walk::{METHODS, Place, each_operation, each_schema, esc, walk_schema};
use crate::{CodegenError, Result, hoist, media, naming, served};

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

/// Upstream declares `openapi: 3.1.0`; openapiv3 only parses 3.0 documents. Everything
/// 3.1-specific is rewritten by the steps below, so the version becomes `3.0.3`.
pub fn openapi_3_1_to_3_0(doc: &mut Value) -> Result<usize> {
    let v = doc
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or_else(|| CodegenError::at("/openapi", "missing `openapi` version"))?;
    if v.starts_with("3.0") {
        return Ok(0);
    }
    if !v.starts_with("3.1") {
        return Err(CodegenError::at(
            "/openapi",
            format!("unsupported version {v}"),
        ));
    }
    doc["openapi"] = json!("3.0.3");
    Ok(1)
}

/// Upstream puts `$schema` on every top-level schema, uses 2020-12 `examples` arrays and
/// `propertyNames`, and a draft-04 `id` on the components; none affects the Rust types and openapiv3 does not know them.
pub fn drop_dialect_keywords(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        if let Some(o) = s.as_object_mut() {
            for k in [
                "$schema",
                "examples",
                "propertyNames",
                "$id",
                "id",
                "$comment",
            ] {
                if o.remove(k).is_some() {
                    n += 1;
                }
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// Every schema keyword a later step or the generator handles. Anything else fails loudly.
const KNOWN_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "description",
    "title",
    "default",
    "example",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "nullable",
    "readOnly",
    "writeOnly",
    "deprecated",
    "$ref",
    "prefixItems",
    "multipleOf",
    "discriminator",
    "minProperties",
    "maxProperties",
];

/// Fails, naming the pointer, on a schema keyword no step knows: a new 3.1 construct
/// upstream starts using must be handled by a new step, not silently dropped.
pub fn reject_unknown_keywords(doc: &mut Value) -> Result<usize> {
    each_schema(doc, &mut |s, ptr, _| {
        if let Some(o) = s.as_object() {
            for k in o.keys() {
                if !KNOWN_KEYWORDS.contains(&k.as_str()) && !k.starts_with("x-") {
                    return Err(CodegenError::at(
                        format!("{ptr}/{}", esc(k)),
                        format!("unknown schema keyword `{k}`: add a normaliser step for it"),
                    ));
                }
            }
            if let Some(t) = o.get("type")
                && !t.is_string()
            {
                return Err(CodegenError::at(
                    format!("{ptr}/type"),
                    "a `type` list is not supported: add a normaliser step for it",
                ));
            }
        } else if !s.is_boolean() {
            return Err(CodegenError::at(ptr, "a schema must be an object"));
        }
        Ok(())
    })?;
    Ok(0)
}

/// The commit operations declare a `Content-Type` header parameter; OpenAPI says such
/// parameters are ignored (the media type says it), and progenitor would make it an argument.
/// A body of several media types keeps it: there the caller chooses the media type
/// (`media::binary_body_media_choice`).
pub fn drop_content_type_header_params(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, _| {
        if crate::media::has_media_type_choice(op) {
            return Ok(());
        }
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            let before = params.len();
            params.retain(|p| {
                !(p.get("in").and_then(Value::as_str) == Some("header")
                    && p.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case("content-type")))
            });
            n += before - params.len();
        }
        Ok(())
    })?;
    Ok(n)
}

/// Upstream leaves flag-like query parameters untyped (`create_pr`, `expand`, `recursive`,
/// `raw`, …: a schema with only a default or description). Every such parameter is a flag,
/// so it becomes `boolean`; an untyped parameter whose default is not a boolean fails.
pub fn untyped_flag_query_params_to_boolean(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, ptr| {
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for (i, p) in params.iter_mut().enumerate() {
                if p.get("in").and_then(Value::as_str) != Some("query") {
                    continue;
                }
                let Some(s) = p.get_mut("schema").and_then(Value::as_object_mut) else {
                    continue;
                };
                let typed = ["type", "anyOf", "oneOf", "allOf", "enum", "const", "$ref"]
                    .iter()
                    .any(|k| s.contains_key(*k));
                if typed {
                    continue;
                }
                if let Some(d) = s.get("default")
                    && !d.is_boolean()
                {
                    return Err(CodegenError::at(
                        format!("{ptr}/parameters/{i}/schema"),
                        "untyped query parameter whose default is not a boolean",
                    ));
                }
                s.insert("type".into(), json!("boolean"));
                n += 1;
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// JSON Schema 2020-12 writes `exclusiveMinimum: 0` (a number); OpenAPI 3.0 wants
/// `minimum: 0, exclusiveMinimum: true`.
pub fn exclusive_bounds_to_boolean(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        if let Some(o) = s.as_object_mut() {
            for (ex, bound) in [
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ] {
                if let Some(v) = o.get(ex).filter(|v| v.is_number()).cloned() {
                    o.insert(bound.into(), v);
                    o.insert(ex.into(), json!(true));
                    n += 1;
                }
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// openapiv3 silently drops `const`, which loses the tag of every tagged union; a
/// one-value `enum` says the same and survives. Untyped enums of strings get `type: string`.
pub fn const_to_enum(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, ptr, _| {
        if let Some(o) = s.as_object_mut() {
            if let Some(c) = o.remove("const") {
                if o.contains_key("enum") {
                    return Err(CodegenError::at(ptr, "both `const` and `enum`"));
                }
                o.insert("enum".into(), json!([c]));
                n += 1;
            }
            if let Some(values) = o.get("enum").and_then(Value::as_array)
                && !o.contains_key("type")
            {
                let t = if values.iter().all(Value::is_string) {
                    "string"
                } else if values.iter().all(Value::is_boolean) {
                    "boolean"
                } else if values.iter().all(Value::is_i64) {
                    "integer"
                } else if values.iter().all(Value::is_number) {
                    "number"
                } else {
                    return Err(CodegenError::at(ptr, "an enum mixing value types"));
                };
                o.insert("type".into(), json!(t));
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// 2020-12 tuples (`prefixItems`, e.g. `[lat, lon]` pairs) have no 3.0 form; the array keeps
/// its values as free JSON.
pub fn prefix_items_to_any_array(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        if let Some(o) = s.as_object_mut()
            && o.remove("prefixItems").is_some()
        {
            o.insert("items".into(), json!({}));
            o.remove("minItems");
            o.remove("maxItems");
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// A null-only member: `{"type": "null"}`, or what this step already made of one below
/// (`{"nullable": true}`: the walk visits members before their union).
fn is_null_schema(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    o.get("type").and_then(Value::as_str) == Some("null")
        || (o.get("nullable") == Some(&json!(true))
            && o.keys()
                .all(|k| matches!(k.as_str(), "nullable" | "description" | "title")))
}

/// Upstream writes optional values as `anyOf: [X, {"type": "null"}]` and sometimes a bare
/// `{"type": "null"}`; progenitor panics on the `null` type. The null member goes and the
/// schema becomes `nullable`, so `anyOf[X, null]` is `Option<X>`.
pub fn null_type_to_nullable(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, ptr, _| {
        let Some(o) = s.as_object_mut() else {
            return Ok(());
        };
        if o.get("type").and_then(Value::as_str) == Some("null") {
            // Always null: any JSON value, nullable.
            o.remove("type");
            o.insert("nullable".into(), json!(true));
            n += 1;
            return Ok(());
        }
        if let Some(values) = o.get_mut("enum").and_then(Value::as_array_mut)
            && values.iter().any(Value::is_null)
        {
            values.retain(|v| !v.is_null());
            o.insert("nullable".into(), json!(true));
            n += 1;
        }
        for key in ["anyOf", "oneOf"] {
            let Some(members) = o.get_mut(key).and_then(Value::as_array_mut) else {
                continue;
            };
            if !members.iter().any(is_null_schema) {
                continue;
            }
            members.retain(|m| !is_null_schema(m));
            n += 1;
            if members.is_empty() {
                return Err(CodegenError::at(ptr, "a union of nothing but null"));
            }
            if members.len() == 1 {
                let only = members.remove(0);
                o.remove(key);
                let Value::Object(only) = only else {
                    return Err(CodegenError::at(
                        ptr,
                        "a union member that is not an object",
                    ));
                };
                if only.contains_key("$ref") {
                    o.insert("allOf".into(), json!([Value::Object(only)]));
                } else {
                    for (k, v) in only {
                        // The union's own description wins over the member's.
                        o.entry(k).or_insert(v);
                    }
                }
            }
            o.insert("nullable".into(), json!(true));
        }
        Ok(())
    })?;
    Ok(n)
}

fn has_type_info(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    [
        "type",
        "$ref",
        "anyOf",
        "oneOf",
        "allOf",
        "enum",
        "properties",
        "items",
    ]
    .iter()
    .any(|k| o.contains_key(*k))
}

/// Upstream has `anyOf` members with no type at all (`{"default": false}`, `{}`: the
/// "booleanish" pattern); typify aborts the whole generation on them. They say nothing a
/// typed member does not, so they go (a union left with one member collapses into it).
pub fn drop_untyped_anyof_members(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, ptr, _| {
        let Some(o) = s.as_object_mut() else {
            return Ok(());
        };
        for key in ["anyOf", "oneOf"] {
            let Some(members) = o.get_mut(key).and_then(Value::as_array_mut) else {
                continue;
            };
            let before = members.len();
            members.retain(has_type_info);
            if members.len() == before {
                continue;
            }
            n += before - members.len();
            match members.len() {
                0 => {
                    o.remove(key);
                }
                1 => {
                    let only = members.remove(0);
                    o.remove(key);
                    let Value::Object(only) = only else {
                        return Err(CodegenError::at(
                            ptr,
                            "a union member that is not an object",
                        ));
                    };
                    if only.contains_key("$ref") {
                        o.insert("allOf".into(), json!([Value::Object(only)]));
                    } else {
                        for (k, v) in only {
                            o.entry(k).or_insert(v);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    })?;
    Ok(n)
}

fn is_object_like(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("object")
        || v.get("properties").is_some()
        || v.get("$ref").is_some()
}

/// `anyOf` over scalars, enums or arrays: typify makes a struct of flattened optional fields
/// that can neither decode a scalar (`gating: false`) nor serialise one. Nested unions are
/// flattened, duplicate members dropped, and a union with no object member becomes `oneOf`
/// (an untagged enum).
pub fn scalar_unions_to_oneof(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, ptr, _| {
        let Some(o) = s.as_object_mut() else {
            return Ok(());
        };
        let Some(members) = o.get("anyOf").and_then(Value::as_array).cloned() else {
            return Ok(());
        };
        // Flatten nested anyOf.
        let mut flat: Vec<Value> = Vec::new();
        let mut nullable = false;
        for m in members {
            // Members are visited first, so a nested scalar union may already be a oneOf.
            let nested = m
                .get("anyOf")
                .or_else(|| m.get("oneOf"))
                .and_then(Value::as_array);
            if let Some(inner) = nested {
                if m.get("nullable") == Some(&json!(true)) {
                    nullable = true;
                }
                flat.extend(inner.iter().cloned());
            } else {
                flat.push(m);
            }
        }
        // Dedupe, ignoring descriptions.
        let mut seen = BTreeSet::new();
        flat.retain(|m| {
            let mut key = m.clone();
            if let Some(k) = key.as_object_mut() {
                k.remove("description");
                k.remove("title");
            }
            seen.insert(key.to_string())
        });
        if flat.iter().any(is_object_like) {
            o.insert("anyOf".into(), Value::Array(flat));
            return Ok(());
        }
        n += 1;
        o.remove("anyOf");
        if nullable {
            o.insert("nullable".into(), json!(true));
        }
        if flat.len() == 1 {
            let Value::Object(only) = flat.remove(0) else {
                return Err(CodegenError::at(
                    ptr,
                    "a union member that is not an object",
                ));
            };
            for (k, v) in only {
                o.entry(k).or_insert(v);
            }
        } else {
            // Merge same-typed string enums into one enum member.
            o.insert("oneOf".into(), Value::Array(merge_enum_members(flat)));
        }
        Ok(())
    })?;
    Ok(n)
}

/// `oneOf: [{enum:[a]}, {enum:[b]}, {type: string}]` is ambiguous for an untagged enum;
/// string enum members are merged, and dropped entirely when a plain string is a member.
fn merge_enum_members(members: Vec<Value>) -> Vec<Value> {
    let plain_string = members.iter().any(|m| {
        m.get("type").and_then(Value::as_str) == Some("string") && m.get("enum").is_none()
    });
    let mut out = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for m in members {
        let is_str_enum =
            m.get("type").and_then(Value::as_str) == Some("string") && m.get("enum").is_some();
        if is_str_enum {
            if !plain_string {
                for v in m["enum"].as_array().into_iter().flatten() {
                    if !values.contains(v) {
                        values.push(v.clone());
                    }
                }
            }
        } else {
            out.push(m);
        }
    }
    if !values.is_empty() {
        out.insert(0, json!({"type": "string", "enum": values}));
    }
    out
}

/// Whether typify can make a Rust variant name of this enum value.
fn identifier_friendly(v: &Value) -> bool {
    match v.as_str() {
        Some(s) => s.chars().any(|c| c.is_ascii_alphanumeric()),
        None => true,
    }
}

/// Some enums have values that cannot become Rust identifiers (the reaction emoji, an empty
/// string); they become plain strings, which still decode every value.
pub fn enums_without_identifiers_to_string(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        if let Some(o) = s.as_object_mut()
            && let Some(values) = o.get("enum").and_then(Value::as_array)
        {
            let mut names = BTreeSet::new();
            let collide = values.iter().any(|v| {
                let key: String = v
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                !names.insert(key)
            });
            if collide || !values.iter().all(identifier_friendly) {
                o.remove("enum");
                n += 1;
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// Upstream closes about 440 objects with `additionalProperties: false`; typify turns that
/// into `deny_unknown_fields`, so a field the Hub adds tomorrow would break decoding today.
pub fn drop_additional_properties_false(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        if let Some(o) = s.as_object_mut()
            && o.get("additionalProperties") == Some(&json!(false))
        {
            o.remove("additionalProperties");
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// Upstream (2026-08-17) lists `bucketNamespace` as required in the quicksearch body without
/// defining the property; typify would make callers send a field that does not exist. A
/// required name that is not among the object's properties is dropped from `required`.
pub fn drop_undefined_required(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        let Some(o) = s.as_object_mut() else {
            return Ok(());
        };
        let Some(props) = o.get("properties").and_then(Value::as_object) else {
            return Ok(());
        };
        let names: BTreeSet<String> = props.keys().cloned().collect();
        if let Some(req) = o.get_mut("required").and_then(Value::as_array_mut) {
            let before = req.len();
            req.retain(|r| r.as_str().is_some_and(|r| names.contains(r)));
            n += before - req.len();
        }
        Ok(())
    })?;
    Ok(n)
}

/// Upstream's tree listing (`…/tree/{rev}/{path}`) describes its entries without `path`,
/// which every entry carries (the official clients read it as `RepoFile.path`): without it a
/// listing cannot say which file is which. It is added, required, to the entry schema.
pub fn tree_entries_have_a_path(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |path, method, op, ptr| {
        if method != "get" || !path.contains("/tree/") {
            return Ok(());
        }
        let Some(items) = op.pointer_mut("/responses/200/content/application~1json/schema/items")
        else {
            return Ok(());
        };
        let Some(props) = items.get_mut("properties").and_then(Value::as_object_mut) else {
            return Err(CodegenError::at(ptr, "a tree entry without properties"));
        };
        if props.contains_key("path") {
            return Ok(());
        }
        props.insert(
            "path".into(),
            json!({"type": "string", "description": "The entry's path from the repository root"}),
        );
        if let Some(req) = items.get_mut("required").and_then(Value::as_array_mut) {
            req.push(json!("path"));
        }
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// Nothing the Hub sends is silently dropped: a response object with declared properties
/// also keeps the ones it did not declare (typify adds a flattened map of them), so a field
/// the Hub adds tomorrow is still readable today. Request bodies stay closed to what is
/// declared, so callers build them from their fields alone.
pub fn keep_unknown_response_fields(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, place| {
        if place != Place::Response {
            return Ok(());
        }
        if let Some(o) = s.as_object_mut()
            && o.get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty())
            && !o.contains_key("additionalProperties")
        {
            o.insert("additionalProperties".into(), json!({}));
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// An answer field the Hub's document calls required but the Hub has been seen to omit.
#[derive(Debug, Clone, Copy)]
pub struct OmittedField {
    /// The operation's method (lowercase, as in the document).
    pub method: &'static str,
    /// The end of the operation's path template (every repo-type copy matches).
    pub path_suffix: &'static str,
    /// A JSON pointer from the 200 answer's schema to the object holding the field (`""` for
    /// the answer itself).
    pub object: &'static str,
    /// The field.
    pub field: &'static str,
    /// The answer the Hub was seen to send without it.
    pub seen: &'static str,
    /// Why the field may go optional without weakening the answer (see the crate docs' policy).
    pub why: &'static str,
}

/// Every answer field the Hub has been seen to omit although its document requires it; the
/// one place such exceptions are listed (see the crate docs for the policy).
pub const OMITTED_ANSWER_FIELDS: &[OmittedField] = &[
    OmittedField {
        method: "post",
        path_suffix: "/preupload/{rev}",
        object: "",
        field: "commitOid",
        seen: r#"{"files":[{"path":"app.py","uploadMode":"regular","shouldIgnore":false}]}"#,
        why: "the head commit is advisory (a no-op commit reports it); the files carry the answer",
    },
    OmittedField {
        method: "get",
        path_suffix: "/api/spaces/{namespace}/{repo}/variables",
        object: "/additionalProperties",
        field: "key",
        seen: r#"{"foo":{"value":"456","description":"…","updatedAt":"…"}}"#,
        why: "the listing is a map keyed by the variable's name; `key` only repeats it",
    },
    OmittedField {
        method: "post",
        path_suffix: "/api/repos/create",
        object: "",
        field: "id",
        seen: r#"{"url":"https://huggingface.co/user/repo","name":"user/repo"}"#,
        why: "`id` is an internal database id; the repository is named by `name` and `url`",
    },
];

/// The Hub's answers drift from its document: fields it calls required are sometimes absent
/// (each case in [`OMITTED_ANSWER_FIELDS`], with the answer seen), and one absent field fails
/// the whole call with a decode error — a commit fails on its first step. Those fields become
/// optional (`Option<T>`). An entry whose field is no longer required upstream fails, naming
/// it; the count is of rows applied, and a test asserts the vendored document applies every
/// row, so the table only holds live fixes.
pub fn optional_fields_the_hub_omits(doc: &mut Value) -> Result<usize> {
    let mut used = vec![false; OMITTED_ANSWER_FIELDS.len()];
    each_operation(doc, &mut |path, method, op, ptr| {
        for (i, entry) in OMITTED_ANSWER_FIELDS.iter().enumerate() {
            if method != entry.method || !path.ends_with(entry.path_suffix) {
                continue;
            }
            let at = format!(
                "{ptr}/responses/200/content/application~1json/schema{}",
                entry.object
            );
            let schema = op
                .pointer_mut(&format!(
                    "/responses/200/content/application~1json/schema{}",
                    entry.object
                ))
                .ok_or_else(|| CodegenError::at(&at, "the answer schema is gone"))?;
            if schema.get("$ref").is_some() {
                return Err(CodegenError::at(
                    &at,
                    "the answer schema became a `$ref`: move this entry to the component",
                ));
            }
            let required = schema
                .get_mut("required")
                .and_then(Value::as_array_mut)
                .ok_or_else(|| CodegenError::at(&at, "no `required` list"))?;
            let before = required.len();
            required.retain(|r| r.as_str() != Some(entry.field));
            if required.len() == before {
                return Err(CodegenError::at(
                    format!("{at}/required"),
                    format!(
                        "`{}` is no longer required upstream: drop its entry",
                        entry.field
                    ),
                ));
            }
            used[i] = true;
        }
        Ok(())
    })?;
    // Counted by rows: the vendored document's test asserts every row still applies (a
    // smaller document, such as a test fixture, may not have these operations at all).
    Ok(used.iter().filter(|u| **u).count())
}

/// Response schemas carry `pattern`, `minLength`, `maxLength` (e.g. a date regex); typify
/// makes validating newtypes of them, so one value off the pattern would make a whole
/// response undecodable. We decode what the Hub sends; requests keep their constraints.
pub fn drop_response_string_constraints(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, place| {
        if place == Place::Response
            && let Some(o) = s.as_object_mut()
        {
            for k in ["pattern", "minLength", "maxLength"] {
                if o.remove(k).is_some() {
                    n += 1;
                }
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// Upstream declares JSON content on some 204 responses; a successful DELETE would then
/// fail parsing an empty body. 204 means no content.
pub fn no_content_204(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, _| {
        if let Some(r) = op
            .pointer_mut("/responses/204")
            .and_then(Value::as_object_mut)
            && r.remove("content").is_some()
        {
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// Merges two object schemas: union of properties, intersection of `required`.
fn merge_object_schemas(a: &Value, b: &Value) -> Value {
    let mut props = a.get("properties").cloned().unwrap_or(json!({}));
    if let (Some(p), Some(bp)) = (
        props.as_object_mut(),
        b.get("properties").and_then(Value::as_object),
    ) {
        for (k, v) in bp {
            p.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let req = |s: &Value| -> BTreeSet<String> {
        s.get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    let required: Vec<String> = req(a).intersection(&req(b)).cloned().collect();
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    if let Some(d) = a.get("description") {
        out.insert("description".into(), d.clone());
    }
    out.insert("properties".into(), props);
    if !required.is_empty() {
        out.insert("required".into(), json!(required));
    }
    Value::Object(out)
}

/// Upstream's `components/schemas` holds shapes no operation uses (a `Job` beside the inline
/// job answers): they would be types nothing returns, and would take names the operations'
/// own shapes need. Components that no operation reaches, directly or through other
/// components, are dropped.
pub fn drop_unreferenced_components(doc: &mut Value) -> Result<usize> {
    fn refs(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str)
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.insert(name.replace("~1", "/").replace("~0", "~"));
                }
                o.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut reached = BTreeSet::new();
    refs(doc.get("paths").unwrap_or(&Value::Null), &mut reached);
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(0);
    };
    let mut todo: Vec<String> = reached.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        let mut more = BTreeSet::new();
        if let Some(s) = schemas.get(&name) {
            refs(s, &mut more);
        }
        for m in more {
            if reached.insert(m.clone()) {
                todo.push(m);
            }
        }
    }
    let before = schemas.len();
    schemas.retain(|k, _| reached.contains(k));
    Ok(before - schemas.len())
}

/// Upstream writes a family of shapes as `allOf: [common fields, anyOf: [one member per
/// kind]]` (`create_repo`'s body: the shared fields, then a member per `"type"`; collection
/// items; discussion answers). typify turns that into `Variant0..N` structs of every field,
/// named by position. Each member gets the common fields instead, so the union is one of
/// whole shapes that hoisting names after what tells them apart (`"type": "model"` →
/// `…Model`). A discriminating property that every member fixes to one value is made
/// required (the model member of `create_repo` leaves `type` optional; sending `"model"` is
/// what the official clients do).
pub fn distribute_all_of_over_unions(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        let Some(parts) = s.get("allOf").and_then(Value::as_array) else {
            return Ok(());
        };
        let unions: Vec<usize> = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.get("anyOf").is_some() || p.get("oneOf").is_some())
            .map(|(i, _)| i)
            .collect();
        let plain = |p: &Value| {
            p.get("properties").is_some()
                && p.get("anyOf").is_none()
                && p.get("oneOf").is_none()
                && p.get("allOf").is_none()
        };
        let [u] = unions[..] else { return Ok(()) };
        if !parts.iter().enumerate().all(|(i, p)| i == u || plain(p)) {
            return Ok(());
        }
        let key = if parts[u].get("oneOf").is_some() {
            "oneOf"
        } else {
            "anyOf"
        };
        let members = parts[u][key].as_array().cloned().unwrap_or_default();
        if members.is_empty() || !members.iter().all(plain) {
            return Ok(());
        }
        let common: Vec<Value> = parts
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != u)
            .map(|(_, p)| p.clone())
            .collect();
        let mut merged: Vec<Value> = members
            .iter()
            .map(|m| {
                let mut out = m.clone();
                for c in &common {
                    out = merge_all_fields(&out, c);
                }
                out
            })
            .collect();
        let discriminated = discriminate(&mut merged);
        let mut out = Map::new();
        if let Some(d) = s.get("description") {
            out.insert("description".into(), d.clone());
        }
        // Members told apart by a constant exclude one another: one of them, not any.
        let key = if discriminated { "oneOf" } else { key };
        out.insert(key.into(), Value::Array(merged));
        *s = Value::Object(out);
        n += 1;
        Ok(())
    })?;
    // The same for unions of objects written without `allOf`. A union member that is only
    // a union is spliced into its parent first; an array member beside discriminated
    // objects (one price or a list of prices) cannot be mistaken for them either.
    each_schema(doc, &mut |s, _, _| {
        let Some(members) = s.get_mut("anyOf").and_then(Value::as_array_mut) else {
            return Ok(());
        };
        let nested = members.iter().any(|m| {
            m.as_object()
                .is_some_and(|o| o.len() == 1 && o.contains_key("anyOf"))
        });
        if nested {
            let mut flat = Vec::new();
            for m in members.drain(..) {
                match m.get("anyOf").and_then(Value::as_array) {
                    Some(inner) if m.as_object().is_some_and(|o| o.len() == 1) => {
                        flat.extend(inner.iter().cloned());
                    }
                    _ => flat.push(m),
                }
            }
            *members = flat;
            n += 1;
        }
        let (mut objects, others): (Vec<Value>, Vec<Value>) = members
            .iter()
            .cloned()
            .partition(|m| m.get("properties").is_some());
        let other_types: Vec<&str> = others
            .iter()
            .filter_map(|m| m.get("type").and_then(Value::as_str))
            .collect();
        let distinct_others = other_types.len() == others.len()
            && !other_types.contains(&"object")
            && other_types.iter().collect::<BTreeSet<_>>().len() == other_types.len();
        if members.len() < 2 || objects.len() < 2 || !distinct_others {
            return Ok(());
        }
        if discriminate(&mut objects) {
            let mut all = objects;
            all.extend(others);
            *members = all;
        } else {
            return Ok(());
        }
        if let Some(o) = s.as_object_mut()
            && let Some(m) = o.remove("anyOf")
        {
            o.insert("oneOf".into(), m);
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// Finds a property every member fixes to its own single value; makes it required in each
/// and says whether there is one.
fn discriminate(members: &mut [Value]) -> bool {
    let fixed = |m: &Value, k: &str| -> Option<Value> {
        let e = m
            .pointer(&format!("/properties/{}/enum", esc(k)))?
            .as_array()?;
        (e.len() == 1).then(|| e[0].clone())
    };
    let names: BTreeSet<String> = members
        .first()
        .and_then(|m| m.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for k in names {
        let values: Vec<Option<Value>> = members.iter().map(|m| fixed(m, &k)).collect();
        let distinct: BTreeSet<String> = values.iter().flatten().map(Value::to_string).collect();
        if values.iter().all(Option::is_some) && distinct.len() == members.len() {
            for m in members.iter_mut() {
                let req = m
                    .as_object_mut()
                    .map(|o| o.entry("required").or_insert_with(|| json!([])));
                if let Some(Value::Array(r)) = req
                    && !r.iter().any(|x| x == k.as_str())
                {
                    r.push(json!(k));
                }
            }
            return true;
        }
    }
    false
}

/// Merges `extra`'s fields into `base`: every property (base's win), every required name.
fn merge_all_fields(base: &Value, extra: &Value) -> Value {
    let mut out = base.clone();
    let Some(o) = out.as_object_mut() else {
        return out;
    };
    o.insert("type".into(), json!("object"));
    if let Some(p) = o
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()
    {
        for (k, v) in extra
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            p.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let mut required: Vec<Value> = o
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for r in extra
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !required.contains(r) {
            required.push(r.clone());
        }
    }
    if !required.is_empty() {
        o.insert("required".into(), Value::Array(required));
    }
    out
}

/// Some operations answer 200 and 207 (partial success) with different schemas;
/// progenitor supports one success type, so fields of one would be silently lost. Both
/// statuses get one merged schema: every property of either, required only when in both.
pub fn merge_200_207_responses(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, ptr| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let schema_of = |r: Option<&Value>| {
            r.and_then(|r| r.pointer("/content/application~1json/schema"))
                .cloned()
        };
        let (Some(a), Some(b)) = (
            schema_of(responses.get("200")),
            schema_of(responses.get("207")),
        ) else {
            return Ok(());
        };
        if a == b {
            return Ok(());
        }
        if !(is_object_like(&a) && is_object_like(&b)) {
            return Err(CodegenError::at(
                format!("{ptr}/responses"),
                "200 and 207 differ and are not both objects",
            ));
        }
        let merged = merge_object_schemas(&a, &b);
        for code in ["200", "207"] {
            responses[code]["content"]["application/json"]["schema"] = merged.clone();
        }
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// The facade maps every error status from the response itself (`X-Error-Code`,
/// `X-Error-Message`, the body's `error`), which works for any answer; typed error bodies
/// would only add types. Only 2xx stay. A 3xx is not an error either: redirects on the Hub's
/// origin are followed, and one to another origin is the answer of a file-metadata `HEAD`
/// (its headers, declared on the 200 beside it, are what the facade reads).
pub fn drop_non_success_responses(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, _| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            let before = responses.len();
            responses.retain(|code, _| code.starts_with('2'));
            n += before - responses.len();
        }
        Ok(())
    })?;
    Ok(n)
}

/// Operations whose success answer is not one JSON document: the `resolve` downloads
/// (declared as JSON, but they redirect to the file's bytes) and the server-sent-event
/// streams (logs, metrics, events). Their answers become byte streams. A download that takes
/// a `Range` header answers a range as `206 Partial Content`, which upstream does not
/// declare: it is added beside the 200.
pub fn byte_stream_responses(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |path, _, op, _| {
        let ranged = op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|p| {
                p["in"] == "header"
                    && p["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case("range"))
            });
        let text = op.to_string();
        let is_resolve = path.contains("/resolve/") || path.starts_with("/api/resolve-cache/");
        let is_sse = text.contains("text/event-stream")
            || text.contains("Server-Sent")
            || text.contains("SSE");
        if !(is_resolve || is_sse) {
            return Ok(());
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for (code, r) in responses.iter_mut() {
                // A HEAD answer (file metadata) has headers and no body.
                if code.starts_with('2') && r.get("content").is_some() {
                    r["content"] = json!({"application/octet-stream": {
                        "schema": {"type": "string", "format": "binary"}}});
                    n += 1;
                }
            }
            if is_resolve
                && ranged
                && !responses.contains_key("206")
                && let Some(ok) = responses.get("200").cloned()
                && ok.get("content").is_some()
            {
                let mut partial = ok;
                partial["description"] = json!("The range of the file asked for");
                responses.insert("206".into(), partial);
                n += 1;
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// The commit operation declares no request body (its body is `application/x-ndjson`,
/// which progenitor rejects). It gets a raw byte-stream body: the facade streams the ndjson.
pub fn commit_raw_body(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |path, method, op, ptr| {
        if method != "post" || !path.ends_with("/commit/{rev}") {
            return Ok(());
        }
        if let Some(rb) = op.get("requestBody") {
            let only_ndjson = rb
                .get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| c.keys().all(|k| k.contains("ndjson")));
            if !only_ndjson {
                return Err(CodegenError::at(
                    format!("{ptr}/requestBody"),
                    "the commit operation now declares a body: revisit commit_raw_body",
                ));
            }
        }
        op["requestBody"] = json!({
            "required": true,
            "description": "The ndjson commit body (the facade builds and streams it)",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        });
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// The Hub's preupload takes `create_pr` (the official clients send it when the commit
/// opens a pull request, so LFS files are checked against the PR's future ref), but upstream
/// does not declare it. It is added as an optional boolean query parameter.
pub fn preupload_create_pr_param(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |path, method, op, _| {
        if method != "post" || !path.ends_with("/preupload/{rev}") {
            return Ok(());
        }
        let params = op
            .as_object_mut()
            .map(|o| o.entry("parameters").or_insert_with(|| json!([])))
            .and_then(Value::as_array_mut);
        if let Some(params) = params
            && !params.iter().any(|p| p["name"] == "create_pr")
        {
            params.push(json!({"name": "create_pr", "in": "query", "required": false,
                "schema": {"type": "boolean", "description": "Whether the files are for a commit that opens a pull request"}}));
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// About 50 operations have no `responses` at all (or only a redirect), which openapiv3
/// requires. Every one of
/// them that is not a GET is a mutation (create or delete a branch or tag, merge or pin a
/// discussion, set Space secrets, …) whose answer carries nothing a caller reads: it gets
/// one `2XX` response without content, so its method answers `()` for any success status.
/// A GET without responses keeps an empty map, which progenitor answers as a byte stream
/// (what it returns is unknown, so nothing is thrown away).
pub fn insert_empty_responses(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, method, op, _| {
        // No responses, or none left once the non-success ones are gone (the ask-access
        // POSTs declare only their 303 to the repository's HTML page).
        let none = op
            .get("responses")
            .is_none_or(|r| r.as_object().is_some_and(|m| m.is_empty()));
        if let Some(o) = op.as_object_mut()
            && none
            && !(method == "get" && o.contains_key("responses"))
        {
            let responses = if method == "get" {
                json!({})
            } else {
                json!({"2XX": {"description": "Done; the Hub answers nothing a caller needs."}})
            };
            o.insert("responses".into(), responses);
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// Names of fields and parameters that count or measure whole things: sizes in bytes,
/// counts, numbers (a discussion's `num`), positions, downloads, likes, seconds of
/// timeouts, cents. Upstream types them `number`, which would make them `f64` and make us
/// send `"size": 2000.0` where the official clients send `2000`; the official Python client
/// annotates every one of them `int`. Fields that are genuinely fractional (scores,
/// probabilities, prices in dollars, percentages, gigabytes) are not listed.
pub const INTEGER_NAMES: &[&str] = &[
    "amountCents",
    "amountDueCents",
    "bucketsCount",
    "client_id_issued_at",
    "client_secret_expires_at",
    "collectionsCount",
    "costCents",
    "count",
    "datasetsCount",
    "downloads",
    "exp",
    "expires_in",
    "failureCount",
    "followerCount",
    "gcTimeout",
    "githubStars",
    "kernelsCount",
    "likes",
    "limit",
    "maxOperations",
    "maxPayloadSize",
    "maxResults",
    "modelsCount",
    "num",
    "numBuckets",
    "numClosedDiscussions",
    "numComments",
    "numDatasets",
    "numDiscussions",
    "numEdits",
    "numFollowers",
    "numFollowing",
    "numFollowingOrgs",
    "numKernels",
    "numLikes",
    "numModels",
    "numPapers",
    "numParameters",
    "numReactionUsers",
    "numRows",
    "numSpaces",
    "numTotalDatasets",
    "numTotalModels",
    "numTotalSpaces",
    "numUpvotes",
    "numUsers",
    "numberItems",
    "papersCount",
    "pointerSize",
    "position",
    "quantity",
    "rank",
    "requestCount",
    "retry",
    "size",
    "spacesCount",
    "start",
    "startIndex",
    "timeout",
    "totalCents",
    "totalCostMicroUSD",
    "totalCostMicroUsd",
    "totalFiles",
    "unitCostMicroUSD",
    "unread",
    "upvotes",
    "usageAtChargeTimeMicroUSD",
    "usedMicroUsd",
];

/// Turns a `number` schema (or a nullable one, or a union member) into `integer`.
fn number_to_integer(s: &mut Value) -> usize {
    let mut n = 0;
    if let Some(o) = s.as_object_mut() {
        if o.get("type") == Some(&json!("number")) {
            o.insert("type".into(), json!("integer"));
            o.remove("format");
            n += 1;
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(members) = o.get_mut(key).and_then(Value::as_array_mut) {
                for m in members {
                    n += number_to_integer(m);
                }
            }
        }
    }
    n
}

/// Integer-meaning `number` fields and parameters (named in [`INTEGER_NAMES`]) become
/// `integer`, so they decode as `i64` and are sent without a fraction.
pub fn integer_counts(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        if let Some(props) = s.get_mut("properties").and_then(Value::as_object_mut) {
            for (name, p) in props.iter_mut() {
                if INTEGER_NAMES.contains(&name.as_str()) {
                    n += number_to_integer(p);
                }
            }
        }
        Ok(())
    })?;
    each_operation(doc, &mut |_, _, op, _| {
        for p in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let named = p
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| INTEGER_NAMES.contains(&name));
            if named && let Some(schema) = p.get_mut("schema") {
                n += number_to_integer(schema);
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// Parameter names in a path template, in order.
pub(crate) fn template_params(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + end].to_string());
        rest = &rest[start + end + 1..];
    }
    out
}

/// `/api/collections/{namespace}/{slug}/items/{slug}` names `slug` twice: one argument
/// would fill both. The second occurrence becomes `{slug2}` with its own parameter.
pub fn rename_duplicate_path_params(doc: &mut Value) -> Result<usize> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(0);
    };
    let mut renames = Vec::new();
    for path in paths.keys() {
        let params = template_params(path);
        let mut seen = BTreeMap::new();
        let mut new_path = String::new();
        let mut rest = path.as_str();
        let mut changed = false;
        for p in &params {
            let count = seen.entry(p.clone()).or_insert(0);
            *count += 1;
            let Some(idx) = rest.find(&format!("{{{p}}}")) else {
                break;
            };
            new_path.push_str(&rest[..idx]);
            if *count > 1 {
                new_path.push_str(&format!("{{{p}{count}}}"));
                changed = true;
            } else {
                new_path.push_str(&format!("{{{p}}}"));
            }
            rest = &rest[idx + p.len() + 2..];
        }
        new_path.push_str(rest);
        if changed {
            renames.push((path.clone(), new_path));
        }
    }
    let n = renames.len();
    for (old, new) in renames {
        let Some(mut item) = paths.remove(&old) else {
            continue;
        };
        let dup: Vec<String> = template_params(&new)
            .into_iter()
            .filter(|p| !template_params(&old).contains(p))
            .collect();
        if let Some(item) = item.as_object_mut() {
            for (m, op) in item.iter_mut() {
                if !METHODS.contains(&m.as_str()) {
                    continue;
                }
                op["x-hf-original-path"] = json!(old);
                let params = op
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                    .ok_or_else(|| {
                        CodegenError::at(format!("/paths/{}", esc(&old)), "no parameters")
                    })?;
                for d in &dup {
                    let base = d.trim_end_matches(char::is_numeric);
                    let Some(orig) = params
                        .iter()
                        .find(|p| p["in"] == "path" && p["name"] == base)
                        .cloned()
                    else {
                        continue;
                    };
                    let mut copy = orig;
                    copy["name"] = json!(d);
                    params.push(copy);
                }
            }
        }
        paths.insert(new, item);
    }
    Ok(n)
}

const REPO_TYPE_SEGMENTS: [&str; 4] = ["models", "datasets", "spaces", "kernels"];

/// The tags of a merged operation: its members' tags, where the per-type tags (`models`,
/// `datasets`, `spaces`, `kernels`) become `repos` — the merged method serves every type —
/// and an area tag such as `discussions` stays, so the operation keeps its cargo feature.
fn merged_tags(ops: &[Value]) -> Vec<String> {
    let mut tags: Vec<String> = ops
        .iter()
        .flat_map(|o| crate::walk::strings(o.get("tags")))
        .map(|t| match t.as_str() {
            "models" | "datasets" | "spaces" | "kernels" => "repos".to_string(),
            _ => t,
        })
        .collect();
    tags.sort();
    tags.dedup();
    if tags.is_empty() {
        tags.push("repos".into());
    }
    tags
}

/// Upstream repeats many operations once per repo type (`/api/models/{namespace}/{repo}/…`,
/// `/api/datasets/…`, `/api/spaces/…`, `/api/kernels/…`), identical but for that segment and
/// their tags. Such a group becomes one operation over a `{repoType}` path parameter, so
/// users call one method with a repo type. Copies that differ in anything else stay separate.
pub fn merge_repo_type_copies(doc: &mut Value) -> Result<usize> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(0);
    };
    // key: (template with {repoType}, method) -> [(repo type segment, path)]
    let mut groups: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for (path, item) in paths.iter() {
        let segs: Vec<&str> = path.split('/').collect();
        let Some(pos) = segs.iter().position(|s| REPO_TYPE_SEGMENTS.contains(s)) else {
            continue;
        };
        // Only `/api/<type>/{namespace}/{repo}...`, `/api/resolve-cache/<type>/...` and the web
        // routes, `/<type>/{namespace}/{repo}/…` (git's `{repo}.git/…` among them).
        if segs.get(pos + 1) != Some(&"{namespace}")
            || !matches!(segs.get(pos + 2), Some(&"{repo}" | &"{repo}.git"))
        {
            continue;
        }
        let mut t = segs.clone();
        t[pos] = "{repoType}";
        let template = t.join("/");
        for m in item.as_object().into_iter().flat_map(|o| o.keys()) {
            if METHODS.contains(&m.as_str()) {
                groups
                    .entry((template.clone(), m.clone()))
                    .or_default()
                    .push((segs[pos].to_string(), path.clone()));
            }
        }
    }
    let strip = |op: &Value| -> Value {
        let mut o = op.clone();
        if let Some(m) = o.as_object_mut() {
            m.remove("tags");
            m.remove("x-hf-original-path");
        }
        o
    };
    let mut n = 0;
    for ((template, method), members) in groups {
        if members.len() < 2 {
            continue;
        }
        if paths.get(&template).and_then(|i| i.get(&method)).is_some() {
            continue; // upstream already has the generic form
        }
        let ops: Vec<Value> = members
            .iter()
            .map(|(_, p)| paths[p][&method].clone())
            .collect();
        let first = strip(&ops[0]);
        if ops.iter().any(|o| strip(o) != first) {
            continue;
        }
        let mut merged = ops[0].clone();
        let types: Vec<String> = members.iter().map(|(t, _)| t.clone()).collect();
        let originals: Vec<String> = members.iter().map(|(_, p)| p.clone()).collect();
        merged["x-hf-merged-paths"] = json!(originals);
        merged["tags"] = json!(merged_tags(&ops));
        let params = merged
            .as_object_mut()
            .map(|o| o.entry("parameters").or_insert_with(|| json!([])))
            .and_then(Value::as_array_mut)
            .ok_or_else(|| CodegenError::at(format!("/paths/{}", esc(&template)), "bad op"))?;
        let mut sorted = types.clone();
        sorted.sort();
        params.insert(
            0,
            json!({"name": "repoType", "in": "path", "required": true,
                   "schema": {"type": "string", "enum": sorted}}),
        );
        for (_, p) in &members {
            if let Some(item) = paths.get_mut(p).and_then(Value::as_object_mut) {
                item.remove(&method);
            }
        }
        let item = paths.entry(template.clone()).or_insert_with(|| json!({}));
        item[&method] = merged;
        n += 1;
    }
    paths.retain(|_, item| {
        item.as_object()
            .is_some_and(|o| o.keys().any(|k| METHODS.contains(&k.as_str())))
    });
    Ok(n)
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

#[allow(dead_code)]
fn walk_one(s: &mut Value, f: &mut dyn FnMut(&mut Value, &str, Place) -> Result<()>) -> Result<()> {
    walk_schema(s, "", Place::Response, f)
}
