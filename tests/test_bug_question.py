"""The README's "Which bug printed it?" and docs/explain.md match the committed results.

``xorbench sweep sweeps/bugs.toml`` then ``python docs/bug_question.py`` write
docs/bug-question/ and the marked tables; these tests recompute the tables from the
committed CSVs (no training), check the documents show exactly them, that the prose
quotes no other number, the findings on the data, and (slow) retrain the nearest runs.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from xorbench.config import make_config
from xorbench.engine.trial import train

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGE = ROOT / "docs" / "explain.md"


def _load_script():
    path = ROOT / "docs" / "bug_question.py"
    spec = importlib.util.spec_from_file_location("bug_question", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bq = _load_script()


@pytest.fixture(scope="module")
def data():
    return bq.load_committed()


@pytest.fixture(scope="module")
def generated(data):
    return bq.tables(data)


def section(text: str) -> str:
    start = text.index("### Which bug printed it?")
    return text[start:text.index("\n### ", start + 1)]


@pytest.mark.parametrize("path", [README, PAGE], ids=["README", "explain.md"])
def test_marked_tables_are_the_committed_results(path, generated):
    blocks = bq.blocks_in(path.read_text())
    assert blocks
    for name, shown in blocks.items():
        assert shown == generated[name], f"{path.name}: {name!r} is stale; rerun the script"
    wanted = {"verdicts"} if path == README else {"silent", "explain-2-2-1", "explain-2-3-3-1",
                                                  "explain-2-1"}
    assert set(blocks) == wanted


PERCENT = re.compile(r"(\d+(?:\.\d+)?) %")
COUNT = re.compile(r"\b\d+/\d+\b|\b\d+ of \d+\b")
OUTPUT = re.compile(r"\b\d\.\d{3}\b")


def _quoted(text: str) -> set[str]:
    return set(PERCENT.findall(text)) | set(COUNT.findall(text)) | set(OUTPUT.findall(text))


def _prose(text: str) -> str:
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.sub(r"<!-- bug-question:([\w-]+) -->.*?<!-- /bug-question:\1 -->", "", text,
                  flags=re.S)


def test_readme_prose_quotes_only_the_tables(generated):
    text = _prose(section(README.read_text()))
    tables = "\n".join(generated.values())
    allowed = _quoted(tables) | {f"{n} of {d}" for n, d in _count_pairs(tables)}
    printed = {f"{float(v):.3f}" for p in bq.PRINTED.values() for v in p.split(",")}
    unknown = _quoted(text) - allowed - printed
    assert not unknown, f"README quotes numbers no committed table gives: {unknown}"
    assert "VERDICT_PROSE" not in text


def _count_pairs(text: str):
    """Every "n/N" of a table: prose may write it "n of N"."""
    return re.findall(r"\b(\d+)/(\d+)\b", text)


def test_the_summary_covers_the_grid(data):
    summary = data["summary"]
    assert len(summary) == 3 * 3 * 6
    assert (summary["n_runs"] == 500).all()
    assert set(summary["bug"]) == set(bq.BUGS)


def test_without_a_hidden_layer_the_hidden_only_bugs_train_correctly(data):
    s = data["summary"].set_index(["task", "arch", "bug"])["n_solved"]
    for task in ("xor", "and", "or"):
        for bug in ("hidden-delta-index", "update-before-backprop", "sign-flip-hidden"):
            assert s[task, "2-1", bug] == s[task, "2-1", "none"]


def test_hidden_delta_index_is_silent_and_ranks_above_correct_training(data):
    s = data["summary"].set_index(["task", "arch", "bug"])["rate"]
    assert s["xor", "2-2-1", "hidden-delta-index"] < 0.05
    assert s["and", "2-2-1", "hidden-delta-index"] > 0.95
    assert s["or", "2-2-1", "hidden-delta-index"] > 0.95
    assert s["xor", "2-2-1", "none"] > 0.6
    ranks = data["explain"][data["explain"]["network"] == "2-2-1"].set_index("candidate")["rank"]
    assert ranks["hidden-delta-index"] < ranks["none"]


def test_the_no_hidden_layer_printout_needs_another_row_order(data):
    verdict = data["verdicts"].set_index("network").loc["2-1"]
    assert verdict["checks"].startswith("no single sigmoid unit can print this")


@pytest.mark.slow
def test_retraining_the_nearest_runs_gives_the_committed_outputs(data):
    for _, row in data["explain"][data["explain"]["kind"] == "training"].groupby(
            "network").head(2).iterrows():
        config = make_config(bq.ASKED, hidden=bq.NETWORKS[row["network"]], bug=row["candidate"])
        runs = train(config, [int(row["nearest_seed"])], 10)
        y = runs[[f"y_{p}" for p in bq.PATTERNS]].to_numpy()[0]
        shown = np.array([float(v) for v in row["nearest_outputs"].split(" · ")])
        np.testing.assert_allclose(y, shown, atol=5e-4)
