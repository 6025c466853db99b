//! A build restricted to some areas (what the library's build script generates for its enabled
//! cargo features) is exactly the full build's items whose `cfg` holds for those areas: the
//! same types, fields, variants, methods and request builders, named the same, in the same
//! order. Checked on the vendored document, for no area, the default set and each area alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use hf_hub_api_codegen::Areas;
use hf_hub_api_codegen::features::{AREAS, Gate};
use hf_hub_api_codegen::naming::OperationRow;
use quote::ToTokens;
use serde_json::Value;

struct Full {
    normalised: Value,
    rows: Vec<OperationRow>,
    gates: BTreeMap<String, Gate>,
    code: String,
    /// The full build's items ([`items`]) and request builders ([`builders`]).
    items: BTreeMap<String, Vec<String>>,
    builders: BTreeMap<String, String>,
}

/// The vendored document, normalised once, and its full build.
fn full() -> &'static Full {
    static FULL: OnceLock<Full> = OnceLock::new();
    FULL.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut doc = hf_hub_api_codegen::read_json(&root.join("spec/hub-openapi.json")).unwrap();
        let overlay = hf_hub_api_codegen::read_json(&root.join("spec/overlay.json")).unwrap();
        hf_hub_api_codegen::overlay::merge_overlay(&mut doc, &overlay).unwrap();
        let (normalised, _, rows) = hf_hub_api_codegen::normalise::normalise(doc).unwrap();
        let gates = hf_hub_api_codegen::features::operation_gates(&normalised).unwrap();
        let code =
            hf_hub_api_codegen::generate::generate(&normalised, &rows, &gates, &Areas::All, false)
                .unwrap()
                .code;
        let file: syn::File = syn::parse_str(&code).unwrap();
        let builders = builders(&file, &gates);
        assert_eq!(
            builders.len(),
            gates.len(),
            "one request builder per operation"
        );
        Full {
            items: items(&file),
            builders,
            normalised,
            rows,
            gates,
            code,
        }
    })
}

fn restricted(on: &BTreeSet<&'static str>) -> String {
    let f = full();
    hf_hub_api_codegen::generate::generate(
        &f.normalised,
        &f.rows,
        &f.gates,
        &Areas::Only(on.clone()),
        false,
    )
    .unwrap()
    .code
}

/// One generated item by what it defines: `struct Foo`, `impl Foo`, `impl Trait for Foo`,
/// `fn foo` (with the module it sits in), and its tokens.
fn key(module: &str, it: &syn::Item) -> String {
    let what = match it {
        syn::Item::Struct(s) => format!("struct {}", s.ident),
        syn::Item::Enum(e) => format!("enum {}", e.ident),
        syn::Item::Type(t) => format!("type {}", t.ident),
        syn::Item::Fn(f) => format!("fn {}", f.sig.ident),
        syn::Item::Const(c) => format!("const {}", c.ident),
        syn::Item::Static(c) => format!("static {}", c.ident),
        syn::Item::Trait(t) => format!("trait {}", t.ident),
        syn::Item::Mod(m) => format!("mod {}", m.ident),
        syn::Item::Impl(i) => {
            let of = match &i.trait_ {
                Some((p, _)) => format!("{} for ", p.to_token_stream()),
                None => String::new(),
            };
            let ty = self_name(i).unwrap_or_else(|| i.self_ty.to_token_stream().to_string());
            format!("impl {of}{ty}")
        }
        other => format!("other {}", other.to_token_stream()),
    };
    format!("{module}::{what}")
}

/// The last segment of an impl's type (`Hub` of `crate::Hub`).
fn self_name(i: &syn::ItemImpl) -> Option<String> {
    match &*i.self_ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Every item of a file, nested modules flattened, by [`key`]; the `impl Hub` and
/// `impl Client` blocks (one function per operation) as one entry per function.
fn items(file: &syn::File) -> BTreeMap<String, Vec<String>> {
    fn walk(module: &str, items: &[syn::Item], out: &mut BTreeMap<String, Vec<String>>) {
        for it in items {
            match it {
                syn::Item::Mod(m) if m.content.is_some() => {
                    let inner = format!("{module}::{}", m.ident);
                    walk(&inner, &m.content.as_ref().unwrap().1, out);
                }
                syn::Item::Impl(i)
                    if matches!(self_name(i).as_deref(), Some("Hub" | "Client"))
                        && i.trait_.is_none() =>
                {
                    for ii in &i.items {
                        let name = match ii {
                            syn::ImplItem::Fn(f) => f.sig.ident.to_string(),
                            other => other.to_token_stream().to_string(),
                        };
                        out.entry(format!("{}::{name}", key(module, it)))
                            .or_default()
                            .push(ii.to_token_stream().to_string());
                    }
                }
                _ => out
                    .entry(key(module, it))
                    .or_default()
                    .push(it.to_token_stream().to_string()),
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", &file.items, &mut out);
    out
}

/// The operation a key belongs to: a `Hub`/`Client` method or a request builder (and its impls).
fn operation_of<'a>(key: &str, ops: &'a BTreeMap<String, String>) -> Option<&'a String> {
    if let Some((_, method)) = key
        .rsplit_once("impl Hub::")
        .or(key.rsplit_once("impl Client::"))
    {
        return ops.values().find(|op| *op == method);
    }
    if key.starts_with("::requests::") {
        let name = key.rsplit([' ', ':']).next()?;
        return ops.get(name);
    }
    None
}

/// Each operation's request builder, by its name: what its `Hub` method returns.
fn builders(file: &syn::File, gates: &BTreeMap<String, Gate>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for it in &file.items {
        let syn::Item::Impl(i) = it else { continue };
        if self_name(i).as_deref() != Some("Hub") {
            continue;
        }
        for ii in &i.items {
            let syn::ImplItem::Fn(f) = ii else { continue };
            let op = f.sig.ident.to_string();
            if !gates.contains_key(&op) {
                continue;
            }
            if let syn::ReturnType::Type(_, ty) = &f.sig.output
                && let syn::Type::Path(p) = &**ty
                && let Some(last) = p.path.segments.last()
            {
                out.insert(last.ident.to_string(), op);
            }
        }
    }
    out
}

fn check(on: &BTreeSet<&'static str>) {
    let f = full();
    let full_items = &f.items;
    let code = restricted(on);
    let restricted_items = items(&syn::parse_str(&code).unwrap());
    let areas = Areas::Only(on.clone());
    // Operation ids by their request builder's name.
    let ops = &f.builders;
    let mut problems = Vec::new();
    // Whatever the restricted build has, the full build has, token for token: the same
    // names for types, fields, variants, methods and their arguments.
    for (k, v) in &restricted_items {
        match full_items.get(k) {
            None => problems.push(format!("{k}: not in the full build")),
            Some(w) if w != v => problems.push(format!("{k}: differs from the full build")),
            _ => {}
        }
    }
    // Its operations are exactly the admitted ones: none missing, none extra.
    for k in full_items.keys() {
        let Some(op) = operation_of(k, ops) else {
            continue;
        };
        let want = areas.admits(&f.gates[op]);
        let has = restricted_items.contains_key(k);
        if want != has {
            problems.push(format!(
                "{k} (of `{op}`, gate {:?}): generated {has}, expected {want}",
                f.gates[op]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "areas {on:?}:\n{}",
        problems
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Everything an operation is built of is there (the types it reaches: the library's
    // build with each feature set compiles).
    assert!(restricted_items.len() < full_items.len() || on.len() == AREAS.len());
}

#[test]
fn no_area_and_the_default_set_are_the_full_build_restricted() {
    check(&BTreeSet::new());
    let default: BTreeSet<&'static str> = AREAS
        .iter()
        .filter(|a| a.default)
        .map(|a| a.feature)
        .collect();
    check(&default);
}

#[test]
fn each_area_alone_is_the_full_build_restricted() {
    for a in AREAS {
        check(&[a.feature].into());
    }
}

#[test]
fn the_restricted_build_is_smaller() {
    let none = restricted(&BTreeSet::new());
    assert!(
        none.len() * 10 < full().code.len(),
        "{} of {} bytes",
        none.len(),
        full().code.len()
    );
    // The facade's operations are there whatever the areas.
    for op in ["preupload", "create_commit", "lfs_batch", "list_repo_tree"] {
        assert!(none.contains(&format!("pub fn {op}(")), "{op}");
    }
}
