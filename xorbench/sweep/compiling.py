"""What is compiled before the workers start: the training loop, the draws, builds worth it.

The kernel compiles once per machine and dtype (numba caches it on disk); a sweep that
finds it missing compiles it here, in its own process, before any worker starts, so
that the workers load it instead of each compiling it at once. A build
(:mod:`xorbench.engine.builds`) compiles once per machine and then trains its setup's
epochs faster than the kernel; a sweep compiles one for each setup it trains long
enough to pay for it. What compiles beside the kernel — NumPy's draws in compiled
code, and builds when the sweep has more than one core — compiles in a process of its
own on another core, so that two compiles take about as long as the longer, and
meanwhile the workers start (:func:`~xorbench.sweep.batches.start_workers`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from xorbench.config import Setup, updates_per_epoch
from xorbench.engine import builds, kernel_args, pcg64
from xorbench.engine.batch import compile_kernel
from xorbench.engine.build_source import spec_for
from xorbench.parallel import children_ignore_sigint
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
    """Compile what ``plans`` need and this machine lacks: the kernel for each dtype, the
    draws and the builds worth compiling; each said to ``inform`` first and shown as a
    ``stage`` while it compiles. ``meanwhile`` is called first if anything is to compile
    (the sweep starts its workers then). Returns the seconds each took (kernel float64,
    draws, build 2-2-1 …)."""
    dtypes = kernel_args.uncompiled({plan.setup.dtype.label for plan in plans})
    draws = kernel_args.draws_uncompiled() and draws_worth_compiling(plans, n_workers)
    to_build = [setup for setup in setups_worth_building(plans, n_workers)
                if not builds.compiled(setup)]
    if meanwhile is not None and (dtypes or draws or to_build):
        meanwhile()
    here, aside = _shares(len(dtypes), draws, to_build, n_workers)
    if inform is not None:
        for setup in aside:
            inform(builds.announcement(setup))
    beside = _Aside.start(draws, aside)
    try:
        took: dict[str, float] = {}
        for dtype in dtypes:
            what = f"the training loop for {dtype}"
            if inform is not None:
                inform(f"compiling {what} first (numba, about {kernel_args.COMPILE_SECONDS} "
                       f"s, once: later runs load it from its cache)")
            took[f"kernel {dtype}"] = _staged(stage, f"compiling {what}", lambda d=dtype:
                                              compile_kernel(d))
        for setup in here:
            made: list[bool] = []
            seconds = _staged(stage, f"building a training loop for {setup.arch}",
                              lambda s=setup, made=made: made.append(
                                  builds.prepare(s, announce=inform)))
            if made[0]:
                took[f"build {builds.describe(setup)}"] = seconds
        if beside is not None:
            done: list[Compiled] = []
            _staged(stage, _aside_text(draws, aside), lambda: done.append(beside.wait()))
            compiled, failed = done[0]
            took.update(compiled)
            if inform is not None:
                for what, why in failed.items():
                    inform(f"{what.removeprefix('build ')}: {why}")
    except BaseException:
        if beside is not None:
            beside.stop()
        raise
    return {k: round(v, 3) for k, v in took.items()}


# Compiling NumPy's draws in a fresh process, on this project's 2-vCPU EPYC.
DRAWS_COMPILE_SECONDS = 4


def _shares(n_kernels: int, draws: bool, to_build: Sequence[Setup],
            n_workers: int) -> tuple[list[Setup], list[Setup]]:
    """The builds compiled in this process, and those in a process beside it: the draws
    always go beside the kernel (to another core), and with more than one worker (cores
    the sweep will use anyway) each build to whichever side has less to compile so far.
    Setups of one build (dtypes of one spec: one source file, whose numba cache two
    processes must not write at once) go to one side."""
    seconds = {"here": n_kernels * kernel_args.COMPILE_SECONDS,
               "aside": DRAWS_COMPILE_SECONDS if draws else 0}
    sides: dict[str, list[Setup]] = {"here": [], "aside": []}
    side_of_spec: dict = {}
    for setup in to_build:
        spec = spec_for(setup)
        if spec not in side_of_spec:
            side_of_spec[spec] = ("aside" if n_workers > 1 and seconds["aside"] < seconds["here"]
                                  else "here")
        side = side_of_spec[spec]
        sides[side].append(setup)
        seconds[side] += builds.BUILD_SECONDS
    return sides["here"], sides["aside"]


def _aside_text(draws: bool, setups: Sequence[Setup]) -> str:
    """The stage shown while this process waits for the one beside it."""
    parts = []
    if setups:
        loops = "a training loop" if len(setups) == 1 else "training loops"
        parts.append(f"building {loops} for {', '.join(s.arch for s in setups)}")
    if draws:
        parts.append("compiling the random draws")
    return " and ".join(parts)


Compiled = tuple[dict[str, float], dict[str, str]]  # seconds of each; why each failed


class _Aside:
    """The process that compiles beside this one: loky's (which, unlike multiprocessing's
    spawn, does not run the user's script again), ignoring Ctrl-C as the workers do;
    stopped, its compile is abandoned."""

    def __init__(self, draws: bool, setups: tuple[Setup, ...]) -> None:
        self.draws, self.setups = draws, setups
        self.executor: Any = None  # loky's ProcessPoolExecutor, while it runs
        self.future: Future | None = None

    @classmethod
    def start(cls, draws: bool, setups: Sequence[Setup]) -> _Aside | None:
        """Start compiling the draws (if ``draws``) and the builds of ``setups`` in a new
        process; None if there is nothing to compile."""
        if not draws and not setups:
            return None
        from joblib.externals.loky import ProcessPoolExecutor

        aside = cls(draws, tuple(setups))
        try:
            with children_ignore_sigint():
                aside.executor = ProcessPoolExecutor(1)
                aside.future = aside.executor.submit(compile_aside, draws, aside.setups)
        except Exception:  # no process to spare: compiled here when waited for
            aside.stop()
        return aside

    def wait(self) -> Compiled:
        """What was compiled beside this process, once it is (compiled here instead if
        that process could not run or failed)."""
        if self.future is None:
            return compile_aside(self.draws, self.setups)
        try:
            compiled = self.future.result()
        except Exception:  # the process failed: compile them here
            self.stop()
            return compile_aside(self.draws, self.setups)
        self.stop(kill=False)  # done: it exits (a Ctrl-C while waiting kills it instead)
        return compiled

    def stop(self, kill: bool = True) -> None:
        """Shut the process down; ``kill`` it mid-compile (the sweep stops)."""
        if self.executor is not None:
            self.executor.shutdown(wait=not kill, kill_workers=kill)
            self.executor = None


def compile_aside(draws: bool, setups: Sequence[Setup]) -> Compiled:
    """What the process aside compiles (it finds this function by name): the draws, then
    each build. The seconds each took, and for each build that failed why (the kernel
    then trains its setup)."""
    took: dict[str, float] = {}
    failed: dict[str, str] = {}
    if draws:
        took["draws"] = pcg64.compile_draws()
    for setup in setups:
        notes: list[str] = []
        start = time.perf_counter()
        what = f"build {builds.describe(setup)}"
        if builds.prepare(setup, announce=notes.append):
            took[what] = time.perf_counter() - start
        else:  # its last note says why (the first announced it)
            failed[what] = notes[-1] if len(notes) > 1 else "the build failed; the kernel trains it"
    return took, failed


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
