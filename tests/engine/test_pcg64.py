"""NumPy's PCG64 draws in compiled code (xorbench.engine.pcg64): the very numbers NumPy's
Generator gives, block after block."""

from __future__ import annotations

import numpy as np
import pytest

from xorbench.engine import pcg64
from xorbench.engine.streams import stream

# seeds small and huge; stream 1 is the data-order stream, 0 the init stream
SEEDS = [0, 1, 2, 3, 17, 4095, 2**31 + 11, 2**40 + 7, 2**63 + 5]


def _numpy(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed).spawn(2)[1]))


def test_states_are_numpys_and_go_back_into_a_generator():
    rows = pcg64.states([stream(s, 1) for s in SEEDS])
    assert rows.dtype == np.uint64 and rows.shape == (len(SEEDS), pcg64.FIELDS)
    for row, seed in zip(rows, SEEDS, strict=True):
        assert np.array_equal(pcg64.generator(row).random(20), _numpy(seed).random(20))


# P = 2, 4, 8, 16 never reject a draw (Lemire's threshold is 0); 3, 5, 7, 48 can;
# 1 draws nothing
@pytest.mark.parametrize("n_patterns", [1, 2, 3, 4, 5, 7, 8, 16, 48, 255])
@pytest.mark.parametrize("shape", [(1, 1000), (3, 7), (2, 1)])
def test_sampled_draws_are_numpys_integers(n_patterns, shape):
    rows = pcg64.states([stream(s, 1) for s in SEEDS])
    blocks = []
    for _ in range(3):  # each block continues the streams, odd counts leave a spare half
        out = np.zeros((*shape, len(SEEDS)), np.uint8)
        pcg64.draw_sampled(rows, n_patterns, out)
        blocks.append(out)
    for s, seed in enumerate(SEEDS):
        rng = _numpy(seed)
        for out in blocks:
            assert np.array_equal(out[:, :, s], rng.integers(0, n_patterns, size=shape))


@pytest.mark.parametrize("n_patterns", [1, 2, 3, 4, 5, 8, 13, 48])
@pytest.mark.parametrize("k", [1, 3, 256])
def test_online_draws_are_numpys_permuted_shuffles(n_patterns, k):
    rows = pcg64.states([stream(s, 1) for s in SEEDS])
    blocks = []
    for _ in range(2):
        out = np.zeros((k, n_patterns, len(SEEDS)), np.uint8)
        pcg64.draw_online(rows, out)
        blocks.append(out)
    for s, seed in enumerate(SEEDS):
        rng = _numpy(seed)
        for out in blocks:
            expected = rng.permuted(np.tile(np.arange(n_patterns), (k, 1)), axis=1)
            assert np.array_equal(out[:, :, s], expected)


def test_sampled_and_online_draws_share_one_stream():
    """Whatever mix of calls draws from a state, the next number is NumPy's next: the
    spare upper half of a 64-bit output is kept in the state, as NumPy keeps it."""
    rows = pcg64.states([stream(9, 1)])
    rng = _numpy(9)
    for n_patterns, count in [(5, 3), (4, 1), (3, 2), (7, 5)]:
        sampled = np.zeros((1, count, 1), np.uint8)
        pcg64.draw_sampled(rows, n_patterns, sampled)
        assert np.array_equal(sampled[0, :, 0], rng.integers(0, n_patterns, size=count))
        online = np.zeros((1, n_patterns, 1), np.uint8)
        pcg64.draw_online(rows, online)
        assert np.array_equal(online[0, :, 0], rng.permuted(np.arange(n_patterns)))
    assert np.array_equal(pcg64.generator(rows[0]).random(5), rng.random(5))


@pytest.mark.parametrize("which", [0, 1])
def test_seeding_is_numpys_seed_sequence_and_pcg64(which):
    seeds = np.array([0, 1, 2, 5, 4095, 2**32 - 1, 2**32, 2**40 + 7, 2**63 + 5, 2**64 - 1],
                     np.uint64)
    rows = np.zeros((len(seeds), pcg64.FIELDS), np.uint64)
    pcg64.seeded_states(seeds, which, rows)
    assert np.array_equal(rows, pcg64.states([stream(int(s), which) for s in seeds]))


# every init, uniform (compiled) or not (NumPy), in networks with and without hidden
# layers; sklearn's bound depends on the hidden activation
INIT_PAIRS = [("uniform(0,1)", "uniform(0,1)"), ("uniform(-0.5,2)", "zeros"),
              ("xavier", "zeros"), ("torch", "torch"), ("sklearn", "sklearn"),
              ("keras", "keras"), ("he_uniform", "constant(0.1)"), ("he", "zeros"),
              ("orthogonal", "uniform(0,1)"), ("xavier_normal", "normal(0.5)")]


@pytest.mark.parametrize("init,bias_init", INIT_PAIRS)
@pytest.mark.parametrize("hidden", [(), (2,), (3, 3)])
def test_initial_thetas_are_initial_params_bit_for_bit(init, bias_init, hidden, monkeypatch):
    from xorbench.config import Member, Setup, make_config
    from xorbench.engine import kernel_args
    from xorbench.engine.initial import initial_params, initial_thetas

    monkeypatch.setattr(kernel_args, "draws_ready", lambda: True)  # compiled where it can be

    config = make_config(init=init, bias_init=bias_init, hidden=hidden, activation="sigmoid")
    setup = Setup.of(config)
    seeds = [0, 1, 5, 5, 17, 2**40, 2**64 - 1, 2**64 + 3]  # repeated, huge (NumPy's path)
    other = make_config(init="xavier", bias_init="zeros")  # a second group in the batch
    members = [Member(0.1, config.init, config.bias_init, s) for s in seeds]
    members.insert(2, Member(0.1, other.init, other.bias_init, 5))
    theta = initial_thetas(setup.widths, members, setup.activation)
    for n, m in enumerate(members):
        expected = initial_params(setup.widths, m.init, m.bias_init, m.seed, setup.activation)
        assert theta[:, n].view(np.uint64).tolist() == expected.view(np.uint64).tolist()


def test_uniform_draws_reads_each_init_as_numpy_draws_it():
    from xorbench.config import make_config
    from xorbench.config.inits import INITS, uniform_draws

    def how(init):
        return uniform_draws(make_config(init=init).init, 2, 3, (2, 3), INITS,
                             activation="tanh")

    assert how("uniform(0,1)") == (0.0, 1.0)
    limit = np.sqrt(6 / 5)
    assert how("xavier") == how("keras") == (-limit, limit)
    assert how("torch") == (-1 / np.sqrt(2), 1 / np.sqrt(2))
    assert np.array_equal(how("constant(0.5)"), np.full(6, 0.5))
    assert np.array_equal(how("zeros"), np.zeros(6))
    assert how("he") is None and how("orthogonal") is None and how("normal(1)") is None


def test_the_engine_draws_with_numpy_until_the_draws_are_compiled(monkeypatch):
    """Compiling the draws takes longer than a small grid's draws: until a sweep has
    compiled them (or numba's cache holds them), NumPy draws, the same numbers."""
    from xorbench.config import Member, Setup, make_config
    from xorbench.engine import initial, kernel_args

    monkeypatch.setattr(kernel_args, "draws_ready", lambda: False)
    monkeypatch.setattr(pcg64, "uniform_columns", None)  # would fail if called
    config = make_config(init="xavier", bias_init="zeros")
    setup = Setup.of(config)
    members = [Member(0.1, config.init, config.bias_init, seed) for seed in (3, 4)]
    theta = initial.initial_thetas(setup.widths, members, setup.activation)
    for n, m in enumerate(members):
        assert np.array_equal(theta[:, n], initial.initial_params(
            setup.widths, m.init, m.bias_init, m.seed, setup.activation))


def test_draws_ready_once_compiled_in_this_process_or_cached():
    from xorbench.engine import kernel_args

    pcg64.compile_draws()
    assert kernel_args.draws_ready() and not kernel_args.draws_uncompiled()
