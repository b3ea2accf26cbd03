"""Optimizers, one table entry each: names, parameters, the constants of each rule.

The update itself is compiled (:func:`xorbench.engine.kernel.step`): every network's θ
is updated from its own gradient, learning rate and state, so a network's
trajectory never depends on its batch-mates.
"""

from __future__ import annotations

from dataclasses import dataclass

from xorbench.config.choices import Entry, Param, Table


class Optimizer:
    """One update rule; the arithmetic is :func:`xorbench.engine.kernel.step` (formulas there).

    ``full_batch_only``: compares whole-batch gradients (the Rprop family).
    ``first_step_is_lr``: the learning rate is each parameter's first step Δ, the state
    it starts from (the Rprop family), not a factor of every update.
    ``uses_error``: compares the error E(t) before an update with the one before the
    last (iRprop+), so the engine keeps each network's last error with its state.
    """

    full_batch_only = False
    first_step_is_lr = False
    uses_error = False


class Sgd(Optimizer):
    """θ ← θ − η ∇E."""


@dataclass(frozen=True)
class Momentum(Optimizer):
    """v ← β v + ∇E;  θ ← θ − η v."""

    beta: float = 0.9


@dataclass(frozen=True)
class Nesterov(Optimizer):
    """v ← β v + ∇E;  θ ← θ − η (∇E + β v)   (Sutskever et al. 2013, as in PyTorch)."""

    beta: float = 0.9


@dataclass(frozen=True)
class Adam(Optimizer):
    """m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  θ ← θ − η m̂ / (√v̂ + ε) with
    m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t), t counting updates from 1 (Kingma & Ba 2015)."""

    beta1: float = 0.9
    beta2: float = 0.999
    eps = 1e-8


class Rprop(Optimizer):
    """iRprop− (Igel & Hüsken 2000): sign-based steps, the learning rate is the first step.

    Per weight: Δ ← min(η⁺Δ, Δmax) if g · g_prev > 0;  Δ ← max(η⁻Δ, Δmin) and g ← 0 if
    < 0;  θ ← θ − sign(g) Δ;  g_prev ← g.
    """

    full_batch_only = True
    first_step_is_lr = True
    eta_plus, eta_minus = 1.2, 0.5
    step_min, step_max = 1e-6, 50.0


class RpropPlus(Rprop):
    """Rprop+ (Riedmiller & Braun 1993): Rprop with weight backtracking.

    As iRprop− while g · g_prev ≥ 0; when < 0, Δ ← max(η⁻Δ, Δmin), the last update is
    undone (θ ← θ − Δθ_prev) and g ← 0 (so the next update neither grows nor shrinks Δ).
    """


class IRpropPlus(Rprop):
    """iRprop+ (Igel & Hüsken 2000): backtracking only where it pays.

    As Rprop+, but when g · g_prev < 0 the last update is undone only if the error rose
    with it, E(t) > E(t−1); otherwise θ stays. E is the full-batch loss before each update.
    """

    uses_error = True


_BETA = dict(kind=float, low=0, high=1, high_open=True)

OPTIMIZERS = Table.of(
    "optimizer",
    Entry("sgd", impl=Sgd, doc="plain gradient descent"),
    Entry("momentum", (Param("beta", default=0.9, **_BETA),), impl=Momentum),
    Entry("nesterov", (Param("beta", default=0.9, **_BETA),), impl=Nesterov),
    Entry(
        "adam",
        (Param("beta1", default=0.9, **_BETA), Param("beta2", default=0.999, **_BETA)),
        impl=Adam,
    ),
    Entry("rprop", impl=Rprop, doc="iRprop−, full batch only; lr is the initial step"),
    Entry("rprop+", impl=RpropPlus,
          doc="Rprop+ (weight backtracking), full batch only; lr is the initial step"),
    Entry("irprop+", impl=IRpropPlus,
          doc="iRprop+ (backtracking where the error rose), full batch only; lr is the "
              "initial step"),
)
