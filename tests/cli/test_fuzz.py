"""The reliability promise, fuzzed: generated grid files, command lines and results folders.

Whatever it is given, the real ``xorbench`` (a child process under a data-size
limit) exits 0, 1 or 2, prints no traceback, writes nothing outside its own
folder (numba's cache and the build cache, shared by the test session, are the
named exceptions) and, on an error, says so in one line. Examples are generated
deterministically (``derandomize``) and bounded in number and in size — the
generated values are either small or far beyond a documented limit, never a
valid but hour-long sweep — so the three tests take about a minute together.
"""

from __future__ import annotations

import json
import resource
import shutil
import string
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.command import REPO, XORBENCH, xorbench_env

pytestmark = pytest.mark.slow

MEMORY_LIMIT = 1_500 * 2**20
EXAMPLES = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# --- values a grid file may hold ----------------------------------------------------

KEYS = ["task", "hidden", "activation", "output", "init", "bias_init", "lr", "optimizer",
        "loss", "batch", "criterion", "dtype", "epochs", "seeds"]
JUNK_KEYS = ["learning_rate", "", "épochs", "a b", "x" * 300, "grid", "defaults", "name"]
CHOICES = ["xor", "and", "parity(3)", "parity(99)", "sigmoid", "tanh", "relu", "linear",
           "leaky_relu(0.1)", "uniform(-1,1)", "uniform(1,-1)", "normal(0.5)", "xavier", "he",
           "zeros", "constant(0)", "sgd", "momentum(0.9)", "adam", "rprop", "mse", "bce", "sse",
           "full", "online", "sampled(10)", "sampled(99999999)", "threshold", "rms(0.05)",
           "float32", "float64", "uniform(", "he()", "eval('1')", "__import__", "🙂", "",
           "sigmoid" * 50]
SMALL_INTS = st.integers(min_value=-3, max_value=40)
HUGE_INTS = st.sampled_from([0, 4097, 10**9 + 1, 2**32, 2**63 - 1, -(2**63), 10**7])
FLOATS = st.sampled_from([0.5, 1.0, 0.0, -1.0, 1e-40, 1e40, float("nan"), float("inf"), 2.0])
SCALARS = st.one_of(SMALL_INTS, HUGE_INTS, FLOATS, st.sampled_from(CHOICES), st.booleans(),
                    st.text(string.printable, max_size=12))


def values(depth: int = 0):
    """A TOML value: a scalar, a list, a range table or nested lists."""
    if depth > 2:
        return SCALARS
    return st.one_of(
        SCALARS,
        st.lists(st.deferred(lambda: values(depth + 1)), max_size=4),
        st.fixed_dictionaries({"log": st.lists(FLOATS, max_size=3),
                               "num": st.one_of(SMALL_INTS, HUGE_INTS)}),
    )


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf"}.get(str(value), repr(value))
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


SECTION = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.sampled_from(JUNK_KEYS)),
                          values(), max_size=5)


@st.composite
def grid_texts(draw) -> str:
    """A grid file: mostly well-formed TOML with odd contents, sometimes broken TOML."""
    kind = draw(st.sampled_from(["grid", "grid", "grid", "subgrids", "broken"]))
    if kind == "broken":
        return draw(st.sampled_from([
            "[grid\nlr = 1", "[grid]\nhidden = " + "[" * 500 + "]" * 500,
            "\x00\x01\x02", "[grid]\nlr = 0.5\n" * 3, "= = =", "[[grid]]\n[grid]\nlr=1",
        ]))
    lines = []
    if draw(st.booleans()):
        name = draw(st.one_of(SCALARS, st.sampled_from(["..", ".", "../x", "ok"])))
        lines.append(f"name = {toml_value(name)}")
    defaults = draw(SECTION)
    # small sweeps only: the guard refuses the huge ones, the rest must be quick
    defaults.setdefault("seeds", draw(st.sampled_from([2, 3, [0, 5], 1000001, [0, 2**32]])))
    defaults.setdefault("epochs", draw(st.sampled_from([5, [3, 8], 10**12])))
    lines.append("[defaults]")
    lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in defaults.items()]
    sections = draw(st.lists(SECTION, min_size=1, max_size=3)) if kind == "subgrids" else [
        draw(SECTION)]
    for section in sections:
        lines.append("[[grid]]" if kind == "subgrids" else "[grid]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in section.items()]
    return "\n".join(lines) + "\n"


# --- the harness ------------------------------------------------------------------------


def snapshot(folder: Path, recursive: bool) -> set[str]:
    if not folder.is_dir():
        return set()
    if not recursive:
        return {p.name for p in folder.iterdir()}
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if "__pycache__" not in p.parts and ".git" not in p.parts
            and ".hypothesis" not in p.parts and ".pytest_cache" not in p.parts}


def check_promise(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``xorbench args`` in ``cwd`` and assert the promise."""
    home = cwd / "home"
    tmp = cwd / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    # its siblings (the other examples' folders, in this module's own root: nothing else
    # writes there, whatever else runs on the machine) and the repository; its temporary
    # files go to TMPDIR, inside its own folder
    outside_paths = [(cwd.parent, False), (REPO, True)]
    outside = {path: snapshot(path, recursive) for path, recursive in outside_paths}

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = xorbench_env({"HOME": str(home), "TMPDIR": str(tmp), "JOBLIB_TEMP_FOLDER": str(tmp),
                        "COLUMNS": "100"})
    done = subprocess.run([*XORBENCH, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=240, preexec_fn=limit_memory, env=env)
    shown = f"xorbench {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert done.returncode in (0, 1, 2), shown
    assert "Traceback" not in done.stdout + done.stderr, shown
    if done.returncode == 1:
        lines = done.stderr.strip().splitlines()
        errors = [line for line in lines if line.startswith("error: ")]
        assert errors and all(line.startswith(("error: ", "note: ", "warning: "))
                              for line in lines), shown
        # one line, or a grid file's problems, one line each and each naming the file
        assert len(errors) == 1 or all(e.startswith("error: g.toml: ") for e in errors), shown
        # in the user's words: no Python reprs of paths, bytes or errors, no endless line
        assert not any(token in done.stderr for token in ("PosixPath(", "[Errno", "\\x", "{'")
                       ), shown
        assert all(len(line) < 1000 for line in lines), shown
    for path, recursive in outside_paths:
        created = snapshot(path, recursive) - outside[path]
        assert not created, f"{shown}\ncreated outside its folder, in {path}: {sorted(created)}"
    return done


@pytest.fixture(scope="module")
def own_root(tmp_path_factory) -> Path:
    """This module's own folder: each example runs in a folder of it, so the folders
    beside an example's are the other examples', never another process's."""
    return tmp_path_factory.mktemp("fuzz")


def example_folder(root: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=root))


@pytest.fixture(scope="module")
def results_folder(tmp_path_factory) -> Path:
    """A small finished sweep, copied and damaged by the results-folder examples."""
    root = tmp_path_factory.mktemp("fuzzed")
    (root / "g.toml").write_text("[defaults]\nseeds = 3\n[grid]\nlr = [0.5, 2.0]\n"
                                 "epochs = [5, 10]\n")
    done = subprocess.run([*XORBENCH, "sweep", "g.toml", "--out", "out", "--jobs", "1",
                           "--quiet", "--no-plots"], cwd=root, capture_output=True, text=True,
                          timeout=300, env=xorbench_env())
    assert done.returncode == 0, done.stderr
    return root / "out"


# --- the tests ------------------------------------------------------------------------------


@EXAMPLES
@given(text=grid_texts(), command=st.sampled_from(["grid", "sweep"]),
       jobs=st.sampled_from(["1", "2", "1000"]))
def test_any_grid_file_keeps_the_promise(own_root, text, command, jobs):
    cwd = example_folder(own_root)
    (cwd / "g.toml").write_text(text)
    args = ["grid", "g.toml"] if command == "grid" else [
        "sweep", "g.toml", "--quiet", "--no-plots", "--jobs", jobs]
    done = check_promise(args, cwd)
    if command == "sweep" and done.returncode == 0:
        assert (cwd / "results").is_dir()


OPTIONS = {
    "train": ["--hidden", "--activation", "--init", "--lr", "--epochs", "--seed", "--seeds",
              "--batch", "--optimizer", "--loss", "--dtype", "--task", "--criterion"],
    "sweep": ["--out", "--jobs", "--backend", "--batch-size", "--top", "--fresh"],
    "summary": ["--top", "--sort", "--where", "--all-budgets"],
    "grid": [],
}
ARGUMENTS = st.sampled_from(["2", "0", "-1", "4096-4096-4096", "1e9", "nan", "xor", "relu",
                             "uniform(0,1)", "sampled(99999999)", "99999999999999999999", "",
                             "..", "/", "/dev/zero", "rate", "lr > 1", "__import__('os')",
                             "float16", "parity(3)", "adam", "3"])


@EXAMPLES
@given(command=st.sampled_from(sorted(OPTIONS)), data=st.data())
def test_any_command_line_keeps_the_promise(own_root, command, data):
    cwd = example_folder(own_root)
    (cwd / "g.toml").write_text("[defaults]\nseeds = 2\n[grid]\nlr = [0.5, 1.0]\nepochs = 5\n")
    flags = data.draw(st.lists(st.sampled_from(OPTIONS[command] or ["--help"]), max_size=3))
    args = [command]
    if command in ("grid", "sweep"):
        args.append(data.draw(st.sampled_from(["g.toml", "missing.toml", ".", "/dev/zero"])))
    if command == "summary":
        args.append(data.draw(st.sampled_from(["g.toml", ".", "nowhere"])))
    for flag in flags:
        args.append(flag)
        if flag not in ("--fresh", "--all-budgets", "--help"):
            args.append(data.draw(ARGUMENTS))
    if command == "sweep":
        args += ["--quiet", "--no-plots"]
        if "--out" not in args:
            args += ["--out", "out"]
    if command == "train" and "--epochs" not in args:
        args += ["--epochs", "5"]
    check_promise(args, cwd)


DAMAGE = ["delete", "truncate", "garbage", "empty", "json-list", "json-types", "link"]
PARTS = ["manifest.json", "runs.csv", "summary.csv", "curves.csv", "grid.toml", "shards",
         "plots"]


@EXAMPLES
@given(damages=st.lists(st.tuples(st.sampled_from(PARTS), st.sampled_from(DAMAGE)),
                        min_size=1, max_size=3),
       command=st.sampled_from(["summary", "plot", "report", "sweep"]))
def test_any_results_folder_keeps_the_promise(own_root, results_folder, damages,
                                             command):
    cwd = example_folder(own_root)
    elsewhere = cwd / "elsewhere"  # where the damaged folder's links point
    elsewhere.mkdir()
    out = cwd / "out"
    shutil.copytree(results_folder, out)
    (cwd / "g.toml").write_text((results_folder.parent / "g.toml").read_text())
    for part, damage in damages:
        path = out / part
        if damage == "delete" or (path.is_dir() and damage != "link"):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(
                missing_ok=True)
        elif damage == "truncate" and path.is_file():
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
        elif damage == "garbage":
            path.write_bytes(bytes(range(256)) * 4)
        elif damage == "empty":
            path.write_bytes(b"")
        elif damage == "json-list":
            path.write_text("[1, 2, 3]")
        elif damage == "json-types":
            path.write_text(json.dumps({"results_format": 1, "events": "oops", "n_runs": "x"}))
        elif damage == "link":
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(
                missing_ok=True)
            path.symlink_to(elsewhere / part)
    args = [command, "out"] if command != "sweep" else [
        "sweep", "g.toml", "--out", "out", "--jobs", "1", "--quiet", "--no-plots"]
    if command in ("plot", "report"):
        args += ["--jobs", "1"]
    check_promise(args, cwd)
    assert not any(elsewhere.iterdir()), "written through a link"
