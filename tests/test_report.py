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
import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.helpers import plot_sweeps
from xorbench import analysis, report
from xorbench.analysis import findings
from xorbench.cli import app
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
    headings = ("## Findings", "## Most reliable settings", "## Plots", "## Does it help?",
                "## The grid")
    assert [md.index(h) for h in headings] == sorted(md.index(h) for h in headings)
    data = load_plot_data(md_path.parent)
    assert f"{len(data.runs):,} of {data.n_total:,} runs done (complete)" in md
    assert "Partial sweep" not in md
    assert "| arch | activation | init | lr | epochs | rate | 95 % CI |" in md
    text = " ".join(parse(html_path.read_text()).text)
    effects = analysis.axis_effects(data.runs)
    for finding in findings.findings(data.summary, data.runs, effects):
        assert finding in text  # the HTML says what the Markdown says


def test_does_it_help_says_each_axis_in_the_words_of_its_comparisons(written):
    md_path, _ = written["quick"]
    md = md_path.read_text()
    section = md[md.index("## Does it help?"):md.index("## The grid")]
    data = load_plot_data(md_path.parent)
    effects = analysis.axis_effects(data.runs)
    assert [item.axis for item in effects] == re.findall(r"^### (\S+)$", section, flags=re.M)
    for item in effects:
        for line in analysis.effect_lines(item):
            assert f"- {line}" in section
        # every comparison whose interval holds 0 is counted as no detectable difference
        table = item.largest
        holds = ((table["diff_low"] <= 0) & (table["diff_high"] >= 0) | (table["n_pairs"] == 0))
        tallies = " ".join(line for line in analysis.effect_lines(item)
                           if "each setting at its largest budget" in line)
        said = sum(int(n) for n in re.findall(r"no detectable difference in (\d+)", tallies))
        assert said == holds.sum()
    assert "![Paired differences](plots/effects.png)" in section


def test_findings_name_the_best_setting_and_what_the_others_learned(written):
    data = load_plot_data(written["quick"][0].parent)
    found = findings.findings(data.summary, data.runs)
    board = data.summary[data.summary["epochs"] == 300]
    best = board.sort_values(["rate", "ci_low"], ascending=False).iloc[0]
    assert findings.describe(best, ["arch", "activation", "init", "lr"]) in " ".join(found)
    instead = [f for f in found if " instead of XOR in " in f]
    assert instead, found
    # each "learns X instead of XOR in p % of seeds" matches the runs
    last = data.runs[data.runs["epochs"] == 300]
    for sentence in instead:
        learned, pct = re.search(r"learns (.+) instead of XOR in (\d+) % of seeds", sentence
                                 ).groups()
        shares = (last["learned"] == learned).groupby(last["config_id"]).mean()
        assert any(abs(100 * s - int(pct)) <= 0.5 for s in shares)


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


@pytest.mark.slow
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
