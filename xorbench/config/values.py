"""Numbers a user gives — widths, learning rates, epoch budgets, seeds — checked once,
with their documented limits (docs/reliability.md)."""

from __future__ import annotations

import math

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
