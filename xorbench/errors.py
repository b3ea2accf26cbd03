"""The project's user-error family: what the CLI turns into one line and exit code 1."""

from __future__ import annotations


class XorbenchError(Exception):
    """A problem with what the user asked for (not a bug): shown as one line, exit 1."""


class ChoiceError(XorbenchError, ValueError):
    """A value that is not one of a key's allowed choices."""

    def __init__(self, key: str, value: object, problem: str):
        self.key = key
        self.value = value
        self.problem = problem
        # a command-line flag reads as it was typed, a grid key as the file writes it
        shown = f"{key} {value}" if key.startswith("--") else f"{key} = {value!r}"
        super().__init__(f"{shown}: {problem}")


class GridError(XorbenchError):
    """Every problem found in one grid file, reported together."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


class ResultsError(XorbenchError):
    """A folder that is not (or not a usable) xorbench results folder."""


class LockedError(ResultsError):
    """Another sweep is writing the folder."""
