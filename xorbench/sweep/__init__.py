"""A whole sweep: plan the batches, run them (loky, threads, Dask), store, resume, tabulate.

What lives here: batches sized for cache and memory, and how many workers fit
(:mod:`~xorbench.sweep.plan`); what a sweep will cost and the guard that asks for
``--yes`` (:mod:`~xorbench.sweep.cost`); running batches on this machine
(:mod:`~xorbench.sweep.batches`) or a Dask cluster (:mod:`~xorbench.sweep.cluster`);
rebuilding the tables (:mod:`~xorbench.sweep.tables`); and :func:`run_sweep`, an
outline of named steps (:mod:`~xorbench.sweep.run`).

Above the engine, the results folder and analysis; below plots, the report and the
CLI, which it never imports: a sweep's report is drawn by its caller.
"""

from __future__ import annotations

import importlib

# name → the module that defines it (loaded on first use: the cost model and the guard,
# which ``xorbench grid`` reads, load neither the engine's kernel nor joblib)
_NAMES = {
    "SweepInterrupted": "outcome", "SweepOutcome": "outcome", "default_out": "run",
    "execute": "execute", "grid_hash": "run", "run_sweep": "run", "write_tables": "tables",
}

__all__ = list(_NAMES)


def __getattr__(name: str):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'xorbench.sweep' has no attribute {name!r}")
    return getattr(importlib.import_module(f"xorbench.sweep.{module}"), name)
