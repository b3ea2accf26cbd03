"""A plain, unbatched, one-network reference implementation (test helper, not a test).

Written independently of ``xorbench.engine``: one network is a list of
(W (fan_in, fan_out), b (fan_out,)) NumPy matrices, the forward pass is matrix
products, the backward pass textbook back-propagation, the optimizers the
textbook update rules with named per-parameter state. Only the random pattern
order of online / sampled epochs is taken from xorbench (``streams.PatternOrders``),
because that is a stream definition, not math.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

# ---------------------------------------------------------------- activations


def _sigmoid(z):
    # 1 / (1 + e^−z), written without overflow for very negative z
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_GELU_C = math.sqrt(2.0 / math.pi)


def _gelu(z):
    # ½ z (1 + tanh u) with 1 + tanh u = 2 σ(2u) (no cancellation where tanh u ≈ −1)
    return z * _sigmoid(2 * _GELU_C * (z + 0.044715 * z**3))


def _gelu_prime(z):
    # ½ (1 + tanh u) + ½ z (1 − tanh² u) u′ = σ(2u) + 2 z σ(2u) (1 − σ(2u)) u′
    s = _sigmoid(2 * _GELU_C * (z + 0.044715 * z**3))
    du = _GELU_C * (1.0 + 3 * 0.044715 * z**2)
    return s + 2 * z * s * (1 - s) * du


def activation(name: str, *args: float) -> tuple[Callable, Callable]:
    """(f, f′) of one activation, both functions of the pre-activation z."""
    if name == "sigmoid":
        return _sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))
    if name == "tanh":
        return np.tanh, lambda z: 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return (lambda z: np.where(z > 0, z, 0.0)), (lambda z: np.where(z > 0, 1.0, 0.0))
    if name == "leaky_relu":
        (alpha,) = args or (0.01,)
        return (lambda z: np.where(z > 0, z, alpha * z)), (
            lambda z: np.where(z > 0, 1.0, alpha))
    if name == "elu":
        (alpha,) = args or (1.0,)
        return (lambda z: np.where(z > 0, z, alpha * (np.exp(z) - 1.0))), (
            lambda z: np.where(z > 0, 1.0, alpha * np.exp(z)))
    if name == "gelu":
        return _gelu, _gelu_prime
    if name == "softplus":
        return (lambda z: np.logaddexp(0.0, z)), _sigmoid
    if name == "sin":
        return np.sin, np.cos
    if name == "linear":
        return (lambda z: z), (lambda z: np.ones_like(z))
    raise KeyError(f"the reference has no activation {name!r}: add it to "
                   "tests/helpers/reference.py")


ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "sin",
                    "linear")

# ---------------------------------------------------------------- losses


def loss(name: str, z: np.ndarray, y: np.ndarray, t: np.ndarray) -> float:
    """E over the P patterns of one update (z, y, t all (P,))."""
    P = len(t)
    if name == "mse":
        return float(np.sum((y - t) ** 2) / P)
    if name == "sse":
        return float(0.5 * np.sum((y - t) ** 2))
    if name == "bce":
        # −[t log σ(z) + (1 − t) log(1 − σ(z))] = log(1 + e^z) − t z
        return float(np.sum(np.logaddexp(0.0, z) - t * z) / P)
    raise KeyError(f"the reference has no loss {name!r}: add it to tests/helpers/reference.py")


def loss_grad_z(name: str, z, y, t, f_out_prime) -> np.ndarray:
    """dE/dz at the output, (P,)."""
    P = len(t)
    if name == "mse":
        return 2.0 * (y - t) / P * f_out_prime(z)
    if name == "sse":
        return (y - t) * f_out_prime(z)
    if name == "bce":
        return (_sigmoid(z) - t) / P
    raise KeyError(name)


LOSS_NAMES = ("mse", "sse", "bce")

# ---------------------------------------------------------------- network


class Net:
    """One network: layers[l] = (W (fan_in, fan_out), b (fan_out,))."""

    def __init__(self, layers, hidden: tuple[str, tuple], output: str, loss_name: str):
        self.layers = [(np.array(W, float), np.array(b, float)) for W, b in layers]
        self.f, self.df = activation(hidden[0], *hidden[1])
        self.f_out, self.df_out = activation(output)
        self.loss_name = loss_name

    def forward(self, X):
        """Pre-activations zs and activations acts (acts[0] = X) over the rows of X."""
        acts, zs = [np.asarray(X, float)], []
        for l, (W, b) in enumerate(self.layers):
            z = acts[-1] @ W + b
            zs.append(z)
            last = l == len(self.layers) - 1
            acts.append(self.f_out(z) if last else self.f(z))
        return zs, acts

    def output(self, X) -> np.ndarray:
        return self.forward(X)[1][-1][:, 0]

    def loss(self, X, t) -> float:
        zs, acts = self.forward(X)
        return loss(self.loss_name, zs[-1][:, 0], acts[-1][:, 0], np.asarray(t, float))

    def gradients(self, X, t):
        """[(dE/dW, dE/db)] per layer by back-propagation."""
        zs, acts = self.forward(X)
        t = np.asarray(t, float)
        delta = loss_grad_z(self.loss_name, zs[-1][:, 0], acts[-1][:, 0], t, self.df_out)
        delta = delta[:, None]  # (P, 1)
        grads = [None] * len(self.layers)
        for l in range(len(self.layers) - 1, -1, -1):
            W, _ = self.layers[l]
            grads[l] = (acts[l].T @ delta, delta.sum(axis=0))
            if l > 0:
                delta = (delta @ W.T) * self.df(zs[l - 1])
        return grads

    def flat(self) -> np.ndarray:
        """θ in the engine's layout: per layer the rows of [W; b], C order."""
        return np.concatenate([np.vstack([W, b[None, :]]).ravel() for W, b in self.layers])


def unflatten(theta: np.ndarray, widths) -> list[tuple[np.ndarray, np.ndarray]]:
    layers, start = [], 0
    for fan_in, fan_out in itertools.pairwise(widths):
        block = np.asarray(theta[start : start + (fan_in + 1) * fan_out], float)
        block = block.reshape(fan_in + 1, fan_out)
        layers.append((block[:-1].copy(), block[-1].copy()))
        start += (fan_in + 1) * fan_out
    return layers


# ---------------------------------------------------------------- initial weights


def initial_layers(widths, seed: int, weight: Callable, bias: Callable):
    """Weights drawn first layer by layer, then biases, from the seed's init stream.

    ``weight(rng, fan_in, fan_out)`` returns a (fan_in, fan_out) matrix,
    ``bias(rng, fan_in, fan_out)`` a (fan_out,) vector.
    """
    init_stream = np.random.SeedSequence(seed).spawn(2)[0]
    rng = np.random.Generator(np.random.PCG64(init_stream))
    pairs = list(itertools.pairwise(widths))
    Ws = [weight(rng, fi, fo) for fi, fo in pairs]
    bs = [bias(rng, fi, fo) for fi, fo in pairs]
    return list(zip(Ws, bs, strict=True))


def xavier(rng, fan_in, fan_out):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out))


def uniform_bias(low, high):
    return lambda rng, fan_in, fan_out: rng.uniform(low, high, fan_out)


def zero_bias(rng, fan_in, fan_out):
    return np.zeros(fan_out)


# Frameworks' default inits, as their sources write them (weights (fan_in, fan_out),
# biases (fan_out,)), drawn from the seed's init stream in xorbench's order.


def torch_bound(fan_in, fan_out, activation=None):
    # nn.Linear.reset_parameters: kaiming_uniform_(W, a=√5), gain √(2/(1 + a²)), bound
    # gain · √(3 / fan_in); the bias: 1 / √fan_in
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    return gain * math.sqrt(3.0 / fan_in)


def sklearn_bound(fan_in, fan_out, activation):
    # BaseMultilayerPerceptron._init_coef: factor 6, or 2 for a logistic hidden layer
    factor = 2.0 if activation == "sigmoid" else 6.0
    return np.sqrt(factor / (fan_in + fan_out))


def keras_bound(fan_in, fan_out, activation=None):
    # glorot_uniform: VarianceScaling(scale=1, mode="fan_avg"), limit √(3 scale / n)
    return math.sqrt(3.0 * 1.0 / max(1.0, (fan_in + fan_out) / 2.0))


FRAMEWORK_BOUNDS = {"torch": torch_bound, "sklearn": sklearn_bound, "keras": keras_bound}


def framework_weights(name, activation=None):
    bound = FRAMEWORK_BOUNDS[name]
    return lambda rng, fan_in, fan_out: rng.uniform(
        -bound(fan_in, fan_out, activation), bound(fan_in, fan_out, activation),
        (fan_in, fan_out))


def framework_biases(name, activation=None):
    if name == "keras":  # Dense(bias_initializer="zeros")
        return zero_bias
    if name == "torch":
        return lambda rng, fan_in, fan_out: rng.uniform(
            -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), fan_out)
    bound = FRAMEWORK_BOUNDS[name]
    return lambda rng, fan_in, fan_out: rng.uniform(
        -bound(fan_in, fan_out, activation), bound(fan_in, fan_out, activation), fan_out)


def weight_init(label: str, activation: str):
    """The reference's weight init of an init label."""
    if label == "xavier":
        return xavier
    if label in FRAMEWORK_BOUNDS:
        return framework_weights(label, activation)
    raise KeyError(f"the reference has no init {label!r}: add it to tests/helpers/reference.py")


def bias_init(label: str, activation: str):
    """The reference's bias init of a bias_init label (uniform(a,b) parsed by the caller)."""
    if label == "zeros":
        return zero_bias
    if label in FRAMEWORK_BOUNDS:
        return framework_biases(label, activation)
    if label.startswith("uniform("):
        low, high = (float(x) for x in label[len("uniform("):-1].split(","))
        return uniform_bias(low, high)
    raise KeyError(f"the reference has no bias init {label!r}")


INIT_NAMES = ("xavier", "torch", "sklearn", "keras")


# ---------------------------------------------------------------- optimizers


class Optimizer:
    """Textbook update rules; state kept per parameter array, keyed by position."""

    def __init__(self, name: str, args: tuple, lr: float):
        self.name, self.args, self.lr = name, args, lr
        self.t = 0
        self.state: dict[int, dict[str, np.ndarray]] = {}
        self.last_error, self.worse = math.inf, False  # iRprop+: E(t−1), E(t) > E(t−1)
        self.backtracks = 0  # Rprop+ / iRprop+: updates undone, so tests know they ran

    def update(self, params: list[np.ndarray], grads: list[np.ndarray],
               error: float | None = None) -> None:
        """One update; ``error`` is E at the current parameters (iRprop+ needs it)."""
        self.t += 1
        self.worse = error is not None and error > self.last_error
        for k, (p, g) in enumerate(zip(params, grads, strict=True)):
            s = self.state.setdefault(k, {})
            p -= self._step(s, p, g)
        self.last_error = math.inf if error is None else error

    def _step(self, s, p, g):
        lr = self.lr
        if self.name in ("rprop+", "irprop+"):
            return self._rprop_plus(s, p, g)
        if self.name == "sgd":
            return lr * g
        if self.name == "momentum":
            (beta,) = self.args
            s["v"] = beta * s.get("v", np.zeros_like(p)) + g
            return lr * s["v"]
        if self.name == "nesterov":
            (beta,) = self.args
            s["v"] = beta * s.get("v", np.zeros_like(p)) + g
            return lr * (g + beta * s["v"])
        if self.name == "adam":
            b1, b2 = self.args
            s["m"] = b1 * s.get("m", np.zeros_like(p)) + (1 - b1) * g
            s["v"] = b2 * s.get("v", np.zeros_like(p)) + (1 - b2) * g * g
            m_hat = s["m"] / (1 - b1**self.t)
            v_hat = s["v"] / (1 - b2**self.t)
            return lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        if self.name == "rprop":
            # iRprop− (Igel & Hüsken 2000), element by element
            step = s.setdefault("step", np.full_like(p, lr))
            prev = s.setdefault("prev", np.zeros_like(p))
            out = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                gi = g[i]
                if gi * prev[i] > 0:
                    step[i] = min(step[i] * 1.2, 50.0)
                elif gi * prev[i] < 0:
                    step[i] = max(step[i] * 0.5, 1e-6)
                    gi = 0.0
                out[i] = np.sign(gi) * step[i]
                prev[i] = gi
            return out
        raise KeyError(f"the reference has no optimizer {self.name!r}: add it to "
                       "tests/helpers/reference.py")

    def _rprop_plus(self, s, p, g):
        """Rprop+ (Riedmiller & Braun 1993) and iRprop+ (Igel & Hüsken 2000), element by
        element, with the last update Δw kept as state (as the papers write it)."""
        step = s.setdefault("step", np.full_like(p, self.lr))
        prev = s.setdefault("prev", np.zeros_like(p))
        last = s.setdefault("last", np.zeros_like(p))  # Δw(t−1), the last update
        out = np.zeros_like(p)  # what is subtracted from p
        for i in np.ndindex(p.shape):
            gi = g[i]
            if gi * prev[i] > 0:
                step[i] = min(step[i] * 1.2, 50.0)
                last[i] = -np.sign(gi) * step[i]
                out[i] = -last[i]
                prev[i] = gi
            elif gi * prev[i] < 0:
                step[i] = max(step[i] * 0.5, 1e-6)
                if self.name == "rprop+" or self.worse:  # w(t+1) = w(t) − Δw(t−1)
                    out[i] = last[i]
                    self.backtracks += 1
                prev[i] = 0.0
            else:
                last[i] = -np.sign(gi) * step[i]
                out[i] = -last[i]
                prev[i] = gi
        return out


OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adam", "rprop", "rprop+", "irprop+")

# ---------------------------------------------------------------- training


def cyclic_order(n_patterns: int) -> Callable[[int], np.ndarray]:
    """The textbook loop's order: every pattern once per epoch, in the task's order."""
    return lambda epoch: np.arange(n_patterns)


BATCH_NAMES = ("full", "online", "sampled", "cyclic")


def train(net: Net, X, t, optimizer: Optimizer, epochs: int,
          order: Callable[[int], np.ndarray] | None = None) -> Net:
    """Train in place: full batch when ``order`` is None, else one update per index
    of ``order(epoch)`` (online / sampled / cyclic). Each update is told the error E
    of the rows it uses at the current parameters."""
    X, t = np.asarray(X, float), np.asarray(t, float)
    for epoch in range(epochs):
        rows = [np.arange(len(t))] if order is None else [[p] for p in order(epoch)]
        for r in rows:
            grads = net.gradients(X[r], t[r])
            params = [a for W, b in net.layers for a in (W, b)]
            optimizer.update(params, [a for gW, gb in grads for a in (gW, gb)],
                             error=net.loss(X[r], t[r]))
    return net
