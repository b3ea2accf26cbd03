"""The statistics of paired comparisons: published and hand-computed values, the interval's
coverage and the McNemar test's level, computed exactly (no Monte Carlo error)."""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import binom, binomtest

from xorbench.analysis.paired import holm, mcnemar_p, median_ratio_interval, tango_interval

Z = NormalDist().inv_cdf(0.975)


def tango_statistic(f: float, g: float, n: float, delta: float) -> float:
    """Tango (1998), eq. for T(δ), written out again here as the oracle: f = only a,
    g = only b, δ = rate_b − rate_a; q̃ the restricted ML estimate of P(only a)."""
    B = -g - f + (2 * n - g + f) * delta
    C = -f * delta * (1 - delta)
    q = (math.sqrt(B * B - 8 * n * C) - B) / (4 * n)
    return (g - f - n * delta) / math.sqrt(n * (2 * q + delta * (1 - delta)))


# --- exact values ----------------------------------------------------------------------


def test_tango_interval_matches_the_published_example():
    # Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017),
    # ch. 8: complete response before / after consolidation (Cavo et al. 2012),
    # table [[59, 6], [16, 80]]: δ = π1+ − π+1 = −0.0621, Tango 95 % CI −0.1240 to −0.0054.
    # Here b is the table's first condition: only_b = 6, only_a = 16.
    low, high = tango_interval(only_a=16, only_b=6, n=161)
    assert (round(low, 4), round(high, 4)) == (-0.1240, -0.0054)
    # swapping the sides mirrors the interval
    assert tango_interval(only_a=6, only_b=16, n=161) == pytest.approx((-high, -low), abs=1e-12)


def test_tango_interval_without_discordant_pairs_is_closed_form():
    # f = g = 0: q̃ = max(0, −δ), so |T(δ)| = √(n|δ| / (1 − |δ|)) and the ends are
    # ±z² / (n + z²): for n = 100, ±3.841459 / 103.841459 = ±0.036993
    low, high = tango_interval(0, 0, 100)
    assert high == pytest.approx(Z * Z / (100 + Z * Z), rel=1e-12)
    assert low == pytest.approx(-high, rel=1e-12)
    assert round(high, 6) == 0.036993


@pytest.mark.parametrize(("only_a", "only_b", "n"), [(2, 15, 200), (5, 13, 200), (0, 150, 200),
                                                      (7, 0, 30), (40, 41, 100)])
def test_tango_interval_ends_solve_the_score_equation(only_a, only_b, n):
    low, high = tango_interval(only_a, only_b, n)
    assert low < (only_b - only_a) / n < high
    assert tango_statistic(only_a, only_b, n, low) == pytest.approx(Z, abs=1e-6)
    assert tango_statistic(only_a, only_b, n, high) == pytest.approx(-Z, abs=1e-6)


def test_tango_interval_at_the_edges():
    assert tango_interval(0, 50, 50)[1] == 1.0 and tango_interval(50, 0, 50)[0] == -1.0
    assert all(math.isnan(x) for x in tango_interval(0, 0, 0))
    low, high = tango_interval([0, 3], [0, 9], [100, 40])  # elementwise
    assert low.shape == high.shape == (2,) and high[0] == pytest.approx(-low[0])
    with pytest.raises(ValueError):
        tango_interval(3, 4, 5)


def test_mcnemar_p_by_hand():
    # 6 vs 16 discordant: 2 · Σ_{k≤6} C(22, k) / 2²² = 2 · 110056 / 4194304
    assert 1 + 22 + 231 + 1540 + 7315 + 26334 + 74613 == 110056
    assert mcnemar_p(16, 6) == pytest.approx(2 * 110056 / 2**22, rel=1e-12)
    assert round(mcnemar_p(16, 6), 6) == 0.052479  # the book's exact conditional test
    # 2 vs 15: 2 · (1 + 17 + 136) / 2¹⁷
    assert mcnemar_p(2, 15) == pytest.approx(2 * 154 / 2**17, rel=1e-12)
    assert mcnemar_p(0, 0) == 1.0 and mcnemar_p(4, 4) == 1.0 and mcnemar_p(3, 4) == 1.0


def test_mcnemar_p_is_scipys_binomial_test():
    pairs = [(f, g) for d in range(1, 31) for f in range(d + 1) for g in [d - f]]
    f, g = np.array(pairs).T
    ours = mcnemar_p(f, g)
    theirs = [binomtest(int(k), int(k + j)).pvalue for j, k in pairs]
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_holm_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max
    adjusted = holm([0.01, np.nan, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, np.nan, 0.06, 0.06, 0.02])
    assert holm([0.6, 0.7])[1] == 1.0 and holm([]).shape == (0,)


def test_median_ratio_interval_is_reproducible_and_holds_the_median():
    ratios = np.random.default_rng(3).lognormal(-1, 0.5, 150)
    first, again = median_ratio_interval(ratios), median_ratio_interval(ratios.copy())
    assert first == again
    assert first[0] < np.median(ratios) < first[1]
    assert median_ratio_interval([0.5, 0.5, 0.5]) == (0.5, 0.5)
    assert all(math.isnan(x) for x in median_ratio_interval([0.5]))


# --- coverage and level, exactly -----------------------------------------------------------

RATES = [0.05, 0.2, 0.5, 0.8, 0.95, 0.99]
CORRELATIONS = [0.0, 0.3, 0.6, 0.9]
TAIL = 1e-11  # binomial tail left out of each discordant count's range


def cells(rate_a: float, rate_b: float, rho: float) -> tuple[float, float] | None:
    """P(only a), P(only b) of paired outcomes with these rates and correlation, or None
    when no joint distribution has them."""
    both = rate_a * rate_b + rho * math.sqrt(rate_a * (1 - rate_a) * rate_b * (1 - rate_b))
    only_a, only_b = rate_a - both, rate_b - both
    if min(only_a, only_b, 1 - rate_a - rate_b + both) < -1e-12:
        return None
    return max(only_a, 0.0), max(only_b, 0.0)


def discordant_table(n: int, pa: float, pb: float):
    """Every (only_a, only_b) with its probability: (only_a, only_b, rest) is
    multinomial(n; pa, pb, 1 − pa − pb); counts in each one's central 1 − 2·TAIL range."""
    def span(p):
        return np.arange(int(binom.ppf(TAIL, n, p)), int(binom.isf(TAIL, n, p)) + 1) \
            if p > 0 else np.array([0])

    f, g = (x.ravel() for x in np.meshgrid(span(pa), span(pb), indexing="ij"))
    rest = n - f - g
    f, g, rest = f[rest >= 0], g[rest >= 0], rest[rest >= 0]
    log_p = gammaln(n + 1) - gammaln(f + 1) - gammaln(g + 1) - gammaln(rest + 1)
    for count, p in ((f, pa), (g, pb), (rest, 1 - pa - pb)):
        log_p += np.where(count > 0, count * np.log(max(p, 1e-300)), 0.0)
    return f, g, np.exp(log_p)


def coverage(n: int, rate_a: float, rate_b: float, rho: float) -> tuple[float, float]:
    """P(the interval holds rate_b − rate_a) exactly, and the expected discordant pairs."""
    pa, pb = cells(rate_a, rate_b, rho)
    f, g, weight = discordant_table(n, pa, pb)
    assert weight.sum() > 1 - 1e-9  # the ranges hold all but a negligible mass
    low, high = tango_interval(f, g, n)
    truth = rate_b - rate_a
    covered = (low <= truth + 1e-12) & (truth <= high + 1e-12)
    return float(weight[covered].sum()), n * (pa + pb)


@pytest.mark.parametrize("n", [100, 500])
def test_the_interval_covers_95_percent(n):
    results = [coverage(n, a, b, rho)
               for a, b in itertools.combinations_with_replacement(RATES, 2)
               for rho in CORRELATIONS if cells(a, b, rho) is not None]
    covered = np.array([c for c, _ in results])
    discordant = np.array([d for _, d in results])
    assert len(covered) > 30
    assert 0.94 <= covered.mean() <= 0.96, covered.mean()
    assert covered.min() >= 0.90, covered.min()
    assert covered[discordant >= 10].min() >= 0.93, covered[discordant >= 10].min()


@pytest.mark.parametrize("n", [100, 500])
def test_mcnemar_keeps_its_level_under_the_null(n):
    # only_b | D ~ Binomial(D, ½) under "no difference"; D ~ Binomial(n, P(discordant))
    D, k = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    inside = k <= D
    p = np.where(inside, mcnemar_p(np.where(inside, D - k, 0), np.where(inside, k, 0)), 1.0)
    p_k = np.where(inside, binom.pmf(k, D, 0.5), 0.0)
    for discordant in (0.001, 0.01, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0):
        p_d = binom.pmf(np.arange(n + 1), n, discordant)
        for alpha in (0.01, 0.05, 0.1):
            level = float(p_d @ (p_k * (p <= alpha)).sum(axis=1))
            assert level <= alpha + 1e-12, (discordant, alpha, level)
