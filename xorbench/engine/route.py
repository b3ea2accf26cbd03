"""Which loop trains a batch: the compiled kernel for correct training, the plain NumPy loop
for a hand-written bug."""

from __future__ import annotations

from collections.abc import Sequence

from xorbench.config import Member, Setup
from xorbench.engine.batch import BatchResult, train_batch
from xorbench.engine.plain import train_plain


def train_networks(setup: Setup, members: Sequence[Member],
                   budgets: Sequence[int]) -> BatchResult:
    """Train a batch to each budget: by :func:`~xorbench.engine.batch.train_batch` when
    ``setup.bug`` is ``none``, else by :func:`~xorbench.engine.plain.train_plain`. Both
    record the same fields, so the sweep, the tables and the plots never ask which."""
    trainer = train_batch if setup.bug.name == "none" else train_plain
    return trainer(setup, members, budgets)
