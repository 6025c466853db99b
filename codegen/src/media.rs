//! Steps about media types progenitor does not take as they are written.
//!
//! progenitor sends and reads `application/json`, `application/x-www-form-urlencoded`,
//! `text/plain` and `application/octet-stream` bodies, one media type per body. The Hub also
//! speaks a vendor JSON type (git-lfs) and takes attachments whose media type the caller
//! chooses.

use serde_json::{Value, json};

use crate::walk::each_operation;
use crate::{CodegenError, Result};

/// A JSON media type of a vendor (`application/vnd.git-lfs+json`).
fn is_vendor_json(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or_default().trim();
    essence.starts_with("application/vnd.") && essence.ends_with("+json")
}

/// The git-lfs batch API (in our overlay) sends and answers `application/vnd.git-lfs+json`,
/// which the Hub requires in `Content-Type` and `Accept`; progenitor only knows
/// `application/json`. The bodies become `application/json` (the same JSON) and the
/// operation keeps its media type in `x-hf-media-type`, which the generated code sends as
/// `Content-Type` and `Accept`. Two different vendor types in one operation fail.
pub fn vendor_json_media_types(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, ptr| {
        let mut found: Option<String> = None;
        let mut rewrite = |content: &mut serde_json::Map<String, Value>| -> Result<()> {
            let vendor: Vec<String> = content
                .keys()
                .filter(|k| is_vendor_json(k))
                .cloned()
                .collect();
            for media in vendor {
                if let Some(other) = &found
                    && *other != media
                {
                    return Err(CodegenError::at(
                        ptr,
                        format!("two vendor media types ({other}, {media})"),
                    ));
                }
                if content.contains_key("application/json") {
                    return Err(CodegenError::at(
                        ptr,
                        format!("both {media} and application/json"),
                    ));
                }
                if let Some(v) = content.remove(&media) {
                    content.insert("application/json".into(), v);
                }
                found = Some(media);
            }
            Ok(())
        };
        if let Some(content) = op
            .pointer_mut("/requestBody/content")
            .and_then(Value::as_object_mut)
        {
            rewrite(content)?;
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for r in responses.values_mut() {
                if let Some(content) = r.get_mut("content").and_then(Value::as_object_mut) {
                    rewrite(content)?;
                }
            }
        }
        if let Some(media) = found {
            op["x-hf-media-type"] = json!(media);
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// Whether a request body declares several media types (the caller picks one).
pub(crate) fn has_media_type_choice(op: &Value) -> bool {
    op.pointer("/requestBody/content")
        .and_then(Value::as_object)
        .is_some_and(|c| c.len() > 1)
}

/// The attachment upload (`POST /uploads`, in our overlay) takes the raw bytes of an image,
/// video or sound in one of several media types, named by `Content-Type`; progenitor takes one
/// media type per body. Such a body, every media type of it binary, becomes one
/// `application/octet-stream` body, and the operation's `Content-Type` header parameter
/// (which `drop_content_type_header_params` keeps for it, and which must list the same media
/// types) is what the caller chooses. progenitor sends header parameters after the body's
/// own type, so the chosen one is what goes out.
pub fn binary_body_media_choice(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, ptr| {
        if !has_media_type_choice(op) {
            return Ok(());
        }
        let content = op
            .pointer("/requestBody/content")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let binary = content.values().all(|m| {
            m.pointer("/schema/format").and_then(Value::as_str) == Some("binary")
                && m.pointer("/schema/type").and_then(Value::as_str) == Some("string")
        });
        if !binary {
            return Err(CodegenError::at(
                format!("{ptr}/requestBody"),
                "several media types for a body that is not binary",
            ));
        }
        let mut listed: Vec<String> = content.keys().cloned().collect();
        listed.sort();
        let header = op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|p| {
                p["in"] == "header"
                    && p["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case("content-type"))
            });
        let mut offered = crate::walk::strings(header.and_then(|h| h.pointer("/schema/enum")));
        offered.sort();
        if header.is_none() || offered != listed {
            return Err(CodegenError::at(
                format!("{ptr}/parameters"),
                format!(
                    "a body of several media types needs a required `Content-Type` header \
                     parameter listing them ({})",
                    listed.join(", ")
                ),
            ));
        }
        op["requestBody"]["content"] = json!({"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}});
        n += 1;
        Ok(())
    })?;
    Ok(n)
}
