"""Whether a folder's runs may be resumed into this sweep, and what the manifest records of
the software that trained them."""

from __future__ import annotations

import platform

from xorbench.engine import ENGINE_NUMERICS
from xorbench.errors import ResultsError
from xorbench.results import MANIFEST, ResultsDir


def check_numerics(folder: ResultsDir, manifest: dict) -> None:
    """Refuse to resume shards that an engine of other numerics trained: their runs
    would differ in the last bits from the ones trained now."""
    if not folder.shard_ids():
        return
    if not manifest:
        raise ResultsError(
            f"{folder.path}: has shards but no {MANIFEST}, so which engine trained them is "
            f"unknown; sweep with --fresh to move the folder aside and start over"
        )
    stored = manifest.get("engine_numerics", 1)  # manifests before the key: numerics 1
    if stored != ENGINE_NUMERICS:
        raise ResultsError(
            f"{folder.path}: its runs were trained by an xorbench whose engine rounds "
            f"differently (engine numerics {stored!r}, this one {ENGINE_NUMERICS}); resuming "
            f"would mix the two, so sweep with --fresh to move the folder aside and start "
            f"over (plot, report and summary still read it as it is)"
        )


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for package in ("xorbench", "numpy", "numba", "pandas", "joblib", "pyarrow"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover
            out[package] = "unknown"
    return out
