"""The bug axis: its table, its place in the columns, and config_ids that old folders keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from xorbench.config import DEFAULTS, TABLES, config_from_labels, make_config
from xorbench.config.bugs import PRINTING_BUGS, TRAINING_BUGS
from xorbench.errors import ChoiceError
from xorbench.results.tables import read_summary
from xorbench.schema import CONFIG_COLUMNS, CURVE_COLUMNS, EXTRA_COLUMNS, SUMMARY_COLUMNS

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalogue():
    names = [bug.name for bug in TRAINING_BUGS]
    assert names == ["none", "hidden-delta-index", "update-before-backprop",
                     "derivative-of-activation", "no-bias-update", "sign-flip-hidden"]
    assert DEFAULTS["bug"] == "none" and list(TABLES["bug"]) == names
    assert [b.name for b in PRINTING_BUGS] == ["aliased-output", "row-order"]
    for bug in (*TRAINING_BUGS[1:], *PRINTING_BUGS):  # one line each: what, the code, the fix
        assert bug.what and bug.code and bug.check
        assert "\n" not in bug.what + bug.code + bug.check
    with pytest.raises(ChoiceError, match="did you mean"):
        make_config(bug="hidden-delta-indx")


@pytest.mark.parametrize("path", ["docs/seed-question/summary.csv", "docs/frameworks/summary.csv"])
def test_config_id_of_a_folder_written_before_the_bug_axis_is_unchanged(path):
    """The committed summaries were written without a bug column: they read as bug = none,
    and rebuilding each configuration from its labels gives the config_id stored then."""
    summary = read_summary(ROOT / path)
    assert (summary["bug"] == "none").all()
    assert list(summary.columns).index("bug") == list(summary.columns).index("dtype") + 1
    for _, row in summary.drop_duplicates("config_id").iterrows():
        labels = {c: row[c] for c in CONFIG_COLUMNS if c not in ("arch",)}
        labels["hidden"] = [int(w) for w in str(labels["hidden"]).split("-") if w not in ("", "0")]
        labels["lr"] = float(labels["lr"])
        assert config_from_labels(labels).config_id == row["config_id"]


def test_a_bug_enters_the_config_id():
    assert make_config(bug="no-bias-update").config_id != make_config().config_id
    assert make_config(bug="none").config_id == make_config().config_id
    # the ids xorbench gave before the bug axis (computed on main before it existed)
    assert make_config().config_id == "ad6df6a0f1"
    question = make_config(hidden=[2], init="uniform(0,1)", bias_init="uniform(0,1)", lr=1,
                           batch="sampled(1000)")
    assert question.config_id == "8a097a6317"


def test_bug_column_right_after_dtype():
    assert CONFIG_COLUMNS[-2:] == ["dtype", "bug"]
    assert EXTRA_COLUMNS[:2] == ["dtype", "bug"]
    assert CURVE_COLUMNS.index("bug") == CURVE_COLUMNS.index("dtype") + 1
    assert SUMMARY_COLUMNS.index("bug") == SUMMARY_COLUMNS.index("dtype") + 1


def test_a_bug_needs_plain_sgd():
    with pytest.raises(ChoiceError, match="plain SGD"):
        make_config(bug="no-bias-update", optimizer="adam")
