//! Routing and the endpoints' handlers.

use std::collections::HashSet;

use base64::Engine as _;
use bytes::Bytes;
use http::request::Parts;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::config::SimUser;
use crate::server::{Origin, Shared};
use crate::state::{
    CommitRequest, Entry, ListKey, Multipart, Op, Repo, State, Tree, fmt_date, may_write,
    validate_name_part, validate_path,
};
use crate::util::{
    QueryExt as _, Resp, decode_cursor, div_ceil, encode_cursor, error_response, is_hex, json,
    query_pairs, response, set_header, sha1_hex, sha256_hex,
};
use crate::{RepoType, SimError, routes};

/// A repository named in a path.
#[derive(Clone, Debug)]
pub(crate) struct RepoRef {
    kind: RepoType,
    id: String,
}

/// A classified request.
#[derive(Clone, Debug)]
pub(crate) enum Route {
    CreateRepo,
    DeleteRepo,
    Whoami,
    ValidateYaml,
    List(RepoType),
    Info {
        repo: RepoRef,
        rev: Option<String>,
    },
    Tree {
        repo: RepoRef,
        rev: String,
        path: String,
    },
    PathsInfo {
        repo: RepoRef,
        rev: String,
    },
    Commits {
        repo: RepoRef,
        rev: String,
    },
    Refs {
        repo: RepoRef,
    },
    Preupload {
        repo: RepoRef,
        rev: String,
    },
    Commit {
        repo: RepoRef,
        rev: String,
    },
    LfsBatch {
        repo: RepoRef,
    },
    LfsVerify {
        repo: RepoRef,
    },
    Resolve {
        repo: RepoRef,
        rev: String,
        path: String,
    },
    StoragePut {
        oid: String,
    },
    StoragePart {
        oid: String,
        part: u32,
    },
    StorageComplete {
        oid: String,
    },
    StorageGet {
        oid: String,
    },
    NotFound,
}

impl Route {
    /// The name counters and faults use.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Route::CreateRepo => routes::CREATE_REPO,
            Route::DeleteRepo => routes::DELETE_REPO,
            Route::Whoami => routes::WHOAMI,
            Route::ValidateYaml => routes::VALIDATE_YAML,
            Route::PathsInfo { .. } => routes::PATHS_INFO,
            Route::List(RepoType::Model) => routes::LIST_MODELS,
            Route::List(RepoType::Dataset) => routes::LIST_DATASETS,
            Route::List(RepoType::Space) => routes::LIST_SPACES,
            Route::List(RepoType::Kernel) => routes::LIST_KERNELS,
            Route::Info { .. } => routes::REPO_INFO,
            Route::Tree { .. } => routes::TREE,
            Route::Commits { .. } => routes::COMMITS,
            Route::Refs { .. } => routes::REFS,
            Route::Preupload { .. } => routes::PREUPLOAD,
            Route::Commit { .. } => routes::COMMIT,
            Route::LfsBatch { .. } => routes::LFS_BATCH,
            Route::LfsVerify { .. } => routes::LFS_VERIFY,
            Route::Resolve { .. } => routes::RESOLVE,
            Route::StoragePut { .. } => routes::STORAGE_PUT,
            Route::StoragePart { .. } => routes::STORAGE_PART,
            Route::StorageComplete { .. } => routes::STORAGE_COMPLETE,
            Route::StorageGet { .. } => routes::STORAGE_GET,
            Route::NotFound => routes::NOT_FOUND,
        }
    }
}

fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn repo_ref(kind: RepoType, ns: &str, name: &str) -> RepoRef {
    RepoRef {
        kind,
        id: format!("{ns}/{name}"),
    }
}

/// Maps a method and a raw (percent-encoded) path to a route.
pub(crate) fn classify(origin: Origin, method: &http::Method, path: &str) -> Route {
    let segs: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode_segment)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = method.as_str();
    match origin {
        Origin::Storage => match (m, s.as_slice()) {
            ("PUT", ["upload", oid]) => Route::StoragePut {
                oid: (*oid).to_owned(),
            },
            ("PUT", ["upload", oid, "part", n]) => match n.parse::<u32>() {
                Ok(part) => Route::StoragePart {
                    oid: (*oid).to_owned(),
                    part,
                },
                Err(_) => Route::NotFound,
            },
            ("POST", ["upload", oid, "complete"]) => Route::StorageComplete {
                oid: (*oid).to_owned(),
            },
            ("GET" | "HEAD", ["lfs", oid]) => Route::StorageGet {
                oid: (*oid).to_owned(),
            },
            _ => Route::NotFound,
        },
        Origin::Hub => match s.as_slice() {
            ["api", rest @ ..] => classify_api(m, rest),
            _ => classify_web(m, &s),
        },
    }
}

fn classify_api(m: &str, rest: &[&str]) -> Route {
    match (m, rest) {
        ("POST", ["repos", "create"]) => return Route::CreateRepo,
        ("DELETE", ["repos", "delete"]) => return Route::DeleteRepo,
        ("GET", ["whoami-v2"]) => return Route::Whoami,
        ("POST", ["validate-yaml"]) => return Route::ValidateYaml,
        ("GET", [t]) => {
            return RepoType::from_plural(t).map_or(Route::NotFound, Route::List);
        }
        _ => {}
    }
    let [t, ns, name, tail @ ..] = rest else {
        return Route::NotFound;
    };
    let Some(kind) = RepoType::from_plural(t) else {
        return Route::NotFound;
    };
    let repo = repo_ref(kind, ns, name);
    match (m, tail) {
        ("GET", []) => Route::Info { repo, rev: None },
        ("GET", ["revision", rev]) => Route::Info {
            repo,
            rev: Some((*rev).to_owned()),
        },
        ("GET", ["tree", rev, path @ ..]) => Route::Tree {
            repo,
            rev: (*rev).to_owned(),
            path: path.join("/").trim_matches('/').to_owned(),
        },
        ("GET", ["commits", rev]) => Route::Commits {
            repo,
            rev: (*rev).to_owned(),
        },
        ("GET", ["refs"]) => Route::Refs { repo },
        ("POST", ["paths-info", rev]) => Route::PathsInfo {
            repo,
            rev: (*rev).to_owned(),
        },
        ("POST", ["preupload", rev]) => Route::Preupload {
            repo,
            rev: (*rev).to_owned(),
        },
        ("POST", ["commit", rev]) => Route::Commit {
            repo,
            rev: (*rev).to_owned(),
        },
        _ => Route::NotFound,
    }
}

fn classify_web(m: &str, s: &[&str]) -> Route {
    let (kind, rest) = match s {
        ["datasets", rest @ ..] => (RepoType::Dataset, rest),
        ["spaces", rest @ ..] => (RepoType::Space, rest),
        ["kernels", rest @ ..] => (RepoType::Kernel, rest),
        _ => (RepoType::Model, s),
    };
    match (m, rest) {
        ("POST", [ns, repo_git, "info", "lfs", "objects", action]) => {
            let Some(name) = repo_git.strip_suffix(".git") else {
                return Route::NotFound;
            };
            let repo = repo_ref(kind, ns, name);
            match *action {
                "batch" => Route::LfsBatch { repo },
                "verify" => Route::LfsVerify { repo },
                _ => Route::NotFound,
            }
        }
        ("GET" | "HEAD", [ns, name, "resolve", rev, path @ ..]) if !path.is_empty() => {
            Route::Resolve {
                repo: repo_ref(kind, ns, name),
                rev: (*rev).to_owned(),
                path: path.join("/"),
            }
        }
        _ => Route::NotFound,
    }
}

/// Who sent a request.
enum Auth<'a> {
    Anonymous,
    Invalid,
    User(&'a SimUser),
}

fn authenticate<'a>(shared: &'a Shared, parts: &Parts) -> Auth<'a> {
    let Some(value) = parts.headers.get(http::header::AUTHORIZATION) else {
        return Auth::Anonymous;
    };
    let Ok(value) = value.to_str() else {
        return Auth::Invalid;
    };
    let (scheme, cred) = value.trim().split_once(' ').unwrap_or((value, ""));
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        Some(cred.trim().to_owned())
    } else if scheme.eq_ignore_ascii_case("basic") {
        base64::engine::general_purpose::STANDARD
            .decode(cred.trim())
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|s| s.split_once(':').map(|(_, pass)| pass.to_owned()))
    } else {
        None
    };
    match token.and_then(|t| shared.cfg.user_by_token(&t)) {
        Some(u) => Auth::User(u),
        None => Auth::Invalid,
    }
}

/// What a handler gets.
struct Ctx<'a> {
    shared: &'a Shared,
    parts: &'a Parts,
    query: Vec<(String, String)>,
    user: Option<&'a SimUser>,
    body: Bytes,
}

impl Ctx<'_> {
    fn require_user(&self) -> Result<&SimUser, SimError> {
        self.user.ok_or_else(|| {
            SimError::new(
                401,
                None,
                "Invalid username or password. (this endpoint needs a token)",
            )
        })
    }

    fn json_body<T: for<'de> Deserialize<'de>>(&self) -> Result<T, SimError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| SimError::new(400, None, format!("Invalid JSON body: {e}")))
    }

    /// The request's `Range` header.
    fn range(&self) -> Option<&str> {
        self.parts
            .headers
            .get(http::header::RANGE)
            .and_then(|v| v.to_str().ok())
    }

    fn hub_url(&self, path: &str) -> String {
        format!("{}{}", self.shared.hub_url, path)
    }

    /// `Link: <this URL with `set` replacing or adding parameters>; rel="next"`.
    fn next_link(&self, set: &[(&str, String)], drop: &[&str]) -> String {
        let mut url = self.shared.hub_url.clone();
        url.set_path(self.parts.uri.path());
        {
            let mut q = url.query_pairs_mut();
            q.clear();
            for (k, v) in &self.query {
                if !drop.contains(&k.as_str()) && !set.iter().any(|(s, _)| s == k) {
                    q.append_pair(k, v);
                }
            }
            for (k, v) in set {
                q.append_pair(k, v);
            }
        }
        format!("<{url}>; rel=\"next\"")
    }
}

/// Handles a classified request whose body has been read.
pub(crate) fn dispatch(shared: &Shared, route: Route, parts: &Parts, body: Bytes) -> Resp {
    let is_storage = matches!(
        route,
        Route::StoragePut { .. }
            | Route::StoragePart { .. }
            | Route::StorageComplete { .. }
            | Route::StorageGet { .. }
    );
    let user = if is_storage {
        None
    } else {
        match authenticate(shared, parts) {
            Auth::Anonymous => None,
            Auth::User(u) => Some(u),
            Auth::Invalid => {
                return error_response(&SimError::new(
                    401,
                    None,
                    "Invalid credentials in Authorization header",
                ));
            }
        }
    };
    let ctx = Ctx {
        shared,
        parts,
        query: query_pairs(parts.uri.query()),
        user,
        body,
    };
    let result = match route {
        Route::CreateRepo => create_repo(&ctx),
        Route::DeleteRepo => delete_repo(&ctx),
        Route::Whoami => whoami(&ctx),
        // The official client validates a README's YAML front matter before committing it;
        // the simulator accepts any: no errors, no warnings.
        Route::ValidateYaml => Ok(json(200, &json!({"errors": [], "warnings": []}))),
        Route::List(kind) => list_repos(&ctx, kind),
        Route::Info { repo, rev } => repo_info(&ctx, &repo, rev.as_deref()),
        Route::Tree { repo, rev, path } => tree(&ctx, &repo, &rev, &path),
        Route::PathsInfo { repo, rev } => paths_info(&ctx, &repo, &rev),
        Route::Commits { repo, rev } => list_commits(&ctx, &repo, &rev),
        Route::Refs { repo } => refs(&ctx, &repo),
        Route::Preupload { repo, rev } => preupload(&ctx, &repo, &rev),
        Route::Commit { repo, rev } => commit(&ctx, &repo, &rev),
        Route::LfsBatch { repo } => lfs_batch(&ctx, &repo),
        Route::LfsVerify { repo } => lfs_verify(&ctx, &repo),
        Route::Resolve { repo, rev, path } => resolve(&ctx, &repo, &rev, &path),
        Route::StoragePut { oid } => storage_put(&ctx, &oid),
        Route::StoragePart { oid, part } => storage_part(&ctx, &oid, part),
        Route::StorageComplete { oid } => storage_complete(&ctx, &oid),
        Route::StorageGet { oid } => {
            crate::resolve::storage_get(&ctx.shared.state(), &oid, ctx.range())
        }
        Route::NotFound => Err(SimError::new(
            404,
            None,
            format!(
                "Sorry, we can't find the page you are looking for: {} {}",
                parts.method,
                parts.uri.path()
            ),
        )),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

// ---------------------------------------------------------------- access helpers

fn repo_not_found(ctx: &Ctx<'_>) -> SimError {
    if ctx.user.is_some() {
        SimError::new(404, Some("RepoNotFound"), "Repository not found")
    } else {
        SimError::new(
            401,
            Some("RepoNotFound"),
            "Repository not found (or private: authenticate to see it)",
        )
    }
}

fn read_repo<'s>(state: &'s State, ctx: &Ctx<'_>, r: &RepoRef) -> Result<&'s Repo, SimError> {
    match state.repos.get(&(r.kind, r.id.clone())) {
        Some(repo) if repo.visible_to(ctx.user) => Ok(repo),
        _ => Err(repo_not_found(ctx)),
    }
}

fn check_write(state: &State, ctx: &Ctx<'_>, r: &RepoRef) -> Result<(), SimError> {
    let user = ctx.require_user()?;
    let repo = read_repo(state, ctx, r)?;
    if may_write(user, repo.namespace()) {
        Ok(())
    } else {
        Err(SimError::new(
            403,
            None,
            format!("You don't have the rights to write to {}", repo.id),
        ))
    }
}

fn resolve_rev(repo: &Repo, rev: &str) -> Result<usize, SimError> {
    repo.resolve(rev).ok_or_else(|| {
        SimError::new(
            404,
            Some("RevisionNotFound"),
            format!("Invalid rev id: {rev}"),
        )
    })
}

// ---------------------------------------------------------------- repos and identity

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

fn create_repo(ctx: &Ctx<'_>) -> Result<Resp, SimError> {
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

fn delete_repo(ctx: &Ctx<'_>) -> Result<Resp, SimError> {
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

fn whoami(ctx: &Ctx<'_>) -> Result<Resp, SimError> {
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

// ---------------------------------------------------------------- listings and info

/// The keys a listing item carries when neither `full` nor `expand[]` is given.
fn default_list_keys(kind: RepoType) -> &'static [&'static str] {
    match kind {
        RepoType::Model => &[
            "_id",
            "id",
            "likes",
            "trendingScore",
            "private",
            "downloads",
            "tags",
            "pipeline_tag",
            "library_name",
            "createdAt",
            "modelId",
        ],
        RepoType::Dataset => &[
            "_id",
            "id",
            "author",
            "sha",
            "lastModified",
            "private",
            "gated",
            "disabled",
            "downloads",
            "likes",
            "tags",
            "trendingScore",
            "createdAt",
        ],
        RepoType::Space => &[
            "_id",
            "id",
            "author",
            "sha",
            "lastModified",
            "private",
            "likes",
            "tags",
            "sdk",
            "createdAt",
            "trendingScore",
        ],
        RepoType::Kernel => &[
            "_id",
            "id",
            "author",
            "sha",
            "lastModified",
            "private",
            "likes",
            "tags",
            "createdAt",
            "trendingScore",
        ],
    }
}

/// A listing item without `full` or `expand[]`: the keys of [`default_list_keys`].
#[derive(Serialize)]
struct ListItem<'a> {
    #[serde(rename = "_id")]
    object_id: &'a str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha: Option<&'a str>,
    #[serde(rename = "lastModified", skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    private: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    gated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    downloads: Option<u64>,
    likes: u64,
    #[serde(rename = "trendingScore")]
    trending_score: u64,
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pipeline_tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    library_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sdk: Option<&'a str>,
    #[serde(rename = "createdAt")]
    created_at: String,
    #[serde(rename = "modelId", skip_serializing_if = "Option::is_none")]
    model_id: Option<&'a str>,
}

impl<'a> ListItem<'a> {
    fn new(repo: &'a Repo) -> ListItem<'a> {
        let is_model = repo.kind == RepoType::Model;
        let head = repo.main_head();
        ListItem {
            object_id: &repo.object_id,
            id: &repo.id,
            author: (!is_model).then(|| repo.namespace()),
            sha: if is_model {
                None
            } else {
                head.map(|c| c.id.as_str())
            },
            last_modified: (!is_model).then(|| fmt_date(&repo.last_modified())),
            private: repo.private,
            gated: (repo.kind == RepoType::Dataset).then_some(false),
            disabled: (repo.kind == RepoType::Dataset).then_some(false),
            downloads: (repo.kind != RepoType::Space).then_some(repo.downloads),
            likes: repo.likes,
            trending_score: repo.likes,
            tags: &repo.tags,
            pipeline_tag: if is_model { repo.pipeline_tag } else { None },
            library_name: if is_model { repo.library_name } else { None },
            sdk: if repo.kind == RepoType::Space {
                repo.sdk.as_deref()
            } else {
                None
            },
            created_at: fmt_date(&repo.created_at),
            model_id: is_model.then_some(repo.id.as_str()),
        }
    }
}

/// Every field of a repository's info at commit `idx`.
fn repo_json(repo: &Repo, idx: usize, blobs: bool) -> Map<String, Value> {
    let commit = repo.commits.get(idx);
    let mut m = Map::new();
    m.insert("_id".into(), json!(repo.object_id));
    m.insert("id".into(), json!(repo.id));
    if repo.kind == RepoType::Model {
        m.insert("modelId".into(), json!(repo.id));
    }
    m.insert("author".into(), json!(repo.namespace()));
    m.insert("sha".into(), json!(commit.map(|c| c.id.as_str())));
    m.insert(
        "lastModified".into(),
        json!(fmt_date(&commit.map_or(repo.created_at, |c| c.date))),
    );
    m.insert("private".into(), json!(repo.private));
    m.insert("gated".into(), json!(false));
    m.insert("disabled".into(), json!(false));
    if repo.kind != RepoType::Space {
        m.insert("downloads".into(), json!(repo.downloads));
    }
    m.insert("likes".into(), json!(repo.likes));
    m.insert("trendingScore".into(), json!(repo.likes));
    m.insert("tags".into(), json!(repo.tags));
    if let Some(p) = repo.pipeline_tag {
        m.insert("pipeline_tag".into(), json!(p));
    }
    if let Some(l) = repo.library_name {
        m.insert("library_name".into(), json!(l));
    }
    if let Some(sdk) = &repo.sdk {
        m.insert("sdk".into(), json!(sdk));
    }
    m.insert("createdAt".into(), json!(fmt_date(&repo.created_at)));
    let mut used = 0u64;
    let siblings: Vec<Value> = commit
        .map(|c| {
            c.tree
                .iter()
                .map(|(path, entry)| {
                    used += entry.size();
                    let mut s = Map::new();
                    s.insert("rfilename".into(), json!(path));
                    if blobs {
                        s.insert("size".into(), json!(entry.size()));
                        s.insert("blobId".into(), json!(entry.git_oid()));
                        if let Entry::Lfs {
                            sha256,
                            size,
                            pointer_size,
                            ..
                        } = entry
                        {
                            s.insert(
                                "lfs".into(),
                                json!({ "sha256": sha256, "size": size, "pointerSize": pointer_size }),
                            );
                        }
                    }
                    Value::Object(s)
                })
                .collect()
        })
        .unwrap_or_default();
    m.insert("siblings".into(), Value::Array(siblings));
    if repo.kind == RepoType::Model {
        m.insert("spaces".into(), json!([]));
    }
    m.insert("usedStorage".into(), json!(used));
    m
}

/// Keeps `_id`, `id` and the `expand[]` fields, or the given default keys.
fn select(mut m: Map<String, Value>, keys: Option<&[&str]>, expand: &[&str]) -> Value {
    if !expand.is_empty() {
        m.retain(|k, _| k == "_id" || k == "id" || expand.contains(&k.as_str()));
    } else if let Some(keys) = keys {
        m.retain(|k, _| keys.contains(&k.as_str()));
    }
    Value::Object(m)
}

fn expand_params(query: &[(String, String)]) -> Vec<&str> {
    let mut v = query.all("expand[]");
    v.extend(query.all("expand"));
    v
}

fn list_repos(ctx: &Ctx<'_>, kind: RepoType) -> Result<Resp, SimError> {
    let q = &ctx.query;
    let cap = ctx.shared.cfg.list_page_cap;
    let limit = match q.number("limit")? {
        Some(n) if n < 1 => {
            return Err(SimError::new(400, None, "limit must be at least 1"));
        }
        Some(n) => usize::try_from(n).unwrap_or(cap).min(cap),
        None => cap,
    };
    let offset = match q.param("cursor") {
        Some(c) => decode_cursor(c)?,
        None => match q.number("skip")? {
            Some(n) => usize::try_from(n).map_err(|_| SimError::new(400, None, "Invalid skip"))?,
            None => 0,
        },
    };
    let descending = match q.param("direction") {
        None => true,
        Some(d) => d.trim() == "-1",
    };
    let key = ListKey {
        kind,
        viewer: ctx.user.map(|u| u.name.clone()),
        search: q
            .param("search")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        author: q
            .param("author")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        filters: q
            .all("filter")
            .into_iter()
            .flat_map(|f| f.split(','))
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        sort: q.param("sort").filter(|s| !s.is_empty()).map(str::to_owned),
        descending,
        generation: 0,
    };
    let full = q.flag("full");
    let expand = expand_params(q);
    let mut state = ctx.shared.state();
    let positions = state.listing(key, ctx.user)?;
    let end = offset.saturating_add(limit).min(positions.len());
    let page = positions.get(offset.min(end)..end).unwrap_or_default();
    let keys = (!full).then(|| default_list_keys(kind));
    let repos = page
        .iter()
        .filter_map(|p| state.repos.get_index(*p as usize))
        .map(|(_, repo)| repo);
    // The common case (no `full`, no `expand[]`) serializes borrowed structs directly: a page
    // of 1000 items costs no intermediate JSON tree.
    let body = if !full && expand.is_empty() {
        serde_json::to_vec(&repos.map(ListItem::new).collect::<Vec<_>>())
    } else {
        serde_json::to_vec(
            &repos
                .map(|repo| {
                    let head = repo.branches.get("main").copied().unwrap_or(0);
                    select(repo_json(repo, head, false), keys, &expand)
                })
                .collect::<Vec<_>>(),
        )
    }
    .map_err(|e| SimError::new(500, None, format!("serialization failed: {e}")))?;
    let more = end < positions.len();
    drop(state);
    let mut resp = response(200, "application/json; charset=utf-8", Bytes::from(body));
    if more {
        let link = ctx.next_link(&[("cursor", encode_cursor(end))], &["skip"]);
        set_header(&mut resp, "link", &link);
    }
    Ok(resp)
}

fn repo_info(ctx: &Ctx<'_>, r: &RepoRef, rev: Option<&str>) -> Result<Resp, SimError> {
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let idx = resolve_rev(repo, rev.unwrap_or("main"))?;
    let blobs = ctx.query.flag("blobs");
    let expand = expand_params(&ctx.query);
    let value = select(repo_json(repo, idx, blobs), None, &expand);
    Ok(json(200, &value))
}

// ---------------------------------------------------------------- tree

enum Item<'t> {
    File(&'t Entry),
    Dir,
}

/// The entries under `dir` (all of them when `recursive`), directories before their content.
fn tree_items<'t>(tree: &'t Tree, dir: &str, recursive: bool) -> Vec<(String, Item<'t>)> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut out = Vec::new();
    let mut seen_dirs: HashSet<String> = HashSet::new();
    for (path, entry) in tree.range(prefix.clone()..) {
        let Some(rel) = path.strip_prefix(&prefix) else {
            break;
        };
        if recursive {
            for (i, b) in rel.bytes().enumerate() {
                if b == b'/' {
                    let d = format!("{prefix}{}", &rel[..i]);
                    if seen_dirs.insert(d.clone()) {
                        out.push((d, Item::Dir));
                    }
                }
            }
            out.push((path.clone(), Item::File(entry)));
        } else {
            match rel.split_once('/') {
                Some((first, _)) => {
                    let d = format!("{prefix}{first}");
                    if seen_dirs.insert(d.clone()) {
                        out.push((d, Item::Dir));
                    }
                }
                None => out.push((path.clone(), Item::File(entry))),
            }
        }
    }
    out
}

/// A stable id for a directory: sha1 over its files' paths and blob ids.
fn dir_oid(tree: &Tree, dir: &str) -> String {
    let prefix = format!("{dir}/");
    let mut h = sha1::Sha1::default();
    for (path, entry) in tree.range(prefix.clone()..) {
        if !path.starts_with(&prefix) {
            break;
        }
        sha1::Digest::update(&mut h, path.as_bytes());
        sha1::Digest::update(&mut h, entry.git_oid().as_bytes());
    }
    crate::util::hex(&sha1::Digest::finalize(h))
}

/// The newest commit of `head`'s history that changed `path` (a file or a folder).
fn last_commit_for(repo: &Repo, head: usize, path: &str, is_dir: bool) -> usize {
    let fingerprint = |idx: usize| -> Option<String> {
        let tree = &repo.commits.get(idx)?.tree;
        if is_dir {
            Some(dir_oid(tree, path))
        } else {
            tree.get(path).map(|e| e.git_oid().to_owned())
        }
    };
    let history = repo.history(head);
    let mut last = head;
    let mut current = fingerprint(head);
    for &idx in history.iter().skip(1) {
        let fp = fingerprint(idx);
        if fp != current {
            break;
        }
        last = idx;
        current = fp;
    }
    last
}

/// The fields a tree or paths-info entry of a file carries: type, git oid, size, and `lfs`.
fn file_fields(m: &mut Map<String, Value>, entry: &Entry) {
    m.insert("type".into(), json!("file"));
    m.insert("oid".into(), json!(entry.git_oid()));
    m.insert("size".into(), json!(entry.size()));
    if let Entry::Lfs {
        sha256,
        size,
        pointer_size,
        ..
    } = entry
    {
        m.insert(
            "lfs".into(),
            json!({ "oid": sha256, "size": size, "pointerSize": pointer_size }),
        );
    }
}

/// `POST …/paths-info/{rev}` with `{"paths": [...]}` (JSON, as hf-hub-api sends it) or
/// `paths=a&paths=b` (a form, as the official Python client sends it): the entries that exist.
fn paths_info(ctx: &Ctx<'_>, r: &RepoRef, rev: &str) -> Result<Resp, SimError> {
    let paths: Vec<String> = match ctx.json_body::<Value>() {
        Ok(v) => v
            .get("paths")
            .and_then(Value::as_array)
            .ok_or_else(|| SimError::new(400, None, "`paths` must be an array"))?
            .iter()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect(),
        Err(_) => {
            let text = String::from_utf8_lossy(&ctx.body).into_owned();
            url::form_urlencoded::parse(text.as_bytes())
                .filter(|(k, _)| k == "paths")
                .map(|(_, v)| v.into_owned())
                .collect()
        }
    };
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let idx = resolve_rev(repo, rev)?;
    let Some(commit) = repo.commits.get(idx) else {
        return Err(SimError::new(
            404,
            Some("RevisionNotFound"),
            format!("Invalid rev id: {rev}"),
        ));
    };
    let mut out = Vec::new();
    for p in paths {
        if let Some(entry) = commit.tree.get(&p) {
            let mut m = Map::new();
            file_fields(&mut m, entry);
            m.insert("path".into(), json!(p));
            out.push(Value::Object(m));
        } else if commit.tree.keys().any(|k| k.starts_with(&format!("{p}/"))) {
            out.push(json!({"type": "directory", "path": p, "oid": dir_oid(&commit.tree, &p), "size": 0}));
        }
    }
    Ok(json(200, &Value::Array(out)))
}

fn tree(ctx: &Ctx<'_>, r: &RepoRef, rev: &str, path: &str) -> Result<Resp, SimError> {
    let q = &ctx.query;
    let expand = q.flag("expand");
    let recursive = q.flag("recursive");
    let cfg = &ctx.shared.cfg;
    let page_cap = if expand {
        cfg.tree_expand_page_size
    } else {
        cfg.tree_page_size
    };
    let limit = match q.number("limit")? {
        Some(n) if n < 1 => return Err(SimError::new(400, None, "limit must be at least 1")),
        Some(n) => usize::try_from(n).unwrap_or(page_cap).min(page_cap),
        None => page_cap,
    };
    let offset = match q.param("cursor") {
        Some(c) => decode_cursor(c)?,
        None => 0,
    };
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let idx = resolve_rev(repo, rev)?;
    let Some(commit) = repo.commits.get(idx) else {
        return Err(SimError::new(
            404,
            Some("RevisionNotFound"),
            format!("Invalid rev id: {rev}"),
        ));
    };
    let tree = &commit.tree;
    if !path.is_empty() && tree.contains_key(path) {
        return Err(SimError::new(
            404,
            Some("EntryNotFound"),
            format!("{path} is a file, not a directory, at {rev}"),
        ));
    }
    let items = tree_items(tree, path, recursive);
    if !path.is_empty() && items.is_empty() {
        return Err(SimError::new(
            404,
            Some("EntryNotFound"),
            format!("Entry not found: {path} does not exist at {rev}"),
        ));
    }
    let end = offset.saturating_add(limit).min(items.len());
    let page = items.get(offset.min(end)..end).unwrap_or_default();
    let mut out = Vec::with_capacity(page.len());
    for (p, item) in page {
        let mut m = Map::new();
        match item {
            Item::File(entry) => file_fields(&mut m, entry),
            Item::Dir => {
                m.insert("type".into(), json!("directory"));
                m.insert("oid".into(), json!(dir_oid(tree, p)));
                m.insert("size".into(), json!(0));
            }
        }
        m.insert("path".into(), json!(p));
        if expand {
            let is_dir = matches!(item, Item::Dir);
            let last = last_commit_for(repo, idx, p, is_dir);
            if let Some(c) = repo.commits.get(last) {
                m.insert(
                    "lastCommit".into(),
                    json!({ "id": c.id, "title": c.title, "date": fmt_date(&c.date) }),
                );
            }
            if !is_dir {
                m.insert(
                    "securityFileStatus".into(),
                    json!({ "status": "unscanned" }),
                );
            }
        }
        out.push(Value::Object(m));
    }
    let more = end < items.len();
    drop(state);
    let mut resp = json(200, &out);
    if more {
        let link = ctx.next_link(&[("cursor", encode_cursor(end))], &[]);
        set_header(&mut resp, "link", &link);
    }
    Ok(resp)
}

// ---------------------------------------------------------------- commits and refs

fn list_commits(ctx: &Ctx<'_>, r: &RepoRef, rev: &str) -> Result<Resp, SimError> {
    let q = &ctx.query;
    let page = match q.number("p")? {
        Some(p) if p < 0 => return Err(SimError::new(400, None, "p must not be negative")),
        Some(p) => usize::try_from(p).unwrap_or(usize::MAX),
        None => 0,
    };
    let limit = match q.number("limit")? {
        Some(n) if !(1..=1000).contains(&n) => {
            return Err(SimError::new(400, None, "limit must be between 1 and 1000"));
        }
        Some(n) => usize::try_from(n).unwrap_or(50),
        None => 50,
    };
    let formatted = expand_params(q).contains(&"formatted");
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let head = resolve_rev(repo, rev)?;
    let history = repo.history(head);
    let start = page.saturating_mul(limit).min(history.len());
    let end = start.saturating_add(limit).min(history.len());
    let items: Vec<Value> = history
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .filter_map(|i| repo.commits.get(*i))
        .map(|c| {
            let mut v = json!({
                "id": c.id,
                "title": c.title,
                "message": c.message,
                "authors": [{ "user": c.author, "avatar": "/avatars/default.svg" }],
                "date": fmt_date(&c.date),
            });
            if formatted && let Some(o) = v.as_object_mut() {
                o.insert(
                    "formatted".into(),
                    json!({ "title": c.title, "message": c.message }),
                );
            }
            v
        })
        .collect();
    let total = history.len();
    drop(state);
    let mut resp = json(200, &items);
    set_header(&mut resp, "x-total-count", &total.to_string());
    if end < total {
        let link = ctx.next_link(&[("p", (page + 1).to_string())], &[]);
        set_header(&mut resp, "link", &link);
    }
    Ok(resp)
}

fn refs(ctx: &Ctx<'_>, r: &RepoRef) -> Result<Resp, SimError> {
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let target = |i: &usize| repo.commits.get(*i).map(|c| c.id.clone());
    let branches: Vec<Value> = repo
        .branches
        .iter()
        .map(|(n, i)| json!({ "name": n, "ref": format!("refs/heads/{n}"), "targetCommit": target(i) }))
        .collect();
    let tags: Vec<Value> = repo
        .tag_refs
        .iter()
        .map(|(n, i)| json!({ "name": n, "ref": format!("refs/tags/{n}"), "targetCommit": target(i) }))
        .collect();
    let mut out = json!({ "branches": branches, "tags": tags, "converts": [] });
    if ctx.query.flag("include_prs")
        && let Some(o) = out.as_object_mut()
    {
        let prs: Vec<Value> = repo
            .prs
            .iter()
            .enumerate()
            .map(|(n, i)| {
                let r = format!("refs/pr/{}", n + 1);
                json!({ "name": r, "ref": r, "targetCommit": target(i) })
            })
            .collect();
        o.insert("pullRequests".into(), Value::Array(prs));
    }
    Ok(json(200, &out))
}

// ---------------------------------------------------------------- preupload

#[derive(Deserialize)]
struct PreuploadBody {
    files: Vec<PreuploadFile>,
}

#[derive(Deserialize)]
struct PreuploadFile {
    path: String,
    size: f64,
    #[allow(dead_code)]
    sample: String,
}

fn preupload(ctx: &Ctx<'_>, r: &RepoRef, rev: &str) -> Result<Resp, SimError> {
    let body: PreuploadBody = ctx.json_body()?;
    let max = ctx.shared.cfg.max_preupload_files;
    if body.files.len() > max {
        return Err(SimError::new(
            413,
            None,
            format!("Too many files: at most {max} per preupload call"),
        ));
    }
    let state = ctx.shared.state();
    check_write(&state, ctx, r)?;
    let repo = read_repo(&state, ctx, r)?;
    let idx = resolve_rev(repo, rev)?;
    let Some(commit) = repo.commits.get(idx) else {
        return Err(SimError::new(
            404,
            Some("RevisionNotFound"),
            format!("Invalid rev id: {rev}"),
        ));
    };
    let threshold = ctx.shared.cfg.lfs_threshold;
    let mut files = Vec::with_capacity(body.files.len());
    for f in &body.files {
        validate_path(&f.path)?;
        if !(f.size >= 0.0 && f.size.is_finite()) {
            return Err(SimError::new(
                400,
                None,
                format!("Invalid size for {}", f.path),
            ));
        }
        let size = f.size as u64;
        let mode = if size > 0 && size >= threshold {
            "lfs"
        } else {
            "regular"
        };
        let oid = commit.tree.get(&f.path).map(|e| e.remote_oid().to_owned());
        files
            .push(json!({ "path": f.path, "uploadMode": mode, "shouldIgnore": false, "oid": oid }));
    }
    Ok(json(
        200,
        &json!({ "files": files, "commitOid": commit.id }),
    ))
}

// ---------------------------------------------------------------- commit

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    key: String,
    value: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HeaderLine {
    summary: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parent_commit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileLine {
    content: String,
    path: String,
    encoding: String,
    #[serde(default)]
    old_path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LfsFileLine {
    path: String,
    algo: String,
    oid: String,
    size: u64,
    #[serde(default)]
    old_path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathLine {
    path: String,
}

fn line_value<T: for<'de> Deserialize<'de>>(n: usize, key: &str, v: Value) -> Result<T, SimError> {
    serde_json::from_value(v)
        .map_err(|e| SimError::new(400, None, format!("Invalid {key} at line {n}: {e}")))
}

/// Parses the ndjson body of a commit. Any error rejects the whole commit.
fn parse_commit(body: &[u8]) -> Result<CommitRequest, SimError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| SimError::new(400, None, "The commit body is not UTF-8"))?;
    let mut header: Option<HeaderLine> = None;
    let mut ops = Vec::new();
    let mut put_paths: HashSet<String> = HashSet::new();
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let Line { key, value } = serde_json::from_str(line)
            .map_err(|e| SimError::new(400, None, format!("Invalid JSON at line {n}: {e}")))?;
        if header.is_none() && key != "header" {
            return Err(SimError::new(
                400,
                None,
                format!("The first line must be the header, got {key:?} at line {n}"),
            ));
        }
        match key.as_str() {
            "header" => {
                if header.is_some() {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Second header at line {n}"),
                    ));
                }
                let h: HeaderLine = line_value(n, &key, value)?;
                if h.summary.trim().is_empty() {
                    return Err(SimError::new(
                        400,
                        None,
                        "The commit summary must not be empty",
                    ));
                }
                if let Some(p) = &h.parent_commit
                    && !is_hex(p, 40)
                {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Invalid parentCommit: {p}"),
                    ));
                }
                header = Some(h);
            }
            "file" => {
                let f: FileLine = line_value(n, &key, value)?;
                validate_path(&f.path)?;
                if f.encoding != "base64" {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Unsupported encoding {:?} at line {n}", f.encoding),
                    ));
                }
                let data = base64::engine::general_purpose::STANDARD
                    .decode(f.content.as_bytes())
                    .map_err(|e| {
                        SimError::new(
                            400,
                            None,
                            format!("Invalid base64 content at line {n}: {e}"),
                        )
                    })?;
                if let Some(old) = &f.old_path {
                    validate_path(old)?;
                }
                if !put_paths.insert(f.path.clone()) {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("{} appears twice", f.path),
                    ));
                }
                ops.push(Op::Put {
                    path: f.path,
                    entry: Entry::regular(Bytes::from(data)),
                    old_path: f.old_path,
                });
            }
            "lfsFile" => {
                let f: LfsFileLine = line_value(n, &key, value)?;
                validate_path(&f.path)?;
                if f.algo != "sha256" {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Unsupported algo {:?} at line {n}", f.algo),
                    ));
                }
                if !is_hex(&f.oid, 64) {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("Invalid LFS oid {:?} at line {n}", f.oid),
                    ));
                }
                if let Some(old) = &f.old_path {
                    validate_path(old)?;
                }
                if !put_paths.insert(f.path.clone()) {
                    return Err(SimError::new(
                        400,
                        None,
                        format!("{} appears twice", f.path),
                    ));
                }
                ops.push(Op::Put {
                    path: f.path,
                    entry: Entry::lfs(f.oid, f.size),
                    old_path: f.old_path,
                });
            }
            "deletedFile" => {
                let f: PathLine = line_value(n, &key, value)?;
                validate_path(&f.path)?;
                ops.push(Op::DeleteFile { path: f.path });
            }
            "deletedFolder" => {
                let f: PathLine = line_value(n, &key, value)?;
                let path = f.path.trim_end_matches('/').to_owned();
                validate_path(&path)?;
                ops.push(Op::DeleteFolder { path });
            }
            other => {
                return Err(SimError::new(
                    400,
                    None,
                    format!("Unknown key {other:?} at line {n}"),
                ));
            }
        }
    }
    let header = header.ok_or_else(|| SimError::new(400, None, "Empty commit body: no header"))?;
    Ok(CommitRequest {
        summary: header.summary,
        description: header.description.unwrap_or_default(),
        parent_commit: header.parent_commit,
        ops,
    })
}

fn commit(ctx: &Ctx<'_>, r: &RepoRef, rev: &str) -> Result<Resp, SimError> {
    let content_type = ctx
        .parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.contains("application/x-ndjson") {
        return Err(SimError::new(
            415,
            None,
            format!(
                "The simulator accepts only application/x-ndjson commits, not {content_type:?}"
            ),
        ));
    }
    {
        let state = ctx.shared.state();
        check_write(&state, ctx, r)?;
    }
    let req = parse_commit(&ctx.body)?;
    let create_pr = ctx.query.flag("create_pr");
    let author = ctx.require_user()?.name.clone();
    let outcome = ctx
        .shared
        .state()
        .apply_commit(r.kind, &r.id, rev, req, create_pr, &author)?;
    let base = format!("{}{}", r.kind.url_prefix(), r.id);
    let mut out = json!({
        "success": true,
        "commitOid": outcome.oid,
        "commitUrl": ctx.hub_url(&format!("{base}/commit/{}", outcome.oid)),
        "hookOutput": "",
    });
    if let (Some(n), Some(o)) = (outcome.pr, out.as_object_mut()) {
        o.insert(
            "pullRequestUrl".into(),
            json!(ctx.hub_url(&format!("{base}/discussions/{n}"))),
        );
    }
    Ok(json(200, &out))
}

// ---------------------------------------------------------------- LFS

#[derive(Deserialize)]
struct BatchBody {
    operation: String,
    #[serde(default)]
    transfers: Vec<String>,
    #[serde(default)]
    hash_algo: Option<String>,
    objects: Vec<BatchObject>,
}

#[derive(Deserialize)]
struct BatchObject {
    oid: String,
    size: u64,
}

fn lfs_json(status: u16, value: &Value) -> Resp {
    let mut resp = json(status, value);
    set_header(&mut resp, "content-type", "application/vnd.git-lfs+json");
    resp
}

/// Most parts of one multipart upload (the S3 limit).
const MAX_PARTS: u64 = 10_000;

fn lfs_batch(ctx: &Ctx<'_>, r: &RepoRef) -> Result<Resp, SimError> {
    ctx.require_user()?;
    {
        let state = ctx.shared.state();
        check_write(&state, ctx, r)?;
    }
    let body: BatchBody = ctx.json_body()?;
    if body.operation != "upload" {
        return Err(SimError::new(
            422,
            None,
            format!(
                "Unsupported operation {:?}: the simulator serves uploads",
                body.operation
            ),
        ));
    }
    if let Some(algo) = &body.hash_algo
        && algo != "sha256"
    {
        return Err(SimError::new(
            422,
            None,
            format!("Unsupported hash_algo {algo:?}"),
        ));
    }
    let max = ctx.shared.cfg.max_lfs_batch_objects;
    if body.objects.len() > max {
        return Err(SimError::new(
            413,
            None,
            format!("Too many objects: at most {max} per batch"),
        ));
    }
    let cfg = &ctx.shared.cfg;
    let multipart_offered = body.transfers.iter().any(|t| t == "multipart");
    let storage = ctx.shared.storage_url.as_str();
    let verify_href = ctx.hub_url(&format!(
        "{}{}.git/info/lfs/objects/verify",
        r.kind.url_prefix(),
        r.id
    ));
    let mut any_multipart = false;
    let mut objects = Vec::with_capacity(body.objects.len());
    let mut state = ctx.shared.state();
    for obj in &body.objects {
        if !is_hex(&obj.oid, 64) {
            objects.push(json!({
                "oid": obj.oid, "size": obj.size,
                "error": { "code": 422, "message": "Invalid oid: expected 64 lower-case hex digits (sha256)" },
            }));
            continue;
        }
        if let Some(stored) = state.lfs.get(&obj.oid) {
            if stored.len() as u64 == obj.size {
                objects.push(json!({ "oid": obj.oid, "size": obj.size }));
            } else {
                objects.push(json!({
                    "oid": obj.oid, "size": obj.size,
                    "error": { "code": 422, "message": format!("Size mismatch: the stored object has {} bytes", stored.len()) },
                }));
            }
            continue;
        }
        let use_multipart =
            multipart_offered && obj.size >= cfg.multipart_threshold && obj.size > 0;
        if use_multipart && div_ceil(obj.size, cfg.multipart_chunk_size) > MAX_PARTS {
            objects.push(json!({
                "oid": obj.oid, "size": obj.size,
                "error": { "code": 422, "message": format!("Object too large: more than {MAX_PARTS} parts") },
            }));
            continue;
        }
        state.pending_uploads.insert(obj.oid.clone(), obj.size);
        let upload = if use_multipart {
            any_multipart = true;
            let chunk = cfg.multipart_chunk_size;
            let parts = div_ceil(obj.size, chunk);
            let mut header = Map::new();
            header.insert("chunk_size".into(), json!(chunk.to_string()));
            for n in 1..=parts {
                header.insert(
                    format!("{n:05}"),
                    json!(format!("{storage}upload/{}/part/{n}", obj.oid)),
                );
            }
            state.multipart.insert(
                obj.oid.clone(),
                Multipart {
                    size: obj.size,
                    chunk_size: chunk,
                    parts: Default::default(),
                    assembly: std::sync::Arc::new(crate::assembly::Assembly::new(obj.size, chunk)),
                },
            );
            json!({ "href": format!("{storage}upload/{}/complete", obj.oid), "header": header })
        } else {
            state.multipart.remove(&obj.oid);
            json!({ "href": format!("{storage}upload/{}", obj.oid) })
        };
        objects.push(json!({
            "oid": obj.oid,
            "size": obj.size,
            "authenticated": true,
            "actions": {
                "upload": upload,
                "verify": { "href": verify_href },
            },
        }));
    }
    drop(state);
    let transfer = if any_multipart { "multipart" } else { "basic" };
    Ok(lfs_json(
        200,
        &json!({ "transfer": transfer, "hash_algo": "sha256", "objects": objects }),
    ))
}

#[derive(Deserialize)]
struct VerifyBody {
    oid: String,
    size: u64,
}

fn lfs_verify(ctx: &Ctx<'_>, r: &RepoRef) -> Result<Resp, SimError> {
    ctx.require_user()?;
    let state = ctx.shared.state();
    check_write(&state, ctx, r)?;
    let body: VerifyBody = ctx.json_body()?;
    match state.lfs.get(&body.oid) {
        Some(data) if data.len() as u64 == body.size => Ok(lfs_json(200, &json!({}))),
        Some(data) => Err(SimError::new(
            422,
            None,
            format!(
                "Size mismatch for {}: stored {} bytes, not {}",
                body.oid,
                data.len(),
                body.size
            ),
        )),
        None => Err(SimError::new(
            404,
            None,
            format!("Object {} not found", body.oid),
        )),
    }
}

// ---------------------------------------------------------------- storage origin

/// A part's `ETag`: a digest of its content (CRC-32 and length, 32 hex digits), as storage
/// answers one; cheap, so that receiving parts is not slowed by it.
fn etag_of(data: &[u8]) -> String {
    format!("\"{:08x}{:024x}\"", crc32fast::hash(data), data.len())
}

fn storage_put(ctx: &Ctx<'_>, oid: &str) -> Result<Resp, SimError> {
    let mut state = ctx.shared.state();
    let Some(&expected) = state.pending_uploads.get(oid) else {
        return Err(SimError::new(
            403,
            None,
            format!("No upload of {oid} was requested through the LFS batch endpoint"),
        ));
    };
    let data = ctx.body.clone();
    if data.len() as u64 != expected {
        return Err(SimError::new(
            400,
            None,
            format!(
                "Size mismatch: got {} bytes, the batch announced {expected}",
                data.len()
            ),
        ));
    }
    let actual = sha256_hex(&data);
    if actual != oid {
        return Err(SimError::new(
            400,
            None,
            format!("sha256 mismatch: the body hashes to {actual}, not {oid}"),
        ));
    }
    let etag = etag_of(&data);
    state.lfs.insert(oid.to_owned(), data);
    state.pending_uploads.remove(oid);
    state.multipart.remove(oid);
    drop(state);
    let mut resp = response(200, "text/plain", Bytes::new());
    set_header(&mut resp, "etag", &etag);
    Ok(resp)
}

fn storage_part(ctx: &Ctx<'_>, oid: &str, part: u32) -> Result<Resp, SimError> {
    let mut state = ctx.shared.state();
    let Some(upload) = state.multipart.get_mut(oid) else {
        return Err(SimError::new(
            403,
            None,
            format!("No multipart upload of {oid} was requested through the LFS batch endpoint"),
        ));
    };
    let parts = div_ceil(upload.size, upload.chunk_size);
    if part == 0 || u64::from(part) > parts {
        return Err(SimError::new(
            400,
            None,
            format!("Part {part} out of range 1..={parts}"),
        ));
    }
    let start = u64::from(part - 1) * upload.chunk_size;
    let expected = upload.chunk_size.min(upload.size - start);
    let data = ctx.body.clone();
    if data.len() as u64 != expected {
        return Err(SimError::new(
            400,
            None,
            format!("Part {part} has {} bytes, expected {expected}", data.len()),
        ));
    }
    let etag = etag_of(&data);
    upload.parts.insert(part, etag.clone());
    let assembly = upload.assembly.clone();
    drop(state);
    // Placed and hashed now, outside the state's lock, while other parts keep arriving.
    assembly.offer(part, data);
    let mut resp = response(200, "text/plain", Bytes::new());
    set_header(&mut resp, "etag", &etag);
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompletePart {
    part_number: u32,
    etag: String,
}

#[derive(Deserialize)]
struct CompleteBody {
    oid: String,
    parts: Vec<CompletePart>,
}

fn storage_complete(ctx: &Ctx<'_>, oid: &str) -> Result<Resp, SimError> {
    let body: CompleteBody = ctx.json_body()?;
    if body.oid != oid {
        return Err(SimError::new(
            400,
            None,
            format!("The body names {}, the URL {oid}", body.oid),
        ));
    }
    let mut state = ctx.shared.state();
    let Some(upload) = state.multipart.get(oid) else {
        return Err(SimError::new(
            403,
            None,
            format!("No multipart upload of {oid} is in progress"),
        ));
    };
    let expected_parts = div_ceil(upload.size, upload.chunk_size);
    if body.parts.len() as u64 != expected_parts {
        return Err(SimError::new(
            400,
            None,
            format!(
                "{} parts listed, {expected_parts} expected",
                body.parts.len()
            ),
        ));
    }
    let mut listed: Vec<&CompletePart> = body.parts.iter().collect();
    listed.sort_by_key(|p| p.part_number);
    for (i, p) in listed.iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if p.part_number != n {
            return Err(SimError::new(
                400,
                None,
                format!("Parts must be numbered 1..={expected_parts} once each"),
            ));
        }
        let Some(etag) = upload.parts.get(&n) else {
            return Err(SimError::new(
                400,
                None,
                format!("Part {n} was never uploaded"),
            ));
        };
        if etag.trim_matches('"') != p.etag.trim_matches('"') {
            return Err(SimError::new(
                400,
                None,
                format!("ETag mismatch for part {n}: {} is not {etag}", p.etag),
            ));
        }
    }
    let assembled = upload
        .assembly
        .finish(u32::try_from(expected_parts).unwrap_or(u32::MAX), oid)
        .map_err(|e| SimError::new(400, None, e))?;
    state.lfs.insert(oid.to_owned(), Bytes::from(assembled));
    state.multipart.remove(oid);
    state.pending_uploads.remove(oid);
    Ok(json(200, &json!({})))
}

// ---------------------------------------------------------------- resolve

fn resolve(ctx: &Ctx<'_>, r: &RepoRef, rev: &str, path: &str) -> Result<Resp, SimError> {
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
