//! A normaliser step that changes nothing, or a naming override that names nothing, fails the
//! build of the Hub's document, naming it.

use hf_hub_api_codegen::normalise::{self, Report};
use serde_json::json;

#[test]
fn idle_steps_and_unused_overrides_are_named() {
    let doc = json!({"openapi": "3.0.3", "paths": {}, "components": {"schemas": {}}});
    let report = Report {
        steps: vec![
            ("const_to_enum", 0),
            ("reject_unknown_keywords", 0),
            ("null_type_to_nullable", 3),
        ],
    };
    let err = normalise::every_fix_applies(&doc, &report)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("step `const_to_enum` changed nothing"),
        "{err}"
    );
    // A check step changes nothing by design.
    assert!(!err.contains("reject_unknown_keywords"), "{err}");
    assert!(!err.contains("null_type_to_nullable"), "{err}");
    // Nothing in this document is named by the overrides.
    assert!(
        err.contains("-> `get_collection` names no operation"),
        "{err}"
    );
    assert!(err.contains("-> `GatingMode` names no type"), "{err}");
}

#[test]
fn the_hubs_document_uses_every_fix() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = hf_hub_api_codegen::build_from_files(
        std::path::Path::new(&format!("{root}/spec/hub-openapi.json")),
        Some(std::path::Path::new(&format!("{root}/spec/overlay.json"))),
    );
    assert!(
        out.is_ok(),
        "{}",
        out.err().map(|e| e.to_string()).unwrap_or_default()
    );
}
