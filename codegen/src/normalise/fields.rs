//! Steps over object fields: what answers may omit or add, which fields count whole things
//! (integers), tree entries' `path`, and components nothing references.

use super::*;

/// Upstream closes about 440 objects with `additionalProperties: false`; typify turns that
/// into `deny_unknown_fields`, so a field the Hub adds tomorrow would break decoding today.
pub fn drop_additional_properties_false(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        if let Some(o) = s.as_object_mut()
            && o.get("additionalProperties") == Some(&json!(false))
        {
            o.remove("additionalProperties");
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// Upstream (2026-08-17) lists `bucketNamespace` as required in the quicksearch body without
/// defining the property; typify would make callers send a field that does not exist. A
/// required name that is not among the object's properties is dropped from `required`.
pub fn drop_undefined_required(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        let Some(o) = s.as_object_mut() else {
            return Ok(());
        };
        let Some(props) = o.get("properties").and_then(Value::as_object) else {
            return Ok(());
        };
        let names: BTreeSet<String> = props.keys().cloned().collect();
        if let Some(req) = o.get_mut("required").and_then(Value::as_array_mut) {
            let before = req.len();
            req.retain(|r| r.as_str().is_some_and(|r| names.contains(r)));
            n += before - req.len();
        }
        Ok(())
    })?;
    Ok(n)
}

/// Upstream's tree listing (`…/tree/{rev}/{path}`) describes its entries without `path`,
/// which every entry carries (the official clients read it as `RepoFile.path`): without it a
/// listing cannot say which file is which. It is added, required, to the entry schema.
pub fn tree_entries_have_a_path(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_operation(doc, &mut |path, method, op, ptr| {
        if method != "get" || !path.contains("/tree/") {
            return Ok(());
        }
        let Some(items) = op.pointer_mut("/responses/200/content/application~1json/schema/items")
        else {
            return Ok(());
        };
        let Some(props) = items.get_mut("properties").and_then(Value::as_object_mut) else {
            return Err(CodegenError::at(ptr, "a tree entry without properties"));
        };
        if props.contains_key("path") {
            return Ok(());
        }
        props.insert(
            "path".into(),
            json!({"type": "string", "description": "The entry's path from the repository root"}),
        );
        if let Some(req) = items.get_mut("required").and_then(Value::as_array_mut) {
            req.push(json!("path"));
        }
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// Nothing the Hub sends is silently dropped: a response object with declared properties
/// also keeps the ones it did not declare (typify adds a flattened map of them), so a field
/// the Hub adds tomorrow is still readable today. Request bodies stay closed to what is
/// declared, so callers build them from their fields alone.
pub fn keep_unknown_response_fields(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, place| {
        if place != Place::Response {
            return Ok(());
        }
        if let Some(o) = s.as_object_mut()
            && o.get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty())
            && !o.contains_key("additionalProperties")
        {
            o.insert("additionalProperties".into(), json!({}));
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// An answer field the Hub's document calls required but the Hub has been seen to omit.
#[derive(Debug, Clone, Copy)]
pub struct OmittedField {
    /// The operation's method (lowercase, as in the document).
    pub method: &'static str,
    /// The end of the operation's path template (every repo-type copy matches).
    pub path_suffix: &'static str,
    /// A JSON pointer from the 200 answer's schema to the object holding the field (`""` for
    /// the answer itself).
    pub object: &'static str,
    /// The field.
    pub field: &'static str,
    /// The answer the Hub was seen to send without it.
    pub seen: &'static str,
    /// Why the field may go optional without weakening the answer (see the crate docs' policy).
    pub why: &'static str,
}

/// Every answer field the Hub has been seen to omit although its document requires it; the
/// one place such exceptions are listed (see the crate docs for the policy).
pub const OMITTED_ANSWER_FIELDS: &[OmittedField] = &[
    OmittedField {
        method: "post",
        path_suffix: "/preupload/{rev}",
        object: "",
        field: "commitOid",
        seen: r#"{"files":[{"path":"app.py","uploadMode":"regular","shouldIgnore":false}]}"#,
        why: "the head commit is advisory (a no-op commit reports it); the files carry the answer",
    },
    OmittedField {
        method: "get",
        path_suffix: "/api/spaces/{namespace}/{repo}/variables",
        object: "/additionalProperties",
        field: "key",
        seen: r#"{"foo":{"value":"456","description":"…","updatedAt":"…"}}"#,
        why: "the listing is a map keyed by the variable's name; `key` only repeats it",
    },
    OmittedField {
        method: "post",
        path_suffix: "/api/repos/create",
        object: "",
        field: "id",
        seen: r#"{"url":"https://huggingface.co/user/repo","name":"user/repo"}"#,
        why: "`id` is an internal database id; the repository is named by `name` and `url`",
    },
];

/// The Hub's answers drift from its document: fields it calls required are sometimes absent
/// (each case in [`OMITTED_ANSWER_FIELDS`], with the answer seen), and one absent field fails
/// the whole call with a decode error — a commit fails on its first step. Those fields become
/// optional (`Option<T>`). An entry whose field is no longer required upstream fails, naming
/// it; the count is of rows applied, and a test asserts the vendored document applies every
/// row, so the table only holds live fixes.
pub fn optional_fields_the_hub_omits(doc: &mut Value) -> Result<usize> {
    let mut used = vec![false; OMITTED_ANSWER_FIELDS.len()];
    each_operation(doc, &mut |path, method, op, ptr| {
        for (i, entry) in OMITTED_ANSWER_FIELDS.iter().enumerate() {
            if method != entry.method || !path.ends_with(entry.path_suffix) {
                continue;
            }
            let at = format!(
                "{ptr}/responses/200/content/application~1json/schema{}",
                entry.object
            );
            let schema = op
                .pointer_mut(&format!(
                    "/responses/200/content/application~1json/schema{}",
                    entry.object
                ))
                .ok_or_else(|| CodegenError::at(&at, "the answer schema is gone"))?;
            if schema.get("$ref").is_some() {
                return Err(CodegenError::at(
                    &at,
                    "the answer schema became a `$ref`: move this entry to the component",
                ));
            }
            let required = schema
                .get_mut("required")
                .and_then(Value::as_array_mut)
                .ok_or_else(|| CodegenError::at(&at, "no `required` list"))?;
            let before = required.len();
            required.retain(|r| r.as_str() != Some(entry.field));
            if required.len() == before {
                return Err(CodegenError::at(
                    format!("{at}/required"),
                    format!(
                        "`{}` is no longer required upstream: drop its entry",
                        entry.field
                    ),
                ));
            }
            used[i] = true;
        }
        Ok(())
    })?;
    // Counted by rows: the vendored document's test asserts every row still applies (a
    // smaller document, such as a test fixture, may not have these operations at all).
    Ok(used.iter().filter(|u| **u).count())
}

/// Response schemas carry `pattern`, `minLength`, `maxLength` (e.g. a date regex); typify
/// makes validating newtypes of them, so one value off the pattern would make a whole
/// response undecodable. We decode what the Hub sends; requests keep their constraints.
pub fn drop_response_string_constraints(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, place| {
        if place == Place::Response
            && let Some(o) = s.as_object_mut()
        {
            for k in ["pattern", "minLength", "maxLength"] {
                if o.remove(k).is_some() {
                    n += 1;
                }
            }
        }
        Ok(())
    })?;
    Ok(n)
}

/// Upstream's `components/schemas` holds shapes no operation uses (a `Job` beside the inline
/// job answers): they would be types nothing returns, and would take names the operations'
/// own shapes need. Components that no operation reaches, directly or through other
/// components, are dropped.
pub fn drop_unreferenced_components(doc: &mut Value) -> Result<usize> {
    fn refs(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str)
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.insert(name.replace("~1", "/").replace("~0", "~"));
                }
                o.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut reached = BTreeSet::new();
    refs(doc.get("paths").unwrap_or(&Value::Null), &mut reached);
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(0);
    };
    let mut todo: Vec<String> = reached.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        let mut more = BTreeSet::new();
        if let Some(s) = schemas.get(&name) {
            refs(s, &mut more);
        }
        for m in more {
            if reached.insert(m.clone()) {
                todo.push(m);
            }
        }
    }
    let before = schemas.len();
    schemas.retain(|k, _| reached.contains(k));
    Ok(before - schemas.len())
}

/// Names of fields and parameters that count or measure whole things: sizes in bytes,
/// counts, numbers (a discussion's `num`), positions, downloads, likes, seconds of
/// timeouts, cents. Upstream types them `number`, which would make them `f64` and make us
/// send `"size": 2000.0` where the official clients send `2000`; the official Python client
/// annotates every one of them `int`. Fields that are genuinely fractional (scores,
/// probabilities, prices in dollars, percentages, gigabytes) are not listed.
pub const INTEGER_NAMES: &[&str] = &[
    "amountCents",
    "amountDueCents",
    "bucketsCount",
    "client_id_issued_at",
    "client_secret_expires_at",
    "collectionsCount",
    "costCents",
    "count",
    "datasetsCount",
    "downloads",
    "exp",
    "expires_in",
    "failureCount",
    "followerCount",
    "gcTimeout",
    "githubStars",
    "kernelsCount",
    "likes",
    "limit",
    "maxOperations",
    "maxPayloadSize",
    "maxResults",
    "modelsCount",
    "num",
    "numBuckets",
    "numClosedDiscussions",
    "numComments",
    "numDatasets",
    "numDiscussions",
    "numEdits",
    "numFollowers",
    "numFollowing",
    "numFollowingOrgs",
    "numKernels",
    "numLikes",
    "numModels",
    "numPapers",
    "numParameters",
    "numReactionUsers",
    "numRows",
    "numSpaces",
    "numTotalDatasets",
    "numTotalModels",
    "numTotalSpaces",
    "numUpvotes",
    "numUsers",
    "numberItems",
    "papersCount",
    "pointerSize",
    "position",
    "quantity",
    "rank",
    "requestCount",
    "retry",
    "size",
    "spacesCount",
    "start",
    "startIndex",
    "timeout",
    "totalCents",
    "totalCostMicroUSD",
    "totalCostMicroUsd",
    "totalFiles",
    "unitCostMicroUSD",
    "unread",
    "upvotes",
    "usageAtChargeTimeMicroUSD",
    "usedMicroUsd",
];

/// Turns a `number` schema (or a nullable one, or a union member) into `integer`.
pub(super) fn number_to_integer(s: &mut Value) -> usize {
    let mut n = 0;
    if let Some(o) = s.as_object_mut() {
        if o.get("type") == Some(&json!("number")) {
            o.insert("type".into(), json!("integer"));
            o.remove("format");
            n += 1;
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(members) = o.get_mut(key).and_then(Value::as_array_mut) {
                for m in members {
                    n += number_to_integer(m);
                }
            }
        }
    }
    n
}

/// Integer-meaning `number` fields and parameters (named in [`INTEGER_NAMES`]) become
/// `integer`, so they decode as `i64` and are sent without a fraction.
pub fn integer_counts(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, _, _| {
        if let Some(props) = s.get_mut("properties").and_then(Value::as_object_mut) {
            for (name, p) in props.iter_mut() {
                if INTEGER_NAMES.contains(&name.as_str()) {
                    n += number_to_integer(p);
                }
            }
        }
        Ok(())
    })?;
    each_operation(doc, &mut |_, _, op, _| {
        for p in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let named = p
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| INTEGER_NAMES.contains(&name));
            if named && let Some(schema) = p.get_mut("schema") {
                n += number_to_integer(schema);
            }
        }
        Ok(())
    })?;
    Ok(n)
}
