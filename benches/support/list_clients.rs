//! The pagination bench's other clients, each in a process of its own against the same child
//! simulator: the official Python client, the `hf-hub` crate 1.0 (a throwaway crate built on
//! first use) and the CLI's `hub list models`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::{AnyResult, Settings, Timing, thousands};

// ------------------------------------------------------------------ Python

pub(crate) struct PythonResult {
    pub(crate) version: String,
    pub(crate) median: f64,
    pub(crate) range: String,
    pub(crate) peak_rss_kib: u64,
}

pub(crate) fn run_python(settings: &Settings, endpoint: &str) -> AnyResult<PythonResult> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/python_list_models.py");
    if !settings.python_bin.exists() {
        return Err(format!(
            "BENCH_PYTHON=1 but {} does not exist; create it with\n  python3 -m venv target/pyenv && \
             target/pyenv/bin/pip install huggingface_hub==2.4.0\n(or set BENCH_PYTHON_BIN)",
            settings.python_bin.display()
        )
        .into());
    }
    let out = Command::new(&settings.python_bin)
        .arg(script)
        .args(["--endpoint", endpoint])
        .args(["--models", &settings.models.to_string()])
        .args(["--runs", &settings.python_runs.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err(format!("the Python benchmark failed: {}", out.status).into());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or("no JSON line from Python")?;
    let v: serde_json::Value = serde_json::from_str(line)?;
    let rates: Vec<f64> = v["runs_items_per_sec"]
        .as_array()
        .ok_or("no runs_items_per_sec")?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    Ok(PythonResult {
        version: v["version"].as_str().unwrap_or("?").to_owned(),
        median: v["median_items_per_sec"]
            .as_f64()
            .ok_or("no median_items_per_sec")?,
        range: Timing { rates }.range(),
        peak_rss_kib: v["peak_rss_kib"].as_u64().unwrap_or(0),
    })
}

// ------------------------------------------------------------------ other clients

/// Timed runs of a client in another process: items/s per run, and that process's peak RSS.
pub(crate) struct External {
    rates: Vec<f64>,
    pub(crate) peak_kib: u64,
}

impl External {
    pub(crate) fn median(&self) -> f64 {
        Timing {
            rates: self.rates.clone(),
        }
        .median()
    }

    pub(crate) fn range(&self) -> String {
        Timing {
            rates: self.rates.clone(),
        }
        .range()
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// The `hf-hub` 1.0 measurement crate, written and built (release) under this package's
/// `target/bench-hf-hub-list/`: never a dependency of ours.
fn build_hf_hub() -> AnyResult<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/bench-hf-hub-list"
    ));
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(dir.join("Cargo.toml"), HF_HUB_TOML)?;
    std::fs::write(dir.join("src/main.rs"), HF_HUB_MAIN)?;
    let status = cargo()
        .args(["build", "--release", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .status()?;
    if !status.success() {
        return Err("building the hf-hub measurement crate failed".into());
    }
    Ok(dir.join("target/release/hf-hub-list-bench"))
}

const HF_HUB_TOML: &str = r#"[package]
name = "hf-hub-list-bench"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
futures = "0.3"
hf-hub = "=1.0.0"
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
"#;

const HF_HUB_MAIN: &str = r#"
// hf-hub-list-bench ENDPOINT MODELS RUNS: one warm-up, then RUNS timed listings of every
// model through `list_models()`; prints `rate rate ... peak_kib`.
use futures::StreamExt;

fn hwm() -> u64 {
    std::fs::read_to_string("/proc/self/status").ok().and_then(|t| {
        t.lines().find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }).unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (endpoint, models, runs): (&str, usize, usize) =
        (&a[1], a[2].parse().unwrap(), a[3].parse().unwrap());
    let client = hf_hub::HFClient::builder().endpoint(endpoint).build().unwrap();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let mut rates = Vec::new();
    for run in 0..=runs {
        let started = std::time::Instant::now();
        let stream = client.list_models().send().unwrap();
        let mut stream = std::pin::pin!(stream);
        let (mut n, mut id_bytes) = (0usize, 0usize);
        while let Some(m) = stream.next().await {
            id_bytes += m.unwrap().id.len();
            n += 1;
        }
        assert_eq!(n, models, "hf-hub listed {n} models");
        assert!(id_bytes > 0);
        if run > 0 {
            rates.push(n as f64 / started.elapsed().as_secs_f64());
        }
    }
    let text: Vec<String> = rates.iter().map(|r| format!("{r}")).collect();
    println!("{} {}", text.join(" "), hwm());
}
"#;

pub(crate) fn run_hf_hub(settings: &Settings, endpoint: &str) -> AnyResult<External> {
    let bin = build_hf_hub()?;
    let out = Command::new(bin)
        .args([endpoint.trim_end_matches('/'), &settings.models.to_string()])
        .arg(settings.runs.to_string())
        .env_remove("HF_TOKEN")
        .env("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err(format!("the hf-hub measurement failed: {}", out.status).into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut numbers: Vec<f64> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let peak_kib = numbers.pop().ok_or("no output from hf-hub")? as u64;
    for (i, r) in numbers.iter().enumerate() {
        eprintln!("  hf-hub 1.0 run {}: {} items/s", i + 1, thousands(*r));
    }
    Ok(External {
        rates: numbers,
        peak_kib,
    })
}

/// `hub list models` (examples/hub.rs, release): the whole process, from spawn to exit,
/// stdout read (and its lines counted) by this process.
pub(crate) fn run_cli(settings: &Settings, endpoint: &str) -> AnyResult<External> {
    let status = cargo()
        .args(["build", "--release", "--quiet", "--example", "hub"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()?;
    if !status.success() {
        return Err("building examples/hub.rs failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target")));
    let bin = target.join("release/examples/hub");
    let mut rates = Vec::new();
    let mut peak_kib = 0;
    for run in 0..=settings.runs {
        let started = Instant::now();
        // GNU time reports the peak RSS of the process it runs (`%M`, KiB).
        let peak_file = target.join("bench-hub-list.peak");
        let mut child = Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&peak_file)
            .arg(&bin)
            .args(["list", "models"])
            .env("HF_ENDPOINT", endpoint.trim_end_matches('/'))
            .env("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
            .env_remove("HF_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut lines = 0usize;
        let mut reader = BufReader::with_capacity(1 << 20, child.stdout.take().ok_or("no stdout")?);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            lines += 1;
        }
        let status = child.wait()?;
        if !status.success() {
            return Err(format!("`hub list models` failed: {status}").into());
        }
        let peak: u64 = std::fs::read_to_string(&peak_file)?.trim().parse()?;
        let secs = started.elapsed().as_secs_f64();
        if lines != settings.models {
            return Err(format!(
                "`hub list models` printed {lines} lines, expected {}",
                settings.models
            )
            .into());
        }
        peak_kib = peak_kib.max(peak);
        if run > 0 {
            let rate = lines as f64 / secs;
            eprintln!(
                "  hub list run {run}: {lines} lines in {secs:.3} s = {} items/s",
                thousands(rate)
            );
            rates.push(rate);
        }
    }
    Ok(External { rates, peak_kib })
}
