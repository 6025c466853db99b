//! Hashing and the preupload calls, overlapped: which files go to LFS, which are unchanged.

use super::*;

impl CommitBuilder {
    /// Hashes every added file and asks the Hub, in preupload calls, which go to LFS and which
    /// are unchanged; fills `plan` with their lines and the LFS objects to upload.
    ///
    /// Three things overlap: large contents are hashed ([`hash_parallelism`](Self::hash_parallelism)
    /// at a time) from the start; small files are hashed in batches, one preupload call's worth
    /// at a time; and the preupload calls (which need only sizes and samples) are sent
    /// ([`PREUPLOAD_CONCURRENCY`] at a time) as soon as their files are read, without waiting
    /// for the large ones' hashes. The decisions that need a hash wait for it at the end.
    pub(super) async fn hash_and_preupload(
        &self,
        ops: &[CommitOperation],
        plan: &mut Plan,
        reporter: &Reporter,
    ) -> Result<()> {
        let adds: Vec<Added> = ops
            .iter()
            .enumerate()
            .filter_map(|(index, op)| match op {
                CommitOperation::Add {
                    path_in_repo,
                    source,
                } => Some(Added {
                    index,
                    path: Arc::from(path_in_repo.as_str()),
                    source: source.clone(),
                }),
                _ => None,
            })
            .collect();
        if adds.is_empty() {
            return Ok(());
        }
        let sizes = known_sizes(&adds).await;
        let total: u64 = sizes.iter().flatten().sum();
        reporter.phase(Phase::Hashing, adds.len(), total);
        let stop = StopOnDrop::default();
        let large: Vec<usize> = (0..adds.len())
            .filter(|&i| is_large(&adds[i].source, sizes[i]))
            .collect();
        let large_hashes = futures::stream::iter(large.iter().map(|&i| {
            let added = &adds[i];
            let callback = reporter.bytes_callback(Phase::Hashing, &added.path, sizes[i]);
            let cancel = stop.flag();
            async move {
                let hashes = hash_source_with_progress(&added.source, callback, cancel).await?;
                reporter.file_done(Phase::Hashing, &added.path, hashes.size);
                Ok::<_, Error>(hashes)
            }
        }))
        .buffered(self.hash_parallelism)
        .try_collect::<Vec<FileHashes>>();
        let preuploads = async {
            reporter.phase(Phase::Preupload, adds.len(), total);
            futures::stream::iter(
                adds.chunks(MAX_PREUPLOAD_FILES)
                    .zip(sizes.chunks(MAX_PREUPLOAD_FILES))
                    .map(|(chunk, sizes)| async {
                        let mut heads = read_heads(chunk, sizes, &stop, reporter).await?;
                        let answer = self.preupload_call(chunk, &heads).await?;
                        // Sent: the samples are not needed any more (10,000 of them are 7 MB).
                        heads.iter_mut().for_each(|h| h.sample = String::new());
                        Ok::<_, Error>((heads, answer))
                    }),
            )
            .buffered(PREUPLOAD_CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await
        };
        let (large_hashes, answers) = futures::try_join!(large_hashes, preuploads)?;
        let mut large_hashes: HashMap<usize, FileHashes> =
            large.into_iter().zip(large_hashes).collect();

        let mut lfs_by_oid: HashSet<String> = HashSet::new();
        for (c, (heads, answer)) in answers.into_iter().enumerate() {
            let first = c * MAX_PREUPLOAD_FILES;
            let chunk = &adds[first..(first + MAX_PREUPLOAD_FILES).min(adds.len())];
            // The Hub has answered without `commitOid`: the head is then unknown, which only
            // matters to a no-op commit's report.
            if plan.head.is_none()
                && let Some(head) = answer.commit_oid.as_deref().filter(|h| !h.is_empty())
            {
                plan.head = Some(head.to_owned());
            }
            let by_path: HashMap<&str, &types::PreuploadFile> =
                answer.files.iter().map(|f| (f.path.as_str(), f)).collect();
            for (offset, (added, head)) in chunk.iter().zip(heads).enumerate() {
                let mut hashes = match head.hashes {
                    Some(h) => h,
                    None => large_hashes.remove(&(first + offset)).ok_or_else(|| {
                        Error::io(
                            format!("hashing {}", added.source.describe()),
                            io::Error::other("no hash was computed"),
                        )
                    })?,
                };
                if hashes.size != head.size {
                    return Err(Error::io(
                        format!("hashing {}", added.source.describe()),
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "the file changed size while being read: {} bytes announced to \
                                 the preupload, {} hashed",
                                head.size, hashes.size
                            ),
                        ),
                    ));
                }
                let Some(remote) = by_path.get(&*added.path) else {
                    return Err(Error::Decode {
                        path: "files".to_owned(),
                        message: format!(
                            "the preupload answer does not mention {:?} (from {})",
                            added.path,
                            added.source.describe()
                        ),
                    });
                };
                if remote.should_ignore {
                    tracing::debug!(path = %added.path, "the Hub ignores this file (.gitignore)");
                    continue;
                }
                let lfs =
                    remote.upload_mode == types::PreuploadFileUploadMode::Lfs && hashes.size > 0;
                if !lfs && remote.oid.is_some() && hashes.git_blob_id.is_none() {
                    // A large file the Hub wants as a regular one, already in the repository:
                    // its git blob id tells whether it changed.
                    hashes.git_blob_id = Some(git_blob_id(&added.source, hashes.size).await?);
                }
                if hashes.matches_remote_oid(lfs, remote.oid.as_deref()) {
                    tracing::debug!(path = %added.path, "unchanged: left out of the commit");
                    continue;
                }
                debug_assert!(matches!(ops[added.index], CommitOperation::Add { .. }));
                plan.lines[added.index] = Some(CommitLine::for_add(
                    added.path.to_string(),
                    added.source.clone(),
                    &hashes,
                    lfs,
                ));
                if lfs && lfs_by_oid.insert(hashes.sha256.clone()) {
                    plan.lfs.push(LfsUpload {
                        path: added.path.clone(),
                        source: added.source.clone(),
                        oid: hashes.sha256.clone(),
                        size: hashes.size,
                    });
                }
            }
        }
        Ok(())
    }

    /// One preupload call for `chunk` (at most [`MAX_PREUPLOAD_FILES`] files).
    pub(super) async fn preupload_call(
        &self,
        chunk: &[Added],
        heads: &[Head],
    ) -> Result<types::PreuploadResponse> {
        let body = types::PreuploadBody::new(
            chunk
                .iter()
                .zip(heads)
                .map(|(a, h)| {
                    types::PreuploadBodyFile::new(
                        &*a.path,
                        h.sample.clone(),
                        i64::try_from(h.size).unwrap_or(i64::MAX),
                    )
                })
                .collect(),
        );
        let mut request = self.hub.preupload(&self.repo, &self.revision, body);
        if self.create_pr {
            request = request.create_pr(true);
        }
        request.await.map_err(|e| {
            with_context(
                e,
                &format!(
                    "preupload of {} (nothing was committed)",
                    name_files(chunk.iter().map(|a| &*a.path))
                ),
            )
        })
    }
}

/// How many preupload calls are in flight at once.
pub(super) const PREUPLOAD_CONCURRENCY: usize = 4;

/// How many small files one blocking task hashes.
pub(super) const SMALL_BATCH: usize = 64;

/// An added file.
pub(super) struct Added {
    index: usize,
    path: Arc<str>,
    source: AddSource,
}

/// One file of a preupload call: its size and sample (emptied once the call is sent), and its
/// hashes when they are known already (small content, hashed whole while reading the sample;
/// their own `sample` is moved here).
pub(super) struct Head {
    size: u64,
    sample: String,
    hashes: Option<FileHashes>,
}

/// Sets its flag when dropped: stops the hashing passes of a push that failed or was dropped.
#[derive(Default)]
pub(super) struct StopOnDrop(Cancel);

impl StopOnDrop {
    pub(super) fn flag(&self) -> Cancel {
        self.0.clone()
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The sizes known before hashing: files are looked at in one blocking task (`None` for one
/// that cannot be: its hashing reports why), bytes and readers say theirs.
pub(super) async fn known_sizes(adds: &[Added]) -> Vec<Option<u64>> {
    let files: Vec<Option<PathBuf>> = adds
        .iter()
        .map(|a| match &a.source {
            AddSource::File(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let stat = tokio::task::spawn_blocking(move || {
        files
            .iter()
            .map(|p| {
                p.as_ref()
                    .and_then(|p| std::fs::metadata(p).ok().map(|m| m.len()))
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    adds.iter()
        .enumerate()
        .map(|(i, a)| match &a.source {
            AddSource::File(_) => stat.get(i).copied().flatten(),
            other => other.known_size(),
        })
        .collect()
}

/// Whether a content is hashed on its own from the start (rather than in a batch with the
/// small ones of its preupload call): readers, and content of [`SMALL_CONTENT`] bytes or more.
pub(super) fn is_large(source: &AddSource, size: Option<u64>) -> bool {
    matches!(source, AddSource::Reader { .. }) || size.is_some_and(|s| s >= SMALL_CONTENT)
}

/// What one preupload call needs of its files: small ones hashed whole (in batches of
/// [`SMALL_BATCH`] on the blocking pool, concurrently), the large ones' sizes and samples.
pub(super) async fn read_heads(
    chunk: &[Added],
    sizes: &[Option<u64>],
    stop: &StopOnDrop,
    reporter: &Reporter,
) -> Result<Vec<Head>> {
    let (large, small): (Vec<usize>, Vec<usize>) =
        (0..chunk.len()).partition(|&i| is_large(&chunk[i].source, sizes[i]));
    let batches = small.chunks(SMALL_BATCH).map(|positions| {
        let items = positions
            .iter()
            .map(|&p| {
                let callback = reporter.bytes_callback(Phase::Hashing, &chunk[p].path, sizes[p]);
                (chunk[p].source.clone(), callback)
            })
            .collect();
        let paths: Vec<Arc<str>> = positions.iter().map(|&p| chunk[p].path.clone()).collect();
        let reporter = reporter.clone();
        let done: BatchDone = Arc::new(move |i, size| {
            if let Some(path) = paths.get(i) {
                reporter.file_done(Phase::Hashing, path, size);
            }
        });
        hash_small_batch(items, stop.flag(), done)
    });
    let samples = large.iter().map(|&p| size_and_sample(&chunk[p].source));
    let (hashed, sampled) = futures::join!(
        futures::future::join_all(batches),
        futures::future::join_all(samples)
    );
    let mut heads: Vec<Option<Head>> = (0..chunk.len()).map(|_| None).collect();
    for (&p, result) in small.iter().zip(hashed.into_iter().flatten()) {
        let mut hashes = result?;
        heads[p] = Some(Head {
            size: hashes.size,
            sample: std::mem::take(&mut hashes.sample),
            hashes: Some(hashes),
        });
    }
    for (&p, result) in large.iter().zip(sampled) {
        let (size, sample) = result?;
        heads[p] = Some(Head {
            size,
            sample,
            hashes: None,
        });
    }
    heads
        .into_iter()
        .map(|h| h.ok_or_else(|| Error::io("hashing", io::Error::other("a file was left unread"))))
        .collect()
}
