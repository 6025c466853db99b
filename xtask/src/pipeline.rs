//! Running the codegen on a document the way the build does, and keeping as much as can be
//! learnt when it fails (operation names for the change report).

use std::collections::BTreeMap;

use hf_hub_api_codegen::features::Gate;
use hf_hub_api_codegen::naming::{self, OperationRow};
use hf_hub_api_codegen::normalise::STEPS;
use hf_hub_api_codegen::walk::METHODS;
use serde_json::{Map, Value, json};

use crate::api::ApiSnapshot;

/// What the codegen made of one document (merged with the overlay).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// One row per operation. Exact when `error` is `None` (or names the generator); a best
    /// effort otherwise (see `rows_exact`).
    pub rows: Vec<OperationRow>,
    /// Whether `rows` are what the build would produce.
    pub rows_exact: bool,
    /// Sizes of the generated code, when generation ran and succeeded.
    pub generated: Option<Generated>,
    /// Why the codegen failed, if it did.
    pub error: Option<String>,
    /// The public Rust API, when generation ran and succeeded.
    pub api: Option<ApiSnapshot>,
    /// Each operation's cargo-feature gate, when normalising succeeded.
    pub gates: Option<BTreeMap<String, Gate>>,
}

/// Sizes of the generated Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// Lines of generated code.
    pub lines: usize,
    /// Generated `struct`s and `enum`s.
    pub types: usize,
}

impl Generated {
    /// Measures generated code.
    pub fn of(code: &str) -> Self {
        let types = code
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                t.starts_with("pub struct ") || t.starts_with("pub enum ")
            })
            .count();
        Generated {
            lines: code.lines().count(),
            types,
        }
    }
}

/// `(METHOD, path)` of every overlay operation that `doc` (upstream) already defines. The build
/// refuses such an overlay: the entry must be removed from `spec/overlay.json`.
pub fn overlay_shadowed(doc: &Value, overlay: Option<&Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(ov_paths) = overlay
        .and_then(|o| o.get("paths"))
        .and_then(Value::as_object)
    else {
        return out;
    };
    for (path, item) in ov_paths {
        for method in item.as_object().into_iter().flat_map(|o| o.keys()) {
            if doc
                .get("paths")
                .and_then(|p| p.get(path))
                .and_then(|i| i.get(method))
                .is_some()
            {
                out.push((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// The overlay without the operations upstream now defines (what the build of an older
/// document would have merged: its upstream definition).
pub fn overlay_without_shadowed(doc: &Value, overlay: &Value) -> Value {
    let shadowed = overlay_shadowed(doc, Some(overlay));
    let mut ov = overlay.clone();
    if let Some(paths) = ov.get_mut("paths").and_then(Value::as_object_mut) {
        for (method, path) in shadowed {
            if let Some(item) = paths.get_mut(&path).and_then(Value::as_object_mut) {
                item.remove(&method.to_ascii_lowercase());
            }
        }
        paths.retain(|_, item| item.as_object().is_some_and(|o| !o.is_empty()));
    }
    ov
}

/// Runs the codegen on `doc` + `overlay` like [`hf_hub_api_codegen::build`] (overlay merge,
/// normalise, and, when `generate` is set, progenitor). On failure, records the error and
/// still derives the operation rows as well as it can.
pub fn run(doc: &Value, overlay: Option<&Value>, generate: bool) -> Outcome {
    let mut merged = doc.clone();
    if let Some(ov) = overlay
        && let Err(e) = hf_hub_api_codegen::overlay::merge_overlay(&mut merged, ov)
    {
        return best_effort(doc, overlay, format!("overlay: {e}"));
    }
    match hf_hub_api_codegen::normalise::normalise(merged) {
        Err(e) => best_effort(doc, overlay, format!("normaliser: {e}")),
        Ok((normalised, _report, rows)) => {
            let mut out = Outcome {
                rows,
                rows_exact: true,
                generated: None,
                error: None,
                api: None,
                gates: None,
            };
            let gates = match hf_hub_api_codegen::features::operation_gates(&normalised) {
                Ok(g) => g,
                Err(e) => {
                    out.error = Some(format!("features: {e}"));
                    return out;
                }
            };
            out.gates = Some(gates.clone());
            if generate {
                let generated = hf_hub_api_codegen::generate::generate(
                    &normalised,
                    &out.rows,
                    &gates,
                    &hf_hub_api_codegen::Areas::All,
                    false,
                );
                match generated {
                    Ok(g) => {
                        out.generated = Some(Generated::of(&g.code));
                        match ApiSnapshot::of(&g.code, &normalised) {
                            Ok(api) => out.api = Some(api),
                            Err(e) => out.error = Some(format!("API snapshot: {e}")),
                        }
                    }
                    Err(e) => out.error = Some(format!("generator: {e}")),
                }
            }
            out
        }
    }
}

/// Rows when the normaliser failed. Names depend only on their own operation, so each
/// operation is named in a document of its own (no clash can stop it); steps that fail are
/// skipped, which makes the rows approximate only when a step before naming failed.
fn best_effort(doc: &Value, overlay: Option<&Value>, error: String) -> Outcome {
    let mut merged = doc.clone();
    if let Some(ov) = overlay {
        let ov = overlay_without_shadowed(doc, ov);
        if hf_hub_api_codegen::overlay::merge_overlay(&mut merged, &ov).is_err() {
            merged = doc.clone();
        }
    }
    let mut exact = true;
    for (name, step) in STEPS {
        if *name == "assign_operation_ids" {
            break;
        }
        let before = merged.clone();
        if step(&mut merged).is_err() {
            merged = before;
            exact = false;
        }
    }
    name_each_alone(&mut merged);
    let rows = naming::operation_rows(&merged).unwrap_or_default();
    Outcome {
        rows,
        rows_exact: exact,
        generated: None,
        error: Some(error),
        api: None,
        gates: None,
    }
}

/// Gives every operation the `operationId` the codegen would, one operation at a time.
fn name_each_alone(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let mut one_item = Map::new();
            one_item.insert(method.clone(), op.clone());
            let mut one = json!({ "paths": { path.clone(): Value::Object(one_item) } });
            let name = match naming::assign_operation_ids(&mut one) {
                Ok(_) => one["paths"][path.as_str()][method.as_str()]["operationId"].clone(),
                Err(_) => json!(naming::derive_name(method, path, false)),
            };
            op["operationId"] = name;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clashing_names_still_get_rows() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/api/widgets/{a}/sprocket": {"get": {"responses": {"200": {"description": "ok"}}}},
                "/api/widgets/{b}/sprocket": {"get": {"responses": {"200": {"description": "ok"}}}}
            }
        });
        let out = run(&doc, None, false);
        assert!(
            out.error
                .as_deref()
                .unwrap()
                .contains("would both be named")
        );
        assert_eq!(out.rows.len(), 2);
        assert!(out.rows.iter().all(|r| r.name == "get_widget_sprocket"));
        assert!(out.rows_exact);
    }

    #[test]
    fn shadowed_overlay_is_reported_and_skipped() {
        let doc = json!({"paths": {"/a": {"get": {"responses": {}}}}});
        let ov = json!({"paths": {"/a": {"get": {"operationId": "get_a"}}, "/b": {"get": {"operationId": "get_b"}}}});
        assert_eq!(
            overlay_shadowed(&doc, Some(&ov)),
            vec![("GET".to_string(), "/a".to_string())]
        );
        let stripped = overlay_without_shadowed(&doc, &ov);
        assert!(stripped["paths"].get("/a").is_none());
        assert!(stripped["paths"].get("/b").is_some());
    }
}
