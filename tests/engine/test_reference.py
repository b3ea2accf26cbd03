"""The batched engine agrees with the plain one-network reference (tests/helpers/reference.py).

The reference draws its own initial weights from the seed's init stream (xavier and
the frameworks' defaults, as their sources write them), runs textbook matrix
back-propagation and textbook optimizer updates on one network at a time; only the
random pattern order of online / sampled epochs comes from xorbench
(``streams.PatternOrders``, a stream definition) — cyclic epochs are the reference's
own loop over the patterns in order. After 50 epochs the final parameters and
outputs must agree to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import reference as ref
from xorbench.config import BATCHES, config_problems, make_config
from xorbench.config.activations import ACTIVATIONS
from xorbench.config.inits import INITS
from xorbench.config.losses import LOSSES
from xorbench.config.optimizers import OPTIMIZERS
from xorbench.config.tasks import make_task
from xorbench.engine import Member, Setup, initial_params, streams, train_batch

EPOCHS = 50
TOL = 1e-10
SEEDS = (0, 1, 2)

# An example of every batch mode that needs a parameter.
BATCH_EXAMPLES = {"sampled": "sampled(7)"}
# Learning rates that make 50 epochs move the weights well away from the start.
LRS = {"sgd": 0.5, "momentum": 0.2, "nesterov": 0.2, "adam": 0.05, "rprop": 0.05,
       "rprop+": 0.05, "irprop+": 0.5}
# Fewer epochs for the backtracking Rprops (each case backtracks ≥ 20 times in them):
# later, some of their tanh units saturate, where ∇E has components that are exactly 0
# in one implementation and ±1e-18 in the other (1 − tanh² rounds differently), and
# Rprop branches on the sign — both are right, and the trajectories part.
EPOCHS_FOR = {"rprop+": 25, "irprop+": 20}


def _batches():
    return [BATCH_EXAMPLES.get(name, name) for name in BATCHES]


def _optimizers():
    return [*OPTIMIZERS, "momentum(0.5)", "nesterov(0.6)", "adam(0.8,0.99)"]


def _cases():
    return [(o, b) for o in _optimizers() for b in _batches()
            if not config_problems({"optimizer": o, "batch": b})]


def test_cases_cover_every_optimizer_and_batch_mode():
    cases = _cases()
    assert {make_config(optimizer=o).optimizer.name for o, _ in cases} == set(OPTIMIZERS)
    assert {make_config(batch=b).batch.name for _, b in cases} == set(BATCHES)
    assert set(BATCH_EXAMPLES) <= set(BATCHES)


def _reference_start(cfg, seed):
    """The reference's initial layers for ``cfg`` and ``seed``."""
    widths = (make_task(cfg.task).n_inputs, *cfg.hidden, 1)
    hidden = cfg.activation.name
    return ref.initial_layers(widths, seed, ref.weight_init(cfg.init.label, hidden),
                              ref.bias_init(cfg.bias_init.label, hidden))


def reference_run(cfg, seed, epochs=EPOCHS):
    """One network trained by the reference, from the same seed."""
    task = make_task(cfg.task)
    net = ref.Net(_reference_start(cfg, seed), (cfg.activation.name, cfg.activation.args),
                  cfg.output.label, cfg.loss.label)
    opt = ref.Optimizer(cfg.optimizer.name, cfg.optimizer.args, cfg.lr)
    order = None
    if cfg.batch.name == "cyclic":
        order = ref.cyclic_order(task.n_patterns)
    elif cfg.batch.name != "full":
        orders = streams.PatternOrders(cfg.batch, task.n_patterns, [seed])
        order = lambda e: orders.epoch(e)[:, 0]  # noqa: E731
    ref.train(net, task.inputs, task.targets, opt, epochs, order)
    return net, task, opt


def assert_engine_matches_reference(cfg, seeds=SEEDS, epochs=EPOCHS):
    result = train_batch(Setup.of(cfg), [Member.of(cfg, s) for s in seeds], [epochs])
    assert not result.diverged.any()
    for k, seed in enumerate(seeds):
        net, task, opt = reference_run(cfg, seed, epochs)
        theta = net.flat()
        if opt.name in ("rprop+", "irprop+"):  # the comparison covers backtracking
            assert opt.backtracks > 0
        # the run really moved: the comparison is not start vs start
        start = _reference_start(cfg, seed)
        moved = np.abs(theta - ref.Net(start, ("linear", ()), "linear", "mse").flat()).max()
        assert moved > 1e-3
        np.testing.assert_allclose(result.params[0][:, k], theta, rtol=0, atol=TOL,
                                   err_msg=f"params, seed {seed}")
        np.testing.assert_allclose(result.outputs[0][:, k], net.output(task.inputs), rtol=0,
                                   atol=TOL, err_msg=f"outputs, seed {seed}")
        np.testing.assert_allclose(result.final_loss[0, k], net.loss(task.inputs, task.targets),
                                   rtol=0, atol=TOL)


@pytest.mark.parametrize(("optimizer", "batch"), _cases())
def test_every_optimizer_and_batch_mode(optimizer, batch):
    name = make_config(optimizer=optimizer).optimizer.name
    cfg = make_config(task="xor", hidden=[3, 2], activation="tanh", output="sigmoid",
                      loss="mse", init="xavier", bias_init="uniform(-0.5,0.5)",
                      optimizer=optimizer, batch=batch, lr=LRS.get(name, 0.1))
    assert_engine_matches_reference(cfg, epochs=EPOCHS_FOR.get(name, EPOCHS))


def _output_losses():
    return [(o, l) for o in ("sigmoid", "linear") for l in LOSSES
            if not config_problems({"output": o, "loss": l})]


@pytest.mark.parametrize("batch", ["full", "online"])
@pytest.mark.parametrize(("output", "loss"), _output_losses())
@pytest.mark.parametrize("activation", [*ACTIVATIONS, "leaky_relu(0.2)", "elu(0.5)"])
def test_every_activation_and_loss(activation, output, loss, batch):
    lr = 0.01 if output == "linear" else 0.3
    cfg = make_config(task="parity(3)", hidden=[4, 3], activation=activation, output=output,
                      loss=loss, init="xavier", bias_init="uniform(-0.5,0.5)",
                      optimizer="sgd", batch=batch, lr=lr)
    assert_engine_matches_reference(cfg, seeds=(3, 4), epochs=30)


@pytest.mark.parametrize("batch", ["full", "cyclic"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("framework", ["torch", "sklearn", "keras"])
def test_framework_inits_start_and_train_as_the_reference(framework, activation, batch):
    """A framework's init and bias init (drawn by the reference from its library's
    formula) start the same network and train it the same way, deep layers too."""
    cfg = make_config(task="xor", hidden=[3, 5], activation=activation, init=framework,
                      bias_init=framework, optimizer="sgd", batch=batch, lr=0.5)
    widths = (2, 3, 5, 1)
    for seed in SEEDS:
        start = ref.Net(_reference_start(cfg, seed), ("linear", ()), "linear", "mse").flat()
        drawn = initial_params(widths, cfg.init, cfg.bias_init, seed, cfg.activation)
        np.testing.assert_allclose(drawn, start, rtol=1e-15, atol=0)
    assert_engine_matches_reference(cfg)


def test_reference_knows_every_table_entry():
    """New table entries need a reference implementation before they count as tested."""
    assert set(ACTIVATIONS) == set(ref.ACTIVATION_NAMES)
    assert set(OPTIMIZERS) == set(ref.OPTIMIZER_NAMES)
    assert set(LOSSES) == set(ref.LOSS_NAMES)
    assert set(BATCHES) == set(ref.BATCH_NAMES)
    assert set(ref.INIT_NAMES) <= set(INITS)
    assert {"torch", "sklearn", "keras"} <= set(ref.INIT_NAMES)
