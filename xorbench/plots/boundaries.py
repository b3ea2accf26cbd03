"""Decision boundaries: what a trained network computes over the unit square.

The forward pass is rebuilt here in a few lines of NumPy from a run's stored
final parameters θ (nothing is trained): layer l's weights and bias are the
rows of a (fan_in + 1, fan_out) block of θ, bias last, as in the engine. The
gallery shows solved networks next to the common ways of failing, so "it
learned OR instead of XOR" becomes a picture.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from xorbench import analysis
from xorbench.analysis.design import at_largest_budget, config_axes, task_name
from xorbench.config.activations import ACTIVATIONS, OUTPUTS, make_activation
from xorbench.config.tasks import TASKS, make_task
from xorbench.engine.functions import forward
from xorbench.engine.layout import layer_views, n_params
from xorbench.plots.data import PlotData, read_params
from xorbench.plots.kit import add_titles, plot_namer, quiet_layout, wrap_parts
from xorbench.schema import UNDECIDED, UNDECIDED_MARGIN


def network_output(theta: np.ndarray, arch: str, activation: str, output: str,
                   points: np.ndarray) -> np.ndarray:
    """Outputs (M,) of one network with parameters θ (engine layout) at ``points`` (M, n).

    Layer l's weights and bias are a (fan_in + 1, fan_out) block of θ, the bias last
    (:func:`xorbench.engine.layout.layer_views`): z = a W[:-1] + W[-1], then the hidden
    (or output) activation, as the engine computes it.
    """
    widths = [int(w) for w in arch.split("-")]
    if len(theta) < n_params(widths):  # parameters not stored (e.g. shards removed)
        return np.full(len(points), np.nan)
    hidden_f = make_activation(ACTIVATIONS.parse(activation))
    output_f = make_activation(OUTPUTS.parse(output), OUTPUTS)
    layers = layer_views(np.asarray(theta[: n_params(widths)], np.float64)[:, None], widths)
    a = np.asarray(points, np.float64)  # (M, n)
    with np.errstate(all="ignore"):
        for l, W in enumerate(layers):
            z = a @ W[:-1, :, 0] + W[-1, :, 0]  # (M, fan_out)
            a = np.empty_like(z)
            forward(output_f if l == len(layers) - 1 else hidden_f, z, a)
    return a[:, 0]


def gallery_runs(runs: pd.DataFrame, summary: pd.DataFrame, per_row: int = 4) -> pd.DataFrame:
    """Which runs the decision-boundary gallery shows (two-input tasks, largest budgets).

    Solved: the first solved seed of each of the ``per_row`` most reliable
    settings (rate, then its interval's lower end, then speed), more seeds of
    the best ones when fewer settings ever solve. Failed: the most
    common learned function of each failure label, most frequent label first,
    then further (learned, label) pairs, ``per_row`` in all, each from the least
    reliable setting where it occurs. Diverged runs (nothing to draw) only when
    nothing else failed. Column ``group`` is "solved" or "failed".
    """
    last = at_largest_budget(runs)
    last = last[last["arch"].astype(str).str.startswith("2-")]
    if last.empty:
        return last.assign(group=pd.Series(dtype=object))
    board = at_largest_budget(summary).set_index("config_id")
    last = last.assign(_rate=last["config_id"].map(board["rate"]).astype(float),
                       _low=last["config_id"].map(board["ci_low"]).astype(float),
                       _speed=last["config_id"].map(board["median_epoch_solved"]).astype(float))
    solved = last[last["solved"].astype(bool)]
    ranked = analysis.natural_sort(solved, ["_rate", "_low", "_speed", "config_id", "seed"],
                                   descending=["_rate", "_low"])
    # one seed per setting, best first; too few settings → more seeds of the best
    firsts = ranked.drop_duplicates("config_id")
    best = pd.concat([firsts, ranked.drop(firsts.index)]).head(per_row)
    failed = last[~last["solved"].astype(bool)]
    if (failed["failure"] != "diverged").any():
        failed = failed[failed["failure"] != "diverged"]
    failed = failed.assign(learned=failed["learned"].fillna("").astype(str))
    picks = []
    for failure, learned in _failure_pairs(failed, per_row):
        match = failed[(failed["learned"] == learned) & (failed["failure"] == failure)]
        picks.append(analysis.natural_sort(match, ["_rate", "config_id", "seed"]).head(1))
    worst = pd.concat(picks, ignore_index=True) if picks else failed.head(0)
    out = pd.concat([best.assign(group="solved"), worst.assign(group="failed")],
                    ignore_index=True)
    return out.drop(columns=["_rate", "_low", "_speed"])


def _failure_pairs(failed: pd.DataFrame, n: int) -> list[tuple[str, str]]:
    """Up to ``n`` (failure, learned) pairs to draw: one per failure label first (most
    frequent label first), each its most common learned function not yet drawn (else its
    most common), then the other pairs by count, functions not yet drawn first. So
    ``undecided``, often the commonest outcome of several labels, is not drawn four times
    while the networks that did decide something wait."""
    pairs = failed.groupby(["failure", "learned"], sort=False).size().reset_index(name="n")
    pairs["label_n"] = pairs.groupby("failure")["n"].transform("sum")
    pairs = analysis.natural_sort(pairs, ["n", "failure", "learned"], descending=["n"])
    labels = analysis.natural_sort(pairs.drop_duplicates("failure"), ["label_n", "failure"],
                                   descending=["label_n"])["failure"]
    chosen: list[tuple[str, str]] = []
    for label in labels:
        options = pairs.loc[pairs["failure"] == label, "learned"].tolist()
        fresh = [o for o in options if o not in {learned for _, learned in chosen}]
        chosen.append((label, (fresh or options)[0]))
    rest = [(f, lrn) for f, lrn in pairs[["failure", "learned"]].itertuples(index=False)
            if (f, lrn) not in chosen]
    seen = {learned for _, learned in chosen}
    rest.sort(key=lambda pair: pair[1] in seen)  # stable: by count within each part
    return (chosen + rest)[:n]


@quiet_layout
def decision_boundaries(runs: pd.DataFrame, summary: pd.DataFrame, params: pd.DataFrame,
                        note: str | None = None, resolution: int = 101) -> Figure:
    """A gallery of solved and failed networks' outputs over the unit square.

    ``params`` holds final parameters (config_id, seed, epochs, p0 …), at least
    for the runs :func:`gallery_runs` picks. Each panel shows the output colour-
    coded 0 → 1, the decision boundary (output = 0.5) as a black line and the
    four patterns (● target 1, ○ target 0) with the network's output beside them.
    """
    chosen = gallery_runs(runs, summary)
    drawn = chosen if not chosen.empty else runs
    task = task_name(drawn)
    name = plot_namer(summary) if config_axes(summary) else (lambda run: str(run["arch"]))
    lo, hi = -0.2, 1.2
    grid = np.linspace(lo, hi, resolution)
    x1, x2 = np.meshgrid(grid, grid)
    points = np.column_stack([x1.ravel(), x2.ravel()])
    key = ["config_id", "seed", "epochs"]
    if not chosen.empty and not params.empty:
        chosen = chosen.merge(params, on=key, how="left", validate="one_to_one")
    groups = [g for g in ("solved", "failed") if (chosen["group"] == g).any()] or ["solved"]
    n_cols = max(1, int(chosen.groupby("group").size().max()) if not chosen.empty else 1)
    fig, grid_axes = plt.subplots(len(groups), n_cols, figsize=(2.8 * n_cols, 3.0 * len(groups)),
                                  squeeze=False, sharex=True, sharey=True)
    p_columns = [c for c in chosen.columns if c.startswith("p") and c[1:].isdigit()]
    image = None
    for r, group in enumerate(groups):
        members = chosen[chosen["group"] == group].reset_index(drop=True)
        for c in range(n_cols):
            ax = grid_axes[r, c]
            if c >= len(members):
                ax.set_visible(False)
                continue
            run = members.iloc[c]
            theta = run[p_columns].to_numpy(np.float64) if p_columns else np.array([np.nan])
            y = network_output(theta, run["arch"], run["activation"], run["output"], points)
            image = boundary_panel(ax, y.reshape(x1.shape), run, (lo, hi))
            ax.set_title(_panel_title(run, name), fontsize=8)
        grid_axes[r, 0].set_ylabel(f"{group}\n\ninput 2", fontsize=9)
    for ax in grid_axes[-1]:
        ax.set_xlabel("input 1", fontsize=9)
    if chosen.empty:
        ax = grid_axes[0, 0]
        ax.set_visible(True)
        ax.text(0.5, 0.5, "no two-input runs to draw", ha="center", va="center",
                transform=ax.transAxes)
    fig.tight_layout()
    if image is not None:
        fig.subplots_adjust(right=0.88)
        cax = fig.add_axes([0.91, 0.2, 0.015, 0.6], label="<colorbar>")
        fig.colorbar(image, cax=cax, label="network output")
    undecided = bool((chosen.get("learned", pd.Series(dtype=object)) == UNDECIDED).any())
    add_titles(fig, f"What did the networks learn instead of {task}?",
               _caption(groups, task, undecided) + _not_drawn(runs), note)
    return fig


def _not_drawn(runs: pd.DataFrame) -> str:
    """`` parity(3) and parity(4) (3+ inputs) are not drawn …`` when some tasks of the
    sweep have more than two inputs: their networks have no unit square to draw."""
    inputs = runs["arch"].astype(str).str.split("-").str[0]
    wide = sorted(runs.loc[inputs != "2", "task"].astype(str).unique())
    if not wide:
        return ""
    two = sorted(runs.loc[inputs == "2", "task"].astype(str).unique())
    shown = f"only {' and '.join(two)} is drawn" if two else "nothing is drawn"
    verb = "is" if len(wide) == 1 else "are"
    return (f" Only two-input tasks have a square to draw: {shown}; {' and '.join(wide)} "
            f"(3+ inputs) {verb} not (the reliability map and the failure plot show them).")


def _caption(groups: list[str], task: str, undecided: bool = False) -> str:
    rows = {
        "solved": "one seed of each of the most reliable settings",
        "failed": ("the most common ways to fail (learned function · failure label), each "
                   "from the least reliable setting where it occurs"),
    }
    if len(groups) == 2:
        which = f"Top row: {rows['solved']}; bottom row: {rows['failed']}."
    else:
        which = f"{rows[groups[0]][0].upper()}{rows[groups[0]][1:]}."
        which += " No run failed." if groups == ["solved"] else f" No run solved {task}."
    return (f"{which} Runs at their largest budget. Colour: the network's output over the "
            "inputs; black line: output = 0.5, the decision boundary; ● target 1, ○ target 0, "
            "with the output at each pattern."
            + (f" An {UNDECIDED} network has an output within {UNDECIDED_MARGIN:g} of 0.5, "
               "on no side of the threshold: it computes no function to name." if undecided
               else ""))


def boundary_panel(ax, y: np.ndarray, run: pd.Series, extent: tuple[float, float]):
    """One run's output ``y`` over the square ``extent``², its 0.5 boundary and the
    patterns (● target 1, ○ target 0) with the run's output at each; returns the image."""
    lo, hi = extent
    image = ax.imshow(np.clip(y, 0, 1), origin="lower", extent=(lo, hi, lo, hi),
                      cmap="vlag", vmin=0, vmax=1, interpolation="bilinear")
    grid = np.linspace(lo, hi, y.shape[0])
    inside = (grid >= 0) & (grid <= 1)
    if _flat(y[np.ix_(inside, inside)]):
        ax.text(0.5, 0.5, f"no boundary:\noutput within\n{UNDECIDED_MARGIN:g} of 0.5\n"
                "all over the square",
                ha="center", va="center", fontsize=8, color="0.2", transform=ax.transAxes)
    elif np.isfinite(y).any() and np.nanmin(y) < 0.5 < np.nanmax(y):
        ax.contour(grid, grid, y, levels=[0.5], colors="black", linewidths=1.2)
    if not np.isfinite(y).all():
        ax.text(0.5, 0.5, "parameters not finite:\nno boundary", ha="center", va="center",
                fontsize=8, transform=ax.transAxes)
    outputs = [c for c in run.index if c.startswith("y_") and len(c) == 4]
    for column in outputs:
        bits = column[2:]
        u, v = int(bits[0]), int(bits[1])
        target = _target(run["task"], bits)
        ax.plot(u, v, marker="o", markersize=9, markeredgecolor="black", markeredgewidth=1.5,
                markerfacecolor="black" if target else "white", linestyle="none")
        value = run[column]
        ax.annotate("nan" if pd.isna(value) else f"{value:.2f}", (u, v),
                    xytext=(0, -13 if v == 0 else 9), textcoords="offset points",
                    ha="center", fontsize=7,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.8})
    ax.set_xticks([0, 1])
    ax.set_yticks([0, 1])
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    return image


def _flat(y: np.ndarray) -> bool:
    """Whether a network's output ``y`` over the unit square is within
    :data:`~xorbench.schema.UNDECIDED_MARGIN` of 0.5 everywhere: it decides nothing
    between the patterns either, and the 0.5 contour of such a field is a jagged line
    through rounding noise, not a boundary."""
    finite = y[np.isfinite(y)]
    return finite.size > 0 and bool(np.abs(finite - 0.5).max() < UNDECIDED_MARGIN)


def _target(task: str, pattern: str) -> int:
    """The target of one input pattern (``"01"``) of a task label (``"xor"``)."""
    spec = make_task(TASKS.parse(task))
    return int(spec.targets[spec.pattern_names.index(pattern)])


def _panel_title(run: pd.Series, name: Callable[[pd.Series], str]) -> str:
    setting = name(run)
    if bool(run["solved"]):
        verdict = "solved"
    elif run["learned"] == UNDECIDED:
        verdict = f"{UNDECIDED} · {run['failure']}"
    else:
        verdict = f"learned {run['learned'] or '—'} · {run['failure']}"
    return f"{wrap_parts(setting, 44)}\nseed {run['seed']}: {verdict}"


def draw_boundaries(data: PlotData, note: str | None) -> Figure | None:
    """The gallery of a folder, its parameters read from the shards; None when no run
    of a two-input task has finished."""
    chosen = gallery_runs(data.runs, data.summary)
    if chosen.empty:
        return None
    return decision_boundaries(data.runs, data.summary, read_params(data.folder, chosen), note)
