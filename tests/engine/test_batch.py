"""A batch: bit-identical whatever its batch-mates, budgets as checkpoints, epoch_solved and
the recorded numbers at their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import reference as ref
from tests.helpers.engine import (
    RECORDED,
    assert_same_network,
    train,
    valid_output_losses,
)
from xorbench import engine
from xorbench.config import BATCHES, config_problems, make_config
from xorbench.config.activations import ACTIVATIONS
from xorbench.config.inits import BIAS_INITS, INITS
from xorbench.config.optimizers import OPTIMIZERS
from xorbench.config.tasks import make_task
from xorbench.engine import Member, Setup, layout, train_batch

# ============================================================ 4. batch invariance


def _crowd(target: Member, position: int, n: int = 64, seed: int = 0) -> list[Member]:
    """``n`` members with ``target`` at ``position`` and 63 others that differ in learning
    rate (some diverge), init, bias init and seed — one shares the target's seed."""
    rng = np.random.default_rng(seed)
    lrs = [0.01, 0.3, 1.0, 3.0, 30.0, 1e4]
    inits = ["xavier", "he", "uniform(-1,1)", "normal(3)", "orthogonal", "lecun",
             "uniform(0,1)", "xavier_normal", "torch", "sklearn", "keras"]
    bias_inits = ["zeros", "uniform(-0.5,0.5)", "constant(0.1)", "normal(1)", "torch",
                  "sklearn", "keras"]
    others = [
        Member(float(rng.choice(lrs)), INITS.parse(str(rng.choice(inits))),
               BIAS_INITS.parse(str(rng.choice(bias_inits))), int(rng.integers(0, 10**6)))
        for _ in range(n - 2)
    ]
    others.append(Member(target.lr * 3, target.init, target.bias_init, target.seed))
    return [*others[:position], target, *others[position:]]


def _check_invariance(cfg, budgets, seed=7, position=17):
    setup = Setup.of(cfg)
    target = Member.of(cfg, seed)
    alone = train_batch(setup, [target], budgets)
    crowd = _crowd(target, position)
    together = train_batch(setup, crowd, budgets)
    assert_same_network(alone, 0, together, position, f"{cfg.labels()}")
    # and at another position of a reshuffled crowd of another size
    crowd2 = _crowd(target, 3, n=11, seed=1)
    assert_same_network(alone, 0, train_batch(setup, crowd2, budgets), 3, "n=11")
    return together


INVARIANCE_SHAPES = [("full", (9,)), ("online", (3, 8)), ("sampled(7)", (2,)), ("full", ()),
                     ("online", (8,)), ("cyclic", (4, 3))]


def test_invariance_shapes_cover_every_batch_mode():
    assert {make_config(batch=b).batch.name for b, _ in INVARIANCE_SHAPES} == set(BATCHES)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", [*ACTIVATIONS])
def test_batch_invariance_activations(activation, dtype):
    for batch, hidden in INVARIANCE_SHAPES:
        cfg = make_config(activation=activation, dtype=dtype, batch=batch, hidden=list(hidden),
                          lr=0.5)
        _check_invariance(cfg, [3, 20])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", [*OPTIMIZERS])
def test_batch_invariance_optimizers(optimizer, dtype):
    for batch, hidden in INVARIANCE_SHAPES:
        problems = config_problems({"optimizer": optimizer, "batch": batch})
        if problems:
            continue
        cfg = make_config(optimizer=optimizer, dtype=dtype, batch=batch, hidden=list(hidden),
                          activation="tanh", lr=0.1)
        _check_invariance(cfg, [20])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("output", "loss"), valid_output_losses())
def test_batch_invariance_losses(output, loss, dtype):
    for batch, hidden in [*INVARIANCE_SHAPES[:3], INVARIANCE_SHAPES[-1]]:
        cfg = make_config(output=output, loss=loss, dtype=dtype, batch=batch,
                          hidden=list(hidden), activation="relu", lr=0.2)
        _check_invariance(cfg, [20])


@pytest.mark.parametrize("batch", ["full", "online", "sampled(7)", "cyclic"])
def test_batch_invariance_of_a_diverging_run(batch):
    """NaN positions too: a network that blows up records the same NaNs alone or not."""
    cfg = make_config(output="linear", hidden=[9], lr=30.0, batch=batch, task="parity(3)")
    together = _check_invariance(cfg, [5, 200])
    assert together.diverged[-1, 17]


@pytest.mark.parametrize("criterion", ["threshold", "tolerance(0.3)", "rms(0.4)"])
def test_batch_invariance_criteria(criterion):
    cfg = make_config(criterion=criterion, hidden=[3, 8], lr=2.0, task="or")
    _check_invariance(cfg, [1, 5, 50])


# ============================================================ 5. checkpoints


CHECKPOINT_CASES = [*((b, "momentum") for b in ("full", "online", "sampled(7)", "cyclic")),
                    ("full", "rprop"), ("full", "rprop+"), ("full", "irprop+")]


@pytest.mark.parametrize(("batch", "optimizer"), CHECKPOINT_CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_budgets_are_checkpoints(batch, optimizer, dtype):
    """Stopping at a budget and going on (the kernel redoing a recorded epoch's forward
    pass, and for iRprop+ its error) trains the same bits as not stopping."""
    cfg = make_config(batch=batch, dtype=dtype, hidden=[3], lr=0.5, optimizer=optimizer)
    seeds = range(6)
    setup = Setup.of(cfg)
    members = [Member(lr, cfg.init, cfg.bias_init, s) for s in seeds for lr in (0.5, 1e4)]
    # the budget 1000 also crosses a draw block of the pattern orders (1024 updates)
    together = train_batch(setup, members, [1000, 10, 100])
    assert together.budgets == (10, 100, 1000)
    for b, budget in enumerate(together.budgets):
        alone = train_batch(setup, members, [budget])
        for name in RECORDED:
            if name == "curve_loss":
                continue
            x, y = getattr(together, name)[b], getattr(alone, name)[0]
            assert x.dtype == y.dtype
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (budget, name)
        # the learning curve up to the budget is the same, too
        k = len(alone.curve_epochs)
        assert together.curve_epochs[:k] == alone.curve_epochs
        assert all(e <= budget for e in alone.curve_epochs)
        assert np.array_equal(together.curve_loss[:k], alone.curve_loss, equal_nan=True)
        # and the curve at a budget is that budget's final loss
        at = together.curve_epochs.index(budget)
        assert np.array_equal(together.curve_loss[at], alone.final_loss[0], equal_nan=True)


def test_budgets_are_sorted_deduplicated_and_positive():
    cfg = make_config()
    r = train(cfg, [0], [5, 2, 5])
    assert r.budgets == (2, 5)
    assert r.solved.shape == (2, 1)
    with pytest.raises(ValueError):
        train(cfg, [0], [0, 5])
    with pytest.raises(ValueError):
        train(cfg, [0], [])
    with pytest.raises(ValueError):
        train_batch(Setup.of(cfg), [], [5])


def test_log_epochs():
    assert engine.log_epochs(1) == [1]
    assert engine.log_epochs(100) == [1, 2, 3, 5, 10, 20, 30, 50, 100]
    assert engine.log_epochs(250) == [1, 2, 3, 5, 10, 20, 30, 50, 100, 200]


# How many updates an epoch makes (online P, sampled(n) n, full 1) and that Adam's t
# counts them from 1 are checked against the one-network reference, which loops over
# the updates itself (tests/engine/test_reference.py, every optimizer × batch mode).


# ============================================================ 10. epoch_solved


@pytest.mark.parametrize("batch", ["full", "online"])
def test_epoch_solved_is_the_first_epoch_the_criterion_holds(batch):
    cfg = make_config(task="or", hidden=[2], lr=2.0, batch=batch)
    setup = Setup.of(cfg)
    members = [Member(lr, cfg.init, cfg.bias_init, s)
               for s, lr in enumerate([0.5, 1.0, 2.0, 4.0, 0.05, 3.0])]
    last = 40
    solved_at = np.array([train_batch(setup, members, [e]).solved[0]
                          for e in range(1, last + 1)])  # (epochs, N), one training each
    # epoch 0: the initial state, by the reference forward pass
    task = make_task(cfg.task)
    widths = (2, 2, 1)
    initial = []
    for m in members:
        net = ref.Net(ref.unflatten(engine.initial_params(widths, m.init, m.bias_init, m.seed),
                                    widths), ("sigmoid", ()), "sigmoid", "mse")
        y = net.output(task.inputs)
        initial.append(bool(np.all((y > 0.5) == (task.targets > 0.5))))
    holds = np.vstack([initial, solved_at])  # (epochs + 1, N)
    expected = np.where(holds.any(axis=0), holds.argmax(axis=0), -1)
    assert len(set(expected.tolist())) >= 3, "the case should spread out"
    assert (expected == -1).any() and (expected > 1).any()
    got = train_batch(setup, members, [last])
    assert np.array_equal(got.epoch_solved[0], expected)
    # and every intermediate budget reports it only once reached
    for e in (1, 5, 17):
        r = train_batch(setup, members, [e])
        assert np.array_equal(r.epoch_solved[0], np.where(expected <= e, expected, -1))


# ============================================================ recorded numbers


@pytest.mark.parametrize("batch", ["full", "online", "sampled(7)"])
def test_recorded_numbers_match_their_definitions(batch):
    """final_loss, accuracy, grad_norm (full batch, whatever the training batch mode) and
    outputs, from the reference network at the recorded parameters."""
    cfg = make_config(task="xor", hidden=[3], activation="tanh", lr=0.3, loss="sse",
                      batch=batch)
    seeds = range(5)
    r = train(cfg, seeds, [7])
    task = make_task(cfg.task)
    widths = (2, 3, 1)
    for s in seeds:
        net = ref.Net(ref.unflatten(r.params[0][:, s], widths), ("tanh", ()), "sigmoid", "sse")
        y = net.output(task.inputs)
        np.testing.assert_allclose(r.outputs[0][:, s], y, rtol=1e-13)
        assert r.final_loss[0, s] == pytest.approx(net.loss(task.inputs, task.targets),
                                                   rel=1e-13)
        assert r.accuracy[0, s] == np.mean((y > 0.5) == (task.targets > 0.5))
        grads = net.gradients(task.inputs, task.targets)
        norm = math.sqrt(sum(float(np.sum(gW**2) + np.sum(gb**2)) for gW, gb in grads))
        assert r.grad_norm[0, s] == pytest.approx(norm, rel=1e-12)
        assert r.solved[0, s] == bool(np.all((y > 0.5) == (task.targets > 0.5)))
    assert r.pattern_names == ["00", "01", "10", "11"]
    assert r.params.shape == (1, layout.n_params(widths), 5)
    assert r.outputs.shape == (1, 4, 5)


@pytest.mark.parametrize("batch", ["full", "online"])
def test_float32_runs_in_float32(batch):
    r = train(make_config(dtype="float32", batch=batch), [0, 1], [30])
    for name in ("final_loss", "grad_norm", "outputs", "params", "curve_loss"):
        assert getattr(r, name).dtype == np.float32, name
    r64 = train(make_config(dtype="float64", batch=batch), [0, 1], [30])
    np.testing.assert_allclose(r.params, r64.params, rtol=1e-4, atol=1e-5)
    # computed in float32, not computed in float64 and stored in float32
    assert not np.array_equal(r.params, r64.params.astype(np.float32))



def test_a_budget_on_a_divergence_check_does_not_change_the_losses_kept(monkeypatch):
    """Epoch 64 is a divergence check: whether it is a budget (the kernel stops there to
    record it) or only half of one must not change the loss kept for it — inf for a
    network whose loss overflows there, before it is frozen (NaN) — the loss that
    labels a budget's failure and, at curve epochs, is curve_loss."""
    kept = {}

    def capture(**arguments):
        kernel_run(**arguments)
        kept["losses"], kept["epochs"] = arguments["losses"], arguments["kept"]

    kernel_run = engine.kernel.run
    monkeypatch.setattr(engine.kernel, "run", capture)
    cfg = make_config(output="linear", activation="tanh")
    setup = engine.Setup.of(cfg)
    members = [engine.Member(float(lr), cfg.init, cfg.bias_init, 0)
               for lr in np.geomspace(0.1, 1000, 2000)]
    at_64 = {}
    for budgets in ([64, 128], [128]):
        result = train_batch(setup, members, budgets)
        at_64[len(budgets)] = kept["losses"][np.searchsorted(kept["epochs"], 64)].copy()
    assert np.isinf(at_64[1]).any(), "no network overflows at epoch 64: pick other rates"
    assert np.array_equal(at_64[2], at_64[1], equal_nan=True)
    assert result.diverged.any()

