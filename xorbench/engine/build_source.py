"""A build's source: the full-batch epoch written out for one setup.

The kernel (:mod:`xorbench.engine.kernel`) serves every setup from one compilation; its
loops over units and patterns have run-time lengths, so each step of an epoch is a
pass over 64 lanes through memory. A build writes the epoch out for one setup —
widths, input patterns, activations, loss, criterion and optimizer fixed — as
straight lines inside one loop over the lanes: a network's weights, activations,
deltas and gradient stay in registers, and the loop vectorises. The arithmetic is
the kernel's, in the kernel's order: a build calls the kernel's ``exp``,
activations and updates, and adds every sum as the kernel does, so a network's
numbers are the same bits whichever of the two trains it (tests/engine/test_build_source.py
compares them) — all but the optimizer state of a network frozen for diverging,
which is never used again. :mod:`xorbench.engine.builds` compiles, caches and finds them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from xorbench.config import Setup
from xorbench.config.optimizers import OPTIMIZERS
from xorbench.config.tasks import make_task
from xorbench.engine import kernel, kernel_args
from xorbench.engine.layout import layer_rows

# Builds larger than this (patterns × units, each a written-out activation) take too
# long to compile and spill registers; their setups stay with the kernel.
MAX_UNIT_PATTERNS = 48

@dataclass(frozen=True)
class Spec:
    """What a build fixes: the widths (inputs … 1), which inputs are 1 in each
    pattern, the kernel's codes of the hidden and output activations, loss, criterion
    and optimizer. The dtype and the constants stay run-time values."""

    widths: tuple[int, ...]
    patterns: tuple[tuple[bool, ...], ...]
    hidden: int
    output: int
    loss: int
    criterion: int
    optimizer: int

    @property
    def size(self) -> int:
        """Patterns × units: how much straight-line code the build has."""
        return len(self.patterns) * sum(self.widths[1:])


def spec_for(setup: Setup) -> Spec | None:
    """The build that can train this setup's batches, or None: only full-batch setups
    small enough (:data:`MAX_UNIT_PATTERNS`) trained correctly (a bug's plain loop has
    none) have one, and none whose optimizer compares errors (iRprop+: a build keeps no
    error between epochs)."""
    if (setup.batch.name != "full" or setup.bug.name != "none"
            or OPTIMIZERS.impl(setup.optimizer).uses_error):
        return None
    task = make_task(setup.task)
    codes = kernel_args.codes(setup)
    spec = Spec(setup.widths,
                tuple(tuple(bool(x != 0) for x in row) for row in task.inputs),
                int(codes[kernel.HIDDEN]), int(codes[kernel.OUTPUT]), int(codes[kernel.LOSS]),
                int(codes[kernel.CRITERION]), int(codes[kernel.OPTIMIZER]))
    return spec if spec.size <= MAX_UNIT_PATTERNS else None


def source(spec: Spec) -> str:
    """The build's module: one function, ``train``."""
    lines = _Lines()
    emit = lines.emit
    emit(f'"""Built by xorbench.engine.build_source for {spec!r}: do not edit."""')
    emit("import math")
    emit("")
    emit("import numba as nb")
    emit("import numpy as np")
    names = {kernel.ACTIVATION_FUNCTIONS[kind] for kind in (spec.hidden, spec.output)}
    names.add(kernel.OPTIMIZER_FUNCTIONS[spec.optimizer])
    emit("from xorbench.engine.kernel import (CHECK_EVERY, FACTOR_FULL, HALF, LANES, LEVEL,")
    emit("                                    MEAN_FULL, ONE, SCALE_FULL, TWO, ZERO,")
    emit("                                    activation_constants, exp, like, step_constants)")
    emit(f"from xorbench.engine.kernel import {', '.join(sorted(names))}")
    emit("")
    emit("")
    emit('@nb.njit(cache=True, error_model="numpy")')
    emit("def train(theta, state, lr, targets, c, epoch_solved, diverged, losses, kept,")
    emit("          first_epoch, stop_epoch):")
    emit('    """Full-batch epochs [first_epoch, stop_epoch) of every network (column) of')
    emit("    theta, as xorbench.engine.kernel.run trains them when no epoch was seen already and")
    emit('    nothing is recorded: the same numbers."""')
    with lines.indented():
        _prologue(spec, emit)
        emit("for first in range(0, n_nets, LANES):")
        with lines.indented():
            _lane_block(spec, lines)
    return lines.text()


def _lane_block(spec: Spec, lines: _Lines) -> None:
    """One block of 64 lanes: copied in, trained epoch by epoch, copied back."""
    emit = lines.emit
    emit("lanes = min(LANES, n_nets - first)")
    emit("lane[:] = 0  # padding lanes train zeros with η = 0 and are never copied back")
    emit("lane[:D, :lanes] = theta[:, first : first + lanes]")
    emit("lane[D : 2 * D, :lanes] = state[0, :, first : first + lanes]")
    emit("lane[2 * D : 3 * D, :lanes] = state[1, :, first : first + lanes]")
    emit("lane[RATE, :lanes] = lr[first : first + lanes]")
    emit("solved[:lanes] = epoch_solved[first : first + lanes]")
    emit("frozen[:lanes] = diverged[first : first + lanes]")
    emit("next_kept = np.searchsorted(kept, first_epoch)  # the kept epochs ahead")
    emit("for epoch in range(first_epoch, stop_epoch):")
    with lines.indented():
        emit("row = -1")
        emit("if next_kept < kept.shape[0] and kept[next_kept] == epoch:")
        emit("    row = next_kept")
        emit("    next_kept += 1")
        emit("if row >= 0 or epoch % CHECK_EVERY == 0:")
        with lines.indented():
            emit("# as kernel.observe: the loss too, kept or checked for divergence")
            emit("for s in range(LANES):")
            with lines.indented():
                _lane_observe(spec, emit, with_loss=True)
            emit("for s in range(lanes):")
            emit("    if lane[SCORE, s] > zero and solved[s] < 0:")
            emit("        solved[s] = epoch")
            emit("    if row >= 0:")
            emit("        losses[row, first + s] = lane[LOSS, s]")
            emit("    if epoch % CHECK_EVERY == 0:  # frozen: NaN stays NaN")
            emit("        if not math.isfinite(lane[LOSS, s]) and not frozen[s]:")
            emit("            frozen[s] = True")
            emit("            lane[:D, s] = np.nan")
        emit("q = step_constants(c, epoch + 1)")
        emit("for s in range(LANES):")
        with lines.indented():
            _lane_observe(spec, emit, with_loss=False)
            _lane_step(spec, emit)
        emit("for s in range(lanes):")
        emit("    if lane[SCORE, s] > zero and solved[s] < 0:")
        emit("        solved[s] = epoch")
    emit("theta[:, first : first + lanes] = lane[:D, :lanes]")
    emit("state[0, :, first : first + lanes] = lane[D : 2 * D, :lanes]")
    emit("state[1, :, first : first + lanes] = lane[2 * D : 3 * D, :lanes]")
    emit("epoch_solved[first : first + lanes] = solved[:lanes]")
    emit("diverged[first : first + lanes] = frozen[:lanes]")


def _prologue(spec: Spec, emit: Callable[[str], None]) -> None:
    """The buffer of one block of lanes, and the constants, read once. Every lane's
    numbers are rows of one array (θ, the optimizer's two states, η, score, loss), so
    that the compiler sees without checks at run time that lanes never overlap."""
    n_params = layer_rows(spec.widths)[-1][3].stop
    emit(f"D, RATE, SCORE, LOSS = {n_params}, {3 * n_params}, {3 * n_params + 1}, "
         f"{3 * n_params + 2}")
    emit("n_nets = theta.shape[1]")
    emit("lane = np.zeros((LOSS + 1, LANES), theta.dtype)")
    emit("solved = np.zeros(LANES, np.int64)")
    emit("frozen = np.zeros(LANES, np.bool_)")
    emit("k = activation_constants(c)")
    emit("zero, one, two, half, level = c[ZERO], c[ONE], c[TWO], c[HALF], c[LEVEL]")
    emit("factor, mean, scale = c[FACTOR_FULL], c[MEAN_FULL], c[SCALE_FULL]")
    emit("worst = like(np.inf, zero)")
    for p in range(len(spec.patterns)):
        emit(f"t{p} = targets[{p}]")
        emit(f"sign{p} = two * t{p} - one")


def _lane_observe(spec: Spec, emit: Callable[[str], None], with_loss: bool) -> None:
    """Lane s seen on every pattern, as kernel.observe sees it: the forward pass and the
    criterion's score (into lane[SCORE]), and ``with_loss`` E (into lane[LOSS]).
    Names: w<d> θ's rows, z<p>_<u> pre-activations, a<p>_<u> and f<p>_<u> activations
    and derivatives."""
    layers = layer_rows(spec.widths)
    units = _unit_starts(spec.widths)
    out = units[-1]
    for d in range(layers[-1][3].stop):
        emit(f"w{d} = lane[{d}, s]")
    emit("sc = zero" if spec.criterion == kernel.RMS else "sc = worst")
    for p, bits in enumerate(spec.patterns):
        # forward: z = b + Σ_i x_i w_ij (inputs 0 or 1: the weights of those that are 1)
        for l, (fan_in, fan_out, weights, biases) in enumerate(layers):
            kind = spec.output if l == len(layers) - 1 else spec.hidden
            for j in range(fan_out):
                bias, u = biases.start + j, units[l] + j
                if l == 0:
                    terms = "".join(f" + w{weights.start + i * fan_out + j}"
                                    for i in range(fan_in) if bits[i])
                    emit(f"z{p}_{u} = w{bias}{terms}")
                else:
                    below = units[l - 1]
                    emit(f"z{p}_{u} = w{bias} + a{p}_{below} * w{weights.start + j}")
                    for i in range(1, fan_in):
                        emit(f"z{p}_{u} = z{p}_{u} + a{p}_{below + i} "
                             f"* w{weights.start + i * fan_out + j}")
                emit(f"a{p}_{u}, f{p}_{u} = {kernel.ACTIVATION_FUNCTIONS[kind]}(z{p}_{u}, k)")
        y = f"a{p}_{out}"
        if spec.criterion == kernel.RMS:
            emit(f"error = {y} - t{p}")
            emit("sc = sc + error * error")
        else:
            if spec.criterion == kernel.THRESHOLD:
                emit(f"value = ({y} - half) * sign{p}")
            else:
                emit(f"value = level - abs({y} - t{p})")
            emit("sc = value if (value < sc or value != value) else sc")
    if spec.criterion == kernel.RMS:
        emit("sc = level - math.sqrt(sc * mean)")
    emit("lane[SCORE, s] = sc")
    if not with_loss:
        return
    emit("loss = zero")  # E = c Σ_p term_p, added in pattern order
    for p in range(len(spec.patterns)):
        if spec.loss == kernel.BCE:  # log(1 + e^z) − t z, stable; rounded as it is stored
            zo = f"z{p}_{out}"
            emit(f"loss = like(loss + ((zero if {zo} <= zero else {zo}) - t{p} * {zo}")
            emit(f"                    + math.log1p(exp(-abs({zo})))), zero)")
        else:
            emit(f"error = a{p}_{out} - t{p}")
            emit("loss = loss + error * error")
    emit("lane[LOSS, s] = loss * scale")


def _lane_step(spec: Spec, emit: Callable[[str], None]) -> None:
    """After :func:`_lane_observe`: ∇E of lane s, as kernel.backward adds it up, and the
    update, as kernel.step makes it. Names: d<u> a pattern's deltas, g<d> ∇E."""
    layers = layer_rows(spec.widths)
    n_params = layers[-1][3].stop
    units = _unit_starts(spec.widths)
    out = units[-1]
    for d in range(n_params):
        emit(f"g{d} = zero")
    for p, bits in enumerate(spec.patterns):
        # δ = ∂E/∂z at the output, then layer by layer down
        y = f"a{p}_{out}"
        if spec.loss == kernel.BCE:
            emit(f"d{out} = factor * ({y} - t{p})")
        else:
            emit(f"d{out} = factor * ({y} - t{p}) * f{p}_{out}")
        for l in range(len(layers) - 1, -1, -1):
            fan_in, fan_out, weights, biases = layers[l]
            for j in range(fan_out):
                bias, here = biases.start + j, units[l] + j
                emit(f"g{bias} = g{bias} + d{here}")
                for i in range(fan_in):
                    w = weights.start + i * fan_out + j
                    if l == 0:
                        if bits[i]:
                            emit(f"g{w} = g{w} + d{here}")
                    else:
                        emit(f"g{w} = g{w} + a{p}_{units[l - 1] + i} * d{here}")
            if l == 0:
                break
            below = units[l - 1]
            for i in range(fan_in):
                w = weights.start + i * fan_out  # w_i0
                if fan_out == 1:
                    emit(f"d{below + i} = w{w} * d{units[l]} * f{p}_{below + i}")
                    continue
                emit(f"d{below + i} = w{w} * d{units[l]}")
                for j in range(1, fan_out):
                    emit(f"d{below + i} = d{below + i} + w{w + j} * d{units[l] + j}")
                emit(f"d{below + i} = d{below + i} * f{p}_{below + i}")
    update = kernel.OPTIMIZER_FUNCTIONS[spec.optimizer]
    for d in range(n_params):
        first, second = n_params + d, 2 * n_params + d
        emit(f"lane[{d}, s], lane[{first}, s], lane[{second}, s] = {update}(")
        emit(f"    w{d}, g{d}, lane[{first}, s], lane[{second}, s], lane[RATE, s], q)")


def _unit_starts(widths: tuple[int, ...]) -> list[int]:
    """Each layer's first unit, numbered as the kernel numbers them (the output last)."""
    starts, unit = [], 0
    for width in widths[1:]:
        starts.append(unit)
        unit += width
    return starts


class _Lines:
    """Source lines, indented by a context manager."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line if line else "")

    @contextlib.contextmanager
    def indented(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


