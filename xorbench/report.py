"""The report of a sweep: ``report.md`` and a self-contained ``report.html``.

Both are rendered from one list of blocks (:func:`build_report`): the status
and run counts, findings in plain language generated from the data
(:func:`xorbench.analysis.findings.findings`), the leaderboard, the plots, "Does it help?"
(every axis's paired comparisons, :mod:`xorbench.analysis.effects`) and the grid. The HTML
embeds every image as base64 and loads nothing from outside, so it opens
offline and can be mailed as one file.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xorbench import analysis
from xorbench.analysis.findings import findings, target_name
from xorbench.analysis.text import duration_text, leaderboard_rows, rate_note, seeds_text
from xorbench.plots.catalogue import PLOTS
from xorbench.plots.data import PlotData, load_plot_data
from xorbench.plots.jobs import save_plots

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


# --- Training time ----------------------------------------------------------------------


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


def build_report(data: PlotData, manifest: dict, images: dict[str, Path],
                 plots_drawn: bool = True) -> list[Block]:
    """The report's blocks for one results folder (``images``: plot name → PNG file;
    ``plots_drawn=False``: the plots were skipped on purpose, and the report says so)."""
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
    effects = analysis.axis_effects(runs) if not runs.empty else []
    blocks.append(Block("heading", "Findings"))
    blocks.append(Block("bullets", items=findings(summary, runs, effects)))
    blocks.append(Block("heading", "Most reliable settings"))
    board = analysis.leaderboard(summary, top=10, largest_budget=True)
    if board.empty:
        blocks.append(Block("para", "No runs to rank."))
    else:
        header, rows = leaderboard_rows(board)
        blocks.append(Block("table", header=header, rows=rows))
        blocks.append(Block("para", f"Each setting at its largest epoch budget; "
                            f"{rate_note(summary).replace('rate: ', 'rate = ', 1)}."))
    blocks.append(Block("heading", "Plots"))
    if not plots_drawn:
        blocks.append(Block("note", "The plots were not drawn (--no-plots). Draw them and "
                            f"rewrite this report with: xorbench report {data.folder}"))
    tasks = summary["task"].unique() if not summary.empty else []
    task = target_name(str(tasks[0]))[0] if len(tasks) == 1 else "the task"
    for plot in PLOTS:  # in the catalogue's order, each under its heading
        title = plot.heading.format(task=task)
        if plot.name in images and plot.name != EFFECTS_PLOT:
            blocks.append(Block("heading", title, level=3))
            blocks.append(Block("image", title, path=images[plot.name]))
    blocks.extend(_does_it_help(effects, images))
    blocks.append(Block("heading", "The grid"))
    if grid is not None:
        rows = [[axis, ", ".join(_format(axis, v) for v in values)]
                for axis, values in grid.axes().items()]
        rows.append(["seeds", seeds_text(grid.seeds, grid.seed_rule)])
        blocks.append(Block("table", header=["axis", "values"], rows=rows))
    source = data.folder / "grid.toml"
    if source.is_file():
        blocks.append(Block("code", source.read_text()))
    return blocks


EFFECTS_PLOT = "effects"  # the catalogue's last plot, shown in "Does it help?" after the others


def _does_it_help(effects: Sequence[analysis.AxisEffects], images: dict[str, Path]
                  ) -> list[Block]:
    """Each axis's paired effects in words, and their forest plot."""
    if not effects:
        return []
    blocks = [Block("heading", "Does it help?"),
              Block("para", "Each value of an axis against its first value, with every other "
                    "setting equal, seed by seed: the same seeds ran on both sides, so a "
                    "seed's luck cancels. The difference of the rates (percentage points) has "
                    "Tango's 95 % interval for paired proportions; \"no detectable difference\" "
                    "where it holds 0, \"not significant\" where it excludes 0 but Holm's "
                    "adjusted McNemar p (over the axis's comparisons) is 0.05 or more. "
                    "Details per setting: xorbench compare DIR --axis AXIS.")]
    for item in effects:
        blocks.append(Block("heading", item.axis, level=3))
        blocks.append(Block("para", analysis.pairing_note(item.largest)))
        blocks.append(Block("bullets", items=analysis.effect_lines(item)))
    if EFFECTS_PLOT in images:
        blocks.append(Block("image", "Paired differences", path=images[EFFECTS_PLOT]))
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
        text += f" Trained in {duration_text(total)}"
        if n_sessions > 1:
            text += f" over {n_sessions} sessions (the last: {duration_text(last)})"
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


def write_report(folder: str | Path, data: PlotData | None = None, jobs: int = 1,
                 images: Sequence[Path] | None = None, plots: bool = True) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html``, with the plots: ``images`` (PNG files drawn
    already, e.g. by the sweep), else drawn now into ``plots/`` (``jobs`` processes at
    once); with ``plots=False``, none, and the report says how to add them.

    Raises :class:`xorbench.errors.ResultsError` when ``folder`` is not a results folder.
    Returns the two paths.
    """
    from xorbench.results.folder import ResultsDir, atomic_write_text

    folder = Path(folder)
    data = data if data is not None else load_plot_data(folder)
    manifest = ResultsDir(folder).read_manifest()
    if not plots:
        images = []
    elif images is None:
        images = save_plots(folder, data, fmt="png", jobs=jobs)
    drawn = {p.stem: p for p in images if p.suffix == ".png"}
    blocks = build_report(data, manifest, drawn, plots_drawn=plots)
    title = blocks[0].text
    md_path, html_path = folder / "report.md", folder / "report.html"
    atomic_write_text(md_path, to_markdown(blocks, lambda p: p.relative_to(folder).as_posix()))
    atomic_write_text(html_path, to_html(blocks, title))
    return md_path, html_path
