"""CSV text: byte-identical to pandas' to_csv on every kind of column we write."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from xorbench.results.csvtext import csv_text

EDGE_FLOATS = [0.1, 100.0, 1e-5, 1.5e-7, 1e16, 1e15, 123456789012345.6, -0.0, 0.0, 5e-324,
               1e-300, 2.5, math.inf, -math.inf, math.nan, 0.0001, 1 / 3, 0.24977430181957944]


def _frames() -> dict[str, pd.DataFrame]:
    n = len(EDGE_FLOATS)
    rng = np.random.default_rng(0)
    labels = ["xor", "uniform(0,1)", 'say "hi"', "a\nb", "", "2-2-1", "x,y", "tab\there"]
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
        "quoted header": pd.DataFrame({"a,b": [1, 2], 'say "x"': ["p", "q"]}),
        "float32_falls_back": pd.DataFrame({"a": np.float32([0.1, 0.2]), "b": ["x", "y"]}),
    }


@pytest.mark.parametrize("name", list(_frames()))
def test_csv_text_is_byte_identical_to_pandas(name):
    frame = _frames()[name]
    assert csv_text(frame) == frame.to_csv(index=False, lineterminator="\n")
