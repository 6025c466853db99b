//! The table of every operation the crate binds.
//!
//! Besides the public [`OPERATIONS`] table, this module derives, once and lazily, what the
//! facade needs to know about an operation when one of its requests fails: what its path says
//! the request is about (its scope, which decides how a 401 or 404 without `X-Error-Code` is
//! classified), whether it is safe to send again, the `Content-Type` of a body the facade
//! builds, and what a 409 means. All of it is the generated table's data.

use std::collections::HashMap;
use std::sync::OnceLock;

/// One operation of the Hub's API as the crate binds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The HTTP method.
    pub method: &'static str,
    /// The path template as the Hub's document (or our overlay) writes it.
    pub path: &'static str,
    /// The path template the generated method requests (after merging repo-type copies).
    pub generated_path: &'static str,
    /// The [`Hub`](crate::Hub) method's name.
    pub name: &'static str,
    /// Where the operation's definition comes from.
    pub origin: Origin,
    /// Whether the operation pages with a `Link` header.
    pub link_paginated: bool,
    /// Whether the operation may be sent again although its method is not safe: a POST that
    /// only asks (preupload, paths-info) or whose effect does not depend on how many times it
    /// is sent (the LFS batch). Declared by the document's normaliser or our overlay.
    pub safe_to_repeat: bool,
    /// The `Content-Type` the facade sends with the raw body it builds for the operation
    /// (the commit's `application/x-ndjson`). Declared by the document's normaliser.
    pub body_media_type: Option<&'static str>,
    /// Whether a 409 answer means another commit to the repository is in progress (the
    /// commit `POST`) rather than that what the request would create exists already.
    /// Declared by the document's normaliser.
    pub conflict_is_commit_in_progress: bool,
}

/// Where an operation's definition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The Hub's OpenAPI document (`spec/hub-openapi.json`).
    Document,
    /// Our overlay of what the Hub serves but does not document (`spec/overlay.json`).
    Overlay,
    /// A documented (or overlay) operation for a repository type its definition leaves out,
    /// which the Hub serves too (kernel repositories' files and commits, Spaces' access
    /// requests): added by the codegen.
    Normaliser,
}

/// Every operation, one entry per path of the vendored document.
pub const OPERATIONS: &[Operation] = &crate::generated::OPERATIONS;

/// What a request is about, from its operation's path template; decides how a 401 or 404
/// without `X-Error-Code` is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Scope {
    /// No repository in the path (`/api/whoami-v2`, `/api/repos/create`, `/api/jobs/{namespace}`).
    #[default]
    Account,
    /// The repository itself, or a listing under it (`…/{repo}`, `…/{repo}/discussions`).
    Repo,
    /// Something else under a repository, named by its own parameter (`…/discussions/{num}`):
    /// a 401 still means the repository is hidden, a 404 may be that thing.
    RepoItem,
    /// A revision of a repository (`…/{rev}` last, e.g. the commit `POST`).
    Revision,
    /// A file or folder at a revision (`…/{path}` last: tree listings, `resolve`).
    Path,
}

impl Scope {
    /// The scope a path template says: its last parameter decides (`{path}` → a file,
    /// `{rev}`/`{revision}` → a revision, `{repo}` → the repository, any other parameter after
    /// `{repo}` → an item of it); no `{repo}` at all → not about a repository.
    pub(crate) fn of_template(template: &str) -> Scope {
        let params: Vec<&str> = template
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        if !params.contains(&"repo") {
            return Scope::Account;
        }
        match params.last().copied() {
            Some("path") => Scope::Path,
            Some("rev" | "revision") => Scope::Revision,
            Some("repo") => Scope::Repo,
            _ => Scope::RepoItem,
        }
    }

    /// Whether the request is about a repository (any scope but [`Scope::Account`]).
    pub(crate) fn is_repo(self) -> bool {
        self != Scope::Account
    }
}

/// What the facade knows about the request an answer (or a failure) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestInfo {
    /// The operation's name (the [`Hub`](crate::Hub) method, or the facade's own name for a
    /// hand-built request such as `lfs_batch`).
    pub(crate) operation: &'static str,
    /// What the request is about.
    pub(crate) scope: Scope,
    /// Whether sending the request again cannot do harm (it changes nothing, or the same
    /// thing each time): GET/HEAD and the few POSTs that only ask.
    pub(crate) idempotent: bool,
    /// The `Content-Type` of the raw body the facade builds for it (the commit's ndjson).
    pub(crate) body_media_type: Option<&'static str>,
    /// Whether its 409 means "another commit is in progress" (the commit `POST`).
    pub(crate) conflict_is_commit_in_progress: bool,
}

impl RequestInfo {
    /// A request nothing is known about: not about a repository, not safe to repeat.
    #[cfg(test)]
    pub(crate) const UNKNOWN: RequestInfo = RequestInfo {
        operation: "",
        scope: Scope::Account,
        idempotent: false,
        body_media_type: None,
        conflict_is_commit_in_progress: false,
    };

    /// The facts about a generated operation (its method is the table's).
    pub(crate) fn of_operation(name: &'static str) -> RequestInfo {
        Self::of(name, "POST")
    }

    /// The facts about `name`: from the operation table, else the hand-built requests'
    /// table, else derived from `method` alone (GET/HEAD are safe to repeat).
    pub(crate) fn of(name: &'static str, method: &str) -> RequestInfo {
        if let Some(info) = by_name().get(name) {
            return *info;
        }
        let (scope, idempotent) = match HAND_BUILT.iter().find(|(n, _, _)| *n == name) {
            Some((_, template, idempotent)) => (Scope::of_template(template), *idempotent),
            None => (Scope::Account, is_safe_method(method)),
        };
        RequestInfo {
            operation: name,
            scope,
            idempotent,
            body_media_type: None,
            conflict_is_commit_in_progress: false,
        }
    }
}

/// Requests the facade builds by hand (not in [`OPERATIONS`]): name, the path they request,
/// whether they are safe to repeat. (The commit's copy of a regular file is sent as
/// `resolve_file`, a generated operation.)
const HAND_BUILT: &[(&str, &str, bool)] = &[
    (
        "lfs_verify",
        "/{namespace}/{repo}.git/info/lfs/verify",
        true,
    ),
    (
        "repo_info_at_revision",
        "/api/{repoType}/{namespace}/{repo}/revision/{rev}",
        true,
    ),
];

fn is_safe_method(method: &str) -> bool {
    method.eq_ignore_ascii_case("GET")
        || method.eq_ignore_ascii_case("HEAD")
        || method.eq_ignore_ascii_case("OPTIONS")
}

/// The table by name, built on first use (operations merged over repo types share a name,
/// a method and a path shape, so any of their rows gives the same facts).
fn by_name() -> &'static HashMap<&'static str, RequestInfo> {
    static MAP: OnceLock<HashMap<&'static str, RequestInfo>> = OnceLock::new();
    MAP.get_or_init(|| {
        OPERATIONS
            .iter()
            .map(|op| {
                let idempotent = is_safe_method(op.method) || op.safe_to_repeat;
                let info = RequestInfo {
                    operation: op.name,
                    scope: Scope::of_template(op.generated_path),
                    idempotent,
                    body_media_type: op.body_media_type,
                    conflict_is_commit_in_progress: op.conflict_is_commit_in_progress,
                };
                (op.name, info)
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_last_parameter() {
        let cases = [
            ("/api/whoami-v2", Scope::Account),
            ("/api/repos/create", Scope::Account),
            ("/api/jobs/{namespace}/{jobId}", Scope::Account),
            ("/api/{repoType}/{namespace}/{repo}", Scope::Repo),
            (
                "/api/{repoType}/{namespace}/{repo}/discussions",
                Scope::Repo,
            ),
            (
                "/api/{repoType}/{namespace}/{repo}/discussions/{num}",
                Scope::RepoItem,
            ),
            (
                "/api/{repoType}/{namespace}/{repo}/commit/{rev}",
                Scope::Revision,
            ),
            (
                "/api/{repoType}/{namespace}/{repo}/tree/{rev}/{path}",
                Scope::Path,
            ),
            ("/{namespace}/{repo}/resolve/{rev}/{path}", Scope::Path),
            ("/api/{repoType}/{namespace}/{repo}/refs", Scope::Repo),
        ];
        for (template, scope) in cases {
            assert_eq!(Scope::of_template(template), scope, "{template}");
        }
    }

    #[test]
    fn facts_come_from_the_table() {
        let commit = RequestInfo::of("create_commit", "POST");
        assert!(commit.conflict_is_commit_in_progress);
        assert!(!commit.idempotent);
        assert_eq!(commit.scope, Scope::Revision);
        let tree = RequestInfo::of("list_repo_tree", "GET");
        assert_eq!(tree.scope, Scope::Path);
        assert!(tree.idempotent && !tree.conflict_is_commit_in_progress);
        let create = RequestInfo::of("create_repo", "POST");
        assert_eq!(create.scope, Scope::Account);
        assert!(!create.idempotent && !create.conflict_is_commit_in_progress);
        assert!(RequestInfo::of("preupload", "POST").idempotent);
        assert!(RequestInfo::of("get_paths_info", "POST").idempotent);
        assert!(RequestInfo::of("whoami", "GET").idempotent);
        // The LFS batch (generated) and verify (hand-built) calls.
        let batch = RequestInfo::of("lfs_batch", "POST");
        assert!(batch.idempotent);
        assert_eq!(batch.scope, Scope::Repo);
        let verify = RequestInfo::of("lfs_verify", "POST");
        assert!(verify.idempotent);
        assert_eq!(verify.scope, Scope::Repo);
        assert_eq!(RequestInfo::of("resolve_file", "GET").scope, Scope::Path);
        assert_eq!(
            RequestInfo::of("get_file_metadata", "HEAD").scope,
            Scope::Path
        );
        // Unknown names: the method decides.
        assert!(RequestInfo::of("nothing_like_this", "GET").idempotent);
        assert!(!RequestInfo::of("nothing_like_this", "POST").idempotent);
        // Every operation of the table has its entry.
        for op in OPERATIONS {
            assert_eq!(RequestInfo::of(op.name, op.method).operation, op.name);
        }
    }

    #[test]
    fn only_the_commit_has_a_raw_body_media_type_and_a_busy_conflict() {
        for op in OPERATIONS {
            let commit = op.name == "create_commit";
            let media = commit.then_some("application/x-ndjson");
            assert_eq!(op.body_media_type, media, "{}", op.path);
            assert_eq!(op.conflict_is_commit_in_progress, commit, "{}", op.path);
        }
    }
}
