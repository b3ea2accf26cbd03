"""Batches on a Dask cluster: the scheduler, its workers, and tasks sized for them.

``xorbench sweep --backend dask`` trains the planner's batches through joblib's
dask backend, on a LocalCluster of this machine's cores or on the workers of a
running scheduler (``--scheduler tcp://HOST:8786``). Workers must run the same
xorbench, NumPy and engine numerics, or the numbers could differ; batches are
regrouped into tasks long enough that scheduling costs little (:func:`dask_tasks`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from xorbench.errors import XorbenchError
from xorbench.parallel import children_ignore_sigint, drain
from xorbench.sweep.batches import BatchOutput, run_batch
from xorbench.sweep.cost import COST_PER_SECOND_RANGE, estimated_cost
from xorbench.sweep.plan import FIXED_COST_NETWORKS, BatchPlan


def execute_dask(plans: Sequence[BatchPlan], sweep: str, jobs: int,
                 scheduler: str | None) -> Iterator[BatchOutput]:
    """Run batches on a Dask cluster through joblib's dask backend, outputs as they finish.

    ``scheduler`` is a running scheduler's address; without one, a LocalCluster
    of ``jobs`` single-threaded worker processes on 127.0.0.1 is started for the
    sweep and stopped after it. Workers receive the BatchPlans (setup, members,
    budgets: tens of kB, no data) and send back each batch's frames, which the
    caller stores. Batches are regrouped into tasks of half a second or more
    (:func:`dask_tasks`); a task lost with its worker is rerun by the scheduler
    on another worker, with the same numbers.
    """
    try:
        import distributed
    except ImportError:
        raise XorbenchError("--backend dask needs dask's distributed scheduler, which is not "
                            "installed: pip install 'xorbench[dask]'") from None
    import joblib

    with contextlib.ExitStack() as stack:
        _quiet_dask_logs(stack)
        client = _dask_client(distributed, jobs, scheduler, stack)
        tasks = dask_tasks(plans, sum(client.nthreads().values()))
        # the config only picks the backend when Parallel is made; it is not left
        # on while the caller handles the outputs
        with joblib.parallel_config(backend="dask", client=client):
            parallel = joblib.Parallel(n_jobs=-1, batch_size=1, return_as="generator_unordered")
            outputs = stack.enter_context(contextlib.closing(
                drain(parallel(joblib.delayed(_run_task)(task, sweep) for task in tasks))))
        try:
            for task_outputs in outputs:
                yield from task_outputs
        except _lost_scheduler_errors(distributed) as e:
            if scheduler is None or client.status == "running":
                raise
            raise _lost_scheduler(scheduler, e) from None


# Dask: each task should train for at least half a second. The scheduler spends
# about a millisecond per task and a result's round trip on a LAN a few more, so
# such a task loses about 1 % to scheduling; longer tasks would leave workers idle
# at the end of a sweep and lose more work when a worker dies.
DASK_TASK_SECONDS = 0.5
# estimated_cost units trained per second on one core: the slow end of the measured
# range (small batches, down to 3e6 for 20 networks, train slower still): bundles of
# small batches train longer than estimated, rarely much shorter.
COST_PER_SECOND = COST_PER_SECOND_RANGE[0]
DASK_CONNECT_TIMEOUT = 5  # seconds for a scheduler to answer
DASK_WORKERS_TIMEOUT = 30  # seconds to wait for a scheduler's first worker


def _run_task(plans: Sequence[BatchPlan], sweep: str) -> list[BatchOutput]:
    """One Dask task: a few batches, trained one after the other on a worker."""
    return [run_batch(plan, sweep) for plan in plans]


def dask_tasks(plans: Sequence[BatchPlan], n_threads: int,
               task_seconds: float = DASK_TASK_SECONDS) -> list[list[BatchPlan]]:
    """Regroup batches into Dask tasks that train for at least ``task_seconds`` each.

    plan_batches sizes batches for the cache and for this machine's cores. On a
    cluster with more threads, batches are split in halves (networks train
    independently: the numbers do not change) until every thread has about two
    tasks, as long as the halves keep ``task_seconds`` and FIXED_COST_NETWORKS
    networks. Batches shorter than ``task_seconds`` are bundled with their
    neighbours in cost order until a bundle reaches it; when the whole sweep is
    short the target shrinks so that every thread still gets two tasks. Tasks
    keep the longest-first order.
    """
    import heapq

    def seconds(plan: BatchPlan) -> float:
        return estimated_cost(plan) / COST_PER_SECOND

    want = 2 * max(1, n_threads)
    total = sum(seconds(plan) for plan in plans)
    target = min(task_seconds, total / want)
    # (−seconds, first-seen order, plan): the longest first, ties in plan order
    heap = [(-seconds(plan), i, plan) for i, plan in enumerate(plans)]
    heapq.heapify(heap)
    count = len(heap)
    while (len(heap) < want and -heap[0][0] >= 2 * target
           and len(heap[0][2].members) >= 2 * FIXED_COST_NETWORKS):
        _, _, plan = heapq.heappop(heap)
        half = (len(plan.members) + 1) // 2
        for members in (plan.members[:half], plan.members[half:]):
            piece = BatchPlan(plan.setup, plan.budgets, members)
            heapq.heappush(heap, (-seconds(piece), count, piece))
            count += 1
    tasks: list[list[BatchPlan]] = []
    bundle: list[BatchPlan] = []
    bundle_seconds = 0.0
    for negative_seconds, _, plan in sorted(heap):
        bundle.append(plan)
        bundle_seconds -= negative_seconds
        if bundle_seconds >= target:
            tasks.append(bundle)
            bundle, bundle_seconds = [], 0.0
    if bundle:
        tasks.append(bundle)
    return tasks


def _dask_client(distributed, jobs: int, scheduler: str | None, stack):
    """A Client of ``scheduler``, or of a new LocalCluster; ``stack`` closes them."""
    import logging

    if scheduler is None:
        import multiprocessing

        import dask

        # forkserver: workers are forked from a clean process that has imported
        # distributed, NumPy and pandas once, instead of each starting Python anew
        method = ("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                  else dask.config.get("distributed.worker.multiprocessing-method"))
        try:
            with children_ignore_sigint(), dask.config.set(
                    {"distributed.worker.multiprocessing-method": method}):
                cluster = distributed.LocalCluster(
                    n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=logging.ERROR,
                    # no dashboard, and its health page on a free loopback port, not 8787
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
        except RuntimeError as e:
            raise XorbenchError(
                f"--backend dask: could not start a local Dask cluster ({e}); from a script, "
                "call run_sweep under `if __name__ == '__main__':`") from None
        stack.callback(cluster.close)
        client = distributed.Client(cluster, set_as_default=False)
        stack.callback(client.close)
        return client
    try:  # before Client(), which leaves a half-made client behind on a bad address
        distributed.comm.get_address_host_port(scheduler)
    except ValueError as e:
        raise XorbenchError(f"--scheduler {scheduler}: not a scheduler address like "
                            f"tcp://HOST:8786 ({e})") from None
    try:
        client = distributed.Client(scheduler, timeout=DASK_CONNECT_TIMEOUT,
                                    set_as_default=False)
    except (OSError, ValueError, TypeError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise XorbenchError(f"--scheduler {scheduler}: no Dask scheduler answered within "
                            f"{DASK_CONNECT_TIMEOUT} s ({reason})") from None
    stack.callback(client.close)
    try:
        client.wait_for_workers(1, timeout=DASK_WORKERS_TIMEOUT)
    except TimeoutError:
        raise XorbenchError(f"--scheduler {scheduler}: the scheduler has no workers (waited "
                            f"{DASK_WORKERS_TIMEOUT} s); start some with: dask worker "
                            f"{scheduler}") from None
    except OSError as e:
        raise _lost_scheduler(scheduler, e) from None
    _check_worker_versions(client, scheduler)
    return client


def _worker_versions() -> dict[str, str]:
    from importlib.metadata import version

    from xorbench.engine import ENGINE_NUMERICS

    versions = {package: version(package) for package in ("xorbench", "numpy", "numba")}
    return {**versions, "engine numerics": str(ENGINE_NUMERICS)}


def _check_worker_versions(client, scheduler: str) -> None:
    """Workers must train with this xorbench, NumPy and numba, or the numbers could differ."""
    here = _worker_versions()
    try:
        theirs = client.run(_worker_versions)
    except Exception as e:  # e.g. xorbench is not installed on a worker
        raise XorbenchError(f"--scheduler {scheduler}: a worker cannot run xorbench "
                            f"({type(e).__name__}: {e}); install the same xorbench on every "
                            "worker") from None
    for worker, versions in sorted(theirs.items()):
        if versions != here:
            raise XorbenchError(f"--scheduler {scheduler}: worker {worker} has "
                                f"{_describe(versions)}, this machine {_describe(here)}; "
                                "install the same versions on every worker")


def _describe(versions: dict[str, str]) -> str:
    return ", ".join(f"{package} {v}" for package, v in versions.items())


def _lost_scheduler(scheduler: str, e: BaseException) -> XorbenchError:
    return XorbenchError(f"--scheduler {scheduler}: lost the connection to the scheduler "
                         f"({type(e).__name__}); finished batches are saved, rerun the sweep "
                         "to resume")


def _lost_scheduler_errors(distributed) -> tuple[type[BaseException], ...]:
    import concurrent.futures

    return (OSError, concurrent.futures.CancelledError, distributed.client.FutureCancelledError)


def _quiet_dask_logs(stack) -> None:
    """Silence distributed's logging in this process while the sweep runs.

    Its INFO and WARNING lines (and the ERROR tracebacks it logs while a lost
    connection is closed) would scroll through the progress bar; what goes wrong
    reaches the sweep as an exception instead.
    """
    import logging

    names = ["distributed", "tornado", *(name for name in logging.root.manager.loggerDict
                                         if name.startswith(("distributed.", "tornado.")))]
    for name in names:
        logger = logging.getLogger(name)
        if logger.level < logging.CRITICAL:
            stack.callback(logger.setLevel, logger.level)
            logger.setLevel(logging.CRITICAL)
