//! Generates one call per operation of the library's document (`../spec/`), with sample
//! arguments, and what each must send: the every-operation test's code. It lives here, not in
//! the library's build script, so the library's users never build it.

use std::path::Path;

fn main() {
    let spec = Path::new("../spec/hub-openapi.json");
    let overlay = Path::new("../spec/overlay.json");
    println!("cargo:rerun-if-changed={}", spec.display());
    println!("cargo:rerun-if-changed={}", overlay.display());
    println!("cargo:rerun-if-changed=build.rs");
    let exercise = match hf_hub_api_codegen::build_with_exercise_from_files(spec, Some(overlay)) {
        Ok(o) => o.exercise.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: generating the exercise code failed: {e}");
            std::process::exit(1);
        }
    };
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let target = Path::new(&out_dir).join("exercise.rs");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(exercise.as_str())
        && let Err(e) = std::fs::write(&target, &exercise)
    {
        eprintln!("error: cannot write {}: {e}", target.display());
        std::process::exit(1);
    }
}
