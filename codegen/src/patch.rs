//! Changes to progenitor's output that the document asks for but progenitor cannot say.
//!
//! Each takes what the normalised document marks and rewrites the generated items it names:
//!
//! - [`open_enums`] / [`patch_open_enums`]: an enum marked `x-hf-open-enum` (the Space stage
//!   and hardware, values the Hub adds to) keeps a value it does not list, as
//!   `Other(String)`, instead of failing the whole answer.
//! - [`patch_sensitive_debug`]: a struct whose property is marked `x-hf-sensitive`
//!   (pre-signed storage URLs and their headers) prints `<redacted>` for it in `Debug`.
//! - [`shape_urls`]: the URL of an operation marked `x-hf-models-unprefixed` leaves `models/`
//!   out, and a trailing `x-hf-wildcard` parameter is sent without its `/` when empty (the
//!   root) and, for a `file`, with its own `/` kept.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
use serde_json::Value;
use syn::punctuated::Punctuated;

use crate::walk::each_schema;
use crate::{CodegenError, Result};

/// The name of the variant that keeps values an open enum does not list.
const OTHER: &str = "Other";

/// Our overlay marks enums whose values the Hub keeps adding to (`x-hf-open-enum`: a Space's
/// stage, its hardware flavor); an answer with a value the document does not list yet must
/// still decode. Such an enum must be a string enum without a value named like the `Other`
/// variant that keeps unknown values; the generator then adds that variant
/// ([`patch_open_enums`]). Counts the marked enums.
pub fn open_enums(doc: &mut Value) -> Result<usize> {
    let mut n = 0;
    each_schema(doc, &mut |s, ptr, _| {
        if s.get("x-hf-open-enum").is_none() {
            return Ok(());
        }
        let values = s.get("enum").and_then(Value::as_array);
        let ok = s.get("type").and_then(Value::as_str) == Some("string")
            && values.is_some_and(|v| !v.is_empty() && v.iter().all(Value::is_string));
        if !ok {
            return Err(CodegenError::at(
                ptr,
                "`x-hf-open-enum` is for string enums",
            ));
        }
        if values
            .into_iter()
            .flatten()
            .any(|v| v.as_str().is_some_and(|v| v.eq_ignore_ascii_case(OTHER)))
        {
            return Err(CodegenError::at(
                ptr,
                "an open enum cannot list `other`: its unknown values are `Other`",
            ));
        }
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// The component names of the normalised document whose schema satisfies `pred`.
fn components_where(doc: &Value, pred: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, s)| pred(s))
        .map(|(k, _)| k.clone())
        .collect()
}

fn types_mod(file: &mut syn::File) -> Option<&mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

fn self_type_name(imp: &syn::ItemImpl) -> Option<String> {
    match &*imp.self_ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn trait_name(imp: &syn::ItemImpl) -> Option<String> {
    imp.trait_
        .as_ref()
        .and_then(|(p, _)| p.segments.last().map(|s| s.ident.to_string()))
}

/// Removes `derive(name)` from an item's attributes.
fn remove_derive(attrs: &mut [syn::Attribute], name: &str) -> Result<()> {
    for a in attrs.iter_mut() {
        if !a.path().is_ident("derive") {
            continue;
        }
        let paths = a
            .parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .map_err(|e| CodegenError::Generator(format!("a derive list: {e}")))?;
        let kept: Vec<&syn::Path> = paths
            .iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != name))
            .collect();
        *a = syn::parse_quote! { #[derive(#(#kept),*)] };
    }
    Ok(())
}

/// The serde name of a variant or field: its `rename`, else its identifier.
fn serde_name(attrs: &[syn::Attribute], ident: &syn::Ident) -> String {
    for a in attrs {
        if !a.path().is_ident("serde") {
            continue;
        }
        let text = a.meta.to_token_stream().to_string();
        if let Some(pos) = text.find("rename = \"") {
            let rest = &text[pos + 10..];
            if let Some(end) = rest.find('"') {
                return rest[..end].to_string();
            }
        }
    }
    ident.to_string().trim_start_matches("r#").to_string()
}

/// Adds `Other(String)` to every open enum of `doc` (see [`open_enums`]): the variant is
/// `#[serde(untagged)]`, so an unknown string decodes into it and it serialises back as the
/// same string; `Copy` goes, and typify's `Display`/`FromStr`/`TryFrom` (which refuse
/// unknown values) make way for `as_str`, `Display`, `FromStr` (infallible) and `From<&str>`.
/// Returns how many enums were opened.
pub fn patch_open_enums(file: &mut syn::File, doc: &Value) -> Result<usize> {
    let open = components_where(doc, |s| s.get("x-hf-open-enum").is_some());
    if open.is_empty() {
        return Ok(0);
    }
    let Some(items) = types_mod(file) else {
        return Ok(0);
    };
    let mut done = 0;
    let mut extra: Vec<TokenStream> = Vec::new();
    for item in items.iter_mut() {
        let syn::Item::Enum(e) = item else { continue };
        let name = e.ident.to_string();
        if !open.contains(&name) {
            continue;
        }
        let mut values = Vec::new();
        for v in &e.variants {
            if !matches!(v.fields, syn::Fields::Unit) {
                return Err(CodegenError::Generator(format!(
                    "open enum {name}: variant {} is not a unit variant",
                    v.ident
                )));
            }
            values.push((v.ident.clone(), serde_name(&v.attrs, &v.ident)));
        }
        remove_derive(&mut e.attrs, "Copy")?;
        let other = format_ident!("{OTHER}");
        e.variants.push(syn::parse_quote! {
            /// A value this version of the crate does not know, kept as the Hub sent it.
            #[serde(untagged)]
            #other(::std::string::String)
        });
        let ident = e.ident.clone();
        let arms = values.iter().map(|(v, s)| quote! { Self::#v => #s });
        let parse = values.iter().map(|(v, s)| quote! { #s => Self::#v });
        extra.push(quote! {
            impl #ident {
                /// The value as the Hub writes it.
                pub fn as_str(&self) -> &str {
                    match self {
                        #(#arms,)*
                        Self::#other(value) => value,
                    }
                }
            }
            impl ::std::fmt::Display for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
            impl ::std::convert::From<&str> for #ident {
                fn from(value: &str) -> Self {
                    match value {
                        #(#parse,)*
                        other => Self::#other(::std::string::ToString::to_string(other)),
                    }
                }
            }
            impl ::std::str::FromStr for #ident {
                type Err = ::std::convert::Infallible;
                fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                    ::std::result::Result::Ok(Self::from(value))
                }
            }
        });
        done += 1;
    }
    items.retain(|item| match item {
        syn::Item::Impl(imp) => {
            let replaced = self_type_name(imp).is_some_and(|n| open.contains(&n))
                && trait_name(imp)
                    .is_some_and(|t| matches!(t.as_str(), "Display" | "FromStr" | "TryFrom"));
            !replaced
        }
        _ => true,
    });
    for t in extra {
        let parsed: syn::File =
            syn::parse2(t).map_err(|e| CodegenError::Generator(format!("open enum impls: {e}")))?;
        items.extend(parsed.items);
    }
    if done != open.len() {
        return Err(CodegenError::Generator(format!(
            "open enums not generated as enums: {} of {:?}",
            open.len() - done,
            open
        )));
    }
    Ok(done)
}

/// Gives every struct with a property marked `x-hf-sensitive` a `Debug` that prints
/// `<redacted>` for it (a pre-signed URL is a credential for as long as it lives). Returns
/// how many structs changed.
pub fn patch_sensitive_debug(file: &mut syn::File, doc: &Value) -> Result<usize> {
    let mut sensitive: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, s) in doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (prop, p) in s
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if p.get("x-hf-sensitive").is_some() {
                sensitive
                    .entry(name.clone())
                    .or_default()
                    .insert(prop.clone());
            }
        }
    }
    if sensitive.is_empty() {
        return Ok(0);
    }
    let Some(items) = types_mod(file) else {
        return Ok(0);
    };
    let mut extra = Vec::new();
    for item in items.iter_mut() {
        let syn::Item::Struct(st) = item else {
            continue;
        };
        let Some(props) = sensitive.get(&st.ident.to_string()) else {
            continue;
        };
        let syn::Fields::Named(fields) = &st.fields else {
            continue;
        };
        let mut lines = Vec::new();
        let mut hidden = 0;
        for f in &fields.named {
            let Some(ident) = &f.ident else { continue };
            let label = ident.to_string();
            if props.contains(&serde_name(&f.attrs, ident)) {
                hidden += 1;
                lines.push(quote! { .field(#label, &"<redacted>") });
            } else {
                lines.push(quote! { .field(#label, &self.#ident) });
            }
        }
        if hidden != props.len() {
            return Err(CodegenError::Generator(format!(
                "{}: sensitive fields {props:?} not all found",
                st.ident
            )));
        }
        remove_derive(&mut st.attrs, "Debug")?;
        let ident = st.ident.clone();
        let name = ident.to_string();
        extra.push(quote! {
            impl ::std::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_struct(#name) #(#lines)* .finish()
                }
            }
        });
    }
    if extra.len() != sensitive.len() {
        return Err(CodegenError::Generator(format!(
            "structs with sensitive fields not generated as structs: {:?}",
            sensitive.keys().collect::<Vec<_>>()
        )));
    }
    let n = extra.len();
    let parsed: syn::File = syn::parse2(quote! { #(#extra)* })
        .map_err(|e| CodegenError::Generator(format!("sensitive Debug impls: {e}")))?;
    items.extend(parsed.items);
    Ok(n)
}

/// How one operation's URL is shaped.
#[derive(Debug, Clone, Default)]
struct UrlShape {
    models_unprefixed: bool,
    /// `Some(true)` for a file path (keeps `/`), `Some(false)` for a folder.
    wildcard: Option<bool>,
}

fn url_shapes(doc: &Value) -> BTreeMap<String, UrlShape> {
    let mut out = BTreeMap::new();
    for (path, _, op) in crate::walk::operations(doc) {
        let Some(id) = op.get("operationId").and_then(Value::as_str) else {
            continue;
        };
        let mut shape = UrlShape {
            models_unprefixed: op.get("x-hf-models-unprefixed").is_some(),
            wildcard: None,
        };
        for p in op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let last = p["name"]
                .as_str()
                .is_some_and(|n| path.ends_with(&format!("/{{{n}}}")));
            if p["in"] == "path"
                && last
                && let Some(w) = p.get("x-hf-wildcard").and_then(Value::as_str)
            {
                shape.wildcard = Some(w == "file");
            }
        }
        if shape.models_unprefixed || shape.wildcard.is_some() {
            out.insert(id.to_string(), shape);
        }
    }
    out
}

/// The arguments of a `format!` call.
struct FormatArgs {
    literal: syn::LitStr,
    args: Vec<syn::Expr>,
}

impl syn::parse::Parse for FormatArgs {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let literal: syn::LitStr = input.parse()?;
        let mut args = Vec::new();
        while !input.is_empty() {
            input.parse::<syn::Token![,]>()?;
            if input.is_empty() {
                break;
            }
            args.push(input.parse()?);
        }
        Ok(FormatArgs { literal, args })
    }
}

/// Replaces `encode_path(x)` by `helper(x)`.
fn wrap_encode(arg: &syn::Expr, helper: TokenStream) -> Result<syn::Expr> {
    let syn::Expr::Call(call) = arg else {
        return Err(CodegenError::Generator(format!(
            "a URL argument is not a call: {}",
            arg.to_token_stream()
        )));
    };
    let inner = &call.args;
    Ok(syn::parse_quote! { #helper(#inner) })
}

/// Rewrites the `let url = format!(…)` of every generated method whose operation is shaped
/// (see the module docs). Returns how many methods changed.
pub fn shape_urls(file: &mut syn::File, doc: &Value) -> Result<usize> {
    let shapes = url_shapes(doc);
    let mut n = 0;
    for item in file.items.iter_mut() {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || self_type_name(imp).as_deref() != Some("Client") {
            continue;
        }
        for it in imp.items.iter_mut() {
            let syn::ImplItem::Fn(f) = it else { continue };
            let name = f.sig.ident.to_string();
            let Some(shape) = shapes.get(&name) else {
                continue;
            };
            let mut found = false;
            for stmt in f.block.stmts.iter_mut() {
                let syn::Stmt::Local(local) = stmt else {
                    continue;
                };
                let is_url = matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "url");
                let Some(init) = local.init.as_mut().filter(|_| is_url) else {
                    continue;
                };
                let syn::Expr::Macro(m) = &*init.expr else {
                    continue;
                };
                if !m.mac.path.is_ident("format") {
                    continue;
                }
                let parsed: FormatArgs = syn::parse2(m.mac.tokens.clone())
                    .map_err(|e| CodegenError::Generator(format!("{name}: the URL: {e}")))?;
                *init.expr = reshape(&name, parsed, shape)?;
                found = true;
            }
            if !found {
                return Err(CodegenError::Generator(format!(
                    "{name}: no `let url = format!(…)` to shape"
                )));
            }
            n += 1;
        }
    }
    Ok(n)
}

fn reshape(name: &str, parsed: FormatArgs, shape: &UrlShape) -> Result<syn::Expr> {
    let text = parsed.literal.value();
    let mut pieces: Vec<String> = text.split("{}").map(String::from).collect();
    let mut args = parsed.args;
    if pieces.len() != args.len() + 1 || args.len() < 2 {
        return Err(CodegenError::Generator(format!(
            "{name}: unexpected URL format {text:?}"
        )));
    }
    if shape.models_unprefixed {
        // `{base}/{repo_type}/{namespace}…`: the type and its `/` become one prefix.
        if pieces[2] != "/" {
            return Err(CodegenError::Generator(format!(
                "{name}: the repository type does not lead the path ({text:?})"
            )));
        }
        pieces[2].clear();
        args[1] = wrap_encode(&args[1], quote! { crate::repo::models_unprefixed })?;
    }
    if let Some(file) = shape.wildcard {
        let last = args.len() - 1;
        if !pieces[last].ends_with('/') || !pieces[last + 1].is_empty() {
            return Err(CodegenError::Generator(format!(
                "{name}: the wildcard does not end the path ({text:?})"
            )));
        }
        pieces[last].pop();
        let helper = if file {
            quote! { crate::repo::file_wildcard }
        } else {
            quote! { crate::repo::folder_wildcard }
        };
        args[last] = wrap_encode(&args[last], helper)?;
    }
    let literal = pieces.join("{}");
    Ok(syn::parse_quote! { format!(#literal, #(#args),*) })
}
