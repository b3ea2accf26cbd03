"""The results folder on disk: shards of finished batches, the tidy CSVs, the manifest.

Layout of ``results/<name>/``::

    grid.toml        a copy of the grid that was run
    manifest.json    versions, grid hash, run counts, status, every start/stop
    shards/          one set of Parquet files per finished batch:
                     runs-<id>.parquet (rows of runs.csv), curves-<id>.parquet
                     (loss at log-spaced epochs), params-<id>.parquet (final θ)
    runs.csv, summary.csv, curves.csv     rebuilt from the shards

Every file is written atomically (temporary file, fsync, rename): a killed sweep
loses at most the batches in flight, never a finished one. A shard's runs file is
renamed last, so a shard counts only once all its parts are on disk. Shards are
Parquet (pyarrow): typed, compressed and ~50× faster to write and read than CSV,
which matters at a million runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from xorbench import records
from xorbench.errors import XorbenchError

RESULTS_FORMAT = 1  # bump when the on-disk layout changes incompatibly
MANIFEST = "manifest.json"
LOCK = ".lock"
SHARD_PARTS = ("curves", "params", "runs")  # written in this order; runs last


class ResultsError(XorbenchError):
    """A folder that is not (or not a usable) xorbench results folder."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_csv(path: Path, frame: pd.DataFrame) -> None:
    atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def _atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    frame.to_parquet(tmp, index=False, compression="zstd")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ResultsDir:
    """One sweep's output folder."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @property
    def shards(self) -> Path:
        return self.path / "shards"

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def check(self) -> None:
        """Raise ResultsError unless this is a results folder this version can read."""
        if not self.path.exists():
            raise ResultsError(f"{self.path}: no such folder")
        if not self.path.is_dir():
            raise ResultsError(f"{self.path}: is a file, not a results folder")
        if not self.exists():
            raise ResultsError(
                f"{self.path}: not an xorbench results folder (no {MANIFEST}); "
                "run `xorbench sweep GRID --out DIR` first"
            )
        fmt = self.read_manifest().get("results_format")
        if fmt != RESULTS_FORMAT:
            raise ResultsError(
                f"{self.path}: results format {fmt!r}, this xorbench reads format "
                f"{RESULTS_FORMAT}; upgrade xorbench or rerun the sweep with --fresh"
            )

    # manifest ---------------------------------------------------------------

    def read_manifest(self) -> dict:
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ResultsError(f"{self.manifest_path}: unreadable manifest ({e})") from None

    def write_manifest(self, manifest: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    # shards -----------------------------------------------------------------

    def write_shard(self, runs: pd.DataFrame, curves: pd.DataFrame, params: pd.DataFrame) -> str:
        """Store one finished batch; returns the shard id."""
        self.shards.mkdir(parents=True, exist_ok=True)
        shard_id = uuid.uuid4().hex[:12]
        frames = {"curves": curves, "params": params, "runs": runs}
        for part in SHARD_PARTS:
            _atomic_write_parquet(self.shards / f"{part}-{shard_id}.parquet", frames[part])
        _fsync_dir(self.shards)
        return shard_id

    def shard_ids(self) -> list[str]:
        """Complete shards (those whose runs part exists), in a stable order."""
        if not self.shards.is_dir():
            return []
        return sorted(p.name[len("runs-") : -len(".parquet")]
                      for p in self.shards.glob("runs-*.parquet"))

    def iter_shards(self, part: str) -> Iterator[pd.DataFrame]:
        for shard_id in self.shard_ids():
            path = self.shards / f"{part}-{shard_id}.parquet"
            if path.exists():
                yield pd.read_parquet(path)

    def read_part(self, part: str) -> pd.DataFrame:
        """All shards' rows of one part (runs, curves or params), concatenated."""
        frames = list(self.iter_shards(part))
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    def read_runs(self) -> pd.DataFrame:
        runs = self.read_part("runs")
        if runs.empty:
            return runs
        return runs.astype({k: v for k, v in records.DTYPES.items() if k in runs.columns})

    # outputs ----------------------------------------------------------------

    def write_csv(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.path / name
        atomic_write_csv(path, frame)
        return path
