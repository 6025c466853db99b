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
    // A ranged download also answers 206; a HEAD (no content) stays without a body.
    let mut d = doc_with(
        "/{namespace}/{repo}/resolve/{rev}/{path}",
        "get",
        json!({"parameters": [{"name": "Range", "in": "header", "schema": {"type": "string"}}],
               "responses": ok_response(json!({"type": "object"}))}),
    );
    assert_eq!(normalise::byte_stream_responses(&mut d).unwrap(), 2);
    let r = &d["paths"]["/{namespace}/{repo}/resolve/{rev}/{path}"]["get"]["responses"]["206"];
    assert!(r["content"].get("application/octet-stream").is_some());
    let mut d = doc_with(
        "/{namespace}/{repo}/resolve/{rev}/{path}",
        "head",
        json!({"responses": {"200": {"description": "", "headers": {"ETag": {"schema": {"type": "string"}}}}}}),
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
fn commit_declares_its_body_media_type_and_busy_conflict_as_data() {
    let mut d = doc_with(
        "/api/models/{namespace}/{repo}/commit/{rev}",
        "post",
        json!({"operationId": "create_commit", "responses": {}}),
    );
    assert_eq!(normalise::commit_raw_body(&mut d).unwrap(), 1);
    let op = &d["paths"]["/api/models/{namespace}/{repo}/commit/{rev}"]["post"];
    assert_eq!(op["x-hf-body-media-type"], json!("application/x-ndjson"));
    assert_eq!(op["x-hf-conflict-is-commit-in-progress"], json!(true));
    // The operation table carries both to the facade.
    let rows = naming::operation_rows(&d).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].body_media_type.as_deref(),
        Some("application/x-ndjson")
    );
    assert!(rows[0].conflict_is_commit_in_progress);
    // Another POST gets neither.
    let mut d = doc_with(
        "/api/models/{namespace}/{repo}/preupload/{rev}",
        "post",
        json!({"operationId": "preupload", "responses": {}}),
    );
    assert_eq!(normalise::commit_raw_body(&mut d).unwrap(), 0);
    let rows = naming::operation_rows(&d).unwrap();
    assert_eq!(rows[0].body_media_type, None);
    assert!(!rows[0].conflict_is_commit_in_progress);
}

#[test]
fn missing_responses_are_inserted() {
    let mut d = doc_with("/api/x", "get", json!({"summary": "s"}));
    assert_eq!(normalise::insert_empty_responses(&mut d).unwrap(), 1);
    assert_eq!(d["paths"]["/api/x"]["get"]["responses"], json!({}));
    // A mutation without responses answers nothing: one 2XX without content.
    let mut d = doc_with("/api/x/branch/{rev}", "post", json!({"summary": "s"}));
    assert_eq!(normalise::insert_empty_responses(&mut d).unwrap(), 1);
    let r = &d["paths"]["/api/x/branch/{rev}"]["post"]["responses"];
    assert_eq!(r.as_object().unwrap().keys().collect::<Vec<_>>(), ["2XX"]);
    assert!(r["2XX"].get("content").is_none());
}

#[test]
fn integer_meaning_numbers_become_integers() {
    // One check per name of the table: as a property (plain, nullable and in a union with
    // null) and as a query parameter.
    for name in normalise::INTEGER_NAMES {
        let (s, n) = run_on_schema(
            normalise::integer_counts,
            json!({"type": "object", "properties": {
                *name: {"type": "number"},
                "score": {"type": "number"},
                "nested": {"type": "object", "properties": {
                    *name: {"anyOf": [{"type": "number", "format": "double"}, {"type": "string"}]}}}}}),
        )
        .unwrap();
        assert_eq!(n, 2, "{name}");
        assert_eq!(s["properties"][*name], json!({"type": "integer"}), "{name}");
        assert_eq!(
            s["properties"]["score"],
            json!({"type": "number"}),
            "{name}: not listed"
        );
        assert_eq!(
            s["properties"]["nested"]["properties"][*name]["anyOf"][0],
            json!({"type": "integer"}),
            "{name}"
        );
        let mut d = doc_with(
            "/api/x",
            "get",
            json!({"parameters": [{"name": name, "in": "query", "schema": {"type": "number"}}]}),
        );
        assert_eq!(normalise::integer_counts(&mut d).unwrap(), 1, "{name}");
        assert_eq!(
            d["paths"]["/api/x"]["get"]["parameters"][0]["schema"]["type"],
            "integer"
        );
    }
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

fn component_names(d: &Value) -> Vec<String> {
    d["components"]["schemas"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn identical_shapes_are_hoisted_once() {
    let author = json!({"type": "object", "properties": {"name": {"type": "string"}, "avatarUrl": {"type": "string"}}});
    let mut d = json!({"openapi": "3.0.3", "paths": {
        "/api/a": {"get": {"operationId": "get_a", "responses": ok_response(json!({"type": "object", "properties": {"author": author}}))}},
        "/api/b": {"get": {"operationId": "get_b", "responses": ok_response(json!({"type": "object", "properties": {"author": author, "x": {"type": "string"}}}))}},
        "/api/c": {"get": {"operationId": "get_c", "responses": ok_response(json!({"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}, "author": {"description": "doc differs", "type": "object", "properties": {"name": {"type": "string"}, "avatarUrl": {"type": "string"}}}}}}))}}
    }});
    hoist::hoist_shared_schemas(&mut d).unwrap();
    // One shape under one property name in several operations: named by the property.
    assert!(d["components"]["schemas"]["Author"].is_object());
    for p in ["/api/a", "/api/b"] {
        let s = &d["paths"][p]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let root = s["$ref"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let r = &d["components"]["schemas"][&root]["properties"]["author"];
        assert_eq!(r, &json!({"$ref": "#/components/schemas/Author"}));
    }
    // Every other shape is named from its place: operation, role, path; items singular.
    let names = component_names(&d);
    assert_eq!(
        names,
        ["Author", "GetAResponse", "GetBResponse", "GetCItem"],
        "{names:?}"
    );
}

#[test]
fn names_come_from_places_never_from_counters() {
    let op = |body: Value| json!({"operationId": "create_thing", "requestBody": {"content": {"application/json": {"schema": body}}}, "responses": {}});
    let body = json!({"oneOf": [
        {"type": "object", "properties": {"type": {"enum": ["model"]}, "name": {"type": "string"},
            "files": {"type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}}}}}},
        {"type": "object", "properties": {"type": {"enum": ["space"]}, "name": {"type": "string"},
            "sdk": {"enum": ["gradio", "docker"]}}}
    ]});
    let mut d = json!({"openapi": "3.0.3", "paths": {"/api/things": {"post": op(body.clone())}}});
    hoist::hoist_shared_schemas(&mut d).unwrap();
    let names = component_names(&d);
    for n in [
        "CreateThingBody",
        "CreateThingModel",
        "CreateThingSpace",
        "CreateThingModelFile",
        "CreateThingSpaceSdk",
    ] {
        assert!(names.contains(&n.to_string()), "{n} not in {names:?}");
    }
    assert!(
        names.iter().all(|n| hoist::bad_name(n).is_none()),
        "{names:?}"
    );
    // Another operation with shapes of its own renames nothing here.
    let mut d2 = json!({"openapi": "3.0.3", "paths": {
        "/api/things": {"post": op(body)},
        "/api/other": {"get": {"operationId": "get_other", "responses": ok_response(json!({"type": "object", "properties": {
            "files": {"type": "array", "items": {"type": "object", "properties": {"size": {"type": "integer"}}}},
            "sdk": {"enum": ["static"]}}}))}}
    }});
    hoist::hoist_shared_schemas(&mut d2).unwrap();
    let names2 = component_names(&d2);
    assert!(
        names.iter().all(|n| names2.contains(n)),
        "{names:?} vs {names2:?}"
    );
}

#[test]
fn names_a_user_would_not_adopt_fail_the_build() {
    assert_eq!(hoist::bad_name("Type25"), Some("numbered"));
    assert_eq!(
        hoist::bad_name("CreateRepoBodyVariant0Files"),
        Some("a Variant/Subtype name")
    );
    assert_eq!(
        hoist::bad_name(&"A".repeat(60)),
        Some("60 characters or more")
    );
    assert_eq!(hoist::bad_name("FileSha256"), None);
    assert_eq!(hoist::bad_name("TreeEntry"), None);
    // A place whose derived name is too long fails, naming the JSON pointer.
    let long = "x".repeat(30);
    let mut d = json!({"openapi": "3.0.3", "paths": {"/api/x": {"get": {
        "operationId": "get_a_very_long_operation_name_for_the_test",
        "responses": ok_response(json!({"type": "object", "properties": {
            long.clone(): {"type": "object", "properties": {"y": {"type": "string"}}}}}))}}}});
    let err = hoist::hoist_shared_schemas(&mut d).unwrap_err().to_string();
    assert!(err.contains("60 characters or more"), "{err}");
    assert!(err.contains(&format!("/properties/{long}")), "{err}");
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
    let out = hf_hub_api_codegen::build_with_exercise_from_files(doc, Some(overlay)).unwrap();
    assert!(out.code.starts_with("// @generated"));
    assert!(
        out.exercise
            .as_deref()
            .is_some_and(|e| e.contains("exercise_operation"))
    );
    assert!(out.operations.len() >= 314);
    // Every operation of the inventory has a generated method name.
    assert!(out.operations.iter().all(|o| !o.name.is_empty()));
    // Deterministic: the same input gives the same bytes.
    let again = hf_hub_api_codegen::build_with_exercise_from_files(doc, Some(overlay)).unwrap();
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
fn asking_posts_are_marked_safe_to_repeat() {
    let mut d = doc_with(
        "/api/models/{namespace}/{repo}/paths-info/{rev}",
        "post",
        json!({"responses": {}}),
    );
    d["paths"]["/api/models/{namespace}/{repo}/commit/{rev}"] = json!({"post": {"responses": {}}});
    assert_eq!(normalise::safe_to_repeat_posts(&mut d).unwrap(), 1);
    let paths = &d["paths"];
    assert_eq!(
        paths["/api/models/{namespace}/{repo}/paths-info/{rev}"]["post"]["x-hf-safe-to-repeat"],
        true
    );
    // The commit is never repeated.
    assert!(
        paths["/api/models/{namespace}/{repo}/commit/{rev}"]["post"]
            .get("x-hf-safe-to-repeat")
            .is_none()
    );
    assert_eq!(normalise::safe_to_repeat_posts(&mut d).unwrap(), 0);
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

#[test]
fn common_fields_are_distributed_over_a_union_of_kinds() {
    let (s, n) = run_on_schema(
        normalise::distribute_all_of_over_unions,
        json!({"allOf": [
            {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
            {"anyOf": [
                {"type": "object", "properties": {"type": {"enum": ["model"]}}},
                {"type": "object", "properties": {"type": {"enum": ["space"]}, "sdk": {"type": "string"}}, "required": ["type", "sdk"]}
            ]}
        ]}),
    )
    .unwrap();
    assert_eq!(n, 1);
    let members = s["oneOf"].as_array().expect("discriminated: one of");
    assert_eq!(members.len(), 2);
    for m in members {
        assert!(m["properties"]["name"].is_object(), "{m}");
        let required: Vec<&str> = m["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            required.contains(&"name") && required.contains(&"type"),
            "{m}"
        );
    }
    assert_eq!(members[1]["properties"]["sdk"], json!({"type": "string"}));
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
    assert_eq!(
        normalise::optional_fields_the_hub_omits(&mut d).unwrap(),
        3,
        "rows applied"
    );
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
    // The operation is gone: one row fewer applies.
    let mut d = doc_with_omitted_fields();
    d["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/api/spaces/{namespace}/{repo}/variables");
    let n = normalise::optional_fields_the_hub_omits(&mut d).unwrap();
    assert_eq!(n, normalise::OMITTED_ANSWER_FIELDS.len() - 1);
}

#[test]
fn the_vendored_document_applies_every_omitted_field_row() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = hf_hub_api_codegen::build_from_files(
        &root.join("spec/hub-openapi.json"),
        Some(&root.join("spec/overlay.json")),
    )
    .unwrap();
    let applied = out
        .report
        .steps
        .iter()
        .find(|(name, _)| *name == "optional_fields_the_hub_omits")
        .map(|(_, n)| *n);
    assert_eq!(applied, Some(normalise::OMITTED_ANSWER_FIELDS.len()));
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

#[test]
fn components_no_operation_reaches_are_dropped() {
    let mut d = json!({"openapi": "3.0.3", "paths": {"/api/a": {"get": {"operationId": "get_a",
        "responses": ok_response(json!({"$ref": "#/components/schemas/Used"}))}}},
        "components": {"schemas": {
            "Used": {"type": "object", "properties": {"inner": {"$ref": "#/components/schemas/Inner"}}},
            "Inner": {"type": "object", "properties": {"x": {"type": "string"}}},
            "Job": {"type": "object", "properties": {"id": {"type": "string"}}}}}});
    assert_eq!(normalise::drop_unreferenced_components(&mut d).unwrap(), 1);
    let names = component_names(&d);
    assert_eq!(names, ["Used", "Inner"]);
}
