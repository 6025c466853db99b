//! Listings of repositories and one repository's info.

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::state::{Entry, ListKey, Repo, fmt_date};
use crate::util::{QueryExt as _, Resp, decode_cursor, encode_cursor, json, response, set_header};
use crate::{RepoType, SimError};

use super::{Ctx, RepoRef, expand_params, read_repo, resolve_rev};

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
#[derive(Serialize, Clone)]
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

/// Appends `s` as a JSON string: verbatim between quotes when no byte needs escaping (no `"`,
/// `\\` or control character below 0x20, the only bytes serde_json escapes), else serde_json's.
fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        // Writing a `&str` into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

fn write_u64(out: &mut Vec<u8>, n: u64) {
    use std::io::Write as _;
    let _ = write!(out, "{n}");
}

fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

/// Appends `key` (`,"name":`) and `value` as `write` writes it, when there is a value (a field
/// serde skips when it is `None`).
fn write_opt<T>(out: &mut Vec<u8>, key: &[u8], value: Option<T>, write: fn(&mut Vec<u8>, T)) {
    if let Some(v) = value {
        out.extend_from_slice(key);
        write(out, v);
    }
}

impl ListItem<'_> {
    /// Appends the item as serde_json would (`serde_json::to_vec(self)`), byte for byte, without
    /// its per-byte string escaping for strings that need none.
    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"_id\":");
        write_str(out, self.object_id);
        out.extend_from_slice(b",\"id\":");
        write_str(out, self.id);
        write_opt(out, b",\"author\":", self.author, write_str);
        write_opt(out, b",\"sha\":", self.sha, write_str);
        write_opt(
            out,
            b",\"lastModified\":",
            self.last_modified.as_deref(),
            write_str,
        );
        out.extend_from_slice(b",\"private\":");
        write_bool(out, self.private);
        write_opt(out, b",\"gated\":", self.gated, write_bool);
        write_opt(out, b",\"disabled\":", self.disabled, write_bool);
        write_opt(out, b",\"downloads\":", self.downloads, write_u64);
        out.extend_from_slice(b",\"likes\":");
        write_u64(out, self.likes);
        out.extend_from_slice(b",\"trendingScore\":");
        write_u64(out, self.trending_score);
        out.extend_from_slice(b",\"tags\":[");
        for (i, t) in self.tags.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, t);
        }
        out.push(b']');
        write_opt(out, b",\"pipeline_tag\":", self.pipeline_tag, write_str);
        write_opt(out, b",\"library_name\":", self.library_name, write_str);
        write_opt(out, b",\"sdk\":", self.sdk, write_str);
        out.extend_from_slice(b",\"createdAt\":");
        write_str(out, &self.created_at);
        write_opt(out, b",\"modelId\":", self.model_id, write_str);
        out.push(b'}');
    }
}

/// A page of default listing items as a JSON array, identical to `serde_json::to_vec` of them.
fn write_page<'a>(items: impl IntoIterator<Item = ListItem<'a>>, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.write_to(&mut out);
    }
    out.push(b']');
    out
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

pub(super) fn list_repos(ctx: &Ctx<'_>, kind: RepoType) -> Result<Resp, SimError> {
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
    // Written by hand (strings needing no escaping are copied as they are): byte-identical to
    // serde_json's output, see the tests.
    let body = if !full && expand.is_empty() {
        Ok(write_page(repos.map(ListItem::new), page.len() * 320 + 2))
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

pub(super) fn repo_info(ctx: &Ctx<'_>, r: &RepoRef, rev: Option<&str>) -> Result<Resp, SimError> {
    let state = ctx.shared.state();
    let repo = read_repo(&state, ctx, r)?;
    let idx = resolve_rev(repo, rev.unwrap_or("main"))?;
    let blobs = ctx.query.flag("blobs");
    let expand = expand_params(&ctx.query);
    let value = select(repo_json(repo, idx, blobs), None, &expand);
    Ok(json(200, &value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item<'a>(strs: &'a [&'a str], tags: &'a [String]) -> ListItem<'a> {
        ListItem {
            object_id: strs[0],
            id: strs[1],
            author: Some(strs[2]),
            sha: Some(strs[3]),
            last_modified: Some(strs[4].to_owned()),
            private: true,
            gated: Some(false),
            disabled: Some(true),
            downloads: Some(u64::MAX),
            likes: 0,
            trending_score: 12_345,
            tags,
            pipeline_tag: Some(strs[5]),
            library_name: Some(strs[6]),
            sdk: Some(strs[7]),
            created_at: strs[8].to_owned(),
            model_id: Some(strs[9]),
        }
    }

    #[test]
    fn handwritten_page_is_byte_identical_to_serde_json() {
        let plain = [
            "65a1b2c3d4e5f60718293a4b",
            "org/model-1",
            "org",
            "0123456789abcdef0123456789abcdef01234567",
            "2024-01-02T03:04:05.000Z",
            "text-generation",
            "transformers",
            "gradio",
            "2023-12-31T23:59:59.000Z",
            "org/model-1",
        ];
        let escapes = [
            "quote\"inside",
            "back\\slash",
            "new\nline\ttab\r",
            "\u{0}\u{1}\u{1f}nul and unit separator",
            "\u{7f} delete is not escaped",
            "",
            "\"",
            "\\",
            "end\u{8}\u{c}",
            "/slash/ is not escaped",
        ];
        let unicode = [
            "モデル",
            "org/模型-ü",
            "émilie",
            "😀 emoji",
            "\u{2028}\u{2029} separators",
            "ß",
            "Ωmega",
            "日本語\"と\\",
            "ø",
            "\u{10ffff}",
        ];
        let tags_plain: Vec<String> = ["pytorch", "license:mit", "en"].map(String::from).into();
        let tags_mixed: Vec<String> = ["a\"b", "ü", "", "\u{1}"].map(String::from).into();
        let no_tags: Vec<String> = Vec::new();
        let sets = [&plain, &escapes, &unicode];
        let mut items = Vec::new();
        for strs in sets {
            for tags in [&tags_plain, &tags_mixed, &no_tags] {
                items.push(item(strs, tags));
                // Every optional field missing (nulls are skipped, as in serde_json's output).
                items.push(ListItem {
                    author: None,
                    sha: None,
                    last_modified: None,
                    private: false,
                    gated: None,
                    disabled: None,
                    downloads: None,
                    pipeline_tag: None,
                    library_name: None,
                    sdk: None,
                    model_id: None,
                    ..item(strs, tags)
                });
                // Some missing, some present.
                items.push(ListItem {
                    author: None,
                    last_modified: None,
                    disabled: None,
                    downloads: Some(0),
                    library_name: None,
                    model_id: None,
                    ..item(strs, tags)
                });
            }
        }
        for it in &items {
            let mut one = Vec::new();
            it.write_to(&mut one);
            assert_eq!(
                String::from_utf8(one).unwrap(),
                serde_json::to_string(it).unwrap()
            );
        }
        let expected = serde_json::to_vec(&items).unwrap();
        let reborrow = || items.iter().cloned();
        assert_eq!(write_page(reborrow(), 0), expected);
        assert_eq!(
            write_page(std::iter::empty(), 0),
            serde_json::to_vec(&Vec::<ListItem<'_>>::new()).unwrap()
        );
        assert_eq!(
            write_page(reborrow().take(1), 16),
            serde_json::to_vec(&items[..1]).unwrap()
        );
    }
}
