"""Where batches run: on this machine (loky processes, threads) or on a Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from xorbench.parallel import default_jobs
from xorbench.sweep.batches import BatchOutput, ShardTarget, check_backend, execute_local
from xorbench.sweep.plan import BatchPlan


def execute(plans: Sequence[BatchPlan], sweep: str, jobs: int | None = None,
            backend: str = "loky", scheduler: str | None = None,
            target: ShardTarget | None = None) -> Iterator[BatchOutput]:
    """Run batches in parallel, yielding each batch's output as soon as it is done: on
    this machine (:func:`~xorbench.sweep.batches.execute_local`, whose workers store
    their shards given a ``target``) or on a Dask cluster
    (:func:`~xorbench.sweep.cluster.execute_dask`, whose outputs the caller stores).
    Closing the generator early cancels the batches in flight."""
    check_backend(backend)
    if backend == "dask":
        from xorbench.sweep.cluster import execute_dask

        yield from execute_dask(plans, sweep, jobs or default_jobs(), scheduler)
        return
    yield from execute_local(plans, sweep, jobs, backend, target)
