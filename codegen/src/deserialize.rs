//! Compact `Deserialize` impls for the generated types, in place of serde's derive.
//!
//! serde's derive writes, per struct, a field enum with a visitor for every primitive type, a
//! `visit_seq`, a `visit_map` and (with `#[serde(flatten)]`, which keeps unknown fields in
//! `extra`) a detour through serde's private `Content` buffer; per enum, a field visitor and an
//! enum visitor. For the Hub's few hundred types that is most of the library's compile time and
//! memory, and the `Content` detour costs every decode. The impls generated here do the same
//! job with a few lines per field: the key is matched by one shared function
//! (`crate::de::next_key`), known fields are decoded straight into their type, unknown ones
//! straight into the `extra` map (no buffering), and the decoding machinery is shared through
//! small generic helpers in the library's `de` module.
//!
//! What the derive accepted, these accept: any field order, `null` or a missing key for an
//! `Option` field, `#[serde(default)]` and `default = "…"`, renamed fields and variants,
//! duplicate known fields refused, unknown fields kept (with `extra`), ignored (without it) or
//! refused (`deny_unknown_fields`). Structs are read as maps only (a self-describing format
//! such as JSON; serde's derive would also take a sequence). A type whose serde attributes are
//! anything else keeps the derive.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::{CodegenError, Result};

/// How one field is decoded.
struct Field {
    ident: syn::Ident,
    ty: syn::Type,
    /// The key in JSON.
    name: String,
    missing: Missing,
}

/// What a missing key gives.
enum Missing {
    /// `None` (an `Option` field).
    None,
    /// `Default::default()` (`#[serde(default)]`).
    Default,
    /// A function's value (`#[serde(default = "path")]`).
    Call(syn::Path),
    /// An error naming the field.
    Error,
}

/// What the serde attributes of an item or field say, as far as this module follows them.
#[derive(Default)]
struct Attrs {
    rename: Option<String>,
    default: Option<Option<syn::Path>>,
    flatten: bool,
    untagged: bool,
    deny_unknown_fields: bool,
    /// `deserialize_with = "::std::option::Option::deserialize"`: an `Option` whose key must be
    /// present.
    nullable_required: bool,
}

/// The serde attributes, or `None` when one of them is beyond this module.
fn serde_attrs(attrs: &[syn::Attribute]) -> Option<Attrs> {
    let mut out = Attrs::default();
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let mut ok = true;
        let parsed = a.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "rename" => {
                    let s: syn::LitStr = meta.value()?.parse()?;
                    out.rename = Some(s.value());
                }
                "default" => {
                    if meta.input.peek(syn::Token![=]) {
                        let s: syn::LitStr = meta.value()?.parse()?;
                        out.default = Some(Some(s.parse()?));
                    } else {
                        out.default = Some(None);
                    }
                }
                "skip_serializing_if" => {
                    let _: syn::LitStr = meta.value()?.parse()?;
                }
                "deserialize_with" => {
                    let s: syn::LitStr = meta.value()?.parse()?;
                    if s.value() == "::std::option::Option::deserialize" {
                        out.nullable_required = true;
                    } else {
                        ok = false;
                    }
                }
                "flatten" => out.flatten = true,
                "untagged" => out.untagged = true,
                "deny_unknown_fields" => out.deny_unknown_fields = true,
                _ => {
                    ok = false;
                    // Consume a value, if any, so parsing goes on.
                    if meta.input.peek(syn::Token![=]) {
                        let _: syn::Expr = meta.value()?.parse()?;
                    }
                }
            }
            Ok(())
        });
        if parsed.is_err() || !ok {
            return None;
        }
    }
    Some(out)
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p)
        if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// `DateTime<Utc>` or `Option<DateTime<Utc>>`: decoded through `crate::de::date`, which has a
/// fast path for the Hub's own date shape.
fn is_date(ty: &syn::Type) -> bool {
    fn last(ty: &syn::Type) -> Option<&syn::PathSegment> {
        match ty {
            syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
            _ => None,
        }
    }
    fn only_arg(seg: &syn::PathSegment) -> Option<&syn::Type> {
        match &seg.arguments {
            syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            },
            _ => None,
        }
    }
    let Some(mut seg) = last(ty) else {
        return false;
    };
    if seg.ident == "Option" {
        match only_arg(seg).and_then(last) {
            Some(inner) => seg = inner,
            None => return false,
        }
    }
    seg.ident == "DateTime"
        && only_arg(seg)
            .and_then(last)
            .is_some_and(|z| z.ident == "Utc")
}

fn is_map(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p)
        if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Map" || s.ident == "HashMap"))
}

/// Removes `Deserialize` from the item's derives; false when it has none.
fn take_derive(attrs: &mut [syn::Attribute]) -> Result<bool> {
    for a in attrs.iter_mut() {
        if !a.path().is_ident("derive") {
            continue;
        }
        let paths = a
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .map_err(|e| CodegenError::Generator(format!("a derive list: {e}")))?;
        let before = paths.len();
        let kept: Vec<&syn::Path> = paths
            .iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != "Deserialize"))
            .collect();
        if kept.len() == before {
            continue;
        }
        *a = syn::parse_quote! { #[derive(#(#kept),*)] };
        return Ok(true);
    }
    Ok(false)
}

fn has_derive(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|ps| {
                ps.iter()
                    .any(|p| p.segments.last().is_some_and(|s| s.ident == "Deserialize"))
            })
    })
}

/// How a struct is decoded.
struct StructPlan {
    fields: Vec<Field>,
    /// The flattened map of unknown fields (`extra`) and its type.
    extra: Option<(syn::Ident, syn::Type)>,
    /// Whether an unknown field is an error (`deny_unknown_fields`).
    deny_unknown: bool,
}

/// The plan for a struct, or `None` when it keeps the derive.
fn struct_plan(s: &syn::ItemStruct) -> Option<StructPlan> {
    let container = serde_attrs(&s.attrs)?;
    if container.rename.is_some()
        || container.default.is_some()
        || container.flatten
        || container.untagged
        || !s.generics.params.is_empty()
    {
        return None;
    }
    let syn::Fields::Named(named) = &s.fields else {
        return None;
    };
    let mut fields = Vec::new();
    let mut extra = None;
    for f in &named.named {
        let ident = f.ident.clone()?;
        let a = serde_attrs(&f.attrs)?;
        if a.untagged || a.deny_unknown_fields {
            return None;
        }
        if a.flatten {
            if extra.is_some() || ident != "extra" || !is_map(&f.ty) || a.default.is_some() {
                return None;
            }
            extra = Some((ident, f.ty.clone()));
            continue;
        }
        let name = a
            .rename
            .clone()
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
        let missing = match (a.default, a.nullable_required) {
            (Some(_), true) => return None,
            (Some(None), false) => Missing::Default,
            (Some(Some(path)), false) => Missing::Call(path),
            (None, true) => Missing::Error,
            (None, false) if is_option(&f.ty) => Missing::None,
            (None, false) => Missing::Error,
        };
        if a.nullable_required && !is_option(&f.ty) {
            return None;
        }
        fields.push(Field {
            ident,
            ty: f.ty.clone(),
            name,
            missing,
        });
    }
    if extra.is_some() && container.deny_unknown_fields {
        return None;
    }
    Some(StructPlan {
        fields,
        extra,
        deny_unknown: container.deny_unknown_fields,
    })
}

fn struct_impl(s: &syn::ItemStruct, plan: &StructPlan) -> TokenStream {
    let fields = &plan.fields;
    let extra = plan.extra.as_ref();
    let deny_unknown = plan.deny_unknown;
    let ident = &s.ident;
    let expecting = format!("an object ({ident})");
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let slots: Vec<syn::Ident> = (0..fields.len()).map(|i| format_ident!("f{i}")).collect();
    let decls = fields.iter().zip(&slots).map(|(f, slot)| {
        let ty = &f.ty;
        quote! { let mut #slot: ::std::option::Option<#ty> = ::std::option::Option::None; }
    });
    let last = fields.len().saturating_sub(1);
    let arms = fields.iter().zip(&slots).enumerate().map(|(i, (f, slot))| {
        let pat = if i == last {
            quote! { crate::de::Key::Field(_) }
        } else {
            quote! { crate::de::Key::Field(#i) }
        };
        let decode = if is_date(&f.ty) {
            quote! { crate::de::date }
        } else {
            quote! { crate::de::value }
        };
        quote! { #pat => #decode(&mut map, &mut #slot, FIELDS[#i])?, }
    });
    let other = match (extra, deny_unknown) {
        (Some(_), _) => quote! {
            crate::de::Key::Other(key) => {
                extra.insert(key.into_owned(), ::serde::de::MapAccess::next_value(&mut map)?);
            }
        },
        (None, true) => quote! {
            crate::de::Key::Other(key) => {
                return ::std::result::Result::Err(
                    <A::Error as ::serde::de::Error>::unknown_field(&key, FIELDS),
                );
            }
        },
        (None, false) => quote! {
            crate::de::Key::Other(_) => crate::de::skip(&mut map)?,
        },
    };
    let extra_decl =
        extra.map(|(_, ty)| quote! { let mut extra: #ty = ::std::default::Default::default(); });
    let inits = fields.iter().zip(&slots).enumerate().map(|(i, (f, slot))| {
        let field = &f.ident;
        let value = match &f.missing {
            Missing::None => quote! { ::std::option::Option::flatten(#slot) },
            Missing::Default => quote! { #slot.unwrap_or_default() },
            Missing::Call(path) => quote! { #slot.unwrap_or_else(#path) },
            Missing::Error => quote! { crate::de::required(#slot, FIELDS[#i])? },
        };
        quote! { #field: #value, }
    });
    let extra_init = extra.map(|(e, _)| quote! { #e: extra, });
    let entry = if extra.is_some() {
        quote! { deserializer.deserialize_map(Visitor) }
    } else {
        let name = ident.to_string();
        quote! { deserializer.deserialize_struct(#name, FIELDS, Visitor) }
    };
    let body = if fields.is_empty() {
        quote! {
            while let ::std::option::Option::Some(key) = crate::de::next_key(&mut map, FIELDS)? {
                match key {
                    #other
                    crate::de::Key::Field(_) => crate::de::skip(&mut map)?,
                }
            }
        }
    } else {
        quote! {
            while let ::std::option::Option::Some(key) = crate::de::next_key(&mut map, FIELDS)? {
                match key {
                    #(#arms)*
                    #other
                }
            }
        }
    };
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                const FIELDS: &[&str] = &[#(#names),*];
                struct Visitor;
                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = #ident;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::std::result::Result<#ident, A::Error> {
                        #(#decls)*
                        #extra_decl
                        #body
                        ::std::result::Result::Ok(#ident {
                            #(#inits)*
                            #extra_init
                        })
                    }
                }
                #entry
            }
        }
    }
}

/// How an enum is decoded.
struct EnumPlan {
    /// The unit variants and their names in JSON.
    units: Vec<(syn::Ident, String)>,
    /// The last variant, when it is an untagged `Other(String)` (an open enum).
    other: Option<syn::Ident>,
}

/// The plan for an enum, or `None` when it keeps the derive.
fn enum_plan(e: &syn::ItemEnum) -> Option<EnumPlan> {
    let container = serde_attrs(&e.attrs)?;
    if container.rename.is_some()
        || container.default.is_some()
        || container.untagged
        || container.deny_unknown_fields
        || !e.generics.params.is_empty()
    {
        return None;
    }
    let mut units = Vec::new();
    let mut other = None;
    let count = e.variants.len();
    for (i, v) in e.variants.iter().enumerate() {
        let a = serde_attrs(&v.attrs)?;
        match &v.fields {
            syn::Fields::Unit if !a.untagged && a.default.is_none() && !a.flatten => {
                let name = a.rename.unwrap_or_else(|| v.ident.to_string());
                units.push((v.ident.clone(), name));
            }
            syn::Fields::Unnamed(u)
                if a.untagged
                    && i + 1 == count
                    && u.unnamed.len() == 1
                    && quote!(#u).to_string().replace(' ', "") == "(::std::string::String)" =>
            {
                other = Some(v.ident.clone());
            }
            _ => return None,
        }
    }
    if units.is_empty() {
        return None;
    }
    Some(EnumPlan { units, other })
}

fn enum_impl(e: &syn::ItemEnum, plan: &EnumPlan) -> TokenStream {
    let units = &plan.units;
    let other = plan.other.as_ref();
    let ident = &e.ident;
    let name = ident.to_string();
    let names = units.iter().map(|(_, n)| n);
    let last = units.len() - 1;
    let arms = units.iter().enumerate().map(|(i, (v, _))| {
        if i == last {
            quote! { _ => Self::#v, }
        } else {
            quote! { #i => Self::#v, }
        }
    });
    let body = match other {
        None => quote! {
            ::std::result::Result::Ok(match crate::de::unit_variant(deserializer, #name, VARIANTS)? {
                #(#arms)*
            })
        },
        Some(o) => quote! {
            ::std::result::Result::Ok(match crate::de::open_variant(deserializer, VARIANTS)? {
                ::std::result::Result::Ok(index) => match index {
                    #(#arms)*
                },
                ::std::result::Result::Err(value) => Self::#o(value),
            })
        },
    };
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                const VARIANTS: &[&str] = &[#(#names),*];
                #body
            }
        }
    }
}

/// Replaces serde's derived `Deserialize` by a compact impl on every type of the `types`
/// module this module can follow. Returns `(structs, enums)` changed.
pub fn compact_deserialize(file: &mut syn::File) -> Result<(usize, usize)> {
    let mut impls: Vec<TokenStream> = Vec::new();
    let (mut structs, mut enums) = (0, 0);
    for item in file.items.iter_mut() {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "types" {
            continue;
        }
        let Some((_, items)) = m.content.as_mut() else {
            continue;
        };
        for it in items.iter_mut() {
            match it {
                syn::Item::Struct(s) if has_derive(&s.attrs) => {
                    if let Some(plan) = struct_plan(s) {
                        impls.push(struct_impl(s, &plan));
                        take_derive(&mut s.attrs)?;
                        structs += 1;
                    }
                }
                syn::Item::Enum(e) if has_derive(&e.attrs) => {
                    if let Some(plan) = enum_plan(e) {
                        impls.push(enum_impl(e, &plan));
                        take_derive(&mut e.attrs)?;
                        enums += 1;
                    }
                }
                _ => {}
            }
        }
        let parsed: syn::File = syn::parse2(quote! { #(#impls)* })
            .map_err(|e| CodegenError::Generator(format!("Deserialize impls do not parse: {e}")))?;
        items.extend(parsed.items);
        break;
    }
    Ok((structs, enums))
}
