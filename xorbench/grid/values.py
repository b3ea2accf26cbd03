"""Grid files, value by value: a section's keys → canonical axis values, or problems.

Every check appends a line to a list of problems instead of raising, so one pass
reports everything wrong with a file: the section, the key, the bad value, what is
allowed, and a did-you-mean for near misses (misspelt names, and the names people
use for a key elsewhere: ``learning_rate`` → ``lr``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import product

from xorbench.config import (
    COMBINATION_RULES,
    MAX_SEEDS,
    TABLES,
    SeedRule,
    parse_epochs,
    parse_hidden,
    parse_lr,
    parse_seed,
    parse_seed_rule,
)
from xorbench.config.choices import Choice, format_number
from xorbench.errors import ChoiceError
from xorbench.grid.keys import (
    _RANGE_ALIASES,
    _RANGE_HELP,
    _RANGE_KINDS,
    ALIASES,
    KEYS,
    MAX_RANGE_NUM,
    RANGE_DIGITS,
    TOP_KEYS,
    empty_list,
    format_value,
    key_hint,
    normal,
    show,
    toml_key,
)


def parse_section(label: str, table: Mapping[str, object],
                  problems: list[str]
                  ) -> tuple[dict[str, tuple], tuple[int, ...] | SeedRule | None]:
    """A section's axes and its seeds — fixed, or an adaptive rule (None if absent or
    invalid).

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
        problems.append(f"{label} {key} = {show(value)}: a range {{...}} is only for lr and "
                        f"epochs; write one value or a list; allowed: {table.allowed()}")
        return ()
    items = value if isinstance(value, list) else [value]
    if not items:
        problems.append(empty_list(label, key))
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
        problems.append(f"{label} hidden = {show(value)}: mixes widths and lists; write "
                        "[2, 2] for one architecture or [[2], [2, 2]] for an axis of them")
        return ()
    else:
        items = [value]  # one architecture: a width, a list of widths, [] for none
    if not items:
        problems.append(empty_list(label, "hidden") + " (write hidden = [] for no hidden layer)")
        return ()
    good: dict[int, tuple[int, ...]] = {}
    for i, item in enumerate(items):
        try:
            good[i] = parse_hidden(item)
        except ChoiceError as e:
            widths = item if isinstance(item, list) else [item]
            zero = any(type(w) is int and w == 0 for w in widths)
            hint = " (write hidden = [] for no hidden layer)" if zero else ""
            problems.append(f"{label} hidden = {show(item)}: {e.problem}{hint}")
    return _distinct(label, "hidden", value, items, good, problems)[0]


def _parse_numbers(label: str, key: str, value: object, problems: list[str]) -> tuple:
    """lr (positive floats) or epochs (integers ≥ 1): a value, a list or a range."""
    check = _check_lr if key == "lr" else _check_epochs
    if isinstance(value, dict):
        return _parse_range(label, key, value, check, problems)
    items = value if isinstance(value, list) else [value]
    if not items:
        problems.append(empty_list(label, key))
        return ()
    good: dict[int, float | int] = {}
    for i, item in enumerate(items):
        try:
            good[i] = check(item)
        except ValueError as e:
            problems.append(f"{label} {key} = {show(item)}: {e}")
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
    where = f"{label} {key} = {show(spec)}"
    before = len(problems)
    for k in spec:
        if k not in (*_RANGE_KINDS, "num"):
            hint = key_hint(k, [*_RANGE_KINDS, "num"], _RANGE_ALIASES)
            problems.append(f"{where}: unknown range key {k!r}{hint}; {_RANGE_HELP}")
    kinds = [k for k in _RANGE_KINDS if k in spec]
    if len(kinds) != 1:
        problems.append(f"{where}: needs exactly one of log or linear; {_RANGE_HELP}")
        return ()
    kind = kinds[0]
    ends, num = spec[kind], spec.get("num")
    misspelt = any(_RANGE_ALIASES.get(normal(k)) == "num" for k in spec)
    if (not isinstance(num, int) or isinstance(num, bool) or not 2 <= num <= MAX_RANGE_NUM) and (
            num is not None or not misspelt):
        got = "it is missing" if num is None else f"got {show(num)}"
        problems.append(f"{where}: num must be an integer from 2 to {MAX_RANGE_NUM} "
                        f"(the number of values, endpoints included); {got}")
    if not isinstance(ends, list) or len(ends) != 2:
        problems.append(f"{where}: {kind} must be two endpoints [low, high]")
    else:
        for end in ends:
            try:
                check(end)
            except ValueError as e:
                problems.append(f"{where}: endpoint {show(end)} {e}")
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


def _parse_seeds(label: str, value: object,
                 problems: list[str]) -> tuple[int, ...] | SeedRule | None:
    """A count N (seeds 0..N−1), a list of seeds, or an adaptive :class:`SeedRule`."""
    def is_int(x: object) -> bool:
        return isinstance(x, int) and not isinstance(x, bool)

    if is_int(value):
        if 1 <= value <= MAX_SEEDS:
            return tuple(range(value))
        problems.append(f"{label} seeds = {value!r}: must be from 1 to {MAX_SEEDS:,} "
                        f"(seeds = N runs seeds 0..N-1)")
        return None
    if isinstance(value, dict):
        try:
            return parse_seed_rule(value)
        except ChoiceError as e:
            problems.append(f"{label} {e.key} = {show(e.value)}: {e.problem}")
            return None
    if not isinstance(value, list):
        problems.append(f"{label} seeds = {show(value)}: must be a count N (seeds 0..N-1), "
                        "a list of distinct non-negative integers, or a table "
                        "{ first, max, half_width, decide } (adaptive seeds)")
        return None
    if not value:
        problems.append(f"{label} seeds = []: empty list; give at least one seed")
        return None
    if len(value) > MAX_SEEDS:
        problems.append(f"{label} seeds = {show(value)}: at most {MAX_SEEDS:,} seeds")
        return None
    good: dict[int, int] = {}
    for i, item in enumerate(value):
        try:
            good[i] = parse_seed(item)
        except ChoiceError as e:
            problems.append(f"{label} seeds = {show(item)}: {e.problem}")
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
        same = (f"{show(item)} appears twice" if repr(item) == repr(earlier) else
                f"{show(earlier)} and {show(item)} are the same value "
                f"{format_value(key, canonical)}")
        problems.append(f"{label} {key} = {show(value)}: {same}; list each value once")
    return tuple(dict.fromkeys(good.values())), ok


def common_seeds(seeds_of: list[tuple[str, str, object, tuple[int, ...] | SeedRule | None]],
                 problems: list[str]) -> tuple[int, ...] | SeedRule | None:
    """The seeds every sub-grid shares; one problem if sub-grids ask for different seeds.

    ``seeds_of`` holds, per sub-grid: its label, where its seeds come from, the raw
    value and the parsed seeds (None if invalid, already reported).
    """
    if not seeds_of or any(s is None for *_, s in seeds_of):
        return None
    if len({s for *_, s in seeds_of}) == 1:
        return seeds_of[0][3]
    settings = [f"{label} " + (f"seeds = {show(raw)}" if source == label else
                               f"has seeds = {show(raw)} from {source}")
                for label, source, raw, _ in seeds_of]
    problems.append(f"seeds differ between sub-grids ({'; '.join(settings)}); every sub-grid "
                    "of a sweep uses the same seeds, so set seeds once in [defaults]")
    return None


def combination_problems(subgrids: list[tuple[str, Mapping[str, tuple]]]) -> list[str]:
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


def _unknown_key(label: str, key: str, value: object) -> str:
    where = f"{label} {toml_key(key)} = {show(value)}"
    if key in TOP_KEYS:
        return (f"{where}: {key!r} is a top-level key; write it at the top of the file, "
                "before any [table]")
    return f"{where}: unknown key{key_hint(key, KEYS, ALIASES)}; allowed: {', '.join(KEYS)}"
