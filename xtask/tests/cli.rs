//! `cargo xtask spec …` end to end, on temporary copies of a spec directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A spec directory holding the `old.json` fixture, the fixture overlay and its inventory.
fn spec_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("old.json"), dir.path().join("hub-openapi.json")).unwrap();
    std::fs::copy(fixture("overlay.json"), dir.path().join("overlay.json")).unwrap();
    std::fs::write(dir.path().join("operations.txt"), "stale\n").unwrap();
    dir
}

fn xtask(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("XTASK_SPEC_DIR", dir)
        .output()
        .unwrap()
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_fails_untouched(from: &str, expect: &str) {
    let dir = spec_dir();
    let before = snapshot(dir.path());
    let out = xtask(dir.path(), &["spec", "update", "--from", from]);
    assert!(!out.status.success(), "update from {from} succeeded");
    assert!(stderr(&out).contains(expect), "stderr: {}", stderr(&out));
    assert_eq!(
        snapshot(dir.path()),
        before,
        "spec dir changed after a failed update from {from}"
    );
}

#[test]
fn update_from_malformed_file_leaves_spec_untouched() {
    assert_fails_untouched(
        fixture("malformed.json").to_str().unwrap(),
        "is not valid JSON",
    );
}

#[test]
fn update_from_missing_file_leaves_spec_untouched() {
    assert_fails_untouched(
        "/nonexistent/hub-openapi.json",
        "cannot read /nonexistent/hub-openapi.json",
    );
}

#[test]
fn update_from_unreachable_url_leaves_spec_untouched() {
    // Loopback discard port: refused at once, never leaves the machine.
    assert_fails_untouched("http://127.0.0.1:9/openapi.json", "network error");
}

#[test]
fn update_with_overlay_now_upstream_leaves_spec_untouched() {
    let dir = spec_dir();
    let before = snapshot(dir.path());
    let from = fixture("new-defines-overlay.json");
    let out = xtask(
        dir.path(),
        &["spec", "update", "--from", from.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("overlay operation(s) are now defined upstream"),
        "{}",
        stderr(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("## Overlay operations now defined upstream (1)"),
        "{stdout}"
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn update_with_a_document_the_codegen_cannot_handle_leaves_spec_untouched() {
    let dir = spec_dir();
    let before = snapshot(dir.path());
    let bad = dir.path().join("../bad-openapi.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("new.json")).unwrap()).unwrap();
    // Two operations the naming gives one name.
    doc["paths"]["/api/sprockets/"] = doc["paths"]["/api/sprockets"].clone();
    std::fs::write(&bad, serde_json::to_string(&doc).unwrap()).unwrap();
    let out = xtask(
        dir.path(),
        &["spec", "update", "--from", bad.to_str().unwrap()],
    );
    std::fs::remove_file(&bad).unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("the codegen cannot handle"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("would both be named `list_sprockets`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn update_writes_document_inventory_and_report_then_check_passes() {
    let dir = spec_dir();
    let from = fixture("new.json");
    let out = xtask(
        dir.path(),
        &["spec", "update", "--from", from.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = std::fs::read_to_string(dir.path().join("hub-openapi.json")).unwrap();
    // The fixture is written the way the update writes: pretty, 2 spaces, newline.
    assert_eq!(doc, std::fs::read_to_string(&from).unwrap());
    let inventory = std::fs::read_to_string(dir.path().join("operations.txt")).unwrap();
    assert!(inventory.contains("GET /api/sprockets -> list_sprockets  [document]\n"));
    assert!(inventory.contains("GET /api/things -> list_things  [overlay]\n"));
    let changes = std::fs::read_to_string(dir.path().join("CHANGES.md")).unwrap();
    assert!(changes.contains("## Renamed operations (2)"));
    // The public API of both sides is compared, and the section lists what changed.
    assert!(changes.contains("\n- public API: types: "), "{changes}");
    assert!(changes.contains("\n## Public API\n"), "{changes}");
    assert!(
        changes.contains("### Changed method signatures"),
        "{changes}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        changes.trim_end()
    );
    assert!(!std::fs::read_dir(dir.path()).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".xtask-")
    }));

    let check = xtask(dir.path(), &["spec", "check"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let line = String::from_utf8_lossy(&check.stdout);
    assert!(
        line.starts_with(
            "spec check OK: 11 operations (10 upstream, 1 overlay, 0 repo types served beyond the document) → 10 generated methods"
        ),
        "{line}"
    );

    // Updating again from the vendored document changes nothing but the report.
    let again = xtask(
        dir.path(),
        &[
            "spec",
            "update",
            "--from",
            dir.path().join("hub-openapi.json").to_str().unwrap(),
        ],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("hub-openapi.json")).unwrap(),
        doc
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("operations.txt")).unwrap(),
        inventory
    );
}

#[test]
fn check_fails_with_a_diff_on_a_stale_inventory() {
    let dir = spec_dir();
    let out = xtask(dir.path(), &["spec", "check"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("operations.txt is out of date"), "{err}");
    assert!(err.contains("\n-stale\n"), "{err}");
    assert!(
        err.contains("\n+GET /api/widgets -> list_widgets  [document]\n"),
        "{err}"
    );
}

#[test]
fn check_fails_when_the_overlay_shadows_upstream() {
    let dir = spec_dir();
    std::fs::copy(
        fixture("new-defines-overlay.json"),
        dir.path().join("hub-openapi.json"),
    )
    .unwrap();
    let out = xtask(dir.path(), &["spec", "check"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("overlay operation(s) are defined upstream"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("GET /api/things"));
}

#[test]
fn diff_writes_nothing_and_reports() {
    let dir = spec_dir();
    let before = snapshot(dir.path());
    let overlay = fixture("overlay.json");
    let (old, new) = (fixture("old.json"), fixture("new.json"));
    let out = xtask(
        dir.path(),
        &[
            "spec",
            "diff",
            "--overlay",
            overlay.to_str().unwrap(),
            old.to_str().unwrap(),
            new.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("## Added operations (1)"));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn codegen_writes_the_generated_code() {
    let dir = spec_dir();
    let out_file = dir.path().join("out/generated.rs");
    let out = xtask(
        dir.path(),
        &["codegen", "--out", out_file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let code = std::fs::read_to_string(&out_file).unwrap();
    assert!(code.starts_with("// @generated"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("assign_operation_ids"), "{stdout}");
    assert!(stdout.contains("wrote "), "{stdout}");
}
