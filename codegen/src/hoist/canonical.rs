//! The canonical text of a schema: what makes two places "the same shape" for hoisting.

use serde_json::Value;

/// Canonical text of a schema for comparison: keys sorted, documentation dropped. The text is
/// the compact JSON of that stripped schema (the census parses it back), written in one pass
/// without building the stripped copy.
pub(super) fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(o) => {
            let mut entries: Vec<(&String, &Value)> = o
                .iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "description" | "title" | "example" | "x-hf-name"
                    )
                })
                .collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, x)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                match x {
                    // Property maps keep their names; everything else recurses too. Enum
                    // values are a set: their order does not make another shape.
                    Value::Array(values) if k == "enum" => {
                        let mut texts: Vec<String> = values.iter().map(canonical).collect();
                        texts.sort();
                        out.push('[');
                        out.push_str(&texts.join(","));
                        out.push(']');
                    }
                    _ => write_canonical(x, out),
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;
    use serde_json::{Value, json};

    #[test]
    fn keys_sorted_docs_dropped_enum_values_a_set_and_the_text_parses_back() {
        let a = json!({
            "type": "object",
            "description": "dropped",
            "properties": {
                "b": {"type": "string", "enum": ["z", "a"], "title": "dropped"},
                "a": {"type": "integer", "example": 3, "x-hf-name": "Dropped"}
            }
        });
        let b = json!({
            "properties": {
                "a": {"type": "integer"},
                "b": {"enum": ["a", "z"], "type": "string"}
            },
            "type": "object"
        });
        let text = canonical(&a);
        assert_eq!(text, canonical(&b));
        assert_eq!(
            text,
            r#"{"properties":{"a":{"type":"integer"},"b":{"enum":["a","z"],"type":"string"}},"type":"object"}"#
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, b);
        assert_ne!(
            canonical(&json!({"type": "string"})),
            canonical(&json!({"type": "number"}))
        );
    }
}
