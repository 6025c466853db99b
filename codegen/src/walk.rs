//! Visiting every schema of an OpenAPI document.

use serde_json::Value;

use crate::Result;

/// Where a schema sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A parameter's schema.
    Parameter,
    /// A request body.
    Request,
    /// A response body or header.
    Response,
    /// `components.schemas`.
    Component,
}

/// The strings of a JSON array (`required`, `enum`), or none when it is not one.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Escapes one JSON-pointer token.
pub fn esc(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The HTTP methods an OpenAPI path item may hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Calls `f` on every schema in the document, children before parents.
pub fn each_schema(
    doc: &mut Value,
    f: &mut dyn FnMut(&mut Value, &str, Place) -> Result<()>,
) -> Result<()> {
    each_operation(doc, &mut |_, _, op, base| {
        each_operation_schema(op, base, f)
    })?;
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, s) in schemas.iter_mut() {
            let ptr = format!("/components/schemas/{}", esc(name));
            walk_schema(s, &ptr, Place::Component, f)?;
        }
    }
    Ok(())
}

/// Calls `f` on every schema of one operation.
pub fn each_operation_schema(
    op: &mut Value,
    base: &str,
    f: &mut dyn FnMut(&mut Value, &str, Place) -> Result<()>,
) -> Result<()> {
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for (i, p) in params.iter_mut().enumerate() {
            if let Some(s) = p.get_mut("schema") {
                walk_schema(
                    s,
                    &format!("{base}/parameters/{i}/schema"),
                    Place::Parameter,
                    f,
                )?;
            }
        }
    }
    if let Some(content) = op.pointer_mut("/requestBody/content") {
        walk_entry_schemas(
            content,
            &format!("{base}/requestBody/content"),
            Place::Request,
            f,
        )?;
    }
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        for (code, r) in responses.iter_mut() {
            for part in ["content", "headers"] {
                if let Some(entries) = r.get_mut(part) {
                    let ptr = format!("{base}/responses/{code}/{part}");
                    walk_entry_schemas(entries, &ptr, Place::Response, f)?;
                }
            }
        }
    }
    Ok(())
}

/// Walks the `schema` of every entry of the map `entries` at `ptr` (the media types of a
/// body, the headers of an answer): `{ptr}/{entry}/schema`.
fn walk_entry_schemas(
    entries: &mut Value,
    ptr: &str,
    place: Place,
    f: &mut dyn FnMut(&mut Value, &str, Place) -> Result<()>,
) -> Result<()> {
    if let Some(entries) = entries.as_object_mut() {
        for (name, entry) in entries.iter_mut() {
            if let Some(s) = entry.get_mut("schema") {
                walk_schema(s, &format!("{ptr}/{}/schema", esc(name)), place, f)?;
            }
        }
    }
    Ok(())
}

/// Walks one schema tree, children first.
pub fn walk_schema(
    s: &mut Value,
    ptr: &str,
    place: Place,
    f: &mut dyn FnMut(&mut Value, &str, Place) -> Result<()>,
) -> Result<()> {
    // One pointer buffer for the whole tree, grown and cut back around each child: the walk
    // runs over the whole document in every step, in an unoptimised build script.
    let mut buf = String::from(ptr);
    walk_in(s, &mut buf, place, f)
}

/// The keywords whose values hold subschemas, in the order the walk visits them: maps of
/// schemas, single schemas, arrays of schemas.
const CHILD_KEYS: [&str; 11] = [
    "properties",
    "patternProperties",
    "$defs",
    "items",
    "additionalProperties",
    "not",
    "propertyNames",
    "anyOf",
    "oneOf",
    "allOf",
    "prefixItems",
];

fn walk_in(
    s: &mut Value,
    ptr: &mut String,
    place: Place,
    f: &mut dyn FnMut(&mut Value, &str, Place) -> Result<()>,
) -> Result<()> {
    if let Some(obj) = s.as_object_mut() {
        // One pass over the object's keys (not a lookup per keyword), visited in CHILD_KEYS order.
        let mut slots: [Option<&mut Value>; 11] = Default::default();
        for (k, v) in obj.iter_mut() {
            if let Some(i) = CHILD_KEYS.iter().position(|c| c == k) {
                slots[i] = Some(v);
            }
        }
        let len = ptr.len();
        for (i, slot) in slots.into_iter().enumerate() {
            let Some(child) = slot else { continue };
            let key = CHILD_KEYS[i];
            match (i, child) {
                (0..=2, Value::Object(props)) => {
                    for (name, p) in props.iter_mut() {
                        ptr.push('/');
                        ptr.push_str(key);
                        ptr.push('/');
                        push_escaped(ptr, name);
                        walk_in(p, ptr, place, f)?;
                        ptr.truncate(len);
                    }
                }
                (3..=6, child @ Value::Object(_)) => {
                    ptr.push('/');
                    ptr.push_str(key);
                    walk_in(child, ptr, place, f)?;
                    ptr.truncate(len);
                }
                (7.., Value::Array(arr)) => {
                    for (n, child) in arr.iter_mut().enumerate() {
                        use std::fmt::Write as _;
                        let _ = write!(ptr, "/{key}/{n}");
                        walk_in(child, ptr, place, f)?;
                        ptr.truncate(len);
                    }
                }
                _ => {}
            }
        }
    }
    f(s, ptr, place)
}

/// [`esc`] onto the end of `out`.
fn push_escaped(out: &mut String, token: &str) {
    if token.contains(['~', '/']) {
        out.push_str(&esc(token));
    } else {
        out.push_str(token);
    }
}

/// Calls `f` on every operation: `(path, method, operation, pointer)`.
pub(crate) fn each_operation(
    doc: &mut Value,
    f: &mut dyn FnMut(&str, &str, &mut Value, &str) -> Result<()>,
) -> Result<()> {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if METHODS.contains(&method.as_str()) {
                    let ptr = format!("/paths/{}/{}", esc(path), method);
                    f(path, method, op, &ptr)?;
                }
            }
        }
    }
    Ok(())
}

/// Every operation of the document, read-only: `(path, method, operation)`.
pub(crate) fn operations(doc: &Value) -> impl Iterator<Item = (&String, &String, &Value)> {
    doc.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .filter(|(method, _)| METHODS.contains(&method.as_str()))
                .map(move |(method, op)| (path, method, op))
        })
}

/// Puts `merged` at `template` under `method`, taking the operation off each path of
/// `originals` it merges (a merge of copies into one operation).
pub(crate) fn replace_with_merged(
    paths: &mut serde_json::Map<String, Value>,
    originals: &[String],
    template: &str,
    method: &str,
    merged: Value,
) {
    for p in originals {
        if let Some(item) = paths.get_mut(p).and_then(Value::as_object_mut) {
            item.remove(method);
        }
    }
    let item = paths
        .entry(template.to_string())
        .or_insert_with(|| serde_json::json!({}));
    item[method] = merged;
}

/// Drops the path items left without any operation (after operations moved to a merged path).
pub(crate) fn drop_empty_path_items(paths: &mut serde_json::Map<String, Value>) {
    paths.retain(|_, item| {
        item.as_object()
            .is_some_and(|o| o.keys().any(|k| METHODS.contains(&k.as_str())))
    });
}
