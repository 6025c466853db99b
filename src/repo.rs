//! Repository identities: types, ids, handles, and the encoding of their parts in URLs.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The kind of a repository on the Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoType {
    /// A model repository (`/api/models/...`).
    #[default]
    #[serde(alias = "models")]
    Model,
    /// A dataset repository (`/api/datasets/...`).
    #[serde(alias = "datasets")]
    Dataset,
    /// A Space (`/api/spaces/...`).
    #[serde(alias = "spaces")]
    Space,
    /// A kernel repository (`/api/kernels/...`): compiled compute kernels, loaded by the
    /// `kernels` library.
    #[serde(alias = "kernels")]
    Kernel,
}

impl RepoType {
    /// Every repository type, in a fixed order.
    pub const ALL: [RepoType; 4] = [
        RepoType::Model,
        RepoType::Dataset,
        RepoType::Space,
        RepoType::Kernel,
    ];

    /// The singular lowercase name: `model`, `dataset`, `space` or `kernel`.
    pub fn as_str(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
            RepoType::Kernel => "kernel",
        }
    }

    /// The plural used in API paths: `models`, `datasets`, `spaces` or `kernels`.
    pub fn as_plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
            RepoType::Kernel => "kernels",
        }
    }

    /// The prefix of the repository in git, git-lfs and download URLs: `""` for models,
    /// `"datasets/"`, `"spaces/"` and `"kernels/"` for the others.
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
            RepoType::Kernel => "kernels/",
        }
    }
}

impl fmt::Display for RepoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RepoType {
    type Err = Error;

    /// Accepts `model`, `dataset`, `space`, `kernel` and their plurals, in any case.
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "model" | "models" => Ok(RepoType::Model),
            "dataset" | "datasets" => Ok(RepoType::Dataset),
            "space" | "spaces" => Ok(RepoType::Space),
            "kernel" | "kernels" => Ok(RepoType::Kernel),
            _ => Err(Error::invalid(
                "repo type",
                s,
                "expected model, dataset, space or kernel",
            )),
        }
    }
}

/// The longest namespace or name the Hub accepts.
const MAX_PART_LEN: usize = 96;

/// A repository id, `namespace/name`, checked by the Hub's rules.
///
/// Each part is 1 to 96 letters, digits, `-`, `_` or `.`, has no `--` or `..`, and
/// neither starts nor ends with `-` or `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoId {
    full: String,
    slash: usize,
}

impl RepoId {
    /// Parses and checks `namespace/name`.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let full = id.into();
        let Some(slash) = full.find('/') else {
            return Err(Error::invalid(
                "repo id",
                full,
                "expected `namespace/name` with one `/`",
            ));
        };
        if full[slash + 1..].contains('/') {
            return Err(Error::invalid(
                "repo id",
                full,
                "expected `namespace/name` with exactly one `/`",
            ));
        }
        let checked = check_part(&full[..slash], "namespace")
            .and_then(|()| check_part(&full[slash + 1..], "name"));
        match checked {
            Ok(()) => Ok(Self { full, slash }),
            Err(reason) => Err(Error::invalid("repo id", full, reason)),
        }
    }

    /// The owner: a user or organization name.
    pub fn namespace(&self) -> &str {
        &self.full[..self.slash]
    }

    /// The repository's name within its namespace.
    pub fn name(&self) -> &str {
        &self.full[self.slash + 1..]
    }

    /// The whole id, `namespace/name`.
    pub fn as_str(&self) -> &str {
        &self.full
    }
}

/// Checks one part of a repo id; the error is the reason.
fn check_part(part: &str, which: &str) -> std::result::Result<(), String> {
    if part.is_empty() {
        return Err(format!("the {which} is empty"));
    }
    if part.chars().count() > MAX_PART_LEN {
        return Err(format!(
            "the {which} is longer than {MAX_PART_LEN} characters"
        ));
    }
    if let Some(c) = part
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "the {which} contains {c:?}; only letters, digits, `-`, `_` and `.` are allowed"
        ));
    }
    if part.contains("--") || part.contains("..") {
        return Err(format!("the {which} contains `--` or `..`"));
    }
    if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
        return Err(format!("the {which} starts or ends with `-` or `.`"));
    }
    Ok(())
}

impl FromStr for RepoId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl TryFrom<&str> for RepoId {
    type Error = Error;

    fn try_from(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl TryFrom<String> for RepoId {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        Self::new(s)
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl AsRef<str> for RepoId {
    fn as_ref(&self) -> &str {
        &self.full
    }
}

impl Serialize for RepoId {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.full)
    }
}

impl<'de> Deserialize<'de> for RepoId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        RepoId::new(s).map_err(serde::de::Error::custom)
    }
}

/// A repository on the Hub: its id and type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repo {
    /// The repository's id.
    pub id: RepoId,
    /// The repository's type.
    pub repo_type: RepoType,
}

impl Repo {
    /// A handle for a repository of the given type.
    pub fn new(repo_type: RepoType, id: RepoId) -> Self {
        Self { id, repo_type }
    }

    /// A model repository, from `namespace/name`.
    pub fn model(id: &str) -> Result<Self> {
        Ok(Self::new(RepoType::Model, id.parse()?))
    }

    /// A dataset repository, from `namespace/name`.
    pub fn dataset(id: &str) -> Result<Self> {
        Ok(Self::new(RepoType::Dataset, id.parse()?))
    }

    /// A Space, from `namespace/name`.
    pub fn space(id: &str) -> Result<Self> {
        Ok(Self::new(RepoType::Space, id.parse()?))
    }

    /// A kernel repository, from `namespace/name`.
    pub fn kernel(id: &str) -> Result<Self> {
        Ok(Self::new(RepoType::Kernel, id.parse()?))
    }

    /// The API path of the repository, without a leading `/`:
    /// `api/models/namespace/name` (the id's characters need no encoding).
    pub fn api_path(&self) -> String {
        format!("api/{}/{}", self.repo_type.as_plural(), self.id)
    }

    /// The repository's path in git, git-lfs and download URLs, without a leading `/`:
    /// `namespace/name` for models, `datasets/namespace/name`, `spaces/…`, `kernels/…`.
    pub fn git_path(&self) -> String {
        format!("{}{}", self.repo_type.url_prefix(), self.id)
    }

    /// `{endpoint}/{prefix}{ns}/{name}/resolve/{rev}/{path}`: the URL of a file's content at
    /// a revision, the revision encoded whole (`/` included), the path segment by segment.
    pub(crate) fn resolve_url(
        &self,
        endpoint: &url::Url,
        revision: &str,
        path: &str,
    ) -> Result<url::Url> {
        let text = format!(
            "{}/{}/resolve/{}/{}",
            endpoint.as_str().trim_end_matches('/'),
            self.git_path(),
            encode_path_segment(revision),
            encode_repo_path(path)
        );
        url::Url::parse(&text).map_err(|e| Error::invalid("URL", text, e.to_string()))
    }
}

impl fmt::Display for Repo {
    /// `models/namespace/name`, `datasets/...`, `spaces/...` or `kernels/...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.repo_type.as_plural(), self.id)
    }
}

/// Every byte but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `s` as one URL path segment: everything but unreserved characters,
/// `/` included (`refs/pr/3` → `refs%2Fpr%2F3`).
pub fn encode_path_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Percent-encodes each `/`-separated segment of a path in a repository, keeping the
/// `/` between them (`dir/a b.txt` → `dir/a%20b.txt`).
pub fn encode_repo_path(s: &str) -> String {
    s.split('/')
        .map(encode_path_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// Checks a revision (branch, tag, commit or `refs/pr/N`) before it goes in a URL:
/// not empty, no `..`, no `//`, no control characters, no leading or trailing `/`.
pub fn validate_revision(rev: &str) -> Result<()> {
    let reason = if rev.is_empty() {
        "it is empty"
    } else if rev.contains("..") {
        "it contains `..`"
    } else if rev.contains("//") {
        "it contains `//`"
    } else if rev.chars().any(char::is_control) {
        "it contains a control character"
    } else if rev.starts_with('/') || rev.ends_with('/') {
        "it starts or ends with `/`"
    } else {
        return Ok(());
    };
    Err(Error::invalid("revision", rev, reason))
}

/// The repository-type path segment of a generated operation (`models`, `datasets`, …), or
/// an error naming the type when the operation does not serve it (before any request).
pub(crate) fn path_segment<T: FromStr>(repo: &Repo) -> Result<T> {
    let plural = repo.repo_type.as_plural();
    plural.parse().map_err(|_| {
        Error::invalid(
            "repo type",
            repo.repo_type.as_str(),
            "this operation does not serve repositories of this type",
        )
    })
}

/// The repository type of a generated web URL (`resolve`, `raw`, the LFS batch): a model has
/// no prefix, the others `datasets/`, `spaces/`, `kernels/` (the generated code calls this
/// with the path segment of the operation's type, see `codegen/src/patch.rs`).
pub(crate) fn models_unprefixed(segment: &str) -> String {
    if segment == "models" {
        String::new()
    } else {
        format!("{}/", encode_path_segment(segment))
    }
}

/// The end of a generated URL whose last parameter is a file path: `/` and the path with
/// each segment encoded, `/` kept (`dir/a b.txt` → `/dir/a%20b.txt`); nothing for an empty
/// path.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn file_wildcard(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("/{}", encode_repo_path(path))
    }
}

/// The end of a generated URL whose last parameter is a folder: `/` and the folder encoded
/// whole, as the official client sends it (`dir/sub` → `/dir%2Fsub`); nothing for the root
/// (`""`), which the Hub spells without the trailing `/`.
#[allow(
    dead_code,
    reason = "called by generated operations, which cargo features may all turn off"
)]
pub(crate) fn folder_wildcard(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("/{}", encode_path_segment(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_reason(e: Error) -> (String, String) {
        match e {
            Error::InvalidInput {
                what,
                value,
                reason,
            } => {
                assert!(what == "repo id" || what == "revision" || what == "repo type");
                (value, reason)
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn repo_type_parse_and_names() {
        let cases = [
            ("model", RepoType::Model),
            ("models", RepoType::Model),
            ("dataset", RepoType::Dataset),
            ("datasets", RepoType::Dataset),
            ("space", RepoType::Space),
            ("spaces", RepoType::Space),
            ("Datasets", RepoType::Dataset),
            (" SPACE ", RepoType::Space),
            ("kernel", RepoType::Kernel),
            ("Kernels", RepoType::Kernel),
        ];
        for (s, t) in cases {
            assert_eq!(s.parse::<RepoType>().unwrap(), t, "{s}");
        }
        for bad in ["", "kernal", "modelss", "m", "buckets"] {
            let e = bad.parse::<RepoType>().unwrap_err();
            assert_eq!(invalid_reason(e).0, bad);
        }
        assert_eq!(RepoType::Model.as_plural(), "models");
        assert_eq!(RepoType::Dataset.as_plural(), "datasets");
        assert_eq!(RepoType::Space.as_plural(), "spaces");
        assert_eq!(RepoType::Model.url_prefix(), "");
        assert_eq!(RepoType::Dataset.url_prefix(), "datasets/");
        assert_eq!(RepoType::Space.url_prefix(), "spaces/");
        assert_eq!(RepoType::Kernel.as_plural(), "kernels");
        assert_eq!(RepoType::Kernel.url_prefix(), "kernels/");
        assert_eq!(RepoType::Space.to_string(), "space");
        assert_eq!(RepoType::default(), RepoType::Model);
        for t in RepoType::ALL {
            assert_eq!(t.as_str().parse::<RepoType>().unwrap(), t);
            assert_eq!(t.as_plural().parse::<RepoType>().unwrap(), t);
        }
    }

    #[test]
    fn repo_type_serde() {
        assert_eq!(
            serde_json::to_string(&RepoType::Dataset).unwrap(),
            "\"dataset\""
        );
        let t: RepoType = serde_json::from_str("\"space\"").unwrap();
        assert_eq!(t, RepoType::Space);
        let t: RepoType = serde_json::from_str("\"models\"").unwrap();
        assert_eq!(t, RepoType::Model);
        assert!(serde_json::from_str::<RepoType>("\"Model\"").is_err());
    }

    #[test]
    fn valid_repo_ids() {
        let max = "a".repeat(96);
        let long = format!("{max}/{max}");
        for id in [
            "gpt2/gpt2",
            "openai-community/gpt2",
            "meta-llama/Llama-3.1-8B",
            "a/b",
            "A_1/b.c_d-e",
            "_x/_y_",
            "1/2",
            long.as_str(),
        ] {
            let r: RepoId = id.parse().unwrap();
            assert_eq!(r.to_string(), id);
            assert_eq!(r.as_str(), id);
            let (ns, name) = id.split_once('/').unwrap();
            assert_eq!(r.namespace(), ns);
            assert_eq!(r.name(), name);
        }
    }

    #[test]
    fn invalid_repo_ids() {
        let too_long = format!("{}/b", "a".repeat(97));
        let too_long_name = format!("a/{}", "b".repeat(97));
        let cases: &[(&str, &str)] = &[
            ("", "one `/`"),
            ("gpt2", "one `/`"),
            ("a/b/c", "exactly one"),
            ("/b", "namespace is empty"),
            ("a/", "name is empty"),
            ("a//b", "exactly one"),
            ("a--b/c", "`--`"),
            ("a/b..c", "`..`"),
            ("-a/b", "starts or ends"),
            ("a/b-", "starts or ends"),
            (".a/b", "starts or ends"),
            ("a/b.", "starts or ends"),
            ("a b/c", "contains ' '"),
            ("a/c\u{e9}", "contains '\u{e9}'"),
            ("a/b?x", "contains '?'"),
            ("a/b\n", "contains '\\n'"),
            (too_long.as_str(), "longer than 96"),
            (too_long_name.as_str(), "longer than 96"),
        ];
        for (id, want) in cases {
            let e = id.parse::<RepoId>().unwrap_err();
            let text = e.to_string();
            let (value, reason) = invalid_reason(e);
            assert_eq!(&value, id);
            assert!(reason.contains(want), "{id:?}: {reason}");
            assert!(text.starts_with("invalid repo id"), "{text}");
        }
    }

    #[test]
    fn repo_id_serde_and_conversions() {
        let r = RepoId::try_from("a/b").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"a/b\"");
        let back: RepoId = serde_json::from_str("\"a/b\"").unwrap();
        assert_eq!(back, r);
        let e = serde_json::from_str::<RepoId>("\"a--b/c\"").unwrap_err();
        assert!(e.to_string().contains("repo id"), "{e}");
        assert!(RepoId::try_from(String::from("x/y")).is_ok());
        assert_eq!(r.as_ref(), "a/b");
    }

    #[test]
    fn repo_handles() {
        let m = Repo::model("a/b").unwrap();
        assert_eq!(m.repo_type, RepoType::Model);
        assert_eq!(m.api_path(), "api/models/a/b");
        assert_eq!(m.git_path(), "a/b");
        assert_eq!(m.to_string(), "models/a/b");
        let d = Repo::dataset("a/b").unwrap();
        assert_eq!(d.api_path(), "api/datasets/a/b");
        assert_eq!(d.git_path(), "datasets/a/b");
        let s = Repo::space("a/b").unwrap();
        assert_eq!(s.git_path(), "spaces/a/b");
        let k = Repo::kernel("a/b").unwrap();
        assert_eq!(k.api_path(), "api/kernels/a/b");
        assert_eq!(k.git_path(), "kernels/a/b");
        assert_eq!(k.to_string(), "kernels/a/b");
        assert!(Repo::model("nope").is_err());
        assert_eq!(
            Repo::new(RepoType::Dataset, "x/y".parse().unwrap())
                .id
                .name(),
            "y"
        );
    }

    #[test]
    fn path_segment_encoding() {
        let cases = [
            ("main", "main"),
            ("refs/pr/3", "refs%2Fpr%2F3"),
            ("v1.0-rc_1~x", "v1.0-rc_1~x"),
            ("a b", "a%20b"),
            ("100%", "100%25"),
            ("a?b#c&d=e+f", "a%3Fb%23c%26d%3De%2Bf"),
            ("caf\u{e9}", "caf%C3%A9"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(encode_path_segment(raw), want, "{raw}");
        }
    }

    #[test]
    fn repo_path_encoding() {
        let cases = [
            ("config.json", "config.json"),
            ("dir/sub/a b.txt", "dir/sub/a%20b.txt"),
            (
                "data/train-00000-of-00001.parquet",
                "data/train-00000-of-00001.parquet",
            ),
            ("q?/h#", "q%3F/h%23"),
            ("\u{1F600}.md", "%F0%9F%98%80.md"),
        ];
        for (raw, want) in cases {
            assert_eq!(encode_repo_path(raw), want, "{raw}");
        }
    }

    #[test]
    fn generated_url_parts() {
        assert_eq!(models_unprefixed("models"), "");
        assert_eq!(models_unprefixed("datasets"), "datasets/");
        assert_eq!(models_unprefixed("kernels"), "kernels/");
        assert_eq!(file_wildcard(""), "");
        assert_eq!(file_wildcard("dir/a b.txt"), "/dir/a%20b.txt");
        assert_eq!(folder_wildcard(""), "");
        assert_eq!(folder_wildcard("dir/sub"), "/dir%2Fsub");
    }

    #[test]
    fn revisions() {
        for ok in ["main", "refs/pr/3", "v1.0", "0123abcd", "feature/x-y"] {
            validate_revision(ok).unwrap();
        }
        let cases = [
            ("", "empty"),
            ("a..b", "`..`"),
            ("..", "`..`"),
            ("/main", "starts or ends"),
            ("main/", "starts or ends"),
            ("a//b", "`//`"),
            ("ma\nin", "control"),
            ("ma\u{7f}in", "control"),
        ];
        for (rev, want) in cases {
            let e = validate_revision(rev).unwrap_err();
            let text = e.to_string();
            let (value, reason) = invalid_reason(e);
            assert_eq!(value, rev);
            assert!(reason.contains(want), "{rev:?}: {reason}");
            assert!(text.starts_with("invalid revision"), "{text}");
        }
    }
}
