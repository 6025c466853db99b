//! Progress reporting of a commit.
//!
//! A [`CommitBuilder`](super::CommitBuilder) given an observer with
//! [`progress`](super::CommitBuilder::progress) tells it, through [`ProgressEvent`]s, when each
//! [`Phase`] starts and how many bytes of each file were hashed and uploaded. The library itself
//! never prints anything; with the cargo feature `indicatif`, `IndicatifProgress` is a ready-made
//! observer drawing progress bars on the terminal.
//!
//! Observers are called synchronously from the tasks and blocking threads doing the work (hashing
//! runs on tokio's blocking pool, uploads run concurrently): an observer must be cheap, must not
//! block, and must tolerate being called from several threads at once.

use std::sync::Arc;

/// The phases of a commit, in the order they start. Hashing and the preupload overlap: the
/// preupload starts right after hashing does, and large files may still be hashing (their
/// [`ProgressEvent::FileBytes`] keep coming) while it runs; uploads start once every file is
/// hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Reading every added file once to compute its size, sha256 and git blob id.
    Hashing,
    /// Asking the Hub which files go to LFS and which are already there.
    Preupload,
    /// Sending LFS objects to storage.
    Uploading,
    /// Streaming the commit body to the Hub.
    Committing,
    /// Finished: the commit was created, or there was nothing to commit (or, for a download,
    /// every file is in place).
    Done,
    /// Bringing files from the Hub (a [download](crate::download), not a commit).
    Downloading,
}

impl Phase {
    /// A short lowercase name for display (`"hashing"`, `"preupload"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Hashing => "hashing",
            Phase::Preupload => "preupload",
            Phase::Uploading => "uploading",
            Phase::Committing => "committing",
            Phase::Done => "done",
            Phase::Downloading => "downloading",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing that happened during a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A phase starts.
    ///
    /// `files` and `bytes` are what the phase works on: the added files and their sizes (as listed
    /// before hashing) for [`Phase::Hashing`] and [`Phase::Preupload`], the LFS objects to send for
    /// [`Phase::Uploading`], the number of lines after the header and the exact body length for
    /// [`Phase::Committing`], and the number of lines committed (0 for a no-op) for
    /// [`Phase::Done`].
    PhaseStarted {
        /// The phase.
        phase: Phase,
        /// How many files (or lines) it concerns.
        files: usize,
        /// How many bytes it concerns (0 when not meaningful).
        bytes: u64,
    },
    /// More bytes of a file were hashed ([`Phase::Hashing`]) or handed to the connection
    /// ([`Phase::Uploading`]). `bytes` is a delta; a retried upload counts again, so the sum may
    /// exceed `file_size`.
    FileBytes {
        /// The phase.
        phase: Phase,
        /// The file's path in the repository.
        path: Arc<str>,
        /// How many more bytes.
        bytes: u64,
        /// The file's size, when known (before hashing, a local file's size is not yet known).
        file_size: Option<u64>,
    },
    /// A file is done with a phase (hashed, stored in LFS, or downloaded: `size` is then 0 for
    /// a file that was already in place).
    FileDone {
        /// The phase.
        phase: Phase,
        /// The file's path in the repository.
        path: Arc<str>,
        /// Its size in bytes.
        size: u64,
    },
    /// More bytes of the commit body were handed to the connection (a delta).
    CommitBodyBytes {
        /// How many more bytes.
        bytes: u64,
    },
}

/// Receives the [`ProgressEvent`]s of a commit; see the [module docs](self).
///
/// Any `Fn(&ProgressEvent) + Send + Sync` closure is an observer.
pub trait ProgressObserver: Send + Sync {
    /// Called for each event, from whatever task or thread produced it.
    fn on_event(&self, event: &ProgressEvent);
}

impl<F> ProgressObserver for F
where
    F: Fn(&ProgressEvent) + Send + Sync,
{
    fn on_event(&self, event: &ProgressEvent) {
        self(event);
    }
}

/// The observer of one commit, or none.
#[derive(Clone, Default)]
pub(crate) struct Reporter(Option<Arc<dyn ProgressObserver>>);

impl Reporter {
    pub(crate) fn new(observer: Option<Arc<dyn ProgressObserver>>) -> Self {
        Reporter(observer)
    }

    pub(crate) fn is_on(&self) -> bool {
        self.0.is_some()
    }

    pub(crate) fn emit(&self, event: ProgressEvent) {
        if let Some(observer) = &self.0 {
            observer.on_event(&event);
        }
    }

    pub(crate) fn phase(&self, phase: Phase, files: usize, bytes: u64) {
        self.emit(ProgressEvent::PhaseStarted {
            phase,
            files,
            bytes,
        });
    }

    pub(crate) fn file_done(&self, phase: Phase, path: &Arc<str>, size: u64) {
        self.emit(ProgressEvent::FileDone {
            phase,
            path: path.clone(),
            size,
        });
    }

    /// A byte callback for one file in one phase, or `None` when nobody listens.
    pub(crate) fn bytes_callback(
        &self,
        phase: Phase,
        path: &Arc<str>,
        file_size: Option<u64>,
    ) -> Option<super::ops::ByteProgress> {
        let observer = self.0.clone()?;
        let path = path.clone();
        Some(Arc::new(move |bytes: u64| {
            observer.on_event(&ProgressEvent::FileBytes {
                phase,
                path: path.clone(),
                bytes,
                file_size,
            });
        }))
    }
}

#[cfg(feature = "indicatif")]
pub use bars::IndicatifProgress;

#[cfg(feature = "indicatif")]
mod bars {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

    use super::{Phase, ProgressEvent, ProgressObserver};

    /// A [`ProgressObserver`] drawing progress bars with `indicatif` (cargo feature `indicatif`):
    /// one bar per phase, plus one bar per LFS file being uploaded and per file of 10 MiB or
    /// more being downloaded.
    ///
    /// Bars are drawn on standard error by `indicatif`, which hides them when it is not a terminal;
    /// [`new`](Self::new) draws nothing when `HF_HUB_DISABLE_PROGRESS_BARS` is set to a true value.
    ///
    /// ```no_run
    /// # async fn demo() -> hf_hub_api::Result<()> {
    /// use hf_hub_api::{Hub, commit::IndicatifProgress, repo::Repo};
    /// let hub = Hub::from_env()?;
    /// hub.commit(Repo::model("me/my-model")?)
    ///     .summary("Upload weights")
    ///     .add_file("model.safetensors", "./model.safetensors")
    ///     .progress(IndicatifProgress::new())
    ///     .push()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub struct IndicatifProgress {
        multi: MultiProgress,
        state: Mutex<State>,
    }

    #[derive(Default)]
    struct State {
        main: Option<ProgressBar>,
        files: HashMap<Arc<str>, ProgressBar>,
    }

    impl std::fmt::Debug for IndicatifProgress {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("IndicatifProgress").finish_non_exhaustive()
        }
    }

    impl Default for IndicatifProgress {
        fn default() -> Self {
            Self::new()
        }
    }

    fn bytes_style() -> ProgressStyle {
        ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
    }

    impl IndicatifProgress {
        /// Bars drawn on standard error (hidden when `HF_HUB_DISABLE_PROGRESS_BARS` is set).
        pub fn new() -> Self {
            let disabled = crate::config::progress_bars_disabled(&|name| std::env::var(name).ok());
            let multi = if disabled {
                MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
            } else {
                MultiProgress::new()
            };
            IndicatifProgress {
                multi,
                state: Mutex::new(State::default()),
            }
        }

        /// Bars drawn through this `MultiProgress` (e.g. to share it with other bars).
        pub fn with_multi_progress(multi: MultiProgress) -> Self {
            IndicatifProgress {
                multi,
                state: Mutex::new(State::default()),
            }
        }

        fn new_bar(&self, len: u64, message: String) -> ProgressBar {
            let bar = self.multi.add(ProgressBar::new(len));
            bar.set_style(bytes_style());
            bar.set_message(message);
            bar
        }
    }

    impl ProgressObserver for IndicatifProgress {
        fn on_event(&self, event: &ProgressEvent) {
            let Ok(mut state) = self.state.lock() else {
                return;
            };
            match event {
                ProgressEvent::PhaseStarted {
                    phase,
                    files,
                    bytes,
                } => {
                    if let Some(bar) = state.main.take() {
                        bar.finish_and_clear();
                    }
                    for (_, bar) in state.files.drain() {
                        bar.finish_and_clear();
                    }
                    match phase {
                        Phase::Done => {
                            let _ = self.multi.clear();
                        }
                        Phase::Preupload => {
                            let bar = self.multi.add(ProgressBar::new_spinner());
                            bar.set_message(format!("preupload of {files} files"));
                            state.main = Some(bar);
                        }
                        other => {
                            state.main = Some(self.new_bar(*bytes, other.as_str().to_owned()));
                        }
                    }
                }
                ProgressEvent::FileBytes {
                    phase,
                    path,
                    bytes,
                    file_size,
                } => {
                    if let Some(bar) = &state.main {
                        bar.inc(*bytes);
                    }
                    let per_file = match phase {
                        Phase::Uploading => true,
                        Phase::Downloading => file_size.unwrap_or(0) >= 10 * 1024 * 1024,
                        _ => false,
                    };
                    if per_file {
                        if !state.files.contains_key(path) {
                            let bar = self.new_bar(file_size.unwrap_or(0), path.to_string());
                            state.files.insert(path.clone(), bar);
                        }
                        if let Some(bar) = state.files.get(path) {
                            bar.inc(*bytes);
                        }
                    }
                }
                ProgressEvent::FileDone { path, .. } => {
                    if let Some(bar) = state.files.remove(path) {
                        bar.finish_and_clear();
                    }
                }
                ProgressEvent::CommitBodyBytes { bytes } => {
                    if let Some(bar) = &state.main {
                        bar.inc(*bytes);
                    }
                }
            }
        }
    }
}
