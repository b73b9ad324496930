"""A local HTTP server that speaks enough of the Hugging Face Hub's protocol for `snapshot_download`
of model and dataset repositories, for tests (point `HF_ENDPOINT` at it).

    python fake_hub.py --root DIR [--port 0] [--token SECRET] [--log FILE]

Repositories are folders: `DIR/models/ORG/NAME/BRANCH/…` and `DIR/datasets/ORG/NAME/BRANCH/…`, one
folder per branch holding that branch's files. A branch's commit is the SHA-1 of its files' paths
and contents, so rewriting a branch's files moves it to a new commit, as a push would. A revision
is a branch name or the commit of a branch. A repository holding a file `.gated` beside its
branches answers 401 (`X-Error-Code: GatedRepo`) unless the request carries `--token`; an unknown
repository answers 404 `RepoNotFound`, an unknown revision 404 `RevisionNotFound`, as the hub does.
Each request is appended to `--log` as `METHOD PATH` (and whether it carried a token), so that a
test can count downloads. The chosen port is printed on the first line of standard output.
"""

import argparse
import hashlib
import json
import os
import sys
import threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

KINDS = {"models": "models", "datasets": "datasets"}


def branch_files(folder):
    """The files of a branch folder, by path relative to it, in sorted order."""
    files = {}
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            files[os.path.relpath(path, folder)] = path
    return dict(sorted(files.items()))


def commit_of(folder):
    digest = hashlib.sha1()
    for relative, path in branch_files(folder).items():
        digest.update(relative.encode() + b"\0")
        with open(path, "rb") as handle:
            digest.update(handle.read())
        digest.update(b"\0")
    return digest.hexdigest()


def blob_id(path):
    """The git blob id of a file, as the hub's ETag of a small file is."""
    with open(path, "rb") as handle:
        content = handle.read()
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def tree(files, prefix, recursive):
    """The entries under `prefix` as the hub's tree API lists them: its files and folders, or only
    those directly in it."""
    entries, folders = [], set()
    for name, full in files.items():
        if prefix and not name.startswith(prefix + "/"):
            continue
        relative = name[len(prefix) + 1:] if prefix else name
        parts = relative.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(([prefix] if prefix else []) + parts[:depth])
            if (recursive or depth == 1) and folder not in folders:
                folders.add(folder)
                entries.append({"type": "directory", "oid": hashlib.sha1(folder.encode()).hexdigest(), "size": 0, "path": folder})
        if recursive or len(parts) == 1:
            entries.append({"type": "file", "oid": blob_id(full), "size": os.path.getsize(full), "path": name})
    return entries


class Hub:
    def __init__(self, root, token, log):
        self.root = root
        self.token = token
        self.log = log
        self.lock = threading.Lock()

    def repository(self, kind, repo_id):
        folder = os.path.join(self.root, kind, *repo_id.split("/"))
        return folder if os.path.isdir(folder) else None

    def branch(self, folder, revision):
        """The branch folder a revision names (a branch or the commit of one), or None."""
        for name in sorted(os.listdir(folder)):
            candidate = os.path.join(folder, name)
            if os.path.isdir(candidate) and (name == revision or commit_of(candidate) == revision):
                return candidate
        return None

    def record(self, method, path, authorised):
        if self.log:
            with self.lock, open(self.log, "a", encoding="utf-8") as handle:
                handle.write(f"{method} {path}{' token' if authorised else ''}\n")


class Handler(BaseHTTPRequestHandler):
    hub = None

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self.serve(body=False)

    def do_GET(self):
        self.serve(body=True)

    def serve(self, body):
        hub = self.hub
        path = urlsplit(self.path).path
        authorised = hub.token is not None and self.headers.get("Authorization") == f"Bearer {hub.token}"
        hub.record(self.command, path, authorised)
        parts = [unquote(part) for part in path.strip("/").split("/")]
        if parts[:1] == ["api"] and len(parts) >= 6 and parts[1] in KINDS and parts[4] in ("revision", "tree", "paths-info"):
            kind, repo_id, action, revision, rest = parts[1], "/".join(parts[2:4]), parts[4], parts[5], parts[6:]
            api = True
        elif parts[:1] == ["api"] and len(parts) == 4 and parts[1] in KINDS:  # the repository's information at main
            kind, repo_id, action, revision, rest, api = parts[1], "/".join(parts[2:4]), "revision", "main", [], True
        elif len(parts) >= 5 and (parts[0] == "datasets" and len(parts) >= 6 and parts[3] == "resolve" or parts[2] == "resolve"):
            kind = "datasets" if parts[0] == "datasets" and parts[3] == "resolve" else "models"
            offset = 1 if kind == "datasets" else 0
            repo_id, revision, rest = "/".join(parts[offset:offset + 2]), parts[offset + 3], parts[offset + 4:]
            action, api = "resolve", False
        else:
            return self.error(404, "EntryNotFound", f"no route for {path}", body)
        folder = hub.repository(kind, repo_id)
        if folder is None:
            return self.error(404, "RepoNotFound", f"Repository Not Found for url: {path}.", body)
        if os.path.exists(os.path.join(folder, ".gated")) and not authorised:
            return self.error(
                401, "GatedRepo",
                f"Access to {kind[:-1]} {repo_id} is restricted. You must have access to it and be authenticated to access it.", body)
        branch = hub.branch(folder, revision)
        if branch is None:
            return self.error(404, "RevisionNotFound", f"Invalid rev id: {revision}", body)
        commit = commit_of(branch)
        files = branch_files(branch)
        if api and action == "revision":
            info = {"id": repo_id, "sha": commit, "private": False, "gated": False,
                    "siblings": [{"rfilename": name} for name in files]}
            return self.json(info, commit, body)
        if api:
            recursive = parse_qs(urlsplit(self.path).query).get("recursive", ["false"])[0].lower() in ("true", "1")
            return self.json(tree(files, "/".join(rest), recursive), commit, body)
        name = "/".join(rest)
        if name not in files:
            return self.error(404, "EntryNotFound", f"{name} does not exist at {revision}", body)
        with open(files[name], "rb") as handle:
            content = handle.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.send_header("ETag", f'"{blob_id(files[name])}"')
        self.send_header("X-Repo-Commit", commit)
        self.end_headers()
        if body:
            self.wfile.write(content)

    def json(self, value, commit, body):
        data = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Repo-Commit", commit)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def error(self, status, code, message, body):
        data = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.end_headers()
        if body:
            self.wfile.write(data)


def main():
    flags = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    flags.add_argument("--root", required=True)
    flags.add_argument("--port", type=int, default=0)
    flags.add_argument("--token", default=None)
    flags.add_argument("--log", default=None)
    options = flags.parse_args()
    Handler.hub = Hub(os.path.abspath(options.root), options.token, options.log)
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
