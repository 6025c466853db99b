//! [`StreamRequest`]: a file's bytes as they arrive, with its metadata, without the cache.

use std::future::IntoFuture;

use futures::future::BoxFuture;

use super::FileMetadata;
use super::cache::check_repo_path;
use super::wire::{self, Head};
use crate::client::{ByteStream, Hub};
use crate::error::{Error, Result};
use crate::repo::{Repo, validate_revision};

impl Hub {
    /// The bytes of the file `path` of `repo` as they arrive, with what the Hub says about it
    /// ([`FileMetadata`]); nothing is read from or written to the cache. The same wire as
    /// [`Hub::download`] (HEAD, then GET from storage without the token), without the resume:
    /// a failure part-way is an error item of the stream.
    ///
    /// ```no_run
    /// # async fn demo() -> hf_hub_api::Result<()> {
    /// use futures::StreamExt;
    /// use hf_hub_api::{Hub, repo::Repo};
    /// let hub = Hub::from_env()?;
    /// let repo = Repo::model("openai-community/gpt2")?;
    /// let mut file = hub.download_stream(&repo, "config.json").await?;
    /// println!("{} bytes at commit {}", file.metadata.size, file.metadata.commit);
    /// while let Some(chunk) = file.body.next().await {
    ///     let _bytes = chunk?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn download_stream(&self, repo: &Repo, path: &str) -> StreamRequest {
        StreamRequest {
            hub: self.clone(),
            repo: repo.clone(),
            path: path.to_owned(),
            revision: "main".to_owned(),
        }
    }
}

/// The request of [`Hub::download_stream`]: set options, then `.await` it (or call
/// [`send`](Self::send)).
#[derive(Debug)]
#[must_use = "a download does nothing until it is awaited"]
pub struct StreamRequest {
    hub: Hub,
    repo: Repo,
    path: String,
    revision: String,
}

/// A file being downloaded: its metadata and its body.
#[derive(Debug)]
#[non_exhaustive]
pub struct FileStream {
    /// What the Hub says about the file.
    pub metadata: FileMetadata,
    /// The bytes, as they arrive (exactly `metadata.size` of them when all goes well).
    pub body: ByteStream,
}

impl StreamRequest {
    /// The branch, tag, commit id or `refs/pr/N` (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = revision.into();
        self
    }

    /// Asks the Hub about the file and starts its body.
    pub async fn send(self) -> Result<FileStream> {
        check_repo_path("path in repo", &self.path)?;
        validate_revision(&self.revision)?;
        if self.hub.is_offline() {
            return Err(Error::invalid(
                "request",
                format!("{} {}", self.repo, self.path),
                "the client is offline (HF_HUB_OFFLINE): a stream needs the network; \
                 use Hub::download, which answers from the cache",
            ));
        }
        let url = wire::resolve_url(&self.hub, &self.repo, &self.revision, &self.path)?;
        let metadata = match wire::head(&self.hub, url).await? {
            Head::File(meta) => meta,
            Head::Missing { error, .. } => return Err(error),
        };
        let response = wire::get(&self.hub, &metadata.location, 0).await?;
        Ok(FileStream {
            metadata,
            body: ByteStream::of_response(response),
        })
    }
}

impl IntoFuture for StreamRequest {
    type Output = Result<FileStream>;
    type IntoFuture = BoxFuture<'static, Result<FileStream>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
