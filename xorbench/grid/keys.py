"""The vocabulary of grid files: their keys, defaults, the names people use for them, and
how a value is shown in a message.

A grid file names values for the axes of :class:`~xorbench.config.RunConfig` plus
``epochs`` (budgets) and ``seeds``, under ``[defaults]`` and ``[grid]`` (or
``[[grid]]``); an optional ``[plots]`` table chooses the plots' colour and panel axes
(:mod:`~xorbench.grid.plotroles`). :data:`AXES` is also the expansion order, outermost first.
"""

from __future__ import annotations

import hashlib
import json
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


# Matched whole (``fullmatch``): with ``match`` and ``$``, "quick\n" would pass.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


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
    but letters, digits, ``.``, ``_`` and ``-`` starting with a letter or digit. A stem
    that is such a name is the name. Otherwise other characters become ``_``, leading
    dots and dashes go (nothing left: ``grid``), and a short hash of the stem follows,
    so that stems differing only in what was replaced (``größe``, ``grüße``) never
    share a folder: ``gr__e-1c2d3e``.
    """
    if NAME_RE.fullmatch(stem):
        return stem
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip("._-") or "grid"
    digest = hashlib.sha256(stem.encode("utf-8", "surrogateescape")).hexdigest()[:6]
    return f"{cleaned}-{digest}"


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
    """A value from the file as TOML writes it (``'sigmiod'``, ``[2, 2]``,
    ``{ log = [0.01, 10], num = 7 }``, ``"tab\\t"``), shortened if long: never a
    Python repr."""
    text = toml_text(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_text(value: object) -> str:
    """``value`` (what tomllib reads) in TOML's own syntax: strings as literal strings
    where they can be (printable, no quote), else as basic strings with escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if value.isprintable() and "'" not in value:
            return f"'{value}'"
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{toml_key(k)} = {toml_text(v)}" for k, v in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    return str(value)


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare (``epochs``) or quoted (``"a b"``)."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
