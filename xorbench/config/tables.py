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
    Entry("cyclic", doc="one update per pattern in the task's order (00, 01, 10, 11) every "
          "epoch: the textbook loop"),
    Entry(
        "sampled",
        (Param("n", int, None, 1, 10**7),),
        doc="n patterns drawn with replacement per epoch, one update each",
    ),
)

def updates_per_epoch(batch: Choice, n_patterns: int) -> int:
    """Parameter updates in one epoch: 1 (full), P (online, cyclic) or n (sampled(n))."""
    if batch.name == "full":
        return 1
    return batch.args[0] if batch.name == "sampled" else n_patterns


def per_pattern_step(loss: Choice, batch: Choice, n_patterns: int) -> float:
    """How many times larger a pattern's step is in ``batch`` than its share of a
    full-batch step of the same loss at the same learning rate: 1 for full batch.

    An online, sampled or cyclic update takes the loss of one pattern, so a loss that
    is a mean over the patterns (mse, bce: like nn.MSELoss on a batch of one) weighs
    that pattern P times more than a full-batch update does; a sum (sse) weighs it
    the same. It is the ratio of ∂E/∂z's factor k on one pattern to k on P.
    """
    if batch.name == "full":
        return 1.0
    rule = LOSSES.impl(loss)
    return rule.delta_factor(1) / rule.delta_factor(n_patterns)


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
