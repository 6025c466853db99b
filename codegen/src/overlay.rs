//! Merging `spec/overlay.json` (endpoints the Hub serves but does not document) into the
//! upstream document.

use serde_json::{Value, json};

use crate::walk::{METHODS, esc};
use crate::{CodegenError, Result};

/// Adds the overlay's operations to `doc`, marking each with `x-hf-overlay`. An operation
/// upstream now defines is an error: the overlay must shrink as the Hub documents more.
pub fn merge_overlay(doc: &mut Value, overlay: &Value) -> Result<usize> {
    let Some(ov_paths) = overlay.get("paths").and_then(Value::as_object) else {
        return Err(CodegenError::at(
            "/paths",
            "the overlay has no `paths` object",
        ));
    };
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
            if !METHODS.contains(&method.as_str()) {
                return Err(CodegenError::at(
                    format!("/paths/{}/{}", esc(path), esc(method)),
                    "the overlay supports operations only (no path-level keys)",
                ));
            }
            if target.get(method).is_some() {
                return Err(CodegenError::at(
                    format!("/paths/{}/{method}", esc(path)),
                    format!(
                        "{} {path} is now upstream: remove it from the overlay",
                        method.to_ascii_uppercase()
                    ),
                ));
            }
            let mut op = op.clone();
            op["x-hf-overlay"] = json!(true);
            target[method] = op;
            n += 1;
        }
    }
    Ok(n)
}
