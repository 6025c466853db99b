"""The official client's side of benches/commit.rs.

python_commit.py ENDPOINT TOKEN REPO FOLDER: `HfApi.upload_folder` of FOLDER to the root of REPO
(a model repository that exists) in one commit; prints `seconds peak_kib` (ru_maxrss of this
process). The time covers the call alone: imports and the client's construction are left out.
"""
import resource
import sys
import time

from huggingface_hub import HfApi


def main():
    endpoint, token, repo, folder = sys.argv[1:5]
    api = HfApi(endpoint=endpoint, token=token)
    started = time.perf_counter()
    api.upload_folder(repo_id=repo, folder_path=folder, commit_message="commit bench (python)")
    elapsed = time.perf_counter() - started
    print(f"{elapsed} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
