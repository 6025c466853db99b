//! The `spec` and `codegen` tasks: updating the vendored document, checking the inventory,
//! diffing two documents, writing the generated code out.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use hf_hub_api_codegen::naming::Origin;

use crate::pipeline::{self, Generated, Outcome};
use crate::report::{Report, Side, compare};

/// Where the Hub serves its OpenAPI document.
pub const DEFAULT_URL: &str = "https://huggingface.co/.well-known/openapi.json";

/// How long fetching the document may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// The files of a spec directory (`spec/` of the workspace, or a copy of it).
#[derive(Debug, Clone)]
pub struct SpecDir {
    /// The directory.
    pub dir: PathBuf,
}

impl SpecDir {
    /// The spec directory at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SpecDir { dir: dir.into() }
    }
    /// `hub-openapi.json`: the vendored upstream document, as served.
    pub fn document(&self) -> PathBuf {
        self.dir.join("hub-openapi.json")
    }
    /// The workspace root (the spec directory's parent), which holds `Cargo.toml` and the
    /// README with their generated feature sections.
    pub fn root(&self) -> PathBuf {
        match self.dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
    /// `overlay.json`: the endpoints upstream does not document.
    pub fn overlay(&self) -> PathBuf {
        self.dir.join("overlay.json")
    }
    /// `operations.txt`: the committed inventory.
    pub fn inventory(&self) -> PathBuf {
        self.dir.join("operations.txt")
    }
    /// `CHANGES.md`: the report of the last update.
    pub fn changes(&self) -> PathBuf {
        self.dir.join("CHANGES.md")
    }
    /// The overlay, when the file exists.
    pub fn read_overlay(&self) -> Result<Option<Value>> {
        let p = self.overlay();
        if !p.exists() {
            return Ok(None);
        }
        Ok(Some(read_document_file(&p, false)?))
    }
}

/// Whether `source` names a URL rather than a file.
pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// Fetches `url` (timeout [`FETCH_TIMEOUT`]) and returns the body.
pub fn fetch(url: &str) -> Result<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(FETCH_TIMEOUT))
        .user_agent(concat!("hf-hub-api-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut resp = agent
        .get(url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| match e {
            ureq::Error::StatusCode(code) => {
                anyhow!("fetching {url}: the server answered HTTP {code}")
            }
            ureq::Error::Timeout(_) => {
                anyhow!(
                    "fetching {url}: network error: timed out after {}s",
                    FETCH_TIMEOUT.as_secs()
                )
            }
            other => anyhow!("fetching {url}: network error: {other}"),
        })?;
    resp.body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| anyhow!("fetching {url}: reading the answer: {e}"))
}

/// Reads the text of `source`, a URL or a file.
pub fn read_source(source: &str) -> Result<String> {
    if is_url(source) {
        fetch(source)
    } else {
        std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))
    }
}

/// Parses `text` as an OpenAPI 3 document; `strict` also asks for a version and operations.
pub fn parse_document(text: &str, label: &str, strict: bool) -> Result<Value> {
    let doc: Value =
        serde_json::from_str(text).with_context(|| format!("{label} is not valid JSON"))?;
    if !doc.is_object() {
        bail!("{label}: not a JSON object");
    }
    if doc.get("paths").and_then(Value::as_object).is_none() {
        bail!("{label}: no `paths` object: not an OpenAPI document");
    }
    if strict {
        match doc.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.") => {}
            Some(v) => bail!("{label}: OpenAPI version {v} (expected 3.x)"),
            None => bail!("{label}: no `openapi` version field: not an OpenAPI document"),
        }
        let ops = doc["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, i)| i.as_object())
            .flat_map(|i| i.keys())
            .filter(|k| hf_hub_api_codegen::walk::METHODS.contains(&k.as_str()))
            .count();
        if ops == 0 {
            bail!("{label}: no operations");
        }
    }
    Ok(doc)
}

fn read_document_file(path: &Path, strict: bool) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_document(&text, &path.display().to_string(), strict)
}

/// The document as vendored: pretty-printed, 2-space indent, upstream key order, newline.
pub fn pretty(doc: &Value) -> Result<String> {
    let mut s = serde_json::to_string_pretty(doc)?;
    s.push('\n');
    Ok(s)
}

/// Files written together: each goes to a temporary file in its directory first, and all are
/// renamed into place only once every one is written.
fn write_all_or_nothing(files: &[(PathBuf, String)]) -> Result<()> {
    let mut temps = Vec::new();
    for (target, content) in files {
        let dir = target.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new()
            .prefix(".xtask-")
            .tempfile_in(dir)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        tmp.write_all(content.as_bytes())
            .and_then(|_| tmp.as_file().sync_all())
            .with_context(|| format!("writing {}", tmp.path().display()))?;
        let perms = match std::fs::metadata(target) {
            Ok(m) => m.permissions(),
            Err(_) => default_permissions(),
        };
        std::fs::set_permissions(tmp.path(), perms)?;
        temps.push((tmp, target));
    }
    for (tmp, target) in temps {
        tmp.persist(target)
            .with_context(|| format!("renaming into {}", target.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn default_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn default_permissions() -> std::fs::Permissions {
    std::fs::metadata(".")
        .map(|m| m.permissions())
        .unwrap_or_else(|_| unreachable!())
}

/// `cargo xtask spec update`: vendors the document at `source` into `dir` (document,
/// inventory, change report), or fails leaving `dir` untouched. Returns the report.
pub fn update(dir: &SpecDir, source: &str) -> Result<String> {
    let text = read_source(source)?;
    let doc = parse_document(&text, source, true)?;
    let overlay = dir.read_overlay()?;
    let old_path = dir.document();
    let old = if old_path.exists() {
        read_document_file(&old_path, false)?
    } else {
        serde_json::json!({"paths": {}})
    };
    let old_outcome = old_side(&old, overlay.as_ref());
    // The build, step by step (as `hf_hub_api_codegen::build`), keeping the normalised
    // document for the API snapshot.
    let new_outcome = pipeline::run(&doc, overlay.as_ref(), true);
    let old_label = old_path.display().to_string();
    let report = compare(
        &Side {
            label: &old_label,
            doc: &old,
            codegen: &old_outcome,
        },
        &Side {
            label: source,
            doc: &doc,
            codegen: &new_outcome,
        },
        overlay.as_ref(),
    );
    let text = report.render();
    if let Some(why) = new_outcome.error {
        println!("{text}");
        if !report.overlay_now_upstream.is_empty() {
            bail!(
                "{} overlay operation(s) are now defined upstream ({why}); remove them from {} and run the update again. {} left untouched",
                report.overlay_now_upstream.len(),
                dir.overlay().display(),
                dir.dir.display()
            );
        }
        bail!(
            "the codegen cannot handle {source}: {why}\n{} left untouched",
            dir.dir.display()
        );
    }
    let inventory = hf_hub_api_codegen::inventory(&new_outcome.rows);
    let mut files = vec![
        (dir.document(), pretty(&doc)?),
        (dir.inventory(), inventory),
        (dir.changes(), text.clone()),
    ];
    if let Some(gates) = &new_outcome.gates {
        files.extend(crate::features::updates(&dir.root(), gates)?);
    }
    write_all_or_nothing(&files)?;
    Ok(text)
}

/// A line diff of `old` and `new` (changed lines only, `-`/`+`, in order).
pub fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Longest common subsequence, table from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+{}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("-{}\n", a[i]));
            i += 1;
        }
    }
    out
}

/// `cargo xtask spec check`: the vendored document and overlay build, every operation has a
/// generated name, and `operations.txt` is what they produce. Returns the one-line summary.
pub fn check(dir: &SpecDir) -> Result<String> {
    let doc = read_document_file(&dir.document(), true)?;
    let overlay = dir.read_overlay()?;
    let shadowed = pipeline::overlay_shadowed(&doc, overlay.as_ref());
    if !shadowed.is_empty() {
        let list: Vec<String> = shadowed.iter().map(|(m, p)| format!("  {m} {p}")).collect();
        bail!(
            "{} overlay operation(s) are defined upstream; remove them from {}:\n{}",
            shadowed.len(),
            dir.overlay().display(),
            list.join("\n")
        );
    }
    let out = hf_hub_api_codegen::build(doc, overlay)
        .map_err(|e| anyhow!("the codegen fails on {}: {e}", dir.document().display()))?;
    let unnamed: Vec<String> = out
        .operations
        .iter()
        .filter(|r| {
            r.name.is_empty()
                || !r
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .map(|r| format!("  {} {} -> `{}`", r.method, r.path, r.name))
        .collect();
    if !unnamed.is_empty() {
        bail!(
            "operations without a valid generated name:\n{}",
            unnamed.join("\n")
        );
    }
    let expected = hf_hub_api_codegen::inventory(&out.operations);
    let committed = std::fs::read_to_string(dir.inventory()).unwrap_or_default();
    if committed != expected {
        let mut diff = line_diff(&committed, &expected);
        if diff.is_empty() {
            diff = "(whitespace or line endings differ)\n".into();
        }
        bail!(
            "{} is out of date (- committed, + generated):\n{diff}\
             regenerate it with `cargo xtask spec update --from {}` and commit it",
            dir.inventory().display(),
            dir.document().display()
        );
    }
    crate::features::check(&dir.root(), &out.gates)?;
    let count = |origin: Origin| out.operations.iter().filter(|r| r.origin == origin).count();
    let overlay_ops = count(Origin::Overlay);
    let normaliser_ops = count(Origin::Normaliser);
    let methods: std::collections::BTreeSet<&str> =
        out.operations.iter().map(|r| r.name.as_str()).collect();
    let g = Generated::of(&out.code);
    Ok(format!(
        "spec check OK: {} operations ({} upstream, {overlay_ops} overlay, {normaliser_ops} repo types served beyond the document) → {} generated methods, {} types, {} lines; {} up to date",
        out.operations.len(),
        count(Origin::Document),
        methods.len(),
        g.types,
        g.lines,
        dir.inventory().display()
    ))
}

/// The codegen on the older document of a comparison, generated (for its public API) with the
/// overlay minus the operations that document defines itself: the old build had no overlay
/// entry for them.
fn old_side(doc: &Value, overlay: Option<&Value>) -> Outcome {
    let overlay = overlay.map(|o| pipeline::overlay_without_shadowed(doc, o));
    pipeline::run(doc, overlay.as_ref(), true)
}

/// `cargo xtask spec diff OLD NEW`: the change report between two documents (nothing
/// written). The codegen runs on both with `overlay`; its failure on either is reported, not
/// an error.
pub fn diff(old: &Path, new: &Path, overlay: Option<&Path>) -> Result<Report> {
    let a = read_document_file(old, false)?;
    let b = read_document_file(new, false)?;
    let overlay = match overlay {
        Some(p) if p.exists() => Some(read_document_file(p, false)?),
        Some(p) => bail!("overlay {} does not exist", p.display()),
        None => None,
    };
    let oa = old_side(&a, overlay.as_ref());
    let ob = pipeline::run(&b, overlay.as_ref(), true);
    let (la, lb) = (old.display().to_string(), new.display().to_string());
    Ok(compare(
        &Side {
            label: &la,
            doc: &a,
            codegen: &oa,
        },
        &Side {
            label: &lb,
            doc: &b,
            codegen: &ob,
        },
        overlay.as_ref(),
    ))
}

/// `cargo xtask codegen`: writes the generated Rust for `dir` to `out`; returns the
/// normaliser's report and a summary.
pub fn codegen(dir: &SpecDir, out: &Path) -> Result<String> {
    // The in-memory build: it writes what any document generates, fixtures included, without
    // the build script's check that every normaliser fix still applies to the Hub's document.
    let doc = hf_hub_api_codegen::read_json(&dir.document())?;
    let overlay = dir.overlay();
    let overlay = match overlay.exists() {
        true => Some(hf_hub_api_codegen::read_json(&overlay)?),
        false => None,
    };
    let built =
        hf_hub_api_codegen::build(doc, overlay).map_err(|e| anyhow!("the codegen fails: {e}"))?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(out, &built.code).with_context(|| format!("writing {}", out.display()))?;
    let g = Generated::of(&built.code);
    Ok(format!(
        "{}\nwrote {} ({} lines, {} types, {} operations)",
        built.report,
        out.display(),
        g.lines,
        g.types,
        built.operations.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_diff_shows_changed_lines_in_order() {
        let d = line_diff("a\nb\nc\n", "a\nc\nd\n");
        assert_eq!(d, "-b\n+d\n");
        assert_eq!(line_diff("x\n", "x\n"), "");
    }

    #[test]
    fn documents_are_checked() {
        assert!(
            parse_document("<html>", "x", true)
                .unwrap_err()
                .to_string()
                .contains("not valid JSON")
        );
        assert!(
            parse_document("{\"paths\": {}}", "x", true)
                .unwrap_err()
                .to_string()
                .contains("no `openapi`")
        );
        assert!(
            parse_document("{\"openapi\": \"3.1.0\", \"paths\": {}}", "x", true)
                .unwrap_err()
                .to_string()
                .contains("no operations")
        );
        assert!(parse_document("{\"openapi\": \"2.0\", \"paths\": {}}", "x", true).is_err());
    }

    #[test]
    fn unreachable_url_is_a_network_error() {
        // The discard port on loopback: refused at once, never leaves the machine.
        let e = fetch("http://127.0.0.1:9/openapi.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("fetching http://127.0.0.1:9/openapi.json: network error"),
            "{e}"
        );
    }
}
