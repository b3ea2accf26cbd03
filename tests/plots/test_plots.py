"""The seven plots on real tiny sweeps: facets, labels and drawn values match the tables."""

from __future__ import annotations

import itertools
import re
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from typer.testing import CliRunner

from tests.helpers import plot_sweeps
from xorbench import analysis, plots, schema
from xorbench.analysis.design import Baseline, at_largest_budget, config_axes, is_sparse
from xorbench.cli import app
from xorbench.grid.plotroles import PlotRoles
from xorbench.plots.boundaries import gallery_runs, network_output
from xorbench.plots.kit import format_rate, roles

KINDS = ["quick", "one_axis", "never", "diverged"]
UNION_ROWS = ["baseline", "activation = tanh", "init = xavier", "loss = bce", "epochs = 400"]


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> dict[str, plots.PlotData]:
    root = tmp_path_factory.mktemp("sweeps")
    return {kind: plots.load_plot_data(plot_sweeps.make_sweep(root, kind))
            for kind in [*KINDS, "union"]}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def facet_axes(fig) -> list:
    """The plot panels of a figure (colour bars, which have no x label, are left out)."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def tick_texts(axis) -> list[str]:
    """Tick labels of an axis, also where a shared axis hides them on inner panels."""
    return list(axis.get_major_formatter().format_ticks(axis.get_majorticklocs()))


def figure_texts(fig) -> str:
    """The figure's title and caption, wrapped lines joined back."""
    return " ".join(" ".join(t.get_text().split()) for t in fig.texts)


def test_headless_backend():
    assert matplotlib.get_backend().lower() == "agg"


# --- Roles -----------------------------------------------------------------------------


def test_roles_follow_the_preferred_layout():
    assert roles(["arch", "activation", "init", "lr"], "map") == {
        "x": ["arch"], "y": ["lr"], "col": ["activation"], "row": ["init"]}
    # two axes: one heatmap, no facets
    assert roles(["activation", "init"], "map") == {
        "x": ["activation"], "y": ["init"], "col": [], "row": []}
    # a fifth axis joins the facet rows rather than being dropped
    assert roles(["arch", "activation", "init", "lr", "optimizer"], "map")["row"] == [
        "init", "optimizer"]
    assert roles(["lr"], "lines") == {"hue": ["lr"], "style": [], "col": [], "row": []}
    assert roles(["arch", "activation", "init", "lr"], "bars") == {
        "bar": ["arch", "lr"], "col": ["activation"], "row": ["init"]}


# --- 1. Reliability map ---------------------------------------------------------------------


def heatmap_cells(ax) -> dict[tuple[str, str], str]:
    """(x label, y label) → annotation text of one heatmap panel."""
    xs, ys = tick_texts(ax.xaxis), tick_texts(ax.yaxis)
    cells = {}
    for text in ax.texts:
        if not text.get_text().endswith("%"):
            continue  # a margin title
        x, y = text.get_position()
        cells[(xs[int(x)], ys[int(y)])] = text.get_text()
    return cells


def test_reliability_map_annotates_every_cell_with_its_rate(sweeps):
    data = sweeps["quick"]
    fig = plots.reliability_map(data.summary)
    panels = facet_axes(fig)
    assert len(panels) == 3 * 2  # activation (columns) × init (rows)
    board = at_largest_budget(data.summary)
    activations = ["relu", "sigmoid", "tanh"]
    inits = ["uniform(0,1)", "xavier"]
    for i, ax in enumerate(panels):
        init, activation = inits[i // 3], activations[i % 3]
        # natural order: 2-2-1 before 2-10-1; the learning rate grows upwards
        assert tick_texts(ax.xaxis) == ["2-2-1", "2-10-1"]
        assert tick_texts(ax.yaxis) == ["2", "0.5"]
        if i < 3:
            assert ax.get_title() == f"activation: {activation}"
        cells = heatmap_cells(ax)
        part = board[(board["activation"] == activation) & (board["init"] == init)]
        assert len(cells) == len(part) == 4
        for row in part.itertuples():
            text = cells[(row.arch, f"{row.lr:g}")]
            assert text == format_rate(row.rate)
            assert abs(float(text.rstrip("%")) - 100 * row.rate) <= 0.5
    assert panels[-1].get_xlabel() == "architecture"
    assert panels[0].get_ylabel() == "learning rate"
    assert "Which settings learn XOR reliably?" in figure_texts(fig)
    assert "300 epochs" in figure_texts(fig)  # the caption says which budget is shown


def test_reliability_map_with_one_axis_is_a_line_plot_with_error_bars(sweeps):
    data = sweeps["one_axis"]
    fig = plots.reliability_map(data.summary)
    (ax,) = facet_axes(fig)
    assert ax.get_xlabel() == "learning rate"
    assert ax.get_ylabel() == "seeds solved (%)"
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.texts]
    assert labels == [format_rate(r) for r in data.summary.sort_values("lr")["rate"]]
    assert "error bars: Wilson 95 %" in figure_texts(fig)


@pytest.mark.parametrize("kind", ["never", "diverged"])
def test_reliability_map_of_failing_sweeps(sweeps, kind):
    data = sweeps[kind]
    fig = plots.reliability_map(data.summary)
    (ax,) = facet_axes(fig)  # two varying axes: one heatmap, no facets
    cells = heatmap_cells(ax)
    board = at_largest_budget(data.summary)
    assert sorted(cells.values()) == sorted(format_rate(r) for r in board["rate"])
    if kind == "never":
        assert set(cells.values()) == {"0%"}


# --- 2. Rate against the budget ------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_rate_vs_budget_draws_each_setting_through_its_rates(sweeps, kind):
    data = sweeps[kind]
    fig = plots.rate_vs_budget(data.summary, data.curves)
    panels = facet_axes(fig)
    drawn = sorted(np.round(y, 9) for ax in panels for line in ax.lines
                   for y in line.get_ydata())
    if data.summary["epochs"].nunique() > 1:
        assert panels[-1].get_xlabel() == "epoch budget"
        assert drawn == sorted(np.round(data.summary["rate"] * 100, 9))
    else:  # one budget: the share solved by each log-spaced epoch, from curves.csv
        assert panels[-1].get_xlabel() == "epoch"
        assert drawn == sorted(np.round(data.curves["frac_solved"] * 100, 9))
    assert panels[0].get_ylabel() == "seeds solved (%)"
    assert "bands: Wilson 95 % interval" in figure_texts(fig)  # as summary.csv's ci_method
    expected = {"quick": 3 * 2, "one_axis": 1, "never": 2, "diverged": 2}[kind]
    assert len(panels) == expected
    # a band (PolyCollection) for every line
    n_lines = sum(len(line.get_xdata()) > 0 for ax in panels for line in ax.lines)
    assert n_lines == data.summary["config_id"].nunique()
    assert sum(len(ax.collections) for ax in panels) == n_lines


# --- 3. ECDF ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*KINDS, "union"])
def test_ecdf_curves_end_at_each_settings_rate(sweeps, kind):
    data = sweeps[kind]
    fig = plots.epoch_solved_ecdf(data.runs, data.summary)
    panels = facet_axes(fig)
    ends = sorted(round(line.get_ydata()[-1], 9) for ax in panels for line in ax.lines
                  if len(line.get_ydata()))
    board = at_largest_budget(data.summary)
    assert ends == sorted(np.round(board["rate"] * 100, 9))
    assert all(ax.get_xscale() == "log" for ax in panels)
    assert panels[-1].get_xlabel() == "epoch"
    if kind == "never":
        assert all(any("no seed solved" in t.get_text() for t in ax.texts) for ax in panels)


def test_ecdf_frame_steps_through_the_solved_epochs():
    runs = pd.DataFrame({
        "config_id": "c", "task": "xor", "epochs": 100, "seed": [0, 1, 2, 3],
        "solved": [True, True, False, True], "epoch_solved": pd.array([40, 0, None, 7], "Int64"),
    })
    frame = plots.ecdf_frame(runs)
    # starts at (1, 0), solved at init counts at epoch 1, ends at (budget, rate)
    assert frame["epoch"].tolist() == [1, 1, 7, 40, 100]
    assert frame["share"].tolist() == [0, 25, 50, 75, 75]


# --- 4. Failure modes --------------------------------------------------------------------


def bar_widths(ax) -> dict[float, float]:
    """Bar position → total width of the stacked segments."""
    totals: dict[float, float] = {}
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_height() > 0:
            y = round(patch.get_y() + patch.get_height() / 2, 6)
            totals[y] = totals.get(y, 0) + patch.get_width()
    return totals


@pytest.mark.parametrize("kind", KINDS)
def test_failure_bars_stack_to_all_seeds(sweeps, kind):
    data = sweeps[kind]
    fig = plots.failure_modes(data.summary)
    panels = facet_axes(fig)
    n_settings = data.summary["config_id"].nunique()
    bars = [bar_widths(ax) for ax in panels]
    assert sum(len(b) for b in bars) == n_settings
    assert all(abs(total - 100) < 1e-9 for b in bars for total in b.values())
    assert panels[-1].get_xlabel() == "share of seeds (%)"
    title, *legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert title == "outcome"
    board = at_largest_budget(data.summary)
    present = [c.removeprefix("n_") for c in schema.FAILURE_COUNT_COLUMNS if board[c].sum()]
    assert legend == [{"none": "solved"}.get(p, p) for p in present]
    if kind == "diverged":
        assert "diverged" in legend
    if kind == "never":
        assert "solved" not in legend


def test_failure_bars_of_the_quick_grid_are_faceted(sweeps):
    fig = plots.failure_modes(sweeps["quick"].summary)
    panels = facet_axes(fig)
    assert len(panels) == 6  # activation × init; bars: architecture · learning rate
    assert tick_texts(panels[0].yaxis) == [
        "2-2-1 · 0.5", "2-2-1 · 2", "2-10-1 · 0.5", "2-10-1 · 2"]


# --- 5. Learning curves -----------------------------------------------------------------


@pytest.mark.parametrize("kind", [*KINDS, "union"])
def test_learning_curves_draw_the_median_loss(sweeps, kind):
    data = sweeps[kind]
    fig = plots.learning_curves(data.curves, data.summary)
    panels = facet_axes(fig)
    drawn = np.sort(np.concatenate([line.get_ydata() for ax in panels for line in ax.lines]))
    finite = data.curves["loss_median"].dropna()
    assert np.allclose(drawn, np.sort(finite[finite > 0].to_numpy()))
    assert all(ax.get_yscale() == "log" and ax.get_xscale() == "log" for ax in panels)
    # the union also trains with bce: losses of more than one kind
    assert panels[0].get_ylabel() == ("training loss" if kind == "union" else "mse loss")
    assert "interquartile range" in figure_texts(fig)
    if kind == "diverged":
        assert "diverging" in figure_texts(fig)


# --- 6. Decision boundaries -------------------------------------------------------------


def test_forward_pass_reproduces_the_recorded_outputs(sweeps):
    for kind in ("quick", "diverged"):
        data = sweeps[kind]
        runs = at_largest_budget(data.runs).groupby("config_id").head(2)
        params = plots.read_params(data.folder, runs)
        merged = runs.astype({"config_id": str}).merge(params, on=["config_id", "seed", "epochs"])
        assert len(merged) == len(runs)
        patterns = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
        p_cols = [c for c in params.columns if re.fullmatch(r"p\d+", c)]
        checked = 0
        for row in merged.itertuples():
            theta = np.array([getattr(row, c) for c in p_cols])
            n_params = sum((a + 1) * b for a, b in itertools.pairwise(
                int(w) for w in row.arch.split("-")))
            if not np.isfinite(theta[:n_params]).all():
                continue  # a diverged network: nothing to reproduce
            checked += 1
            y = network_output(theta, row.arch, row.activation, row.output, patterns)
            recorded = np.array([row.y_00, row.y_01, row.y_10, row.y_11])
            np.testing.assert_allclose(y, recorded, rtol=1e-9, atol=1e-12)
        assert checked >= len(merged) // 2


@pytest.mark.parametrize("kind", [*KINDS, "union"])
def test_boundary_gallery_shows_solved_and_failed_runs(sweeps, kind):
    data = sweeps[kind]
    chosen = gallery_runs(data.runs, data.summary)
    params = plots.read_params(data.folder, chosen)
    fig = plots.decision_boundaries(data.runs, data.summary, params)
    panels = facet_axes(fig)
    assert len(panels) == len(chosen) > 0
    groups = set(chosen["group"])
    if kind == "never":
        assert groups == {"failed"}
    else:
        assert groups == {"solved", "failed"}
    if kind == "diverged":
        assert not (chosen["failure"] == "diverged").any()  # other failures exist to show
    for ax in panels:
        assert len(ax.images) == 1
        markers = [line for line in ax.lines if line.get_marker() == "o"]
        assert len(markers) == 4  # the four patterns
        verdict = ax.get_title().splitlines()[-1]
        assert verdict.endswith(": solved") or re.search(r": (learned \S.*|undecided) · \w+$",
                                                         verdict), verdict
    assert "decision boundary" in figure_texts(fig)


# --- Saving, partial sweeps, the command ----------------------------------------------------


def test_effects_draw_every_comparison_with_its_interval_and_outcome(sweeps):
    from matplotlib.collections import LineCollection, PathCollection

    from xorbench.analysis.effects import outcomes
    from xorbench.plots.effects import OUTCOME_COLORS, effects_figure

    data = sweeps["quick"]
    effects = analysis.axis_effects(data.runs)
    fig = effects_figure(effects, None)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in panels] == [item.axis for item in effects]
    for ax, item in zip(panels, effects, strict=True):
        table = item.largest
        bars = next(c for c in ax.collections if isinstance(c, LineCollection))
        spans = sorted((round(seg[0][0], 9), round(seg[1][0], 9)) for seg in bars.get_segments())
        assert spans == sorted(zip(table["diff_low"].round(9), table["diff_high"].round(9),
                                   strict=True))
        dots = next(c for c in ax.collections if isinstance(c, PathCollection))
        colours = [matplotlib.colors.to_hex(c) for c in dots.get_facecolors()]
        assert colours == [matplotlib.colors.to_hex(OUTCOME_COLORS[o])
                           for o in outcomes(table)]
        assert any(line.get_xdata()[0] == 0 for line in ax.get_lines())  # the zero line
    assert effects_figure([], None) is None


def test_effects_rows_name_only_the_axes_that_differ_between_them(sweeps):
    from xorbench.plots.effects import effects_figure

    fig = effects_figure(analysis.axis_effects(sweeps["union"].runs), None)
    labels = {ax.get_title(loc="left"): [t.get_text() for t in ax.get_yticklabels()]
              for ax in fig.axes if ax.get_title(loc="left")}
    # a one-change sub-grid's pairs differ only in their architecture: lr, the optimizer,
    # the loss and the other axes every row shares are not repeated on each row
    assert labels["loss"] == ["bce vs mse · 2-2-1", "bce vs mse · 2-4-1"]
    assert labels["arch"][0] == "2-4-1 vs 2-2-1 · sigmoid · init uniform(0,1) · loss bce"
    assert "A row names the other axes' values where they differ" in figure_texts(fig)


def test_partial_sweep_is_drawn_and_says_so(tmp_path):
    data = plots.load_plot_data(plot_sweeps.make_partial(tmp_path))
    assert data.partial and 0 < len(data.runs) < data.n_total
    assert data.note == f"Partial sweep: {len(data.runs)} of {data.n_total} runs done."
    fig = plots.reliability_map(data.summary, data.note)
    assert data.note in figure_texts(fig)


@pytest.mark.slow
def test_plot_command(sweeps, tmp_path):
    folder = sweeps["one_axis"].folder
    runner = CliRunner()
    result = runner.invoke(app, ["plot", str(folder), "--format", "svg"])
    assert result.exit_code == 0, result.output
    drawn = sorted(p.name for p in (folder / "plots").iterdir())
    assert drawn == sorted(f"{name}.svg" for name in plots.PLOT_NAMES)
    assert all(p.stat().st_size > 1000 for p in (folder / "plots").iterdir())
    assert plt.get_fignums() == []  # figures are closed once saved
    result = runner.invoke(app, ["plot", str(tmp_path)])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "not an xorbench results folder" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("roles", [None, PlotRoles(hue="init", col="lr")],
                         ids=["automatic", "chosen"])
def test_plots_drawn_in_several_processes_are_the_same_files(sweeps, tmp_path, monkeypatch,
                                                              roles):
    import shutil

    from xorbench.plots.jobs import save_plots

    data = sweeps["quick"]
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    for folder in (serial, parallel):
        shutil.copytree(data.folder, folder, ignore=shutil.ignore_patterns("plots"))
    one = plots.save_all(serial, plots.load_plot_data(serial), roles=roles)

    def not_here(*args, **kwargs):
        raise AssertionError("drawn in the calling process")

    monkeypatch.setattr(plots, "save_all", not_here)  # the workers import their own
    two = save_plots(parallel, plots.load_plot_data(parallel), jobs=3, roles=roles)
    assert [p.name for p in two] == [p.name for p in one] == [f"{n}.png" for n in plots.PLOT_NAMES]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_reading_a_folder_for_its_plots_needs_no_matplotlib(sweeps):
    import subprocess
    import sys

    code = ("import sys; from xorbench.plots.data import load_plot_data; "
            f"data = load_plot_data({str(sweeps['quick'].folder)!r}); "
            "print(len(data.runs), 'matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == [str(len(sweeps["quick"].runs)), "False"]


def test_ctrl_c_while_plotting_is_one_line_and_exit_130(sweeps, monkeypatch):
    import xorbench.plots.jobs
    import xorbench.report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(xorbench.plots.jobs, "save_plots", interrupted)  # plot
    monkeypatch.setattr(xorbench.report, "save_plots", interrupted)  # report
    for command in ("plot", "report"):
        result = CliRunner().invoke(app, [command, str(sweeps["one_axis"].folder)])
        assert result.exit_code == 130, result.output
        assert result.output.strip() == "interrupted"


def test_sweep_draws_the_plots_unless_told_not_to(tmp_path):
    grid = tmp_path / "tiny.toml"
    grid.write_text('name = "tiny"\n[defaults]\nseeds = 4\n[grid]\nlr = [0.5, 2.0]\n'
                    "epochs = 50\n")
    runner = CliRunner()
    base = ["sweep", str(grid), "--quiet", "--jobs", "1", "--backend", "threading"]
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "a"), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "a" / "plots").exists()
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    drawn = sorted(p.name for p in (tmp_path / "b" / "plots").iterdir())
    assert drawn == sorted(f"{name}.png" for name in plots.PLOT_NAMES)
    assert "plots: " in result.output


def synthetic_summary(**axes) -> pd.DataFrame:
    """A summary table over the product of ``axes`` (two budgets, made-up rates)."""
    base = {"task": "xor", "arch": "2-2-1", "hidden": "2", "activation": "sigmoid",
            "output": "sigmoid", "init": "xavier", "bias_init": "zeros", "lr": 0.5,
            "optimizer": "sgd", "loss": "mse", "batch": "full", "criterion": "threshold",
            "dtype": "float64"}
    names = list(axes)
    rows = []
    for i, values in enumerate(itertools.product(*axes.values())):
        for epochs, share in ((100, 0.3), (1000, 0.6)):
            n_solved = round(20 * share * (i % 3) / 2)
            rows.append({**base, **dict(zip(names, values, strict=True)),
                         "config_id": f"c{i}", "epochs": epochs, "n_runs": 20,
                         "n_solved": n_solved, "rate": n_solved / 20})
    frame = pd.DataFrame(rows)
    frame["ci_low"], frame["ci_high"] = analysis.wilson_interval(frame["n_solved"], 20)
    frame["median_epoch_solved"] = 50.0
    return frame


def test_crowded_line_plots_move_the_dashes_to_facets_then_pick_settings():
    # 9 learning rates × 2 widths: too many lines, so the widths become facet rows
    summary = synthetic_summary(lr=[0.01 * 3**k for k in range(9)], arch=["2-2-1", "2-4-1"],
                                activation=["sigmoid", "tanh"])
    fig = plots.rate_vs_budget(summary)
    assert len(facet_axes(fig)) == 2 * 2
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[0] == "learning rate" and len(texts) == 1 + 9
    # 13 inits × 2 × 2: still too crowded, so a few settings of interest, said in the title
    summary = synthetic_summary(init=[f"uniform(0,{k})" for k in range(1, 14)],
                                activation=["sigmoid", "tanh"], bias_init=["zeros", "uniform(0,1)"])
    fig = plots.rate_vs_budget(summary)
    (ax,) = facet_axes(fig)
    assert "least reliable and the 4 most helped by more epochs, of 52 settings" in (
        figure_texts(fig))
    assert 0 < sum(len(line.get_xdata()) > 0 for line in ax.lines) <= 8


def test_categorical_heatmap_rows_read_top_down():
    summary = synthetic_summary(init=["he", "uniform(0,1)", "xavier"],
                                activation=["sigmoid", "tanh"])
    (ax,) = facet_axes(plots.reliability_map(summary))
    assert tick_texts(ax.yaxis) == ["he", "uniform(0,1)", "xavier"]
    assert tick_texts(ax.xaxis) == ["sigmoid", "tanh"]


# --- A union of sub-grids (a baseline and one-change sub-grids) ----------------------------


def union_row(row) -> str:
    """The expected row name of a union-sweep setting: what it changes from the baseline."""
    changes = [f"{a} = {row[a]}" for a, base in (("activation", "sigmoid"),
               ("init", "uniform(0,1)"), ("loss", "mse")) if row[a] != base]
    changes += [f"epochs = {row['epochs']}"] if row["epochs"] != 100 else []
    return " · ".join(changes) or "baseline"


def test_a_union_of_sub_grids_is_sparse_and_the_quick_grid_is_not(sweeps):
    union, quick = sweeps["union"].summary, sweeps["quick"].summary
    assert is_sparse(union, config_axes(union))
    assert not is_sparse(quick, config_axes(quick))
    baseline = Baseline(union, ["activation", "init", "loss", "epochs"])
    assert baseline.values == {"activation": "sigmoid", "init": "uniform(0,1)", "loss": "mse",
                               "epochs": "100"}
    assert baseline.label({"activation": "tanh", "init": "xavier", "loss": "mse",
                           "epochs": 100}) == "activation = tanh · init = xavier"


def test_union_reliability_map_is_one_heatmap_of_settings_by_architecture(sweeps):
    data = sweeps["union"]
    fig = plots.reliability_map(data.summary)
    (ax,) = facet_axes(fig)  # not a product of facets, most of them empty
    assert tick_texts(ax.yaxis) == UNION_ROWS
    assert tick_texts(ax.xaxis) == ["2-2-1", "2-4-1"]
    assert ax.get_xlabel() == "architecture"
    assert ax.get_ylabel() == "change from the baseline"
    cells = heatmap_cells(ax)
    # every budget of every setting is a cell: the 400-epoch row is the baseline trained longer
    assert len(cells) == len(data.summary) == 10
    for row in data.summary.to_dict("records"):
        assert cells[(row["arch"], union_row(row))] == format_rate(row["rate"])
    text = figure_texts(fig)
    assert "baseline (sigmoid, init uniform(0,1), loss mse, 100 epochs)" in text
    assert "Grey: not in the sweep" not in text  # every cell ran


def test_union_failure_bars_follow_the_map_rows(sweeps):
    data = sweeps["union"]
    fig = plots.failure_modes(data.summary)
    panels = facet_axes(fig)
    assert [ax.get_title() for ax in panels] == ["architecture: 2-2-1", "architecture: 2-4-1"]
    assert tick_texts(panels[0].yaxis) == UNION_ROWS
    bars = [bar_widths(ax) for ax in panels]
    assert sum(len(b) for b in bars) == len(data.summary)  # one bar per setting and budget
    assert all(abs(total - 100) < 1e-9 for b in bars for total in b.values())
    solved = sorted(round(p.get_width(), 9) for ax in panels for p in ax.patches
                    if isinstance(p, Rectangle) and p.get_facecolor()[:3] == matplotlib.colors
                    .to_rgb("#009E73") and p.get_width() > 0)
    assert solved == sorted(round(100 * r, 9) for r in data.summary["rate"] if r > 0)


def test_union_rate_vs_budget_draws_the_settings_with_several_budgets(sweeps):
    data = sweeps["union"]
    fig = plots.rate_vs_budget(data.summary, data.curves)
    panels = facet_axes(fig)
    assert len(panels) == 2  # a panel per architecture
    title, *labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert (title, labels) == ("change from the baseline", ["baseline"])  # short labels
    longer = data.summary[data.summary["config_id"].map(
        data.summary.groupby("config_id")["epochs"].nunique()) > 1]
    drawn = sorted(np.round(y, 9) for ax in panels for line in ax.lines for y in line.get_ydata())
    assert drawn == sorted(np.round(longer["rate"] * 100, 9))
    assert "The 6 settings trained at a single budget are left out" in figure_texts(fig)


def test_union_line_legends_name_settings_by_their_change(sweeps):
    data = sweeps["union"]
    fig = plots.epoch_solved_ecdf(data.runs, data.summary)
    title, *labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert title == "change from the baseline"
    assert labels == ["baseline", "activation = tanh", "init = xavier", "loss = bce"]
    assert len(facet_axes(fig)) == 2


@pytest.mark.parametrize("kind", [*KINDS, "union"])
def test_drawing_emits_no_warning(sweeps, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # seaborn's tight_layout warnings included
        figures = plots.draw_all(sweeps[kind])
    assert set(figures) == set(plots.PLOT_NAMES)
