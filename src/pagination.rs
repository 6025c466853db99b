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
use std::marker::PhantomData;
use std::pin::Pin;

use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};
use reqwest::header::{ACCEPT, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use url::Url;

use crate::Hub;
use crate::error::{Error, Result};
use crate::link;

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    items: Vec<T>,
    next: Option<Url>,
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

/// Where a listing starts: the generated call's first request (with the caller's query
/// parameters, or why it could not be built), or a saved cursor.
enum Start {
    First(Result<reqwest::Request>),
    Resume(Url),
}

/// A lazy listing of a Link-paginated operation; see the [module docs](self).
#[must_use = "a paginator does nothing until its stream is polled"]
pub struct Paginator<T> {
    hub: Hub,
    operation: &'static str,
    start: Start,
    prefetch: bool,
    items: PhantomData<fn() -> T>,
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

enum State {
    Start(Start),
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

/// One item of a listing as the Hub sent it: its JSON text, not decoded (see
/// [`Paginator::raw_items`]).
///
/// The text is one valid JSON value, exactly the bytes of the page's answer (it may hold
/// whitespace, even line breaks, if the Hub's answer did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem(Bytes);

impl RawItem {
    /// The item's JSON text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The item's JSON text, owned (a slice of the page's body: no copy).
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Decodes the item; the error names the JSON path that failed.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        crate::error::decode(&self.0)
    }
}

impl<T> Paginator<T> {
    /// A paginator whose first page is `first` (the generated call's request, with the
    /// caller's query parameters).
    #[allow(
        dead_code,
        reason = "called by generated operations, which cargo features may all turn off"
    )]
    pub(crate) fn new(hub: Hub, operation: &'static str, first: Result<reqwest::Request>) -> Self {
        Paginator {
            hub,
            operation,
            start: Start::First(first),
            prefetch: false,
            items: PhantomData,
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
            items: PhantomData,
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

    /// The items of every page as the Hub sent them, not decoded, fetched page by page as the
    /// stream is polled (with the same guards and laziness as [`Self::items`]). Each page is
    /// checked to be a JSON array; its items are slices of the page's body, so a program that
    /// passes them on (a CLI printing JSON lines, a proxy) neither decodes nor re-encodes them.
    pub fn raw_items(self) -> Pin<Box<dyn Stream<Item = Result<RawItem>> + Send>> {
        Box::pin(
            raw_pages(self.hub, self.operation, self.start, self.prefetch)
                .map(|page| match page.and_then(|p| split_items(&p.body)) {
                    Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
                    Err(e) => stream::once(async move { Err(e) }).right_stream(),
                })
                .flatten(),
        )
    }
}

impl<T: DeserializeOwned + Send + 'static> Paginator<T> {
    /// The pages, one request each, fetched as the stream is polled.
    pub fn pages(self) -> Pin<Box<dyn Stream<Item = Result<Page<T>>> + Send>> {
        // Pages of a listing are about the same length: each is decoded into a vector sized
        // for the one before it, so it is allocated once rather than grown by doubling.
        let mut capacity = 0;
        Box::pin(
            raw_pages(self.hub, self.operation, self.start, self.prefetch).map(move |page| {
                page.and_then(|r| {
                    let items = decode_page::<T>(&r.body, capacity)?;
                    capacity = items.len();
                    Ok(Page {
                        items,
                        next: r.next,
                    })
                })
            }),
        )
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

/// A page's body (a JSON array) decoded into a vector allocated for `capacity` items (more
/// are still taken); the error names the JSON path that failed.
///
/// A body that is UTF-8 throughout (any valid JSON answer) is checked once, as a whole, and
/// read as text: serde_json then skips the UTF-8 check it makes of every string when reading
/// bytes (a tenth of a page's decoding). Any other body is read as bytes, for the same error.
fn decode_page<T: DeserializeOwned>(body: &[u8], capacity: usize) -> Result<Vec<T>> {
    fn run<'de, R: serde_json::de::Read<'de>, T: DeserializeOwned>(
        mut de: serde_json::Deserializer<R>,
        capacity: usize,
    ) -> serde_json::Result<Vec<T>> {
        let items =
            serde::de::DeserializeSeed::deserialize(PageSeed::<T>(capacity, PhantomData), &mut de)?;
        de.end()?;
        Ok(items)
    }
    match std::str::from_utf8(body) {
        Ok(text) => run(serde_json::Deserializer::from_str(text), capacity),
        Err(_) => run(serde_json::Deserializer::from_slice(body), capacity),
    }
    .map_err(|e| crate::error::decode_failure(body, &e))
}

/// Decodes a JSON array into a `Vec` of a given initial capacity.
struct PageSeed<T>(usize, PhantomData<fn() -> T>);

impl<'de, T: serde::Deserialize<'de>> serde::de::DeserializeSeed<'de> for PageSeed<T> {
    type Value = Vec<T>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for PageSeed<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Vec<T>, A::Error> {
        let mut items = Vec::with_capacity(self.0);
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(items)
    }
}

/// The items of a page's body (a JSON array), as slices of it.
fn split_items(body: &Bytes) -> Result<Vec<RawItem>> {
    let raw: Vec<&RawValue> =
        serde_json::from_slice(body).map_err(|e| crate::error::decode_failure(body, &e))?;
    Ok(raw
        .into_iter()
        .map(|item| RawItem(body.slice_ref(item.get().as_bytes())))
        .collect())
}

/// The pages of a listing, not decoded: the one stream behind every view of a paginator (and
/// not generic, so the listing machinery is compiled once, whatever the item type).
fn raw_pages(
    hub: Hub,
    operation: &'static str,
    start: Start,
    prefetch: bool,
) -> Pin<Box<dyn Stream<Item = Result<RawPage>> + Send>> {
    let seen: HashSet<String> = HashSet::new();
    Box::pin(stream::unfold(
        (State::Start(start), seen, hub),
        move |(state, mut seen, hub)| async move {
            let fetched: Result<RawPage> = match state {
                State::Done => return None,
                State::Fail(e) => return Some((Err(e), (State::Done, seen, hub))),
                State::Start(Start::First(request)) => match request {
                    Ok(request) => fetch(&hub, operation, request).await,
                    Err(e) => Err(e),
                },
                State::Start(Start::Resume(url)) | State::Next(url) => {
                    fetch_url(&hub, operation, url).await
                }
                State::Fetching(mut pending) => match (&mut pending.0).await {
                    Ok(r) => r,
                    Err(e) => Err(Error::Transport {
                        message: format!("the page fetch did not finish: {e}"),
                        maybe_sent: true,
                        idempotent: true,
                        source: None,
                    }),
                },
            };
            let page = match fetched {
                Ok(p) => p,
                Err(e) => return Some((Err(e), (State::Done, seen, hub))),
            };
            seen.insert(page.requested.as_str().to_string());
            seen.insert(page.url.as_str().to_string());
            // The next state is decided from the Link header alone, so with prefetch the
            // next page is on its way while this one is decoded.
            let next = match page.next.clone() {
                Some(url) => match guard_next(&hub, &url, &seen) {
                    Ok(()) if prefetch => {
                        seen.insert(url.as_str().to_string());
                        let hub = hub.clone();
                        State::Fetching(Prefetched(tokio::spawn(async move {
                            fetch_url(&hub, operation, url).await
                        })))
                    }
                    Ok(()) => State::Next(url),
                    // This page is yielded; the guard's error comes next, then the end.
                    Err(e) => State::Fail(e),
                },
                None => State::Done,
            };
            Some((Ok(page), (next, seen, hub)))
        },
    ))
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

/// A page's body, not yet decoded, its next link, the URL asked for and the one it came from
/// (after redirects).
struct RawPage {
    body: Bytes,
    next: Option<Url>,
    requested: Url,
    url: Url,
}

/// A next page: a `GET` of the URL the previous page's `Link` header gave.
async fn fetch_url(hub: &Hub, operation: &'static str, url: Url) -> Result<RawPage> {
    let mut request = reqwest::Request::new(reqwest::Method::GET, url);
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("application/json"));
    fetch(hub, operation, request).await
}

async fn fetch(hub: &Hub, operation: &'static str, request: reqwest::Request) -> Result<RawPage> {
    let requested = request.url().clone();
    let response = hub.send(request, operation).await?;
    // A relative link resolves against the URL the page came from (after redirects).
    let url = response.url().clone();
    let next = link::next_url(response.headers(), &url)?;
    let body = response.bytes().await.map_err(|e| {
        Error::from(e).for_request(&crate::operations::RequestInfo::of(operation, "GET"))
    })?;
    Ok(RawPage {
        body,
        next,
        requested,
        url,
    })
}

#[cfg(test)]
mod tests;
