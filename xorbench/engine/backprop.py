"""One update of N networks by hand-written back-propagation: correct, or with a learner's bug.

Plain NumPy, networks on the last axis and the rows of the update (one pattern per
network, or every pattern for a full batch) first: layer l's activations are
(R, units, N). Layer l's weights and bias are the view W (fan_in + 1, fan_out, N) of
θ (:func:`xorbench.engine.layout.layer_views`), the bias its last row; an update
writes into it, so θ moves in place. Every sum runs over a small axis in a fixed
order, element by element over the networks, so a network's numbers never depend
on how many others share its batch.

Correct back-propagation (Rumelhart, Hinton & Williams 1986), from the output down:

    δ_L = k (y − t) f′(z_L)         (bce: k (y − t); k = 2/R for mse, 1 for sse)
    ∂E/∂w_ij = Σ_r a_i δ_j,   ∂E/∂b_j = Σ_r δ_j
    δ_i = f′(z_i) Σ_j w_ij δ_j       (through the weights before they move)
    w ← w − η ∂E/∂w,  b ← b − η ∂E/∂b

Each bug of :data:`xorbench.config.bugs.TRAINING_BUGS` changes one line of that
recipe; :func:`update` says which, where it happens.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def sum_rows(x: np.ndarray) -> np.ndarray:
    """Σ_r x[r], added in row order (one row: a copy)."""
    total = x[0].copy()
    for r in range(1, x.shape[0]):
        total += x[r]
    return total


def output_delta(y: np.ndarray, slope: np.ndarray, t: np.ndarray, k: float,
                 from_logit: bool) -> np.ndarray:
    """δ_L = ∂E/∂z at the output, (R, 1, N): k (y − t) f′(z), or k (y − t) for bce (whose
    gradient at the logit has no f′). ``y`` and ``slope`` are (R, 1, N), ``t`` (R, N)."""
    error = k * (y - t[:, None, :])
    return error if from_logit else error * slope


def weighted_errors(W: np.ndarray, delta: np.ndarray, n: int) -> np.ndarray:
    """Σ_j w_kj δ_j for the first ``n`` rows k of W (fan_in + 1, fan_out, N), each added
    in j order: (R, n, N), from δ (R, fan_out, N)."""
    rows, fan_out = delta.shape[0], W.shape[1]
    out = np.empty((rows, n, delta.shape[2]), delta.dtype)
    for k in range(n):
        total = W[k, 0] * delta[:, 0]
        for j in range(1, fan_out):
            total += W[k, j] * delta[:, j]
        out[:, k] = total
    return out


def propagate(W: np.ndarray, delta: np.ndarray, slope_below: np.ndarray) -> np.ndarray:
    """δ_i = f′(z_i) Σ_j w_ij δ_j: the error of the layer below, (R, fan_in, N), through
    the weights W (fan_in + 1, fan_out, N) as they are now."""
    return weighted_errors(W, delta, W.shape[0] - 1) * slope_below


def gradients(a_below: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∂E/∂w_ij = Σ_r a_i δ_j (fan_in, fan_out, N) and ∂E/∂b_j = Σ_r δ_j (fan_out, N)."""
    return sum_rows(a_below[:, :, None, :] * delta[:, None, :, :]), sum_rows(delta)


def step(W: np.ndarray, grad_w: np.ndarray, grad_b: np.ndarray, eta: np.ndarray,
         up: bool = False, biases: bool = True) -> None:
    """w ← w − η ∂E/∂w and b ← b − η ∂E/∂b in place (``up``: w ← w + η ∂E/∂w, up the
    gradient; ``biases`` False: the biases stay). The gradients are scaled in place."""
    for rows, grad in ((slice(None, -1), grad_w), (-1, grad_b)) if biases else (
            (slice(None, -1), grad_w),):
        grad *= eta  # η ∂E/∂θ
        if up:
            W[rows] += grad
        else:
            W[rows] -= grad


def posted_hidden_error(W_above: np.ndarray, delta_above: np.ndarray,
                        n_below: int) -> np.ndarray:
    """The question's hidden error, (R, n_below, N): for each unit k of the layer *below*,
    s_k = Σ_j′ W^(l+1)[j′, k] δ_j′ — the weights of unit k where unit j's belong — added
    up as the loop over k goes, c_k = s_0 + … + s_k. Weight w_kj of every unit j moves
    with c_k, the partial sum so far; the unit's error is the full sum c_{n−1}, the same
    for every unit j of the layer. In xorbench's layout W^(l+1)[j′, k] is row k of the
    layer above's W, so k must be a unit of this layer too: n_below ≤ its width."""
    s = weighted_errors(W_above, delta_above, n_below)
    return np.cumsum(s, axis=1)  # c_k, added in k order


def update(bug: str, layers: Sequence[np.ndarray], acts: Sequence[np.ndarray],
           slopes: Sequence[np.ndarray], delta: np.ndarray, eta: np.ndarray) -> None:
    """One update of every layer of N networks, from the output down, with ``bug``.

    ``layers[l]`` is layer l's view W (fan_in + 1, fan_out, N), written in place;
    ``acts[l]`` its input activations (R, fan_in, N) (``acts[0]`` the patterns) and
    ``slopes[l]`` the f′ of its units (R, fan_out, N) — f′(f(z)) already for
    ``derivative-of-activation``, whose bug lives in the forward pass; ``delta`` is
    δ_L (R, 1, N); ``eta`` the networks' learning rates (N,).
    """
    last = len(layers) - 1
    for l in range(last, -1, -1):
        W, hidden = layers[l], l < last
        if bug == "hidden-delta-index" and hidden:
            # the posted loop: w_kj moves with c_k, the partial sum of the wrong index,
            # read through the layer above's weights after they moved (δ holds its error)
            c = posted_hidden_error(layers[l + 1], delta, W.shape[0] - 1)  # (R, fan_in, N)
            slope = slopes[l]  # (R, fan_out, N)
            grad_w = sum_rows(acts[l][:, :, None, :] * c[:, :, None, :] * slope[:, None])
            delta = c[:, -1:] * slope  # every unit's error: the full sum c_{n−1}
            grad_b = sum_rows(delta)
        else:
            grad_w, grad_b = gradients(acts[l], delta)
        below = None
        if l > 0 and bug not in ("update-before-backprop", "hidden-delta-index"):
            below = propagate(W, delta, slopes[l - 1])  # through the weights before they move
        up = bug == "sign-flip-hidden" and hidden  # the bug: up the gradient
        step(W, grad_w, grad_b, eta, up, biases=bug != "no-bias-update")
        if l > 0 and bug == "update-before-backprop":
            below = propagate(W, delta, slopes[l - 1])  # the bug: through the moved weights
        if bug != "hidden-delta-index" or l == 0:
            delta = below  # hidden-delta-index: the layer below reads this layer's δ itself
