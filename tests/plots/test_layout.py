"""Plots that read well at any size: wrapped panels, a bounded width, the user's roles,
and the notes that say what a plot leaves out."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from PIL import Image
from typer.testing import CliRunner

from tests.helpers import plot_sweeps
from xorbench import plots
from xorbench.cli import app
from xorbench.errors import XorbenchError
from xorbench.grid.plotroles import PlotRoles
from xorbench.plots.kit import roles, wrap_parts
from xorbench.plots.layout import DPI, MAX_WIDTH_PX, arrange, fit_dpi, per_row
from xorbench.plots.save import saved_width


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """``sweep(kind)``: one of the tiny sweeps of :mod:`tests.helpers.plot_sweeps`,
    trained the first time a test asks for it."""
    root = tmp_path_factory.mktemp("layout")
    made: dict[str, plots.PlotData] = {}

    def get(kind: str) -> plots.PlotData:
        if kind not in made:
            made[kind] = plots.load_plot_data(plot_sweeps.make_sweep(root, kind))
        return made[kind]

    return get


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def panels(fig) -> list:
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def grid_shape(fig) -> tuple[int, int]:
    """(columns, rows) of a figure's panels, from where they sit."""
    boxes = [ax.get_position() for ax in panels(fig)]
    return (len({round(b.x0, 3) for b in boxes}), len({round(b.y0, 3) for b in boxes}))


def figure_texts(fig) -> str:
    return " ".join(" ".join(t.get_text().split()) for t in fig.texts)


def legend_title(fig) -> str:
    return fig.legends[0].get_texts()[0].get_text()


# --- Wrapping ---------------------------------------------------------------------------


def test_panels_a_row_fill_as_few_rows_as_evenly_as_they_can():
    assert [per_row(n, 4) for n in range(1, 13)] == [1, 2, 3, 4, 3, 3, 4, 4, 3, 4, 4, 4]
    assert [per_row(n, 3) for n in (4, 7, 10)] == [2, 3, 3]
    assert per_row(5, 1) == 1


def test_arrange_wraps_a_long_column_and_turns_or_merges_a_long_grid():
    data = pd.DataFrame({"c": list("abcdefghi") * 2, "r": ["x"] * 9 + ["y"] * 9})
    col, row = ("c", list("abcdefghi")), ("r", ["x", "y"])
    titles = {"col": "activation", "row": "init"}
    _, alone = arrange(data, col, None, titles, panel_width=3.0)
    assert (alone.wrap, alone.n_cols, alone.n_rows) == (3, 3, 3)
    _, few = arrange(data, ("c", list("abc")), row, titles, panel_width=3.0)
    assert (few.wrap, few.col, few.row) == (None, ("c", list("abc")), row)  # fits: as is
    _, turned = arrange(data, col, row, titles, panel_width=3.0)
    assert (turned.col, turned.row) == (row, col)  # 2 columns of 9 rows
    assert turned.titles == {"col": "init", "row": "activation"}
    data = pd.DataFrame({"c": list("abcdefghi") * 5,
                         "r": [r for r in "vwxyz" for _ in "abcdefghi"]})
    merged_data, merged = arrange(data, col, ("r", list("vwxyz")), titles, panel_width=3.0)
    # 9 × 5: one sequence of 45 panels, row by row, 3 a row, each named by both values
    assert (merged.row, merged.wrap, merged.col[0]) == (None, 3, "_facet")
    assert merged.col[1][:2] == ["init: v\nactivation: a", "init: v\nactivation: b"]
    assert len(merged.col[1]) == 45 and set(merged_data["_facet"]) == set(merged.col[1])


def test_facet_titles_break_between_parts_never_inside_one():
    text = "2-2-1 · task = parity(4) · activation = tanh · init = uniform(-1,1)"
    wrapped = wrap_parts(text, 36)
    assert "=\n" not in wrapped and "= \n" not in wrapped
    assert wrapped.split("\n") == ["2-2-1 · task = parity(4)", "activation = tanh",
                                   "init = uniform(-1,1)"]
    assert wrap_parts("a-very-long-single-part-without-separators", 10) == (
        "a-very-long-single-part-without-separators")


# --- The size bound -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["nine", "many"])
def test_every_plot_of_a_long_axis_grid_is_at_most_2000_px_wide(sweep, kind):
    data = sweep(kind)
    figures = plots.draw_all(data)
    assert set(figures) == set(plots.PLOT_NAMES)
    for name, fig in figures.items():
        width = saved_width(fig) * DPI  # as drawn: the saver's backstop not needed
        assert width <= MAX_WIDTH_PX, (name, width)
        assert width >= 600, (name, width)  # not squeezed either


def test_nine_values_wrap_into_three_rows_of_three(sweep):
    data = sweep("nine")
    fig = plots.reliability_map(data.summary)
    assert len(panels(fig)) == 9 and grid_shape(fig) == (3, 3)
    for draw in (lambda: plots.rate_vs_budget(data.summary, data.curves),
                 lambda: plots.learning_curves(data.curves, data.summary)):
        fig = draw()
        assert len(panels(fig)) == 9 and grid_shape(fig) == (3, 3)
        assert sorted(ax.get_title() for ax in panels(fig))[0] == "activation: elu(1)"


def test_many_panels_both_ways_stay_within_four_a_row(sweep):
    data = sweep("many")
    fig = plots.reliability_map(data.summary)  # 9 activations × 5 inits: 45 heatmaps
    columns, rows = grid_shape(fig)
    assert len(panels(fig)) == 45 and columns <= 4 and rows == -(-45 // columns)
    titles = [ax.get_title() for ax in panels(fig)]
    assert titles[0] == "init: he\nactivation: elu(1)"  # each panel names both values


def test_the_saver_lowers_the_resolution_of_a_figure_no_layout_bounds(sweep, tmp_path):
    assert fit_dpi(10.0) == DPI
    assert fit_dpi(40.0) == 50 and 40.0 * fit_dpi(40.0) <= MAX_WIDTH_PX
    data = sweep("nine")
    for path in plots.save_all(tmp_path, data, names=["reliability", "curves"]):
        with Image.open(path) as image:
            assert image.width <= MAX_WIDTH_PX
    fig, ax = plt.subplots(figsize=(30, 2))  # a figure far too wide to save as is
    ax.plot([0, 1])
    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=fit_dpi(saved_width(fig)), bbox_inches="tight",
                pad_inches=0.2)
    assert Image.open(image).width <= MAX_WIDTH_PX


# --- Roles: which axis is the colour and which the panels ---------------------------------


def test_a_chosen_role_wins_and_the_displaced_axis_finds_a_free_one():
    axes = ["arch", "activation", "init", "lr"]
    assert roles(axes, "lines", {"hue": "init", "col": "lr"}) == {
        "hue": ["init"], "style": ["arch"], "col": ["lr"], "row": ["activation"]}
    # the heatmap compares the colour's axis within a panel, on its y axis
    assert roles(axes, "map", {"hue": "init", "col": "lr"}) == {
        "x": ["arch"], "y": ["init"], "col": ["lr"], "row": ["activation"]}
    assert roles(axes, "bars", {"hue": "init"}) == {
        "bar": ["init", "lr"], "col": ["activation"], "row": ["arch"]}
    # a further axis joins a role nobody chose: the rows, when the colour is chosen
    assert roles([*axes, "optimizer"], "lines", {"hue": "init"}) == {
        "hue": ["init"], "style": ["arch"], "col": ["activation"], "row": ["lr", "optimizer"]}
    assert roles(axes, "lines") == roles(axes, "lines", {})  # nothing chosen: the default


def margin_titles(fig) -> list[str]:
    return [t.get_text() for ax in panels(fig) for t in ax.texts if ": " in t.get_text()]


def test_rate_vs_budget_follows_the_chosen_roles(sweep):
    data = sweep("nine")
    fig = plots.rate_vs_budget(data.summary, data.curves,
                               roles=PlotRoles(hue="activation", col="hidden"))
    assert legend_title(fig) == "activation"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[1:] == ["elu(1)", "gelu", "leaky_relu(0.01)", "linear", "relu", "sigmoid",
                          "sin", "softplus", "tanh"]
    # the widths as columns (hidden → the architecture); the learning rate finds the rows
    assert [ax.get_title() for ax in panels(fig)][:2] == [
        "architecture: 2-2-1", "architecture: 2-3-1"]
    assert margin_titles(fig) == ["learning rate: 0.5", "learning rate: 2"]


def test_failure_bars_and_the_map_follow_the_chosen_roles(sweep):
    data = sweep("nine")
    fig = plots.failure_modes(data.summary, roles=PlotRoles(col="lr"))
    assert [ax.get_title() for ax in panels(fig)] == ["learning rate: 0.5", "learning rate: 2"]
    fig = plots.failure_modes(data.summary, roles=PlotRoles(hue="hidden", col="lr"))
    first = panels(fig)[0]
    assert [t.get_text() for t in first.get_yticklabels()][:3] == [
        "2-2-1 · elu(1)", "2-2-1 · gelu", "2-2-1 · leaky_relu(0.01)"]  # the bars: hue first
    fig = plots.reliability_map(data.summary, roles=PlotRoles(hue="activation", col="lr"))
    (first, *_) = panels(fig)
    assert len(panels(fig)) == 2 and grid_shape(fig) == (2, 1)
    assert first.get_ylabel() == "activation" and first.get_title() == "learning rate: 0.5"


def test_the_grid_files_plots_table_is_read_with_the_folder(sweep):
    data = sweep("parity")
    assert data.roles == PlotRoles(hue="activation", col="task")
    fig = plots.rate_vs_budget(data.summary, data.curves, roles=data.roles)
    assert legend_title(fig) == "activation"
    assert sorted(ax.get_title() for ax in panels(fig)) == ["task: parity(3)", "task: xor"]
    # the command line wins over the file
    assert data.with_roles(PlotRoles(hue="task")).roles == PlotRoles(hue="task")


def test_a_choice_of_an_axis_that_does_not_vary_is_refused_in_one_line(sweep):
    data = sweep("nine")
    with pytest.raises(XorbenchError) as info:
        data.with_roles(PlotRoles(col="loss"))
    assert str(info.value) == ("--col loss: loss does not vary in this sweep; the axes that "
                               "vary: hidden, activation, lr")
    with pytest.raises(XorbenchError, match=r"--hue activaton: unknown axis \(did you mean "
                                            r"'activation'\?\)"):
        data.with_roles(PlotRoles(hue="activaton"))


def test_plot_command_takes_hue_col_and_row(sweep):
    folder = sweep("nine").folder
    runner = CliRunner()
    result = runner.invoke(app, ["plot", str(folder), "--jobs", "1", "--hue", "activation",
                                 "--col", "hidden"])
    assert result.exit_code == 0, result.output
    assert (folder / "plots" / "rate-vs-budget.png").is_file()
    result = runner.invoke(app, ["plot", str(folder), "--row", "init"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: --row init: init does not vary in this sweep; the axes that vary: hidden, "
        "activation, lr"]
    result = runner.invoke(app, ["plot", str(folder), "--hue", "lr", "--col", "lr"])
    assert result.exit_code == 1 and "lr is already the colour (hue)" in result.output


# --- What a plot leaves out, said --------------------------------------------------------


def test_boundaries_say_that_tasks_of_three_inputs_are_not_drawn(sweep):
    data = sweep("parity")
    fig = plots.draw_all(data, ["boundaries"])["boundaries"]
    text = figure_texts(fig)
    assert "What did the networks learn instead of XOR?" in text
    assert "only xor is drawn; parity(3) (3+ inputs) is not" in text
    assert all("=\n" not in ax.get_title() for ax in panels(fig))


def _summary_row(config_id: str, **axes) -> dict:
    """A summary.csv row of a setting half of whose 10 seeds solve, half stuck."""
    return {"config_id": config_id, "task": "xor", "arch": "2-2-1", "hidden": "2",
            "activation": "sigmoid", "output": "sigmoid", "init": "xavier",
            "bias_init": "zeros", "lr": 0.5, "optimizer": "sgd", "loss": "mse",
            "batch": "full", "criterion": "threshold", "dtype": "float64", "epochs": 100,
            "n_runs": 10, "n_solved": 5, "rate": 0.5, "n_none": 5, "n_diverged": 0,
            "n_symmetric": 0, "n_dead": 0, "n_saturated": 0, "n_stuck": 5, "n_slow": 0} | axes


def test_failure_bars_mark_settings_that_were_not_run():
    rows = [_summary_row(f"c{i}{activation}", activation=activation, lr=lr, optimizer=optimizer)
            for i, (optimizer, lr) in enumerate([("sgd", 0.5), ("sgd", 2.0), ("adam", 0.01),
                                                 ("adam", 0.5)])
            for activation in ("sigmoid", "tanh")]
    fig = plots.failure_modes(pd.DataFrame(rows))
    notes = [t.get_text() for ax in panels(fig) for t in ax.texts if t.get_text() == "not run"]
    # lr 0.01 has no sgd, lr 2 no adam: in each activation's panel
    assert len(notes) == 2 * 2
    assert '"not run": the sweep has no such setting' in figure_texts(fig)


@pytest.mark.parametrize("digits", [1, 4, 8, 16])
def test_failure_bars_keep_their_width_beside_long_names(digits):
    # 72 settings: the 24 least reliable in one panel, named "relu · uniform(-1.1,1) ·
    # uniform(0,1)" and longer (the names once took all but 0.3 in of the panel)
    inits = [f"uniform(-{i}.{'1' * digits},{i})" for i in range(1, 7)]
    rows = [_summary_row(f"c{i}{bias}{act}{lr}", init=init, bias_init=bias, activation=act,
                         lr=lr)
            for i, init in enumerate(inits) for bias in ("zeros", "uniform(0,1)")
            for act in ("sigmoid", "tanh", "relu") for lr in (0.5, 2.0)]
    fig = plots.failure_modes(pd.DataFrame(rows))
    (panel,) = panels(fig)
    assert panel.get_position().width * fig.get_figwidth() >= 2.5  # inches of bars
    assert saved_width(fig) * DPI <= MAX_WIDTH_PX


def _bands_and_medians(ax) -> tuple[list[float], int, int]:
    """A panel's band opacities, its median lines and its dotted band edges."""
    alphas = [c.get_alpha() for c in ax.collections if isinstance(c, PolyCollection)]
    drawn = [line for line in ax.lines if len(line.get_xdata()) > 0]
    edges = sum(line.get_label() == "_band_edge" for line in drawn)
    return alphas, len(drawn) - edges, edges


def test_bands_of_many_lines_stay_light_and_their_edges_tell_them_apart(sweep):
    data = sweep("nine")
    fig = plots.learning_curves(data.curves, data.summary)  # 4 lines a panel
    for ax in panels(fig):
        alphas, n_lines, edges = _bands_and_medians(ax)
        assert len(alphas) == n_lines == 4 and edges == 0
        assert 1 - np.prod([1 - a for a in alphas]) <= 0.25 + 1e-9  # stacked: still light
    assert "edges dotted" not in figure_texts(fig)
    # init as the colour: too many lines (9 × 5 × 2 × 2 settings); 8 settings of interest
    data = sweep("many")
    fig = plots.learning_curves(data.curves, data.summary, roles=PlotRoles(hue="init"))
    crowded = 0
    for ax in panels(fig):
        alphas, n_lines, edges = _bands_and_medians(ax)
        assert len(alphas) == n_lines
        assert edges == (2 * n_lines if n_lines > 4 else 0)
        assert 1 - np.prod([1 - a for a in alphas]) <= 0.25 + 1e-9
        assert min(alphas) >= 0.02  # each band still there to see
        crowded += n_lines > 4
    assert crowded >= len(panels(fig)) // 2
    assert "their edges dotted in panels of more than 4 lines" in figure_texts(fig)


# --- Undecided networks in the boundary gallery -------------------------------------------


def _run(outputs, learned, failure="stuck", solved=False) -> pd.Series:
    return pd.Series({"task": "xor", "solved": solved, "learned": learned, "failure": failure,
                      "seed": 3, **dict(zip(["y_00", "y_01", "y_10", "y_11"], outputs,
                                            strict=True))})


def test_a_flat_undecided_field_draws_no_boundary_but_says_so():
    from xorbench.plots.boundaries import boundary_panel

    grid = np.linspace(-0.2, 1.2, 101)
    x1, x2 = np.meshgrid(grid, grid)
    # output 0.5 + 0.004·(x1 − x2) + rounding-size noise: decides nothing anywhere
    noise = np.random.default_rng(0).normal(0, 1e-9, x1.shape)
    flat = 0.5 + 0.004 * (x1 - x2) + noise
    _, ax = plt.subplots()
    boundary_panel(ax, flat, _run([0.5, 0.496, 0.504, 0.5], "undecided"), (-0.2, 1.2))
    assert not ax.collections  # no jagged 0.5 contour through the noise
    assert any("no boundary" in t.get_text() for t in ax.texts)
    # the same run deciding something between the patterns keeps its boundary
    _, ax = plt.subplots()
    boundary_panel(ax, 0.5 + 0.3 * (x1 - x2), _run([0.5, 0.2, 0.8, 0.5], "undecided"),
                   (-0.2, 1.2))
    assert len(ax.collections) == 1  # the contour
    assert not any("no boundary" in t.get_text() for t in ax.texts)


def test_panel_titles_say_undecided_not_learned_undecided():
    from xorbench.plots.boundaries import _panel_title

    name = lambda run: "2-2-1 · linear"  # noqa: E731
    assert _panel_title(_run([0.5] * 4, "undecided"), name).endswith("seed 3: undecided · stuck")
    assert _panel_title(_run([0, 1, 1, 1], "OR", "slow"), name).endswith(
        "seed 3: learned OR · slow")


def test_the_gallery_draws_each_failure_label_with_a_function_not_yet_drawn():
    from xorbench.plots.boundaries import _failure_pairs

    counts = {("stuck", "undecided"): 50, ("stuck", "OR"): 9, ("slow", "undecided"): 30,
              ("slow", "OR"): 8, ("slow", "NAND"): 2, ("saturated", "undecided"): 5,
              ("dead", "undecided"): 4}
    failed = pd.DataFrame([{"failure": f, "learned": lrn} for (f, lrn), n in counts.items()
                           for _ in range(n)])
    # stuck (59) → its commonest, undecided; slow (40): OR, not undecided again;
    # saturated and dead decided nothing else: undecided after all
    assert _failure_pairs(failed, 4) == [("stuck", "undecided"), ("slow", "OR"),
                                         ("saturated", "undecided"), ("dead", "undecided")]
    # more room: the other pairs by count, functions not drawn yet first
    assert _failure_pairs(failed, 7)[4:] == [("slow", "NAND"), ("slow", "undecided"),
                                             ("stuck", "OR")]


# --- Adaptive seeds: a rate with its n where n differs ------------------------------------


def _adaptive_summary(counts: list[int], method: str = "wilson") -> pd.DataFrame:
    rows = []
    for i, (activation, n) in enumerate(zip(["sigmoid", "tanh", "relu", "elu(1)"], counts,
                                            strict=True)):
        for lr in (0.5, 2.0):
            rows.append(_summary_row(f"c{i}{lr}", activation=activation, lr=lr, n_runs=n,
                                     n_solved=n // 2, n_none=n // 2, n_stuck=n - n // 2,
                                     ci_low=0.4, ci_high=0.6, ci_method=method,
                                     stop="precise" if n > 100 else "decided"))
    return pd.DataFrame(rows)


def _cell_texts(fig) -> list[str]:
    return [t.get_text() for ax in panels(fig) for t in ax.texts if "%" in t.get_text()]


def test_the_map_writes_each_rates_n_where_settings_ran_different_numbers_of_seeds():
    fig = plots.reliability_map(_adaptive_summary([100, 400, 3200, 100]))
    texts = _cell_texts(fig)
    assert len(texts) == 8 and "50%\nn=3200" in texts and "50%\nn=100" in texts
    assert "under each rate, n: the seeds that setting ran" in figure_texts(fig)
    fig = plots.reliability_map(_adaptive_summary([100, 100, 100, 100]))  # fixed seeds
    assert set(_cell_texts(fig)) == {"50%"} and "n:" not in figure_texts(fig)
    # one axis: bars (here a line over lr) annotated on one line; the interval named
    summary = _adaptive_summary([100, 400, 3200, 100], method="wilson-bonferroni(7)")
    fig = plots.reliability_map(summary[summary["activation"] == "tanh"].assign(
        n_runs=[400, 800]))
    assert _cell_texts(fig) == ["50% n=400", "50% n=800"]
    assert "Wilson at 99.3 %" in figure_texts(fig)


def test_rate_bands_say_their_intervals_differ_with_adaptive_seeds():
    summary = pd.concat([_adaptive_summary([100, 400, 3200, 100]).assign(epochs=e)
                         for e in (100, 1000)], ignore_index=True)
    text = figure_texts(plots.rate_vs_budget(summary))
    assert "100–3200 seeds" in text and "intervals differ in width" in text
    assert "n:" not in text  # no n is written on this plot
