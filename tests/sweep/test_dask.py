"""Sweeps on Dask: a LocalCluster, a real scheduler and workers on 127.0.0.1, faults.

Every sweep here is compared byte for byte with a loky sweep of the same grid.
The clusters are real processes (``dask scheduler``, ``dask worker``) on free
loopback ports, each started in its own session so a test can kill one worker
(nanny and worker process) and the fixtures can always clean up.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers.command import XORBENCH, xorbench_env
from xorbench.cli import app
from xorbench.errors import XorbenchError
from xorbench.grid import expand, load_grid, loads_grid
from xorbench.sweep import run_sweep
from xorbench.sweep.batches import BATCH_PAUSE_ENV
from xorbench.sweep.cluster import COST_PER_SECOND, DASK_TASK_SECONDS, dask_tasks
from xorbench.sweep.plan import BatchPlan, estimated_cost, plan_batches

pytestmark = pytest.mark.slow  # real processes or compiled builds

needs_distributed = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                       reason="dask[distributed] is not installed")
TABLES = ("runs.csv", "summary.csv", "curves.csv")
# 16 configurations × 30 seeds × 2 budgets = 960 runs in 4 engine setups: about 2 s
# of training on 2 cores in cache-sized batches, 5 s in batches of 20 networks
GRID = """
name = "dasky"
[defaults]
seeds = 30
[grid]
hidden = [[2], [3]]
activation = ["sigmoid", "tanh"]
init = ["xavier", "uniform(-1,1)"]
lr = [0.5, 2.0]
epochs = [100, 2000]
"""
SMALL_BATCHES = 20  # networks per batch in the fault tests: 24 batches


def table_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in TABLES}


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("grid") / "dasky.toml"
    path.write_text(GRID)
    return path


@pytest.fixture(scope="module")
def loky_tables(grid_file, tmp_path_factory) -> dict[str, bytes]:
    """What the grid gives with --backend loky."""
    out = tmp_path_factory.mktemp("loky") / "out"
    run_sweep(load_grid(grid_file), out, jobs=2, backend="loky")
    return table_bytes(out)


# --- a cluster of real processes on 127.0.0.1 ----------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen]  # `dask worker` processes (each a nanny and its worker)
    worker_addresses: list[str]  # the same workers' addresses, in the same order
    logs: Path

    def log(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                         for p in sorted(self.logs.glob("*.log")))


def _start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with open(log, "w") as out:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=xorbench_env(env))


def _stop(process: subprocess.Popen) -> None:
    """End a process we started and its children (its own session), however it is doing."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # leftovers of the group (a worker's child)
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@contextlib.contextmanager
def dask_cluster(logs: Path, n_workers: int = 2, batch_pause: float = 0.0):
    """`dask scheduler` and n single-thread `dask worker`s on free loopback ports; with
    ``batch_pause`` every batch the workers train waits that long (a test-only knob)."""
    import distributed

    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes: list[subprocess.Popen] = []
    try:
        processes.append(_start(["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                 "--no-dashboard", "--dashboard-address", "127.0.0.1:0"],
                                logs / "scheduler.log"))
        for i in range(n_workers):
            processes.append(_start(["worker", address, "--host", "127.0.0.1", "--nworkers", "1",
                                     "--nthreads", "1", "--no-dashboard",
                                     "--dashboard-address", "127.0.0.1:0"],
                                    logs / f"worker-{i}.log",
                                    {BATCH_PAUSE_ENV: str(batch_pause)} if batch_pause else None))
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(n_workers, timeout=60)
            session_of = {os.getsid(pid): worker for worker, pid in client.run(os.getpid).items()}
        workers = processes[1:]
        yield Cluster(address, processes[0], workers, [session_of[w.pid] for w in workers], logs)
    finally:
        for process in reversed(processes):
            _stop(process)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if importlib.util.find_spec("distributed") is None:
        pytest.skip("dask[distributed] is not installed")
    with dask_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


# --- results are the same bytes as loky's -----------------------------------------------


@needs_distributed
def test_a_local_cluster_writes_the_bytes_of_loky(grid_file, loky_tables, tmp_path):
    outcome = run_sweep(load_grid(grid_file), tmp_path / "out", jobs=2, backend="dask")
    assert outcome.n_trained == outcome.n_runs == 960
    assert table_bytes(tmp_path / "out") == loky_tables
    assert len(list((tmp_path / "out" / "shards").glob("runs-*.parquet"))) >= 4


@needs_distributed
def test_the_cli_against_a_scheduler_and_two_workers_matches_loky(cluster, grid_file,
                                                                  loky_tables, tmp_path):
    result = subprocess.run(
        [*XORBENCH, "sweep", str(grid_file), "--backend", "dask", "--scheduler", cluster.address,
         "--out", str(tmp_path / "out"), "--quiet", "--no-plots"],
        capture_output=True, text=True, timeout=120, env=xorbench_env())
    assert result.returncode == 0, result.stderr + cluster.log()
    assert result.stderr == ""  # quiet: no log lines from distributed
    assert "960 runs trained" in result.stdout
    assert table_bytes(tmp_path / "out") == loky_tables
    assert all(w.poll() is None for w in cluster.workers)  # the cluster outlives the sweep


# --- faults -------------------------------------------------------------------------


@needs_distributed
def test_a_worker_killed_mid_sweep_is_replaced_and_nothing_changes(grid_file, loky_tables,
                                                                   tmp_path):
    import distributed

    # batches that last ≥ 0.3 s: whenever one finishes, the victim is mid-task
    with dask_cluster(tmp_path / "cluster", batch_pause=0.3) as running, distributed.Client(
            running.address, set_as_default=False) as monitor:
        victim, address = running.workers[0], running.worker_addresses[0]
        lost: list = []  # what the victim was training when it was killed
        seen: list[int] = []

        def progress(done: int, total: int) -> None:
            seen.append(done)
            if 0 < done < total and victim.poll() is None:
                training = monitor.processing(workers=[address])[address]
                if training:  # kill it in the middle of a task
                    os.killpg(victim.pid, signal.SIGKILL)  # the nanny and its worker process
                    victim.wait(timeout=10)
                    lost.extend(training)
                    seen.append(-1)

        outcome = run_sweep(load_grid(grid_file), tmp_path / "out", backend="dask",
                            scheduler=running.address, batch_size=SMALL_BATCHES,
                            progress=progress)
        assert victim.returncode == -signal.SIGKILL and lost, seen
        killed_at = seen.index(-1)
        assert 0 < seen[killed_at - 1] < 960 and seen[-1] == 960, seen  # killed mid-sweep
        assert running.workers[1].poll() is None
        assert list(monitor.nthreads()) == [running.worker_addresses[1]]
    assert outcome.n_trained == 960
    assert table_bytes(tmp_path / "out") == loky_tables


@needs_distributed
def test_a_lost_scheduler_is_one_line_and_the_rerun_resumes(grid_file, loky_tables,
                                                            tmp_path):
    out = tmp_path / "out"
    # batches that last ≥ 0.3 s: the sweep is still running when the scheduler stops,
    # however fast the engine (24 batches on 2 workers take ≥ 3.6 s)
    with dask_cluster(tmp_path / "cluster", batch_pause=0.3) as running:
        sweep = subprocess.Popen(
            [*XORBENCH, "sweep", str(grid_file), "--backend", "dask", "--scheduler",
             running.address, "--out", str(out), "--quiet", "--no-plots",
             "--batch-size", str(SMALL_BATCHES)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=xorbench_env())
        try:
            deadline = time.monotonic() + 60
            while not list(out.glob("shards/runs-*.parquet")) and sweep.poll() is None:
                assert time.monotonic() < deadline, running.log()
                time.sleep(0.05)
            _stop(running.scheduler)
            stdout, stderr = sweep.communicate(timeout=60)
        finally:
            _stop(sweep)
    assert sweep.returncode == 1, stdout + stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert "lost the connection to the scheduler" in stderr and "rerun" in stderr
    saved = len(list(out.glob("shards/runs-*.parquet")))
    assert saved >= 1

    outcome = run_sweep(load_grid(grid_file), out, jobs=2)  # the rerun, on any backend
    assert outcome.n_reused > 0 and outcome.n_reused + outcome.n_trained == 960
    assert table_bytes(out) == loky_tables


def test_without_distributed_the_error_names_the_extra(grid_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    with pytest.raises(XorbenchError, match=r"pip install 'xorbench\[dask\]'"):
        run_sweep(load_grid(grid_file), tmp_path / "api", backend="dask")
    result = CliRunner().invoke(app, ["sweep", str(grid_file), "--backend", "dask",
                                      "--out", str(tmp_path / "cli"), "--quiet", "--no-plots"])
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "xorbench[dask]" in result.output


@needs_distributed
def test_an_unreachable_scheduler_fails_in_bounded_time(grid_file, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"  # nobody listens there
    start = time.monotonic()
    result = subprocess.run(
        [*XORBENCH, "sweep", str(grid_file), "--backend", "dask", "--scheduler", address,
         "--out", str(tmp_path / "out"), "--quiet", "--no-plots"],
        capture_output=True, text=True, timeout=60, env=xorbench_env())
    assert time.monotonic() - start < 30
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"--scheduler {address}: no Dask scheduler answered within 5 s" in result.stderr


@needs_distributed
def test_a_malformed_scheduler_address_is_one_line(grid_file, tmp_path):
    result = CliRunner().invoke(app, ["sweep", str(grid_file), "--backend", "dask",
                                      "--scheduler", "host-without-port", "--out",
                                      str(tmp_path / "out"), "--quiet", "--no-plots"])
    assert result.exit_code == 1
    assert "not a scheduler address like tcp://HOST:8786" in result.output


def test_a_scheduler_without_the_dask_backend_is_refused(grid_file, tmp_path):
    result = CliRunner().invoke(app, ["sweep", str(grid_file), "--scheduler",
                                      "tcp://127.0.0.1:8786", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "--scheduler tcp://127.0.0.1:8786: needs --backend dask" in result.output
    assert not (tmp_path / "out").exists()


# --- tasks for a cluster --------------------------------------------------------------


def _networks(tasks: list[list[BatchPlan]]) -> Counter:
    return Counter((plan.setup, plan.budgets, member) for task in tasks for plan in task
                   for member in plan.members)


def test_tasks_split_for_many_threads_and_bundle_small_batches(grid_file):
    # 4 batches of 1200 networks, each over DASK_TASK_SECONDS by the planner's estimate
    long_grid = GRID.replace("seeds = 30", "seeds = 300").replace("[100, 2000]", "[100, 5000]")
    wide = plan_batches(expand(loads_grid(long_grid)), n_workers=2)
    assert all(estimated_cost(plan) / COST_PER_SECOND >= DASK_TASK_SECONDS for plan in wide)
    assert [len(plan.members) for plan in wide] == [1200] * 4
    # 2 threads: batches that long are tasks as they are
    assert dask_tasks(wide, 2) == [[plan] for plan in wide]
    # 64 threads: halves of halves, every network once, none below the fixed-cost floor
    many = dask_tasks(wide, 64)
    assert sorted(len(plan.members) for task in many for plan in task) == [300] * 16
    assert _networks(many) == _networks([wide])
    # small batches are bundled into longer tasks, never split, in longest-first order
    small = plan_batches(expand(load_grid(grid_file)), n_workers=2, batch_size=SMALL_BATCHES)
    bundled = dask_tasks(small, 2)
    assert 1 < len(bundled) < len(small)
    assert [plan for task in bundled for plan in task] == small
