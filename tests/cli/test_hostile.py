"""Hostile input and faults: every defect of the hostile-input issue, one test each.

The promise under test: whatever the grid file, the command line, the results
folder or the environment, xorbench works or exits 1 or 2 with one line naming the
file, key or value; never a traceback, never more memory than the work needs,
never a file written outside --out, never a finished run lost. Tests go through the
real command line where the defect was there; the memory cases run the installed
console script under a data-size limit, so they fail (instead of eating the
machine) if anything expands what it should only count.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers.command import XORBENCH, xorbench_env
from tests.helpers.hostile import (
    TINY,
    copy_of,
    one_error_line,
    sweep_tiny,
    table_bytes,
    write_tiny,
)
from xorbench import engine, files
from xorbench.cli import app
from xorbench.config import make_config
from xorbench.grid import default_name, loads_grid
from xorbench.sweep.cost import estimated_grid_seconds, run_guard

# Enough for Python, NumPy, numba and pandas; far from what expanding a huge grid takes.
MEMORY_LIMIT = 1_500 * 2**20


def invoke(*args, **kwargs):
    result = CliRunner().invoke(app, [str(a) for a in args], **kwargs)
    assert "Traceback" not in result.output, result.output
    return result


def limited(args: list, cwd: Path, limit: int = MEMORY_LIMIT,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """The console script under a data-size limit (RLIMIT_DATA, not RLIMIT_AS, which
    LLVM's and OpenBLAS's address-space reservations would break)."""
    def limit_memory():
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    done = subprocess.run([*XORBENCH, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300, preexec_fn=limit_memory, env=xorbench_env(env))
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_tiny(tmp_path)


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    return sweep_tiny(root)


# 1. symbolic links are never written through ------------------------------------------


@pytest.mark.parametrize("where", [".lock", "manifest.json", "runs.csv"])
def test_a_link_inside_the_folder_is_never_written_through(tmp_path, tiny, swept, where):
    notes = tmp_path / "notes.txt"
    notes.write_text("precious")
    out = tmp_path / "o"
    shutil.copytree(swept, out)
    (out / where).unlink(missing_ok=True)
    (out / where).symlink_to(notes)
    result = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet", "--no-plots")
    assert notes.read_text() == "precious"
    if where != "runs.csv":  # the lock is opened in place, the manifest read: refused
        assert f"o/{where}: is a symbolic link" in one_error_line(result.output)
        assert result.exit_code == 1
    else:  # tables are written by rename, which replaces the link itself
        assert result.exit_code == 0, result.output
        assert not (out / where).is_symlink()


@pytest.mark.parametrize("where", ["shards", "plots"])
def test_a_linked_folder_inside_the_folder_is_refused(tmp_path, tiny, where):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "o"
    out.mkdir()
    (out / where).symlink_to(elsewhere)
    result = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet")
    assert result.exit_code == 1
    assert f"o/{where}: is a symbolic link" in one_error_line(result.output)
    assert list(elsewhere.iterdir()) == []


def test_a_linked_out_folder_is_refused(tmp_path, tiny):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    result = invoke("sweep", tiny, "--out", tmp_path / "link", "--quiet", "--no-plots")
    assert result.exit_code == 1 and "link: is a symbolic link" in one_error_line(result.output)
    assert list((tmp_path / "real").iterdir()) == []


def test_plots_replace_a_linked_image_instead_of_writing_through_it(tmp_path, swept):
    out = copy_of(swept, tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("precious")
    (out / "plots").mkdir()
    (out / "plots" / "ecdf.png").symlink_to(notes)
    result = invoke("plot", out, "--jobs", 1)
    assert result.exit_code == 0, result.output
    assert notes.read_text() == "precious"
    assert not (out / "plots" / "ecdf.png").is_symlink()


# 2. the default output folder stays inside results/ -----------------------------------


@pytest.mark.parametrize(("stem", "name"), [("..", "grid-"), (".", "grid-"),
                                            ("my grid", "my_grid-"), (".hidden", "hidden-"),
                                            ("quick", "quick")])
def test_a_file_stem_becomes_a_safe_name(stem, name):
    """A stem that is a name is the name; any other is cleaned and followed by a short
    hash of itself (stems differing only in what was replaced never share a folder)."""
    made = default_name(stem)
    if name.endswith("-"):
        assert made.startswith(name) and len(made) == len(name) + 6
    else:
        assert made == name


@pytest.mark.parametrize("file_name", ["...toml", "..toml"])
def test_a_dotted_grid_file_writes_under_results(tmp_path, monkeypatch, file_name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / file_name).write_text(TINY)
    (tmp_path / "unrelated.txt").write_text("mine")
    for fresh in ([], ["--fresh"]):
        result = invoke("sweep", file_name, "--jobs", 1, "--quiet", "--no-plots", *fresh)
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [file_name, "results", "unrelated.txt"]
    assert (tmp_path / "results" / default_name(file_name[:-5]) / "runs.csv").is_file()


# 3. memory: refused up front, counted without expanding --------------------------------


@pytest.mark.slow
def test_networks_too_large_for_memory_are_refused_before_anything_is_written(tmp_path):
    grid = tmp_path / "huge.toml"
    grid.write_text("[defaults]\nseeds = 2\n[grid]\nhidden = [4096, 4096, 4096]\nepochs = 2\n")
    done = limited(["sweep", grid, "--out", tmp_path / "out", "--quiet"], tmp_path)
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert "huge.toml: hidden = [4096, 4096, 4096]" in line and "GB" in line and "free" in line
    assert not (tmp_path / "out").exists()
    done = limited(["train", "--hidden", "4096-4096-4096"], tmp_path)
    assert done.returncode == 1 and "GB" in one_error_line(done.stderr)


def test_workers_are_capped_at_the_batches_there_are(tmp_path, tiny):
    result = invoke("sweep", tiny, "--out", tmp_path / "out", "--jobs", 1000, "--quiet",
                    "--no-plots")
    assert result.exit_code == 0, result.output
    assert "note: --jobs 1000: 1 worker (1 batch to train)" in result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["events"][-2]["jobs"] == 1


def test_batches_of_large_networks_are_sized_to_memory():
    from xorbench.sweep.plan import PROCESS_BYTES, networks_that_fit

    setup = engine.Setup.of(make_config(hidden=(256, 256)))
    memory = 2 * 2**30
    fit = networks_that_fit(setup, 1, memory - PROCESS_BYTES)
    assert 0 < fit < 256  # fewer than the planner's usual minimum batch
    assert engine.worker_bytes(setup, fit, 1) <= memory - PROCESS_BYTES
    assert engine.worker_bytes(setup, fit + 1, 1) > memory - PROCESS_BYTES


BIG_SEEDS = "[defaults]\nseeds = 1000000\n[grid]\nlr = { log = [0.01, 10], num = 100 }\n"


@pytest.mark.slow
def test_grid_counts_a_huge_grid_without_expanding_it(tmp_path):
    grid = tmp_path / "big.toml"
    grid.write_text(BIG_SEEDS)
    done = limited(["grid", grid], tmp_path, limit=600 * 2**20)
    assert done.returncode == 0, done.stderr
    assert "100 configurations × 1,000,000 seeds at 1,000 epochs → 100,000,000 runs" in done.stdout
    assert "a sweep of it needs --yes" in done.stdout


@pytest.mark.slow
def test_summary_of_a_partial_sweep_of_a_huge_grid_reads_only_what_is_done(tmp_path, swept):
    out = copy_of(swept, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest.update(status="interrupted", n_runs=200_000_000)
    (out / "manifest.json").write_text(json.dumps(manifest))
    # the tiny grid's learning rates, each with a million seeds and both budgets
    (out / "grid.toml").write_text("[defaults]\nseeds = 1000000\n[grid]\nlr = [0.5, 1.0]\n"
                                   "epochs = [10, 20]\n")
    done = limited(["summary", out], tmp_path, limit=600 * 2**20)
    assert done.returncode == 0, done.stderr
    assert "partial sweep: 16 of 200,000,000 runs done" in done.stdout


@pytest.mark.parametrize(("path", "message"), [
    ("/dev/zero", "is not a regular file"),
    ("big", "is too large for a grid file"),
])
@pytest.mark.slow
def test_a_grid_that_is_not_a_small_file_is_refused_unread(tmp_path, path, message):
    if path == "big":
        path = tmp_path / "big.toml"
        path.write_text("# padding\n" * 200_000)
    done = limited(["grid", path], tmp_path, limit=600 * 2**20)
    assert done.returncode == 1 and message in one_error_line(done.stderr)


def test_combination_rules_check_their_own_axes_only(monkeypatch):
    """2,000 inits × 10,000 learning rates: the rules see a handful of combinations."""
    import xorbench.grid.values as grid_values
    from xorbench.config import COMBINATION_RULES, CombinationRule

    calls = []
    counted = tuple(CombinationRule(rule.axes, lambda *v, c=rule.check: calls.append(v) or c(*v))
                    for rule in COMBINATION_RULES)
    monkeypatch.setattr(grid_values, "COMBINATION_RULES", counted)
    inits = ", ".join(f"'uniform(0,{k})'" for k in range(1, 2001))
    grid = loads_grid(f"[grid]\ninit = [{inits}]\nlr = {{ log = [0.001, 10], num = 10000 }}\n")
    assert grid.n_runs == 2000 * 10000 * 100
    assert len(calls) == len(COMBINATION_RULES)  # one combination of each rule's axes
    assert run_guard(grid).startswith("2,000,000,000 runs is over the guard")


# 4. epoch budgets: bounded, and memory independent of them -----------------------------


@pytest.mark.parametrize("epochs", ["1000000000000", "99999999999999999999"])
def test_a_huge_epoch_budget_is_a_grid_error(tmp_path, epochs):
    grid = tmp_path / "long.toml"
    grid.write_text(f"[grid]\nepochs = {epochs}\n")
    result = invoke("sweep", grid, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert f"[grid] epochs = {epochs}: must be at most 1,000,000,000" in one_error_line(
        result.output)
    result = invoke("train", "--epochs", epochs)
    assert result.exit_code in (1, 2) and "Traceback" not in result.output


def test_the_losses_kept_do_not_grow_with_the_budget():
    assert len(engine.kept_epochs([10**9])) < 40
    assert list(engine.kept_epochs([10, 1000])) == [1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300,
                                                   500, 1000]


def test_the_run_guard_counts_work_not_only_runs(tmp_path):
    grid = loads_grid("[defaults]\nseeds = 1\n[grid]\nhidden = [256, 256]\nepochs = 1000000000\n")
    assert grid.n_runs == 1
    assert estimated_grid_seconds(grid)[1] > 24 * 3600
    assert "of one core, over the guard of" in run_guard(grid)
    path = tmp_path / "long.toml"
    path.write_text(grid.source)
    result = invoke("sweep", path, "--out", tmp_path / "out")
    assert result.exit_code == 1 and "add --yes" in one_error_line(result.output)
    assert not (tmp_path / "out").exists()


# 5. seeds: bounded ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", [18446744073709551616, 9223372036854775807, 2**32])
def test_a_seed_beyond_the_range_is_a_grid_error(tmp_path, seed):
    grid = tmp_path / "seeds.toml"
    grid.write_text(f"[defaults]\nseeds = [0, {seed}]\n")
    for command in (["grid", grid], ["sweep", grid, "--out", tmp_path / "out"]):
        result = invoke(*command)
        assert result.exit_code == 1
        assert f"seeds = {seed}: seeds must be at most" in one_error_line(result.output)
    result = invoke("train", "--seed", seed)
    assert result.exit_code == 1 and f"--seed {seed}: " in one_error_line(result.output)


def test_the_largest_seed_trains(tmp_path):
    result = invoke("train", "--seed", 2**32 - 1, "--epochs", 5, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["seed"] == 2**32 - 1


# 6. a damaged runs.csv --------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "empty", "maybe", "garbage", "short"])
def test_a_damaged_runs_table_is_one_line_and_a_sweep_rebuilds_it(tmp_path, tiny, swept, damage):
    out = copy_of(swept, tmp_path)
    runs = out / "runs.csv"
    original = runs.read_bytes()
    runs.write_bytes({
        "truncated": original[: len(original) // 2],
        "empty": b"",
        "maybe": original.replace(b",False,", b",maybe,"),
        "garbage": bytes(range(256)) * 20,
        "short": b"\n".join(original.split(b"\n")[:5]) + b"\n",  # whole lines missing
    }[damage])
    for command in ("summary", "plot", "report"):
        result = invoke(command, out)
        assert result.exit_code == 1, result.output
        line = one_error_line(result.output)
        assert line.startswith(f"error: {runs}: ") and "rerun the sweep" in line
    result = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet", "--no-plots")
    assert result.exit_code == 0, result.output
    assert table_bytes(out) == table_bytes(swept)


# 7. a hand-edited manifest -----------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "command"), [
    ("events", "oops", "sweep"), ("n_runs", "abc", "summary"), ("n_runs", "abc", "report"),
    ("status", 3, "summary"), ("results_format", True, "summary"),
])
def test_a_manifest_field_of_the_wrong_type_is_one_line(tmp_path, tiny, swept, field, value,
                                                        command):
    out = copy_of(swept, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest[field] = value
    (out / "manifest.json").write_text(json.dumps(manifest))
    args = [tiny, "--out", out, "--no-plots"] if command == "sweep" else [out]
    result = invoke(command, *args)
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "manifest.json: damaged manifest" in line and field in line


# 8. --out . --fresh ---------------------------------------------------------------------------


def test_fresh_on_the_current_folder(tmp_path, tiny, swept, monkeypatch):
    out = copy_of(swept, tmp_path)
    monkeypatch.chdir(out)
    result = invoke("sweep", tiny, "--out", ".", "--fresh", "--jobs", 1, "--quiet", "--no-plots")
    assert result.exit_code == 0, result.output
    (moved,) = [p for p in tmp_path.iterdir() if p.name.startswith("out.old-")]
    assert table_bytes(moved) == table_bytes(swept) == table_bytes(out)


# 9, 10. numba switched off, a damaged build ----------------------------------------------------


@pytest.mark.slow
def test_numba_switched_off_is_one_line(tmp_path, tiny):
    for args in (["train"], ["sweep", tiny, "--out", tmp_path / "out", "--quiet"]):
        done = limited(args, tmp_path, env={"NUMBA_DISABLE_JIT": "1"})
        assert done.returncode == 1
        assert "NUMBA_DISABLE_JIT is set" in one_error_line(done.stderr)
    assert not (tmp_path / "out").exists()


def test_a_build_cut_to_python_without_train_falls_back_to_the_kernel(tmp_path, monkeypatch):
    from xorbench.engine import build_source, builds

    monkeypatch.setenv("XORBENCH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(builds, "_LOADED", {})
    config = make_config(hidden=(3,), activation="tanh")
    setup = engine.Setup.of(config)
    spec = build_source.spec_for(setup)
    name, _ = builds._module(spec)
    (tmp_path / f"{name}.py").write_text('"""cut short"""\nimport math\n')
    assert builds.ready(spec, "float64") is None
    assert builds.prepare(setup) is False
    members = [engine.Member.of(config, seed) for seed in range(3)]
    with builds.kernel_only():
        expected = engine.train_batch(setup, members, [50])
    result = engine.train_batch(setup, members, [50])
    assert (result.params == expected.params).all()


# 11. deeply nested TOML ------------------------------------------------------------------------


def test_deeply_nested_toml_is_a_grid_error(tmp_path):
    grid = tmp_path / "deep.toml"
    grid.write_text("[grid]\nhidden = " + "[" * 2000 + "]" * 2000 + "\n")
    result = invoke("grid", grid)
    assert result.exit_code == 1 and "nested too deeply" in one_error_line(result.output)


# 12. a full disk while the tables are written ---------------------------------------------------


def test_a_full_disk_names_the_file_marks_the_manifest_and_leaves_no_temporary_files(
        tmp_path, tiny, swept, monkeypatch):
    out = tmp_path / "out"
    real_write = files.write_all

    def full_for_tables(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp") and b"config_id" in data[:200]:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(fd, data)

    monkeypatch.setattr(files, "write_all", full_for_tables)
    result = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet", "--no-plots")
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert line == f"error: {out / 'runs.csv'}: No space left on device"
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"
    assert not [p for p in out.rglob("*.tmp")]
    monkeypatch.setattr(files, "write_all", real_write)
    result = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet", "--no-plots")
    assert result.exit_code == 0 and "0 runs trained, 16 reused" in result.output
    assert table_bytes(out) == table_bytes(swept)


# 13. bench's sizes ------------------------------------------------------------------------------


@pytest.mark.parametrize("networks", ["0", "-5"])
def test_bench_refuses_non_positive_sizes(networks):
    result = invoke("bench", "--networks", networks, "--quick")
    assert result.exit_code == 2 and "--networks" in result.output


# 14. diverged runs learn nothing -----------------------------------------------------------------


def test_a_diverged_run_has_no_learned_function():
    from xorbench import train

    config = make_config(output="linear", activation="tanh", lr=1e6, dtype="float32")
    runs = train(config, seeds=20, epochs=[5, 50])
    diverged = runs[runs["failure"] == "diverged"]
    assert len(diverged) > 0
    assert (diverged["learned"] == "").all()


# 15. --backend foo -------------------------------------------------------------------------------


def test_an_unknown_backend_is_a_usage_error_and_nothing_runs(tmp_path, tiny):
    result = invoke("sweep", tiny, "--out", tmp_path / "out", "--backend", "foo")
    assert result.exit_code == 2
    assert not result.output.startswith("\n") and "'foo' is not one of" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_fuzz_helpers_limit_memory():
    """The data-size limit these tests rely on is real: a child that asks for more
    than it is allowed fails."""
    code = "import numpy as np; np.ones(400 * 2**20 // 8)"

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_DATA, (200 * 2**20, 200 * 2**20))

    done = subprocess.run([sys.executable, "-c", code], preexec_fn=limit_memory,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "MemoryError" in done.stderr
