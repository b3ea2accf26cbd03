"""How a run ended: its failure label (:data:`xorbench.schema.FAILURES`).

Pure functions of NumPy arrays for a batch of N networks; the engine calls them at
every epoch budget. Labels are checked in the order of the schema's FAILURES, first
match wins, and every unsolved run gets exactly one.
"""

from __future__ import annotations

import numpy as np

from xorbench.schema import FAILURE_CODE

# Two units are "identical" when their activations differ by less than this everywhere.
SYMMETRY_TOLERANCE = 1e-9
# Saturated: more than this fraction of (pattern, hidden unit) pairs have |f′| < 1 % of max.
SATURATED_FRACTION = 0.5
# Stuck on a plateau: ‖∇E‖ below this and the loss fell by less than FLAT_DECREASE
# (relative) over the second half of the budget.
STUCK_GRADIENT = 1e-2
FLAT_DECREASE = 0.01
# Slow: the loss still fell by more than this (relative) over the second half.
SLOW_DECREASE = 1e-4


def layer_flags(
    W: np.ndarray, a: np.ndarray, fprime: np.ndarray, tiny: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric, dead and tiny-derivative counts of one hidden layer.

    ``W`` is the layer's incoming weights and bias, (fan_in + 1, H, N); ``a`` and
    ``fprime`` its activations and derivatives, (P, H, N). Returns
    (symmetric (N,), dead (N,), number of (pattern, unit) pairs with |f′| < tiny (N,)).
    """
    n_units = W.shape[1]
    if n_units > 1:
        # units are identical when their incoming weights and biases are
        symmetric = np.abs(W - W[:, :1, :]).max(axis=(0, 1)) < SYMMETRY_TOLERANCE
    else:
        symmetric = np.zeros(W.shape[2], bool)
    constant = np.abs(a - a[:1]).max(axis=(0, 1)) == 0
    dead = (fprime == 0).all(axis=(0, 1)) & constant
    tiny_pairs = (np.abs(fprime) < tiny).sum(axis=(0, 1))
    return symmetric, dead, tiny_pairs


def classify(
    solved: np.ndarray,
    diverged: np.ndarray,
    symmetric: np.ndarray,
    dead: np.ndarray,
    saturated_fraction: np.ndarray,
    loss_end: np.ndarray,
    loss_half: np.ndarray,
    grad_norm: np.ndarray,
) -> np.ndarray:
    """Failure codes (N,) into :data:`FAILURE_LABELS`: first matching rule wins.

    ``loss_end`` and ``loss_half`` are the loss at the end of the budget B and at
    epoch ⌊B/2⌋; ``grad_norm`` is ‖∇E‖₂ at the end.
    """
    # plateau: ‖∇E‖ < 1e-2 and L(B) ≥ (1 − 1 %) · L(B/2)
    plateau = (grad_norm < STUCK_GRADIENT) & ~(loss_end < (1 - FLAT_DECREASE) * loss_half)
    # still learning: L(B) < (1 − 0.01 %) · L(B/2)
    falling = loss_end < (1 - SLOW_DECREASE) * loss_half
    code = FAILURE_CODE
    rules = [
        (solved, code["none"]),
        (diverged, code["diverged"]),
        (symmetric, code["symmetric"]),
        (dead, code["dead"]),
        (saturated_fraction > SATURATED_FRACTION, code["saturated"]),
        (plateau, code["stuck"]),
        (falling, code["slow"]),
    ]
    conditions = [c for c, _ in rules]
    return np.select(conditions, [c for _, c in rules], default=code["stuck"]).astype(np.int8)
