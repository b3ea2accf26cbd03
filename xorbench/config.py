"""One training configuration, validated once, as frozen canonical values.

A :class:`RunConfig` is everything that defines a run except its seed and epoch
budget. Raw values (strings from TOML or the command line) become a RunConfig in
exactly one place, :func:`make_config`; after that the code trusts it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cached_property

from xorbench.activations import ACTIVATIONS, OUTPUTS
from xorbench.choices import Choice, Entry, Param, Table, did_you_mean
from xorbench.criteria import CRITERIA
from xorbench.errors import ChoiceError
from xorbench.inits import BIAS_INITS, INITS
from xorbench.losses import LOSSES
from xorbench.optimizers import OPTIMIZERS
from xorbench.tasks import TASKS, make_task

BATCHES = Table.of(
    "batch",
    Entry("full", doc="one update per epoch from all patterns"),
    Entry("online", doc="one update per pattern, every pattern once per epoch, shuffled"),
    Entry(
        "sampled",
        (Param("n", int, None, 1, 10**7),),
        doc="n patterns drawn with replacement per epoch, one update each",
    ),
)

def updates_per_epoch(batch: Choice, n_patterns: int) -> int:
    """Parameter updates in one epoch: 1 (full), P (online) or n (sampled(n))."""
    if batch.name == "full":
        return 1
    return n_patterns if batch.name == "online" else batch.args[0]


DTYPES = Table.of(
    "dtype",
    Entry("float64", impl="float64"),
    Entry("float32", impl="float32", doc="about twice as fast; results differ in the last bits"),
)

# Grid key → the table its values come from (hidden, lr, epochs, seeds are numbers).
TABLES: dict[str, Table] = {
    "task": TASKS,
    "activation": ACTIVATIONS,
    "output": OUTPUTS,
    "init": INITS,
    "bias_init": BIAS_INITS,
    "optimizer": OPTIMIZERS,
    "loss": LOSSES,
    "batch": BATCHES,
    "criterion": CRITERIA,
    "dtype": DTYPES,
}

DEFAULTS: dict[str, object] = {
    "task": "xor",
    "hidden": (2,),
    "activation": "sigmoid",
    "output": "sigmoid",
    "init": "xavier",
    "bias_init": "zeros",
    "lr": 0.5,
    "optimizer": "sgd",
    "loss": "mse",
    "batch": "full",
    "criterion": "threshold",
    "dtype": "float64",
}

MAX_WIDTH = 4096


@dataclass(frozen=True)
class RunConfig:
    """A network, its training procedure and its success criterion (no seed, no budget)."""

    task: Choice
    hidden: tuple[int, ...]
    activation: Choice
    output: Choice
    init: Choice
    bias_init: Choice
    lr: float
    optimizer: Choice
    loss: Choice
    batch: Choice
    criterion: Choice
    dtype: Choice

    @cached_property
    def n_inputs(self) -> int:
        return make_task(self.task).n_inputs

    @property
    def arch(self) -> str:
        """The full shape, e.g. ``2-2-1``; ``2-1`` without a hidden layer."""
        return "-".join(str(w) for w in (self.n_inputs, *self.hidden, 1))

    @property
    def hidden_label(self) -> str:
        """Hidden widths as text, e.g. ``2`` or ``2-2``; ``0`` for none."""
        return "-".join(str(w) for w in self.hidden) or "0"

    def labels(self) -> dict[str, object]:
        """Every axis as its canonical CSV value."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Choice):
                out[f.name] = value.label
            elif f.name == "hidden":
                out[f.name] = self.hidden_label
            else:
                out[f.name] = value
        return out

    @property
    def config_id(self) -> str:
        """A short stable hash of the configuration (seed and epochs excluded)."""
        text = json.dumps(self.labels(), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:10]


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
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ChoiceError(key, value, f"must be an integer number of epochs from 1 to "
                          f"{MAX_EPOCHS:,}")
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and 1 <= value <= MAX_EPOCHS:
            raise ChoiceError(key, value, f"must be an integer number of epochs ≥ 1; "
                              f"write {int(value)}")
        raise ChoiceError(key, value, "must be an integer number of epochs ≥ 1")
    if value < 1:
        raise ChoiceError(key, value, "must be an integer number of epochs ≥ 1")
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


def make_config(raw: Mapping[str, object] | None = None, **overrides: object) -> RunConfig:
    """Validate raw values (strings, numbers) into a RunConfig; defaults fill the rest.

    Raises ChoiceError for the first bad value; :func:`config_problems` lists all.
    """
    problems = config_problems({**(raw or {}), **overrides})
    if problems:
        raise problems[0]
    return _build({**DEFAULTS, **(raw or {}), **overrides})


def config_problems(raw: Mapping[str, object]) -> list[ChoiceError]:
    """Every problem with a raw configuration (unknown keys, bad values, bad combinations)."""
    values = {**DEFAULTS, **raw}
    problems: list[ChoiceError] = []
    parsed: dict[str, object] = {}
    for key, value in values.items():
        try:
            parsed[key] = _parse_value(key, value)
        except ChoiceError as e:
            problems.append(e)
    if not problems:
        problems.extend(_combination_problems(parsed))
    return problems


def _parse_value(key: str, value: object) -> object:
    if key in TABLES:
        return TABLES[key].parse(value)
    if key == "hidden":
        return parse_hidden(value)
    if key == "lr":
        return parse_lr(value)
    known = [*TABLES, "hidden", "lr"]
    raise ChoiceError(key, value, f"unknown key{did_you_mean(key, known)}; "
                      f"allowed: {', '.join(sorted(known))}")


def _bce_needs_sigmoid(loss: Choice, output: Choice) -> ChoiceError | None:
    if loss.name == "bce" and output.name != "sigmoid":
        return ChoiceError(
            "loss", "bce", f"needs output = 'sigmoid' (cross-entropy is defined on a "
            f"probability), but output = {output.label!r}")
    return None


def _full_batch_only(optimizer: Choice, batch: Choice) -> ChoiceError | None:
    if OPTIMIZERS.impl(optimizer).full_batch_only and batch.name != "full":
        return ChoiceError(
            "optimizer", optimizer.label,
            f"works only with batch = 'full' (it compares whole-batch gradients), "
            f"but batch = {batch.label!r}")
    return None


@dataclass(frozen=True)
class CombinationRule:
    """A constraint between axes: ``check`` takes their parsed values, in ``axes`` order,
    and returns the problem or None. Declaring the axes lets a grid check the product
    of those axes alone, however many values the other axes have."""

    axes: tuple[str, ...]
    check: Callable[..., ChoiceError | None]


COMBINATION_RULES: tuple[CombinationRule, ...] = (
    CombinationRule(("loss", "output"), _bce_needs_sigmoid),
    CombinationRule(("optimizer", "batch"), _full_batch_only),
)


def _combination_problems(parsed: Mapping[str, object]) -> list[ChoiceError]:
    problems = []
    for rule in COMBINATION_RULES:
        problem = rule.check(*(parsed[axis] for axis in rule.axes))
        if problem is not None:
            problems.append(problem)
    return problems


def _build(values: Mapping[str, object]) -> RunConfig:
    parsed = {key: _parse_value(key, value) for key, value in values.items()}
    return RunConfig(**parsed)


def config_from_labels(labels: Mapping[str, object]) -> RunConfig:
    """Rebuild a RunConfig from its CSV labels (the inverse of ``labels()``)."""
    names = {f.name for f in fields(RunConfig)}
    return make_config({k: v for k, v in labels.items() if k in names})



@dataclass(frozen=True)
class RunSpec:
    """One run to do: a configuration, a seed and an epoch budget."""

    config: RunConfig
    seed: int
    epochs: int

    @property
    def run_key(self) -> str:
        """``config_id:seed:epochs`` — what a resumed sweep matches finished runs by."""
        return f"{self.config.config_id}:{self.seed}:{self.epochs}"
