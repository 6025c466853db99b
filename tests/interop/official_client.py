"""Drives the official `huggingface_hub` client against our Hub simulator.

Usage: official_client.py ENDPOINT TOKEN SEEDED_MODELS
Prints one JSON object with what it saw; exits non-zero when the client fails or a check fails.
"""
import json
import os
import sys

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

endpoint, token, seeded = sys.argv[1], sys.argv[2], int(sys.argv[3])
api = HfApi(endpoint=endpoint, token=token)
out = {}

# Paginated listing: the client follows our Link headers to the end.
models = list(api.list_models())
out["listed_models"] = len(models)
assert len(models) == seeded, (len(models), seeded)
assert len({m.id for m in models}) == seeded

me = api.whoami()
out["whoami"] = me["name"]
repo_id = f"{me['name']}/interop"
api.create_repo(repo_id)

small = b"hello from the official client\n"
large = os.urandom(3 * 1024 * 1024 + 17)  # above the simulator's LFS threshold
first = api.create_commit(
    repo_id,
    operations=[
        CommitOperationAdd("README.md", small),
        CommitOperationAdd("weights/model.bin", large),
        CommitOperationAdd("to_delete.txt", b"soon gone"),
    ],
    commit_message="first",
)
second = api.create_commit(
    repo_id,
    operations=[CommitOperationDelete("to_delete.txt"), CommitOperationAdd("notes/a.txt", b"a")],
    commit_message="second",
    parent_commit=first.oid,
)
out["commits"] = [first.oid, second.oid]

tree = {e.path: e for e in api.list_repo_tree(repo_id, recursive=True)}
files = sorted(p for p, e in tree.items() if e.__class__.__name__ == "RepoFile")
out["files"] = files
assert files == [".gitattributes", "README.md", "notes/a.txt", "weights/model.bin"], files
lfs = tree["weights/model.bin"].lfs
assert lfs is not None and lfs.size == len(large), lfs
out["lfs_size"] = lfs.size

log = list(api.list_repo_commits(repo_id))
out["log"] = [c.title for c in log]
assert [c.title for c in log][:2] == ["second", "first"], out["log"]

print(json.dumps(out))
