//! Cargo features per API area: which operations (and which types) a build compiles.
//!
//! Every operation belongs to the areas of its tags ([`AREAS`]); its progenitor method, its
//! `Hub` method and its request builder get `#[cfg(any(feature = "area", …))]`. A type is
//! compiled when any operation that reaches it is (through its signature, fields or members),
//! so turning an area off removes its code and no more. The few operations the facade itself
//! calls ([`FACADE_OPERATIONS`]) and everything they reach are always compiled.
//!
//! A tag no area claims is an error naming it: a new upstream tag needs a decision, not a
//! silent default.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use serde_json::Value;

use crate::{CodegenError, Result};

/// One API area: a cargo feature and the document's tags it compiles.
#[derive(Debug, Clone, Copy)]
pub struct Area {
    /// The cargo feature.
    pub feature: &'static str,
    /// The document's (and the overlay's) tags in this area.
    pub tags: &'static [&'static str],
    /// Whether the library's default features include it.
    pub default: bool,
    /// What a user gets, for the README.
    pub about: &'static str,
}

/// The areas, in the order the README lists them.
pub const AREAS: &[Area] = &[
    Area {
        feature: "repos",
        tags: &[
            "repos",
            "models",
            "datasets",
            "kernels",
            "repo-search",
            "sql-console",
        ],
        default: true,
        about: "models, datasets and kernels: search, info, trees, paths-info, files and their metadata, commits, refs, likes, access checks; creating, moving, duplicating and deleting repositories of any type",
    },
    Area {
        feature: "spaces",
        tags: &["spaces"],
        default: true,
        about: "Spaces: search, info, runtime and hardware, secrets, variables, volumes, logs, metrics",
    },
    Area {
        feature: "discussions",
        tags: &["discussions"],
        default: true,
        about: "discussions and pull requests: list, open, comment, change status, merge",
    },
    Area {
        feature: "users",
        tags: &["users", "auth", "notifications", "tokens"],
        default: true,
        about: "`whoami`, user overviews, likes and followers, notifications, token revocation",
    },
    Area {
        feature: "orgs",
        tags: &["orgs", "resource-groups", "service-accounts"],
        default: false,
        about: "organizations: overview, members, resource groups, service accounts",
    },
    Area {
        feature: "collections",
        tags: &["collections"],
        default: false,
        about: "collections and their items",
    },
    Area {
        feature: "papers",
        tags: &["papers"],
        default: false,
        about: "daily papers, paper pages and their discussions",
    },
    Area {
        feature: "buckets",
        tags: &["buckets"],
        default: false,
        about: "storage buckets: create, list, tree, paths-info, batch",
    },
    Area {
        feature: "jobs",
        tags: &["jobs", "container"],
        default: false,
        about: "jobs and scheduled jobs, their logs and metrics; the container registry token",
    },
    Area {
        feature: "webhooks",
        tags: &["webhooks"],
        default: false,
        about: "webhooks",
    },
    Area {
        feature: "oauth",
        tags: &["oauth"],
        default: false,
        about: "OAuth apps, the device flow, tokens, OpenID Connect discovery, user info",
    },
    Area {
        feature: "inference-endpoints",
        tags: &["inference-endpoints"],
        default: false,
        about: "inference endpoints' access checks",
    },
    Area {
        feature: "scim",
        tags: &["scim"],
        default: false,
        about: "SCIM provisioning of organization users and groups (Enterprise)",
    },
    Area {
        feature: "provisioning",
        tags: &["agentic-provisioning"],
        default: false,
        about: "agentic provisioning of partner services",
    },
    Area {
        feature: "docs",
        tags: &["docs", "agents"],
        default: false,
        about: "the Hub's documentation search and agent harnesses",
    },
];

/// Operations the always-present facade calls, and why: these and everything they reach are
/// compiled whatever the features.
pub const FACADE_OPERATIONS: &[(&str, &str)] = &[
    (
        "preupload",
        "`Hub::commit` asks how each file is to be uploaded",
    ),
    ("create_commit", "`Hub::commit` posts the ndjson commit"),
    (
        "lfs_batch",
        "`Hub::commit` asks where to upload its LFS files",
    ),
    (
        "list_repo_tree",
        "`Hub::snapshot` lists the revision's files",
    ),
];

/// When an item is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Always.
    Always,
    /// When any of these features is on.
    Any(BTreeSet<&'static str>),
}

impl Gate {
    fn join(&mut self, other: &Gate) {
        match (&mut *self, other) {
            (Gate::Always, _) => {}
            (_, Gate::Always) => *self = Gate::Always,
            (Gate::Any(a), Gate::Any(b)) => a.extend(b.iter().copied()),
        }
    }
}

/// The area feature of a tag.
pub fn feature_of_tag(tag: &str) -> Option<&'static str> {
    AREAS
        .iter()
        .find(|a| a.tags.contains(&tag))
        .map(|a| a.feature)
}

/// Each operation's gate, from its tags.
pub fn operation_gates(doc: &Value) -> Result<BTreeMap<String, Gate>> {
    let mut out = BTreeMap::new();
    for (id, (path, method, op)) in crate::requests::operations_by_id(doc) {
        let pointer = format!("/paths/{}/{method}", crate::walk::esc(&path));
        let tags = crate::walk::strings(op.get("tags"));
        if tags.is_empty() {
            return Err(CodegenError::at(
                pointer,
                format!("operation `{id}` has no tag, so no cargo feature (features::AREAS)"),
            ));
        }
        let mut features = BTreeSet::new();
        for tag in &tags {
            let feature = feature_of_tag(tag).ok_or_else(|| {
                    CodegenError::at(
                        &pointer,
                        format!(
                            "tag `{tag}` of `{id}` belongs to no cargo feature: add it to an area of features::AREAS"
                        ),
                    )
                })?;
            features.insert(feature);
        }
        out.insert(id, Gate::Any(features));
    }
    // A small document may lack them; the vendored one has them all (a test says so, and the
    // facade would not compile otherwise).
    for (name, _) in FACADE_OPERATIONS {
        if let Some(g) = out.get_mut(*name) {
            *g = Gate::Always;
        }
    }
    Ok(out)
}

/// The `[features]` lines the library's `Cargo.toml` must carry (checked by `cargo xtask spec
/// check`), without the hand-written ones.
pub fn cargo_features() -> String {
    let mut out = String::new();
    let defaults: Vec<String> = AREAS
        .iter()
        .filter(|a| a.default)
        .map(|a| format!("\"{}\"", a.feature))
        .collect();
    out.push_str(&format!("default = [{}]\n", defaults.join(", ")));
    let all: Vec<String> = AREAS.iter().map(|a| format!("\"{}\"", a.feature)).collect();
    out.push_str(&format!("full = [{}]\n", all.join(", ")));
    for a in AREAS {
        out.push_str(&format!("{} = []\n", a.feature));
    }
    out
}

/// The README's table of features.
pub fn readme_table(gates: &BTreeMap<String, Gate>) -> String {
    let mut out =
        String::from("| feature | default | operations | what it binds |\n|---|---|---|---|\n");
    for a in AREAS {
        let n = gates
            .values()
            .filter(|g| matches!(g, Gate::Any(f) if f.contains(a.feature)))
            .count();
        let default = if a.default { "yes" } else { "" };
        out.push_str(&format!(
            "| `{}` | {default} | {n} | {} |\n",
            a.feature, a.about
        ));
    }
    let always: Vec<String> = FACADE_OPERATIONS
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    out.push_str(&format!(
        "| (none) | always | {} | what the facade itself calls: {} |\n",
        always.len(),
        always.join(", ")
    ));
    out
}

/// Adds the `cfg` attributes to the generated file: progenitor's client methods, the `Hub`
/// methods and request builders, and every type by the operations that reach it.
pub fn gate_file(file: &mut syn::File, gates: &BTreeMap<String, Gate>) -> Result<()> {
    let op_of: HashMap<String, &String> = gates
        .keys()
        .map(|op| (format!("{}Request", crate::hoist::pascal(op)), op))
        .collect();
    // The types and what each definition mentions.
    let type_names: HashSet<String> = types_items(file)
        .iter()
        .filter_map(|it| defined_name(it))
        .collect();
    let mut deps: HashMap<String, BTreeSet<String>> = HashMap::new();
    for it in types_items(file) {
        if let Some(name) = defined_name(it) {
            let mut m = mentions(&it.to_token_stream(), &type_names);
            m.remove(&name);
            deps.insert(name, m);
        }
    }
    // What each operation reaches, from its client method and its builder.
    let mut roots: HashMap<String, BTreeSet<String>> = HashMap::new();
    for item in &file.items {
        match item {
            syn::Item::Impl(imp) => {
                let self_name = last_ident(&imp.self_ty);
                for ii in &imp.items {
                    if let syn::ImplItem::Fn(f) = ii {
                        let name = f.sig.ident.to_string();
                        if (self_name.as_deref() == Some("Client")
                            || self_name.as_deref() == Some("Hub"))
                            && gates.contains_key(&name)
                        {
                            roots
                                .entry(name)
                                .or_default()
                                .extend(mentions(&f.to_token_stream(), &type_names));
                        }
                    }
                }
            }
            syn::Item::Mod(m) if m.ident == "requests" => {
                for it in m.content.iter().flat_map(|(_, i)| i) {
                    if let Some(op) = builder_item_name(it).and_then(|b| op_of.get(&b)) {
                        roots
                            .entry((*op).clone())
                            .or_default()
                            .extend(mentions(&it.to_token_stream(), &type_names));
                    }
                }
            }
            _ => {}
        }
    }
    let mut type_gates: HashMap<String, Gate> = HashMap::new();
    for (op, gate) in gates {
        let mut seen: HashSet<String> = HashSet::new();
        let mut stack: Vec<String> = roots.get(op).into_iter().flatten().cloned().collect();
        while let Some(t) = stack.pop() {
            if !seen.insert(t.clone()) {
                continue;
            }
            type_gates
                .entry(t.clone())
                .and_modify(|g| g.join(gate))
                .or_insert_with(|| gate.clone());
            stack.extend(deps.get(&t).into_iter().flatten().cloned());
        }
    }
    // Apply.
    for item in &mut file.items {
        match item {
            syn::Item::Impl(imp) => {
                let self_name = last_ident(&imp.self_ty);
                if !matches!(self_name.as_deref(), Some("Client" | "Hub")) {
                    continue;
                }
                let on_hub = self_name.as_deref() == Some("Hub");
                for ii in &mut imp.items {
                    if let syn::ImplItem::Fn(f) = ii
                        && let Some(g) = gates.get(&f.sig.ident.to_string())
                        && let Some(attr) = cfg_attr(&[g])
                    {
                        if on_hub && let Gate::Any(features) = g {
                            // Say in the method's docs which feature brings it.
                            let names: Vec<String> =
                                features.iter().map(|f| format!("`{f}`")).collect();
                            let line = format!(" Cargo feature: {}.", names.join(" or "));
                            f.attrs.push(syn::parse_quote! { #[doc = ""] });
                            f.attrs.push(syn::parse_quote! { #[doc = #line] });
                        }
                        f.attrs.push(attr);
                    }
                }
            }
            syn::Item::Mod(m) if m.ident == "requests" => {
                for it in m.content.iter_mut().flat_map(|(_, i)| i) {
                    let gate = builder_item_name(it)
                        .and_then(|b| op_of.get(&b))
                        .and_then(|op| gates.get(*op))
                        .cloned();
                    let gate_list: Vec<Gate> = match gate {
                        Some(g) => vec![g],
                        None => mentioned_gates(it, &type_names, &type_gates),
                    };
                    add_attr(it, &gate_list);
                }
            }
            syn::Item::Mod(m) if m.ident == "types" => {
                if let Some((_, inner)) = m.content.as_mut() {
                    gate_items(inner, &type_names, &type_gates);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn gate_items(
    items: &mut [syn::Item],
    type_names: &HashSet<String>,
    type_gates: &HashMap<String, Gate>,
) {
    for it in items {
        if let syn::Item::Mod(m) = it {
            if let Some((_, inner)) = m.content.as_mut() {
                gate_items(inner, type_names, type_gates);
            }
            continue;
        }
        let list = match defined_name(it) {
            Some(name) => type_gates.get(&name).cloned().into_iter().collect(),
            None => mentioned_gates(it, type_names, type_gates),
        };
        add_attr(it, &list);
    }
}

fn mentioned_gates(
    it: &syn::Item,
    type_names: &HashSet<String>,
    type_gates: &HashMap<String, Gate>,
) -> Vec<Gate> {
    mentions(&it.to_token_stream(), type_names)
        .iter()
        .filter_map(|t| type_gates.get(t).cloned())
        .collect()
}

fn add_attr(it: &mut syn::Item, gates: &[Gate]) {
    let refs: Vec<&Gate> = gates.iter().collect();
    let Some(attr) = cfg_attr(&refs) else { return };
    match it {
        syn::Item::Struct(s) => s.attrs.push(attr),
        syn::Item::Enum(e) => e.attrs.push(attr),
        syn::Item::Type(t) => t.attrs.push(attr),
        syn::Item::Impl(i) => i.attrs.push(attr),
        syn::Item::Fn(f) => f.attrs.push(attr),
        syn::Item::Const(c) => c.attrs.push(attr),
        syn::Item::Static(s) => s.attrs.push(attr),
        syn::Item::Trait(t) => t.attrs.push(attr),
        _ => {}
    }
}

/// `#[cfg(…)]` for the conjunction of gates, or `None` when it is always true.
fn cfg_attr(gates: &[&Gate]) -> Option<syn::Attribute> {
    let mut sets: Vec<&BTreeSet<&'static str>> = gates
        .iter()
        .filter_map(|g| match g {
            Gate::Always => None,
            Gate::Any(s) => Some(s),
        })
        .collect();
    sets.sort();
    sets.dedup();
    // any(A) implies any(B) when A ⊆ B: keep only the sets no other set is included in.
    let keep: Vec<&BTreeSet<&str>> = sets
        .iter()
        .filter(|s| !sets.iter().any(|o| o != *s && o.is_subset(s)))
        .copied()
        .collect();
    if keep.is_empty() {
        return None;
    }
    let any = keep.iter().map(|s| {
        let f = s.iter();
        if s.len() == 1 {
            quote! { #(feature = #f)* }
        } else {
            quote! { any(#(feature = #f),*) }
        }
    });
    let cond = if keep.len() == 1 {
        quote! { #(#any)* }
    } else {
        quote! { all(#(#any),*) }
    };
    Some(syn::parse_quote! { #[cfg(#cond)] })
}

fn types_items(file: &syn::File) -> Vec<&syn::Item> {
    file.items
        .iter()
        .filter_map(|it| match it {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items)
        .collect()
}

fn defined_name(it: &syn::Item) -> Option<String> {
    match it {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        syn::Item::Enum(e) => Some(e.ident.to_string()),
        syn::Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

/// The builder a `requests` item defines or implements (`FooRequest`).
fn builder_item_name(it: &syn::Item) -> Option<String> {
    match it {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        syn::Item::Impl(i) => last_ident(&i.self_ty),
        _ => None,
    }
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The type names an item's tokens mention.
fn mentions(tokens: &TokenStream, names: &HashSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![tokens.clone()];
    while let Some(ts) = stack.pop() {
        for tt in ts {
            match tt {
                TokenTree::Ident(i) => {
                    let s = i.to_string();
                    if names.contains(&s) {
                        out.insert(s);
                    }
                }
                TokenTree::Group(g) => stack.push(g.stream()),
                _ => {}
            }
        }
    }
    out
}
