"""A build's source: the epoch written out for one setup.

The kernel (:mod:`xorbench.engine.kernel`) serves every setup from one compilation; its
loops over units and patterns have run-time lengths, so each step of an epoch is a
pass over 64 lanes through memory. A build writes the epoch out for one setup —
widths, input patterns, activations, loss, criterion and optimizer fixed — as
straight lines inside one loop over the lanes: a network's weights, activations,
deltas and gradient stay in registers, and the loop vectorises. A full-batch build
writes out the whole epoch; a per-pattern one (online, sampled, cyclic) the epoch's
books and one update, run once per drawn pattern, each lane's pattern picking its
inputs and target by arithmetic rather than from a table (indexed by a lane's
value, a table kept LLVM from vectorising the loop: 2.8× slower). The arithmetic is
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
from xorbench.engine.layout import layer_rows, unit_starts

# Builds larger than this (patterns × units, each a written-out activation) take too
# long to compile and spill registers; their setups stay with the kernel.
MAX_UNIT_PATTERNS = 48

@dataclass(frozen=True)
class Spec:
    """What a build fixes: the widths (inputs … 1), which inputs are 1 in each
    pattern, the kernel's codes of the hidden and output activations, loss (BCE, or MSE
    for both squared errors), criterion and optimizer, and whether an update follows
    each drawn pattern (online, sampled, cyclic) or the whole batch. The dtype, the
    constants and the pattern orders stay run-time values."""

    widths: tuple[int, ...]
    patterns: tuple[tuple[bool, ...], ...]
    hidden: int
    output: int
    loss: int
    criterion: int
    optimizer: int
    per_pattern: bool = False  # online, sampled or cyclic: one update per drawn pattern

    @property
    def size(self) -> int:
        """Patterns × units: how much straight-line code the build has."""
        return len(self.patterns) * sum(self.widths[1:])


def spec_for(setup: Setup) -> Spec | None:
    """The build that can train this setup's batches, or None: only setups small
    enough (:data:`MAX_UNIT_PATTERNS`) trained correctly (a bug's plain loop has none)
    have one, and none whose optimizer compares errors (iRprop+: a build keeps no
    error between epochs)."""
    if setup.bug.name != "none" or OPTIMIZERS.impl(setup.optimizer).uses_error:
        return None
    codes = kernel_args.codes(setup)
    # mse and sse share a build: only bce branches (their c and k are run-time values)
    loss = kernel.BCE if codes[kernel.LOSS] == kernel.BCE else kernel.MSE
    spec = Spec(setup.widths,
                tuple(tuple(bool(x != 0) for x in row) for row in make_task(setup.task).inputs),
                int(codes[kernel.HIDDEN]), int(codes[kernel.OUTPUT]), loss,
                int(codes[kernel.CRITERION]), int(codes[kernel.OPTIMIZER]),
                per_pattern=setup.batch.name != "full")
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
    if spec.per_pattern:
        names.add("FACTOR_ONE")
    emit(f"from xorbench.engine.kernel import {', '.join(sorted(names))}")
    emit("")
    emit("")
    emit('@nb.njit(cache=True, error_model="numpy")')
    emit("def train(theta, state, lr, targets, c, epoch_solved, diverged, losses, kept,")
    if spec.per_pattern:
        emit("          first_epoch, stop_epoch, orders, orders_start):")
        emit('    """Online, sampled or cyclic epochs [first_epoch, stop_epoch) of every network')
        emit("    (column) of theta, one update per pattern of orders (epochs orders_start …),")
    else:
        emit("          first_epoch, stop_epoch):")
        emit('    """Full-batch epochs [first_epoch, stop_epoch) of every network (column) of')
        emit("    theta,")
    emit("    as xorbench.engine.kernel.run trains them when no epoch was seen already and")
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
    # element by element: a slice assignment compiles numba's shape checks and their
    # messages (measured: a third of a build's compile time)
    emit("for s in range(LANES):  # padding lanes train zeros with η = 0, never copied back")
    emit("    for d in range(LOSS + 1):")
    emit("        lane[d, s] = zero")
    if spec.per_pattern:
        emit("    for update in range(per_epoch):  # and see pattern 0, as in the kernel")
        emit("        pick[update, s] = 0")
    emit("for s in range(lanes):")
    emit("    for d in range(D):")
    emit("        lane[d, s] = theta[d, first + s]")
    emit("        lane[D + d, s] = state[0, d, first + s]")
    emit("        lane[2 * D + d, s] = state[1, d, first + s]")
    emit("    lane[RATE, s] = lr[first + s]")
    emit("    solved[s] = epoch_solved[first + s]")
    emit("    frozen[s] = diverged[first + s]")
    emit("next_kept = np.searchsorted(kept, first_epoch)  # the kept epochs ahead")
    emit("for epoch in range(first_epoch, stop_epoch):")
    with lines.indented():
        emit("row = -1")
        emit("if next_kept < kept.shape[0] and kept[next_kept] == epoch:")
        emit("    row = next_kept")
        emit("    next_kept += 1")
        if spec.per_pattern:
            # the loss every epoch (used where kernel.observe computes it): a second
            # loop without it would compile for longer than the loss takes
            _books(spec, lines)
            _per_pattern_epoch(spec, lines)
        else:
            emit("if row >= 0 or epoch % CHECK_EVERY == 0:")
            with lines.indented():
                _books(spec, lines)
            emit("q = step_constants(c, epoch + 1)")
            emit("for s in range(LANES):")
            with lines.indented():
                _lane_observe(spec, emit, with_loss=False)
                _lane_step(spec, emit)
            emit("for s in range(lanes):")
            emit("    if lane[SCORE, s] > zero and solved[s] < 0:")
            emit("        solved[s] = epoch")
    emit("for s in range(lanes):")
    emit("    for d in range(D):")
    emit("        theta[d, first + s] = lane[d, s]")
    emit("        state[0, d, first + s] = lane[D + d, s]")
    emit("        state[1, d, first + s] = lane[2 * D + d, s]")
    emit("    epoch_solved[first + s] = solved[s]")
    emit("    diverged[first + s] = frozen[s]")


def _books(spec: Spec, lines: _Lines) -> None:
    """The epoch's books, as kernel.observe keeps them: every lane seen on every pattern
    with its loss, then epoch_solved, the loss where it is kept, and divergence
    freezing every CHECK_EVERY epochs."""
    emit = lines.emit
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
    emit("            for d in range(D):")
    emit("                lane[d, s] = np.nan")


def _per_pattern_epoch(spec: Spec, lines: _Lines) -> None:
    """After an epoch's books: one update per drawn pattern, each lane its own pattern."""
    emit = lines.emit
    emit("for update in range(per_epoch):")
    emit("    for s in range(lanes):")
    emit("        pick[update, s] = orders[epoch - orders_start, update, first + s]")
    emit("for update in range(per_epoch):")
    with lines.indented():
        emit("q = step_constants(c, epoch * per_epoch + update + 1)")
        emit("for s in range(LANES):")
        with lines.indented():
            _lane_update(spec, emit)


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
    if spec.per_pattern:
        emit("factor_one = c[FACTOR_ONE]")
        emit("per_epoch = orders.shape[1]")
        emit("pick = np.zeros((per_epoch, LANES), orders.dtype)  # each lane's patterns")


def _lane_observe(spec: Spec, emit: Callable[[str], None], with_loss: bool) -> None:
    """Lane s seen on every pattern, as kernel.observe sees it: the forward pass and the
    criterion's score (into lane[SCORE]), and ``with_loss`` E (into lane[LOSS]).
    Names: w<d> θ's rows, z<p>_<u> pre-activations, a<p>_<u> and f<p>_<u> activations
    and derivatives."""
    layers = layer_rows(spec.widths)
    out = unit_starts(spec.widths)[-1]
    for d in range(layers[-1][3].stop):
        emit(f"w{d} = lane[{d}, s]")
    emit("sc = zero" if spec.criterion == kernel.RMS else "sc = worst")
    for p, bits in enumerate(spec.patterns):
        _forward(spec, emit, str(p), bits)
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


def _forward(spec: Spec, emit: Callable[[str], None], p: str, bits: tuple[bool, ...] | None
             ) -> None:
    """The forward pass of pattern ``p``, as kernel.forward computes it: its inputs fixed
    (``bits``: which are 1, the same in every lane) or, with None, each lane's own
    (x<i>, multiplied as the kernel multiplies them)."""
    layers = layer_rows(spec.widths)
    units = unit_starts(spec.widths)
    for l, (fan_in, fan_out, weights, biases) in enumerate(layers):
        kind = spec.output if l == len(layers) - 1 else spec.hidden
        for j in range(fan_out):
            bias, u = biases.start + j, units[l] + j
            if l == 0 and bits is not None:
                # z = b + Σ_i x_i w_ij (inputs 0 or 1: the weights of those that are 1)
                terms = "".join(f" + w{weights.start + i * fan_out + j}"
                                for i in range(fan_in) if bits[i])
                emit(f"z{p}_{u} = w{bias}{terms}")
            else:
                below = [f"x{i}" for i in range(fan_in)] if l == 0 else [
                    f"a{p}_{units[l - 1] + i}" for i in range(fan_in)]
                emit(f"z{p}_{u} = w{bias} + {below[0]} * w{weights.start + j}")
                for i in range(1, fan_in):
                    emit(f"z{p}_{u} = z{p}_{u} + {below[i]} "
                         f"* w{weights.start + i * fan_out + j}")
            emit(f"a{p}_{u}, f{p}_{u} = {kernel.ACTIVATION_FUNCTIONS[kind]}(z{p}_{u}, k)")


def _lane_step(spec: Spec, emit: Callable[[str], None]) -> None:
    """After :func:`_lane_observe`: ∇E of lane s, as kernel.backward adds it up, and the
    update, as kernel.step makes it. Names: d<u> a pattern's deltas, g<d> ∇E."""
    n_params = layer_rows(spec.widths)[-1][3].stop
    for d in range(n_params):
        emit(f"g{d} = zero")
    for p, bits in enumerate(spec.patterns):
        _gradient(spec, emit, str(p), bits, f"t{p}", "factor")
    _update(spec, emit)


def _lane_update(spec: Spec, emit: Callable[[str], None]) -> None:
    """Lane s's update on its drawn pattern, as the kernel's online loop makes it: the
    forward pass on that pattern, its ∇E, the step. Names as in :func:`_lane_observe`
    and :func:`_lane_step`, the pattern's named ``u``."""
    n_params = layer_rows(spec.widths)[-1][3].stop
    for d in range(n_params):
        emit(f"w{d} = lane[{d}, s]")
    # the pattern's inputs and target by arithmetic, not by indexing tables: with table
    # lookups LLVM left the loop over lanes unvectorised (measured: 2.8× slower)
    emit("p = pick[update, s]")
    for i in range(spec.widths[0]):
        where = [q for q, bits in enumerate(spec.patterns) if bits[i]]
        emit(f"x{i} = one if ({sum(1 << q for q in where)} >> p) & 1 else zero  "
             f"# 1 in patterns {', '.join(map(str, where)) or 'none'}")
    last = len(spec.patterns) - 1
    emit(f"t = t{last}")
    for q in range(last - 1, -1, -1):
        emit(f"t = t{q} if p == {q} else t")
    _forward(spec, emit, "u", None)
    for d in range(n_params):
        emit(f"g{d} = zero")
    _gradient(spec, emit, "u", None, "t", "factor_one")
    _update(spec, emit)


def _gradient(spec: Spec, emit: Callable[[str], None], p: str, bits: tuple[bool, ...] | None,
              target: str, factor: str) -> None:
    """Pattern ``p``'s terms of ∇E added to g<d>, as kernel.backward adds them: δ = ∂E/∂z
    at the output (scaled by ``factor``), then layer by layer down. ``bits`` as in
    :func:`_forward`."""
    layers = layer_rows(spec.widths)
    units = unit_starts(spec.widths)
    out = units[-1]
    y = f"a{p}_{out}"
    if spec.loss == kernel.BCE:
        emit(f"d{out} = {factor} * ({y} - {target})")
    else:
        emit(f"d{out} = {factor} * ({y} - {target}) * f{p}_{out}")
    for l in range(len(layers) - 1, -1, -1):
        fan_in, fan_out, weights, biases = layers[l]
        for j in range(fan_out):
            bias, here = biases.start + j, units[l] + j
            emit(f"g{bias} = g{bias} + d{here}")
            for i in range(fan_in):
                w = weights.start + i * fan_out + j
                if l == 0 and bits is not None:
                    if bits[i]:
                        emit(f"g{w} = g{w} + d{here}")
                elif l == 0:
                    emit(f"g{w} = g{w} + x{i} * d{here}")
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


def _update(spec: Spec, emit: Callable[[str], None]) -> None:
    """Every parameter of lane s updated from g<d>, as kernel.step updates it."""
    n_params = layer_rows(spec.widths)[-1][3].stop
    update = kernel.OPTIMIZER_FUNCTIONS[spec.optimizer]
    for d in range(n_params):
        first, second = n_params + d, 2 * n_params + d
        emit(f"lane[{d}, s], lane[{first}, s], lane[{second}, s] = {update}(")
        emit(f"    w{d}, g{d}, lane[{first}, s], lane[{second}, s], lane[RATE, s], q)")


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


