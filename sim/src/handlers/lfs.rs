//! The LFS batch API and the storage origin that receives the bytes.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::SimError;
use crate::object::Object;
use crate::state::Multipart;
use crate::util::{Resp, div_ceil, is_hex, json, response, set_header};

use super::{Ctx, RepoRef, check_write};

#[derive(Deserialize)]
struct BatchBody {
    operation: String,
    #[serde(default)]
    transfers: Vec<String>,
    #[serde(default)]
    hash_algo: Option<String>,
    objects: Vec<BatchObject>,
}

#[derive(Deserialize)]
struct BatchObject {
    oid: String,
    size: u64,
}

fn lfs_json(status: u16, value: &Value) -> Resp {
    let mut resp = json(status, value);
    set_header(&mut resp, "content-type", "application/vnd.git-lfs+json");
    resp
}

/// Most parts of one multipart upload (the S3 limit).
const MAX_PARTS: u64 = 10_000;

pub(super) fn lfs_batch(ctx: &Ctx<'_>, r: &RepoRef) -> Result<Resp, SimError> {
    ctx.require_user()?;
    {
        let state = ctx.shared.state();
        check_write(&state, ctx, r)?;
    }
    let body: BatchBody = ctx.json_body()?;
    if body.operation != "upload" {
        return Err(SimError::new(
            422,
            None,
            format!(
                "Unsupported operation {:?}: the simulator serves uploads",
                body.operation
            ),
        ));
    }
    if let Some(algo) = &body.hash_algo
        && algo != "sha256"
    {
        return Err(SimError::new(
            422,
            None,
            format!("Unsupported hash_algo {algo:?}"),
        ));
    }
    let max = ctx.shared.cfg.max_lfs_batch_objects;
    if body.objects.len() > max {
        return Err(SimError::new(
            413,
            None,
            format!("Too many objects: at most {max} per batch"),
        ));
    }
    let cfg = &ctx.shared.cfg;
    let multipart_offered = body.transfers.iter().any(|t| t == "multipart");
    let storage = ctx.shared.storage_url.as_str();
    let verify_href = ctx.hub_url(&format!(
        "{}{}.git/info/lfs/objects/verify",
        r.kind.url_prefix(),
        r.id
    ));
    let mut any_multipart = false;
    let mut objects = Vec::with_capacity(body.objects.len());
    let mut state = ctx.shared.state();
    for obj in &body.objects {
        if !is_hex(&obj.oid, 64) {
            objects.push(json!({
                "oid": obj.oid, "size": obj.size,
                "error": { "code": 422, "message": "Invalid oid: expected 64 lower-case hex digits (sha256)" },
            }));
            continue;
        }
        if let Some(stored) = state.lfs.get(&obj.oid) {
            if stored.len() == obj.size {
                objects.push(json!({ "oid": obj.oid, "size": obj.size }));
            } else {
                objects.push(json!({
                    "oid": obj.oid, "size": obj.size,
                    "error": { "code": 422, "message": format!("Size mismatch: the stored object has {} bytes", stored.len()) },
                }));
            }
            continue;
        }
        let use_multipart =
            multipart_offered && obj.size >= cfg.multipart_threshold && obj.size > 0;
        if use_multipart && div_ceil(obj.size, cfg.multipart_chunk_size) > MAX_PARTS {
            objects.push(json!({
                "oid": obj.oid, "size": obj.size,
                "error": { "code": 422, "message": format!("Object too large: more than {MAX_PARTS} parts") },
            }));
            continue;
        }
        state.pending_uploads.insert(obj.oid.clone(), obj.size);
        let upload = if use_multipart {
            any_multipart = true;
            let chunk = cfg.multipart_chunk_size;
            let parts = div_ceil(obj.size, chunk);
            let mut header = Map::new();
            header.insert("chunk_size".into(), json!(chunk.to_string()));
            for n in 1..=parts {
                header.insert(
                    format!("{n:05}"),
                    json!(format!("{storage}upload/{}/part/{n}", obj.oid)),
                );
            }
            state.multipart.insert(
                obj.oid.clone(),
                Multipart {
                    size: obj.size,
                    chunk_size: chunk,
                    parts: Default::default(),
                    assembly: std::sync::Arc::new(crate::assembly::Assembly::new()),
                },
            );
            json!({ "href": format!("{storage}upload/{}/complete", obj.oid), "header": header })
        } else {
            state.multipart.remove(&obj.oid);
            json!({ "href": format!("{storage}upload/{}", obj.oid) })
        };
        objects.push(json!({
            "oid": obj.oid,
            "size": obj.size,
            "authenticated": true,
            "actions": {
                "upload": upload,
                "verify": { "href": verify_href },
            },
        }));
    }
    drop(state);
    #[cfg(feature = "xet")]
    if ctx.shared.xet.is_some() && body.transfers.iter().any(|t| t == "xet") {
        // Xet: every object to upload gets the same Xet session, no verify.
        let href = ctx.hub_url(&format!(
            "api/{}/{}/xet-write-token/main",
            r.kind.plural(),
            r.id
        ));
        let action = crate::xet::upload_action(ctx.shared, &href);
        for object in &mut objects {
            if let Some(actions) = object.get_mut("actions") {
                *actions = json!({ "upload": action.clone() });
            }
        }
        return Ok(lfs_json(
            200,
            &json!({ "transfer": "xet", "hash_algo": "sha256", "objects": objects }),
        ));
    }
    let transfer = if any_multipart { "multipart" } else { "basic" };
    Ok(lfs_json(
        200,
        &json!({ "transfer": transfer, "hash_algo": "sha256", "objects": objects }),
    ))
}

#[derive(Deserialize)]
struct VerifyBody {
    oid: String,
    size: u64,
}

pub(super) fn lfs_verify(ctx: &Ctx<'_>, r: &RepoRef) -> Result<Resp, SimError> {
    ctx.require_user()?;
    let state = ctx.shared.state();
    check_write(&state, ctx, r)?;
    let body: VerifyBody = ctx.json_body()?;
    match state.lfs.get(&body.oid) {
        Some(data) if data.len() == body.size => Ok(lfs_json(200, &json!({}))),
        Some(data) => Err(SimError::new(
            422,
            None,
            format!(
                "Size mismatch for {}: stored {} bytes, not {}",
                body.oid,
                data.len(),
                body.size
            ),
        )),
        None => Err(SimError::new(
            404,
            None,
            format!("Object {} not found", body.oid),
        )),
    }
}

// ---------------------------------------------------------------- storage origin

/// A part's `ETag`: a digest of its content (CRC-32 and length, 32 hex digits), as storage
/// answers one; cheap, so that receiving parts is not slowed by it.
fn etag_of(chunks: &[Bytes]) -> String {
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0;
    for chunk in chunks {
        crc.update(chunk);
        len += chunk.len();
    }
    format!("\"{:08x}{len:024x}\"", crc.finalize())
}

pub(super) fn storage_put(ctx: &Ctx<'_>, oid: &str) -> Result<Resp, SimError> {
    let Some(expected) = ctx.shared.state().pending_uploads.get(oid).copied() else {
        return Err(SimError::new(
            403,
            None,
            format!("No upload of {oid} was requested through the LFS batch endpoint"),
        ));
    };
    // Hashed outside the state's lock, as the chunks it arrived in.
    let data = Object::from_bytes(ctx.body.clone());
    if data.len() != expected {
        return Err(SimError::new(
            400,
            None,
            format!(
                "Size mismatch: got {} bytes, the batch announced {expected}",
                data.len()
            ),
        ));
    }
    let actual = data.sha256_hex();
    if actual != oid {
        return Err(SimError::new(
            400,
            None,
            format!("sha256 mismatch: the body hashes to {actual}, not {oid}"),
        ));
    }
    let etag = etag_of(std::slice::from_ref(&ctx.body));
    let mut state = ctx.shared.state();
    state.lfs.insert(oid.to_owned(), data);
    state.pending_uploads.remove(oid);
    state.multipart.remove(oid);
    drop(state);
    let mut resp = response(200, "text/plain", Bytes::new());
    set_header(&mut resp, "etag", &etag);
    Ok(resp)
}

pub(super) fn storage_part(ctx: &Ctx<'_>, oid: &str, part: u32) -> Result<Resp, SimError> {
    let mut state = ctx.shared.state();
    let Some(upload) = state.multipart.get_mut(oid) else {
        return Err(SimError::new(
            403,
            None,
            format!("No multipart upload of {oid} was requested through the LFS batch endpoint"),
        ));
    };
    let parts = div_ceil(upload.size, upload.chunk_size);
    if part == 0 || u64::from(part) > parts {
        return Err(SimError::new(
            400,
            None,
            format!("Part {part} out of range 1..={parts}"),
        ));
    }
    let start = u64::from(part - 1) * upload.chunk_size;
    let expected = upload.chunk_size.min(upload.size - start);
    let data = vec![ctx.body.clone()];
    let len: u64 = data.iter().map(|c| c.len() as u64).sum();
    if len != expected {
        return Err(SimError::new(
            400,
            None,
            format!("Part {part} has {len} bytes, expected {expected}"),
        ));
    }
    let etag = etag_of(&data);
    upload.parts.insert(part, etag.clone());
    let assembly = upload.assembly.clone();
    drop(state);
    // Placed and hashed now, outside the state's lock, while other parts keep arriving.
    assembly.offer(part, data);
    let mut resp = response(200, "text/plain", Bytes::new());
    set_header(&mut resp, "etag", &etag);
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompletePart {
    part_number: u32,
    etag: String,
}

#[derive(Deserialize)]
struct CompleteBody {
    oid: String,
    parts: Vec<CompletePart>,
}

pub(super) fn storage_complete(ctx: &Ctx<'_>, oid: &str) -> Result<Resp, SimError> {
    let body: CompleteBody = ctx.json_body()?;
    if body.oid != oid {
        return Err(SimError::new(
            400,
            None,
            format!("The body names {}, the URL {oid}", body.oid),
        ));
    }
    let mut state = ctx.shared.state();
    let Some(upload) = state.multipart.get(oid) else {
        return Err(SimError::new(
            403,
            None,
            format!("No multipart upload of {oid} is in progress"),
        ));
    };
    let expected_parts = div_ceil(upload.size, upload.chunk_size);
    if body.parts.len() as u64 != expected_parts {
        return Err(SimError::new(
            400,
            None,
            format!(
                "{} parts listed, {expected_parts} expected",
                body.parts.len()
            ),
        ));
    }
    let mut listed: Vec<&CompletePart> = body.parts.iter().collect();
    listed.sort_by_key(|p| p.part_number);
    for (i, p) in listed.iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if p.part_number != n {
            return Err(SimError::new(
                400,
                None,
                format!("Parts must be numbered 1..={expected_parts} once each"),
            ));
        }
        let Some(etag) = upload.parts.get(&n) else {
            return Err(SimError::new(
                400,
                None,
                format!("Part {n} was never uploaded"),
            ));
        };
        if etag.trim_matches('"') != p.etag.trim_matches('"') {
            return Err(SimError::new(
                400,
                None,
                format!("ETag mismatch for part {n}: {} is not {etag}", p.etag),
            ));
        }
    }
    let assembled = upload
        .assembly
        .finish(u32::try_from(expected_parts).unwrap_or(u32::MAX), oid)
        .map_err(|e| SimError::new(400, None, e))?;
    state.lfs.insert(oid.to_owned(), assembled);
    state.multipart.remove(oid);
    state.pending_uploads.remove(oid);
    Ok(json(200, &json!({})))
}
