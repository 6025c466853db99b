//! The Xet transfer of a commit's large files (cargo feature `xet`; see [`crate::xet`]).
//!
//! When the LFS batch answers `"transfer": "xet"`, every object it asks for is sent through one
//! Xet upload commit: chunked and deduplicated by `hf-xet`, against the CAS the upload action
//! names (`X-Xet-Cas-Url`) with the token it carries (`X-Xet-Access-Token`, expiring at
//! `X-Xet-Token-Expiration`), refreshed from its `href` (the Hub's `xet-write-token` route,
//! with the Hub token) when it expires. Each file's sha256 is computed again while it is
//! chunked and must be the one the commit announces; only when every file is stored does the
//! ndjson commit follow, so a failed upload commits nothing.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use url::Url;
use xet::xet_session::{Sha256Policy, XetUploadCommit};

use super::ops::{AddSource, sized_chunks};
use super::progress::{Phase, Reporter};
use crate::client::Hub;
use crate::error::{Error, HubError, HubErrorKind, Result};
use crate::types::{LfsAction, LfsBatchObject};
use crate::xet::{cas_headers, failure, token_route_headers};

/// How many bytes of a file are handed to Xet at a time.
const WRITE_CHUNK: usize = 1 << 20;

/// How many files are chunked at once.
const FILE_CONCURRENCY: usize = 4;

/// One object of a batch answer that chose Xet, with its content.
pub(crate) struct XetObject<'a> {
    /// The file's path in the repository.
    pub(crate) path: &'a Arc<str>,
    /// Its content.
    pub(crate) source: &'a AddSource,
    /// Its sha256, lower-case hex (the `lfsFile` line's `oid`).
    pub(crate) oid: &'a str,
    /// Its size.
    pub(crate) size: u64,
    /// What the batch answered for it.
    pub(crate) answer: LfsBatchObject,
}

/// The Xet session values of an upload action.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct XetAction {
    /// The CAS endpoint.
    pub(crate) cas_url: String,
    /// The first token and its expiry (Unix seconds), when the action carries one.
    pub(crate) token: Option<(String, u64)>,
    /// Where a new token comes from.
    pub(crate) refresh: Url,
}

impl XetAction {
    /// Reads an upload action of a Xet batch answer; header names in any case.
    pub(crate) fn of(action: &LfsAction) -> Result<XetAction> {
        let headers: HashMap<String, &str> = action
            .header
            .iter()
            .flatten()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str()))
            .collect();
        let decode = |path: &str, message: String| Error::Decode {
            path: format!("actions.upload.{path}"),
            message,
        };
        let cas_url = headers
            .get("x-xet-cas-url")
            .map(|u| u.trim().to_owned())
            .filter(|u| Url::parse(u).is_ok())
            .ok_or_else(|| {
                decode(
                    "header.X-Xet-Cas-Url",
                    "a Xet upload action needs the CAS URL".to_owned(),
                )
            })?;
        let token = match (
            headers.get("x-xet-access-token"),
            headers.get("x-xet-token-expiration"),
        ) {
            (Some(token), Some(exp)) => {
                let exp = exp.trim().parse::<u64>().map_err(|e| {
                    decode(
                        "header.X-Xet-Token-Expiration",
                        format!("{exp:?} is not a time: {e}"),
                    )
                })?;
                Some(((*token).to_owned(), exp))
            }
            _ => None,
        };
        let refresh =
            Url::parse(&action.href).map_err(|e| decode("href", format!("invalid URL: {e}")))?;
        Ok(XetAction {
            cas_url,
            token,
            refresh,
        })
    }
}

/// Sends every object of a batch answer that chose Xet (see the module docs).
pub(crate) async fn upload(
    hub: &Hub,
    objects: Vec<XetObject<'_>>,
    reporter: &Reporter,
) -> Result<()> {
    let mut pending = Vec::new();
    for object in objects {
        if let Some(err) = &object.answer.error {
            return Err(refused(&object, err.code, err.message.as_deref()));
        }
        match object
            .answer
            .actions
            .as_ref()
            .and_then(|a| a.upload.clone())
        {
            Some(action) => pending.push((object, action)),
            None => {
                tracing::debug!(path = %object.path, "Xet: already stored");
                reporter.file_done(Phase::Uploading, object.path, object.size);
            }
        }
    }
    let Some((_, first)) = pending.first() else {
        return Ok(());
    };
    let action = XetAction::of(first)?;
    let session = crate::xet::session(hub)?;
    let mut builder = session
        .new_upload_commit()
        .map_err(|e| failure("cannot start a Xet upload", e, false))?
        .with_endpoint(action.cas_url.clone())
        .with_custom_headers(cas_headers(hub))
        .with_token_refresh_url(
            action.refresh.as_str(),
            token_route_headers(hub, &action.refresh)?,
        );
    if let Some((token, exp)) = &action.token {
        builder = builder.with_token_info(token.clone(), *exp);
    }
    let commit = builder
        .build()
        .await
        .map_err(|e| failure("cannot start a Xet upload", e, false))?;
    tracing::debug!(files = pending.len(), cas = %action.cas_url, "Xet upload");
    let sent = futures::stream::iter(
        pending
            .iter()
            .map(|(object, _)| send_file(&commit, object, reporter)),
    )
    .buffer_unordered(FILE_CONCURRENCY)
    .try_collect::<Vec<()>>()
    .await;
    if let Err(e) = sent {
        let _ = commit.abort();
        return Err(e);
    }
    let report = commit.commit().await.map_err(|e| {
        failure(
            "the Xet upload could not be completed (nothing was committed)",
            e,
            true,
        )
    })?;
    tracing::debug!(
        total_bytes = report.dedup_metrics.total_bytes,
        deduped_bytes = report.dedup_metrics.deduped_bytes,
        new_bytes = report.dedup_metrics.new_bytes,
        "Xet upload done"
    );
    for (object, _) in &pending {
        reporter.file_done(Phase::Uploading, object.path, object.size);
    }
    Ok(())
}

/// Streams one file into the upload commit and checks what Xet computed of it.
async fn send_file(
    commit: &XetUploadCommit,
    object: &XetObject<'_>,
    reporter: &Reporter,
) -> Result<()> {
    let label = format!(
        "Xet upload of {:?} (from {}), oid {}",
        object.path,
        object.source.describe(),
        object.oid
    );
    let xet_err = |e| failure(format!("{label} (nothing was committed)"), e, true);
    let stream = commit
        .upload_stream(Some(object.path.to_string()), Sha256Policy::Compute)
        .await
        .map_err(xet_err)?;
    let reader = object.source.open().await.map_err(|e| Error::Io {
        context: format!("{label}: opening the content"),
        source: e,
    })?;
    let progress = reporter.bytes_callback(Phase::Uploading, object.path, Some(object.size));
    let mut chunks = sized_chunks(reader, object.size, WRITE_CHUNK, label.clone());
    while let Some(chunk) = chunks.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                stream.abort();
                return Err(Error::Io {
                    context: format!("{label}: reading the content (nothing was committed)"),
                    source: e,
                });
            }
        };
        let n = chunk.len() as u64;
        stream.write(chunk).await.map_err(xet_err)?;
        if let Some(progress) = &progress {
            progress(n);
        }
    }
    let meta = stream.finish().await.map_err(xet_err)?;
    let info = &meta.xet_info;
    let sha_ok = info
        .sha256
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case(object.oid));
    if !sha_ok || info.file_size.is_some_and(|s| s != object.size) {
        return Err(Error::Io {
            context: format!(
                "{label}: the content changed since it was hashed (now sha256 {}, {} bytes); \
                 nothing was committed",
                info.sha256.as_deref().unwrap_or("unknown"),
                info.file_size.unwrap_or_default()
            ),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "sha256 mismatch"),
        });
    }
    tracing::debug!(
        path = %object.path,
        xet_hash = %info.hash,
        new_bytes = meta.dedup_metrics.new_bytes,
        "Xet file stored"
    );
    Ok(())
}

fn refused(object: &XetObject<'_>, code: Option<i64>, message: Option<&str>) -> Error {
    Error::Hub(Box::new(HubError {
        kind: HubErrorKind::Other,
        status: code.and_then(|c| u16::try_from(c).ok()).unwrap_or_default(),
        code: None,
        message: format!(
            "Xet upload of {:?} (from {}), oid {}: the batch answer refused the object: {}",
            object.path,
            object.source.describe(),
            object.oid,
            message.unwrap_or_default()
        ),
        request_id: None,
        idempotent: true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(href: &str, pairs: &[(&str, &str)]) -> LfsAction {
        serde_json::from_value(serde_json::json!({
            "href": href,
            "header": pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<HashMap<_, _>>(),
        }))
        .unwrap()
    }

    #[test]
    fn an_upload_action_gives_the_cas_token_and_refresh_route() {
        let a = action(
            "https://hub/api/models/a/b/xet-write-token/main",
            &[
                ("X-Xet-Cas-Url", "https://cas.example"),
                ("x-xet-access-token", "tok"),
                ("X-Xet-Token-Expiration", "1700000000"),
                ("X-Xet-Session-Id", "s1"),
            ],
        );
        let got = XetAction::of(&a).unwrap();
        assert_eq!(got.cas_url, "https://cas.example");
        assert_eq!(got.token, Some(("tok".to_owned(), 1_700_000_000)));
        assert_eq!(got.refresh.path(), "/api/models/a/b/xet-write-token/main");
        // No token: refreshed at once. No CAS URL, a bad expiry or href: errors naming them.
        let a = action("https://hub/t", &[("X-Xet-Cas-Url", "https://cas")]);
        assert_eq!(XetAction::of(&a).unwrap().token, None);
        let e = XetAction::of(&action("https://hub/t", &[])).unwrap_err();
        assert!(e.to_string().contains("X-Xet-Cas-Url"), "{e}");
        let a = action(
            "https://hub/t",
            &[
                ("X-Xet-Cas-Url", "https://cas"),
                ("X-Xet-Access-Token", "t"),
                ("X-Xet-Token-Expiration", "soon"),
            ],
        );
        let e = XetAction::of(&a).unwrap_err();
        assert!(e.to_string().contains("soon"), "{e}");
        let a = action("not a url", &[("X-Xet-Cas-Url", "https://cas")]);
        assert!(XetAction::of(&a).unwrap_err().to_string().contains("href"));
    }
}
