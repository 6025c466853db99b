//! The compact `Deserialize` impls: what each kind of field is decoded through.

use hf_hub_api_codegen::deserialize::compact_deserialize;

fn generate(types: &str) -> String {
    let mut file: syn::File = syn::parse_str(&format!("pub mod types {{ {types} }}")).unwrap();
    compact_deserialize(&mut file).unwrap();
    prettyplease::unparse(&file)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn utc_dates_go_through_the_fast_date_decoder_and_the_rest_through_value() {
    let out = generate(
        r#"
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
        pub struct Repo {
            #[serde(rename = "createdAt", skip_serializing_if = "::std::option::Option::is_none")]
            pub created_at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,
            #[serde(rename = "lastModified")]
            pub last_modified: ::chrono::DateTime<::chrono::offset::Utc>,
            pub local: ::std::option::Option<::chrono::DateTime<::chrono::offset::Local>>,
            pub id: ::std::string::String,
        }
        "#,
    );
    assert!(
        out.contains("crate::de::date(&mut map, &mut f0, FIELDS[0usize])"),
        "{out}"
    );
    assert!(
        out.contains("crate::de::date(&mut map, &mut f1, FIELDS[1usize])"),
        "{out}"
    );
    assert!(
        out.contains("crate::de::value(&mut map, &mut f2, FIELDS[2usize])"),
        "{out}"
    );
    assert!(
        out.contains("crate::de::value(&mut map, &mut f3, FIELDS[3usize])"),
        "{out}"
    );
    // The derive is gone: the compact impl replaces it.
    assert!(
        out.contains("#[derive(::serde::Serialize, Clone, Debug)]"),
        "{out}"
    );
}
