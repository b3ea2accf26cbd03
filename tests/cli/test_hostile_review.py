"""Hostile input and faults, second round: the defects a review of issue 15's fixes found.

Same promise as tests/cli/test_hostile.py: works, or exits 1 (2 for usage) with one
line naming the file, key or value; no traceback; memory refused up front; nothing
written outside --out; no finished run lost. One test (or a few) per defect, through
the real command line where the defect was there.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import subprocess
import sys
import threading
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
from xorbench import engine, parallel
from xorbench.cli import app
from xorbench.config import make_config
from xorbench.errors import ResultsError, XorbenchError
from xorbench.grid import default_name, loads_grid
from xorbench.results import ResultsDir
from xorbench.results.lock import LOCK, FolderLock


def invoke(*args, env: dict | None = None):
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_tiny(tmp_path)


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("review")
    return sweep_tiny(root)


# 2. storing a batch's parameters is in the memory model ------------------------------------


def test_storing_a_batch_counts_a_column_per_parameter():
    from xorbench.engine.layout import n_params
    from xorbench.engine.memory import PARAMS_COLUMN_BYTES
    from xorbench.sweep.plan import fit_workers

    setup = engine.Setup.of(make_config(hidden=(1024, 1024)))
    d = n_params(setup.widths)
    stored = engine.worker_bytes(setup, 0)
    trained = engine.worker_bytes(setup, 0, stored=False)
    assert stored - trained == PARAMS_COLUMN_BYTES * d
    # ten gigabytes to write one shard of 2-1024-1024-1 networks: refused in 4 GB
    with pytest.raises(XorbenchError, match=r"hidden = \[1024, 1024\]: .* GB in one worker"):
        fit_workers([(setup, 1)], 2, 4 * 2**30)


@pytest.mark.slow
def test_the_params_shard_costs_no_more_than_the_model_says(tmp_path):
    """A params shard of 20,000 parameter columns written for real, in a fresh process:
    its peak memory growth stays within what the model counts for storing it."""
    code = f"""
import resource, numpy as np, pandas as pd
from xorbench.results import ResultsDir
from xorbench.engine.memory import PARAMS_COLUMN_BYTES
d, rows = 20000, 4
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
keys = {{"config_id": ["abc"] * rows, "seed": np.arange(rows), "epochs": np.ones(rows, np.int64)}}
theta = pd.DataFrame(np.random.rand(rows, d), columns=[f"p{{i}}" for i in range(d)])
params = pd.concat([pd.DataFrame(keys), theta], axis=1)
runs = pd.DataFrame({{**keys, "solved": [True] * rows, "epoch_solved": [1] * rows,
                     "failure": ["none"] * rows}})
curves = pd.DataFrame({{"config_id": ["abc"], "seed": [0], "epoch": [1], "loss": [0.1]}})
ResultsDir({str(tmp_path / "out")!r}).write_shard(runs, curves, params)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
print(grown, PARAMS_COLUMN_BYTES * d)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=xorbench_env())
    assert done.returncode == 0, done.stderr
    grown, modelled = map(int, done.stdout.split())
    assert grown <= modelled, (grown, modelled)


# 3. the memory available: the tightest of every limit ---------------------------------------


def _fake_system(root: Path, cgroup: str, files: dict[str, str]) -> tuple[str, str]:
    proc, sys_fs = root / "proc", root / "cgroup"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal: 67108864 kB\nMemAvailable: 8388608 kB\n")
    (proc / "self" / "cgroup").write_text(cgroup)
    (proc / "self" / "status").write_text("VmData: 1024 kB\nVmSize: 4096 kB\n")
    for name, text in files.items():
        (sys_fs / name).parent.mkdir(parents=True, exist_ok=True)
        (sys_fs / name).write_text(text)
    return str(proc), str(sys_fs)


GB = 2**30
NO_LIMIT_V1 = "9223372036854771712\n"


@pytest.mark.parametrize(("cgroup", "files", "expected"), [
    # nothing but MemAvailable (8 GB)
    ("0::/\n", {"cgroup.controllers": "memory\n", "memory.max": "max\n"}, 8 * GB),
    # cgroup v2, the process's own cgroup below the root: 3 GB limit, 1 GB used
    ("0::/user/session\n", {"cgroup.controllers": "memory\n", "memory.max": "max\n",
                            "user/session/memory.max": f"{3 * GB}\n",
                            "user/session/memory.current": f"{GB}\n",
                            "user/memory.max": "max\n"}, 2 * GB),
    # a parent cgroup tighter than the process's own
    ("0::/user/session\n", {"cgroup.controllers": "memory\n",
                            "user/session/memory.max": f"{6 * GB}\n",
                            "user/session/memory.current": f"{GB}\n",
                            "user/memory.max": f"{2 * GB}\n",
                            "user/memory.current": f"{GB}\n"}, GB),
    # cgroup v1: memory.limit_in_bytes, its "no limit" ignored
    ("5:memory:/docker/abc\n1:cpu:/\n0::/\n", {
        "memory/memory.limit_in_bytes": NO_LIMIT_V1, "memory/memory.usage_in_bytes": "1\n",
        "memory/docker/abc/memory.limit_in_bytes": f"{4 * GB}\n",
        "memory/docker/abc/memory.usage_in_bytes": f"{GB}\n",
        "memory/docker/memory.limit_in_bytes": NO_LIMIT_V1,
        "memory/docker/memory.usage_in_bytes": "1\n"}, 3 * GB),
    # cgroup v1 as a container sees it: its own cgroup at the mount's root
    ("4:cpuacct,memory:/docker/abc\n", {"memory/memory.limit_in_bytes": f"{5 * GB}\n",
                                        "memory/memory.usage_in_bytes": f"{GB}\n"}, 4 * GB),
    # damaged files are ignored, not fatal
    ("garbage\n0::/x\n", {"cgroup.controllers": "", "x/memory.max": "lots\n",
                          "x/memory.current": "\n"}, 8 * GB),
])
def test_available_memory_is_the_tightest_limit(tmp_path, monkeypatch, cgroup, files, expected):
    monkeypatch.setattr(parallel, "_rlimit_free", lambda proc: [])
    proc, sys_fs = _fake_system(tmp_path, cgroup, files)
    assert parallel.available_memory(proc, sys_fs) == expected


@pytest.mark.slow
def test_rlimits_count_against_what_they_limit():
    """RLIMIT_DATA less the data segment (VmData), RLIMIT_AS less the address space
    (VmSize), in a child that sets them."""
    code = """
import resource
from xorbench import parallel
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
kb = lambda name: int(status[name].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_DATA, (3 * 2**30, resource.RLIM_INFINITY))
data = parallel._rlimit_free("/proc")
resource.setrlimit(resource.RLIMIT_AS, (kb("VmSize") + 2**30, resource.RLIM_INFINITY))
both = parallel._rlimit_free("/proc")
print(data[0], both[1], kb("VmData"), kb("VmSize"), parallel.available_memory())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=xorbench_env())
    assert done.returncode == 0, done.stderr
    data_free, as_free, vm_data, _, available = map(int, done.stdout.split())
    assert abs(data_free - (3 * 2**30 - vm_data)) < 16 * 2**20
    assert abs(as_free - 2**30) < 16 * 2**20
    assert available <= as_free


# 4. combinations are counted before they are listed -----------------------------------------


def _many_setups() -> str:
    widths = ", ".join(f"[{w}]" for w in range(1, 401))
    batches = ", ".join(f"'sampled({n})'" for n in range(1, 301))
    return f"[defaults]\nseeds = 1\n[grid]\nhidden = [{widths}]\nbatch = [{batches}]\nepochs = 1\n"


def test_a_grid_of_too_many_shapes_is_refused_before_listing_them(tmp_path, monkeypatch):
    from xorbench.grid.model import Grid
    from xorbench.sweep.cost import MAX_SETUPS_ESTIMATED, estimated_grid_seconds

    listed = []
    real = Grid.combinations

    def counted(self, axes, limit=None):
        found = real(self, axes, limit)
        listed.append(len(found))
        return found

    monkeypatch.setattr(Grid, "combinations", counted)
    grid = loads_grid(_many_setups())
    assert grid.count_combinations(("hidden", "batch")) == 120_000
    estimated_grid_seconds(grid)
    assert listed and max(listed) <= MAX_SETUPS_ESTIMATED
    listed.clear()
    path = tmp_path / "shapes.toml"
    path.write_text(grid.source)
    result = invoke("sweep", path, "--out", tmp_path / "out", "--yes")
    assert result.exit_code == 1
    assert "120,000 combinations of task, hidden, batch, dtype" in one_error_line(result.output)
    assert max(listed, default=0) <= MAX_SETUPS_ESTIMATED
    assert not (tmp_path / "out").exists()


def test_combinations_with_a_limit_refuse_before_listing():
    grid = loads_grid(_many_setups())
    with pytest.raises(ValueError, match="more than 1,000 combinations"):
        grid.combinations(("hidden", "batch"), limit=1000)
    assert len(grid.combinations(("hidden",), limit=1000)) == 400


# 5. --yes accepts long work, never memory that is not there ----------------------------------


def test_yes_does_not_skip_the_memory_check(tmp_path, monkeypatch):
    import xorbench.sweep.rounds as rounds

    def never(*args, **kwargs):
        raise AssertionError("the grid was expanded")

    monkeypatch.setattr(rounds, "expand", never)  # what lists a sweep's runs
    path = tmp_path / "big.toml"
    path.write_text("[defaults]\nseeds = 1000000\n[grid]\nlr = { log = [0.01, 10], num = 100 }\n")
    result = invoke("sweep", path, "--out", tmp_path / "out", "--yes", "--quiet")
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "big.toml: 100,000,000 runs need about 300 GB to list and tabulate" in line
    assert "free here" in line
    assert not (tmp_path / "out").exists()


# 6. a manifest or lock of damaged JSON -----------------------------------------------------


@pytest.mark.parametrize(("text", "reason"), [
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ('{"a": ' * 5000 + "1" + "}" * 5000, "nested too deeply"),
    ("[1, 2, 3]", "a JSON list, not an object"),
    ('"complete"', "a JSON string, not an object"),
    ("null", "a JSON null, not an object"),
    ("\0" * 4096, "empty or only zero bytes"),
    ("", "empty or only zero bytes"),
], ids=["deep-list", "deep-object", "list", "string", "null", "zeros", "empty"])
@pytest.mark.parametrize("command", ["summary", "sweep"])
def test_a_manifest_of_damaged_json_is_one_line(tmp_path, tiny, swept, text, reason, command):
    out = copy_of(swept, tmp_path)
    (out / "manifest.json").write_text(text)
    args = [tiny, "--out", out, "--no-plots", "--quiet"] if command == "sweep" else [out]
    result = invoke(command, *args)
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert f"{out / 'manifest.json'}: unreadable manifest ({reason}" in line
    assert "--fresh" in line


@pytest.mark.parametrize("text", ["[" * 3000 + "]" * 3000, "[1, 2]", '"me"', "42", "\0" * 64],
                         ids=["deep", "list", "string", "number", "zeros"])
def test_a_lock_of_damaged_json_is_taken_over(tmp_path, tiny, swept, text):
    out = copy_of(swept, tmp_path)
    (out / LOCK).write_text(text)
    assert ResultsDir(out).lock_holder() is None  # nobody holds it
    result = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet", "--no-plots")
    assert result.exit_code == 0, result.output
    assert "0 runs trained, 16 reused" in result.output
    assert table_bytes(out) == table_bytes(swept)


# 7. a lock (or a shard) that is a pipe ----------------------------------------------------------


def _returns_within(call, seconds: float = 20):
    """``call()``'s result or exception, or a failure if it blocks (a daemon thread, so
    a regression fails the test instead of hanging the session)."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as e:  # handed to the test
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{call} blocked for {seconds} s"
    return outcome


def test_a_lock_that_is_a_pipe_is_refused_without_blocking(tmp_path, tiny):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / LOCK)
    for call in (ResultsDir(out).lock_holder, FolderLock(out).acquire):
        error = _returns_within(call).get("error")
        assert isinstance(error, ResultsError), error
        assert f"{out / LOCK}: is not a regular file" in str(error)
    outcome = _returns_within(lambda: invoke("sweep", tiny, "--out", out, "--quiet"))
    result = outcome["value"]
    assert result.exit_code == 1
    assert f"{out / LOCK}: is not a regular file (a pipe" in one_error_line(result.output)
    assert sorted(p.name for p in out.iterdir()) == [LOCK]


def test_a_shard_that_is_a_pipe_is_named_for_what_it_is(tmp_path, tiny, swept):
    out = copy_of(swept, tmp_path)
    (shard,) = ResultsDir(out).shard_ids()
    (out / "shards" / f"params-{shard}.parquet").unlink()
    os.mkfifo(out / "shards" / f"params-{shard}.parquet")
    outcome = _returns_within(lambda: invoke("sweep", tiny, "--out", out, "--jobs", 1,
                                             "--quiet", "--no-plots"), 120)
    result = outcome["value"]
    assert result.exit_code == 0, result.output
    assert f"params-{shard}.parquet is a pipe, not a file" in result.output
    assert "16 runs trained" in result.output
    assert table_bytes(out) == table_bytes(swept)


# 8. a full disk while a shard is written names the shard ----------------------------------------


def test_a_full_disk_while_storing_a_shard_names_it(tmp_path, tiny, monkeypatch):
    import pyarrow.parquet as pq

    def full(*args, **kwargs):
        raise OSError("[Errno 28] Error writing bytes to file. Detail: [errno 28] No space "
                      "left on device")

    monkeypatch.setattr(pq, "write_table", full)
    out = tmp_path / "out"
    result = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet", "--no-plots")
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert line.startswith(f"error: {out / 'shards'}/curves-")
    assert line.endswith(".parquet: No space left on device")
    assert not list(out.rglob("*.tmp"))
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"


# 9. an init whose width overflows ---------------------------------------------------------------


def test_a_uniform_init_wider_than_a_float_is_refused(tmp_path):
    path = tmp_path / "wide.toml"
    path.write_text('[grid]\ninit = "uniform(-1e308,1e308)"\n')
    for args in (["grid", path], ["sweep", path, "--out", tmp_path / "out"]):
        result = invoke(*args)
        assert result.exit_code == 1
        line = one_error_line(result.output)
        assert "wide.toml: [grid] init = 'uniform(-1e308,1e308)': high - low" in line
        assert "overflows to inf" in line
    result = invoke("train", "--bias-init", "uniform(-1e308,1e308)")
    assert result.exit_code == 1 and "overflows to inf" in one_error_line(result.output)
    assert not (tmp_path / "out").exists()


# 10. a leaderboard is capped ------------------------------------------------------------------


def test_the_leaderboard_prints_at_most_its_cap(tmp_path):
    from xorbench.cli.display import MAX_TOP

    path = tmp_path / "many.toml"
    path.write_text("[defaults]\nseeds = 1\n[grid]\nlr = { linear = [0.01, 3.0], num = 250 }\n"
                    "epochs = 1\n")
    out = tmp_path / "out"
    result = invoke("sweep", path, "--out", out, "--jobs", 1, "--quiet", "--no-plots",
                    "--top", 10**9, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"note: --top 1000000000: showing the first {MAX_TOP} rows" in result.output
    # one row per learning rate shown: each row shows its lr and a rate
    rows = [line for line in result.output.splitlines() if "%" in line and "│" in line]
    assert len(rows) == MAX_TOP
    result = invoke("summary", out, "--top", 5, env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "showing the first" not in result.output


# 11. COLUMNS that is not a width ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-5", "wide", "", "99999999"])
def test_columns_that_is_not_a_width_is_unset(monkeypatch, value):
    import importlib

    app_module = importlib.import_module("xorbench.cli.app")  # the module, not the Typer app

    monkeypatch.setenv("COLUMNS", value)
    app_module._usable_columns()
    assert "COLUMNS" not in os.environ
    monkeypatch.setenv("COLUMNS", "120")
    app_module._usable_columns()
    assert os.environ["COLUMNS"] == "120"


@pytest.mark.slow
@pytest.mark.parametrize("value", ["0", "-3", "x"])
def test_the_console_script_shows_its_output_whatever_columns_says(tmp_path, tiny, value):
    done = subprocess.run([*XORBENCH, "grid", tiny], capture_output=True, text=True, timeout=60,
                          env=xorbench_env({"COLUMNS": value}))
    assert done.returncode == 0, done.stderr
    assert "lr" in done.stdout and "0.5, 1" in done.stdout and "16 runs" in done.stdout


# 12. bench --workers is capped like sweep --jobs -----------------------------------------------


def test_bench_workers_are_capped_at_cores_and_memory(monkeypatch):
    import xorbench.bench as bench

    asked = {}

    def fake_benchmark(**kwargs):
        asked.update(kwargs)
        return iter(())

    monkeypatch.setattr(bench, "run_benchmark", fake_benchmark)
    result = invoke("bench", "--workers", 1000, "--quick", "--no-sweep", "--hidden", 2)
    assert result.exit_code == 0, result.output
    cores = parallel.default_jobs()
    assert 1 <= asked["workers"] <= cores
    assert f"note: --workers 1000: {asked['workers']} (" in result.output
    monkeypatch.setattr(parallel, "available_memory", lambda: 2**30)  # room for ~2 workers
    n, why = bench.workers_that_fit([2], 16384, "float64", 1000)
    assert n <= max(1, 2**30 // (300 * 2**20)) and why is not None


# 13. default names from non-ASCII stems, and the name key's end ----------------------------------


def test_stems_that_differ_only_in_what_is_replaced_get_distinct_names():
    names = {default_name(stem) for stem in ("größe", "grüße", "gr__e", "gróße", "grö\u00dfe ")}
    assert len(names) == 5
    assert default_name("größe") == default_name("größe")  # stable
    assert all(n.isascii() for n in names)


def test_non_ascii_grid_files_sweep_into_their_own_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for stem in ("größe", "grüße"):
        (tmp_path / f"{stem}.toml").write_text(TINY)
        result = invoke("sweep", f"{stem}.toml", "--jobs", 1, "--quiet", "--no-plots")
        assert result.exit_code == 0, result.output
        assert "0 runs trained" not in result.output
    assert len(list((tmp_path / "results").iterdir())) == 2


@pytest.mark.parametrize("name", ["quick\n", "quick\nevil", "\nquick"])
def test_a_name_with_a_newline_is_refused(tmp_path, name):
    path = tmp_path / "g.toml"
    path.write_text(f"name = {json.dumps(name)}\n")
    result = invoke("grid", path)
    assert result.exit_code == 1
    assert "must be a string of letters, digits" in one_error_line(result.output)


# 14. a path that says "UTF-8" ---------------------------------------------------------------------


def test_a_path_naming_utf8_gets_its_own_error(tmp_path):
    folder = tmp_path / "not UTF-8"
    folder.mkdir()
    big = folder / "big.toml"
    big.write_text("# padding\n" * 200_000)
    result = invoke("grid", big)
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "is too large for a grid file" in line and "is not UTF-8 text" not in line
    binary = folder / "binary.toml"
    binary.write_bytes(b"\xff\xfe[grid]\n")
    line = one_error_line(invoke("grid", binary).output)
    assert line == f"error: {binary}: is not UTF-8 text; a grid file is TOML"


# minors -----------------------------------------------------------------------------------------


def test_a_file_where_a_folder_goes_is_one_line(tmp_path, swept):
    out = copy_of(swept, tmp_path)
    (out / "plots").write_text("not a folder")
    result = invoke("plot", out, "--jobs", 1)
    assert result.exit_code == 1
    assert f"{out / 'plots'}: is a file, not a folder" in one_error_line(result.output)
    assert (out / "plots").read_text() == "not a folder"


def test_a_float_epoch_budget_above_the_bound_says_so(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text("[grid]\nepochs = 1e10\n")
    line = one_error_line(invoke("grid", path).output)
    assert line.endswith("[grid] epochs = 10000000000.0: must be an integer number of epochs "
                         "from 1 to 1,000,000,000; 1e+10 is above it")


def test_a_grid_file_that_is_a_link_loop_says_so(tmp_path):
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    line = one_error_line(invoke("grid", tmp_path / "a.toml").output)
    assert "a.toml: is a symbolic link to" in line and "links that loop" in line


def test_fresh_across_file_systems_is_one_line_and_moves_nothing(tmp_path, tiny, swept,
                                                                 monkeypatch):
    out = copy_of(swept, tmp_path)
    before = sorted(p.name for p in out.iterdir())
    real_rename = Path.rename

    def cross_device(self, target):
        if Path(target).parent.name.startswith("out.old-"):
            raise OSError(errno.EXDEV, "Invalid cross-device link", str(self), None,
                          str(target))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", cross_device)
    result = invoke("sweep", tiny, "--out", out, "--fresh", "--jobs", 1, "--quiet", "--no-plots")
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "--fresh cannot move the old results to out.old-" in line
    assert "another file system" in line
    assert sorted(p.name for p in out.iterdir()) == before
    assert table_bytes(out) == table_bytes(swept)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("out.old-")] == []


def test_numba_is_imported_once_not_per_check():
    import inspect

    from xorbench.engine import kernel_args

    assert "import numba" not in inspect.getsource(kernel_args.check_compiler)


@pytest.mark.slow
def test_limits_apply_in_the_child(tmp_path):
    """The RLIMIT_DATA the memory tests set reaches what available_memory reports."""
    def limit():
        resource.setrlimit(resource.RLIMIT_DATA, (2 * 2**30, 2 * 2**30))

    done = subprocess.run([sys.executable, "-c", "from xorbench import parallel; "
                           "print(parallel.available_memory())"], capture_output=True,
                          text=True, timeout=60, preexec_fn=limit, env=xorbench_env())
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 2 * 2**30


# 1. a sweep of one batch stops at Ctrl-C --------------------------------------------------------


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            kids.append(int(stat.parent.name))
    return kids


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _wait_for(condition, what: str, timeout: float = 120) -> None:
    """Poll ``condition`` (a progress signal: a file, a process) until it holds."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_sweep_of_one_long_batch_stops_at_ctrl_c(tmp_path, jobs):
    """One batch of a hundred networks for ten million epochs (minutes of compiled
    training, which never looks at signals): it trains in a worker process, so a
    Ctrl-C stops the sweep at once, as with several batches — with --jobs 1, and with
    --jobs 2 capped to the one batch there is."""
    import signal
    import time

    (tmp_path / "one.toml").write_text("[defaults]\nseeds = 100\n[grid]\nepochs = 10000000\n")
    out = tmp_path / "out"
    sweep = subprocess.Popen(
        [*XORBENCH, "sweep", "one.toml", "--out", "out", "--jobs", jobs, "--quiet",
         "--no-plots", "--no-report"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True, env=xorbench_env())
    try:
        # the progress signal: a worker process busy with the batch (5 s of its CPU time:
        # past its start-up, which the sweep's process waits out ignoring Ctrl-C for a
        # few tens of milliseconds, so that the worker never takes one)
        _wait_for(lambda: sweep.poll() is not None or any(
            _cpu_seconds(pid) >= 5 for pid in _children(sweep.pid)),
            "a worker to be training the batch")
        assert sweep.poll() is None, sweep.communicate()
        workers = _children(sweep.pid)
        start = time.monotonic()
        os.killpg(sweep.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        _, stderr = sweep.communicate(timeout=60)
        waited = time.monotonic() - start
    finally:
        if sweep.poll() is None:
            os.killpg(sweep.pid, signal.SIGKILL)
    assert sweep.returncode == 130, stderr
    assert waited < 30, waited  # not the minutes the batch needs
    assert "Traceback" not in stderr
    assert "interrupted: 0 of 100 runs are saved; resume with: xorbench sweep one.toml" in stderr
    _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() and "Z" not in Path(
        f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:1] for pid in workers),
        "the worker to exit", 30)
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"


def test_short_work_of_one_worker_trains_in_this_process(tiny):
    """No worker process for a batch that takes well under a second."""
    from xorbench.grid import expand, load_grid
    from xorbench.sweep.batches import _worth_a_process
    from xorbench.sweep.plan import plan_batches

    assert not _worth_a_process(plan_batches(expand(load_grid(tiny))))
    long = loads_grid("[defaults]\nseeds = 100\n[grid]\nepochs = 10000000\n")
    assert _worth_a_process(plan_batches(expand(long)))


# 15. a late Ctrl-C -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["tables", "manifest", "leaderboard", "plots"])
def test_a_late_ctrl_c_is_one_line_130_and_loses_nothing(tmp_path, tiny, swept, monkeypatch,
                                                         where):
    import xorbench.cli.display as display
    import xorbench.cli.sweep as cli_sweep
    import xorbench.sweep.run as sweep_run

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    if where == "tables":
        monkeypatch.setattr(sweep_run, "write_tables", interrupt)
    elif where == "manifest":  # the manifest's "complete", after the tables
        real = sweep_run._Sweep.record_completion

        def complete(self):
            write = self.folder.write_manifest

            def once(manifest):  # the Ctrl-C comes once; the stop is then recorded
                self.folder.write_manifest = write
                raise KeyboardInterrupt

            self.folder.write_manifest = once
            real(self)

        monkeypatch.setattr(sweep_run._Sweep, "record_completion", complete)
    elif where == "leaderboard":
        monkeypatch.setattr(cli_sweep, "print_leaderboard", interrupt)
    else:
        monkeypatch.setattr(display, "draw_plots", interrupt)
        monkeypatch.setattr(cli_sweep, "draw_plots", interrupt)
    out = tmp_path / "out"
    plots = [] if where == "plots" else ["--no-plots", "--no-report"]
    result = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet", *plots)
    assert result.exit_code == 130, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("interrupted")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    if where in ("leaderboard", "plots"):
        assert lines[0].startswith(f"interrupted: all 16 runs are saved and the tables written "
                                   f"in {out}/")
        assert ("write the plots and report with: xorbench report" in lines[0]) == (
            where == "plots")
    else:
        assert "runs are saved; resume with: xorbench sweep" in lines[0]
    monkeypatch.undo()
    again = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet", "--no-plots")
    assert again.exit_code == 0 and "0 runs trained, 16 reused" in again.output
    assert table_bytes(out) == table_bytes(swept)


@pytest.mark.slow
def test_a_ctrl_c_while_the_process_exits_is_one_line_130(tmp_path, tiny):
    """Once the command is done, the process still stops its workers and threads (exit
    handlers): a Ctrl-C then is one line and exit 130, never a traceback and exit 0."""
    import signal

    from xorbench.cli.app import EXIT_PAUSE_ENV

    sweep = subprocess.Popen(
        [*XORBENCH, "sweep", tiny.name, "--out", "out", "--jobs", "2", "--quiet", "--no-plots"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env=xorbench_env({EXIT_PAUSE_ENV: "3"}))
    try:
        before = []  # the notes before it; then the progress signal: the command ended
        while (line := sweep.stderr.readline()) not in ("exiting\n", ""):
            before.append(line)
        assert line == "exiting\n", before
        os.killpg(sweep.pid, signal.SIGINT)
        stdout, stderr = sweep.communicate(timeout=60)
    finally:
        if sweep.poll() is None:
            os.killpg(sweep.pid, signal.SIGKILL)
    assert sweep.returncode == 130, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert stderr.strip() == ("interrupted while exiting: the command had finished; nothing "
                              "is lost")
    assert "16 runs trained" in stdout
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "complete"


def test_a_refusal_of_a_huge_value_stays_a_readable_line(tmp_path):
    long = "q" * 5000
    path = tmp_path / "long.toml"
    path.write_text(f'[grid]\nactivation = "{long}"\ninit = "uniform(0,{long})"\n')
    result = invoke("grid", path)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and all(len(line) < 400 for line in lines), lines
    assert lines[0].startswith(f"error: {path}: [grid] activation = 'qqq")
    assert "…" in lines[0] and lines[0].endswith("allowed: sigmoid, tanh, relu, "
                                                 "leaky_relu(alpha=0.01), elu(alpha=1), gelu, "
                                                 "softplus, sin, linear")
    line = one_error_line(invoke("train", "--hidden", long).output)
    assert len(line) < 200 and line.endswith(": must be widths like 2 or 2-2 (0 for none)")


def test_the_estimate_counts_storing_each_batch():
    """200 setups of one tiny network each: training is ~0.015 s a batch, storing its
    shard ~0.27 s on this project's machine; the estimate's slow end covers that."""
    from xorbench.sweep.cost import STORE_SECONDS_RANGE, estimated_grid_seconds

    widths = ", ".join(f"[{w}]" for w in range(1, 201))
    grid = loads_grid(f"[defaults]\nseeds = 1\n[grid]\nhidden = [{widths}]\nepochs = 1\n")
    fast, slow = estimated_grid_seconds(grid)
    assert fast >= 200 * STORE_SECONDS_RANGE[0] and slow >= 200 * 0.27
    one = loads_grid("[defaults]\nseeds = 1\n[grid]\nepochs = 1\n")
    assert estimated_grid_seconds(one)[1] < 1
