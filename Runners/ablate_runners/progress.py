"""Durable per-item progress of the long sampling and evaluation runners (generate, bon, judge,
diversity), so that an attempt killed half-way is continued by the next one instead of redone.

ablate names a directory that outlives the attempt (ABLATE_CHECKPOINT_DIR). In it, items.jsonl
holds one line per finished unit of work ({"keys": [...], "result": ...}; a unit is a batch of
prompts or one prompt), appended, flushed and fsynced as soon as the unit ends, so that a SIGKILL
loses at most the unit in progress; progress.json ({"done", "total", "unit"}: prompts done of all)
is replaced atomically after each unit, for `ablate status` (a kill between the two writes leaves it
one unit behind the log, which is what the next attempt reads). A unit's keys name the inputs it read
(item_key), so a log of other inputs is recognised, reported and discarded. Without the variable
(a runner run by hand) nothing is kept and every unit is computed.
"""

import hashlib
import json
import os
import sys

from .common import write_atomically

DIRECTORY_VARIABLE = "ABLATE_CHECKPOINT_DIR"
LOG = "items.jsonl"
PROGRESS = "progress.json"
UNIT = "prompts"
# seed * SEED_STRIDE + position differs for every (seed, position) with positions below a million.
SEED_STRIDE = 1_000_003


def checkpoint_directory():
    """The directory ablate gives for what outlives an attempt (ABLATE_CHECKPOINT_DIR), or None."""
    return os.environ.get(DIRECTORY_VARIABLE) or None


def item_key(identifier, *inputs):
    """The key of one item: its identifier and a digest of the inputs its result depends on."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]
    return f"{identifier}:{digest}"


def position_seed(seed, position):
    """The seed of the unit that starts at item `position`: seed * SEED_STRIDE + position. Seeding
    each unit from its position (not once for the whole run) makes its random draws independent of
    the units before it, so an attempt that skips finished units draws what an uninterrupted one would."""
    return seed * SEED_STRIDE + position


class ItemLog:
    """The results of a task's units of work, read back from an earlier attempt and kept as they end."""

    def __init__(self, units, directory=None, stream=None):
        """units: the keys of every unit's items, in order. directory: where the log lives (None:
        keep nothing). Reads back the finished units whose keys match, and says on `stream`
        (standard error by default) where it continues."""
        stream = stream or sys.stderr
        self.units = units
        self.directory = directory
        self.total = self._done_before(len(units))
        self.results = []
        if directory is not None:
            os.makedirs(directory, exist_ok=True)
            self.results = self._read_back(stream)
            self._announce(stream)
            self._write_progress()

    @property
    def done(self):
        """The items of the finished units."""
        return self._done_before(len(self.results))

    def _done_before(self, index):
        """The items of the units before unit `index`."""
        return sum(map(len, self.units[:index]))

    def finish(self, work):
        """Every unit's result, in order: those read back, then work(index) for each remaining unit,
        kept as soon as it returns. A result must be JSON; it is returned as read back from its
        JSON, so that a continued run and an uninterrupted one see the same values."""
        for index in range(len(self.results), len(self.units)):
            self._record(work(index))
        return self.results

    def _record(self, result):
        line = json.dumps({"keys": self.units[len(self.results)], "result": result})
        self.results.append(json.loads(line)["result"])
        if self.directory is None:
            return
        with open(os.path.join(self.directory, LOG), "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self._write_progress()

    def _write_progress(self):
        text = json.dumps({"done": self.done, "total": self.total, "unit": UNIT}) + "\n"
        write_atomically(os.path.join(self.directory, PROGRESS), text)

    def _read_back(self, stream):
        """The results of the log's complete lines. A last line without its newline (a write cut
        short) is dropped; a log whose keys are not those of the units, in order, is emptied."""
        path = os.path.join(self.directory, LOG)
        if not os.path.exists(path):
            return []
        with open(path, "rb") as handle:
            content = handle.read()
        complete = content[: content.rfind(b"\n") + 1]
        results = []
        for number, line in enumerate(complete.split(b"\n")[:-1], start=1):
            entry = self._entry(line, len(results))
            if entry is None:
                prompt = self._done_before(len(results)) + 1
                print(f"warning: {path}:{number} is not the result of this task's prompt {prompt}: the log is another task's; starting over",
                      file=stream)
                complete, results = b"", []
                break
            results.append(entry["result"])
        if len(complete) < len(content):
            with open(path, "r+b") as handle:
                handle.truncate(len(complete))
                os.fsync(handle.fileno())
        return results

    def _entry(self, line, index):
        """The logged entry of unit `index`, or None when the line is not one (other keys, not JSON)."""
        try:
            entry = json.loads(line)
        except ValueError:
            return None
        if index < len(self.units) and isinstance(entry, dict) and entry.get("keys") == self.units[index] and "result" in entry:
            return entry
        return None

    def _announce(self, stream):
        if not self.results:
            return
        if self.done < self.total:
            print(f"continuing at prompt {self.done + 1} of {self.total}: {self.done} done by an earlier attempt", file=stream)
        else:
            print(f"all {self.total} prompts done by an earlier attempt", file=stream)
