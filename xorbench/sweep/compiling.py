"""What is compiled before the workers start: the training loop, and builds worth it.

The kernel compiles once per machine and dtype (numba caches it on disk); a sweep that
finds it missing compiles it here, in its own process, before any worker starts, so
that the workers load it instead of each compiling it at once. A build
(:mod:`xorbench.engine.builds`) compiles once per machine and then trains its setup's
epochs faster than the kernel; a sweep compiles one, here too, for each setup it
trains long enough to pay for it.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from xorbench.config import Setup, updates_per_epoch
from xorbench.engine import builds, kernel_args, pcg64
from xorbench.engine.batch import compile_kernel
from xorbench.engine.build_source import spec_for
from xorbench.sweep.cost import estimated_seconds
from xorbench.sweep.plan import BatchPlan

# A build (xorbench.engine.builds) compiles once per machine, for about builds.BUILD_SECONDS
# before the workers start, and then trains its setup's full-batch epochs 1.6–2×
# faster than the kernel, saving about 40 % of that training's wall time: a sweep
# builds one for a setup it trains for at least this long per worker (one core's
# time, the estimate's slow end), where the first sweep about pays for the
# compilation and later ones gain all of it.
BUILD_WORTH_SECONDS = 30.0
# A build of online / sampled / cyclic updates trains them 1.7–2.5× faster than the
# kernel (measured on this project's 2-vCPU EPYC), saving 40–60 % of their time, and
# compiles in 5–13 s: worth it from this long per worker, where the first sweep pays
# back about half of the compilation (the estimate's slow end runs ~1.5× short on
# slower machines, which then gain more) and every later one gains all of it.
BUILD_WORTH_SECONDS_PER_PATTERN = 8.0


def setups_worth_building(plans: Sequence[BatchPlan], n_workers: int = 1) -> list[Setup]:
    """One setup for each build that ``plans`` train long enough with, on ``n_workers``
    workers, to be worth compiling (setups that differ only in their task's targets
    share a build, and so do online, sampled and cyclic ones, and mse and sse)."""
    seconds: dict[tuple, float] = {}
    first: dict[tuple, Setup] = {}
    for plan in plans:
        spec = spec_for(plan.setup)
        if spec is not None:
            key = (spec, plan.setup.dtype)
            first.setdefault(key, plan.setup)
            seconds[key] = seconds.get(key, 0.0) + estimated_seconds([plan])[1]
    return [first[key] for key, spent in seconds.items()
            if spent >= n_workers * (BUILD_WORTH_SECONDS_PER_PATTERN if key[0].per_pattern
                                     else BUILD_WORTH_SECONDS)]


# NumPy's draws, measured on this project's 2-vCPU EPYC: ~20 µs to seed a network's
# init stream and draw its initial weights, ~20 ns a drawn pattern of an online or
# sampled epoch; compiled (pcg64) they cost ~1.3 µs and ~4 ns, after ~4 s of
# compiling (in a fresh process, on the other core). A sweep compiles them when
# NumPy would spend at least this long on its draws (a worker's share): the first
# run about pays for them, and the default grid (~0.1 s of draws) never does.
DRAWS_WORTH_SECONDS = 4.0
NUMPY_SEED_SECONDS, NUMPY_PATTERN_SECONDS = 20e-6, 20e-9


def draws_worth_compiling(plans: Sequence[BatchPlan], n_workers: int = 1) -> bool:
    """Whether NumPy would spend :data:`DRAWS_WORTH_SECONDS` per worker on the draws of
    ``plans``: each network's seeding, and each pattern of its online or sampled epochs."""
    seconds = 0.0
    for plan in plans:
        n_networks = len(plan.members)
        seconds += n_networks * NUMPY_SEED_SECONDS
        if plan.setup.batch.name in ("online", "sampled"):  # cyclic epochs draw nothing
            per_epoch = updates_per_epoch(plan.setup.batch, 2 ** plan.setup.widths[0])
            seconds += n_networks * plan.budgets[-1] * per_epoch * NUMPY_PATTERN_SECONDS
    return seconds >= DRAWS_WORTH_SECONDS * n_workers


Say = Callable[[str], None]  # a note for the user
Stage = Callable[[str | None], None]  # a long step begins (its text) or ends (None)


def compile_first(plans: Sequence[BatchPlan], n_workers: int, inform: Say | None = None,
                  stage: Stage | None = None,
                  meanwhile: Callable[[], None] | None = None) -> dict[str, float]:
    """Compile what ``plans`` need and this machine lacks: the kernel for each dtype, then
    the builds worth compiling; each said to ``inform`` first and shown as a ``stage``
    while it compiles. ``meanwhile`` is called first if anything is to compile (the
    sweep starts its workers then). Returns the seconds each took (kernel-float64,
    build 2-2-1 …)."""
    took: dict[str, float] = {}
    dtypes = kernel_args.uncompiled({plan.setup.dtype.label for plan in plans})
    draws = kernel_args.draws_uncompiled() and draws_worth_compiling(plans, n_workers)
    to_build = [setup for setup in setups_worth_building(plans, n_workers)
                if not builds.compiled(setup)]
    if meanwhile is not None and (dtypes or draws or to_build):
        meanwhile()
    # NumPy's draws in compiled code (pcg64), when worth it, beside the kernel in a
    # process of their own on another core: the workers then load both
    aside = _draws_aside() if draws else None
    for dtype in dtypes:
        what = f"the training loop for {dtype}"
        if inform is not None:
            inform(f"compiling {what} first (numba, about {kernel_args.COMPILE_SECONDS} s, "
                   f"once: later runs load it from its cache)")
        took[f"kernel {dtype}"] = _staged(stage, f"compiling {what}", lambda d=dtype:
                                          compile_kernel(d))
    if aside is not None:
        took["draws"] = _staged(stage, "compiling the random draws", aside)
    for setup in to_build:
        took[f"build {builds.describe(setup)}"] = _staged(
            stage, f"building a training loop for {setup.arch}",
            lambda s=setup: builds.prepare(s, announce=inform))
    return {k: round(v, 3) for k, v in took.items()}


def _draws_aside() -> Callable[[], object]:
    """Start compiling the draws in a new process; what waits for it to finish (or, if
    it could not run, compiles them here)."""
    try:
        executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        future = executor.submit(_compile_draws)
    except Exception:  # no process to spare: compiled here when waited for
        return _compile_draws

    def wait() -> None:
        try:
            future.result()
        except Exception:  # the process failed: compile them here
            pcg64.compile_draws()
        finally:
            executor.shutdown()

    return wait


def _compile_draws() -> float:
    """pcg64.compile_draws, as the process aside calls it (found by name there)."""
    return pcg64.compile_draws()


def _staged(stage: Stage | None, text: str, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    if stage is not None:
        stage(text)
    try:
        work()
    finally:
        if stage is not None:
            stage(None)
    return time.perf_counter() - start
