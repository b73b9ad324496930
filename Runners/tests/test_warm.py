"""The warm interpreter: forks a task per request, as `python -m` would run it, and answers
how it ended; refuses what a fresh interpreter would run differently; kills a task whose
supervisor went away; leaves once ablate has gone."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest

RUNNERS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = '''
import json, os, sys, time
mode = sys.argv[1]
if mode == "sleep":
    open(sys.argv[2], "w").write(str(os.getpid()))
    time.sleep(60)
print(json.dumps({"argv": sys.argv, "cwd": os.getcwd(), "path0": sys.path[0], "value": os.environ.get("PROBE_VALUE"),
                  "pid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0), "ppid": os.getppid(), "main": __name__}))
sys.stderr.write("to stderr\\n")
sys.exit(int(mode))
'''

ENDING = '''
import atexit, gc, os, sys, threading, time
directory = sys.argv[1]
open(os.path.join(directory, "frozen"), "w").write(str(gc.get_freeze_count()))
left_open = open(os.path.join(directory, "left-open"), "w")
left_open.write("written, never flushed or closed")
def late():
    time.sleep(0.3)
    open(os.path.join(directory, "thread"), "w").write("the thread ended")
threading.Thread(target=late).start()
atexit.register(lambda: open(os.path.join(directory, "atexit"), "w").write("the handler ran"))
class Cycle:
    def __del__(self, open=open, path=os.path.join(directory, "finalized")):
        open(path, "w").write("the garbage was finalized")
gc.disable()
cycle = Cycle()
cycle.itself = cycle
del cycle
sys.stdout.write("unflushed output")
sys.exit(sys.argv[2])
'''


@pytest.fixture
def warm(tmp_path):
    """A warm interpreter (importing nothing) with a probe module on its path."""
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "probe.py").write_text(PROBE)
    (modules / "ending.py").write_text(ENDING)
    name = f"ablate-warm-test-{uuid.uuid4().hex}"
    environment = dict(os.environ, PYTHONPATH=f"{RUNNERS}{os.pathsep}{modules}")
    log = open(tmp_path / "warm.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "ablate_runners.warm", "--socket", name, "--parent", str(os.getpid()), "--preload"],
        env=environment, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 20
    while "serving" not in (tmp_path / "warm.log").read_text():
        assert process.poll() is None, (tmp_path / "warm.log").read_text()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield name, environment, tmp_path, process
    process.terminate()
    process.wait(timeout=20)


def request(name, argv, environment, cwd, stdout, stderr):
    """Sends one request as ablate-supervisor does; returns the connection and its first answer."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect("\0" + name)
    files = [open(os.devnull), open(stdout, "w"), open(stderr, "w")]
    message = json.dumps({"argv": argv, "cwd": str(cwd), "env": environment}).encode() + b"\n"
    socket.send_fds(connection, [message], [f.fileno() for f in files])
    for f in files:
        f.close()
    reader = connection.makefile("r")
    return connection, reader, reader.readline().strip()


def test_a_task_runs_as_python_m_would_in_a_group_of_its_own(warm):
    name, environment, directory, _ = warm
    task = directory / "task"
    task.mkdir()
    connection, reader, first = request(
        name, [sys.executable, "-m", "probe", "3", "x y"], dict(environment, PROBE_VALUE="v1", OMP_NUM_THREADS="1"), task,
        task / "out", task / "err")
    assert first.startswith("started ")
    pid = int(first.split()[1])
    assert reader.readline().strip() == "exited 3"
    connection.close()
    seen = json.loads((task / "out").read_text())
    assert seen["argv"][1:] == ["3", "x y"]
    assert seen["cwd"] == str(task) and seen["path0"] == str(task)
    assert seen["value"] == "v1"
    assert seen["main"] == "__main__"
    assert seen["pid"] == pid and seen["pgid"] == pid and seen["sid"] == pid, "it leads a session and group of its own"
    assert (task / "err").read_text() == "to stderr\n"


def test_a_task_ends_as_a_fresh_interpreter_ends(warm):
    """Its threads, atexit handlers, garbage and open files are seen to; the modules the warm
    interpreter imported are frozen, so the child's collections and exit leave them alone."""
    name, environment, directory, _ = warm
    warm_task, fresh_task = directory / "warm-task", directory / "fresh-task"
    warm_task.mkdir()
    fresh_task.mkdir()
    connection, reader, first = request(
        name, [sys.executable, "-m", "ending", str(warm_task), "the reason"], environment, warm_task, warm_task / "out", warm_task / "err")
    assert first.startswith("started ")
    assert reader.readline().strip() == "exited 1"
    connection.close()
    with open(fresh_task / "out", "w") as out, open(fresh_task / "err", "w") as err:
        fresh = subprocess.run([sys.executable, "-m", "ending", str(fresh_task), "the reason"], env=environment, cwd=fresh_task, stdout=out, stderr=err)
    assert fresh.returncode == 1
    assert int((warm_task / "frozen").read_text()) > 1000
    assert int((fresh_task / "frozen").read_text()) == 0
    for name in ("out", "err", "left-open", "thread", "atexit", "finalized"):
        assert (warm_task / name).read_text() == (fresh_task / name).read_text(), name
    assert (warm_task / "err").read_text() == "the reason\n"


def test_what_a_fresh_interpreter_would_run_differently_is_refused(warm):
    name, environment, directory, _ = warm
    _, _, answer = request(name, [sys.executable, "-m", "probe", "0"], dict(environment, HF_HOME="/elsewhere"), directory, directory / "o", directory / "e")
    assert answer == "refused the environment differs in HF_HOME"
    _, _, answer = request(name, [sys.executable, "script.py"], environment, directory, directory / "o", directory / "e")
    assert answer == "refused not 'python -m MODULE'"
    _, _, answer = request(name, ["/usr/bin/other-python", "-m", "probe", "0"], environment, directory, directory / "o", directory / "e")
    assert answer.startswith("refused another interpreter")
    assert "refused probe: the environment differs in HF_HOME" in (directory / "warm.log").read_text()


def test_a_signal_to_the_group_ends_the_task_and_is_reported(warm):
    name, environment, directory, _ = warm
    marker = directory / "pid"
    connection, reader, first = request(name, [sys.executable, "-m", "probe", "sleep", str(marker)], environment, directory, directory / "o", directory / "e")
    pid = int(first.split()[1])
    deadline = time.monotonic() + 10
    while not marker.exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(pid, signal.SIGTERM)
    assert reader.readline().strip() == f"signaled {int(signal.SIGTERM)}"
    connection.close()


def test_a_task_whose_supervisor_went_away_is_killed(warm):
    name, environment, directory, _ = warm
    marker = directory / "pid"
    connection, reader, first = request(name, [sys.executable, "-m", "probe", "sleep", str(marker)], environment, directory, directory / "o", directory / "e")
    pid = int(first.split()[1])
    deadline = time.monotonic() + 10
    while not marker.exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    reader.close()
    connection.close()
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline + 10, "the task outlived its supervisor"
        time.sleep(0.05)


def test_it_leaves_once_its_parent_has_gone(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1)"])
    name = f"ablate-warm-test-{uuid.uuid4().hex}"
    warm = subprocess.Popen(
        [sys.executable, "-m", "ablate_runners.warm", "--socket", name, "--parent", str(parent.pid), "--preload"],
        env=dict(os.environ, PYTHONPATH=RUNNERS), stdout=subprocess.DEVNULL, start_new_session=True)
    parent.wait()
    assert warm.wait(timeout=15) == 0
