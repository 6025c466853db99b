//! The change report between two versions of the Hub's OpenAPI document.
//!
//! Operations are compared on the raw upstream documents (parameters, bodies, schemas); the
//! generated method names come from the codegen's operation rows of each side (merged with the
//! overlay as the build does), so the report says what the update does to the Rust API.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use hf_hub_api_codegen::naming::OperationRow;
use hf_hub_api_codegen::walk::METHODS;
use serde_json::Value;

use crate::api::{self, ApiDiff};
use crate::pipeline::Outcome;
use crate::schema::{self, diff_bodies, diff_parameters, diff_schema, list, resolve};

/// One document to compare: a label for the report, the raw upstream document, and what the
/// codegen made of it (with the overlay).
pub struct Side<'a> {
    /// How the report names this document (usually its path).
    pub label: &'a str,
    /// The upstream document as read (no overlay).
    pub doc: &'a Value,
    /// The codegen's outcome on `doc` + overlay.
    pub codegen: &'a Outcome,
}

/// An operation in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRef {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path template as upstream writes it.
    pub path: String,
    /// The generated method's name, when the codegen got that far.
    pub name: Option<String>,
}

impl OpRef {
    fn show(&self) -> String {
        match &self.name {
            Some(n) => format!("`{} {}` → `{n}`", self.method, self.path),
            None => format!("`{} {}`", self.method, self.path),
        }
    }
}

/// An operation that moved to one or more new paths (same method, summary and parameter
/// names; a `{repoType}` path parameter may have become a literal segment).
#[derive(Debug, Clone)]
pub struct Rename {
    /// The operation of the old document.
    pub from: OpRef,
    /// Its operations in the new document.
    pub to: Vec<OpRef>,
    /// Whether the move is a `{repoType}` path split into per-type paths.
    pub per_type: bool,
    /// What else changed between the old operation and its new ones.
    pub changes: Vec<String>,
}

/// An operation present in both documents whose generated method changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameChange {
    /// `GET`, `POST`, …
    pub method: String,
    /// The upstream path template.
    pub path: String,
    /// Old and new method names.
    pub names: (String, String),
    /// Old and new paths of the generated method (they differ when a `{repoType}` merge
    /// starts or stops applying).
    pub generated_paths: (String, String),
}

/// The changes of one operation present in both documents.
#[derive(Debug, Clone)]
pub struct OpChange {
    /// The operation (new name).
    pub op: OpRef,
    /// One line per kind of change: parameters, request body, each response.
    pub lines: Vec<String>,
}

/// Everything the report says.
#[derive(Debug, Clone)]
pub struct Report {
    /// Old document's label.
    pub old_label: String,
    /// New document's label.
    pub new_label: String,
    /// `(paths, operations)` of the old and new upstream documents.
    pub counts: ((usize, usize), (usize, usize)),
    /// Operations only the new document has, renames excluded.
    pub added: Vec<OpRef>,
    /// Operations only the old document has, renames excluded.
    pub removed: Vec<OpRef>,
    /// Operations that moved.
    pub renames: Vec<Rename>,
    /// Same operation, new generated name or path.
    pub name_changes: Vec<NameChange>,
    /// Operations in both with structural changes.
    pub changes: Vec<OpChange>,
    /// Operations in both that differ only in prose (descriptions, summaries, examples, …).
    pub prose_only: Vec<OpRef>,
    /// Operations in both whose only structural changes lie deeper than the report looks
    /// (schemas two or more levels down, keywords it does not summarise).
    pub deeper: Vec<OpRef>,
    /// Changes of `components`.
    pub components: Vec<String>,
    /// Overlay operations the new upstream document defines (the build refuses them).
    pub overlay_now_upstream: Vec<OpRef>,
    /// One line on the codegen's outcome for the old and new documents.
    pub codegen: (String, String),
    /// What changed in the generated public API, or why it could not be compared (the codegen
    /// failed on a side).
    pub api: Result<ApiDiff, String>,
}

type Key = (String, String);

struct RawOp<'a> {
    item: &'a Value,
    op: &'a Value,
}

fn raw_ops(doc: &Value) -> BTreeMap<Key, RawOp<'_>> {
    let mut out = BTreeMap::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if METHODS.contains(&method.as_str()) {
                out.insert(
                    (path.clone(), method.to_ascii_uppercase()),
                    RawOp { item, op },
                );
            }
        }
    }
    out
}

fn rows_by_key(rows: &[OperationRow]) -> BTreeMap<Key, &OperationRow> {
    rows.iter()
        .map(|r| ((r.path.clone(), r.method.clone()), r))
        .collect()
}

fn summary_key(op: &Value) -> Option<String> {
    let s = op.get("summary")?.as_str()?;
    let s = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!s.is_empty()).then_some(s)
}

/// Parameter names, without a `repoType` path parameter (a per-type split drops it).
fn param_names(raw: &RawOp<'_>, doc: &Value) -> BTreeSet<String> {
    raw.item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            raw.op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        )
        .map(|p| resolve(p, doc))
        .filter(|p| !(p["in"] == "path" && p["name"] == "repoType"))
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(String::from))
        .collect()
}

/// Whether `new` is `old` with its `{repoType}` segment replaced by a literal one.
fn is_per_type(old: &str, new: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.split('/').collect(), new.split('/').collect());
    a.len() == b.len()
        && a.contains(&"{repoType}")
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || (*x == "{repoType}" && !y.contains('{')))
}

fn op_changes(
    old: &RawOp<'_>,
    old_doc: &Value,
    new: &RawOp<'_>,
    new_doc: &Value,
    ignore: &[&str],
) -> Vec<String> {
    let mut lines = Vec::new();
    let params = diff_parameters(
        (old.item, old.op, old_doc),
        (new.item, new.op, new_doc),
        ignore,
    );
    if !params.is_empty() {
        lines.push(format!("parameters: {}", params.join("; ")));
    }
    lines.extend(diff_bodies(old.op, old_doc, new.op, new_doc));
    lines
}

fn codegen_line(side: &Side<'_>) -> String {
    let o = side.codegen;
    let overlay = o
        .rows
        .iter()
        .filter(|r| r.origin == hf_hub_api_codegen::naming::Origin::Overlay)
        .count();
    match &o.error {
        None => {
            let mut s = format!(
                "OK: {} operations ({overlay} from the overlay)",
                o.rows.len()
            );
            if let Some(g) = o.generated {
                let _ = write!(s, ", {} generated lines, {} types", g.lines, g.types);
            }
            s
        }
        Some(e) => format!(
            "FAILED: {e} (method names below are {})",
            if o.rows_exact {
                "what each operation would be named"
            } else {
                "a best effort: a normaliser step before naming failed too"
            }
        ),
    }
}

/// Compares two documents. `overlay` is the overlay both are built with (for the check of
/// overlay operations that upstream now defines).
pub fn compare(old: &Side<'_>, new: &Side<'_>, overlay: Option<&Value>) -> Report {
    let (a, b) = (raw_ops(old.doc), raw_ops(new.doc));
    let (ra, rb) = (
        rows_by_key(&old.codegen.rows),
        rows_by_key(&new.codegen.rows),
    );
    let name_in =
        |rows: &BTreeMap<Key, &OperationRow>, k: &Key| rows.get(k).map(|r| r.name.clone());
    let op_ref = |rows: &BTreeMap<Key, &OperationRow>, k: &Key| OpRef {
        method: k.1.clone(),
        path: k.0.clone(),
        name: name_in(rows, k),
    };
    let removed_keys: Vec<&Key> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let added_keys: Vec<&Key> = b.keys().filter(|k| !a.contains_key(*k)).collect();

    // Renames: same method, same summary, same parameter names.
    let mut taken: BTreeSet<&Key> = BTreeSet::new();
    let mut renamed_from: BTreeSet<&Key> = BTreeSet::new();
    let mut renames = Vec::new();
    for rk in &removed_keys {
        let r = &a[*rk];
        let Some(summary) = summary_key(r.op) else {
            continue;
        };
        let names = param_names(r, old.doc);
        let targets: Vec<&Key> = added_keys
            .iter()
            .copied()
            .filter(|ak| !taken.contains(ak) && ak.1 == rk.1)
            .filter(|ak| {
                let n = &b[*ak];
                summary_key(n.op).as_deref() == Some(summary.as_str())
                    && param_names(n, new.doc) == names
            })
            .collect();
        if targets.is_empty() {
            continue;
        }
        let per_type = targets.iter().all(|t| is_per_type(&rk.0, &t.0));
        let ignore: &[&str] = if per_type { &["repoType"] } else { &[] };
        let per_target: Vec<(String, Vec<String>)> = targets
            .iter()
            .map(|t| (t.0.clone(), op_changes(r, old.doc, &b[*t], new.doc, ignore)))
            .collect();
        let changes = if per_target.iter().all(|(_, l)| *l == per_target[0].1) {
            per_target[0].1.clone()
        } else {
            per_target
                .iter()
                .flat_map(|(p, lines)| lines.iter().map(move |l| format!("`{p}`: {l}")))
                .collect()
        };
        taken.extend(targets.iter().copied());
        renamed_from.insert(rk);
        renames.push(Rename {
            from: op_ref(&ra, rk),
            to: targets.iter().map(|t| op_ref(&rb, t)).collect(),
            per_type,
            changes,
        });
    }
    let added = added_keys
        .iter()
        .filter(|k| !taken.contains(*k))
        .map(|k| op_ref(&rb, k))
        .collect();
    let removed = removed_keys
        .iter()
        .filter(|k| !renamed_from.contains(*k))
        .map(|k| op_ref(&ra, k))
        .collect();

    // Same operation, new generated method.
    let mut name_changes = Vec::new();
    for (k, r_old) in &ra {
        let Some(r_new) = rb.get(k) else { continue };
        if r_old.name != r_new.name || r_old.generated_path != r_new.generated_path {
            name_changes.push(NameChange {
                method: k.1.clone(),
                path: k.0.clone(),
                names: (r_old.name.clone(), r_new.name.clone()),
                generated_paths: (r_old.generated_path.clone(), r_new.generated_path.clone()),
            });
        }
    }

    // Operations in both.
    let mut changes = Vec::new();
    let mut prose_only = Vec::new();
    let mut deeper = Vec::new();
    for (k, o) in &a {
        let Some(n) = b.get(k) else { continue };
        let lines = op_changes(o, old.doc, n, new.doc, &[]);
        if !lines.is_empty() {
            changes.push(OpChange {
                op: op_ref(&rb, k),
                lines,
            });
        } else if without_prose(o.op) != without_prose(n.op)
            || without_prose(o.item.get("parameters").unwrap_or(&Value::Null))
                != without_prose(n.item.get("parameters").unwrap_or(&Value::Null))
        {
            deeper.push(op_ref(&rb, k));
        } else if o.op != n.op || o.item.get("parameters") != n.item.get("parameters") {
            prose_only.push(op_ref(&rb, k));
        }
    }

    let overlay_now_upstream = crate::pipeline::overlay_shadowed(new.doc, overlay)
        .into_iter()
        .map(|(m, p)| {
            let name = overlay
                .and_then(|o| {
                    o.pointer(&format!(
                        "/paths/{}/{}",
                        p.replace('~', "~0").replace('/', "~1"),
                        m.to_ascii_lowercase()
                    ))
                })
                .and_then(|op| op.get("operationId"))
                .and_then(Value::as_str)
                .map(String::from);
            OpRef {
                method: m,
                path: p,
                name,
            }
        })
        .collect();

    let count = |doc: &Value, ops: usize| {
        (
            doc.get("paths")
                .and_then(Value::as_object)
                .map_or(0, |p| p.len()),
            ops,
        )
    };
    Report {
        old_label: old.label.to_string(),
        new_label: new.label.to_string(),
        counts: (count(old.doc, a.len()), count(new.doc, b.len())),
        added,
        removed,
        renames,
        name_changes,
        changes,
        prose_only,
        deeper,
        components: component_changes(old.doc, new.doc),
        overlay_now_upstream,
        codegen: (codegen_line(old), codegen_line(new)),
        api: match (&old.codegen.api, &new.codegen.api) {
            (Some(a), Some(b)) => Ok(api::diff(a, b)),
            (None, _) => Err("the codegen did not generate the old document".into()),
            (_, None) => Err("the codegen did not generate the new document".into()),
        },
    }
}

/// Keywords that only document: a difference in them changes no generated signature.
const PROSE: &[&str] = &[
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
];

/// `v` without its [`PROSE`] keywords, at every depth (property names are kept).
fn without_prose(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !PROSE.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), without_prose(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_prose).collect()),
        other => other.clone(),
    }
}

fn component_changes(old: &Value, new: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let ca = old
        .get("components")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let cb = new
        .get("components")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let sections: BTreeSet<&String> = ca.keys().chain(cb.keys()).collect();
    let mut out = Vec::new();
    for section in sections {
        let sa = ca.get(section).and_then(Value::as_object).unwrap_or(&empty);
        let sb = cb.get(section).and_then(Value::as_object).unwrap_or(&empty);
        let plus: Vec<&String> = sb.keys().filter(|k| !sa.contains_key(*k)).collect();
        let minus: Vec<&String> = sa.keys().filter(|k| !sb.contains_key(*k)).collect();
        if !plus.is_empty() {
            out.push(format!("{section}: +{} ({})", plus.len(), list(&plus)));
        }
        if !minus.is_empty() {
            out.push(format!("{section}: −{} ({})", minus.len(), list(&minus)));
        }
        for (k, va) in sa {
            let Some(vb) = sb.get(k) else { continue };
            if section == "schemas" {
                let lines = diff_schema(va, old, vb, new);
                if !lines.is_empty() {
                    out.push(format!("schemas: `{k}`: {}", lines.join("; ")));
                } else if va != vb {
                    out.push(format!("schemas: `{k}`: prose only"));
                }
            } else if va != vb {
                out.push(format!("{section}: `{k}` changed"));
            }
        }
    }
    out
}

impl Report {
    /// Whether the documents are the same operation for operation (prose aside), and the public
    /// API the same where it was compared.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.renames.is_empty()
            && self.name_changes.is_empty()
            && self.changes.is_empty()
            && self.components.is_empty()
            && self.overlay_now_upstream.is_empty()
            && !matches!(&self.api, Ok(d) if !d.is_empty())
    }

    /// The report as Markdown (for `spec/CHANGES.md` and the terminal).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let ((op, oo), (np, no)) = self.counts;
        let raw_added = self.added.len() + self.renames.iter().map(|r| r.to.len()).sum::<usize>();
        let raw_removed = self.removed.len() + self.renames.len();
        let _ = writeln!(s, "# Hub OpenAPI changes\n");
        let _ = writeln!(
            s,
            "- old: `{}`: {op} paths, {oo} operations",
            self.old_label
        );
        let _ = writeln!(
            s,
            "- new: `{}`: {np} paths, {no} operations",
            self.new_label
        );
        let _ = writeln!(
            s,
            "- operations: {raw_added} added, {raw_removed} removed; of these, {} moved to {} new paths (renames), \
             leaving {} new and {} gone",
            self.renames.len(),
            raw_added - self.added.len(),
            self.added.len(),
            self.removed.len()
        );
        let _ = writeln!(
            s,
            "- also: {} generated-method changes, {} operations with changed parameters or bodies, \
             {} changed deeper down only, {} changed in prose only",
            self.name_changes.len(),
            self.changes.len(),
            self.deeper.len(),
            self.prose_only.len()
        );
        let _ = writeln!(s, "- codegen on old: {}", self.codegen.0);
        let _ = writeln!(s, "- codegen on new: {}", self.codegen.1);
        match &self.api {
            Ok(d) => {
                let _ = writeln!(s, "- public API: {}", d.summary());
            }
            Err(why) => {
                let _ = writeln!(s, "- public API: not compared: {why}");
            }
        }

        if !self.overlay_now_upstream.is_empty() {
            let _ = writeln!(
                s,
                "\n## Overlay operations now defined upstream ({})\n\n\
                 The build fails until these are removed from `spec/overlay.json` (check that the \
                 upstream definition is as good before removing).\n",
                self.overlay_now_upstream.len()
            );
            for o in &self.overlay_now_upstream {
                let _ = writeln!(s, "- {}", o.show());
            }
        }
        section(&mut s, "Added operations", &self.added, |o| o.show());
        section(&mut s, "Removed operations", &self.removed, |o| o.show());
        section(&mut s, "Renamed operations", &self.renames, |r| {
            let mut line = format!(
                "{}{}",
                r.from.show(),
                if r.per_type {
                    " split per repo type:"
                } else {
                    " moved:"
                }
            );
            for t in &r.to {
                let _ = write!(line, "\n  - {}", t.show());
            }
            for c in &r.changes {
                let _ = write!(line, "\n  - also {c}");
            }
            line
        });
        section(
            &mut s,
            "Generated method changes",
            &self.name_changes,
            |c| {
                let mut parts = Vec::new();
                if c.names.0 != c.names.1 {
                    parts.push(format!("`{}` → `{}`", c.names.0, c.names.1));
                }
                if c.generated_paths.0 != c.generated_paths.1 {
                    parts.push(format!(
                        "generated path `{}` → `{}`",
                        c.generated_paths.0, c.generated_paths.1
                    ));
                }
                format!("`{} {}`: {}", c.method, c.path, parts.join(", "))
            },
        );
        section(&mut s, "Changed operations", &self.changes, |c| {
            let mut line = c.op.show();
            for l in &c.lines {
                let _ = write!(line, "\n  - {l}");
            }
            line
        });
        if !self.deeper.is_empty() {
            let ops: Vec<String> = self
                .deeper
                .iter()
                .map(|o| format!("{} {}", o.method, o.path))
                .collect();
            let _ = writeln!(
                s,
                "\n## Changed deeper down only ({})\n\nSchemas two or more levels deep, or keywords not summarised here: {}",
                ops.len(),
                schema::list(&ops)
            );
        }
        if !self.prose_only.is_empty() {
            let ops: Vec<String> = self
                .prose_only
                .iter()
                .map(|o| format!("{} {}", o.method, o.path))
                .collect();
            let _ = writeln!(
                s,
                "\n## Changed in prose only ({})\n\nDescriptions, summaries or examples: {}",
                ops.len(),
                schema::list(&ops)
            );
        }
        section(&mut s, "Components", &self.components, |c| c.clone());
        if let Ok(d) = &self.api
            && !d.is_empty()
        {
            s.push_str(&d.render());
        }
        if self.is_empty() {
            let _ = writeln!(s, "\nNo operation, parameter or schema changed.");
        }
        s
    }
}

fn section<T>(s: &mut String, title: &str, items: &[T], show: impl Fn(&T) -> String) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n## {title} ({})\n", items.len());
    for i in items {
        let _ = writeln!(s, "- {}", show(i));
    }
}
