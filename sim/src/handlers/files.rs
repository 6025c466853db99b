//! Resolving a file, and the Xet token routes.

use bytes::Bytes;

use crate::SimError;
use crate::shared::Shared;
use crate::util::{Resp, response, set_header};

use super::{Ctx, RepoRef, check_write, read_repo};

/// `GET …/xet-write-token/{rev}` (a writer) and `…/xet-read-token/{rev}` (a reader).
pub(super) fn xet_token(ctx: &Ctx<'_>, r: &RepoRef, write: bool) -> Result<Resp, SimError> {
    {
        let state = ctx.shared.state();
        if write {
            ctx.require_user()?;
            check_write(&state, ctx, r)?;
        } else {
            read_repo(&state, ctx, r)?;
        }
    }
    xet_token_answer(ctx.shared)
}

#[cfg(feature = "xet")]
fn xet_token_answer(shared: &Shared) -> Result<Resp, SimError> {
    crate::xet::token_answer(shared)
}

#[cfg(not(feature = "xet"))]
fn xet_token_answer(_: &Shared) -> Result<Resp, SimError> {
    Err(SimError::new(
        404,
        None,
        "Xet storage is not enabled on this Hub",
    ))
}

pub(super) fn resolve(ctx: &Ctx<'_>, r: &RepoRef, rev: &str, path: &str) -> Result<Resp, SimError> {
    let state = ctx.shared.state();
    if let Some(new_id) = state.renamed.get(&(r.kind, r.id.clone()))
        && !state.repos.contains_key(&(r.kind, r.id.clone()))
    {
        // A renamed repository: a relative redirect under its new name, the rest as sent.
        let raw = ctx.parts.uri.path();
        let old = format!("/{}{}/", r.kind.url_prefix(), r.id);
        let new = format!("/{}{}/", r.kind.url_prefix(), new_id);
        let location = raw.replacen(&old, &new, 1);
        let mut resp = response(307, "text/plain; charset=utf-8", Bytes::from("Moved"));
        set_header(&mut resp, "location", &location);
        return Ok(resp);
    }
    let repo = read_repo(&state, ctx, r)?;
    let request = crate::resolve::Resolve {
        repo,
        rev,
        path,
        range: ctx.range(),
    };
    crate::resolve::resolve(&state, &ctx.shared.storage_url, &request)
}
