"""Text shared by the CLI and the report: exact strings for small inputs."""

from __future__ import annotations

import math

import pandas as pd

from xorbench.analysis.text import (
    leaderboard_rows,
    markdown_table,
    marked_blocks,
    p_text,
    percent,
    points_text,
    ratio_text,
    replace_marked_blocks,
    seed_list_text,
    signed_text,
    value_text,
)


def test_percent_and_missing():
    assert percent(0.614) == "61 %"
    assert percent(1.0, sep="") == "100%"
    assert percent(math.nan) == "—"


def test_seeds_text():
    assert seed_list_text(range(100)) == "0..99 (100 seeds)"
    assert seed_list_text([3, 5, 8]) == "3, 5, 8"


def test_value_text_numbers_in_shortest_form():
    assert value_text("lr", 2.0) == "2" and value_text("lr", 0.1) == "0.1"
    assert value_text("median", math.nan) == "—" and value_text("arch", "2-2-1") == "2-2-1"


def test_leaderboard_rows_put_a_ranking_column_last():
    board = pd.DataFrame({
        "arch": ["2-4-1", "2-2-1"], "epochs": [1000, 1000], "rate": [0.97, 0.5],
        "ci_low": [0.92, 0.4], "ci_high": [0.99, 0.6], "n_solved": [97, 50],
        "n_runs": [100, 100], "median_epoch_solved": [31.5, math.nan],
        "top_failure": ["stuck", ""], "n_stuck": [3, 40],
    })
    header, rows = leaderboard_rows(board, sep="")
    assert header == ["arch", "epochs", "rate", "95% CI", "solved", "median epoch",
                      "top failure", "n_stuck"]
    assert rows[0] == ["2-4-1", "1000", "97%", "92%–99%", "97/100", "31.5", "stuck", "3"]
    assert rows[1][-3:] == ["—", "—", "40"]


def test_differences_p_values_and_ratios():
    assert points_text(6.5) == "+6.5 pp" and points_text(-0.14) == "\u22120.1 pp"
    assert signed_text(-0.04) == "0.0" and signed_text(math.nan) == "—"
    assert [p_text(p) for p in (0.0023498, 0.09625, 1.0, 3.14e-37)] == [
        "0.0023", "0.096", "1", "3.1e-37"]
    assert [ratio_text(r) for r in (0.12836, 0.14, 2.0, 12.345, 250.0)] == [
        "0.128", "0.140", "2.00", "12.3", "250"]


def test_markdown_tables_escape_pipes_in_cells():
    assert markdown_table(["a", "b"], [["x|y", 2]]) == "| a | b |\n|---|---|\n| x\\|y | 2 |"


def test_only_the_marked_blocks_of_a_page_are_replaced():
    page = ("intro\n<!-- q:one -->\nold 1\n<!-- /q:one -->\nmiddle\n"
            "<!-- q:two -->\nold 2\nmore\n<!-- /q:two -->\n<!-- other:one -->\nkept\n"
            "<!-- /other:one -->\n")
    assert marked_blocks(page, "q") == {"one": "old 1", "two": "old 2\nmore"}
    new = replace_marked_blocks(page, "q", {"one": "| new |", "two": "| also |"})
    assert marked_blocks(new, "q") == {"one": "| new |", "two": "| also |"}
    assert marked_blocks(new, "other") == {"one": "kept"}
    assert new.startswith("intro\n") and "\nmiddle\n" in new
    assert replace_marked_blocks(new, "q", {"one": "| new |", "two": "| also |"}) == new
