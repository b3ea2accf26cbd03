"""Builds (:mod:`xorbench.engine.build_source`): compiled once per machine, used when compiled.

A build is Python source generated from its :class:`~xorbench.engine.build_source.Spec`, written
once into the user's cache directory (:func:`cache_dir`) and compiled by numba,
whose disk cache keeps it: 4–13 s the first time, well under a second to load
later. The file's name is a digest of its source and of the kernel's, so that a
change to either makes a new build instead of loading a stale one. It is compiled
with the CPU's full vector width (512 bits where it has AVX-512). The engine uses
a build only when it is compiled already (:func:`ready`) and trains the rest with
the kernel (epochs seen already, records, setups without a build);
:func:`prepare` compiles one, which a sweep does for setups it trains long enough
to pay for it, and ``xorbench bench`` for the standard workload.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from xorbench.config import DTYPES, Setup
from xorbench.engine import kernel, kernel_args
from xorbench.engine.build_source import Spec, source, spec_for
from xorbench.engine.layout import layer_rows

# Compiling one build: 6–10 s on this project's 2-vCPU Xeon (full batch, 2-1-1 to
# 3-4-1); 4–13 s on its 2-vCPU EPYC (full batch 2-2-1 to per-pattern 2-3-3-1).
BUILD_SECONDS = 10


def prepare(setup: Setup, announce: Callable[[str], None] | None = None) -> bool:
    """Compile this setup's build unless it is compiled already (slow: about
    :data:`BUILD_SECONDS`, said first to ``announce``); whether the engine now has one
    for it."""
    kernel_args.check_compiler()
    spec = spec_for(setup)
    if spec is None:
        return False
    dtype = np.dtype(DTYPES.impl(setup.dtype))
    if ready(spec, dtype) is not None:
        return True
    if announce is not None:
        announce(announcement(setup))
    try:  # a build only speeds training up: without one, the kernel trains the setup
        if build(spec, dtype) is not None:
            return True
        why = f"{cache_dir()} cannot be written"
    except Exception as error:
        why = f"the build failed ({type(error).__name__})"
    if announce is not None:
        announce(f"{why}; the kernel trains it")
    return False


def compiled(setup: Setup) -> bool:
    """Whether this setup's build is compiled already (:func:`prepare` would return at
    once)."""
    spec = spec_for(setup)
    return spec is not None and ready(spec, np.dtype(DTYPES.impl(setup.dtype))) is not None


def announcement(setup: Setup) -> str:
    """What a sweep says before compiling this setup's build."""
    return (f"building a training loop for {describe(setup)} (numba, about {BUILD_SECONDS} s, "
            f"once: the same results, faster)")


def describe(setup: Setup) -> str:
    """A setup as its build fixes it, in words: ``2-2-1 sigmoid/sigmoid, mse, sgd,
    threshold, float64``, and ``, per pattern`` for online, sampled and cyclic updates."""
    widths = setup.arch
    return (f"{widths} {setup.activation.label}/{setup.output.label}, {setup.loss.label}, "
            f"{setup.optimizer.label}, {setup.criterion.label}, {setup.dtype.label}"
            + ("" if setup.batch.name == "full" else ", per pattern"))


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
    except Exception:  # unreadable or damaged (any error its code raises): the kernel trains
        del sys.modules[name]
        return None
    train = getattr(module, "train", None)
    if not hasattr(train, "signatures"):  # damaged (no compiled train): the kernel trains
        del sys.modules[name]
        return None
    _LOADED[spec] = train
    return train


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
        with contextlib.suppress(OSError):
            partial.unlink()


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
    cached = kernel_args.cached_dtypes(train)
    return train if cached is not None and name in cached else None


def build(spec: Spec, dtype: np.dtype) -> Callable | None:
    """Compile the build for ``dtype`` now (numba's cache keeps it) and return its
    ``train``; None if nothing can be written."""
    train = _load(spec, write=True)
    if train is None:
        return None
    dtype = np.dtype(dtype)
    n_params = layer_rows(spec.widths)[-1][3].stop
    n_patterns = len(spec.patterns)
    args = (np.zeros((n_params, 1), dtype), np.zeros((2, n_params, 1), dtype),
            np.zeros(1, dtype), np.zeros(n_patterns, dtype), np.zeros(kernel.N_CONSTS, dtype),
            np.full(1, -1, np.int64), np.zeros(1, np.bool_), np.zeros((1, 1), dtype),
            np.zeros(2, np.int64), 1, 1)
    if spec.per_pattern:  # one epoch of one update, on pattern 0
        index = np.min_scalar_type(n_patterns - 1)  # as xorbench.engine.streams draws them
        args += (np.zeros((1, 1, 1), index), 1)
    with _vector_options(dtype, interleaved=spec.per_pattern):
        train(*args)
    return train


@contextlib.contextmanager
def _vector_options(dtype: np.dtype, interleaved: bool) -> Iterator[None]:
    """While a build compiles: LLVM's loop vectorizer at the CPU's full 512-bit width
    where it has AVX-512, and with ``interleaved`` two vectors of lanes in flight at
    once. LLVM prefers 256-bit vectors on such CPUs (they may lower the clock), and so
    does the kernel, where 512 measured slower; the straight-line epoch of a build is
    1.4–1.5× faster with them (2-2-1 and 2-8-1). A per-pattern update is one long chain
    of dependent steps (exp's polynomial, then a division, layer after layer), too long
    for the CPU to overlap two of them by itself: two interleaved vectors train it
    1.3–1.4× faster (2-2-1 on the 2-vCPU EPYC), for ~15 % more compile time. Either
    changes only which lanes one instruction takes, never a lane's arithmetic."""
    import llvmlite.binding as llvm

    # before LLVM 15 an option could be set only once per process (no way back)
    if llvm.llvm_version_info < (15,):
        yield
        return
    options = {}
    if llvm.get_host_cpu_features().get("avx512f"):
        options["-force-vector-width"] = 64 // dtype.itemsize
    if interleaved:
        options["-force-vector-interleave"] = 2
    for option, value in options.items():
        llvm.set_option("xorbench", f"{option}={value}")
    try:
        with _silenced_stderr():  # LLVM warns of every loop it then cannot vectorise
            yield
    finally:
        for option in options:
            llvm.set_option("xorbench", f"{option}=0")  # LLVM's own choice again


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
