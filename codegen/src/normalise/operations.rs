//! Steps over operations and their parameters: header and flag parameters, path parameters
//! named twice, `create_pr` on preupload, and the per-repo-type copies merged into one.

use super::*;

/// The commit operations declare a `Content-Type` header parameter; OpenAPI says such
/// parameters are ignored (the media type says it), and progenitor would make it an argument.
/// A body of several media types keeps it: there the caller chooses the media type
/// (`media::binary_body_media_choice`).
pub fn drop_content_type_header_params(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, _| {
        if crate::media::has_media_type_choice(op) {
            return Ok(());
        }
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            let before = params.len();
            params.retain(|p| {
                !(p.get("in").and_then(Value::as_str) == Some("header")
                    && p.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case("content-type")))
            });
            n += before - params.len();
        }
        Ok(())
    })?;
    Ok(n)
}

/// Upstream leaves flag-like query parameters untyped (`create_pr`, `expand`, `recursive`,
/// `raw`, …: a schema with only a default or description). Every such parameter is a flag,
/// so it becomes `boolean`; an untyped parameter whose default is not a boolean fails.
pub fn untyped_flag_query_params_to_boolean(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, ptr| {
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for (i, p) in params.iter_mut().enumerate() {
                if p.get("in").and_then(Value::as_str) != Some("query") {
                    continue;
                }
                let Some(s) = p.get_mut("schema").and_then(Value::as_object_mut) else {
                    continue;
                };
                let typed = ["type", "anyOf", "oneOf", "allOf", "enum", "const", "$ref"]
                    .iter()
                    .any(|k| s.contains_key(*k));
                if typed {
                    continue;
                }
                if let Some(d) = s.get("default")
                    && !d.is_boolean()
                {
                    return Err(CodegenError::at(
                        format!("{ptr}/parameters/{i}/schema"),
                        "untyped query parameter whose default is not a boolean",
                    ));
                }
                s.insert("type".into(), json!("boolean"));
                n += 1;
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// POSTs that are safe to send again, because they only ask: the preupload (which files go
/// to LFS, which are unchanged) and `paths-info`. Upstream cannot say so; the step marks them
/// `x-hf-safe-to-repeat`, which the generated operation table carries to the retry engine.
/// (The overlay marks its own such POSTs, the LFS batch, itself.)
pub fn safe_to_repeat_posts(doc: &mut Value) -> Result<usize> {
    const ASKING: &[&str] = &["/preupload/{rev}", "/paths-info/{rev}"];
    let mut n = 0;
    each_operation(doc, &mut |path, method, op, _| {
        if method == "post"
            && ASKING.iter().any(|suffix| path.ends_with(suffix))
            && op.get("x-hf-safe-to-repeat").is_none()
            && let Some(o) = op.as_object_mut()
        {
            o.insert("x-hf-safe-to-repeat".into(), json!(true));
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// The Hub's preupload takes `create_pr` (the official clients send it when the commit
/// opens a pull request, so LFS files are checked against the PR's future ref), but upstream
/// does not declare it. It is added as an optional boolean query parameter.
pub fn preupload_create_pr_param(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |path, method, op, _| {
        if method != "post" || !path.ends_with("/preupload/{rev}") {
            return Ok(());
        }
        let params = op
            .as_object_mut()
            .map(|o| o.entry("parameters").or_insert_with(|| json!([])))
            .and_then(Value::as_array_mut);
        if let Some(params) = params
            && !params.iter().any(|p| p["name"] == "create_pr")
        {
            params.push(json!({"name": "create_pr", "in": "query", "required": false,
                "schema": {"type": "boolean", "description": "Whether the files are for a commit that opens a pull request"}}));
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// Parameter names in a path template, in order.
pub(crate) fn template_params(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + end].to_string());
        rest = &rest[start + end + 1..];
    }
    out
}

/// `/api/collections/{namespace}/{slug}/items/{slug}` names `slug` twice: one argument
/// would fill both. The second occurrence becomes `{slug2}` with its own parameter.
pub fn rename_duplicate_path_params(doc: &mut Value) -> Result<usize> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(0);
    };
    let mut renames = Vec::new();
    for path in paths.keys() {
        let params = template_params(path);
        let mut seen = BTreeMap::new();
        let mut new_path = String::new();
        let mut rest = path.as_str();
        let mut changed = false;
        for p in &params {
            let count = seen.entry(p.clone()).or_insert(0);
            *count += 1;
            let Some(idx) = rest.find(&format!("{{{p}}}")) else {
                break;
            };
            new_path.push_str(&rest[..idx]);
            if *count > 1 {
                new_path.push_str(&format!("{{{p}{count}}}"));
                changed = true;
            } else {
                new_path.push_str(&format!("{{{p}}}"));
            }
            rest = &rest[idx + p.len() + 2..];
        }
        new_path.push_str(rest);
        if changed {
            renames.push((path.clone(), new_path));
        }
    }
    let n = renames.len();
    for (old, new) in renames {
        let Some(mut item) = paths.remove(&old) else {
            continue;
        };
        let dup: Vec<String> = template_params(&new)
            .into_iter()
            .filter(|p| !template_params(&old).contains(p))
            .collect();
        if let Some(item) = item.as_object_mut() {
            for (m, op) in item.iter_mut() {
                if !METHODS.contains(&m.as_str()) {
                    continue;
                }
                op["x-hf-original-path"] = json!(old);
                let params = op
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                    .ok_or_else(|| {
                        CodegenError::at(format!("/paths/{}", esc(&old)), "no parameters")
                    })?;
                for d in &dup {
                    let base = d.trim_end_matches(char::is_numeric);
                    let Some(orig) = params
                        .iter()
                        .find(|p| p["in"] == "path" && p["name"] == base)
                        .cloned()
                    else {
                        continue;
                    };
                    let mut copy = orig;
                    copy["name"] = json!(d);
                    params.push(copy);
                }
            }
        }
        paths.insert(new, item);
    }
    Ok(n)
}

pub(super) const REPO_TYPE_SEGMENTS: [&str; 4] = ["models", "datasets", "spaces", "kernels"];

/// The tags of a merged operation: its members' tags, where the per-type tags (`models`,
/// `datasets`, `spaces`, `kernels`) become `repos` — the merged method serves every type —
/// and an area tag such as `discussions` stays, so the operation keeps its cargo feature.
pub(super) fn merged_tags(ops: &[Value]) -> Vec<String> {
    let mut tags: Vec<String> = ops
        .iter()
        .flat_map(|o| crate::walk::strings(o.get("tags")))
        .map(|t| match t.as_str() {
            "models" | "datasets" | "spaces" | "kernels" => "repos".to_string(),
            _ => t,
        })
        .collect();
    tags.sort();
    tags.dedup();
    if tags.is_empty() {
        tags.push("repos".into());
    }
    tags
}

/// Upstream repeats many operations once per repo type (`/api/models/{namespace}/{repo}/…`,
/// `/api/datasets/…`, `/api/spaces/…`, `/api/kernels/…`), identical but for that segment and
/// their tags. Such a group becomes one operation over a `{repoType}` path parameter, so
/// users call one method with a repo type. Copies that differ in anything else stay separate.
pub fn merge_repo_type_copies(doc: &mut Value) -> Result<usize> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(0);
    };
    // key: (template with {repoType}, method) -> [(repo type segment, path)]
    let mut groups: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for (path, item) in paths.iter() {
        let segs: Vec<&str> = path.split('/').collect();
        let Some(pos) = segs.iter().position(|s| REPO_TYPE_SEGMENTS.contains(s)) else {
            continue;
        };
        // Only `/api/<type>/{namespace}/{repo}...`, `/api/resolve-cache/<type>/...` and the web
        // routes, `/<type>/{namespace}/{repo}/…` (git's `{repo}.git/…` among them).
        if segs.get(pos + 1) != Some(&"{namespace}")
            || !matches!(segs.get(pos + 2), Some(&"{repo}" | &"{repo}.git"))
        {
            continue;
        }
        let mut t = segs.clone();
        t[pos] = "{repoType}";
        let template = t.join("/");
        for m in item.as_object().into_iter().flat_map(|o| o.keys()) {
            if METHODS.contains(&m.as_str()) {
                groups
                    .entry((template.clone(), m.clone()))
                    .or_default()
                    .push((segs[pos].to_string(), path.clone()));
            }
        }
    }
    let strip = |op: &Value| -> Value {
        let mut o = op.clone();
        if let Some(m) = o.as_object_mut() {
            m.remove("tags");
            m.remove("x-hf-original-path");
        }
        o
    };
    let mut n = 0;
    for ((template, method), members) in groups {
        if members.len() < 2 {
            continue;
        }
        if paths.get(&template).and_then(|i| i.get(&method)).is_some() {
            continue; // upstream already has the generic form
        }
        let ops: Vec<Value> = members
            .iter()
            .map(|(_, p)| paths[p][&method].clone())
            .collect();
        let first = strip(&ops[0]);
        if ops.iter().any(|o| strip(o) != first) {
            continue;
        }
        let mut merged = ops[0].clone();
        let types: Vec<String> = members.iter().map(|(t, _)| t.clone()).collect();
        let originals: Vec<String> = members.iter().map(|(_, p)| p.clone()).collect();
        merged["x-hf-merged-paths"] = json!(originals);
        merged["tags"] = json!(merged_tags(&ops));
        let params = merged
            .as_object_mut()
            .map(|o| o.entry("parameters").or_insert_with(|| json!([])))
            .and_then(Value::as_array_mut)
            .ok_or_else(|| CodegenError::at(format!("/paths/{}", esc(&template)), "bad op"))?;
        let mut sorted = types.clone();
        sorted.sort();
        params.insert(
            0,
            json!({"name": "repoType", "in": "path", "required": true,
                   "schema": {"type": "string", "enum": sorted}}),
        );
        crate::walk::replace_with_merged(paths, &originals, &template, &method, merged);
        n += 1;
    }
    crate::walk::drop_empty_path_items(paths);
    Ok(n)
}
