//! Generates the Hub bindings from `spec/` at build time (no network; deterministic).

use std::path::Path;

fn main() {
    let spec = Path::new("spec/hub-openapi.json");
    let overlay = Path::new("spec/overlay.json");
    println!("cargo:rerun-if-changed={}", spec.display());
    println!("cargo:rerun-if-changed={}", overlay.display());
    println!("cargo:rerun-if-changed=build.rs");

    let output = match hf_hub_api_codegen::build_from_files(spec, Some(overlay)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "error: generating bindings from {} failed: {e}",
                spec.display()
            );
            std::process::exit(1);
        }
    };
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    for (name, text) in [
        ("generated.rs", &output.code),
        ("exercise.rs", &output.exercise),
    ] {
        let target = Path::new(&out_dir).join(name);
        // Leave the file (and its mtime) alone when nothing changed.
        if std::fs::read_to_string(&target).ok().as_deref() != Some(text.as_str())
            && let Err(e) = std::fs::write(&target, text)
        {
            eprintln!("error: cannot write {}: {e}", target.display());
            std::process::exit(1);
        }
    }
}
