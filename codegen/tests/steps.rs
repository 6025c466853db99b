//! One test per normaliser step, on small fixtures, plus the loud failure on unknown input.

use hf_hub_api_codegen::normalise::{self, run_on_schema};
use hf_hub_api_codegen::{CodegenError, hoist, naming, overlay};
use serde_json::{Value, json};

fn doc_with(path: &str, method: &str, op: Value) -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
           "paths": {path: {method: op}}})
}

fn ok_response(schema: Value) -> Value {
    json!({"200": {"description": "", "content": {"application/json": {"schema": schema}}}})
}

#[test]
fn openapi_version_becomes_3_0() {
    let mut d = json!({"openapi": "3.1.0", "paths": {}});
    assert_eq!(normalise::openapi_3_1_to_3_0(&mut d).unwrap(), 1);
    assert_eq!(d["openapi"], "3.0.3");
    let mut d = json!({"openapi": "2.0", "paths": {}});
    let err = normalise::openapi_3_1_to_3_0(&mut d).unwrap_err();
    assert!(err.to_string().contains("/openapi"), "{err}");
}

#[test]
fn dialect_keywords_are_dropped() {
    let (s, n) = run_on_schema(
        normalise::drop_dialect_keywords,
        json!({"$schema": "x", "type": "object", "properties": {
            "a": {"type": "string", "examples": ["x"]},
            "m": {"type": "object", "propertyNames": {"type": "string"}}}}),
    )
    .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        s,
        json!({"type": "object", "properties": {"a": {"type": "string"}, "m": {"type": "object"}}})
    );
}

#[test]
fn unknown_keyword_fails_naming_the_pointer() {
    let mut d = doc_with(
        "/api/x",
        "get",
        json!({"responses": ok_response(json!({"type": "object",
            "properties": {"a": {"type": "string", "contentEncoding": "base64"}}}))}),
    );
    let err = normalise::reject_unknown_keywords(&mut d).unwrap_err();
    match err {
        CodegenError::Unsupported { pointer, message } => {
            assert_eq!(
                pointer,
                "/paths/~1api~1x/get/responses/200/content/application~1json/schema/properties/a/contentEncoding"
            );
            assert!(message.contains("contentEncoding"));
        }
        other => panic!("unexpected {other:?}"),
    }
    // A type list is a 3.1 construct no step handles yet.
    let (_, _) = (0, 0);
    let mut d = doc_with(
        "/api/x",
        "get",
        json!({"responses": ok_response(json!({"type": ["string", "null"]}))}),
    );
    assert!(normalise::reject_unknown_keywords(&mut d).is_err());
}

#[test]
fn content_type_header_params_are_dropped() {
    let mut d = doc_with(
        "/api/x",
        "post",
        json!({"parameters": [
            {"name": "Content-Type", "in": "header", "schema": {"type": "string"}},
            {"name": "Range", "in": "header", "schema": {"type": "string"}}],
            "responses": {}}),
    );
    assert_eq!(
        normalise::drop_content_type_header_params(&mut d).unwrap(),
        1
    );
    let params = d["paths"]["/api/x"]["post"]["parameters"]
        .as_array()
        .unwrap();
    assert_eq!(params.len(), 1);
    assert_eq!(params[0]["name"], "Range");
}

#[test]
fn untyped_flags_become_boolean() {
    let mut d = doc_with(
        "/api/x",
        "get",
        json!({"parameters": [
            {"name": "recursive", "in": "query", "schema": {"default": false}},
            {"name": "create_pr", "in": "query", "schema": {"description": "flag"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
            "responses": {}}),
    );
    assert_eq!(
        normalise::untyped_flag_query_params_to_boolean(&mut d).unwrap(),
        2
    );
    let p = &d["paths"]["/api/x"]["get"]["parameters"];
    assert_eq!(p[0]["schema"]["type"], "boolean");
    assert_eq!(p[1]["schema"]["type"], "boolean");
    assert_eq!(p[2]["schema"]["type"], "integer");
    let mut bad = doc_with(
        "/api/x",
        "get",
        json!({"parameters": [{"name": "n", "in": "query", "schema": {"default": 3}}], "responses": {}}),
    );
    assert!(normalise::untyped_flag_query_params_to_boolean(&mut bad).is_err());
}

#[test]
fn exclusive_bounds_become_booleans() {
    let (s, n) = run_on_schema(
        normalise::exclusive_bounds_to_boolean,
        json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10}),
    )
    .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        s,
        json!({"type": "number", "exclusiveMinimum": true, "exclusiveMaximum": true,
               "minimum": 0, "maximum": 10})
    );
}

#[test]
fn const_becomes_one_value_enum() {
    let (s, n) = run_on_schema(
        normalise::const_to_enum,
        json!({"type": "object", "properties": {"type": {"const": "org"}, "e": {"enum": ["a", "b"]}}}),
    )
    .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        s["properties"]["type"],
        json!({"enum": ["org"], "type": "string"})
    );
    assert_eq!(s["properties"]["e"]["type"], "string");
}

#[test]
fn prefix_items_become_free_arrays() {
    let (s, n) = run_on_schema(
        normalise::prefix_items_to_any_array,
        json!({"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "minItems": 2}),
    )
    .unwrap();
    assert_eq!(n, 1);
    assert_eq!(s, json!({"type": "array", "items": {}}));
}

#[test]
fn null_members_become_nullable() {
    let (s, n) = run_on_schema(
        normalise::null_type_to_nullable,
        json!({"type": "object", "properties": {
            "a": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "d"},
            "b": {"type": "null"},
            "c": {"anyOf": [{"$ref": "#/components/schemas/RepoId"}, {"type": "null"}]},
            "d": {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]}}}),
    )
    .unwrap();
    // Four null members or bare nulls, three unions.
    assert_eq!(n, 7);
    let p = &s["properties"];
    assert_eq!(
        p["a"],
        json!({"type": "string", "nullable": true, "description": "d"})
    );
    assert_eq!(p["b"], json!({"nullable": true}));
    assert_eq!(
        p["c"],
        json!({"allOf": [{"$ref": "#/components/schemas/RepoId"}], "nullable": true})
    );
    assert_eq!(
        p["d"],
        json!({"anyOf": [{"type": "string"}, {"type": "number"}], "nullable": true})
    );
}

#[test]
fn untyped_anyof_members_are_dropped() {
    let (s, n) = run_on_schema(
        normalise::drop_untyped_anyof_members,
        json!({"anyOf": [{"type": "boolean"}, {"default": false}]}),
    )
    .unwrap();
    assert_eq!(n, 1);
    assert_eq!(s, json!({"type": "boolean"}));
}

#[test]
fn scalar_unions_become_oneof() {
    let (s, n) = run_on_schema(
        normalise::scalar_unions_to_oneof,
        json!({"anyOf": [{"type": "boolean"},
                         {"anyOf": [{"type": "string", "enum": ["auto"]}, {"type": "string", "enum": ["manual"]}]},
                         {"type": "boolean"}]}),
    )
    .unwrap();
    // The nested union and the outer one.
    assert_eq!(n, 2);
    assert_eq!(
        s,
        json!({"oneOf": [{"type": "string", "enum": ["auto", "manual"]}, {"type": "boolean"}]})
    );
    // Unions with an object member are left to typify.
    let (s, n) = run_on_schema(
        normalise::scalar_unions_to_oneof,
        json!({"anyOf": [{"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "string"}]}),
    )
    .unwrap();
    assert_eq!(n, 0);
    assert!(s.get("anyOf").is_some());
}

#[test]
fn emoji_enums_become_strings() {
    let (s, n) = run_on_schema(
        normalise::enums_without_identifiers_to_string,
        json!({"type": "object", "properties": {
            "reaction": {"type": "string", "enum": ["🔥", "👍", "➕"]},
            "ok": {"type": "string", "enum": ["a-b", "c"]},
            "clash": {"type": "string", "enum": ["a-b", "a_b"]}}}),
    )
    .unwrap();
    assert_eq!(n, 2);
    assert_eq!(s["properties"]["reaction"], json!({"type": "string"}));
    assert_eq!(s["properties"]["clash"], json!({"type": "string"}));
    assert!(s["properties"]["ok"].get("enum").is_some());
}

#[test]
fn closed_objects_are_opened() {
    let (s, n) = run_on_schema(
        normalise::drop_additional_properties_false,
        json!({"type": "object", "additionalProperties": false,
               "properties": {"m": {"type": "object", "additionalProperties": {"type": "string"}}}}),
    )
    .unwrap();
    assert_eq!(n, 1);
    assert!(s.get("additionalProperties").is_none());
    assert_eq!(
        s["properties"]["m"]["additionalProperties"],
        json!({"type": "string"})
    );
}

#[test]
fn response_string_constraints_are_dropped_but_requests_keep_them() {
    let mut d = doc_with(
        "/api/x",
        "post",
        json!({"requestBody": {"content": {"application/json": {"schema":
                {"type": "string", "pattern": "^a$", "maxLength": 3}}}},
               "responses": ok_response(json!({"type": "string", "pattern": "^a$", "minLength": 1}))}),
    );
    assert_eq!(
        normalise::drop_response_string_constraints(&mut d).unwrap(),
        2
    );
    let op = &d["paths"]["/api/x"]["post"];
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"type": "string"})
    );
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"]["pattern"],
        "^a$"
    );
}

#[test]
fn no_content_for_204() {
    let mut d = doc_with(
        "/api/x",
        "delete",
        json!({"responses": {"204": {"description": "", "content": {"application/json": {"schema": {}}}}}}),
    );
    assert_eq!(normalise::no_content_204(&mut d).unwrap(), 1);
    assert!(
        d["paths"]["/api/x"]["delete"]["responses"]["204"]
            .get("content")
            .is_none()
    );
}

#[test]
fn differing_200_and_207_are_merged() {
    let a = json!({"type": "object", "properties": {"ok": {"type": "boolean"}, "x": {"type": "string"}},
                   "required": ["ok", "x"]});
    let b = json!({"type": "object", "properties": {"ok": {"type": "boolean"}, "failed": {"type": "array", "items": {"type": "string"}}},
                   "required": ["ok", "failed"]});
    let mut d = doc_with(
        "/api/x",
        "post",
        json!({"responses": {
            "200": {"description": "", "content": {"application/json": {"schema": a}}},
            "207": {"description": "", "content": {"application/json": {"schema": b}}}}}),
    );
    assert_eq!(normalise::merge_200_207_responses(&mut d).unwrap(), 1);
    let r = &d["paths"]["/api/x"]["post"]["responses"];
    let s200 = &r["200"]["content"]["application/json"]["schema"];
    assert_eq!(s200, &r["207"]["content"]["application/json"]["schema"]);
    let props: Vec<&String> = s200["properties"].as_object().unwrap().keys().collect();
    assert_eq!(props, ["ok", "x", "failed"]);
    assert_eq!(s200["required"], json!(["ok"]));
}

#[test]
fn only_success_responses_stay() {
    let mut d = doc_with(
        "/api/x",
        "get",
        json!({"responses": {"200": {"description": ""}, "302": {"description": ""},
                             "404": {"description": ""}, "422": {"description": ""}}}),
    );
    assert_eq!(normalise::drop_non_success_responses(&mut d).unwrap(), 3);
    let keys: Vec<&String> = d["paths"]["/api/x"]["get"]["responses"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["200"]);
}

#[test]
fn resolve_and_sse_answer_bytes() {
    let mut d = doc_with(
        "/{namespace}/{repo}/resolve/{rev}/{path}",
        "get",
        json!({"responses": ok_response(json!({"type": "object"}))}),
    );
    assert_eq!(normalise::byte_stream_responses(&mut d).unwrap(), 1);
    let r = &d["paths"]["/{namespace}/{repo}/resolve/{rev}/{path}"]["get"]["responses"]["200"];
    assert!(r["content"].get("application/octet-stream").is_some());
    assert!(r["content"].get("application/json").is_none());
    let mut d = doc_with(
        "/api/jobs/{namespace}/{jobId}/logs",
        "get",
        json!({"description": "Server-Sent Events stream", "responses": ok_response(json!({"type": "object"}))}),
    );
    assert_eq!(normalise::byte_stream_responses(&mut d).unwrap(), 1);
    let mut d = doc_with(
        "/api/x",
        "get",
        json!({"responses": ok_response(json!({}))}),
    );
    assert_eq!(normalise::byte_stream_responses(&mut d).unwrap(), 0);
}

#[test]
fn commit_gets_a_raw_body() {
    let mut d = doc_with(
        "/api/models/{namespace}/{repo}/commit/{rev}",
        "post",
        json!({"responses": {}}),
    );
    assert_eq!(normalise::commit_raw_body(&mut d).unwrap(), 1);
    let rb = &d["paths"]["/api/models/{namespace}/{repo}/commit/{rev}"]["post"]["requestBody"];
    assert_eq!(
        rb["content"]["application/octet-stream"]["schema"],
        json!({"type": "string", "format": "binary"})
    );
    // A JSON body declared upstream means the step must be revisited.
    let mut d = doc_with(
        "/api/models/{namespace}/{repo}/commit/{rev}",
        "post",
        json!({"requestBody": {"content": {"application/json": {"schema": {}}}}, "responses": {}}),
    );
    assert!(normalise::commit_raw_body(&mut d).is_err());
}

#[test]
fn missing_responses_are_inserted() {
    let mut d = doc_with("/api/x", "get", json!({"summary": "s"}));
    assert_eq!(normalise::insert_empty_responses(&mut d).unwrap(), 1);
    assert_eq!(d["paths"]["/api/x"]["get"]["responses"], json!({}));
}

#[test]
fn duplicate_path_params_are_renamed() {
    let mut d = doc_with(
        "/api/collections/{namespace}/{slug}/items/{slug}",
        "delete",
        json!({"parameters": [
            {"name": "namespace", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "slug", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {}}),
    );
    assert_eq!(normalise::rename_duplicate_path_params(&mut d).unwrap(), 1);
    let op = &d["paths"]["/api/collections/{namespace}/{slug}/items/{slug2}"]["delete"];
    assert_eq!(
        op["x-hf-original-path"],
        "/api/collections/{namespace}/{slug}/items/{slug}"
    );
    let names: Vec<&str> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["namespace", "slug", "slug2"]);
}

#[test]
fn repo_type_copies_merge_into_one_operation() {
    let op = |tag: &str| {
        json!({"tags": [tag], "summary": "List refs", "parameters": [
            {"name": "namespace", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "repo", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {}})
    };
    let mut d = json!({"openapi": "3.1.0", "paths": {
        "/api/models/{namespace}/{repo}/refs": {"get": op("models")},
        "/api/datasets/{namespace}/{repo}/refs": {"get": op("datasets")},
        "/api/spaces/{namespace}/{repo}/refs": {"get": op("spaces")},
        // Differs: stays separate.
        "/api/models/{namespace}/{repo}/scan": {"get": op("models")},
        "/api/spaces/{namespace}/{repo}/scan": {"get": {"summary": "other", "responses": {}}}
    }});
    assert_eq!(normalise::merge_repo_type_copies(&mut d).unwrap(), 1);
    let paths = d["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/{repoType}/{namespace}/{repo}/refs"));
    assert!(!paths.contains_key("/api/models/{namespace}/{repo}/refs"));
    assert!(paths.contains_key("/api/models/{namespace}/{repo}/scan"));
    let merged = &paths["/api/{repoType}/{namespace}/{repo}/refs"]["get"];
    assert_eq!(
        merged["parameters"][0]["schema"],
        json!({"type": "string", "enum": ["datasets", "models", "spaces"]})
    );
    assert_eq!(merged["x-hf-merged-paths"].as_array().unwrap().len(), 3);
}

#[test]
fn names_derive_from_path_and_meaning() {
    assert_eq!(
        naming::derive_name("get", "/api/{repoType}/{namespace}/{repo}/refs", false),
        "get_repo_refs"
    );
    assert_eq!(
        naming::derive_name(
            "get",
            "/api/{repoType}/{namespace}/{repo}/discussions",
            true
        ),
        "list_repo_discussions"
    );
    assert_eq!(
        naming::derive_name("post", "/api/jobs/{namespace}/{jobId}/cancel", false),
        "cancel_job"
    );
    assert_eq!(
        naming::derive_name("delete", "/api/scheduled-jobs/{namespace}/{jobId}", false),
        "delete_scheduled_job"
    );
    assert_eq!(
        naming::derive_name("put", "/api/{repoType}/{namespace}/{repo}/settings", false),
        "update_repo_settings"
    );
}

#[test]
fn name_clashes_fail_listing_both() {
    let mut d = json!({"openapi": "3.1.0", "paths": {
        "/api/a/{x}": {"get": {"responses": {}}},
        "/api/a/{y}": {"get": {"responses": {}}}}});
    let err = naming::assign_operation_ids(&mut d)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/api/a/{x}") && err.contains("/api/a/{y}"),
        "{err}"
    );
}

#[test]
fn identical_shapes_are_hoisted_once() {
    let author = json!({"type": "object", "properties": {"name": {"type": "string"}, "avatarUrl": {"type": "string"}}});
    let mut d = json!({"openapi": "3.0.3", "paths": {
        "/api/a": {"get": {"operationId": "get_a", "responses": ok_response(json!({"type": "object", "properties": {"author": author}}))}},
        "/api/b": {"get": {"operationId": "get_b", "responses": ok_response(json!({"type": "object", "properties": {"owner": author, "x": {"type": "string"}}}))}},
        "/api/c": {"get": {"operationId": "get_c", "responses": ok_response(json!({"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}, "author": {"description": "doc differs", "type": "object", "properties": {"name": {"type": "string"}, "avatarUrl": {"type": "string"}}}}}}))}}
    }});
    let n = hoist::hoist_shared_schemas(&mut d).unwrap();
    assert_eq!(n, 1);
    assert!(d["components"]["schemas"]["Author"].is_object());
    for p in ["/api/a", "/api/b"] {
        let s = &d["paths"][p]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let r = s["properties"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap();
        assert_eq!(r, &json!({"$ref": "#/components/schemas/Author"}));
    }
}

#[test]
fn overlay_merges_and_refuses_shadowing() {
    let mut d = json!({"openapi": "3.1.0", "paths": {"/api/x": {"get": {"responses": {}}}}});
    let ov =
        json!({"paths": {"/api/models": {"get": {"operationId": "list_models", "responses": {}}}}});
    assert_eq!(overlay::merge_overlay(&mut d, &ov).unwrap(), 1);
    assert_eq!(d["paths"]["/api/models"]["get"]["x-hf-overlay"], true);
    let clash = json!({"paths": {"/api/x": {"get": {"operationId": "x", "responses": {}}}}});
    let err = overlay::merge_overlay(&mut d, &clash)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("now upstream: remove it from the overlay"),
        "{err}"
    );
}

#[test]
fn underscore_id_field_is_renamed() {
    let mut file: syn::File = syn::parse_str(
        r#"pub struct Item {
            #[serde(rename = "_id")] pub id: String,
            pub id: String,
        }"#,
    )
    .unwrap();
    assert_eq!(
        hf_hub_api_codegen::generate::rename_underscore_id_fields(&mut file),
        1
    );
    let text = prettyplease::unparse(&file);
    assert!(text.contains("pub underscore_id: String"), "{text}");
}

#[test]
fn the_vendored_document_generates_deterministically() {
    let doc = std::path::Path::new("../spec/hub-openapi.json");
    let overlay = std::path::Path::new("../spec/overlay.json");
    let out = hf_hub_api_codegen::build_from_files(doc, Some(overlay)).unwrap();
    assert!(out.code.starts_with("// @generated"));
    assert!(out.operations.len() >= 314);
    // Every operation of the inventory has a generated method name.
    assert!(out.operations.iter().all(|o| !o.name.is_empty()));
    // Deterministic: the same input gives the same bytes.
    let again = hf_hub_api_codegen::build_from_files(doc, Some(overlay)).unwrap();
    assert_eq!(out.code, again.code);
    assert_eq!(out.exercise, again.exercise);
}

#[test]
fn preupload_gets_create_pr() {
    let mut d = doc_with(
        "/api/models/{namespace}/{repo}/preupload/{rev}",
        "post",
        json!({"parameters": [], "responses": {}}),
    );
    assert_eq!(normalise::preupload_create_pr_param(&mut d).unwrap(), 1);
    let p = &d["paths"]["/api/models/{namespace}/{repo}/preupload/{rev}"]["post"]["parameters"][0];
    assert_eq!(p["name"], "create_pr");
    assert_eq!(p["schema"]["type"], "boolean");
    // Idempotent once upstream declares it.
    assert_eq!(normalise::preupload_create_pr_param(&mut d).unwrap(), 0);
}

#[test]
fn required_names_without_properties_are_dropped() {
    let (s, n) = run_on_schema(
        normalise::drop_undefined_required,
        json!({"type": "object", "properties": {"exclude": {"type": "array", "items": {"type": "string"}}},
               "required": ["exclude", "bucketNamespace"]}),
    )
    .unwrap();
    assert_eq!(n, 1);
    assert_eq!(s["required"], json!(["exclude"]));
}

#[test]
fn tree_entries_get_their_path() {
    let mut d = doc_with(
        "/api/models/{namespace}/{repo}/tree/{rev}/{path}",
        "get",
        json!({"responses": ok_response(json!({"type": "array", "items": {"type": "object",
            "properties": {"oid": {"type": "string"}}, "required": ["oid"]}}))}),
    );
    assert_eq!(normalise::tree_entries_have_a_path(&mut d).unwrap(), 1);
    let items = &d["paths"]["/api/models/{namespace}/{repo}/tree/{rev}/{path}"]["get"]["responses"]
        ["200"]["content"]["application/json"]["schema"]["items"];
    assert_eq!(items["properties"]["path"]["type"], "string");
    assert_eq!(items["required"], json!(["oid", "path"]));
    assert_eq!(normalise::tree_entries_have_a_path(&mut d).unwrap(), 0);
}

#[test]
fn response_objects_keep_unknown_fields_but_requests_do_not() {
    let mut d = doc_with(
        "/api/x",
        "post",
        json!({"requestBody": {"content": {"application/json": {"schema":
                {"type": "object", "properties": {"a": {"type": "string"}}}}}},
               "responses": ok_response(json!({"type": "object", "properties": {"a": {"type": "string"}}}))}),
    );
    assert_eq!(normalise::keep_unknown_response_fields(&mut d).unwrap(), 1);
    let op = &d["paths"]["/api/x"]["post"];
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"]["additionalProperties"],
        json!({})
    );
    assert!(
        op["requestBody"]["content"]["application/json"]["schema"]
            .get("additionalProperties")
            .is_none()
    );
}

/// A document with the three operations whose answers the Hub has been seen to send without a
/// field the document requires.
fn doc_with_omitted_fields() -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/api/models/{namespace}/{repo}/preupload/{rev}": {"post": {"responses": ok_response(json!({
            "type": "object",
            "properties": {"files": {"type": "array", "items": {"type": "object",
                "properties": {"path": {"type": "string"}}, "required": ["path"]}},
                "commitOid": {"type": "string"}},
            "required": ["files", "commitOid"]}))}},
        "/api/spaces/{namespace}/{repo}/preupload/{rev}": {"post": {"responses": ok_response(json!({
            "type": "object",
            "properties": {"files": {"type": "array"}, "commitOid": {"type": "string"}},
            "required": ["files", "commitOid"]}))}},
        "/api/spaces/{namespace}/{repo}/variables": {"get": {"responses": ok_response(json!({
            "type": "object",
            "additionalProperties": {"type": "object",
                "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
                "required": ["key", "value"]}}))}},
        "/api/repos/create": {"post": {"responses": ok_response(json!({
            "type": "object",
            "properties": {"url": {"type": "string"}, "name": {"type": "string"}, "id": {"type": "string"}},
            "required": ["url", "name", "id"]}))}}
    }})
}

#[test]
fn fields_the_hub_omits_become_optional_and_no_others() {
    let mut d = doc_with_omitted_fields();
    assert_eq!(normalise::optional_fields_the_hub_omits(&mut d).unwrap(), 4);
    let schema = |path: &str, method: &str| {
        d["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone()
    };
    let preupload = schema("/api/models/{namespace}/{repo}/preupload/{rev}", "post");
    assert_eq!(preupload["required"], json!(["files"]));
    // Identity fields stay required.
    assert_eq!(
        preupload["properties"]["files"]["items"]["required"],
        json!(["path"])
    );
    assert_eq!(
        schema("/api/spaces/{namespace}/{repo}/preupload/{rev}", "post")["required"],
        json!(["files"])
    );
    assert_eq!(
        schema("/api/spaces/{namespace}/{repo}/variables", "get")["additionalProperties"]["required"],
        json!(["value"])
    );
    assert_eq!(
        schema("/api/repos/create", "post")["required"],
        json!(["url", "name"])
    );
}

#[test]
fn a_row_that_no_longer_applies_fails_naming_it() {
    // Upstream made the field optional: the row must go.
    let mut d = doc_with_omitted_fields();
    d["paths"]["/api/repos/create"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
        ["required"] = json!(["url", "name"]);
    let err = normalise::optional_fields_the_hub_omits(&mut d).unwrap_err();
    match err {
        CodegenError::Unsupported { pointer, message } => {
            assert!(pointer.contains("~1api~1repos~1create"), "{pointer}");
            assert!(message.contains("`id`"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // The operation is gone.
    let mut d = doc_with_omitted_fields();
    d["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/api/spaces/{namespace}/{repo}/variables");
    let err = normalise::optional_fields_the_hub_omits(&mut d).unwrap_err();
    assert!(err.to_string().contains("`key`"), "{err}");
}

#[test]
fn every_omitted_field_row_records_an_answer_without_it() {
    for row in normalise::OMITTED_ANSWER_FIELDS {
        let seen: Value = serde_json::from_str(row.seen)
            .unwrap_or_else(|e| panic!("{}: `seen` is not JSON: {e}", row.field));
        let objects: Vec<&Value> = match row.object {
            "" => vec![&seen],
            "/additionalProperties" => seen.as_object().unwrap().values().collect(),
            other => panic!("no test for object pointer {other}"),
        };
        assert!(!objects.is_empty());
        for o in objects {
            assert!(o.is_object() && o.get(row.field).is_none(), "{}", row.field);
        }
        assert!(!row.why.is_empty());
    }
}
