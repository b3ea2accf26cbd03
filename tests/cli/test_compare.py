"""``xorbench compare`` end to end on a tiny sweep made in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from xorbench import schema
from xorbench.analysis.compare import compare
from xorbench.cli import app
from xorbench.results import load_runs

PAIR = """
name = "pair"
[defaults]
seeds = 24
hidden = 2
activation = "sigmoid"
lr = 0.5
[grid]
optimizer = ["sgd", "momentum(0.9)"]
init = ["uniform(-1,1)", "xavier"]
epochs = [50, 300]
"""  # 2 optimizers × 2 inits × 24 seeds × 2 budgets = 192 runs


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("compare")
    (root / "pair.toml").write_text(PAIR)
    result = invoke("sweep", root / "pair.toml", "--out", root / "out", "--jobs", 1, "--quiet",
                    "--no-plots")
    assert result.exit_code == 0, result.output
    return root / "out"


def test_compare_prints_a_narrow_table_and_writes_the_csv(swept):
    result = invoke("compare", swept, "--axis", "optimizer")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == f"comparisons: {swept / 'compare-optimizer.csv'}"
    assert max(len(line) for line in lines[:-1]) <= 80, result.stdout
    assert lines[0] == "optimizer, paired by seed: each value vs sgd"
    assert sum("momentum(0.9) vs sgd" in line for line in lines) == 2  # one per init
    assert "whatever the optimizer" in " ".join(result.stdout.split())
    written = pd.read_csv(swept / "compare-optimizer.csv")
    assert list(written.columns) == [*schema.COMPARE_LEAD_COLUMNS, "init",
                                     *schema.COMPARE_STAT_COLUMNS]
    expected = compare(load_runs(swept), "optimizer")
    assert written["epochs"].tolist() == [300, 300]
    for column in ("n_pairs", "only_a", "only_b", "diff_low", "p_adjusted", "speed_ratio"):
        pd.testing.assert_series_equal(written[column], expected[column], check_dtype=False,
                                       check_names=False)


def test_budgets_and_json(swept):
    assert invoke("compare", swept, "--axis", "init", "--all-budgets").exit_code == 0
    assert pd.read_csv(swept / "compare-init.csv")["epochs"].tolist() == [50, 300, 50, 300]
    result = invoke("compare", swept, "--axis", "optimizer", "--budget", 50, "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["epochs"] for r in rows] == [50, 50]
    assert all(r["verdict"].startswith("momentum(0.9) vs sgd: ") for r in rows)
    assert {"diff", "diff_low", "diff_high", "p_value", "shared_init"} <= set(rows[0])


@pytest.mark.parametrize(("args", "words"), [
    (["--axis", "epochs"], "--axis epochs: budgets are checkpoints"),
    (["--axis", "hidden"], "--axis hidden: has one value in these runs (2-2-1)"),
    (["--axis", "optimizer", "--baseline", "adam"], "--baseline adam: not a value of optimizer"),
    (["--axis", "optimizer", "--budget", 7], "--budget 7: not an epoch budget"),
    (["--axis", "optimizer", "--budget", 50, "--all-budgets"], "give one of them"),
])
def test_bad_requests_are_one_line_and_exit_1(swept, args, words):
    result = invoke("compare", swept, *args)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr


def test_compare_is_listed_after_the_show_commands():
    listing = invoke("--help").stdout
    assert listing.index("report") < listing.index("compare") < listing.index("bench")
