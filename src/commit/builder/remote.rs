//! What the commit needs from the Hub before it is sent: the remote files an `upload_folder`
//! deletes, and the sources of copies and moves.

use super::*;

impl CommitBuilder {
    /// Replaces each `RemoteDeletes` slot by the deletions it stands for.
    pub(super) async fn resolve_remote_deletes(
        &self,
        slots: Vec<Slot>,
        ops: Vec<CommitOperation>,
    ) -> Result<Vec<CommitOperation>> {
        if !slots
            .iter()
            .any(|s| matches!(s, Slot::RemoteDeletes { .. }))
        {
            return Ok(ops);
        }
        let mut touched: HashSet<String> = HashSet::new();
        for op in &ops {
            touched.insert(op.target_path().to_owned());
            if let CommitOperation::Move { src_path, .. } = op {
                touched.insert(src_path.clone());
            }
        }
        let touched_list: Vec<String> = touched.iter().cloned().collect();
        let mut out = Vec::with_capacity(ops.len());
        for slot in slots {
            match slot {
                Slot::Op(op) => out.push(op),
                Slot::RemoteDeletes {
                    path_in_repo,
                    patterns,
                } => {
                    let folder = path_in_repo.trim_matches('/');
                    let folder = if folder == "." { "" } else { folder };
                    let remote = self.list_remote_files(folder).await?;
                    for path in files_to_delete(&remote, &path_in_repo, &patterns, &touched_list)? {
                        if touched.insert(path.clone()) {
                            out.push(CommitOperation::Delete { path });
                        }
                    }
                }
            }
        }
        validate_operations(&out, &self.summary, self.parent_commit.as_deref())?;
        Ok(out)
    }

    pub(super) fn api_url(&self, tail: &str) -> Result<Url> {
        let text = format!(
            "{}/{}/{tail}",
            self.hub.endpoint().as_str().trim_end_matches('/'),
            self.repo.api_path()
        );
        Url::parse(&text).map_err(|e| Error::invalid("URL", text, e.to_string()))
    }

    /// Every file under `folder` (`""` for the root) at the revision; none when the folder does
    /// not exist.
    pub(super) async fn list_remote_files(&self, folder: &str) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct TreeEntry {
            #[serde(rename = "type")]
            kind: String,
            path: String,
        }
        let mut tail = format!("tree/{}", encode_path_segment(&self.revision));
        if !folder.is_empty() {
            tail.push('/');
            tail.push_str(&encode_repo_path(folder));
        }
        let mut url = self.api_url(&tail)?;
        url.query_pairs_mut().append_pair("recursive", "true");
        // The generated `list_repo_tree` item type has no `path` (the spec omits it), so the
        // listing goes through the same Link pagination with an item type that has it.
        let entries: Result<Vec<TreeEntry>> =
            Paginator::<TreeEntry>::resume(&self.hub, "list_repo_tree", url)?
                .items()
                .try_collect()
                .await;
        match entries {
            Ok(entries) => Ok(entries
                .into_iter()
                .filter(|e| e.kind == "file")
                .map(|e| e.path)
                .collect()),
            Err(e)
                if e.kind() == Some(&HubErrorKind::EntryNotFound)
                    || (e.status() == Some(404) && e.kind() == Some(&HubErrorKind::Other)) =>
            {
                tracing::debug!(folder, "remote folder absent: nothing to delete");
                Ok(Vec::new())
            }
            Err(e) => Err(with_context(
                e,
                &format!("listing the remote folder {folder:?} to choose files to delete"),
            )),
        }
    }

    /// Looks up the sources of copies and moves and makes their lines.
    pub(super) async fn resolve_copies(
        &self,
        ops: &[CommitOperation],
        plan: &mut Plan,
    ) -> Result<()> {
        // (op index, source path, source revision, destination, old path for a move)
        let mut wanted: Vec<(usize, &str, &str, &str, Option<&str>)> = Vec::new();
        for (index, op) in ops.iter().enumerate() {
            match op {
                CommitOperation::Copy {
                    src_path,
                    src_revision,
                    dest_path,
                } => wanted.push((
                    index,
                    src_path,
                    src_revision.as_deref().unwrap_or(&self.revision),
                    dest_path,
                    None,
                )),
                CommitOperation::Move {
                    src_path,
                    dest_path,
                } => wanted.push((index, src_path, &self.revision, dest_path, Some(src_path))),
                _ => {}
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let mut by_revision: HashMap<&str, Vec<&str>> = HashMap::new();
        for (_, src, rev, _, _) in &wanted {
            let paths = by_revision.entry(rev).or_default();
            if !paths.contains(src) {
                paths.push(src);
            }
        }
        let mut infos: HashMap<(&str, String), PathInfo> = HashMap::new();
        for (rev, paths) in &by_revision {
            for chunk in paths.chunks(MAX_PATHS_INFO) {
                for info in self.paths_info(rev, chunk).await? {
                    infos.insert((rev, info.path.clone()), info);
                }
            }
        }
        for (index, src, rev, dest, old_path) in wanted {
            let what = if old_path.is_some() { "move" } else { "copy" };
            let info = infos
                .get(&(rev, src.to_owned()))
                .filter(|i| i.kind == "file")
                .ok_or_else(|| {
                    Error::from(crate::error::HubError {
                        kind: HubErrorKind::EntryNotFound,
                        status: 404,
                        code: None,
                        message: format!(
                            "cannot {what} {src:?} to {dest:?}: no such file at revision {rev:?} (nothing was committed)"
                        ),
                        request_id: None,
                        idempotent: true,
                    })
                })?;
            let line = match &info.lfs {
                Some(lfs) => CommitLine::LfsFile {
                    path: dest.to_owned(),
                    oid: lfs.oid.clone(),
                    size: lfs.size,
                    old_path: old_path.map(str::to_owned),
                },
                None => CommitLine::File {
                    path: dest.to_owned(),
                    source: self.download_source(src, rev, info.size)?,
                    size: info.size,
                    old_path: old_path.map(str::to_owned),
                },
            };
            plan.lines[index] = Some(line);
        }
        Ok(())
    }

    /// `paths-info` for `paths` at `rev`. Sent by hand: the generated answer type keeps only
    /// `lfs.pointerSize` (the spec omits `lfs.oid` and `lfs.size`), which a copy needs.
    pub(super) async fn paths_info(&self, rev: &str, paths: &[&str]) -> Result<Vec<PathInfo>> {
        let url = self.api_url(&format!("paths-info/{}", encode_path_segment(rev)))?;
        let body = serde_json::to_vec(&serde_json::json!({ "paths": paths, "expand": false }))
            .map_err(|e| Error::invalid("paths-info request", rev, e.to_string()))?;
        let mut request = Request::new(Method::POST, url);
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        *request.body_mut() = Some(body.into());
        let context = format!(
            "looking up the copy/move source {} at revision {rev:?}",
            name_files(paths.iter().copied())
        );
        let response = self
            .hub
            .send(request, "get_paths_info")
            .await
            .map_err(|e| with_context(e, &context))?;
        let bytes = response.bytes().await.map_err(Error::from)?;
        crate::error::decode(&bytes).map_err(|e| with_context(e, &context))
    }

    /// A source streaming a regular file of the repository from `resolve` when the commit body
    /// reaches it (memory stays bounded; the download is retried by the client like any GET).
    pub(super) fn download_source(&self, path: &str, rev: &str, size: u64) -> Result<AddSource> {
        let url = self.repo.resolve_url(self.hub.endpoint(), rev, path)?;
        let hub = self.hub.clone();
        let label = format!("{path:?} at revision {rev:?} (downloaded from the Hub)");
        Ok(AddSource::from_reader_factory(label, size, move || {
            let hub = hub.clone();
            let url = url.clone();
            Box::pin(async move {
                let request = Request::new(Method::GET, url);
                let response = hub
                    .send(request, "resolve_file")
                    .await
                    .map_err(|e| io::Error::other(e.to_string()))?;
                let stream = Box::pin(response.bytes_stream().map_err(io::Error::other));
                Ok(Box::new(tokio_util::io::StreamReader::new(stream)) as BoxAsyncRead)
            })
        }))
    }
}

/// One entry of a `paths-info` answer.
#[derive(Debug, Deserialize)]
pub(super) struct PathInfo {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    lfs: Option<PathInfoLfs>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PathInfoLfs {
    oid: String,
    size: u64,
}
