//! Hoisting identical inline schemas into shared named components.
//!
//! Upstream writes every schema inline: the same author object appears ~90 times, and
//! typify would make a Rust type of each copy (3,150 types, 172k lines, a 90 s build).
//! Every object or enum shape used twice or more becomes one component, referenced by
//! `$ref`. Its name comes from where it is used (the property or operation naming it most
//! often), with an override table for the important shapes, so names stay stable. A shape
//! the document names itself with `x-hf-name` (our overlay's `ModelInfo`, …) is hoisted under
//! that name even when used once.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::Result;
use crate::normalise::each_operation;

/// Names for important shapes, keyed by the sorted property names of the object.
/// Enums are keyed by `enum:` and their sorted values.
const NAME_OVERRIDES: &[(&str, &str)] = &[
    (
        "avatarUrl,fullname,isHf,isHfAdmin,isMod,isPro,name,type",
        "Author",
    ),
    ("enum:datasets,models,spaces", "RepoTypeSegment"),
    ("enum:datasets,models", "GatedRepoTypeSegment"),
    ("enum:datasets,kernels,models,spaces", "AnyRepoTypeSegment"),
    ("enum:auto,manual", "GatingMode"),
    ("enum:directory,file,unknown", "TreeEntryType"),
    ("enum:directory,file", "PathInfoType"),
];

/// Canonical text of a schema for comparison: keys sorted, documentation dropped.
fn canonical(v: &Value) -> String {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                let mut sorted: BTreeMap<&String, Value> = BTreeMap::new();
                for (k, x) in o {
                    if matches!(
                        k.as_str(),
                        "description" | "title" | "example" | "x-hf-name"
                    ) {
                        continue;
                    }
                    // Property maps keep their names; everything else recurses too. Enum
                    // values are a set: their order does not make another shape.
                    let mut x = strip(x);
                    if k == "enum"
                        && let Some(values) = x.as_array_mut()
                    {
                        values.sort_by_key(|v| v.to_string());
                    }
                    sorted.insert(k, x);
                }
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    strip(v).to_string()
}

fn is_candidate(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    if o.contains_key("$ref") {
        return false;
    }
    let object = o
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    let enumeration = o
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty());
    object || enumeration
}

pub(crate) fn pascal(s: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if up {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            up = false;
        } else {
            up = true;
        }
    }
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

fn singular_hint(s: &str) -> String {
    if let Some(x) = s.strip_suffix("ies") {
        format!("{x}y")
    } else if s.ends_with('s') && !s.ends_with("ss") && s.len() > 1 {
        s[..s.len() - 1].to_string()
    } else {
        format!("{s}Item")
    }
}

/// Children of a schema with the hint each should be named by.
fn children_mut<'a>(v: &'a mut Value, hint: &str) -> Vec<(&'a mut Value, String)> {
    let mut out = Vec::new();
    let Some(o) = v.as_object_mut() else {
        return out;
    };
    for (k, child) in o.iter_mut() {
        match k.as_str() {
            "properties" => {
                if let Some(p) = child.as_object_mut() {
                    for (name, s) in p.iter_mut() {
                        out.push((s, pascal(name)));
                    }
                }
            }
            "items" => out.push((child, singular_hint(hint))),
            "additionalProperties" if child.is_object() => {
                out.push((child, format!("{hint}Value")));
            }
            "anyOf" | "oneOf" | "allOf" => {
                if let Some(a) = child.as_array_mut() {
                    for s in a.iter_mut() {
                        out.push((s, hint.to_string()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[derive(Default)]
struct Census {
    count: BTreeMap<String, usize>,
    hints: BTreeMap<String, BTreeMap<String, usize>>,
    /// Names the document itself gives a shape (`x-hf-name`, used by our overlay).
    named: BTreeMap<String, String>,
}

fn census(v: &mut Value, hint: &str, c: &mut Census) {
    if is_candidate(v) {
        let key = canonical(v);
        *c.count.entry(key.clone()).or_default() += 1;
        if let Some(n) = v.get("x-hf-name").and_then(Value::as_str) {
            c.named.insert(key.clone(), n.to_string());
        }
        *c.hints
            .entry(key)
            .or_default()
            .entry(hint.to_string())
            .or_default() += 1;
    }
    for (child, h) in children_mut(v, hint) {
        census(child, &h, c);
    }
}

fn replace(
    v: &mut Value,
    hint: &str,
    names: &BTreeMap<String, String>,
    components: &mut Map<String, Value>,
) {
    if is_candidate(v) {
        let key = canonical(v);
        if let Some(name) = names.get(&key) {
            let mut body = v.take();
            if !components.contains_key(name) {
                // Reserve the name first: a shape may contain itself only through a ref.
                components.insert(name.clone(), Value::Null);
                for (child, h) in children_mut(&mut body, name) {
                    replace(child, &h, names, components);
                }
                components.insert(name.clone(), body);
            }
            *v = json!({"$ref": format!("#/components/schemas/{name}")});
            return;
        }
    }
    for (child, h) in children_mut(v, hint) {
        replace(child, &h, names, components);
    }
}

/// Roots of every operation's schemas, with their naming hints.
fn operation_roots(doc: &mut Value, f: &mut dyn FnMut(&mut Value, String)) -> Result<()> {
    each_operation(doc, &mut |_, _, op, _| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(pascal)
            .unwrap_or_default();
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for p in params.iter_mut() {
                let pname = p
                    .get("name")
                    .and_then(Value::as_str)
                    .map(pascal)
                    .unwrap_or_default();
                if let Some(s) = p.get_mut("schema") {
                    f(s, pname);
                }
            }
        }
        if let Some(content) = op
            .pointer_mut("/requestBody/content")
            .and_then(Value::as_object_mut)
        {
            for mt in content.values_mut() {
                if let Some(s) = mt.get_mut("schema") {
                    f(s, format!("{id}Body"));
                }
            }
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for r in responses.values_mut() {
                if let Some(content) = r.get_mut("content").and_then(Value::as_object_mut) {
                    for mt in content.values_mut() {
                        if let Some(s) = mt.get_mut("schema") {
                            f(s, format!("{id}Response"));
                        }
                    }
                }
            }
        }
        Ok(())
    })
}

/// The step: hoists every shape used at least twice. Returns how many shapes were hoisted.
pub fn hoist_shared_schemas(doc: &mut Value) -> Result<usize> {
    let mut c = Census::default();
    operation_roots(doc, &mut |s, hint| census(s, &hint, &mut c))?;
    let existing: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let overrides: BTreeMap<&str, &str> = NAME_OVERRIDES.iter().copied().collect();

    // Shapes to hoist, most used first (ties by key) so the best-known shape gets the plain name.
    let mut shared: Vec<(&String, usize)> = c
        .count
        .iter()
        .filter(|(k, n)| **n >= 2 || c.named.contains_key(*k))
        .map(|(k, n)| (k, *n))
        .collect();
    shared.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut taken = existing.clone();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (key, _) in shared {
        let value: Value = serde_json::from_str(key).unwrap_or(Value::Null);
        let prop_sig = value
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect::<Vec<_>>().join(","))
            .or_else(|| {
                let mut vals: Vec<String> = value
                    .get("enum")?
                    .as_array()?
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect();
                vals.sort();
                Some(format!("enum:{}", vals.join(",")))
            });
        let mut base = c
            .named
            .get(key)
            .cloned()
            .or_else(|| {
                prop_sig
                    .as_deref()
                    .and_then(|s| overrides.get(s))
                    .map(|s| s.to_string())
            })
            .unwrap_or_else(|| {
                let hints = &c.hints[key];
                let best = hints
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(h, _)| h.clone())
                    .unwrap_or_else(|| "Shape".into());
                if best.is_empty() {
                    "Shape".into()
                } else {
                    best
                }
            });
        if value.get("nullable") == Some(&json!(true)) {
            base = format!("Nullable{base}");
        }
        let mut name = base.clone();
        let mut i = 2;
        while taken.contains(&name) {
            name = format!("{base}{i}");
            i += 1;
        }
        taken.insert(name.clone());
        names.insert(key.clone(), name);
    }
    let mut components = Map::new();
    operation_roots(doc, &mut |s, hint| {
        replace(s, &hint, &names, &mut components)
    })?;
    let n = components.len();
    let schemas = doc
        .as_object_mut()
        .map(|o| o.entry("components").or_insert_with(|| json!({})))
        .and_then(|c| c.as_object_mut())
        .map(|c| c.entry("schemas").or_insert_with(|| json!({})));
    if let Some(Value::Object(schemas)) = schemas {
        for (k, v) in components {
            schemas.insert(k, v);
        }
        schemas.sort_keys();
    }
    Ok(n)
}
