//! File downloads: `HEAD`/`GET …/resolve/{rev}/{path}` on the hub origin, and the LFS objects
//! on the storage origin (`GET`/`HEAD /lfs/{oid}`), with `Range`.
//!
//! As the Hub does: a regular file answers 200 with `ETag` (its git blob id), `X-Repo-Commit`
//! and `Content-Length`; an LFS file answers 302 to the storage origin with `X-Linked-Etag`
//! (the sha256), `X-Linked-Size`, `X-Repo-Commit` and a redirect text of its own length; a
//! missing file answers 404 `EntryNotFound` with `X-Repo-Commit`; a renamed repository's old
//! name answers 307 with a relative `Location` under the new name.

use bytes::Bytes;

use crate::SimError;
use crate::object::Object;
use crate::state::{Entry, State};
use crate::util::{Resp, SimBody, error_response, response, set_header};

/// What a resolve request names.
pub(crate) struct Resolve<'a> {
    pub(crate) repo: &'a crate::state::Repo,
    pub(crate) rev: &'a str,
    pub(crate) path: &'a str,
    /// `GET` (or `HEAD`).
    pub(crate) range: Option<&'a str>,
}

/// Answers a resolve request on the hub origin.
pub(crate) fn resolve(
    state: &State,
    storage: &url::Url,
    r: &Resolve<'_>,
) -> Result<Resp, SimError> {
    let idx = r.repo.resolve(r.rev).ok_or_else(|| {
        SimError::new(
            404,
            Some("RevisionNotFound"),
            format!("Invalid rev id: {}", r.rev),
        )
    })?;
    let Some(commit) = r.repo.commits.get(idx) else {
        return Err(SimError::new(
            404,
            Some("RevisionNotFound"),
            format!("Invalid rev id: {}", r.rev),
        ));
    };
    let Some(entry) = commit.tree.get(r.path) else {
        let mut resp = error_response(&SimError::new(
            404,
            Some("EntryNotFound"),
            format!("Entry not found: {} at {}", r.path, r.rev),
        ));
        set_header(&mut resp, "x-repo-commit", &commit.id);
        return Ok(resp);
    };
    match entry {
        Entry::Regular { data, oid } => {
            let mut resp = ranged(&Object::from_bytes(data.clone()), r.range);
            set_header(&mut resp, "etag", &format!("\"{oid}\""));
            set_header(&mut resp, "x-repo-commit", &commit.id);
            Ok(resp)
        }
        Entry::Lfs { sha256, size, .. } => {
            if !state.lfs.contains_key(sha256) {
                return Err(SimError::new(
                    500,
                    None,
                    format!("LFS object {sha256} is missing from storage"),
                ));
            }
            let location = storage
                .join(&format!("lfs/{sha256}"))
                .map_or_else(|_| format!("{storage}lfs/{sha256}"), |u| u.to_string());
            let text = format!("Found. Redirecting to {location}");
            let mut resp = response(302, "text/plain; charset=utf-8", Bytes::from(text));
            set_header(&mut resp, "location", &location);
            set_header(&mut resp, "etag", &format!("\"{}\"", &sha256[..40]));
            set_header(&mut resp, "x-linked-etag", &format!("\"{sha256}\""));
            set_header(&mut resp, "x-linked-size", &size.to_string());
            set_header(&mut resp, "x-repo-commit", &commit.id);
            if let Some(hash) = state.xet_hashes.get(sha256) {
                set_header(&mut resp, "x-xet-hash", hash);
                let route = format!(
                    "/api/{}/{}/xet-read-token/{}",
                    r.repo.kind.plural(),
                    r.repo.id,
                    commit.id
                );
                set_header(&mut resp, "x-xet-refresh-route", &route);
                set_header(&mut resp, "link", &format!("<{route}>; rel=\"xet-auth\""));
            }
            Ok(resp)
        }
    }
}

/// Answers `GET`/`HEAD /lfs/{oid}` on the storage origin.
pub(crate) fn storage_get(state: &State, oid: &str, range: Option<&str>) -> Result<Resp, SimError> {
    let data = state
        .lfs
        .get(oid)
        .ok_or_else(|| SimError::new(404, None, format!("No object {oid}")))?;
    let mut resp = ranged(data, range);
    set_header(&mut resp, "etag", &format!("\"{oid}\""));
    Ok(resp)
}

/// The whole body (200), or the part `Range: bytes=a-[b]` asks for (206), or 416.
fn ranged(data: &Object, range: Option<&str>) -> Resp {
    let len = data.len();
    let Some((start, end)) = range.and_then(|r| parse_range(r, len)) else {
        if range.is_some_and(|r| r.trim().starts_with("bytes=")) && len > 0 {
            let mut resp = error_response(&SimError::new(416, None, "Range Not Satisfiable"));
            set_header(&mut resp, "content-range", &format!("bytes */{len}"));
            return resp;
        }
        // Explicit, so that a HEAD of an empty file says 0 too.
        let mut resp = response(200, "application/octet-stream", Bytes::new());
        *resp.body_mut() = SimBody::chunks(data.chunks());
        let len = len.to_string();
        set_header(&mut resp, "accept-ranges", "bytes");
        set_header(&mut resp, "content-length", &len);
        return resp;
    };
    let mut resp = response(206, "application/octet-stream", Bytes::new());
    *resp.body_mut() = SimBody::chunks(data.slice(start, end + 1));
    set_header(&mut resp, "accept-ranges", "bytes");
    set_header(
        &mut resp,
        "content-range",
        &format!("bytes {start}-{end}/{len}"),
    );
    resp
}

/// `bytes=a-` or `bytes=a-b` within a body of `len` bytes: the inclusive range.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let start: u64 = a.trim().parse().ok()?;
    let end: u64 = match b.trim() {
        "" => len.checked_sub(1)?,
        b => b.parse::<u64>().ok()?.min(len.checked_sub(1)?),
    };
    (start <= end && start < len).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-", 10), Some((0, 9)));
        assert_eq!(parse_range("bytes=4-5", 10), Some((4, 5)));
        assert_eq!(parse_range("bytes=4-50", 10), Some((4, 9)));
        assert_eq!(parse_range("bytes=10-", 10), None);
        assert_eq!(parse_range("bytes=0-", 0), None);
        assert_eq!(parse_range("items=0-", 10), None);
        let r = ranged(
            &Object::from_bytes(Bytes::from_static(b"0123456789")),
            Some("bytes=7-"),
        );
        assert_eq!(r.status().as_u16(), 206);
        let r = ranged(
            &Object::from_bytes(Bytes::from_static(b"0123456789")),
            Some("bytes=70-"),
        );
        assert_eq!(r.status().as_u16(), 416);
        let r = ranged(&Object::from_bytes(Bytes::from_static(b"0123456789")), None);
        assert_eq!(r.status().as_u16(), 200);
    }
}
