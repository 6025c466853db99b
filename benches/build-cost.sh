#!/usr/bin/env bash
# What depending on hf-hub-api costs a user: cold build time and peak memory of a throwaway
# crate that calls `model_info`, with the default features and with the minimal set
# (`default-features = false`: no API area, only the facade — client, pagination, commits,
# downloads — which is always compiled; the minimal program calls `snapshot` instead, since
# `model_info` is in the `repos` area), next to the same program on the `hf-hub` crate 1.0; then
# the library crate's own compile (its build script plus the crate, dependencies already built)
# under both feature sets.
#
#   bash benches/build-cost.sh            # everything (about 10 minutes on 2 cores)
#   BUILD_COST_ONLY=ours bash benches/build-cost.sh
#   BUILD_COST_ONLY=xet bash benches/build-cost.sh   # default features, with and without `xet`
#
# Each cold build uses a fresh target directory; the registry must already hold the crates
# (run once with network access to the registry). Wall time depends on what else the machine
# is doing, so CPU time (user + sys, all processes) is printed too; "peak RSS" is the largest
# single process of the build (rustc or a build script), as GNU time reports it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${BUILD_COST_DIR:-$root/target/build-cost}"
only="${BUILD_COST_ONLY:-all}"
mkdir -p "$work"
export CARGO_TERM_COLOR=never
# A dependency from crates.io is compiled without incremental state; a path dependency would
# get it (more memory, more disk), so turn it off to measure what a user of the release pays.
export CARGO_INCREMENTAL=0

if [ ! -x /usr/bin/time ]; then
  echo "build-cost: GNU time (/usr/bin/time) is needed to read peak memory" >&2
  exit 1
fi

# A dependent crate: $1 = name, $2 = dependency line, $3 = main.rs body.
make_crate() {
  local dir="$work/$1"
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
$2
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
EOF
  printf '%s\n' "$3" >"$dir/src/main.rs"
}

ours_main='#[tokio::main]
async fn main() -> hf_hub_api::Result<()> {
    let hub = hf_hub_api::Hub::from_env()?;
    let id = hf_hub_api::repo::RepoId::new("openai-community/gpt2")?;
    let model = hub.model_info(&id).await?;
    println!("{} {:?}", model.id, model.downloads);
    Ok(())
}'

minimal_main='#[tokio::main]
async fn main() -> hf_hub_api::Result<()> {
    let hub = hf_hub_api::Hub::from_env()?;
    let repo = hf_hub_api::repo::Repo::model("openai-community/gpt2")?;
    let folder = hub.snapshot(&repo).include("config.json").await?;
    println!("{}", folder.display());
    Ok(())
}'

theirs_main='#[tokio::main]
async fn main() -> hf_hub::HFResult<()> {
    let client = hf_hub::HFClient::new()?;
    let info = client.model("openai-community", "gpt2").info().send().await?;
    println!("{} {:?}", info.id, info.downloads);
    Ok(())
}'

# Slowest crates of the last build, from cargo's --timings report.
slowest() {
  local html
  html="$(ls -t "$1"/cargo-timings/cargo-timing-*.html 2>/dev/null | head -1)"
  [ -n "$html" ] || return 0
  python3 - "$html" <<'EOF' || true
import json, re, sys
text = open(sys.argv[1]).read()
m = re.search(r"const UNIT_DATA = (\[.*?\]);", text, re.S)
if not m:
    sys.exit(0)
units = json.loads(m.group(1))
units.sort(key=lambda u: -u["duration"])
print("    slowest units:", ", ".join(
    f'{u["name"]} {u.get("target", "").strip() or "lib"} {u["duration"]:.1f}s' for u in units[:8]))
EOF
}

# Runs `cargo build` in a crate with a fresh target dir and prints one row.
cold() {
  local label="$1" dir="$2"
  shift 2
  local target="$dir/target"
  rm -rf "$target"
  local log="$work/$label.time"
  (cd "$dir" && CARGO_TARGET_DIR="$target" /usr/bin/time -v cargo build --quiet --timings "$@" 2>"$log") || {
    cat "$log" >&2
    exit 1
  }
  report "$label" "$log"
  slowest "$target"
}

report() {
  local label="$1" log="$2"
  local wall rss user sys
  wall="$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')"
  rss="$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')"
  user="$(grep 'User time' "$log" | awk '{print $NF}')"
  sys="$(grep 'System time' "$log" | awk '{print $NF}')"
  printf '%-34s wall %8s  cpu %7.1fs  peak RSS %6.0f MiB\n' "$label" "$wall" \
    "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc)"
}

# The library's own compile in a crate whose dependencies are built.
own() {
  local label="$1" dir="$2"
  shift 2
  local target="$dir/target"
  local log="$work/$label.time"
  (cd "$dir" && CARGO_TARGET_DIR="$target" cargo clean --quiet -p hf-hub-api &&
    CARGO_TARGET_DIR="$target" /usr/bin/time -v cargo build --quiet -p hf-hub-api "$@" 2>"$log") || {
    cat "$log" >&2
    exit 1
  }
  report "$label" "$log"
}

make_crate dep-default "hf-hub-api = { path = \"$root\" }" "$ours_main"
make_crate dep-minimal "hf-hub-api = { path = \"$root\", default-features = false }" "$minimal_main"
make_crate dep-hf-hub 'hf-hub = "1.0"' "$theirs_main"
make_crate dep-xet "hf-hub-api = { path = \"$root\", features = [\"xet\"] }" "$ours_main"

echo "cold build of a crate calling model_info (debug, $(nproc) cores, registry cached)"
if [ "$only" = all ] || [ "$only" = theirs ]; then
  cold "hf-hub 1.0" "$work/dep-hf-hub"
fi
if [ "$only" = all ] || [ "$only" = ours ]; then
  cold "hf-hub-api (default features)" "$work/dep-default"
  cold "hf-hub-api (no default features)" "$work/dep-minimal"
  echo
  echo "the library crate's own compile (cargo clean -p hf-hub-api && cargo build -p hf-hub-api)"
  own "hf-hub-api own (default)" "$work/dep-default"
  own "hf-hub-api own (no areas)" "$work/dep-minimal"
fi
if [ "$only" = all ] || [ "$only" = xet ]; then
  if [ "$only" = xet ]; then
    cold "hf-hub-api (default features)" "$work/dep-default"
  fi
  cold "hf-hub-api (default + xet)" "$work/dep-xet"
fi
