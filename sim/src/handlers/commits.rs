//! Preupload and the ndjson commit.

use std::collections::HashSet;

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::SimError;
use crate::state::{CommitRequest, Entry, Op, validate_path};
use crate::util::{QueryExt as _, Resp, is_hex, json};

use super::{Ctx, RepoRef, check_write, commit_at, read_repo};

#[derive(Deserialize)]
struct PreuploadBody {
    files: Vec<PreuploadFile>,
}

#[derive(Deserialize)]
struct PreuploadFile {
    path: String,
    size: f64,
    #[allow(dead_code)]
    sample: String,
}

pub(super) fn preupload(ctx: &Ctx<'_>, r: &RepoRef, rev: &str) -> Result<Resp, SimError> {
    let body: PreuploadBody = ctx.json_body()?;
    let max = ctx.shared.cfg.max_preupload_files;
    if body.files.len() > max {
        return Err(SimError::new(
            413,
            None,
            format!("Too many files: at most {max} per preupload call"),
        ));
    }
    let state = ctx.shared.state();
    check_write(&state, ctx, r)?;
    let repo = read_repo(&state, ctx, r)?;
    let (_, commit) = commit_at(repo, rev)?;
    let threshold = ctx.shared.cfg.lfs_threshold;
    let mut files = Vec::with_capacity(body.files.len());
    for f in &body.files {
        validate_path(&f.path)?;
        if !(f.size >= 0.0 && f.size.is_finite()) {
            return Err(SimError::new(
                400,
                None,
                format!("Invalid size for {}", f.path),
            ));
        }
        let size = f.size as u64;
        let mode = if size > 0 && size >= threshold {
            "lfs"
        } else {
            "regular"
        };
        let oid = commit.tree.get(&f.path).map(|e| e.remote_oid().to_owned());
        files
            .push(json!({ "path": f.path, "uploadMode": mode, "shouldIgnore": false, "oid": oid }));
    }
    Ok(json(
        200,
        &json!({ "files": files, "commitOid": commit.id }),
    ))
}

// ---------------------------------------------------------------- commit

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    key: String,
    value: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HeaderLine {
    summary: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parent_commit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileLine {
    content: String,
    path: String,
    encoding: String,
    #[serde(default)]
    old_path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LfsFileLine {
    path: String,
    algo: String,
    oid: String,
    size: u64,
    #[serde(default)]
    old_path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathLine {
    path: String,
}

fn line_value<T: for<'de> Deserialize<'de>>(n: usize, key: &str, v: Value) -> Result<T, SimError> {
    serde_json::from_value(v)
        .map_err(|e| SimError::new(400, None, format!("Invalid {key} at line {n}: {e}")))
}

/// Adds the put of `entry` at `path` (moved from `old_path` when given) to `ops`; a path put
/// twice in one commit is an error.
fn put(
    ops: &mut Vec<Op>,
    put_paths: &mut HashSet<String>,
    path: String,
    entry: Entry,
    old_path: Option<String>,
) -> Result<(), SimError> {
    if let Some(old) = &old_path {
        validate_path(old)?;
    }
    if !put_paths.insert(path.clone()) {
        return Err(SimError::new(400, None, format!("{path} appears twice")));
    }
    ops.push(Op::Put {
        path,
        entry,
        old_path,
    });
    Ok(())
}

/// Parses the ndjson body of a commit. Any error rejects the whole commit.
fn parse_commit(body: &[u8]) -> Result<CommitRequest, SimError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| SimError::new(400, None, "The commit body is not UTF-8"))?;
    let mut header: Option<HeaderLine> = None;
    let mut ops = Vec::new();
    let mut put_paths: HashSet<String> = HashSet::new();
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let Line { key, value } = serde_json::from_str(line)
            .map_err(|e| SimError::new(400, None, format!("Invalid JSON at line {n}: {e}")))?;
        if header.is_none() && key != "header" {
            return Err(SimError::new(
                400,
                None,
                format!("The first line must be the header, got {key:?} at line {n}"),
            ));
        }
        match key.as_str() {
            "header" => {
                if header.is_some() {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Second header at line {n}"),
                    ));
                }
                let h: HeaderLine = line_value(n, &key, value)?;
                if h.summary.trim().is_empty() {
                    return Err(SimError::new(
                        400,
                        None,
                        "The commit summary must not be empty",
                    ));
                }
                if let Some(p) = &h.parent_commit
                    && !is_hex(p, 40)
                {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Invalid parentCommit: {p}"),
                    ));
                }
                header = Some(h);
            }
            "file" => {
                let f: FileLine = line_value(n, &key, value)?;
                validate_path(&f.path)?;
                if f.encoding != "base64" {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Unsupported encoding {:?} at line {n}", f.encoding),
                    ));
                }
                let data = base64::engine::general_purpose::STANDARD
                    .decode(f.content.as_bytes())
                    .map_err(|e| {
                        SimError::new(
                            400,
                            None,
                            format!("Invalid base64 content at line {n}: {e}"),
                        )
                    })?;
                put(
                    &mut ops,
                    &mut put_paths,
                    f.path,
                    Entry::regular(Bytes::from(data)),
                    f.old_path,
                )?;
            }
            "lfsFile" => {
                let f: LfsFileLine = line_value(n, &key, value)?;
                validate_path(&f.path)?;
                if f.algo != "sha256" {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Unsupported algo {:?} at line {n}", f.algo),
                    ));
                }
                if !is_hex(&f.oid, 64) {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Invalid LFS oid {:?} at line {n}", f.oid),
                    ));
                }
                put(
                    &mut ops,
                    &mut put_paths,
                    f.path,
                    Entry::lfs(f.oid, f.size),
                    f.old_path,
                )?;
            }
            "deletedFile" => {
                let f: PathLine = line_value(n, &key, value)?;
                validate_path(&f.path)?;
                ops.push(Op::DeleteFile { path: f.path });
            }
            "deletedFolder" => {
                let f: PathLine = line_value(n, &key, value)?;
                let path = f.path.trim_end_matches('/').to_owned();
                validate_path(&path)?;
                ops.push(Op::DeleteFolder { path });
            }
            other => {
                return Err(SimError::new(
                    400,
                    None,
                    format!("Unknown key {other:?} at line {n}"),
                ));
            }
        }
    }
    let header = header.ok_or_else(|| SimError::new(400, None, "Empty commit body: no header"))?;
    Ok(CommitRequest {
        summary: header.summary,
        description: header.description.unwrap_or_default(),
        parent_commit: header.parent_commit,
        ops,
    })
}

pub(super) fn commit(ctx: &Ctx<'_>, r: &RepoRef, rev: &str) -> Result<Resp, SimError> {
    let content_type = ctx
        .parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.contains("application/x-ndjson") {
        return Err(SimError::new(
            415,
            None,
            format!(
                "The simulator accepts only application/x-ndjson commits, not {content_type:?}"
            ),
        ));
    }
    {
        let state = ctx.shared.state();
        check_write(&state, ctx, r)?;
    }
    let req = parse_commit(&ctx.body)?;
    let create_pr = ctx.query.flag("create_pr");
    let author = ctx.require_user()?.name.clone();
    let outcome = ctx
        .shared
        .state()
        .apply_commit(r.kind, &r.id, rev, req, create_pr, &author)?;
    let base = format!("{}{}", r.kind.url_prefix(), r.id);
    let mut out = json!({
        "success": true,
        "commitOid": outcome.oid,
        "commitUrl": ctx.hub_url(&format!("{base}/commit/{}", outcome.oid)),
        "hookOutput": "",
    });
    if let (Some(n), Some(o)) = (outcome.pr, out.as_object_mut()) {
        o.insert(
            "pullRequestUrl".into(),
            json!(ctx.hub_url(&format!("{base}/discussions/{n}"))),
        );
    }
    Ok(json(200, &out))
}
