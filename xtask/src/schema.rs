//! Comparing two versions of one operation: parameters, request body, responses, schemas.
//! Every function returns short human-readable lines (counts and names).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// How many names a list shows before it says how many more there are.
const LIST_MAX: usize = 12;

/// `a, b, c` with at most twelve names, then how many more there are.
pub fn list<S: AsRef<str>>(names: &[S]) -> String {
    let mut out: Vec<String> = names
        .iter()
        .take(LIST_MAX)
        .map(|s| format!("`{}`", s.as_ref()))
        .collect();
    if names.len() > LIST_MAX {
        out.push(format!("… (+{} more)", names.len() - LIST_MAX));
    }
    out.join(", ")
}

/// Every name, backquoted, comma-separated (no truncation: for lists a reader acts on).
pub fn list_all<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Follows a local `$ref` (`#/...`) in `doc`, a few hops at most.
pub fn resolve<'a>(mut v: &'a Value, doc: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with('#') => match doc.pointer(&r[1..]) {
                Some(t) => v = t,
                None => return v,
            },
            _ => return v,
        }
    }
    v
}

fn is_null_schema(s: &Value) -> bool {
    s.get("type").and_then(Value::as_str) == Some("null")
}

/// The schema with `$ref`s followed and a `null` alternative (`anyOf`/`oneOf`) removed;
/// the flag says whether it was nullable.
fn unwrap<'a>(s: &'a Value, doc: &'a Value) -> (&'a Value, bool) {
    let s = resolve(s, doc);
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = s.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = members.iter().filter(|m| !is_null_schema(m)).collect();
            if non_null.len() == 1 && members.len() == 2 && s.get("properties").is_none() {
                return (resolve(non_null[0], doc), true);
            }
        }
    }
    (s, false)
}

/// A short label for a schema's type: `string`, `array<object>`, `anyOf[string|integer]`,
/// `integer|null`.
pub fn type_label(s: &Value, doc: &Value) -> String {
    label_depth(s, doc, 0)
}

fn label_depth(s: &Value, doc: &Value, depth: usize) -> String {
    let (s, nullable) = unwrap(s, doc);
    let mut label = match s.get("type") {
        Some(Value::String(t)) if t == "array" => match s.get("items") {
            Some(items) if depth < 2 => format!("array<{}>", label_depth(items, doc, depth + 1)),
            _ => "array".to_string(),
        },
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("|"),
        _ => {
            if let Some((key, members)) = ["anyOf", "oneOf", "allOf"]
                .iter()
                .find_map(|k| s.get(*k).and_then(Value::as_array).map(|m| (*k, m)))
            {
                if depth < 2 {
                    let labels: Vec<String> = members
                        .iter()
                        .map(|m| label_depth(m, doc, depth + 1))
                        .collect();
                    format!("{key}[{}]", labels.join("|"))
                } else {
                    key.to_string()
                }
            } else if s.get("properties").is_some() {
                "object".to_string()
            } else if s.get("const").is_some() {
                "const".to_string()
            } else if s.get("enum").is_some() {
                "enum".to_string()
            } else {
                "any".to_string()
            }
        }
    };
    if nullable {
        label.push_str("|null");
    }
    label
}

/// The properties (and required names) of an object schema; of its items for an array;
/// the union over the members of `anyOf`/`oneOf`/`allOf`.
fn properties<'a>(
    s: &'a Value,
    doc: &'a Value,
) -> Option<(BTreeMap<String, &'a Value>, BTreeSet<String>)> {
    let (s, _) = unwrap(s, doc);
    if s.get("type").and_then(Value::as_str) == Some("array") {
        return s.get("items").and_then(|i| properties(i, doc));
    }
    let mut props = BTreeMap::new();
    let mut required = BTreeSet::new();
    let mut found = false;
    if let Some(p) = s.get("properties").and_then(Value::as_object) {
        found = true;
        for (k, v) in p {
            props.insert(k.clone(), v);
        }
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = r.as_str() {
                required.insert(r.to_string());
            }
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for m in s.get(key).and_then(Value::as_array).into_iter().flatten() {
            if let Some((p, r)) = properties(m, doc) {
                found = true;
                for (k, v) in p {
                    props.entry(k).or_insert(v);
                }
                if key == "allOf" {
                    required.extend(r);
                }
            }
        }
    }
    found.then_some((props, required))
}

fn enum_values(s: &Value, doc: &Value) -> Option<Vec<String>> {
    let (s, _) = unwrap(s, doc);
    let s = if s.get("type").and_then(Value::as_str) == Some("array") {
        s.get("items").map(|i| unwrap(i, doc).0).unwrap_or(s)
    } else {
        s
    };
    s.get("enum").and_then(Value::as_array).map(|vals| {
        vals.iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    })
}

#[derive(Default)]
struct SchemaDiff {
    added: Vec<String>,
    removed: Vec<String>,
    types: Vec<String>,
    now_required: Vec<String>,
    not_required: Vec<String>,
    enums: Vec<String>,
}

fn child_prefix(prefix: &str, name: &str, s: &Value, doc: &Value) -> String {
    let (s, _) = unwrap(s, doc);
    let arr = s.get("type").and_then(Value::as_str) == Some("array");
    format!("{prefix}{name}{}.", if arr { "[]" } else { "" })
}

fn diff_node(
    old: &Value,
    old_doc: &Value,
    new: &Value,
    new_doc: &Value,
    prefix: &str,
    depth: usize,
    out: &mut SchemaDiff,
) {
    let shown = if prefix.is_empty() {
        "(body)"
    } else {
        prefix.trim_end_matches('.')
    };
    let (a, b) = (type_label(old, old_doc), type_label(new, new_doc));
    if a != b {
        out.types.push(format!("`{shown}`: {a} → {b}"));
    }
    if let (Some(ea), Some(eb)) = (enum_values(old, old_doc), enum_values(new, new_doc)) {
        let plus: Vec<&String> = eb.iter().filter(|v| !ea.contains(v)).collect();
        let minus: Vec<&String> = ea.iter().filter(|v| !eb.contains(v)).collect();
        if !plus.is_empty() || !minus.is_empty() {
            let mut parts = Vec::new();
            if !plus.is_empty() {
                parts.push(format!("+{} ({})", plus.len(), list(&plus)));
            }
            if !minus.is_empty() {
                parts.push(format!("−{} ({})", minus.len(), list(&minus)));
            }
            out.enums.push(format!("`{shown}` {}", parts.join(", ")));
        }
    }
    let (Some((op, oreq)), Some((np, nreq))) = (properties(old, old_doc), properties(new, new_doc))
    else {
        return;
    };
    for k in np.keys().filter(|k| !op.contains_key(*k)) {
        out.added.push(format!("{prefix}{k}"));
    }
    for k in op.keys().filter(|k| !np.contains_key(*k)) {
        out.removed.push(format!("{prefix}{k}"));
    }
    for k in nreq.difference(&oreq).filter(|k| op.contains_key(*k)) {
        out.now_required.push(format!("{prefix}{k}"));
    }
    for k in oreq.difference(&nreq).filter(|k| np.contains_key(*k)) {
        out.not_required.push(format!("{prefix}{k}"));
    }
    for (k, ov) in &op {
        let Some(nv) = np.get(k) else { continue };
        if depth == 0 {
            let p = child_prefix(prefix, k, nv, new_doc);
            diff_node(ov, old_doc, nv, new_doc, &p, depth + 1, out);
        } else {
            let (a, b) = (type_label(ov, old_doc), type_label(nv, new_doc));
            if a != b {
                out.types.push(format!("`{prefix}{k}`: {a} → {b}"));
            }
        }
    }
}

/// The differences between two schemas: properties added and removed (top level and one
/// level deep), type changes, required changes, enum changes. Empty when none.
pub fn diff_schema(old: &Value, old_doc: &Value, new: &Value, new_doc: &Value) -> Vec<String> {
    let mut d = SchemaDiff::default();
    diff_node(old, old_doc, new, new_doc, "", 0, &mut d);
    d.added.sort();
    d.removed.sort();
    let mut out = Vec::new();
    if !d.added.is_empty() {
        out.push(format!(
            "+{}: {}",
            plural(d.added.len(), "property", "properties"),
            list(&d.added)
        ));
    }
    if !d.removed.is_empty() {
        out.push(format!(
            "−{}: {}",
            plural(d.removed.len(), "property", "properties"),
            list(&d.removed)
        ));
    }
    if !d.types.is_empty() {
        out.push(format!("type changes: {}", d.types.join("; ")));
    }
    if !d.now_required.is_empty() {
        out.push(format!("now required: {}", list(&d.now_required)));
    }
    if !d.not_required.is_empty() {
        out.push(format!("no longer required: {}", list(&d.not_required)));
    }
    if !d.enums.is_empty() {
        out.push(format!("enum values: {}", d.enums.join("; ")));
    }
    out
}

/// A parameter as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Param {
    location: String,
    required: bool,
    ty: String,
}

/// Parameters of an operation (path-item level ones included), by name.
fn parameters(item: &Value, op: &Value, doc: &Value) -> BTreeMap<String, Param> {
    let mut out = BTreeMap::new();
    let all = item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            op.get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    for p in all {
        let p = resolve(p, doc);
        let Some(name) = p.get("name").and_then(Value::as_str) else {
            continue;
        };
        let location = p
            .get("in")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let ty = p
            .get("schema")
            .map(|s| type_label(s, doc))
            .unwrap_or_else(|| "any".into());
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
        let key = if out.contains_key(name) {
            format!("{name} ({location})")
        } else {
            name.to_string()
        };
        out.insert(
            key,
            Param {
                location,
                required,
                ty,
            },
        );
    }
    out
}

fn req(b: bool) -> &'static str {
    if b { "required" } else { "optional" }
}

/// Parameter changes: `+ `x` (query, string, optional)`, `− `y` (path)`,
/// `~ `z`: integer → string, optional → required`. `ignore` names parameters to leave out.
pub fn diff_parameters(
    old: (&Value, &Value, &Value),
    new: (&Value, &Value, &Value),
    ignore: &[&str],
) -> Vec<String> {
    let a = parameters(old.0, old.1, old.2);
    let b = parameters(new.0, new.1, new.2);
    let mut out = Vec::new();
    for (k, p) in &b {
        if !a.contains_key(k) && !ignore.contains(&k.as_str()) {
            out.push(format!(
                "+ `{k}` ({}, {}, {})",
                p.location,
                p.ty,
                req(p.required)
            ));
        }
    }
    for (k, p) in &a {
        if !b.contains_key(k) && !ignore.contains(&k.as_str()) {
            out.push(format!("− `{k}` ({}, {})", p.location, p.ty));
        }
    }
    for (k, pa) in &a {
        let Some(pb) = b.get(k) else { continue };
        let mut what = Vec::new();
        if pa.location != pb.location {
            what.push(format!("in {} → {}", pa.location, pb.location));
        }
        if pa.ty != pb.ty {
            what.push(format!("{} → {}", pa.ty, pb.ty));
        }
        if pa.required != pb.required {
            what.push(format!("{} → {}", req(pa.required), req(pb.required)));
        }
        if !what.is_empty() {
            out.push(format!("~ `{k}`: {}", what.join(", ")));
        }
    }
    out
}

/// The schema to compare for a `content` map: JSON if present, else the first one.
fn main_content(content: &Value) -> Option<(&str, &Value)> {
    let map = content.as_object()?;
    let key = if map.contains_key("application/json") {
        "application/json"
    } else {
        map.keys().next()?
    };
    Some((key, &map[key]))
}

fn content_types(content: Option<&Value>) -> BTreeSet<String> {
    content
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn diff_content(
    label: &str,
    old: Option<&Value>,
    old_doc: &Value,
    new: Option<&Value>,
    new_doc: &Value,
    out: &mut Vec<String>,
) {
    let (ta, tb) = (content_types(old), content_types(new));
    let mut parts = Vec::new();
    let plus: Vec<&String> = tb.difference(&ta).collect();
    let minus: Vec<&String> = ta.difference(&tb).collect();
    if !plus.is_empty() {
        parts.push(format!("+content {}", list(&plus)));
    }
    if !minus.is_empty() {
        parts.push(format!("−content {}", list(&minus)));
    }
    if let (Some((ka, ca)), Some((kb, cb))) =
        (old.and_then(main_content), new.and_then(main_content))
        && ka == kb
    {
        let empty = Value::Null;
        let sa = ca.get("schema").unwrap_or(&empty);
        let sb = cb.get("schema").unwrap_or(&empty);
        parts.extend(diff_schema(sa, old_doc, sb, new_doc));
    }
    if !parts.is_empty() {
        out.push(format!("{label}: {}", parts.join("; ")));
    }
}

/// Request-body and response changes of one operation.
pub fn diff_bodies(
    old_op: &Value,
    old_doc: &Value,
    new_op: &Value,
    new_doc: &Value,
) -> Vec<String> {
    let mut out = Vec::new();
    let rb_a = old_op.get("requestBody").map(|b| resolve(b, old_doc));
    let rb_b = new_op.get("requestBody").map(|b| resolve(b, new_doc));
    match (rb_a, rb_b) {
        (None, Some(b)) => {
            let t = content_types(b.get("content"));
            out.push(format!(
                "request body added ({})",
                list(&t.into_iter().collect::<Vec<_>>())
            ));
        }
        (Some(_), None) => out.push("request body removed".to_string()),
        (Some(a), Some(b)) => {
            let ra = a.get("required").and_then(Value::as_bool).unwrap_or(false);
            let rb = b.get("required").and_then(Value::as_bool).unwrap_or(false);
            if ra != rb {
                out.push(format!("request body: {} → {}", req(ra), req(rb)));
            }
            diff_content(
                "request body",
                a.get("content"),
                old_doc,
                b.get("content"),
                new_doc,
                &mut out,
            );
        }
        (None, None) => {}
    }
    let empty = serde_json::Map::new();
    let resp_a = old_op
        .get("responses")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let resp_b = new_op
        .get("responses")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let plus: Vec<&String> = resp_b.keys().filter(|k| !resp_a.contains_key(*k)).collect();
    let minus: Vec<&String> = resp_a.keys().filter(|k| !resp_b.contains_key(*k)).collect();
    if !plus.is_empty() {
        out.push(format!("+responses {}", list(&plus)));
    }
    if !minus.is_empty() {
        out.push(format!("−responses {}", list(&minus)));
    }
    for (code, ra) in resp_a {
        let Some(rb) = resp_b.get(code) else { continue };
        let (ra, rb) = (resolve(ra, old_doc), resolve(rb, new_doc));
        diff_content(
            &format!("response {code}"),
            ra.get("content"),
            old_doc,
            rb.get("content"),
            new_doc,
            &mut out,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn labels() {
        let doc = json!({"components": {"schemas": {"R": {"type": "string"}}}});
        assert_eq!(
            type_label(
                &json!({"type": "array", "items": {"$ref": "#/components/schemas/R"}}),
                &doc
            ),
            "array<string>"
        );
        assert_eq!(
            type_label(
                &json!({"anyOf": [{"type": "integer"}, {"type": "null"}]}),
                &doc
            ),
            "integer|null"
        );
        assert_eq!(
            type_label(
                &json!({"anyOf": [{"type": "integer"}, {"type": "string"}]}),
                &doc
            ),
            "anyOf[integer|string]"
        );
        assert_eq!(type_label(&json!({"properties": {}}), &doc), "object");
        assert_eq!(type_label(&json!({}), &doc), "any");
    }

    #[test]
    fn schema_changes_one_level_deep() {
        let doc = json!({});
        let old = json!({"type": "object", "required": ["a"], "properties": {
            "a": {"type": "string"},
            "b": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "string"}}},
            "c": {"type": "string", "enum": ["p", "q"]},
            "gone": {"type": "boolean"}
        }});
        let new = json!({"type": "object", "required": ["b"], "properties": {
            "a": {"type": "integer"},
            "b": {"type": "object", "properties": {"x": {"type": "string"}, "z": {"type": "string"}}},
            "c": {"type": "string", "enum": ["p", "r"]},
            "fresh": {"type": "boolean"}
        }});
        let lines = diff_schema(&old, &doc, &new, &doc);
        assert_eq!(lines[0], "+2 properties: `b.z`, `fresh`");
        assert_eq!(lines[1], "−2 properties: `b.y`, `gone`");
        assert_eq!(
            lines[2],
            "type changes: `a`: string → integer; `b.x`: integer → string"
        );
        assert_eq!(lines[3], "now required: `b`");
        assert_eq!(lines[4], "no longer required: `a`");
        assert_eq!(lines[5], "enum values: `c` +1 (`r`), −1 (`q`)");
        assert!(diff_schema(&old, &doc, &old, &doc).is_empty());
    }

    #[test]
    fn long_lists_are_cut() {
        let names: Vec<String> = (0..15).map(|i| format!("n{i}")).collect();
        assert!(list(&names).ends_with("… (+3 more)"));
    }
}
