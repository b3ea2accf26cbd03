"""Whole sweeps through the Python API: tables, resume, changed grids, crash safety."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from xorbench import schema
from xorbench.engine import ENGINE_NUMERICS
from xorbench.errors import LockedError, ResultsError
from xorbench.grid import loads_grid
from xorbench.results import load_runs, read_runs, sweep_status
from xorbench.results.folder import RESULTS_FORMAT, ResultsDir
from xorbench.results.lock import LOCK
from xorbench.sweep import SweepInterrupted, run_sweep

TABLES = ("runs.csv", "summary.csv", "curves.csv")


def tiny(lrs=(0.5, 2.0), epochs=(10, 50), name="tiny", seeds=10, extra=""):
    """2 lrs × 2 inits × 10 seeds × 2 budgets = 80 runs, 40 networks."""
    return loads_grid(f"""
name = "{name}"
[defaults]
seeds = {seeds}
[grid]
hidden = 2
activation = "tanh"
init = ["xavier", "uniform(-1,1)"]
lr = {list(lrs)}
epochs = {list(epochs)}
{extra}
""", f"{name}.toml")


def table_bytes(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in TABLES}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny grid swept once, uninterrupted, in one batch."""
    out = tmp_path_factory.mktemp("ref") / "tiny"
    outcome = run_sweep(tiny(), out, jobs=1)
    return outcome, table_bytes(out)


def test_a_sweep_writes_the_documented_tables_and_manifest(reference):
    outcome, _ = reference
    runs = read_runs(outcome.path / "runs.csv")
    assert list(runs.columns) == schema.run_columns(["00", "01", "10", "11"])
    assert len(runs) == outcome.n_runs == 80 and outcome.n_trained == 80
    assert runs.groupby(["config_id", "seed", "epochs"]).size().max() == 1
    manifest = json.loads((outcome.path / "manifest.json").read_text())
    assert manifest["results_format"] == RESULTS_FORMAT
    assert manifest["status"] == "complete" and manifest["n_done"] == 80
    assert manifest["versions"]["xorbench"] and len(manifest["grid_hash"]) == 16
    assert [e["event"] for e in manifest["events"]] == ["start", "complete"]
    assert set(manifest["timings"]) >= {"expand", "scan", "plan", "train", "tables", "total"}
    assert (outcome.path / "grid.toml").read_text() == tiny().source
    assert not (outcome.path / LOCK).exists()


@pytest.mark.parametrize("batch_size", [3, 7])
def test_batch_size_does_not_change_a_byte(tmp_path, reference, batch_size):
    run_sweep(tiny(), tmp_path / "tiny", jobs=1, batch_size=batch_size)
    assert table_bytes(tmp_path / "tiny") == reference[1]


def test_rerunning_a_finished_sweep_trains_nothing_and_writes_the_same(tmp_path, reference):
    out = tmp_path / "tiny"
    run_sweep(tiny(), out, jobs=1)
    again = run_sweep(tiny(), out, jobs=1)
    assert (again.n_trained, again.n_reused) == (0, 80)
    assert table_bytes(out) == reference[1]
    events = [e["event"] for e in json.loads((out / "manifest.json").read_text())["events"]]
    assert events == ["start", "complete", "resume", "complete"]


class StopAfter:
    """A progress callback that presses Ctrl-C once ``n`` runs are done."""

    def __init__(self, n):
        self.n, self.calls = n, []

    def __call__(self, done, total):
        self.calls.append((done, total))
        if done >= self.n:
            raise KeyboardInterrupt


def test_an_interrupted_sweep_resumes_with_only_the_missing_runs(tmp_path, reference):
    out = tmp_path / "tiny"
    with pytest.raises(SweepInterrupted) as stopped:
        run_sweep(tiny(), out, jobs=1, batch_size=4, progress=StopAfter(16))
    assert (stopped.value.n_done, stopped.value.n_runs) == (16, 80)  # two batches of 4 × 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["n_done"] == 16
    assert manifest["events"][-1]["event"] == "stop"
    assert not (out / LOCK).exists()
    status = sweep_status(out)
    assert status.partial and (status.n_done, status.n_runs) == (16, 80)
    assert "partial sweep: 16 of 80 runs done" in status.describe()

    progress = StopAfter(10**9)
    resumed = run_sweep(tiny(), out, jobs=1, progress=progress)
    assert (resumed.n_trained, resumed.n_reused) == (64, 16)
    assert progress.calls[0] == (16, 80)  # the bar starts at what was done
    assert table_bytes(out) == reference[1]
    assert not sweep_status(out).partial


def test_two_tasks_resume_to_the_same_bytes(tmp_path):
    """Union grids mix y_ columns of several tasks; their order must not follow the shards."""
    extra = '[[grid]]\ntask = "parity(3)"\nhidden = 3\nlr = 1.0\nepochs = [10, 50]\n'
    text = """
name = "mixed"
[defaults]
seeds = 4
activation = "tanh"
[[grid]]
task = "xor"
hidden = 2
lr = [0.5, 2.0]
epochs = [10, 50]
""" + extra
    fresh = run_sweep(loads_grid(text), tmp_path / "fresh", jobs=1)
    out = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(loads_grid(text), out, jobs=1, batch_size=2, progress=StopAfter(1))
    run_sweep(loads_grid(text), out, jobs=1, batch_size=3)
    assert table_bytes(out) == table_bytes(fresh.path)
    columns = list(fresh.runs.columns)
    assert columns.index("y_11") < columns.index("y_000") < columns.index("dtype")
    # the fast CSV writer gives what pandas writes, extra outputs (empty cells) included
    for folder in (fresh.path, out):
        written = (folder / "runs.csv").read_text()
        assert written == fresh.runs.to_csv(index=False, lineterminator="\n")


def test_a_changed_grid_reuses_the_shared_runs_and_drops_the_old_only(tmp_path):
    out = tmp_path / "tiny"
    run_sweep(tiny(lrs=(0.5, 2.0)), out, jobs=1)
    changed = run_sweep(tiny(lrs=(2.0, 4.0)), out, jobs=1)  # one lr removed, one added
    assert (changed.n_reused, changed.n_trained) == (40, 40)  # lr 2: 2 inits × 10 seeds × 2
    fresh = run_sweep(tiny(lrs=(2.0, 4.0)), tmp_path / "fresh", jobs=1)
    assert table_bytes(out) == table_bytes(fresh.path)
    assert sorted(read_runs(out / "runs.csv")["lr"].unique()) == [2.0, 4.0]
    kept = ResultsDir(out).read_part("runs")
    assert sorted(kept["lr"].unique()) == [0.5, 2.0, 4.0]  # old-only runs stay in the shards
    event = json.loads((out / "manifest.json").read_text())["events"][-2]
    assert event["event"] == "resume" and event["grid_changed_from"]


def test_shorter_budgets_reuse_runs_and_cut_longer_curves(tmp_path):
    out = tmp_path / "tiny"
    run_sweep(tiny(epochs=(10, 100)), out, jobs=1)
    changed = run_sweep(tiny(epochs=(10, 50)), out, jobs=1)
    assert (changed.n_reused, changed.n_trained) == (40, 40)
    fresh = run_sweep(tiny(epochs=(10, 50)), tmp_path / "fresh", jobs=1)
    assert table_bytes(out) == table_bytes(fresh.path)


def test_a_corrupt_shard_is_set_aside_and_recomputed(tmp_path, reference):
    out = tmp_path / "tiny"
    run_sweep(tiny(), out, jobs=1, batch_size=8)
    folder = ResultsDir(out)
    victim = folder.shard_ids()[0]
    path = folder.shards / f"runs-{victim}.parquet"
    path.write_bytes(path.read_bytes()[:100])  # a full disk cut it short
    warnings = []
    again = run_sweep(tiny(), out, jobs=1, notify=warnings.append)
    assert (again.n_trained, again.n_reused) == (16, 64)  # that shard's 8 networks × 2
    assert len(warnings) == 1 and victim in warnings[0] and "set aside" in warnings[0]
    assert again.warnings == warnings
    assert (folder.shards / "corrupt" / f"runs-{victim}.parquet").exists()
    assert table_bytes(out) == reference[1]
    events = json.loads((out / "manifest.json").read_text())["events"]
    assert any(e["event"] == "corrupt_shard" and e["shard"] == victim for e in events)


def test_fresh_moves_the_old_results_aside(tmp_path, reference):
    out = tmp_path / "tiny"
    run_sweep(tiny(lrs=(0.5, 4.0)), out, jobs=1)
    old = table_bytes(out)
    outcome = run_sweep(tiny(), out, jobs=1, fresh=True)
    assert outcome.n_trained == 80 and outcome.n_reused == 0
    assert outcome.moved_aside.parent == tmp_path and outcome.moved_aside.name.startswith(
        "tiny.old-")
    assert table_bytes(outcome.moved_aside) == old
    assert table_bytes(out) == reference[1]
    events = [e["event"] for e in json.loads((out / "manifest.json").read_text())["events"]]
    assert events == ["fresh", "start", "complete"]


def test_a_folder_from_a_future_version_is_refused_unless_fresh(tmp_path):
    out = tmp_path / "tiny"
    run_sweep(tiny(), out, jobs=1)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["results_format"] = RESULTS_FORMAT + 1
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match="newer xorbench"):
        run_sweep(tiny(), out, jobs=1)
    with pytest.raises(ResultsError, match="newer xorbench"):
        load_runs(out)
    assert run_sweep(tiny(), out, jobs=1, fresh=True).n_trained == 80


def test_shards_of_other_engine_numerics_are_not_resumed_into(tmp_path, reference):
    """Runs trained by an engine that rounds differently are never mixed with new
    ones: resuming is refused (nothing on disk changes), reading still works, and
    --fresh starts over. A manifest from before the key counts as numerics 1."""
    out = tmp_path / "tiny"
    run_sweep(tiny(), out, jobs=1)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["engine_numerics"] == ENGINE_NUMERICS
    del manifest["engine_numerics"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(ResultsError, match=f"engine numerics 1, this one {ENGINE_NUMERICS}"):
        run_sweep(tiny(), out, jobs=1)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert len(load_runs(out)) == 80
    assert run_sweep(tiny(), out, jobs=1, fresh=True).n_trained == 80
    assert table_bytes(out) == reference[1]


def test_shards_without_a_manifest_are_not_resumed_into(tmp_path):
    out = tmp_path / "tiny"
    run_sweep(tiny(), out, jobs=1)
    (out / "manifest.json").unlink()
    with pytest.raises(ResultsError, match=r"has shards but no manifest\.json"):
        run_sweep(tiny(), out, jobs=1)
    assert ResultsDir(out).shard_ids()  # nothing removed
    assert run_sweep(tiny(), out, jobs=1, fresh=True).n_trained == 80


def test_a_locked_folder_is_refused_and_a_stale_lock_taken_over(tmp_path, reference):
    out = tmp_path / "tiny"
    with ResultsDir(out).locked(), pytest.raises(LockedError, match=f"pid {os.getpid()}"):
        run_sweep(tiny(), out, jobs=1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / LOCK).write_text(json.dumps({"pid": dead.pid}))
    warnings = []
    outcome = run_sweep(tiny(), out, jobs=1, notify=warnings.append)
    assert outcome.n_trained == 80
    assert warnings == [f"{out}: took over the lock of pid {dead.pid}, which is no longer running"]
    assert table_bytes(out) == reference[1]


def test_leftovers_of_a_killed_writer_are_cleaned_and_retrained(tmp_path, reference):
    out = tmp_path / "tiny"
    run_sweep(tiny(), out, jobs=1, batch_size=10)
    folder = ResultsDir(out)
    victim = folder.shard_ids()[0]
    (folder.shards / f"runs-{victim}.parquet").rename(folder.shards / f".runs-{victim}.x.tmp")
    again = run_sweep(tiny(), out, jobs=1)
    assert again.n_trained == 20
    assert not list(folder.shards.glob(".*")) and not list(folder.shards.glob(f"*{victim}*"))
    assert table_bytes(out) == reference[1]


def test_load_runs_of_a_partial_sweep_reads_the_shards(tmp_path):
    out = tmp_path / "tiny"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(tiny(), out, jobs=1, batch_size=5, progress=StopAfter(1))
    runs = load_runs(out)
    assert len(runs) == 10 and list(runs.columns) == schema.run_columns(["00", "01", "10", "11"])
    assert (runs["sweep"] == "tiny").all()


def test_a_sweep_into_a_foreign_folder_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ResultsError, match="not an xorbench results folder"):
        run_sweep(tiny(), tmp_path, jobs=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_sweep_says_when_it_must_compile_the_training_loop_first(tmp_path, monkeypatch):
    import numpy as np

    from xorbench.config import make_config
    from xorbench.engine import Setup, evaluate, kernel_args

    evaluate(Setup.of(make_config()), np.zeros((9, 1)))  # compiled, or loaded from the cache
    notes = []
    run_sweep(tiny(), tmp_path / "warm", jobs=1, inform=notes.append)
    assert notes == []
    monkeypatch.setattr(kernel_args, "uncompiled", lambda dtypes: sorted(dtypes))
    monkeypatch.setattr(kernel_args, "draws_uncompiled", lambda: False)
    stages = []
    outcome = run_sweep(tiny(), tmp_path / "cold", jobs=1, inform=notes.append,
                        stage=stages.append)
    assert len(notes) == 1 and notes[0].startswith("compiling the training loop for float64")
    # compiled here, before the workers, shown as a step that begins and ends
    assert stages == ["compiling the training loop for float64", None]
    manifest = json.loads((outcome.path / "manifest.json").read_text())
    assert set(manifest["events"][-2]["compiled"]) == {"kernel float64"}


def test_a_sweep_starts_its_workers_while_it_compiles(tmp_path, monkeypatch):
    import numpy as np

    from xorbench.config import make_config
    from xorbench.engine import Setup, evaluate, kernel_args
    from xorbench.sweep import compiling
    from xorbench.sweep import run as run_module

    evaluate(Setup.of(make_config()), np.zeros((9, 1)))  # compiled, or loaded from the cache
    steps = []
    monkeypatch.setattr(run_module, "start_workers", lambda jobs: steps.append(("start", jobs)))
    monkeypatch.setattr(compiling, "compile_kernel", lambda dtype: steps.append(("compile",)))
    run_sweep(tiny(), tmp_path / "warm", jobs=2, batch_size=5)
    assert steps == []  # nothing to compile: the batches' pool starts them as before
    monkeypatch.setattr(kernel_args, "uncompiled", lambda dtypes: sorted(dtypes))
    monkeypatch.setattr(kernel_args, "draws_uncompiled", lambda: False)
    run_sweep(tiny(), tmp_path / "cold", jobs=2, batch_size=5)
    assert steps == [("start", 2), ("compile",)]  # started first, then compiled
    run_sweep(tiny(), tmp_path / "one", jobs=1, batch_size=5)  # no pool: nothing started
    run_sweep(tiny(), tmp_path / "threads", jobs=2, backend="threading", batch_size=5)
    assert steps == [("start", 2), ("compile",), ("compile",), ("compile",)]


@pytest.mark.slow
def test_a_sweep_compiles_the_random_draws_in_a_process_beside_the_kernel(tmp_path,
                                                                         monkeypatch,
                                                                         reference):
    from xorbench.engine import kernel_args, pcg64
    from xorbench.sweep import compiling

    monkeypatch.setattr(kernel_args, "draws_uncompiled", lambda: True)
    monkeypatch.setattr(compiling, "DRAWS_WORTH_SECONDS", 0.0)  # a tiny grid's draws too
    here = []  # the draws must not be compiled in this process (another core does it)
    monkeypatch.setattr(pcg64, "compile_draws", lambda: here.append(1))
    stages = []
    outcome = run_sweep(tiny(), tmp_path / "cold", jobs=1, stage=stages.append)
    assert stages == ["compiling the random draws", None] and here == []
    manifest = json.loads((outcome.path / "manifest.json").read_text())
    assert set(manifest["events"][-2]["compiled"]) == {"draws"}
    assert table_bytes(tmp_path / "cold") == reference[1]


@pytest.mark.slow
def test_a_sweep_builds_a_training_loop_for_long_setups_and_writes_the_same(tmp_path,
                                                                          reference,
                                                                          monkeypatch):
    from xorbench.engine import builds
    from xorbench.sweep import compiling

    monkeypatch.setenv("XORBENCH_CACHE_DIR", str(tmp_path / "builds"))  # nothing built yet
    monkeypatch.setattr(builds, "_LOADED", {})
    monkeypatch.setattr(compiling, "BUILD_WORTH_SECONDS", 0.0)
    used = []
    real_ready = builds.ready
    monkeypatch.setattr(builds, "ready", lambda *a: used.append(real_ready(*a)) or used[-1])
    notes = []
    outcome = run_sweep(tiny(), tmp_path / "built", jobs=1, inform=notes.append)  # in-process
    # asked by the sweep before building it (none yet), then by every batch, which used it
    built = [train is not None for train in used]
    assert not built[0] and built[-1] and built == sorted(built)
    assert [n for n in notes if n.startswith("building")] == [
        f"building a training loop for 2-2-1 tanh/sigmoid, mse, sgd, threshold, float64 "
        f"(numba, about {builds.BUILD_SECONDS} s, once: the same results, faster)"]
    assert "build" in outcome.timings
    assert table_bytes(tmp_path / "built") == reference[1]  # trained by the build: same bytes


@pytest.mark.slow
def test_a_sweep_of_two_workers_builds_beside_the_kernels_compile(tmp_path, reference,
                                                                  monkeypatch):
    from xorbench.engine import builds, kernel_args
    from xorbench.sweep import compiling

    monkeypatch.setenv("XORBENCH_CACHE_DIR", str(tmp_path / "builds"))  # nothing built yet
    monkeypatch.setattr(builds, "_LOADED", {})
    monkeypatch.setattr(compiling, "BUILD_WORTH_SECONDS", 0.0)
    monkeypatch.setattr(kernel_args, "uncompiled", lambda dtypes: sorted(dtypes))
    monkeypatch.setattr(kernel_args, "draws_uncompiled", lambda: False)
    here = []  # the build must not be compiled in this process (another core does it)
    monkeypatch.setattr(builds, "build", lambda *a: here.append(a))
    notes, stages = [], []
    outcome = run_sweep(tiny(), tmp_path / "built", jobs=2, batch_size=5,
                        inform=notes.append, stage=stages.append)
    assert here == []
    assert [n for n in notes if n.startswith("building")] == [
        f"building a training loop for 2-2-1 tanh/sigmoid, mse, sgd, threshold, float64 "
        f"(numba, about {builds.BUILD_SECONDS} s, once: the same results, faster)"]
    assert stages == ["compiling the training loop for float64", None,
                      "building a training loop for 2-2-1", None]
    manifest = json.loads((outcome.path / "manifest.json").read_text())
    compiled = manifest["events"][-2]["compiled"]
    assert set(compiled) == {"kernel float64",
                             "build 2-2-1 tanh/sigmoid, mse, sgd, threshold, float64"}
    assert compiled["build 2-2-1 tanh/sigmoid, mse, sgd, threshold, float64"] > 0
    assert len(list((tmp_path / "builds").glob("xorbench_build_*.py"))) == 1  # on disk
    assert table_bytes(tmp_path / "built") == reference[1]  # the same bytes
