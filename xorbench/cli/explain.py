"""``xorbench explain``: which hand-written bug reproduces a printout (xorbench.explain)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table as RichTable

from xorbench.cli.app import app, guarded, out, say
from xorbench.cli.options import (
    DEFAULT_TEXT,
    ActivationOption,
    BatchOption,
    BiasInitOption,
    CriterionOption,
    DtypeOption,
    EpochsOption,
    HiddenOption,
    InitOption,
    LossOption,
    LrOption,
    OutputOption,
    TaskOption,
)
from xorbench.config import DEFAULTS, MAX_SEEDS


@app.command("explain")
@guarded
def explain_command(
    outputs: Annotated[str, typer.Option(
        help="The outputs your network printed, one per input, e.g. 0.253,0.793,0.793,0.793.",
        show_default=False)],
    order: Annotated[str | None, typer.Option(
        help="The inputs in the order they were printed, e.g. 00,10,01,11. "
             "Default: 00,01,10,11.", show_default=False)] = None,
    task: TaskOption = DEFAULT_TEXT["task"],
    hidden: HiddenOption = DEFAULT_TEXT["hidden"],
    activation: ActivationOption = DEFAULT_TEXT["activation"],
    output: OutputOption = DEFAULT_TEXT["output"],
    init: InitOption = DEFAULT_TEXT["init"],
    bias_init: BiasInitOption = DEFAULT_TEXT["bias_init"],
    lr: LrOption = DEFAULTS["lr"],
    loss: LossOption = DEFAULT_TEXT["loss"],
    batch: BatchOption = DEFAULT_TEXT["batch"],
    criterion: CriterionOption = DEFAULT_TEXT["criterion"],
    dtype: DtypeOption = DEFAULT_TEXT["dtype"],
    epochs: EpochsOption = 1000,
    seeds: Annotated[int, typer.Option(help="Seeds 0..N-1 trained each way.", min=1,
                                       max=MAX_SEEDS)] = 500,
    tolerance: Annotated[float, typer.Option(
        help="A run reproduces the printout when every output is within this of it.")] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    legacy_seed: Annotated[int | None, typer.Option(
        help="Also replay your own seed: initial weights as np.random.seed(N) then "
             "np.random.rand per layer, biases then weights (the posted order).",
        show_default=False)] = None,
) -> None:
    """Which hand-written bug makes a network print these outputs?

    Trains the setup correctly and with every bug of the catalogue (plain SGD, as a
    hand-written loop updates), applies the printing bugs to correct training's
    outputs, and ranks them by the share of seeds within --tolerance of the printout,
    then the share with its tied outputs and learned function, then the nearest run.
    Example (the original question, 2-2-1):

        xorbench explain --outputs 0.253,0.793,0.793,0.793 --order 00,10,01,11
            --hidden 2 --init "uniform(0,1)" --bias-init "uniform(0,1)" --lr 1
            --batch "sampled(1000)" --epochs 10
    """
    from xorbench.config import make_config, parse_epochs, parse_hidden
    from xorbench.explain import explain

    config = make_config(
        task=task, hidden=parse_hidden(hidden.replace(",", "-"), "--hidden"),
        activation=activation, output=output, init=init, bias_init=bias_init, lr=lr,
        loss=loss, batch=batch, criterion=criterion, dtype=dtype)
    parse_epochs(epochs, "--epochs")
    result = explain(config, outputs, order, seeds=seeds, epochs=epochs, tolerance=tolerance,
                     keys=("--outputs", "--order", "--tolerance"), legacy_seed=legacy_seed)
    if as_json:
        say(json.dumps(result.to_dict()))
        return
    _show(result, seeds, epochs)


def _show(result, seeds: int, epochs: int) -> None:
    from xorbench.analysis.printouts import function_of, ties
    from xorbench.analysis.text import decimal_text

    c, p = result.config, result.printout
    say(f"{c.arch} {c.activation} · init {c.init} · bias {c.bias_init} · lr {c.lr:g} · "
        f"{c.loss} · batch {c.batch} · {epochs} epochs · {seeds} seeds each way")
    printed = " · ".join(f"{n} {decimal_text(v)}" for n, v in zip(p.printed_names, p.printed,
                                                                 strict=True))
    say(f"printout: {printed}  (ties {ties(p.values, p.names)}; learned "
        f"{function_of(p.values)})")
    for check in result.checks:
        say(f"· {check}")
    table = RichTable(box=None, pad_edge=False)
    others = [k for k in result.candidates[0].still] if result.candidates else []
    for name in ("#", "candidate", f"{c.task}", *others, f"within {result.tolerance:g}",
                 "same shape", "nearest: max |Δ|, seed, outputs"):
        table.add_column(name, justify="left" if name in ("candidate", "nearest") else "right")
    for rank, cand in enumerate(result.candidates, 1):
        rates = [_pct(cand.rate), *(_pct(cand.still.get(k)) for k in others)]
        if cand.kind == "printing":
            rates = ["(printing)", *("" for _ in others)]
        near = (f"{cand.nearest:.3f}, seed {cand.nearest_seed}, "
                + " · ".join(decimal_text(v) for v in cand.nearest_outputs))
        table.add_row(str(rank), cand.name, *rates, f"{cand.within}/{cand.seeds}",
                      f"{cand.shape}/{cand.seeds}", near)
    out.print()
    out.print(table)
    for name, why in result.skipped.items():
        say(f"not trained: {name}: {why}")
    if result.legacy is not None:
        _show_replay(result.legacy)
    out.print()
    say(f"verdict: {result.verdict}")


def _show_replay(legacy) -> None:
    from xorbench.analysis.text import decimal_text

    out.print()
    say(f"your seed {legacy.seed}: np.random.seed({legacy.seed}), then np.random.rand per layer, "
        "biases then weights (uniform(0,1) whatever --init); the patterns drawn are xorbench's")
    for bug, y in legacy.outputs.items():
        mark = "within" if legacy.distance[bug] < legacy.tolerance else "off by"
        say(f"  {bug:<26} {' · '.join(decimal_text(v) for v in y)}  {mark} "
            f"{legacy.distance[bug]:.3f}")


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"
