//! Answers whose meaning is in their headers: a generated struct per declared header set.
//!
//! An operation's success answer may declare `headers` (standard OpenAPI). progenitor reads
//! bodies only; for such an operation the generator makes a struct with one typed field per
//! header (`String`, or `u64` for an `integer` header; `Option` unless the header is
//! `required`), plus the answer's status, and the request builder decodes it:
//!
//! - an answer without a body (the file-metadata `HEAD`s) *is* that struct: `.send()` returns it;
//! - an answer with a body keeps `.send()` for the body and adds `.send_with_headers()`,
//!   returning the body and the struct (the xet token routes, whose token is in both).
//!
//! The struct is named by the answer's `x-hf-name` (our overlay), else after the body's type
//! (`XetTokenHeaders`), else after the operation. A header whose name says it is a credential
//! (`…Token`, `Authorization`) is printed as `<redacted>` by `Debug`. `Link` is left to the
//! paginator on paginated answers, which get no struct.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::{CodegenError, Result};

/// How a header's value is decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HeaderKind {
    /// The value as text.
    Text,
    /// A non-negative integer (sizes, counts, epochs).
    Integer,
}

/// One declared header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeaderField {
    /// As the document writes it (`X-Repo-Commit`).
    pub api: String,
    /// The Rust field (`x_repo_commit`).
    pub ident: String,
    pub kind: HeaderKind,
    pub required: bool,
    pub doc: Option<String>,
}

impl HeaderField {
    /// Whether the header carries a credential (kept out of `Debug`).
    fn sensitive(&self) -> bool {
        let lower = self.api.to_ascii_lowercase();
        lower.ends_with("token") || lower.contains("authorization")
    }
}

/// The headers struct of one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeaderSet {
    /// The struct's name.
    pub name: String,
    /// What the answer is (its description).
    pub doc: Option<String>,
    pub fields: Vec<HeaderField>,
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// The headers an operation's first success answer declares, when it declares any (and is
/// not paginated). `body_type` names the body's type, when it has one.
pub(crate) fn declared(
    op: &Value,
    op_name: &str,
    body_type: Option<&str>,
    paginated: bool,
) -> Result<Option<HeaderSet>> {
    if paginated {
        return Ok(None);
    }
    let Some((_, response)) = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .find(|(code, _)| code.starts_with('2'))
    else {
        return Ok(None);
    };
    let Some(headers) = response.get("headers").and_then(Value::as_object) else {
        return Ok(None);
    };
    if headers.is_empty() {
        return Ok(None);
    }
    let mut fields = Vec::new();
    for (api, h) in headers {
        let ident = snake(api);
        if ident.is_empty() || ident == "status" || ident.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(CodegenError::Generator(format!(
                "{op_name}: header `{api}` cannot be a field"
            )));
        }
        let kind = match h.pointer("/schema/type").and_then(Value::as_str) {
            Some("integer") => HeaderKind::Integer,
            _ => HeaderKind::Text,
        };
        let doc = h
            .get("description")
            .or_else(|| h.pointer("/schema/description"))
            .and_then(Value::as_str)
            .map(String::from);
        fields.push(HeaderField {
            api: api.clone(),
            ident,
            kind,
            required: h.get("required").and_then(Value::as_bool) == Some(true),
            doc,
        });
    }
    let name = match response.get("x-hf-name").and_then(Value::as_str) {
        Some(n) => n.to_string(),
        None => match body_type {
            Some(t) => format!("{t}Headers"),
            None => format!("{}Headers", crate::hoist::pascal(op_name)),
        },
    };
    if let Some(why) = crate::hoist::bad_name(&name) {
        return Err(CodegenError::Generator(format!(
            "{op_name}: header struct `{name}` is {why}"
        )));
    }
    Ok(Some(HeaderSet {
        name,
        doc: response
            .get("description")
            .and_then(Value::as_str)
            .map(String::from),
        fields,
    }))
}

/// One struct per distinct name; two operations naming one struct must declare the same
/// headers.
pub(crate) fn unique(sets: &[(String, HeaderSet)]) -> Result<Vec<&HeaderSet>> {
    let mut by_name: BTreeMap<&str, (&str, &HeaderSet)> = BTreeMap::new();
    for (op, set) in sets {
        match by_name.get(set.name.as_str()) {
            Some((other, seen)) if seen.fields != set.fields => {
                return Err(CodegenError::Generator(format!(
                    "`{}` is declared with different headers by {other} and {op}",
                    set.name
                )));
            }
            Some(_) => {}
            None => {
                by_name.insert(&set.name, (op, set));
            }
        }
    }
    Ok(by_name.into_values().map(|(_, s)| s).collect())
}

/// The struct, its status accessor, its `Debug` and its decoding.
pub(crate) fn struct_tokens(set: &HeaderSet) -> TokenStream {
    let name = format_ident!("{}", set.name);
    let name_str = &set.name;
    let doc = match &set.doc {
        Some(d) if !d.trim().is_empty() => {
            format!("{}\n\nBuilt from the answer's headers.", d.trim())
        }
        _ => "An answer's headers.".to_string(),
    };
    let mut decls = Vec::new();
    let mut inits = Vec::new();
    let mut debug = Vec::new();
    for f in &set.fields {
        let ident = format_ident!("{}", f.ident);
        let api = &f.api;
        let inner = match f.kind {
            HeaderKind::Text => quote! { ::std::string::String },
            HeaderKind::Integer => quote! { u64 },
        };
        let ty = if f.required {
            inner
        } else {
            quote! { ::std::option::Option<#inner> }
        };
        let fdoc = match &f.doc {
            Some(d) if !d.trim().is_empty() => format!("`{api}`: {}", d.trim()),
            _ => format!("The `{api}` header."),
        };
        decls.push(quote! { #[doc = #fdoc] pub #ident: #ty });
        let read = match f.kind {
            HeaderKind::Text => quote! { crate::headers::text(headers, #api)? },
            HeaderKind::Integer => quote! { crate::headers::integer(headers, #api)? },
        };
        let value = if f.required {
            quote! { crate::headers::required(#api, #read)? }
        } else {
            read
        };
        inits.push(quote! { #ident: #value });
        let field = f.ident.as_str();
        debug.push(if f.sensitive() && f.required {
            quote! { .field(#field, &"<redacted>") }
        } else if f.sensitive() {
            quote! { .field(#field, &self.#ident.as_ref().map(|_| "<redacted>")) }
        } else {
            quote! { .field(#field, &self.#ident) }
        });
    }
    quote! {
        #[doc = #doc]
        #[derive(Clone, PartialEq, Eq)]
        pub struct #name {
            #(#decls,)*
            pub(crate) status: u16,
        }

        impl #name {
            /// The answer's HTTP status (a redirect is an answer here, not an error).
            pub fn status(&self) -> u16 {
                self.status
            }
        }

        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#name_str)
                    #(#debug)*
                    .field("status", &self.status)
                    .finish()
            }
        }

        impl crate::headers::FromHeaders for #name {
            fn from_headers(
                status: u16,
                headers: &::reqwest::header::HeaderMap,
            ) -> crate::Result<Self> {
                ::std::result::Result::Ok(Self {
                    #(#inits,)*
                    status,
                })
            }
        }
    }
}
