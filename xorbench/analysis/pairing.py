"""One paired comparison: the seeds two sides share, what each solved, and how fast.

A *side* is one configuration at one epoch budget: its seeds, whether each was solved
and at which epoch. :func:`pair_row` pairs two sides by seed and counts;
:func:`xorbench.analysis.compare.compare` adds the intervals and p-values for all the
comparisons at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xorbench.analysis.paired import median_ratio_interval

# What a run's initial parameters are drawn from besides its seed
# (xorbench.engine.initial_params): the widths (in arch), the weight init, the bias init.
DRAW_COLUMNS = ("arch", "init", "bias_init")


@dataclass(frozen=True)
class Side:
    """One configuration at one budget: per run, its seed, solved, and epoch_solved (float,
    NaN where unsolved); ``draw`` its values of :data:`DRAW_COLUMNS`."""

    seeds: np.ndarray
    solved: np.ndarray
    epoch_solved: np.ndarray
    draw: tuple


def shared_init(a: Side, b: Side) -> str:
    """``yes`` when seed s starts from the same initial parameters on both sides,
    ``weights`` when only the weights match (the bias inits differ; weights are drawn
    first), ``no`` when the widths or the weight init differ."""
    (arch_a, init_a, bias_a), (arch_b, init_b, bias_b) = a.draw, b.draw
    if arch_a != arch_b or init_a != init_b:
        return "no"
    return "yes" if bias_a == bias_b else "weights"


def select_budgets(a: dict[int, Side], b: dict[int, Side], wanted) -> list[int]:
    """The budgets to compare two configurations at: of the budgets both have, the largest
    (``wanted`` None), all (``"all"``) or those in the set ``wanted``."""
    shared = sorted(set(a) & set(b))
    if wanted is None:
        return shared[-1:]
    if isinstance(wanted, str):
        return shared
    return [e for e in shared if e in wanted]


def pair_row(a: Side, b: Side) -> dict:
    """The counts and speeds of one comparison, over the seeds both sides ran.

    ``n_pairs``, ``rate_a``, ``rate_b``, ``only_a``, ``only_b``; ``median_epoch_a``,
    ``median_epoch_b`` over the seeds both solved; ``speed_ratio`` the median of
    epoch_b / epoch_a over those of them solved after epoch 0 (a ratio with 0 is no
    speed), with its bootstrap interval; ``shared_init``; and each side's seed count
    and rate over all its seeds (``n_a``, ``full_rate_a``, …).
    """
    _, ia, ib = np.intersect1d(a.seeds, b.seeds, return_indices=True)
    solved_a, solved_b = a.solved[ia], b.solved[ib]
    n = len(ia)
    both = solved_a & solved_b
    epoch_a, epoch_b = a.epoch_solved[ia][both], b.epoch_solved[ib][both]
    timed = (epoch_a > 0) & (epoch_b > 0)
    ratios = epoch_b[timed] / epoch_a[timed]
    speed_low, speed_high = median_ratio_interval(ratios)
    return {
        "n_pairs": n,
        "rate_a": solved_a.mean() if n else np.nan,
        "rate_b": solved_b.mean() if n else np.nan,
        "only_a": int((solved_a & ~solved_b).sum()),
        "only_b": int((solved_b & ~solved_a).sum()),
        "median_epoch_a": _median(epoch_a),
        "median_epoch_b": _median(epoch_b),
        "speed_ratio": _median(ratios),
        "speed_low": speed_low,
        "speed_high": speed_high,
        "shared_init": shared_init(a, b),
        "n_a": len(a.seeds),
        "n_b": len(b.seeds),
        "full_rate_a": a.solved.mean() if len(a.seeds) else np.nan,
        "full_rate_b": b.solved.mean() if len(b.seeds) else np.nan,
    }


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if len(x) else np.nan
