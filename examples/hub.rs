//! `hub`: a small command-line client of the Hugging Face Hub, built on `hf-hub-api`.
//!
//! Every command prints its results as JSON, **one object per line** on stdout (easy to pipe
//! into `jq`), and reports a failure as **one line** on stderr, `error: …`, with a non-zero exit
//! status (1 for a failed operation, 2 for a bad command line). The token is never printed.
//!
//! The client is configured from the environment, like the official clients: `HF_ENDPOINT`
//! (default `https://huggingface.co`), the token from `HF_TOKEN`, `HF_TOKEN_PATH` or
//! `$HF_HOME/token` (unless `HF_HUB_DISABLE_IMPLICIT_TOKEN` is set).
//!
//! ```text
//! cargo run --example hub -- list models --author google --sort downloads --limit 10
//! cargo run --example hub -- list datasets --search squad --filter task_categories:question-answering
//! cargo run --example hub -- tree openai-community/gpt2 --recursive
//! cargo run --example hub -- tree me/data --type dataset --rev dev --path data/train
//! cargo run --example hub -- commits me/my-model --rev main
//! cargo run --example hub -- whoami
//! cargo run --example hub -- upload me/my-model ./model.safetensors -m "Add weights"
//! cargo run --example hub -- upload me/data ./out data --type dataset --include '*.parquet' --create-pr
//! cargo run --example hub -- delete me/my-model old.bin logs/ -m "Clean up"
//! cargo run --example hub -- download openai-community/gpt2 config.json
//! cargo run --example hub -- snapshot openai-community/gpt2 --include '*.json' --exclude 'onnx/'
//! ```
//!
//! Commands:
//!
//! - `list models|datasets|spaces [--search S] [--author A] [--filter F]... [--sort KEY]
//!   [--limit N] [--page-size N]`: the repositories matching the query, following the Hub's
//!   `Link` pagination lazily. `--limit` caps the number of items printed (no page beyond the
//!   last one needed is requested); `--page-size` is the size of each page the Hub returns.
//!   Each line is an item exactly as the Hub sent it (no field dropped or reordered).
//! - `tree REPO [--type T] [--rev R] [--path P] [--recursive]`: the files and folders of a
//!   repository (under `P`, at revision `R`, default `main`).
//! - `commits REPO [--type T] [--rev R]`: the history of a revision, newest first.
//! - `whoami`: the account the token belongs to.
//! - `upload REPO LOCAL [PATH_IN_REPO] [--type T] [--rev R] [-m MSG] [--create-pr]
//!   [--include GLOB]... [--exclude GLOB]...`: one commit adding a file (stored at
//!   `PATH_IN_REPO`, default its file name) or a folder's files (under `PATH_IN_REPO`, default
//!   the root; `--include`/`--exclude` filter them by their path relative to `LOCAL`). Prints the
//!   commit's `oid`, `url`, the pull request opened with `--create-pr`, and `no_op` when every
//!   file was already there (nothing was committed).
//! - `delete REPO PATH... [--type T] [--rev R] [-m MSG] [--create-pr]`: one commit deleting
//!   files; a `PATH` ending with `/` deletes a folder.
//! - `download REPO PATH [--type T] [--revision R] [--local-dir D]`: one file into the shared
//!   cache (`HF_HUB_CACHE`, else `$HF_HOME/hub`) or `D`; prints its local path (a plain line).
//! - `snapshot REPO [--type T] [--revision R] [--include GLOB]... [--exclude GLOB]...
//!   [--local-dir D]`: every file of a revision (or those the globs choose); prints the local
//!   folder. Both answer from the cache alone with `HF_HUB_OFFLINE=1`.
//!
//! `REPO` is `namespace/name`; `--type` is `model` (the default), `dataset` or `space`. Every
//! argument is checked before anything is sent: an invalid repository id, revision or path is an
//! error without a request.

use std::io::{self, Write};
use std::num::NonZeroU64;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use futures::{FutureExt, Stream, StreamExt};
use hf_hub_api::Hub;
use hf_hub_api::commit::{CommitInfo, normalize_folder_path_in_repo, normalize_path_in_repo};
use hf_hub_api::pagination::{Paginator, RawItem};
use hf_hub_api::repo::{Repo, RepoId, RepoType, validate_revision};
use serde::{Deserialize, Serialize};

/// A command-line client of the Hugging Face Hub (JSON lines on stdout).
#[derive(Debug, Parser)]
#[command(name = "hub", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List models, datasets or Spaces.
    List(ListArgs),
    /// List the files and folders of a repository.
    Tree(TreeArgs),
    /// List the commits of a revision, newest first.
    Commits(CommitsArgs),
    /// Show the account the token belongs to.
    Whoami,
    /// Upload a file or a folder in one commit.
    Upload(UploadArgs),
    /// Delete files or folders in one commit.
    Delete(DeleteArgs),
    /// Download one file into the cache; print its local path.
    Download(DownloadArgs),
    /// Download a revision's files into the cache; print the folder.
    Snapshot(SnapshotArgs),
}

/// What `list` lists.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListKind {
    /// Model repositories.
    #[value(alias = "model")]
    Models,
    /// Dataset repositories.
    #[value(alias = "dataset")]
    Datasets,
    /// Spaces (with the `spaces` feature).
    #[cfg(feature = "spaces")]
    #[value(alias = "space")]
    Spaces,
}

/// The `--type` of a repository.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
enum Kind {
    /// A model repository.
    #[default]
    #[value(alias = "models")]
    Model,
    /// A dataset repository.
    #[value(alias = "datasets")]
    Dataset,
    /// A Space.
    #[value(alias = "spaces")]
    Space,
}

impl From<Kind> for RepoType {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Model => RepoType::Model,
            Kind::Dataset => RepoType::Dataset,
            Kind::Space => RepoType::Space,
        }
    }
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// What to list.
    kind: ListKind,
    /// Only repositories whose id contains this text.
    #[arg(long)]
    search: Option<String>,
    /// Only repositories of this user or organization.
    #[arg(long)]
    author: Option<String>,
    /// Only repositories with this tag (repeatable: all must match).
    #[arg(long = "filter", value_name = "TAG")]
    filters: Vec<String>,
    /// Sort by this property (e.g. `downloads`, `likes`, `lastModified`).
    #[arg(long, value_name = "KEY")]
    sort: Option<String>,
    /// Print at most this many items (no further page is requested).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// How many items each page the Hub returns holds.
    #[arg(long, value_name = "N")]
    page_size: Option<NonZeroU64>,
}

/// The repository a command works on.
#[derive(Debug, clap::Args)]
struct RepoArgs {
    /// The repository, `namespace/name`.
    #[arg(value_name = "REPO")]
    repo: String,
    /// The repository type.
    #[arg(long = "type", value_name = "TYPE", value_enum, default_value_t = Kind::Model)]
    kind: Kind,
}

impl RepoArgs {
    /// The repository, checked (before any request).
    fn repo(&self) -> hf_hub_api::Result<Repo> {
        Ok(Repo::new(
            self.kind.into(),
            RepoId::new(self.repo.as_str())?,
        ))
    }
}

#[derive(Debug, clap::Args)]
struct TreeArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// The revision: a branch, tag or commit.
    #[arg(long, value_name = "R", default_value = "main")]
    rev: String,
    /// The folder to list (default: the root).
    #[arg(long, value_name = "P")]
    path: Option<String>,
    /// List the folders' contents too, at any depth.
    #[arg(long)]
    recursive: bool,
}

#[derive(Debug, clap::Args)]
struct CommitsArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// The revision whose history is listed.
    #[arg(long, value_name = "R", default_value = "main")]
    rev: String,
}

/// What `upload` and `delete` share.
#[derive(Debug, clap::Args)]
struct CommitArgs {
    /// The commit title (default: one describing the change).
    #[arg(short = 'm', long = "message", value_name = "MSG")]
    message: Option<String>,
    /// The branch to commit to (or to open the pull request against).
    #[arg(long, value_name = "R")]
    rev: Option<String>,
    /// Open a pull request with the change instead of committing to the branch.
    #[arg(long)]
    create_pr: bool,
}

#[derive(Debug, clap::Args)]
struct UploadArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// The local file or folder to upload.
    local: PathBuf,
    /// Where it goes in the repository (a file: default its name; a folder: default the root).
    path_in_repo: Option<String>,
    #[command(flatten)]
    commit: CommitArgs,
    /// Of a folder, upload only the files matching this glob (repeatable).
    #[arg(long = "include", value_name = "GLOB")]
    include: Vec<String>,
    /// Of a folder, skip the files matching this glob (repeatable).
    #[arg(long = "exclude", value_name = "GLOB")]
    exclude: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct DeleteArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// The files to delete; a path ending with `/` deletes a folder.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<String>,
    #[command(flatten)]
    commit: CommitArgs,
}

#[derive(Debug, clap::Args)]
struct DownloadArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// The file's path in the repository.
    path: String,
    /// The revision: a branch, tag, commit or `refs/pr/N`.
    #[arg(long, value_name = "R", default_value = "main")]
    revision: String,
    /// Put the file under this folder instead of the cache.
    #[arg(long, value_name = "D")]
    local_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct SnapshotArgs {
    #[command(flatten)]
    repo: RepoArgs,
    /// The revision: a branch, tag, commit or `refs/pr/N`.
    #[arg(long, value_name = "R", default_value = "main")]
    revision: String,
    /// Download only the files matching this glob (repeatable).
    #[arg(long = "include", value_name = "GLOB")]
    include: Vec<String>,
    /// Skip the files matching this glob (repeatable).
    #[arg(long = "exclude", value_name = "GLOB")]
    exclude: Vec<String>,
    /// Put the files under this folder instead of the cache.
    #[arg(long, value_name = "D")]
    local_dir: Option<PathBuf>,
}

/// Why the program stops early.
enum Failure {
    /// The library refused the input or the Hub failed.
    Hub(hf_hub_api::Error),
    /// Anything else, already worded.
    Other(String),
    /// Writing to stdout failed.
    Output(io::Error),
}

impl From<hf_hub_api::Error> for Failure {
    fn from(e: hf_hub_api::Error) -> Self {
        Failure::Hub(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

type Outcome = Result<(), Failure>;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // `--help` and `--version`: not errors.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            report(&usage_message(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`hub list models | head`): stop quietly.
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            report(&format!("cannot write the output: {e}"));
            ExitCode::FAILURE
        }
        Err(Failure::Other(message)) => {
            report(&message);
            ExitCode::FAILURE
        }
        Err(Failure::Hub(e)) => {
            report(&describe(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Outcome {
    // Check the arguments before building the client, so bad input never reaches the network.
    match cli.command {
        Command::List(args) => list(args).await,
        Command::Tree(args) => tree(args).await,
        Command::Commits(args) => commits(args).await,
        Command::Whoami => {
            let me = Hub::from_env()?.whoami().await?;
            Output::new().line(&me)
        }
        Command::Upload(args) => upload(args).await,
        Command::Delete(args) => delete(args).await,
        Command::Download(args) => download(args).await,
        Command::Snapshot(args) => snapshot(args).await,
    }
}

async fn download(args: DownloadArgs) -> Outcome {
    let repo = args.repo.repo()?;
    validate_revision(&args.revision)?;
    let hub = Hub::from_env()?;
    let mut request = hub.download(&repo, &args.path).revision(args.revision);
    if let Some(dir) = args.local_dir {
        request = request.local_dir(dir);
    }
    let path = request.await?;
    print_path(&path)
}

async fn snapshot(args: SnapshotArgs) -> Outcome {
    let repo = args.repo.repo()?;
    validate_revision(&args.revision)?;
    let hub = Hub::from_env()?;
    let mut request = hub.snapshot(&repo).revision(args.revision);
    for glob in args.include {
        request = request.include(glob);
    }
    for glob in args.exclude {
        request = request.exclude(glob);
    }
    if let Some(dir) = args.local_dir {
        request = request.local_dir(dir);
    }
    let folder = request.await?;
    print_path(&folder)
}

/// A local path, alone on a line.
fn print_path(path: &std::path::Path) -> Outcome {
    let mut out = io::stdout().lock();
    writeln!(out, "{}", path.display())?;
    out.flush()?;
    Ok(())
}

/// Applies the listing options a CLI user gave to a list request of any repository type.
macro_rules! listing {
    ($request:expr, $args:expr) => {{
        let args = $args;
        let mut request = $request;
        if let Some(v) = args.search {
            request = request.search(v);
        }
        if let Some(v) = args.author {
            request = request.author(v);
        }
        if !args.filters.is_empty() {
            request = request.filter(args.filters);
        }
        if let Some(v) = args.sort {
            request = request.sort(v);
        }
        if let Some(v) = args.page_size {
            request = request.limit(v.get());
        }
        request.into_paginator()
    }};
}

async fn list(args: ListArgs) -> Outcome {
    let hub = Hub::from_env()?;
    let limit = args.limit;
    let items = match args.kind {
        ListKind::Models => listing!(hub.list_models(), args).raw_items(),
        ListKind::Datasets => listing!(hub.list_datasets(), args).raw_items(),
        #[cfg(feature = "spaces")]
        ListKind::Spaces => listing!(hub.list_spaces(), args).raw_items(),
    };
    print_raw_items(items, limit).await
}

/// Prints the items of a listing as the Hub sent them (no decoding, no re-encoding), one per
/// line, at most `limit` of them. Lines are buffered while the next item is at hand and
/// flushed whenever the listing waits for the Hub, so output still streams page by page.
async fn print_raw_items(
    items: Pin<Box<dyn Stream<Item = hf_hub_api::Result<RawItem>> + Send>>,
    limit: Option<usize>,
) -> Outcome {
    // `take` stops polling once it has enough, so no page past the last one needed is fetched.
    let mut items: Pin<Box<dyn Stream<Item = hf_hub_api::Result<RawItem>> + Send>> = match limit {
        Some(n) => Box::pin(items.take(n)),
        None => items,
    };
    let mut out = io::BufWriter::with_capacity(256 * 1024, io::stdout().lock());
    loop {
        let item = match items.next().now_or_never() {
            Some(item) => item,
            None => {
                out.flush()?;
                items.next().await
            }
        };
        let Some(item) = item else { break };
        let item = item?;
        let text = item.as_bytes();
        // A JSON value has line breaks only between its tokens: dropping them keeps it the
        // same value, on one line.
        if text.contains(&b'\n') || text.contains(&b'\r') {
            let one_line: Vec<u8> = text
                .iter()
                .copied()
                .filter(|b| *b != b'\n' && *b != b'\r')
                .collect();
            out.write_all(&one_line)?;
        } else {
            out.write_all(text)?;
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

async fn tree(args: TreeArgs) -> Outcome {
    let repo = args.repo.repo()?;
    validate_revision(&args.rev)?;
    let folder = match args.path.as_deref() {
        None | Some("" | "/") => String::new(),
        Some(p) => normalize_folder_path_in_repo(p)?,
    };
    let hub = Hub::from_env()?;
    let mut request = hub.list_repo_tree(&repo, &args.rev, &folder);
    if args.recursive {
        request = request.recursive(true);
    }
    print_items(request.into_paginator(), None).await
}

async fn commits(args: CommitsArgs) -> Outcome {
    let repo = args.repo.repo()?;
    validate_revision(&args.rev)?;
    let hub = Hub::from_env()?;
    let paginator = hub.list_repo_commits(&repo, &args.rev).into_paginator();
    print_items(paginator, None).await
}

async fn upload(args: UploadArgs) -> Outcome {
    let repo = args.repo.repo()?;
    let local = &args.local;
    let meta = std::fs::metadata(local)
        .map_err(|e| Failure::Other(format!("cannot read {}: {e}", local.display())))?;
    let hub = Hub::from_env()?;
    let builder = if meta.is_dir() {
        let folder = match args.path_in_repo.as_deref() {
            None | Some("" | "/") => String::new(),
            Some(p) => normalize_folder_path_in_repo(p)?,
        };
        let summary = args.commit.message.clone().unwrap_or_else(|| {
            if folder.is_empty() {
                "Upload folder with hf-hub-api".to_owned()
            } else {
                format!("Upload {folder} with hf-hub-api")
            }
        });
        hub.commit(repo).summary(summary).upload_folder(
            local,
            folder,
            args.include,
            args.exclude,
            Vec::new(),
        )
    } else {
        if !args.include.is_empty() || !args.exclude.is_empty() {
            return Err(Failure::Other(format!(
                "--include and --exclude apply to a folder, and {} is a file",
                local.display()
            )));
        }
        let path_in_repo = match args.path_in_repo {
            Some(p) => normalize_path_in_repo(&p)?,
            None => local
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_owned)
                .ok_or_else(|| {
                    Failure::Other(format!(
                        "cannot name {} in the repository; give PATH_IN_REPO",
                        local.display()
                    ))
                })?,
        };
        let summary = args
            .commit
            .message
            .clone()
            .unwrap_or_else(|| format!("Upload {path_in_repo} with hf-hub-api"));
        hub.commit(repo)
            .summary(summary)
            .add_file(path_in_repo, local.clone())
    };
    let builder = match &args.commit.rev {
        Some(rev) => builder.revision(rev.clone()),
        None => builder,
    };
    let info = builder.create_pr(args.commit.create_pr).push().await?;
    Output::new().line(&commit_json(&info))
}

async fn delete(args: DeleteArgs) -> Outcome {
    let repo = args.repo.repo()?;
    let hub = Hub::from_env()?;
    let summary = args
        .commit
        .message
        .clone()
        .unwrap_or_else(|| match &args.paths[..] {
            [one] => format!("Delete {one} with hf-hub-api"),
            many => format!("Delete {} paths with hf-hub-api", many.len()),
        });
    let mut builder = hub.commit(repo).summary(summary);
    for path in &args.paths {
        // The builder checks every path when it pushes, before any request.
        builder = if path.ends_with('/') {
            builder.delete_folder(path.clone())
        } else {
            builder.delete_file(path.clone())
        };
    }
    if let Some(rev) = &args.commit.rev {
        builder = builder.revision(rev.clone());
    }
    let info = builder.create_pr(args.commit.create_pr).push().await?;
    Output::new().line(&commit_json(&info))
}

/// The JSON line printed for a commit.
fn commit_json(info: &CommitInfo) -> serde_json::Value {
    serde_json::json!({
        "oid": info.oid,
        "url": info.url,
        "pull_request_url": info.pull_request_url,
        "pull_request_revision": info.pull_request_revision,
        "no_op": info.no_op,
    })
}

/// Prints the items of a listing as they arrive, at most `limit` of them.
async fn print_items<T>(paginator: Paginator<T>, limit: Option<usize>) -> Outcome
where
    T: Serialize + for<'de> Deserialize<'de> + Send + 'static,
{
    let items = paginator.items();
    // `take` stops polling once it has enough, so no page past the last one needed is fetched.
    let mut items: Pin<Box<dyn Stream<Item = hf_hub_api::Result<T>> + Send>> = match limit {
        Some(n) => Box::pin(items.take(n)),
        None => items,
    };
    let mut out = Output::new();
    while let Some(item) = items.next().await {
        out.line(&item?)?;
    }
    Ok(())
}

/// Stdout, one JSON object per line, flushed line by line so a listing streams.
struct Output {
    stdout: io::StdoutLock<'static>,
}

impl Output {
    fn new() -> Self {
        Output {
            stdout: io::stdout().lock(),
        }
    }

    fn line<T: Serialize + ?Sized>(&mut self, value: &T) -> Outcome {
        let text = serde_json::to_string(value)
            .map_err(|e| Failure::Other(format!("cannot encode the answer as JSON: {e}")))?;
        self.stdout.write_all(text.as_bytes())?;
        self.stdout.write_all(b"\n")?;
        self.stdout.flush()?;
        Ok(())
    }
}

/// The error and its causes, on one line.
fn describe(e: &hf_hub_api::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let more = cause.to_string();
        if !more.is_empty() && !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// Clap's message without its usage and hints (`error: ` is added back by [`report`]), e.g.
/// `the following required arguments were not provided: <REPO>`.
fn usage_message(message: &str) -> String {
    let text: Vec<&str> = message
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    if text.is_empty() {
        return "invalid command line".to_owned();
    }
    text.join(" ").trim_start_matches("error: ").to_owned()
}

/// Writes `error: <message>` as one line on stderr, with any token that might appear removed.
fn report(message: &str) {
    let mut text: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Ok(token) = std::env::var("HF_TOKEN") {
        let token = token.trim();
        if !token.is_empty() {
            text = text.replace(token, "<redacted>");
        }
    }
    let _ = writeln!(io::stderr().lock(), "error: {text}");
}
