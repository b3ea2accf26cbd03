"""Grid files, value by value: TOML sections → canonical axis values, or problems.

Every check of a grid file lives here, and every one appends a line to a list
of problems instead of raising, so one pass reports everything wrong with a
file: the section, the key, the bad value, what is allowed, and a did-you-mean
for near misses (misspelt names, and the names people use for a key elsewhere:
``learning_rate`` → ``lr``). :mod:`xorbench.grid` builds on :func:`parse_grid`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from itertools import product
from pathlib import Path
from typing import NamedTuple

from xorbench.config import (
    COMBINATION_RULES,
    DEFAULTS,
    MAX_SEEDS,
    TABLES,
    RunConfig,
    parse_epochs,
    parse_hidden,
    parse_lr,
    parse_seed,
)
from xorbench.config.choices import Choice, did_you_mean, format_number
from xorbench.errors import ChoiceError, GridError

CONFIG_AXES: tuple[str, ...] = tuple(f.name for f in fields(RunConfig))
AXES: tuple[str, ...] = (*CONFIG_AXES, "epochs")  # the expansion order, outermost first
KEYS: tuple[str, ...] = (*AXES, "seeds")  # what [defaults] and [grid] may hold
TOP_KEYS: tuple[str, ...] = ("name", "description", "defaults", "grid")

DEFAULT_EPOCHS = 1000
DEFAULT_SEEDS = 100
MAX_RANGE_NUM = 10_000
RANGE_DIGITS = 6  # significant digits kept for the values of a range

# What a sub-grid holds for an axis nobody set.
_FIXED_DEFAULTS: dict[str, tuple] = {
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
}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_RANGE_KINDS = ("log", "linear")
_RANGE_ALIASES: dict[str, str] = {
    **dict.fromkeys(["n", "number", "count", "steps", "points", "num_points", "size"], "num"),
    **dict.fromkeys(["logspace", "geomspace", "geom", "log10", "logarithmic"], "log"),
    **dict.fromkeys(["lin", "linspace", "range", "lineal"], "linear"),
}
_RANGE_HELP = "write { log = [low, high], num = N } or { linear = [low, high], num = N }"
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


class ParsedGrid(NamedTuple):
    """A valid grid file's content: sub-grids map every axis to canonical values."""

    name: str
    description: str
    subgrids: tuple[dict[str, tuple], ...]
    seeds: tuple[int, ...]


def parse_grid(text: str, path: str = "<string>") -> ParsedGrid:
    """Validate the TOML text of a grid; GridError lists every problem in it.

    ``path`` names the file in messages; its stem is the default name.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise GridError(path, [_toml_problem(e, text)]) from None
    except RecursionError:
        raise GridError(path, ["invalid TOML: arrays or tables nested too deeply (a grid "
                               "needs two levels, as in hidden = [[2], [2, 2]])"]) from None
    problems: list[str] = []
    name = "grid" if path == "<string>" else default_name(Path(path).stem)
    description = ""
    for key, value in data.items():
        if key == "name":
            if _check_name(value, problems):
                name = value
        elif key == "description":
            if isinstance(value, str):
                description = value
            else:
                problems.append(f"description = {_show(value)}: must be a string")
        elif key not in TOP_KEYS:
            problems.append(_unknown_top_key(key, value))

    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        problems.append(f"defaults = {_show(defaults)}: must be a table; write [defaults] "
                        "and key = value lines below it")
        defaults = {}
    default_axes, default_seeds = _parse_section("[defaults]", defaults, problems)

    raw_grid = data.get("grid")
    sections: list[tuple[str, dict]] = []
    if raw_grid is None:
        sections = [("[defaults]", {})]
    elif isinstance(raw_grid, dict):
        sections = [("[grid]", raw_grid)]
    elif isinstance(raw_grid, list) and raw_grid and all(isinstance(g, dict) for g in raw_grid):
        sections = [(f"[[grid]] #{i}", g) for i, g in enumerate(raw_grid, 1)]
    else:
        problems.append(f"grid = {_show(raw_grid)}: must be a table [grid] or a non-empty "
                        "array of tables [[grid]], each holding key = value lines")

    subgrids: list[dict[str, tuple]] = []
    seeds_of: list[tuple[str, str, object, tuple[int, ...] | None]] = []
    for label, table in sections:
        axes, seeds = _parse_section(label, table, problems)
        subgrids.append({**_FIXED_DEFAULTS, **default_axes, **axes})
        if "seeds" in table:
            seeds_of.append((label, label, table["seeds"], seeds))
        elif "seeds" in defaults:
            seeds_of.append((label, "[defaults]", defaults["seeds"], default_seeds))
        else:
            seeds_of.append((label, "the built-in default", DEFAULT_SEEDS,
                             tuple(range(DEFAULT_SEEDS))))

    seeds = _common_seeds(seeds_of, problems)
    # Bad values were reported above; the defaults stand in for them here, so that
    # a bad combination of the good values is reported in the same pass.
    fallback = {**_FIXED_DEFAULTS, **{k: v for k, v in default_axes.items() if v}}
    checkable = [(label, {axis: v or fallback[axis] for axis, v in sub.items()})
                 for (label, _), sub in zip(sections, subgrids, strict=True)]
    problems.extend(_combination_problems(checkable))
    if problems:
        raise GridError(path, problems)
    return ParsedGrid(name, description,
                      tuple({axis: sub[axis] for axis in AXES} for sub in subgrids), seeds or ())


def format_value(axis: str, value: object) -> str:
    """The canonical label of an axis value, as in the CSV columns (``2-2``, ``uniform(0,1)``)."""
    if isinstance(value, Choice):
        return value.label
    if axis == "hidden":
        return "-".join(str(w) for w in value) or "0"
    return format_number(value)


def _parse_section(label: str, table: Mapping[str, object],
                   problems: list[str]) -> tuple[dict[str, tuple], tuple[int, ...] | None]:
    """A section's axes and its seeds (None if absent or invalid).

    An axis holds its valid values (perhaps none) even when some were bad: the
    grid is not built then, but the good values still take part in the checks of
    combinations, so one pass reports every problem.
    """
    axes: dict[str, tuple] = {}
    seeds = None
    for key, value in table.items():
        if key == "seeds":
            seeds = _parse_seeds(label, value, problems)
        elif key == "hidden":
            axes[key] = _parse_hidden(label, value, problems)
        elif key in ("lr", "epochs"):
            axes[key] = _parse_numbers(label, key, value, problems)
        elif key in TABLES:
            axes[key] = _parse_choices(label, key, value, problems)
        else:
            problems.append(_unknown_key(label, key, value))
    return axes, seeds


def _parse_choices(label: str, key: str, value: object, problems: list[str]) -> tuple:
    table = TABLES[key]
    if isinstance(value, dict):
        problems.append(f"{label} {key} = {_show(value)}: a range {{...}} is only for lr and "
                        f"epochs; write one value or a list; allowed: {table.allowed()}")
        return ()
    items = value if isinstance(value, list) else [value]
    if not items:
        problems.append(_empty(label, key))
        return ()
    good: dict[int, Choice] = {}
    for i, item in enumerate(items):
        try:
            good[i] = table.parse(item)
        except ChoiceError as e:
            problems.append(f"{label} {e}")
    return _distinct(label, key, value, items, good, problems)[0]


def _parse_hidden(label: str, value: object, problems: list[str]) -> tuple:
    nested = isinstance(value, list) and [isinstance(v, list | str) for v in value]
    if nested and all(nested):
        items = value  # a list of architectures: an axis
    elif nested and any(nested):
        problems.append(f"{label} hidden = {_show(value)}: mixes widths and lists; write "
                        "[2, 2] for one architecture or [[2], [2, 2]] for an axis of them")
        return ()
    else:
        items = [value]  # one architecture: a width, a list of widths, [] for none
    if not items:
        problems.append(_empty(label, "hidden") + " (write hidden = [] for no hidden layer)")
        return ()
    good: dict[int, tuple[int, ...]] = {}
    for i, item in enumerate(items):
        try:
            good[i] = parse_hidden(item)
        except ChoiceError as e:
            widths = item if isinstance(item, list) else [item]
            zero = any(type(w) is int and w == 0 for w in widths)
            hint = " (write hidden = [] for no hidden layer)" if zero else ""
            problems.append(f"{label} hidden = {_show(item)}: {e.problem}{hint}")
    return _distinct(label, "hidden", value, items, good, problems)[0]


def _parse_numbers(label: str, key: str, value: object, problems: list[str]) -> tuple:
    """lr (positive floats) or epochs (integers ≥ 1): a value, a list or a range."""
    check = _check_lr if key == "lr" else _check_epochs
    if isinstance(value, dict):
        return _parse_range(label, key, value, check, problems)
    items = value if isinstance(value, list) else [value]
    if not items:
        problems.append(_empty(label, key))
        return ()
    good: dict[int, float | int] = {}
    for i, item in enumerate(items):
        try:
            good[i] = check(item)
        except ValueError as e:
            problems.append(f"{label} {key} = {_show(item)}: {e}")
    return _distinct(label, key, value, items, good, problems)[0]


def _check_lr(value: object) -> float:
    try:
        return parse_lr(value)
    except ChoiceError as e:
        raise ValueError(e.problem) from None


def _check_epochs(value: object) -> int:
    try:
        return parse_epochs(value)
    except ChoiceError as e:
        raise ValueError(e.problem) from None


def _parse_range(label: str, key: str, spec: dict, check: Callable[[object], float | int],
                 problems: list[str]) -> tuple:
    """``{ log = [a, b], num = n }`` or ``{ linear = [a, b], num = n }``, endpoints included."""
    where = f"{label} {key} = {_show(spec)}"
    before = len(problems)
    for k in spec:
        if k not in (*_RANGE_KINDS, "num"):
            hint = _key_hint(k, [*_RANGE_KINDS, "num"], _RANGE_ALIASES)
            problems.append(f"{where}: unknown range key {k!r}{hint}; {_RANGE_HELP}")
    kinds = [k for k in _RANGE_KINDS if k in spec]
    if len(kinds) != 1:
        problems.append(f"{where}: needs exactly one of log or linear; {_RANGE_HELP}")
        return ()
    kind = kinds[0]
    ends, num = spec[kind], spec.get("num")
    misspelt = any(_RANGE_ALIASES.get(_normal(k)) == "num" for k in spec)
    if (not isinstance(num, int) or isinstance(num, bool) or not 2 <= num <= MAX_RANGE_NUM) and (
            num is not None or not misspelt):
        got = "it is missing" if num is None else f"got {_show(num)}"
        problems.append(f"{where}: num must be an integer from 2 to {MAX_RANGE_NUM} "
                        f"(the number of values, endpoints included); {got}")
    if not isinstance(ends, list) or len(ends) != 2:
        problems.append(f"{where}: {kind} must be two endpoints [low, high]")
    else:
        for end in ends:
            try:
                check(end)
            except ValueError as e:
                problems.append(f"{where}: endpoint {_show(end)} {e}")
    if len(problems) > before:
        return ()
    a, b = (float(x) for x in ends)
    if kind == "log":  # x_i = a (b/a)^(i/(n−1))
        points = [a * (b / a) ** (i / (num - 1)) for i in range(num)]
    else:  # x_i = a + (b − a) i/(n−1)
        points = [a + (b - a) * i / (num - 1) for i in range(num)]
    points[0], points[-1] = a, b
    if key == "epochs":
        values = tuple(round(x) for x in points)
    else:
        values = tuple(float(f"{x:.{RANGE_DIGITS}g}") for x in points)
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        problems.append(f"{where}: gives {', '.join(format_number(v) for v in repeated)} "
                        f"more than once after rounding; use a smaller num or wider endpoints")
        return ()
    return values


def _parse_seeds(label: str, value: object, problems: list[str]) -> tuple[int, ...] | None:
    def is_int(x: object) -> bool:
        return isinstance(x, int) and not isinstance(x, bool)

    if is_int(value):
        if 1 <= value <= MAX_SEEDS:
            return tuple(range(value))
        problems.append(f"{label} seeds = {value!r}: must be from 1 to {MAX_SEEDS:,} "
                        f"(seeds = N runs seeds 0..N-1)")
        return None
    if not isinstance(value, list):
        problems.append(f"{label} seeds = {_show(value)}: must be a count N (seeds 0..N-1) "
                        "or a list of distinct non-negative integers")
        return None
    if not value:
        problems.append(f"{label} seeds = []: empty list; give at least one seed")
        return None
    if len(value) > MAX_SEEDS:
        problems.append(f"{label} seeds = {_show(value)}: at most {MAX_SEEDS:,} seeds")
        return None
    good: dict[int, int] = {}
    for i, item in enumerate(value):
        try:
            good[i] = parse_seed(item)
        except ChoiceError as e:
            problems.append(f"{label} seeds = {_show(item)}: {e.problem}")
    seeds, ok = _distinct(label, "seeds", value, value, good, problems)
    return seeds if ok else None


def _distinct(label: str, key: str, value: object, items: Sequence, good: Mapping[int, object],
              problems: list[str]) -> tuple[tuple, bool]:
    """The distinct valid values (``good`` maps item index → canonical value), and whether
    every item was valid and distinct; a problem for each repeat."""
    first: dict[object, object] = {}
    ok = len(good) == len(items)
    for i, canonical in good.items():
        item = items[i]
        if canonical not in first:
            first[canonical] = item
            continue
        ok = False
        earlier = first[canonical]
        same = (f"{_show(item)} appears twice" if repr(item) == repr(earlier) else
                f"{_show(earlier)} and {_show(item)} are the same value "
                f"{format_value(key, canonical)}")
        problems.append(f"{label} {key} = {_show(value)}: {same}; list each value once")
    return tuple(dict.fromkeys(good.values())), ok


def _common_seeds(seeds_of: list[tuple[str, str, object, tuple[int, ...] | None]],
                  problems: list[str]) -> tuple[int, ...] | None:
    """The seeds every sub-grid shares; one problem if sub-grids ask for different seeds.

    ``seeds_of`` holds, per sub-grid: its label, where its seeds come from, the raw
    value and the parsed seeds (None if invalid, already reported).
    """
    if not seeds_of or any(s is None for *_, s in seeds_of):
        return None
    if len({s for *_, s in seeds_of}) == 1:
        return seeds_of[0][3]
    settings = [f"{label} " + (f"seeds = {_show(raw)}" if source == label else
                               f"has seeds = {_show(raw)} from {source}")
                for label, source, raw, _ in seeds_of]
    problems.append(f"seeds differ between sub-grids ({'; '.join(settings)}); every sub-grid "
                    "of a sweep uses the same seeds, so set seeds once in [defaults]")
    return None


def _combination_problems(subgrids: list[tuple[str, Mapping[str, tuple]]]) -> list[str]:
    """Every combination rule over each sub-grid's values of its axes, each message once.

    A rule involves a few axes only (:data:`xorbench.config.COMBINATION_RULES`), so the
    product of those axes is checked, never the whole sub-grid: a grid of 2,000 inits
    × 10,000 learning rates costs no more to check than one of each.
    """
    where: dict[str, list[str]] = {}
    for label, sub in subgrids:
        for rule in COMBINATION_RULES:
            for combo in product(*(sub[axis] for axis in rule.axes)):
                problem = rule.check(*combo)
                if problem is None:
                    continue
                labels = where.setdefault(str(problem), [])
                if label not in labels:
                    labels.append(label)
    out = []
    for message, labels in where.items():
        more = "".join(f", {label.split()[-1]}" for label in labels[1:])
        out.append(f"{labels[0]}{more} {message}")
    return out


def default_name(stem: str) -> str:
    """A grid's name when it has no ``name`` key: its file's stem, made a safe folder name.

    The name becomes ``results/<name>``, so it must never be ``.``, ``..`` or anything
    but letters, digits, ``.``, ``_`` and ``-`` starting with a letter or digit: other
    characters become ``_``, leading dots and dashes go, and a stem with nothing left
    is ``grid``.
    """
    if _NAME_RE.match(stem):
        return stem
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip("._-")
    return cleaned if cleaned and _NAME_RE.match(cleaned) else "grid"


def _check_name(value: object, problems: list[str]) -> bool:
    if isinstance(value, str) and _NAME_RE.match(value):
        return True
    problems.append(f"name = {_show(value)}: must be a string of letters, digits, '.', '_' "
                    "and '-' (it names the results directory)")
    return False


def _unknown_key(label: str, key: str, value: object) -> str:
    where = f"{label} {key} = {_show(value)}"
    if key in TOP_KEYS:
        return (f"{where}: {key!r} is a top-level key; write it at the top of the file, "
                "before any [table]")
    return f"{where}: unknown key{_key_hint(key, KEYS, ALIASES)}; allowed: {', '.join(KEYS)}"


def _unknown_top_key(key: str, value: object) -> str:
    where = f"{key} = {_show(value)}"
    if key in KEYS or _normal(key) in ALIASES:
        return (f"{where}: unknown top-level key{_key_hint(key, KEYS, ALIASES)}; axis keys "
                "belong in [defaults] or [grid]")
    return (f"{where}: unknown top-level key{_key_hint(key, TOP_KEYS, TOP_ALIASES)}; "
            f"allowed: {', '.join(TOP_KEYS)}")


def _key_hint(key: str, known: Sequence[str], aliases: Mapping[str, str]) -> str:
    alias = aliases.get(_normal(key))
    if alias is not None and alias != key:
        return f" (did you mean {alias!r}?)"
    return did_you_mean(key, list(known)) if key not in known else ""


def _normal(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def _empty(label: str, key: str) -> str:
    return f"{label} {key} = []: empty list; an axis needs at least one value"


def _show(value: object, limit: int = 80) -> str:
    """repr of a value from the file, shortened if long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _toml_problem(error: tomllib.TOMLDecodeError, text: str) -> str:
    message = str(error)
    match = _TOML_POSITION.search(message)
    if match is None:
        return f"invalid TOML: {message}"
    line, column = int(match.group(1)), int(match.group(2))
    lines = text.splitlines()
    shown = f"; the line reads {lines[line - 1].strip()!r}" if line <= len(lines) else ""
    return (f"line {line}, column {column}: invalid TOML: "
            f"{message[: match.start()]}{shown}")
