"""A warm interpreter: imports the heavy libraries once, then forks one child per task.

    python -m ablate_runners.warm --socket NAME [--parent PID] [--preload MODULE ...]

A stage runner spends seconds importing torch, transformers, TRL, datasets and
sentence-transformers before it does anything; a task forked from a process that has already
imported them starts in milliseconds. ablate starts one warm interpreter per environment for
the local executor; each task's ablate-supervisor connects to it on the abstract Unix socket
NAME and sends one request, a JSON line

    {"argv": [PYTHON, "-m", MODULE, ARGUMENT...], "cwd": DIR, "env": {NAME: VALUE, ...}}

with the task's standard input, output and error passed along (SCM_RIGHTS). The interpreter
answers `started PID` and forks: the child leads a session and process group of its own, takes
those descriptors, the working directory and exactly that environment, and runs MODULE as
`python -m` would. When the child ends, the interpreter answers `exited CODE` or `signaled
SIGNAL` and closes the connection. A request it cannot serve as a fresh interpreter would is
answered `refused REASON`, and the supervisor starts the task cold: another interpreter, a
program that is not `python -m`, or an environment that differs in what the libraries read when
they are imported (Hugging Face's caches and offline switches, PYTHON* variables).

Should a supervisor go away while its child runs (ablate forced a stop), the child's group is
killed. The interpreter leaves once PID (ablate) has gone and no child runs, or on SIGTERM once
no child runs; it accepts no task after either. It starts no thread and no device before it
forks: only imports.
"""

import argparse
import atexit
import gc
import io
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback
import warnings

# What the built-in runners import; a module that is not installed is skipped.
DEFAULT_PRELOAD = [
    "torch", "transformers", "datasets", "peft", "trl", "accelerate", "sentence_transformers", "lm_eval", "textblob",
    "lemminflect", "trl.trainer.sft_trainer", "trl.trainer.dpo_trainer", "trl.trainer.reward_trainer",
]
# Variables that libraries read once, when they are imported: a task whose values differ from
# the interpreter's would run with the interpreter's, so it starts cold instead.
IMPORT_TIME_PREFIXES = ("HF_", "HUGGINGFACE", "TRANSFORMERS_", "DATASETS_", "SENTENCE_TRANSFORMERS", "TORCH", "PYTORCH", "PYTHON", "XDG_", "LD_")
MESSAGE_LIMIT = 16 * 1024 * 1024
STARTED_IN = os.getcwd()
# The environment the interpreter started with: imports add variables of their own (torch's
# TORCHINDUCTOR_CACHE_DIR, huggingface_hub's HF_XET_*), which a task gets as a fresh interpreter
# would, on top of its own.
STARTED_WITH = dict(os.environ)


def import_time_differences(ours, theirs):
    """The import-time variables whose values differ between two environments."""
    names = {name for name in set(ours) | set(theirs) if name.startswith(IMPORT_TIME_PREFIXES)}
    return sorted(name for name in names if ours.get(name) != theirs.get(name))


def refusal(request):
    """Why a request cannot run here, or None."""
    argv = request.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(part, str) for part in argv):
        return "not a command"
    if len(argv) < 3 or argv[1] != "-m":
        return "not 'python -m MODULE'"
    if os.path.realpath(argv[0]) != os.path.realpath(sys.executable):
        return f"another interpreter ({argv[0]})"
    if not isinstance(request.get("env"), dict) or not isinstance(request.get("cwd"), str):
        return "no environment or working directory"
    differences = import_time_differences(STARTED_WITH, request["env"])
    if differences:
        return "the environment differs in " + ", ".join(differences)
    return None


def run_child(request, descriptors, ready):
    """In the forked child: becomes the task, and ends the process as the task ended."""
    code = 1
    try:
        os.setsid()
        os.write(ready, b"1")
        os.close(ready)
        for target, descriptor in enumerate(descriptors):
            os.dup2(descriptor, target)
        for descriptor in descriptors:
            if descriptor > 2:
                os.close(descriptor)
        for handled in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGUSR1, signal.SIGUSR2, signal.SIGQUIT):
            signal.signal(handled, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.chdir(request["cwd"])
        # `python -m` puts the directory it started in first on the module path.
        if sys.path and sys.path[0] == STARTED_IN:
            sys.path[0] = request["cwd"]
        added_by_imports = {name: value for name, value in os.environ.items() if name not in STARTED_WITH}
        os.environ.clear()
        os.environ.update(added_by_imports)
        os.environ.update(request["env"])
        match_thread_counts()
        reseed()
        import runpy

        sys.argv = [request["argv"][2]] + request["argv"][3:]
        runpy.run_module(request["argv"][2], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    except KeyboardInterrupt:
        # As python does: the interpreter ends by the signal.
        traceback.print_exc()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:  # noqa: BLE001 - the task's traceback, as python prints it
        traceback.print_exc()
        code = 1
    end_as_a_fresh_interpreter(code)


def end_as_a_fresh_interpreter(code):
    """Ends the child as a fresh interpreter ends: it waits for the task's threads, runs its
    atexit handlers, finalizes its garbage, flushes the files it left open and its standard
    streams, and exits with SystemExit's status. What it leaves out is tearing down the modules
    the warm interpreter imported: that would write to every page the child shares with the
    interpreter, and copying them took over a second per task."""
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            shutdown()
        atexit._run_exitfuncs()
        gc.collect()
        # Objects the interpreter had before the fork are frozen (main): these are the task's own.
        for left_open in [o for o in gc.get_objects() if isinstance(o, io.IOBase)]:
            try:
                if not left_open.closed:
                    left_open.flush()
            except (OSError, ValueError):
                pass
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                # As python does when it cannot flush standard output at exit.
                code = 120
    finally:
        # Whatever happened above, the child never returns into the interpreter's loop.
        os._exit(code & 0xFF)


def match_thread_counts():
    """The thread pools take the task's counts (OMP_NUM_THREADS), which a fresh interpreter
    would have read when it loaded them."""
    wanted = os.environ.get("OMP_NUM_THREADS")
    if not wanted or not wanted.isdigit():
        return
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(wanted))
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(int(wanted))
    except Exception:  # noqa: BLE001 - without threadpoolctl the BLAS pools keep their size
        pass


def reseed():
    """Fresh random states, as a new interpreter has (runners seed what they rely on)."""
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


class WarmInterpreter:
    def __init__(self, name, parent):
        self.parent = parent
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind("\0" + name)
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.connections = {}  # socket -> (bytes received so far, descriptors received)
        self.children = {}  # pid -> socket
        self.accepting = True
        self.stopping = False
        self.wakeup_read, wakeup_write = os.pipe()
        os.set_blocking(self.wakeup_read, False)
        os.set_blocking(wakeup_write, False)
        signal.set_wakeup_fd(wakeup_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        # Only noted here: the loop stops accepting between two selects, never during one.
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        # A Ctrl-C in ablate's terminal is ablate's to handle; the tasks have sessions of their own.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def stop_accepting(self):
        if self.accepting:
            self.accepting = False
            self.listener.close()
            for connection in [c for c in list(self.connections) if c not in self.children.values()]:
                self.drop(connection)

    def serve(self):
        while self.accepting or self.children:
            readable = [self.wakeup_read] + list(self.connections) + ([self.listener] if self.accepting else [])
            ready, _, _ = select.select(readable, [], [], 1.0)
            for source in ready:
                if source == self.wakeup_read:
                    try:
                        os.read(self.wakeup_read, 512)
                    except BlockingIOError:
                        pass
                elif source is self.listener:
                    self.accept()
                else:
                    self.receive(source)
            self.reap()
            if self.stopping or (self.parent and not alive(self.parent)):
                self.stop_accepting()

    def accept(self):
        try:
            connection, _ = self.listener.accept()
        except (BlockingIOError, OSError):
            return
        self.connections[connection] = (b"", [])

    def receive(self, connection):
        if connection in self.children.values():
            # A supervisor whose child still runs went away: ablate forced a stop.
            try:
                data = connection.recv(4096)
            except OSError:
                data = b""
            if not data:
                pid = next(pid for pid, owner in self.children.items() if owner is connection)
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            return
        try:
            data, received, _, _ = socket.recv_fds(connection, 65536, 3)
        except OSError:
            data, received = b"", []
        buffer, descriptors = self.connections[connection]
        buffer, descriptors = buffer + data, descriptors + received
        if data and b"\n" not in buffer and len(buffer) < MESSAGE_LIMIT:
            self.connections[connection] = (buffer, descriptors)
            return
        try:
            request = json.loads(buffer.split(b"\n", 1)[0])
        except ValueError:
            request = {}
        reason = refusal(request) if len(descriptors) == 3 else "no standard input, output and error"
        if reason:
            if data:
                module = request.get("argv", [None] * 3)[2:3]
                print(f"refused {module[0] if module else '?'}: {reason}", flush=True)
                self.answer(connection, "refused " + reason)
            for descriptor in descriptors:
                os.close(descriptor)
            self.drop(connection)
            return
        self.connections[connection] = (b"", [])
        self.start(connection, request, descriptors)

    def start(self, connection, request, descriptors):
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        # The child says when it leads its own group, so that the supervisor's first signal
        # to the group cannot come before the group exists.
        ready_read, ready_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            os.close(self.wakeup_read)
            os.close(ready_read)
            for other in list(self.connections):
                other.close()
            if self.accepting:
                self.listener.close()
            run_child(request, descriptors, ready_write)
        os.close(ready_write)
        os.read(ready_read, 1)
        os.close(ready_read)
        for descriptor in descriptors:
            os.close(descriptor)
        self.children[pid] = connection
        self.answer(connection, f"started {pid}")
        print(f"started {request['argv'][2]} as process {pid}", flush=True)

    def reap(self):
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            connection = self.children.pop(pid, None)
            if connection is None:
                continue
            if os.WIFSIGNALED(status):
                self.answer(connection, f"signaled {os.WTERMSIG(status)}")
            else:
                self.answer(connection, f"exited {os.waitstatus_to_exitcode(status)}")
            self.drop(connection)

    def answer(self, connection, line):
        try:
            connection.sendall((line + "\n").encode())
        except OSError:
            pass

    def drop(self, connection):
        self.connections.pop(connection, None)
        try:
            connection.close()
        except OSError:
            pass


def alive(pid):
    """Whether the process runs (a zombie, ended but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ablate_runners.warm", description=__doc__.split("\n")[0])
    parser.add_argument("--socket", required=True, help="the abstract Unix socket's name")
    parser.add_argument("--parent", type=int, default=0, help="leave once this process (ablate) has gone and no child runs")
    parser.add_argument("--preload", nargs="*", default=None, help="modules to import before serving (default: the runners' libraries)")
    arguments = parser.parse_args(argv)
    # What ablate had open (its own pipes among them) is not the interpreter's to hold: a reader
    # of ablate's output would otherwise wait for this process to end.
    os.closerange(3, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 1024)
    # Whoever started the interpreter may have blocked signals (the mask is inherited): SIGTERM
    # must reach it, and its children start with none blocked.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    # Bound first, so that a supervisor connecting while the imports run waits for them.
    interpreter = WarmInterpreter(arguments.socket, arguments.parent)
    started = time.monotonic()
    warnings.filterwarnings("ignore", message=".*multi-threaded.*fork.*", category=DeprecationWarning)
    loaded = []
    for module in DEFAULT_PRELOAD if arguments.preload is None else arguments.preload:
        try:
            __import__(module)
            loaded.append(module)
        except Exception:  # noqa: BLE001 - a library this environment lacks is simply not warm
            pass
    # What the imports made is never freed: frozen, a child's collections do not visit it (and so
    # do not copy the pages it lies on).
    gc.collect()
    gc.freeze()
    print(f"warm: {', '.join(loaded) or 'nothing'} imported in {time.monotonic() - started:.1f} s; serving {arguments.socket}", flush=True)
    interpreter.serve()


if __name__ == "__main__":
    main()
