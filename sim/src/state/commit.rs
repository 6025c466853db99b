//! A commit applied to the state: all of it or nothing.

use super::*;

impl State {
    /// Applies a commit atomically: either everything or nothing.
    pub(crate) fn apply_commit(
        &mut self,
        kind: RepoType,
        id: &str,
        rev: &str,
        req: CommitRequest,
        create_pr: bool,
        author: &str,
    ) -> Result<CommitOutcome, SimError> {
        let lfs = &self.lfs;
        let repo = self
            .repos
            .get(&(kind, id.to_owned()))
            .ok_or_else(|| SimError::new(404, Some("RepoNotFound"), "Repository not found"))?;
        let not_found_rev = || {
            SimError::new(
                404,
                Some("RevisionNotFound"),
                format!("Invalid rev id: {rev}"),
            )
        };
        // The commit the new one builds on, and which ref moves.
        let (base, target) = if create_pr {
            let base = match &req.parent_commit {
                Some(p) => repo.resolve(p).ok_or_else(|| {
                    SimError::new(412, None, format!("Parent commit {p} does not exist"))
                })?,
                None => repo.resolve(rev).ok_or_else(not_found_rev)?,
            };
            (base, None)
        } else {
            let target = repo.write_target(rev).ok_or_else(not_found_rev)?;
            let head = repo.target_head(&target).ok_or_else(not_found_rev)?;
            if let Some(p) = &req.parent_commit
                && repo.commits.get(head).is_none_or(|c| &c.id != p)
            {
                return Err(SimError::new(
                    412,
                    None,
                    "A commit has happened since. Please refresh and try again.",
                ));
            }
            (head, Some(target))
        };
        let base_commit = repo.commits.get(base).ok_or_else(not_found_rev)?;
        let base_id = base_commit.id.clone();
        let mut tree: Tree = (*base_commit.tree).clone();
        for op in &req.ops {
            match op {
                Op::Put {
                    path,
                    entry,
                    old_path,
                } => {
                    if let Entry::Lfs { sha256, size, .. } = entry {
                        match lfs.get(sha256) {
                            Some(data) if data.len() == *size => {}
                            Some(data) => {
                                return Err(SimError::new(
                                    400,
                                    None,
                                    format!(
                                        "LFS object {sha256} for {path} has size {}, not {size}",
                                        data.len()
                                    ),
                                ));
                            }
                            None => {
                                return Err(SimError::new(
                                    400,
                                    None,
                                    format!(
                                        "Your push was rejected because an LFS pointer pointed to a file that does not exist. Offending file: {path} (oid {sha256})"
                                    ),
                                ));
                            }
                        }
                    }
                    if let Some(old) = old_path
                        && old != path
                        && tree.remove(old).is_none()
                    {
                        return Err(SimError::new(
                            404,
                            Some("EntryNotFound"),
                            format!("Cannot move {old}: no such file"),
                        ));
                    }
                    // A file cannot replace a folder, nor sit below a file.
                    let below = format!("{path}/");
                    if tree
                        .range(below.clone()..)
                        .next()
                        .is_some_and(|(k, _)| k.starts_with(&below))
                    {
                        return Err(SimError::new(
                            400,
                            None,
                            format!("{path} is a folder, it cannot be replaced by a file"),
                        ));
                    }
                    let mut prefix = path.as_str();
                    while let Some((parent, _)) = prefix.rsplit_once('/') {
                        if tree.contains_key(parent) {
                            return Err(SimError::new(
                                400,
                                None,
                                format!("{parent} is a file, it cannot hold {path}"),
                            ));
                        }
                        prefix = parent;
                    }
                    tree.insert(path.clone(), entry.clone());
                }
                Op::DeleteFile { path } => {
                    if tree.remove(path).is_none() {
                        return Err(SimError::new(
                            404,
                            Some("EntryNotFound"),
                            format!("Cannot delete {path}: no such file"),
                        ));
                    }
                }
                Op::DeleteFolder { path } => {
                    let prefix = format!("{}/", path.trim_end_matches('/'));
                    let before = tree.len();
                    tree.retain(|k, _| !k.starts_with(&prefix));
                    if tree.len() == before {
                        return Err(SimError::new(
                            404,
                            Some("EntryNotFound"),
                            format!("Cannot delete folder {path}: no such folder"),
                        ));
                    }
                }
            }
        }
        // Everything checked: apply.
        let seq = self.next_seq();
        let mut h = sha1::Sha1::default();
        sha1::Digest::update(&mut h, format!("commit:{kind}:{id}:{seq}:").as_bytes());
        sha1::Digest::update(&mut h, base_id.as_bytes());
        for (path, entry) in &tree {
            sha1::Digest::update(&mut h, path.as_bytes());
            sha1::Digest::update(&mut h, entry.git_oid().as_bytes());
        }
        sha1::Digest::update(&mut h, req.summary.as_bytes());
        sha1::Digest::update(&mut h, req.description.as_bytes());
        let oid = crate::util::hex(&sha1::Digest::finalize(h));
        let commit = Commit {
            id: oid.clone(),
            parent: Some(base),
            title: req.summary,
            message: req.description,
            author: author.to_owned(),
            date: Utc::now(),
            tree: Arc::new(tree),
        };
        let repo = self
            .repos
            .get_mut(&(kind, id.to_owned()))
            .ok_or_else(|| SimError::new(404, Some("RepoNotFound"), "Repository not found"))?;
        repo.commits.push(Arc::new(commit));
        let idx = repo.commits.len() - 1;
        let pr = match target {
            Some(WriteTarget::Branch(b)) => {
                repo.branches.insert(b, idx);
                None
            }
            Some(WriteTarget::Pr(n)) => {
                if let Some(slot) = repo.prs.get_mut(n - 1) {
                    *slot = idx;
                }
                None
            }
            None => {
                repo.prs.push(idx);
                Some(repo.prs.len())
            }
        };
        self.generation += 1;
        Ok(CommitOutcome { oid, pr })
    }
}
