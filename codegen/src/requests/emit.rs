//! Emitting the facade: one `Hub` method and one request builder per planned operation.

use super::*;

/// `Hub` methods and their request builders (`requests` module) for every plan.
pub(crate) fn facade(plans: &[Plan]) -> TokenStream {
    let mut methods = Vec::new();
    let mut builders = Vec::new();
    for p in plans {
        let (m, b) = one(p);
        methods.push(m);
        builders.push(b);
    }
    quote! {
        /// Every operation of the Hub's API, generated from its OpenAPI document.
        impl crate::Hub {
            #(#methods)*
        }

        /// One request builder per operation of [`Hub`](crate::Hub): named setters for the
        /// optional parameters, then `.await` (or `.send()`); paginated operations give
        /// `.items()` and `.pages()`.
        pub mod requests {
            #![allow(unused_imports)]
            use super::types;
            #(#builders)*
        }
    }
}

fn pascal(s: &str) -> String {
    crate::hoist::pascal(s)
}

/// The `Hub` method and the request builder of one operation.
fn one(p: &Plan) -> (TokenStream, TokenStream) {
    let name = &p.name;
    let name_str = name.to_string();
    let builder = format_ident!("{}Request", pascal(&name_str));
    let docs = &p.docs;

    let mut params = Vec::new(); // the Hub method's parameters
    let mut inits = Vec::new(); // field initialisers in the Hub method
    let mut fields = Vec::new(); // the builder's fields
    let mut setters = Vec::new();
    let mut prepare = Vec::new(); // statements in send() before the call
    let mut call_args = Vec::new(); // progenitor's arguments
    for input in &p.inputs {
        match input {
            Input::Repo { segment } => {
                params.push(quote! { repo: &crate::repo::Repo });
                inits.push(quote! { repo: ::std::clone::Clone::clone(repo) });
                fields.push(quote! { pub(crate) repo: crate::repo::Repo });
                prepare.push(quote! {
                    let repo_type: #segment = crate::repo::path_segment(&repo)?;
                });
                call_args.push(quote! { repo_type });
                call_args.push(quote! { repo.id.namespace() });
                call_args.push(quote! { repo.id.name() });
            }
            Input::RepoId => {
                params.push(quote! { repo: &crate::repo::RepoId });
                inits.push(quote! { repo: ::std::clone::Clone::clone(repo) });
                fields.push(quote! { pub(crate) repo: crate::repo::RepoId });
                call_args.push(quote! { repo.namespace() });
                call_args.push(quote! { repo.name() });
            }
            Input::Required { ident, kind, .. } => {
                let owned = kind.owned();
                fields.push(quote! { pub(crate) #ident: #owned });
                match kind {
                    Kind::Str => {
                        params.push(quote! { #ident: &str });
                        inits.push(quote! { #ident: ::std::borrow::ToOwned::to_owned(#ident) });
                        call_args.push(quote! { &#ident });
                    }
                    Kind::Strings => {
                        params.push(quote! {
                            #ident: impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<::std::string::String>>
                        });
                        inits.push(quote! { #ident: #ident.into_iter().map(::std::convert::Into::into).collect() });
                        call_args.push(quote! { &#ident });
                    }
                    Kind::Ref(t) if ident == "body" => {
                        // A body is anything that converts into it: one member of a union
                        // of bodies (`CreateRepoModel` for `CreateRepoBody`) is enough.
                        params.push(quote! { #ident: impl ::std::convert::Into<#t> });
                        inits.push(quote! { #ident: #ident.into() });
                        call_args.push(quote! { &#ident });
                    }
                    Kind::Ref(t) => {
                        params.push(quote! { #ident: #t });
                        inits.push(quote! { #ident });
                        call_args.push(quote! { &#ident });
                    }
                    Kind::NonZero => {
                        params.push(quote! { #ident: u64 });
                        inits.push(quote! { #ident });
                        let what = ident.to_string();
                        prepare.push(quote! {
                            let #ident = ::std::num::NonZeroU64::new(#ident).ok_or_else(|| {
                                crate::Error::invalid(#what, "0", "must be at least 1")
                            })?;
                        });
                        call_args.push(quote! { #ident });
                    }
                    Kind::Value(t) => {
                        params.push(quote! { #ident: #t });
                        inits.push(quote! { #ident });
                        call_args.push(quote! { #ident });
                    }
                    Kind::Body => {
                        params.push(quote! { #ident: impl ::std::convert::Into<::reqwest::Body> });
                        inits.push(quote! { #ident: #ident.into() });
                        call_args.push(quote! { #ident });
                    }
                }
            }
            Input::Optional {
                ident,
                kind,
                api_name,
                doc,
            } => {
                let owned = kind.owned();
                fields.push(quote! { pub(crate) #ident: ::std::option::Option<#owned> });
                inits.push(quote! { #ident: ::std::option::Option::None });
                let doc = match doc {
                    Some(d) if !d.trim().is_empty() => {
                        format!("{}\n\nSent as the `{api_name}` parameter.", d.trim())
                    }
                    _ => format!("Sets the `{api_name}` parameter."),
                };
                let setter = match kind {
                    Kind::Str => quote! {
                        pub fn #ident(mut self, value: impl ::std::convert::Into<::std::string::String>) -> Self {
                            self.#ident = ::std::option::Option::Some(value.into());
                            self
                        }
                    },
                    Kind::Strings => quote! {
                        pub fn #ident(
                            mut self,
                            values: impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<::std::string::String>>,
                        ) -> Self {
                            self.#ident = ::std::option::Option::Some(
                                values.into_iter().map(::std::convert::Into::into).collect(),
                            );
                            self
                        }
                    },
                    Kind::NonZero => quote! {
                        pub fn #ident(mut self, value: u64) -> Self {
                            self.#ident = ::std::option::Option::Some(value);
                            self
                        }
                    },
                    Kind::Ref(t) | Kind::Value(t) => quote! {
                        pub fn #ident(mut self, value: #t) -> Self {
                            self.#ident = ::std::option::Option::Some(value);
                            self
                        }
                    },
                    Kind::Body => quote! {
                        pub fn #ident(mut self, value: impl ::std::convert::Into<::reqwest::Body>) -> Self {
                            self.#ident = ::std::option::Option::Some(value.into());
                            self
                        }
                    },
                };
                setters.push(quote! {
                    #[doc = #doc]
                    #[must_use]
                    #setter
                });
                match kind {
                    Kind::Str => call_args.push(quote! { #ident.as_deref() }),
                    Kind::Strings | Kind::Ref(_) => call_args.push(quote! { #ident.as_ref() }),
                    Kind::NonZero => {
                        let what = api_name.clone();
                        prepare.push(quote! {
                            let #ident = match #ident {
                                ::std::option::Option::Some(0) => {
                                    return ::std::result::Result::Err(
                                        crate::Error::invalid(#what, "0", "must be at least 1"),
                                    );
                                }
                                other => other.and_then(::std::num::NonZeroU64::new),
                            };
                        });
                        call_args.push(quote! { #ident });
                    }
                    Kind::Value(_) | Kind::Body => call_args.push(quote! { #ident }),
                }
            }
        }
    }
    let field_names: Vec<TokenStream> = p
        .inputs
        .iter()
        .map(|i| match i {
            Input::Repo { .. } | Input::RepoId => quote! { repo },
            Input::Required { ident, .. } | Input::Optional { ident, .. } => quote! { #ident },
        })
        .collect();
    let struct_doc = format!(
        "The request of [`Hub::{name_str}`](crate::Hub::{name_str}): set optional parameters, then {}.",
        if p.page_item.is_some() {
            "stream `.items()` or `.pages()`"
        } else {
            "`.await` it (or call `.send()`)"
        }
    );
    let method_note = if p.page_item.is_some() {
        format!(
            "Returns a [`{builder}`](crate::requests::{builder}); nothing is sent until its \
             `items()` or `pages()` stream is polled. Pagination follows the `Link` header."
        )
    } else {
        format!(
            "Returns a [`{builder}`](crate::requests::{builder}): set optional parameters, then \
             `.await` it."
        )
    };
    let hub_method = quote! {
        #(#docs)*
        ///
        #[doc = #method_note]
        pub fn #name(&self #(, #params)*) -> crate::requests::#builder {
            crate::requests::#builder {
                hub: ::std::clone::Clone::clone(self),
                #(#inits,)*
            }
        }
    };
    let destructure = quote! { let Self { hub, #(#field_names,)* } = self; };
    // The request, built now (nothing is sent until the answer is polled); an input the
    // builder refuses is the answer's error.
    let build = quote! {
        #destructure
        let request = (|| -> crate::Result<::reqwest::Request> {
            #(#prepare)*
            hub.raw()
                .#name(#(#call_args),*)
                .map_err(|e| crate::client::request_error(#name_str, e))
        })();
    };
    let ranges = p.status.iter().map(|(lo, hi)| quote! { (#lo, #hi) });
    let expect = quote! { crate::client::Expect::of(&[#(#ranges),*]) };
    let finish = match &p.page_item {
        Some(item) => quote! {
            /// The lazy paginator of this request: nothing is sent until a stream is polled.
            pub fn into_paginator(self) -> crate::pagination::Paginator<#item> {
                #build
                crate::pagination::Paginator::new(hub, #name_str, request)
            }

            /// The items of every page, fetched as the stream is polled.
            pub fn items(self) -> ::std::pin::Pin<::std::boxed::Box<
                dyn ::futures::Stream<Item = crate::Result<#item>> + ::std::marker::Send,
            >> {
                self.into_paginator().items()
            }

            /// The pages, one request each, fetched as the stream is polled.
            pub fn pages(self) -> ::std::pin::Pin<::std::boxed::Box<
                dyn ::futures::Stream<Item = crate::Result<crate::pagination::Page<#item>>> + ::std::marker::Send,
            >> {
                self.into_paginator().pages()
            }

            /// Requests the next page while the current one is consumed (see
            /// [`Paginator::prefetch`](crate::pagination::Paginator::prefetch)).
            pub fn prefetch(self, on: bool) -> crate::pagination::Paginator<#item> {
                self.into_paginator().prefetch(on)
            }
        },
        None => {
            let ret = p.answer.rust_type();
            let send_call = p.answer.send_call(&name_str, &expect);
            let with_headers = match &p.headers {
                Some(h) => {
                    let h = format_ident!("{}", h.name);
                    match p.answer.send_with_headers_call(&name_str, &expect, &h) {
                        Some(call) => quote! {
                            /// Sends the request and decodes the answer and its headers.
                            pub fn send_with_headers(self) -> ::futures::future::BoxFuture<
                                'static,
                                crate::Result<(#ret, types::#h)>,
                            > {
                                #build
                                #call
                            }
                        },
                        None => quote! {},
                    }
                }
                None => quote! {},
            };
            quote! {
                /// Sends the request and decodes the answer (the future sends nothing until
                /// polled).
                pub fn send(self) -> ::futures::future::BoxFuture<'static, crate::Result<#ret>> {
                    #build
                    #send_call
                }

                #with_headers
            }
        }
    };
    let into_future = match (&p.page_item, &p.answer) {
        (Some(_), _) => quote! {},
        (None, answer) => {
            let ret = answer.rust_type();
            quote! {
                impl ::std::future::IntoFuture for #builder {
                    type Output = crate::Result<#ret>;
                    type IntoFuture = ::futures::future::BoxFuture<'static, crate::Result<#ret>>;
                    fn into_future(self) -> Self::IntoFuture {
                        self.send()
                    }
                }
            }
        }
    };
    let field_decls = fields.iter();
    let builder_code = quote! {
        #[doc = #struct_doc]
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #builder {
            pub(crate) hub: crate::Hub,
            #(#field_decls,)*
        }

        impl #builder {
            #(#setters)*
            #finish
        }

        #into_future
    };
    (hub_method, builder_code)
}
