//! Serves the Hub simulator from its own process, for benchmarks of clients in another
//! process (the Rust client alone, the official Python client, curl, ...).
//!
//! ```text
//! cargo run --release -p hf-hub-sim --example serve -- [MODELS] [MAX_SECONDS]
//! ```
//!
//! Seeds `MODELS` public model repositories (default 100,000), prints the endpoint
//! (`http://127.0.0.1:PORT/`) alone on the first line of stdout, then serves for
//! `MAX_SECONDS` (default 900) or until it is stopped (Ctrl-C, `kill`). Listens on 127.0.0.1
//! only. The default page of `GET /api/models` (and the `limit` cap) is 1,000.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let models: usize = match args.next().map(|a| a.replace('_', "").parse()) {
        None => 100_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("serve: MODELS must be a number: {e}");
            return ExitCode::from(2);
        }
    };
    let max_seconds: u64 = match args.next().map(|a| a.parse()) {
        None => 900,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("serve: MAX_SECONDS must be a number: {e}");
            return ExitCode::from(2);
        }
    };
    let sim = match hf_hub_sim::Simulator::start(
        hf_hub_sim::SimConfig::default()
            .seed_models(models)
            .list_page_cap(1000),
    ) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("serve: the simulator could not start: {e}");
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
    eprintln!(
        "serve: {models} models at {} (stops after {max_seconds} s)",
        sim.endpoint()
    );

    std::thread::sleep(Duration::from_secs(max_seconds));
    drop(sim);
    ExitCode::SUCCESS
}
