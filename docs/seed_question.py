"""The numbers and pictures of "Why does my XOR network fail?" (README.md, docs/xor-question.md).

    xorbench sweep sweeps/seed-question.toml
    python docs/seed_question.py [results/seed-question]

1. copies the sweep's small tables into ``docs/seed-question/``: ``summary.csv``
   (as written by the sweep), ``learned.csv`` (runs per setting, budget, learned
   function and failure label) and ``failed-outputs.csv`` (the four outputs of
   every failed run of the three networks exactly as asked, mse and sse);
2. draws ``docs/seed-question-reliability.png`` and ``docs/seed-question-boundaries.png``;
3. rewrites the tables between ``<!-- seed-question:NAME -->`` and
   ``<!-- /seed-question:NAME -->`` in README.md and docs/xor-question.md.

The tables are computed from the committed CSVs only (:func:`tables`), so
``tests/test_question.py`` recomputes them without the results folder and checks
that the documents still show them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from xorbench.analysis.printouts import ties as printout_ties
from xorbench.analysis.text import markdown_table, marked_blocks, replace_marked_blocks

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "docs" / "seed-question"
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "xor-question.md")
MARKER = "seed-question"  # <!-- seed-question:name --> … <!-- /seed-question:name -->

# The setup of the question: everything a network "as asked" has (besides its shape).
ASKED = {"activation": "sigmoid", "init": "uniform(0,1)", "bias_init": "uniform(0,1)",
         "lr": 1.0, "optimizer": "sgd", "loss": "mse", "batch": "sampled(1000)", "epochs": 10}
NETWORKS = ("2-2-1", "2-3-3-1", "2-1")  # the three networks of the question
NETWORK_NAMES = {"2-2-1": "2-2-1", "2-3-3-1": "2-3-3-1", "2-1": "no hidden layer (2-1)"}
PATTERNS = ("00", "01", "10", "11")  # xorbench's order; the asker printed 00, 10, 01, 11
# What the asker printed, by pattern.
PRINTED = {
    "2-2-1": {"00": 0.253, "10": 0.793, "01": 0.793, "11": 0.793},
    "2-3-3-1": {"00": 0.712, "10": 0.712, "01": 0.712, "11": 0.712},
    "2-1": {"00": 0.025, "10": 0.999, "01": 0.984, "11": 0.945},
}
TIE = 0.01  # two outputs closer than this are "tied": the network maps both inputs alike
NEAR = 0.05  # a run "looks like" a printout when every output is within this of it
# The order in which the changes are listed: by the axis changed.
CHANGE_ORDER = ("init", "bias_init", "epochs", "batch", "activation", "hidden", "loss",
                "optimizer")
LOSS_WORDS = {"mse": "(y−t)² (mse)", "sse": "½(y−t)² (sse)", "bce": "cross-entropy (bce)"}


# --- Extracting the committed data from a results folder ------------------------------


def extract(folder: Path, out: Path = DATA) -> None:
    """Write summary.csv, learned.csv and failed-outputs.csv of ``folder`` into ``out``."""
    from xorbench.results import load_runs

    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "summary.csv", out / "summary.csv")
    runs = load_runs(folder)
    axes = ["arch", "activation", "init", "bias_init", "lr", "optimizer", "loss", "batch",
            "epochs"]
    learned = runs.assign(learned=runs["learned"].fillna("").replace("", "(diverged)"))
    counts = (learned.groupby([*axes, "learned", "failure"], sort=False).size()
              .rename("n").reset_index())
    counts.to_csv(out / "learned.csv", index=False)
    asked = as_asked(runs, losses=("mse", "sse"))
    failed = asked[~asked["solved"].astype(bool)]
    columns = ["arch", "loss", "seed", "failure", "learned", *(f"y_{p}" for p in PATTERNS)]
    failed[columns].round(4).to_csv(out / "failed-outputs.csv", index=False)


def as_asked(frame: pd.DataFrame, losses: tuple[str, ...] = ("mse",)) -> pd.DataFrame:
    """The rows of ``frame`` set up exactly as the question (any shape), with one of ``losses``."""
    mask = frame["loss"].isin(losses)
    for axis, value in ASKED.items():
        if axis != "loss":
            mask &= frame[axis] == value
    return frame[mask]


# --- Derived tables --------------------------------------------------------------------


def pct(x: float) -> str:
    """A share as a percentage with one decimal, 0 and 100 without: 0.768 → ``76.8``."""
    return f"{100 * x:.0f}" if x in (0, 1) else f"{100 * x:.1f}"


def rate_text(row: pd.Series | dict) -> str:
    """``76.8 % (72.9–80.3 %)``: the rate and its Wilson 95 % interval."""
    return f"{pct(row['rate'])} % ({pct(row['ci_low'])}–{pct(row['ci_high'])} %)"


def changes(row: pd.Series | dict) -> list[tuple[str, str]]:
    """How a setting differs from the question's setup: (axis, words) pairs, shape aside."""
    out = []
    if row["activation"] != ASKED["activation"]:
        out.append(("activation", f"{row['activation']} hidden units"))
    if row["init"] != ASKED["init"]:
        out.append(("init", f"weights {row['init']}"))
    if row["bias_init"] != ASKED["bias_init"]:
        words = "zero biases" if row["bias_init"] == "zeros" else f"biases {row['bias_init']}"
        out.append(("bias_init", words))
    if row["optimizer"] != ASKED["optimizer"]:
        name = "Adam" if str(row["optimizer"]).startswith("adam") else row["optimizer"]
        out.append(("optimizer", f"{name}, lr {row['lr']:g}"))
    elif row["lr"] != ASKED["lr"]:
        out.append(("lr", f"lr {row['lr']:g}"))
    if row["loss"] != ASKED["loss"]:
        out.append(("loss", f"loss {LOSS_WORDS.get(row['loss'], row['loss'])}"))
    if row["batch"] != ASKED["batch"]:
        out.append(("batch", f"{row['batch']} batch"))
    if row["epochs"] != ASKED["epochs"]:
        out.append(("epochs", f"{row['epochs']} epochs"))
    return out


def change_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Every setting of the sweep as (change from the question's setup, network) with its rate.

    Columns: change, n_changes, order (for listing), arch, and the summary's statistics.
    A wider hidden layer (2-8-1) is the 2-2-1 with one change, ``8 hidden units``.
    """
    rows = []
    for row in summary.to_dict(orient="records"):
        diff = changes(row)
        arch = row["arch"]
        if arch == "2-8-1":
            diff = [("hidden", "8 hidden units (2-8-1)"), *diff]
            arch = "2-2-1"
        setting = ", ".join(words for axis, words in diff if axis != "hidden") or "as asked"
        label = ", ".join(words for _, words in diff) or "as asked"
        # listed under the last axis of CHANGE_ORDER it changes: "sse, 100 epochs" with the losses
        first = max((CHANGE_ORDER.index(a) if a in CHANGE_ORDER else len(CHANGE_ORDER)
                     for a, _ in diff), default=-1)
        rows.append({**row, "network": arch, "change": label, "setting": setting,
                     "n_changes": len(diff),
                     "order": (first, len(diff), row["epochs"], label)})
    rows.sort(key=lambda row: row["order"])  # stable: the summary's order within a change
    return pd.DataFrame(rows)


def best_change(table: pd.DataFrame, network: str) -> pd.Series:
    """The single change that solves XOR most often for one network of the question.

    For the network without a hidden layer the change is adding one: the 2-2-1 or
    the 2-8-1 as asked. Ties go to the higher lower bound, then the faster.
    """
    if network == "2-1":
        mask = (table["change"].isin(["as asked", "8 hidden units (2-8-1)"])
                & (table["network"] == "2-2-1"))
        pool = table[mask].copy()
        pool["change"] = np.where(pool["arch"] == "2-8-1", "a hidden layer of 8 (2-8-1)",
                                  "a hidden layer of 2 (2-2-1)")
    else:
        pool = table[(table["network"] == network) & (table["n_changes"] == 1)]
    ranked = pool.sort_values(["rate", "ci_low", "median_epoch_solved"],
                              ascending=[False, False, True], kind="stable")
    return ranked.iloc[0]


def _counts_text(frame: pd.DataFrame, column: str) -> str:
    counts = frame.groupby(column)["n"].sum().sort_values(ascending=False, kind="stable")
    counts = counts[counts > 0]
    counts = counts.iloc[np.lexsort((counts.index.to_numpy(str), -counts.to_numpy()))]
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "—"


def asked_table(summary: pd.DataFrame, learned: pd.DataFrame) -> pd.DataFrame:
    """One row per network of the question: rates (mse, sse), what failed runs learned, fixes."""
    table = change_table(summary)
    rows = []
    for network in NETWORKS:
        mine = as_asked(summary[summary["arch"] == network], ("mse", "sse"))
        by_loss = {r["loss"]: r for r in mine.to_dict(orient="records")}
        lost = as_asked(learned[learned["arch"] == network])
        lost = lost[lost["failure"] != "none"]
        best = best_change(table, network)
        rows.append({
            "network": NETWORK_NAMES[network],
            "mse": f"{rate_text(by_loss['mse'])}, {by_loss['mse']['n_solved']}/"
                   f"{by_loss['mse']['n_runs']}",
            "sse": rate_text(by_loss["sse"]),
            "learned": _counts_text(lost, "learned"),
            "failure": _counts_text(lost, "failure"),
            "best": best["change"],
            "best_rate": f"{rate_text(best)}, {best['n_solved']}/{best['n_runs']}",
        })
    return pd.DataFrame(rows)


def ties(y: np.ndarray, tol: float = TIE) -> str:
    """Which patterns a network's outputs tie: ``00 | 01 = 10 = 11`` (``y`` in
    :data:`PATTERNS` order; :func:`xorbench.analysis.printouts.ties`)."""
    return printout_ties(y, PATTERNS, tol)


def with_ties(failed: pd.DataFrame) -> pd.DataFrame:
    y = failed[[f"y_{p}" for p in PATTERNS]].to_numpy(np.float64)
    return failed.assign(ties=[ties(row) for row in y])


def printed_vector(network: str) -> np.ndarray:
    return np.array([PRINTED[network][p] for p in PATTERNS])


def monotone(y: np.ndarray) -> np.ndarray:
    """Whether each row of outputs (00, 01, 10, 11) could come from one sigmoid unit.

    σ(w₁x₁ + w₂x₂ + b) moves the same way whenever one input goes 0 → 1, whatever
    the other input: sign(y₁₀ − y₀₀) and sign(y₁₁ − y₀₁) never oppose, nor do
    sign(y₀₁ − y₀₀) and sign(y₁₁ − y₁₀).
    """
    y = np.atleast_2d(y)
    y00, y01, y10, y11 = y.T
    first = np.sign(y10 - y00) * np.sign(y11 - y01) >= 0
    second = np.sign(y01 - y00) * np.sign(y11 - y10) >= 0
    return first & second


def shapes_table(failed: pd.DataFrame) -> pd.DataFrame:
    """The failed runs' output shapes per network and loss: ties, count, output ranges, learned."""
    data = with_ties(failed)
    rows = []
    for (arch, loss), part in data.groupby(["arch", "loss"], sort=False):
        for shape, group in part.groupby("ties", sort=False):
            learned = group["learned"].value_counts()
            learned = learned.iloc[np.lexsort((learned.index.to_numpy(str),
                                               -learned.to_numpy()))]
            row = {"arch": arch, "loss": loss, "ties": shape, "n": len(group),
                   "learned": ", ".join(f"{k} {v}" for k, v in learned.items())}
            for p in PATTERNS:
                row[p] = f"{group[f'y_{p}'].min():.3f}–{group[f'y_{p}'].max():.3f}"
            rows.append(row)
    table = pd.DataFrame(rows)
    table["_net"] = table["arch"].map(NETWORKS.index)
    table = table.sort_values(["_net", "loss", "n", "ties"], ascending=[True, True, False, True],
                              kind="stable")
    return table.drop(columns="_net").reset_index(drop=True)


def printout_table(failed: pd.DataFrame, n_seeds: int) -> pd.DataFrame:
    """Per network: the asker's printout next to the failed runs of the same shape and the nearest.

    Columns: network, printed (00 01 10 11), ties (of the printout), same (runs of
    that shape per loss), their outputs' ranges (mse and sse pooled), nearest (the
    smallest max-abs difference to the printout and its run), near (runs within
    :data:`NEAR` at every pattern), monotone (whether one sigmoid unit can print it).
    """
    data = with_ties(failed)
    rows = []
    for network in NETWORKS:
        printed = printed_vector(network)
        shape = ties(printed)
        mine = data[data["arch"] == network]
        y = mine[[f"y_{p}" for p in PATTERNS]].to_numpy(np.float64)
        distance = np.abs(y - printed).max(axis=1)
        nearest = mine.iloc[int(distance.argmin())]
        tied = "=" in shape  # a printout without ties has no shape to match
        same = mine[mine["ties"] == shape] if tied else mine.head(0)
        counts = ", ".join(f"{int((same['loss'] == loss).sum())}/{n_seeds} ({loss})"
                           for loss in ("mse", "sse")) if tied else "—"
        ranges = " · ".join(f"{same[f'y_{p}'].min():.3f}–{same[f'y_{p}'].max():.3f}"
                            for p in PATTERNS) if len(same) else "—"
        outputs = " · ".join(f"{nearest[f'y_{p}']:.3f}" for p in PATTERNS)
        rows.append({
            "network": NETWORK_NAMES[network],
            "printed": " · ".join(f"{v:.3f}" for v in printed),
            "ties": shape if tied else "none",
            "same": counts,
            "ranges": ranges,
            "nearest": f"{distance.min():.3f}: {outputs} (seed {nearest['seed']}, "
                       f"{nearest['loss']})",
            "near": f"{int((distance < NEAR).sum())}/{len(mine)}",
            "one_unit": "yes" if monotone(printed)[0] else "no",
        })
    return pd.DataFrame(rows)


def load_committed(folder: Path = DATA) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False,
                              na_values={"median_epoch_solved": [""], "p90_epoch_solved": [""],
                                         "median_final_loss": [""]})
            for name in ("summary", "learned", "failed-outputs")}


# --- Markdown ----------------------------------------------------------------------------


def tables(data: dict[str, pd.DataFrame] | None = None) -> dict[str, str]:
    """The Markdown tables of the documents, by marker name, from the committed CSVs."""
    data = data if data is not None else load_committed()
    summary, learned, failed = data["summary"], data["learned"], data["failed-outputs"]
    n_seeds = int(summary["n_runs"].max())
    out = {}
    asked = asked_table(summary, learned)
    out["asked"] = markdown_table(
        ["network, as asked", "solves XOR: (y−t)² loss, 95 % CI, seeds",
         "with ½(y−t)² loss", f"what its failed runs learned (of {n_seeds} seeds)",
         "failure modes", "most reliable single change", "solves XOR"],
        asked[["network", "mse", "sse", "learned", "failure", "best", "best_rate"]]
        .to_numpy().tolist())
    printout = printout_table(failed, n_seeds)
    out["printout"] = markdown_table(
        ["network", "printed (00 · 01 · 10 · 11)", "tied outputs",
         f"failed runs with these ties (of {n_seeds} seeds)",
         "their outputs (00 · 01 · 10 · 11)", "nearest failed run: max \\|Δ\\|, outputs",
         f"failed runs within {NEAR:g} of it at every input",
         "can one sigmoid unit output it?"],
        printout[["network", "printed", "ties", "same", "ranges", "nearest", "near",
                  "one_unit"]].to_numpy().tolist())
    table = change_table(summary)
    labels = list(dict.fromkeys(table["change"]))
    rows = []
    for label in labels:
        cells = []
        for network in ("2-2-1", "2-3-3-1"):
            match = table[(table["change"] == label) & (table["network"] == network)]
            cells.append(rate_text(match.iloc[0]) if len(match) else "—")
        rows.append([label, *cells])
    out["changes"] = markdown_table(["change from the question's setup", "2-2-1", "2-3-3-1"], rows)
    shapes = shapes_table(failed)
    out["shapes"] = markdown_table(
        ["network", "loss", "tied outputs", "runs", "learned", "00", "01", "10", "11"],
        shapes[["arch", "loss", "ties", "n", "learned", *PATTERNS]].to_numpy().tolist())
    y = failed[[f"y_{p}" for p in PATTERNS]].to_numpy(np.float64)
    single = failed["arch"].to_numpy() == "2-1"
    out["monotone"] = markdown_table(
        ["failed runs of the 2-1 as asked (mse and sse)",
         "outputs one sigmoid unit can give (monotone in each input)"],
        [[str(int(single.sum())), str(int(monotone(y[single]).sum()))]])
    return out


def blocks_in(text: str) -> dict[str, str]:
    """The marked tables of a document, by name (without their last newline)."""
    return marked_blocks(text, MARKER)


def update_documents(generated: dict[str, str], paths=DOCUMENTS) -> list[Path]:
    """Replace every marked table in ``paths`` with its generated text; returns changed files."""
    changed = []
    for path in paths:
        if not path.is_file():
            continue
        text = path.read_text()
        new = replace_marked_blocks(text, MARKER, generated)
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed


# --- Pictures --------------------------------------------------------------------------


def reliability_figure(summary: pd.DataFrame):
    """Heatmap: every setting of the sweep (rows: the change) × network trained (columns)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    table = change_table(summary)
    table["column"] = table["arch"].map(
        {"2-1": "2-1\n(no hidden)", "2-2-1": "2-2-1", "2-3-3-1": "2-3-3-1", "2-8-1": "2-8-1"})
    table["change"] = table["setting"]  # the shape is the column
    rows = list(dict.fromkeys(table["change"]))
    columns = ["2-1\n(no hidden)", "2-2-1", "2-3-3-1", "2-8-1"]
    pct_grid = table.pivot_table(index="change", columns="column", values="rate",
                                 aggfunc="first").reindex(index=rows, columns=columns) * 100
    text = pd.DataFrame("", index=rows, columns=columns)
    for row in table.to_dict(orient="records"):
        text.loc[row["change"], row["column"]] = (
            f"{pct(row['rate'])} %\n{pct(row['ci_low'])}–{pct(row['ci_high'])}")
    fig, ax = plt.subplots(figsize=(7.2, 0.42 * len(rows) + 1.6))
    sns.heatmap(pct_grid, annot=text.to_numpy(), fmt="", vmin=0, vmax=100, cmap="viridis",
                linewidths=0.6, linecolor="white", ax=ax, annot_kws={"fontsize": 7.5},
                cbar_kws={"label": "seeds that solve XOR (%)", "shrink": 0.6})
    ax.set_xlabel("network trained")
    ax.set_ylabel("")
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.tick_params(length=0, labelsize=8.5)
    n = int(summary["n_runs"].max())
    fig.suptitle("How often does a correct implementation solve XOR?", fontsize=11,
                 fontweight="bold")
    fig.text(0.5, 0.005, f"The question's setup (sigmoid, weights and biases uniform(0,1), "
             f"lr 1, sampled(1000), 10 epochs, (y−t)²)\nand one change at a time. Each cell: "
             f"the share of {n} seeds that solve XOR and its Wilson 95 % interval;\n"
             f"blank: not measured.", ha="center", va="bottom", fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 0.98))
    return fig


def gallery_runs(failed: pd.DataFrame, runs: pd.DataFrame, per_network: int = 3,
                 min_runs: int = 5) -> pd.DataFrame:
    """The runs the boundary gallery shows, per network (mse, as asked).

    One solved seed (the lowest), then the most common shapes of the failed runs
    (:func:`ties`; at least ``min_runs`` runs, or the printout's shape), up to
    ``per_network`` of them: for the printout's shape the run nearest to the
    printout, else the run nearest to the shape's median outputs.
    """
    data = with_ties(failed[failed["loss"] == "mse"])
    picks = []
    for network in NETWORKS:
        solved = runs[(runs["arch"] == network) & runs["solved"].astype(bool)]
        if len(solved):
            picks.append({"arch": network, "seed": int(solved["seed"].min()),
                          "kind": "solved"})
        mine = data[data["arch"] == network]
        printed = printed_vector(network)
        shapes = mine["ties"].value_counts()
        shapes = shapes.iloc[np.lexsort((shapes.index.to_numpy(str), -shapes.to_numpy()))]
        like = "=" in ties(printed)  # a printout without ties has no shape to match
        shapes = shapes[(shapes >= min_runs) | (like & (shapes.index == ties(printed)))]
        for shape in shapes.index[:per_network]:
            group = mine[mine["ties"] == shape]
            y = group[[f"y_{p}" for p in PATTERNS]].to_numpy(np.float64)
            like = shape == ties(printed) and "=" in shape
            target = printed if like else np.median(y, axis=0)
            best = group.iloc[int(np.abs(y - target).max(axis=1).argmin())]
            picks.append({"arch": network, "seed": int(best["seed"]),
                          "kind": f"{shape} ({len(group)} seeds){' *' if like else ''}"})
    return pd.DataFrame(picks)


def boundaries_figure(folder: Path, failed: pd.DataFrame):
    """Decision boundaries of the three networks as asked: a solved seed and the common failures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from xorbench.plots import read_params
    from xorbench.plots.boundaries import boundary_panel, network_output
    from xorbench.results import load_runs

    runs = as_asked(load_runs(folder))
    picks = gallery_runs(failed, runs)
    picks = picks.merge(runs, on=["arch", "seed"], how="left", validate="one_to_one")
    params = read_params(folder, picks[["config_id", "seed", "epochs"]])
    picks = picks.merge(params, on=["config_id", "seed", "epochs"], how="left")
    p_columns = [c for c in picks.columns if c.startswith("p") and c[1:].isdigit()]
    n_cols = int(picks.groupby("arch").size().max())
    lo, hi = -0.2, 1.2
    grid = np.linspace(lo, hi, 81)
    x1, x2 = np.meshgrid(grid, grid)
    points = np.column_stack([x1.ravel(), x2.ravel()])
    fig, axes = plt.subplots(len(NETWORKS), n_cols, figsize=(2.25 * n_cols, 2.45 * len(NETWORKS)),
                             squeeze=False, sharex=True, sharey=True)
    image = None
    for r, network in enumerate(NETWORKS):
        mine = picks[picks["arch"] == network].reset_index(drop=True)
        for c in range(n_cols):
            ax = axes[r, c]
            if c >= len(mine):
                ax.set_visible(False)
                continue
            run = mine.iloc[c]
            theta = run[p_columns].dropna().to_numpy(np.float64)
            y = network_output(theta, network, "sigmoid", "sigmoid", points).reshape(x1.shape)
            image = boundary_panel(ax, y, run, (lo, hi))
            verdict = ("solved" if run["kind"] == "solved"
                       else f"{run['learned']} · {run['failure']}\nties {run['kind']}")
            ax.set_title(f"{network} seed {run['seed']}: {verdict}", fontsize=7)
            ax.tick_params(labelsize=7)
        axes[r, 0].set_ylabel("input 2", fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("input 1", fontsize=7)
    fig.suptitle("What the three networks of the question end in (as asked, (y−t)² loss)",
                 fontsize=10, fontweight="bold")
    fig.text(0.5, 0.005, "Each row: one solved seed (if any), then the most common ways its "
             "failed seeds end, grouped by which outputs tie (* the ties of the question's "
             "printout:\nthe run nearest to it). Colour: network output; black line: output "
             "0.5; ● target 1, ○ target 0, with the output at each pattern.",
             ha="center", va="bottom", fontsize=7)
    fig.tight_layout(rect=(0, 0.05, 0.92, 0.97))
    if image is not None:
        cax = fig.add_axes([0.935, 0.25, 0.015, 0.5])
        fig.colorbar(image, cax=cax).ax.tick_params(labelsize=7)
    return fig


def save_png(fig, path: Path, dpi: int = 110) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=dpi, bbox_inches="tight", pad_inches=0.1)
    plt.close(fig)


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "results" / "seed-question"
    if not (folder / "summary.csv").is_file():
        print(f"no finished sweep in {folder}: run "
              "`xorbench sweep sweeps/seed-question.toml` first", file=sys.stderr)
        return 1
    extract(folder)
    data = load_committed()
    save_png(reliability_figure(data["summary"]), ROOT / "docs" / "seed-question-reliability.png")
    save_png(boundaries_figure(folder, data["failed-outputs"]),
             ROOT / "docs" / "seed-question-boundaries.png")
    generated = tables(data)
    changed = update_documents(generated)
    for name, text in generated.items():
        print(f"<!-- seed-question:{name} -->\n{text}\n")
    print("updated: " + (", ".join(str(p.relative_to(ROOT)) for p in changed) or "nothing"),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
