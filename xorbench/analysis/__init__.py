"""From tidy tables to answers: summaries, intervals, the leaderboard, findings, text.

What lives here: natural order of labels (:mod:`~xorbench.analysis.order`), the
statistics (:mod:`~xorbench.analysis.stats`), ``summary.csv`` and ``curves.csv``
(:mod:`~xorbench.analysis.summary`), the leaderboard
(:mod:`~xorbench.analysis.leaderboard`), the design of a sweep and how a setting is
named (:mod:`~xorbench.analysis.design`), findings in plain words
(:mod:`~xorbench.analysis.findings`), paired comparisons along one axis — which pairs
(:mod:`~xorbench.analysis.compare`, :mod:`~xorbench.analysis.pairing`), their statistics
(:mod:`~xorbench.analysis.paired`) and their words (:mod:`~xorbench.analysis.verdict`),
every axis's effects at once for the report (:mod:`~xorbench.analysis.effects`) — adaptive
seeds (:mod:`~xorbench.analysis.adaptive`) and one text format for every number shown to
people (:mod:`~xorbench.analysis.text`).

Pandas and NumPy (and scipy's tests, imported where used): this package never imports
the engine, numba or matplotlib.
A new summary statistic goes into :mod:`~xorbench.analysis.summary` and its column
into :mod:`xorbench.schema`.
"""

from xorbench.analysis.compare import compare
from xorbench.analysis.effects import AxisEffects, axis_effects, effect_lines
from xorbench.analysis.leaderboard import leaderboard
from xorbench.analysis.order import natural_key, natural_ranks, natural_sort, varying_axes
from xorbench.analysis.stats import group_median_quartiles, wilson_interval
from xorbench.analysis.summary import curves, summarize
from xorbench.analysis.verdict import pairing_note

__all__ = [
    "AxisEffects", "axis_effects", "compare", "curves", "effect_lines", "group_median_quartiles",
    "leaderboard", "natural_key", "natural_ranks", "natural_sort", "pairing_note", "summarize",
    "varying_axes", "wilson_interval",
]
