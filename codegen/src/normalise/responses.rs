//! Steps over responses: 204s, 200/207 pairs, non-success answers, byte streams, the commit's
//! raw body and operations that declare no answer.

use super::*;

/// Upstream declares JSON content on some 204 responses; a successful DELETE would then
/// fail parsing an empty body. 204 means no content.
pub fn no_content_204(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, _| {
        if let Some(r) = op
            .pointer_mut("/responses/204")
            .and_then(Value::as_object_mut)
            && r.remove("content").is_some()
        {
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// Merges two object schemas: union of properties, intersection of `required`.
pub(super) fn merge_object_schemas(a: &Value, b: &Value) -> Value {
    let mut props = a.get("properties").cloned().unwrap_or(json!({}));
    if let (Some(p), Some(bp)) = (
        props.as_object_mut(),
        b.get("properties").and_then(Value::as_object),
    ) {
        for (k, v) in bp {
            p.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let req = |s: &Value| -> BTreeSet<String> {
        s.get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    let required: Vec<String> = req(a).intersection(&req(b)).cloned().collect();
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    if let Some(d) = a.get("description") {
        out.insert("description".into(), d.clone());
    }
    out.insert("properties".into(), props);
    if !required.is_empty() {
        out.insert("required".into(), json!(required));
    }
    Value::Object(out)
}

/// Some operations answer 200 and 207 (partial success) with different schemas;
/// progenitor supports one success type, so fields of one would be silently lost. Both
/// statuses get one merged schema: every property of either, required only when in both.
pub fn merge_200_207_responses(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, ptr| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let schema_of = |r: Option<&Value>| {
            r.and_then(|r| r.pointer("/content/application~1json/schema"))
                .cloned()
        };
        let (Some(a), Some(b)) = (
            schema_of(responses.get("200")),
            schema_of(responses.get("207")),
        ) else {
            return Ok(());
        };
        if a == b {
            return Ok(());
        }
        if !(is_object_like(&a) && is_object_like(&b)) {
            return Err(CodegenError::at(
                format!("{ptr}/responses"),
                "200 and 207 differ and are not both objects",
            ));
        }
        let merged = merge_object_schemas(&a, &b);
        for code in ["200", "207"] {
            responses[code]["content"]["application/json"]["schema"] = merged.clone();
        }
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// The facade maps every error status from the response itself (`X-Error-Code`,
/// `X-Error-Message`, the body's `error`), which works for any answer; typed error bodies
/// would only add types. Only 2xx stay. A 3xx is not an error either: redirects on the Hub's
/// origin are followed, and one to another origin is the answer of a file-metadata `HEAD`
/// (its headers, declared on the 200 beside it, are what the facade reads).
pub fn drop_non_success_responses(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, _, op, _| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            let before = responses.len();
            responses.retain(|code, _| code.starts_with('2'));
            n += before - responses.len();
        }
        Ok(())
    })?;
    Ok(n)
}

/// Operations whose success answer is not one JSON document: the `resolve` downloads
/// (declared as JSON, but they redirect to the file's bytes) and the server-sent-event
/// streams (logs, metrics, events). Their answers become byte streams. A download that takes
/// a `Range` header answers a range as `206 Partial Content`, which upstream does not
/// declare: it is added beside the 200.
pub fn byte_stream_responses(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |path, _, op, _| {
        let ranged = op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|p| {
                p["in"] == "header"
                    && p["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case("range"))
            });
        let text = op.to_string();
        let is_resolve = path.contains("/resolve/") || path.starts_with("/api/resolve-cache/");
        let is_sse = text.contains("text/event-stream")
            || text.contains("Server-Sent")
            || text.contains("SSE");
        if !(is_resolve || is_sse) {
            return Ok(());
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for (code, r) in responses.iter_mut() {
                // A HEAD answer (file metadata) has headers and no body.
                if code.starts_with('2') && r.get("content").is_some() {
                    r["content"] = json!({"application/octet-stream": {
                        "schema": {"type": "string", "format": "binary"}}});
                    n += 1;
                }
            }
            if is_resolve
                && ranged
                && !responses.contains_key("206")
                && let Some(ok) = responses.get("200").cloned()
                && ok.get("content").is_some()
            {
                let mut partial = ok;
                partial["description"] = json!("The range of the file asked for");
                responses.insert("206".into(), partial);
                n += 1;
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// The commit operation declares no request body (its body is `application/x-ndjson`,
/// which progenitor rejects). It gets a raw byte-stream body: the facade streams the ndjson.
/// The step marks what the facade needs to know about it as data, which the generated
/// operation table carries: `x-hf-body-media-type` (the `Content-Type` the facade sends with
/// the raw body) and `x-hf-conflict-is-commit-in-progress` (its 409 means another commit to
/// the repository is under way, not that what it would create exists).
pub fn commit_raw_body(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |path, method, op, ptr| {
        if method != "post" || !path.ends_with("/commit/{rev}") {
            return Ok(());
        }
        if let Some(rb) = op.get("requestBody") {
            let only_ndjson = rb
                .get("content")
                .and_then(Value::as_object)
                .is_some_and(|c| c.keys().all(|k| k.contains("ndjson")));
            if !only_ndjson {
                return Err(CodegenError::at(
                    format!("{ptr}/requestBody"),
                    "the commit operation now declares a body: revisit commit_raw_body",
                ));
            }
        }
        op["requestBody"] = json!({
            "required": true,
            "description": "The ndjson commit body (the facade builds and streams it)",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        });
        op["x-hf-body-media-type"] = json!("application/x-ndjson");
        op["x-hf-conflict-is-commit-in-progress"] = json!(true);
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// About 50 operations have no `responses` at all (or only a redirect), which openapiv3
/// requires. Every one of
/// them that is not a GET is a mutation (create or delete a branch or tag, merge or pin a
/// discussion, set Space secrets, …) whose answer carries nothing a caller reads: it gets
/// one `2XX` response without content, so its method answers `()` for any success status.
/// A GET without responses keeps an empty map, which progenitor answers as a byte stream
/// (what it returns is unknown, so nothing is thrown away).
pub fn insert_empty_responses(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |_, method, op, _| {
        // No responses, or none left once the non-success ones are gone (the ask-access
        // POSTs declare only their 303 to the repository's HTML page).
        let none = op
            .get("responses")
            .is_none_or(|r| r.as_object().is_some_and(|m| m.is_empty()));
        if let Some(o) = op.as_object_mut()
            && none
            && !(method == "get" && o.contains_key("responses"))
        {
            let responses = if method == "get" {
                json!({})
            } else {
                json!({"2XX": {"description": "Done; the Hub answers nothing a caller needs."}})
            };
            o.insert("responses".into(), responses);
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}
