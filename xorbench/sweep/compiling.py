"""What is compiled before the workers start: builds worth their compile time.

A build (:mod:`xorbench.engine.builds`) compiles once per machine and then trains its
setup's full-batch epochs faster than the kernel; a sweep compiles one, in its own
process, for each setup it trains long enough to pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from xorbench.config import Setup
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


def setups_worth_building(plans: Sequence[BatchPlan], n_workers: int = 1) -> list[Setup]:
    """One setup for each build that ``plans`` train long enough with, on ``n_workers``
    workers, to be worth compiling (setups that differ only in their task's targets
    share a build)."""
    seconds: dict[tuple, float] = {}
    first: dict[tuple, Setup] = {}
    for plan in plans:
        spec = spec_for(plan.setup)
        if spec is not None:
            key = (spec, plan.setup.dtype)
            first.setdefault(key, plan.setup)
            seconds[key] = seconds.get(key, 0.0) + estimated_seconds([plan])[1]
    return [first[key] for key, spent in seconds.items()
            if spent >= BUILD_WORTH_SECONDS * n_workers]
