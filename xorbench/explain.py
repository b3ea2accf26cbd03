"""``explain``: which bug reproduces a learner's printout? Train the setup every way, compare.

A learner's network printed, say, ``0.253 0.793 0.793 0.793`` for XOR. This trains the
same setup correctly and with every training bug of :data:`xorbench.config.bugs.TRAINING_BUGS`
over many seeds, and measures for each how close its runs come to the printout; the
printing bugs (:data:`~xorbench.config.bugs.PRINTING_BUGS`) are applied to correct
training's outputs. Candidates are ranked by the share of seeds within ``tolerance`` of
the printout at every input, then by the share with the printout's tie pattern and
learned function, then by the nearest run's distance. Feasibility checks say what any
network of the shape could print at all. The verdict says only what was measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xorbench.analysis import printouts as pr
from xorbench.config import RunConfig, config_problems, make_config
from xorbench.config.bugs import PRINTING_BUGS, TRAINING_BUGS, bug_of
from xorbench.config.tasks import make_task
from xorbench.errors import XorbenchError

DEFAULT_SEEDS = 500
STILL_LEARNED = ("and", "or")  # tasks a bug may still solve while it fails XOR


@dataclass
class Candidate:
    """One way of training (or printing) measured against the printout."""

    name: str  # a bug's name, or "none" (correct training)
    kind: str  # "training" or "printing"
    seeds: int
    rate: float  # share of seeds solving the task (correct printing: the run's own)
    within: int  # seeds whose printout is within tolerance at every input
    shape: int  # seeds with the printout's ties and learned function
    nearest: float  # the smallest max |Δ| of any seed
    nearest_seed: int
    nearest_outputs: tuple[float, ...]
    still: dict[str, float] = field(default_factory=dict)  # AND / OR rates
    note: str = ""

    def row(self) -> dict:
        return {"candidate": self.name, "kind": self.kind, "seeds": self.seeds,
                "rate": self.rate, **{f"rate_{t}": r for t, r in self.still.items()},
                "within": self.within, "shape": self.shape, "nearest": self.nearest,
                "nearest_seed": self.nearest_seed,
                "nearest_outputs": list(self.nearest_outputs), "note": self.note}


@dataclass
class Explanation:
    """The printout, every candidate ranked, the feasibility checks and the verdict."""

    config: RunConfig
    printout: pr.Printout
    tolerance: float
    candidates: list[Candidate]  # ranked, best first
    skipped: dict[str, str]  # bug → why it was not trained
    checks: list[str]
    verdict: str
    legacy: Replay | None = None  # the learner's own seed, replayed

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([c.row() for c in self.candidates])

    def to_dict(self) -> dict:
        return {"setup": {k: str(v) for k, v in self.config.labels().items()},
                "printout": {n: float(v) for n, v in zip(self.printout.names,
                                                         self.printout.values, strict=True)},
                "order": list(self.printout.printed_names), "tolerance": self.tolerance,
                "ties": pr.ties(self.printout.values, self.printout.names),
                "learned": pr.function_of(self.printout.values),
                "candidates": [c.row() for c in self.candidates], "skipped": self.skipped,
                "checks": self.checks, "verdict": self.verdict,
                "legacy": None if self.legacy is None else self.legacy.to_dict()}


def explain(config: RunConfig, outputs, order=None, seeds: int = DEFAULT_SEEDS,
            epochs: int = 1000, tolerance: float = pr.TOLERANCE,
            keys: tuple[str, str, str] = ("outputs", "order", "tolerance"),
            legacy_seed: int | None = None) -> Explanation:
    """Train ``config`` correctly and with every bug on seeds 0..seeds−1 and rank how
    each reproduces the printout ``outputs`` (printed in ``order``; default: the task's
    own pattern order). XorbenchError for a bad printout, order or tolerance, naming it
    by ``keys`` (the CLI's flags, or the arguments' names). ``legacy_seed`` N also
    replays the learner's own seed (:func:`replay`)."""
    from xorbench.engine.trial import train

    task = make_task(config.task)
    if not 0 < tolerance < 1:
        raise XorbenchError(f"{keys[2]} = {tolerance:g}: allowed a number between 0 and 1")
    printout = pr.make_printout(outputs, task.pattern_names, order, keys[:2])
    if legacy_seed is not None:
        check_legacy_seed(legacy_seed, "--legacy-seed" if keys[0].startswith("--") else
                          "legacy_seed")
    trained, skipped = {}, {}
    for bug in TRAINING_BUGS:
        why = why_not(config, bug.name)
        if why:
            skipped[bug.name] = why
            continue
        runs = train(make_config(_raw(config, bug=bug.name)), range(seeds), epochs)
        still = {}
        for other in STILL_LEARNED:
            if other != config.task.name:
                done = train(make_config(_raw(config, bug=bug.name, task=other)), range(seeds),
                             epochs)
                still[other] = float(done["solved"].mean())
        trained[bug.name] = Trained(_outputs(runs, task.pattern_names),
                                    float(runs["solved"].mean()), still)
    result = rank(config, printout, trained, skipped, tolerance)
    if legacy_seed is not None:
        result.legacy = replay(config, printout, legacy_seed, epochs, list(trained), tolerance)
    return result


def check_legacy_seed(seed: int, key: str = "legacy_seed") -> None:
    """XorbenchError unless ``seed`` is one np.random.seed takes."""
    if not 0 <= seed < 2**32:
        raise XorbenchError(f"{key} = {seed}: allowed 0 to 2**32 - 1, as np.random.seed takes")


@dataclass
class Replay:
    """Each way of training started from a learner's own initial weights: ``np.random.seed(N)``,
    then ``np.random.rand`` per layer, biases then weights (the posted order)."""

    seed: int
    outputs: dict[str, tuple[float, ...]]  # bug → final outputs, pattern order
    distance: dict[str, float]  # bug → max |Δ| to the printout
    tolerance: float

    def to_dict(self) -> dict:
        return {"seed": self.seed, "tolerance": self.tolerance,
                "runs": {b: {"outputs": list(y), "max_abs_diff": self.distance[b],
                             "within": self.distance[b] < self.tolerance}
                         for b, y in self.outputs.items()}}


def replay(config: RunConfig, printout: pr.Printout, seed: int, epochs: int,
           bugs: list[str], tolerance: float = pr.TOLERANCE) -> Replay:
    """Train one network per bug from the learner's own initial weights for ``seed`` (the
    weights only: the patterns are still drawn from xorbench's stream of ``seed``, not
    from the learner's ``np.random`` calls). Every bug, ``none`` too, goes through the
    plain loop (which gives the kernel's numbers for ``none``)."""
    from xorbench.config import Member, Setup
    from xorbench.engine.plain import train_plain
    from xorbench.engine.streams import legacy_params

    check_legacy_seed(seed)
    outputs, distance = {}, {}
    for bug in bugs:
        cfg = make_config(_raw(config, bug=bug))
        setup = Setup.of(cfg)
        theta = legacy_params(setup.widths, seed)[:, None]
        result = train_plain(setup, [Member.of(cfg, seed)], [epochs], theta=theta)
        y = np.asarray(result.outputs[0][:, 0], np.float64)
        outputs[bug] = tuple(float(v) for v in y)
        distance[bug] = float(np.abs(y - printout.values).max())
    return Replay(seed, outputs, distance, tolerance)


@dataclass
class Trained:
    """One way of training, measured: final outputs (S, P) of seeds 0..S−1 in pattern
    order, the share solving the task, and the shares solving the other tasks."""

    outputs: np.ndarray
    rate: float
    still: dict[str, float]


def why_not(config: RunConfig, bug: str) -> str:
    """Why ``bug`` is not trained for ``config`` ("" if it is)."""
    problems = config_problems(_raw(config, bug=bug))
    if problems:
        return str(problems[0]).split(": ", 1)[-1]
    if bug_of(bug).hidden_only and not config.hidden:
        return "touches only hidden layers: without one it trains correctly"
    return ""


def rank(config: RunConfig, printout: pr.Printout, trained: dict[str, Trained],
         skipped: dict[str, str], tolerance: float = pr.TOLERANCE) -> Explanation:
    """Every trained way and, on correct training's outputs, every printing bug measured
    against ``printout`` and ranked; the checks and the verdict."""
    candidates, skipped = [], dict(skipped)
    for name, t in trained.items():
        candidates.append(_measure(name, "training", t.outputs[None], printout, tolerance,
                                   t.rate, t.still))
    correct = trained.get("none")
    for bug in PRINTING_BUGS if correct is not None else ():
        views = pr.views(correct.outputs, bug.name, printout.order[-1])
        if views.shape[0] == 0:
            skipped[bug.name] = "too many patterns to try every row order"
            continue
        candidates.append(_measure(bug.name, "printing", views, printout, tolerance,
                                   correct.rate, {}, note="applied to correct training's outputs"))
    candidates.sort(key=lambda c: (-c.within, -c.shape, c.nearest))
    n_seeds = max((c.seeds for c in candidates), default=0)
    return Explanation(config, printout, tolerance, candidates, skipped,
                       feasibility(config, printout),
                       verdict(candidates, printout, tolerance, n_seeds))


def _raw(config: RunConfig, **changes: object) -> dict:
    """``config``'s raw values with ``changes``: what make_config takes."""
    return {**config.labels(), "hidden": list(config.hidden), **changes}


def _outputs(runs: pd.DataFrame, names) -> np.ndarray:
    return runs[[f"y_{n}" for n in names]].to_numpy(np.float64)


def _measure(name: str, kind: str, views: np.ndarray, printout: pr.Printout, tol: float,
             rate: float, still: dict, note: str = "") -> Candidate:
    """Distances of every view (V, S, P) to the printout; a seed counts once, at its
    nearest view."""
    dist = np.abs(views - printout.values).max(axis=2)  # (V, S)
    best_view = dist.argmin(axis=0)  # (S,)
    seeds = np.arange(views.shape[1])
    best = dist[best_view, seeds]
    shown = views[best_view, seeds]  # (S, P)
    shape, function = pr.ties(printout.values, printout.names), pr.function_of(printout.values)
    same_shape = sum(pr.ties(y, printout.names) == shape and pr.function_of(y) == function
                     for y in shown)
    s = int(np.nanargmin(best)) if np.isfinite(best).any() else 0
    return Candidate(name, kind, views.shape[1], rate, int((best < tol).sum()), int(same_shape),
                     float(best[s]), s, tuple(float(v) for v in shown[s]), still, note)


def feasibility(config: RunConfig, printout: pr.Printout) -> list[str]:
    """What a network of this shape could print at all, in sentences."""
    checks = []
    values, names = printout.values, printout.names
    shape = pr.ties(values, names)
    if pr.all_tied(shape):
        checks.append("every output is the same (within 0.01): the network ignores its input, "
                      "or every row shows one output (aliased-output: collected by reference)")
    if len(names) == 4 and not config.hidden:
        if pr.monotone(values)[0]:
            checks.append("one sigmoid unit can print this (it is monotone in each input)")
        else:
            relabel = pr.reorder_making_monotone(printout)
            rows = ("; labelled " + ",".join(relabel) + " it could (row-order)") if relabel \
                else "; no order of the rows makes it possible"
            checks.append("no single sigmoid unit can print this: it is not monotone in "
                          f"each input{rows}")
    return checks


def verdict(candidates: list[Candidate], printout: pr.Printout, tol: float, seeds: int) -> str:
    """The ranking in words: what reproduced the printout, how often, and what to check —
    never more than was measured."""
    if not candidates:
        return "nothing could be trained for this setup"
    by_name = {c.name: c for c in candidates}
    correct = by_name.get("none")
    best = candidates[0]
    tol_text = f"{tol:g}"
    correct_text = ("never by correct training" if correct is not None and correct.within == 0
                    else f"correct training in {correct.within} of {correct.seeds}"
                    if correct is not None else "correct training not measured")
    if best.within > 0:
        if best.name == "none":
            return (f"correct training reproduces it within {tol_text} in {best.within} of "
                    f"{best.seeds} seeds: a bad seed is enough to explain it; no bug is needed")
        how = (" (printed in the closest of every other row order, per seed)"
               if best.name == "row-order" else " (every row the last output)"
               if best.name == "aliased-output" else "")
        head = (f"reproduced within {tol_text} by {best.name}{how} in {best.within} of "
                f"{best.seeds} seeds, {correct_text}: {bug_of(best.name).check}")
        if correct is not None and correct.within >= best.within / 2:
            head += " — but correct training comes close: this does not single out the bug"
        close = [c for c in candidates[1:] if c.name != "none" and c.within >= best.within / 2]
        if close:
            also = ", ".join(f"{c.name} ({c.within} of {c.seeds})" for c in close)
            head += f"; as often or nearly: {also} — the printout alone does not single out one"
        return head
    if best.shape > 0 and best.name != "none" and (correct is None or best.shape > correct.shape):
        n_correct = 0 if correct is None else correct.shape
        return (f"no run comes within {tol_text} of the printout, but {best.name} ends in its "
                f"shape ({pr.ties(printout.values, printout.names)}, "
                f"{pr.function_of(printout.values)}) in {best.shape} of {best.seeds} seeds "
                f"against {n_correct} for correct training: a likely suspect, not a proof — "
                f"{bug_of(best.name).check}")
    return (f"no candidate reproduces the printout within {tol_text} or singles out its shape "
            f"(nearest: {best.name}, {best.nearest:.3f} away): the catalogue does not explain it")
