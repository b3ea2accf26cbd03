"""Batch planning and parallel execution: every run once, any batching, same numbers."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections import Counter
from dataclasses import replace

import pandas as pd
import pytest

from xorbench.config import make_config
from xorbench.engine import Setup
from xorbench.errors import XorbenchError
from xorbench.grid import expand, loads_grid
from xorbench.results.folder import ResultsDir
from xorbench.sweep.batches import ShardTarget, run_batch
from xorbench.sweep.cost import estimated_seconds
from xorbench.sweep.execute import execute
from xorbench.sweep.plan import COST_PER_SECOND_RANGE, estimated_cost, plan_batches

GRID = """
name = "runner"
[defaults]
seeds = 6
[grid]
hidden = [[2], [3]]
activation = ["sigmoid", "tanh"]
init = ["xavier", "uniform(-1,1)"]
lr = [0.5, 2.0]
epochs = [5, 20]
"""


@pytest.fixture(scope="module")
def specs():
    return expand(loads_grid(GRID))


def _networks(plans):
    return Counter((m.config(p.setup).config_id, m.seed) for p in plans for m in p.members)


@pytest.mark.parametrize("batch_size", [None, 1, 5, 1000])
def test_every_network_is_planned_once_with_all_its_budgets(specs, batch_size):
    plans = plan_batches(specs, n_workers=2, batch_size=batch_size)
    networks = _networks(plans)
    assert set(networks.values()) == {1}
    assert len(networks) == len(specs) // 2  # two budgets per network
    assert sum(p.n_runs for p in plans) == len(specs)
    for plan in plans:
        assert all(Setup.of(m.config(plan.setup)) == plan.setup for m in plan.members)
        assert plan.budgets == (5, 20)
        if batch_size:
            assert len(plan.members) <= batch_size


def test_only_the_budgets_still_to_do_are_planned(specs):
    todo = [s for s in specs if not (s.epochs == 5 and s.seed < 3)]
    plans = plan_batches(todo)
    assert sorted({p.budgets for p in plans}) == [(5, 20), (20,)]
    assert sum(p.n_runs for p in plans) == len(todo)
    seeds_at = {budgets: {m.seed for p in plans if p.budgets == budgets for m in p.members}
                for budgets in ((20,), (5, 20))}
    assert seeds_at == {(20,): {0, 1, 2}, (5, 20): set(range(3, 6))}


def test_batches_come_longest_first(specs):
    plans = plan_batches(specs, batch_size=5)
    costs = [estimated_cost(p) for p in plans]
    assert costs == sorted(costs, reverse=True)
    # a wider network and a full batch of members cost more
    assert estimated_cost(plans[0]) > estimated_cost(plans[-1])


def _rows(outputs) -> pd.DataFrame:
    runs = pd.concat([o.runs for o in outputs], ignore_index=True)
    return runs.sort_values(["config_id", "seed", "epochs"]).reset_index(drop=True)


def test_serial_threads_and_processes_give_identical_numbers(specs):
    plans = plan_batches(specs, batch_size=7)
    serial = _rows(execute(plans, "runner", jobs=1))
    threads = _rows(execute(plans, "runner", jobs=2, backend="threading"))
    processes = _rows(execute(plans, "runner", jobs=2, backend="loky"))
    one_batch = _rows(execute(plan_batches(specs, batch_size=10_000), "runner", jobs=1))
    pd.testing.assert_frame_equal(serial, threads, check_exact=True)
    pd.testing.assert_frame_equal(serial, processes, check_exact=True)
    pd.testing.assert_frame_equal(serial, one_batch, check_exact=True)


def test_closing_early_cancels_quietly(specs):
    plans = plan_batches(specs, batch_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # joblib's "tasks cancelled" warning must not show
        outputs = execute(plans, "runner", jobs=2, backend="loky")
        first = next(outputs)
        outputs.close()
    assert len(first.runs) > 0


def _loky_workers() -> tuple[object, set[int]]:
    """joblib's shared loky executor and its worker processes' ids (loky's internals)."""
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor
    return executor, set(getattr(executor, "_processes", {}) or {})


def test_workers_started_ahead_run_the_batches_with_the_same_numbers(specs):
    from xorbench.sweep import batches

    plans = plan_batches(specs, batch_size=7)
    serial = _rows(execute(plans, "runner", jobs=1))
    batches.start_workers(2)
    assert len(batches._STARTED) == 1  # warming up, until the batches' pool takes them
    executor, workers = _loky_workers()
    assert len(workers) == 2 and os.getpid() not in workers
    parallel = _rows(execute(plans, "runner", jobs=2))
    assert batches._STARTED == []
    # the batches' pool reused them: the same executor, no new process
    assert _loky_workers() == (executor, workers)
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)


def test_a_sweep_that_fails_waits_for_the_workers_it_started(specs):
    from xorbench.sweep import batches

    batches.start_workers(2)
    batches.await_started_workers()
    assert batches._STARTED == []
    batches.await_started_workers()  # twice does nothing
    executor, workers = _loky_workers()
    assert len(_rows(execute(plan_batches(specs, batch_size=7), "runner", jobs=2))) > 0
    assert _loky_workers() == (executor, workers)  # idle, and reused by the next pool


def test_one_worker_process_then_two_in_one_python_session(specs, monkeypatch):
    """A notebook may sweep with one worker process, then with two: the second pool must
    find joblib's shared executor as joblib left it (it failed with AttributeError)."""
    from xorbench.sweep import batches

    monkeypatch.setattr(batches, "IN_PROCESS_SECONDS", 0.0)  # one worker: a process
    plans = plan_batches(specs, batch_size=7)
    one = _rows(execute(plans, "runner", jobs=1))
    two = _rows(execute(plans, "runner", jobs=2))
    again = _rows(execute(plans, "runner", jobs=1))
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    pd.testing.assert_frame_equal(one, again, check_exact=True)


def test_unknown_backend_is_a_user_error(specs):
    with pytest.raises(XorbenchError, match="--backend 'spark': allowed: loky, threading, dask"):
        next(execute(plan_batches(specs), "runner", backend="spark"))


def test_a_worker_stores_its_shard_while_its_sweep_holds_the_lock(tmp_path, specs):
    plan = plan_batches(specs, batch_size=3)[0]
    folder = ResultsDir(tmp_path / "r")
    with folder.locked():
        mine = run_batch(plan, "runner", ShardTarget(str(folder.path), os.getpid()))
    assert mine.params is None and mine.shard_id in folder.shard_ids()
    assert mine.engine_seconds <= mine.seconds and mine.store_seconds > 0
    # the lock released (the sweep is gone): nothing is stored, the frames come back
    late = run_batch(plan, "runner", ShardTarget(str(folder.path), os.getpid()))
    assert late.shard_id is None and late.params is not None
    assert folder.shard_ids() == [mine.shard_id]
    kept = run_batch(plan, "runner")  # no target: the caller stores the frames
    assert kept.shard_id is None and kept.params is not None
    pd.testing.assert_frame_equal(kept.runs, mine.runs, check_exact=True)


def test_an_orphaned_worker_exits_without_training_or_storing(tmp_path, specs):
    """A loky worker outliving a kill -9 of its sweep must not write into the folder."""
    folder = tmp_path / "r"
    code = f"""
import os, sys
from xorbench.grid import expand, loads_grid
from xorbench.sweep.batches import ShardTarget, run_batch
from xorbench.sweep.plan import plan_batches
plan = plan_batches(expand(loads_grid({GRID!r})), batch_size=3)[0]
run_batch(plan, "runner", ShardTarget({str(folder)!r}, os.getppid()))  # its sweep: pytest
print("trained anyway")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert not folder.exists() or not ResultsDir(folder).shard_ids()


@pytest.mark.parametrize("background_rows", [0, 10**9])
def test_csv_formatted_in_the_background_is_the_same_text(specs, monkeypatch, background_rows):
    import xorbench.results.csvtext
    from xorbench.engine import textloops
    from xorbench.results.csvtext import csv_bytes_in_background, csv_text

    monkeypatch.setattr(xorbench.results.csvtext, "COLUMNAR_ROWS", 0)  # by columns too
    runs = _rows(execute(plan_batches(specs), "runner", jobs=1))
    monkeypatch.setattr(xorbench.results.csvtext, "BACKGROUND_ROWS", background_rows)
    with csv_bytes_in_background(runs, textloops) as data:
        assert bytes(data()) == csv_text(runs).encode()
    with csv_bytes_in_background(runs.head(0), textloops) as data:
        assert bytes(data()) == csv_text(runs.head(0)).encode()


def test_csv_background_failure_is_raised_in_the_caller(monkeypatch):
    import xorbench.results.csvtext
    from xorbench.results.csvtext import csv_bytes_in_background

    def broken(frame, loops):
        raise MemoryError("no room for the table")

    monkeypatch.setattr(xorbench.results.csvtext, "BACKGROUND_ROWS", 0)
    monkeypatch.setattr(xorbench.results.csvtext, "csv_bytes", broken)
    with pytest.raises(MemoryError, match="no room"), \
            csv_bytes_in_background(pd.DataFrame({"a": [1], "b": [2]})) as data:
        data()


def test_time_estimate_is_the_cost_at_the_measured_range_of_rates(specs):
    plans = plan_batches(specs)
    fast, slow = estimated_seconds(plans)
    cost = sum(estimated_cost(plan) for plan in plans)
    assert 0 < fast < slow
    assert (fast, slow) == (cost / COST_PER_SECOND_RANGE[1], cost / COST_PER_SECOND_RANGE[0])
    # twice the seeds (same configurations): longer, but less than twice as long, since
    # every update of a batch has a fixed cost whatever its size
    doubled = plan_batches([*specs, *(replace(s, seed=s.seed + 1000) for s in specs)])
    assert 1.0 < estimated_seconds(doubled)[1] / slow < 2.0


def test_builds_are_chosen_for_setups_trained_long_enough(monkeypatch):
    from xorbench.sweep import compiling

    grid = loads_grid("""
name = "builds"
[defaults]
seeds = 4
epochs = 100
[grid]
task = ["xor", "and"]
batch = ["full", "online"]
hidden = [[2], [16]]
""")
    plans = plan_batches(expand(grid))
    monkeypatch.setattr(compiling, "BUILD_WORTH_SECONDS", 0.0)
    monkeypatch.setattr(compiling, "BUILD_WORTH_SECONDS_PER_PATTERN", 0.0)
    chosen = compiling.setups_worth_building(plans)
    # small enough only (2-16-1 is not); xor and and share one build
    assert sorted((s.batch.name, s.hidden) for s in chosen) == [("full", (2,)), ("online", (2,))]
    assert compiling.setups_worth_building(plans[:0]) == []
    for batch, limit in (("full", "BUILD_WORTH_SECONDS"),
                         ("online", "BUILD_WORTH_SECONDS_PER_PATTERN")):
        spent = sum(estimated_seconds([p])[1] for p in plans
                    if p.setup.batch.name == batch and p.setup.hidden == (2,))
        monkeypatch.setattr(compiling, limit, spent * 1.01)
        assert batch not in {s.batch.name for s in compiling.setups_worth_building(plans)}
        monkeypatch.setattr(compiling, limit, spent * 0.99)  # the xor and and batches together
        assert batch in {s.batch.name for s in compiling.setups_worth_building(plans)}
    monkeypatch.setattr(compiling, "BUILD_WORTH_SECONDS", float("inf"))  # online alone
    assert len(compiling.setups_worth_building(plans)) == 1
    assert compiling.setups_worth_building(plans, n_workers=2) == []  # half as long each


def test_compiles_are_shared_between_this_process_and_one_beside_it():
    from xorbench.engine import builds, kernel_args
    from xorbench.sweep import compiling

    setups = [Setup.of(make_config(hidden=(h,))) for h in (2, 3, 4, 5)]
    kernel, build = kernel_args.COMPILE_SECONDS, builds.BUILD_SECONDS
    # one core: everything here (the draws still beside it)
    assert compiling._shares(1, True, setups, n_workers=1) == (setups, [])
    # the kernel here; each build beside it while that side has less to do: the two
    # sides end within one build of each other, every build on one side, in order
    here, aside = compiling._shares(1, False, setups, n_workers=2)
    assert aside[0] == setups[0] and sorted(here + aside, key=setups.index) == setups
    assert here == [s for s in setups if s in here] and aside == [s for s in setups if s in aside]
    assert abs((kernel + build * len(here)) - build * len(aside)) <= build
    # no kernel to compile: the builds alternate, the first here
    assert compiling._shares(0, False, setups[:2], n_workers=2) == ([setups[0]], [setups[1]])
    assert compiling._shares(0, False, [], n_workers=2) == ([], [])
    # two dtypes of one build (one source file) never compile in two processes at once
    doubles = [Setup.of(make_config(hidden=(2,), dtype=d)) for d in ("float64", "float32")]
    assert compiling._shares(0, False, doubles, n_workers=2) == (doubles, [])


def test_a_build_that_fails_is_said_and_left_out_of_the_compiled(monkeypatch):
    from xorbench.engine import builds, kernel_args
    from xorbench.sweep import compiling

    here, beside = (Setup.of(make_config(hidden=(h,))) for h in (2, 3))
    monkeypatch.setattr(kernel_args, "uncompiled", lambda dtypes: [])
    monkeypatch.setattr(kernel_args, "draws_uncompiled", lambda: False)
    monkeypatch.setattr(compiling, "setups_worth_building", lambda plans, n: [here, beside])
    monkeypatch.setattr(builds, "compiled", lambda s: False)

    def fails_here(setup, announce=None):
        announce(builds.announcement(setup))
        announce("/x cannot be written; the kernel trains it")
        return False

    monkeypatch.setattr(builds, "prepare", fails_here)

    class Beside:
        def __init__(self, draws, setups):
            assert list(setups) == [beside]

        def wait(self):
            return {}, {f"build {builds.describe(beside)}": "the build failed (TypeError); "
                                                             "the kernel trains it"}

    monkeypatch.setattr(compiling._Aside, "start", Beside)
    notes, started = [], []
    took = compiling.compile_first([], 2, notes.append, meanwhile=lambda: started.append(1))
    assert started == [1] and took == {}  # neither was compiled
    assert notes == [builds.announcement(beside), builds.announcement(here),
                     "/x cannot be written; the kernel trains it",
                     f"{builds.describe(beside)}: the build failed (TypeError); the kernel "
                     f"trains it"]


def test_what_compiles_beside_is_stopped_when_the_sweep_stops(monkeypatch):
    from xorbench.engine import builds, kernel_args
    from xorbench.sweep import compiling

    setup = Setup.of(make_config(hidden=(2,)))
    monkeypatch.setattr(kernel_args, "uncompiled", lambda dtypes: sorted(dtypes))
    monkeypatch.setattr(kernel_args, "draws_uncompiled", lambda: False)
    monkeypatch.setattr(compiling, "setups_worth_building", lambda plans, n: [setup])
    monkeypatch.setattr(builds, "compiled", lambda s: False)
    stopped = []

    class Beside:
        def __init__(self, draws, setups):
            pass

        def stop(self):
            stopped.append(1)

    monkeypatch.setattr(compiling._Aside, "start", Beside)

    def interrupted(dtype):
        raise KeyboardInterrupt

    monkeypatch.setattr(compiling, "compile_kernel", interrupted)
    plans = plan_batches(expand(loads_grid('name = "one"\n[grid]\nhidden = 2\n')))
    with pytest.raises(KeyboardInterrupt):
        compiling.compile_first(plans, 2)
    assert stopped == [1]


def test_a_ctrl_c_while_waiting_for_the_process_beside_does_not_wait_for_it():
    from xorbench.sweep import compiling

    shutdowns = []

    class Executor:
        def shutdown(self, wait, kill_workers):
            shutdowns.append((wait, kill_workers))

    class Interrupted:
        def result(self):
            raise KeyboardInterrupt

    aside = compiling._Aside(False, ())
    aside.executor, aside.future = Executor(), Interrupted()
    with pytest.raises(KeyboardInterrupt):
        aside.wait()
    assert shutdowns == []  # not waited for: compile_first's handler then kills it
    aside.stop()
    assert shutdowns == [(False, True)] and aside.executor is None


def test_a_process_beside_compiles_and_stops():
    from xorbench.sweep import compiling

    aside = compiling._Aside.start(False, [])
    assert aside is None  # nothing to compile: no process
    aside = compiling._Aside.start(True, [])  # the draws (compiled or loaded from the cache)
    took, failed = aside.wait()
    assert set(took) == {"draws"} and failed == {} and aside.executor is None
    aside = compiling._Aside.start(True, [])
    aside.stop()  # killed mid-way: nothing left running
    assert aside.executor is None


def test_the_draws_are_compiled_only_for_grids_that_draw_enough():
    """~4 s of compiling against NumPy's ~20 µs a network and ~20 ns a drawn pattern:
    the default grid's draws never pay for it; sampled epochs soon do."""
    from xorbench.bench import default_grid
    from xorbench.sweep.compiling import draws_worth_compiling

    assert not draws_worth_compiling(plan_batches(expand(default_grid())), n_workers=2)
    sampled = loads_grid("""
name = "sampled"
[defaults]
batch = "sampled(1000)"
epochs = 100
seeds = 100
""")  # 100 networks × 100 epochs × 1000 patterns = 10⁷ draws, ~0.2 s in NumPy
    plans = plan_batches(expand(sampled))
    assert not draws_worth_compiling(plans)
    longer = loads_grid("""
name = "sampled"
[defaults]
batch = "sampled(1000)"
epochs = 1000
seeds = 500
""")  # 5 · 10⁸ draws, ~10 s in NumPy
    assert draws_worth_compiling(plan_batches(expand(longer)), n_workers=2)
