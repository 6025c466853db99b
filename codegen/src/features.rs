//! Cargo features per API area: which operations (and which types) a build compiles.
//!
//! Every operation belongs to the areas of its tags ([`AREAS`]): its [`Gate`]. The library's
//! build script generates only the operations whose gate its enabled features admit, and the
//! types they reach ([`crate::subset`]), so turning an area off removes its code and no more;
//! the few operations the facade itself calls ([`FACADE_OPERATIONS`]) and everything they
//! reach are always generated. Each area's `Hub` method says its feature in its docs.
//!
//! A tag no area claims is an error naming it: a new upstream tag needs a decision, not a
//! silent default.

use std::collections::{BTreeMap, BTreeSet};

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
        default: false,
        about: "Spaces: search, info, runtime and hardware, secrets, variables, volumes, logs, metrics",
    },
    Area {
        feature: "discussions",
        tags: &["discussions"],
        default: false,
        about: "discussions and pull requests: list, open, comment, change status, merge",
    },
    Area {
        feature: "auth",
        tags: &["auth", "tokens"],
        default: true,
        about: "`whoami` (who the token belongs to, its scopes and organizations) and token revocation",
    },
    Area {
        feature: "users",
        tags: &["users", "notifications"],
        default: false,
        about: "user overviews, avatars, socials, likes and followers; notifications and their settings; the account's billing usage and live metrics",
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

/// Says in the docs of each `Hub` method that belongs to an area which cargo feature brings
/// it (the facade's own operations, always compiled, get no line).
pub fn label_hub_methods(file: &mut syn::File, gates: &BTreeMap<String, Gate>) {
    for item in &mut file.items {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        if p.path.segments.last().is_none_or(|s| s.ident != "Hub") {
            continue;
        }
        for ii in &mut imp.items {
            if let syn::ImplItem::Fn(f) = ii
                && let Some(Gate::Any(features)) = gates.get(&f.sig.ident.to_string())
            {
                let names: Vec<String> = features.iter().map(|f| format!("`{f}`")).collect();
                let line = format!(" Cargo feature: {}.", names.join(" or "));
                f.attrs.push(syn::parse_quote! { #[doc = ""] });
                f.attrs.push(syn::parse_quote! { #[doc = #line] });
            }
        }
    }
}
