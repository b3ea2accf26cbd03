"""Optimizers: per-network state and one update of all parameters.

Parameters of a batch of networks are one (D, N) array θ — every weight and bias
of network s is column s — so an optimizer step is a handful of elementwise
operations over (D, N) arrays, with the learning rate an (N,) vector. Nothing
mixes columns, so a network's trajectory never depends on its batch-mates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xorbench.choices import Entry, Param, Table


class Optimizer:
    """``step`` updates θ in place from the gradient g (both (D, N)), lr (N,).

    An optimizer whose update is η times a linear function of the gradients
    (SGD, momentum, Nesterov) sets ``scaled_gradient``: its ``step`` receives
    g = η ∇E instead of ∇E, and never multiplies by η itself. The engine folds η
    into the output delta of the backward pass (one multiplication it makes
    anyway), which saves a pass over θ at every update.
    """

    full_batch_only = False
    scaled_gradient = False  # step takes η ∇E (True) or ∇E (False)
    n_state = 0  # how many (D, N) state arrays it keeps

    def init_state(self, theta: np.ndarray, lr: np.ndarray) -> list[np.ndarray]:
        return [np.zeros_like(theta) for _ in range(self.n_state)]

    def step(self, theta, g, lr, state, t: int, scratch) -> None:
        raise NotImplementedError


class Sgd(Optimizer):
    scaled_gradient = True

    def step(self, theta, g, lr, state, t, scratch):
        # θ ← θ − η ∇E   (g = η ∇E)
        np.subtract(theta, g, out=theta)


@dataclass(frozen=True)
class Momentum(Optimizer):
    beta: float = 0.9
    scaled_gradient = True
    n_state = 1

    def step(self, theta, g, lr, state, t, scratch):
        # v ← β v + ∇E;  θ ← θ − η v, kept as u = η v:  u ← β u + η ∇E;  θ ← θ − u
        (u,) = state
        np.multiply(u, self.beta, out=u)
        np.add(u, g, out=u)
        np.subtract(theta, u, out=theta)


@dataclass(frozen=True)
class Nesterov(Optimizer):
    beta: float = 0.9
    scaled_gradient = True
    n_state = 1

    def step(self, theta, g, lr, state, t, scratch):
        # v ← β v + ∇E;  θ ← θ − η (∇E + β v)   (Sutskever et al. 2013, as in PyTorch),
        # kept as u = η v:  u ← β u + η ∇E;  θ ← θ − (η ∇E + β u)
        (u,) = state
        np.multiply(u, self.beta, out=u)
        np.add(u, g, out=u)
        np.multiply(u, self.beta, out=scratch)
        np.add(scratch, g, out=scratch)
        np.subtract(theta, scratch, out=theta)


@dataclass(frozen=True)
class Adam(Optimizer):
    beta1: float = 0.9
    beta2: float = 0.999
    eps = 1e-8
    n_state = 2

    def step(self, theta, g, lr, state, t, scratch):
        # m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²   (Kingma & Ba 2015)
        # θ ← θ − η m̂ / (√v̂ + ε),  m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
        m, v = state
        np.multiply(m, self.beta1, out=m)
        np.multiply(g, 1 - self.beta1, out=scratch)
        np.add(m, scratch, out=m)
        np.multiply(v, self.beta2, out=v)
        np.multiply(g, g, out=scratch)
        np.multiply(scratch, 1 - self.beta2, out=scratch)
        np.add(v, scratch, out=v)
        np.divide(v, 1 - self.beta2**t, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.add(scratch, self.eps, out=scratch)
        np.divide(m, scratch, out=scratch)
        np.multiply(scratch, lr / (1 - self.beta1**t), out=scratch)
        np.subtract(theta, scratch, out=theta)


class Rprop(Optimizer):
    """iRprop− (Igel & Hüsken 2000): sign-based steps, the learning rate is the first step."""

    full_batch_only = True
    eta_plus, eta_minus = 1.2, 0.5
    step_min, step_max = 1e-6, 50.0
    n_state = 2

    def init_state(self, theta, lr):
        return [np.broadcast_to(lr, theta.shape).astype(theta.dtype), np.zeros_like(theta)]

    def step(self, theta, g, lr, state, t, scratch):
        # per weight: Δ ← min(η⁺Δ, Δmax) if g·g_prev > 0;  Δ ← max(η⁻Δ, Δmin), g ← 0 if < 0
        # θ ← θ − sign(g) Δ;  g_prev ← g
        delta, g_prev = state
        np.multiply(g, g_prev, out=scratch)
        grew, shrank = scratch > 0, scratch < 0
        np.copyto(delta, np.minimum(delta * self.eta_plus, self.step_max), where=grew)
        np.copyto(delta, np.maximum(delta * self.eta_minus, self.step_min), where=shrank)
        np.copyto(g_prev, g)
        np.copyto(g_prev, 0, where=shrank)
        np.sign(g_prev, out=scratch)
        np.multiply(scratch, delta, out=scratch)
        np.subtract(theta, scratch, out=theta)


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
)
