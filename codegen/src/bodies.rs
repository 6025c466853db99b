//! Constructors and setters for the types a caller builds: request bodies and everything
//! inside them.
//!
//! typify makes plain structs with public fields; a body with 20 optional fields and no
//! `Default` is unpleasant to write and breaks every struct literal when upstream adds a
//! field. Each request struct gets `new(required fields…)` — a field fixed to one value
//! (`"type": "model"`) is filled in, not asked for — and one `#[must_use]` setter per
//! optional field, so `CreateRepoModel::new("my-model").private(true)` reads like the call it
//! is and keeps compiling when upstream adds optional fields.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::Result;

/// Component names reachable from any request body, through other components.
fn request_types(doc: &Value) -> BTreeSet<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(name) = o
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    out.push(name.to_string());
                }
                o.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut todo = Vec::new();
    for (_, _, op) in crate::walk::operations(doc) {
        if let Some(rb) = op.get("requestBody") {
            refs(rb, &mut todo);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone())
            && let Some(s) = doc.pointer(&format!("/components/schemas/{name}"))
        {
            refs(s, &mut todo);
        }
    }
    seen
}

fn serde_attr_text(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .map(|a| quote!(#a).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `default = "path"` of a field's serde attribute.
fn default_fn(attrs: &[syn::Attribute]) -> Option<syn::Path> {
    let text = serde_attr_text(attrs);
    let start = text.find("default = \"")? + "default = \"".len();
    let end = text[start..].find('"')? + start;
    syn::parse_str(&text[start..end]).ok()
}

fn has_plain_default(attrs: &[syn::Attribute]) -> bool {
    let text = serde_attr_text(attrs).replace(' ', "");
    text.contains("(default") || text.contains(",default") && !text.contains("default=")
}

fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    crate::requests::first_generic(ty)
}

fn is_string(ty: &syn::Type) -> bool {
    let text = quote!(#ty).to_string().replace(' ', "");
    text == "::std::string::String" || text == "String"
}

/// The setter's parameter and how it becomes the field's value.
fn setter_input(ty: &syn::Type) -> (TokenStream, TokenStream) {
    if is_string(ty) {
        (
            quote! { impl ::std::convert::Into<::std::string::String> },
            quote! { value.into() },
        )
    } else {
        (quote! { #ty }, quote! { value })
    }
}

/// `impl` blocks with `new` and setters for every request struct of the `types` module,
/// appended to that module.
pub(crate) fn add_body_builders(file: &mut syn::File, doc: &Value) -> Result<usize> {
    let wanted = request_types(doc);
    let Some(types) = file.items.iter_mut().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        return Ok(0);
    };
    // Enums with exactly one unit variant: a field of such a type has one possible value.
    let mut single: BTreeMap<String, syn::Ident> = BTreeMap::new();
    for item in types.iter() {
        if let syn::Item::Enum(e) = item
            && e.variants.len() == 1
            && matches!(e.variants[0].fields, syn::Fields::Unit)
        {
            single.insert(e.ident.to_string(), e.variants[0].ident.clone());
        }
    }
    let mut impls = Vec::new();
    for item in types.iter() {
        let syn::Item::Struct(s) = item else { continue };
        let name = s.ident.to_string();
        if !wanted.contains(&name) {
            continue;
        }
        let syn::Fields::Named(fields) = &s.fields else {
            continue;
        };
        let mut params = Vec::new();
        let mut inits = Vec::new();
        let mut setters = Vec::new();
        let mut required_names = Vec::new();
        for f in &fields.named {
            let Some(ident) = &f.ident else { continue };
            let ty = &f.ty;
            let ty_name = match ty {
                syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            };
            if let Some(inner) = option_inner(ty) {
                inits.push(quote! { #ident: ::std::option::Option::None });
                let (input, value) = setter_input(inner);
                let doc = format!("Sets `{ident}`.");
                setters.push(quote! {
                    #[doc = #doc]
                    #[must_use]
                    pub fn #ident(mut self, value: #input) -> Self {
                        self.#ident = ::std::option::Option::Some(#value);
                        self
                    }
                });
                continue;
            }
            if let Some(variant) = ty_name.as_ref().and_then(|n| single.get(n)) {
                // One possible value (a discriminator): filled in.
                let ty_ident = format_ident!("{}", ty_name.as_deref().unwrap_or_default());
                inits.push(quote! { #ident: #ty_ident::#variant });
                continue;
            }
            if serde_attr_text(&f.attrs).contains("flatten") {
                // The map of fields the schema does not declare: empty.
                inits.push(quote! { #ident: ::std::default::Default::default() });
                continue;
            }
            let default = default_fn(&f.attrs).map(|p| quote! { #p() }).or_else(|| {
                has_plain_default(&f.attrs).then(|| quote! { ::std::default::Default::default() })
            });
            if let Some(default) = default {
                inits.push(quote! { #ident: #default });
                let (input, value) = setter_input(ty);
                let doc = format!("Sets `{ident}`.");
                setters.push(quote! {
                    #[doc = #doc]
                    #[must_use]
                    pub fn #ident(mut self, value: #input) -> Self {
                        self.#ident = #value;
                        self
                    }
                });
                continue;
            }
            let (input, _) = setter_input(ty);
            params.push(quote! { #ident: #input });
            if is_string(ty) {
                inits.push(quote! { #ident: #ident.into() });
            } else {
                inits.push(quote! { #ident });
            }
            required_names.push(format!("`{ident}`"));
        }
        if fields
            .named
            .iter()
            .any(|f| f.ident.as_ref().is_some_and(|i| i == "new"))
        {
            continue;
        }
        let ident = &s.ident;
        let new_doc = if required_names.is_empty() {
            format!("A `{name}` with nothing set; set fields with the methods below.")
        } else {
            format!(
                "A `{name}` with its required fields ({}); set the others with the methods below.",
                required_names.join(", ")
            )
        };
        impls.push(quote! {
            impl #ident {
                #[doc = #new_doc]
                pub fn new(#(#params),*) -> Self {
                    Self { #(#inits,)* }
                }
                #(#setters)*
            }
        });
    }
    let n = impls.len();
    let extra: syn::File = syn::parse2(quote! { #(#impls)* })
        .map_err(|e| crate::CodegenError::Generator(format!("body builders do not parse: {e}")))?;
    types.extend(extra.items);
    Ok(n)
}
