//! Merging `spec/overlay.json` (endpoints the Hub serves but does not document) into the
//! upstream document.
//!
//! The overlay may keep shapes it uses more than once (the Space runtime, the organization
//! and user summaries) under its own `components.schemas`, referenced as
//! `#/components/schemas/Name`. Those references are replaced by copies of the shapes while
//! merging: the merged document holds the overlay's operations inline, like upstream's, so
//! every normaliser step treats them alike (an answer keeps unknown fields, a request does
//! not), and hoisting makes one type of the identical copies. The overlay's components never
//! enter the document, so they cannot clash with upstream's.

use serde_json::{Map, Value, json};

use crate::walk::{METHODS, esc};
use crate::{CodegenError, Result};

/// How deep overlay components may reference one another (a cycle fails at this depth).
const MAX_REF_DEPTH: usize = 16;

/// Adds the overlay's operations to `doc`, marking each with `x-hf-overlay`. An operation
/// upstream now defines is an error: the overlay must shrink as the Hub documents more.
pub fn merge_overlay(doc: &mut Value, overlay: &Value) -> Result<usize> {
    let Some(ov_paths) = overlay.get("paths").and_then(Value::as_object) else {
        return Err(CodegenError::at(
            "/paths",
            "the overlay has no `paths` object",
        ));
    };
    let empty = Map::new();
    let components = overlay
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let paths = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| CodegenError::at("/paths", "the document has no `paths` object"))?;
    let mut n = 0;
    for (path, item) in ov_paths {
        let Some(item) = item.as_object() else {
            return Err(CodegenError::at(
                format!("/paths/{}", esc(path)),
                "not an object",
            ));
        };
        let target = paths.entry(path.clone()).or_insert_with(|| json!({}));
        for (method, op) in item {
            let ptr = format!("/paths/{}/{}", esc(path), esc(method));
            if !METHODS.contains(&method.as_str()) {
                return Err(CodegenError::at(
                    ptr,
                    "the overlay supports operations only (no path-level keys)",
                ));
            }
            if target.get(method).is_some() {
                return Err(CodegenError::at(
                    ptr,
                    format!(
                        "{} {path} is now upstream: remove it from the overlay",
                        method.to_ascii_uppercase()
                    ),
                ));
            }
            let mut op = op.clone();
            inline_components(&mut op, components, &ptr, 0)?;
            op["x-hf-overlay"] = json!(true);
            target[method] = op;
            n += 1;
        }
    }
    Ok(n)
}

/// Replaces every `{"$ref": "#/components/schemas/Name"}` in `v` by a copy of the overlay's
/// `Name` (its own references replaced too). Keys beside the `$ref` (a description) are kept
/// and win over the component's.
fn inline_components(
    v: &mut Value,
    components: &Map<String, Value>,
    ptr: &str,
    depth: usize,
) -> Result<()> {
    match v {
        Value::Object(o) => {
            if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                let Some(name) = r.strip_prefix("#/components/schemas/") else {
                    return Err(CodegenError::at(
                        ptr,
                        format!("the overlay refers to {r}: only its own components/schemas"),
                    ));
                };
                let Some(shape) = components.get(name) else {
                    return Err(CodegenError::at(
                        ptr,
                        format!("the overlay has no components/schemas/{name}"),
                    ));
                };
                if depth >= MAX_REF_DEPTH {
                    return Err(CodegenError::at(
                        ptr,
                        format!("components/schemas/{name} refers to itself"),
                    ));
                }
                let mut copy = shape.clone();
                inline_components(&mut copy, components, ptr, depth + 1)?;
                o.remove("$ref");
                if let Value::Object(c) = copy {
                    for (k, x) in c {
                        o.entry(k).or_insert(x);
                    }
                }
                return Ok(());
            }
            for (k, x) in o.iter_mut() {
                inline_components(x, components, &format!("{ptr}/{}", esc(k)), depth)?;
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                inline_components(x, components, &format!("{ptr}/{i}"), depth)?;
            }
        }
        _ => {}
    }
    Ok(())
}
