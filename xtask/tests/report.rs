//! The change report on the small fixture documents of `tests/fixtures/`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use xtask::pipeline;
use xtask::report::{Report, Side, compare};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn report(old: &str, new: &str) -> Report {
    let (a, b, ov) = (load(old), load(new), load("overlay.json"));
    let oa = pipeline::run(&a, Some(&ov), true);
    let ob = pipeline::run(&b, Some(&ov), true);
    compare(
        &Side {
            label: old,
            doc: &a,
            codegen: &oa,
        },
        &Side {
            label: new,
            doc: &b,
            codegen: &ob,
        },
        Some(&ov),
    )
}

fn ops(list: &[xtask::report::OpRef]) -> Vec<String> {
    list.iter()
        .map(|o| {
            format!(
                "{} {} {}",
                o.method,
                o.path,
                o.name.as_deref().unwrap_or("?")
            )
        })
        .collect()
}

#[test]
fn addition_and_removal() {
    let r = report("old.json", "new.json");
    assert_eq!(ops(&r.added), ["GET /api/sprockets list_sprockets"]);
    assert_eq!(ops(&r.removed), ["DELETE /api/gadgets/{id} delete_gadget"]);
    assert_eq!(r.counts, ((9, 9), (10, 10)));
}

#[test]
fn renames_are_matched_by_method_summary_and_parameters() {
    let r = report("old.json", "new.json");
    assert_eq!(r.renames.len(), 2);
    let moved = &r.renames[0];
    assert_eq!(moved.from.path, "/api/discussions/mark-as-read");
    assert_eq!(
        moved.from.name.as_deref(),
        Some("create_discussions_mark_as_read")
    );
    assert_eq!(
        ops(&moved.to),
        ["POST /api/notifications/mark-as-read mark_notifications_as_read"]
    );
    assert!(!moved.per_type);
    assert!(moved.changes.is_empty());
    let split = &r.renames[1];
    assert_eq!(
        split.from.path,
        "/api/{repoType}/{namespace}/{repo}/xet-token"
    );
    assert!(split.per_type);
    assert_eq!(
        ops(&split.to),
        [
            "GET /api/datasets/{namespace}/{repo}/xet-token get_repo_xet_token",
            "GET /api/models/{namespace}/{repo}/xet-token get_repo_xet_token"
        ]
    );
    // The dropped `{repoType}` parameter is the split itself, not a change.
    assert!(split.changes.is_empty(), "{:?}", split.changes);
}

#[test]
fn parameter_changes() {
    let r = report("old.json", "new.json");
    let c = r
        .changes
        .iter()
        .find(|c| c.op.path == "/api/widgets")
        .unwrap();
    assert_eq!(
        c.lines,
        [
            "parameters: + `cursor` (query, string, optional); ~ `limit`: integer → string, optional → required"
        ]
    );
}

#[test]
fn schema_changes() {
    let r = report("old.json", "new.json");
    let c = r
        .changes
        .iter()
        .find(|c| c.op.path == "/api/widgets/{id}")
        .unwrap();
    assert_eq!(
        c.lines,
        [
            "response 200: +2 properties: `owner.avatar`, `tags`; −1 property: `owner.email`; type changes: `size`: integer → string"
        ]
    );
    assert_eq!(ops(&r.deeper), ["POST /api/gizmos create_gizmos"]);
    assert_eq!(ops(&r.prose_only), ["GET /api/status get_status"]);
}

#[test]
fn generated_method_changes() {
    let r = report("old.json", "new.json");
    let names: Vec<(String, String, String)> = r
        .name_changes
        .iter()
        .map(|c| (c.path.clone(), c.names.0.clone(), c.names.1.clone()))
        .collect();
    assert_eq!(
        names,
        [
            (
                "/api/datasets/{namespace}/{repo}/stats".into(),
                "get_repo_stats".into(),
                "get_dataset_stats".into()
            ),
            (
                "/api/models/{namespace}/{repo}/stats".into(),
                "get_repo_stats".into(),
                "get_model_stats".into()
            ),
        ]
    );
    assert_eq!(
        r.name_changes[0].generated_paths.0,
        "/api/{repoType}/{namespace}/{repo}/stats"
    );
}

#[test]
fn overlay_now_upstream_is_a_section_and_a_codegen_failure() {
    let r = report("old.json", "new-defines-overlay.json");
    assert_eq!(
        ops(&r.overlay_now_upstream),
        ["GET /api/things list_things"]
    );
    assert!(
        r.codegen.1.starts_with("FAILED: overlay:"),
        "{}",
        r.codegen.1
    );
    let text = r.render();
    assert!(text.contains("## Overlay operations now defined upstream (1)"));
    // Names still come out.
    assert!(ops(&r.added).contains(&"GET /api/things list_things".to_string()));
}

#[test]
fn rendered_report() {
    let text = report("old.json", "new.json").render();
    assert!(text.contains("- operations: 4 added, 3 removed; of these, 2 moved to 3 new paths (renames), leaving 1 new and 1 gone"));
    assert!(text.contains("- codegen on new: OK: 11 operations (1 from the overlay), "));
    for heading in [
        "## Added operations (1)",
        "## Removed operations (1)",
        "## Renamed operations (2)",
        "## Generated method changes (2)",
        "## Changed operations (3)",
        "## Changed deeper down only (1)",
        "## Changed in prose only (1)",
    ] {
        assert!(text.contains(heading), "missing {heading}\n{text}");
    }
}

#[test]
fn same_document_reports_nothing() {
    let r = report("old.json", "old.json");
    assert!(r.is_empty());
    assert!(
        r.render()
            .contains("No operation, parameter or schema changed.")
    );
}
