"""The batched training engine: N small networks of one setup trained at once.

What lives here, in the order a batch meets it: the θ layout of N stacked networks
(:mod:`~xorbench.engine.layout`), each run's random streams
(:mod:`~xorbench.engine.streams`), the compiled epoch loop — the only numba code,
one file (:mod:`~xorbench.engine.kernel`) — and the integer codes and constants it
takes (:mod:`~xorbench.engine.kernel_args`), builds for full-batch setups
(:mod:`~xorbench.engine.build_source` writes one's source, :mod:`~xorbench.engine.builds`
compiles and finds them), training a batch from budget to budget
(:mod:`~xorbench.engine.batch`), naming how each run ended
(:mod:`~xorbench.engine.diagnose`), the batch as tidy frames
(:mod:`~xorbench.engine.frames`), memory estimates (:mod:`~xorbench.engine.memory`)
and the one-configuration experiment ``train`` (:mod:`~xorbench.engine.trial`). Beside
the kernel, not inside it: the plain NumPy loop that trains the hand-written bugs
(:mod:`~xorbench.engine.plain`, its updates in :mod:`~xorbench.engine.backprop`), and
which of the two trains a batch (:mod:`~xorbench.engine.route`).

The engine knows nothing of TOML, files or joblib; it is the only package that
imports numba. A new activation's or optimizer's arithmetic goes into the kernel
(and its code into :mod:`~xorbench.engine.kernel_args`). Names load on first use, so
``import xorbench.engine.memory`` (the planner's) does not load the kernel.
"""

from __future__ import annotations

import importlib

from xorbench.config import Member, Setup

# name → the module that defines it
_NAMES = {
    "ENGINE_NUMERICS": "batch", "BatchResult": "batch", "Observed": "batch",
    "compile_kernel": "batch", "evaluate": "batch",
    "initial_params": "initial", "initial_thetas": "initial",
    "kept_epochs": "batch", "log_epochs": "batch", "train_batch": "batch",
    "KERNEL_LANES": "memory", "bytes_per_network": "memory", "check_memory": "memory",
    "lane_bytes": "memory", "worker_bytes": "memory",
    "activation_values": "functions",
    "runs_frame": "frames", "curves_frame": "frames", "params_frame": "frames",
    "train": "trial",
    "train_plain": "plain", "train_networks": "route", "legacy_params": "streams",
}

__all__ = ["Member", "Setup", *_NAMES]


def __getattr__(name: str):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'xorbench.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(f"xorbench.engine.{module}"), name)
