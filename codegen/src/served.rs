//! Steps about the URLs the Hub serves, where they differ from what the document writes.
//!
//! - [`merge_unprefixed_model_copies`]: the web routes (`resolve`, `ask-access`, the LFS
//!   batch) put the repository type in front of the id, except for models, which have no
//!   prefix at all (`/{ns}/{repo}/resolve/…` beside `/datasets/{ns}/{repo}/resolve/…`).
//!   Such copies become one operation over a `{repoType}` parameter whose `models` value is
//!   left out of the URL (`x-hf-models-unprefixed`; the generator shapes the URL).
//! - [`extra_repo_types`]: operations the Hub serves for more repository types than the
//!   document lists there (kernel repositories everywhere files are, Spaces' access requests),
//!   each one row of [`EXTRA_REPO_TYPES`] with the official clients' use that shows it.
//! - [`trailing_wildcards`]: a path ending in a wildcard (a file or folder path) says so
//!   (`x-hf-wildcard`), for the generator: an empty folder (the root) is sent without the
//!   trailing `/`, and a file path keeps its `/`.

use serde_json::{Value, json};

use crate::walk::each_operation;
use crate::walk::{METHODS, esc, strings};
use crate::{CodegenError, Result};

/// The repository types that name a URL prefix (`/datasets/…`) or an API segment
/// (`/api/datasets/…`).
pub const PREFIXED_TYPES: [&str; 4] = ["datasets", "kernels", "models", "spaces"];

/// The operation without what differs between repo-type copies of it.
fn comparable(op: &Value) -> Value {
    let mut o = op.clone();
    if let Some(m) = o.as_object_mut() {
        for k in ["tags", "x-hf-original-path", "x-hf-merged-paths"] {
            m.remove(k);
        }
        if let Some(params) = m.get_mut("parameters").and_then(Value::as_array_mut) {
            params.retain(|p| !(p["in"] == "path" && p["name"] == "repoType"));
        }
    }
    o
}

/// The repoType values of a merged operation, when it has that parameter.
fn repo_type_values(op: &Value) -> Option<Vec<String>> {
    op.get("parameters")?
        .as_array()?
        .iter()
        .find(|p| p["in"] == "path" && p["name"] == "repoType")
        .map(|p| strings(p.pointer("/schema/enum")))
}

fn set_repo_type_values(op: &mut Value, values: &[String]) {
    if let Some(p) = op
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
        .and_then(|ps| {
            ps.iter_mut()
                .find(|p| p["in"] == "path" && p["name"] == "repoType")
        })
    {
        p["schema"] = json!({"type": "string", "enum": values});
    }
}

/// Upstream (and the Hub) spell a model's web URLs without a type prefix
/// (`/{namespace}/{repo}/resolve/{rev}/{path}`) and the others' with one
/// (`/datasets/{namespace}/{repo}/resolve/…`); `merge_repo_type_copies` cannot see the model
/// copy as a copy. A model operation identical to its prefixed copies (tags aside) joins
/// them: one operation over `/{repoType}/{namespace}/{repo}/…` whose `repoType` includes
/// `models`, marked `x-hf-models-unprefixed` so the generated URL leaves `models/` out. Runs
/// after `merge_repo_type_copies`; a lone prefixed copy (`ask-access` has only a dataset one)
/// is merged here too.
pub fn merge_unprefixed_model_copies(doc: &mut Value) -> Result<usize> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(0);
    };
    let model_paths: Vec<String> = paths
        .keys()
        .filter(|p| {
            p.starts_with("/{namespace}/{repo}/") || p.starts_with("/{namespace}/{repo}.git/")
        })
        .cloned()
        .collect();
    let mut n = 0;
    for model_path in model_paths {
        let rest = &model_path["/{namespace}/{repo}".len()..];
        let template = format!("/{{repoType}}/{{namespace}}/{{repo}}{rest}");
        let methods: Vec<String> = paths[&model_path]
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .filter(|m| METHODS.contains(&m.as_str()))
            .cloned()
            .collect();
        for method in methods {
            let model_op = paths[&model_path][&method].clone();
            let (mut merged, lone) = match paths.get(&template).and_then(|i| i.get(&method)) {
                Some(m) => (m.clone(), None),
                None => match lone_copy(paths, rest, &method) {
                    Some((p, m)) => (m, Some(p)),
                    None => continue,
                },
            };
            if comparable(&merged) != comparable(&model_op) {
                continue;
            }
            let mut originals = strings(merged.get("x-hf-merged-paths"));
            let mut types = repo_type_values(&merged).unwrap_or_default();
            if let Some(lone_path) = lone {
                let seg = lone_path.split('/').nth(1).unwrap_or_default().to_string();
                let o = merged.as_object_mut().ok_or_else(|| {
                    CodegenError::at(format!("/paths/{}", esc(&lone_path)), "not an object")
                })?;
                o.remove("x-hf-original-path");
                let params = o
                    .entry("parameters")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                    .ok_or_else(|| {
                        CodegenError::at(format!("/paths/{}", esc(&lone_path)), "bad parameters")
                    })?;
                params.insert(
                    0,
                    json!({"name": "repoType", "in": "path", "required": true,
                           "schema": {"type": "string"}}),
                );
                originals = vec![lone_path];
                types = vec![seg];
            }
            types.push("models".into());
            types.sort();
            originals.push(model_path.clone());
            set_repo_type_values(&mut merged, &types);
            merged["x-hf-merged-paths"] = json!(originals);
            merged["x-hf-models-unprefixed"] = json!(true);
            merged["tags"] = json!(["repos"]);
            // The copies `merge_repo_type_copies` merged are off their paths already.
            crate::walk::replace_with_merged(paths, &originals, &template, &method, merged);
            n += 1;
        }
    }
    crate::walk::drop_empty_path_items(paths);
    Ok(n)
}

/// The only prefixed copy of a model web operation (`/datasets/{namespace}/{repo}{rest}`)
/// and its path, when exactly one type has it.
fn lone_copy(
    paths: &serde_json::Map<String, Value>,
    rest: &str,
    method: &str,
) -> Option<(String, Value)> {
    let copies: Vec<(String, &Value)> = PREFIXED_TYPES
        .iter()
        .filter(|t| **t != "models")
        .filter_map(|t| {
            let p = format!("/{t}/{{namespace}}/{{repo}}{rest}");
            paths.get(&p).and_then(|i| i.get(method)).map(|op| (p, op))
        })
        .collect();
    match &copies[..] {
        [(path, op)] => Some((path.clone(), (*op).clone())),
        _ => None,
    }
}

/// An operation the Hub serves for more repository types than its (merged) definition lists.
#[derive(Debug, Clone, Copy)]
pub struct ExtraRepoType {
    /// The method, lowercase.
    pub method: &'static str,
    /// The merged path template (`{repoType}` in it).
    pub path: &'static str,
    /// The `repoType` value the Hub also serves (`kernels`, `spaces`).
    pub repo_type: &'static str,
    /// Which official client calls it so (the evidence).
    pub seen: &'static str,
}

const fn extra(
    method: &'static str,
    path: &'static str,
    repo_type: &'static str,
    seen: &'static str,
) -> ExtraRepoType {
    ExtraRepoType {
        method,
        path,
        repo_type,
        seen,
    }
}

/// Every operation the Hub serves for a repository type its document leaves out there. Kernel
/// repositories are git repositories like the others: the Python client passes
/// `repo_type="kernel"` to its file, commit and download calls, and the JS client accepts
/// `kernels/ns/name` in every generic helper. Spaces have access requests like gated models
/// and datasets (the Python client documents `repo_type="space"` for them).
pub const EXTRA_REPO_TYPES: &[ExtraRepoType] = &[
    extra(
        "get",
        "/api/{repoType}/{namespace}/{repo}/tree/{rev}/{path}",
        "kernels",
        "huggingface_hub list_repo_tree; huggingface.js listFiles",
    ),
    extra(
        "post",
        "/api/{repoType}/{namespace}/{repo}/paths-info/{rev}",
        "kernels",
        "huggingface_hub get_paths_info; huggingface.js pathsInfo",
    ),
    extra(
        "get",
        "/api/{repoType}/{namespace}/{repo}/commits/{rev}",
        "kernels",
        "huggingface.js listCommits",
    ),
    extra(
        "post",
        "/api/{repoType}/{namespace}/{repo}/branch/{rev}",
        "kernels",
        "huggingface.js createBranch",
    ),
    extra(
        "delete",
        "/api/{repoType}/{namespace}/{repo}/branch/{rev}",
        "kernels",
        "huggingface.js deleteBranch",
    ),
    extra(
        "get",
        "/{repoType}/{namespace}/{repo}/resolve/{rev}/{path}",
        "kernels",
        "huggingface_hub hf_hub_download(repo_type=\"kernel\"); huggingface.js downloadFile",
    ),
    extra(
        "get",
        "/api/{repoType}/{namespace}/{repo}/xet-read-token/{rev}",
        "kernels",
        "huggingface_hub xet downloads; huggingface.js xet reads",
    ),
    extra(
        "get",
        "/api/{repoType}/{namespace}/{repo}/xet-write-token/{rev}",
        "kernels",
        "huggingface_hub xet uploads; huggingface.js commit",
    ),
    extra(
        "post",
        "/api/{repoType}/{namespace}/{repo}/preupload/{rev}",
        "kernels",
        "huggingface_hub create_commit(repo_type=\"kernel\"); huggingface.js commit",
    ),
    extra(
        "post",
        "/api/{repoType}/{namespace}/{repo}/commit/{rev}",
        "kernels",
        "huggingface_hub create_commit(repo_type=\"kernel\"); huggingface.js commit",
    ),
    extra(
        "get",
        "/api/{repoType}/{namespace}/{repo}/user-access-request/{status}",
        "spaces",
        "huggingface_hub list_pending_access_requests(repo_type=\"space\")",
    ),
    extra(
        "post",
        "/api/{repoType}/{namespace}/{repo}/user-access-request/handle",
        "spaces",
        "huggingface_hub accept/reject/cancel_access_request(repo_type=\"space\")",
    ),
    extra(
        "post",
        "/api/{repoType}/{namespace}/{repo}/user-access-request/grant",
        "spaces",
        "huggingface_hub grant_access(repo_type=\"space\")",
    ),
];

/// The original path of one repo type's copy of a merged template.
fn copy_path(template: &str, repo_type: &str, models_unprefixed: bool) -> String {
    if models_unprefixed && repo_type == "models" {
        template.replacen("/{repoType}", "", 1)
    } else {
        template.replacen("{repoType}", repo_type, 1)
    }
}

/// Upstream lists kernel repositories only for the discussion routes and their info, though
/// the Hub serves every file and commit route for them, and lists Spaces' access requests
/// not at all (see [`EXTRA_REPO_TYPES`] for each and the evidence). The type joins the
/// operation's `repoType` values, and its path joins the operation's original paths in
/// `x-hf-added-paths` (the inventory says where it comes from). A row whose operation is
/// gone, or whose type upstream now lists, fails naming it: the table holds live fixes only.
pub fn extra_repo_types(doc: &mut Value) -> Result<usize> {
    let mut used = vec![false; EXTRA_REPO_TYPES.len()];
    let mut failure = None;
    each_operation(doc, &mut |path, method, op, ptr| {
        for (i, row) in EXTRA_REPO_TYPES.iter().enumerate() {
            if row.method != method || row.path != path {
                continue;
            }
            used[i] = true;
            let Some(mut types) = repo_type_values(op) else {
                failure = Some(CodegenError::at(ptr, "no `repoType` parameter"));
                return Ok(());
            };
            if types.iter().any(|t| t == row.repo_type) {
                failure = Some(CodegenError::at(
                    ptr,
                    format!(
                        "upstream now serves {} here: drop its row from served::EXTRA_REPO_TYPES",
                        row.repo_type
                    ),
                ));
                return Ok(());
            }
            types.push(row.repo_type.to_string());
            types.sort();
            set_repo_type_values(op, &types);
            let unprefixed = op.get("x-hf-models-unprefixed").is_some();
            let added = copy_path(path, row.repo_type, unprefixed);
            let mut merged = strings(op.get("x-hf-merged-paths"));
            merged.push(added.clone());
            op["x-hf-merged-paths"] = json!(merged);
            let mut added_paths = strings(op.get("x-hf-added-paths"));
            added_paths.push(added);
            op["x-hf-added-paths"] = json!(added_paths);
        }
        Ok(())
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    // Counted by rows: the vendored document's test asserts every row applies (a smaller
    // document, such as a test fixture, may not have these operations at all).
    Ok(used.iter().filter(|u| **u).count())
}

/// Upstream writes a path that ends in a file or folder path as `…/{path}` with the
/// parameter described as "Wildcard path parameter". That parameter is marked
/// `x-hf-wildcard`: `file` when it names a file to download (`resolve` routes, whose file
/// path keeps its `/` as every official client sends it), `folder` otherwise (tree listings,
/// which send the folder encoded whole, and where the root is the empty string, sent without
/// the trailing `/`). Overlay parameters carry the mark themselves; a mark on a parameter
/// that does not end the path fails.
pub fn trailing_wildcards(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |path, _, op, ptr| {
        let file = path.contains("resolve");
        for (i, p) in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if p["in"] != "path" {
                continue;
            }
            let name = p["name"].as_str().unwrap_or_default().to_string();
            let last = path.ends_with(&format!("/{{{name}}}"));
            if let Some(mark) = p.get("x-hf-wildcard") {
                if !last || !matches!(mark.as_str(), Some("file" | "folder")) {
                    return Err(CodegenError::at(
                        format!("{ptr}/parameters/{i}"),
                        "`x-hf-wildcard` is `file` or `folder`, on the parameter ending the path",
                    ));
                }
                continue;
            }
            let described = p
                .pointer("/schema/description")
                .and_then(Value::as_str)
                .is_some_and(|d| d.contains("Wildcard"));
            if last && described {
                p["x-hf-wildcard"] = json!(if file { "file" } else { "folder" });
                n += 1;
            }
        }
        Ok(())
    })?;
    Ok(n)
}
