"""xorbench: which settings make a small neural network learn XOR reliably — measured.

The stages, each usable on its own::

    grid = load_grid("sweeps/quick.toml")     # TOML → validated Grid
    specs = expand(grid)                      # → list[RunSpec]
    outcome = run_sweep(grid, out="results/quick")   # train, store, tabulate
    runs = load_runs("results/quick")         # → tidy DataFrame, one row per run × budget
    summary = summarize(runs)                 # → rates with Wilson intervals
    effects = compare(runs, "optimizer")      # → paired comparisons along one axis
    train(make_config(hidden=(2,), init="uniform(0,1)"), seeds=5, epochs=1000)
    explain(make_config(hidden=(2,)), "0.253,0.793,0.793,0.793")  # which bug printed it?
"""

from xorbench.config import RunConfig, RunSpec, make_config

__version__ = "0.1.0"

__all__ = [
    "RunConfig",
    "RunSpec",
    "__version__",
    "compare",
    "expand",
    "explain",
    "load_grid",
    "load_runs",
    "make_config",
    "run_sweep",
    "summarize",
    "train",
]


def __getattr__(name: str):
    # Heavier stages import on first use, so `import xorbench` stays light.
    if name in ("load_grid", "expand"):
        from xorbench import grid

        return getattr(grid, name)
    if name == "run_sweep":
        from xorbench.sweep import run_sweep

        return run_sweep
    if name == "load_runs":
        from xorbench.results import load_runs

        return load_runs
    if name == "summarize":
        from xorbench.analysis import summarize

        return summarize
    if name == "compare":
        from xorbench.analysis.compare import compare

        return compare
    if name == "train":
        from xorbench.engine.trial import train

        return train
    if name == "explain":
        from xorbench.explain import explain

        return explain
    raise AttributeError(f"module 'xorbench' has no attribute {name!r}")
