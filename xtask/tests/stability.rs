//! Type-name stability across a real spec update: the Hub's documents of 2026-03-20
//! (`tests/fixtures/hub-openapi-2026-03-20.json`, as served that day) and 2026-08-17 (the
//! vendored `spec/hub-openapi.json`), each built with `spec/overlay.json` as the build does.
//!
//! "Unchanged" means the same name-independent shape (see `xtask::api`): the normalised
//! component's schema without documentation, every `$ref` compared by its target's own shape
//! rather than by its target's name. Comparing refs by name would call a parent changed as soon
//! as a child is renamed, and the test would miss exactly the cascades it is for; comparing the
//! raw upstream schemas would miss what the normaliser does to them. A type whose shape the
//! newer API has must keep its name, and its fields (Rust identifiers) must keep theirs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use xtask::api::{self, ApiSnapshot};
use xtask::pipeline;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The document built with the overlay minus what it defines itself (the 2026-03-20 build had
/// no overlay entry for an operation upstream described).
fn merged(doc: &Value, overlay: &Value) -> (Value, Value) {
    let ov = pipeline::overlay_without_shadowed(doc, overlay);
    let mut m = doc.clone();
    hf_hub_api_codegen::overlay::merge_overlay(&mut m, &ov).unwrap();
    (m, ov)
}

fn snapshot(doc: &Value, overlay: &Value) -> ApiSnapshot {
    let (_, ov) = merged(doc, overlay);
    let out = pipeline::run(doc, Some(&ov), true);
    assert_eq!(out.error, None, "the codegen fails");
    out.api.unwrap()
}

/// Where a component is referenced in a normalised document (JSON pointers, a few).
fn uses(doc: &Value, name: &str) -> Vec<String> {
    fn walk(v: &Value, at: &str, target: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if o.get("$ref").and_then(Value::as_str) == Some(target) {
                    out.push(at.to_string());
                }
                for (k, x) in o {
                    walk(x, &format!("{at}/{k}"), target, out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, &format!("{at}/{i}"), target, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, "", &format!("#/components/schemas/{name}"), &mut out);
    out.truncate(4);
    out
}

/// Renames the naming still makes between the two documents, each with why. The hoisting step
/// names a shape from its places; these shapes gained (or lost) a place, or the operation they
/// live in was renamed, and their name followed. Each entry is a naming bug to fix in
/// `codegen/src/hoist.rs` (a curated name, or a rule that does not depend on the other places):
/// remove the entry with the fix. The test fails on a rename not listed here, and on an entry
/// that no longer happens.
const KNOWN_RENAMES: &[(&str, &str, &str)] = &[
    // A shape used in several places takes its shortest proposal; a new place proposes a
    // shorter one.
    (
        "CreateJobCommandItem",
        "TargetName",
        "shared constrained string; new agentic-provisioning places are shorter",
    ),
    (
        "CreateOrganizationResourceGroupsName",
        "RevokeCredentialsCredential",
        "shared; new `revoke_credentials` body items",
    ),
    (
        "GetRepoJwtExpiration",
        "GetNotificationsLastUpdate",
        "shared; a new place (agentic `expires_at`), and the old name went to the changed \
         `jwt` parameter",
    ),
    (
        "UpdateCollectionItemsItemId",
        "ListUserLikesCursor",
        "shared id string; new `list_user_likes` `cursor` parameter",
    ),
    // A shape that was shared lost its other place (that place's schema changed).
    (
        "ListJobsHardwareItem",
        "ListSpacesHardwareItem",
        "was shared with `/api/jobs/hardware`, whose item gained `ephemeralStorage`",
    ),
    // A new larger shape, named first, took the name.
    (
        "ScheduledJob",
        "JobInitiatorScheduledJob",
        "a new union member of the resource-group listing took `ScheduledJob`",
    ),
    // The parent's name changed (its schema changed and a new operation shares it).
    (
        "CreateBlogCommentNewMessageType",
        "GetPaperCommentType",
        "parent now named after the new `get_paper_comment`",
    ),
    // The operation moved upstream (the method is renamed too; the old path's naming override
    // went once no operation of the current document used it).
    (
        "CreateDiscussionsMarkAsReadBody",
        "MarkNotificationsAsReadBody",
        "`/api/discussions/mark-as-read` became `/api/notifications/mark-as-read`",
    ),
];

#[test]
fn unchanged_schemas_keep_their_type_and_field_names() {
    let overlay = load(&root().join("spec/overlay.json"));
    let old_doc = load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hub-openapi-2026-03-20.json"),
    );
    let new_doc = load(&root().join("spec/hub-openapi.json"));
    let (old, new) = (snapshot(&old_doc, &overlay), snapshot(&new_doc, &overlay));

    // Fields (variants) of every type whose name and shape both stayed, as sets: enum values
    // are a set in the shape, and their order names nothing.
    let sorted = |m: &[String]| {
        let mut m = m.to_vec();
        m.sort();
        m
    };
    let mut fields = Vec::new();
    for (name, a) in &old.types {
        if let Some(b) = new.types.get(name)
            && a.shape == b.shape
            && sorted(&a.members) != sorted(&b.members)
        {
            fields.push(format!("`{name}`: {:?} → {:?}", a.members, b.members));
        }
    }
    assert!(
        fields.is_empty(),
        "unchanged types whose fields were renamed:\n{}",
        fields.join("\n")
    );

    let found: BTreeMap<String, String> = api::renamed_types(&old, &new).into_iter().collect();
    let known: BTreeMap<String, String> = KNOWN_RENAMES
        .iter()
        .map(|(a, b, _)| (a.to_string(), b.to_string()))
        .collect();
    if found != known {
        let (old_n, _) = merged(&old_doc, &overlay);
        let (new_n, _) = merged(&new_doc, &overlay);
        let old_n = hf_hub_api_codegen::normalise::normalise(old_n).unwrap().0;
        let new_n = hf_hub_api_codegen::normalise::normalise(new_n).unwrap().0;
        let mut msg = String::new();
        for (a, b) in &found {
            if known.get(a) != Some(b) {
                msg.push_str(&format!(
                    "renamed: `{a}` → `{b}`\n  old uses: {:?}\n  new uses: {:?}\n  `{a}` in new: {}\n",
                    uses(&old_n, a),
                    uses(&new_n, b),
                    if new.types.contains_key(a) {
                        format!("another shape, used at {:?}", uses(&new_n, a))
                    } else {
                        "gone".into()
                    }
                ));
            }
        }
        for (a, b) in &known {
            if found.get(a) != Some(b) {
                msg.push_str(&format!(
                    "no longer renamed (remove it from KNOWN_RENAMES): `{a}` → `{b}`\n"
                ));
            }
        }
        panic!("type names of unchanged schemas changed:\n{msg}");
    }
}
