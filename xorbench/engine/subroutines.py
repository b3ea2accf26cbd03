"""Compiled functions that are compiled only inside their callers: the kernel's parts.

``@nb.njit`` makes every function a compiled program of its own: numba types it,
lowers it to LLVM, optimises it, links in everything it calls, optimises that
whole module again and generates machine code for it — and then does the same for
each caller, with this function linked in again. The kernel's parts sit five deep
(``run`` → ``observe`` → ``forward`` → ``activate`` → ``sigmoid`` → ``exp``), so its
leaves were optimised six times and turned into machine code six times: LLVM
work thrown away, a quarter of the kernel's first compile.

A :func:`subroutine` is typed and lowered once per argument types, its module
(with the subroutines it calls linked in) optimised once, as numba optimises a
function before a caller links it, and linked into its callers as LLVM code, never
turned into machine code on its own. Only the entry points (``run`` and the few
functions Python calls, ``@nb.njit(cache=True)``) are: each optimises its whole
module and generates its machine code once, which numba's disk cache keeps. The
arithmetic is the same IEEE arithmetic in the same order (no fast-math flags), so
the bits are the kernel's as before (tests/engine compare the kernel with a plain loop and with
the builds; every grid in ``sweeps/`` gives the same bytes).

Called from Python (tests do, one parameter at a time), a subroutine is compiled
as an ordinary ``njit`` function on its first call. What a subroutine may not do:
anything that needs numba's run-time environment of Python objects — ``print``,
object mode, an exception whose arguments are computed (a fixed message is fine) —
since numba fills that environment only for the functions it finalises (such code
fails with "missing Environment" when freshly compiled); nor call itself.

numba's disk cache of an entry point watches only the entry point's file
(xorbench/engine/kernel.py), not this one: a change here that changed the code
generated would need kernel.py touched.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any

# the C library's tanh, log1p, … never Intel's SVML, as in xorbench.engine.kernel (read
# when numba is first imported, which may be here)
os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

import llvmlite.binding as ll
import numba as nb
from numba.core import compiler, registry
from numba.core.typing import signature
from numba.extending import _Intrinsic

# The numba versions whose code libraries this module's linking was checked against
# (a library's ``_linking_libraries`` list, ``_final_module``, ``_reload_init`` and
# what ``finalize`` does with them); any other numba links subroutines through its
# public path, finalising each on its own: the same machine code, slower to compile.
LINKS_AS_LLVM = (0, 68) <= tuple(int(part) for part in nb.__version__.split(".")[:2]) < (0, 69)


class _Linkable:
    """A subroutine's compiled library as its callers link it: its functions with the
    subroutines it calls linked in, optimised as one module, every definition
    ``linkonce_odr`` so that LLVM may inline it and drop the copies nobody calls.
    Stands where numba expects a finalised library in a caller's list of libraries
    to link (``_get_module_for_linking``, ``_reload_init``)."""

    def __init__(self, library: Any) -> None:
        self.library = library
        self._module: ll.ModuleRef | None = None

    @property
    def _reload_init(self) -> set:
        """What the caller must run when its code is loaded again: this library's and
        everything it links (numba gathers them as it finalises a library, which a
        subroutine's never is)."""
        gathered = set(self.library._reload_init)
        for linked in self.library._linking_libraries:
            gathered |= linked._reload_init
        return gathered

    def _get_module_for_linking(self) -> ll.ModuleRef:
        if self._module is None:
            module = self.library._final_module.clone()
            for linked in self.library._linking_libraries:
                module.link_in(linked._get_module_for_linking(), preserve=True)
            _optimise(self.library, module)
            for function in module.functions:
                if not function.is_declaration and function.linkage == ll.Linkage.external:
                    function.linkage = "linkonce_odr"
            self._module = module
        return self._module


def _optimise(library: Any, module: ll.ModuleRef) -> None:
    """Run numba's full module optimisation on ``module`` (a subroutine with what it
    calls linked in), as numba optimises a function's module before a caller links it,
    and before its definitions become ``linkonce_odr`` (which would let the optimiser
    drop them as unused). Without it, only the entry point optimises, once, as a
    whole: 3 s less to compile, but per-pattern training ran 15–20 % slower (the
    seed-question grid, docs/performance.md)."""
    passes, builder = library._codegen._module_pass_manager()
    passes.run(module, builder)


def _link(library: Any, linkable: _Linkable) -> None:
    """Make ``library`` (a caller being lowered) link the subroutine's code when it is
    finalised: as LLVM code with the numba this was checked against
    (:data:`LINKS_AS_LLVM`), else as an ordinary library, finalised on its own."""
    if LINKS_AS_LLVM:
        library._linking_libraries.append(linkable)
    else:
        library.add_linking_library(linkable.library)


class Subroutine(_Intrinsic):
    """A function numba compiles only inside its compiled callers (see the module); from
    Python, an ordinary ``njit`` function compiled on its first call."""

    python: Callable | None = None
    compiled: dict[tuple, tuple[Any, _Linkable]]  # per argument types: numba's result, linkable

    def __call__(self, *args: Any) -> Any:
        if self.python is None:
            self.python = nb.njit(error_model="numpy")(self.pyfunc)
        return self.python(*args)


def subroutine(pyfunc: Callable) -> Subroutine:
    """``pyfunc`` as a :class:`Subroutine`: nopython mode, numpy's error model (a
    division by zero is inf or NaN, as in the entry points), compiled once per
    argument types in a process."""
    compiled: dict[tuple, tuple[Any, _Linkable]] = {}

    def typer(typingctx: Any, *args: Any) -> tuple:
        if args not in compiled:
            flags = compiler.Flags()
            flags.no_compile = True  # typed and lowered, never finalised on its own
            flags.no_cpython_wrapper = True
            flags.no_cfunc_wrapper = True
            flags.error_model = "numpy"
            flags.nrt = True
            result = compiler.compile_extra(typingctx, registry.cpu_target.target_context,
                                            pyfunc, args, None, flags, {})
            compiled[args] = result, _Linkable(result.library)
        result, linkable = compiled[args]

        def codegen(context: Any, builder: Any, sig: Any, llargs: Any) -> Any:
            _link(context.active_code_library, linkable)
            return context.call_internal(builder, result.fndesc, sig, llargs)

        return signature(result.signature.return_type, *args), codegen

    # numba reads an intrinsic's parameters from its definition: one with pyfunc's names
    names = ", ".join(inspect.signature(pyfunc).parameters)
    namespace = {"typer": typer}
    exec(f"def {pyfunc.__name__}(typingctx, {names}):\n"
         f"    return typer(typingctx, {names})\n", namespace)
    routine = Subroutine(pyfunc.__name__, namespace[pyfunc.__name__])
    routine.pyfunc = pyfunc
    routine.compiled = compiled
    routine.__doc__ = pyfunc.__doc__
    routine._register()
    return routine
