//! Creating and deleting repositories, and who is asking.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::SimUser;
use crate::state::{may_write, validate_name_part};
use crate::util::{Resp, json, set_header, sha1_hex};
use crate::{RepoType, SimError};

use super::{Ctx, check_write, repo_ref};

#[derive(Deserialize)]
struct CreateBody {
    name: String,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    private: Option<bool>,
    #[serde(default)]
    sdk: Option<String>,
}

fn namespace_and_name(
    user: &SimUser,
    name: &str,
    organization: Option<&str>,
) -> Result<(String, String), SimError> {
    match (name.split_once('/'), organization) {
        (Some((ns, n)), None) => Ok((ns.to_owned(), n.to_owned())),
        (Some(_), Some(_)) => Err(SimError::new(
            400,
            None,
            "name must not contain '/' when organization is given",
        )),
        (None, org) => Ok((org.unwrap_or(&user.name).to_owned(), name.to_owned())),
    }
}

fn parse_kind(kind: Option<&str>) -> Result<RepoType, SimError> {
    match kind {
        None => Ok(RepoType::Model),
        Some(k) => RepoType::from_singular(k)
            .ok_or_else(|| SimError::new(400, None, format!("Invalid repo type: {k}"))),
    }
}

pub(super) fn create_repo(ctx: &Ctx<'_>) -> Result<Resp, SimError> {
    let user = ctx.require_user()?;
    let body: CreateBody = ctx.json_body()?;
    let kind = parse_kind(body.kind.as_deref())?;
    let (ns, name) = namespace_and_name(user, &body.name, body.organization.as_deref())?;
    validate_name_part(&ns)?;
    validate_name_part(&name)?;
    if !may_write(user, &ns) {
        return Err(SimError::new(
            403,
            None,
            format!("You don't have the rights to create a {kind} under the namespace \"{ns}\""),
        ));
    }
    if kind == RepoType::Space && body.sdk.is_none() {
        return Err(SimError::new(
            400,
            None,
            "\"sdk\" is required to create a Space",
        ));
    }
    let id = format!("{ns}/{name}");
    let url = ctx.hub_url(&format!("{}{id}", kind.url_prefix()));
    let mut state = ctx.shared.state();
    match state.create_repo(
        kind,
        &id,
        body.private.unwrap_or(false),
        body.sdk,
        &user.name,
    ) {
        Ok(()) => {
            let object_id = state
                .repos
                .get(&(kind, id.clone()))
                .map(|r| r.object_id.clone())
                .unwrap_or_default();
            Ok(json(
                200,
                &json!({ "url": url, "name": id, "id": object_id }),
            ))
        }
        Err(e) if e.status == 409 => {
            let mut resp = json(409, &json!({ "error": e.message, "url": url }));
            set_header(&mut resp, "x-error-message", &e.message);
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct DeleteBody {
    name: String,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

pub(super) fn delete_repo(ctx: &Ctx<'_>) -> Result<Resp, SimError> {
    let user = ctx.require_user()?;
    let body: DeleteBody = ctx.json_body()?;
    let kind = parse_kind(body.kind.as_deref())?;
    let (ns, name) = namespace_and_name(user, &body.name, body.organization.as_deref())?;
    let r = repo_ref(kind, &ns, &name);
    let mut state = ctx.shared.state();
    check_write(&state, ctx, &r)?;
    state.delete_repo(kind, &r.id)?;
    Ok(json(200, &json!({})))
}

pub(super) fn whoami(ctx: &Ctx<'_>) -> Result<Resp, SimError> {
    let user = ctx
        .user
        .ok_or_else(|| SimError::new(401, None, "Invalid credentials in Authorization header"))?;
    let orgs: Vec<Value> = user
        .orgs
        .iter()
        .map(|o| {
            json!({
                "type": "org",
                "id": format!("{:0>24}", &sha1_hex(o.as_bytes())[..24]),
                "name": o,
                "fullname": o,
                "avatarUrl": format!("https://cdn-avatars.huggingface.co/{o}.png"),
                "isEnterprise": false,
                "roleInOrg": "write",
            })
        })
        .collect();
    Ok(json(
        200,
        &json!({
            "type": "user",
            "id": &sha1_hex(user.name.as_bytes())[..24],
            "name": user.name,
            "fullname": user.name,
            "email": null,
            "emailVerified": true,
            "canPay": false,
            "isPro": false,
            "periodEnd": null,
            "avatarUrl": "/avatars/default.svg",
            "orgs": orgs,
            "auth": {
                "type": "access_token",
                "accessToken": {
                    "displayName": "hf-hub-sim",
                    "role": "write",
                    "createdAt": "2024-01-01T00:00:00.000Z",
                }
            },
        }),
    ))
}
