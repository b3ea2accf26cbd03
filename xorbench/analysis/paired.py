"""Statistics of paired comparisons: two settings trained from the same seeds.

Seed s gives a pair of outcomes, solved with setting a and solved with setting b. Over
n seeds the pairs make a 2×2 table, and only its two discordant cells say anything
about which setting is better::

                 b solved   b not
    a solved       both     only_a
    a not        only_b     neither

* :func:`tango_interval` — the 95 % interval for rate_b − rate_a = (only_b − only_a)/n,
  Tango's score interval for paired proportions (Tango 1998);
* :func:`mcnemar_p` — the exact McNemar test: a two-sided binomial test of only_b out of
  the only_a + only_b discordant pairs, with probability ½ under "no difference";
* :func:`holm` — Holm's step-down adjustment over a family of p-values;
* :func:`median_ratio_interval` — a percentile bootstrap interval for the median of
  per-seed ratios (how many times the epochs b needs), reproducible: a fixed seed and a
  capped number of resamples.

scipy is imported inside the functions that use it, so importing the analysis package
stays light.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

# Halvings of [−1, 1] for each end of Tango's interval: 2 · 2⁻⁶⁰ is below a double's
# resolution near any end, so the ends are as exact as the arithmetic.
BISECTIONS = 60
# The speed interval's bootstrap: this many resamples, drawn from a generator with this
# seed (the same for every comparison, so a comparison's interval never depends on
# which others were computed), at most BOOTSTRAP_CELLS resampled values in memory at once.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 18
BOOTSTRAP_CELLS = 4_000_000


def tango_interval(
    only_a: ArrayLike, only_b: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
    """Tango's score interval for δ = rate_b − rate_a from n paired seeds, elementwise.

    With f = ``only_a`` and g = ``only_b`` discordant pairs, Tango's (1998) score
    statistic for a hypothesised δ is

        T(δ) = (g − f − nδ) / √(n (2 q̃ + δ(1 − δ)))

    where q̃ is the maximum-likelihood estimate of P(only a) when the difference is δ,

        q̃ = (√(B² − 8nC) − B) / (4n),   B = −g − f + (2n − g + f) δ,   C = −f δ (1 − δ).

    The interval is every δ with |T(δ)| ≤ z (z the two-sided normal quantile of
    ``confidence``); T falls as δ rises, so each end is found by bisection. T(0) is
    McNemar's statistic (g − f)/√(g + f), so the interval excludes 0 exactly when the
    asymptotic McNemar test rejects. Returns (low, high) as float64 arrays (floats for
    scalar input), within [−1, 1]; NaN where n = 0.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    f, g, n = np.broadcast_arrays(*(np.asarray(x, np.float64) for x in (only_a, only_b, n)))
    if np.any(f < 0) or np.any(g < 0) or np.any(f + g > n):
        raise ValueError("only_a and only_b must be counts with only_a + only_b <= n")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = (g - f) / n
        low = np.where(estimate <= -1, -1.0, _bisect(f, g, n, z, -1.0, estimate))
        high = np.where(estimate >= 1, 1.0, _bisect(f, g, n, -z, estimate, 1.0))
    low, high = np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def _tango_statistic(f: np.ndarray, g: np.ndarray, n: np.ndarray, delta: np.ndarray
                     ) -> np.ndarray:
    """T(δ) of :func:`tango_interval` (±inf where its variance vanishes)."""
    B = -g - f + (2 * n - g + f) * delta
    C = -f * delta * (1 - delta)
    q = (np.sqrt(np.maximum(B * B - 8 * n * C, 0.0)) - B) / (4 * n)
    variance = np.maximum(n * (2 * q + delta * (1 - delta)), 0.0)
    return (g - f - n * delta) / np.sqrt(variance)


def _bisect(f, g, n, target: float, low, high) -> np.ndarray:
    """The δ in [low, high] where T(δ) = target, T decreasing (elementwise bisection)."""
    low = np.broadcast_to(np.asarray(low, np.float64), f.shape).copy()
    high = np.broadcast_to(np.asarray(high, np.float64), f.shape).copy()
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        right = _tango_statistic(f, g, n, middle) > target  # the root lies above middle
        low = np.where(right, middle, low)
        high = np.where(right, high, middle)
    return (low + high) / 2


def mcnemar_p(only_a: ArrayLike, only_b: ArrayLike) -> np.ndarray | float:
    """The exact McNemar p-value, elementwise: 1 where there is no discordant pair.

    Under "no difference" each discordant pair is as likely to be only_a as only_b, so
    only_b ~ Binomial(only_a + only_b, ½); the two-sided p-value is what
    ``scipy.stats.binomtest(only_b, only_a + only_b).pvalue`` gives (a test pins it),
    computed for all comparisons at once. The distribution is symmetric, so

        p = min(1, 2 · P(X ≤ min(only_a, only_b))).
    """
    from scipy.stats import binom

    f, g = np.asarray(only_a, np.float64), np.asarray(only_b, np.float64)
    p = np.minimum(1.0, 2 * binom.cdf(np.minimum(f, g), f + g, 0.5))
    return float(p) if p.ndim == 0 else p


def holm(p_values: ArrayLike) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (NaN ones left out, kept NaN).

    With the m p-values sorted, p₍₁₎ ≤ … ≤ p₍ₘ₎, the adjusted p₍ᵢ₎ is
    maxⱼ≤ᵢ min(1, (m − j + 1) p₍ⱼ₎): rejecting where it is below α keeps the chance of
    any false rejection in the family below α, whatever the dependence between tests.
    """
    p = np.asarray(p_values, np.float64)
    adjusted = np.full(p.shape, np.nan)
    present = np.flatnonzero(~np.isnan(p))
    m = len(present)
    order = present[np.argsort(p[present], kind="stable")]
    steps = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted[order] = np.maximum.accumulate(steps)
    return adjusted


def median_ratio_interval(ratios: ArrayLike, confidence: float = 0.95) -> tuple[float, float]:
    """A percentile bootstrap interval for the median of ``ratios`` (one per seed).

    :data:`BOOTSTRAP_RESAMPLES` resamples of the seeds, drawn from a generator seeded
    with :data:`BOOTSTRAP_SEED`, so the same ratios always give the same interval.
    (NaN, NaN) for fewer than two ratios; (r, r) when every ratio is r.
    """
    from scipy.stats import bootstrap

    x = np.asarray(ratios, np.float64)
    if len(x) < 2:
        return np.nan, np.nan
    if np.all(x == x[0]):  # every resample's median is x[0]
        return float(x[0]), float(x[0])
    result = bootstrap(
        (x,), np.median, n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=confidence,
        method="percentile", vectorized=True, batch=max(1, BOOTSTRAP_CELLS // len(x)),
        rng=np.random.default_rng(BOOTSTRAP_SEED))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)
