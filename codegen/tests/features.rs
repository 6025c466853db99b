//! Cargo features per API area: operations take their area from their tags; a build of some
//! areas generates their operations and every type they reach, the facade's operations always.

use hf_hub_api_codegen::Areas;
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

/// The names of the structs a generated file declares.
fn structs(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| l.trim_start().strip_prefix("pub struct "))
        .filter_map(|rest| rest.split([' ', '<', '(', ';']).next())
        .map(String::from)
        .collect()
}

/// The `Hub` methods a generated file declares (with their doc lines above).
fn hub_method(code: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = code.lines().collect();
    let at = lines.iter().position(|l| {
        l.trim_start().starts_with(&format!("pub fn {name}(")) && l.contains("-> crate::requests::")
    })?;
    let mut start = at;
    while start > 0 && lines[start - 1].trim_start().starts_with("///") {
        start -= 1;
    }
    Some(lines[start..=at].join("\n"))
}

#[test]
fn each_area_generates_its_operations_and_the_types_they_reach() {
    let mut d = doc();
    for (path, _) in d["paths"].clone().as_object().unwrap() {
        let p = path
            .trim_start_matches("/api/")
            .replace(['/', '{', '}', '-'], "");
        d["paths"][path]["get"]["operationId"] = json!(format!("get_{p}"));
    }
    let out = hf_hub_api_codegen::build(d.clone(), None).unwrap();
    let gates = &out.gates;
    assert_eq!(gates.len(), 2);
    assert_eq!(gates["get_things"], Gate::Any(["repos"].into()));
    assert_eq!(gates["get_spacesthings"], Gate::Any(["spaces"].into()));
    // Every area: everything, no `cfg` left to the compiler, each method saying its feature.
    let all = structs(&out.code);
    for t in ["Thing", "Space", "Owner"] {
        assert!(all.iter().any(|s| s == t), "{t} in {all:?}");
    }
    assert!(!out.code.contains("#[cfg(feature"), "no cfg gates");
    let m = hub_method(&out.code, "get_things").expect("get_things");
    assert!(m.contains("Cargo feature: `repos`."), "{m}");
    // One area: its operation, its own answer type and the shared one; the other's not.
    let only = |f: &'static str| {
        hf_hub_api_codegen::build_areas(d.clone(), None, &Areas::Only([f].into()))
            .unwrap()
            .code
    };
    let repos = only("repos");
    let types = structs(&repos);
    assert!(types.iter().any(|s| s == "Thing") && types.iter().any(|s| s == "Owner"));
    assert!(!types.iter().any(|s| s == "Space"), "{types:?}");
    assert!(hub_method(&repos, "get_things").is_some());
    assert!(hub_method(&repos, "get_spacesthings").is_none());
    assert!(
        !types.iter().any(|s| s == "GetSpacesthingsRequest"),
        "{types:?}"
    );
    let spaces = only("spaces");
    let types = structs(&spaces);
    assert!(types.iter().any(|s| s == "Space") && types.iter().any(|s| s == "Owner"));
    assert!(!types.iter().any(|s| s == "Thing"), "{types:?}");
    // No area: neither operation (the facade's would stay; this document has none).
    let none = hf_hub_api_codegen::build_areas(d, None, &Areas::Only(Default::default()))
        .unwrap()
        .code;
    assert!(
        hub_method(&none, "get_things").is_none()
            && hub_method(&none, "get_spacesthings").is_none()
    );
    assert!(
        structs(&none)
            .iter()
            .all(|s| !["Thing", "Space", "Owner"].contains(&s.as_str()))
    );
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
