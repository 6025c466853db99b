fn main() {
    let out = hf_hub_api_codegen::build_from_files(
        std::path::Path::new("spec/hub-openapi.json"),
        Some(std::path::Path::new("spec/overlay.json")),
    );
    match out {
        Ok(o) => {
            eprintln!("{}", o.report);
            std::fs::write("/tmp/gen.rs", o.code).unwrap();
            std::fs::write("/tmp/ops.txt", hf_hub_api_codegen::inventory(&o.operations)).unwrap();
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1)
        }
    }
}
