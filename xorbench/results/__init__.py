"""The results folder on disk: shards, the manifest, the lock, the tables, reading back.

What lives here: the folder itself — shards written atomically, tables, moving aside,
cleaning up after a killed writer (:mod:`~xorbench.results.folder`); its manifest and
the manifest's schema (:mod:`~xorbench.results.manifest`); the one-writer lock
(:mod:`~xorbench.results.lock`); CSV text exactly as pandas writes it, faster
(:mod:`~xorbench.results.csvtext`); the tables read back with their dtypes
(:mod:`~xorbench.results.tables`); which stored rows are a grid's runs, in order
(:mod:`~xorbench.results.selection`); and a folder's runs and status
(:mod:`~xorbench.results.status`).

A new result column is declared in :mod:`xorbench.schema` and filled by the engine's
frames; this package reads and writes whatever the schema says. It never imports the
engine, numba or matplotlib.
"""

from xorbench.results.folder import ResultsDir, atomic_write_csv
from xorbench.results.lock import LOCK
from xorbench.results.manifest import MANIFEST, RESULTS_FORMAT
from xorbench.results.selection import (
    KEY_COLUMNS,
    RunKey,
    grid_runs,
    key_set,
    select_runs,
    spec_keys,
)
from xorbench.results.status import (
    SweepStatus,
    folder_seed_rule,
    load_runs,
    partial_runs,
    read_table,
    rebuild_hint,
    sweep_status,
)
from xorbench.results.tables import DamagedTableError, read_curves, read_runs, read_summary

__all__ = [
    "KEY_COLUMNS", "LOCK", "MANIFEST", "RESULTS_FORMAT", "DamagedTableError", "ResultsDir",
    "RunKey", "SweepStatus", "atomic_write_csv", "folder_seed_rule", "grid_runs", "key_set",
    "load_runs", "partial_runs", "read_curves", "read_runs", "read_summary", "read_table",
    "rebuild_hint", "select_runs", "spec_keys", "sweep_status",
]
