//! The calling style of the generated API: one `Hub` method per operation that takes the
//! operation's required inputs positionally and returns a request builder with one named
//! setter per optional parameter.
//!
//! progenitor generates positional methods on its private `Client`
//! (`model_info(ns, repo, None, None, None)`); this module reads their signatures and
//! generates, for each:
//!
//! - `Hub::model_info(&self, repo: &RepoId) -> requests::ModelInfoRequest`, where a repository
//!   (`{repoType}/{namespace}/{repo}` in the path) is one `&Repo`, or one `&RepoId` when the
//!   path fixes the type; other required inputs stay positional, in document order;
//! - `ModelInfoRequest`, owning its inputs (so its future is `'static` and `Send`), with a
//!   `#[must_use]` setter per optional parameter, `send()`, and `IntoFuture` so it can be
//!   awaited directly; Link-paginated operations have `pages()`, `items()`, `prefetch()` and
//!   `into_paginator()` instead.
//!
//! A new optional parameter upstream is a new setter: no caller breaks.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::{CodegenError, Result};

mod emit;

pub(crate) use emit::facade;

/// How one argument of a progenitor method is taken by the facade.
#[derive(Clone)]
pub(crate) enum Input {
    /// `repo_type`, `namespace`, `repo`: one `&Repo`; `segment` is the path enum's type.
    Repo { segment: syn::Type },
    /// `namespace`, `repo` with the type fixed by the path: one `&RepoId`.
    RepoId,
    /// A required argument.
    Required {
        ident: syn::Ident,
        kind: Kind,
        /// The parameter's name in the API (`None` for the body).
        api_name: Option<String>,
    },
    /// An optional argument: a setter.
    Optional {
        ident: syn::Ident,
        kind: Kind,
        api_name: String,
        doc: Option<String>,
    },
}

/// The Rust shape of an argument.
#[derive(Clone)]
pub(crate) enum Kind {
    /// `&str`: owned as `String`.
    Str,
    /// `&Vec<String>`: owned as `Vec<String>`, set from any iterator of strings.
    Strings,
    /// `&T`: owned as `T`.
    Ref(syn::Type),
    /// `NonZeroU64`: set as `u64`, checked when sent.
    NonZero,
    /// `T` by value.
    Value(syn::Type),
    /// `B: Into<reqwest::Body>`: a raw body.
    Body,
}

impl Kind {
    fn of(ty: &syn::Type) -> Kind {
        let text = quote!(#ty).to_string().replace(' ', "");
        match text.as_str() {
            "&'astr" => Kind::Str,
            "&'a::std::vec::Vec<::std::string::String>" => Kind::Strings,
            "::std::num::NonZeroU64" => Kind::NonZero,
            "B" => Kind::Body,
            _ => match ty {
                syn::Type::Reference(r) => Kind::Ref((*r.elem).clone()),
                other => Kind::Value(other.clone()),
            },
        }
    }

    /// The owned field type.
    fn owned(&self) -> TokenStream {
        match self {
            Kind::Str => quote! { ::std::string::String },
            Kind::Strings => quote! { ::std::vec::Vec<::std::string::String> },
            Kind::Ref(t) | Kind::Value(t) => quote! { #t },
            Kind::NonZero => quote! { u64 },
            Kind::Body => quote! { ::reqwest::Body },
        }
    }
}

/// One operation's facade method, as planned from progenitor's signature.
pub(crate) struct Plan {
    pub name: syn::Ident,
    pub inputs: Vec<Input>,
    pub docs: Vec<syn::Attribute>,
    pub answer: Answer,
    /// The item type, for Link-paginated operations.
    pub page_item: Option<syn::Type>,
    /// The headers the answer declares (see [`crate::headers`]).
    pub headers: Option<crate::headers::HeaderSet>,
    /// The statuses of a success, from progenitor's answer match (`200`, `200..=299`, …).
    pub status: Vec<(u16, u16)>,
}

/// What an operation answers, from its generated return type.
#[derive(Clone)]
pub(crate) enum Answer {
    Json(Box<syn::Type>),
    Empty,
    Bytes,
    /// A text body (`text/plain`, `text/markdown`), read whole into a `String`.
    Text,
    /// No body: the declared headers are the answer (a struct of `types`).
    Headers(syn::Ident),
}

impl Answer {
    /// The type `send()` returns.
    fn rust_type(&self) -> TokenStream {
        match self {
            Answer::Json(t) => quote! { #t },
            Answer::Empty => quote! { () },
            Answer::Bytes => quote! { crate::ByteStream },
            Answer::Text => quote! { ::std::string::String },
            Answer::Headers(h) => quote! { types::#h },
        }
    }

    /// The facade call that sends the built request and turns the answer into the type.
    fn send_call(&self, name: &str, expect: &TokenStream) -> TokenStream {
        match self {
            Answer::Json(t) => {
                quote! { crate::client::send_json::<#t>(hub, #name, #expect, request) }
            }
            Answer::Empty => quote! { crate::client::send_empty(hub, #name, #expect, request) },
            Answer::Bytes => quote! { crate::client::send_bytes(hub, #name, #expect, request) },
            Answer::Text => quote! { crate::client::send_text(hub, #name, #expect, request) },
            Answer::Headers(h) => {
                quote! { crate::client::send_headers::<types::#h>(hub, #name, #expect, request) }
            }
        }
    }

    /// The facade call that sends the built request and answers the body and its headers.
    fn send_with_headers_call(
        &self,
        name: &str,
        expect: &TokenStream,
        headers: &syn::Ident,
    ) -> Option<TokenStream> {
        Some(match self {
            Answer::Json(t) => quote! {
                crate::client::send_json_with_headers::<#t, types::#headers>(hub, #name, #expect, request)
            },
            Answer::Bytes => quote! {
                crate::client::send_bytes_with_headers::<types::#headers>(hub, #name, #expect, request)
            },
            Answer::Text => quote! {
                crate::client::send_text_with_headers::<types::#headers>(hub, #name, #expect, request)
            },
            Answer::Empty | Answer::Headers(_) => return None,
        })
    }
}

/// Whether a success answer of the operation is text (not JSON, not bytes).
fn answers_text(op: &Value) -> bool {
    op.get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(c, _)| c.starts_with('2'))
        .filter_map(|(_, r)| r.get("content").and_then(Value::as_object))
        .flat_map(|c| c.keys())
        .any(|media| media.starts_with("text/") && media != "text/event-stream")
}

pub(crate) fn answer_of(sig: &syn::Signature) -> Result<Answer> {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return Err(CodegenError::Generator(format!(
            "{} returns nothing",
            sig.ident
        )));
    };
    // Result<ResponseValue<T>, Error<E>>
    let inner = first_generic(ty)
        .and_then(first_generic)
        .ok_or_else(|| CodegenError::Generator(format!("{}: unexpected return type", sig.ident)))?;
    let text = quote!(#inner).to_string().replace(' ', "");
    Ok(match text.as_str() {
        "()" => Answer::Empty,
        "ByteStream" => Answer::Bytes,
        _ => Answer::Json(Box::new(inner.clone())),
    })
}

pub(crate) fn first_generic(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else {
        return None;
    };
    let seg = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

pub(crate) fn vec_item(t: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = t else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Vec" {
        return None;
    }
    first_generic(t)
}

/// Letters and digits, lowercased: how argument names are matched to API names.
pub(crate) fn norm(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The public `async fn`s of progenitor's `impl Client`.
pub(crate) fn client_methods(file: &syn::File) -> Vec<&syn::ImplItemFn> {
    let mut out = Vec::new();
    for item in &file.items {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        if imp.trait_.is_some() || !p.path.is_ident("Client") {
            continue;
        }
        for it in &imp.items {
            if let syn::ImplItem::Fn(f) = it
                && matches!(f.vis, syn::Visibility::Public(_))
                && f.sig.asyncness.is_some()
            {
                out.push(f);
            }
        }
    }
    out
}

/// [`into_request_builder`] on every method of progenitor's `impl Client`, and out with the
/// check that `Client` implements progenitor's hooks (nothing calls them any more).
pub(crate) fn into_request_builders(file: &mut syn::File) -> Result<()> {
    for item in file.items.iter_mut() {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        if imp.trait_.is_some() || !p.path.is_ident("Client") {
            continue;
        }
        for it in imp.items.iter_mut() {
            if let syn::ImplItem::Fn(f) = it
                && matches!(f.vis, syn::Visibility::Public(_))
                && f.sig.asyncness.is_some()
            {
                into_request_builder(f)?;
            }
        }
    }
    // `const _: () = { fn assert_client_hooks() where Client: ClientHooks<…> {} };`
    file.items.retain(|item| {
        !matches!(item, syn::Item::Const(c) if quote!(#c).to_string().contains("assert_client_hooks"))
    });
    Ok(())
}

/// Names the builders use for themselves: a setter may not take them.
const RESERVED: &[&str] = &[
    "send",
    "pages",
    "items",
    "prefetch",
    "into_paginator",
    "into_future",
];

/// Plans the facade method of one progenitor method. `op` is the operation in the
/// normalised document; `paginated` whether it pages with a Link header.
pub(crate) fn plan(f: &syn::ImplItemFn, op: &Value, paginated: bool) -> Result<Plan> {
    let name = f.sig.ident.clone();
    let params: Vec<&Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let param_of = |arg: &str| {
        params
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str).map(norm) == Some(norm(arg)))
            .copied()
    };
    let mut args: Vec<(syn::Ident, syn::Type)> = Vec::new();
    for input in &f.sig.inputs {
        let syn::FnArg::Typed(t) = input else {
            continue;
        };
        let syn::Pat::Ident(id) = &*t.pat else {
            return Err(CodegenError::Generator(format!(
                "{name}: unexpected argument pattern"
            )));
        };
        args.push((id.ident.clone(), (*t.ty).clone()));
    }
    let has = |n: &str| args.iter().any(|(i, _)| i == n);
    let repo_scoped = has("namespace") && has("repo");
    if repo_scoped {
        // The repository's parts are adjacent, in path order: one input stands for them.
        let names: Vec<String> = args.iter().map(|(i, _)| i.to_string()).collect();
        let expected: &[&str] = if has("repo_type") {
            &["repo_type", "namespace", "repo"]
        } else {
            &["namespace", "repo"]
        };
        if !names.windows(expected.len()).any(|w| w == expected) {
            return Err(CodegenError::Generator(format!(
                "{name}: the repository's path parameters are not adjacent ({names:?})"
            )));
        }
    }
    let mut inputs = Vec::new();
    for (ident, ty) in &args {
        let arg = ident.to_string();
        if repo_scoped && arg == "repo_type" {
            inputs.push(Input::Repo {
                segment: ty.clone(),
            });
            continue;
        }
        if repo_scoped && (arg == "namespace" || arg == "repo") {
            if arg == "namespace" && !has("repo_type") {
                inputs.push(Input::RepoId);
            }
            continue;
        }
        let text = quote!(#ty).to_string().replace(' ', "");
        let api_name = param_of(&arg)
            .and_then(|p| p.get("name").and_then(Value::as_str))
            .map(String::from);
        if let Some(inner) = text
            .strip_prefix("Option<")
            .and_then(|t| t.strip_suffix('>'))
        {
            if RESERVED.contains(&arg.as_str()) {
                return Err(CodegenError::Generator(format!(
                    "{name}: optional parameter `{arg}` would shadow the builder's own `{arg}()`"
                )));
            }
            let inner: syn::Type = syn::parse_str(&inner.replace("&'a", "&'a "))
                .map_err(|e| CodegenError::Generator(format!("{name}: {e}")))?;
            let doc = param_of(&arg)
                .and_then(|p| p.get("description").and_then(Value::as_str))
                .map(String::from);
            inputs.push(Input::Optional {
                ident: ident.clone(),
                kind: Kind::of(&inner),
                api_name: api_name.unwrap_or_else(|| arg.clone()),
                doc,
            });
        } else {
            inputs.push(Input::Required {
                ident: ident.clone(),
                kind: Kind::of(ty),
                api_name,
            });
        }
    }
    let mut answer = answer_of(&f.sig)?;
    if matches!(answer, Answer::Bytes) && answers_text(op) {
        answer = Answer::Text;
    }
    let page_item = match (&answer, paginated) {
        (Answer::Json(t), true) => vec_item(t).cloned(),
        _ => None,
    };
    let body_type = match &answer {
        Answer::Json(t) => match &**t {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        _ => None,
    };
    let headers = crate::headers::declared(
        op,
        &name.to_string(),
        body_type.as_deref(),
        page_item.is_some(),
    )?;
    if let (Answer::Empty, Some(h)) = (&answer, &headers) {
        answer = Answer::Headers(format_ident!("{}", h.name));
    }
    let docs = f
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect();
    let status = success_status(f)?;
    Ok(Plan {
        name,
        inputs,
        docs,
        answer,
        page_item,
        headers,
        status,
    })
}

/// The success statuses of a progenitor method: the arms but the last (`_`) of the `match`
/// on the answer's status that ends its body (`200u16 => …`, `200u16..=299u16 => …`).
fn success_status(f: &syn::ImplItemFn) -> Result<Vec<(u16, u16)>> {
    let name = &f.sig.ident;
    let unexpected = || CodegenError::Generator(format!("{name}: no answer `match` to read"));
    let Some(syn::Stmt::Expr(syn::Expr::Match(m), _)) = f.block.stmts.last() else {
        return Err(unexpected());
    };
    let mut out = Vec::new();
    for arm in &m.arms {
        let pat = &arm.pat;
        let text = quote!(#pat).to_string().replace(' ', "");
        if text == "_" {
            continue;
        }
        let number = |s: &str| s.trim_end_matches("u16").parse::<u16>().ok();
        let range = match text.split_once("..=") {
            Some((lo, hi)) => number(lo).zip(number(hi)),
            None => number(&text).map(|n| (n, n)),
        };
        out.push(range.ok_or_else(|| {
            CodegenError::Generator(format!("{name}: unexpected status pattern `{text}`"))
        })?);
    }
    if out.is_empty() {
        return Err(unexpected());
    }
    Ok(out)
}

/// Turns progenitor's async method into a plain function that only builds the request: its
/// statements up to the hooks (`let info = OperationInfo …`), then `Ok(request)`. Sending,
/// checking the status and decoding are the facade's, shared by every operation
/// (`crate::client::send_json` and its siblings), so no operation is a future of its own.
pub(crate) fn into_request_builder(f: &mut syn::ImplItemFn) -> Result<()> {
    let name = f.sig.ident.clone();
    let at = f
        .block
        .stmts
        .iter()
        .position(|s| {
            matches!(s, syn::Stmt::Local(l)
                if matches!(&l.pat, syn::Pat::Ident(p) if p.ident == "info"))
        })
        .ok_or_else(|| CodegenError::Generator(format!("{name}: no `let info = …` to cut at")))?;
    let built = f.block.stmts[..at].iter().any(|s| {
        matches!(s, syn::Stmt::Local(l)
            if matches!(&l.pat, syn::Pat::Ident(p) if p.ident == "request"))
    });
    if !built {
        return Err(CodegenError::Generator(format!(
            "{name}: no `let request = …` before the hooks"
        )));
    }
    f.block.stmts.truncate(at);
    f.block
        .stmts
        .push(syn::parse_quote! { return ::std::result::Result::Ok(request); });
    f.sig.asyncness = None;
    f.sig.output = syn::parse_quote! {
        -> ::std::result::Result<::reqwest::Request, progenitor_client::Error<()>>
    };
    Ok(())
}

/// The operations of a document by operation id: `(path, method, operation)`.
pub(crate) fn operations_by_id(doc: &Value) -> BTreeMap<String, (String, String, Value)> {
    let mut out = BTreeMap::new();
    for (path, method, op) in crate::walk::operations(doc) {
        if let Some(id) = op.get("operationId").and_then(Value::as_str) {
            out.insert(id.to_string(), (path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

/// Whether an operation pages with a `Link` header: a success answer that is a JSON array
/// and declares `Link` (a file's metadata declares a `Link` too, for another purpose).
pub(crate) fn is_link_paginated(op: &Value) -> bool {
    op.get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .any(|(c, r)| {
            c.starts_with('2')
                && r.pointer("/headers/Link").is_some()
                && r.pointer("/content/application~1json/schema/type")
                    .and_then(Value::as_str)
                    == Some("array")
        })
}
