//! The commit itself: the streamed ndjson body, and what its errors say.

use super::*;

impl CommitBuilder {
    pub(super) async fn send_commit(
        &self,
        lines: Vec<CommitLine>,
        reporter: &Reporter,
    ) -> Result<CommitInfo> {
        let header = CommitHeader {
            summary: self.summary.clone(),
            description: self.description.clone(),
            parent_commit: self.parent_commit.clone(),
        };
        let total = commit_body_len(&header, &lines).unwrap_or(0);
        reporter.phase(Phase::Committing, lines.len(), total);
        let failure: Arc<Mutex<Option<(io::ErrorKind, String)>>> = Arc::new(Mutex::new(None));
        let recorder = failure.clone();
        let progress = reporter.clone();
        let stream = commit_body(header, lines)
            .inspect_ok(move |chunk| {
                if progress.is_on() {
                    progress.emit(ProgressEvent::CommitBodyBytes {
                        bytes: chunk.len() as u64,
                    });
                }
            })
            .inspect_err(move |e| {
                if let Ok(mut slot) = recorder.lock() {
                    *slot = Some((e.kind(), e.to_string()));
                }
            });
        let mut request = self.hub.create_commit(
            &self.repo,
            &self.revision,
            reqwest::Body::wrap_stream(stream),
        );
        if self.create_pr {
            request = request.create_pr(true);
        }
        let result = request.await;
        match result {
            Ok(response) => {
                let info = CommitInfo::from_response(response);
                tracing::info!(oid = %info.oid, pr = ?info.pull_request_url, "commit created");
                Ok(info)
            }
            Err(err) => {
                if let Some((kind, message)) = failure.lock().ok().and_then(|mut s| s.take()) {
                    return Err(Error::Io {
                        context: format!(
                            "sending the commit body failed, no commit was created: {message}"
                        ),
                        source: io::Error::new(kind, message),
                    });
                }
                Err(self.commit_error(err))
            }
        }
    }

    pub(super) fn commit_error(&self, err: Error) -> Error {
        match err {
            Error::Hub(mut hub) => {
                if let HubErrorKind::CommitConflict { expected_parent } = &mut hub.kind {
                    expected_parent.clone_from(&self.parent_commit);
                    let note = match &self.parent_commit {
                        Some(parent) => format!(
                            "the head of {:?} is no longer the parent commit {parent}",
                            self.revision
                        ),
                        None => format!("the head of {:?} moved during the commit", self.revision),
                    };
                    hub.message = if hub.message.is_empty() {
                        note
                    } else {
                        format!("{note}: {}", hub.message)
                    };
                }
                Error::Hub(hub)
            }
            other => other,
        }
    }
}
