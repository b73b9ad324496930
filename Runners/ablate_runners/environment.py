"""Creates (once) the virtual environment a stage kind runs in, and links it into a task's outputs.

    python3 -m ablate_runners.environment --requirements FILE [--output DIR] [--print-python]

The environment lives in a cache directory keyed by the digest of the requirements (and of the
files they include with `-r`) and of the Python version: $ABLATE_ENVIRONMENTS, else
$XDG_CACHE_HOME/ablate/environments, else ~/.cache/ablate/environments. It is built under an
exclusive lock, so two runs never build the same environment at once; a complete one carries a
marker file and is reused. pip's progress goes to standard output. --output DIR makes DIR/venv a
link to it; --print-python prints its interpreter.
"""

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys

from .common import fail

MARKER = ".ablate-environment-complete"


def requirement_files(path, seen=None):
    """The requirements file and those it includes with -r, in order."""
    seen = seen if seen is not None else []
    path = os.path.abspath(path)
    if path in seen:
        return seen
    if not os.path.isfile(path):
        fail(f"requirements file not found: {path}")
    seen.append(path)
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split("#", 1)[0].split()
            if len(parts) == 2 and parts[0] in ("-r", "--requirement"):
                requirement_files(os.path.join(os.path.dirname(path), parts[1]), seen)
    return seen


def environment_key(requirements):
    digest = hashlib.sha256(f"python {sys.version_info[0]}.{sys.version_info[1]}\n".encode())
    for path in requirement_files(requirements):
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:16]


def cache_root():
    if os.environ.get("ABLATE_ENVIRONMENTS"):
        return os.environ["ABLATE_ENVIRONMENTS"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ablate", "environments")


def ensure(requirements):
    """The directory of the complete environment, built first if needed."""
    name = os.path.splitext(os.path.basename(requirements))[0]
    root = cache_root()
    os.makedirs(root, exist_ok=True)
    directory = os.path.join(root, f"{name}-{environment_key(requirements)}")
    if os.path.exists(os.path.join(directory, MARKER)):
        print(f"environment {name} is ready at {directory}", flush=True)
        return directory
    with open(directory + ".lock", "w") as lock:
        if os.path.exists(os.path.join(directory, MARKER)):
            return directory
        print(f"waiting for the lock on {directory}", flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(directory, MARKER)):
            print(f"environment {name} was built by another run at {directory}", flush=True)
            return directory
        if os.path.exists(directory):
            shutil.rmtree(directory)
        print(f"creating environment {name} at {directory}", flush=True)
        run([sys.executable, "-m", "venv", directory])
        python = os.path.join(directory, "bin", "python")
        run([python, "-m", "pip", "install", "--progress-bar", "off", "-r", os.path.abspath(requirements)])
        with open(os.path.join(directory, MARKER), "w") as marker:
            marker.write(os.path.abspath(requirements) + "\n")
        print(f"environment {name} is ready at {directory}", flush=True)
    return directory


def run(command):
    result = subprocess.run(command, stdout=sys.stdout, stderr=sys.stderr)
    if result.returncode != 0:
        fail(f"{' '.join(command[:4])} … exited with status {result.returncode}; see the output above")


def main():
    parser = argparse.ArgumentParser(description="Creates or reuses a stage environment.")
    parser.add_argument("--requirements", required=True)
    parser.add_argument("--output", help="directory in which to link the environment as 'venv'")
    parser.add_argument("--print-python", action="store_true", help="print the environment's interpreter")
    arguments = parser.parse_args()
    directory = ensure(arguments.requirements)
    if arguments.output:
        os.makedirs(arguments.output, exist_ok=True)
        link = os.path.join(arguments.output, "venv")
        # ablate creates a task's declared outputs as empty folders beforehand.
        if os.path.isdir(link) and not os.path.islink(link):
            os.rmdir(link)
        elif os.path.lexists(link):
            os.remove(link)
        os.symlink(directory, link)
    if arguments.print_python:
        print(os.path.join(directory, "bin", "python"))


if __name__ == "__main__":
    main()
