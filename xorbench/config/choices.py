"""Named choices with call-syntax parameters: ``"uniform(-1, 1)"``, ``"momentum(0.9)"``.

Every configurable axis (activation, init, optimizer, ...) is a :class:`Table` of
entries. An entry declares its parameters once (name, type, default, allowed
range); parsing, validation, canonical labels, CLI help and the tests all read
that declaration. Parsing is strict — a regular grammar, never ``eval``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from xorbench.errors import ChoiceError

# dashes inside name a bug (hidden-delta-index); a trailing + names a variant (rprop+)
_NAME = r"[A-Za-z_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\+?"
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_CALL = re.compile(rf"^\s*({_NAME})\s*(?:\(\s*(.*?)\s*\))?\s*$")
_NUMBER_RE = re.compile(rf"^{_NUMBER}$")


def format_number(x: float | int) -> str:
    """Shortest exact text for a number: ``1.0`` → ``"1"``, ``0.1`` → ``"0.1"``."""
    if isinstance(x, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(x, int):
        return str(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


@dataclass(frozen=True)
class Param:
    """One parameter of a table entry, with the constraint it must satisfy."""

    name: str
    kind: type = float  # float or int
    default: float | int | None = None  # None: required
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: value must be > low (else >= low)
    high_open: bool = False

    def describe(self) -> str:
        """The allowed range in words, for error messages."""
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {format_number(self.low)}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {format_number(self.high)}")
        kind = "an integer" if self.kind is int else "a number"
        return kind + (" " + " and ".join(parts) if parts else "")

    def check(self, value: float | int) -> str | None:
        """Why ``value`` is not allowed, or None."""
        if not math.isfinite(value):
            return f"must be {self.describe()}, not {value}"
        too_low = self.low is not None and (
            value <= self.low if self.low_open else value < self.low
        )
        too_high = self.high is not None and (
            value >= self.high if self.high_open else value > self.high
        )
        if too_low or too_high:
            return f"must be {self.describe()}"
        return None


@dataclass(frozen=True)
class Entry:
    """One named choice: its parameters and what it is (an implementation object)."""

    name: str
    params: tuple[Param, ...] = ()
    impl: Any = None
    doc: str = ""
    check: Callable[[tuple], str | None] | None = None  # cross-parameter constraint

    def signature(self) -> str:
        """How to write it: ``uniform(a,b)``, ``momentum(beta=0.9)``, ``xavier``."""
        if not self.params:
            return self.name
        inner = ",".join(
            p.name if p.default is None else f"{p.name}={format_number(p.default)}"
            for p in self.params
        )
        return f"{self.name}({inner})"


@dataclass(frozen=True, order=True)
class Choice:
    """A parsed choice: an entry name with all its parameter values filled in.

    ``label`` is the canonical text used in CSV columns and plots: every
    parameter written out, numbers in their shortest exact form, no spaces —
    so ``"uniform(-1, 1)"`` and ``"uniform(-1.0,1)"`` are the same choice.
    """

    name: str
    args: tuple = ()

    @property
    def label(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}({','.join(format_number(a) for a in self.args)})"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Table:
    """A name → entry table for one axis (``key`` is the grid key it serves)."""

    key: str
    entries: Mapping[str, Entry] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, *entries: Entry) -> Table:
        return cls(key, {e.name: e for e in entries})

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __getitem__(self, name: str) -> Entry:
        return self.entries[name]

    def allowed(self) -> str:
        """The allowed values as one line, e.g. ``sigmoid, tanh, leaky_relu(alpha=0.01)``."""
        return ", ".join(e.signature() for e in self.entries.values())

    def impl(self, choice: Choice) -> Any:
        return self.entries[choice.name].impl

    def parse(self, text: object) -> Choice:
        """Parse ``"name"`` or ``"name(arg, ...)"`` into a :class:`Choice`.

        Raises ChoiceError naming the key, the value, what is allowed and a
        did-you-mean for near misses.
        """
        if isinstance(text, Choice):
            text = text.label
        if not isinstance(text, str):
            raise ChoiceError(self.key, text, f"must be a string; allowed: {self.allowed()}")
        match = _CALL.match(text)
        if match is None:
            raise ChoiceError(
                self.key, text, f"is not of the form name or name(number, ...); "
                f"allowed: {self.allowed()}"
            )
        name, arg_text = match.group(1), match.group(2)
        entry = self.entries.get(name)
        if entry is None:
            hint = did_you_mean(name, self.entries)
            raise ChoiceError(
                self.key, text, f"unknown {self.key}{hint}; allowed: {self.allowed()}"
            )
        args = _parse_args(self.key, text, arg_text)
        if len(args) > len(entry.params):
            raise ChoiceError(
                self.key, text,
                f"takes {_count(len(entry.params), 'parameter')}, got {len(args)}; "
                f"write {entry.signature()}",
            )
        values = []
        for i, param in enumerate(entry.params):
            if i < len(args):
                raw = args[i]
            elif param.default is not None:
                raw = param.default
            else:
                raise ChoiceError(
                    self.key, text, f"needs its parameter {param.name}: write {entry.signature()}"
                )
            if param.kind is int:
                if float(raw) != int(float(raw)) or "." in str(raw) or "e" in str(raw).lower():
                    raise ChoiceError(
                        self.key, text, f"parameter {param.name} must be {param.describe()}"
                    )
                value: float | int = int(float(raw))
            else:
                value = float(raw)
            problem = param.check(value)
            if problem:
                raise ChoiceError(self.key, text, f"parameter {param.name} {problem}")
            values.append(value)
        if entry.check is not None:
            problem = entry.check(tuple(values))
            if problem:
                raise ChoiceError(self.key, text, problem)
        return Choice(name, tuple(values))


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _parse_args(key: str, text: str, arg_text: str | None) -> list[str]:
    if arg_text is None or arg_text == "":
        return []
    tokens = [t.strip() for t in arg_text.split(",")]
    for token in tokens:
        if not _NUMBER_RE.match(token):
            raise ChoiceError(key, text, f"parameter {token!r} is not a number")
    return tokens


def did_you_mean(name: str, known: Mapping[str, Any] | list[str]) -> str:
    """`` (did you mean 'sigmoid'?)`` for a near miss, else an empty string."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == name.lower()]
    return f" (did you mean {close[0]!r}?)" if close else ""
