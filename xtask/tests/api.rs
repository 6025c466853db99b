//! The public API snapshot and its diff, on small documents built here: a type renamed, a field
//! added, a setter added, an answer changed.

use serde_json::{Value, json};
use xtask::api::{self, ApiSnapshot, TypeKind};
use xtask::pipeline;
use xtask::report::{Side, compare};

/// A document with one widget operation at `path`: `GET` answers a widget object (`props`),
/// with the optional query parameters `query`.
fn doc(path: &str, props: &[&str], query: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = props
        .iter()
        .map(|p| (p.to_string(), json!({"type": "string"})))
        .collect();
    let parameters: Vec<Value> = query
        .iter()
        .map(|q| json!({"name": q, "in": "query", "required": false, "schema": {"type": "string"}}))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            path: {"get": {
                "summary": "Get a widget",
                "tags": ["repos"],
                "parameters": parameters,
                "responses": {"200": {"description": "OK", "content": {"application/json": {
                    "schema": {
                        "type": "object",
                        "properties": properties,
                        "required": props,
                    }
                }}}}
            }},
            "/api/status": {"get": {
                "summary": "Status",
                "tags": ["repos"],
                "responses": {"200": {"description": "OK", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "state": {"type": "string", "enum": ["up", "down"]}
                    }, "required": ["state"]}
                }}}}
            }}
        }
    })
}

fn snapshot(doc: &Value) -> ApiSnapshot {
    let out = pipeline::run(doc, None, true);
    assert_eq!(out.error, None);
    out.api.expect("generated")
}

#[test]
fn snapshot_lists_types_fields_and_method_signatures() {
    let s = snapshot(&doc("/api/widget", &["id", "createdAt"], &["expand"]));
    let (name, widget) = s
        .types
        .iter()
        .find(|(_, t)| t.members.contains(&"created_at".to_string()))
        .expect("the widget type");
    assert_eq!(name, "GetWidgetResponse");
    assert_eq!(widget.kind, TypeKind::Struct);
    // Rust identifiers, the flattened map of unknown fields included.
    assert_eq!(widget.members, ["created_at", "id", "extra"]);
    assert!(widget.from_schema);
    let m = &s.methods["get_widget"];
    assert!(m.inputs.is_empty(), "{:?}", m.inputs);
    assert_eq!(
        m.setters.keys().collect::<Vec<_>>(),
        ["expand"],
        "{:?}",
        m.setters
    );
    assert_eq!(m.setters["expand"], "impl Into<String>");
    assert_eq!(m.answer, "types::GetWidgetResponse");
    let state = &s.types["GetStatusState"];
    assert_eq!(state.kind, TypeKind::Enum);
    assert_eq!(state.members, ["Up", "Down"]);
}

#[test]
fn same_document_same_snapshot() {
    let d = doc("/api/widget", &["id"], &[]);
    assert!(api::diff(&snapshot(&d), &snapshot(&d)).is_empty());
}

#[test]
fn a_type_whose_place_moved_is_a_rename() {
    let old = snapshot(&doc("/api/widget", &["id"], &[]));
    let new = snapshot(&doc("/api/gadget", &["id"], &[]));
    let d = api::diff(&old, &new);
    assert_eq!(
        d.types_renamed,
        [(
            "GetWidgetResponse".to_string(),
            "GetGadgetResponse".to_string()
        )]
    );
    assert!(d.types_added.is_empty(), "{:?}", d.types_added);
    assert!(d.types_removed.is_empty(), "{:?}", d.types_removed);
    assert!(d.members.is_empty());
    assert_eq!(d.methods_added, ["get_gadget"]);
    assert_eq!(d.methods_removed, ["get_widget"]);
    let text = d.render();
    assert!(text.contains("### Renamed types (1)"), "{text}");
    assert!(
        text.contains("- `GetWidgetResponse` → `GetGadgetResponse`"),
        "{text}"
    );
}

#[test]
fn a_field_added_is_a_field_change_not_a_rename() {
    let old = snapshot(&doc("/api/widget", &["id"], &[]));
    let new = snapshot(&doc("/api/widget", &["id", "ownerName"], &[]));
    let d = api::diff(&old, &new);
    assert!(d.types_renamed.is_empty());
    assert_eq!(d.members.len(), 1, "{:?}", d.members);
    let c = &d.members[0];
    assert_eq!(c.name, "GetWidgetResponse");
    assert_eq!(c.word, "fields");
    assert_eq!(c.added, ["owner_name"]);
    assert!(c.removed.is_empty());
    assert!(
        d.render()
            .contains("- `GetWidgetResponse`: fields + `owner_name`")
    );
}

#[test]
fn a_setter_added_is_a_signature_change() {
    let old = snapshot(&doc("/api/widget", &["id"], &["expand"]));
    let new = snapshot(&doc("/api/widget", &["id"], &["expand", "revision"]));
    let d = api::diff(&old, &new);
    assert_eq!(d.signatures.len(), 1);
    assert_eq!(d.signatures[0].name, "get_widget");
    assert_eq!(d.signatures[0].lines, ["+ setters `revision`"]);
    assert!(d.types_added.is_empty() && d.types_renamed.is_empty());
}

#[test]
fn a_renamed_answer_type_changes_the_answer() {
    // The same operation's answer, now named by the document (`x-hf-name`, as the overlay
    // does): the method stays, its answer type is renamed.
    let old = snapshot(&doc("/api/widget", &["id"], &[]));
    let mut new_doc = doc("/api/widget", &["id"], &[]);
    new_doc["paths"]["/api/widget"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        ["x-hf-name"] = json!("Widget");
    let new = snapshot(&new_doc);
    let d = api::diff(&old, &new);
    assert_eq!(
        d.types_renamed,
        [("GetWidgetResponse".to_string(), "Widget".to_string())]
    );
    assert_eq!(d.signatures.len(), 1);
    assert_eq!(
        d.signatures[0].lines,
        ["answer `types::GetWidgetResponse` → `types::Widget`"]
    );
}

#[test]
fn the_report_has_a_public_api_section() {
    let (a, b) = (
        doc("/api/widget", &["id"], &[]),
        doc("/api/widget", &["id", "size"], &["expand"]),
    );
    let (oa, ob) = (pipeline::run(&a, None, true), pipeline::run(&b, None, true));
    let r = compare(
        &Side {
            label: "old",
            doc: &a,
            codegen: &oa,
        },
        &Side {
            label: "new",
            doc: &b,
            codegen: &ob,
        },
        None,
    );
    let text = r.render();
    assert!(
        text.contains(
            "- public API: types: 0 added, 0 removed, 0 renamed, 1 with changed fields or variants; \
             methods: 0 added, 0 removed, 1 with changed signatures"
        ),
        "{text}"
    );
    assert!(text.contains("\n## Public API\n"), "{text}");
    assert!(
        text.contains("- `get_widget`: + setters `expand`"),
        "{text}"
    );
    // The operation report is still there.
    assert!(text.contains("## Changed operations (1)"), "{text}");
}
