//! Listing throughput and memory: `hub.list_models(..).items()` over 100,000 models in pages
//! of 1,000 from the Hub simulator on loopback. See `benches/README.md`.
//!
//! ```text
//! cargo bench --bench pagination                    # Rust client only
//! BENCH_PYTHON=1 cargo bench --bench pagination     # + the official Python client, ratio
//! ```
//!
//! Two setups:
//! - **client alone**: the simulator runs in a child process (this same binary re-executed with
//!   `HF_HUB_BENCH_SERVE_MODELS=N`), so this process's `VmHWM` is the client's alone;
//! - **client + simulator in one process**: `Simulator::start` in-process, `VmHWM` of both.
//!
//! Environment: `BENCH_MODELS` (default 100000), `BENCH_RUNS` (timed runs, default 5),
//! `BENCH_PYTHON=1`, `BENCH_PYTHON_BIN` (default `target/pyenv/bin/python` of this package),
//! `BENCH_PYTHON_RUNS` (default 3), `BENCH_ENFORCE=1` (exit 1 when the ratio is under 10×).
//! Without cargo's `--bench` argument (`cargo test --benches`) it is a quick smoke run.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use hf_hub_api::Hub;
use hf_hub_api::requests::ListModelsRequest;
use hf_hub_api::types::ModelInfo;
use hf_hub_sim::{SimConfig, Simulator, routes};

/// Set in the child process: serve this many models and print the endpoint.
const SERVE_ENV: &str = "HF_HUB_BENCH_SERVE_MODELS";
/// The page size asked for (and the simulator's default and cap).
const PAGE: u64 = 1000;
/// The ratio over the Python client the project aims for.
const TARGET_RATIO: f64 = 10.0;
/// A child server stops by itself after this long, whatever happens to its parent.
const SERVE_MAX: Duration = Duration::from_secs(1800);

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    if let Ok(n) = std::env::var(SERVE_ENV) {
        return serve(&n);
    }
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pagination bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------ settings

struct Settings {
    models: usize,
    runs: usize,
    python: bool,
    python_runs: usize,
    python_bin: PathBuf,
    enforce: bool,
    smoke: bool,
    hf_hub: bool,
    cli: bool,
}

fn env_number(name: &str, default: usize) -> AnyResult<usize> {
    match std::env::var(name) {
        Ok(v) => Ok(v
            .replace('_', "")
            .parse()
            .map_err(|e| format!("{name}={v}: {e}"))?),
        Err(_) => Ok(default),
    }
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

impl Settings {
    fn from_env() -> AnyResult<Settings> {
        // `cargo bench` passes `--bench`; `cargo test --benches` does not: a smoke run then.
        let smoke = !std::env::args().any(|a| a == "--bench");
        let models = env_number("BENCH_MODELS", if smoke { 3_000 } else { 100_000 })?;
        let runs = env_number("BENCH_RUNS", if smoke { 1 } else { 5 })?.max(1);
        let python_runs = env_number("BENCH_PYTHON_RUNS", 3)?.max(1);
        let python_bin = std::env::var_os("BENCH_PYTHON_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/target/pyenv/bin/python"
                ))
            });
        if models == 0 {
            return Err("BENCH_MODELS must be at least 1".into());
        }
        Ok(Settings {
            models,
            runs,
            python: env_flag("BENCH_PYTHON"),
            python_runs,
            python_bin,
            enforce: env_flag("BENCH_ENFORCE"),
            smoke,
            hf_hub: env_flag("BENCH_HF_HUB"),
            cli: env_flag("BENCH_CLI"),
        })
    }

    fn pages(&self) -> u64 {
        (self.models as u64).div_ceil(PAGE)
    }
}

// ------------------------------------------------------------------ /proc

#[path = "support/child.rs"]
mod child;
#[path = "support/numbers.rs"]
mod numbers;
#[path = "support/procfs.rs"]
mod procfs;
use numbers::thousands;
use procfs::{hwm, mib, reset_hwm, rss, status_kib};

fn signed_mib(kib: i64) -> String {
    format!("{:+.1} MiB", kib as f64 / 1024.0)
}

// ------------------------------------------------------------------ the simulator

/// The child-process server: seeds the models, prints the endpoint, serves until stdin's end
/// or [`SERVE_MAX`].
fn serve(models: &str) -> ExitCode {
    let Ok(models) = models.parse::<usize>() else {
        eprintln!("{SERVE_ENV} must be a number");
        return ExitCode::from(2);
    };
    let sim = match Simulator::start(sim_config(models)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("the simulator could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{}", sim.endpoint())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(out);
    let (tx, rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(SERVE_MAX);
    drop(sim);
    ExitCode::SUCCESS
}

fn sim_config(models: usize) -> SimConfig {
    SimConfig::default()
        .seed_models(models)
        .list_page_cap(PAGE as usize)
        // Every request is recorded; keep the record small, it is not what we measure.
        .max_recorded_requests(16)
}

/// The simulator in a child process; closes its stdin (it then exits) when dropped.
struct ChildServer {
    child: Child,
    stdin: Option<ChildStdin>,
    endpoint: String,
}

impl ChildServer {
    fn spawn(models: usize) -> AnyResult<ChildServer> {
        let mut child = Command::new(std::env::current_exe()?)
            .env(SERVE_ENV, models.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let endpoint = line.trim().to_owned();
        if !endpoint.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the child server printed {endpoint:?}, not an endpoint").into());
        }
        Ok(ChildServer {
            child,
            stdin,
            endpoint,
        })
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

#[path = "support/list_raw.rs"]
mod list_raw;
use list_raw::raw_listing;

/// One page body decoded as the paginator does: checked as UTF-8 once, then read as text.
fn decode_page(body: &[u8]) -> AnyResult<Vec<ModelInfo>> {
    Ok(serde_json::from_str(std::str::from_utf8(body)?)?)
}

/// Decoding alone: [`decode_page`] of one page body, repeated; returns items/s (the median of 5
/// rounds).
fn decode_rate(body: &[u8]) -> AnyResult<f64> {
    let mut rates = Vec::new();
    for _ in 0..5 {
        let reps = 20;
        let start = Instant::now();
        let mut n = 0usize;
        for _ in 0..reps {
            let page: Vec<ModelInfo> = decode_page(black_box(body))?;
            n += page.len();
            black_box(page);
        }
        rates.push(n as f64 / start.elapsed().as_secs_f64());
    }
    Ok(Timing { rates }.median())
}

// ------------------------------------------------------------------ the client

fn hub(endpoint: &str) -> AnyResult<Hub> {
    Ok(Hub::builder().endpoint(endpoint).no_token().build()?)
}

fn request(hub: &Hub) -> ListModelsRequest {
    hub.list_models().limit(PAGE)
}

/// Memory samples of one streamed listing, in KiB.
#[derive(Default)]
struct Samples {
    before: u64,
    /// VmRSS at the first item of each page (the page is then decoded and held).
    per_page: Vec<u64>,
    after: u64,
}

/// Streams the whole listing through `.items()`; returns (items, seconds). With `samples`,
/// reads VmRSS at each page's first item (not for timed runs).
async fn stream_items(
    hub: &Hub,
    prefetch: bool,
    mut samples: Option<&mut Samples>,
) -> AnyResult<(u64, f64)> {
    if let Some(s) = samples.as_deref_mut() {
        s.before = rss();
    }
    let start = Instant::now();
    let mut items = request(hub).prefetch(prefetch).items();
    let mut n: u64 = 0;
    let mut id_bytes: usize = 0;
    while let Some(model) = items.next().await {
        let model = model?;
        id_bytes += model.id.len();
        black_box(&model);
        if n.is_multiple_of(PAGE)
            && let Some(s) = samples.as_deref_mut()
        {
            s.per_page.push(rss());
        }
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    drop(items);
    if let Some(s) = samples {
        s.after = rss();
    }
    if id_bytes == 0 && n > 0 {
        return Err("the models had empty ids".into());
    }
    Ok((n, secs))
}

/// Whether to also time the listing fetching one page ahead
/// ([`Paginator::prefetch`](hf_hub_api::pagination::Paginator::prefetch)): yes unless
/// `BENCH_PREFETCH=0`.
fn with_prefetch() -> bool {
    std::env::var("BENCH_PREFETCH").map_or(true, |v| v != "0")
}

/// Streams the listing through `.pages()`: (pages, largest page, items).
async fn count_pages(hub: &Hub) -> AnyResult<(u64, usize, u64)> {
    let mut pages = request(hub).pages();
    let (mut count, mut largest, mut items) = (0u64, 0usize, 0u64);
    while let Some(page) = pages.next().await {
        let page = page?;
        count += 1;
        largest = largest.max(page.items().len());
        items += page.items().len() as u64;
    }
    Ok((count, largest, items))
}

struct Timing {
    rates: Vec<f64>,
}

impl Timing {
    fn median(&self) -> f64 {
        let mut v = self.rates.clone();
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        if v.len() % 2 == 1 {
            v[m]
        } else {
            (v[m - 1] + v[m]) / 2.0
        }
    }

    fn range(&self) -> String {
        let lo = self.rates.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self.rates.iter().copied().fold(0.0, f64::max);
        format!("{}..{}", thousands(lo), thousands(hi))
    }
}

async fn timed_runs(
    hub: &Hub,
    settings: &Settings,
    prefetch: bool,
    label: &str,
) -> AnyResult<Timing> {
    let mut rates = Vec::with_capacity(settings.runs);
    for i in 0..settings.runs {
        let (n, secs) = stream_items(hub, prefetch, None).await?;
        if n != settings.models as u64 {
            return Err(format!(
                "{label} run {}: {n} items, expected {}",
                i + 1,
                settings.models
            )
            .into());
        }
        let rate = n as f64 / secs;
        eprintln!(
            "  {label} run {}: {n} items in {secs:.3} s = {} items/s",
            i + 1,
            thousands(rate)
        );
        rates.push(rate);
    }
    Ok(Timing { rates })
}

#[path = "support/list_clients.rs"]
mod list_clients;
use list_clients::{run_cli, run_hf_hub, run_python};

// ------------------------------------------------------------------ the benchmark

struct Row {
    setup: String,
    median: f64,
    range: String,
    pages: String,
    peak: String,
}

fn run() -> AnyResult<ExitCode> {
    let settings = Settings::from_env()?;
    // A multi-thread runtime, as a Rust service has: with `BENCH_PREFETCH=1` the next page is
    // fetched on one worker while the other decodes.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut rows = Vec::new();
    let baseline = rss();

    eprintln!(
        "listing {} models in pages of {PAGE}, {} timed runs per setup{}",
        thousands(settings.models as f64),
        settings.runs,
        if settings.smoke {
            " (smoke run: `cargo bench` passes --bench for the real one)"
        } else {
            ""
        }
    );

    // ---- 1. The client alone: the simulator in a child process.
    eprintln!("starting the simulator in a child process...");
    let server = ChildServer::spawn(settings.models)?;
    let endpoint = server.endpoint.clone();
    let hwm_reset = reset_hwm();
    let client_hub = hub(&endpoint)?;
    let before_first_request = rss();
    // Warm-up (untimed), through `.pages()`: checks the page count and size.
    let (pages, largest, items) = rt.block_on(count_pages(&client_hub))?;
    if items != settings.models as u64 || pages != settings.pages() || largest > PAGE as usize {
        return Err(format!(
            "warm-up: {items} items in {pages} pages (largest {largest}); expected {} in {}",
            settings.models,
            settings.pages()
        )
        .into());
    }
    // The floor, with the server warm: raw page fetches (server + loopback; the fastest of
    // 3 listings), then decoding alone.
    let (mut raw_pages, mut raw_secs, page_body) = raw_listing(&endpoint, settings.pages() + 5)?;
    for _ in 0..2 {
        let (p, secs, _) = raw_listing(&endpoint, settings.pages() + 5)?;
        if secs < raw_secs {
            (raw_pages, raw_secs) = (p, secs);
        }
    }
    let decode = decode_rate(&page_body)?;
    if let Some(secs) = std::env::var("BENCH_DECODE_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        // For a profiler: decoding one page body, over and over, and nothing else; also
        // (interleaved, same conditions) the same body read as bytes, which checks every
        // string's UTF-8 on its own.
        let until = Instant::now() + Duration::from_secs_f64(secs);
        let (mut text, mut bytes) = ((0usize, 0f64), (0usize, 0f64));
        while Instant::now() < until {
            let start = Instant::now();
            let page = decode_page(black_box(&page_body))?;
            text = (text.0 + page.len(), text.1 + start.elapsed().as_secs_f64());
            drop(black_box(page));
            let start = Instant::now();
            let page: Vec<ModelInfo> = serde_json::from_slice(black_box(&page_body))?;
            bytes = (
                bytes.0 + page.len(),
                bytes.1 + start.elapsed().as_secs_f64(),
            );
            drop(black_box(page));
        }
        println!(
            "decoding alone: {} items/s as text (the paginator's way), {} items/s as bytes",
            thousands(text.0 as f64 / text.1),
            thousands(bytes.0 as f64 / bytes.1),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let client = rt.block_on(timed_runs(
        &client_hub,
        &settings,
        false,
        "rust (client alone)",
    ))?;
    let ahead = if with_prefetch() {
        Some(rt.block_on(timed_runs(
            &client_hub,
            &settings,
            true,
            "rust (client alone, prefetch)",
        ))?)
    } else {
        None
    };
    // One more run, sampling VmRSS at each page, for the memory figures.
    let mut samples = Samples::default();
    rt.block_on(stream_items(&client_hub, false, Some(&mut samples)))?;
    let client_peak = hwm();
    rows.push(Row {
        setup: "hf-hub-api lazy, simulator in a child process".into(),
        median: client.median(),
        range: client.range(),
        pages: pages.to_string(),
        peak: format!("{} (client only)", mib(client_peak)),
    });
    if let Some(a) = &ahead {
        rows.push(Row {
            setup: "hf-hub-api prefetch, same child simulator".into(),
            median: a.median(),
            range: a.range(),
            pages: pages.to_string(),
            peak: "(same process)".into(),
        });
    }
    let server_peak = server.peak_rss_kib();

    let python = if settings.python {
        eprintln!("running the Python client against the same child server...");
        Some(run_python(&settings, &endpoint)?)
    } else {
        None
    };
    if let Some(p) = &python {
        rows.push(Row {
            setup: format!("huggingface_hub {} (Python), same server", p.version),
            median: p.median,
            range: p.range.clone(),
            pages: pages.to_string(),
            peak: format!("{} (Python process)", mib(p.peak_rss_kib)),
        });
    }
    let hf_hub = if settings.hf_hub {
        eprintln!("running the hf-hub 1.0 crate against the same child server...");
        Some(run_hf_hub(&settings, &endpoint)?)
    } else {
        None
    };
    if let Some(h) = &hf_hub {
        rows.push(Row {
            setup: "hf-hub 1.0.0 (Rust crate), same server".into(),
            median: h.median(),
            range: h.range(),
            pages: pages.to_string(),
            peak: format!("{} (its process)", mib(h.peak_kib)),
        });
    }
    let cli = if settings.cli {
        eprintln!("running `hub list models` (examples/hub.rs) against the same child server...");
        Some(run_cli(&settings, &endpoint)?)
    } else {
        None
    };
    if let Some(c) = &cli {
        rows.push(Row {
            setup: "`hub list models` (whole process, JSON lines)".into(),
            median: c.median(),
            range: c.range(),
            pages: pages.to_string(),
            peak: format!("{} (its process)", mib(c.peak_kib)),
        });
    }
    drop(client_hub);
    drop(server);

    // ---- 2. Client and simulator in one process.
    eprintln!("starting the simulator in this process...");
    reset_hwm();
    let sim = Simulator::start(sim_config(settings.models))?;
    let sim_hub = hub(sim.endpoint().as_str())?;
    rt.block_on(stream_items(&sim_hub, false, None))?; // warm-up
    sim.reset_requests();
    let together = rt.block_on(timed_runs(
        &sim_hub,
        &settings,
        false,
        "rust (in-process sim)",
    ))?;
    let served_pages = sim.requests(routes::LIST_MODELS) as f64 / settings.runs as f64;
    let together_peak = hwm();
    rows.push(Row {
        setup: "hf-hub-api + simulator in one process".into(),
        median: together.median(),
        range: together.range(),
        pages: format!("{served_pages:.0}"),
        peak: format!("{} (client + simulator)", mib(together_peak)),
    });
    drop(sim_hub);
    drop(sim);

    // ---- Report.
    println!();
    println!(
        "list_models: {} models, pages of {PAGE}, median of {} runs (Python: {} runs)",
        thousands(settings.models as f64),
        settings.runs,
        settings.python_runs
    );
    println!();
    println!(
        "| {:<46} | {:>12} | {:>19} | {:>5} | {:<30} |",
        "setup", "items/s", "min..max", "pages", "peak RSS (VmHWM)"
    );
    println!(
        "|{:-<48}|{:->14}|{:->21}|{:->7}|{:-<32}|",
        "", "", "", "", ""
    );
    for r in &rows {
        println!(
            "| {:<46} | {:>12} | {:>19} | {:>5} | {:<30} |",
            r.setup,
            thousands(r.median),
            r.range,
            r.pages,
            r.peak
        );
    }
    println!();
    let first10 = samples
        .per_page
        .get(..10.min(samples.per_page.len()))
        .unwrap_or_default();
    let at10 = first10.last().copied().unwrap_or(samples.before);
    let peak_during = samples
        .per_page
        .iter()
        .copied()
        .max()
        .unwrap_or(samples.before);
    let last = samples.per_page.last().copied().unwrap_or(samples.before);
    println!(
        "memory of the client alone (one more run, VmRSS sampled at each of its {} pages):",
        samples.per_page.len()
    );
    println!(
        "  process VmRSS at start ....................... {}",
        mib(baseline)
    );
    println!(
        "  VmRSS with the client built, before any request {}",
        mib(before_first_request)
    );
    println!(
        "  client VmHWM minus that ........................ {}",
        signed_mib(client_peak as i64 - before_first_request as i64)
    );
    println!(
        "  VmRSS before the run .......................... {}",
        mib(samples.before)
    );
    println!(
        "  VmRSS at page 10 / at the last page ........... {} / {}",
        mib(at10),
        mib(last)
    );
    println!(
        "  peak VmRSS during the run ..................... {}  (growth {})",
        mib(peak_during),
        signed_mib(peak_during as i64 - samples.before as i64)
    );
    println!(
        "  growth from page 10 to the end ................ {}",
        signed_mib(peak_during as i64 - at10 as i64)
    );
    println!(
        "  VmRSS after the run ........................... {}",
        mib(samples.after)
    );
    println!(
        "  client VmHWM over all its runs ................ {}{}",
        mib(client_peak),
        if hwm_reset {
            ""
        } else {
            " (could not reset VmHWM: includes the process start)"
        }
    );
    println!(
        "  one page's JSON body .......................... {} KiB ({PAGE} models)",
        thousands(page_body.len() as f64 / 1024.0)
    );
    println!(
        "  one ModelInfo, inline (without its heap parts)  {} bytes",
        std::mem::size_of::<ModelInfo>()
    );
    if let Some(s) = server_peak {
        println!("  (the child simulator's own VmHWM: {})", mib(s));
    }

    let ms = |secs_per_page: f64| format!("{:.2} ms", secs_per_page * 1e3);
    let raw_page = raw_secs / raw_pages as f64;
    let decode_page = PAGE as f64 / decode;
    let client_page = PAGE as f64 / client.median();
    println!();
    println!("where a page's time goes (client alone, per page of {PAGE}):");
    println!(
        "  raw fetch, body not parsed (server + loopback)  {}  ({raw_pages} pages, {} items/s)",
        ms(raw_page),
        thousands(PAGE as f64 / raw_page)
    );
    println!(
        "  decoding alone (serde_json -> Vec<ModelInfo>)   {}  ({} items/s)",
        ms(decode_page),
        thousands(decode)
    );
    let rest = client_page - raw_page - decode_page;
    println!(
        "  hf-hub-api .items(), end to end                 {}  (rest: {} of HTTP client, stream, copies)",
        ms(client_page),
        if rest > 0.0 {
            ms(rest)
        } else {
            "~0 (within the noise)".to_owned()
        }
    );
    println!(
        "  fetch and decode one after the other would cap at {} items/s; \
         overlapped (a page fetched ahead) at {} items/s",
        thousands(PAGE as f64 / (raw_page + decode_page)),
        thousands(PAGE as f64 / raw_page.max(decode_page))
    );

    println!();
    println!("ratios (items/s over items/s, same run):");
    let ours: Vec<(&str, f64)> = std::iter::once(("lazy", client.median()))
        .chain(ahead.as_ref().map(|a| ("prefetch", a.median())))
        .collect();
    for (view, rate) in &ours {
        if let Some(p) = &python {
            println!(
                "  hf-hub-api .items() {view:<8} / huggingface_hub {} {:.1}x (target >= {TARGET_RATIO:.0}x)",
                p.version,
                rate / p.median
            );
        }
        if let Some(h) = &hf_hub {
            println!(
                "  hf-hub-api .items() {view:<8} / hf-hub 1.0 ........ {:.2}x (target >= 2x)",
                rate / h.median()
            );
        }
    }
    if let (Some(c), Some(p)) = (&cli, &python) {
        println!(
            "  `hub list models` / huggingface_hub {} ......... {:.1}x (target >= 5x)",
            p.version,
            c.median() / p.median
        );
    }
    let mut code = ExitCode::SUCCESS;
    if let Some(p) = &python {
        println!();
        for (view, rate) in &ours {
            let ratio = rate / p.median;
            let verdict = if ratio >= TARGET_RATIO {
                "met"
            } else {
                "NOT met"
            };
            println!(
                "ratio hf-hub-api {view} / huggingface_hub {}: {ratio:.1}x (target >= {TARGET_RATIO:.0}x: {verdict})",
                p.version
            );
        }
        // The default view is what the target is enforced on.
        if settings.enforce && client.median() / p.median < TARGET_RATIO {
            code = ExitCode::FAILURE;
        }
    } else {
        println!();
        println!("(Python comparison skipped: set BENCH_PYTHON=1, see benches/README.md)");
    }
    Ok(code)
}
