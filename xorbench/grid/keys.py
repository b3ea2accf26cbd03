"""The vocabulary of grid files: their keys, defaults, the names people use for them, and
how a value is shown in a message.

A grid file names values for the axes of :class:`~xorbench.config.RunConfig` plus
``epochs`` (budgets) and ``seeds``, under ``[defaults]`` and ``[grid]`` (or
``[[grid]]``); an optional ``[plots]`` table chooses the plots' colour and panel axes
(:mod:`~xorbench.grid.plotroles`). :data:`AXES` is also the expansion order, outermost first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import fields

from xorbench.config import DEFAULTS, TABLES, RunConfig, parse_hidden, parse_lr
from xorbench.config.choices import Choice, did_you_mean, format_number

CONFIG_AXES: tuple[str, ...] = tuple(f.name for f in fields(RunConfig))


AXES: tuple[str, ...] = (*CONFIG_AXES, "epochs")  # the expansion order, outermost first


KEYS: tuple[str, ...] = (*AXES, "seeds")  # what [defaults] and [grid] may hold


TOP_KEYS: tuple[str, ...] = ("name", "description", "defaults", "grid", "plots")

DEFAULT_EPOCHS = 1000


DEFAULT_SEEDS = 100


MAX_RANGE_NUM = 10_000


RANGE_DIGITS = 6  # significant digits kept for the values of a range

# What a sub-grid holds for an axis nobody set.
FIXED_DEFAULTS: dict[str, tuple] = {
    **{key: (TABLES[key].parse(DEFAULTS[key]),) for key in TABLES},
    "hidden": (parse_hidden(DEFAULTS["hidden"]),),
    "lr": (parse_lr(DEFAULTS["lr"]),),
    "epochs": (DEFAULT_EPOCHS,),
}


# Names people write for the keys → the key xorbench calls it.
ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ["learning_rate", "learning_rates", "learningrate", "lr_rate", "lrs", "eta",
         "step_size", "alpha"], "lr"),
    **dict.fromkeys(
        ["epoch", "n_epochs", "num_epochs", "max_epochs", "nepochs", "iterations", "iters",
         "budget", "budgets", "epoch_budgets"], "epochs"),
    **dict.fromkeys(
        ["seed", "n_seeds", "num_seeds", "nseeds", "repeats", "repetitions", "trials",
         "n_runs"], "seeds"),
    **dict.fromkeys(
        ["activations", "hidden_activation", "act", "activation_function", "nonlinearity"],
        "activation"),
    **dict.fromkeys(
        ["hidden_layers", "layers", "hidden_sizes", "hidden_size", "hidden_units", "units",
         "widths", "width", "arch", "archs", "architecture", "architectures", "shape"],
        "hidden"),
    **dict.fromkeys(
        ["optimiser", "optimizers", "optimisers", "optim", "opt", "solver"], "optimizer"),
    **dict.fromkeys(
        ["inits", "initialization", "initialisation", "initializer", "initialiser",
         "weight_init", "weights_init", "init_weights", "weights"], "init"),
    **dict.fromkeys(
        ["bias", "biases", "bias_inits", "bias_initialization", "bias_initialisation",
         "init_bias"], "bias_init"),
    **dict.fromkeys(["losses", "loss_function", "cost", "objective"], "loss"),
    **dict.fromkeys(["tasks", "problem", "function", "target"], "task"),
    **dict.fromkeys(["outputs", "output_activation", "out", "final_activation"], "output"),
    **dict.fromkeys(["batches", "batch_size", "batch_mode", "batching"], "batch"),
    **dict.fromkeys(["criteria", "success", "solved", "stop", "stopping"], "criterion"),
    **dict.fromkeys(["dtypes", "precision", "float"], "dtype"),
}


TOP_ALIASES: dict[str, str] = {
    **dict.fromkeys(["title", "sweep", "sweep_name"], "name"),
    **dict.fromkeys(["desc", "question", "about", "summary"], "description"),
    **dict.fromkeys(["default", "fixed", "base", "common"], "defaults"),
    **dict.fromkeys(["grids", "axes", "sweeps", "params", "parameters", "param_grid"], "grid"),
    **dict.fromkeys(["plot", "figures", "roles", "facets"], "plots"),
}


NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


_RANGE_KINDS = ("log", "linear")


_RANGE_ALIASES: dict[str, str] = {
    **dict.fromkeys(["n", "number", "count", "steps", "points", "num_points", "size"], "num"),
    **dict.fromkeys(["logspace", "geomspace", "geom", "log10", "logarithmic"], "log"),
    **dict.fromkeys(["lin", "linspace", "range", "lineal"], "linear"),
}


_RANGE_HELP = "write { log = [low, high], num = N } or { linear = [low, high], num = N }"


def format_value(axis: str, value: object) -> str:
    """The canonical label of an axis value, as in the CSV columns (``2-2``, ``uniform(0,1)``)."""
    if isinstance(value, Choice):
        return value.label
    if axis == "hidden":
        return "-".join(str(w) for w in value) or "0"
    return format_number(value)


def default_name(stem: str) -> str:
    """A grid's name when it has no ``name`` key: its file's stem, made a safe folder name.

    The name becomes ``results/<name>``, so it must never be ``.``, ``..`` or anything
    but letters, digits, ``.``, ``_`` and ``-`` starting with a letter or digit: other
    characters become ``_``, leading dots and dashes go, and a stem with nothing left
    is ``grid``.
    """
    if NAME_RE.match(stem):
        return stem
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip("._-")
    return cleaned if cleaned and NAME_RE.match(cleaned) else "grid"


def key_hint(key: str, known: Sequence[str], aliases: Mapping[str, str]) -> str:
    alias = aliases.get(normal(key))
    if alias is not None and alias != key:
        return f" (did you mean {alias!r}?)"
    return did_you_mean(key, list(known)) if key not in known else ""


def normal(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def empty_list(label: str, key: str) -> str:
    return f"{label} {key} = []: empty list; an axis needs at least one value"


def show(value: object, limit: int = 80) -> str:
    """repr of a value from the file, shortened if long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
