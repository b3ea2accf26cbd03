"""The tidy result schema, declared once: every column, its order and dtype, and the labels.

``runs.csv`` has one row per run × epoch budget, ``summary.csv`` one per
configuration × budget, ``curves.csv`` one per configuration × log-spaced epoch,
``compare-<axis>.csv`` one per paired comparison.
Column names and order live here and nowhere else; so do the failure labels (in the
order their rules are tried) and the names of the boolean functions a network can
learn. A leaf: it imports nothing of xorbench's, so every layer may read it.
"""

from __future__ import annotations

import numpy as np

# --- runs.csv ---------------------------------------------------------------------

# The configuration's axes, as CSV columns, in order.
AXIS_COLUMNS = [
    "task", "arch", "hidden", "activation", "output", "init", "bias_init", "lr",
    "optimizer", "loss", "batch", "criterion",
]
RESULT_COLUMNS = [
    "solved", "epoch_solved", "final_loss", "accuracy", "failure", "learned", "grad_norm",
]
# Columns after the y_<pattern> outputs (DESIGN allows extra columns at the end).
EXTRA_COLUMNS = ["dtype", "bug"]
# What identifies a configuration (seed and budget excluded), in output and sort order.
CONFIG_COLUMNS = [*AXIS_COLUMNS, "dtype", "bug"]
# Axis columns added since the first version → the value a table without them means:
# a folder written before ``bug`` was trained correctly.
ADDED_COLUMNS: dict[str, str] = {"bug": "none"}
# ... and one setting in a summary: the budget too.
SETTING_COLUMNS = [*CONFIG_COLUMNS, "epochs"]
# What identifies a run.
KEY_COLUMNS = ["config_id", "seed", "epochs"]


def run_columns(pattern_names: list[str]) -> list[str]:
    """All runs.csv columns in order, for a task with these pattern names."""
    outputs = [f"y_{p}" for p in pattern_names]
    return ["sweep", "config_id", *AXIS_COLUMNS, "epochs", "seed", *RESULT_COLUMNS,
            *outputs, *EXTRA_COLUMNS]


# Each runs.csv column's pandas dtype (y_<pattern> columns: float64).
RUN_DTYPES = {
    "sweep": "string",
    "config_id": "string",
    "task": "string",
    "arch": "string",
    "hidden": "string",
    "activation": "string",
    "output": "string",
    "init": "string",
    "bias_init": "string",
    "lr": "float64",
    "optimizer": "string",
    "loss": "string",
    "batch": "string",
    "criterion": "string",
    "epochs": "int64",
    "seed": "int64",
    "solved": "bool",
    "epoch_solved": "Int64",
    "final_loss": "float64",
    "accuracy": "float64",
    "failure": "string",
    "learned": "string",
    "grad_norm": "float64",
    "dtype": "string",
    "bug": "string",
}

# --- failure labels -----------------------------------------------------------------

# (label, meaning), in the order their rules are tried: the first that matches wins.
FAILURES: tuple[tuple[str, str], ...] = (
    ("none", "solved"),
    ("diverged", "loss or a parameter became non-finite"),
    ("symmetric", "the hidden units of a layer are identical: symmetry was never broken"),
    ("dead", "a hidden layer has zero derivative and a constant output on every pattern"),
    ("saturated", "most hidden units have a tiny derivative on most patterns"),
    ("stuck", "no progress: a near-zero gradient on a flat loss (plateau, saddle, local "
              "minimum), or a loss that did not fall over the second half of the budget"),
    ("slow", "loss still falling at the end of the budget: more epochs would likely help"),
)
FAILURE_LABELS = tuple(label for label, _ in FAILURES)
FAILURE_CODE = {label: code for code, label in enumerate(FAILURE_LABELS)}

# --- summary.csv, curves.csv, the leaderboard ---------------------------------------------

CONFIG_KEY_COLUMNS = ["config_id", *CONFIG_COLUMNS]
# summary.csv: the configuration, the budget, then the statistics.
SUMMARY_KEY_COLUMNS = [*CONFIG_KEY_COLUMNS, "epochs"]
FAILURE_COUNT_COLUMNS = [f"n_{label}" for label in FAILURE_LABELS]
# ci_method names the interval ci_low..ci_high is (wilson, or wilson-bonferroni(K) for
# adaptive seeds with decide); stop says why the configuration has n_runs seeds: fixed
# by the grid, or where adaptive seeds stopped (STOPS). Both came after the first
# version: a summary.csv without them reads as "wilson" and "fixed".
SUMMARY_STAT_COLUMNS = [
    "n_runs", "n_solved", "rate", "ci_low", "ci_high",
    "median_epoch_solved", "p90_epoch_solved", "median_final_loss",
    *FAILURE_COUNT_COLUMNS, "ci_method", "stop",
]
SUMMARY_COLUMNS = [*SUMMARY_KEY_COLUMNS, *SUMMARY_STAT_COLUMNS]
SUMMARY_TEXT_COLUMNS = {"ci_method": "wilson", "stop": "fixed"}  # and their old value
SUMMARY_STAT_DTYPES = {c: "string" if c in SUMMARY_TEXT_COLUMNS else
                       "int64" if c.startswith("n_") else "float64"
                       for c in SUMMARY_STAT_COLUMNS}
# Why a configuration has the seeds it has: fixed by the grid, or where the adaptive
# rule stopped — its interval narrow enough (precise), clear of the rate to decide
# (decided), at the most seeds allowed (max) — or still short of the seeds it asks for.
STOPS = ("fixed", "precise", "decided", "max", "sampling")
# curves.csv: long-form loss rows per run in, statistics per configuration and epoch out.
CURVE_INPUT_COLUMNS = ["config_id", "seed", "epoch", "loss"]
CURVE_INPUT_DTYPES = {"config_id": "string", "seed": "int64", "epoch": "int64",
                      "loss": "float64"}
CURVE_STAT_COLUMNS = ["n_runs", "frac_solved", "loss_median", "loss_q25", "loss_q75"]
CURVE_COLUMNS = [*CONFIG_KEY_COLUMNS, "epoch", *CURVE_STAT_COLUMNS]
CURVE_STAT_DTYPES = {"epoch": "int64", "n_runs": "int64"} | {
    c: "float64" for c in CURVE_STAT_COLUMNS if c != "n_runs"}
# The leaderboard: after the varying axes and the budget.
LEADERBOARD_STAT_COLUMNS = [
    "rate", "ci_low", "ci_high", "n_solved", "n_runs", "median_epoch_solved", "top_failure",
]

# The columns a leaderboard ranks by, and which way is "best first": higher rates and
# more solved runs; fewer epochs and lower losses; the most runs of a failure label
# (asking where a failure lives). Axis columns sort in natural order, ascending.
RANKED_DESCENDING = ("rate", "ci_low", "ci_high", "n_solved", "n_runs",
                     *(c for c in FAILURE_COUNT_COLUMNS if c != "n_none"), "n_none")
RANKED_ASCENDING = ("median_epoch_solved", "p90_epoch_solved", "median_final_loss")
SORTABLE = (*RANKED_DESCENDING, *RANKED_ASCENDING, *SETTING_COLUMNS)

# --- compare-<axis>.csv: paired comparisons along one axis ---------------------------------

# axis, the two values compared (a the reference, b the other), then the other axes
# that vary (their names depend on the sweep), then these:
COMPARE_LEAD_COLUMNS = ["axis", "a", "b"]
COMPARE_STAT_COLUMNS = [
    "epochs", "n_pairs", "rate_a", "rate_b", "diff", "diff_low", "diff_high", "only_a",
    "only_b", "p_value", "p_adjusted", "median_epoch_a", "median_epoch_b", "speed_ratio",
    "speed_low", "speed_high", "shared_init",
]
# Added after them when some pair's two sides were run with different seeds (adaptive
# seeds): each side's seed count and rate over all its seeds, not only the shared ones.
COMPARE_UNEQUAL_COLUMNS = ["n_a", "n_b", "full_rate_a", "full_rate_b"]
COMPARE_DTYPES = {
    "axis": "string", "a": "string", "b": "string", "epochs": "int64", "n_pairs": "int64",
    "only_a": "int64", "only_b": "int64", "shared_init": "string", "n_a": "int64",
    "n_b": "int64",
} | {c: "float64" for c in [*COMPARE_STAT_COLUMNS, *COMPARE_UNEQUAL_COLUMNS]
     if c not in ("epochs", "n_pairs", "only_a", "only_b", "shared_init", "n_a", "n_b")}

# --- what a network learned -------------------------------------------------------------

# Two-input boolean functions by their truth table over the patterns 00, 01, 10, 11
# (first input A, second B).
TWO_INPUT_NAMES: dict[str, str] = {
    "0000": "FALSE",
    "0001": "AND",
    "0010": "A AND NOT B",
    "0011": "A",
    "0100": "NOT A AND B",
    "0101": "B",
    "0110": "XOR",
    "0111": "OR",
    "1000": "NOR",
    "1001": "XNOR",
    "1010": "NOT B",
    "1011": "A OR NOT B",
    "1100": "NOT A",
    "1101": "NOT A OR B",
    "1110": "NAND",
    "1111": "TRUE",
}


def function_name(bits: str) -> str:
    """The ``learned`` name of a truth table over the patterns in order: ``"0111"`` →
    ``OR``; a table over more than two inputs is its bit string."""
    return TWO_INPUT_NAMES.get(bits, bits) if len(bits) == 4 else bits


# An unsolved network with an output this close to 0.5 has decided nothing at that
# pattern: thresholding noise would name a function it does not compute.
UNDECIDED_MARGIN = 0.01
UNDECIDED = "undecided"


def learned_names(outputs: np.ndarray, solved: np.ndarray | None = None) -> list[str]:
    """The boolean function each network computes, thresholding its outputs at 0.5.

    ``outputs`` is (P, N). Two-input functions get their name (``OR``, ``NOT B``);
    larger ones the bit string over the patterns in order. A network with a
    non-finite output computes nothing: ``""``. With ``solved`` (N,), an unsolved
    network with any output within :data:`UNDECIDED_MARGIN` of 0.5 is
    :data:`UNDECIDED` (a solved one keeps the function it computes, its task's).
    """
    bits = outputs > 0.5
    finite = np.isfinite(outputs).all(axis=0)
    if bits.shape[1] == 0:
        return []
    # networks computing the same function are named once: a batch has few functions
    if bits.shape[0] <= 63:  # the function as one integer, Σ_p bit_p 2^p: a fast unique
        weights = np.left_shift(np.int64(1), np.arange(bits.shape[0], dtype=np.int64))
        packed = weights @ bits.astype(np.int64)
    else:  # one row of bits per network
        packed = np.packbits(bits, axis=0).T
    _, first, which = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    texts = ["".join("1" if b else "0" for b in bits[:, s]) for s in first]
    names = np.array([function_name(t) for t in texts], object)
    named = names[which.ravel()]
    if solved is not None:
        # |y − ½| < margin at some pattern: on no side of the threshold to speak of
        close = (np.abs(outputs - 0.5) < UNDECIDED_MARGIN).any(axis=0)
        named[close & ~np.asarray(solved, bool)] = UNDECIDED
    named[~finite] = ""
    return named.tolist()
