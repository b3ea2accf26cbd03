"""The report of a sweep: ``report.md`` and a self-contained ``report.html``.

Both are rendered from one list of blocks (:func:`build_report`): the status
and run counts, findings in plain language generated from the data
(:func:`findings`), the grid, the leaderboard and the six plots. The HTML
embeds every image as base64 and loads nothing from outside, so it opens
offline and can be mailed as one file.
"""

from __future__ import annotations

import base64
import html
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xorbench import analysis
from xorbench.diagnose import FAILURES, TWO_INPUT_NAMES
from xorbench.formatting import leaderboard_rows, percent, seeds_text
from xorbench.plotdata import PlotData, load_plot_data
from xorbench.plotjobs import save_plots
from xorbench.plotkit import at_largest_budget, config_axes, sparse_design, value_text
from xorbench.tasks import TASKS, make_task

# The plots in the order the report shows them, with a short heading each (the
# question each answers is its title, inside the image).
PLOT_SECTIONS = {
    "reliability": "Reliability map",
    "rate-vs-budget": "Convergence rate against the epoch budget",
    "ecdf": "Speed: when the successful runs solve {task}",
    "failures": "Failure modes",
    "curves": "Learning curves",
    "boundaries": "Decision boundaries",
}
FAILURE_MEANINGS = dict(FAILURES)
DIVERGED = "(nothing: diverged)"  # the learned "function" of a network with NaN outputs
# Findings list at most this many settings by name, then count the rest.
MAX_NAMED = 5


# --- Blocks --------------------------------------------------------------------------


@dataclass
class Block:
    """One piece of the report: heading, paragraph, bullets, table, code or image."""

    kind: str
    text: str = ""
    level: int = 2
    items: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    path: Path | None = None  # image file


# --- Findings ---------------------------------------------------------------------------


def target_name(task: str) -> tuple[str, str]:
    """(how the report names a task, the ``learned`` value of a network that solves it)."""
    spec = make_task(TASKS.parse(task))
    bits = "".join(str(int(t)) for t in spec.targets)
    learned = TWO_INPUT_NAMES.get(bits, bits) if len(bits) == 4 else bits
    return (learned if len(bits) == 4 else task), learned


def describe(row: pd.Series | dict, axes: Sequence[str]) -> str:
    """A setting in words: ``2-2-1 sigmoid with uniform(0,1) init at lr 0.5``.

    Architecture, activation and init always; the learning rate and any other
    axis only when it varies in the sweep (``axes``).
    """
    text = f"{row['arch']} {row['activation']} with {row['init']} init"
    if "lr" in axes:
        text += f" at lr {value_text('lr', row['lr'])}"
    others = [a for a in axes if a not in ("arch", "hidden", "activation", "init", "lr")]
    if others:
        text += " (" + ", ".join(f"{a} {value_text(a, row[a])}" for a in others) + ")"
    return text


def learned_shares(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration at its largest budget: each learned function's share of all seeds."""
    last = at_largest_budget(runs)
    learned = last["learned"].fillna("").astype(str).replace("", DIVERGED)
    counts = (last.assign(learned=learned)
              .groupby(["config_id", "learned"], sort=False).size().rename("n").reset_index())
    counts["share"] = counts["n"] / counts.groupby("config_id")["n"].transform("sum")
    return counts


def findings(summary: pd.DataFrame, runs: pd.DataFrame) -> list[str]:
    """Plain-language findings generated from the data, most important first.

    The most reliable settings, the settings that never work (or, if every
    setting works sometimes, the least reliable ones) with their dominant
    failure mode and what they learned instead, which wrong functions replace
    the target most often, the failure modes overall, how each axis moves the
    average rate, and what the extra epochs buy. Each setting at its largest
    budget, except for the last.
    """
    if summary.empty:
        return ["No run has finished yet."]
    board = at_largest_budget(summary)
    axes = config_axes(board)
    tasks = board["task"].unique()
    task, target = target_name(str(tasks[0])) if len(tasks) == 1 else ("the task", "")
    n = len(board)
    always, never = int((board["rate"] == 1).sum()), int((board["rate"] == 0).sum())
    text = f"Of the {n} setting{'s' * (n != 1)} in this sweep ({_budget_words(board)}), "
    text += (f"{always} solve{'s' * (always == 1)} {task} in every seed" if always
             else f"none solves {task} in every seed")
    text += (f" and {never} in no seed at all." if never else
             "; every setting solves it in at least one seed.")
    out = [text]
    design = sparse_design(summary)
    name = _sparse_namer(design) if design else (lambda row: describe(row, axes))
    out.append(_most_reliable(board, name, task))
    shares = learned_shares(runs)
    named, lines = _least_reliable(board, shares, axes, name, task, target, design)
    out.extend(lines)
    out.extend(_learned_instead(board, shares, name, task, target, skip=named))
    out.extend(_failure_overview(board))
    # a union of sub-grids: averages over "the other axes" would mix different settings
    out.extend(_changes(summary, design) if design else _axis_effects(board, axes))
    budgets = _budget_effect(summary)
    if budgets:
        out.append(budgets)
    return out


def _ranked(board: pd.DataFrame) -> pd.DataFrame:
    """Settings best first: rate, then the interval's lower end, then speed."""
    return analysis.natural_sort(board, ["rate", "ci_low", "median_epoch_solved",
                                         *analysis.CONFIG_AXES], descending=("rate", "ci_low"))


def _most_reliable(board: pd.DataFrame, name: Callable[[dict], str], task: str) -> str:
    ranked = _ranked(board)
    if ranked["rate"].iloc[0] == 0:
        return f"No setting ever solved {task}."

    def speed(row: dict) -> str:
        epoch = row["median_epoch_solved"]
        return f"half of its solved runs by epoch {epoch:g}" if pd.notna(epoch) else ""

    perfect = ranked[ranked["rate"] == 1]
    if len(perfect) > 1:
        parts = [f"{name(r)} ({speed(r)})"
                 for r in perfect.head(3).to_dict(orient="records")]
        return (f"The fastest of the {len(perfect)} that always solve it: "
                + "; ".join(parts) + ".")
    parts = []
    for row in ranked.head(3).to_dict(orient="records"):
        if row["rate"] == 0:
            break
        when = f", {speed(row)}" if speed(row) else ""
        parts.append(f"{name(row)}: {percent(row['rate'])} of {row['n_runs']} seeds "
                     f"(95 % CI {percent(row['ci_low'])}–{percent(row['ci_high'])}{when})")
    return "Most reliable: " + "; ".join(parts) + "."


def _budget_words(board: pd.DataFrame) -> str:
    budgets = board["epochs"].unique()
    if len(budgets) == 1:
        return f"within {int(budgets[0])} epochs"
    return f"each at its largest budget, {int(budgets.min())}–{int(budgets.max())} epochs"


def _least_reliable(board: pd.DataFrame, shares: pd.DataFrame, axes: list[str],
                    name: Callable[[dict], str], task: str, target: str,
                    design: tuple | None = None) -> tuple[set[str], list[str]]:
    """Sentences on the settings that never work (else the 3 least reliable ones).

    Returns the config_ids named, and the sentences: each setting's dominant
    failure mode with its meaning and its most common learned function.
    """
    never = analysis.natural_sort(board[board["rate"] == 0], analysis.CONFIG_AXES)
    if never.empty:
        chosen = _ranked(board).iloc[::-1].head(3)
        chosen = chosen[chosen["rate"] < 1]
    else:
        chosen = never.head(MAX_NAMED)
    labels = [label for label, _ in FAILURES if label != "none"]
    lines = []
    for row in chosen.to_dict(orient="records"):
        counts = np.array([row[f"n_{label}"] for label in labels])
        main = labels[int(counts.argmax())]
        verdict = (f"never solves {task}" if row["rate"] == 0 else
                   f"solves {task} in only {percent(row['rate'])} of seeds")
        text = (f"{name(row)} {verdict}: {percent(counts.max() / row['n_runs'])} of "
                f"its seeds end {main}")
        wrong = shares[(shares["config_id"] == row["config_id"])
                       & (shares["learned"] != target)].sort_values(
            ["n", "learned"], ascending=[False, True])
        if not wrong.empty and wrong["learned"].iloc[0] != DIVERGED:
            text += (f"; the most common wrong answer is {wrong['learned'].iloc[0]} "
                     f"({percent(wrong['share'].iloc[0])} of seeds)")
        lines.append(text + ".")
    if len(never) > MAX_NAMED:
        lines.append(f"… and {len(never) - MAX_NAMED} more settings that never solve {task}.")
    shared = [f"{a} {value_text(a, never[a].iloc[0])}" for a in axes
              if len(never) > 1 and never[a].nunique() == 1
              and (design is None or a == design[0]
                   or value_text(a, never[a].iloc[0]) != design[2].values.get(a))]
    if shared:
        lines.append(f"Every setting that never works has {' and '.join(shared)}.")
    return set(chosen["config_id"]), lines


def _learned_instead(board: pd.DataFrame, shares: pd.DataFrame, name: Callable[[dict], str],
                     task: str, target: str, skip: set[str] = frozenset()) -> list[str]:
    """The settings where one wrong function takes the largest share of the seeds."""
    wrong = shares[(shares["learned"] != target) & (shares["learned"] != DIVERGED)
                   & ~shares["config_id"].isin(skip)]
    if wrong.empty or not target:
        return []
    wrong = wrong.sort_values(["share", "config_id", "learned"],
                              ascending=[False, True, True]).drop_duplicates("config_id")
    wrong = wrong[wrong["share"] >= 0.2].head(3)
    by_id = board.set_index("config_id")
    lines = []
    for item in wrong.to_dict(orient="records"):
        row = by_id.loc[item["config_id"]].to_dict()
        lines.append(f"{name(row)} learns {item['learned']} instead of {task} "
                     f"in {percent(item['share'])} of seeds.")
    return lines


def _sparse_namer(design: tuple) -> Callable[[dict], str]:
    """Names of a sparse sweep's settings: ``2-2-1 with init = xavier``, ``2-8-1 (baseline)``."""
    column, row_axes, baseline = design

    def name(row: dict) -> str:
        label = baseline.label(row, row_axes)
        change = "(baseline)" if label == "baseline" else f"with {label}"
        return f"{value_text(column, row[column])} {change}" if column else change

    return name


def _changes(summary: pd.DataFrame, design: tuple, n: int = 4) -> list[str]:
    """Each change of a sparse sweep against the baseline, with the same architecture.

    The ``n`` changes that raise the rate most (averaged over the architectures
    where both ran) and the ``n`` that lower it most, each with its rates.
    """
    column, row_axes, baseline = design
    data = summary if "epochs" in row_axes else at_largest_budget(summary)
    labels = [baseline.label(row, row_axes) for row in data[row_axes].to_dict("records")]
    data = data.assign(_label=labels, _col=data[column].astype(str) if column else "")
    base = data[data["_label"] == "baseline"].set_index("_col")["rate"]
    if base.empty:
        return []
    effects = []
    for label, part in data[data["_label"] != "baseline"].groupby("_label", sort=False):
        part = part[part["_col"].isin(base.index)]
        if part.empty:
            continue
        pairs = [(c, base[c], r) for c, r in zip(part["_col"], part["rate"], strict=True)]
        pairs = [pairs[i] for i in analysis.natural_ranks(pd.Series([p[0] for p in pairs]))
                 .argsort()]
        effects.append((float(np.mean([r - b for _, b, r in pairs])), label, pairs))
    if not effects:
        return []
    effects.sort(key=lambda e: (-e[0], e[1]))

    def text(effect) -> str:
        _, label, pairs = effect
        rates = ", ".join(f"{c + ' ' if column else ''}{percent(b)} → {percent(r)}"
                          for c, b, r in pairs)
        return f"{label} ({rates})"

    up = [e for e in effects if e[0] > 0][:n]
    down = [e for e in reversed(effects) if e[0] < 0][:n]
    where = f"with the same {column}, " if column else ""
    out = []
    if up:
        out.append(f"The changes from the baseline ({baseline.describe()}) that help most, "
                   f"{where}baseline rate → changed rate: " + "; ".join(map(text, up)) + ".")
    if down:
        out.append("The changes that hurt most: " + "; ".join(map(text, down)) + ".")
    return out


def _failure_overview(board: pd.DataFrame) -> list[str]:
    labels = [label for label, _ in FAILURES if label != "none"]
    counts = {label: int(board[f"n_{label}"].sum()) for label in labels}
    total = sum(counts.values())
    if total == 0:
        return []
    parts = [f"{label} {percent(c / total)} — {FAILURE_MEANINGS[label]}"
             for label, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c]
    return [f"Why runs fail: of the {total:,} unsolved runs, " + "; ".join(parts) + "."]


def _axis_effects(board: pd.DataFrame, axes: list[str]) -> list[str]:
    """The average rate per value of each varying axis (over the other axes)."""
    if len(axes) < 2 or board["rate"].max() == 0:
        return []
    lines = []
    for axis in axes:
        means = board.groupby(axis, sort=False)["rate"].mean()
        means = means.iloc[analysis.natural_ranks(pd.Series(means.index)).argsort()]
        spread = means.max() - means.min()
        parts = ", ".join(f"{value_text(axis, v)} {percent(r)}" for v, r in means.items())
        lines.append((f"{axis}: {parts}", spread))
    lines.sort(key=lambda item: -item[1])
    text = "; ".join(item[0] for item in lines)
    return [f"Average rate per value, over the other axes (largest effect first) — {text}."]


def _budget_effect(summary: pd.DataFrame) -> str:
    """What more epochs buy, comparing each setting with itself (paired).

    When every setting was trained at the same budgets, the average rate at each;
    otherwise, for each pair of consecutive budgets of a setting (10 → 100), the
    average over the settings trained at both.
    """
    budgets = sorted(summary["epochs"].unique())
    if len(budgets) < 2 or summary["rate"].max() == 0:
        return ""
    sets = summary.groupby("config_id")["epochs"].agg(lambda e: tuple(sorted(set(e))))
    n = len(sets)
    if sets.nunique() == 1:
        means = summary.groupby("epochs")["rate"].mean()
        parts = ", ".join(f"{percent(means[b])} at {int(b)}" for b in budgets)
        return (f"Longer training: the average rate over all {n} setting{'s' * (n != 1)} is "
                f"{parts} epochs.")
    rate = summary.set_index(["config_id", "epochs"])["rate"]
    pairs: dict[tuple[int, int], list[str]] = {}
    for config_id, own in sets.items():
        for low, high in itertools.pairwise(own):
            pairs.setdefault((int(low), int(high)), []).append(config_id)
    if not pairs:
        return ""
    parts = []
    for (low, high), ids in sorted(pairs.items()):
        before = np.mean([rate[(c, low)] for c in ids])
        after = np.mean([rate[(c, high)] for c in ids])
        parts.append(f"{low} → {high} epochs: {percent(before)} → {percent(after)} "
                     f"({len(ids)} setting{'s' * (len(ids) != 1)})")
    return ("Longer training, each setting against itself at its next budget (average rate "
            "over the settings trained at both): " + "; ".join(parts) + ".")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def training_time(manifest: dict) -> tuple[float, int, float] | None:
    """(seconds over all sessions, number of sessions, seconds of the last one), or None.

    A session runs from a ``start`` or ``resume`` event to its ``complete`` event
    (which records its seconds) or ``stop`` event (timed from the event times).
    A manifest without events falls back on its ``seconds``.
    """
    from datetime import datetime

    sessions: list[float] = []
    began = None
    for event in manifest.get("events", []):
        kind = event.get("event")
        if kind in ("start", "resume"):
            began = event.get("time")
        elif kind == "complete" and event.get("seconds") is not None:
            sessions.append(float(event["seconds"]))
            began = None
        elif kind == "stop" and began and event.get("time"):
            try:
                span = (datetime.fromisoformat(event["time"])
                        - datetime.fromisoformat(began)).total_seconds()
            except ValueError:
                span = None
            if span is not None:
                sessions.append(max(0.0, span))
            began = None
    if not sessions:
        seconds = manifest.get("seconds")
        return (float(seconds), 1, float(seconds)) if seconds else None
    return sum(sessions), len(sessions), sessions[-1]


# --- The report ----------------------------------------------------------------------------


def build_report(data: PlotData, manifest: dict, images: dict[str, Path]) -> list[Block]:
    """The report's blocks for one results folder (``images``: plot name → PNG file)."""
    summary, runs = data.summary, data.runs
    name = manifest.get("sweep") or data.folder.name
    grid = _grid(data.folder)
    blocks = [Block("heading", f"xorbench report: {name}", level=1)]
    if grid is not None and grid.description:
        blocks.append(Block("para", grid.description))
    blocks.append(Block("para", _status(data, manifest)))
    if data.partial:
        blocks.append(Block("note", f"Partial sweep: {len(runs):,} of {data.n_total:,} runs "
                            "are done. Rates, plots and findings cover the finished runs only; "
                            "rerun the sweep command to finish it."))
    blocks.append(Block("heading", "Findings"))
    blocks.append(Block("bullets", items=findings(summary, runs)))
    blocks.append(Block("heading", "Most reliable settings"))
    board = analysis.leaderboard(summary, top=10, largest_budget=True)
    if board.empty:
        blocks.append(Block("para", "No runs to rank."))
    else:
        header, rows = leaderboard_rows(board)
        blocks.append(Block("table", header=header, rows=rows))
        blocks.append(Block("para", "Each setting at its largest epoch budget; rate = share of "
                            "seeds solved, with its Wilson 95 % interval."))
    blocks.append(Block("heading", "Plots"))
    tasks = summary["task"].unique() if not summary.empty else []
    task = target_name(str(tasks[0]))[0] if len(tasks) == 1 else "the task"
    for key, question in PLOT_SECTIONS.items():
        title = question.format(task=task)
        if key in images:
            blocks.append(Block("heading", title, level=3))
            blocks.append(Block("image", title, path=images[key]))
    blocks.append(Block("heading", "The grid"))
    if grid is not None:
        rows = [[axis, ", ".join(_format(axis, v) for v in values)]
                for axis, values in grid.axes().items()]
        rows.append(["seeds", seeds_text(grid.seeds)])
        blocks.append(Block("table", header=["axis", "values"], rows=rows))
    source = data.folder / "grid.toml"
    if source.is_file():
        blocks.append(Block("code", source.read_text()))
    return blocks


def _status(data: PlotData, manifest: dict) -> str:
    summary = data.summary
    n_configs = summary["config_id"].nunique() if not summary.empty else 0
    budgets = sorted(summary["epochs"].unique()) if not summary.empty else []
    seeds = data.runs["seed"].nunique() if not data.runs.empty else 0
    status = manifest.get("status", "unknown")
    end = next((e.get("time") for e in reversed(manifest.get("events", []))
                if e.get("event") in ("complete", "stop")), None)
    version = manifest.get("versions", {}).get("xorbench", "?")
    text = (f"{len(data.runs):,} of {data.n_total:,} runs done ({status}): {n_configs} "
            f"configurations × {seeds} seeds × {len(budgets)} epoch budget"
            f"{'s' * (len(budgets) != 1)} ({', '.join(str(int(b)) for b in budgets)}).")
    timing = training_time(manifest)
    if timing:
        total, n_sessions, last = timing
        text += f" Trained in {_duration(total)}"
        if n_sessions > 1:
            text += f" over {n_sessions} sessions (the last: {_duration(last)})"
        text += f" on {manifest['host']}" if manifest.get("host") else ""
        text += "."
    if end:
        text += f" Last event: {end}."
    return text + f" xorbench {version}."


def _grid(folder: Path):
    from xorbench.errors import XorbenchError
    from xorbench.grid import load_grid

    try:
        return load_grid(folder / "grid.toml")
    except (XorbenchError, OSError):
        return None


def _format(axis: str, value: object) -> str:
    from xorbench.grid import format_value

    return format_value(axis, value)


# --- Rendering --------------------------------------------------------------------------


def to_markdown(blocks: Sequence[Block], image_src: Callable[[Path], str]) -> str:
    """Markdown text of the blocks; ``image_src`` turns an image path into its link."""
    out = []
    for b in blocks:
        if b.kind == "heading":
            out.append(f"{'#' * b.level} {b.text}")
        elif b.kind == "para":
            out.append(b.text)
        elif b.kind == "note":
            out.append(f"> **{b.text}**")
        elif b.kind == "bullets":
            out.append("\n".join(f"- {item}" for item in b.items))
        elif b.kind == "table":
            def cell(text: str) -> str:
                return str(text).replace("|", "\\|")
            lines = ["| " + " | ".join(cell(h) for h in b.header) + " |",
                     "|" + "|".join("---" for _ in b.header) + "|"]
            lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
        elif b.kind == "code":
            out.append(f"```toml\n{b.text.rstrip()}\n```")
        elif b.kind == "image":
            out.append(f"![{b.text}]({image_src(b.path)})")
    return "\n\n".join(out) + "\n"


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 1150px; padding: 0 1rem; color: #222; line-height: 1.5; }
h1 { font-size: 1.7rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f3f3f3; }
img { max-width: 100%; height: auto; display: block; margin: 0.5rem 0 1.5rem; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
.note { background: #fff4d6; border-left: 4px solid #E69F00; padding: 0.6rem 1rem; }
li { margin: 0.3rem 0; }
"""


def to_html(blocks: Sequence[Block], title: str) -> str:
    """A self-contained HTML page: inline CSS, every image embedded as base64 PNG."""
    esc = html.escape
    body = []
    for b in blocks:
        if b.kind == "heading":
            body.append(f"<h{b.level}>{esc(b.text)}</h{b.level}>")
        elif b.kind == "para":
            body.append(f"<p>{esc(b.text)}</p>")
        elif b.kind == "note":
            body.append(f'<p class="note"><strong>{esc(b.text)}</strong></p>')
        elif b.kind == "bullets":
            items = "".join(f"<li>{esc(item)}</li>" for item in b.items)
            body.append(f"<ul>{items}</ul>")
        elif b.kind == "table":
            head = "".join(f"<th>{esc(str(h))}</th>" for h in b.header)
            rows = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>"
                           for row in b.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif b.kind == "code":
            body.append(f"<pre><code>{esc(b.text)}</code></pre>")
        elif b.kind == "image":
            data = base64.b64encode(b.path.read_bytes()).decode("ascii")
            body.append(f'<img alt="{esc(b.text)}" src="data:image/png;base64,{data}">')
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def write_report(folder: str | Path, data: PlotData | None = None,
                 jobs: int = 1) -> tuple[Path, Path]:
    """Draw the plots (PNG, into ``plots/``; ``jobs`` processes at once) and write
    ``report.md`` and ``report.html``.

    Raises :class:`xorbench.errors.ResultsError` when ``folder`` is not a results folder.
    Returns the two paths.
    """
    from xorbench.store import ResultsDir, atomic_write_text

    folder = Path(folder)
    data = data if data is not None else load_plot_data(folder)
    manifest = ResultsDir(folder).read_manifest()
    images = {p.stem: p for p in save_plots(folder, data, fmt="png", jobs=jobs)}
    blocks = build_report(data, manifest, images)
    title = blocks[0].text
    md_path, html_path = folder / "report.md", folder / "report.html"
    atomic_write_text(md_path, to_markdown(blocks, lambda p: p.relative_to(folder).as_posix()))
    atomic_write_text(html_path, to_html(blocks, title))
    return md_path, html_path
