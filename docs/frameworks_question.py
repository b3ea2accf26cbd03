"""The numbers of "Which framework's default solves XOR?" (docs/matching-your-code.md).

    xorbench sweep sweeps/frameworks.toml
    python docs/frameworks_question.py [results/frameworks]

1. copies the sweep's ``summary.csv`` into ``docs/frameworks/`` (216 rows);
2. rewrites the tables between ``<!-- frameworks:NAME -->`` and
   ``<!-- /frameworks:NAME -->`` in docs/matching-your-code.md.

The tables are computed from the committed CSV only (:func:`tables`), so
``tests/test_frameworks.py`` recomputes them without the results folder, checks that
the page still shows them and that its text quotes no other number.
"""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

import pandas as pd

from xorbench.analysis.text import markdown_table, marked_blocks, replace_marked_blocks

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "docs" / "frameworks"
PAGE = ROOT / "docs" / "matching-your-code.md"
MARKER = "frameworks"  # <!-- frameworks:name --> … <!-- /frameworks:name -->

FRAMEWORKS = {"torch": "PyTorch", "keras": "Keras", "sklearn": "scikit-learn"}
NETWORKS = ("2-2-1", "2-4-1", "2-8-1")
ACTIVATIONS = ("sigmoid", "tanh")
# Issue 19's measurements with PyTorch 2.14 itself: nn.Sequential of nn.Linear with
# their default init, sigmoid, torch.optim.SGD at lr 0.5, nn.MSELoss, full batch, 500
# seeds; solved = all four outputs on the right side of 0.5.
PYTORCH_SETTING = {"activation": "sigmoid", "lr": 0.5, "init": "torch"}
PYTORCH_MEASURED = (("2-8-1", 1000, 36), ("2-8-1", 2000, 454), ("2-4-1", 2000, 315))
PYTORCH_SEEDS = 500
Z_95 = 1.959963984540054  # two-sided 5 %: a difference below it is not significant


def load_committed(folder: Path = DATA) -> pd.DataFrame:
    """The committed summary.csv of the frameworks sweep."""
    return pd.read_csv(folder / "summary.csv")


def pct(x: float) -> str:
    """A share as a percentage with one decimal, 0 and 100 without: 0.056 → ``5.6``."""
    return f"{100 * x:.0f}" if x in (0, 1) else f"{100 * x:.1f}"


def wilson_text(k: int, n: int) -> str:
    """``5.6 % (3.9–8.0 %)``: a share and its Wilson 95 % interval."""
    from xorbench.analysis import wilson_interval

    low, high = wilson_interval(k, n)
    return f"{pct(k / n)} % ({pct(low)}–{pct(high)} %)"


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> float:
    """z of the difference k1/n1 − k2/n2 with the pooled standard error."""
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return (k1 / n1 - k2 / n2) / se


def best(summary: pd.DataFrame) -> pd.DataFrame:
    """Per network, activation and framework: its best learning rate at the largest
    budget (most seeds solved; the smaller lr on a tie) and what it solves."""
    last = summary[summary["epochs"] == summary["epochs"].max()]
    ranked = last.sort_values(["n_solved", "lr"], ascending=[False, True])
    return (ranked.groupby(["arch", "activation", "init"], sort=False).head(1)
            .set_index(["arch", "activation", "init"]).sort_index())


def best_table(summary: pd.DataFrame) -> str:
    """The answer: each framework at its best lr, every network and activation."""
    top = best(summary)
    epochs = int(summary["epochs"].max())
    rows = []
    for arch in NETWORKS:
        for activation in ACTIVATIONS:
            cells = []
            for init in FRAMEWORKS:
                row = top.loc[(arch, activation, init)]
                cells.append(f"{int(row['n_solved'])}/{int(row['n_runs'])} "
                             f"({pct(row['rate'])} %), lr {row['lr']:g}")
            rows.append([arch, activation, *cells])
    return markdown_table(["network", "hidden", *(f"{name}, {epochs} epochs, best lr"
                                                  for name in FRAMEWORKS.values())], rows)


def speed_table(summary: pd.DataFrame) -> str:
    """Sigmoid at lr 0.5: seeds solved after each budget, per framework."""
    rows = []
    for arch in NETWORKS:
        for epochs in sorted(summary["epochs"].unique()):
            mine = summary[(summary["arch"] == arch) & (summary["activation"] == "sigmoid")
                           & (summary["lr"] == 0.5) & (summary["epochs"] == epochs)]
            counts = mine.set_index("init")["n_solved"]
            rows.append([arch, str(epochs),
                         *(f"{int(counts[init])}/{PYTORCH_SEEDS}" for init in FRAMEWORKS)])
    return markdown_table(["network", "epochs", *FRAMEWORKS.values()], rows)


def pytorch_rows(summary: pd.DataFrame) -> list[dict]:
    """Issue 19's PyTorch counts beside xorbench's ``init = "torch"`` on the same setting."""
    rows = []
    for arch, epochs, k_torch in PYTORCH_MEASURED:
        mine = summary[(summary["arch"] == arch) & (summary["epochs"] == epochs)
                       & (summary["activation"] == PYTORCH_SETTING["activation"])
                       & (summary["lr"] == PYTORCH_SETTING["lr"])
                       & (summary["init"] == PYTORCH_SETTING["init"])
                       & (summary["bias_init"] == PYTORCH_SETTING["init"])]
        (row,) = mine.to_dict(orient="records")
        k, n = int(row["n_solved"]), int(row["n_runs"])
        rows.append({"arch": arch, "epochs": epochs, "torch": k_torch, "xorbench": k, "n": n,
                     "z": two_proportion_z(k, n, k_torch, PYTORCH_SEEDS)})
    return rows


def pytorch_table(summary: pd.DataFrame) -> str:
    rows = [[r["arch"], str(r["epochs"]),
             f"{r['torch']}/{PYTORCH_SEEDS}, {wilson_text(r['torch'], PYTORCH_SEEDS)}",
             f"{r['xorbench']}/{r['n']}, {wilson_text(r['xorbench'], r['n'])}",
             f"{r['z']:+.2f}", "yes" if abs(r["z"]) < Z_95 else "no"]
            for r in pytorch_rows(summary)]
    return markdown_table(["network", "epochs", "PyTorch 2.14 (issue 19)",
                           'xorbench, init "torch"', "z", "compatible at 5 %"], rows)


def tables(summary: pd.DataFrame | None = None) -> dict[str, str]:
    """Every marked table of the page, from the committed summary."""
    summary = load_committed() if summary is None else summary
    return {"best": best_table(summary), "speed": speed_table(summary),
            "pytorch": pytorch_table(summary)}


def blocks_in(text: str) -> dict[str, str]:
    """The marked tables of a document, by name (without their last newline)."""
    return marked_blocks(text, MARKER)


def update_page(generated: dict[str, str], path: Path = PAGE) -> bool:
    """Replace every marked table of the page with its generated text; whether it changed."""
    text = path.read_text()
    new = replace_marked_blocks(text, MARKER, generated)
    if new != text:
        path.write_text(new)
    return new != text


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "results" / "frameworks"
    if not (folder / "summary.csv").is_file():
        print(f"no finished sweep in {folder}: run "
              "`xorbench sweep sweeps/frameworks.toml` first", file=sys.stderr)
        return 1
    DATA.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "summary.csv", DATA / "summary.csv")
    generated = tables()
    changed = update_page(generated)
    for name, text in generated.items():
        print(f"<!-- frameworks:{name} -->\n{text}\n")
    print("updated: " + ("docs/matching-your-code.md" if changed else "nothing"),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
