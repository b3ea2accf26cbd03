"""The compiled training loop (numba): every setup, one compilation per dtype.

Activation, loss, optimizer, criterion and the architecture are run-time values
(codes, a layout table), switched outside the loops over networks, so one
compilation — cached on disk, ~0.3 s to load in a new process — serves every grid.

Layout: θ is (D, N), network index last (:mod:`xorbench.engine.layout`), and each call
works through the networks ``LANES`` at a time, copying their columns into small
local buffers that stay in cache for all the epochs of the call. The innermost
loops run over the lanes with a constant count and no dependence between lanes,
so they vectorise, and every lane — padding or not — follows the same
arithmetic: a network's numbers never depend on its batch-mates.

Every compiled function lives in this one file: numba's disk cache notices a
change only in the file of the function it cached, not in the files of the
functions that one calls, so a split would let a stale kernel outlive an edit.
The parts are subroutines (:mod:`xorbench.engine.subroutines`), compiled only into
the entry points (``run``, ``exp_values``, ``activation_values``), which numba
turns into machine code once each: a first run compiles the kernel in about 0.6 of
the time that separate ``njit`` functions took.

Numerics (``engine_numerics`` 3): IEEE arithmetic in the order written, no
fastmath, no FMA contraction. ``exp`` is this module's own polynomial (with
explicit fused multiply-adds, rounded once everywhere), so that it vectorises and
gives the same bits on any CPU; ``tanh``, ``expm1``, ``log1p``,
``sin``, ``cos`` and ``sqrt`` are the C library's. Every stored number (θ,
optimizer state, activations) has the batch's dtype; in float32 networks the C
library functions are the float32 ones, and what is built on ``exp`` (sigmoid,
softplus, GELU, the bce term) is evaluated in float64 and rounded once.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

# tanh, log1p, … from the C library, never Intel's SVML (which numba would use if
# icc_rt is installed, and whose last bits differ): read when numba is first imported
os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

from xorbench.engine.subroutines import subroutine

# this file as it was imported: what the functions in memory were compiled from (the
# builds of xorbench.engine.build_source, which call them, are named by it: xorbench.engine.builds)
SOURCE_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

LANES = 64  # networks per local block; a multiple of every vector width
CHECK_EVERY = 32  # divergence is checked at epochs 0, 32, 64, ... (see engine)

# run-time codes (xorbench.engine.kernel_args maps the choice tables' names to these)
SIGMOID, TANH, RELU, LEAKY_RELU, ELU, GELU, SOFTPLUS, SIN, LINEAR = range(9)
MSE, SSE, BCE = range(3)
SGD, MOMENTUM, NESTEROV, ADAM, RPROP, RPROP_PLUS, IRPROP_PLUS = range(7)
THRESHOLD, TOLERANCE, RMS = range(3)
# positions in the ``codes`` array every kernel takes
HIDDEN, OUTPUT, LOSS, OPTIMIZER, CRITERION = range(5)
# positions in the ``consts`` array (of the batch's dtype): numbers used in arithmetic
ZERO, HALF, ONE, TWO, ALPHA, BETA1, BETA2, LEVEL, ADAM_EPS = range(9)
SCALE_FULL, FACTOR_FULL, FACTOR_ONE = range(9, 12)  # c and k of E over P rows, k on 1 row
RPROP_UP, RPROP_DOWN, RPROP_MIN, RPROP_MAX, GELU_C, GELU_K, GELU_3K = range(12, 19)
MEAN_FULL = 19  # 1 / P, for means over the patterns
N_CONSTS = 20
# the layout table: one row per layer
FAN_IN, FAN_OUT, THETA_START, UNIT_START = range(4)

# exp(x) = 2^k e^r, k = round(x / ln 2), r = x − k ln 2 with ln 2 split in two
# (Cody–Waite) so that r is exact; e^r on |r| ≤ ln 2 / 2 by a degree-11 polynomial
# fitted for least maximum relative error (3e-18, far below an ulp; Taylor's degree
# 12 would leave 1.7e-16), evaluated with fused multiply-adds
LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
P0, P1, P2, P3, P4, P5 = (1.0, 1.0, 0.5000000000000018, 0.1666666666666617,
                          0.04166666666649277, 0.008333333333559277)
P6, P7, P8, P9, P10, P11 = (0.001388888895122399, 0.00019841269432665945,
                            2.4801486521421385e-05, 2.755762254220272e-06,
                            2.763229328234323e-07, 2.499430138614208e-08)
EXP_MAX, EXP_MIN = 709.782712893384, -708.3964185322641  # e^x overflows / is subnormal
# a whole k with |k| < 2^51 plus 1.5 · 2^52 is exact and holds k in its low bits: k as
# an int64 without a float-to-int conversion, which AVX2 lacks for vectors (LLVM then
# converts lane by lane: builds train 4–9 % slower)
WHOLE_SHIFT = 6755399441055744.0
WHOLE_SHIFT_BITS = 0x4338000000000000


@intrinsic
def fma(typingctx, a, b, c):
    """a · b + c rounded once (LLVM's llvm.fma: the hardware's FMA, or the C library's
    correctly rounded fma where there is none, so the same bits everywhere)."""
    double = ir.DoubleType()

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.fma", [double],
                                              ir.FunctionType(double, [double] * 3))
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@intrinsic
def as_float(typingctx, bits):
    """The float64 whose IEEE bits are the int64 ``bits`` (a reinterpretation)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def as_bits(typingctx, x):
    """The IEEE bits of the float64 ``x``, as an int64 (a reinterpretation)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


def like(x, of):
    """x rounded to the type of ``of`` (float32 or float64), as storing it into an array
    of that dtype would round it. Compiled only (see the overload below)."""
    raise NotImplementedError


@overload(like)
def _like(x, of):
    if of == types.float32:
        return lambda x, of: np.float32(x)
    return lambda x, of: np.float64(x)


@subroutine
def zeros(shape, of):
    """np.zeros(shape) of ``of``'s dtype, allocated flat and reshaped: numba compiles
    ``np.zeros`` as functions of their own, machine code and all, for each number of
    dimensions and dtype (about 2 s of the kernel's compile); one 1-D allocation
    serves every shape."""
    size = 1
    for n in shape:
        size *= n
    return np.zeros(size, of.dtype).reshape(shape)


@subroutine
def exp(x):
    """e^x in float64 to < 1 ulp: inf above EXP_MAX, 0 below EXP_MIN (no subnormals),
    NaN stays NaN. Branch-free, so that a loop over lanes calling it vectorises;
    2^k is applied as 2^h · 2^(k − h), h = ⌊k/2⌋, each built from its exponent bits.
    """
    x = np.float64(x)
    clamped = 0.0 if x != x else min(max(x, -708.5), 709.8)  # NaN: fixed below
    k = np.floor(clamped * LOG2E + 0.5)
    r = (clamped - k * LN2_HI) - k * LN2_LO
    # e^r = P0 + r (P1 + r (P2 + … + r P11)), Horner with fused multiply-adds
    poly = fma(r, P11, P10)
    for coefficient in (P9, P8, P7, P6, P5, P4, P3, P2, P1, P0):
        poly = fma(r, poly, coefficient)
    whole = as_bits(k + WHOLE_SHIFT) - WHOLE_SHIFT_BITS  # k as an int64
    half = whole >> 1
    value = poly * as_float((half + 1023) << 52) * as_float((whole - half + 1023) << 52)
    value = np.inf if x > EXP_MAX else value
    value = 0.0 if x < EXP_MIN else value
    return x if x != x else value


@nb.njit(cache=True, error_model="numpy")
def exp_values(x, out):
    """out = e^x for a 1-D float64 array, a row of lanes at a time (as training does)."""
    for first in range(0, x.shape[0] - LANES + 1, LANES):
        for s in range(LANES):
            out[first + s] = exp(x[first + s])
    for i in range(x.shape[0] - x.shape[0] % LANES, x.shape[0]):
        out[i] = exp(x[i])


# The activation functions, one network's unit at a time: (f(z), f′(z)) in z's dtype,
# ``k`` the constants they use (:func:`activation_constants`). What is built on exp
# is evaluated in float64 and rounded once to z's dtype. Subroutines (as are all the
# kernel's parts: :mod:`xorbench.engine.subroutines`), inlined by LLVM into the loops
# over lanes that call them, which then vectorise.
@subroutine
def activation_constants(c):
    """The activations' constants, out of the ``consts`` array: zero, one, alpha and
    GELU's c, k and 3k."""
    return c[ZERO], c[ONE], c[ALPHA], c[GELU_C], c[GELU_K], c[GELU_3K]


@subroutine
def sigmoid(z, k):
    """σ(z) = 1 / (1 + e^−z),  σ′ = σ (1 − σ)"""
    a = like(1.0 / (1.0 + exp(-z)), z)
    return a, a * (k[1] - a)


@subroutine
def tanh(z, k):
    """tanh′ = 1 − tanh²"""
    a = math.tanh(z)
    return a, k[1] - a * a


@subroutine
def relu(z, k):
    """max(z, 0); derivative 1 if z > 0 else 0"""
    zero, one = k[0], k[1]
    return (zero if z <= zero else z), (one if z > zero else zero)


@subroutine
def leaky_relu(z, k):
    """z if z > 0 else α z; derivative 1 or α"""
    zero, one, alpha = k[0], k[1], k[2]
    return (alpha * z if z <= zero else z), (one if z > zero else alpha)


@subroutine
def elu(z, k):
    """z if z > 0 else α (e^z − 1); derivative 1 or f(z) + α"""
    zero, one, alpha = k[0], k[1], k[2]
    a = alpha * math.expm1(z) if z <= zero else z
    return a, (one if z > zero else a + alpha)


@subroutine
def gelu(z, k):
    """½ z (1 + tanh v), v = c (z + k z³), written with 1 + tanh v = 2 σ(2v) (no
    cancellation where tanh v ≈ −1): z σ(2v); derivative
    ½ (1 + tanh v) + ½ z (1 − tanh² v) v′ = σ + 2 z σ (1 − σ) v′, v′ = c (1 + 3 k z²)"""
    one, gelu_c, gelu_k, gelu_3k = k[1], k[3], k[4], k[5]
    sig = 1.0 / (1.0 + exp(-2.0 * (gelu_c * (z + gelu_k * z * z * z))))
    dv = gelu_c * (one + gelu_3k * z * z)
    return like(z * sig, z), like(sig + 2.0 * z * sig * (1.0 - sig) * dv, z)


@subroutine
def softplus(z, k):
    """log(1 + e^z) = max(z, 0) + log(1 + e^−|z|);  derivative σ(z), 1 / (1 + e^−z) for
    z ≥ 0 and e^z / (1 + e^z) below"""
    zero = k[0]
    e = exp(-abs(z))
    return (like((zero if z <= zero else z) + math.log1p(e), z),
            like(1.0 / (1.0 + e) if z >= zero else e / (1.0 + e), z))


@subroutine
def sin(z, k):
    return math.sin(z), math.cos(z)


@subroutine
def linear(z, k):
    return z, k[1]


# each kind's function by its code, for the builds of xorbench.engine.build_source
ACTIVATION_FUNCTIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus",
                        "sin", "linear")


@subroutine
def activate(kind, c, z, a, fp, first_row, stop_row, first_unit, stop_unit):
    """a = f(z) and fp = f′(z) of units [first_unit, stop_unit) on rows [first_row,
    stop_row), every lane, for activation ``kind``; ``c`` the constants."""
    k = activation_constants(c)
    for p in range(first_row, stop_row):
        for u in range(first_unit, stop_unit):
            if kind == SIGMOID:
                for s in range(LANES):
                    a[p, u, s], fp[p, u, s] = sigmoid(z[p, u, s], k)
            elif kind == TANH:
                for s in range(LANES):
                    a[p, u, s], fp[p, u, s] = tanh(z[p, u, s], k)
            elif kind == RELU:
                for s in range(LANES):
                    a[p, u, s], fp[p, u, s] = relu(z[p, u, s], k)
            elif kind == LEAKY_RELU:
                for s in range(LANES):
                    a[p, u, s], fp[p, u, s] = leaky_relu(z[p, u, s], k)
            elif kind == ELU:
                for s in range(LANES):
                    a[p, u, s], fp[p, u, s] = elu(z[p, u, s], k)
            elif kind == GELU:
                for s in range(LANES):
                    a[p, u, s], fp[p, u, s] = gelu(z[p, u, s], k)
            elif kind == SOFTPLUS:
                for s in range(LANES):
                    a[p, u, s], fp[p, u, s] = softplus(z[p, u, s], k)
            elif kind == SIN:
                for s in range(LANES):
                    a[p, u, s], fp[p, u, s] = sin(z[p, u, s], k)
            else:
                for s in range(LANES):
                    a[p, u, s], fp[p, u, s] = linear(z[p, u, s], k)


@subroutine
def forward(theta, layout, x, first_row, stop_row, z, a, fp, codes, c, shared):
    """Rows [first_row, stop_row) (one pattern per lane each) through every layer:
    z = b + Σ_i x_i w_ij, a = f(z).

    x (rows, n, LANES) holds each lane's inputs; z, a, fp are (rows, units, LANES).
    ``shared``: every lane sees the same binary inputs (full batch), so the first layer
    adds the weights of the inputs that are 1 and skips the others.
    """
    n_layers = layout.shape[0]
    for l in range(n_layers):
        fan_in, fan_out, first, here = layout[l]
        below = layout[l - 1, UNIT_START]
        for p in range(first_row, stop_row):
            for j in range(fan_out):
                u, bias = here + j, first + fan_in * fan_out + j  # w_ij at first + i fan_out + j
                if l == 0 and shared:  # inputs 0 or 1, the same in every lane
                    for s in range(LANES):
                        z[p, u, s] = theta[bias, s]
                    for i in range(fan_in):
                        if x[p, i, 0] != 0:
                            for s in range(LANES):
                                z[p, u, s] += theta[first + i * fan_out + j, s]
                elif l == 0:  # the first term added to the bias in the same pass
                    for s in range(LANES):
                        z[p, u, s] = theta[bias, s] + x[p, 0, s] * theta[first + j, s]
                    for i in range(1, fan_in):
                        w = first + i * fan_out + j
                        for s in range(LANES):
                            z[p, u, s] += x[p, i, s] * theta[w, s]
                else:
                    for s in range(LANES):
                        z[p, u, s] = theta[bias, s] + a[p, below, s] * theta[first + j, s]
                    for i in range(1, fan_in):
                        w = first + i * fan_out + j
                        for s in range(LANES):
                            z[p, u, s] += a[p, below + i, s] * theta[w, s]
        kind = codes[OUTPUT] if l == n_layers - 1 else codes[HIDDEN]
        activate(kind, c, z, a, fp, first_row, stop_row, here, here + fan_out)


@subroutine
def backward(theta, layout, x, first_row, stop_row, a, fp, targets, loss, factor, delta, grad,
             shared):
    """Add ∂E/∂θ of rows [first_row, stop_row), in row order, to ``grad`` (D, LANES).

    At the output δ = ∂E/∂z = k (y − t) f′(z), or k (σ(z) − t) for bce (``factor`` k,
    targets (rows, LANES)); then ∂E/∂w_ij = x_i δ_j, ∂E/∂b_j = δ_j and
    δ_i = f′(z_i) Σ_j w_ij δ_j layer by layer down. ``shared`` as in :func:`forward`.
    """
    out = a.shape[1] - 1
    for p in range(first_row, stop_row):
        if loss == BCE:
            for s in range(LANES):
                delta[out, s] = factor * (a[p, out, s] - targets[p, s])
        else:
            for s in range(LANES):
                delta[out, s] = factor * (a[p, out, s] - targets[p, s]) * fp[p, out, s]
        for l in range(layout.shape[0] - 1, -1, -1):
            fan_in, fan_out, first, here = layout[l]
            below = layout[l - 1, UNIT_START]
            for j in range(fan_out):
                bias = first + fan_in * fan_out + j
                for s in range(LANES):
                    grad[bias, s] += delta[here + j, s]
                for i in range(fan_in):
                    w = first + i * fan_out + j
                    if l == 0 and shared:  # inputs 0 or 1, the same in every lane
                        if x[p, i, 0] != 0:
                            for s in range(LANES):
                                grad[w, s] += delta[here + j, s]
                    elif l == 0:
                        for s in range(LANES):
                            grad[w, s] += x[p, i, s] * delta[here + j, s]
                    else:
                        for s in range(LANES):
                            grad[w, s] += a[p, below + i, s] * delta[here + j, s]
            if l == 0:
                break
            for i in range(fan_in):
                w = first + i * fan_out  # w_i0
                if fan_out == 1:  # one pass: δ_i = (w_i0 δ_0) f′(z_i)
                    for s in range(LANES):
                        delta[below + i, s] = (theta[w, s] * delta[here, s]
                                               * fp[p, below + i, s])
                    continue
                for s in range(LANES):
                    delta[below + i, s] = theta[w, s] * delta[here, s]
                for j in range(1, fan_out):
                    for s in range(LANES):
                        delta[below + i, s] += theta[w + j, s] * delta[here + j, s]
                for s in range(LANES):
                    delta[below + i, s] *= fp[p, below + i, s]


# The optimizers' updates, one parameter of one network at a time: (θ, s0, s1) after
# one update from gradient g, s0 and s1 the parameter's state, η its network's
# learning rate, ``q`` the constants (:func:`step_constants`). Inlined by LLVM as
# the activations are.
@subroutine
def sgd(theta, g, s0, s1, eta, q):
    """θ ← θ − η ∇E"""
    return theta - eta * g, s0, s1


@subroutine
def momentum(theta, g, v, s1, eta, q):
    """v ← β v + ∇E;  θ ← θ − η v"""
    v = q[2] * v + g
    return theta - eta * v, v, s1


@subroutine
def nesterov(theta, g, v, s1, eta, q):
    """v ← β v + ∇E;  θ ← θ − η (∇E + β v)  (as in PyTorch)"""
    v = q[2] * v + g
    return theta - eta * (g + q[2] * v), v, s1


@subroutine
def adam(theta, g, m, v, eta, q):
    """m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²   (Kingma & Ba 2015)
    θ ← θ − η m̂ / (√v̂ + ε),  m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)"""
    beta1, beta2, fresh1, fresh2, eps, unbias1, unbias2 = q[2], q[3], q[4], q[5], q[6], q[7], q[8]
    m = beta1 * m + fresh1 * g
    v = beta2 * v + fresh2 * (g * g)
    root = math.sqrt(v / unbias2)
    return theta - eta * (m / unbias1) / (root + eps), m, v


@subroutine
def rprop(theta, g, step_size, g_prev, eta, q):
    """iRprop− (Igel & Hüsken 2000): Δ ← min(η⁺Δ, Δmax) if g · g_prev > 0;
    Δ ← max(η⁻Δ, Δmin) and g ← 0 if < 0;  θ ← θ − sign(g) Δ;  g_prev ← g"""
    zero, one = q[0], q[1]
    agreement = g * g_prev
    if agreement > zero:
        step_size = min(step_size * q[9], q[12])
    elif agreement < zero:
        step_size = max(step_size * q[10], q[11])
        g = zero
    sign = one if g > zero else (-one if g < zero else g)  # NaN stays NaN
    return theta - sign * step_size, step_size, g


@subroutine
def rprop_plus(theta, g, step_size, g_prev, eta, q):
    """Rprop+ (Riedmiller & Braun 1993): as iRprop− while g · g_prev ≥ 0; when < 0,
    Δ ← max(η⁻Δ, Δmin), the last update is undone and g ← 0. That update was
    −sign(g_prev) Δ with Δ as stored (g_prev ≠ 0 means it was a step of that size), so
    undoing it is θ ← θ + sign(g_prev) Δ: no third state is needed."""
    zero, one = q[0], q[1]
    agreement = g * g_prev
    if agreement < zero:
        back = one if g_prev > zero else -one
        return theta + back * step_size, max(step_size * q[10], q[11]), zero
    if agreement > zero:
        step_size = min(step_size * q[9], q[12])
    sign = one if g > zero else (-one if g < zero else g)  # NaN stays NaN
    return theta - sign * step_size, step_size, g


@subroutine
def irprop_plus(theta, g, step_size, g_prev, worse, q):
    """iRprop+ (Igel & Hüsken 2000): as Rprop+, but when g · g_prev < 0 the last update
    is undone only if the error rose with it (``worse`` > 0: E(t) > E(t−1), see
    :func:`note_error`), else θ stays. Rprop never uses η (it is the first Δ), so the
    lane's fifth argument is ``worse`` here."""
    zero, one = q[0], q[1]
    agreement = g * g_prev
    if agreement < zero:
        undone = theta + (one if g_prev > zero else -one) * step_size
        return (undone if worse > zero else theta), max(step_size * q[10], q[11]), zero
    if agreement > zero:
        step_size = min(step_size * q[9], q[12])
    sign = one if g > zero else (-one if g < zero else g)  # NaN stays NaN
    return theta - sign * step_size, step_size, g


# each optimizer's function by its code, for the builds of xorbench.engine.build_source
OPTIMIZER_FUNCTIONS = ("sgd", "momentum", "nesterov", "adam", "rprop", "rprop_plus",
                       "irprop_plus")


@subroutine
def note_error(state, row, error, c):
    """iRprop+'s books before an update, every lane: state[1, row] ← 1 if the error
    E(t) (``error``) is above E(t−1) (state[0, row], kept by the last update; +inf at
    first), else 0; then state[0, row] ← E(t). ``row`` is the state's extra row, D."""
    for s in range(LANES):
        state[1, row, s] = c[ONE] if error[s] > state[0, row, s] else c[ZERO]
        state[0, row, s] = error[s]


@subroutine
def step_constants(c, t):
    """The updates' constants at update ``t`` (counted from 1), in the dtype of ``c``:
    zero, one, β1, β2, 1 − β1, 1 − β2, ε, 1 − β1^t, 1 − β2^t, and Rprop's η⁺, η⁻, Δmin,
    Δmax."""
    one, beta1, beta2 = c[ONE], c[BETA1], c[BETA2]
    return (c[ZERO], one, beta1, beta2, one - beta1, one - beta2, c[ADAM_EPS],
            like(1.0 - np.float64(beta1) ** t, one), like(1.0 - np.float64(beta2) ** t, one),
            c[RPROP_UP], c[RPROP_DOWN], c[RPROP_MIN], c[RPROP_MAX])


@subroutine
def step(optimizer, theta, grad, state, lr, t, c):
    """One update of every lane's θ from its gradient ∇E; ``t`` counts updates from 1.
    ``state`` is (2, D, LANES), or for iRprop+ (2, D + 1, LANES) (:func:`note_error`)."""
    q = step_constants(c, t)
    n_params = theta.shape[0]
    for d in range(n_params):
        # one loop per optimizer, each calling its function
        if optimizer == SGD:
            for s in range(LANES):
                theta[d, s], state[0, d, s], state[1, d, s] = sgd(
                    theta[d, s], grad[d, s], state[0, d, s], state[1, d, s], lr[s], q)
        elif optimizer == MOMENTUM:
            for s in range(LANES):
                theta[d, s], state[0, d, s], state[1, d, s] = momentum(
                    theta[d, s], grad[d, s], state[0, d, s], state[1, d, s], lr[s], q)
        elif optimizer == NESTEROV:
            for s in range(LANES):
                theta[d, s], state[0, d, s], state[1, d, s] = nesterov(
                    theta[d, s], grad[d, s], state[0, d, s], state[1, d, s], lr[s], q)
        elif optimizer == ADAM:
            for s in range(LANES):
                theta[d, s], state[0, d, s], state[1, d, s] = adam(
                    theta[d, s], grad[d, s], state[0, d, s], state[1, d, s], lr[s], q)
        elif optimizer == RPROP:
            for s in range(LANES):
                theta[d, s], state[0, d, s], state[1, d, s] = rprop(
                    theta[d, s], grad[d, s], state[0, d, s], state[1, d, s], lr[s], q)
        elif optimizer == RPROP_PLUS:
            for s in range(LANES):
                theta[d, s], state[0, d, s], state[1, d, s] = rprop_plus(
                    theta[d, s], grad[d, s], state[0, d, s], state[1, d, s], lr[s], q)
        else:  # iRprop+: whether the error rose is in the state's extra row (note_error)
            for s in range(LANES):
                theta[d, s], state[0, d, s], state[1, d, s] = irprop_plus(
                    theta[d, s], grad[d, s], state[0, d, s], state[1, d, s],
                    state[1, n_params, s], q)


@subroutine
def observe(epoch, theta, layout, rows, z, a, fp, targets, codes, c, lanes, epoch_solved,
            diverged, losses, row, loss_now, score):
    """The state after ``epoch`` epochs, seen on every pattern: forward pass, criterion
    score, epoch_solved, the loss where it is kept (into ``losses[row]``; −1: not kept)
    or checked (and for iRprop+ every epoch, into ``loss_now``), divergence freezing
    every CHECK_EVERY epochs. ``lanes`` is how many lanes hold real
    networks."""
    n_patterns, out = z.shape[0], z.shape[1] - 1
    zero, half, one, two, level = c[ZERO], c[HALF], c[ONE], c[TWO], c[LEVEL]
    forward(theta, layout, rows, 0, n_patterns, z, a, fp, codes, c, True)
    criterion = codes[CRITERION]
    if criterion == RMS:
        for s in range(LANES):
            score[s] = zero
        for p in range(n_patterns):  # Σ_p (y_p − t_p)², added in pattern order
            for s in range(LANES):
                error = a[p, out, s] - targets[p]
                score[s] += error * error
        for s in range(LANES):  # r − √(Σ_p (y_p − t_p)² / P), P a power of two
            score[s] = level - math.sqrt(score[s] * c[MEAN_FULL])
    else:
        # threshold: min_p (y_p − ½)(2 t_p − 1);  tolerance: d − max_p |y_p − t_p|;
        # a NaN output makes the score NaN (not solved)
        for s in range(LANES):
            score[s] = np.inf
        for p in range(n_patterns):
            t = targets[p]
            sign = two * t - one
            for s in range(LANES):
                y = a[p, out, s]
                value = (y - half) * sign if criterion == THRESHOLD else level - abs(y - t)
                score[s] = value if (value < score[s] or value != value) else score[s]
    for s in range(lanes):
        if score[s] > zero and epoch_solved[s] < 0:
            epoch_solved[s] = epoch
    if row < 0 and epoch % CHECK_EVERY != 0 and codes[OPTIMIZER] != IRPROP_PLUS:
        return  # iRprop+ compares E every epoch
    full_loss(z, a, targets, codes, c, loss_now)
    if row >= 0:
        for s in range(lanes):
            losses[row, s] = loss_now[s]
    if epoch % CHECK_EVERY == 0:
        for s in range(lanes):  # frozen: NaN stays NaN, touching nobody else
            if not math.isfinite(loss_now[s]) and not diverged[s]:
                diverged[s] = True
                theta[:, s] = np.nan


@subroutine
def full_loss(z, a, targets, codes, c, loss_now):
    """E over every pattern into ``loss_now``, from the forward pass in z, a."""
    n_patterns, out = z.shape[0], z.shape[1] - 1
    zero = c[ZERO]
    for s in range(LANES):
        loss_now[s] = zero
    for p in range(n_patterns):  # E = c Σ_p term_p, added in pattern order
        t = targets[p]
        if codes[LOSS] == BCE:
            # term log(1 + e^z) − t z = max(z, 0) − t z + log(1 + e^−|z|), stable
            for s in range(LANES):
                zs = z[p, out, s]
                loss_now[s] += ((zero if zs <= zero else zs) - t * zs
                                + math.log1p(exp(-abs(zs))))
        else:
            for s in range(LANES):  # term (y − t)²
                error = a[p, out, s] - t
                loss_now[s] += error * error
    for s in range(LANES):
        loss_now[s] *= c[SCALE_FULL]


@subroutine
def full_gradient(theta, layout, rows, a, fp, target_rows, delta, grad, codes, c):
    """∇E over every pattern into ``grad``, from the forward pass in a, fp."""
    grad[:] = c[ZERO]
    backward(theta, layout, rows, 0, a.shape[0], a, fp, target_rows, codes[LOSS], c[FACTOR_FULL],
             delta, grad, True)  # summed in pattern order


@nb.njit(cache=True, error_model="numpy")
def run(theta, state, lr, layout, inputs, targets, codes, c, epoch_solved, diverged, losses,
        kept, first_epoch, stop_epoch, seen_first, orders, orders_start, record, outputs,
        derivatives, gradients, final_loss, scores):
    """Train every network (column) of θ from ``first_epoch`` to ``stop_epoch``.

    theta (D, N) and state (2, D, N) — (2, D + 1, N) for iRprop+, whose extra row keeps
    each network's last error (:func:`note_error`) — are updated in place, as are
    epoch_solved, diverged and losses[k] (the loss after kept[k] epochs; ``kept`` ascending, so the
    memory kept never depends on the budget).
    ``seen_first``: the previous call recorded ``first_epoch``, so its books (score,
    loss, divergence) are kept already and only its forward pass is redone.
    ``layout`` is the architecture (layers × FAN_IN, FAN_OUT, THETA_START,
    UNIT_START); inputs (P, n) and targets (P,) the task; ``c`` the constants.
    ``orders`` (k, updates, N) holds the patterns of online / sampled epochs
    ``orders_start`` …; full batch when it has no updates. With ``record``, the state
    at ``stop_epoch`` is observed too: every unit's activation and its derivative on
    every pattern into outputs and derivatives (P, units, N), ∇E into gradients
    (D, N), E into final_loss and the criterion's score into scores (N,).
    """
    n_params, n_nets = theta.shape
    n_patterns, n_inputs = inputs.shape
    n_units = layout[-1, UNIT_START] + 1
    full_batch = orders.shape[1] == 0
    rows = zeros((n_patterns, n_inputs, LANES), theta)  # every lane sees pattern p
    target_rows = zeros((n_patterns, LANES), theta)
    for p in range(n_patterns):
        target_rows[p] = targets[p]
        for i in range(n_inputs):
            rows[p, i] = inputs[p, i]
    th = zeros((n_params, LANES), theta)
    grad = zeros((n_params, LANES), theta)
    st = zeros((2, state.shape[1], LANES), theta)  # iRprop+: one more row (note_error)
    rate = zeros((LANES,), theta)
    z = zeros((n_patterns, n_units, LANES), theta)
    a, fp = zeros(z.shape, theta), zeros(z.shape, theta)
    delta = zeros((n_units, LANES), theta)
    x = zeros((1, n_inputs, LANES), theta)  # online: each lane's pattern
    t = zeros((1, LANES), theta)
    z1 = zeros((1, n_units, LANES), theta)
    a1, fp1 = zeros(z1.shape, theta), zeros(z1.shape, theta)
    loss_now, score = zeros((LANES,), theta), zeros((LANES,), theta)
    solved_at = np.zeros(LANES, np.int64)
    frozen = np.zeros(LANES, np.bool_)
    picks = np.zeros(LANES, np.int64)
    optimizer, loss = codes[OPTIMIZER], codes[LOSS]
    per_epoch = orders.shape[1]
    n_kept = kept.shape[0]
    for first in range(0, n_nets, LANES):
        lanes = min(LANES, n_nets - first)
        # padding lanes train zeros with η = 0 and are never copied back
        th[:] = 0
        st[:] = 0
        rate[:] = 0
        picks[:] = 0
        # element by element: a slice assignment would compile numba's shape-mismatch
        # message (its string formatting: about a sixth of the kernel's compile time)
        for s in range(lanes):
            for d in range(n_params):
                th[d, s] = theta[d, first + s]
            for d in range(state.shape[1]):
                st[0, d, s] = state[0, d, first + s]
                st[1, d, s] = state[1, d, first + s]
            rate[s] = lr[first + s]
            solved_at[s] = epoch_solved[first + s]
            frozen[s] = diverged[first + s]
        lane_losses = losses[:, first : first + lanes]  # a view: only the kept rows are written
        next_kept = 0  # the kept epochs ahead, in order
        while next_kept < n_kept and kept[next_kept] < first_epoch:
            next_kept += 1
        for epoch in range(first_epoch, stop_epoch):
            row = -1
            if next_kept < n_kept and kept[next_kept] == epoch:
                row = next_kept
                next_kept += 1
            if not (seen_first and epoch == first_epoch):
                observe(epoch, th, layout, rows, z, a, fp, targets, codes, c, lanes, solved_at,
                        frozen, lane_losses, row, loss_now, score)
            elif full_batch:  # the gradient needs the forward pass (iRprop+ E too)
                forward(th, layout, rows, 0, n_patterns, z, a, fp, codes, c, True)
                if optimizer == IRPROP_PLUS:
                    full_loss(z, a, targets, codes, c, loss_now)
            if full_batch:
                full_gradient(th, layout, rows, a, fp, target_rows, delta, grad, codes, c)
                if optimizer == IRPROP_PLUS:
                    note_error(st, n_params, loss_now, c)
                step(optimizer, th, grad, st, rate, epoch + 1, c)
                continue
            for update in range(per_epoch):
                # one update per drawn pattern, each lane its own pattern
                for s in range(lanes):
                    picks[s] = orders[epoch - orders_start, update, first + s]
                for s in range(LANES):
                    t[0, s] = targets[picks[s]]
                    for i in range(n_inputs):
                        x[0, i, s] = inputs[picks[s], i]
                forward(th, layout, x, 0, 1, z1, a1, fp1, codes, c, False)
                grad[:] = 0
                backward(th, layout, x, 0, 1, a1, fp1, t, loss, c[FACTOR_ONE], delta, grad, False)
                step(optimizer, th, grad, st, rate, epoch * per_epoch + update + 1, c)
        if record:
            row = next_kept if next_kept < n_kept and kept[next_kept] == stop_epoch else -1
            observe(stop_epoch, th, layout, rows, z, a, fp, targets, codes, c, lanes,
                    solved_at, frozen, lane_losses, row, loss_now, score)
            full_gradient(th, layout, rows, a, fp, target_rows, delta, grad, codes, c)
            for s in range(lanes):
                for p in range(n_patterns):
                    for u in range(n_units):
                        outputs[p, u, first + s] = a[p, u, s]
                        derivatives[p, u, first + s] = fp[p, u, s]
                for d in range(n_params):
                    gradients[d, first + s] = grad[d, s]
                final_loss[first + s] = loss_now[s]
                scores[first + s] = score[s]
        for s in range(lanes):
            for d in range(n_params):
                theta[d, first + s] = th[d, s]
            for d in range(state.shape[1]):
                state[0, d, first + s] = st[0, d, s]
                state[1, d, first + s] = st[1, d, s]
            epoch_solved[first + s] = solved_at[s]
            diverged[first + s] = frozen[s]


@nb.njit(cache=True, error_model="numpy")
def activation_values(kind, c, z, a, fp):
    """f(z) into ``a`` and f′(z) into ``fp`` for any number of values (1-D arrays): the
    training loop's own activation arithmetic, for decision boundaries and tests."""
    zb = zeros((1, 1, LANES), z)
    ab, fpb = zeros(zb.shape, z), zeros(zb.shape, z)
    for first in range(0, z.shape[0], LANES):
        lanes = min(LANES, z.shape[0] - first)
        for s in range(lanes):  # element by element, as in run
            zb[0, 0, s] = z[first + s]
        activate(kind, c, zb, ab, fpb, 0, 1, 0, 1)
        for s in range(lanes):
            a[first + s] = ab[0, 0, s]
            fp[first + s] = fpb[0, 0, s]
