"""A large table's CSV a column at a time: each column's cells as bytes, then the rows.

Each column becomes its cells in one vectorised step — labels formatted once per
distinct value, integers by Arrow, floats as Arrow's shortest round-trip digits
(``repr``'s digits) rewritten in ``repr``'s notation — and the cells are then placed
in the rows. The two byte loops this needs are compiled code, which this layer never
loads itself (it reads tables without numba): the caller hands them in
(:class:`ByteLoops`, :mod:`xorbench.engine.textloops`).
"""

from __future__ import annotations

import csv
import functools
import io
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# a column's cells: starts, ends, bytes (cell i is bytes[starts[i]:ends[i]])
Cells = tuple[np.ndarray, np.ndarray, np.ndarray]


class ByteLoops(Protocol):
    """The compiled byte loops the columns need (:mod:`xorbench.engine.textloops`)."""

    def python_float_notation(self, offsets: np.ndarray,
                              data: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def place_column(self, out: np.ndarray, cursor: np.ndarray, starts: np.ndarray,
                     ends: np.ndarray, data: np.ndarray, separator: int) -> None: ...


def columnar_csv(frame: pd.DataFrame, loops: ByteLoops) -> memoryview | None:
    """``frame.to_csv(index=False, lineterminator="\\n")``, byte for byte, UTF-8, built
    a column at a time; the rows are filled a block at a time (its bytes stay in the
    cache). None if a column is of a kind this does not know, or if this Arrow's float
    digits are not ``repr``'s (:func:`arrow_floats_agree`)."""
    if not arrow_floats_agree(loops):
        return None
    columns = []
    for name in frame.columns:
        cells = _column_cells(frame[name], loops)
        if cells is None:
            return None
        columns.append(cells)
    header = (",".join(csv_quote(str(c)) for c in frame.columns) + "\n").encode()
    if len(frame) == 0:
        return memoryview(header)
    # each row: its cells, a comma after each but the last, a line break after that
    row_bytes = sum(ends - starts + 1 for starts, ends, _ in columns)
    cursor = np.empty(len(frame), np.int64)
    cursor[0] = len(header)
    np.cumsum(row_bytes[:-1], out=cursor[1:])
    cursor[1:] += len(header)
    out = np.empty(int(cursor[-1] + row_bytes[-1]), np.uint8)
    out[: len(header)] = np.frombuffer(header, np.uint8)
    for first in range(0, len(frame), BLOCK_ROWS):
        rows = slice(first, first + BLOCK_ROWS)
        for i, (starts, ends, data) in enumerate(columns):
            separator = NEWLINE if i == len(columns) - 1 else COMMA
            loops.place_column(out, cursor[rows], starts[rows], ends[rows], data, separator)
    return memoryview(out)


BLOCK_ROWS = 8192  # ~2 MB of CSV: a block's bytes stay in the cache while its columns land
COMMA, NEWLINE = ord(","), ord("\n")


def _column_cells(series: pd.Series, loops: ByteLoops) -> Cells | None:
    """One column's CSV cells as pandas writes them (missing → ""), or None if unsure."""
    dtype = series.dtype
    if dtype == np.float64:
        x = series.to_numpy()
        distinct = few_distinct_floats(x)
        if distinct is not None:
            return _table_cells(distinct[1], distinct[0])
        starts, ends, data = float_cells(x, loops)
        missing = np.isnan(x)
        ends[missing] = starts[missing]
        return starts, ends, data
    if dtype == np.bool_:
        return _table_cells(["False", "True"], series.to_numpy().view(np.uint8))
    if dtype == np.int64 or isinstance(dtype, pd.Int64Dtype):
        values = series.to_numpy(dtype=np.int64, na_value=0)
        starts, ends, data = _arrow_cells(pc.cast(pa.array(values), pa.large_string()))
        if isinstance(dtype, pd.Int64Dtype):
            missing = series.isna().to_numpy()
            ends[missing] = starts[missing]
        return starts, ends, data
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        labels = list(uniques)
        if not all(isinstance(u, str) for u in labels):
            return None
        # code −1 (missing) picks the last entry, ""
        return _table_cells([*(csv_quote(u) for u in labels), ""], codes)
    return None


def float_cells(x: np.ndarray, loops: ByteLoops) -> Cells:
    """``repr`` of each float (NaN: ``nan``): Arrow's shortest digits in Python's notation."""
    starts, ends, data = _arrow_cells(pc.cast(pa.array(x, pa.float64()), pa.large_string()))
    offsets, data = loops.python_float_notation(np.append(starts, ends[-1:]) if len(x) else
                                                np.zeros(1, np.int64), data)
    return offsets[:-1], offsets[1:].copy(), data


def _arrow_cells(text: pa.LargeStringArray) -> Cells:
    _, offsets, data = text.buffers()
    bounds = np.frombuffer(offsets, np.int64, len(text) + 1, text.offset * 8)
    return bounds[:-1].copy(), bounds[1:].copy(), np.frombuffer(data, np.uint8)


def _table_cells(table: list[str], codes: np.ndarray) -> Cells:
    """Row i's cell is ``table[codes[i]]`` (code −1: the last entry)."""
    encoded = [t.encode() for t in table]
    bounds = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=bounds[1:])
    codes = np.asarray(codes, np.intp)
    data = np.frombuffer(b"".join(encoded) or b" ", np.uint8)
    return bounds[:-1][codes], bounds[1:][codes], data


# Floats Python writes in each of repr's notations, and at the edges between them
AGREEMENT_FLOATS = [0.0, -0.0, 1.0, 100.0, 0.1, 1 / 3, 2.5, 1e-4, 9.999999999999999e-05,
                    1e-5, 1.5e-7, 1e15, 1e16, 1234567890123456.8, 1.2345678901234568e17,
                    123456789012345.6, 5e-324, 2.2250738585072014e-308,
                    1.7976931348623157e308, 1e22, -1e-100, 0.24977430181957944,
                    float("inf"), float("-inf")]


@functools.cache
def arrow_floats_agree(loops: ByteLoops) -> bool:
    """Whether this Arrow's float digits, in repr's notation, are repr's (on floats at
    each edge of its notations): if not, tables are formatted a row at a time."""
    try:
        starts, ends, data = float_cells(np.array(AGREEMENT_FLOATS), loops)
    except (pa.ArrowException, ValueError, TypeError):  # an Arrow that cannot: the other way
        return False
    cells = [bytes(data[a:b]).decode() for a, b in zip(starts, ends, strict=True)]
    return cells == [repr(x) for x in AGREEMENT_FLOATS]


def few_distinct_floats(x: np.ndarray) -> tuple[np.ndarray, list[str]] | None:
    """A float column of few distinct values (at most one a row in four) as codes into
    their cells (NaN → ""); None if it has more. Values are told apart by their bits,
    so -0.0 and 0.0 (equal as floats) keep their own text."""
    bits = x.view(np.int64)
    if len(bits) >= 4096 and len(np.unique(bits[:: len(bits) // 1024])) > 256:
        return None  # a sample of ~1024 rows already has too many: skip the full count
    codes, uniques = pd.factorize(bits)
    if len(uniques) > len(x) // 4:
        return None
    values = uniques.view(np.float64)
    return codes, ["" if v != v else repr(v) for v in values.tolist()]  # NaN ≠ NaN


def csv_quote(text: str) -> str:
    """A field as Python's csv module writes it (QUOTE_MINIMAL, line terminator "\\n"),
    which pandas uses: quoted if it holds a character of :data:`QUOTED`."""
    if any(ch in text for ch in QUOTED):
        return '"' + text.replace('"', '""') + '"'
    return text


def _quoted_characters() -> str:
    """The characters that make this Python's csv module quote a field: the separator,
    the quote and "\\n" always; "\\r" only from Python 3.13 (3.11 and 3.12 write a lone
    "\\r" as it is)."""
    quoted = ""
    for ch in ',"\n\r':
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([f"a{ch}b", ""])
        quoted += ch if buffer.getvalue().startswith('"') else ""
    return quoted


QUOTED = _quoted_characters()


