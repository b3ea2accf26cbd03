"""The batched engine agrees with the plain one-network reference (tests/helpers/reference.py).

The reference draws its own initial weights from the seed's init stream, runs
textbook matrix back-propagation and textbook optimizer updates on one network
at a time; only the pattern order of online / sampled epochs comes from the
xorbench (``streams.PatternOrders``, a stream definition). After 50 epochs the final
parameters and outputs must agree to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import reference as ref
from xorbench.config import BATCHES, config_problems, make_config
from xorbench.config.activations import ACTIVATIONS
from xorbench.config.losses import LOSSES
from xorbench.config.optimizers import OPTIMIZERS
from xorbench.config.tasks import make_task
from xorbench.engine import Member, Setup, streams, train_batch

EPOCHS = 50
TOL = 1e-10
SEEDS = (0, 1, 2)

# An example of every batch mode that needs a parameter.
BATCH_EXAMPLES = {"sampled": "sampled(7)"}
# Learning rates that make 50 epochs move the weights well away from the start.
LRS = {"sgd": 0.5, "momentum": 0.2, "nesterov": 0.2, "adam": 0.05, "rprop": 0.05}


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


def reference_run(cfg, seed, epochs=EPOCHS):
    """One network trained by the reference, from the same seed."""
    task = make_task(cfg.task)
    widths = (task.n_inputs, *cfg.hidden, 1)
    assert cfg.init.label == "xavier"
    assert cfg.bias_init.name == "uniform"
    layers = ref.initial_layers(widths, seed, ref.xavier, ref.uniform_bias(*cfg.bias_init.args))
    net = ref.Net(layers, (cfg.activation.name, cfg.activation.args), cfg.output.label,
                  cfg.loss.label)
    opt = ref.Optimizer(cfg.optimizer.name, cfg.optimizer.args, cfg.lr)
    order = None
    if cfg.batch.name != "full":
        orders = streams.PatternOrders(cfg.batch, task.n_patterns, [seed])
        order = lambda e: orders.epoch(e)[:, 0]  # noqa: E731
    ref.train(net, task.inputs, task.targets, opt, epochs, order)
    return net, task


def assert_engine_matches_reference(cfg, seeds=SEEDS, epochs=EPOCHS):
    result = train_batch(Setup.of(cfg), [Member.of(cfg, s) for s in seeds], [epochs])
    assert not result.diverged.any()
    for k, seed in enumerate(seeds):
        net, task = reference_run(cfg, seed, epochs)
        theta = net.flat()
        # the run really moved: the comparison is not start vs start
        start = ref.initial_layers((task.n_inputs, *cfg.hidden, 1), seed, ref.xavier,
                                   ref.uniform_bias(*cfg.bias_init.args))
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
    assert_engine_matches_reference(cfg)


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


def test_reference_knows_every_table_entry():
    """New table entries need a reference implementation before they count as tested."""
    assert set(ACTIVATIONS) == set(ref.ACTIVATION_NAMES)
    assert set(OPTIMIZERS) == set(ref.OPTIMIZER_NAMES)
    assert set(LOSSES) == set(ref.LOSS_NAMES)
