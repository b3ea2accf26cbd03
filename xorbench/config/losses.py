"""Losses over the patterns of one update, and their gradient at the output logit.

For a network with output y = f(z) and targets t over P patterns:

* ``mse``: E = (1/P) Σ_p (y_p − t_p)²
* ``sse``: E = ½ Σ_p (y_p − t_p)²  (the classic back-propagation convention)
* ``bce``: E = (1/P) Σ_p [log(1 + e^z_p) − t_p z_p], computed from the logit z,
  which needs a sigmoid output (y = σ(z)).

Both squared losses are E = c Σ_p (y − t)² with c = 1/P or ½, so one entry shape
serves all three: ``scale`` is c and ``delta_factor`` the k of dE/dz; the terms
and dE/dz themselves are computed by the compiled kernel (:mod:`xorbench.engine.kernel`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xorbench.config.choices import Entry, Table


@dataclass(frozen=True)
class Loss:
    """E = scale(P) · Σ_p term_p."""

    name: str
    per_pattern_mean: bool  # scale 1/P (mean) or ½ (classic sum)
    from_logit: bool  # bce: needs the sigmoid output's logit

    def scale(self, n_patterns: int) -> float:
        return 1.0 / n_patterns if self.per_pattern_mean else 0.5

    def delta_factor(self, n_patterns: int) -> float:
        """k in dE/dz = k (y − t) f′(z): 2c for squared losses, c for bce (a power of two)."""
        return self.scale(n_patterns) if self.from_logit else 2 * self.scale(n_patterns)


LOSSES = Table.of(
    "loss",
    Entry("mse", impl=Loss("mse", True, False), doc="mean squared error over the patterns"),
    Entry("sse", impl=Loss("sse", False, False), doc="½ sum of squared errors"),
    Entry("bce", impl=Loss("bce", True, True), doc="binary cross-entropy (sigmoid output)"),
)
