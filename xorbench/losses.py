"""Losses over the patterns of one update, and their gradient at the output logit.

For a network with output y = f(z) and targets t over P patterns:

* ``mse``: E = (1/P) Σ_p (y_p − t_p)²
* ``sse``: E = ½ Σ_p (y_p − t_p)²  (the classic back-propagation convention)
* ``bce``: E = (1/P) Σ_p [log(1 + e^z_p) − t_p z_p], computed from the logit z,
  which needs a sigmoid output (y = σ(z)).

Both squared losses are E = c Σ_p (y − t)² with c = 1/P or ½, so one entry shape
serves all three: ``terms`` writes the per-pattern terms, ``scale`` is c, and
``delta`` writes dE/dz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xorbench.choices import Entry, Table


@dataclass(frozen=True)
class Loss:
    """E = scale(P) · Σ_p term_p."""

    name: str
    per_pattern_mean: bool  # scale 1/P (mean) or ½ (classic sum)
    from_logit: bool  # bce: needs the sigmoid output's logit

    def scale(self, n_patterns: int) -> float:
        return 1.0 / n_patterns if self.per_pattern_mean else 0.5

    def terms(self, z: np.ndarray, y: np.ndarray, t: np.ndarray, out: np.ndarray) -> None:
        """Per-pattern loss terms (before the scale)."""
        if self.from_logit:
            # log(1 + e^z) − t z = max(z, 0) − t z + log(1 + e^−|z|)
            np.abs(z, out=out)
            np.negative(out, out=out)
            np.exp(out, out=out)
            np.log1p(out, out=out)
            out += np.maximum(z, 0)
            out -= t * z
        else:
            # (y − t)²
            np.subtract(y, t, out=out)
            np.multiply(out, out, out=out)

    def delta_factor(self, n_patterns: int) -> float:
        """k in dE/dz = k (y − t) f′(z): 2c for squared losses, c for bce (a power of two)."""
        return self.scale(n_patterns) if self.from_logit else 2 * self.scale(n_patterns)

    def delta(self, z: np.ndarray, y: np.ndarray, t: np.ndarray, dy_dz: np.ndarray | None,
              factor: float | np.ndarray, out: np.ndarray) -> None:
        """``factor`` (y − t) f′(z) for squared losses, ``factor`` (σ(z) − t) for bce.

        With ``factor`` = :meth:`delta_factor` this is dE/dz at the output; times η
        (an (N,) vector) it is η dE/dz, for optimizers that take η ∇E.
        """
        np.subtract(y, t, out=out)
        np.multiply(out, factor, out=out)
        if not self.from_logit:
            np.multiply(out, dy_dz, out=out)


LOSSES = Table.of(
    "loss",
    Entry("mse", impl=Loss("mse", True, False), doc="mean squared error over the patterns"),
    Entry("sse", impl=Loss("sse", False, False), doc="½ sum of squared errors"),
    Entry("bce", impl=Loss("bce", True, True), doc="binary cross-entropy (sigmoid output)"),
)
