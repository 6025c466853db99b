//! Generating only what a build's cargo features turn on.
//!
//! The library's build script knows its enabled areas (`CARGO_FEATURE_<AREA>`), so instead of
//! emitting every operation behind `#[cfg]` it hands progenitor a document restricted to the
//! enabled areas' operations (plus [`crate::features::FACADE_OPERATIONS`]) and the components
//! they reach: typify and prettyplease then work on that part only, and rustc parses only it.
//!
//! Names never depend on the feature set. Every name is decided on the whole document before
//! the restriction: operation ids and component names by the normaliser (naming, hoisting), a
//! type typify names itself after its parent component or operation, a header struct after
//! its operation or body type. The restriction drops operations and the components nothing
//! kept refers to, and renames nothing; `codegen/tests/subset.rs` checks that a restricted
//! build is the full build's items with their `cfg` true for that set.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::features::Gate;

/// The component sections whose unreferenced entries are dropped (security schemes stay: the
/// document's top-level `security` names them without a `$ref`).
const PRUNED_SECTIONS: &[&str] = &[
    "schemas",
    "parameters",
    "responses",
    "requestBodies",
    "headers",
    "examples",
    "links",
    "callbacks",
];

/// Which areas a build compiles: one area feature each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Areas {
    /// Every area (`cargo xtask`, the every-operation exercise, `--all-features`).
    All,
    /// These area features, none else (the facade's operations always).
    Only(BTreeSet<&'static str>),
}

impl Areas {
    /// The areas whose feature `is_on` says is enabled; [`Areas::All`] when that is all of
    /// them. The build script passes `|var| std::env::var_os(var).is_some()` for cargo's
    /// `CARGO_FEATURE_<NAME>` variables ([`feature_env_var`]).
    pub fn from_enabled(is_on: impl Fn(&str) -> bool) -> Areas {
        let on: BTreeSet<&'static str> = crate::features::AREAS
            .iter()
            .map(|a| a.feature)
            .filter(|f| is_on(&feature_env_var(f)))
            .collect();
        if on.len() == crate::features::AREAS.len() {
            Areas::All
        } else {
            Areas::Only(on)
        }
    }

    /// Whether an item with this gate is compiled.
    pub fn admits(&self, gate: &Gate) -> bool {
        match (self, gate) {
            (Areas::All, _) | (_, Gate::Always) => true,
            (Areas::Only(on), Gate::Any(features)) => features.iter().any(|f| on.contains(f)),
        }
    }
}

/// The environment variable cargo sets for a build script when `feature` is enabled:
/// `CARGO_FEATURE_` and the name upper-cased, `-` as `_`.
pub fn feature_env_var(feature: &str) -> String {
    let name: String = feature
        .chars()
        .map(|c| match c {
            '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    format!("CARGO_FEATURE_{name}")
}

/// The document with only the operations whose id `keep` holds, and only the components
/// those operations reach (through `$ref`s, transitively). Path items left without an
/// operation go. Nothing is renamed.
pub fn restrict(doc: &Value, keep: &BTreeSet<String>) -> Value {
    let mut out = doc.clone();
    if let Some(paths) = out.get_mut("paths").and_then(Value::as_object_mut) {
        paths.retain(|_, item| {
            let Some(item) = item.as_object_mut() else {
                return true;
            };
            item.retain(|method, op| {
                !crate::walk::METHODS.contains(&method.as_str())
                    || op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .is_some_and(|id| keep.contains(id))
            });
            item.keys()
                .any(|k| crate::walk::METHODS.contains(&k.as_str()))
        });
    }
    // What the kept document refers to, outside the pruned sections, then what those
    // components refer to in turn.
    let mut reached: BTreeSet<(String, String)> = BTreeSet::new();
    let mut stack: Vec<(String, String)> = Vec::new();
    if let Some(top) = out.as_object() {
        for (key, v) in top {
            if key == "components" {
                for (section, entries) in v.as_object().into_iter().flatten() {
                    if !PRUNED_SECTIONS.contains(&section.as_str()) {
                        refs(entries, &mut stack);
                    }
                }
            } else {
                refs(v, &mut stack);
            }
        }
    }
    while let Some(r) = stack.pop() {
        if !reached.insert(r.clone()) {
            continue;
        }
        if let Some(v) = out
            .get("components")
            .and_then(|c| c.get(&r.0))
            .and_then(|s| s.get(&r.1))
        {
            refs(v, &mut stack);
        }
    }
    if let Some(components) = out.get_mut("components").and_then(Value::as_object_mut) {
        for (section, entries) in components.iter_mut() {
            if !PRUNED_SECTIONS.contains(&section.as_str()) {
                continue;
            }
            if let Some(entries) = entries.as_object_mut() {
                entries.retain(|name, _| reached.contains(&(section.clone(), name.clone())));
            }
        }
    }
    out
}

/// The doc of each answer-headers struct ([`crate::headers`]), decided on the whole document:
/// several operations may share one struct (the Xet token routes of every repository type and
/// of buckets share `XetTokenHeaders`), and its doc is the answer description of the first of
/// them by operation id, whichever of them a build generates. A struct is named here as the
/// generator names it: the answer's `x-hf-name`, else its body's component, else its
/// operation (never shared).
pub(crate) fn header_docs(doc: &Value) -> crate::Result<BTreeMap<String, Option<String>>> {
    let mut out = BTreeMap::new();
    for (id, (_, _, op)) in crate::requests::operations_by_id(doc) {
        let body = op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .find(|(code, _)| code.starts_with('2'))
            .and_then(|(_, r)| r.pointer("/content/application~1json/schema/$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(unescape);
        let paginated = crate::requests::is_link_paginated(&op);
        if let Some(set) = crate::headers::declared(&op, &id, body.as_deref(), paginated)? {
            out.entry(set.name).or_insert(set.doc);
        }
    }
    Ok(out)
}

/// Every `#/components/<section>/<name>` a value mentions: `$ref`s, and also discriminator
/// mappings and any other string in that form.
fn refs(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => {
            if let Some(rest) = s.strip_prefix("#/components/")
                && let Some((section, name)) = rest.split_once('/')
            {
                out.push((section.to_string(), unescape(name)));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        Value::Object(o) => o.values().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Undoes JSON-pointer escaping of one token (`~1` is `/`, `~0` is `~`).
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn env_var_names() {
        assert_eq!(feature_env_var("repos"), "CARGO_FEATURE_REPOS");
        assert_eq!(
            feature_env_var("inference-endpoints"),
            "CARGO_FEATURE_INFERENCE_ENDPOINTS"
        );
    }

    #[test]
    fn all_areas_on_is_all() {
        assert_eq!(Areas::from_enabled(|_| true), Areas::All);
        let none = Areas::from_enabled(|_| false);
        assert_eq!(none, Areas::Only(BTreeSet::new()));
        assert!(none.admits(&Gate::Always));
        assert!(!none.admits(&Gate::Any(["repos"].into())));
        let repos = Areas::from_enabled(|v| v == "CARGO_FEATURE_REPOS");
        assert!(repos.admits(&Gate::Any(["repos", "orgs"].into())));
        assert!(!repos.admits(&Gate::Any(["orgs"].into())));
    }

    #[test]
    fn drops_operations_and_what_only_they_reach() {
        let doc = json!({
            "paths": {
                "/a": {
                    "parameters": [{"$ref": "#/components/parameters/P"}],
                    "get": {"operationId": "a", "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}},
                    "post": {"operationId": "a2", "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Only~1Dropped"}}}}}}
                },
                "/b": {"get": {"operationId": "b", "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}}}}
            },
            "components": {
                "schemas": {
                    "A": {"oneOf": [{"$ref": "#/components/schemas/Shared"}], "discriminator": {"mapping": {"x": "#/components/schemas/Mapped"}}},
                    "B": {"properties": {"s": {"$ref": "#/components/schemas/Shared"}}},
                    "Only/Dropped": {},
                    "Shared": {},
                    "Mapped": {},
                    "Unused": {}
                },
                "parameters": {"P": {"name": "p", "in": "query", "schema": {"$ref": "#/components/schemas/Param"}}, "Q": {}},
                "securitySchemes": {"bearer": {"type": "http"}}
            }
        });
        let keep: BTreeSet<String> = ["a".to_string()].into();
        let out = restrict(&doc, &keep);
        assert!(out.pointer("/paths/a").is_none());
        assert!(out.pointer("/paths/~1a/get").is_some());
        assert!(out.pointer("/paths/~1a/post").is_none());
        assert!(out.pointer("/paths/~1b").is_none());
        let schemas: Vec<&String> = out["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(schemas, ["A", "Shared", "Mapped"]);
        let params: Vec<&String> = out["components"]["parameters"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(params, ["P"]);
        assert!(out.pointer("/components/securitySchemes/bearer").is_some());
    }
}
