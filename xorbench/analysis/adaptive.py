"""Adaptive seeds: how many seeds a configuration needs, replayed from its runs.

A :class:`~xorbench.config.SeedRule` looks at a configuration's rate at its largest
budget after ``first``, 2·first, 4·first, … seeds and stops it once the interval is
narrow enough (``precise``), clear of the rate to decide (``decided``) or at ``max``
seeds. Everything here is a pure function of the rule and the solved flags, so the
sweep choosing its rounds, the summary saying why each configuration stopped, and a
rerun with a changed rule in the same folder all agree.

:func:`rule_coverage` computes exactly (no simulation) how often the reported
interval covers the true rate under the rule, and the seeds it spends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xorbench.analysis.stats import wilson_interval
from xorbench.config import SeedRule

SAMPLING = "sampling"


def stop_reasons(rule: SeedRule, successes: np.ndarray, n: int,
                 confidence: float | None = None) -> np.ndarray:
    """Why the rule stops configurations with ``successes`` of ``n`` seeds solved:
    ``decided``, ``precise``, ``max``, or "" where it asks for more seeds (``confidence``:
    another level for the rule's interval)."""
    successes = np.asarray(successes)
    level = rule.confidence if confidence is None else confidence
    low, high = wilson_interval(successes, np.full(successes.shape, n), level)
    reasons = np.full(successes.shape, "max" if n >= rule.max else "", dtype=object)
    if rule.half_width is not None:
        reasons[(np.asarray(high) - low) / 2 <= rule.half_width] = "precise"
    if rule.decide is not None:
        reasons[(rule.decide < low) | (rule.decide > high)] = "decided"
    return reasons


def replay(rule: SeedRule, solved: Mapping[str, np.ndarray]) -> dict[str, tuple[int, str]]:
    """config_id → (the seeds it needs, why it stopped — or ``sampling``).

    ``solved[c]`` holds configuration c's solved flags at its largest budget for the
    seeds 0..m−1 it has. The rule is followed round by round; a configuration short
    of a round's seeds needs that round's count and is still ``sampling``.
    """
    state: dict[str, tuple[int, str]] = {}
    active = list(solved)
    for n in rule.sizes():
        short = [c for c in active if len(solved[c]) < n]
        state.update((c, (n, SAMPLING)) for c in short)
        looked = [c for c in active if len(solved[c]) >= n]
        successes = np.array([np.count_nonzero(solved[c][:n]) for c in looked], np.int64)
        reasons = stop_reasons(rule, successes, n)
        state.update((c, (n, r)) for c, r in zip(looked, reasons, strict=True) if r)
        active = [c for c, r in zip(looked, reasons, strict=True) if not r]
    return state


def solved_prefixes(runs: pd.DataFrame,
                    largest: Mapping[str, int] | None = None) -> dict[str, np.ndarray]:
    """Each configuration's solved flags at its largest budget, seed 0 upward, as far
    as its seeds run unbroken (``largest``: config_id → budget; default: the largest
    budget in ``runs``)."""
    if runs.empty:
        return {}
    if largest is None:
        top = runs.groupby("config_id", sort=False)["epochs"].transform("max")
    else:
        top = runs["config_id"].map(largest)
    rows = runs.loc[(runs["epochs"] == top).to_numpy(bool), ["config_id", "seed", "solved"]]
    rows = rows.drop_duplicates(["config_id", "seed"]).sort_values(["config_id", "seed"],
                                                                   kind="stable")
    out = {}
    for config_id, group in rows.groupby("config_id", sort=False):
        seeds = group["seed"].to_numpy(np.int64)
        broken = np.flatnonzero(seeds != np.arange(len(seeds)))
        m = int(broken[0]) if len(broken) else len(seeds)
        out[config_id] = group["solved"].to_numpy(bool)[:m]
    return out


def seed_stops(rule: SeedRule | None, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration of ``runs``: ``config_id``, ``n_seeds`` (the seeds the
    rule asks of it) and ``stop`` (:data:`xorbench.schema.STOPS`); with fixed seeds
    (no rule) every configuration is ``fixed`` at the seeds it has."""
    if rule is None or runs.empty:
        counts = runs.groupby("config_id", sort=False)["seed"].nunique()
        return pd.DataFrame({"config_id": counts.index, "n_seeds": counts.to_numpy(np.int64),
                             "stop": "fixed"})
    state = replay(rule, solved_prefixes(runs))
    return pd.DataFrame({"config_id": list(state),
                         "n_seeds": np.array([n for n, _ in state.values()], np.int64),
                         "stop": [reason for _, reason in state.values()]})


@dataclass(frozen=True)
class RuleOutcome:
    """What a rule does at a true rate: how often its interval covers it, and the seeds
    it spends (the mean, and the chance of stopping at each look)."""

    rate: float
    coverage: float
    mean_seeds: float
    stop_chance: tuple[float, ...]  # per look, in rule.sizes() order


def rule_coverage(rule: SeedRule, rate: float, confidence: float | None = None) -> RuleOutcome:
    """The exact coverage of the reported interval under ``rule`` at true ``rate``.

    ``confidence`` replaces the rule's own interval level, in the stopping decisions
    and the reported interval alike (to see what a plain 95 % interval would do).

    Round by round, the distribution of successes among the configurations still
    sampling is convolved with the binomial of the round's new seeds, P(k | n) =
    Σ_j P(j | n_prev) · C(Δn, k−j) p^(k−j) (1−p)^(Δn−k+j), and the mass the rule stops
    is split by whether its interval holds ``rate``.
    """
    from scipy.stats import binom

    level = rule.confidence if confidence is None else confidence
    mass = np.ones(1)  # P(still sampling and k successes so far)
    covered = spent = 0.0
    chances = []
    previous = 0
    for n in rule.sizes():
        mass = np.convolve(mass, binom.pmf(np.arange(n - previous + 1), n - previous, rate))
        k = np.arange(n + 1)
        stops = stop_reasons(rule, k, n, level) != ""
        low, high = wilson_interval(k, np.full(k.shape, n), level)
        holds = (low <= rate) & (rate <= high)
        covered += mass[stops & holds].sum()
        chances.append(float(mass[stops].sum()))
        spent += n * chances[-1]
        mass = np.where(stops, 0.0, mass)
        previous = n
    return RuleOutcome(rate, float(covered), float(spent), tuple(chances))

