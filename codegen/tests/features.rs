//! Cargo features per API area: operations take their area from their tags, types are compiled
//! with every area that reaches them, the facade's operations always.

use hf_hub_api_codegen::features::{self, FACADE_OPERATIONS, Gate};
use serde_json::{Value, json};

fn op(tag: &str, answer: &str) -> Value {
    json!({
        "summary": "x",
        "tags": [tag],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": format!("#/components/schemas/{answer}")}
        }}}}
    })
}

/// Two areas share `Owner` through their answers; `Space` is the spaces area's own.
fn doc() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/api/things": {"get": op("models", "Thing")},
            "/api/spaces-things": {"get": op("spaces", "Space")},
        },
        "components": {"schemas": {
            "Owner": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
            "Thing": {"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Owner"}}, "required": ["owner"]},
            "Space": {"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Owner"}, "sdk": {"type": "string"}}, "required": ["owner", "sdk"]},
        }}
    })
}

/// The lines of `code` from the item whose declaration contains `needle`, with the attributes
/// just above it.
fn attrs_before(code: &str, needle: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the generated code"));
    let mut start = at;
    while start > 0 && lines[start - 1].trim_start().starts_with("#[") {
        start -= 1;
    }
    lines[start..at].join("\n")
}

#[test]
fn operations_types_and_builders_are_gated_by_area() {
    let mut d = doc();
    for (path, _) in d["paths"].clone().as_object().unwrap() {
        let p = path
            .trim_start_matches("/api/")
            .replace(['/', '{', '}', '-'], "");
        d["paths"][path]["get"]["operationId"] = json!(format!("get_{p}"));
    }
    let out = hf_hub_api_codegen::build(d, None).unwrap();
    let gates = &out.gates;
    assert_eq!(gates.len(), 2);
    assert!(gates.values().any(|g| *g == Gate::Any(["repos"].into())));
    assert!(gates.values().any(|g| *g == Gate::Any(["spaces"].into())));
    let code = &out.code;
    // Each area's answer type is its own; the shared one comes with either.
    assert!(attrs_before(code, "pub struct Thing ").contains(r#"#[cfg(feature = "repos")]"#));
    assert!(attrs_before(code, "pub struct Space ").contains(r#"#[cfg(feature = "spaces")]"#));
    assert!(
        attrs_before(code, "pub struct Owner ")
            .contains(r#"#[cfg(any(feature = "repos", feature = "spaces"))]"#),
        "{}",
        attrs_before(code, "pub struct Owner ")
    );
    // The Hub method and the request builder follow their operation.
    let builder = code
        .lines()
        .find(|l| l.contains("pub struct Get") && l.contains("Request"))
        .expect("a request builder");
    let name = builder
        .trim()
        .trim_start_matches("pub struct ")
        .trim_end_matches(" {");
    let gate = attrs_before(code, &format!("pub struct {name} "));
    assert!(gate.contains("#[cfg(feature = "), "{name}: {gate}");
}

#[test]
fn a_tag_without_an_area_fails_naming_it() {
    let mut d = doc();
    d["paths"]["/api/things"]["get"]["tags"] = json!(["brand-new-area"]);
    let err = match hf_hub_api_codegen::build(d, None) {
        Ok(_) => panic!("an unknown tag must fail the build"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("brand-new-area"), "{err}");
    let mut d = doc();
    d["paths"]["/api/things"]["get"]
        .as_object_mut()
        .unwrap()
        .remove("tags");
    let err = match hf_hub_api_codegen::build(d, None) {
        Ok(_) => panic!("an untagged operation must fail the build"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("no tag"), "{err}");
}

#[test]
fn every_area_tag_is_claimed_once() {
    let mut seen = std::collections::BTreeSet::new();
    for a in features::AREAS {
        for t in a.tags {
            assert!(seen.insert(*t), "tag `{t}` in two areas");
        }
    }
}

#[test]
fn the_vendored_document_has_every_facade_operation_always_compiled() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = hf_hub_api_codegen::build_from_files(
        &root.join("spec/hub-openapi.json"),
        Some(&root.join("spec/overlay.json")),
    )
    .unwrap();
    for (name, why) in FACADE_OPERATIONS {
        assert_eq!(out.gates.get(*name), Some(&Gate::Always), "{name} ({why})");
    }
    // Every other operation has an area, and every area has operations.
    for a in features::AREAS {
        assert!(
            out.gates
                .values()
                .any(|g| matches!(g, Gate::Any(f) if f.contains(a.feature))),
            "area `{}` binds nothing",
            a.feature
        );
    }
    // The Cargo.toml section is what the areas say (spec check verifies the file).
    let cargo = features::cargo_features();
    assert!(cargo.starts_with("default = [\"repos\""), "{cargo}");
    assert!(cargo.contains("full = ["));
}
