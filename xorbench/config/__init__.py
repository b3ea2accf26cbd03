"""The choice language: one table per axis, and a run's configuration validated once.

What lives here: every named choice of every axis (:mod:`~xorbench.config.tasks`,
:mod:`~xorbench.config.activations`, :mod:`~xorbench.config.inits`,
:mod:`~xorbench.config.losses`, :mod:`~xorbench.config.optimizers`,
:mod:`~xorbench.config.criteria`; batch modes and dtypes in
:mod:`~xorbench.config.tables`), the call-syntax parser they share
(:mod:`~xorbench.config.choices`), the limits of the numbers a user gives
(:mod:`~xorbench.config.values`), and :class:`RunConfig`, :class:`RunSpec`,
:class:`Setup` and :class:`Member` (:mod:`~xorbench.config.run`).

To add an activation, an init, an optimizer: one entry in its table here (and its
arithmetic in the engine's kernel). Pure Python and NumPy: this package never
imports numba, matplotlib, pandas or anything above it.
"""

from xorbench.config.choices import Choice, Entry, Param, Table, format_number
from xorbench.config.run import (
    COMBINATION_RULES,
    CombinationRule,
    Member,
    RunConfig,
    RunSpec,
    Setup,
    arch_text,
    config_from_labels,
    config_problems,
    hidden_text,
    make_config,
)
from xorbench.config.tables import (
    BATCHES,
    DEFAULTS,
    DTYPES,
    TABLES,
    per_pattern_step,
    updates_per_epoch,
)
from xorbench.config.values import (
    LR_RANGE,
    MAX_EPOCHS,
    MAX_SEED,
    MAX_SEEDS,
    MAX_WIDTH,
    SEED_RULE_KEYS,
    SeedRule,
    parse_epochs,
    parse_hidden,
    parse_lr,
    parse_seed,
    parse_seed_rule,
)

__all__ = [
    "BATCHES", "COMBINATION_RULES", "DEFAULTS", "DTYPES", "LR_RANGE", "MAX_EPOCHS", "MAX_SEED",
    "MAX_SEEDS", "MAX_WIDTH", "SEED_RULE_KEYS", "TABLES", "Choice", "CombinationRule", "Entry",
    "Member", "Param", "RunConfig", "RunSpec", "SeedRule", "Setup", "Table", "arch_text",
    "config_from_labels", "config_problems", "format_number", "hidden_text", "make_config",
    "parse_epochs", "parse_hidden", "parse_lr", "parse_seed", "parse_seed_rule",
    "per_pattern_step", "updates_per_epoch",
]
