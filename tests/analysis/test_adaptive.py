"""Adaptive seeds: the rule, its replay from stored runs, and its exact coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xorbench.analysis.adaptive import (
    replay,
    rule_coverage,
    seed_stops,
    solved_prefixes,
    stop_reasons,
)
from xorbench.analysis.stats import wilson_interval
from xorbench.config import SeedRule, parse_seed_rule
from xorbench.errors import ChoiceError

PRECISE = SeedRule(first=100, max=6400, half_width=0.02)
QUICK = SeedRule(first=50, max=3200, half_width=0.03)
DECIDE = SeedRule(first=100, max=6400, decide=0.95)


# --- the rule -----------------------------------------------------------------------------


def test_the_rule_looks_at_doubling_seed_counts_up_to_max():
    assert PRECISE.sizes() == (100, 200, 400, 800, 1600, 3200, 6400)
    assert SeedRule(first=100, max=5000, half_width=0.1).sizes() == (
        100, 200, 400, 800, 1600, 3200, 5000)
    assert SeedRule(first=7, max=7, half_width=0.1).sizes() == (7,)


def test_the_interval_level_pays_for_the_looks_only_when_deciding():
    assert (PRECISE.confidence, PRECISE.method) == (0.95, "wilson")
    assert DECIDE.confidence == pytest.approx(1 - 0.05 / 7)
    assert DECIDE.method == "wilson-bonferroni(7)"
    both = SeedRule(first=50, max=400, half_width=0.05, decide=0.5)
    assert both.method == "wilson-bonferroni(4)"  # 50, 100, 200, 400


def test_a_seeds_table_is_parsed_and_written_back_the_same():
    rule = parse_seed_rule({"first": 50, "max": 3200, "half_width": 0.03})
    assert rule == QUICK
    assert rule.text() == "{ first = 50, max = 3200, half_width = 0.03 }"
    assert parse_seed_rule({"decide": 0.9}) == SeedRule(decide=0.9)


@pytest.mark.parametrize("table, key, words", [
    ({"first": 100}, "seeds", "needs half_width"),
    ({"half_width": 0.02, "frist": 10}, "seeds", "unknown key 'frist'"),
    ({"half_width": 0.02, "first": 0}, "seeds.first", "from 1 to"),
    ({"half_width": 0.02, "first": 2.5}, "seeds.first", "from 1 to"),
    ({"half_width": 0.02, "first": True}, "seeds.first", "from 1 to"),
    ({"half_width": 0.02, "first": 200, "max": 100}, "seeds.max", "at least first = 200"),
    ({"half_width": 0.0}, "seeds.half_width", "between 0 and 0.5"),
    ({"half_width": "0.02"}, "seeds.half_width", "between 0 and 0.5"),
    ({"decide": 1.0}, "seeds.decide", "between 0 and 1"),
])
def test_a_bad_seeds_table_is_refused_naming_the_key(table, key, words):
    with pytest.raises(ChoiceError) as refused:
        parse_seed_rule(table)
    assert refused.value.key == key and words in str(refused.value)


# --- when it stops ------------------------------------------------------------------------


def test_stop_reasons_follow_the_wilson_half_width_by_hand():
    # n = 100, z = 1.96: 0/100 → [0, 0.037], half-width 0.018 ≤ 0.02: precise;
    # 50/100 → [0.404, 0.596], half-width 0.096: go on; 99/100 → [0.946, 0.998]: 0.026.
    reasons = stop_reasons(PRECISE, np.array([0, 50, 99, 100]), 100)
    assert list(reasons) == ["precise", "", "", "precise"]
    # 3200/6400: half-width 1.96 · √(0.25/6400) = 0.0122 — precise at ±0.02, not at ±0.01
    tight = SeedRule(first=100, max=6400, half_width=0.01)
    assert list(stop_reasons(PRECISE, np.array([3200]), 6400)) == ["precise"]
    assert list(stop_reasons(tight, np.array([3200, 6400]), 6400)) == ["max", "precise"]


def test_decide_stops_once_the_interval_leaves_the_rate_behind():
    # Wilson at 1 − 0.05/7 = 99.29 % (z = 2.69), n = 100:
    # 80 → [0.674, 0.886], clear of 0.95: decided; 94 → [0.842, 0.979]: holds 0.95;
    # 100 → [0.933, 1]: holds 0.95 too — a perfect score is not yet proof of a rate above it.
    assert list(stop_reasons(DECIDE, np.array([80, 94, 100]), 100)) == ["decided", "", ""]
    assert list(stop_reasons(DECIDE, np.array([800]), 800)) == ["decided"]  # [0.991, 1]


def replayed(rule, flags):
    return replay(rule, {"c": np.asarray(flags, bool)})["c"]


def test_replay_stops_each_configuration_at_its_first_settled_look():
    rule = SeedRule(first=10, max=80, half_width=0.15)
    # all solved: 10/10 → [0.72, 1], half-width 0.14 → precise at 10 seeds
    assert replayed(rule, [True] * 80) == (10, "precise")
    # alternating: 50 % never gets within ±0.15 before 40 seeds (±0.15 at n = 40 is 0.148)
    assert replayed(rule, [True, False] * 40) == (40, "precise")
    # a run of successes then failures: looked at 10 (10/10 → stop) although later seeds differ
    assert replayed(rule, [True] * 10 + [False] * 70) == (10, "precise")
    tight = SeedRule(first=10, max=80, half_width=0.01)
    assert replayed(tight, [True, False] * 40) == (80, "max")


def test_replay_asks_for_the_next_round_when_a_prefix_is_short():
    rule = SeedRule(first=10, max=80, half_width=0.05)
    assert replayed(rule, [True, False] * 5) == (20, "sampling")
    assert replayed(rule, [True, False] * 7) == (20, "sampling")  # 14 seeds: round 2 unfinished
    assert replayed(rule, []) == (10, "sampling")


def test_a_larger_max_continues_and_a_smaller_one_stops_earlier():
    flags = [True, False] * 40
    assert replayed(SeedRule(first=10, max=80, half_width=0.01), flags) == (80, "max")
    assert replayed(SeedRule(first=10, max=160, half_width=0.01), flags) == (160, "sampling")
    assert replayed(SeedRule(first=10, max=20, half_width=0.01), flags) == (20, "max")


def runs_table(rows):
    return pd.DataFrame(rows, columns=["config_id", "seed", "epochs", "solved"])


def test_prefixes_read_the_largest_budget_and_stop_at_the_first_missing_seed():
    runs = runs_table([("a", 0, 10, False), ("a", 0, 50, True), ("a", 1, 50, False),
                       ("a", 3, 50, True), ("b", 0, 50, True), ("b", 1, 50, True)])
    prefixes = solved_prefixes(runs)
    assert list(prefixes["a"]) == [True, False]  # seed 2 missing: 3 is not in the prefix
    assert list(prefixes["b"]) == [True, True]
    assert list(solved_prefixes(runs, {"a": 10, "b": 50})["a"]) == [False]


def test_seed_stops_say_fixed_without_a_rule():
    runs = runs_table([("a", s, 50, True) for s in range(3)])
    stops = seed_stops(None, runs)
    assert stops.to_dict("records") == [{"config_id": "a", "n_seeds": 3, "stop": "fixed"}]
    rule = SeedRule(first=2, max=8, half_width=0.45)
    assert seed_stops(rule, runs).to_dict("records") == [
        {"config_id": "a", "n_seeds": 2, "stop": "precise"}]


# --- what the rule costs and how often its interval holds ---------------------------------

RATES = np.round(np.arange(0.01, 1.0, 0.01), 2)


@pytest.mark.parametrize("rule", [PRECISE, QUICK, DECIDE], ids=["precise", "quick", "decide"])
def test_the_reported_interval_covers_at_least_93_percent_under_the_rule(rule):
    coverage = [rule_coverage(rule, p).coverage for p in RATES]
    assert min(coverage) >= 0.93, RATES[int(np.argmin(coverage))]


def test_a_plain_95_percent_interval_under_decide_would_not():
    """Why decide uses a Bonferroni interval: a plain Wilson 95 % interval, looked at up to
    seven times, covers a true rate at the decided value far less often."""
    plain = rule_coverage(DECIDE, 0.95, confidence=0.95)
    assert plain.coverage < 0.85
    assert rule_coverage(DECIDE, 0.95).coverage >= 0.95


def test_every_configuration_stops_somewhere_and_settled_rates_cost_little():
    for p in (0.0, 0.02, 0.5, 0.97, 1.0):
        outcome = rule_coverage(PRECISE, p)
        assert sum(outcome.stop_chance) == pytest.approx(1.0, abs=1e-12)
        assert len(outcome.stop_chance) == len(PRECISE.sizes())
    assert rule_coverage(PRECISE, 1.0).mean_seeds == 100
    assert rule_coverage(PRECISE, 0.5).mean_seeds > 1600  # ±2 pp at 50 % needs ~2400


def test_exact_coverage_agrees_with_replaying_simulated_configurations():
    """The convolution against brute force: 4000 simulated configurations, each a stream
    of Bernoulli(p) seeds, stopped by :func:`replay`; the share whose reported interval
    holds p must match the exact coverage within Monte-Carlo error (4 σ)."""
    rng = np.random.default_rng(20261207)
    rule = SeedRule(first=20, max=640, half_width=0.05)
    for p in (0.3, 0.9):
        flags = {str(i): rng.random(rule.max) < p for i in range(4000)}
        state = replay(rule, flags)
        n = np.array([state[c][0] for c in flags])
        k = np.array([np.count_nonzero(flags[c][:m]) for c, m in zip(flags, n, strict=True)])
        low, high = wilson_interval(k, n, rule.confidence)
        simulated = np.mean((low <= p) & (p <= high))
        exact = rule_coverage(rule, p)
        sigma = np.sqrt(exact.coverage * (1 - exact.coverage) / len(flags))
        assert abs(simulated - exact.coverage) < 4 * sigma
        assert abs(n.mean() - exact.mean_seeds) < 4 * n.std() / np.sqrt(len(flags))
