"""Grid files: validation messages, semantics, counting and expansion."""

from __future__ import annotations

import json
import math
import pickle
from importlib import resources
from itertools import product
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xorbench.config import DEFAULTS, config_from_labels, make_config
from xorbench.config.choices import Choice
from xorbench.errors import GridError, XorbenchError
from xorbench.grid import (
    AXES,
    CONFIG_AXES,
    DEFAULT_EPOCHS,
    DEFAULT_SEEDS,
    default_grid,
    expand,
    expand_configs,
    format_value,
    load_grid,
    loads_grid,
    union_size,
)
from xorbench.grid.plotroles import PlotRoles
from xorbench.sweep.cost import MAX_RUNS_WITHOUT_CONFIRM

SWEEPS = Path(__file__).resolve().parents[2] / "sweeps"


def grid_of(text: str):
    return loads_grid(text, "grid.toml")


def problems_of(text: str) -> list[str]:
    with pytest.raises(GridError) as info:
        loads_grid(text, "grid.toml")
    return str(info.value).splitlines()


def test_defaults_fill_every_axis():
    grid = grid_of("")
    (sub,) = grid.subgrids
    assert list(sub) == list(AXES)
    config, budgets = expand_configs(grid)[0]
    assert config == make_config(DEFAULTS)
    assert budgets == (DEFAULT_EPOCHS,)
    assert grid.seeds == tuple(range(DEFAULT_SEEDS))
    assert grid.n_runs == DEFAULT_SEEDS
    assert grid.name == "grid" and grid.description == ""


def test_grid_wins_over_defaults_and_defaults_are_shared():
    grid = grid_of("""
        [defaults]
        activation = "tanh"
        lr = 0.1
        [[grid]]
        lr = 2.0
        [[grid]]
        hidden = 3
    """)
    first, second = grid.subgrids
    assert first["lr"] == (2.0,) and first["activation"] == (Choice("tanh"),)
    assert second["lr"] == (0.1,) and second["hidden"] == ((3,),)
    assert second["activation"] == (Choice("tanh"),)


@pytest.mark.parametrize(("text", "expected"), [
    ("hidden = 2", ((2,),)),
    ("hidden = [2, 2]", ((2, 2),)),
    ("hidden = [[2], [2, 2]]", ((2,), (2, 2))),
    ("hidden = []", ((),)),
    ("hidden = [[]]", ((),)),
    ("hidden = [[], [3]]", ((), (3,))),
    ('hidden = ["2-2", "0"]', ((2, 2), ())),
])
def test_hidden_list_of_ints_is_one_architecture_list_of_lists_an_axis(text, expected):
    assert grid_of(f"[grid]\n{text}").subgrids[0]["hidden"] == expected


def test_seeds_count_and_explicit_list():
    assert grid_of("[defaults]\nseeds = 3").seeds == (0, 1, 2)
    assert grid_of("[defaults]\nseeds = [7, 2, 40]").seeds == (7, 2, 40)
    assert grid_of("[grid]\nseeds = 2").seeds == (0, 1)


def test_same_seeds_in_every_subgrid_are_allowed():
    grid = grid_of("[[grid]]\nseeds = 2\nlr = 1\n[[grid]]\nseeds = [0, 1]\nlr = 2")
    assert grid.seeds == (0, 1) and grid.n_runs == 4


def test_log_range_endpoints_included_and_rounded():
    grid = grid_of("[grid]\nlr = { log = [0.01, 10], num = 7 }")
    assert grid.subgrids[0]["lr"] == (0.01, 0.0316228, 0.1, 0.316228, 1.0, 3.16228, 10.0)


def test_linear_range_and_epoch_ranges_round_to_int():
    grid = grid_of("""
        [grid]
        lr = { linear = [0.5, 2.0], num = 4 }
        epochs = { log = [10, 10000], num = 4 }
    """)
    assert grid.subgrids[0]["lr"] == (0.5, 1.0, 1.5, 2.0)
    assert grid.subgrids[0]["epochs"] == (10, 100, 1000, 10000)
    assert all(type(e) is int for e in grid.subgrids[0]["epochs"])


def test_call_syntax_is_normalised_to_canonical_labels():
    grid = grid_of("""
        [grid]
        init = ["uniform(-1, 1)", "uniform( 0 ,1.0 )"]
        optimizer = "momentum(0.90)"
        batch = "sampled( 1000 )"
    """)
    axes = grid.axes()
    assert [format_value("init", v) for v in axes["init"]] == ["uniform(-1,1)", "uniform(0,1)"]
    assert format_value("optimizer", axes["optimizer"][0]) == "momentum(0.9)"
    assert format_value("batch", axes["batch"][0]) == "sampled(1000)"
    assert format_value("hidden", (2, 2)) == "2-2" and format_value("hidden", ()) == "0"
    assert format_value("lr", 1.0) == "1" and format_value("lr", 0.0316228) == "0.0316228"
    # the same settings written differently are the same runs
    other = grid_of('[grid]\ninit = ["uniform(-1,1)", "uniform(0,1)"]\n'
                    'optimizer = "momentum(0.9)"\nbatch = "sampled(1000)"')
    assert [s.run_key for s in expand(grid)] == [s.run_key for s in expand(other)]


def test_name_defaults_to_file_stem(tmp_path):
    path = tmp_path / "my-sweep.toml"
    path.write_text('description = "d"\n')
    grid = load_grid(path)
    assert grid.name == "my-sweep" and grid.description == "d"
    assert grid.path == str(path) and grid.source == 'description = "d"\n'
    path.write_text('name = "other"\n')
    assert load_grid(path).name == "other"


def test_counts_are_the_product_of_axis_lengths():
    grid = grid_of("""
        [defaults]
        seeds = 5
        [grid]
        hidden = [[2], [3], [2, 2]]
        activation = ["sigmoid", "tanh"]
        lr = [0.1, 0.5, 1.0, 2.0]
        epochs = [10, 100]
    """)
    assert grid.n_configs == 3 * 2 * 4
    assert grid.n_runs == 3 * 2 * 4 * 5 * 2 == len(expand(grid))
    assert grid.n_network_epochs == 3 * 2 * 4 * 5 * 100
    assert grid.varying_axes() == ("hidden", "activation", "lr", "epochs")


def test_counts_of_disjoint_subgrids_add_up():
    grid = grid_of("""
        [defaults]
        seeds = 3
        [[grid]]
        activation = ["sigmoid", "tanh"]
        lr = [0.1, 0.5]
        [[grid]]
        activation = "relu"
        init = ["he", "xavier", "lecun"]
        epochs = [10, 20]
    """)
    assert grid.n_configs == 4 + 3
    assert grid.n_runs == (4 * 1 + 3 * 2) * 3 == len(expand(grid))
    assert grid.n_network_epochs == (4 * DEFAULT_EPOCHS + 3 * 20) * 3


def test_overlapping_subgrids_count_each_run_once_first_occurrence_wins():
    grid = grid_of("""
        [defaults]
        seeds = 2
        [[grid]]
        lr = [0.1, 1.0]
        epochs = [10]
        [[grid]]
        lr = [1.0, 2.0]
        epochs = [10, 50]
    """)
    specs = expand(grid)
    # (0.1, 10), (1.0, 10) from the first; (1.0, 50), (2.0, 10), (2.0, 50) new in the second
    assert [(s.config.lr, s.seed, s.epochs) for s in specs] == [
        (0.1, 0, 10), (0.1, 1, 10), (1.0, 0, 10), (1.0, 1, 10),
        (1.0, 0, 50), (1.0, 1, 50), (2.0, 0, 10), (2.0, 0, 50), (2.0, 1, 10), (2.0, 1, 50),
    ]
    assert grid.n_runs == len(specs) == 10
    assert grid.n_configs == 3
    assert grid.n_network_epochs == (10 + 50 + 50) * 2
    assert expand_configs(grid) == [
        (specs[0].config, (10,)), (specs[2].config, (10, 50)), (specs[6].config, (10, 50))]
    assert grid.epoch_budgets(specs[2].config) == (10, 50)
    with pytest.raises(KeyError):
        grid.epoch_budgets(make_config(lr=0.3))


def test_huge_grid_is_counted_without_expanding():
    grid = grid_of("""
        [defaults]
        seeds = 1000
        [[grid]]
        lr = { log = [0.001, 100], num = 1000 }
        init = ["xavier", "he", "lecun"]
        activation = ["sigmoid", "tanh", "relu", "elu", "gelu"]
        epochs = [10, 100, 1000]
        [[grid]]
        lr = { log = [0.001, 100], num = 1000 }
        activation = ["sigmoid", "sin"]
        epochs = [1000, 5000]
    """)
    first = 1000 * 3 * 5 * 3
    # the second adds sin (1000 lrs × 2 budgets) and sigmoid-xavier at 5000 epochs
    assert grid.n_runs == (first + 1000 * 2 + 1000) * 1000
    assert grid.n_runs > MAX_RUNS_WITHOUT_CONFIRM == 1_000_000


def test_expansion_order_is_documented_and_stable():
    text = """
        [defaults]
        seeds = [3, 1]
        [grid]
        activation = ["tanh", "sigmoid"]
        lr = [2.0, 0.5]
        epochs = [100, 10]
    """
    specs = expand(grid_of(text))
    assert [s.run_key for s in specs] == [s.run_key for s in expand(grid_of(text))]
    # axes in AXES order (activation before lr), values in file order, then seed, then epochs
    assert [(s.config.activation.name, s.config.lr, s.seed, s.epochs) for s in specs[:6]] == [
        ("tanh", 2.0, 3, 100), ("tanh", 2.0, 3, 10), ("tanh", 2.0, 1, 100),
        ("tanh", 2.0, 1, 10), ("tanh", 0.5, 3, 100), ("tanh", 0.5, 3, 10),
    ]
    assert specs[8].config.activation.name == "sigmoid"


def test_grid_pickles_for_worker_processes():
    grid = default_grid()
    assert grid.n_runs  # cached properties travel too
    copy = pickle.loads(pickle.dumps(grid))
    assert copy == grid and copy.n_runs == grid.n_runs


AXIS_POOLS = {
    "hidden": [[2], [3], [2, 2], []],
    "activation": ["sigmoid", "tanh", "relu"],
    "init": ["xavier", "uniform(-1,1)"],
    "lr": [0.1, 0.5, 1.0],
    "optimizer": ["sgd", "momentum(0.9)"],
    "batch": ["full", "online"],
    "epochs": [5, 20, 100],
}


@st.composite
def sections(draw):
    """A random sub-grid: some axes fixed (scalar), some swept (a list of distinct values)."""
    out = {}
    for key in draw(st.lists(st.sampled_from(sorted(AXIS_POOLS)), unique=True, max_size=4)):
        values = draw(st.lists(st.sampled_from(AXIS_POOLS[key]), unique_by=json.dumps,
                               min_size=1, max_size=3))
        if draw(st.booleans()) and len(values) == 1:
            out[key] = values[0]  # a scalar: fixed (for hidden, a list of ints)
        else:
            out[key] = values if key != "hidden" else [list(v) for v in values]
    return out


def toml_line(key, value) -> str:
    return f"{key} = {json.dumps(value)}"  # JSON scalars and arrays are valid TOML here


@given(
    defaults=sections(),
    grids=st.lists(sections(), min_size=1, max_size=3),
    seeds=st.one_of(st.integers(1, 3), st.lists(st.integers(0, 50), unique=True,
                                                  min_size=1, max_size=3)),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_grids_expand_to_exactly_the_counted_runs(defaults, grids, seeds):
    text = "\n".join(["[defaults]", toml_line("seeds", seeds),
                      *(toml_line(k, v) for k, v in defaults.items())])
    for section in grids:
        text += "\n[[grid]]\n" + "\n".join(toml_line(k, v) for k, v in section.items())
    grid = grid_of(text)
    specs = expand(grid)

    # an independent oracle: the union of the sub-grids' products, built from the raw values
    expected_seeds = list(range(seeds)) if isinstance(seeds, int) else seeds
    expected = set()
    for section in grids:
        merged = {"epochs": DEFAULT_EPOCHS, **defaults, **section}
        axes = {k: (v if isinstance(v, list) and (k != "hidden" or (v and isinstance(v[0], list)))
                    else [v]) for k, v in merged.items()}
        keys = sorted(axes)
        for values in product(*(axes[k] for k in keys)):
            raw = dict(zip(keys, values, strict=True))
            epochs = raw.pop("epochs")
            config = make_config(raw)
            expected.update((config, seed, epochs) for seed in expected_seeds)

    assert {(s.config, s.seed, s.epochs) for s in specs} == expected
    assert grid.n_runs == len(specs) == len(expected)
    assert len({s.run_key for s in specs}) == len(specs)
    assert grid.seeds == tuple(expected_seeds)
    pairs = expand_configs(grid)
    assert grid.n_configs == len(pairs) == len({c for c, _, _ in expected})
    assert grid.n_network_epochs == sum(max(b) for _, b in pairs) * len(expected_seeds)
    for config, budgets in pairs:
        assert config_from_labels(config.labels()) == config
        assert grid.epoch_budgets(config) == budgets
        assert set(budgets) == {e for c, _, e in expected if c == config}


boxes = st.lists(
    st.tuples(*[st.frozensets(st.integers(0, 3), min_size=1, max_size=4)] * 4),
    min_size=0, max_size=14,
)


@given(boxes)
@settings(max_examples=150, deadline=None)
def test_union_of_boxes_counts_each_point_once(boxes):
    # both ways of counting: disjoint pieces (≤ 8 boxes) and distinct points (more)
    assert union_size(boxes) == len({p for box in boxes for p in product(*box)})


BAD = [
    # (grid text, substrings the message must contain)
    ("[grid]\nactivation = 'sigmiod'",
     ["[grid] activation = 'sigmiod'", "unknown activation", "did you mean 'sigmoid'",
      "allowed: sigmoid, tanh"]),
    ("[grid]\ninit = ['xavier', 'gaussian(1)']", ["init = 'gaussian(1)'", "unknown init",
                                                 "allowed: uniform(low,high)"]),
    ("[grid]\noptimizer = 'adamm'", ["optimizer = 'adamm'", "did you mean 'adam'"]),
    ("[grid]\nloss = 'mae'", ["loss = 'mae'", "unknown loss", "allowed: mse, sse, bce"]),
    ("[grid]\ntask = 'xorr'", ["task = 'xorr'", "did you mean 'xor'"]),
    ("[defaults]\ntask = 'parity(9)'", ["[defaults] task = 'parity(9)'", "parameter n"]),
    ("[grid]\ninit = 'uniform(-1,'", ["init = 'uniform(-1,'", "not of the form"]),
    ("[grid]\ninit = 'uniform(1, -1)'", ["init = 'uniform(1, -1)'", "low < high"]),
    ("[grid]\nactivation = 'relu(2)'", ["activation = 'relu(2)'", "takes 0 parameters"]),
    ("[grid]\nlearning_rate = 0.5", ["[grid] learning_rate = 0.5", "unknown key",
                                     "did you mean 'lr'"]),
    ("[grid]\nlr_rate = 0.5", ["lr_rate = 0.5", "did you mean 'lr'"]),
    ("[grid]\nepoch = 10", ["epoch = 10", "did you mean 'epochs'"]),
    ("[defaults]\nseed = 10", ["[defaults] seed = 10", "did you mean 'seeds'"]),
    ("[grid]\nactivations = ['tanh']", ["activations = ['tanh']", "did you mean 'activation'"]),
    ("[grid]\nhidden_layers = [2]", ["hidden_layers = [2]", "did you mean 'hidden'"]),
    ("[grid]\nlayers = [2]", ["layers = [2]", "did you mean 'hidden'"]),
    ("[grid]\noptimiser = 'adam'", ["optimiser = 'adam'", "did you mean 'optimizer'"]),
    ("[grid]\nbias_int = 'zeros'", ["bias_int = 'zeros'", "did you mean 'bias_init'"]),
    ("[grid]\ncolour = 'red'", ["[grid] colour = 'red'", "unknown key", "allowed: task"]),
    ("lr = 0.5", ["lr = 0.5", "top-level", "[defaults] or [grid]"]),
    ("nmae = 'x'", ["nmae = 'x'", "did you mean 'name'"]),
    ("[defaults]\nname = 'x'", ["[defaults] name = 'x'", "top of the file"]),
    ("name = 5", ["name = 5", "must be a string"]),
    ("name = 'a/b'", ["name = 'a/b'", "must be a string of letters"]),
    ("description = ['x']", ["description = ['x']", "must be a string"]),
    ("defaults = 3", ["defaults = 3", "must be a table"]),
    ("grid = [1, 2]", ["grid = [1, 2]", "must be a table"]),
    ("[grid]\nlr = 0", ["[grid] lr = 0", "positive"]),
    ("[grid]\nlr = [0.5, -1]", ["[grid] lr = -1", "positive"]),
    ("[grid]\nlr = nan", ["[grid] lr = nan", "finite"]),
    ("[grid]\nlr = inf", ["[grid] lr = inf", "finite"]),
    ("[grid]\nlr = [0.5, 1e-40]", ["[grid] lr = 1e-40", "between 1e-30 and 1e+30"]),
    ("[grid]\nlr = 2e38", ["[grid] lr = 2e+38", "between 1e-30 and 1e+30"]),
    ("[grid]\nlr = '0.5'", ["[grid] lr = '0.5'", "positive number"]),
    ("[grid]\nlr = { log = [0, 1], num = 3 }", ["lr = { log = [0, 1], num = 3 }", "endpoint 0"]),
    ("[grid]\nlr = { log = [0.1, 1], n = 3 }", ["'n'", "did you mean 'num'"]),
    ("[grid]\nlr = { log = [0.1, 1], num = 1 }", ["num must be an integer from 2"]),
    ("[grid]\nlr = { linear = [0.1, 1], log = [1, 2], num = 3 }", ["exactly one of log"]),
    ("[grid]\nepochs = { log = [1, 10], num = 30 }", ["epochs = {", "more than once"]),
    ("[grid]\nactivation = { log = [1, 2], num = 3 }", ["activation = {", "only for lr"]),
    ("[grid]\nepochs = 0", ["[grid] epochs = 0",
                            "integer number of epochs from 1 to 1,000,000,000"]),
    ("[grid]\nepochs = [10, 100.0]", ["[grid] epochs = 100.0", "write 100"]),
    ("[grid]\nepochs = 1.5", ["[grid] epochs = 1.5", "integer"]),
    ("[grid]\nactivation = []", ["[grid] activation = []", "empty list"]),
    ("[grid]\nlr = []", ["[grid] lr = []", "empty list"]),
    ("[grid]\nepochs = []", ["[grid] epochs = []", "empty list"]),
    ("[defaults]\nseeds = []", ["[defaults] seeds = []", "empty list"]),
    ("[defaults]\nseeds = [0, -3]", ["[defaults] seeds = -3", "non-negative"]),
    ("[defaults]\nseeds = [4, 2, 4]", ["[defaults] seeds = [4, 2, 4]", "4 appears twice"]),
    ("[defaults]\nseeds = 0", ["[defaults] seeds = 0", "from 1"]),
    ("[defaults]\nseeds = 1.5", ["[defaults] seeds = 1.5", "a count N"]),
    ("[defaults]\nseeds = true", ["[defaults] seeds = true", "a count N"]),
    ("[grid]\nhidden = 0", ["[grid] hidden = 0", "between 1 and", "hidden = []"]),
    ("[grid]\nhidden = [[2], [0, 2]]", ["[grid] hidden = [0, 2]", "between 1 and"]),
    ("[grid]\nhidden = [2, [2]]", ["[grid] hidden = [2, [2]]", "mixes widths and lists"]),
    ("[grid]\nhidden = 2.5", ["[grid] hidden = 2.5", "integer"]),
    ("[grid]\nhidden = [[2], [2]]", ["[grid] hidden = [[2], [2]]", "[2] appears twice"]),
    ("[grid]\ninit = ['uniform(-1, 1)', 'uniform(-1,1)']",
     ["init = ['uniform(-1, 1)', 'uniform(-1,1)']", "same value uniform(-1,1)"]),
    ("[grid]\nlr = [1, 1.0]", ["lr = [1, 1.0]", "same value 1"]),
    ("[grid]\nloss = 'bce'\noutput = 'linear'", ["[grid] loss = 'bce'", "output = 'linear'"]),
    ("[grid]\noptimizer = 'rprop'\nbatch = 'online'",
     ["[grid] optimizer = 'rprop'", "batch = 'online'", "full"]),
    ("[[grid]]\nseeds = 2\n[[grid]]\nseeds = 3",
     ["seeds differ", "[[grid]] #1 seeds = 2", "[[grid]] #2 seeds = 3", "[defaults]"]),
    ("[[grid]]\nactivaton = 'tanh'", ["[[grid]] #1 activaton = 'tanh'", "did you mean"]),
    ("grid = []", ["grid = []", "non-empty"]),
]


@pytest.mark.parametrize(("text", "needles"), BAD, ids=[t for t, _ in BAD])
def test_bad_grid_names_key_value_and_allowed(text, needles):
    (line,) = problems_of(text)
    assert line.startswith("grid.toml: ")
    for needle in needles:
        assert needle in line


def test_every_problem_is_reported_at_once():
    lines = problems_of("""
        [defaults]
        seeds = -1
        [grid]
        activation = ["tanh", "sigmiod"]
        learning_rate = 0.5
    """)
    assert len(lines) == 3
    assert "seeds = -1" in lines[0]
    assert "did you mean 'sigmoid'" in lines[1]
    assert "did you mean 'lr'" in lines[2]


def test_bad_values_do_not_hide_a_bad_combination():
    lines = problems_of("""
        [grid]
        optimizer = ["rprop", "adm"]
        batch = ["online", "full"]
    """)
    assert len(lines) == 2
    assert "did you mean 'adam'" in lines[0]
    assert "optimizer = 'rprop'" in lines[1] and "batch = 'online'" in lines[1]


def test_a_bad_combination_is_reported_once_not_once_per_run():
    lines = problems_of("""
        [defaults]
        loss = "bce"
        output = "linear"
        [[grid]]
        lr = { log = [0.01, 1], num = 50 }
        seeds = 100
        [[grid]]
        activation = ["tanh", "relu"]
        seeds = 100
    """)
    assert len(lines) == 1
    assert lines[0].startswith("grid.toml: [[grid]] #1, #2 loss = 'bce'")


def test_large_subgrid_still_finds_bad_pairs():
    # 40 × 5 × 4 × 3 × 3 × 2 × 2 = 28,800 configurations: each rule checks the
    # product of its own axes only, which still finds the bad pair
    lines = problems_of("""
        [grid]
        lr = { log = [0.01, 1], num = 40 }
        init = ["xavier", "he", "lecun", "orthogonal", "normal(1)"]
        activation = ["sigmoid", "tanh", "relu", "elu"]
        hidden = [[2], [3], [4]]
        bias_init = ["zeros", "uniform(0,1)", "normal(0.1)"]
        batch = ["full", "online"]
        optimizer = ["sgd", "rprop"]
    """)
    assert len(lines) == 1 and "batch = 'online'" in lines[0]


def test_invalid_toml_names_line_and_column():
    (line,) = problems_of("[grid]\nactivation = 'tanh'\nlr = .5\n")
    assert line.startswith("grid.toml: line 3, column 6: invalid TOML")
    assert "lr = .5" in line


def test_missing_file_and_directory_are_one_line_user_errors(tmp_path):
    with pytest.raises(XorbenchError) as info:
        load_grid(tmp_path / "nope.toml")
    assert "no such grid file" in str(info.value) and "\n" not in str(info.value)
    (tmp_path / "quick.toml").write_text("")
    with pytest.raises(XorbenchError, match=r"did you mean .*quick\.toml"):
        load_grid(tmp_path / "quik.toml")
    with pytest.raises(XorbenchError, match=r"did you mean .*quick\.toml"):
        load_grid(tmp_path / "quick")
    with pytest.raises(XorbenchError) as info:
        load_grid(tmp_path)
    assert "is a directory" in str(info.value) and "\n" not in str(info.value)


def test_non_utf8_file_is_a_grid_error(tmp_path):
    path = tmp_path / "g.toml"
    path.write_bytes(b"name = '\xff'\n")
    with pytest.raises(GridError, match="UTF-8"):
        load_grid(path)


def test_quick_grid_is_package_data_and_identical_to_the_sweeps_copy():
    packaged = (resources.files("xorbench") / "data" / "quick.toml").read_bytes()
    assert (SWEEPS / "quick.toml").read_bytes() == packaged


def test_quick_grid_is_quick_and_says_something():
    grid = default_grid()
    assert grid.name == "quick"
    assert grid.n_runs <= 50_000
    assert grid.n_network_epochs <= 30_000_000
    assert len(grid.seeds) >= 50
    assert {"activation", "init", "lr"} <= set(grid.varying_axes())
    assert {c.batch.name for c, _ in expand_configs(grid)} == {"full"}


SWEEP_FILES = sorted(SWEEPS.glob("*.toml"))


def test_the_example_grids_are_all_there():
    names = {p.stem for p in SWEEP_FILES}
    assert {"quick", "seed-question", "activations", "inits", "width-depth",
            "learning-rates", "optimizers", "parity"} <= names


@pytest.mark.parametrize("path", SWEEP_FILES, ids=[p.name for p in SWEEP_FILES])
def test_every_example_grid_loads_and_says_what_it_asks(path):
    grid = load_grid(path)
    assert grid.name == path.stem
    assert grid.description
    assert path.read_text().startswith(f"# {path.name} — ")
    assert 0 < grid.n_runs <= MAX_RUNS_WITHOUT_CONFIRM
    assert len(grid.varying_axes()) >= 1


def test_seed_question_starts_from_the_original_setup():
    grid = load_grid(SWEEPS / "seed-question.toml")
    original = grid.subgrids[0]
    assert [format_value(a, v[0]) for a, v in original.items() if len(v) == 1] == [
        "xor", "sigmoid", "sigmoid", "uniform(0,1)", "uniform(0,1)", "1", "sgd", "mse",
        "sampled(1000)", "threshold", "float64", "none", "10"]
    assert original["hidden"] == ((2,), (3, 3), ())
    assert grid.n_runs < 100_000


def test_config_axes_are_the_run_config_fields():
    assert (*CONFIG_AXES, "epochs") == AXES
    assert set(CONFIG_AXES) == set(DEFAULTS)
    assert math.prod(len(v) for v in grid_of("").axes().values()) == 1


# --- The [plots] table: which axes the plots colour and split ------------------------

PLOTS_GRID = """
    [grid]
    hidden = [[2], [3]]
    activation = ["sigmoid", "tanh"]
    init = ["xavier", "he"]
    {plots}
"""


def test_plots_table_names_an_axis_per_role():
    grid = grid_of(PLOTS_GRID.format(plots='[plots]\nhue = "init"\ncol = "activation"'))
    assert grid.plots == PlotRoles(hue="init", col="activation")
    assert grid.plots.chosen() == {"hue": "init", "col": "activation"}
    assert grid_of(PLOTS_GRID.format(plots="")).plots == PlotRoles()  # the table is optional
    # axes that vary only across sub-grids vary too
    union = grid_of('[[grid]]\noptimizer = "sgd"\n[[grid]]\noptimizer = "adam"\n'
                    '[plots]\ncol = "optimizer"')
    assert union.plots.col == "optimizer"


PLOTS_BAD = [
    ('[plots]\nhue = "int"', ["[plots] hue = 'int'", "unknown axis", "did you mean 'init'",
                              "; the axes that vary: hidden, activation, init"]),
    ('[plots]\nhue = "learning_rate"', ["unknown axis", "did you mean 'lr'"]),
    ('[plots]\ncol = "arch"', ["[plots] col = 'arch'", "did you mean 'hidden'"]),
    ('[plots]\ncol = "loss"', ["[plots] col = 'loss'", "loss does not vary in this grid",
                               "the axes that vary: hidden, activation, init"]),
    ('[plots]\nrow = "epochs"', ["[plots] row = 'epochs'", "not a colour or a panel axis"]),
    ('[plots]\nrow = 3', ["[plots] row = 3", "must be the name of an axis",
                           "the axes that vary: hidden"]),
    ('[plots]\ncolour = "init"', ["[plots] colour = 'init'", "unknown key",
                                  "did you mean 'hue'", "allowed: hue, col, row"]),
    ('[plots]\nhue = "init"\nrow = "init"', ["[plots] row = 'init'", "already the colour",
                                             "one role"]),
]


@pytest.mark.parametrize(("plots", "needles"), PLOTS_BAD, ids=[t for t, _ in PLOTS_BAD])
def test_bad_plots_table_is_one_line_naming_key_value_and_allowed(plots, needles):
    (line,) = problems_of(PLOTS_GRID.format(plots=plots))
    assert line.startswith("grid.toml: ")
    for needle in needles:
        assert needle in line


def test_plots_must_be_a_table_and_its_problems_come_with_the_others():
    (line,) = problems_of("plots = 3\n" + PLOTS_GRID.format(plots=""))
    assert line == ('grid.toml: plots = 3: must be a table; write [plots] and lines such as '
                    'hue = "init" below it')
    lines = problems_of(PLOTS_GRID.format(plots='[plots]\nhue = "int"\ncol = "loss"')
                        + "\n[defaults]\nseeds = -1")
    assert len(lines) == 3 and "seeds = -1" in lines[0]


def test_command_line_roles_win_over_the_file():
    file = PlotRoles(hue="init", col="activation", row="hidden")
    # --hue activation: the file's col (activation) gives way, its row stays
    assert PlotRoles(hue="activation").over(file) == PlotRoles(hue="activation", row="hidden")
    assert PlotRoles().over(file) == file
    assert PlotRoles(col="lr").over(PlotRoles()) == PlotRoles(col="lr")
    assert file.describe() == "hue init, col activation, row hidden"
