//! Routing and the endpoints' handlers: this module classifies a request, authenticates it and
//! dispatches it to the handler of its area (one submodule each).

mod commits;
mod files;
mod lfs;
mod listing;
mod repos;
mod trees;

use commits::{commit, preupload};
use files::{resolve, xet_token};
use lfs::{lfs_batch, lfs_verify, storage_complete, storage_part, storage_put};
use listing::{list_repos, repo_info};
use repos::{create_repo, delete_repo, whoami};
use trees::{list_commits, paths_info, refs, tree};

use base64::Engine as _;
use bytes::Bytes;
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;

use crate::config::SimUser;
use crate::shared::{Origin, Shared};
use crate::state::{Commit, Repo, State, may_write};
use crate::util::{QueryExt as _, Resp, error_response, json, query_pairs};
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
    XetToken {
        repo: RepoRef,
        write: bool,
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
            Route::XetToken { write: true, .. } => routes::XET_WRITE_TOKEN,
            Route::XetToken { write: false, .. } => routes::XET_READ_TOKEN,
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
        ("GET", ["xet-write-token", _]) => Route::XetToken { repo, write: true },
        ("GET", ["xet-read-token", _]) => Route::XetToken { repo, write: false },
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
        Route::XetToken { repo, write } => xet_token(&ctx, &repo, write),
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

/// The commit `rev` names, and its index (a 404 `RevisionNotFound` when it names none).
fn commit_at<'a>(repo: &'a Repo, rev: &str) -> Result<(usize, &'a Commit), SimError> {
    let idx = resolve_rev(repo, rev)?;
    let commit = repo.commits.get(idx).ok_or_else(|| {
        SimError::new(
            404,
            Some("RevisionNotFound"),
            format!("Invalid rev id: {rev}"),
        )
    })?;
    Ok((idx, commit))
}

fn expand_params(query: &[(String, String)]) -> Vec<&str> {
    let mut v = query.all("expand[]");
    v.extend(query.all("expand"));
    v
}
