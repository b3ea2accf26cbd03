"""The README's answer to the original question matches the committed results, and holds.

The section "Why does my XOR network fail?" and docs/xor-question.md quote numbers
from ``xorbench sweep sweeps/seed-question.toml``, committed small in
docs/seed-question/ and turned into tables by docs/seed_question.py. These tests
recompute the tables from the committed CSVs (no training of the sweep), check
that the documents show exactly them and quote no other result, check the
findings on the committed data, and retrain a slice of it to check that the
committed data is still what xorbench computes.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from xorbench.analysis import wilson_interval
from xorbench.cli import app
from xorbench.config import make_config
from xorbench.engine.trial import train
from xorbench.grid import expand_configs, load_grid

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LONG = ROOT / "docs" / "xor-question.md"


def _load_script():
    path = ROOT / "docs" / "seed_question.py"
    spec = importlib.util.spec_from_file_location("seed_question", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sq = _load_script()


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return sq.load_committed()


@pytest.fixture(scope="module")
def generated(data) -> dict[str, str]:
    return sq.tables(data)


def section(text: str) -> str:
    """The README's "Why does my XOR network fail?" section, up to its frameworks
    paragraph (which tests/test_frameworks.py checks against its own data) and before
    "Which bug printed it?" (tests/test_bug_question.py)."""
    start = text.index("## Why does my XOR network fail?")
    end = min(text.index(marker, start + 1) for marker in
              ("\n## ", "\n### Which bug printed it?",
               "\n### Which framework's default init solves XOR?"))
    return text[start:end]


def prose(text: str) -> str:
    """A document without its code blocks, marked tables and images."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"<!-- seed-question:([\w-]+) -->.*?<!-- /seed-question:\1 -->", "", text,
                  flags=re.S)
    return re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)


# Results are quoted as percentages, counts "n/N" and outputs "0.xyz".
PERCENT = re.compile(r"(\d+(?:\.\d+)?)(?:–(\d+(?:\.\d+)?))? %")
COUNT = re.compile(r"\b\d+/\d+\b")
OUTPUT = re.compile(r"\b\d\.\d{3}\b")


def quoted(text: str) -> set[str]:
    numbers = {n for pair in PERCENT.findall(text) for n in pair if n}
    return numbers | set(COUNT.findall(text)) | set(OUTPUT.findall(text))


# --- the documents show the committed results -------------------------------------------


def test_readme_section_follows_the_set_up_and_the_example_with_its_tables():
    text = README.read_text()
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings[:3] == ["Set-up: two commands", "A worked example",
                            "Why does my XOR network fail?"]
    blocks = sq.blocks_in(section(text))
    assert {"asked", "printout"} <= set(blocks)
    assert "docs/seed-question-reliability.png" in section(text)
    assert "docs/seed-question-boundaries.png" in section(text)


@pytest.mark.parametrize("path", [README, LONG], ids=["README", "xor-question"])
def test_marked_tables_are_the_committed_results(path, generated):
    blocks = sq.blocks_in(path.read_text())
    assert blocks, f"{path.name} has no marked tables"
    for name, shown in blocks.items():
        assert shown == generated[name], (
            f"{path.name}: table {name!r} is stale; rerun `python docs/seed_question.py`")


@pytest.mark.parametrize("path", [README, LONG], ids=["README", "xor-question"])
def test_numbers_in_the_text_come_from_the_tables(path, generated):
    text = path.read_text()
    text = section(text) if path == README else text
    allowed = quoted("\n".join(generated.values()))
    printed = {f"{v:.3f}" for outputs in sq.PRINTED.values() for v in outputs.values()}
    unknown = quoted(prose(text)) - allowed - printed
    assert not unknown, f"{path.name} quotes numbers no committed table gives: {unknown}"


def test_images_exist_and_are_small():
    for name in ("seed-question-reliability.png", "seed-question-boundaries.png"):
        path = ROOT / "docs" / name
        assert path.is_file()
        assert path.stat().st_size < 300_000


# --- the committed data is the sweep's ------------------------------------------------------


def test_committed_summary_covers_the_grid(data):
    summary = data["summary"]
    grid = load_grid(ROOT / "sweeps" / "seed-question.toml")
    expected = {(config.config_id, budget) for config, budgets in expand_configs(grid)
                for budget in budgets}
    assert set(zip(summary["config_id"], summary["epochs"], strict=True)) == expected
    assert (summary["n_runs"] == len(grid.seeds)).all()
    low, high = wilson_interval(summary["n_solved"], summary["n_runs"])
    np.testing.assert_allclose(summary["ci_low"], low)
    np.testing.assert_allclose(summary["ci_high"], high)


def test_learned_counts_add_up_to_the_summary(data):
    summary, learned = data["summary"], data["learned"]
    keys = ["arch", "activation", "init", "bias_init", "lr", "optimizer", "loss", "batch",
            "epochs"]
    totals = learned.groupby(keys)["n"].sum()
    solved = learned[learned["failure"] == "none"].groupby(keys)["n"].sum()
    indexed = summary.set_index(keys)
    assert totals.reindex(indexed.index).tolist() == indexed["n_runs"].tolist()
    assert solved.reindex(indexed.index, fill_value=0).tolist() == indexed["n_solved"].tolist()
    # every solved run computes XOR, no failed one does
    assert (learned.loc[learned["failure"] == "none", "learned"] == "XOR").all()
    assert not (learned.loc[learned["failure"] != "none", "learned"] == "XOR").any()


def test_failed_outputs_are_every_failed_run_as_asked(data):
    summary, failed = data["summary"], data["failed-outputs"]
    asked = sq.as_asked(summary, ("mse", "sse"))
    for row in asked.to_dict(orient="records"):
        mine = failed[(failed["arch"] == row["arch"]) & (failed["loss"] == row["loss"])]
        assert len(mine) == row["n_runs"] - row["n_solved"]
        assert mine["seed"].is_unique


# --- the findings hold on the committed data ----------------------------------------------


def test_no_hidden_layer_never_solves_xor(data):
    summary = data["summary"]
    single = summary[summary["arch"] == "2-1"]
    assert len(single) >= 2
    assert (single["n_solved"] == 0).all()


@pytest.mark.parametrize("network", ["2-2-1", "2-3-3-1", "2-1"])
def test_as_asked_stays_below_the_best_change(data, network):
    summary = data["summary"]
    asked = sq.as_asked(summary[summary["arch"] == network]).iloc[0]
    best = sq.best_change(sq.change_table(summary), network)
    assert asked["rate"] < best["ci_low"]
    assert asked["ci_high"] < best["ci_low"]


def test_best_changes_are_width_and_tanh(data):
    table = sq.change_table(data["summary"])
    assert sq.best_change(table, "2-2-1")["change"] == "8 hidden units (2-8-1)"
    assert sq.best_change(table, "2-2-1")["rate"] == 1
    assert sq.best_change(table, "2-3-3-1")["change"] == "tanh hidden units"
    assert sq.best_change(table, "2-1")["arch"] == "2-8-1"


def test_failed_runs_learn_or_most_often(data):
    learned = sq.as_asked(data["learned"])
    for network in sq.NETWORKS:
        failed = learned[(learned["arch"] == network) & (learned["failure"] != "none")]
        counts = failed.groupby("learned")["n"].sum()
        assert counts.idxmax() == "OR"


def test_the_printouts_against_correct_training(data):
    failed = sq.with_ties(data["failed-outputs"])
    y_columns = [f"y_{p}" for p in sq.PATTERNS]
    # 2-3-3-1: the all-tied output (the network ignores its input) is reached
    deep = failed[failed["arch"] == "2-3-3-1"]
    assert (deep["ties"] == sq.ties(sq.printed_vector("2-3-3-1"))).sum() > 0
    # 2-2-1: its ties are reached, its 00 output and the printout as a whole are not
    shallow = failed[failed["arch"] == "2-2-1"]
    printed = sq.printed_vector("2-2-1")
    same = shallow[shallow["ties"] == sq.ties(printed)]
    assert len(same) > 0
    assert same["y_00"].max() < printed[0] / 2
    distance = np.abs(shallow[y_columns].to_numpy() - printed).max(axis=1)
    assert distance.min() > sq.NEAR
    # no hidden layer: every run is monotone in each input, the printout is not
    single = failed[failed["arch"] == "2-1"]
    assert sq.monotone(single[y_columns].to_numpy()).all()
    assert not sq.monotone(sq.printed_vector("2-1"))[0]


# --- the helpers ---------------------------------------------------------------------------


def test_monotone_holds_for_any_single_sigmoid_unit():
    rng = np.random.default_rng(0)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    w = rng.normal(0, 5, size=(1000, 2))
    b = rng.normal(0, 5, size=(1000, 1))
    y = 1 / (1 + np.exp(-(w @ x.T + b)))  # (1000, 4) in the order 00, 01, 10, 11
    assert sq.monotone(y).all()
    assert not sq.monotone(np.array([0.1, 0.9, 0.9, 0.1])).any()  # XOR itself


def test_ties_groups_close_outputs():
    assert sq.ties(np.array([0.253, 0.793, 0.793, 0.793])) == "00 | 01 = 10 = 11"
    assert sq.ties(np.array([0.7, 0.7, 0.7, 0.7])) == "00 = 01 = 10 = 11"
    assert sq.ties(np.array([0.02, 0.98, 0.98, 0.02])) == "00 = 11 | 01 = 10"
    assert sq.ties(np.array([0.1, 0.5, 0.9, 0.3])) == "00 | 01 | 10 | 11"


def test_rate_text():
    assert sq.rate_text({"rate": 0.768, "ci_low": 0.729043, "ci_high": 0.802871}) == \
        "76.8 % (72.9–80.3 %)"
    assert sq.rate_text({"rate": 0.0, "ci_low": 0.0, "ci_high": 0.007624}) == "0 % (0–0.8 %)"
    assert sq.rate_text({"rate": 1.0, "ci_low": 0.992376, "ci_high": 1.0}) == \
        "100 % (99.2–100 %)"


def test_update_documents_rewrites_only_marked_tables(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("intro 1.0 %\n<!-- seed-question:x -->\nold\n<!-- /seed-question:x -->\nend\n")
    assert sq.update_documents({"x": "| new |"}, [doc]) == [doc]
    assert doc.read_text() == ("intro 1.0 %\n<!-- seed-question:x -->\n| new |\n"
                               "<!-- /seed-question:x -->\nend\n")
    assert sq.update_documents({"x": "| new |"}, [doc]) == []


# --- live: xorbench still computes the committed results ---------------------------------


ASKED_2_2_1 = dict(hidden=(2,), activation="sigmoid", init="uniform(0,1)",
                   bias_init="uniform(0,1)", lr=1.0, batch="sampled(1000)")


def test_training_seeds_again_gives_the_committed_failures(data):
    """Seeds 0..199 of the 2-2-1 as asked: the same seeds fail, with the same outputs."""
    runs = train(make_config(ASKED_2_2_1), seeds=200, epochs=10)
    committed = data["failed-outputs"]
    committed = committed[(committed["arch"] == "2-2-1") & (committed["loss"] == "mse")
                          & (committed["seed"] < 200)].set_index("seed").sort_index()
    fresh = runs[~runs["solved"].astype(bool)].set_index("seed").sort_index()
    assert fresh.index.tolist() == committed.index.tolist()
    assert fresh["learned"].tolist() == committed["learned"].tolist()
    assert fresh["failure"].tolist() == committed["failure"].tolist()
    for p in sq.PATTERNS:
        np.testing.assert_allclose(fresh[f"y_{p}"].round(4), committed[f"y_{p}"], atol=1e-12)


def test_readme_train_example_is_what_xorbench_train_prints():
    block = re.search(r"```\n\$ (xorbench train [^\n]*--seed 0)\n(.*?)```",
                      section(README.read_text()), re.S)
    assert block is not None
    args = re.findall(r'"[^"]*"|\S+', block[1])[1:]
    result = CliRunner().invoke(app, [a.strip('"') for a in args])
    assert result.exit_code == 0, result.output
    # what it prints on stdout; its notes (the per-pattern step) go to stderr
    assert result.stdout.strip() == block[2].strip()
