"""Stage environments: built once per requirements, under a lock, and reused."""

import os
import subprocess
import sys

from conftest import RUNNERS


def ensure(requirements, cache, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "ablate_runners.environment", "--requirements", str(requirements), *map(str, extra)],
        cwd=RUNNERS, env={**os.environ, "PYTHONPATH": str(RUNNERS), "ABLATE_ENVIRONMENTS": str(cache)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(process):
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return stdout


def test_two_runs_at_once_build_one_environment_and_later_runs_reuse_it(tmp_path):
    requirements = tmp_path / "tools.txt"
    requirements.write_text("# nothing beyond pip itself\n")
    cache = tmp_path / "cache"
    first, second = ensure(requirements, cache), ensure(requirements, cache)
    outputs = finish(first) + finish(second)
    assert outputs.count("creating environment tools") == 1
    [directory] = [name for name in os.listdir(cache) if not name.endswith(".lock")]
    assert directory.startswith("tools-")
    assert os.path.exists(cache / directory / ".ablate-environment-complete")

    output = tmp_path / "task"
    again = finish(ensure(requirements, cache, "--output", output, "--print-python"))
    assert "is ready" in again and "creating" not in again
    assert again.strip().splitlines()[-1] == str(cache / directory / "bin" / "python")
    assert os.path.realpath(output / "venv") == str(cache / directory)


def test_the_key_follows_the_requirements_and_the_files_they_include(tmp_path):
    from ablate_runners.environment import environment_key

    base = tmp_path / "base.txt"
    base.write_text("requests==2.34.2\n")
    top = tmp_path / "top.txt"
    top.write_text("-r base.txt\n")
    before = environment_key(str(top))
    base.write_text("requests==2.34.1\n")
    assert environment_key(str(top)) != before


def test_a_missing_requirements_file_is_a_one_line_error(tmp_path):
    process = ensure(tmp_path / "absent.txt", tmp_path / "cache")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert stderr.strip() == f"error: requirements file not found: {tmp_path / 'absent.txt'}"
