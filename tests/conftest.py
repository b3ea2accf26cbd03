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
