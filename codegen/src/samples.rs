//! Sample values for every operation's arguments, built from their schemas, so one test can
//! call every generated method (see `exercise_operation` in the generated code).

use serde_json::{Map, Value, json};

/// Strings tried, in order, against a `pattern`.
const PATTERN_CANDIDATES: &[&str] = &[
    "abc",
    "abc123",
    "0123456789abcdef01234567",
    "0123456789abcdef0123456789abcdef01234567",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "2024-01-02T03:04:05.000Z",
    "2024-02-29",
    "someone@example.com",
    "/abc",
    "models/abc",
    "@daily",
    "hf_abc",
    "2024-W01",
    "2024-01",
    "2401.12345",
    "abc-def",
    "a",
];

/// A value valid for `schema` (resolving `$ref`s in `components`), or `None` when none of
/// our candidates fits (the caller skips the operation, saying why).
pub fn sample(schema: &Value, doc: &Value, depth: usize) -> Option<Value> {
    if depth > 12 {
        return Some(Value::Null);
    }
    let o = schema.as_object()?;
    if let Some(r) = o.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/")?;
        let target = doc.pointer(&format!("/components/schemas/{name}"))?;
        return sample(target, doc, depth + 1);
    }
    if let Some(values) = o.get("enum").and_then(Value::as_array) {
        return values.first().cloned();
    }
    if let Some(d) = o.get("default")
        && !d.is_null()
    {
        return Some(d.clone());
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(members) = o.get(key).and_then(Value::as_array) {
            return members.iter().find_map(|m| sample(m, doc, depth + 1));
        }
    }
    if let Some(members) = o.get("allOf").and_then(Value::as_array) {
        let mut out = Map::new();
        for m in members {
            match sample(m, doc, depth + 1)? {
                Value::Object(x) => out.extend(x),
                other if members.len() == 1 => return Some(other),
                _ => return None,
            }
        }
        return Some(Value::Object(out));
    }
    match o.get("type").and_then(Value::as_str) {
        Some("object") | None if o.contains_key("properties") => {
            let mut out = Map::new();
            let required: Vec<&str> = o
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if let Some(props) = o.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    if required.contains(&k.as_str()) {
                        out.insert(k.clone(), sample(v, doc, depth + 1)?);
                    }
                }
            }
            Some(Value::Object(out))
        }
        Some("object") => Some(json!({})),
        Some("array") => {
            let n = o.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = if n > 0 {
                sample(o.get("items")?, doc, depth + 1)?
            } else {
                Value::Null
            };
            Some(Value::Array(vec![item; n as usize]))
        }
        Some("string") => string_sample(o),
        Some("integer") => {
            let min = o.get("minimum").and_then(Value::as_i64).unwrap_or(1);
            Some(json!(min.max(1).min(
                o.get("maximum").and_then(Value::as_i64).unwrap_or(i64::MAX)
            )))
        }
        Some("number") => Some(json!(
            o.get("minimum")
                .and_then(Value::as_f64)
                .unwrap_or(1.0)
                .max(1.0)
        )),
        Some("boolean") => Some(json!(true)),
        _ => Some(Value::Null),
    }
}

fn string_sample(o: &Map<String, Value>) -> Option<Value> {
    let min = o.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = o
        .get("maxLength")
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX) as usize;
    let fits = |s: &str| s.chars().count() >= min && s.chars().count() <= max;
    if o.get("format").and_then(Value::as_str) == Some("date-time") && o.get("pattern").is_none() {
        return Some(json!("2024-01-02T03:04:05Z"));
    }
    match o.get("pattern").and_then(Value::as_str) {
        Some(p) => {
            let re = regress::Regex::new(p).ok()?;
            PATTERN_CANDIDATES
                .iter()
                .find(|c| fits(c) && re.find(c).is_some())
                .map(|c| json!(c))
        }
        None => {
            let s = "abc".repeat(min.div_ceil(3).max(1));
            let s: String = s.chars().take(max.min(s.len()).max(min)).collect();
            Some(json!(s))
        }
    }
}
