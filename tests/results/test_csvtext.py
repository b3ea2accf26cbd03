"""CSV text: byte-identical to pandas' to_csv on every kind of column we write."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xorbench.results.csvtext
from xorbench.engine import textloops
from xorbench.results.csvcolumns import arrow_floats_agree, columnar_csv, float_cells
from xorbench.results.csvtext import csv_bytes, csv_text

EDGE_FLOATS = [0.1, 100.0, 1e-5, 1.5e-7, 1e16, 1e15, 123456789012345.6, -0.0, 0.0, 5e-324,
               1e-300, 2.5, math.inf, -math.inf, math.nan, 0.0001, 1 / 3, 0.24977430181957944]


def _frames() -> dict[str, pd.DataFrame]:
    n = len(EDGE_FLOATS)
    rng = np.random.default_rng(0)
    labels = ["xor", "uniform(0,1)", 'say "hi"', "a\nb", "", "2-2-1", "x,y", "tab\there",
              "cr\ronly", "crlf\r\n", "größe"]
    return {
        "mixed": pd.DataFrame({
            "text": pd.array([labels[i % len(labels)] for i in range(n)], dtype="string"),
            "x": np.array(EDGE_FLOATS),
            "flag": np.arange(n) % 3 == 0,
            "count": np.arange(n, dtype=np.int64) * 7 - 20,
            "maybe": pd.array([None if i % 4 == 0 else i for i in range(n)], dtype="Int64"),
            "obj": np.array([labels[i % 3] if i % 5 else None for i in range(n)], object),
        }),
        "missing_text": pd.DataFrame({
            "a": pd.array(["x", None, "y", None], dtype="string"),
            "b": [1.0, 2.0, math.nan, 4.0],
        }),
        "random_floats": pd.DataFrame({"u": rng.random(2000) ** 9, "v": -rng.random(2000) * 1e6}),
        "few_distinct_floats": pd.DataFrame({  # formatted once per value
            "lr": np.tile([0.1, 0.5, 2.0, -0.0, 0.0, math.nan, math.inf, 1e-5], 50),
            "acc": np.repeat([0.0, 0.25, 0.5, 1.0], 100)}),
        "empty": pd.DataFrame({"a": pd.Series([], dtype="string"),
                               "b": pd.Series([], dtype=float)}),
        "one_column": pd.DataFrame({"a": ["", "x"]}),
        "quoted header": pd.DataFrame({"a,b": [1, 2], 'say "x"': ["p", "q"], "c\rr": [3, 4]}),
        "float32_falls_back": pd.DataFrame({"a": np.float32([0.1, 0.2]), "b": ["x", "y"]}),
    }


@pytest.mark.parametrize("name", list(_frames()))
@pytest.mark.parametrize("way", ["rows", "columns"])
def test_csv_text_is_byte_identical_to_pandas(name, way, monkeypatch):
    """Both ways of formatting — a row at a time (small tables) and a column at a time
    (large ones) — write what pandas writes."""
    monkeypatch.setattr(xorbench.results.csvtext, "COLUMNAR_ROWS", 0)
    frame = _frames()[name]
    expected = frame.to_csv(index=False, lineterminator="\n")
    if way == "rows":
        assert csv_text(frame) == expected
        assert bytes(csv_bytes(frame)) == expected.encode()
    else:
        assert bytes(csv_bytes(frame, textloops)) == expected.encode()
        if frame.shape[1] > 1 and "float32" not in name:
            assert columnar_csv(frame, textloops) is not None  # formatted by columns indeed


def test_arrow_float_digits_are_reprs_on_this_machine():
    """Large tables are formatted by Arrow only where its digits are repr's: if this
    fails, an Arrow release changed them, and every large table falls back to the
    (correct, slower) row-at-a-time way."""
    assert arrow_floats_agree(textloops)


def _reprs(x: np.ndarray) -> list[str]:
    starts, ends, data = float_cells(x, textloops)
    return [bytes(data[a:b]).decode() for a, b in zip(starts, ends, strict=True)]


def test_float_cells_are_repr_for_random_bit_patterns():
    bits = np.random.default_rng(7).integers(-(2**63), 2**63 - 1, 50_000, dtype=np.int64)
    x = bits.view(np.float64)
    x = x[~np.isnan(x)]
    assert _reprs(x) == [repr(v) for v in x.tolist()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=50))
def test_float_cells_are_repr(values):
    assert _reprs(np.array(values, np.float64)) == [repr(v) for v in values]


def test_float_cells_are_repr_at_every_power_of_ten():
    """Each side of each power of ten: where repr's notation and its exponent's width
    change."""
    powers = [10.0**k for k in range(-323, 309)]
    x = np.array([np.nextafter(p, 0) for p in powers] + powers
                 + [np.nextafter(p, np.inf) for p in powers])
    x = np.concatenate([x, -x])
    assert _reprs(x) == [repr(v) for v in x.tolist()]
