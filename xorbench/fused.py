"""The training loop built for one setup: full-batch epochs written out in full.

The kernel (:mod:`xorbench.kernel`) serves every setup from one compilation; its
loops over units and patterns have run-time lengths, so each step of an epoch is a
pass over 64 lanes through memory. A build writes the epoch out for one setup —
widths, input patterns, activations, loss, criterion and optimizer fixed — as
straight lines inside one loop over the lanes: a network's weights, activations,
deltas and gradient stay in registers, and the loop vectorises (at the CPU's full
vector width). The arithmetic is the kernel's, in the kernel's order: a build calls
the kernel's ``exp``, activations and updates, and adds every sum as the kernel
does, so a network's numbers are the same bits whichever of the two trains it
(tests/test_fused.py compares them) — all but the optimizer state of a network
frozen for diverging, which is never used again.

A build is Python source generated from its :class:`Spec`, written once into the
user's cache directory (:func:`cache_dir`) and compiled by numba, whose disk cache
keeps it: 6–10 s the first time, well under a second to load later. The file's name
is a digest of its source and of the kernel's, so that a change to either makes a
new build instead of loading a stale one. The engine uses a build only when it is
compiled already (:func:`ready`) and trains the rest with the kernel (epochs seen
already, records, online and sampled batches); :func:`prepare` compiles one, which
a sweep does for setups it trains long enough to pay for it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from xorbench import compiled, kernel
from xorbench.config import DTYPES
from xorbench.network import layer_rows
from xorbench.tasks import make_task

if TYPE_CHECKING:
    from xorbench.engine import Setup

# Builds larger than this (patterns × units, each a written-out activation) take too
# long to compile and spill registers; their setups stay with the kernel.
MAX_UNIT_PATTERNS = 48

# Measured on this project's 2-vCPU Xeon: compiling one build, 2-1-1 to 3-4-1.
BUILD_SECONDS = 10


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
    small enough (:data:`MAX_UNIT_PATTERNS`) have one."""
    if setup.batch.name != "full":
        return None
    task = make_task(setup.task)
    codes = compiled.codes(setup)
    spec = Spec((task.n_inputs, *setup.hidden, 1),
                tuple(tuple(bool(x != 0) for x in row) for row in task.inputs),
                int(codes[kernel.HIDDEN]), int(codes[kernel.OUTPUT]), int(codes[kernel.LOSS]),
                int(codes[kernel.CRITERION]), int(codes[kernel.OPTIMIZER]))
    return spec if spec.size <= MAX_UNIT_PATTERNS else None


def prepare(setup: Setup, announce: Callable[[str], None] | None = None) -> bool:
    """Compile this setup's build unless it is compiled already (slow: about
    :data:`BUILD_SECONDS`, said first to ``announce``); whether the engine now has one
    for it."""
    spec = spec_for(setup)
    if spec is None:
        return False
    dtype = np.dtype(DTYPES.impl(setup.dtype))
    if ready(spec, dtype) is not None:
        return True
    if announce is not None:
        announce(f"building a training loop for {describe(setup)} (numba, about "
                 f"{BUILD_SECONDS} s, once: the same results, faster)")
    try:
        return build(spec, dtype) is not None
    except Exception as error:  # a build only speeds training up: the kernel trains it
        if announce is not None:
            announce(f"the build failed ({type(error).__name__}); the kernel trains it")
        return False


def describe(setup: Setup) -> str:
    """What a build fixes, in words: ``2-2-1 sigmoid/sigmoid, mse, sgd, threshold``."""
    widths = "-".join(str(w) for w in (make_task(setup.task).n_inputs, *setup.hidden, 1))
    return (f"{widths} {setup.activation.label}/{setup.output.label}, {setup.loss.label}, "
            f"{setup.optimizer.label}, {setup.criterion.label}, {setup.dtype.label}")


def source(spec: Spec) -> str:
    """The build's module: one function, ``train``."""
    lines = _Lines()
    emit = lines.emit
    emit(f'"""Built by xorbench.fused for {spec!r}: do not edit."""')
    emit("import math")
    emit("")
    emit("import numba as nb")
    emit("import numpy as np")
    names = {kernel.ACTIVATION_FUNCTIONS[kind] for kind in (spec.hidden, spec.output)}
    names.add(kernel.OPTIMIZER_FUNCTIONS[spec.optimizer])
    emit("from xorbench.kernel import (CHECK_EVERY, FACTOR_FULL, HALF, LANES, LEVEL, MEAN_FULL,")
    emit("                             ONE, SCALE_FULL, TWO, ZERO, activation_constants, exp,")
    emit("                             like, step_constants)")
    emit(f"from xorbench.kernel import {', '.join(sorted(names))}")
    emit("")
    emit("")
    emit('@nb.njit(cache=True, error_model="numpy")')
    emit("def train(theta, state, lr, targets, c, epoch_solved, diverged, losses, loss_row,")
    emit("          first_epoch, stop_epoch):")
    emit('    """Full-batch epochs [first_epoch, stop_epoch) of every network (column) of')
    emit("    theta, as xorbench.kernel.run trains them when no epoch was seen already and")
    emit('    nothing is recorded: the same numbers."""')
    with lines.indented():
        _prologue(spec, emit)
        emit("for first in range(0, n_nets, LANES):")
        with lines.indented():
            emit("lanes = min(LANES, n_nets - first)")
            emit("lane[:] = 0  # padding lanes train zeros with η = 0 and are never copied back")
            emit("lane[:D, :lanes] = theta[:, first : first + lanes]")
            emit("lane[D : 2 * D, :lanes] = state[0, :, first : first + lanes]")
            emit("lane[2 * D : 3 * D, :lanes] = state[1, :, first : first + lanes]")
            emit("lane[RATE, :lanes] = lr[first : first + lanes]")
            emit("solved[:lanes] = epoch_solved[first : first + lanes]")
            emit("frozen[:lanes] = diverged[first : first + lanes]")
            emit("for epoch in range(first_epoch, stop_epoch):")
            with lines.indented():
                emit("row = loss_row[epoch]")
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
    return lines.text()


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


def cache_dir() -> Path:
    """Where builds are written (numba keeps their compiled code beside them):
    $XORBENCH_CACHE_DIR, else xorbench/builds in the user's cache directory."""
    chosen = os.environ.get("XORBENCH_CACHE_DIR")
    if chosen:
        return Path(chosen)
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "xorbench" / "builds"


@functools.lru_cache(maxsize=256)
def _module(spec: Spec) -> tuple[str, str]:
    """The build's module name and source. The name is a digest of the source and of
    the kernel's as imported (numba's cache of the build does not watch the kernel's
    functions it calls)."""
    text = source(spec)
    digest = hashlib.sha256((text + kernel.SOURCE_DIGEST).encode()).hexdigest()[:20]
    return f"xorbench_build_{digest}", text


_LOADED: dict[Spec, Callable] = {}  # the builds imported in this process


def _load(spec: Spec, write: bool) -> Callable | None:
    """The build's ``train`` (compiled at its first call unless numba's cache holds it),
    writing its source first if ``write``; None if there is none or it cannot be
    written."""
    if spec in _LOADED:
        return _LOADED[spec]
    name, text = _module(spec)
    path = cache_dir() / f"{name}.py"
    if not path.exists() and not (write and _write_once(path, text)):
        return None
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except (OSError, SyntaxError):  # unreadable or damaged: the kernel trains instead
        del sys.modules[name]
        return None
    _LOADED[spec] = module.train
    return module.train


def _write_once(path: Path, text: str) -> bool:
    """Write a build's source unless it exists: never replace it, since numba's cache
    of the build checks the file's time (two processes may race here). Whether the
    file is there now."""
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text)
        try:
            os.link(partial, path)  # fails if another process wrote it first
        except FileExistsError:
            pass
        except OSError:  # no hard links here
            if not path.exists():
                os.replace(partial, path)
        return True
    except OSError:
        return False
    finally:
        partial.unlink(missing_ok=True)


_KERNEL_ONLY = [False]


@contextlib.contextmanager
def kernel_only() -> Iterator[None]:
    """Within: no build is ready, so the engine trains everything with the kernel (to
    measure or test the kernel alone)."""
    _KERNEL_ONLY.append(True)
    try:
        yield
    finally:
        _KERNEL_ONLY.pop()


def ready(spec: Spec, dtype: np.dtype) -> Callable | None:
    """The build's ``train`` if it is compiled for ``dtype`` already (in this process or
    in numba's disk cache), else None: the engine uses a build only when it is ready,
    since compiling one costs more than most batches."""
    if _KERNEL_ONLY[-1]:
        return None
    train = _load(spec, write=False)
    if train is None:
        return None
    name = np.dtype(dtype).name
    if any(str(signature[0].dtype) == name for signature in train.signatures):
        return train  # compiled in this process
    cached = compiled.cached_dtypes(train)
    return train if cached is not None and name in cached else None


def build(spec: Spec, dtype: np.dtype) -> Callable | None:
    """Compile the build for ``dtype`` now (numba's cache keeps it) and return its
    ``train``; None if nothing can be written."""
    train = _load(spec, write=True)
    if train is None:
        return None
    dtype = np.dtype(dtype)
    n_params = layer_rows(spec.widths)[-1][3].stop
    with _full_width_vectors(dtype):
        train(np.zeros((n_params, 1), dtype), np.zeros((2, n_params, 1), dtype),
              np.zeros(1, dtype), np.zeros(len(spec.patterns), dtype),
              np.zeros(kernel.N_CONSTS, dtype), np.full(1, -1, np.int64), np.zeros(1, np.bool_),
              np.zeros((1, 1), dtype), np.zeros(2, np.int64), 1, 1)
    return train


@contextlib.contextmanager
def _full_width_vectors(dtype: np.dtype) -> Iterator[None]:
    """While a build compiles: LLVM's loop vectorizer at the CPU's full 512-bit width
    where it has AVX-512. LLVM prefers 256-bit vectors on such CPUs (they may lower
    the clock), and so does the kernel, where 512 measured slower; the straight-line
    epoch of a build is 1.4–1.5× faster with them (2-2-1 and 2-8-1). The width changes
    only how many lanes one instruction takes, never a lane's arithmetic."""
    import llvmlite.binding as llvm

    # before LLVM 15 an option could be set only once per process (no way back)
    if llvm.llvm_version_info < (15,) or not llvm.get_host_cpu_features().get("avx512f"):
        yield
        return
    llvm.set_option("xorbench", f"-force-vector-width={64 // dtype.itemsize}")
    try:
        with _silenced_stderr():  # LLVM warns of every loop it then cannot vectorise
            yield
    finally:
        llvm.set_option("xorbench", "-force-vector-width=0")  # LLVM's own choice again


@contextlib.contextmanager
def _silenced_stderr() -> Iterator[None]:
    """File descriptor 2 to /dev/null (LLVM writes there, not to sys.stderr)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
