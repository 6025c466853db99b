//! Hoisting inline schemas into named components: every type's name, chosen here.
//!
//! Upstream writes every schema inline: the same author object appears ~90 times, and
//! typify would make a Rust type of each copy (3,150 types, 172k lines, a 90 s build), named
//! by its own counters. Every object or enum shape becomes one component, referenced by
//! `$ref`, and identical shapes become one. A name comes from where the shape lives, never
//! from a counter or from what else the document contains:
//!
//! - a shape the document names with `x-hf-name` (our overlay's `ModelInfo`, …), or whose
//!   property set is in [`NAME_OVERRIDES`], takes that name;
//! - otherwise each place it appears proposes a name: the operation and role
//!   (`CreateRepoBody`, `ListModelsResponse`), then the JSON path from the nearest named
//!   ancestor — property names in PascalCase, array items singular (`files` → `File`), map
//!   values `Value`, union members by what tells them apart (the constant of a discriminating
//!   property, `"type": "model"` → `Model`, else a property only they have). Nested shapes
//!   drop the role when that stays unique (`CreateRepoFile`), [`LOCATION_NAMES`] shortens
//!   what is still long, and a shape used in several places under one property name is named
//!   by that property alone (`Author`);
//! - among its proposals a shape takes the shortest (then the first in byte order) that no
//!   larger shape took: larger shapes are named first, so a parent's name is known before its
//!   children's.
//!
//! [`hoist_shared_schemas`] fails the build, naming the JSON pointer, when a name is numbered, a
//! `Variant`/`Subtype` name, or 60 characters or more.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::walk::each_operation;
use crate::walk::strings;
use crate::{CodegenError, Result};

mod canonical;
use canonical::canonical;

/// Names for important shapes, keyed by the sorted property names of the object.
/// Enums are keyed by `enum:` and their sorted values.
pub const NAME_OVERRIDES: &[(&str, &str)] = &[
    (
        "avatarUrl,fullname,isHf,isHfAdmin,isMod,isPro,name,type",
        "Author",
    ),
    ("enum:datasets,models,spaces", "RepoTypeSegment"),
    ("enum:datasets,models", "GatedRepoTypeSegment"),
    ("enum:datasets,kernels,models,spaces", "AnyRepoTypeSegment"),
    ("enum:auto,manual", "GatingMode"),
    ("enum:eu,us", "Region"),
    ("enum:dataset,model,space", "RepoType"),
    ("enum:private,protected,public", "Visibility"),
    ("enum:directory,file,unknown", "TreeEntryType"),
    ("enum:directory,file", "PathInfoType"),
];

fn is_candidate(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    if o.contains_key("$ref") {
        return false;
    }
    let object = o
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    let enumeration = o
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty());
    // A constrained string is a validating newtype in Rust: a type, so it is named here too.
    let constrained = o.get("type").and_then(Value::as_str) == Some("string")
        && ["pattern", "minLength", "maxLength"]
            .iter()
            .any(|k| o.contains_key(*k));
    // So is a union: an enum in Rust.
    let union = ["anyOf", "oneOf"].iter().any(|k| {
        o.get(*k)
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() > 1)
    });
    object || enumeration || constrained || union
}

pub(crate) fn pascal(s: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if up {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            up = false;
        } else {
            up = true;
        }
    }
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// Shorter names for places whose derived name is too long, keyed by the derived name.
pub const LOCATION_NAMES: &[(&str, &str)] = &[
    ("ListRepoTreeItem", "TreeEntry"),
    ("ListRepoCommitsItem", "Commit"),
    ("GetPathsInfoItem", "PathInfo"),
    ("ListOrganizationMembersItem", "OrganizationMember"),
    ("ListRepoLfsFilesItem", "LfsFile"),
    ("ListRepoUserAccessRequestItem", "AccessRequest"),
    ("ListBucketTreeItem", "BucketTreeEntry"),
    ("GetRepoRefsResponse", "RepoRefs"),
    ("WhoamiUser", "WhoAmI"),
    ("ListJobsItem", "Job"),
    ("GetJobResponse", "Job"),
    ("DuplicateRepoResourceGroupId", "ResourceGroupId"),
    ("DuplicateRepoSecret", "SpaceVariableOrSecret"),
    ("CreateRepoModelLicenseName", "LicenseName"),
    ("GetBucketXetReadTokenResponse", "XetToken"),
    ("GetRepoXetReadTokenResponse", "XetToken"),
    ("ListPapersItemAuthor", "PaperAuthor"),
    ("GetPaperAuthor", "PaperAuthor"),
    ("ModelResourceGroup", "RepoResourceGroup"),
    ("JobResourceGroup", "RepoResourceGroup"),
    ("UpdateCollectionData", "Collection"),
    ("CreateSpaceSecretsBody", "SpaceKeyValue"),
    ("GetRepoDiscussionResponse", "Discussion"),
    (
        "CreateAgenticProvisioningAccountRequestsCredentialsCredentials",
        "AgenticProvisioningAccountCredentials",
    ),
    (
        "CreateAgenticProvisioningAccountRequestsRequiresAuthRequiresAuth",
        "AgenticProvisioningAccountAuthRequirement",
    ),
    (
        "CreateAgenticProvisioningAccountRequestsCredentialsCredentialsType",
        "AgenticProvisioningAccountCredentialsType",
    ),
    (
        "AgenticProvisioningAccountCredentialsBearerAccountPaymentCredentials",
        "AgenticProvisioningPaymentCredentials",
    ),
    (
        "GetOrganizationScimServiceProviderConfigAuthenticationScheme",
        "ScimAuthenticationScheme",
    ),
    (
        "CreateAgenticProvisioningResourceUpdateServicePaymentCredentials",
        "AgenticProvisioningServicePaymentCredentials",
    ),
];

/// Names of union members that hold several values of a discriminating property, keyed by
/// the sorted values.
const VALUE_SET_NAMES: &[(&str, &str)] = &[("bucket,dataset,kernel,model,space", "Repo")];

/// Words too vague to name a shared shape alone (`types::Type`): such a shape keeps a name
/// from its place.
const VAGUE: &[&str] = &[
    "Type",
    "Status",
    "Data",
    "Item",
    "Value",
    "Items",
    "Result",
    "Results",
    "Meta",
    "Info",
    "Config",
    "Settings",
    "Resource",
    "Resources",
    "Mode",
    "Name",
    "Kind",
    "Details",
    "Entry",
    "Body",
    "Response",
    "Options",
    "Metadata",
    "Error",
    "State",
    "Stage",
    "Key",
    "Id",
];

/// Digits that are part of a name, not a counter.
pub const DIGIT_NAMES: &[&str] = &[
    "Sha256", "Cidrv4", "Cidrv6", "Ipv4", "Ipv6", "S3", "Oauth2", "V2",
];

/// The singular of a PascalCase segment, or `None` when it does not look plural.
fn singular(seg: &str) -> Option<String> {
    if let Some(x) = seg.strip_suffix("ies") {
        Some(format!("{x}y"))
    } else if let Some(x) = seg.strip_suffix("sses") {
        Some(format!("{x}ss"))
    } else if seg.ends_with('s') && !seg.ends_with("ss") && seg.len() > 1 {
        Some(seg[..seg.len() - 1].to_string())
    } else {
        None
    }
}

/// One place a candidate shape appears.
#[derive(Clone, Debug)]
struct Occurrence {
    /// The nearest candidate ancestor's key, if any.
    parent: Option<String>,
    /// The operation's name (`CreateRepo`) and role (`Body`).
    op: String,
    role: String,
    /// Segments from the nearest candidate ancestor (or the root).
    segments: Vec<String>,
    /// A JSON pointer to the place, for errors.
    pointer: String,
}

#[derive(Default)]
struct Census {
    occurrences: BTreeMap<String, Vec<Occurrence>>,
    /// Names the document itself gives a shape (`x-hf-name`, used by our overlay).
    named: BTreeMap<String, String>,
}

/// The segment of a union member: what tells it apart from its siblings.
fn member_segment(member: &Value, siblings: &[Value], pointer: &str) -> Result<String> {
    let props = |v: &Value| -> BTreeSet<String> {
        v.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let constant = |v: &Value, k: &str| -> Option<String> {
        let e = v.pointer(&format!("/properties/{}/enum", crate::walk::esc(k)))?;
        let a = e.as_array()?;
        match a.as_slice() {
            [Value::String(s)] => Some(s.clone()),
            // `"enabled": true` / `false`: `Enabled` / `NotEnabled`.
            [Value::Bool(true)] => Some(k.to_string()),
            [Value::Bool(false)] => Some(format!("not_{k}")),
            _ => None,
        }
    };
    let values = |v: &Value, k: &str| -> Vec<String> {
        strings(v.pointer(&format!("/properties/{}/enum", crate::walk::esc(k))))
    };
    // A discriminating constant: a property every member has, with values that differ.
    for k in props(member) {
        if let Some(c) = constant(member, &k)
            && siblings.iter().all(|s| {
                s == member
                    || constant(s, &k).is_some_and(|x| x != c)
                    || (values(s, &k).len() > 1 && !values(s, &k).contains(&c))
            })
        {
            return Ok(pascal(&c));
        }
    }
    // A discriminator this member holds several values of (the repository kinds beside
    // `"collection"`, `"job"`, …): named by the value set, else `Any` + the property.
    for k in props(member) {
        let mut mine = values(member, &k);
        if mine.len() > 1
            && siblings
                .iter()
                .filter(|s| *s != member)
                .all(|s| constant(s, &k).is_some_and(|c| !mine.contains(&c)))
        {
            mine.sort();
            let set = mine.join(",");
            return Ok(VALUE_SET_NAMES
                .iter()
                .find(|(s, _)| *s == set)
                .map_or_else(|| format!("Any{}", pascal(&k)), |(_, n)| n.to_string()));
        }
    }
    if let Some(t) = member.get("title").and_then(Value::as_str) {
        return Ok(pascal(t));
    }
    let others: BTreeSet<String> = siblings
        .iter()
        .filter(|s| *s != member)
        .flat_map(props)
        .collect();
    let required = strings(member.get("required"));
    if let Some(k) = required.iter().find(|k| !others.contains(*k)) {
        return Ok(format!("With{}", pascal(k)));
    }
    if let Some(k) = props(member).into_iter().find(|k| !others.contains(k)) {
        return Ok(format!("With{}", pascal(&k)));
    }
    // Nothing of its own: a member with fewer properties than a sibling (`{"enabled":
    // false}` beside `{"enabled": true, "role": …}`) is named by what it has.
    let mine = props(member);
    if !mine.is_empty()
        && siblings
            .iter()
            .filter(|s| *s != member)
            .all(|s| props(s).is_superset(&mine) && props(s) != mine)
    {
        let joined: String = mine.iter().map(|k| pascal(k)).collect();
        return Ok(format!("Only{joined}"));
    }
    // The same properties, one typed differently: named by that property and its type.
    let schema_of = |v: &Value, k: &str| {
        v.pointer(&format!("/properties/{}", crate::walk::esc(k)))
            .map(canonical)
    };
    for k in &mine {
        let here = schema_of(member, k);
        if siblings
            .iter()
            .filter(|s| *s != member)
            .all(|s| schema_of(s, k) != here)
        {
            let ty = member
                .pointer(&format!("/properties/{}/type", crate::walk::esc(k)))
                .and_then(Value::as_str)
                .unwrap_or("any");
            return Ok(format!("{}{}", pascal(k), pascal(ty)));
        }
    }
    if let Some(values) = member.get("enum").and_then(Value::as_array) {
        return Ok(match values.as_slice() {
            [one] => pascal(one.as_str().unwrap_or("Value")),
            _ => "Known".to_string(),
        });
    }
    // The only member with its `type` (or `format`) among its siblings.
    let only_one = |key: &str| -> Option<&str> {
        let mine = member.get(key).and_then(Value::as_str)?;
        let same = siblings
            .iter()
            .filter(|s| s.get(key).and_then(Value::as_str) == Some(mine))
            .count();
        (same == 1).then_some(mine)
    };
    if let Some(t) = only_one("type")
        && props(member).is_empty()
    {
        return Ok(pascal(t));
    }
    if let Some(f) = only_one("format") {
        return Ok(pascal(f));
    }
    Err(CodegenError::at(
        pointer,
        "a union member with nothing that tells it apart from its siblings: give it a \
         title in the overlay or a name in hoist::LOCATION_NAMES",
    ))
}

/// Children of a schema: `(child, segment to add, whether the child is transparent)`. An
/// `allOf` member is transparent: it is part of its parent, not a type of its own.
fn children<'a>(v: &'a mut Value, pointer: &str) -> Result<Vec<Child<'a>>> {
    let mut out = Vec::new();
    let Some(o) = v.as_object_mut() else {
        return Ok(out);
    };
    for (k, child) in o.iter_mut() {
        let here = format!("{pointer}/{}", crate::walk::esc(k));
        match k.as_str() {
            "properties" => {
                if let Some(p) = child.as_object_mut() {
                    for (name, s) in p.iter_mut() {
                        let ptr = format!("{here}/{}", crate::walk::esc(name));
                        out.push((s, Some(pascal(name)), false, ptr));
                    }
                }
            }
            "items" => out.push((child, None, false, here)),
            "additionalProperties" if child.is_object() => {
                out.push((child, Some("Value".into()), false, here));
            }
            "anyOf" | "oneOf" => {
                if let Some(a) = child.as_array_mut() {
                    let siblings: Vec<Value> = a.clone();
                    for (i, s) in a.iter_mut().enumerate() {
                        let ptr = format!("{here}/{i}");
                        let seg = if is_candidate(s) {
                            Some(member_segment(s, &siblings, &ptr)?)
                        } else {
                            Some(String::new())
                        };
                        out.push((s, seg, false, ptr));
                    }
                }
            }
            "allOf" => {
                if let Some(a) = child.as_array_mut() {
                    for (i, s) in a.iter_mut().enumerate() {
                        out.push((s, Some(String::new()), true, format!("{here}/{i}")));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A child in the walk: the schema, the segment it adds (`None` for array items), whether it
/// is transparent (an `allOf` member), and its JSON pointer.
type Child<'a> = (&'a mut Value, Option<String>, bool, String);

/// Where a chosen name stands: `(operation, role, path segments)`; a renamed or curated
/// shape starts a new path at its own name.
type Place = (String, String, Vec<String>);

/// A proposed name and the place it stands for.
type Proposal = (String, Place);

/// Where the walk is: the nearest candidate ancestor and the segments since.
#[derive(Clone)]
struct Context {
    parent: Option<String>,
    op: String,
    role: String,
    segments: Vec<String>,
}

impl Context {
    fn descend(&self, seg: &Option<String>) -> Context {
        let mut c = self.clone();
        match seg {
            Some(s) => {
                if !s.is_empty() {
                    c.segments.push(s.clone());
                }
            }
            None => {
                // Array items: the singular of the array's own segment, else `Item`.
                match c.segments.last().and_then(|l| singular(l)) {
                    Some(one) => {
                        c.segments.pop();
                        c.segments.push(one);
                    }
                    None => c.segments.push("Item".into()),
                }
            }
        }
        c
    }
}

fn census(
    v: &mut Value,
    ctx: &Context,
    transparent: bool,
    pointer: &str,
    c: &mut Census,
) -> Result<()> {
    let mut next = ctx.clone();
    if is_candidate(v) && !transparent {
        let key = canonical(v);
        if let Some(n) = v.get("x-hf-name").and_then(Value::as_str) {
            c.named.insert(key.clone(), n.to_string());
        }
        c.occurrences
            .entry(key.clone())
            .or_default()
            .push(Occurrence {
                parent: ctx.parent.clone(),
                op: ctx.op.clone(),
                role: ctx.role.clone(),
                segments: ctx.segments.clone(),
                pointer: pointer.to_string(),
            });
        next = Context {
            parent: Some(key),
            op: ctx.op.clone(),
            role: ctx.role.clone(),
            segments: Vec::new(),
        };
    }
    for (child, seg, t, ptr) in children(v, pointer)? {
        census(child, &next.descend(&seg), t, &ptr, c)?;
    }
    Ok(())
}

fn replace(
    v: &mut Value,
    transparent: bool,
    names: &BTreeMap<String, String>,
    components: &mut Map<String, Value>,
) -> Result<()> {
    if is_candidate(v)
        && !transparent
        && let Some(name) = names.get(&canonical(v))
    {
        let mut body = v.take();
        if !components.contains_key(name) {
            // Reserve the name first: a shape may contain itself only through a ref.
            components.insert(name.clone(), Value::Null);
            for (child, _, t, _) in children(&mut body, "")? {
                replace(child, t, names, components)?;
            }
            components.insert(name.clone(), body);
        }
        *v = json!({"$ref": format!("#/components/schemas/{name}")});
        return Ok(());
    }
    for (child, _, t, _) in children(v, "")? {
        replace(child, t, names, components)?;
    }
    Ok(())
}

/// Roots of every operation's schemas: `(schema, operation name, role, pointer)`.
fn operation_roots(
    doc: &mut Value,
    f: &mut dyn FnMut(&mut Value, &str, &str, &str) -> Result<()>,
) -> Result<()> {
    each_operation(doc, &mut |_, _, op, ptr| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(pascal)
            .unwrap_or_default();
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for (i, p) in params.iter_mut().enumerate() {
                let pname = p
                    .get("name")
                    .and_then(Value::as_str)
                    .map(pascal)
                    .unwrap_or_default();
                if let Some(s) = p.get_mut("schema") {
                    f(s, &id, &pname, &format!("{ptr}/parameters/{i}/schema"))?;
                }
            }
        }
        if let Some(content) = op
            .pointer_mut("/requestBody/content")
            .and_then(Value::as_object_mut)
        {
            for (mt, m) in content.iter_mut() {
                if let Some(s) = m.get_mut("schema") {
                    let p = format!("{ptr}/requestBody/content/{}/schema", crate::walk::esc(mt));
                    f(s, &id, "Body", &p)?;
                }
            }
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for (code, r) in responses.iter_mut() {
                if let Some(content) = r.get_mut("content").and_then(Value::as_object_mut) {
                    for (mt, m) in content.iter_mut() {
                        if let Some(s) = m.get_mut("schema") {
                            let p = format!(
                                "{ptr}/responses/{code}/content/{}/schema",
                                crate::walk::esc(mt)
                            );
                            f(s, &id, "Response", &p)?;
                        }
                    }
                }
            }
        }
        Ok(())
    })
}

/// Derived names longer than this also propose shorter forms that keep the operation and
/// drop the first segments of the path (`…ResourceGroupCompute` → `…Compute`).
const LONG: usize = 48;

/// The names an occurrence proposes, best first, with the path each stands for. `chains`
/// holds the chosen `(operation, path)` of every shape named so far.
fn proposals(o: &Occurrence, chains: &BTreeMap<String, Place>) -> Vec<Proposal> {
    let (op, role, mut chain) = match &o.parent {
        Some(p) => chains.get(p).cloned().unwrap_or_default(),
        None => (o.op.clone(), o.role.clone(), Vec::new()),
    };
    chain.extend(o.segments.iter().cloned());
    let at = (op.clone(), role.clone(), chain.clone());
    let shorter: BTreeMap<&str, &str> = LOCATION_NAMES.iter().copied().collect();
    // A renamed place starts a new path: its children are named after the new name.
    let rename = |n: String| match shorter.get(n.as_str()) {
        Some(s) => (
            s.to_string(),
            (String::new(), String::new(), vec![s.to_string()]),
        ),
        None => (n, at.clone()),
    };
    if chain.is_empty() {
        // A parameter's shape is `{Op}{Param}`, or `{Op}{Param}Param` beside a namesake.
        let mut out = vec![rename(format!("{op}{role}"))];
        if role != "Body" && role != "Response" {
            out.push(rename(format!("{op}{role}Param")));
        }
        return out;
    }
    let full = format!("{op}{}", chain.concat());
    let mut out = Vec::new();
    if full.len() < LONG {
        out.push(full.clone());
    }
    // Shorter forms keep the operation's name: a path alone (`Lfs`) says too little.
    if !op.is_empty() {
        for i in 1..chain.len() {
            let n = format!("{op}{}", chain[i..].concat());
            if n.len() < 60 {
                out.push(n);
            }
        }
    }
    out.push(full);
    out.push(format!("{op}{role}{}", chain.concat()));
    out.into_iter().map(rename).collect()
}

/// Whether a name is one the build refuses ([`hoist_shared_schemas`] and the generator check every type name), and why.
pub fn bad_name(name: &str) -> Option<&'static str> {
    let stripped = DIGIT_NAMES
        .iter()
        .fold(name.to_string(), |n, d| n.replace(d, ""));
    if stripped.ends_with(|c: char| c.is_ascii_digit()) {
        return Some("numbered");
    }
    if ["Variant", "Subtype"].iter().any(|w| {
        name.match_indices(w)
            .any(|(i, _)| name[i + w.len()..].starts_with(|c: char| c.is_ascii_digit()))
    }) {
        return Some("a Variant/Subtype name");
    }
    if name.len() >= 60 {
        return Some("60 characters or more");
    }
    None
}

/// The step: hoists every object and enum shape under its place's name. Returns how many
/// components it made.
pub fn hoist_shared_schemas(doc: &mut Value) -> Result<usize> {
    let mut c = Census::default();
    operation_roots(doc, &mut |s, op, role, ptr| {
        let ctx = Context {
            parent: None,
            op: op.to_string(),
            role: role.to_string(),
            segments: Vec::new(),
        };
        census(s, &ctx, false, ptr, &mut c)
    })?;
    let mut taken: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let overrides: BTreeMap<&str, &str> = NAME_OVERRIDES.iter().copied().collect();

    // Larger shapes first (a parent's canonical text contains its children's), so a parent
    // is named before its children; ties in byte order.
    let mut keys: Vec<&String> = c.occurrences.keys().collect();
    keys.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut chains: BTreeMap<String, Place> = BTreeMap::new();
    let mut bad = Vec::new();
    for key in keys {
        let occ = &c.occurrences[key];
        let value: Value = serde_json::from_str(key).unwrap_or(Value::Null);
        let curated = c.named.get(key).cloned().or_else(|| {
            signature(&value).and_then(|s| overrides.get(s.as_str()).map(|n| n.to_string()))
        });
        let mut choices: Vec<Proposal> = Vec::new();
        let mut lists: Vec<Vec<Proposal>> = occ.iter().map(|o| proposals(o, &chains)).collect();
        // The place with the best proposal speaks first (shortest, then byte order).
        lists.sort_by(|a, b| {
            let (x, y) = (&a[0].0, &b[0].0);
            x.len().cmp(&y.len()).then(x.cmp(y))
        });
        if let Some(n) = curated {
            let at = (String::new(), String::new(), vec![n.clone()]);
            choices.push((n, at));
        } else {
            // One property name everywhere, in more than one operation: that name alone.
            let lasts: BTreeSet<&str> = occ
                .iter()
                .map(|o| o.segments.last().map_or("", String::as_str))
                .collect();
            let ops: BTreeSet<&str> = occ.iter().map(|o| o.op.as_str()).collect();
            if let [only] = lasts.into_iter().collect::<Vec<_>>()[..]
                && ops.len() > 1
                && value.get("properties").is_some()
                && !only.is_empty()
                && !VAGUE.contains(&only)
            {
                choices.push((
                    only.to_string(),
                    (String::new(), String::new(), vec![only.to_string()]),
                ));
            }
            for list in lists {
                choices.extend(list);
            }
        }
        let Some((name, at)) = choices.iter().find(|(n, _)| !taken.contains(n)).cloned() else {
            let all: Vec<&str> = choices.iter().map(|(n, _)| n.as_str()).collect();
            return Err(CodegenError::at(
                &occ[0].pointer,
                format!(
                    "every name this shape could take ({}) is taken: add one to \
                     hoist::LOCATION_NAMES or NAME_OVERRIDES",
                    all.join(", ")
                ),
            ));
        };
        chains.insert(key.clone(), at);
        if let Some(why) = bad_name(&name) {
            bad.push(format!("{}: `{name}` is {why}", occ[0].pointer));
        }
        taken.insert(name.clone());
        names.insert(key.clone(), name);
    }
    if !bad.is_empty() {
        return Err(CodegenError::at(
            "/components/schemas",
            format!(
                "{} names a user would not adopt (shorten them in hoist::LOCATION_NAMES):\n{}",
                bad.len(),
                bad.join("\n")
            ),
        ));
    }
    let mut components = Map::new();
    operation_roots(doc, &mut |s, _, _, _| {
        replace(s, false, &names, &mut components)
    })?;
    let n = components.len();
    let schemas = doc
        .as_object_mut()
        .map(|o| o.entry("components").or_insert_with(|| json!({})))
        .and_then(|c| c.as_object_mut())
        .map(|c| c.entry("schemas").or_insert_with(|| json!({})));
    if let Some(Value::Object(schemas)) = schemas {
        for (k, v) in components {
            schemas.insert(k, v);
        }
        schemas.sort_keys();
    }
    Ok(n)
}

/// The override key of a shape: its sorted property names, or `enum:` and its values.
fn signature(value: &Value) -> Option<String> {
    value
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect::<Vec<_>>().join(","))
        .or_else(|| {
            let mut vals: Vec<String> = value
                .get("enum")?
                .as_array()?
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect();
            vals.sort();
            Some(format!("enum:{}", vals.join(",")))
        })
}
