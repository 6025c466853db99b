//! Steps over unions: untyped members, scalar unions, enums whose values are no identifiers,
//! and `allOf` over `anyOf` distributed into whole kinds.

use super::*;

pub(super) fn has_type_info(v: &Value) -> bool {
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

pub(super) fn is_object_like(v: &Value) -> bool {
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
pub(super) fn merge_enum_members(members: Vec<Value>) -> Vec<Value> {
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
pub(super) fn identifier_friendly(v: &Value) -> bool {
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
pub(super) fn discriminate(members: &mut [Value]) -> bool {
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
pub(super) fn merge_all_fields(base: &Value, extra: &Value) -> Value {
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
