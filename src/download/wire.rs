//! The `resolve` wire: the HEAD that tells what a file is, the GET that brings its bytes.
//!
//! Both go through the client's transport (token only on the endpoint's origin, retries,
//! tracing) with the download client, which follows no redirect by itself: a redirect that
//! stays on the endpoint's origin (a renamed repository answers a relative 307) is followed
//! here; one to another origin (the CDN) ends the HEAD, whose answer carries the metadata, and
//! the GET goes there without the token.

use reqwest::header::{ACCEPT_ENCODING, HeaderMap, HeaderValue, LOCATION, RANGE};
use reqwest::{Method, Request, Response, StatusCode};
use url::Url;

use super::FileMetadata;
use super::cache::check_etag;
use crate::client::{Hub, check_status};
use crate::error::{Error, HubErrorKind, Result};
use crate::operations::RequestInfo;
use crate::repo::Repo;

/// The most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// The operation name of requests to the Hub's `resolve`.
const RESOLVE: &str = "resolve_file";

/// The operation name of requests to another origin (the CDN).
const STORAGE: &str = "download_from_storage";

/// The Hub's `resolve` URL of `path` at `revision` ([`Repo::resolve_url`]).
pub(crate) fn resolve_url(hub: &Hub, repo: &Repo, revision: &str, path: &str) -> Result<Url> {
    repo.resolve_url(hub.endpoint(), revision, path)
}

/// What the HEAD found.
#[derive(Debug)]
pub(crate) enum Head {
    /// The file, with its metadata.
    File(FileMetadata),
    /// The Hub says the file does not exist at this commit (404 `EntryNotFound` with
    /// `X-Repo-Commit`).
    Missing { commit: String, error: Error },
}

/// A header's text, trimmed; `None` when absent or not text.
fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// An etag without `W/` and quotes.
pub(crate) fn normalize_etag(raw: &str) -> String {
    let raw = raw.trim();
    let raw = raw.strip_prefix("W/").unwrap_or(raw);
    raw.trim_matches('"').to_owned()
}

fn missing_header(name: &str, url: &Url) -> Error {
    Error::Decode {
        path: format!("{name} header"),
        message: format!(
            "the answer for {} has none: is the endpoint a Hugging Face Hub?",
            url.path()
        ),
    }
}

/// The metadata an answer carries: `X-Repo-Commit`, `X-Linked-Etag` else `ETag`,
/// `X-Linked-Size` else (never on a redirect) `Content-Length`, `X-Xet-Hash`.
pub(crate) fn metadata_of(
    headers: &HeaderMap,
    status: StatusCode,
    url: &Url,
    location: Url,
) -> Result<FileMetadata> {
    let commit = header(headers, "x-repo-commit")
        .ok_or_else(|| missing_header("X-Repo-Commit", url))?
        .to_owned();
    let linked = header(headers, "x-linked-etag");
    let etag = linked
        .or_else(|| header(headers, "etag"))
        .map(normalize_etag)
        .ok_or_else(|| missing_header("ETag", url))?;
    check_etag(&etag)?;
    let size_text = header(headers, "x-linked-size").or_else(|| {
        (!status.is_redirection())
            .then(|| header(headers, "content-length"))
            .flatten()
    });
    let size = size_text
        .ok_or_else(|| missing_header("X-Linked-Size", url))?
        .parse::<u64>()
        .map_err(|e| Error::Decode {
            path: "X-Linked-Size header".into(),
            message: format!("{size_text:?} is not a size: {e}"),
        })?;
    Ok(FileMetadata {
        commit,
        etag,
        size,
        location,
        is_lfs: linked.is_some(),
        xet_hash: header(headers, "x-xet-hash").map(str::to_owned),
    })
}

/// The absolute target of a redirect answer.
fn redirect_target(response: &Response) -> Result<Url> {
    let url = response.url().clone();
    let location = header(response.headers(), LOCATION.as_str()).ok_or_else(|| Error::Decode {
        path: "Location header".into(),
        message: format!("the redirect from {} has none", url.path()),
    })?;
    url.join(location).map_err(|e| Error::Decode {
        path: "Location header".into(),
        message: format!("{location:?} is not a URL: {e}"),
    })
}

/// Sends one request of a download through the client's rules.
async fn send(hub: &Hub, request: Request, operation: &'static str) -> Result<Response> {
    let info = RequestInfo::of(operation, request.method().as_str());
    let transport = hub.transport();
    transport
        .execute(transport.downloads(), request, &info)
        .await
        .map_err(|e| Error::from(e).for_request(&info))
}

fn request(method: Method, url: Url) -> Request {
    let mut request = Request::new(method, url);
    request
        .headers_mut()
        .insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    request
}

/// The HEAD of `resolve`: follows same-origin redirects, stops at another origin's.
pub(crate) async fn head(hub: &Hub, url: Url) -> Result<Head> {
    let mut url = url;
    for _ in 0..=MAX_REDIRECTS {
        let response = send(hub, request(Method::HEAD, url.clone()), RESOLVE).await?;
        let status = response.status();
        if status.is_redirection() {
            let next = redirect_target(&response)?;
            if hub.transport().is_endpoint_origin(&next) {
                tracing::debug!(from = url.path(), to = next.path(), "following a redirect");
                url = next;
                continue;
            }
            return metadata_of(response.headers(), status, &url, next).map(Head::File);
        }
        if status.is_success() {
            return metadata_of(response.headers(), status, &url, url.clone()).map(Head::File);
        }
        let commit = header(response.headers(), "x-repo-commit").map(str::to_owned);
        let info = RequestInfo::of(RESOLVE, "HEAD");
        let error = match check_status(response, &info).await {
            Err(e) => e,
            Ok(_) => unreachable_status(status),
        };
        return match commit {
            Some(commit) if error.kind() == Some(&HubErrorKind::EntryNotFound) => {
                Ok(Head::Missing { commit, error })
            }
            _ => Err(error),
        };
    }
    Err(too_many_redirects(&url))
}

/// `check_status` only passes successes, which are handled before it.
fn unreachable_status(status: StatusCode) -> Error {
    Error::Decode {
        path: ".".into(),
        message: format!("unexpected status {status}"),
    }
}

fn too_many_redirects(url: &Url) -> Error {
    Error::Transport {
        message: format!("more than {MAX_REDIRECTS} redirects from {}", url.path()),
        maybe_sent: true,
        idempotent: true,
        source: None,
    }
}

/// The GET of a file's bytes from `url` (the Hub's `resolve`, or the CDN it redirects to),
/// from byte `offset` on (`Range: bytes={offset}-` when not 0). Follows every redirect (the
/// token only ever goes to the endpoint's origin). The answer is a success: 200, or 206 when
/// the range was honoured.
pub(crate) async fn get(hub: &Hub, url: &Url, offset: u64) -> Result<Response> {
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let mut req = request(Method::GET, url.clone());
        if offset > 0 {
            let range = HeaderValue::from_str(&format!("bytes={offset}-"))
                .unwrap_or(HeaderValue::from_static("bytes=0-"));
            req.headers_mut().insert(RANGE, range);
        }
        let operation = if hub.transport().is_endpoint_origin(&url) {
            RESOLVE
        } else {
            STORAGE
        };
        let response = send(hub, req, operation).await?;
        if response.status().is_redirection() {
            url = redirect_target(&response)?;
            continue;
        }
        let info = RequestInfo::of(operation, "GET");
        return check_status(response, &info).await;
    }
    Err(too_many_redirects(&url))
}

/// Where a 206 answer's body starts (`Content-Range: bytes {start}-{end}/{size}`).
pub(crate) fn range_start(headers: &HeaderMap) -> Option<u64> {
    let value = header(headers, "content-range")?;
    let rest = value.strip_prefix("bytes")?.trim_start();
    rest.split('-').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn etags_lose_quotes_and_weakness() {
        assert_eq!(normalize_etag("\"abc\""), "abc");
        assert_eq!(normalize_etag("W/\"abc\""), "abc");
        assert_eq!(normalize_etag(" abc "), "abc");
    }

    #[test]
    fn metadata_prefers_linked_headers_and_ignores_a_redirects_length() {
        let url = Url::parse("http://hub/a/b/resolve/main/x").unwrap();
        let cdn = Url::parse("http://cdn/x").unwrap();
        let sha = "a".repeat(64);
        let h = headers(&[
            ("x-repo-commit", "c0ffee"),
            ("x-linked-etag", &format!("\"{sha}\"")),
            ("etag", "\"other\""),
            ("x-linked-size", "5000000000"),
            ("content-length", "123"),
        ]);
        let m = metadata_of(&h, StatusCode::FOUND, &url, cdn.clone()).unwrap();
        assert_eq!(
            (m.commit.as_str(), m.etag.as_str(), m.size, m.is_lfs),
            ("c0ffee", sha.as_str(), 5_000_000_000, true)
        );
        assert_eq!(m.location, cdn);
        // A redirect without X-Linked-Size: its Content-Length is the redirect text's.
        let h = headers(&[
            ("x-repo-commit", "c"),
            ("etag", "W/\"e\""),
            ("content-length", "123"),
        ]);
        assert!(metadata_of(&h, StatusCode::FOUND, &url, cdn.clone()).is_err());
        let m = metadata_of(&h, StatusCode::OK, &url, url.clone()).unwrap();
        assert_eq!((m.etag.as_str(), m.size, m.is_lfs), ("e", 123, false));
        // Missing commit, or an etag that would be a path: errors, no panic.
        let h = headers(&[("etag", "\"e\""), ("content-length", "1")]);
        assert!(metadata_of(&h, StatusCode::OK, &url, url.clone()).is_err());
        let h = headers(&[
            ("x-repo-commit", "c"),
            ("etag", "\"../../x\""),
            ("content-length", "1"),
        ]);
        assert!(metadata_of(&h, StatusCode::OK, &url, url.clone()).is_err());
        let h = headers(&[
            ("x-repo-commit", "c"),
            ("etag", "\"e\""),
            ("content-length", "lots"),
        ]);
        assert!(metadata_of(&h, StatusCode::OK, &url, url.clone()).is_err());
    }

    #[test]
    fn content_range_start() {
        assert_eq!(
            range_start(&headers(&[("content-range", "bytes 100-199/200")])),
            Some(100)
        );
        assert_eq!(
            range_start(&headers(&[("content-range", "bytes */200")])),
            None
        );
        assert_eq!(range_start(&HeaderMap::new()), None);
    }
}
