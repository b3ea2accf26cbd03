"""The folder lock: one writer at a time, the holder named, stale locks taken over."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from xorbench.errors import LockedError
from xorbench.results.folder import ResultsDir
from xorbench.results.lock import LOCK, FolderLock


def test_the_lock_refuses_a_second_holder_and_names_the_pid(tmp_path):
    folder = ResultsDir(tmp_path / "r")
    with folder.locked() as stale:
        assert stale is None
        holder = json.loads((folder.path / LOCK).read_text())
        assert holder["pid"] == os.getpid()
        with pytest.raises(LockedError, match=rf"another sweep is writing this folder "
                                              rf"\(pid {os.getpid()}"):
            FolderLock(folder.path).acquire()
        assert folder.lock_holder()["pid"] == os.getpid()
    assert not (folder.path / LOCK).exists()
    assert folder.lock_holder() is None
    with folder.locked() as stale:  # released: free again
        assert stale is None


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    folder = ResultsDir(tmp_path / "r")
    folder.path.mkdir()
    dead = _dead_pid()
    (folder.path / LOCK).write_text(json.dumps({"pid": dead, "since": "yesterday"}))
    with folder.locked() as stale:
        assert stale["pid"] == dead
        assert json.loads((folder.path / LOCK).read_text())["pid"] == os.getpid()


def test_a_lock_held_by_another_live_process_is_respected(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    code = ("import sys, time; from pathlib import Path; "
            "from xorbench.results.lock import FolderLock; "
            "FolderLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=f"pid {holder.pid}"):
            FolderLock(folder).acquire()
        assert ResultsDir(folder).lock_holder()["pid"] == holder.pid
    finally:
        holder.kill()
        holder.wait()
    # killed -9 style: the kernel dropped its flock, the file with its pid stays
    assert json.loads((folder / LOCK).read_text())["pid"] == holder.pid
    with ResultsDir(folder).locked() as stale:
        assert stale["pid"] == holder.pid
