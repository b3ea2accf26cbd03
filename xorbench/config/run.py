"""One training configuration, validated once, as frozen canonical values.

A :class:`RunConfig` is everything that defines a run except its seed and epoch
budget. Raw values (strings from TOML or the command line) become a RunConfig in
exactly one place, :func:`make_config`; after that the code trusts it. A
:class:`Setup` is what the networks of one engine batch share, a :class:`Member`
what may differ between them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cached_property

from xorbench.config.bugs import bug_needs_sgd, index_needs_width
from xorbench.config.choices import Choice, did_you_mean
from xorbench.config.optimizers import OPTIMIZERS
from xorbench.config.tables import DEFAULTS, TABLES
from xorbench.config.tasks import make_task
from xorbench.config.values import parse_hidden, parse_lr
from xorbench.errors import ChoiceError


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
    bug: Choice  # how it is trained: correctly (none) or with a hand-written bug

    @cached_property
    def n_inputs(self) -> int:
        return make_task(self.task).n_inputs

    @property
    def widths(self) -> tuple[int, ...]:
        """Every layer's width, inputs to output: (2, 2, 1) for 2-2-1."""
        return (self.n_inputs, *self.hidden, 1)

    @property
    def arch(self) -> str:
        """The full shape, e.g. ``2-2-1``; ``2-1`` without a hidden layer."""
        return arch_text(self.widths)

    @property
    def hidden_label(self) -> str:
        """Hidden widths as text, e.g. ``2`` or ``2-2``; ``0`` for none."""
        return hidden_text(self.hidden)

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
        """A short stable hash of the configuration (seed and epochs excluded).

        An axis added since the first version (:data:`HASHED_UNLESS_DEFAULT`) enters
        the hash only away from its default, so a configuration at the default keeps
        the config_id an older xorbench gave it and its stored runs are reused.
        """
        labels = {axis: label for axis, label in self.labels().items()
                  if HASHED_UNLESS_DEFAULT.get(axis) != label}
        text = json.dumps(labels, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:10]


# Axes added after the first results were written → the label older folders mean.
HASHED_UNLESS_DEFAULT: dict[str, str] = {"bug": "none"}


def arch_text(widths: tuple[int, ...]) -> str:
    """``2-2-1``: the widths of a network, inputs to output, as the ``arch`` column writes
    them."""
    return "-".join(str(w) for w in widths)


def hidden_text(hidden: tuple[int, ...]) -> str:
    """``2`` or ``2-2``: hidden widths as the ``hidden`` column writes them; ``0`` for none."""
    return "-".join(str(w) for w in hidden) or "0"


@dataclass(frozen=True)
class Setup:
    """What every network in one engine batch shares: shapes and functions."""

    task: Choice
    hidden: tuple[int, ...]
    activation: Choice
    output: Choice
    loss: Choice
    optimizer: Choice
    batch: Choice
    criterion: Choice
    dtype: Choice
    bug: Choice

    @classmethod
    def of(cls, config: RunConfig) -> Setup:
        return cls(**{name: getattr(config, name) for name in cls.__dataclass_fields__})

    @cached_property
    def widths(self) -> tuple[int, ...]:
        """Every layer's width, inputs to output."""
        return (make_task(self.task).n_inputs, *self.hidden, 1)

    @property
    def arch(self) -> str:
        return arch_text(self.widths)


@dataclass(frozen=True)
class Member:
    """What may differ between the networks of a batch."""

    lr: float
    init: Choice
    bias_init: Choice
    seed: int

    @classmethod
    def of(cls, config: RunConfig, seed: int) -> Member:
        return cls(config.lr, config.init, config.bias_init, seed)

    def config(self, setup: Setup) -> RunConfig:
        """The full configuration of this member within ``setup``."""
        shared = {name: getattr(setup, name) for name in Setup.__dataclass_fields__}
        return RunConfig(**shared, lr=self.lr, init=self.init, bias_init=self.bias_init)


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
    CombinationRule(("bug", "optimizer"), bug_needs_sgd),
    CombinationRule(("bug", "task", "hidden"), index_needs_width),
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
