"""The tables of every axis a configuration has, its defaults, and the batch modes.

Each named choice lives in one :class:`~xorbench.config.choices.Table` (tasks,
activations, inits, losses, optimizers, criteria, bugs in their own modules; batch modes
and dtypes here); :data:`TABLES` maps each grid key to its table, and validation,
CLI help, docs and tests read the keys from there.
"""

from __future__ import annotations

from xorbench.config.activations import ACTIVATIONS, OUTPUTS
from xorbench.config.bugs import BUGS
from xorbench.config.choices import Choice, Entry, Param, Table
from xorbench.config.criteria import CRITERIA
from xorbench.config.inits import BIAS_INITS, INITS
from xorbench.config.losses import LOSSES
from xorbench.config.optimizers import OPTIMIZERS
from xorbench.config.tasks import TASKS

BATCHES = Table.of(
    "batch",
    Entry("full", doc="one update per epoch from all patterns"),
    Entry("online", doc="one update per pattern, every pattern once per epoch, shuffled"),
    Entry(
        "sampled",
        (Param("n", int, None, 1, 10**7),),
        doc="n patterns drawn with replacement per epoch, one update each",
    ),
)

def updates_per_epoch(batch: Choice, n_patterns: int) -> int:
    """Parameter updates in one epoch: 1 (full), P (online) or n (sampled(n))."""
    if batch.name == "full":
        return 1
    return n_patterns if batch.name == "online" else batch.args[0]


DTYPES = Table.of(
    "dtype",
    Entry("float64", impl="float64"),
    Entry("float32", impl="float32", doc="about twice as fast; results differ in the last bits"),
)

# Grid key → the table its values come from (hidden, lr, epochs, seeds are numbers).
TABLES: dict[str, Table] = {
    "task": TASKS,
    "activation": ACTIVATIONS,
    "output": OUTPUTS,
    "init": INITS,
    "bias_init": BIAS_INITS,
    "optimizer": OPTIMIZERS,
    "loss": LOSSES,
    "batch": BATCHES,
    "criterion": CRITERIA,
    "dtype": DTYPES,
    "bug": BUGS,
}

DEFAULTS: dict[str, object] = {
    "task": "xor",
    "hidden": (2,),
    "activation": "sigmoid",
    "output": "sigmoid",
    "init": "xavier",
    "bias_init": "zeros",
    "lr": 0.5,
    "optimizer": "sgd",
    "loss": "mse",
    "batch": "full",
    "criterion": "threshold",
    "dtype": "float64",
    "bug": "none",
}
