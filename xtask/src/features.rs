//! The generated sections of `Cargo.toml` (the area features) and of the README (their
//! table), kept in step with `hf_hub_api_codegen::features`: `spec check` fails when they
//! drift, `spec update` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hf_hub_api_codegen::features::{self, Gate};

/// One generated section: the file, its markers and what belongs between them.
struct Section {
    file: PathBuf,
    begin: &'static str,
    end: &'static str,
    body: String,
}

fn sections(root: &Path, gates: &BTreeMap<String, Gate>) -> [Section; 2] {
    [
        Section {
            file: root.join("Cargo.toml"),
            begin: "# BEGIN generated areas\n",
            end: "# END generated areas\n",
            body: features::cargo_features(),
        },
        Section {
            file: root.join("README.md"),
            begin: "<!-- BEGIN generated features -->\n",
            end: "<!-- END generated features -->\n",
            body: features::readme_table(gates),
        },
    ]
}

/// The file's text with the section's body replaced.
fn spliced(text: &str, s: &Section) -> Result<String> {
    let (Some(b), Some(e)) = (text.find(s.begin), text.find(s.end)) else {
        bail!(
            "{} lacks the markers `{}` … `{}`",
            s.file.display(),
            s.begin.trim_end(),
            s.end.trim_end()
        );
    };
    let start = b + s.begin.len();
    if e < start {
        bail!("{}: the end marker comes first", s.file.display());
    }
    Ok(format!("{}{}{}", &text[..start], s.body, &text[e..]))
}

/// Files whose generated sections are out of date, with their new text.
pub fn updates(root: &Path, gates: &BTreeMap<String, Gate>) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for s in sections(root, gates) {
        if !s.file.exists() {
            continue; // a spec directory outside a checkout (the tests' temporary ones)
        }
        let text = std::fs::read_to_string(&s.file)
            .with_context(|| format!("reading {}", s.file.display()))?;
        let new = spliced(&text, &s)?;
        if new != text {
            out.push((s.file, new));
        }
    }
    Ok(out)
}

/// Fails, naming the files, when a generated section is out of date.
pub fn check(root: &Path, gates: &BTreeMap<String, Gate>) -> Result<()> {
    let stale = updates(root, gates)?;
    if stale.is_empty() {
        return Ok(());
    }
    let mut msg = String::from("the cargo-feature sections are out of date:\n");
    for (file, new) in &stale {
        let old = std::fs::read_to_string(file).unwrap_or_default();
        msg.push_str(&format!(
            "{} (- committed, + generated):\n{}",
            file.display(),
            crate::spec::line_diff(&old, new)
        ));
    }
    msg.push_str("rewrite them with `cargo xtask spec update --from spec/hub-openapi.json`");
    bail!(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_between_its_markers_only() {
        let s = Section {
            file: PathBuf::from("x"),
            begin: "# B\n",
            end: "# E\n",
            body: "new\n".into(),
        };
        assert_eq!(
            spliced("head\n# B\nold\n# E\ntail\n", &s).unwrap(),
            "head\n# B\nnew\n# E\ntail\n"
        );
        assert!(spliced("no markers", &s).is_err());
    }
}
