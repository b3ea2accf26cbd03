"""Shared test set-up."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def build_cache(tmp_path_factory):
    """Builds (xorbench.engine.builds) go to a folder of this test session, not the user's
    cache: each session compiles the builds it needs, so which ones the engine finds
    ready never depends on earlier sessions (tests that must start with none use their
    own folder). Worker processes inherit the variable."""
    import os

    folder = tmp_path_factory.mktemp("builds")
    saved = os.environ.get("XORBENCH_CACHE_DIR")
    os.environ["XORBENCH_CACHE_DIR"] = str(folder)
    yield folder
    if saved is None:
        del os.environ["XORBENCH_CACHE_DIR"]
    else:
        os.environ["XORBENCH_CACHE_DIR"] = saved


@pytest.fixture(scope="session", autouse=True)
def compiled_kernel(request):
    """The training loop compiled (or loaded from numba's cache) once, before any test,
    and said so when it takes a while: the first compile is billed here, not to
    whichever test happens to train first."""
    import time

    import numpy as np

    from xorbench.config import Setup, make_config
    from xorbench.engine import evaluate, kernel_args

    missing = kernel_args.uncompiled(["float64", "float32"])
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if missing and reporter is not None:
        reporter.write_line(f"compiling the training loop for {' and '.join(missing)} "
                            f"(once per machine; about {kernel_args.COMPILE_SECONDS} s each)")
    start = time.perf_counter()
    for dtype in ("float64", "float32"):
        evaluate(Setup.of(make_config(dtype=dtype)), np.zeros((9, 1)))
    if missing and reporter is not None:
        reporter.write_line(f"compiled in {time.perf_counter() - start:.0f} s")
