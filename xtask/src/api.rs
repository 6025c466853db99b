//! The public Rust API of one codegen run, and what changed in it between two runs.
//!
//! A snapshot ([`ApiSnapshot`]) is read from the generated code with `syn`, which is what a
//! user compiles against:
//!
//! - every type of `pub mod types`: its kind and its members — a struct's fields as **Rust
//!   identifiers** (`type_`, `created_at`, the flattened `extra`), an enum's variant
//!   identifiers;
//! - every `impl crate::Hub` method: its positional inputs (`repo: &crate::repo::RepoId`), the
//!   setters of the request builder it returns (`pub mod requests`: `pub fn x(self, …) -> Self`)
//!   and its answer (`send`'s `crate::Result<T>`, or `stream of T` for a paginated builder).
//!
//! Each type also gets a **name-independent shape**, so that a type whose name changed while
//! its schema did not is recognised (a rename, not a removal and an addition). For a type that
//! is a component of the normalised document (every hoisted shape is), the shape is the
//! component's schema with documentation dropped, keys sorted, enum values sorted (as
//! `hoist` compares shapes), and every `$ref` replaced by the shape of its target, recursively:
//! a parent is "unchanged" when its children are unchanged in structure, whatever they are
//! called. (Comparing the component's JSON with the `$ref` *names* would make every parent of a
//! renamed type look changed, hiding the very renames this is for.) A type typify makes by
//! itself (no component: `FooInner` of a nullable `Foo`, …) gets the shape of its Rust item
//! instead (attributes other than `serde` dropped, its own name blanked).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use quote::ToTokens;
use serde_json::Value;

/// What kind of Rust type a public type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    /// A struct with named fields.
    Struct,
    /// A tuple struct (a newtype).
    Newtype,
    /// An enum.
    Enum,
}

impl TypeKind {
    /// What its members are called in a report.
    pub fn members_word(self) -> &'static str {
        match self {
            TypeKind::Enum => "variants",
            _ => "fields",
        }
    }
}

/// One public type of `types`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeApi {
    /// Struct, newtype or enum.
    pub kind: TypeKind,
    /// A struct's field identifiers (Rust snake_case, as written by a user), an enum's variant
    /// identifiers, in declaration order; empty for a newtype.
    pub members: Vec<String>,
    /// The name-independent shape (see the module docs): two types with one shape have one
    /// schema.
    pub shape: String,
    /// Whether `shape` comes from a component of the normalised document (else from the Rust
    /// item).
    pub from_schema: bool,
}

/// One `Hub` method and its request builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodApi {
    /// The positional inputs after `&self`, as `name: Type`.
    pub inputs: Vec<String>,
    /// The builder's setters: name → the type of its argument.
    pub setters: BTreeMap<String, String>,
    /// What awaiting the request gives (`types::ModelInfo`, `()`, `stream of types::Commit`).
    pub answer: String,
}

impl MethodApi {
    /// `(repo: &crate::repo::RepoId, rev: &str)`.
    pub fn inputs_text(&self) -> String {
        format!("({})", self.inputs.join(", "))
    }
}

/// The public API of one codegen run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiSnapshot {
    /// Every type of `pub mod types`, by name.
    pub types: BTreeMap<String, TypeApi>,
    /// Every generated `Hub` method, by name.
    pub methods: BTreeMap<String, MethodApi>,
}

impl ApiSnapshot {
    /// Reads the snapshot from the generated `code` and the `normalised` document it was
    /// generated from (for the shapes of components).
    pub fn of(code: &str, normalised: &Value) -> Result<Self, String> {
        let file = syn::parse_file(code).map_err(|e| format!("the generated code: {e}"))?;
        let schema_shapes = component_shapes(normalised);
        let mut snap = ApiSnapshot::default();
        let mut builders: BTreeMap<String, Builder> = BTreeMap::new();
        let mut hub_methods: Vec<(String, Vec<String>, String)> = Vec::new();
        for item in &file.items {
            match item {
                syn::Item::Mod(m) if m.ident == "types" => {
                    for it in m.content.iter().flat_map(|(_, items)| items) {
                        if let Some((name, t)) = type_api(it, &schema_shapes) {
                            snap.types.insert(name, t);
                        }
                    }
                }
                syn::Item::Mod(m) if m.ident == "requests" => {
                    for it in m.content.iter().flat_map(|(_, items)| items) {
                        read_builder(it, &mut builders);
                    }
                }
                syn::Item::Impl(i) if i.trait_.is_none() && is_hub(&i.self_ty) => {
                    for f in i.items.iter().filter_map(|x| match x {
                        syn::ImplItem::Fn(f) if is_pub(&f.vis) => Some(f),
                        _ => None,
                    }) {
                        let inputs = typed_inputs(&f.sig);
                        let ret = return_text(&f.sig.output);
                        hub_methods.push((f.sig.ident.to_string(), inputs, ret));
                    }
                }
                _ => {}
            }
        }
        for (name, inputs, ret) in hub_methods {
            // `crate::requests::FooRequest` → that builder's setters and answer; any other
            // return type is the answer itself.
            let builder = ret.strip_prefix("crate::requests::").map(str::to_string);
            let (setters, answer) = match builder.and_then(|b| builders.get(&b)) {
                Some(b) => (
                    b.setters.clone(),
                    b.answer.clone().unwrap_or_else(|| "?".into()),
                ),
                None => (BTreeMap::new(), ret),
            };
            snap.methods.insert(
                name,
                MethodApi {
                    inputs,
                    setters,
                    answer,
                },
            );
        }
        Ok(snap)
    }
}

#[derive(Default)]
struct Builder {
    setters: BTreeMap<String, String>,
    answer: Option<String>,
}

fn is_pub(v: &syn::Visibility) -> bool {
    matches!(v, syn::Visibility::Public(_))
}

fn is_hub(ty: &syn::Type) -> bool {
    let t = tidy(&ty.to_token_stream().to_string());
    t == "crate::Hub" || t == "Hub"
}

fn self_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn typed_inputs(sig: &syn::Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(p) => Some(format!(
                "{}: {}",
                tidy(&p.pat.to_token_stream().to_string()),
                tidy(&p.ty.to_token_stream().to_string())
            )),
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

fn return_text(out: &syn::ReturnType) -> String {
    match out {
        syn::ReturnType::Default => "()".into(),
        syn::ReturnType::Type(_, t) => tidy(&t.to_token_stream().to_string()),
    }
}

/// The `T` of `prefix<T>`.
fn generic_of(text: &str, prefix: &str) -> Option<String> {
    text.strip_prefix(prefix)?
        .strip_prefix('<')?
        .strip_suffix('>')
        .map(str::to_string)
}

/// The output of `::futures::future::BoxFuture<'static, T>` (the text as it is otherwise).
fn future_output(text: &str) -> String {
    text.strip_prefix("::futures::future::BoxFuture<'static,")
        .and_then(|rest| rest.strip_suffix('>'))
        .map(|rest| rest.trim().trim_end_matches(',').trim().to_string())
        .unwrap_or_else(|| text.to_string())
}

fn read_builder(item: &syn::Item, builders: &mut BTreeMap<String, Builder>) {
    let syn::Item::Impl(i) = item else { return };
    let Some(name) = self_ident(&i.self_ty) else {
        return;
    };
    let b = builders.entry(name).or_default();
    if let Some((trait_, _)) = &i.trait_ {
        // `impl IntoFuture for FooRequest { type Output = crate::Result<T>; }`
        if trait_
            .segments
            .last()
            .is_some_and(|s| s.ident == "IntoFuture")
            && b.answer.is_none()
        {
            for x in &i.items {
                if let syn::ImplItem::Type(t) = x
                    && t.ident == "Output"
                {
                    let out = tidy(&t.ty.to_token_stream().to_string());
                    b.answer = Some(generic_of(&out, "crate::Result").unwrap_or(out));
                }
            }
        }
        return;
    }
    for x in &i.items {
        let syn::ImplItem::Fn(f) = x else { continue };
        if !is_pub(&f.vis) {
            continue;
        }
        let by_value = f.sig.inputs.iter().any(
            |a| matches!(a, syn::FnArg::Receiver(r) if matches!(r.kind, syn::ReceiverKind::Value)),
        );
        let ret = return_text(&f.sig.output);
        let name = f.sig.ident.to_string();
        if by_value && ret == "Self" {
            let arg = typed_inputs(&f.sig)
                .into_iter()
                .map(|a| a.split_once(": ").map_or(a.clone(), |(_, t)| t.to_string()))
                .collect::<Vec<_>>()
                .join(", ");
            b.setters.insert(name, arg);
        } else if name == "send" {
            // `send` answers a boxed future of `crate::Result<T>`.
            let ret = future_output(&ret);
            b.answer = Some(generic_of(&ret, "crate::Result").unwrap_or(ret));
        } else if name == "into_paginator" {
            let item = generic_of(&ret, "crate::pagination::Paginator").unwrap_or(ret);
            b.answer = Some(format!("stream of {item}"));
        }
    }
}

fn type_api(
    item: &syn::Item,
    schema_shapes: &BTreeMap<String, String>,
) -> Option<(String, TypeApi)> {
    let (ident, kind, members) = match item {
        syn::Item::Struct(s) if is_pub(&s.vis) => match &s.fields {
            syn::Fields::Named(n) => (
                &s.ident,
                TypeKind::Struct,
                n.named
                    .iter()
                    .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
                    .collect(),
            ),
            _ => (&s.ident, TypeKind::Newtype, Vec::new()),
        },
        syn::Item::Enum(e) if is_pub(&e.vis) => (
            &e.ident,
            TypeKind::Enum,
            e.variants.iter().map(|v| v.ident.to_string()).collect(),
        ),
        _ => return None,
    };
    let name = ident.to_string();
    let (shape, from_schema) = match schema_shapes.get(&name) {
        Some(s) => (s.clone(), true),
        None => (rust_shape(item, &name), false),
    };
    Some((
        name,
        TypeApi {
            kind,
            members,
            shape,
            from_schema,
        },
    ))
}

/// The shape of a Rust item: its tokens without non-`serde` attributes, its own name blanked.
fn rust_shape(item: &syn::Item, name: &str) -> String {
    let mut item = item.clone();
    let keep = |attrs: &mut Vec<syn::Attribute>| attrs.retain(|a| a.path().is_ident("serde"));
    match &mut item {
        syn::Item::Struct(s) => {
            keep(&mut s.attrs);
            for f in s.fields.iter_mut() {
                keep(&mut f.attrs);
            }
        }
        syn::Item::Enum(e) => {
            keep(&mut e.attrs);
            for v in e.variants.iter_mut() {
                keep(&mut v.attrs);
                for f in v.fields.iter_mut() {
                    keep(&mut f.attrs);
                }
            }
        }
        _ => {}
    }
    let text = item
        .to_token_stream()
        .to_string()
        .replacen(&format!(" {name} "), " _ ", 1);
    format!("rust:{:016x}", hash(&text))
}

fn hash(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Keywords that only document (as `hoist` drops them when it compares shapes).
const DOC_KEYWORDS: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "x-hf-name",
    "externalDocs",
];

/// The name-independent shape of every component of `components/schemas` (module docs).
pub fn component_shapes(normalised: &Value) -> BTreeMap<String, String> {
    let empty = serde_json::Map::new();
    let schemas = normalised
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut memo: BTreeMap<String, String> = BTreeMap::new();
    let mut stack: Vec<String> = Vec::new();
    for name in schemas.keys() {
        shape_of(name, schemas, &mut memo, &mut stack);
    }
    memo
}

fn shape_of(
    name: &str,
    schemas: &serde_json::Map<String, Value>,
    memo: &mut BTreeMap<String, String>,
    stack: &mut Vec<String>,
) -> String {
    if let Some(s) = memo.get(name) {
        return s.clone();
    }
    // A reference back into a type being shaped (a recursive schema): marked by how far up the
    // stack it points, which does not depend on names.
    if let Some(pos) = stack.iter().position(|n| n == name) {
        return format!("cycle:{}", stack.len() - pos);
    }
    let Some(schema) = schemas.get(name) else {
        return format!("missing:{name}");
    };
    stack.push(name.to_string());
    let canonical = canonical(schema, schemas, memo, stack);
    stack.pop();
    let s = format!("schema:{:016x}", hash(&canonical.to_string()));
    memo.insert(name.to_string(), s.clone());
    s
}

fn canonical(
    v: &Value,
    schemas: &serde_json::Map<String, Value>,
    memo: &mut BTreeMap<String, String>,
    stack: &mut Vec<String>,
) -> Value {
    match v {
        Value::Object(o) => {
            if let Some(target) = o
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                let target = target.replace("~1", "/").replace("~0", "~");
                let mut out = serde_json::Map::new();
                out.insert(
                    "$shape".into(),
                    Value::String(shape_of(&target, schemas, memo, stack)),
                );
                for (k, x) in o {
                    if k != "$ref" && !DOC_KEYWORDS.contains(&k.as_str()) {
                        out.insert(k.clone(), canonical(x, schemas, memo, stack));
                    }
                }
                return sorted(out);
            }
            let mut out = serde_json::Map::new();
            for (k, x) in o {
                if DOC_KEYWORDS.contains(&k.as_str()) {
                    continue;
                }
                let mut x = canonical(x, schemas, memo, stack);
                if k == "enum"
                    && let Some(values) = x.as_array_mut()
                {
                    values.sort_by_key(|v| v.to_string());
                }
                out.insert(k.clone(), x);
            }
            sorted(out)
        }
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| canonical(x, schemas, memo, stack))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn sorted(m: serde_json::Map<String, Value>) -> Value {
    let b: BTreeMap<String, Value> = m.into_iter().collect();
    Value::Object(b.into_iter().collect())
}

/// Token text of a type made readable: `& crate :: repo :: Repo` → `&crate::repo::Repo`,
/// `::std::string::String` → `String`.
pub fn tidy(tokens: &str) -> String {
    let mut s = tokens
        .replace(":: ", "::")
        .replace(" ::", "::")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&");
    for kw in ["impl", "dyn", "mut", "="] {
        s = s.replace(&format!("{kw}::"), &format!("{kw} ::"));
    }
    for prefix in [
        "::std::string::",
        "::std::vec::",
        "::std::option::",
        "::std::iter::",
        "::std::convert::",
        "::std::collections::",
        "::std::num::",
    ] {
        s = s.replace(prefix, "");
    }
    s = s.replace("impl ::", "impl ");
    s.replace("::serde_json::", "serde_json::")
        .replace("::reqwest::", "reqwest::")
}

/// Fields or variants of one type that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberChange {
    /// The type (its new name).
    pub name: String,
    /// Its old name, when it was renamed.
    pub was: Option<String>,
    /// `fields` or `variants`.
    pub word: &'static str,
    /// Members only the new type has.
    pub added: Vec<String>,
    /// Members only the old type has.
    pub removed: Vec<String>,
}

/// One method whose signature changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureChange {
    /// The method.
    pub name: String,
    /// What changed: positional inputs, setters, answer.
    pub lines: Vec<String>,
}

/// What changed in the public API between two snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiDiff {
    /// Types only the new API has (rename targets excluded).
    pub types_added: Vec<String>,
    /// Types only the old API has (renamed ones excluded).
    pub types_removed: Vec<String>,
    /// `(old, new)`: a type whose shape the new API has under another name only.
    pub types_renamed: Vec<(String, String)>,
    /// Types (same name, or renamed) whose fields or variants changed.
    pub members: Vec<MemberChange>,
    /// Methods only the new API has.
    pub methods_added: Vec<String>,
    /// Methods only the old API has.
    pub methods_removed: Vec<String>,
    /// Methods in both whose inputs, setters or answer changed.
    pub signatures: Vec<SignatureChange>,
}

/// Types of `old` whose shape `new` has, but never under the old name: `(old, new)`, the new
/// name being the first (by name) of those with the shape. A rename whether or not the old name
/// still exists in `new` (then for another shape).
pub fn renamed_types(old: &ApiSnapshot, new: &ApiSnapshot) -> Vec<(String, String)> {
    let mut by_shape: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, t) in &new.types {
        by_shape.entry(t.shape.as_str()).or_default().push(n);
    }
    let mut out = Vec::new();
    for (n, t) in &old.types {
        let Some(names) = by_shape.get(t.shape.as_str()) else {
            continue;
        };
        if !names.contains(&n.as_str()) {
            out.push((n.clone(), names[0].to_string()));
        }
    }
    out
}

fn members_change(name: &str, was: Option<&str>, a: &TypeApi, b: &TypeApi) -> Option<MemberChange> {
    let (sa, sb): (BTreeSet<&String>, BTreeSet<&String>) =
        (a.members.iter().collect(), b.members.iter().collect());
    let added: Vec<String> = b
        .members
        .iter()
        .filter(|m| !sa.contains(m))
        .cloned()
        .collect();
    let removed: Vec<String> = a
        .members
        .iter()
        .filter(|m| !sb.contains(m))
        .cloned()
        .collect();
    (!added.is_empty() || !removed.is_empty()).then(|| MemberChange {
        name: name.to_string(),
        was: was.map(str::to_string),
        word: b.kind.members_word(),
        added,
        removed,
    })
}

/// Compares two snapshots.
pub fn diff(old: &ApiSnapshot, new: &ApiSnapshot) -> ApiDiff {
    let mut d = ApiDiff {
        types_renamed: renamed_types(old, new),
        ..ApiDiff::default()
    };
    let from: BTreeSet<&str> = d.types_renamed.iter().map(|(a, _)| a.as_str()).collect();
    let to: BTreeSet<&str> = d.types_renamed.iter().map(|(_, b)| b.as_str()).collect();
    d.types_added = new
        .types
        .keys()
        .filter(|n| !old.types.contains_key(*n) && !to.contains(n.as_str()))
        .cloned()
        .collect();
    d.types_removed = old
        .types
        .keys()
        .filter(|n| !new.types.contains_key(*n) && !from.contains(n.as_str()))
        .cloned()
        .collect();
    for (n, a) in &old.types {
        if let Some(b) = new.types.get(n)
            && let Some(c) = members_change(n, None, a, b)
        {
            d.members.push(c);
        }
    }
    for (a, b) in &d.types_renamed {
        if let Some(c) = members_change(b, Some(a), &old.types[a], &new.types[b]) {
            d.members.push(c);
        }
    }
    d.methods_added = new
        .methods
        .keys()
        .filter(|n| !old.methods.contains_key(*n))
        .cloned()
        .collect();
    d.methods_removed = old
        .methods
        .keys()
        .filter(|n| !new.methods.contains_key(*n))
        .cloned()
        .collect();
    for (n, a) in &old.methods {
        let Some(b) = new.methods.get(n) else {
            continue;
        };
        let mut lines = Vec::new();
        if a.inputs != b.inputs {
            lines.push(format!(
                "positional inputs `{}` → `{}`",
                a.inputs_text(),
                b.inputs_text()
            ));
        }
        let plus: Vec<&String> = b
            .setters
            .keys()
            .filter(|k| !a.setters.contains_key(*k))
            .collect();
        let minus: Vec<&String> = a
            .setters
            .keys()
            .filter(|k| !b.setters.contains_key(*k))
            .collect();
        if !plus.is_empty() {
            lines.push(format!("+ setters {}", crate::schema::list_all(&plus)));
        }
        if !minus.is_empty() {
            lines.push(format!("− setters {}", crate::schema::list_all(&minus)));
        }
        for (k, ta) in &a.setters {
            if let Some(tb) = b.setters.get(k)
                && ta != tb
            {
                lines.push(format!("setter `{k}` takes `{ta}` → `{tb}`"));
            }
        }
        if a.answer != b.answer {
            lines.push(format!("answer `{}` → `{}`", a.answer, b.answer));
        }
        if !lines.is_empty() {
            d.signatures.push(SignatureChange {
                name: n.clone(),
                lines,
            });
        }
    }
    d
}

impl ApiDiff {
    /// Whether nothing public changed.
    pub fn is_empty(&self) -> bool {
        *self == ApiDiff::default()
    }

    /// One line of counts.
    pub fn summary(&self) -> String {
        format!(
            "types: {} added, {} removed, {} renamed, {} with changed fields or variants; \
             methods: {} added, {} removed, {} with changed signatures",
            self.types_added.len(),
            self.types_removed.len(),
            self.types_renamed.len(),
            self.members.len(),
            self.methods_added.len(),
            self.methods_removed.len(),
            self.signatures.len()
        )
    }

    /// The "Public API" section of the report (Markdown, from its `##` heading).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "\n## Public API\n\n{}", self.summary());
        if !self.types_renamed.is_empty() {
            let _ = writeln!(
                s,
                "\n### Renamed types ({})\n\nSame schema, new name: a breaking change for every user of the old name.\n",
                self.types_renamed.len()
            );
            for (a, b) in &self.types_renamed {
                let _ = writeln!(s, "- `{a}` → `{b}`");
            }
        }
        for (title, names) in [
            ("Added types", &self.types_added),
            ("Removed types", &self.types_removed),
        ] {
            if !names.is_empty() {
                let _ = writeln!(
                    s,
                    "\n### {title} ({})\n\n{}",
                    names.len(),
                    crate::schema::list_all(names)
                );
            }
        }
        if !self.members.is_empty() {
            let _ = writeln!(
                s,
                "\n### Changed fields and variants ({})\n",
                self.members.len()
            );
            for c in &self.members {
                let mut line = format!("- `{}`", c.name);
                if let Some(was) = &c.was {
                    let _ = write!(line, " (was `{was}`)");
                }
                let _ = write!(line, ": {}", c.word);
                if !c.added.is_empty() {
                    let _ = write!(line, " + {}", crate::schema::list_all(&c.added));
                }
                if !c.removed.is_empty() {
                    let _ = write!(line, " − {}", crate::schema::list_all(&c.removed));
                }
                let _ = writeln!(s, "{line}");
            }
        }
        for (title, names) in [
            ("Added methods", &self.methods_added),
            ("Removed methods", &self.methods_removed),
        ] {
            if !names.is_empty() {
                let _ = writeln!(
                    s,
                    "\n### {title} ({})\n\n{}",
                    names.len(),
                    crate::schema::list_all(names)
                );
            }
        }
        if !self.signatures.is_empty() {
            let _ = writeln!(
                s,
                "\n### Changed method signatures ({})\n",
                self.signatures.len()
            );
            for c in &self.signatures {
                let _ = writeln!(s, "- `{}`: {}", c.name, c.lines.join("; "));
            }
        }
        s
    }
}
