"""Which bug printed it? The question's three printouts against every bug, from sweeps/bugs.toml.

Run after ``xorbench sweep sweeps/bugs.toml`` (results/bugs/). This script

1. extracts the small committed data into docs/bug-question/: ``summary.csv`` (every
   task × network × bug: runs, solved, rate) and ``explain.csv`` / ``verdicts.csv``
   (``xorbench.explain.rank`` applied to each printout with the sweep's runs: the same
   ranking ``xorbench explain`` prints, over the same seeds);
2. rewrites the tables between ``<!-- bug-question:NAME -->`` and
   ``<!-- /bug-question:NAME -->`` in README.md and docs/explain.md.

tests/test_bug_question.py checks the documents against the committed CSVs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from xorbench.analysis.text import markdown_table, marked_blocks, replace_marked_blocks

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "docs" / "bug-question"
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "explain.md")
MARKER = "bug-question"  # <!-- bug-question:name --> … <!-- /bug-question:name -->

ASKED = {"activation": "sigmoid", "init": "uniform(0,1)", "bias_init": "uniform(0,1)",
         "lr": 1.0, "optimizer": "sgd", "loss": "mse", "batch": "sampled(1000)"}
NETWORKS = {"2-2-1": [2], "2-3-3-1": [3, 3], "2-1": []}
NETWORK_NAMES = {"2-2-1": "2-2-1", "2-3-3-1": "2-3-3-1", "2-1": "no hidden layer (2-1)"}
PATTERNS = ("00", "01", "10", "11")
PRINT_ORDER = "00,10,01,11"  # how the asker printed the rows
PRINTED = {  # as printed, in PRINT_ORDER
    "2-2-1": "0.253,0.793,0.793,0.793",
    "2-3-3-1": "0.712,0.712,0.712,0.712",
    "2-1": "0.025,0.999,0.984,0.945",
}
BUGS = ("none", "hidden-delta-index", "update-before-backprop", "derivative-of-activation",
        "no-bias-update", "sign-flip-hidden")


def extract(folder: Path, out: Path = DATA) -> None:
    from xorbench.analysis.printouts import make_printout
    from xorbench.config import make_config
    from xorbench.explain import Trained, rank, why_not
    from xorbench.results import load_runs

    runs = load_runs(folder)
    runs = runs[runs["epochs"] == runs["epochs"].max()]
    summary = (runs.groupby(["task", "arch", "bug"], sort=False)["solved"]
               .agg(n_runs="size", n_solved="sum").reset_index())
    summary["rate"] = summary["n_solved"] / summary["n_runs"]
    out.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out / "summary.csv", index=False)
    rate = summary.set_index(["task", "arch", "bug"])["rate"]
    rows, verdicts = [], []
    for arch, hidden in NETWORKS.items():
        config = make_config(ASKED, hidden=hidden)
        printout = make_printout(PRINTED[arch], PATTERNS, PRINT_ORDER)
        trained, skipped = {}, {}
        for bug in BUGS:
            why = why_not(config, bug)
            if why:
                skipped[bug] = why
                continue
            mine = runs[(runs["task"] == "xor") & (runs["arch"] == arch) & (runs["bug"] == bug)]
            mine = mine.sort_values("seed")
            y = mine[[f"y_{p}" for p in PATTERNS]].to_numpy(np.float64)
            trained[bug] = Trained(y, float(rate["xor", arch, bug]),
                                   {t: float(rate[t, arch, bug]) for t in ("and", "or")})
        result = rank(config, printout, trained, skipped)
        table = result.table()
        table.insert(0, "rank", range(1, len(table) + 1))
        table.insert(0, "network", arch)
        table["nearest_outputs"] = [" · ".join(f"{v:.3f}" for v in o)
                                    for o in table["nearest_outputs"]]
        rows.append(table.drop(columns=["note"]))
        verdicts.append({"network": arch, "checks": " / ".join(result.checks),
                         "verdict": result.verdict})
    pd.concat(rows).to_csv(out / "explain.csv", index=False)
    pd.DataFrame(verdicts).to_csv(out / "verdicts.csv", index=False)


def load_committed(folder: Path = DATA) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False,
                              na_values={"rate_and": [""], "rate_or": [""]})
            for name in ("summary", "explain", "verdicts")}


def pct(x: float) -> str:
    if pd.isna(x):
        return "—"
    text = f"{100 * x:.1f}".removesuffix(".0")
    return f"{text} %"


def tables(data: dict[str, pd.DataFrame] | None = None) -> dict[str, str]:
    """The Markdown tables of the documents, by marker name, from the committed CSVs."""
    from xorbench.config import make_config
    from xorbench.explain import why_not

    data = data if data is not None else load_committed()
    summary, explain, verdicts = data["summary"], data["explain"], data["verdicts"]
    out = {}
    rate = summary.set_index(["task", "arch", "bug"])
    rows = []
    for bug in BUGS:
        cells = [f"`{bug}`"]
        for arch in NETWORKS:
            if not NETWORKS[arch] and why_not(make_config(ASKED, hidden=[]), bug):
                cells.append("as `none` (no hidden layer)")
                continue
            xor, and_, or_ = (rate.loc[(t, arch, bug), "rate"] for t in ("xor", "and", "or"))
            silent = (" **silent**" if bug != "none" and and_ >= 0.95 and or_ >= 0.95
                      and xor < 0.05 else "")
            cells.append(f"{pct(xor)} · {pct(and_)} · {pct(or_)}{silent}")
        rows.append(cells)
    n = int(summary["n_runs"].max())
    out["silent"] = markdown_table(
        ["bug", *(f"{NETWORK_NAMES[a]}: XOR · AND · OR ({n} seeds)" for a in NETWORKS)], rows)
    rows = []
    for arch in NETWORKS:
        mine = explain[explain["network"] == arch]
        top = mine.iloc[0]
        correct = mine[mine["candidate"] == "none"].iloc[0]
        verdict = verdicts[verdicts["network"] == arch].iloc[0]["verdict"]
        printed = " · ".join(f"{float(v):.3f}" for v in PRINTED[arch].split(","))
        rows.append([NETWORK_NAMES[arch], printed, f"`{top['candidate']}`",
                     f"{top['within']}/{top['seeds']}", f"{top['shape']}/{top['seeds']}",
                     f"{correct['within']}/{correct['seeds']}",
                     f"{correct['shape']}/{correct['seeds']}", verdict])
    out["verdicts"] = markdown_table(
        ["network", "printed (00 · 10 · 01 · 11)", "ranked first",
         "its seeds within 0.05", "its seeds with the printout's ties and function",
         "correct training: within 0.05", "correct training: ties and function",
         "verdict (xorbench explain)"], rows)
    for arch in NETWORKS:
        mine = explain[explain["network"] == arch]
        rows = [[str(r["rank"]), f"`{r['candidate']}`",
                 "(printing)" if r["kind"] == "printing" else pct(r["rate"]),
                 "" if r["kind"] == "printing" else pct(r["rate_and"]),
                 "" if r["kind"] == "printing" else pct(r["rate_or"]),
                 f"{r['within']}/{r['seeds']}", f"{r['shape']}/{r['seeds']}",
                 f"{r['nearest']:.3f} (seed {r['nearest_seed']}): {r['nearest_outputs']}"]
                for _, r in mine.iterrows()]
        out[f"explain-{arch}"] = markdown_table(
            ["#", "candidate", "XOR", "AND", "OR", "within 0.05", "same ties and function",
             "nearest: max \\|Δ\\| (seed): 00 · 01 · 10 · 11"], rows)
    return out


def blocks_in(text: str) -> dict[str, str]:
    """The marked tables of a document, by name (without their last newline)."""
    return marked_blocks(text, MARKER)


def update_documents(generated: dict[str, str], paths=DOCUMENTS) -> list[Path]:
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


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "results" / "bugs"
    if not (folder / "summary.csv").is_file():
        print(f"no finished sweep in {folder}: run `xorbench sweep sweeps/bugs.toml` first",
              file=sys.stderr)
        return 1
    extract(folder)
    generated = tables()
    changed = update_documents(generated)
    for name, text in generated.items():
        print(f"<!-- bug-question:{name} -->\n{text}\n")
    print("updated: " + (", ".join(str(p.relative_to(ROOT)) for p in changed) or "nothing"),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
