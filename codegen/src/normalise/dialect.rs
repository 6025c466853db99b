//! Steps from OpenAPI 3.1 to the 3.0 form progenitor reads: the version, JSON Schema
//! keywords 3.0 lacks (`const`, `prefixItems`, `type: null`, numeric exclusive bounds), and a
//! check that no keyword we do not know slips through.

use super::*;

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
pub(super) const KNOWN_KEYWORDS: &[&str] = &[
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
pub(super) fn is_null_schema(v: &Value) -> bool {
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
