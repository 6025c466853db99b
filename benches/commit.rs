//! Wall time and peak RSS of one big commit of real files on disk, to the Hub simulator on
//! loopback, by this crate (`hub.commit(..).upload_folder(..).push()`), the official Python
//! client (`HfApi.upload_folder`, `benches/python_commit.py`) and the `hf-hub` crate 1.0
//! (`upload_folder`, from a throwaway crate built under `target/bench-hf-hub/`), side by side in
//! one run, as ratios. See `benches/README.md`.
//!
//! ```text
//! cargo bench --bench commit                                # cases (a) and (b), ours only
//! BENCH_PYTHON=1 BENCH_HF_HUB=1 cargo bench --bench commit  # and the other two clients
//! BENCH_CASES=b cargo bench --bench commit                  # only (b)
//! ```
//!
//! - **(a)** 10,000 files of 2 KiB (regular: inline, base64, in the ndjson commit body) and one
//!   1 GiB file (LFS, multipart in 16 MiB parts);
//! - **(b)** 1,000 files of 2 KiB and one 64 MiB file (LFS, multipart in 16 MiB parts).
//!
//! The files are generated once per case under `target/bench-commit/` (pseudo-random content,
//! so nothing dedupes) and deleted at the end. Every client run gets a **fresh simulator** in a
//! child process (this binary re-executed with `HF_BENCH_ROLE=server`; it keeps objects in
//! memory, so a second run against the same one would find the LFS object already stored), and
//! runs in a process of its own (ours: `HF_BENCH_ROLE=client`), so each peak RSS is one client's.
//! Each time is the one call, measured inside the client's process.
//!
//! Environment: `BENCH_CASES` (`a,b` by default), `BENCH_RUNS` (runs per client and case, the
//! fastest reported; default 1), `BENCH_PYTHON=1` (also the official client, with
//! `BENCH_PYTHON_BIN`, default `target/interop-venv/bin/python`), `BENCH_HF_HUB=1` (also
//! `hf-hub` 1.0), `BENCH_TMPDIR` (where the files go; default `target/bench-commit` of this
//! package), `BENCH_ENFORCE=1` (exit 1 when a target is missed), `BENCH_PERF_CTL` (a `perf
//! record --control fifo:` path: our client enables the profiler just around `push`).
//! Without cargo's `--bench` argument (`cargo test --benches`) it is a small smoke run.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use hf_hub_api::commit::{Phase, ProgressEvent};
use hf_hub_api::repo::Repo;
use hf_hub_api::types::TreeEntryType;
use hf_hub_api::{CommitInfo, Hub};
use hf_hub_sim::{RepoType, SimConfig, Simulator};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Set in the child processes: `client` (our measured client) or `server` (the simulator).
const ROLE_ENV: &str = "HF_BENCH_ROLE";
/// Tells a child process whether this is a smoke run (`1`) or the real one (`0`).
const SMOKE_ENV: &str = "HF_BENCH_SMOKE";
/// The repository every client commits to (created by the simulator child at start).
const REPO_NAME: &str = "commit-bench";
/// The wall-time targets of the project: (a) at most this long...
const TARGET_A_SECS: f64 = 1.5;
/// ...and (b) at least this many times faster than the official client.
const TARGET_B_RATIO: f64 = 2.0;
const MIB: u64 = 1024 * 1024;
/// Files of at least this size go through LFS: the 2 KiB files are regular, inline.
const LFS_THRESHOLD: u64 = 10 * MIB;
/// LFS objects of at least this size are uploaded in parts.
const MULTIPART_THRESHOLD: u64 = 64 * MIB;
/// The size of one part.
const PART_SIZE: u64 = 16 * MIB;
/// The simulator's largest request body: a part, or a 10,000-file ndjson body (~28 MB).
const MAX_BODY: usize = 64 * MIB as usize;
/// The size of each small file.
const SMALL_SIZE: usize = 2048;
/// How the large file is written (and the buffer generation uses).
const WRITE_CHUNK: usize = 4 * MIB as usize;
/// The peak RSS the project aims for, for case (a).
const TARGET_PEAK_KIB: u64 = 64 * 1024;
/// A child server stops by itself after this long, whatever happens to its parent.
const SERVE_MAX: Duration = Duration::from_secs(3600);
/// How often the RSS sampler reads `/proc/self/status`.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    let role = std::env::var(ROLE_ENV).unwrap_or_default();
    if role == "server" {
        return serve();
    }
    let result = if role == "client" {
        run_client()
    } else {
        run()
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("commit bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------ cases

#[derive(Clone, Debug)]
struct Case {
    name: &'static str,
    small_files: usize,
    large_size: u64,
    /// Whether the 64 MiB target applies.
    targeted: bool,
}

impl Case {
    fn total_bytes(&self) -> u64 {
        self.small_files as u64 * SMALL_SIZE as u64 + self.large_size
    }

    fn files(&self) -> usize {
        self.small_files + 1
    }

    fn describe(&self) -> String {
        format!(
            "{} × {} KiB + one {}",
            thousands(self.small_files as f64),
            SMALL_SIZE / 1024,
            human(self.large_size)
        )
    }
}

fn cases(smoke: bool) -> AnyResult<Vec<Case>> {
    let all = if smoke {
        vec![
            Case {
                name: "a",
                small_files: 300,
                large_size: 80 * MIB + 12_345,
                targeted: false,
            },
            Case {
                name: "b",
                small_files: 100,
                large_size: 12 * MIB,
                targeted: false,
            },
        ]
    } else {
        vec![
            Case {
                name: "a",
                small_files: 10_000,
                large_size: 1024 * MIB,
                targeted: true,
            },
            Case {
                name: "b",
                small_files: 1_000,
                large_size: 64 * MIB,
                targeted: false,
            },
        ]
    };
    let wanted = std::env::var("BENCH_CASES").unwrap_or_else(|_| "a,b".to_owned());
    let mut out = Vec::new();
    for name in wanted.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let case = all
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| format!("BENCH_CASES: unknown case {name:?} (a or b)"))?;
        out.push(case.clone());
    }
    if out.is_empty() {
        return Err("BENCH_CASES selects no case".into());
    }
    Ok(out)
}

// ------------------------------------------------------------------ /proc and formatting

#[path = "support/child.rs"]
mod child;
#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/hf_hub_crate.rs"]
mod hf_hub_crate;
#[path = "support/numbers.rs"]
mod numbers;
#[path = "support/procfs.rs"]
mod procfs;
use cpu::cpu_secs;
use numbers::thousands;
use procfs::{hwm, mib, reset_hwm, rss, status_kib};

fn human(bytes: u64) -> String {
    if bytes >= 1024 * MIB && bytes.is_multiple_of(1024 * MIB) {
        format!("{} GiB", bytes / (1024 * MIB))
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// MB/s (10^6 bytes per second).
fn rate(bytes: u64, secs: f64) -> String {
    if secs <= 0.0 {
        return "-".to_owned();
    }
    format!("{:.1} MB/s", bytes as f64 / 1e6 / secs)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ------------------------------------------------------------------ the files

/// xorshift64*: fast pseudo-random words, a different stream per seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            let word = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

const LARGE_NAME: &str = "model.safetensors";

fn small_path(i: usize) -> String {
    format!("data/shard-{:02}/file-{i:05}.bin", i / 1000)
}

fn small_content(case: &Case, i: usize, buf: &mut [u8]) {
    Rng::new(((case.name.as_bytes()[0] as u64) << 32) ^ (i as u64 + 1)).fill(buf);
}

/// Free space of the filesystem holding `dir`, in bytes (`df -Pk`), if it can be told.
fn free_bytes(dir: &Path) -> Option<u64> {
    let out = Command::new("df").arg("-Pk").arg(dir).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let line = text.lines().nth(1)?;
    let kib: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib * 1024)
}

/// Writes the case's files under `dir`; returns the large file's sha256.
fn generate(case: &Case, dir: &Path) -> AnyResult<String> {
    let mut buf = vec![0u8; SMALL_SIZE];
    for i in 0..case.small_files {
        let path = dir.join(small_path(i));
        if i % 1000 == 0
            && let Some(parent) = path.parent()
        {
            std::fs::create_dir_all(parent)?;
        }
        small_content(case, i, &mut buf);
        std::fs::write(&path, &buf)?;
    }
    let mut file = std::fs::File::create(dir.join(LARGE_NAME))?;
    let mut rng = Rng::new(0xB16_F11E ^ case.large_size);
    let mut sha = Sha256::new();
    let mut chunk = vec![0u8; WRITE_CHUNK];
    let mut left = case.large_size;
    while left > 0 {
        let n = left.min(WRITE_CHUNK as u64) as usize;
        rng.fill(&mut chunk[..n]);
        sha.update(&chunk[..n]);
        file.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    file.sync_all()?;
    Ok(hex(&sha.finalize()))
}

/// The git blob id of a file's content.
fn git_blob_id(content: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(format!("blob {}\0", content.len()).as_bytes());
    sha.update(content);
    hex(&sha.finalize())
}

// ------------------------------------------------------------------ the simulator child

fn sim_config() -> SimConfig {
    SimConfig::default()
        .lfs_threshold(LFS_THRESHOLD)
        .multipart_threshold(MULTIPART_THRESHOLD)
        .multipart_chunk_size(PART_SIZE)
        .max_body_bytes(MAX_BODY)
        // Every request is recorded; keep the record small, it is not what we measure.
        .max_recorded_requests(16)
}

fn repo_id() -> String {
    format!("{}/{REPO_NAME}", hf_hub_sim::DEFAULT_USER)
}

/// The child-process server: creates the repository, prints its endpoint and token, then
/// answers `verify` lines on stdin until stdin closes (or [`SERVE_MAX`]).
fn serve() -> ExitCode {
    let sim = match Simulator::start(sim_config()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("the simulator could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = sim.create_repo(RepoType::Model, &repo_id(), false) {
        eprintln!("the simulator could not create {}: {e}", repo_id());
        return ExitCode::FAILURE;
    }
    let token = sim.token().unwrap_or_default().to_owned();
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{}\n{token}", sim.endpoint())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    // A watchdog: the parent may die without closing stdin (it cannot, but be sure).
    std::thread::spawn(|| {
        std::thread::sleep(SERVE_MAX);
        std::process::exit(3);
    });
    let stdin = std::io::stdin().lock();
    for line in stdin.lines() {
        let Ok(line) = line else { break };
        let answer = match line.as_str() {
            "verify" => server_verify(&sim, &repo_id()),
            _ => format!("error unknown command {line:?}"),
        };
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
    drop(sim);
    ExitCode::SUCCESS
}

/// What the simulator holds on `main` of `repo`, in one line:
/// `files=N lfs=M bytes=B large=<path> large_oid=<oid> large_sha256=<sha256 of its content>`.
fn server_verify(sim: &hf_hub_sim::SimHandle, repo: &str) -> String {
    let Some(files) = sim.files(RepoType::Model, repo, "main") else {
        return format!("error no repository {repo}");
    };
    let lfs = files.iter().filter(|f| f.lfs.is_some()).count();
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    let mut line = format!("files={} lfs={lfs} bytes={bytes}", files.len());
    if let Some(large) = files
        .iter()
        .filter(|f| f.lfs.is_some())
        .max_by_key(|f| f.size)
    {
        let oid = large.lfs.as_ref().map(|l| l.oid.as_str()).unwrap_or("");
        let content = hex(&Sha256::digest(&large.content));
        line.push_str(&format!(
            " large={} large_oid={oid} large_sha256={content}",
            large.path
        ));
    }
    line
}

/// The simulator in a child process; closes its stdin (it then exits) when dropped.
struct ChildServer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    endpoint: String,
    token: String,
}

impl ChildServer {
    fn spawn() -> AnyResult<ChildServer> {
        let mut child = Command::new(std::env::current_exe()?)
            .env(ROLE_ENV, "server")
            .env_remove("BENCH_PERF_CTL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the child server has no stdout".into());
        };
        let mut stdout = BufReader::new(stdout);
        let (mut endpoint, mut token) = (String::new(), String::new());
        stdout.read_line(&mut endpoint)?;
        stdout.read_line(&mut token)?;
        let endpoint = endpoint.trim().to_owned();
        let token = token.trim().to_owned();
        if !endpoint.starts_with("http://127.0.0.1:") || token.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the child server printed {endpoint:?}, not an endpoint").into());
        }
        Ok(ChildServer {
            child,
            stdin,
            stdout,
            endpoint,
            token,
        })
    }

    fn verify(&mut self) -> AnyResult<String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or("the child server's stdin is closed")?;
        writeln!(stdin, "verify")?;
        stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        Ok(line.trim().to_owned())
    }

    fn peak_rss_kib(&self) -> Option<u64> {
        status_kib(&self.child.id().to_string(), "VmHWM")
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        child::stop(&mut self.child, &mut self.stdin);
    }
}

// ------------------------------------------------------------------ progress and RSS sampling

/// The stretches of a push: before the first phase event (folder listing, validation), then
/// the library's phases.
const STAGES: [&str; 6] = [
    "listing",
    "hashing",
    "preupload",
    "uploading",
    "committing",
    "done",
];

fn stage_of(phase: Phase) -> usize {
    match phase {
        Phase::Hashing => 1,
        Phase::Preupload => 2,
        Phase::Uploading => 3,
        Phase::Committing => 4,
        _ => 5,
    }
}

/// What the progress observer and the RSS sampler saw during one push.
struct Recorder {
    /// When each stage started (`None`: it did not happen).
    started: Mutex<[Option<Instant>; 6]>,
    /// The stage running now (an index into [`STAGES`]).
    current: AtomicUsize,
    /// The highest `VmRSS` sampled during each stage, KiB.
    peak_rss: [AtomicU64; 6],
    hashed: AtomicU64,
    uploaded: AtomicU64,
    body: AtomicU64,
    body_len: AtomicU64,
    stop: AtomicBool,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            started: Mutex::new([None; 6]),
            current: AtomicUsize::new(0),
            peak_rss: Default::default(),
            hashed: AtomicU64::new(0),
            uploaded: AtomicU64::new(0),
            body: AtomicU64::new(0),
            body_len: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        }
    }

    fn on_event(&self, event: &ProgressEvent) {
        match event {
            ProgressEvent::PhaseStarted { phase, bytes, .. } => {
                let stage = stage_of(*phase);
                if let Ok(mut started) = self.started.lock() {
                    started[stage].get_or_insert_with(Instant::now);
                }
                if *phase == Phase::Committing {
                    self.body_len.store(*bytes, Ordering::Relaxed);
                }
                self.current.store(stage, Ordering::Relaxed);
            }
            ProgressEvent::FileBytes { phase, bytes, .. } => {
                let counter = match phase {
                    Phase::Hashing => &self.hashed,
                    _ => &self.uploaded,
                };
                counter.fetch_add(*bytes, Ordering::Relaxed);
            }
            ProgressEvent::CommitBodyBytes { bytes } => {
                self.body.fetch_add(*bytes, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// Samples `VmRSS` into the running stage's peak until [`Recorder::stop`].
    fn sample(&self) {
        while !self.stop.load(Ordering::Relaxed) {
            let now = rss();
            let stage = self.current.load(Ordering::Relaxed);
            self.peak_rss[stage].fetch_max(now, Ordering::Relaxed);
            std::thread::sleep(SAMPLE_EVERY);
        }
    }
}

// ------------------------------------------------------------------ our client, measured

/// What our client process saw during one push.
struct Outcome {
    case: Case,
    baseline_kib: u64,
    peak_kib: u64,
    hwm_reset: bool,
    total_secs: f64,
    /// (stage, seconds, peak sampled VmRSS KiB)
    stages: Vec<(&'static str, f64, u64)>,
    hashed: u64,
    uploaded: u64,
    body: u64,
    body_len: u64,
    /// CPU seconds (user, system) of this process during the push.
    cpu: Option<(f64, f64)>,
    verified: String,
}

/// Tells a `perf record --control fifo:…` (path in `BENCH_PERF_CTL`) to start or stop.
fn perf_ctl(command: &str) {
    let Ok(path) = std::env::var("BENCH_PERF_CTL") else {
        return;
    };
    if let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(path) {
        let _ = writeln!(fifo, "{command}");
    }
}

/// Our client: `client ENDPOINT TOKEN DIR LARGE_SHA256` (the case in `BENCH_CASES`). Prints
/// its report, then `seconds peak_kib` as its last line.
fn run_client() -> AnyResult<ExitCode> {
    let args: Vec<String> = std::env::args().collect();
    let [.., endpoint, token, dir, large_sha256] = &args[..] else {
        return Err("usage: client ENDPOINT TOKEN DIR LARGE_SHA256".into());
    };
    let case = cases(smoke_run())?
        .into_iter()
        .next()
        .ok_or("BENCH_CASES selects no case")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let hub = Hub::builder()
        .endpoint(endpoint.as_str())
        .token(token.clone())
        .build()?;
    let repo = Repo::model(repo_id().as_str())?;

    // The measurement: VmRSS just before, VmHWM reset, the push, VmHWM just after.
    let recorder = Arc::new(Recorder::new());
    let sampler = {
        let recorder = recorder.clone();
        std::thread::spawn(move || recorder.sample())
    };
    std::thread::sleep(SAMPLE_EVERY * 3);
    let baseline_kib = rss();
    let hwm_reset = reset_hwm();
    let observer = recorder.clone();
    let cpu_before = cpu_secs("self");
    perf_ctl("enable");
    let started = Instant::now();
    if let Ok(mut s) = recorder.started.lock() {
        s[0] = Some(started);
    }
    let pushed: hf_hub_api::Result<CommitInfo> = rt.block_on(
        hub.commit(repo.clone())
            .summary(format!("commit bench ({})", case.name))
            .upload_folder(dir, "", vec![], vec![], vec![])
            .progress(move |e: &ProgressEvent| observer.on_event(e))
            .push(),
    );
    let ended = Instant::now();
    perf_ctl("disable");
    let cpu = cpu_secs("self")
        .zip(cpu_before)
        .map(|((u1, s1), (u0, s0))| (u1 - u0, s1 - s0));
    let peak_kib = hwm();
    recorder.stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let info = pushed?;
    if info.no_op {
        return Err("the push was a no-op".into());
    }

    let starts = recorder.started.lock().map(|s| *s).unwrap_or([None; 6]);
    let mut stages = Vec::new();
    for (i, name) in STAGES.iter().enumerate().take(5) {
        let Some(from) = starts[i] else { continue };
        let to = starts[i + 1..]
            .iter()
            .flatten()
            .next()
            .copied()
            .unwrap_or(ended);
        stages.push((
            *name,
            to.duration_since(from).as_secs_f64(),
            recorder.peak_rss[i].load(Ordering::Relaxed),
        ));
    }
    let verified = rt.block_on(verify_listing(&hub, &repo, &case, large_sha256))?;
    let outcome = Outcome {
        case,
        baseline_kib,
        peak_kib,
        hwm_reset,
        total_secs: ended.duration_since(started).as_secs_f64(),
        stages,
        hashed: recorder.hashed.load(Ordering::Relaxed),
        uploaded: recorder.uploaded.load(Ordering::Relaxed),
        body: recorder.body.load(Ordering::Relaxed),
        body_len: recorder.body_len.load(Ordering::Relaxed),
        cpu,
        verified,
    };
    report(&outcome);
    println!("{} {}", outcome.total_secs, outcome.peak_kib);
    Ok(ExitCode::SUCCESS)
}

/// After the measurement, through the client: the tree has exactly the files, each small
/// file's git blob id matches its content, the large one is in LFS with the local sha256.
async fn verify_listing(
    hub: &Hub,
    repo: &Repo,
    case: &Case,
    large_sha256: &str,
) -> AnyResult<String> {
    let entries: Vec<_> = hub
        .list_repo_tree(repo, "main", "")
        .recursive(true)
        .items()
        .try_collect()
        .await?;
    let files: Vec<_> = entries
        .iter()
        .filter(|e| e.type_ == TreeEntryType::File && e.path != ".gitattributes")
        .collect();
    let mut problems = Vec::new();
    if files.len() != case.files() {
        problems.push(format!(
            "the tree lists {} files, expected {}",
            files.len(),
            case.files()
        ));
    }
    let mut small_ok = 0usize;
    let mut buf = vec![0u8; SMALL_SIZE];
    for entry in &files {
        if entry.path == LARGE_NAME {
            let size = entry.size.map(|s| s as u64);
            let lfs_oid = entry.lfs.as_ref().map(|l| l.oid.as_str());
            if size != Some(case.large_size) || lfs_oid != Some(large_sha256) {
                problems.push(format!("{LARGE_NAME}: size {size:?}, LFS oid {lfs_oid:?}"));
            }
            continue;
        }
        let Some(i) = entry
            .path
            .rsplit_once("file-")
            .and_then(|(_, t)| t.strip_suffix(".bin"))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|i| *i < case.small_files && small_path(*i) == entry.path)
        else {
            problems.push(format!("unexpected file {:?}", entry.path));
            continue;
        };
        small_content(case, i, &mut buf);
        if entry.lfs.is_none() && entry.oid == git_blob_id(&buf) {
            small_ok += 1;
        } else {
            problems.push(format!("{}: wrong blob id or stored in LFS", entry.path));
        }
    }
    if !problems.is_empty() {
        return Err(format!(
            "case ({}) verification failed: {}",
            case.name,
            problems.join("; ")
        )
        .into());
    }
    Ok(format!(
        "client tree listing: {} files ({} entries with folders and .gitattributes); {small_ok} \
         small files with the expected git blob id, the large one in LFS with the local sha256",
        thousands(files.len() as f64),
        thousands(entries.len() as f64)
    ))
}

fn report(o: &Outcome) {
    let c = &o.case;
    println!("  ours: {}", c.describe());
    println!(
        "  wall time (push)        {:.2} s  ({} of content: {})",
        o.total_secs,
        human(c.total_bytes()),
        rate(c.total_bytes(), o.total_secs)
    );
    println!(
        "  client RSS baseline     {}  (VmRSS just before push)",
        mib(o.baseline_kib)
    );
    println!(
        "  client peak RSS         {}  (VmHWM after push{}), growth {}",
        mib(o.peak_kib),
        if o.hwm_reset {
            ", reset just before it"
        } else {
            "; could NOT reset it: includes everything before"
        },
        mib(o.peak_kib.saturating_sub(o.baseline_kib))
    );
    if let Some((user, sys)) = o.cpu {
        println!(
            "  client CPU during push  {:.2} s ({user:.2} s user, {sys:.2} s system)",
            user + sys
        );
    }
    println!("  from each phase's start to the next's   work               peak VmRSS sampled");
    for (name, secs, peak) in &o.stages {
        let work = match *name {
            "hashing" => format!("{} {}", human(o.hashed), rate(o.hashed, *secs)),
            "uploading" => format!("{} {}", human(o.uploaded), rate(o.uploaded, *secs)),
            "committing" => format!("{} {}", human(o.body), rate(o.body, *secs)),
            _ => String::new(),
        };
        println!(
            "    {name:<21} {:>8.2} s   {work:<27} {}",
            secs,
            if *peak > 0 { mib(*peak) } else { "-".into() }
        );
    }
    if o.body_len != o.body {
        println!(
            "  (commit body announced {} bytes, {} sent)",
            o.body_len, o.body
        );
    }
    println!("  verified: {}", o.verified);
}

fn smoke_run() -> bool {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: a smoke run then. A
    // child process is told by its parent.
    match std::env::var(SMOKE_ENV) {
        Ok(v) => v == "1",
        Err(_) => !std::env::args().any(|a| a == "--bench"),
    }
}

// ------------------------------------------------------------------ the driver

/// One client's result for one case: `(seconds, peak KiB)`, or why it could not do it.
type Measure = Result<(f64, u64), String>;

/// The clients measured.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Client {
    Ours,
    Python,
    HfHub,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::Ours => "hf-hub-api",
            Client::Python => "huggingface_hub",
            Client::HfHub => "hf-hub 1.0",
        }
    }
}

/// What the simulator holds after a client's commit, checked: every file, the large one in
/// LFS with the local sha256, its stored content hashing to it.
fn check_server(answer: &str, case: &Case, large_sha256: &str) -> Result<(), String> {
    let field = |name: &str| {
        answer
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or("")
            .to_owned()
    };
    // The simulator's repository also holds its initial `.gitattributes`.
    let server_files: usize = field("files").parse().unwrap_or(0);
    if server_files != case.files() + 1
        || field("lfs") != "1"
        || field("large") != LARGE_NAME
        || field("large_oid") != large_sha256
        || field("large_sha256") != large_sha256
    {
        return Err(format!("the simulator holds: {answer}"));
    }
    Ok(())
}

/// One run of `client` on `case` against a fresh simulator.
fn run_once(
    client: Client,
    command: &dyn Fn(&str, &str) -> Command,
    case: &Case,
    large_sha256: &str,
) -> AnyResult<Measure> {
    let mut server = ChildServer::spawn()?;
    let out = command(&server.endpoint, &server.token)
        .stdin(Stdio::null())
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default().trim().to_owned();
    if client == Client::Ours {
        // Our client's report, without its last (machine-readable) line.
        let lines: Vec<&str> = text.lines().collect();
        for line in &lines[..lines.len().saturating_sub(1)] {
            println!("{line}");
        }
    }
    if let Some(reason) = last.strip_prefix("failed ") {
        return Ok(Err(reason.to_owned()));
    }
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}):\n{text}\n{}",
            client.name(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let mut it = last.split_whitespace();
    let secs: f64 = it.next().ok_or("no time")?.parse()?;
    let kib: u64 = it.next().ok_or("no peak")?.parse()?;
    let answer = server.verify()?;
    if let Err(e) = check_server(&answer, case, large_sha256) {
        if client == Client::Ours {
            return Err(format!("{}, case ({}): {e}", client.name(), case.name).into());
        }
        // Another client that did not store what it was given: not a comparable run.
        return Ok(Err(format!("its call returned after {secs:.2} s, but {e}")));
    }
    if client == Client::Ours {
        println!(
            "  simulator child peak    {}  (its own process, not counted above)",
            server.peak_rss_kib().map(mib).unwrap_or_else(|| "?".into())
        );
    }
    if let Some((user, sys)) = cpu_secs(&server.child.id().to_string()) {
        println!(
            "  ({}) simulator CPU for {}: {:.2} s ({user:.2} s user, {sys:.2} s system, its whole life)",
            case.name,
            client.name(),
            user + sys
        );
    }
    Ok(Ok((secs, kib)))
}

/// The top process: generates each case's files once, runs every client on them (each run
/// against a fresh simulator), and sums up with ratios.
fn run() -> AnyResult<ExitCode> {
    let smoke = smoke_run();
    let cases = cases(smoke)?;
    let flag = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0");
    let enforce = flag("BENCH_ENFORCE");
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("BENCH_PYTHON_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("target/interop-venv/bin/python"));
    let hf_hub = flag("BENCH_HF_HUB").then(|| hf_hub_crate::build(&manifest));
    let mut clients = vec![Client::Ours];
    if flag("BENCH_PYTHON") {
        clients.push(Client::Python);
    }
    if hf_hub.is_some() {
        clients.push(Client::HfHub);
    }
    println!(
        "commit bench{}: each client run in its own process against a fresh simulator in \
         another ({} cores shared by all), {runs} run(s) each, the fastest reported",
        if smoke { " (smoke run)" } else { "" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!(
        "simulator: LFS from {}, multipart from {} in parts of {}, bodies up to {}",
        human(LFS_THRESHOLD),
        human(MULTIPART_THRESHOLD),
        human(PART_SIZE),
        human(MAX_BODY as u64)
    );
    let exe = std::env::current_exe()?;
    let base = std::env::var_os("BENCH_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(default_base);
    let mut rows: Vec<(Case, Client, Measure)> = Vec::new();
    for case in &cases {
        std::fs::create_dir_all(&base)?;
        let need = case.total_bytes() + 4096 * case.files() as u64 + 512 * MIB;
        if let Some(free) = free_bytes(&base)
            && free < need
        {
            return Err(format!(
                "{} has {} free, the case needs about {}",
                base.display(),
                human(free),
                human(need)
            )
            .into());
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("case-{}-", case.name))
            .tempdir_in(&base)?;
        println!();
        println!(
            "case ({}): {}, files in {}",
            case.name,
            case.describe(),
            dir.path().display()
        );
        let t = Instant::now();
        let large_sha256 = generate(case, dir.path())?;
        println!(
            "  generated {} files ({}) in {:.1} s (not timed)",
            thousands(case.files() as f64),
            human(case.total_bytes()),
            t.elapsed().as_secs_f64()
        );
        let folder = dir.path().to_owned();
        for &client in &clients {
            let command = |endpoint: &str, token: &str| -> Command {
                match client {
                    Client::Ours => {
                        let mut c = Command::new(&exe);
                        c.env(ROLE_ENV, "client")
                            .env("BENCH_CASES", case.name)
                            .env(SMOKE_ENV, if smoke { "1" } else { "0" })
                            .args([endpoint, token])
                            .arg(&folder)
                            .arg(&large_sha256);
                        c
                    }
                    Client::Python => {
                        let mut c = Command::new(&python);
                        c.arg(manifest.join("benches/python_commit.py"))
                            .args([endpoint, token, &repo_id()])
                            .arg(&folder)
                            .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                            .env("HF_HUB_DISABLE_TELEMETRY", "1")
                            .env("HF_HUB_DISABLE_XET", "1");
                        c
                    }
                    Client::HfHub => {
                        let mut c = Command::new(hf_hub.as_deref().unwrap_or(Path::new("")));
                        c.args(["upload", endpoint, token, &repo_id()]).arg(&folder);
                        c
                    }
                }
            };
            let mut best: Option<Measure> = None;
            for _ in 0..runs {
                let m = run_once(client, &command, case, &large_sha256)?;
                best = Some(match (best, m) {
                    (Some(Ok(b)), Ok(m)) => Ok(if m.0 < b.0 { m } else { b }),
                    (Some(Ok(b)), Err(_)) | (_, Ok(b)) => Ok(b),
                    (_, Err(e)) => Err(e),
                });
            }
            let best = best.unwrap_or_else(|| Err("no run".into()));
            match &best {
                Ok((secs, kib)) => println!(
                    "  ({}) {:<16} {secs:>7.2} s  peak {}",
                    case.name,
                    client.name(),
                    mib(*kib)
                ),
                Err(reason) => println!("  ({}) {:<16} n/a: {reason}", case.name, client.name()),
            }
            rows.push((case.clone(), client, best));
        }
        drop(dir);
    }
    let _ = std::fs::remove_dir(&base);

    println!();
    println!("summary (time of the one call, peak RSS of its process; ratio = theirs / ours)");
    let mut missed = Vec::new();
    for case in &cases {
        let ours = rows
            .iter()
            .find(|(c, w, _)| c.name == case.name && *w == Client::Ours)
            .and_then(|(_, _, m)| m.as_ref().ok().copied());
        for (c, client, m) in rows.iter().filter(|(c, _, _)| c.name == case.name) {
            let line = match (m, ours) {
                (Ok((secs, kib)), Some((our_secs, our_kib))) if *client != Client::Ours => {
                    format!(
                        "{secs:>7.2} s {:>10}   {:>5.2}x time {:>5.2}x memory",
                        mib(*kib),
                        secs / our_secs,
                        *kib as f64 / our_kib as f64
                    )
                }
                (Ok((secs, kib)), _) => format!("{secs:>7.2} s {:>10}", mib(*kib)),
                (Err(reason), _) => format!("n/a: {reason}"),
            };
            println!("  ({}) {:<16} {line}", c.name, client.name());
        }
        let Some((our_secs, our_kib)) = ours else {
            continue;
        };
        if case.targeted && !smoke {
            if our_kib >= TARGET_PEAK_KIB {
                missed.push(format!(
                    "({}) peak {} ≥ {}",
                    case.name,
                    mib(our_kib),
                    mib(TARGET_PEAK_KIB)
                ));
            }
            if our_secs > TARGET_A_SECS {
                missed.push(format!(
                    "({}) {our_secs:.2} s > {TARGET_A_SECS} s",
                    case.name
                ));
            }
        }
        if case.name == "b"
            && !smoke
            && let Some((_, _, Ok((py_secs, _)))) = rows
                .iter()
                .find(|(c, w, _)| c.name == "b" && *w == Client::Python)
            && py_secs / our_secs < TARGET_B_RATIO
        {
            missed.push(format!(
                "(b) {:.2}x the official client, under {TARGET_B_RATIO}x",
                py_secs / our_secs
            ));
        }
    }
    if missed.is_empty() {
        println!("targets: every one measured is met");
    } else {
        println!("targets missed: {}", missed.join("; "));
        if enforce {
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn default_base() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-commit"))
}
