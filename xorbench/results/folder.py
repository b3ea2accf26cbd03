"""The results folder on disk: shards of finished batches, the tidy CSVs, the manifest.

Layout of ``results/<name>/``::

    grid.toml        a copy of the grid that was run
    manifest.json    results format, versions, grid hash, run counts, status and
                     every start, stop and resume
    .lock            while a sweep writes the folder: its pid (:mod:`xorbench.results.lock`)
    shards/          one set of Parquet files per finished batch:
                     runs-<id>.parquet (rows of runs.csv), curves-<id>.parquet
                     (loss at log-spaced epochs), params-<id>.parquet (final θ)
    shards/corrupt/  shards that could not be read, set aside (never deleted)
    runs.csv, summary.csv, curves.csv     rebuilt from the shards

Every file is written atomically (temporary file, fsync, rename): a killed sweep
loses at most the batches in flight, never a finished one. A shard's runs file is
renamed last, so a shard counts only once all its parts are on disk. Shards are
Parquet (pyarrow): typed, compressed and ~50× faster to write and read than CSV,
which matters at a million runs.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd

from xorbench import schema
from xorbench.errors import ResultsError
from xorbench.files import (
    atomic_write_bytes,
    atomic_write_text,
    ensure_folder,
    file_kind,
    fsync_folder,
    os_reason,
    read_text,
    refuse_link,
)
from xorbench.results.csvtext import csv_bytes
from xorbench.results.lock import LOCK, FolderLock
from xorbench.results.manifest import (
    MANIFEST,
    MAX_MANIFEST_BYTES,
    RESULTS_FORMAT,
    parse_manifest,
)
from xorbench.results.tables import with_added_columns

SHARD_PARTS = ("curves", "params", "runs")  # written in this order; runs last
CORRUPT = "corrupt"  # shards/corrupt/: unreadable shards, set aside
# Columns a shard part must have to be usable.
REQUIRED_COLUMNS = {
    "runs": ["config_id", "seed", "epochs", "solved", "epoch_solved", "failure"],
    "curves": ["config_id", "seed", "epoch", "loss"],
    "params": ["config_id", "seed", "epochs"],
}


# --- atomic files ----------------------------------------------------------------


def atomic_write_csv(path: Path, frame: pd.DataFrame) -> None:
    atomic_write_bytes(path, csv_bytes(frame))


def _write_parquet_tmp(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` next to ``path`` under a temporary name, synced; returns that name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    # Dictionary-encode the labels only: trying it on unique floats (outputs,
    # parameters) costs time and space; this halves the time to write params.
    labels = [str(c) for c in frame.columns if frame[c].dtype.kind not in "fiub"]
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)  # keeps pandas dtypes
        pq.write_table(table, tmp, compression="zstd", use_dictionary=labels)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    except OSError as e:  # a full disk: pyarrow's message names no file, ours does
        tmp.unlink(missing_ok=True)
        raise OSError(e.errno, os_reason(e), str(path)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


# --- the folder --------------------------------------------------------------------

CorruptCallback = Callable[[str, str], None]  # (shard id, reason)


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
        self.check_format()

    def check_format(self) -> None:
        """Raise ResultsError if the manifest was written in another results format."""
        if not self.exists():
            return
        fmt = self.read_manifest().get("results_format")
        if fmt != RESULTS_FORMAT:
            newer = isinstance(fmt, int) and fmt > RESULTS_FORMAT
            who = "a newer xorbench" if newer else "another xorbench"
            raise ResultsError(
                f"{self.path}: written by {who} (results format {fmt!r}; this xorbench reads "
                f"format {RESULTS_FORMAT}); use that xorbench, or sweep with --fresh to move "
                f"the folder aside and start over"
            )

    def check_target(self) -> None:
        """Raise ResultsError unless a sweep may write here (absent, empty or ours, and
        not a symbolic link: the folder a sweep writes is the one it was given)."""
        refuse_link(self.path)
        for folder in (self.shards, self.shards / CORRUPT, self.path / "plots"):
            refuse_link(folder)
        if not self.path.exists():
            return
        if not self.path.is_dir():
            raise ResultsError(f"{self.path}: is a file; --out needs a folder")
        names = {p.name for p in self.path.iterdir()}
        if names and not names & {MANIFEST, LOCK, "shards"}:
            shown = ", ".join(sorted(names)[:3]) + (", …" if len(names) > 3 else "")
            raise ResultsError(
                f"{self.path}: not empty and not an xorbench results folder (it holds "
                f"{shown}); choose another --out"
            )

    # manifest ---------------------------------------------------------------

    def read_manifest(self) -> dict:
        """The manifest, checked: a JSON object whose known fields have their types."""
        text = read_text(self.manifest_path, MAX_MANIFEST_BYTES, "manifest",
                         follow_links=False)
        return parse_manifest(text, self.manifest_path)

    def write_manifest(self, manifest: dict) -> None:
        ensure_folder(self.path)
        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    # writing: lock, fresh start, leftovers --------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[dict | None]:
        """Hold the folder's lock (creating the folder); yields a stale lock's info or None."""
        ensure_folder(self.path)
        lock = FolderLock(self.path)
        stale = lock.acquire()
        try:
            yield stale
        finally:
            lock.release()

    def lock_holder(self) -> dict | None:
        """Who is writing the folder now (pid, host, since), or None."""
        return FolderLock(self.path).held_by_other()

    def move_aside(self) -> Path | None:
        """Move everything but the lock to ``<folder>.old-<timestamp>``; None if empty.

        For ``--fresh``: the old results are kept, never deleted.
        """
        entries = [p for p in self.path.iterdir() if p.name != LOCK] if self.path.is_dir() else []
        if not entries:
            return None
        base = Path(os.path.abspath(self.path))  # "." has no name of its own
        if not base.name:
            raise ResultsError(f"{self.path}: --fresh cannot move the root folder aside; "
                               "give --out a folder of its own")
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for n in range(1, 1000):
            suffix = f"-{n}" if n > 1 else ""
            target = base.with_name(f"{base.name}.old-{stamp}{suffix}")
            try:
                target.mkdir()
                break
            except FileExistsError:
                continue
        else:  # pragma: no cover - a thousand moves within one second
            raise ResultsError(f"{self.path}: too many {base.name}.old-{stamp}* folders")
        for entry in entries:
            try:
                entry.rename(target / entry.name)
            except OSError as e:
                if e.errno != errno.EXDEV:
                    raise
                with contextlib.suppress(OSError):
                    target.rmdir()  # only if nothing moved yet: never a result lost
                raise ResultsError(
                    f"{self.path}: --fresh cannot move the old results to {target.name} "
                    f"(another file system: {self.path} is a mount point); move them aside "
                    f"yourself, or give another --out") from None
        fsync_folder(target)
        return target

    def remove_partial_writes(self) -> int:
        """Delete what a killed writer left half-done; returns the number of files.

        Temporary files (``.*.tmp``) and shard parts whose runs part never
        appeared are incomplete by construction: their runs are not counted as
        done and will be trained again. Call only while holding the lock.
        """
        removed = 0
        folders = [self.path, self.shards]
        for folder in folders:
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
                    removed += 1
        complete = set(self.shard_ids())
        if self.shards.is_dir():
            for part in ("curves", "params"):
                for path in self.shards.glob(f"{part}-*.parquet"):
                    if _shard_id(path, part) not in complete:
                        path.unlink(missing_ok=True)
                        removed += 1
        return removed

    # shards -----------------------------------------------------------------

    def write_shard(self, runs: pd.DataFrame, curves: pd.DataFrame, params: pd.DataFrame,
                    still_wanted: Callable[[], bool] | None = None) -> str | None:
        """Store one finished batch; returns the shard id.

        Every part is written to a temporary file and synced first, then the parts
        are renamed into place, runs last: the shard exists once its runs part
        does, and then all of it is on disk. ``still_wanted`` is asked just before
        the renames (a worker whose sweep was killed meanwhile drops its batch
        rather than write into a folder another sweep may own now); if it says
        no, nothing is stored and None is returned.
        """
        ensure_folder(self.shards)
        shard_id = uuid.uuid4().hex[:12]
        frames = {"curves": curves, "params": params, "runs": runs}
        written = []
        try:
            for part in SHARD_PARTS:
                path = self.shards / f"{part}-{shard_id}.parquet"
                written.append((_write_parquet_tmp(path, frames[part]), path))
            if still_wanted is not None and not still_wanted():
                return None
            for tmp, path in written:
                os.replace(tmp, path)
            written = []
        finally:
            for tmp, _ in written:
                tmp.unlink(missing_ok=True)
        fsync_folder(self.shards)
        return shard_id

    def shard_ids(self) -> list[str]:
        """Complete shards (those whose runs part exists), in a stable order."""
        if not self.shards.is_dir():
            return []
        return sorted(_shard_id(p, "runs") for p in self.shards.glob("runs-*.parquet"))

    def count_runs(self, shard_ids: Iterable[str]) -> int:
        """Rows in these shards' runs parts, from the Parquet footers (no data read)."""
        import pyarrow.parquet as pq

        total = 0
        for shard_id in shard_ids:
            with contextlib.suppress(Exception):  # unreadable: not counted, set aside later
                total += pq.read_metadata(self.shards / f"runs-{shard_id}.parquet").num_rows
        return total

    def read_shards(self, parts: Iterable[str] = ("runs",), check: Iterable[str] = (),
                    on_corrupt: CorruptCallback | None = None,
                    set_aside: bool = False) -> dict[str, pd.DataFrame]:
        """Every complete shard's ``parts``, each part concatenated over the shards.

        The ``check`` parts are read too, to prove them readable, but not kept. A
        shard with an unreadable or incomplete part is skipped as a whole and
        reported to ``on_corrupt(shard_id, reason)``; with ``set_aside`` (only
        while holding the lock) its files also move to ``shards/corrupt/``, so
        its runs count as not done and are trained again.
        """
        parts, check = tuple(parts), tuple(check)
        frames: dict[str, list[pd.DataFrame]] = {part: [] for part in parts}
        for shard_id in self.shard_ids():
            try:
                read = {part: self._read_part(shard_id, part) for part in parts}
                for part in check:
                    self._read_part(shard_id, part)
            except _ShardError as e:
                if set_aside:
                    self.set_aside(shard_id)
                if on_corrupt is not None:
                    on_corrupt(shard_id, str(e))
                continue
            for part, frame in read.items():
                frames[part].append(frame)
        out = {}
        for part, pieces in frames.items():
            pieces = [p for p in pieces if len(p)]
            out[part] = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()
        return out

    def _read_part(self, shard_id: str, part: str) -> pd.DataFrame:
        path = self.shards / f"{part}-{shard_id}.parquet"
        if not path.is_file():
            kind = file_kind(path)
            raise _ShardError(f"{path.name} is missing" if kind is None else
                              f"{path.name} is {kind}, not a file")
        try:
            frame = pd.read_parquet(path)
        except Exception as e:  # pyarrow raises many kinds (ArrowInvalid, OSError, …)
            reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise _ShardError(f"{path.name} is unreadable ({reason})") from None
        missing = [c for c in REQUIRED_COLUMNS[part] if c not in frame.columns]
        if missing:
            raise _ShardError(f"{path.name} lacks column(s) {', '.join(missing)}")
        return with_added_columns(frame)  # a shard stored before the bug axis: bug = none

    def set_aside(self, shard_id: str) -> Path:
        """Move one shard's files to ``shards/corrupt/`` (kept for inspection)."""
        target = ensure_folder(self.shards / CORRUPT)
        for part in SHARD_PARTS:
            path = self.shards / f"{part}-{shard_id}.parquet"
            if path.exists():
                path.rename(target / path.name)
        fsync_folder(self.shards)
        return target

    def read_part(self, part: str) -> pd.DataFrame:
        """All readable shards' rows of one part (runs, curves or params), concatenated."""
        return self.read_shards((part,))[part]

    def read_runs(self) -> pd.DataFrame:
        runs = self.read_part("runs")
        if runs.empty:
            return runs
        return runs.astype({k: v for k, v in schema.RUN_DTYPES.items() if k in runs.columns})

    # outputs ----------------------------------------------------------------

    def write_csv(self, name: str, frame: pd.DataFrame) -> Path:
        path = ensure_folder(self.path) / name
        atomic_write_csv(path, frame)
        return path

    def write_text(self, name: str, text: str) -> Path:
        return self.write_bytes(name, text.encode())

    def write_bytes(self, name: str, data: bytes | memoryview) -> Path:
        path = ensure_folder(self.path) / name
        atomic_write_bytes(path, data)
        return path


class _ShardError(Exception):
    """One shard part that cannot be used (internal: becomes a warning, never a crash)."""


def _shard_id(path: Path, part: str) -> str:
    return path.name[len(part) + 1 : -len(".parquet")]
