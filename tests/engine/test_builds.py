"""Builds (xorbench.engine.builds): compiled once, named by their source and the kernel's,
found again by later processes, never in the way when they cannot be made."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from xorbench.bench import standard_config
from xorbench.config import make_config
from xorbench.engine import Member, Setup, build_source, builds, kernel, train_batch

pytestmark = pytest.mark.slow  # real processes or compiled builds


def test_a_build_is_named_by_its_source_and_the_kernels(monkeypatch):
    spec = build_source.spec_for(Setup.of(standard_config(2)))
    name, text = builds._module(spec)
    assert "def train(" in text and name.startswith("xorbench_build_")
    assert builds._module(build_source.spec_for(Setup.of(standard_config(3))))[0] != name
    builds._module.cache_clear()
    monkeypatch.setattr(kernel, "SOURCE_DIGEST", "an edited kernel")
    try:
        assert builds._module(spec)[0] != name  # an edited kernel never loads an old build
    finally:
        builds._module.cache_clear()


SMALL = make_config(hidden=(1,), activation="linear", output="linear", loss="sse")


def test_a_build_is_ready_once_compiled_and_in_later_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("XORBENCH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(builds, "_LOADED", {})
    setup = Setup.of(SMALL)
    spec = build_source.spec_for(setup)
    assert builds.ready(spec, np.float64) is None
    assert list(tmp_path.iterdir()) == []  # asking writes nothing
    said = []
    assert builds.prepare(setup, announce=said.append)
    assert len(said) == 1 and "2-1-1 linear/linear, sse" in said[0]
    assert builds.ready(spec, np.float64) is not None
    assert builds.ready(spec, np.float32) is None  # compiled for float64 only
    assert builds.prepare(setup, announce=said.append) and len(said) == 1
    code = ("import json; import numpy as np; from xorbench.engine import builds, build_source; "
            "from xorbench.engine import Setup; from tests.engine.test_builds import SMALL; "
            "s = Setup.of(SMALL); said = []; builds.prepare(s, announce=said.append); "
            "ready = builds.ready(build_source.spec_for(s), np.float64) is not None; "
            "print(json.dumps([ready, said]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, []]  # found in numba's cache: nothing to say


def test_no_build_where_nothing_can_be_written(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv("XORBENCH_CACHE_DIR", str(blocker / "builds"))
    monkeypatch.setattr(builds, "_LOADED", {})
    setup = Setup.of(SMALL)
    said = []
    assert builds.prepare(setup, announce=said.append) is False
    assert said[-1] == f"{blocker / 'builds'} cannot be written; the kernel trains it"
    assert builds.ready(build_source.spec_for(setup), np.float64) is None
    result = train_batch(setup, [Member.of(SMALL, 0)], [5])  # the kernel trains it
    assert result.epoch_solved.shape == (1, 1)


def test_a_failed_build_leaves_the_setup_to_the_kernel(monkeypatch):
    def broken(spec, dtype):
        raise RuntimeError("LLVM said no")

    monkeypatch.setattr(builds, "ready", lambda spec, dtype: None)
    monkeypatch.setattr(builds, "build", broken)
    said = []
    assert builds.prepare(Setup.of(SMALL), announce=said.append) is False
    assert len(said) == 2 and said[1] == "the build failed (RuntimeError); the kernel trains it"
