"""Numbers a user gives — widths, learning rates, epoch budgets, seeds — checked once,
with their documented limits (docs/reliability.md)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from xorbench.errors import ChoiceError

MAX_WIDTH = 4096


def parse_hidden(value: object, key: str = "hidden") -> tuple[int, ...]:
    """``2`` → (2,); ``[2, 2]`` → (2, 2); ``[]`` → (); ``"2-2"`` → (2, 2)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            parts = [] if text in ("", "0", "none") else [int(p) for p in text.split("-")]
        except ValueError:
            raise ChoiceError(key, value, "must be widths like 2 or 2-2 (0 for none)") from None
        value = parts
    if isinstance(value, bool):
        raise ChoiceError(key, value, "must be an integer width or a list of widths")
    if isinstance(value, int):
        value = [value]
    if not isinstance(value, list | tuple) or not all(
        isinstance(w, int) and not isinstance(w, bool) for w in value
    ):
        raise ChoiceError(key, value, "must be an integer width or a list of integer widths")
    for w in value:
        if not 1 <= w <= MAX_WIDTH:
            raise ChoiceError(key, value, f"widths must be between 1 and {MAX_WIDTH}, got {w}")
    return tuple(value)


# Learning rates outside this range mean nothing for these networks, and inside it
# the engine's k·η (k a power of two from 1/256 to 2) is a normal float32 number.
LR_RANGE = (1e-30, 1e30)


def parse_lr(value: object, key: str = "lr") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ChoiceError(key, value, "must be a positive number")
    if not math.isfinite(value) or value <= 0:
        raise ChoiceError(key, value, "must be a positive, finite number")
    low, high = LR_RANGE
    if not low <= value <= high:
        raise ChoiceError(key, value, f"must be between {low:g} and {high:g}")
    return float(value)


# Epoch budgets: at most a billion (a run records its loss at log-spaced epochs only,
# so a budget costs time, never memory).
MAX_EPOCHS = 10**9
# Seeds: 0 .. 2³² − 1, the range every library's seed function accepts (NumPy's
# legacy np.random.seed among them).
MAX_SEED = 2**32 - 1
# Seeds per configuration: a million (seeds = N means 0 .. N − 1).
MAX_SEEDS = 1_000_000


def parse_epochs(value: object, key: str = "epochs") -> int:
    """An epoch budget: an integer from 1 to :data:`MAX_EPOCHS`."""
    bound = f"an integer number of epochs from 1 to {MAX_EPOCHS:,}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ChoiceError(key, value, f"must be {bound}")
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and 1 <= value <= MAX_EPOCHS:
            raise ChoiceError(key, value, f"must be {bound}; write {int(value)}")
        if value > MAX_EPOCHS:  # 1e10: a float, and above the bound
            raise ChoiceError(key, value, f"must be {bound}; {value:g} is above it")
        raise ChoiceError(key, value, f"must be {bound}")
    if value < 1:
        raise ChoiceError(key, value, f"must be {bound}")
    if value > MAX_EPOCHS:
        raise ChoiceError(key, value, f"must be at most {MAX_EPOCHS:,} epochs")
    return value


def parse_seed(value: object, key: str = "seed") -> int:
    """A seed: an integer from 0 to :data:`MAX_SEED`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChoiceError(key, value, "seeds must be non-negative integers")
    if value < 0:
        raise ChoiceError(key, value, "seeds must be non-negative integers")
    if value > MAX_SEED:
        raise ChoiceError(key, value, f"seeds must be at most 2**32 - 1 = {MAX_SEED:,}")
    return value


@dataclass(frozen=True)
class SeedRule:
    """Adaptive seeds (``seeds = { first, max, half_width, decide }`` in a grid file).

    Every configuration starts with seeds 0..first−1; after each round it doubles its
    seeds (0..2·first−1, 0..4·first−1, …, at most ``max``) while its rate at its largest
    budget is not yet settled: the interval's half-width is above ``half_width``, or the
    interval still contains the rate ``decide``. Seeds stay a prefix 0..n−1, so a
    configuration's runs do not depend on when or where they were trained.

    The interval the rule looks at is the one reported. With ``half_width`` alone it is
    Wilson's 95 % interval (its coverage under the rule stays ≥ 94 %, docs/grids.md);
    with ``decide`` it is Wilson's at 1 − 0.05/K for the K looks the rule may take — a
    Bonferroni bound over the looks — because stopping as soon as a plain 95 % interval
    leaves ``decide`` behind covers the true rate far less often than 95 %.
    """

    first: int = 100
    max: int = 6400
    half_width: float | None = None
    decide: float | None = None

    def sizes(self) -> tuple[int, ...]:
        """The seed counts at which the rule looks: first, 2·first, 4·first, …, max."""
        sizes, n = [], self.first
        while n < self.max:
            sizes.append(n)
            n *= 2
        return (*sizes, self.max)

    @property
    def confidence(self) -> float:
        """The reported interval's level: 0.95, or 1 − 0.05/K with ``decide`` (K looks)."""
        return 0.95 if self.decide is None else 1 - 0.05 / len(self.sizes())

    @property
    def method(self) -> str:
        """The interval's method, as summary.csv's ``ci_method`` names it."""
        return "wilson" if self.decide is None else f"wilson-bonferroni({len(self.sizes())})"

    def text(self) -> str:
        """The rule in TOML, as a grid file writes it."""
        parts = [f"first = {self.first}", f"max = {self.max}"]
        parts += [f"{key} = {value:g}" for key, value in
                  (("half_width", self.half_width), ("decide", self.decide)) if value is not None]
        return "{ " + ", ".join(parts) + " }"


SEED_RULE_KEYS = ("first", "max", "half_width", "decide")


def parse_seed_rule(table: Mapping[str, object], key: str = "seeds") -> SeedRule:
    """``{ first = 100, max = 6400, half_width = 0.02 }`` → :class:`SeedRule`, checked."""
    unknown = [k for k in table if k not in SEED_RULE_KEYS]
    if unknown:
        raise ChoiceError(key, dict(table), f"unknown key {unknown[0]!r}; a seeds table takes "
                          f"{', '.join(SEED_RULE_KEYS)}")
    counts = {}
    for name in ("first", "max"):
        value = table.get(name, getattr(SeedRule, name))
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SEEDS:
            raise ChoiceError(f"{key}.{name}", value, f"must be a count from 1 to {MAX_SEEDS:,}")
        counts[name] = value
    if counts["max"] < counts["first"]:
        raise ChoiceError(f"{key}.max", counts["max"],
                          f"must be at least first = {counts['first']}")
    rates = {}
    for name, low, high, meaning in (("half_width", 0, 0.5, "a half-width of the interval"),
                                     ("decide", 0, 1, "a rate to decide against")):
        value = table.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not low < value < high:
            raise ChoiceError(f"{key}.{name}", value,
                              f"must be {meaning}, a number between {low} and {high}")
        rates[name] = float(value)
    if not rates:
        raise ChoiceError(key, dict(table), "needs half_width (stop when the interval is that "
                          "narrow) or decide (stop when it leaves that rate behind), or both")
    return SeedRule(counts["first"], counts["max"], rates.get("half_width"), rates.get("decide"))
