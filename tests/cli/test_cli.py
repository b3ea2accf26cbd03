"""The command line, end to end: user errors, sweeps, summaries, train, crashes and resumes.

Most tests call the Typer app in-process (CliRunner); the ones about the
installed console script, signals and kill -9 run real ``xorbench`` processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import xorbench
from tests.helpers.command import XORBENCH, xorbench_env
from xorbench import schema
from xorbench.cli import app
from xorbench.results import read_runs
from xorbench.results.folder import RESULTS_FORMAT, ResultsDir
from xorbench.results.lock import LOCK
from xorbench.sweep import run_sweep
from xorbench.sweep.batches import BATCH_HOLD_ENV

TABLES = ("runs.csv", "summary.csv", "curves.csv")
TINY = """
name = "tiny"
[defaults]
seeds = 10
[grid]
hidden = 2
activation = "tanh"
init = ["xavier", "uniform(-1,1)"]
lr = [0.5, 2.0]
epochs = [10, 50]
"""  # 2 lrs × 2 inits × 10 seeds × 2 budgets = 80 runs


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def table_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in TABLES}


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """The tiny grid, swept once through the CLI."""
    root = tmp_path_factory.mktemp("swept")
    (root / "tiny.toml").write_text(TINY)
    result = invoke("sweep", root / "tiny.toml", "--out", root / "out", "--jobs", 1, "--quiet",
                    "--no-plots")
    assert result.exit_code == 0, result.output
    return root / "out"


# --- user errors: exit 1, one line naming the key and the value, no traceback -------

BAD_GRIDS = [
    ("invalid TOML", "[grid\nlr = 1", ["line 1", "invalid TOML", "'[grid'"]),
    ("unknown key", "[grid]\nlearning_rate = 0.5",
     ["[grid] learning_rate = 0.5", "unknown key", "did you mean 'lr'"]),
    ("unknown activation", "[grid]\nactivation = 'sigmiod'",
     ["[grid] activation = 'sigmiod'", "did you mean 'sigmoid'"]),
    ("unknown init", "[grid]\ninit = ['xavier', 'gaussian(1)']",
     ["[grid] init = 'gaussian(1)'", "unknown init"]),
    ("unknown optimizer", "[grid]\noptimizer = 'adamm'",
     ["[grid] optimizer = 'adamm'", "did you mean 'adam'"]),
    ("unknown loss", "[grid]\nloss = 'mae'", ["[grid] loss = 'mae'", "mse, sse, bce"]),
    ("unknown task", "[defaults]\ntask = 'xorr'", ["[defaults] task = 'xorr'", "'xor'"]),
    ("malformed call", "[grid]\ninit = 'uniform(-1,'", ["[grid] init = 'uniform(-1,'"]),
    ("lr zero", "[grid]\nlr = 0", ["[grid] lr = 0", "positive"]),
    ("lr negative", "[grid]\nlr = [0.5, -1]", ["[grid] lr = -1", "positive"]),
    ("lr nan", "[grid]\nlr = nan", ["[grid] lr = nan", "finite"]),
    ("lr inf", "[grid]\nlr = inf", ["[grid] lr = inf", "finite"]),
    ("epochs zero", "[grid]\nepochs = [0, 10]", ["[grid] epochs = 0", "from 1 to"]),
    ("empty list", "[grid]\nactivation = []", ["[grid] activation = []", "empty list"]),
    ("negative seed", "[defaults]\nseeds = [0, -3]", ["[defaults] seeds = -3", "non-negative"]),
    ("duplicate seeds", "[defaults]\nseeds = [4, 2, 4]",
     ["[defaults] seeds = [4, 2, 4]", "4 appears twice"]),
    ("hidden width 0", "[grid]\nhidden = [[2], [0, 2]]", ["[grid] hidden = [0, 2]"]),
    ("bce with linear output", "[grid]\nloss = 'bce'\noutput = 'linear'",
     ["[grid] loss = 'bce'", "output = 'linear'"]),
    ("rprop online", "[grid]\noptimizer = 'rprop'\nbatch = 'online'",
     ["[grid] optimizer = 'rprop'", "batch = 'online'"]),
    ("seeds table without a target", "[defaults]\nseeds = { first = 10, max = 80 }",
     ["seeds", "needs half_width", "or decide"]),
    ("seeds table max below first", "[defaults]\nseeds = { first = 100, max = 50, decide = 0.5 }",
     ["seeds.max = 50", "at least first = 100"]),
]


@pytest.mark.parametrize(("text", "needles"), [b[1:] for b in BAD_GRIDS],
                         ids=[b[0] for b in BAD_GRIDS])
@pytest.mark.parametrize("command", ["sweep", "grid"])
def test_a_bad_grid_is_one_clear_error_and_nothing_runs(tmp_path, command, text, needles):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    extra = ["--out", tmp_path / "out", "--no-plots"] if command == "sweep" else []
    result = invoke(command, path, *extra)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: {path}: ")
    for needle in needles:
        assert needle in result.output
    assert not (tmp_path / "out").exists()


def test_missing_file_and_directory_are_user_errors(tmp_path, tiny):
    result = invoke("sweep", tmp_path / "tiyn.toml")
    assert result.exit_code == 1
    assert "tiyn.toml: no such grid file" in result.output and "did you mean" in result.output
    result = invoke("grid", tmp_path)
    assert result.exit_code == 1
    assert f"{tmp_path}: is a directory, not a grid file" in result.output


def test_a_grid_over_the_run_guard_needs_yes(tmp_path, tiny, monkeypatch):
    import xorbench.sweep.cost

    monkeypatch.setattr(xorbench.sweep.cost, "MAX_RUNS_WITHOUT_CONFIRM", 50)
    result = invoke("sweep", tiny, "--out", tmp_path / "out", "--no-plots")
    assert result.exit_code == 1
    assert "80 runs is over the guard of 50; add --yes" in result.output
    assert not (tmp_path / "out").exists()
    result = invoke("sweep", tiny, "--out", tmp_path / "out", "--yes", "--jobs", 1, "--quiet",
                    "--no-plots")
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_the_console_script_reports_errors_without_traceback(tmp_path):
    """The installed `xorbench`, a million-run grid (counted, not run) and a bad value."""
    big = tmp_path / "big.toml"
    big.write_text("[defaults]\nseeds = 10000\n[grid]\nlr = { log = [0.01, 10], num = 101 }\n"
                   "epochs = 10\n")
    done = subprocess.run([*XORBENCH, "sweep", big, "--out", tmp_path / "out"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=xorbench_env())
    assert done.returncode == 1
    assert "1,010,000 runs is over the guard of 1,000,000; add --yes" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "out").exists()
    big.write_text("[grid]\nactivation = 'sigmiod'\n")
    done = subprocess.run([*XORBENCH, "grid", big], capture_output=True, text=True, timeout=60,
                          env=xorbench_env())
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "big.toml: [grid] activation = 'sigmiod'" in done.stderr


def test_summary_of_a_folder_that_is_not_results_is_a_user_error(tmp_path):
    for folder, message in [(tmp_path, "not an xorbench results folder"),
                            (tmp_path / "nope", "no such folder")]:
        result = invoke("summary", folder)
        assert result.exit_code == 1 and message in result.output


def test_a_results_folder_of_a_future_format_is_refused(tmp_path, swept):
    out = tmp_path / "future"
    shutil.copytree(swept, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["results_format"] = RESULTS_FORMAT + 1
    (out / "manifest.json").write_text(json.dumps(manifest))
    for args in (["summary", out], ["sweep", out / "grid.toml", "--out", out, "--no-plots"]):
        result = invoke(*args)
        assert result.exit_code == 1
        assert f"results format {RESULTS_FORMAT + 1}" in result.output
        assert "newer xorbench" in result.output


def test_resuming_runs_of_other_engine_numerics_is_one_line(tmp_path, swept):
    out = tmp_path / "older"
    shutil.copytree(swept, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["engine_numerics"] = 1
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = invoke("sweep", out / "grid.toml", "--out", out, "--no-plots")
    assert result.exit_code == 1
    assert "engine numerics 1" in result.output and "--fresh" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert invoke("summary", out).exit_code == 0


# --- sweeps -------------------------------------------------------------------------


def test_jobs_and_backends_write_identical_bytes(tmp_path, tiny, swept):
    for name, options in [("two", ["--jobs", 2]), ("threads", ["--backend", "threading",
                                                              "--jobs", 2])]:
        result = invoke("sweep", tiny, "--out", tmp_path / name, "--quiet", "--no-plots",
                        *options)
        assert result.exit_code == 0, result.output
        assert table_bytes(tmp_path / name) == table_bytes(swept)


def _every_entry_grid() -> str:
    """A grid with every init, bias init, optimizer and batch mode of the tables (an
    example for those with parameters), so that --jobs is checked on each of them."""
    from xorbench.config import BATCHES
    from xorbench.config.inits import BIAS_INITS, INITS
    from xorbench.config.optimizers import OPTIMIZERS

    examples = {"uniform": "uniform(-1,1)", "normal": "normal(0.5)", "constant": "constant(0.2)",
                "sampled": "sampled(5)"}

    def listed(table):
        return "[" + ", ".join(f"'{examples.get(name, name)}'" for name in table) + "]"

    full_batch = [name for name in OPTIMIZERS if OPTIMIZERS[name].impl.full_batch_only]
    per_pattern = [name for name in OPTIMIZERS if name not in full_batch]
    return (f"name = 'every-entry'\n[defaults]\nseeds = 5\nepochs = [3, 12]\nlr = 0.3\n"
            f"activation = 'tanh'\nbatch = 'full'\n"
            f"[[grid]]\ninit = {listed(INITS)}\nbias_init = 'zeros'\n"
            f"[[grid]]\nbias_init = {listed(BIAS_INITS)}\ninit = 'sklearn'\n"
            f"[[grid]]\noptimizer = {listed(OPTIMIZERS)}\ninit = 'torch'\n"
            f"bias_init = 'torch'\n"
            f"[[grid]]\noptimizer = {per_pattern!r}\nbatch = {listed(BATCHES)}\n"
            f"init = 'keras'\nbias_init = 'keras'\n")


def test_every_table_entry_writes_the_same_bytes_whatever_the_jobs(tmp_path):
    grid = tmp_path / "every-entry.toml"
    grid.write_text(_every_entry_grid())
    outputs = []
    for name, options in [("one", ["--jobs", 1, "--batch-size", 7]), ("two", ["--jobs", 2]),
                          ("threads", ["--backend", "threading", "--jobs", 2])]:
        result = invoke("sweep", grid, "--out", tmp_path / name, "--quiet", "--no-plots",
                        *options)
        assert result.exit_code == 0, result.output
        outputs.append(table_bytes(tmp_path / name))
    assert outputs[0] == outputs[1] == outputs[2]
    runs = read_runs(tmp_path / "one" / "runs.csv")
    for column, expected in [("optimizer", {"rprop+", "irprop+"}), ("batch", {"cyclic"}),
                             ("init", {"torch", "sklearn", "keras"})]:
        assert expected <= set(runs[column]), column


def test_sweep_prints_counts_leaderboard_and_paths(swept, tiny):
    result = invoke("sweep", tiny, "--out", swept, "--jobs", 1, "--quiet", "--no-plots",
                    "--top", 3)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("0 runs trained, 80 reused from earlier in ")
    assert lines[0].endswith("(80 in the grid)")
    assert "Most reliable settings" in result.output
    assert sum("│ xavier" in line or "│ uniform(-1,1)" in line for line in lines) == 3
    assert f"results: {swept}/" in result.output


def test_fresh_moves_the_old_folder_aside_and_says_so(tmp_path, tiny, swept):
    out = tmp_path / "out"
    shutil.copytree(swept, out)
    result = invoke("sweep", tiny, "--out", out, "--fresh", "--jobs", 1, "--quiet", "--no-plots")
    assert result.exit_code == 0, result.output
    moved = [p for p in tmp_path.iterdir() if p.name.startswith("out.old-")]
    assert len(moved) == 1 and f"--fresh: moved the old results to {moved[0]}/" in result.output
    assert table_bytes(moved[0]) == table_bytes(swept) == table_bytes(out)
    assert result.output.splitlines()[1].startswith("80 runs trained in ")


def test_a_corrupt_shard_gets_a_warning_and_is_recomputed(tmp_path, tiny, swept):
    out = tmp_path / "out"
    shutil.copytree(swept, out)
    victim = ResultsDir(out).shard_ids()[0]
    (out / "shards" / f"curves-{victim}.parquet").write_bytes(b"\0" * 10)
    result = invoke("sweep", tiny, "--out", out, "--jobs", 1, "--quiet", "--no-plots")
    assert result.exit_code == 0
    assert f"warning: {out / 'shards'}: shard {victim} set aside in corrupt/" in result.output
    assert "80 runs trained" in result.output or "runs trained, " in result.output
    assert table_bytes(out) == table_bytes(swept)


@pytest.mark.slow
def test_the_default_sweep_runs_from_the_console_script(tmp_path):
    done = subprocess.run([*XORBENCH, "sweep", "--quiet", "--no-plots"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env=xorbench_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("16200 runs trained in ")
    assert "results: results/quick/" in done.stdout
    path = tmp_path / "results" / "quick" / "runs.csv"
    plain = pd.read_csv(path)
    assert list(plain.columns) == schema.run_columns(["00", "01", "10", "11"])
    assert len(plain) == 16200
    runs = read_runs(path)
    for column, dtype in schema.RUN_DTYPES.items():
        assert str(runs[column].dtype) == str(pd.Series([], dtype=dtype).dtype), column
    assert all(runs[c].dtype == "float64" for c in ("y_00", "y_01", "y_10", "y_11"))
    assert set(runs["failure"]) <= {"none", "diverged", "symmetric", "dead", "saturated",
                                    "stuck", "slow"}


# --- grid, summary, train -----------------------------------------------------------


def test_grid_prints_the_axes_and_the_run_count(tiny):
    result = invoke("grid", tiny)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any(line.split()[:1] == ["lr"] and "0.5, 2" in line for line in lines)
    assert any(line.split()[:1] == ["init"] and "xavier, uniform(-1,1)" in line
               for line in lines)
    assert any(line.startswith("seeds") and "0..9 (10 seeds)" in line for line in lines)
    assert "4 configurations × 10 seeds × 2 epoch budgets (10, 50) → 80 runs" in result.output
    assert re.search(r"training takes roughly \d+ s( to \d+ s)? on one core", result.output)
    assert not (tiny.parent / "results").exists()


ADAPTIVE = TINY.replace("seeds = 10", "seeds = { first = 10, max = 80, half_width = 0.12 }")


def test_an_adaptive_grid_shows_its_rule_and_its_best_and_worst_case(tmp_path):
    path = tmp_path / "adaptive.toml"
    path.write_text(ADAPTIVE)
    result = invoke("grid", path)
    assert result.exit_code == 0, result.output
    assert "0..9, doubled while the interval's half-width is above 0.12, up to 0..79" \
        in result.output
    # 4 configurations × 2 budgets × 10 (all settled at once) … 80 (none settled) seeds
    assert "4 configurations × 10 to 80 seeds × 2 epoch budgets (10, 50) → 80 to 640 runs" \
        in result.output


def test_an_adaptive_sweep_says_what_it_kept_and_how_n_varies(tmp_path):
    path = tmp_path / "adaptive.toml"
    path.write_text(ADAPTIVE)
    result = invoke("sweep", path, "--out", tmp_path / "out", "--jobs", 1, "--no-plots",
                    "--no-report")
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    top = summary[summary["epochs"] == 50]
    kept = int(summary["n_runs"].sum())
    assert f"({kept} kept; adaptive seeds allow 80 to 640 in this grid)" in result.output
    assert "round 1 of at most 4: 4 configurations sampling seeds 0..9" in result.output
    low, high = top["n_runs"].min(), top["n_runs"].max()
    counts = ", ".join(f"{stop} {n}" for stop, n in top["stop"].value_counts().items())
    seeds = f"{low} seeds per setting" if low == high else f"{low}–{high} seeds per setting"
    assert f"seeds adaptive, {seeds}" in result.output
    assert counts.split(",")[0] in result.output


def _board_rows(output: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("│")[1:-1]]
            for line in output.splitlines() if line.startswith("│")]


def test_summary_top_sort_and_where(swept):
    result = invoke("summary", swept, "--top", 2)
    assert result.exit_code == 0 and "partial" not in result.output
    assert len(_board_rows(result.output)) == 2
    result = invoke("summary", swept, "--where", 'init == "xavier"', "--all-budgets",
                    "--top", 50)
    rows = _board_rows(result.output)
    assert len(rows) == 4  # 2 lrs × 2 budgets
    assert all("xavier" not in " ".join(r) or "uniform" not in " ".join(r) for r in rows)
    assert "uniform(-1,1)" not in result.output
    result = invoke("summary", swept, "--sort", "n_stuck", "--top", 50)
    stuck = [int(r[-1]) for r in _board_rows(result.output)]
    assert stuck == sorted(stuck, reverse=True) and len(stuck) == 4


@pytest.mark.parametrize(("option", "message"), [
    (["--where", "init =="], "invalid filter"),
    (["--where", "learning_rate > 1"], "invalid filter"),
    (["--sort", "speed"], "cannot sort the leaderboard by 'speed'"),
])
def test_summary_bad_where_or_sort_is_a_user_error(swept, option, message):
    result = invoke("summary", swept, *option)
    assert result.exit_code == 1 and message in result.output


TRAIN = ["train", "--hidden", "2", "--activation", "sigmoid", "--init", "uniform(0,1)",
         "--bias-init", "uniform(0,1)", "--lr", "1", "--batch", "sampled(1000)", "--epochs", "10",
         "--seed", "1"]


def test_train_prints_the_four_patterns_and_the_verdict():
    result = invoke(*TRAIN)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("2-2-1 sigmoid · init uniform(0,1) · bias uniform(0,1) · lr 1")
    rows = [line.split() for line in lines if line[:3] in ("0 0", "0 1", "1 0", "1 1")]
    assert [r[:3] for r in rows] == [["0", "0", "0"], ["0", "1", "1"], ["1", "0", "1"],
                                     ["1", "1", "0"]]
    assert all(0 <= float(r[3]) <= 1 for r in rows)
    verdict = [line for line in lines if line.startswith("solved: ")]
    assert len(verdict) == 1 and "failure: " in verdict[0] and "learned: " in verdict[0]


@pytest.mark.parametrize(("batch", "loss", "ratio"), [
    ("online", "mse", 4), ("cyclic", "bce", 4), ("sampled(9)", "mse", 4), ("cyclic", "sse", None),
    ("full", "mse", None)])
def test_train_says_when_a_patterns_step_differs_from_full_batch(batch, loss, ratio):
    """One note on stderr, with the factor and the full-batch lr that matches it; none
    where the steps agree (sse sums, full batch is the reference)."""
    result = invoke("train", "--batch", batch, "--loss", loss, "--lr", "0.5", "--epochs", "2",
                    "--seed", "0")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert "note" not in result.stdout
    if ratio is None:
        assert notes == []
        return
    (line,) = notes
    assert f"batch {batch} " in line and f" {ratio}× " in line
    assert f"full batch would need lr {0.5 * ratio:g} " in line


def test_train_json_matches_the_python_api():
    result = invoke(*TRAIN, "--json")
    assert result.exit_code == 0
    (row,) = [json.loads(line) for line in result.output.splitlines()]
    config = xorbench.make_config(hidden=(2,), activation="sigmoid", init="uniform(0,1)",
                                  bias_init="uniform(0,1)", lr=1.0, batch="sampled(1000)")
    expected = xorbench.train(config, [1], 10).iloc[0]
    for pattern in ("00", "01", "10", "11"):
        assert row[f"y_{pattern}"] == expected[f"y_{pattern}"]
    assert row["solved"] == bool(expected["solved"]) and row["failure"] == expected["failure"]


# --- crashes, signals, locks: real processes ----------------------------------------

MID = """
name = "mid"
[defaults]
seeds = 40
[grid]
hidden = [[2], [3]]
activation = ["sigmoid", "tanh"]
init = ["xavier", "uniform(-1,1)"]
lr = [0.5, 1.0, 2.0]
epochs = [50, 1000]
"""  # 24 configurations × 40 seeds × 2 budgets = 1,920 runs; 24 batches of 40 networks
MID_RUNS = 1920


@pytest.fixture(scope="module")
def mid(tmp_path_factory):
    """The grid file and its tables from one uninterrupted sweep (in-process, one batch each)."""
    from xorbench.grid import load_grid

    root = tmp_path_factory.mktemp("mid")
    (root / "mid.toml").write_text(MID)
    outcome = run_sweep(load_grid(root / "mid.toml"), root / "reference", jobs=1)
    return root / "mid.toml", table_bytes(outcome.path)


def _start(grid: Path, out: Path, hold: int = 3) -> subprocess.Popen:
    """The MID sweep in the background (24 batches on 2 workers); once ``hold`` shards
    are stored, every later batch waits before storing its own, so a test that stops it
    after that many shards finds it still running however fast or busy the machine: no
    test races the sweep's clock."""
    return subprocess.Popen(
        [*XORBENCH, "sweep", grid.name, "--out", out.name, "--jobs", "2", "--batch-size", "40",
         "--quiet", "--no-plots"],
        cwd=out.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env=xorbench_env({BATCH_HOLD_ENV: str(hold)}))


def _wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _n_shards(out: Path) -> int:
    return len(list((out / "shards").glob("runs-*.parquet"))) if (out / "shards").is_dir() else 0


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


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill(pids) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def reaper():
    """Pids to kill at teardown if a failed test left them running."""
    pids: list[int] = []
    yield pids
    _kill(pid for pid in pids if _alive(pid))


def _n_saved(out: Path) -> int:
    runs = ResultsDir(out).read_part("runs")
    return len(runs.drop_duplicates(["config_id", "seed", "epochs"]))


def _resume(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=xorbench_env())
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_mid_sweep_then_rerun_trains_only_the_missing_runs(tmp_path, mid, reaper):
    grid, reference = mid
    shutil.copy(grid, tmp_path)
    out = tmp_path / "out"
    sweep = _start(grid, out)
    workers: list[int] = []
    try:
        _wait_for(lambda: _n_shards(out) >= 3 or sweep.poll() is not None, "three shards")
        workers = _children(sweep.pid)
        reaper.extend(workers)
        sweep.kill()  # kill -9: no handler runs, the lock file stays behind
        sweep.wait(timeout=10)
        # its loky workers live on, orphaned: they must exit, not write shards
        _wait_for(lambda: not any(_alive(pid) for pid in workers), "orphans to exit", 30)
    finally:
        _kill(_children(sweep.pid))
    assert sweep.returncode == -signal.SIGKILL
    assert (out / LOCK).exists()
    saved = _n_saved(out)
    assert 0 < saved < MID_RUNS
    done = _resume([*XORBENCH, "sweep", grid.name, "--out", "out", "--jobs", "2", "--quiet",
                    "--no-plots"], tmp_path)
    assert done.stdout.startswith(f"{MID_RUNS - saved} runs trained, {saved} reused from earlier")
    assert f"took over the lock of pid {sweep.pid}, which is no longer running" in done.stderr
    assert table_bytes(out) == reference


MID_ADAPTIVE = MID.replace('name = "mid"', 'name = "mid-adaptive"').replace(
    "seeds = 40", "seeds = { first = 10, max = 40, half_width = 0.1 }")


@pytest.fixture(scope="module")
def mid_adaptive(tmp_path_factory):
    """MID with adaptive seeds: the grid file, its tables from one uninterrupted sweep
    (in-process, as :func:`_start` runs it: 2 workers, batches of 40), and the shards
    stored when each round began."""
    from xorbench.grid import load_grid

    root = tmp_path_factory.mktemp("mid-adaptive")
    (root / "mid-adaptive.toml").write_text(MID_ADAPTIVE)
    out = root / "reference"
    shards_at_round: list[int] = []
    outcome = run_sweep(load_grid(root / "mid-adaptive.toml"), out, jobs=2, batch_size=40,
                        on_round=lambda label: shards_at_round.append(_n_shards(out)))
    return root / "mid-adaptive.toml", table_bytes(outcome.path), shards_at_round


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_in_a_later_round_of_adaptive_seeds_then_rerun_gives_the_same_tables(
        tmp_path, mid_adaptive, reaper):
    """No handler runs: the rounds are found again from the shards on disk alone, the
    runs of the round it died in included."""
    grid, reference, shards_at_round = mid_adaptive
    assert len(shards_at_round) >= 2  # the rule asked for more seeds at least once
    hold = shards_at_round[1] + 1  # one shard into the second round
    shutil.copy(grid, tmp_path)
    out = tmp_path / "out"
    sweep = _start(tmp_path / grid.name, out, hold=hold)
    workers: list[int] = []
    try:
        _wait_for(lambda: _n_shards(out) >= hold or sweep.poll() is not None, f"{hold} shards")
        workers = _children(sweep.pid)
        reaper.extend(workers)
        sweep.kill()
        sweep.wait(timeout=10)
        _wait_for(lambda: not any(_alive(pid) for pid in workers), "orphans to exit", 30)
    finally:
        _kill(_children(sweep.pid))
    assert sweep.returncode == -signal.SIGKILL
    events = json.loads((out / "manifest.json").read_text())["events"]
    assert max(e["round"] for e in events if e["event"] == "round") >= 2
    assert not any(e["event"] == "complete" for e in events)
    done = _resume([*XORBENCH, "sweep", grid.name, "--out", "out", "--jobs", "2", "--quiet",
                    "--no-plots"], tmp_path)
    assert "reused from earlier" in done.stdout
    assert table_bytes(out) == reference


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_sweep_exits_130_with_a_resume_hint(tmp_path, mid, how, reaper):
    grid, reference = mid
    shutil.copy(grid, tmp_path)
    out = tmp_path / "out"
    sweep = _start(grid, out)
    workers: list[int] = []
    try:
        _wait_for(lambda: _n_shards(out) >= 3 or sweep.poll() is not None, "three shards")
        workers = _children(sweep.pid)
        reaper.extend(workers)
        if how == "sigterm":
            # a second sweep on the same folder is refused while this one runs
            second = invoke("sweep", tmp_path / grid.name, "--out", out, "--jobs", 1,
                            "--no-plots")
            assert second.exit_code == 1
            assert f"another sweep is writing this folder (pid {sweep.pid}" in second.output
            partial = invoke("summary", out)
            assert partial.exit_code == 0
            assert f"a sweep is still writing it (pid {sweep.pid})" in partial.output
            sweep.send_signal(signal.SIGTERM)
        else:  # what a terminal's Ctrl-C does: SIGINT to the whole process group
            os.killpg(sweep.pid, signal.SIGINT)
        _, stderr = sweep.communicate(timeout=60)
    finally:
        _kill(_children(sweep.pid))
    assert sweep.returncode == 130, stderr
    assert "Traceback" not in stderr
    hint = [line for line in stderr.splitlines() if line.startswith("interrupted: ")]
    assert len(hint) == 1, stderr
    saved = _n_saved(out)
    assert f"interrupted: {saved:,} of {MID_RUNS:,} runs are saved; resume with: " in hint[0]
    command = hint[0].split("resume with: ", 1)[1]
    assert command == "xorbench sweep mid.toml --out out --jobs 2 --batch-size 40"
    _wait_for(lambda: not any(_alive(pid) for pid in workers), "workers to exit", timeout=10)
    assert not (out / LOCK).exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["events"][-1]["event"] == "stop"

    partial = invoke("summary", out)
    assert partial.exit_code == 0
    assert f"partial sweep: {saved:,} of {MID_RUNS:,} runs done" in partial.output
    if how == "sigterm":
        return  # resuming is the same as after Ctrl-C (and kill -9): tested there

    done = _resume([*XORBENCH, *shlex.split(command)[1:], "--quiet", "--no-plots"], tmp_path)
    assert done.stdout.startswith(f"{MID_RUNS - saved} runs trained, {saved} reused from earlier")
    assert table_bytes(out) == reference


def test_the_python_api_names_stay_functions():
    """xorbench.train etc. are the documented functions, also after their modules load."""
    import xorbench
    from xorbench.config import make_config

    first = xorbench.train(make_config(hidden=(2,)), seeds=2, epochs=5)
    again = xorbench.train(make_config(hidden=(2,)), seeds=2, epochs=5)
    assert first.equals(again) and len(first) == 2
    for name in ("train", "load_grid", "expand", "run_sweep", "load_runs", "summarize"):
        assert callable(getattr(xorbench, name)), name


def test_an_out_folder_the_file_system_refuses_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(app, ["sweep", "--quiet", "--out", str(blocker / "x")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert str(blocker) in result.output
