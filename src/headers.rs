//! Answers that are not one JSON document: answers whose meaning is in their headers (a
//! file's metadata, from a `HEAD`), and text answers (an attachment's URL, a paper as
//! Markdown).
//!
//! The header structs are generated from the answers' declared headers (see the codegen's
//! `headers` module): one typed field per header and the answer's status. What the official
//! clients derive from those headers is here, as methods on the generated types:
//! [`FileMetadata::file_etag`](crate::types::FileMetadata::file_etag),
//! [`file_size`](crate::types::FileMetadata::file_size) and
//! [`xet_auth_url`](crate::types::FileMetadata::xet_auth_url).
//!
//! A redirect is an answer for these operations, not an error: the client follows redirects
//! on the Hub's own origin (a renamed repository answers with a relative one) but not to
//! another origin, and the redirect to the CDN carries the file's metadata.

use reqwest::header::HeaderMap;
#[cfg(any(feature = "repos", feature = "buckets"))]
use url::Url;

use crate::error::{Error, Result};
#[cfg(any(feature = "repos", feature = "buckets"))]
use crate::types;

/// A value built from an answer's status and headers (implemented by the generated structs).
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) trait FromHeaders: Sized {
    fn from_headers(status: u16, headers: &HeaderMap) -> Result<Self>;
}

/// The header's value as text, when there is one; a value that is not text is an error
/// naming the header.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
fn header_error(name: &str, message: impl Into<String>) -> Error {
    Error::Decode {
        path: format!("header {name}"),
        message: message.into(),
    }
}

#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn text(headers: &HeaderMap, name: &str) -> Result<Option<String>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.to_owned()))
            .map_err(|_| header_error(name, "the value is not visible ASCII")),
    }
}

/// The header's value as a non-negative integer, when there is one; anything else is an
/// error naming the header and the value.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn integer(headers: &HeaderMap, name: &str) -> Result<Option<u64>> {
    match text(headers, name)? {
        None => Ok(None),
        Some(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| header_error(name, format!("{s:?} is not a non-negative integer"))),
    }
}

/// The value of a header the answer must have.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn required<T>(name: &str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| header_error(name, "the answer has no such header"))
}

/// An etag as the cache names blobs: without the quotes and the weak marker (`W/"…"`).
#[cfg(feature = "repos")]
fn bare_etag(etag: &str) -> String {
    let t = etag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"').to_owned()
}

/// The Xet read-token route: `Link: <…>; rel="xet-auth"`, else `X-Xet-Refresh-Route`,
/// resolved against `base`.
#[cfg(any(feature = "repos", feature = "buckets"))]
fn xet_auth(link: Option<&str>, refresh_route: Option<&str>, base: &Url) -> Option<Url> {
    let from_link = link
        .and_then(|l| crate::link::parse_link_header(l, base).ok())
        .and_then(|links| links.into_iter().find(|l| l.has_rel("xet-auth")))
        .map(|l| l.url);
    from_link.or_else(|| refresh_route.and_then(|r| base.join(r).ok()))
}

#[cfg(feature = "repos")]
impl types::FileMetadata {
    /// The file's etag, as the official clients name it: `X-Linked-Etag` (an LFS or Xet
    /// file's sha256) else `ETag` (a regular file's git blob id), without quotes or `W/`.
    pub fn file_etag(&self) -> Option<String> {
        self.x_linked_etag
            .as_deref()
            .or(self.etag.as_deref())
            .map(bare_etag)
    }

    /// The file's size in bytes: `X-Linked-Size`, else `Content-Length` when the answer is not
    /// a redirect (a redirect's `Content-Length` is its own body's).
    pub fn file_size(&self) -> Option<u64> {
        self.x_linked_size.or(if self.is_redirect() {
            None
        } else {
            self.content_length
        })
    }

    /// Whether the answer is a redirect: the content is served at [`location`](Self::location)
    /// (a CDN, typically).
    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status())
    }

    /// The route of the file's Xet read token (`Link: <…>; rel="xet-auth"`, else
    /// `X-Xet-Refresh-Route`), resolved against `base` (the Hub's endpoint).
    pub fn xet_auth_url(&self, base: &Url) -> Option<Url> {
        xet_auth(
            self.link.as_deref(),
            self.x_xet_refresh_route.as_deref(),
            base,
        )
    }
}

#[cfg(feature = "buckets")]
impl types::BucketFileMetadata {
    /// The file's size in bytes: `X-Linked-Size`, else `Content-Length` when the answer is not
    /// a redirect.
    pub fn file_size(&self) -> Option<u64> {
        let redirect = (300..400).contains(&self.status());
        self.x_linked_size
            .or(if redirect { None } else { self.content_length })
    }

    /// The route of the file's Xet read token, resolved against `base` (the Hub's endpoint).
    pub fn xet_auth_url(&self, base: &Url) -> Option<Url> {
        xet_auth(
            self.link.as_deref(),
            self.x_xet_refresh_route.as_deref(),
            base,
        )
    }
}

#[cfg(feature = "repos")]
impl types::RawFileMetadata {
    /// The etag of the file: `X-Linked-Etag` (an LFS or Xet file's sha256) else `ETag` (the
    /// git blob id), without quotes or `W/`.
    pub fn file_etag(&self) -> Option<String> {
        self.x_linked_etag
            .as_deref()
            .or(self.etag.as_deref())
            .map(bare_etag)
    }
}

#[cfg(all(test, feature = "repos"))]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn etags_lose_quotes_and_the_weak_marker() {
        assert_eq!(bare_etag("\"abc\""), "abc");
        assert_eq!(bare_etag("W/\"abc\""), "abc");
        assert_eq!(bare_etag(" abc "), "abc");
    }

    #[test]
    fn header_values_are_typed_or_an_error_naming_them() {
        let h = headers(&[("x-linked-size", "12"), ("content-length", "-1")]);
        assert_eq!(integer(&h, "X-Linked-Size").unwrap(), Some(12));
        assert_eq!(integer(&h, "ETag").unwrap(), None);
        match integer(&h, "Content-Length") {
            Err(Error::Decode { path, message }) => {
                assert_eq!(path, "header Content-Length");
                assert!(message.contains("\"-1\""), "{message}");
            }
            other => panic!("{other:?}"),
        }
        match required::<String>("X-Repo-Commit", None) {
            Err(Error::Decode { path, .. }) => assert_eq!(path, "header X-Repo-Commit"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn file_metadata_reads_like_the_official_clients() {
        let base = Url::parse("https://hub.example").unwrap();
        // An LFS file, redirected to the CDN: the linked etag and size, never the
        // redirect's own Content-Length.
        let cdn = types::FileMetadata::from_headers(
            302,
            &headers(&[
                ("x-repo-commit", "c0ffee"),
                ("x-linked-etag", "\"sha256hex\""),
                ("etag", "W/\"blob\""),
                ("x-linked-size", "1048576"),
                ("content-length", "1113"),
                ("location", "https://cdn.example/x"),
                (
                    "link",
                    "</api/models/a/b/xet-read-token/c0ffee>; rel=\"xet-auth\", <https://cas.example/r>; rel=\"xet-reconstruction-info\"",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(cdn.status(), 302);
        assert!(cdn.is_redirect());
        assert_eq!(cdn.file_etag().as_deref(), Some("sha256hex"));
        assert_eq!(cdn.file_size(), Some(1_048_576));
        assert_eq!(
            cdn.xet_auth_url(&base).unwrap().as_str(),
            "https://hub.example/api/models/a/b/xet-read-token/c0ffee"
        );
        // A regular file served by the Hub: its blob id and Content-Length.
        let regular = types::FileMetadata::from_headers(
            200,
            &headers(&[
                ("x-repo-commit", "c0ffee"),
                ("etag", "W/\"blobid\""),
                ("content-length", "42"),
                ("x-xet-refresh-route", "/api/models/a/b/xet-read-token/main"),
            ]),
        )
        .unwrap();
        assert_eq!(regular.file_etag().as_deref(), Some("blobid"));
        assert_eq!(regular.file_size(), Some(42));
        assert_eq!(
            regular.xet_auth_url(&base).unwrap().path(),
            "/api/models/a/b/xet-read-token/main"
        );
        // A redirect without X-Linked-Size has no known size.
        let bare = types::FileMetadata::from_headers(
            307,
            &headers(&[("x-repo-commit", "c"), ("content-length", "9")]),
        )
        .unwrap();
        assert_eq!(bare.file_size(), None);
        assert_eq!(bare.file_etag(), None);
        // X-Repo-Commit is required.
        let err =
            types::FileMetadata::from_headers(200, &headers(&[("etag", "\"x\"")])).unwrap_err();
        assert!(err.to_string().contains("X-Repo-Commit"), "{err}");
    }
}
