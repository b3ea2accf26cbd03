""""Which framework's default solves XOR?" (docs/matching-your-code.md) matches the committed
results, and holds.

The section quotes numbers from ``xorbench sweep sweeps/frameworks.toml``, committed in
docs/frameworks/summary.csv and turned into tables by docs/frameworks_question.py. These
tests recompute the tables from the committed CSV, check that the page shows exactly
them and quotes no other result, check each finding on the data, and retrain one
setting to check that the committed data is still what xorbench computes.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xorbench.analysis import wilson_interval
from xorbench.config import make_config
from xorbench.engine.trial import train
from xorbench.grid import expand_configs, load_grid

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "matching-your-code.md"


def _load_script():
    path = ROOT / "docs" / "frameworks_question.py"
    spec = importlib.util.spec_from_file_location("frameworks_question", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fq = _load_script()


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return fq.load_committed()


def section(text: str) -> str:
    """The page's "Which framework's default solves XOR?" section (to its end)."""
    return text[text.index("## Which framework's default solves XOR?"):]


def prose(text: str) -> str:
    """The section without its marked tables."""
    return re.sub(r"<!-- frameworks:([\w-]+) -->.*?<!-- /frameworks:\1 -->", "", text,
                  flags=re.S)


# Results are quoted as counts "n/N" and percentages.
COUNT = re.compile(r"\b\d+/\d+\b")
PERCENT = re.compile(r"(\d+(?:\.\d+)?) %")


def quoted(text: str) -> set[str]:
    return set(COUNT.findall(text)) | set(PERCENT.findall(text))


def test_marked_tables_are_the_committed_results(summary):
    shown = fq.blocks_in(PAGE.read_text())
    generated = fq.tables(summary)
    assert set(shown) == set(generated)
    for name, table in generated.items():
        assert shown[name] == table, (
            f"table {name!r} is stale; rerun `python docs/frameworks_question.py`")


def test_numbers_in_the_text_come_from_the_tables(summary):
    text = prose(section(PAGE.read_text()))
    allowed = quoted("\n".join(fq.tables(summary).values()))
    levels = {"5", "95"}  # "significant at 5 %", "Wilson 95 % interval": not results
    unknown = quoted(text) - allowed - levels
    assert not unknown, f"the section quotes numbers no committed table gives: {unknown}"


def test_committed_summary_covers_the_grid(summary):
    grid = load_grid(ROOT / "sweeps" / "frameworks.toml")
    expected = {(config.config_id, budget) for config, budgets in expand_configs(grid)
                for budget in budgets}
    assert set(zip(summary["config_id"], summary["epochs"], strict=True)) == expected
    assert (summary["n_runs"] == len(grid.seeds)).all()
    assert set(summary["init"]) == set(fq.FRAMEWORKS)
    assert (summary["init"] == summary["bias_init"]).all()  # each its own framework's
    low, high = wilson_interval(summary["n_solved"], summary["n_runs"])
    np.testing.assert_allclose(summary["ci_low"], low)
    np.testing.assert_allclose(summary["ci_high"], high)


# --- the findings hold on the committed data ----------------------------------------------


def _above(k: int, other: int, n: int = 500) -> bool:
    """k/n lies above the upper end of other/n's Wilson interval."""
    return wilson_interval(other, n)[1] < k / n


def test_pytorch_default_is_the_most_reliable_for_the_2_2_1(summary):
    """tanh: PyTorch's above both others' intervals; sigmoid: PyTorch's and scikit-learn's
    level (no significant difference), both above Keras's interval."""
    top = fq.best(summary)

    def solved(activation):
        return {init: int(top.loc[("2-2-1", activation, init), "n_solved"])
                for init in fq.FRAMEWORKS}

    tanh = solved("tanh")
    assert _above(tanh["torch"], tanh["keras"]) and _above(tanh["torch"], tanh["sklearn"])
    sigmoid = solved("sigmoid")
    assert max(sigmoid, key=sigmoid.get) == "torch"
    assert abs(fq.two_proportion_z(sigmoid["torch"], 500, sigmoid["sklearn"], 500)) < fq.Z_95
    assert _above(sigmoid["torch"], sigmoid["keras"])
    assert _above(sigmoid["sklearn"], sigmoid["keras"])


def test_tanh_failures_of_the_2_2_1_are_stuck_for_good(summary):
    mine = summary[(summary["arch"] == "2-2-1") & (summary["activation"] == "tanh")
                   & (summary["lr"] >= 0.5)]
    by_budget = mine.pivot_table(index=["init", "lr"], columns="epochs", values="n_solved")
    assert (by_budget[5000] - by_budget[1000]).max() <= 0.05 * 500  # more epochs: little
    last = mine[mine["epochs"] == 5000]
    failed = last["n_runs"] - last["n_solved"]
    assert (last["n_stuck"] > 0.9 * failed).all()


def test_wider_networks_solve_xor_with_every_default(summary):
    top = fq.best(summary)
    for arch in ("2-4-1", "2-8-1"):
        for activation in fq.ACTIVATIONS:
            for init in fq.FRAMEWORKS:
                assert top.loc[(arch, activation, init), "n_solved"] >= 499


def test_keras_is_fastest_with_sigmoid(summary):
    early = summary[(summary["activation"] == "sigmoid") & (summary["lr"] == 0.5)
                    & (summary["epochs"] == 1000)]
    for arch in fq.NETWORKS:
        counts = early[early["arch"] == arch].set_index("init")["n_solved"]
        assert counts.idxmax() == "keras"
        assert counts["keras"] > 2 * max(counts["torch"], counts["sklearn"])


def test_torch_init_is_compatible_with_pytorchs_own_counts(summary):
    """Issue 19's "done when": each of PyTorch's counts and xorbench's differ by less than
    the two-proportion z-test finds significant at 5 %."""
    rows = fq.pytorch_rows(summary)
    assert len(rows) == len(fq.PYTORCH_MEASURED) == 3
    for row in rows:
        assert abs(row["z"]) < fq.Z_95, row


def test_two_proportion_z():
    # 36/500 vs 28/500: p = 0.064 pooled, se = √(0.064 · 0.936 · 2/500) = 0.015479
    assert fq.two_proportion_z(28, 500, 36, 500) == pytest.approx(-0.016 / 0.0154789, rel=1e-4)
    assert fq.two_proportion_z(10, 100, 10, 100) == 0
    assert abs(fq.two_proportion_z(100, 500, 150, 500)) > fq.Z_95


# --- live: xorbench still computes the committed results ---------------------------------


def test_training_again_gives_the_committed_counts(summary):
    """PyTorch's default on the 2-8-1 at lr 0.5, all 500 seeds, 1000 and 2000 epochs."""
    config = make_config(hidden=(8,), activation="sigmoid", init="torch", bias_init="torch",
                         lr=0.5, optimizer="sgd", loss="mse", batch="full")
    runs = train(config, seeds=500, epochs=[1000, 2000])
    fresh = runs.groupby("epochs")["solved"].sum()
    committed = summary[summary["config_id"] == config.config_id].set_index("epochs")
    for epochs in (1000, 2000):
        assert fresh[epochs] == committed.loc[epochs, "n_solved"]


def test_the_readme_paragraph_quotes_only_the_tables(summary):
    """The README's short answer quotes counts the page's tables give, and names the same
    most reliable default for the 2-2-1 with tanh units."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("### Which framework's default init solves XOR?")
    paragraph = readme[start:readme.index("\n## ", start)]
    counts = set(COUNT.findall(paragraph))
    assert len(counts) >= 6
    assert counts <= quoted("\n".join(fq.tables(summary).values()))
    tanh = fq.best(summary).loc[("2-2-1", "tanh")]["n_solved"]
    assert tanh.idxmax() == "torch"
    assert f"PyTorch's default solves {int(tanh.max())}/500" in paragraph
