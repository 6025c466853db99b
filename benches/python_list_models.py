#!/usr/bin/env python3
"""Times the official Python client listing models from a Hub simulator.

    python benches/python_list_models.py --endpoint http://127.0.0.1:PORT/ [--models 100000] [--runs 3]

Uses `huggingface_hub.HfApi(endpoint=...).list_models(limit=None)`, which yields typed
`ModelInfo` objects and follows the server's `Link: rel="next"` headers. With `limit=None` the
client sends no `limit` query parameter, so the pages are the server's default size (1,000 on
the simulator). One untimed warm-up run, then `--runs` timed runs; each must yield exactly
`--models` items. Prints a human summary on stderr and one JSON line on stdout:

    {"client": "huggingface_hub", "version": ..., "items": ..., "runs_items_per_sec": [...],
     "median_items_per_sec": ..., "peak_rss_kib": ...}

Only the given endpoint (a loopback address) is contacted; no token is sent.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time
from urllib.parse import urlparse


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="the simulator's hub origin")
    parser.add_argument("--models", type=int, default=100_000, help="expected item count")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    args = parser.parse_args()

    host = urlparse(args.endpoint).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"refusing a non-loopback endpoint: {args.endpoint}", file=sys.stderr)
        return 2

    # No telemetry, no implicit token, no progress bars: only the listing requests.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

    import huggingface_hub
    from huggingface_hub import HfApi, ModelInfo

    api = HfApi(endpoint=args.endpoint.rstrip("/"), token=False)

    def one_run() -> tuple[int, float]:
        start = time.perf_counter()
        n = 0
        id_bytes = 0
        for model in api.list_models(limit=None, token=False):
            if not isinstance(model, ModelInfo):
                raise TypeError(f"expected ModelInfo, got {type(model)!r}")
            id_bytes += len(model.id)
            n += 1
        elapsed = time.perf_counter() - start
        if id_bytes == 0 and n > 0:
            raise AssertionError("empty ids")
        return n, elapsed

    n, warm = one_run()
    if n != args.models:
        print(f"warm-up yielded {n} items, expected {args.models}", file=sys.stderr)
        return 1
    rates = []
    for i in range(max(1, args.runs)):
        n, elapsed = one_run()
        if n != args.models:
            print(f"run {i + 1} yielded {n} items, expected {args.models}", file=sys.stderr)
            return 1
        rates.append(n / elapsed)
        print(f"  python run {i + 1}: {n} items in {elapsed:.3f} s = {n / elapsed:,.0f} items/s", file=sys.stderr)

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result = {
        "client": "huggingface_hub",
        "version": huggingface_hub.__version__,
        "python": sys.version.split()[0],
        "items": args.models,
        "warmup_secs": warm,
        "runs_items_per_sec": rates,
        "median_items_per_sec": statistics.median(rates),
        "peak_rss_kib": peak_kib,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
