"""Call-syntax choices and run configurations: normalisation, strict parsing, checks."""

from __future__ import annotations

import pytest

from xorbench.config import (
    DEFAULTS,
    TABLES,
    RunConfig,
    config_from_labels,
    config_problems,
    make_config,
    parse_hidden,
    parse_lr,
)
from xorbench.config.choices import Choice, format_number
from xorbench.errors import ChoiceError

# A valid example of every entry that has a required parameter.
EXAMPLES = {
    ("init", "uniform"): "uniform(-1,1)",
    ("init", "normal"): "normal(0.5)",
    ("init", "constant"): "constant(0.1)",
    ("bias_init", "uniform"): "uniform(0,1)",
    ("bias_init", "normal"): "normal(0.5)",
    ("bias_init", "constant"): "constant(-5)",
    ("task", "parity"): "parity(3)",
    ("batch", "sampled"): "sampled(1000)",
}


def _every_entry():
    for key, table in TABLES.items():
        for name, entry in table.entries.items():
            required = any(p.default is None for p in entry.params)
            yield key, EXAMPLES[(key, name)] if required else name


@pytest.mark.parametrize(("key", "text"), list(_every_entry()))
def test_every_entry_round_trips_through_its_label(key, text):
    table = TABLES[key]
    choice = table.parse(text)
    assert " " not in choice.label
    assert table.parse(choice.label) == choice
    assert table.parse(choice) == choice
    assert len(choice.args) == len(table[choice.name].params)
    # spaces anywhere a person may put them do not matter
    spaced = choice.label.replace("(", " ( ").replace(",", " , ").replace(")", " ) ")
    assert table.parse(f"  {spaced} ") == choice
    # a config accepts it (in a valid combination) and keeps the label
    assert make_config({key: text}).labels()[key] == choice.label


@pytest.mark.parametrize(("key", "a", "b", "label"), [
    ("init", "uniform(-1, 1)", "uniform(-1.0,1)", "uniform(-1,1)"),
    ("init", "uniform(-1e0, +1.)", "uniform(-1,1)", "uniform(-1,1)"),
    ("init", "uniform(.5, 2.50)", "uniform(0.5,2.5)", "uniform(0.5,2.5)"),
    ("init", "normal(1e-3)", "normal(0.001)", "normal(0.001)"),
    ("bias_init", "constant(-0)", "constant(0)", "constant(0)"),
    ("optimizer", "momentum", "momentum(0.9)", "momentum(0.9)"),
    ("optimizer", "momentum( 0.90 )", "momentum(0.9)", "momentum(0.9)"),
    ("optimizer", "nesterov", "nesterov(0.9)", "nesterov(0.9)"),
    ("optimizer", "adam", "adam(0.9, 0.999)", "adam(0.9,0.999)"),
    ("optimizer", "adam(0.8)", "adam(0.8,0.999)", "adam(0.8,0.999)"),
    ("activation", "leaky_relu", "leaky_relu(0.01)", "leaky_relu(0.01)"),
    ("activation", "elu", "elu(1.0)", "elu(1)"),
    ("criterion", "tolerance", "tolerance(0.1)", "tolerance(0.1)"),
    ("criterion", "rms", "rms(0.05)", "rms(0.05)"),
    ("batch", "sampled(1000)", "sampled( 1000 )", "sampled(1000)"),
    ("task", "parity(3)", "parity(+3)", "parity(3)"),
])
def test_spellings_normalise_to_one_label(key, a, b, label):
    table = TABLES[key]
    assert table.parse(a) == table.parse(b)
    assert table.parse(a).label == label


def test_format_number():
    assert format_number(1.0) == "1"
    assert format_number(-1.0) == "-1"
    assert format_number(0.1) == "0.1"
    assert format_number(2.5) == "2.5"
    assert format_number(1e-5) == "1e-05"
    assert format_number(3) == "3"
    assert float(format_number(0.1 + 0.2)) == 0.1 + 0.2  # exact round trip
    with pytest.raises(TypeError):
        format_number(True)


@pytest.mark.parametrize(("key", "text", "needle"), [
    ("init", "uniform(1", "not of the form"),
    ("init", "uniform(a,b)", "not a number"),
    ("init", "uniform(1,,2)", "not a number"),
    ("init", "uniform(1;2)", "not a number"),
    ("init", "uniform(nan,1)", "not a number"),
    ("init", "uniform(-inf,1)", "not a number"),
    ("init", "uniform(1,1)", "low < high"),
    ("init", "uniform(2,1)", "low < high"),
    ("init", "uniform", "needs its parameter"),
    ("init", "uniform(1,2,3)", "takes 2 parameters"),
    ("init", "normal(0)", "std"),
    ("init", "normal(-1)", "std"),
    ("init", "xavier(1)", "takes 0 parameters"),
    ("init", "__import__('os')", ""),
    ("init", "uniform(1)(2)", ""),
    ("init", "", ""),
    ("batch", "sampled(10.5)", "integer"),
    ("batch", "sampled(1e3)", "integer"),
    ("batch", "sampled(0)", ">= 1"),
    ("batch", "sampled", "needs its parameter"),
    ("task", "parity(9)", "<= 8"),
    ("task", "parity(1)", ">= 2"),
    ("optimizer", "adam(0.9,0.999,1)", "takes 2 parameters"),
    ("optimizer", "momentum(1)", "< 1"),
    ("criterion", "tolerance(0)", "> 0"),
    ("criterion", "rms(-1)", "> 0"),
    ("activation", "sigmiod", "did you mean 'sigmoid'"),
    ("activation", "Tanh", "did you mean 'tanh'"),
    ("activation", "leaky-relu", ""),
    ("dtype", "float16", "allowed: float64, float32"),
])
def test_malformed_text_is_rejected_naming_key_and_value(key, text, needle):
    with pytest.raises(ChoiceError) as info:
        TABLES[key].parse(text)
    err = info.value
    assert err.key == key
    assert err.value == text
    message = str(err)
    assert message.startswith(f"{key} = {text!r}")
    assert needle in message


def test_unknown_name_lists_the_allowed_values():
    with pytest.raises(ChoiceError) as info:
        TABLES["activation"].parse("swish")
    assert "allowed: sigmoid, tanh, relu, leaky_relu(alpha=0.01)" in str(info.value)
    assert "did you mean" not in str(info.value)


def test_non_strings_are_rejected():
    for value in [3, 0.5, None, ["xavier"], True]:
        with pytest.raises(ChoiceError):
            TABLES["init"].parse(value)


# ------------------------------------------------------------ configurations


def test_defaults():
    cfg = make_config()
    assert isinstance(cfg, RunConfig)
    labels = cfg.labels()
    for key, value in DEFAULTS.items():
        want = "-".join(map(str, value)) if key == "hidden" else value
        assert labels[key] == want, key
    assert cfg.arch == "2-2-1"
    assert cfg.hidden_label == "2"
    assert make_config(hidden=[]).arch == "2-1"
    assert make_config(hidden=[]).hidden_label == "0"
    assert make_config(task="parity(3)", hidden=[4, 2]).arch == "3-4-2-1"


def test_config_id_is_spelling_independent():
    a = make_config(init="uniform(-1, 1)", optimizer="momentum", hidden=2, lr=1)
    b = make_config(init="uniform(-1.0,1)", optimizer="momentum(0.9)", hidden=[2], lr=1.0)
    assert a == b and a.config_id == b.config_id
    assert make_config(lr=0.5).config_id != make_config(lr=0.25).config_id
    assert config_from_labels(a.labels()) == a


@pytest.mark.parametrize(("raw", "key", "value", "needles"), [
    (dict(loss="bce", output="linear"), "loss", "bce", ["sigmoid", "linear"]),
    (dict(optimizer="rprop", batch="online"), "optimizer", "rprop", ["full", "online"]),
    (dict(optimizer="rprop", batch="sampled(10)"), "optimizer", "rprop", ["sampled(10)"]),
    (dict(optimizer="rprop+", batch="cyclic"), "optimizer", "rprop+", ["full", "cyclic"]),
    (dict(optimizer="irprop+", batch="online"), "optimizer", "irprop+", ["full", "online"]),
])
def test_cross_checks(raw, key, value, needles):
    with pytest.raises(ChoiceError) as info:
        make_config(**raw)
    err = info.value
    assert (err.key, err.value) == (key, value)
    message = str(err)
    assert message.startswith(f"{key} = {value!r}")
    for needle in needles:
        assert needle in message


def test_valid_combinations_pass_the_cross_checks():
    make_config(loss="bce", output="sigmoid")
    make_config(optimizer="rprop", batch="full")
    make_config(optimizer="irprop+", batch="full")
    make_config(optimizer="nesterov", batch="cyclic")


def test_a_variant_is_named_with_a_trailing_plus():
    """rprop+ and irprop+ are names of their own: parsed as written, spaces allowed
    around them as around any name; a + elsewhere is no name."""
    assert make_config(optimizer=" rprop+ ").optimizer.label == "rprop+"
    assert make_config(optimizer="irprop+").optimizer.name == "irprop+"
    for bad in ["rprop++", "rp+rop", "+rprop", "rprop +", "sgd+"]:
        with pytest.raises(ChoiceError):
            make_config(optimizer=bad)
    make_config(loss="sse", output="linear")
    make_config(optimizer="adam", batch="online")


def test_config_problems_lists_every_problem():
    problems = config_problems({"activation": "sigmiod", "init": "uniform(1",
                                "lr": -1, "colour": "red"})
    assert sorted(p.key for p in problems) == ["activation", "colour", "init", "lr"]
    both = config_problems({"loss": "bce", "output": "linear", "optimizer": "rprop",
                            "batch": "online"})
    assert sorted(p.key for p in both) == ["loss", "optimizer"]
    assert config_problems({}) == []


def test_unknown_keys_are_errors_with_a_hint():
    with pytest.raises(ChoiceError) as info:
        make_config(actvation="relu")
    assert info.value.key == "actvation"
    assert "did you mean 'activation'" in str(info.value)


@pytest.mark.parametrize(("value", "want"), [
    (2, (2,)), ([2, 2], (2, 2)), ((3,), (3,)), ([], ()), ("2-2", (2, 2)), ("0", ()),
    ("", ()), (" 8 ", (8,)), (4096, (4096,)),
])
def test_parse_hidden(value, want):
    assert parse_hidden(value) == want


@pytest.mark.parametrize("value", [True, 0, -1, 4097, [2.5], [2, "a"], "2-x", "2,2", None,
                                   [True], 2.0, {"a": 1}])
def test_parse_hidden_rejects(value):
    with pytest.raises(ChoiceError) as info:
        parse_hidden(value)
    assert info.value.key == "hidden"


def test_parse_lr():
    assert parse_lr(1) == 1.0 and isinstance(parse_lr(1), float)
    assert parse_lr(1e-6) == 1e-6
    for bad in [0, -0.1, float("inf"), float("nan"), True, "0.1", None]:
        with pytest.raises(ChoiceError):
            parse_lr(bad)


def test_choice_equality_and_order():
    assert Choice("uniform", (-1.0, 1.0)) == TABLES["init"].parse("uniform(-1,1)")
    assert str(Choice("momentum", (0.9,))) == "momentum(0.9)"
    assert sorted([Choice("b"), Choice("a")]) == [Choice("a"), Choice("b")]
