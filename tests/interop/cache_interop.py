"""The official client and our cache, both ways (driven by tests/interop_python.rs).

`read CACHE REPO FILE...`: opens our cache with `local_files_only=True` (no request): prints the
snapshot folder and each file's path and sha256.
`write CACHE REPO ENDPOINT TOKEN`: `snapshot_download` from the simulator into CACHE; prints the
folder.
"""
import hashlib
import json
import sys

from huggingface_hub import hf_hub_download, snapshot_download


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    mode, cache, repo = sys.argv[1:4]
    if mode == "read":
        folder = snapshot_download(repo, cache_dir=cache, local_files_only=True)
        files = {}
        for name in sys.argv[4:]:
            path = hf_hub_download(repo, name, cache_dir=cache, local_files_only=True)
            files[name] = {"path": path, "sha256": sha256(path)}
        print(json.dumps({"folder": folder, "files": files}))
    elif mode == "write":
        endpoint, token = sys.argv[4:6]
        folder = snapshot_download(repo, cache_dir=cache, endpoint=endpoint, token=token)
        print(json.dumps({"folder": folder}))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
