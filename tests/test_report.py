"""The report: findings from the data, a well-formed self-contained HTML page, the command."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import plot_sweeps
import pytest
from PIL import Image
from typer.testing import CliRunner

from xorbench import report
from xorbench.cli import app
from xorbench.formatting import percent
from xorbench.plots import PLOT_NAMES, load_plot_data

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Reports of the reduced quick grid and of a partial sweep."""
    root = tmp_path_factory.mktemp("reports")
    out = {"quick": report.write_report(plot_sweeps.make_sweep(root, "quick"))}
    partial = plot_sweeps.make_partial(root / "partial")
    result = CliRunner().invoke(app, ["report", str(partial)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Partial sweep")
    out["partial"] = (partial / "report.md", partial / "report.html")
    plt.close("all")
    return out


@pytest.fixture(scope="module")
def never(tmp_path_factory):
    return load_plot_data(plot_sweeps.make_sweep(tmp_path_factory.mktemp("never"), "never"))


class StrictParser(HTMLParser):
    """Checks that every element is closed in order; collects image sources."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.images: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if value and not value.startswith(("data:", "#")):
                self.errors.append(f"external resource {value!r}")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(html_text: str) -> StrictParser:
    parser = StrictParser()
    parser.feed(html_text)
    parser.close()
    return parser


def test_html_is_well_formed_and_self_contained(written):
    for md_path, html_path in written.values():
        html_text = html_path.read_text()
        assert html_text.startswith("<!DOCTYPE html>")
        parser = parse(html_text)
        assert parser.errors == []
        assert parser.stack == []
        assert len(parser.images) == len(PLOT_NAMES)
        for src in parser.images:
            prefix = "data:image/png;base64,"
            assert src.startswith(prefix)
            image = Image.open(io.BytesIO(base64.b64decode(src[len(prefix):], validate=True)))
            image.load()  # decodes every pixel
            assert image.width > 300 and image.height > 200
        # the Markdown links the same plots as files next to it
        links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md_path.read_text())
        assert links == [f"plots/{name}.png" for name in PLOT_NAMES]
        assert all((md_path.parent / link).is_file() for link in links)


def test_report_sections_and_numbers(written):
    md_path, html_path = written["quick"]
    md = md_path.read_text()
    for heading in ("## Findings", "## Most reliable settings", "## Plots", "## The grid"):
        assert heading in md
    data = load_plot_data(md_path.parent)
    assert f"{len(data.runs):,} of {data.n_total:,} runs done (complete)" in md
    assert "Partial sweep" not in md
    assert "| arch | activation | init | lr | epochs | rate | 95 % CI |" in md
    text = " ".join(parse(html_path.read_text()).text)
    for finding in report.findings(data.summary, data.runs):
        assert finding in text  # the HTML says what the Markdown says


def test_findings_name_the_best_setting_and_what_the_others_learned(written):
    data = load_plot_data(written["quick"][0].parent)
    found = report.findings(data.summary, data.runs)
    board = data.summary[data.summary["epochs"] == 300]
    best = board.sort_values(["rate", "ci_low"], ascending=False).iloc[0]
    assert report.describe(best, ["arch", "activation", "init", "lr"]) in " ".join(found)
    instead = [f for f in found if " instead of XOR in " in f]
    assert instead, found
    # each "learns X instead of XOR in p % of seeds" matches the runs
    last = data.runs[data.runs["epochs"] == 300]
    for sentence in instead:
        learned, pct = re.search(r"learns (.+) instead of XOR in (\d+) % of seeds", sentence
                                 ).groups()
        shares = (last["learned"] == learned).groupby(last["config_id"]).mean()
        assert any(abs(100 * s - int(pct)) <= 0.5 for s in shares)


def test_findings_when_nothing_is_ever_solved(never):
    data = never
    found = report.findings(data.summary, data.runs)
    assert "No setting ever solved XOR." in found
    never = [f for f in found if "never solves XOR" in f]
    assert len(never) == data.summary["config_id"].nunique() == 4
    assert all(re.search(r"\d+ % of its seeds end (stuck|slow|saturated|dead)", f) for f in never)


def test_findings_on_a_hand_made_summary():
    summary = pd.DataFrame({
        "config_id": ["a", "b"], "task": "xor", "arch": "2-2-1", "hidden": "2",
        "activation": "sigmoid", "output": "sigmoid", "init": ["uniform(0,1)", "xavier"],
        "bias_init": "zeros", "lr": 0.5, "optimizer": "sgd", "loss": "mse", "batch": "full",
        "criterion": "threshold", "dtype": "float64", "epochs": 1000, "n_runs": 100,
        "n_solved": [39, 100], "rate": [0.39, 1.0], "ci_low": [0.3, 0.96],
        "ci_high": [0.49, 1.0], "median_epoch_solved": [500.0, 300.0],
        "p90_epoch_solved": [900.0, 600.0], "median_final_loss": [0.1, 0.001],
        "n_none": [39, 100], "n_diverged": 0, "n_symmetric": 0, "n_dead": 0, "n_saturated": 0,
        "n_slow": [0, 0], "n_stuck": [61, 0],
    })
    runs = pd.DataFrame({
        "config_id": ["a"] * 100 + ["b"] * 100, "epochs": 1000, "seed": list(range(100)) * 2,
        "learned": ["XOR"] * 39 + ["OR"] * 61 + ["XOR"] * 100,
    })
    found = report.findings(summary, runs)
    assert ("2-2-1 sigmoid with uniform(0,1) init solves XOR in only 39 % of seeds: 61 % of "
            "its seeds end stuck; the most common wrong answer is OR (61 % of seeds).") in found
    assert any(f.startswith("Most reliable: 2-2-1 sigmoid with xavier init: 100 % of 100 seeds")
               for f in found)


def test_partial_sweep_report_says_so(written):
    md_path, html_path = written["partial"]
    md = md_path.read_text()
    data = load_plot_data(md_path.parent)
    assert data.partial
    assert f"Partial sweep: {len(data.runs):,} of {data.n_total:,} runs" in md
    assert f"{len(data.runs):,} of {data.n_total:,} runs done (interrupted)" in md
    assert "Partial sweep" in " ".join(parse(html_path.read_text()).text)


def test_report_command_rejects_a_folder_that_is_not_results(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: {tmp_path / 'nowhere'}: no such folder"]


@pytest.mark.skipif(CHROMIUM is None, reason="headless chromium is not installed")
def test_html_renders_in_headless_chromium(written, tmp_path):
    _, html_path = written["quick"]
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--hide-scrollbars", "--window-size=1200,2400",
         f"--screenshot={shot}", html_path.as_uri()],
        check=True, timeout=60, capture_output=True)
    image = Image.open(shot).convert("L")
    lo, hi = image.getextrema()
    assert hi - lo > 100  # text and plots, not a blank page
    histogram = image.histogram()
    assert max(histogram) < 0.97 * sum(histogram)


def test_training_time_adds_up_every_session():
    manifest = {"seconds": 1.675, "host": "vm", "events": [
        {"event": "start", "time": "2026-11-28T20:10:37+00:00"},
        {"event": "stop", "time": "2026-11-28T20:12:37+00:00", "reason": "interrupted"},
        {"event": "resume", "time": "2026-11-28T20:13:00+00:00"},
        {"event": "complete", "time": "2026-11-28T20:17:22+00:00", "seconds": 262.0},
        {"event": "resume", "time": "2026-11-28T20:26:45+00:00"},
        {"event": "complete", "time": "2026-11-28T20:26:46+00:00", "seconds": 1.675},
    ]}
    # 120 s until the interrupt, 262 s, then a resume with nothing left to train
    assert report.training_time(manifest) == (120 + 262 + 1.675, 3, 1.675)
    assert report.training_time({"seconds": 3.5}) == (3.5, 1, 3.5)
    assert report.training_time({}) is None


def test_status_reports_the_time_of_all_sessions(written):
    md_path, _ = written["quick"]
    data = load_plot_data(md_path.parent)
    manifest = {"status": "complete", "events": [
        {"event": "start", "time": "2026-11-28T20:10:37+00:00"},
        {"event": "complete", "time": "2026-11-28T20:17:22+00:00", "seconds": 405.4},
        {"event": "resume", "time": "2026-11-28T20:26:45+00:00"},
        {"event": "complete", "time": "2026-11-28T20:26:46+00:00", "seconds": 1.7},
    ]}
    assert "Trained in 6 min 47 s over 2 sessions (the last: 1.7 s)." in report._status(
        data, manifest)


def budget_summary(rates: dict[tuple[str, int], float]) -> pd.DataFrame:
    rows = [{"config_id": c, "task": "xor", "epochs": e, "rate": r} for (c, e), r in rates.items()]
    return pd.DataFrame(rows)


def test_budget_effect_compares_each_setting_with_itself():
    # every setting at both budgets: the plain averages are already paired
    same = budget_summary({("a", 10): 0.2, ("a", 100): 0.4, ("b", 10): 0.6, ("b", 100): 1.0})
    assert report._budget_effect(same) == (
        "Longer training: the average rate over all 2 settings is 40 % at 10, 70 % at 100 epochs.")
    # b only at 100 and c only at 10: an unpaired average would say 20 % → 70 %
    mixed = budget_summary({("a", 10): 0.2, ("a", 100): 0.4, ("b", 100): 1.0, ("c", 10): 0.2,
                            ("d", 10): 0.0, ("d", 1000): 0.5})
    text = report._budget_effect(mixed)
    assert "10 → 100 epochs: 20 % → 40 % (1 setting)" in text
    assert "10 → 1000 epochs: 0 % → 50 % (1 setting)" in text
    assert "average rate over all" not in text


@pytest.fixture(scope="module")
def union(tmp_path_factory):
    folder = plot_sweeps.make_sweep(tmp_path_factory.mktemp("union"), "union")
    return load_plot_data(folder)


def test_findings_of_a_union_compare_each_change_with_the_baseline(union):
    found = report.findings(union.summary, union.runs)
    text = " ".join(found)
    # settings named by their change, not by every axis of the sweep
    assert "bias_init" not in text and "optimizer" not in text
    board = union.summary.set_index(["arch", "activation", "init", "loss", "epochs"])["rate"]
    base = {arch: board[(arch, "sigmoid", "uniform(0,1)", "mse", 100)]
            for arch in ("2-2-1", "2-4-1")}
    tanh = {arch: board[(arch, "tanh", "uniform(0,1)", "mse", 100)] for arch in base}
    helps = next(f for f in found if f.startswith("The changes from the baseline"))
    assert (f"activation = tanh (2-2-1 {percent(base['2-2-1'])} → "
            f"{percent(tanh['2-2-1'])}, 2-4-1 {percent(base['2-4-1'])} → "
            f"{percent(tanh['2-4-1'])})") in helps
    assert not any(f.startswith("Average rate per value") for f in found)
