//! Downloads on loopback: a snapshot of 1,000 small files + one 1 GiB LFS file, and the 1 GiB
//! file alone, by this crate, the official Python client (`snapshot_download`,
//! `hf_hub_download`) and the `hf-hub` crate 1.0 (built at bench time as a throwaway crate under
//! `target/bench-hf-hub/`, never a dependency of ours). See benches/README.md.
//!
//! Roles (`HF_BENCH_ROLE`): unset = the driver; `server` = the simulator in its own process;
//! `client` = our client in a fresh process (so its peak RSS is its own).

#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/hf_hub_crate.rs"]
mod hf_hub_crate;
#[path = "support/noise.rs"]
mod noise;
#[path = "support/procfs.rs"]
mod procfs;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use noise::noise;

const REPO: &str = "sim-user/bench";
const BIG: &str = "model.safetensors";

/// The size of the case, from the environment (smaller for a smoke run).
#[derive(Clone, Copy)]
struct Size {
    small_files: usize,
    big_mib: usize,
}

fn size() -> Size {
    let full = std::env::args().any(|a| a == "--bench");
    let var = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    Size {
        small_files: var("BENCH_SMALL_FILES", if full { 1000 } else { 50 }),
        big_mib: var("BENCH_BIG_MIB", if full { 1024 } else { 8 }),
    }
}

fn main() {
    match std::env::var("HF_BENCH_ROLE").as_deref() {
        Ok("server") => serve(),
        Ok("client") => client(),
        _ => drive(),
    }
}

/// The simulator with the repository, until stdin closes.
fn serve() {
    let s = size();
    let sim = hf_hub_sim::Simulator::start(
        hf_hub_sim::SimConfig::default()
            .lfs_threshold(10 * 1024 * 1024)
            .max_recorded_requests(0),
    )
    .expect("simulator");
    sim.create_repo(hf_hub_sim::RepoType::Model, REPO, false)
        .expect("repo");
    let mut small: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..s.small_files {
        let mut b = vec![0u8; 2048];
        noise(&mut b, i as u64 + 1);
        small.push((format!("small/{:02}/{i:04}.txt", i % 20), b));
    }
    let mut big = vec![0u8; s.big_mib << 20];
    noise(&mut big, 0xB16);
    let mut files: Vec<(&str, &[u8])> = small
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    files.push((BIG, &big));
    sim.commit_files(hf_hub_sim::RepoType::Model, REPO, "main", "bench", &files)
        .expect("commit");
    drop(files);
    drop(big);
    drop(small);
    println!("{} {}", sim.endpoint(), sim.token().unwrap_or_default());
    std::io::stdout().flush().ok();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

/// Our client: `client snapshot|file ENDPOINT TOKEN CACHE`; prints `seconds peak_kib`.
fn client() {
    let args: Vec<String> = std::env::args().collect();
    let n = args.len();
    let (case, endpoint, token, cache) = (&args[n - 4], &args[n - 3], &args[n - 2], &args[n - 1]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    eprintln!("client baseline RSS {}", procfs::mib(procfs::rss()));
    procfs::reset_hwm();
    let cpu_before = cpu::cpu_secs("self");
    let started = Instant::now();
    rt.block_on(async {
        let hub = hf_hub_api::Hub::builder()
            .endpoint(endpoint.as_str())
            .token(token.as_str())
            .cache_dir(cache)
            .build()
            .expect("hub");
        let repo = hf_hub_api::repo::Repo::model(REPO).expect("repo");
        let phases = Phases::new(started);
        if case == "snapshot" {
            let request = hub.snapshot(&repo);
            match &phases {
                Some(p) => request.progress(p.observer()).send().await,
                None => request.send().await,
            }
            .expect("snapshot");
        } else {
            let request = hub.download(&repo, BIG);
            match &phases {
                Some(p) => request.progress(p.observer()).send().await,
                None => request.send().await,
            }
            .expect("download");
        }
        if let Some(p) = phases {
            p.print();
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    if let (Some((u1, s1)), Some((u0, s0))) = (cpu::cpu_secs("self"), cpu_before) {
        eprintln!(
            "client CPU during the call {:.2} s ({:.2} s user, {:.2} s system)",
            u1 - u0 + s1 - s0,
            u1 - u0,
            s1 - s0
        );
    }
    println!("{elapsed} {}", procfs::hwm());
}

/// With `BENCH_PHASES=1`, when each phase of our client's call ended (seconds from the
/// start, on stderr): the listing (revision + tree), the first body byte, the big file, the
/// last small file.
struct Phases {
    started: Instant,
    marks: std::sync::Arc<std::sync::Mutex<PhaseMarks>>,
}

#[derive(Default)]
struct PhaseMarks {
    listed: Option<f64>,
    first_byte: Option<f64>,
    big_done: Option<f64>,
    last_small: Option<f64>,
    small_done: usize,
}

impl Phases {
    fn new(started: Instant) -> Option<Phases> {
        (std::env::var("BENCH_PHASES").as_deref() == Ok("1")).then(|| Phases {
            started,
            marks: Default::default(),
        })
    }

    fn observer(&self) -> impl Fn(&hf_hub_api::commit::ProgressEvent) + Send + Sync + 'static {
        use hf_hub_api::commit::ProgressEvent as E;
        let (started, marks) = (self.started, std::sync::Arc::clone(&self.marks));
        move |event: &E| {
            let now = || started.elapsed().as_secs_f64();
            let mut m = marks.lock().expect("marks");
            match event {
                E::PhaseStarted { .. } if m.listed.is_none() => m.listed = Some(now()),
                E::FileBytes { .. } if m.first_byte.is_none() => m.first_byte = Some(now()),
                E::FileDone { path, .. } if &**path == BIG => m.big_done = Some(now()),
                E::FileDone { .. } => {
                    m.small_done += 1;
                    m.last_small = Some(now());
                }
                _ => {}
            }
        }
    }

    fn print(&self) {
        let m = self.marks.lock().expect("marks");
        let show = |v: Option<f64>| v.map_or("-".to_owned(), |s| format!("{s:.3} s"));
        eprintln!(
            "phases: listed {}, first body byte {}, big file done {}, {} files done by {}",
            show(m.listed),
            show(m.first_byte),
            show(m.big_done),
            m.small_done,
            show(m.last_small)
        );
    }
}

/// One measured run: wall seconds and peak RSS in KiB.
type Sample = (f64, u64);

fn parse_sample(out: &std::process::Output, who: &str) -> Sample {
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{who} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = text.lines().last().unwrap_or_default();
    let mut it = last.split_whitespace();
    let secs = it.next().and_then(|v| v.parse().ok()).expect("seconds");
    let kib = it.next().and_then(|v| v.parse().ok()).expect("peak");
    (secs, kib)
}

/// Checks what a run left in `cache`: every file, the big one at its size.
fn check_cache(cache: &Path, s: Size, case: &str) {
    let snaps = cache.join("models--sim-user--bench/snapshots");
    let commit = std::fs::read_dir(&snaps)
        .expect("a snapshot")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let big = std::fs::metadata(commit.join(BIG)).expect("the big file");
    assert_eq!(big.len(), (s.big_mib as u64) << 20);
    if case == "snapshot" {
        let n = std::fs::read_dir(commit.join("small"))
            .expect("small/")
            .map(|d| {
                std::fs::read_dir(d.expect("dir").path())
                    .expect("dir")
                    .count()
            })
            .sum::<usize>();
        assert_eq!(n, s.small_files);
    }
}

fn drive() {
    let s = size();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = manifest.join("target/bench-download");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let exe = std::env::current_exe().expect("exe");
    let mut server: Child = Command::new(&exe)
        .env("HF_BENCH_ROLE", "server")
        .env("BENCH_SMALL_FILES", s.small_files.to_string())
        .env("BENCH_BIG_MIB", s.big_mib.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("server");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("endpoint");
    let mut parts = line.split_whitespace();
    let endpoint = parts
        .next()
        .expect("endpoint")
        .trim_end_matches('/')
        .to_owned();
    let token = parts.next().unwrap_or_default().to_owned();
    println!(
        "downloads on loopback: {} files of 2 KiB + {} MiB LFS (simulator in its own process)",
        s.small_files, s.big_mib
    );
    let python = std::env::var("BENCH_PYTHON_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("target/interop-venv/bin/python"));
    let with_python = std::env::var("BENCH_PYTHON").as_deref() == Ok("1");
    let with_hf_hub = std::env::var("BENCH_HF_HUB").as_deref() == Ok("1");
    let hf_hub = with_hf_hub.then(|| hf_hub_crate::build(&manifest));
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut rows = Vec::new();
    for case in ["snapshot", "file"] {
        let mut run = |who: &str, cmd: &mut dyn FnMut(&Path) -> Command| {
            let mut best: Option<Sample> = None;
            for i in 0..runs {
                let cache = work.join(format!("{who}-{case}-{i}"));
                let out = cmd(&cache).output().expect(who);
                let sample = parse_sample(&out, who);
                check_cache(&cache, s, case);
                let _ = std::fs::remove_dir_all(&cache);
                best = Some(match best {
                    Some(b) if b.0 <= sample.0 => b,
                    _ => sample,
                });
            }
            let best = best.expect("a run");
            println!(
                "  {case:<8} {who:<14} {:>7.2} s  peak {}",
                best.0,
                procfs::mib(best.1)
            );
            rows.push((case, who.to_owned(), best));
        };
        run("hf-hub-api", &mut |cache| {
            let mut c = Command::new(&exe);
            c.env("HF_BENCH_ROLE", "client")
                .args([case, &endpoint, &token])
                .arg(cache);
            c
        });
        if with_python {
            run("huggingface_hub", &mut |cache| {
                let mut c = Command::new(&python);
                c.arg(manifest.join("benches/python_download.py"))
                    .args([case, &endpoint, &token, REPO, BIG])
                    .arg(cache)
                    .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                    .env("HF_HUB_DISABLE_TELEMETRY", "1")
                    .env("HF_HUB_DISABLE_XET", "1");
                c
            });
        }
        if let Some(bin) = &hf_hub {
            run("hf-hub 1.0", &mut |cache| {
                let mut c = Command::new(bin);
                c.args([case, &endpoint, &token, REPO, BIG]).arg(cache);
                c
            });
        }
    }
    drop(server.stdin.take());
    let _ = server.wait();
    println!("ratios (their time / ours, their peak / ours):");
    for (case, who, (secs, kib)) in &rows {
        if let Some((_, _, (ours, our_kib))) = rows
            .iter()
            .find(|(c, w, _)| c == case && w == "hf-hub-api")
            .filter(|_| who != "hf-hub-api")
        {
            println!(
                "  {case:<8} {who:<14} {:>5.2}x time, {:>5.2}x memory",
                secs / ours,
                *kib as f64 / *our_kib as f64
            );
        }
    }
}
