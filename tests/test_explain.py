"""xorbench explain: ranking, feasibility, printing bugs and the verdict's words on
constructed runs (no training), the command's errors, and the question's 2-2-1 (slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from xorbench.analysis import printouts as pr
from xorbench.cli import app
from xorbench.config import make_config
from xorbench.explain import Trained, explain, rank, why_not

NAMES = ("00", "01", "10", "11")
QUESTION = dict(init="uniform(0,1)", bias_init="uniform(0,1)", lr=1, batch="sampled(1000)")


def _outputs(rows):
    return np.array(rows, float)


def _printout(values, order=None):
    return pr.make_printout(values, NAMES, order)


def test_a_bug_that_ends_at_the_printout_ranks_first_and_the_verdict_names_it():
    printout = _printout("0.253,0.793,0.793,0.793")
    trained = {
        "none": Trained(_outputs([[0.02, 0.98, 0.98, 0.02]] * 9 + [[0.04, 0.84, 0.84, 0.84]]),
                        0.9, {"and": 1.0, "or": 1.0}),
        "hidden-delta-index": Trained(_outputs([[0.25, 0.79, 0.795, 0.79]] * 4
                                               + [[0.02, 0.74, 0.74, 0.74]] * 6), 0.0,
                                      {"and": 1.0, "or": 1.0}),
    }
    result = rank(make_config(hidden=[2]), printout, trained, {})
    names = [c.name for c in result.candidates]
    assert names[0] == "hidden-delta-index"
    assert names.index("none") > 0
    best = result.candidates[0]
    assert (best.within, best.shape, best.seeds) == (4, 10, 10)
    assert best.nearest == pytest.approx(0.003)
    correct = next(c for c in result.candidates if c.name == "none")
    assert (correct.within, correct.shape) == (0, 1)
    assert result.verdict.startswith("reproduced within 0.05 by hidden-delta-index in 4 of 10 "
                                     "seeds, never by correct training: check how the hidden")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["ties"] == "00 | 01 = 10 = 11" and data["learned"] == "OR"


def test_the_verdict_never_blames_a_bug_that_correct_training_matches_as_often():
    printout = _printout("0.712,0.712,0.712,0.712")
    same = Trained(_outputs([[0.70, 0.71, 0.71, 0.72]] * 3 + [[0.02, 0.9, 0.9, 0.1]] * 7),
                   0.7, {})
    result = rank(make_config(hidden=[3, 3]), printout,
                  {"none": same, "no-bias-update": same}, {})
    assert "no bug is needed" in result.verdict or "does not single out" in result.verdict
    assert any("every output is the same" in c for c in result.checks)


def test_shape_without_a_match_is_a_suspect_not_a_proof():
    printout = _printout("0.253,0.793,0.793,0.793")
    trained = {"none": Trained(_outputs([[0.02, 0.98, 0.98, 0.02]] * 5), 1.0, {}),
               "sign-flip-hidden": Trained(_outputs([[0.02, 0.6, 0.6, 0.6]] * 5), 0.0, {})}
    result = rank(make_config(hidden=[2]), printout, trained, {})
    assert result.candidates[0].name == "sign-flip-hidden"
    assert "not a proof" in result.verdict and "no run comes within 0.05" in result.verdict


def test_nothing_close_says_the_catalogue_does_not_explain_it():
    printout = _printout("0.3,0.6,0.1,0.9")  # four different outputs: no tie to share
    trained = {"none": Trained(_outputs([[0.02, 0.98, 0.98, 0.02]] * 5), 1.0, {})}
    result = rank(make_config(hidden=[2]), printout, trained, {})
    assert "does not explain it" in result.verdict


def test_printing_bugs_on_correct_outputs():
    # aliasing: every row shows the output of the last row printed (here 11, printed last)
    printout = _printout("0.3,0.3,0.3,0.3")
    correct = Trained(_outputs([[0.9, 0.9, 0.9, 0.31], [0.1, 0.9, 0.9, 0.8]]), 0.5, {})
    result = rank(make_config(hidden=[2]), printout, {"none": correct}, {})
    aliased = next(c for c in result.candidates if c.name == "aliased-output")
    assert aliased.within == 1 and aliased.nearest_seed == 0
    # the rows of a printout read in another order: a permutation of seed 1's outputs
    printout = _printout("0.9,0.1,0.9,0.8")
    result = rank(make_config(hidden=[2]), printout, {"none": correct}, {})
    rows = next(c for c in result.candidates if c.name == "row-order")
    assert rows.within == 1 and rows.nearest_seed == 1 and rows.nearest == pytest.approx(0)
    assert result.candidates[0].name == "row-order"
    assert "row order" in result.verdict


def test_feasibility_of_one_sigmoid_unit():
    cfg = make_config(hidden=[])
    # the question's 2-1 printout (printed 00, 10, 01, 11): not monotone in each input
    checks = rank(cfg, _printout("0.025,0.999,0.984,0.945", "00,10,01,11"), {}, {}).checks
    assert len(checks) == 1 and checks[0].startswith("no single sigmoid unit can print this")
    assert "labelled" in checks[0]
    checks = rank(cfg, _printout("0.07,0.95,0.95,1.0"), {}, {}).checks
    assert checks == ["one sigmoid unit can print this (it is monotone in each input)"]
    assert pr.monotone(np.array([[0.1, 0.9, 0.9, 0.1]]))[0] == np.False_


def test_which_bugs_are_trained():
    assert why_not(make_config(hidden=[2]), "hidden-delta-index") == ""
    assert "narrower" in why_not(make_config(hidden=[3, 2]), "hidden-delta-index")
    assert "only hidden layers" in why_not(make_config(hidden=[]), "sign-flip-hidden")
    assert why_not(make_config(hidden=[]), "no-bias-update") == ""


@pytest.mark.parametrize("args", [
    ["--outputs", "0.1,0.2"],
    ["--outputs", "0.1,0.2,0.3,x"],
    ["--outputs", "0.1,0.2,0.3,1.5"],
    ["--outputs", "0.1,0.2,0.3,0.4", "--order", "00,01,10"],
    ["--outputs", "0.1,0.2,0.3,0.4", "--order", "00,01,10,10"],
    ["--outputs", "0.1,0.2,0.3,0.4", "--tolerance", "2"],
    ["--outputs", "0.1,0.2,0.3,0.4", "--hidden", "3-2", "--init", "nope"],
])
def test_bad_input_is_one_line_and_exit_1(args):
    result = CliRunner().invoke(app, ["explain", *args, "--seeds", "2", "--epochs", "2"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")


def test_json_lists_every_candidate():
    result = CliRunner().invoke(app, ["explain", "--outputs", "0.1,0.9,0.9,0.1", "--hidden", "2",
                                      "--batch", "online", "--seeds", "3", "--epochs", "3",
                                      "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    names = {c["candidate"] for c in data["candidates"]}
    assert names == {"none", "hidden-delta-index", "update-before-backprop",
                     "derivative-of-activation", "no-bias-update", "sign-flip-hidden",
                     "aliased-output", "row-order"}
    assert all(c["seeds"] == 3 for c in data["candidates"])
    assert data["verdict"]


@pytest.mark.slow
def test_the_questions_2_2_1_printout_blames_hidden_delta_index_before_correct_training():
    cfg = make_config(hidden=[2], **QUESTION)
    result = explain(cfg, "0.253,0.793,0.793,0.793", "00,10,01,11", seeds=100, epochs=10)
    names = [c.name for c in result.candidates]
    assert names.index("hidden-delta-index") < names.index("none")
    assert "hidden-delta-index" in result.verdict
    hdi = result.candidates[names.index("hidden-delta-index")]
    assert hdi.rate < 0.05 and hdi.still["and"] > 0.9 and hdi.still["or"] > 0.9


def test_the_verdict_names_the_runners_up_that_match_nearly_as_often():
    printout = _printout("0.712,0.712,0.712,0.712")
    flat = Trained(_outputs([[0.71, 0.712, 0.712, 0.713]] * 4 + [[0.1, 0.9, 0.9, 0.9]]), 0.0, {})
    flatter = Trained(_outputs([[0.71, 0.712, 0.712, 0.713]] * 3 + [[0.1, 0.9, 0.9, 0.9]] * 2),
                      0.0, {})
    result = rank(make_config(hidden=[2]), printout,
                  {"none": Trained(_outputs([[0.02, 0.98, 0.98, 0.02]] * 5), 1.0, {}),
                   "sign-flip-hidden": flat, "hidden-delta-index": flatter}, {})
    assert result.verdict.startswith("reproduced within 0.05 by sign-flip-hidden in 4 of 5")
    assert "hidden-delta-index (3 of 5)" in result.verdict
    assert "does not single out one" in result.verdict


def test_legacy_seed_replays_the_learners_start_through_every_bug():
    from xorbench.engine.streams import legacy_params
    from xorbench.explain import replay

    cfg = make_config(hidden=[2], batch="online", lr=1)
    printout = _printout("0.253,0.793,0.793,0.793")
    got = replay(cfg, printout, 3, 2, ["none", "hidden-delta-index"])
    assert set(got.outputs) == {"none", "hidden-delta-index"}
    assert got.outputs["none"] != got.outputs["hidden-delta-index"]
    # the replay starts from the learner's θ and moves away from it
    from xorbench.config import Setup
    from xorbench.engine.batch import evaluate

    start = evaluate(Setup.of(cfg), legacy_params((2, 2, 1), 3)[:, None]).outputs[:, -1, 0]
    assert np.abs(np.array(got.outputs["none"]) - start).max() > 1e-3  # it trained
    data = got.to_dict()
    assert data["seed"] == 3 and set(data["runs"]["none"]) == {"outputs", "max_abs_diff",
                                                               "within"}


def test_legacy_seed_out_of_range_is_refused_before_training():
    result = CliRunner().invoke(app, ["explain", "--outputs", "0.1,0.2,0.3,0.4", "--seeds", "2",
                                      "--epochs", "2", "--legacy-seed", "-1"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: --legacy-seed = -1")
