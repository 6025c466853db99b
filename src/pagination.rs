//! Link-header pagination as lazy, resumable, guarded streams.
//!
//! Every operation the Hub pages with `Link: <…>; rel="next"` returns a request builder from
//! its [`Hub`] method whose `items()` and `pages()` run a [`Paginator`]. Nothing is requested until the stream is polled; a page is
//! fetched only when the caller needs its first item (or, with [`Paginator::prefetch`], one
//! page ahead); dropping the stream stops everything.
//!
//! Guards:
//! - a next URL already visited (the first page's included) ends the stream with
//!   [`Error::Decode`] (a loop);
//! - a next URL on another origin than the configured endpoint is **refused** (an error),
//!   never followed — not even without the token: a list that continues elsewhere is not
//!   one we can vouch for;
//! - an empty page that still has a next link does not end the stream;
//! - a page that still fails after the client's retries ends the stream with that error.
//!
//! ```no_run
//! # async fn demo() -> hf_hub_api::Result<()> {
//! use futures::{StreamExt, TryStreamExt};
//! let hub = hf_hub_api::Hub::from_env()?;
//! // The 10 most downloaded models of an author; exactly the pages needed are fetched.
//! let models: Vec<_> = hub
//!     .list_models()
//!     .author("google")
//!     .sort("downloads")
//!     .direction(-1)
//!     .items()
//!     .take(10)
//!     .try_collect()
//!     .await?;
//! # let _ = models; Ok(()) }
//! ```

use std::collections::HashSet;
use std::pin::Pin;

use futures::future::BoxFuture;
use futures::stream::{self, Stream, StreamExt};
use progenitor_client::ResponseValue;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::de::DeserializeOwned;
use url::Url;

use crate::Hub;
use crate::client::{PAGE_URL_HEADER, page_error};
use crate::error::{Error, Result};
use crate::link;

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    items: Vec<T>,
    next: Option<Url>,
    /// The URL this page was fetched from (after redirects), when known.
    url: Option<Url>,
}

impl<T> Page<T> {
    /// The page's items.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The page's items, owned.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// The URL of the next page (a cursor to save and resume from with
    /// [`Paginator::resume`]), or `None` on the last page.
    pub fn next_cursor(&self) -> Option<&Url> {
        self.next.as_ref()
    }

    /// Whether more pages remain.
    pub fn has_more(&self) -> bool {
        self.next.is_some()
    }
}

type FirstPage<T> = Box<dyn FnOnce(Hub) -> BoxFuture<'static, Result<Page<T>>> + Send>;

enum Start<T> {
    #[allow(
        dead_code,
        reason = "called by generated operations, which cargo features may all turn off"
    )]
    First(FirstPage<T>),
    Resume(Url),
}

/// A lazy listing of a Link-paginated operation; see the [module docs](self).
#[must_use = "a paginator does nothing until its stream is polled"]
pub struct Paginator<T> {
    hub: Hub,
    operation: &'static str,
    start: Start<T>,
    prefetch: bool,
}

impl<T> std::fmt::Debug for Paginator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginator")
            .field("operation", &self.operation)
            .field(
                "start",
                &match &self.start {
                    Start::First(_) => "first page".to_string(),
                    Start::Resume(u) => format!("resume at {}", u.path()),
                },
            )
            .finish()
    }
}

enum State<T> {
    Start(Start<T>),
    Next(Url),
    /// The next page, already being fetched (with [`Paginator::prefetch`]).
    Fetching(Prefetched),
    Fail(Error),
    Done,
}

/// A page fetched in the background; dropping it aborts the fetch, so nothing is sent or
/// kept after the stream is dropped.
struct Prefetched(tokio::task::JoinHandle<Result<RawPage>>);

impl Drop for Prefetched {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T: DeserializeOwned + Send + 'static> Paginator<T> {
    /// A paginator whose first page is fetched by `first` (the generated call, with the
    /// caller's query parameters).
    #[allow(
        dead_code,
        reason = "called by generated operations, which cargo features may all turn off"
    )]
    pub(crate) fn new(
        hub: Hub,
        operation: &'static str,
        first: impl FnOnce(Hub) -> BoxFuture<'static, Result<Page<T>>> + Send + 'static,
    ) -> Self {
        Paginator {
            hub,
            operation,
            start: Start::First(Box::new(first)),
            prefetch: false,
        }
    }

    /// Continues a listing from a saved cursor ([`Page::next_cursor`]). The URL must be on
    /// the client's endpoint origin; anything else is refused before any request.
    pub fn resume(hub: &Hub, operation: &'static str, cursor: Url) -> Result<Self> {
        if !hub.transport().is_endpoint_origin(&cursor) {
            return Err(Error::invalid(
                "pagination cursor",
                cursor.as_str(),
                "not on the configured endpoint's origin",
            ));
        }
        Ok(Paginator {
            hub: hub.clone(),
            operation,
            start: Start::Resume(cursor),
            prefetch: false,
        })
    }

    /// Fetch the next page while the caller works through the current one (off by default).
    ///
    /// The next page is requested as soon as this one's `Link` header arrives, so fetching it
    /// overlaps decoding this one: throughput approaches the larger of the two, not their sum;
    /// the price is one page that may be fetched and never used (so `take(n)` may fetch one
    /// page more than it needs). Still never more than one page ahead, and a dropped stream
    /// aborts the fetch under way. Needs a Tokio runtime.
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// The pages, one request each, fetched as the stream is polled.
    pub fn pages(self) -> Pin<Box<dyn Stream<Item = Result<Page<T>>> + Send>> {
        let Paginator {
            hub,
            operation,
            start,
            prefetch,
        } = self;
        let seen: HashSet<String> = HashSet::new();
        Box::pin(stream::unfold(
            (State::Start(start), seen, hub),
            move |(state, mut seen, hub)| async move {
                // A page arrives decoded (the first one, from the generated call) or raw.
                let fetched: Result<Fetched<T>> = match state {
                    State::Done => return None,
                    State::Fail(e) => return Some((Err(e), (State::Done, seen, hub))),
                    State::Start(Start::First(first)) => first(hub.clone()).await.map(|page| {
                        if let Some(url) = &page.url {
                            seen.insert(url.as_str().to_string());
                        }
                        Fetched::Page(page)
                    }),
                    State::Start(Start::Resume(url)) | State::Next(url) => {
                        seen.insert(url.as_str().to_string());
                        fetch_raw(&hub, operation, url).await.map(Fetched::Raw)
                    }
                    State::Fetching(mut pending) => match (&mut pending.0).await {
                        Ok(r) => r.map(Fetched::Raw),
                        Err(e) => Err(Error::Transport {
                            message: format!("the page fetch did not finish: {e}"),
                            maybe_sent: true,
                            idempotent: true,
                            source: None,
                        }),
                    },
                };
                let fetched = match fetched {
                    Ok(f) => f,
                    Err(e) => return Some((Err(e), (State::Done, seen, hub))),
                };
                // The next state is decided from the Link header alone, so with prefetch the
                // next page is on its way while this one is decoded.
                let next_url = match &fetched {
                    Fetched::Page(p) => p.next.clone(),
                    Fetched::Raw(r) => r.next.clone(),
                };
                let next = match next_url {
                    Some(url) => match guard_next(&hub, &url, &seen) {
                        Ok(()) if prefetch => {
                            seen.insert(url.as_str().to_string());
                            let hub = hub.clone();
                            State::Fetching(Prefetched(tokio::spawn(async move {
                                fetch_raw(&hub, operation, url).await
                            })))
                        }
                        Ok(()) => State::Next(url),
                        // This page is yielded; the guard's error comes next, then the end.
                        Err(e) => State::Fail(e),
                    },
                    None => State::Done,
                };
                let page = match fetched {
                    Fetched::Page(p) => Ok(p),
                    Fetched::Raw(r) => crate::error::decode::<Vec<T>>(&r.body).map(|items| Page {
                        items,
                        next: r.next,
                        url: Some(r.url),
                    }),
                };
                match page {
                    Ok(p) => Some((Ok(p), (next, seen, hub))),
                    // A page that does not decode ends the stream (and aborts any prefetch).
                    Err(e) => Some((Err(e), (State::Done, seen, hub))),
                }
            },
        ))
    }

    /// The items of every page, in order, fetched page by page as the stream is polled.
    /// `items().take(n)` never fetches a page it does not need.
    pub fn items(self) -> Pin<Box<dyn Stream<Item = Result<T>> + Send>> {
        Box::pin(
            self.pages()
                .map(|page| match page {
                    Ok(p) => stream::iter(p.items.into_iter().map(Ok)).left_stream(),
                    Err(e) => stream::once(async move { Err(e) }).right_stream(),
                })
                .flatten(),
        )
    }
}

fn guard_next(hub: &Hub, url: &Url, seen: &HashSet<String>) -> Result<()> {
    if !hub.transport().is_endpoint_origin(url) {
        return Err(Error::Decode {
            path: "Link header".into(),
            message: format!(
                "the next page is on another origin ({}); refusing to follow it",
                url.origin().ascii_serialization()
            ),
        });
    }
    if seen.contains(url.as_str()) {
        return Err(Error::Decode {
            path: "Link header".into(),
            message: format!(
                "the next page {} was already fetched: the listing loops",
                url.path()
            ),
        });
    }
    Ok(())
}

/// A page's body, not yet decoded, its next link and its own URL.
struct RawPage {
    body: bytes::Bytes,
    next: Option<Url>,
    url: Url,
}

enum Fetched<T> {
    Page(Page<T>),
    Raw(RawPage),
}

async fn fetch_raw(hub: &Hub, operation: &'static str, url: Url) -> Result<RawPage> {
    let mut request = reqwest::Request::new(reqwest::Method::GET, url.clone());
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("application/json"));
    let response = hub.send(request, operation).await?;
    // A relative link resolves against the URL the page came from (after redirects).
    let url = response.url().clone();
    let next = link::next_url(response.headers(), &url)?;
    let body = response.bytes().await.map_err(|e| {
        Error::from(e).for_request(&crate::operations::RequestInfo::of(operation, "GET"))
    })?;
    Ok(RawPage { body, next, url })
}

/// The first page, from the generated call's answer: its next link is resolved against the
/// URL the page came from (the client records it in [`PAGE_URL_HEADER`]), never against the
/// endpoint.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) async fn first_page<T: DeserializeOwned>(
    hub: &Hub,
    operation: &'static str,
    r: std::result::Result<ResponseValue<Vec<T>>, progenitor_client::Error<()>>,
) -> Result<Page<T>> {
    match r {
        Ok(v) => {
            let url = v
                .headers()
                .get(PAGE_URL_HEADER)
                .and_then(|u| u.to_str().ok())
                .and_then(|u| Url::parse(u).ok());
            let base = url.as_ref().unwrap_or(hub.endpoint());
            let next = link::next_url(v.headers(), base)?;
            Ok(Page {
                items: v.into_inner(),
                next,
                url,
            })
        }
        Err(e) => Err(page_error::<Vec<T>>(operation, e).await),
    }
}
