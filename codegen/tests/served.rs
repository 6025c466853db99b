//! The steps about what the Hub serves beyond its document (overlay components, repo-type
//! copies, wildcards, media types, open enums) and the changes to progenitor's output that
//! carry them, on small fixtures.

use hf_hub_api_codegen::normalise::{self, run_on_schema};
use hf_hub_api_codegen::{media, naming, overlay, patch, served};
use serde_json::{Value, json};

fn doc_with(path: &str, method: &str, op: Value) -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
           "paths": {path: {method: op}}})
}

fn param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
}

#[test]
fn overlay_components_are_copied_in_and_must_exist() {
    let mut d = json!({"openapi": "3.1.0", "paths": {}});
    let ov = json!({
        "components": {"schemas": {
            "Stage": {"type": "string", "enum": ["A", "B"]},
            "Runtime": {"type": "object", "x-hf-name": "Runtime",
                        "properties": {"stage": {"$ref": "#/components/schemas/Stage"}}}}},
        "paths": {"/api/r": {"get": {"operationId": "get_r", "responses": {"200": {"description": "",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Runtime",
                                                        "description": "Here"}}}}}}}}
    });
    overlay::merge_overlay(&mut d, &ov).unwrap();
    let schema =
        &d["paths"]["/api/r"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(schema["description"], "Here", "the place's keys win");
    assert_eq!(schema["x-hf-name"], "Runtime");
    assert_eq!(schema["properties"]["stage"]["enum"], json!(["A", "B"]));
    assert!(
        d.get("components").is_none(),
        "the overlay's components stay out"
    );
    let missing = json!({"paths": {"/api/s": {"get": {"operationId": "s", "responses": {"200": {
        "description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}}}}}});
    let err = overlay::merge_overlay(&mut d, &missing)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no components/schemas/Nope"), "{err}");
    let looped = json!({"components": {"schemas": {"L": {"type": "object",
        "properties": {"l": {"$ref": "#/components/schemas/L"}}}}},
        "paths": {"/api/t": {"get": {"operationId": "t", "responses": {"200": {"description": "",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/L"}}}}}}}}});
    let err = overlay::merge_overlay(&mut d, &looped)
        .unwrap_err()
        .to_string();
    assert!(err.contains("refers to itself"), "{err}");
}

#[test]
fn unprefixed_model_copies_join_their_prefixed_copies() {
    let op = |tag: &str| {
        json!({"tags": [tag], "summary": "Get a file", "parameters": [param("namespace"), param("repo")],
               "responses": {}})
    };
    let mut d = json!({"openapi": "3.1.0", "paths": {
        "/{namespace}/{repo}/resolve/x": {"head": op("models")},
        "/datasets/{namespace}/{repo}/resolve/x": {"head": op("datasets")},
        "/spaces/{namespace}/{repo}/resolve/x": {"head": op("spaces")},
        // A lone prefixed copy joins too.
        "/{namespace}/{repo}/ask-access": {"post": op("models")},
        "/datasets/{namespace}/{repo}/ask-access": {"post": op("datasets")},
        // A model copy that differs stays.
        "/{namespace}/{repo}/other": {"get": op("models")},
        "/datasets/{namespace}/{repo}/other": {"get": {"summary": "else", "responses": {}}}
    }});
    normalise::merge_repo_type_copies(&mut d).unwrap();
    assert_eq!(served::merge_unprefixed_model_copies(&mut d).unwrap(), 2);
    let paths = d["paths"].as_object().unwrap();
    let merged = &paths["/{repoType}/{namespace}/{repo}/resolve/x"]["head"];
    assert_eq!(merged["x-hf-models-unprefixed"], true);
    assert_eq!(
        merged["parameters"][0]["schema"]["enum"],
        json!(["datasets", "models", "spaces"])
    );
    assert_eq!(merged["x-hf-merged-paths"].as_array().unwrap().len(), 3);
    let ask = &paths["/{repoType}/{namespace}/{repo}/ask-access"]["post"];
    assert_eq!(
        ask["parameters"][0]["schema"]["enum"],
        json!(["datasets", "models"])
    );
    assert!(!paths.contains_key("/{namespace}/{repo}/resolve/x"));
    assert!(paths.contains_key("/{namespace}/{repo}/other"));
    assert!(paths.contains_key("/datasets/{namespace}/{repo}/other"));
}

#[test]
fn extra_repo_types_join_their_operations_and_rows_must_apply() {
    let op = json!({"parameters": [
        {"name": "repoType", "in": "path", "required": true, "schema": {"type": "string", "enum": ["datasets", "models", "spaces"]}},
        param("namespace"), param("repo"), param("rev")], "responses": {},
        "x-hf-merged-paths": ["/api/models/{namespace}/{repo}/commit/{rev}"]});
    let mut d = doc_with(
        "/api/{repoType}/{namespace}/{repo}/commit/{rev}",
        "post",
        op,
    );
    assert_eq!(served::extra_repo_types(&mut d).unwrap(), 1);
    let merged = &d["paths"]["/api/{repoType}/{namespace}/{repo}/commit/{rev}"]["post"];
    assert_eq!(
        merged["parameters"][0]["schema"]["enum"],
        json!(["datasets", "kernels", "models", "spaces"])
    );
    assert_eq!(
        merged["x-hf-added-paths"],
        json!(["/api/kernels/{namespace}/{repo}/commit/{rev}"])
    );
    // Once upstream lists the type, the row must go.
    let err = served::extra_repo_types(&mut d).unwrap_err().to_string();
    assert!(err.contains("drop its row"), "{err}");
    // Every row applies to the vendored document (the table holds live fixes only).
    let doc =
        hf_hub_api_codegen::read_json(std::path::Path::new("../spec/hub-openapi.json")).unwrap();
    let (_, report, rows) = normalise::normalise(doc).unwrap();
    let applied = report
        .steps
        .iter()
        .find(|(n, _)| *n == "extra_repo_types")
        .unwrap()
        .1;
    assert_eq!(applied, served::EXTRA_REPO_TYPES.len());
    assert!(rows.iter().any(
        |r| r.path == "/api/kernels/{namespace}/{repo}/tree/{rev}/{path}"
            && r.origin == naming::Origin::Normaliser
    ));
}

#[test]
fn trailing_wildcards_are_marked_file_or_folder() {
    let wildcard = json!({"name": "path", "in": "path", "required": true,
                          "schema": {"type": "string", "description": "Wildcard path parameter"}});
    let mut d = json!({"openapi": "3.1.0", "paths": {
        "/{namespace}/{repo}/resolve/{rev}/{path}": {"get": {"parameters": [wildcard.clone()], "responses": {}}},
        "/api/models/{namespace}/{repo}/tree/{rev}/{path}": {"get": {"parameters": [wildcard], "responses": {}}}
    }});
    assert_eq!(served::trailing_wildcards(&mut d).unwrap(), 2);
    assert_eq!(
        d["paths"]["/{namespace}/{repo}/resolve/{rev}/{path}"]["get"]["parameters"][0]["x-hf-wildcard"],
        "file"
    );
    assert_eq!(
        d["paths"]["/api/models/{namespace}/{repo}/tree/{rev}/{path}"]["get"]["parameters"][0]["x-hf-wildcard"],
        "folder"
    );
    let mut bad = doc_with(
        "/api/x/{path}/y",
        "get",
        json!({"parameters": [
        {"name": "path", "in": "path", "required": true, "x-hf-wildcard": "file", "schema": {"type": "string"}}],
        "responses": {}}),
    );
    assert!(served::trailing_wildcards(&mut bad).is_err());
}

#[test]
fn vendor_json_becomes_json_and_keeps_its_media_type() {
    let lfs = "application/vnd.git-lfs+json";
    let mut d = doc_with(
        "/{namespace}/{repo}.git/info/lfs/objects/batch",
        "post",
        json!({
        "requestBody": {"content": {lfs: {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "", "content": {lfs: {"schema": {"type": "object"}}}}}}),
    );
    assert_eq!(media::vendor_json_media_types(&mut d).unwrap(), 1);
    let op = &d["paths"]["/{namespace}/{repo}.git/info/lfs/objects/batch"]["post"];
    assert_eq!(op["x-hf-media-type"], lfs);
    assert!(
        op["requestBody"]["content"]
            .get("application/json")
            .is_some()
    );
    assert!(
        op["responses"]["200"]["content"]
            .get("application/json")
            .is_some()
    );
    let mut two = doc_with(
        "/x",
        "post",
        json!({
        "requestBody": {"content": {"application/vnd.a+json": {}}},
        "responses": {"200": {"description": "", "content": {"application/vnd.b+json": {}}}}}),
    );
    assert!(media::vendor_json_media_types(&mut two).is_err());
}

#[test]
fn a_body_of_several_media_types_is_chosen_by_its_header() {
    let bin = json!({"schema": {"type": "string", "format": "binary"}});
    let header = json!({"name": "Content-Type", "in": "header", "required": true,
                        "schema": {"type": "string", "enum": ["image/png", "video/mp4"]}});
    let mut d = doc_with(
        "/uploads",
        "post",
        json!({"parameters": [header],
        "requestBody": {"content": {"image/png": bin.clone(), "video/mp4": bin.clone()}}, "responses": {}}),
    );
    assert_eq!(
        normalise::drop_content_type_header_params(&mut d).unwrap(),
        0,
        "kept"
    );
    assert_eq!(media::binary_body_media_choice(&mut d).unwrap(), 1);
    let op = &d["paths"]["/uploads"]["post"];
    assert_eq!(
        op["requestBody"]["content"],
        json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
    );
    let mut no_header = doc_with(
        "/uploads",
        "post",
        json!({
        "requestBody": {"content": {"image/png": bin.clone(), "video/mp4": bin}}, "responses": {}}),
    );
    let err = media::binary_body_media_choice(&mut no_header)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Content-Type"), "{err}");
}

#[test]
fn open_enums_are_string_enums_without_other() {
    let (_, n) = run_on_schema(
        patch::open_enums,
        json!({"type": "string", "x-hf-open-enum": true, "enum": ["RUNNING", "PAUSED"]}),
    )
    .unwrap();
    assert_eq!(n, 1);
    assert!(
        run_on_schema(
            patch::open_enums,
            json!({"type": "integer", "x-hf-open-enum": true, "enum": [1]})
        )
        .is_err()
    );
    assert!(
        run_on_schema(
            patch::open_enums,
            json!({"type": "string", "x-hf-open-enum": true, "enum": ["other"]})
        )
        .is_err()
    );
}

#[test]
fn open_enums_get_a_variant_for_unknown_values() {
    let mut file: syn::File = syn::parse_str(
        r#"pub mod types {
            #[derive(Clone, Copy, Debug, PartialEq)]
            pub enum Stage {
                #[serde(rename = "RUNNING")]
                Running,
                Paused,
            }
            impl ::std::fmt::Display for Stage {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { todo!() }
            }
            impl ::std::str::FromStr for Stage {
                type Err = ();
                fn from_str(value: &str) -> Result<Self, ()> { todo!() }
            }
        }"#,
    )
    .unwrap();
    let doc =
        json!({"components": {"schemas": {"Stage": {"type": "string", "x-hf-open-enum": true}}}});
    assert_eq!(patch::patch_open_enums(&mut file, &doc).unwrap(), 1);
    let text = prettyplease::unparse(&file);
    assert!(text.contains("Other(::std::string::String)"), "{text}");
    assert!(text.contains("#[serde(untagged)]"), "{text}");
    assert!(!text.contains("Copy"), "{text}");
    assert!(text.contains("Self::Running => \"RUNNING\""), "{text}");
    assert!(text.contains("Self::Paused => \"Paused\""), "{text}");
    assert!(
        !text.contains("todo!()"),
        "typify's impls are replaced: {text}"
    );
}

#[test]
fn sensitive_fields_are_redacted_in_debug() {
    let mut file: syn::File = syn::parse_str(
        r#"pub mod types {
            #[derive(Clone, Debug, PartialEq)]
            pub struct Action {
                pub href: String,
                #[serde(rename = "expires_in")]
                pub expires_in: Option<i64>,
            }
        }"#,
    )
    .unwrap();
    let doc = json!({"components": {"schemas": {"Action": {"type": "object", "properties": {
        "href": {"type": "string", "x-hf-sensitive": true}, "expires_in": {"type": "integer"}}}}}});
    assert_eq!(patch::patch_sensitive_debug(&mut file, &doc).unwrap(), 1);
    let text = prettyplease::unparse(&file);
    assert!(text.contains(".field(\"href\", &\"<redacted>\")"), "{text}");
    assert!(
        text.contains(".field(\"expires_in\", &self.expires_in)"),
        "{text}"
    );
    assert!(text.contains("#[derive(Clone, PartialEq)]"), "{text}");
}

#[test]
fn urls_leave_models_out_and_wildcards_shape_their_end() {
    let mut file: syn::File = syn::parse_str(
        r#"impl Client {
            pub async fn get_meta(&self) {
                let url = format!("{}/{}/{}/{}/resolve/{}/{}", self.baseurl,
                    encode_path(&repo_type.to_string()), encode_path(&namespace.to_string()),
                    encode_path(&repo.to_string()), encode_path(&rev.to_string()),
                    encode_path(&path.to_string()),);
            }
            pub async fn list_tree(&self) {
                let url = format!("{}/api/{}/tree/{}/{}", self.baseurl,
                    encode_path(&repo.to_string()), encode_path(&rev.to_string()),
                    encode_path(&path.to_string()));
            }
        }"#,
    )
    .unwrap();
    let doc = json!({"paths": {
        "/{repoType}/{namespace}/{repo}/resolve/{rev}/{path}": {"head": {"operationId": "get_meta",
            "x-hf-models-unprefixed": true,
            "parameters": [{"name": "path", "in": "path", "x-hf-wildcard": "file"}]}},
        "/api/{repo}/tree/{rev}/{path}": {"get": {"operationId": "list_tree",
            "parameters": [{"name": "path", "in": "path", "x-hf-wildcard": "folder"}]}}
    }});
    assert_eq!(patch::shape_urls(&mut file, &doc).unwrap(), 2);
    let text = prettyplease::unparse(&file).replace(['\n', ' '], "");
    assert!(
        text.contains(r#"format!("{}/{}{}/{}/resolve/{}{}",self.baseurl,crate::repo::models_unprefixed(&repo_type.to_string())"#),
        "{text}"
    );
    assert!(
        text.contains("crate::repo::file_wildcard(&path.to_string())"),
        "{text}"
    );
    assert!(text.contains(r#""{}/api/{}/tree/{}{}""#), "{text}");
    assert!(
        text.contains("crate::repo::folder_wildcard(&path.to_string())"),
        "{text}"
    );
}
