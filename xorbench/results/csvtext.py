"""CSV exactly as pandas writes it, only faster; a large table in a thread beside other work.

:func:`csv_text` gives ``frame.to_csv(index=False, lineterminator="\\n")`` byte for
byte, ~4× faster; :func:`csv_bytes` the same encoded, and a large table ~4× faster
again a column at a time (:mod:`xorbench.results.csvcolumns`) when the caller hands it
the compiled byte loops. :func:`csv_bytes_in_background` formats a large table in a
thread while the caller computes the other tables.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from xorbench.results.csvcolumns import ByteLoops, columnar_csv, csv_quote, few_distinct_floats

# From this many rows, given the compiled loops, a table is formatted a column at a
# time: below, loading the loops (numba's first call in a process, ~0.6 s; compiling them
# once per machine, ~3 s) costs more than it saves.
COLUMNAR_ROWS = 50_000


def csv_bytes(frame: pd.DataFrame, loops: ByteLoops | None = None) -> bytes | memoryview:
    """:func:`csv_text`, UTF-8; a large table a column at a time if given the compiled
    ``loops`` (:mod:`xorbench.engine.textloops`)."""
    if loops is not None and len(frame) >= COLUMNAR_ROWS and frame.shape[1] >= 2:
        data = columnar_csv(frame, loops)
        if data is not None:
            return data
    return csv_text(frame).encode()


def csv_text(frame: pd.DataFrame) -> str:
    """``frame.to_csv(index=False, lineterminator="\\n")``, byte for byte, ~4× faster.

    pandas formats every cell through a generic path; here each column becomes
    its cells in one vectorised step (labels are formatted once per distinct value,
    floats with ``repr`` — the shortest round-trip form, which is what pandas
    writes too). Columns of any other kind fall back to pandas.
    """
    if frame.shape[1] < 2:  # a lone empty field is written "" by csv: leave it to pandas
        return frame.to_csv(index=False, lineterminator="\n")
    columns = []
    for name in frame.columns:
        cells = _csv_cells(frame[name])
        if cells is None:
            return frame.to_csv(index=False, lineterminator="\n")
        columns.append(cells)
    header = ",".join(csv_quote(str(c)) for c in frame.columns)
    if len(frame) == 0:
        return header + "\n"
    return header + "\n" + "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"


def _csv_cells(series: pd.Series) -> list[str] | None:
    """One column's CSV cells as pandas writes them (missing → ""), or None if unsure."""
    dtype = series.dtype
    if dtype == np.float64:
        x = series.to_numpy()
        distinct = few_distinct_floats(x)
        if distinct is not None:  # (lr, accuracy): each formatted once
            codes, table = distinct
            return np.array(table, dtype=object)[codes].tolist()
        cells = list(map(repr, x.tolist()))
        for i in np.flatnonzero(np.isnan(x)).tolist():
            cells[i] = ""
        return cells
    if dtype == np.bool_:
        return np.where(series.to_numpy(), "True", "False").tolist()
    if dtype == np.int64:
        return list(map(str, series.to_numpy().tolist()))
    if isinstance(dtype, pd.Int64Dtype):
        values = series.to_numpy(dtype=np.int64, na_value=0)
        cells = list(map(str, values.tolist()))
        for i in np.flatnonzero(series.isna().to_numpy()).tolist():
            cells[i] = ""
        return cells
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        labels = list(uniques)
        if not all(isinstance(u, str) for u in labels):
            return None
        table = np.array([*(csv_quote(u) for u in labels), ""], dtype=object)
        return table[codes].tolist()  # code −1 (missing) picks the last entry, ""
    return None


# From this many rows a table is formatted in a thread of its own: below, when asked.
BACKGROUND_ROWS = COLUMNAR_ROWS


@contextlib.contextmanager
def csv_bytes_in_background(frame: pd.DataFrame, loops: ByteLoops | None = None,
                            ) -> Iterator[Callable[[], bytes | memoryview]]:
    """Format ``frame`` (:func:`csv_bytes`, with ``loops``) in a thread while the caller
    does other work.

    After training, the sweep builds its summary and curves while a large runs.csv
    is formatted: Arrow's casts and the compiled loops let go of the GIL, so the two
    share the machine's cores. Yields a function that returns the bytes (waiting for
    the thread if needed, and raising what it raised); a small frame is formatted
    when that is called.
    """
    if len(frame) < BACKGROUND_ROWS:
        yield lambda: csv_bytes(frame, loops)
        return
    done: list = []

    def work() -> None:
        try:
            done.append(csv_bytes(frame, loops))
        except BaseException as error:  # re-raised in the caller's thread
            done.append(error)

    # a daemon: a sweep stopped meanwhile (Ctrl-C) exits without waiting for it
    thread = threading.Thread(target=work, name="xorbench-csv", daemon=True)
    thread.start()

    def result() -> bytes | memoryview:
        thread.join()
        if isinstance(done[0], BaseException):
            raise done[0]
        return done[0]

    yield result
