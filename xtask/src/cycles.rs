//! Import cycles between a crate's modules: `cargo xtask cycles`.
//!
//! A module *depends on* another when its non-test code names it through a path that starts
//! with `crate::`, `super::` or `self::` (in a `use` or anywhere in the code), or through a
//! `use` of a child module. Edges between a module and its own ancestors are left out: a parent
//! that re-exports its children and children that use their parent's shared items are the
//! ordinary shape of a Rust module tree. What remains is a graph of siblings and cousins; a
//! strongly connected component with more than one module is a cycle, reported with one
//! reference per edge so the fix is easy to find. Items under `#[cfg(test)]` are left out, and
//! the paths inside an inline (non-test) `mod { … }` count as its file's.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use syn::visit::Visit;

/// A module's path inside its crate (`[]` for the crate root).
pub type ModulePath = Vec<String>;

/// One cycle: the modules in it and, for each edge inside it, a reference that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The modules, sorted.
    pub modules: Vec<String>,
    /// `(from, to, the path as written, the file it is in)` for each edge within the cycle.
    pub edges: Vec<(String, String, String, PathBuf)>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cycle between {}:", self.modules.join(", "))?;
        for (from, to, path, file) in &self.edges {
            writeln!(f, "  {from} -> {to}  (`{path}` in {})", file.display())?;
        }
        Ok(())
    }
}

/// The crates of this workspace whose module graphs are checked, as source roots.
pub const WORKSPACE_CRATES: &[&str] = &["src", "codegen/src", "sim/src", "xtask/src"];

/// The cycles among the modules of the crate whose `lib.rs` is in `src_root`.
pub fn find(src_root: &Path) -> Result<Vec<Cycle>> {
    let files = module_files(src_root)?;
    let modules: BTreeSet<ModulePath> = files.keys().cloned().collect();
    // from -> to -> (path text, file): the first reference seen is kept as the example.
    let mut graph: BTreeMap<ModulePath, BTreeMap<ModulePath, (String, PathBuf)>> = BTreeMap::new();
    for (module, file) in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let ast = syn::parse_file(&text).with_context(|| format!("parsing {}", file.display()))?;
        let mut refs = References { found: Vec::new() };
        refs.visit_file(&ast);
        for (segments, written) in refs.found {
            let Some(target) = resolve(&modules, module, &segments) else {
                continue;
            };
            if is_prefix(&target, module) || is_prefix(module, &target) {
                continue;
            }
            graph
                .entry(module.clone())
                .or_default()
                .entry(target)
                .or_insert_with(|| (written, file.clone()));
        }
    }
    Ok(components(&modules, &graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|members| {
            let set: BTreeSet<&ModulePath> = members.iter().collect();
            let mut edges = Vec::new();
            for from in &members {
                for (to, (written, file)) in graph.get(from).into_iter().flatten() {
                    if set.contains(to) {
                        edges.push((name(from), name(to), written.clone(), file.clone()));
                    }
                }
            }
            edges.sort();
            let mut modules: Vec<String> = members.iter().map(name).collect();
            modules.sort();
            Cycle { modules, edges }
        })
        .collect())
}

fn name(module: &ModulePath) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

fn is_prefix(short: &ModulePath, long: &ModulePath) -> bool {
    long.len() >= short.len() && long[..short.len()] == short[..]
}

/// Every module file under `src_root`, by module path: `lib.rs` is the root, `a.rs` and
/// `a/mod.rs` are `a`, `a/b.rs` is `a::b`. `main.rs` and `bin/` are binaries, not modules.
fn module_files(src_root: &Path) -> Result<BTreeMap<ModulePath, PathBuf>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src_root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            let rel = path.strip_prefix(src_root).expect("under the root");
            if path.is_dir() {
                if rel != Path::new("bin") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let mut module: ModulePath = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            match module.last().map(String::as_str) {
                Some("lib") if module.len() == 1 => module.clear(),
                Some("main") if module.len() == 1 => continue,
                Some("mod") => {
                    module.pop();
                }
                _ => {}
            }
            out.insert(module, path);
        }
    }
    Ok(out)
}

/// The module a path names: the longest known module its absolute form starts with.
fn resolve(
    modules: &BTreeSet<ModulePath>,
    here: &ModulePath,
    segments: &[String],
) -> Option<ModulePath> {
    let mut absolute: ModulePath = match segments.first()?.as_str() {
        "crate" => Vec::new(),
        "self" => here.clone(),
        "super" => {
            let mut base = here.clone();
            let mut rest = segments;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            return longest_module(modules, &base);
        }
        // A path relative to this module that starts with one of its child modules.
        first => {
            let mut child = here.clone();
            child.push(first.to_owned());
            if !modules.contains(&child) {
                return None;
            }
            here.clone()
        }
    };
    let skip = usize::from(matches!(segments[0].as_str(), "crate" | "self"));
    absolute.extend(segments[skip..].iter().cloned());
    longest_module(modules, &absolute)
}

fn longest_module(modules: &BTreeSet<ModulePath>, path: &ModulePath) -> Option<ModulePath> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

/// Paths a file's non-test code writes, as segments and as written.
struct References {
    found: Vec<(Vec<String>, String)>,
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

impl<'ast> Visit<'ast> for References {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        flatten_use(&u.tree, &mut prefix, &mut self.found);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1
            && matches!(
                segments.first().map(String::as_str),
                Some("crate" | "super" | "self")
            )
        {
            let written = segments.join("::");
            self.found.push((segments, written));
        }
        syn::visit::visit_path(self, path);
    }
}

fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, String)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut full = prefix.clone();
            if n.ident != "self" {
                full.push(n.ident.to_string());
            }
            let written = full.join("::");
            out.push((full, written));
        }
        syn::UseTree::Rename(r) => {
            let mut full = prefix.clone();
            if r.ident != "self" {
                full.push(r.ident.to_string());
            }
            let written = full.join("::");
            out.push((full, written));
        }
        syn::UseTree::Glob(_) => {
            let written = format!("{}::*", prefix.join("::"));
            out.push((prefix.clone(), written));
        }
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, out);
            }
        }
    }
}

/// Strongly connected components (Tarjan), each as its members.
fn components(
    nodes: &BTreeSet<ModulePath>,
    graph: &BTreeMap<ModulePath, BTreeMap<ModulePath, (String, PathBuf)>>,
) -> Vec<Vec<ModulePath>> {
    struct State<'a> {
        graph: &'a BTreeMap<ModulePath, BTreeMap<ModulePath, (String, PathBuf)>>,
        index: BTreeMap<&'a ModulePath, usize>,
        low: BTreeMap<&'a ModulePath, usize>,
        stack: Vec<&'a ModulePath>,
        on_stack: BTreeSet<&'a ModulePath>,
        out: Vec<Vec<ModulePath>>,
    }
    fn connect<'a>(s: &mut State<'a>, v: &'a ModulePath) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flat_map(|m| m.keys()) {
            if !s.index.contains_key(w) {
                connect(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            s.out.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in nodes {
        if !s.index.contains_key(v) {
            connect(&mut s, v);
        }
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(code: &str) -> Vec<String> {
        let mut r = References { found: Vec::new() };
        r.visit_file(&syn::parse_file(code).unwrap());
        r.found.into_iter().map(|(_, w)| w).collect()
    }

    #[test]
    fn test_code_is_not_a_dependency() {
        let found = refs(
            "use crate::b::X;\n#[cfg(test)] mod tests { use crate::c::Y; }\nfn f() { crate::d::g(); }",
        );
        assert_eq!(found, ["crate::b::X", "crate::d::g"]);
    }

    #[test]
    fn use_groups_and_globs_flatten() {
        let found = refs("use super::{b::{X, Y}, c::*, self as me};");
        assert_eq!(
            found,
            ["super::b::X", "super::b::Y", "super::c::*", "super"]
        );
    }
}
