"""The official client's side of benches/download.rs.

python_download.py snapshot|file ENDPOINT TOKEN REPO FILE CACHE: `snapshot_download` (8 workers,
its default) or `hf_hub_download` of FILE into CACHE; prints `seconds peak_kib` (ru_maxrss).
"""
import resource
import sys
import time

from huggingface_hub import hf_hub_download, snapshot_download


def main():
    case, endpoint, token, repo, name, cache = sys.argv[1:7]
    started = time.perf_counter()
    if case == "snapshot":
        snapshot_download(repo, cache_dir=cache, endpoint=endpoint, token=token)
    else:
        hf_hub_download(repo, name, cache_dir=cache, endpoint=endpoint, token=token)
    elapsed = time.perf_counter() - started
    print(f"{elapsed} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
