//! What a revision holds: trees, paths-info, commit history and refs.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::SimError;
use crate::state::{Entry, Repo, Tree, fmt_date};
use crate::util::{QueryExt as _, Resp, decode_cursor, encode_cursor, json, set_header};

use super::{Ctx, RepoRef, commit_at, expand_params, read_repo, resolve_rev};

enum Item<'t> {
    File(&'t Entry),
    Dir,
}

/// The entries under `dir` (all of them when `recursive`), directories before their content.
fn tree_items<'t>(tree: &'t Tree, dir: &str, recursive: bool) -> Vec<(String, Item<'t>)> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut out = Vec::new();
    let mut seen_dirs: HashSet<String> = HashSet::new();
    for (path, entry) in tree.range(prefix.clone()..) {
        let Some(rel) = path.strip_prefix(&prefix) else {
            break;
        };
        if recursive {
            for (i, b) in rel.bytes().enumerate() {
                if b == b'/' {
                    let d = format!("{prefix}{}", &rel[..i]);
                    if seen_dirs.insert(d.clone()) {
                        out.push((d, Item::Dir));
                    }
                }
            }
            out.push((path.clone(), Item::File(entry)));
        } else {
            match rel.split_once('/') {
                Some((first, _)) => {
                    let d = format!("{prefix}{first}");
                    if seen_dirs.insert(d.clone()) {
                        out.push((d, Item::Dir));
                    }
                }
                None => out.push((path.clone(), Item::File(entry))),
            }
        }
    }
    out
}

/// A stable id for a directory: sha1 over its files' paths and blob ids.
fn dir_oid(tree: &Tree, dir: &str) -> String {
    let prefix = format!("{dir}/");
    let mut h = sha1::Sha1::default();
    for (path, entry) in tree.range(prefix.clone()..) {
        if !path.starts_with(&prefix) {
            break;
        }
        sha1::Digest::update(&mut h, path.as_bytes());
        sha1::Digest::update(&mut h, entry.git_oid().as_bytes());
    }
    crate::util::hex(&sha1::Digest::finalize(h))
}

/// The newest commit of `head`'s history that changed `path` (a file or a folder).
fn last_commit_for(repo: &Repo, head: usize, path: &str, is_dir: bool) -> usize {
    let fingerprint = |idx: usize| -> Option<String> {
        let tree = &repo.commits.get(idx)?.tree;
        if is_dir {
            Some(dir_oid(tree, path))
        } else {
            tree.get(path).map(|e| e.git_oid().to_owned())
        }
    };
    let history = repo.history(head);
    let mut last = head;
    let mut current = fingerprint(head);
    for &idx in history.iter().skip(1) {
        let fp = fingerprint(idx);
        if fp != current {
            break;
        }
        last = idx;
        current = fp;
    }
    last
}

/// The fields a tree or paths-info entry of a file carries: type, git oid, size, and `lfs`.
fn file_fields(m: &mut Map<String, Value>, entry: &Entry) {
    m.insert("type".into(), json!("file"));
    m.insert("oid".into(), json!(entry.git_oid()));
    m.insert("size".into(), json!(entry.size()));
    if let Entry::Lfs {
        sha256,
        size,
        pointer_size,
        ..
    } = entry
    {
        m.insert(
            "lfs".into(),
            json!({ "oid": sha256, "size": size, "pointerSize": pointer_size }),
        );
    }
}

/// `POST …/paths-info/{rev}` with `{"paths": [...]}` (JSON, as hf-hub-api sends it) or
/// `paths=a&paths=b` (a form, as the official Python client sends it): the entries that exist.
pub(super) fn paths_info(ctx: &Ctx<'_>, r: &RepoRef, rev: &str) -> Result<Resp, SimError> {
    let paths: Vec<String> = match ctx.json_body::<Value>() {
        Ok(v) => v
            .get("paths")
            .and_then(Value::as_array)
            .ok_or_else(|| SimError::new(400, None, "`paths` must be an array"))?
            .iter()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect(),
        Err(_) => {
            let text = String::from_utf8_lossy(&ctx.body).into_owned();
            url::form_urlencoded::parse(text.as_bytes())
                .filter(|(k, _)| k == "paths")
                .map(|(_, v)| v.into_owned())
                .collect()
        }
    };
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let (_, commit) = commit_at(repo, rev)?;
    let mut out = Vec::new();
    for p in paths {
        if let Some(entry) = commit.tree.get(&p) {
            let mut m = Map::new();
            file_fields(&mut m, entry);
            m.insert("path".into(), json!(p));
            out.push(Value::Object(m));
        } else if commit.tree.keys().any(|k| k.starts_with(&format!("{p}/"))) {
            out.push(json!({"type": "directory", "path": p, "oid": dir_oid(&commit.tree, &p), "size": 0}));
        }
    }
    Ok(json(200, &Value::Array(out)))
}

pub(super) fn tree(ctx: &Ctx<'_>, r: &RepoRef, rev: &str, path: &str) -> Result<Resp, SimError> {
    let q = &ctx.query;
    let expand = q.flag("expand");
    let recursive = q.flag("recursive");
    let cfg = &ctx.shared.cfg;
    let page_cap = if expand {
        cfg.tree_expand_page_size
    } else {
        cfg.tree_page_size
    };
    let limit = match q.number("limit")? {
        Some(n) if n < 1 => return Err(SimError::new(400, None, "limit must be at least 1")),
        Some(n) => usize::try_from(n).unwrap_or(page_cap).min(page_cap),
        None => page_cap,
    };
    let offset = match q.param("cursor") {
        Some(c) => decode_cursor(c)?,
        None => 0,
    };
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let (idx, commit) = commit_at(repo, rev)?;
    let tree = &commit.tree;
    if !path.is_empty() && tree.contains_key(path) {
        return Err(SimError::new(
            404,
            Some("EntryNotFound"),
            format!("{path} is a file, not a directory, at {rev}"),
        ));
    }
    let items = tree_items(tree, path, recursive);
    if !path.is_empty() && items.is_empty() {
        return Err(SimError::new(
            404,
            Some("EntryNotFound"),
            format!("Entry not found: {path} does not exist at {rev}"),
        ));
    }
    let end = offset.saturating_add(limit).min(items.len());
    let page = items.get(offset.min(end)..end).unwrap_or_default();
    let mut out = Vec::with_capacity(page.len());
    for (p, item) in page {
        let mut m = Map::new();
        match item {
            Item::File(entry) => file_fields(&mut m, entry),
            Item::Dir => {
                m.insert("type".into(), json!("directory"));
                m.insert("oid".into(), json!(dir_oid(tree, p)));
                m.insert("size".into(), json!(0));
            }
        }
        m.insert("path".into(), json!(p));
        if expand {
            let is_dir = matches!(item, Item::Dir);
            let last = last_commit_for(repo, idx, p, is_dir);
            if let Some(c) = repo.commits.get(last) {
                m.insert(
                    "lastCommit".into(),
                    json!({ "id": c.id, "title": c.title, "date": fmt_date(&c.date) }),
                );
            }
            if !is_dir {
                m.insert(
                    "securityFileStatus".into(),
                    json!({ "status": "unscanned" }),
                );
            }
        }
        out.push(Value::Object(m));
    }
    let more = end < items.len();
    drop(state);
    let mut resp = json(200, &out);
    if more {
        let link = ctx.next_link(&[("cursor", encode_cursor(end))], &[]);
        set_header(&mut resp, "link", &link);
    }
    Ok(resp)
}

// ---------------------------------------------------------------- commits and refs

pub(super) fn list_commits(ctx: &Ctx<'_>, r: &RepoRef, rev: &str) -> Result<Resp, SimError> {
    let q = &ctx.query;
    let page = match q.number("p")? {
        Some(p) if p < 0 => return Err(SimError::new(400, None, "p must not be negative")),
        Some(p) => usize::try_from(p).unwrap_or(usize::MAX),
        None => 0,
    };
    let limit = match q.number("limit")? {
        Some(n) if !(1..=1000).contains(&n) => {
            return Err(SimError::new(400, None, "limit must be between 1 and 1000"));
        }
        Some(n) => usize::try_from(n).unwrap_or(50),
        None => 50,
    };
    let formatted = expand_params(q).contains(&"formatted");
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let head = resolve_rev(repo, rev)?;
    let history = repo.history(head);
    let start = page.saturating_mul(limit).min(history.len());
    let end = start.saturating_add(limit).min(history.len());
    let items: Vec<Value> = history
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .filter_map(|i| repo.commits.get(*i))
        .map(|c| {
            let mut v = json!({
                "id": c.id,
                "title": c.title,
                "message": c.message,
                "authors": [{ "user": c.author, "avatar": "/avatars/default.svg" }],
                "date": fmt_date(&c.date),
            });
            if formatted && let Some(o) = v.as_object_mut() {
                o.insert(
                    "formatted".into(),
                    json!({ "title": c.title, "message": c.message }),
                );
            }
            v
        })
        .collect();
    let total = history.len();
    drop(state);
    let mut resp = json(200, &items);
    set_header(&mut resp, "x-total-count", &total.to_string());
    if end < total {
        let link = ctx.next_link(&[("p", (page + 1).to_string())], &[]);
        set_header(&mut resp, "link", &link);
    }
    Ok(resp)
}

pub(super) fn refs(ctx: &Ctx<'_>, r: &RepoRef) -> Result<Resp, SimError> {
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let target = |i: &usize| repo.commits.get(*i).map(|c| c.id.clone());
    let branches: Vec<Value> = repo
        .branches
        .iter()
        .map(|(n, i)| json!({ "name": n, "ref": format!("refs/heads/{n}"), "targetCommit": target(i) }))
        .collect();
    let tags: Vec<Value> = repo
        .tag_refs
        .iter()
        .map(|(n, i)| json!({ "name": n, "ref": format!("refs/tags/{n}"), "targetCommit": target(i) }))
        .collect();
    let mut out = json!({ "branches": branches, "tags": tags, "converts": [] });
    if ctx.query.flag("include_prs")
        && let Some(o) = out.as_object_mut()
    {
        let prs: Vec<Value> = repo
            .prs
            .iter()
            .enumerate()
            .map(|(n, i)| {
                let r = format!("refs/pr/{}", n + 1);
                json!({ "name": r, "ref": r, "targetCommit": target(i) })
            })
            .collect();
        o.insert("pullRequests".into(), Value::Array(prs));
    }
    Ok(json(200, &out))
}
