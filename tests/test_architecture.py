"""The house in rooms: the layering is enforced, the rooms stay small, the public API stays.

The layers and the forbidden imports are import-linter contracts in pyproject.toml;
these tests run them, and check what a contract cannot: that importing the light
packages really leaves numba and matplotlib unloaded, that modules and functions stay
short, and that the names users rely on are still there.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.command import XORBENCH, xorbench_env

PACKAGE = Path(__file__).resolve().parent.parent / "xorbench"
PACKAGES = ["config", "grid", "engine", "analysis", "results", "sweep", "plots", "cli"]
# The numba kernel must stay one file (numba's cache watches only the cached
# function's own file), so it is the one long module.
LONG_MODULES = {"engine/kernel.py"}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_the_import_contracts_hold():
    # import-linter's own entry point in this interpreter, this checkout first on the path:
    # a lint-imports found on PATH may belong to another install
    pytest.importorskip("importlinter", reason="import-linter is a dev dependency")
    entry = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    done = subprocess.run([sys.executable, "-c", entry, "--no-cache"], cwd=PACKAGE.parent,
                          capture_output=True, text=True, timeout=300, env=xorbench_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("modules", [
    ["xorbench.analysis", "xorbench.results"],
    ["xorbench.config", "xorbench.grid"],
    ["xorbench.sweep.cost", "xorbench.engine.memory"],  # the guard, as `xorbench grid` reads it
    ["xorbench.plots.data", "xorbench.plots.catalogue", "xorbench.plots.jobs"],
])
def test_light_packages_load_neither_numba_nor_matplotlib(modules):
    code = (f"import sys; import {', '.join(modules)}; "
            "print(sorted(m for m in ('numba', 'matplotlib', 'seaborn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_package_says_what_lives_there_and_what_it_never_imports():
    for name in PACKAGES:
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc and "What lives here" in doc, name
        assert "never" in doc.lower() or "only" in doc.lower(), f"{name}: what it must not import"


def test_modules_stay_short():
    long = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in _modules()}
    too_long = {m: n for m, n in long.items() if n > MAX_MODULE_LINES and m not in LONG_MODULES}
    assert not too_long, f"split these rooms: {too_long}"


def test_functions_stay_short():
    """No function body over 60 lines (the docstring aside), the kernel's loops aside."""
    too_long = []
    for path in _modules():
        if str(path.relative_to(PACKAGE)) in LONG_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body
                if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    body = body[1:] or body
                lines = body[-1].end_lineno - body[0].lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(PACKAGE)}:{node.name} ({lines})")
    assert not too_long


def test_no_import_hides_behind_type_checking():
    """A TYPE_CHECKING import is a cycle in disguise: the layers must not need one."""
    hiding = [str(p.relative_to(PACKAGE)) for p in _modules() if "TYPE_CHECKING" in p.read_text()]
    assert not hiding


def test_the_public_api_stays():
    import xorbench

    for name in ("load_grid", "expand", "run_sweep", "load_runs", "summarize", "compare",
                 "train", "explain", "make_config", "RunConfig", "RunSpec", "__version__"):
        assert hasattr(xorbench, name), name
    assert callable(xorbench.load_grid) and callable(xorbench.train)
    from xorbench import plots

    for name in ("PLOT_NAMES", "PLOTS", "PlotData", "decision_boundaries", "draw_all",
                 "ecdf_frame", "epoch_solved_ecdf", "failure_frame", "failure_modes",
                 "gallery_runs", "learning_curves", "load_plot_data", "network_output",
                 "rate_vs_budget", "read_params", "reliability_map", "save_all",
                 "FAILURE_COLORS", "OUTCOME_NAMES", "RATE_CMAP", "LINE_PALETTE", "MAX_BARS",
                 "MAX_FACETS"):
        assert getattr(plots, name) is not None, name
    assert set(plots.__all__) >= {"draw_all", "save_all", "PLOT_NAMES"}


def test_the_console_script_and_python_m_run_the_same_app():
    """The console script's entry point (pyproject's [project.scripts]) and ``python -m
    xorbench``, both of this checkout: a script found on PATH may be another install's."""
    import tomllib

    scripts = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]["scripts"]
    module, name = scripts["xorbench"].split(":")
    entry = f"import sys; from {module} import {name}; sys.argv[0] = 'xorbench'; {name}()"
    for command in ([sys.executable, "-c", entry, "--help"], [*XORBENCH, "--help"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                              env=xorbench_env())
        assert done.returncode == 0, done.stderr
        for name in ("train", "grid", "sweep", "summary", "plot", "report", "bench"):
            assert name in done.stdout
