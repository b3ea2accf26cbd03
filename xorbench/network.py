"""Forward and backward passes of N stacked networks of one shape, and their layout.

Layout (structure of arrays, the network index last): all parameters of a batch
are one array θ of shape (D, N); layer l's weights *and* bias are the view
W_l (fan_in + 1, fan_out, N) of its rows, the last row being the bias.
Activations are (patterns, units, N). Every operation is an elementwise NumPy
call over the N networks and every sum over patterns or units is added in a
fixed order, so a network's numbers never depend on its batch-mates.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from xorbench.numerics import sum_leading_inplace


def layer_views(flat: np.ndarray, widths: Sequence[int]) -> list[np.ndarray]:
    """Views (fan_in + 1, fan_out, N) of each layer's rows in a (D, N) array."""
    views, start = [], 0
    for fan_in, fan_out in itertools.pairwise(widths):
        rows = (fan_in + 1) * fan_out
        views.append(flat[start : start + rows].reshape(fan_in + 1, fan_out, flat.shape[1]))
        start += rows
    return views


def n_params(widths: Sequence[int]) -> int:
    return sum((a + 1) * b for a, b in itertools.pairwise(widths))


class BatchPass:
    """Buffers and math of forward and backward passes over ``n_rows`` patterns.

    Full-batch passes see all P patterns, whose binary inputs (P, n) every network
    shares (``inputs``); the per-pattern steps of online and sampled training see
    one pattern (``n_rows`` = 1), each network its own: write them into ``x``
    (1, n, N) before each step (``inputs`` None).

    Given ``lr`` (N,), :meth:`backward` writes η ∇E instead of ∇E: η is folded into
    the output delta's constant factor, which is a power of two, so the factor
    k η is exact and costs nothing per epoch.
    """

    def __init__(self, widths, n_rows, n_nets, inputs, hidden_act, output_act, loss, dtype,
                 lr=None):
        self.widths = widths
        self.hidden_act, self.output_act, self.loss = hidden_act, output_act, loss
        self.n_rows = n_rows
        factor = loss.delta_factor(n_rows)
        self.delta_factor = factor if lr is None else (factor * lr).astype(dtype)
        layers = list(itertools.pairwise(widths))
        self.shared = inputs is not None
        # per layer: pre-activation z, activation a, f′(z), δ = ∂E/∂z: (rows, fan_out, N)
        self.z = [np.zeros((n_rows, fo, n_nets), dtype) for _, fo in layers]
        self.a = [np.zeros_like(z) for z in self.z]
        self.fprime = [np.zeros_like(z) for z in self.z]
        self.delta = [np.zeros_like(z) for z in self.z]
        if self.shared:
            self.inputs = np.asarray(inputs, dtype)  # (P, n), patterns in counting order
            # input i is 1 on the patterns whose bit n−1−i is set: a strided view of z
            n, fo = widths[0], widths[1]
            self.z0_where_input = [where_input(self.z[0], i, n) for i in range(n)]
            self.delta0_where_input = [where_input(self.delta[0], i, n) for i in range(n)]
            self.half_rows = np.zeros((n_rows // 2, fo, n_nets), dtype)
        else:
            self.x = np.zeros((n_rows, widths[0], n_nets), dtype)  # (1, n, N)
        # scratch, only where used: products a_pi W_ij before their sum over i,
        # (rows, fan_in, fan_out, N); products δ_pj W_ij before their sum over j,
        # (rows, fan_out, fan_in, N); products a_pi δ_pj (and δ_pj for the bias)
        # before their sum over p, (rows, fan_in + 1, fan_out, N)
        def scratch(shape, needed):
            return np.zeros(shape, dtype) if needed else None

        first_is_binary = [l == 0 and self.shared for l in range(len(layers))]
        self.forward_products = [scratch((n_rows, fi, fo, n_nets), not first_is_binary[l])
                                 for l, (fi, fo) in enumerate(layers)]
        self.back_products = [scratch((n_rows, fo, fi, n_nets), l > 0 and fo > 1)
                              for l, (fi, fo) in enumerate(layers)]
        self.grad_products = [scratch((n_rows, fi + 1, fo, n_nets), not first_is_binary[l])
                              for l, (fi, fo) in enumerate(layers)] if n_rows > 1 else None
        self.terms = np.zeros((n_rows, n_nets), dtype)

    @property
    def y(self) -> np.ndarray:
        """The network outputs of the last forward pass, (rows, N)."""
        return self.a[-1][:, 0, :]

    def _layer_input(self, l: int) -> np.ndarray:
        """The inputs of layer l, (rows, fan_in, N) — or (P, n, 1) for shared inputs."""
        if l > 0:
            return self.a[l - 1]
        return self.inputs[:, :, None] if self.shared else self.x

    def forward(self, W: list[np.ndarray]) -> None:
        last = len(W) - 1
        for l, Wl in enumerate(W):
            z, fan_in = self.z[l], Wl.shape[0] - 1
            weights, bias = Wl[:fan_in], Wl[fan_in]
            if l == 0 and self.shared:
                # z_pj = b_j + Σ_{i: x_pi = 1} W_ij, inputs being 0 or 1
                np.copyto(z, bias)
                for i, rows in enumerate(self.z0_where_input):
                    np.add(rows, weights[i], out=rows)
            else:
                # z_pj = Σ_i a_pi W_ij + b_j   (rows, fan_out, N)
                products = self.forward_products[l]
                np.multiply(self._layer_input(l)[:, :, None, :], weights, out=products)
                sum_axis1(products, z)
                np.add(z, bias, out=z)
            act = self.output_act if l == last else self.hidden_act
            act.forward(z, self.a[l])
            act.derivative(z, self.a[l], self.fprime[l])

    def loss_value(self, t: np.ndarray, out: np.ndarray) -> np.ndarray:
        """E per network (N,) from the last forward pass."""
        self.loss.terms(self.z[-1][:, 0, :], self.y, t, self.terms)
        if self.n_rows > 1:
            sum_leading_inplace(self.terms, out=out)
        else:
            np.copyto(out, self.terms[0])
        np.multiply(out, self.loss.scale(self.n_rows), out=out)
        return out

    def backward(self, W: list[np.ndarray], G: list[np.ndarray], t: np.ndarray) -> None:
        """Gradients of E with respect to every W_l (times η, given ``lr``), into G_l."""
        last = len(W) - 1
        self.loss.delta(self.z[last][:, 0, :], self.y, t, self.fprime[last][:, 0, :],
                        self.delta_factor, self.delta[last][:, 0, :])
        for l in range(last, -1, -1):
            delta, fan_in = self.delta[l], W[l].shape[0] - 1
            inputs = self._layer_input(l)
            # ∂E/∂W_ij = Σ_p a_pi δ_pj,  ∂E/∂b_j = Σ_p δ_pj   (p over patterns)
            if self.grad_products is None:
                np.multiply(inputs[0][:, None, :], delta[0], out=G[l][:fan_in])
                np.copyto(G[l][fan_in], delta[0])
            elif l == 0 and self.shared:
                # binary inputs: ∂E/∂W_ij = Σ_{p: x_pi = 1} δ_pj, summed pairwise
                for i, rows in enumerate(self.delta0_where_input):
                    sum_two_leading(rows, self.half_rows, G[l][i])
                half = self.n_rows // 2
                np.add(delta[:half], delta[half:], out=self.half_rows)
                sum_leading_inplace(self.half_rows, out=G[l][fan_in])
            else:
                products = self.grad_products[l]
                np.multiply(inputs[:, :, None, :], delta[:, None, :, :], out=products[:, :fan_in])
                np.copyto(products[:, fan_in], delta)
                sum_leading_inplace(products, out=G[l])
            if l == 0:
                break
            # δ_{l−1, i} = (Σ_j δ_j W_ij) f′(z_{l−1, i})
            back = self.delta[l - 1]
            if delta.shape[1] == 1:  # one unit above: no sum over j
                np.multiply(delta, W[l][:fan_in, 0], out=back)
            else:
                weights_t = W[l][:fan_in].transpose(1, 0, 2)  # (fan_out, fan_in, N)
                products = self.back_products[l]
                np.multiply(delta[:, :, None, :], weights_t, out=products)
                sum_axis1(products, back)
            np.multiply(back, self.fprime[l - 1], out=back)


def where_input(rows: np.ndarray, i: int, n: int) -> np.ndarray:
    """The patterns whose input i is 1, as a view (2^i, 2^(n−1−i), ...) of ``rows``.

    Patterns are in counting order with input 0 the most significant bit, so
    input i is 1 on every other block of 2^(n−1−i) consecutive patterns.
    """
    return rows.reshape(2**i, 2, 2 ** (n - 1 - i), *rows.shape[1:])[:, 1]


def sum_two_leading(view: np.ndarray, scratch: np.ndarray, out: np.ndarray) -> None:
    """out = Σ over the two leading axes of ``view`` (both powers of two), pairwise.

    Axis 1 is halved first, then axis 0; ``view`` is left untouched, ``scratch``
    (at least view.shape[0] · view.shape[1] / 2 rows) holds the partial sums.
    """
    a, b = view.shape[:2]
    if a * b == 2:  # two patterns (every two-input task): one addition
        first, second = (view[0, 0], view[0, 1]) if b == 2 else (view[0, 0], view[1, 0])
        np.add(first, second, out=out)
        return
    if b > 1:
        partial = scratch[: a * b // 2].reshape(a, b // 2, *view.shape[2:])
        np.add(view[:, : b // 2], view[:, b // 2 :], out=partial)
    else:
        partial = scratch[: a // 2].reshape(a // 2, 1, *view.shape[2:])
        np.add(view[: a // 2], view[a // 2 :], out=partial)
    a, b = partial.shape[:2]
    while b > 1:  # halve axis 1 in place
        b //= 2
        np.add(partial[:, :b], partial[:, b : 2 * b], out=partial[:, :b])
    column = partial[:, 0]
    while a > 2:  # then axis 0
        a //= 2
        np.add(column[:a], column[a : 2 * a], out=column[:a])
    if a == 2:
        np.add(column[0], column[1], out=out)
    else:
        np.copyto(out, column[0])


def sum_axis1(products: np.ndarray, out: np.ndarray) -> None:
    """out = Σ_k products[:, k], added in order k = 0, 1, 2, … (fixed rounding)."""
    if products.shape[1] == 1:
        np.copyto(out, products[:, 0])
        return
    np.add(products[:, 0], products[:, 1], out=out)
    for k in range(2, products.shape[1]):
        np.add(out, products[:, k], out=out)
