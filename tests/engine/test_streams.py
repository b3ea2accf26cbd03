"""A run's random streams and the pattern orders drawn from them (xorbench.engine.streams)."""

from __future__ import annotations

import numpy as np
import pytest

from xorbench.config import make_config
from xorbench.engine import streams


@pytest.fixture(params=["compiled", "numpy"], autouse=True)
def draws(request, monkeypatch):
    """Every test here twice: the orders drawn by the compiled draws (pcg64), and by
    NumPy's Generator, as before they are compiled — the same patterns either way."""
    from xorbench.engine import kernel_args

    monkeypatch.setattr(kernel_args, "draws_ready", lambda: request.param == "compiled")
    return request.param


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**40])
def test_streams_are_the_children_of_spawn(seed):
    """The cheap direct construction gives exactly DESIGN's SeedSequence(seed).spawn(2)."""
    children = np.random.SeedSequence(seed).spawn(2)
    for which, child in enumerate(children):
        assert np.array_equal(streams.stream(seed, which).generate_state(16),
                              child.generate_state(16))


def _data_stream(seed):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed).spawn(2)[1]))


@pytest.mark.parametrize("P", [4, 8])
def test_online_epochs_visit_every_pattern_once(P):
    seeds = [5, 9, 5, 2]
    orders = streams.PatternOrders(make_config(batch="online").batch, P, seeds)
    epochs = [orders.epoch(e) for e in range(600)]  # crosses draw blocks
    for idx in epochs:
        assert idx.shape == (P, len(seeds))
        assert (np.sort(idx, axis=0) == np.arange(P)[:, None]).all()
        assert np.array_equal(idx[:, 0], idx[:, 2])  # same seed, same order
    stacked = np.stack(epochs)
    assert not np.array_equal(stacked[:, :, 0], stacked[:, :, 1])
    assert len({tuple(e[:, 0]) for e in epochs}) > 10  # shuffled anew each epoch
    # the first block comes from the seed's data stream: one shuffle of 0..P−1 per epoch
    k = streams.DRAW_BLOCK_UPDATES // P
    block = _data_stream(5).permuted(np.tile(np.arange(P), (k, 1)), axis=1)
    assert np.array_equal(stacked[:k, :, 0], block)
    # a network's orders do not depend on its batch-mates
    alone = streams.PatternOrders(make_config(batch="online").batch, P, [2])
    assert all(np.array_equal(alone.epoch(e)[:, 0], epochs[e][:, 3]) for e in range(600))


@pytest.mark.parametrize("repeat", [False, True])
def test_orders_of_many_streams_match_each_stream_alone(repeat, draws):
    """More streams than one transposed slice (and a ragged last slice): every
    network still gets exactly its own seed's orders, repeated seeds included."""
    n_streams = 2 * streams.TRANSPOSE_STREAMS + 5
    seeds = [s % 70 if repeat else s for s in range(n_streams)]
    batch = make_config(batch="online").batch
    together = streams.PatternOrders(batch, 4, seeds)
    assert together.own_streams is not repeat
    assert together.compiled is (draws == "compiled")
    checked = (0, 63, 64, 70, n_streams - 1)
    alone = {s: streams.PatternOrders(batch, 4, [seeds[s]]) for s in checked}
    for e in (0, 300):  # two draw blocks, in order (each block continues the streams)
        idx = together.epoch(e)
        assert idx.flags.c_contiguous and idx.shape == (4, n_streams)
        for s in checked:
            assert np.array_equal(idx[:, s], alone[s].epoch(e)[:, 0])


@pytest.mark.parametrize("n", [1, 7, 1000, 3000])
def test_sampled_epochs_draw_n_patterns_with_replacement(n):
    batch = make_config(batch=f"sampled({n})").batch
    orders = streams.PatternOrders(batch, 4, [3, 4])
    epochs = [orders.epoch(e) for e in range(5)]
    for idx in epochs:
        assert idx.shape == (n, 2)
        assert idx.min() >= 0 and idx.max() < 4
    drawn = np.concatenate([e[:, 0] for e in epochs])
    if len(drawn) >= 1000:
        counts = np.bincount(drawn, minlength=4) / len(drawn)
        np.testing.assert_allclose(counts, 0.25, atol=0.03)
    k = max(1, streams.DRAW_BLOCK_UPDATES // n)
    first = _data_stream(3).integers(0, 4, size=(k, n))[0]
    assert np.array_equal(epochs[0][:, 0], first)
    alone = streams.PatternOrders(batch, 4, [4])
    assert all(np.array_equal(alone.epoch(e)[:, 0], epochs[e][:, 1]) for e in range(5))


@pytest.mark.parametrize("P", [4, 8])
def test_cyclic_epochs_visit_the_patterns_in_order_and_draw_nothing(P):
    """The textbook loop: 0, 1, …, P − 1 every epoch, for every network, whatever its
    seed, across draw blocks — and no data stream is built."""
    orders = streams.PatternOrders(make_config(batch="cyclic").batch, P, [5, 9, 5])
    assert orders.states is None and orders.rngs == []
    assert orders.per_epoch == P
    for e in (0, 1, streams.DRAW_BLOCK_UPDATES // P, 3 * streams.DRAW_BLOCK_UPDATES // P + 7):
        idx = orders.epoch(e)
        assert idx.shape == (P, 3) and idx.flags.c_contiguous
        assert (idx == np.arange(P)[:, None]).all()
    block, start = orders.block_at(300)
    assert start == 300 - 300 % orders.epochs_per_block
    assert block.shape == (orders.epochs_per_block, P, 3)
