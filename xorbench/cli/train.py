"""``xorbench train``: one configuration, a few seeds, printed the way a learner prints it."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table as RichTable

from xorbench.cli.app import app, guarded, note, out, say
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
    OptimizerOption,
    OutputOption,
    TaskOption,
    choice_help,
)
from xorbench.config import DEFAULTS, MAX_SEEDS


@app.command("train")
@guarded
def train_command(
    task: TaskOption = DEFAULT_TEXT["task"],
    hidden: HiddenOption = DEFAULT_TEXT["hidden"],
    activation: ActivationOption = DEFAULT_TEXT["activation"],
    output: OutputOption = DEFAULT_TEXT["output"],
    init: InitOption = DEFAULT_TEXT["init"],
    bias_init: BiasInitOption = DEFAULT_TEXT["bias_init"],
    lr: LrOption = DEFAULTS["lr"],
    optimizer: OptimizerOption = DEFAULT_TEXT["optimizer"],
    loss: LossOption = DEFAULT_TEXT["loss"],
    batch: BatchOption = DEFAULT_TEXT["batch"],
    criterion: CriterionOption = DEFAULT_TEXT["criterion"],
    dtype: DtypeOption = DEFAULT_TEXT["dtype"],
    bug: Annotated[str, typer.Option(help=choice_help("bug", "Train with a hand-written bug"))]
    = DEFAULT_TEXT["bug"],
    epochs: EpochsOption = 1000,
    seed: Annotated[list[int] | None, typer.Option(
        help="Seed (repeat for several); default: --seeds.")] = None,
    seeds: Annotated[int, typer.Option(help="Use seeds 0..N-1 when no --seed is given.", min=1,
                                       max=MAX_SEEDS)] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per seed.")] = False,
) -> None:
    """Train one configuration on a few seeds and show what each network learned.

    Prints, per seed, the inputs, targets and outputs (the table a learner prints),
    then solved or not, the epoch it was solved, the failure label and the
    boolean function the network computes. Example (the original question):

        xorbench train --hidden 2 --init "uniform(0,1)" --bias-init "uniform(0,1)"
            --lr 1 --batch "sampled(1000)" --epochs 10 --seed 1
    """
    from xorbench.config import make_config, parse_epochs, parse_hidden, parse_seed
    from xorbench.engine.trial import train

    config = make_config(
        task=task, hidden=parse_hidden(hidden.replace(",", "-"), "--hidden"),
        activation=activation, output=output, init=init, bias_init=bias_init, lr=lr,
        optimizer=optimizer, loss=loss, batch=batch, criterion=criterion, dtype=dtype, bug=bug)
    seed_list = list(seed) if seed else list(range(seeds))
    for s in seed_list:
        parse_seed(s, "--seed")
    parse_epochs(epochs, "--epochs")
    runs = train(config, seed_list, epochs)
    if as_json:
        for row in runs.to_dict(orient="records"):
            say(json.dumps(_jsonable(row)))
        return
    say(f"{config.arch} {config.activation} · init {config.init} · bias {config.bias_init}"
        f" · lr {lr:g} · {config.optimizer} · {config.loss} · batch {config.batch}"
        f" · {epochs} epochs" + ("" if config.bug.name == "none" else f" · bug {config.bug}"))
    step_note = per_pattern_step_note(config)
    if step_note:
        note(step_note)
    for row in runs.to_dict(orient="records"):
        _print_run(row, config)


def per_pattern_step_note(config) -> str | None:
    """One line when a pattern's step differs from its share of a full-batch step at the
    same lr (online / sampled / cyclic with a mean loss), else None: a user switching
    batch mode at a fixed lr changes the step without seeing it anywhere else."""
    from xorbench.config import format_number, per_pattern_step
    from xorbench.config.tasks import make_task

    n_patterns = make_task(config.task).n_patterns
    ratio = per_pattern_step(config.loss, config.batch, n_patterns)
    if ratio == 1:
        return None
    torch_loss = {"mse": "nn.MSELoss", "bce": "nn.BCEWithLogitsLoss"}.get(config.loss.name)
    like = f", as {torch_loss} on a batch of one" if torch_loss else ""
    return (f"batch {config.batch} steps on one pattern's {config.loss} at a time (a mean over "
            f"one pattern{like}): {format_number(ratio)}× that pattern's share of a full-batch "
            f"{config.loss} step at the same lr ({format_number(config.lr)}); full batch would "
            f"need lr {format_number(ratio * config.lr)} for steps this size")


def _print_run(row: dict, config) -> None:
    """One seed: its outputs per pattern beside the targets, then the verdict."""
    from xorbench.analysis.text import decimal_text
    from xorbench.config.tasks import make_task

    out.print()
    table = RichTable(title=f"seed {row['seed']}", title_justify="left", box=None,
                      pad_edge=False)
    table.add_column("input")
    table.add_column("target", justify="right")
    table.add_column("output", justify="right")
    y_cols = [c for c in row if c.startswith("y_")]
    for col, target in zip(y_cols, make_task(config.task).targets, strict=True):
        table.add_row(" ".join(col[2:]), str(int(target)), decimal_text(row[col]))
    out.print(table)
    solved_at = row["epoch_solved"]
    solved_text = "—" if solved_at is None or _isna(solved_at) else str(solved_at)
    say(f"solved: {'yes' if row['solved'] else 'no'} · epoch_solved: {solved_text}"
        f" · failure: {row['failure']} · learned: {row['learned'] or '—'}"
        f" · final loss {decimal_text(row['final_loss'], 4)}")


def _isna(x) -> bool:
    import pandas as pd

    return bool(pd.isna(x))


def _jsonable(row: dict) -> dict:
    clean = {}
    for k, v in row.items():
        if _isna(v):
            clean[k] = None
        elif hasattr(v, "item"):
            clean[k] = v.item()
        else:
            clean[k] = v
    return clean
