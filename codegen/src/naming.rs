//! Operation names: readable, stable, derived from the path and what the operation does.
//!
//! A name depends only on its own operation (method, path, whether it answers a list),
//! never on which other operations exist, so a spec update renames nothing that did not
//! change. Two operations that would get one name fail the build until the override table
//! below says how to tell them apart.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::walk::each_operation;
use crate::{CodegenError, Result};

/// One operation of the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRow {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path template as upstream (or the overlay) wrote it.
    pub path: String,
    /// The path template the generated method uses (after merges and renames).
    pub generated_path: String,
    /// The generated method's name.
    pub name: String,
    /// Where the operation's definition comes from.
    pub origin: Origin,
    /// Whether the operation pages with a `Link` header.
    pub link_paginated: bool,
    /// Whether the operation is safe to send again although its method is not
    /// (`x-hf-safe-to-repeat`: a POST that only asks, or whose effect does not depend on how
    /// many times it is sent).
    pub safe_to_repeat: bool,
    /// The `Content-Type` of a raw body the facade builds (`x-hf-body-media-type`: the
    /// commit's `application/x-ndjson`).
    pub body_media_type: Option<String>,
    /// Whether a 409 answer means another commit to the repository is in progress
    /// (`x-hf-conflict-is-commit-in-progress`: the commit).
    pub conflict_is_commit_in_progress: bool,
    /// Whether the success answer is a JSON array.
    pub returns_array: bool,
}

/// Where an operation of the inventory is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// The Hub's document (`spec/hub-openapi.json`).
    Document,
    /// Our overlay of what the Hub serves undocumented (`spec/overlay.json`).
    Overlay,
    /// A copy of a documented (or overlay) operation for a repository type the document does
    /// not list there, added by a normaliser step (`served::EXTRA_REPO_TYPES`).
    Normaliser,
}

impl Origin {
    /// The inventory's word for it: `document`, `overlay` or `normaliser`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Document => "document",
            Origin::Overlay => "overlay",
            Origin::Normaliser => "normaliser",
        }
    }
}

/// Names that the derivation gets wrong or ambiguous, keyed by `METHOD original-or-merged path`.
const OVERRIDES: &[(&str, &str)] = &[
    (
        "POST /api/{repoType}/{namespace}/{repo}/lfs-files/batch",
        "delete_repo_lfs_files",
    ),
    (
        "POST /api/notifications/mark-as-read",
        "mark_notifications_as_read",
    ),
    (
        "GET /api/collections/{namespace}/{slug}-{id}",
        "get_collection",
    ),
    (
        "PATCH /api/collections/{namespace}/{slug}-{id}",
        "update_collection",
    ),
    (
        "DELETE /api/collections/{namespace}/{slug}-{id}",
        "delete_collection",
    ),
    (
        "GET /api/collections/{namespace}/{slug}",
        "get_collection_by_slug",
    ),
    (
        "PATCH /api/collections/{namespace}/{slug}",
        "update_collection_by_slug",
    ),
    (
        "DELETE /api/collections/{namespace}/{slug}",
        "delete_collection_by_slug",
    ),
    (
        "POST /api/collections/{namespace}/{slug}-{id}/items",
        "add_collection_item",
    ),
    (
        "POST /api/collections/{namespace}/{slug}/items",
        "add_collection_item_by_slug",
    ),
    (
        "POST /api/collections/{namespace}/{slug}-{id}/items/batch",
        "update_collection_items",
    ),
    (
        "POST /api/collections/{namespace}/{slug}/items/batch",
        "update_collection_items_by_slug",
    ),
    (
        "DELETE /api/collections/{namespace}/{slug}-{id}/items/{itemId}",
        "delete_collection_item",
    ),
    (
        "DELETE /api/collections/{namespace}/{slug}/items/{slug2}",
        "delete_collection_item_by_slug",
    ),
    (
        "GET /{repoType}/{namespace}/{repo}/resolve/{rev}/{path}",
        "resolve_file",
    ),
    (
        "GET /buckets/{namespace}/{repo}/resolve/{path}",
        "resolve_bucket_file",
    ),
    (
        "POST /{repoType}/{namespace}/{repo}/ask-access",
        "ask_repo_access",
    ),
    ("GET /api/whoami-v2", "whoami"),
    (
        "POST /api/jobs/{namespace}/auth-check/{perms}",
        "auth_check_jobs",
    ),
    (
        "GET /api/collections/{namespace}/{slug}/resource-group",
        "get_collection_resource_group_by_slug",
    ),
    (
        "POST /api/collections/{namespace}/{slug}/resource-group",
        "create_collection_resource_group_by_slug",
    ),
    ("POST /api/repos/create", "create_repo"),
    ("POST /api/repos/move", "move_repo"),
    (
        "POST /api/{repoType}/{namespace}/{repo}/commit/{rev}",
        "create_commit",
    ),
    (
        "POST /api/{repoType}/{namespace}/{repo}/preupload/{rev}",
        "preupload",
    ),
    (
        "POST /api/{repoType}/{namespace}/{repo}/paths-info/{rev}",
        "get_paths_info",
    ),
    (
        "GET /api/{repoType}/{namespace}/{repo}/tree/{rev}/{path}",
        "list_repo_tree",
    ),
    (
        "GET /api/{repoType}/{namespace}/{repo}/commits/{rev}",
        "list_repo_commits",
    ),
    (
        "POST /api/settings/webhooks/{webhookId}/{action}",
        "run_webhook_action",
    ),
    ("POST /api/settings/webhooks/{webhookId}", "update_webhook"),
    (
        "PUT /api/organizations/{name}/scim/v2/Users/{userId}",
        "replace_organization_scim_user",
    ),
    (
        "PATCH /api/organizations/{name}/scim/v2/Users/{userId}",
        "update_organization_scim_user",
    ),
    (
        "PUT /api/organizations/{name}/scim/v2/Groups/{groupId}",
        "replace_organization_scim_group",
    ),
    (
        "PATCH /api/organizations/{name}/scim/v2/Groups/{groupId}",
        "update_organization_scim_group",
    ),
    (
        "PUT /api/organizations/{name}/scim-provisioning/v2/Users/{userId}",
        "replace_organization_scim_provisioning_user",
    ),
    (
        "PATCH /api/organizations/{name}/scim-provisioning/v2/Users/{userId}",
        "update_organization_scim_provisioning_user",
    ),
    (
        "PUT /api/organizations/{name}/scim-provisioning/v2/Groups/{groupId}",
        "replace_organization_scim_provisioning_group",
    ),
    (
        "PATCH /api/organizations/{name}/scim-provisioning/v2/Groups/{groupId}",
        "update_organization_scim_provisioning_group",
    ),
    (
        "POST /api/blog/{namespace}/{slug}/comment",
        "create_namespace_blog_comment",
    ),
    (
        "POST /api/blog/{namespace}/{slug}/comment/{commentId}/reply",
        "create_namespace_blog_comment_reply",
    ),
    (
        "POST /api/inference-endpoints/{namespace}/auth-check/{perms}",
        "auth_check_inference_endpoints",
    ),
    (
        "GET /api/{repoType}/{namespace}/{repo}/xet-read-token/{rev}",
        "get_repo_xet_read_token_at_rev",
    ),
    (
        "GET /api/{repoType}/{namespace}/{repo}/xet-write-token/{rev}",
        "get_repo_xet_write_token_at_rev",
    ),
];

/// Path segments that name the action of a POST (the name starts with them).
const ACTION_WORDS: &[&str] = &[
    "cancel",
    "duplicate",
    "suspend",
    "resume",
    "run",
    "merge",
    "pin",
    "replay",
    "revoke",
    "claim",
    "register",
    "grant",
    "handle",
    "move",
    "search",
    "export",
    "index",
    "like",
    "compare",
    "schedule",
    "squash",
    "super-squash",
    "restart",
    "pause",
    "sleep",
    "rotate",
    "verify",
    "check",
    "auth-check",
    "reset",
    "approve",
    "reject",
    "invite",
    "join",
    "leave",
    "enable",
    "disable",
    "upgrade",
    "resolve",
    "unlike",
    "follow",
    "upvote",
    "report",
];

fn snake(word: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in word.chars() {
        if c == '-' || c == '.' || c == ' ' || c == '_' {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        } else if c.is_ascii_uppercase() {
            if prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out.trim_matches('_').to_string()
}

fn singular(word: &str) -> String {
    match word {
        "settings" | "status" | "metrics" | "logs" | "events" | "access" | "news" => word.into(),
        w if w.ends_with("ies") => format!("{}y", &w[..w.len() - 3]),
        w if w.ends_with("sses") => w[..w.len() - 2].into(),
        w if w.ends_with('s') && !w.ends_with("ss") => w[..w.len() - 1].into(),
        w => w.into(),
    }
}

/// Derives the name of one operation.
pub fn derive_name(method: &str, path: &str, returns_array: bool) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut words: Vec<String> = Vec::new();
    let is_param = |s: &str| s.contains('{');
    let mut i = 0;
    if segs.first() == Some(&"{namespace}") && segs.get(1) == Some(&"{repo}") {
        words.push("model".into());
    }
    while i < segs.len() {
        let s = segs[i];
        let next = segs.get(i + 1).copied();
        i += 1;
        let is_version =
            s.len() > 1 && s.starts_with('v') && s[1..].chars().all(|c| c.is_ascii_digit());
        if s == "api" || is_version || is_param(s) {
            if s == "{repoType}" {
                words.push("repo".into());
            }
            continue;
        }
        let followed_by_param = next.is_some_and(is_param);
        let w = snake(s);
        let is_last_literal = segs[i..].iter().all(|s| is_param(s));
        if followed_by_param && !(is_last_literal && returns_array) {
            words.push(singular(&w));
        } else {
            words.push(w);
        }
    }
    let m = method.to_ascii_lowercase();
    let mut verb = match m.as_str() {
        "get" if returns_array => "list".to_string(),
        "get" => "get".to_string(),
        "post" => "create".to_string(),
        "put" | "patch" => "update".to_string(),
        "delete" => "delete".to_string(),
        other => other.to_string(),
    };
    if m == "post"
        && let Some(last) = words.last()
        && ACTION_WORDS.contains(&last.replace('_', "-").as_str())
    {
        verb = last.clone();
        words.pop();
    }
    let mut name = verb;
    for w in words {
        if w.is_empty() || name.ends_with(&format!("_{w}")) {
            continue;
        }
        name.push('_');
        name.push_str(&w);
    }
    name
}

fn returns_array(op: &Value) -> bool {
    op.get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(c, _)| c.starts_with('2'))
        .any(|(_, r)| {
            r.pointer("/content/application~1json/schema/type")
                .and_then(Value::as_str)
                == Some("array")
        })
}

fn is_snake_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The [`OVERRIDES`] no operation of the normalised `doc` is named by.
pub(crate) fn unused_overrides(doc: &Value) -> Vec<(&'static str, &'static str)> {
    let mut names = std::collections::BTreeSet::new();
    for (_, _, op) in crate::walk::operations(doc) {
        if let Some(id) = op.get("operationId").and_then(Value::as_str) {
            names.insert(id);
        }
    }
    OVERRIDES
        .iter()
        .filter(|(_, name)| !names.contains(name))
        .copied()
        .collect()
}

/// Upstream has no `operationId`s; every operation gets a derived (or overridden) one.
/// Overlay operations carry their own. Fails on two operations with one name.
pub fn assign_operation_ids(doc: &mut Value) -> Result<usize> {
    let overrides: BTreeMap<&str, &str> = OVERRIDES.iter().copied().collect();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut clashes: Vec<String> = Vec::new();
    let mut n = 0;
    each_operation(doc, &mut |path, method, op, ptr| {
        let key = format!("{} {}", method.to_ascii_uppercase(), path);
        let name = if let Some(id) = op.get("operationId").and_then(Value::as_str) {
            id.to_string()
        } else if let Some(o) = overrides.get(key.as_str()) {
            o.to_string()
        } else {
            derive_name(method, path, returns_array(op))
        };
        if !is_snake_ident(&name) {
            return Err(CodegenError::at(
                ptr,
                format!("operation name `{name}` is not snake_case"),
            ));
        }
        if let Some(other) = seen.insert(name.clone(), key.clone()) {
            clashes.push(format!(
                "`{key}` and `{other}` would both be named `{name}`"
            ));
        }
        op["operationId"] = json!(name);
        n += 1;
        Ok(())
    })?;
    if !clashes.is_empty() {
        return Err(CodegenError::at(
            "/paths",
            format!(
                "{}; add overrides in codegen/src/naming.rs",
                clashes.join("; ")
            ),
        ));
    }
    Ok(n)
}

/// The operation table of a normalised document: one row per original operation.
pub fn operation_rows(doc: &Value) -> Result<Vec<OperationRow>> {
    let mut rows = Vec::new();
    let mut doc = doc.clone();
    each_operation(&mut doc, &mut |path, method, op, ptr| {
        let name = op
            .get("operationId")
            .and_then(Value::as_str)
            .ok_or_else(|| CodegenError::at(ptr, "no operationId"))?
            .to_string();
        let originals: Vec<String> = if let Some(m) = op.get("x-hf-merged-paths") {
            m.as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        } else if let Some(p) = op.get("x-hf-original-path").and_then(Value::as_str) {
            vec![p.to_string()]
        } else {
            vec![path.to_string()]
        };
        let link = crate::requests::is_link_paginated(op);
        let safe_to_repeat = op.get("x-hf-safe-to-repeat") == Some(&Value::Bool(true));
        let body_media_type = op
            .get("x-hf-body-media-type")
            .and_then(Value::as_str)
            .map(String::from);
        let conflict_is_commit_in_progress =
            op.get("x-hf-conflict-is-commit-in-progress") == Some(&Value::Bool(true));
        let added = crate::walk::strings(op.get("x-hf-added-paths"));
        for p in originals {
            let origin = if added.contains(&p) {
                Origin::Normaliser
            } else if op.get("x-hf-overlay").is_some() {
                Origin::Overlay
            } else {
                Origin::Document
            };
            rows.push(OperationRow {
                method: method.to_ascii_uppercase(),
                path: p,
                generated_path: path.to_string(),
                name: name.clone(),
                origin,
                link_paginated: link,
                safe_to_repeat,
                body_media_type: body_media_type.clone(),
                conflict_is_commit_in_progress,
                returns_array: returns_array(op),
            });
        }
        Ok(())
    })?;
    rows.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    Ok(rows)
}
