"""Which stored rows are the runs of a grid, each once, in the grid's order.

A folder's shards may hold runs of an earlier grid, or a run twice; the tables hold
exactly the current grid's runs in its expansion order, so a resumed, re-batched or
changed-then-restored sweep writes the same bytes as one uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from xorbench import schema
from xorbench.config import RunSpec, config_from_labels
from xorbench.errors import XorbenchError
from xorbench.grid import Grid
from xorbench.schema import learned_names

RunKey = tuple[str, int, int]  # (config_id, seed, epochs)
KEY_COLUMNS = schema.KEY_COLUMNS


def spec_keys(specs: Sequence[RunSpec]) -> list[RunKey]:
    """Each spec's run key; the config_id (a hash) is computed once per configuration."""
    ids: dict[int, str] = {}
    keys = []
    for spec in specs:
        config_id = ids.get(id(spec.config))
        if config_id is None:
            config_id = ids[id(spec.config)] = spec.config.config_id
        keys.append((config_id, spec.seed, spec.epochs))
    return keys


def key_set(runs: pd.DataFrame) -> set[RunKey]:
    if runs.empty:
        return set()
    return set(zip(runs["config_id"].tolist(), runs["seed"].tolist(), runs["epochs"].tolist(),
                   strict=True))



def select_runs(frames: Iterable[pd.DataFrame], specs: Sequence[RunSpec],
                sweep: str | None = None, keys: Sequence[RunKey] | None = None) -> pd.DataFrame:
    """The rows of ``frames`` that are runs of ``specs``, each once, in spec order.

    Columns follow :func:`xorbench.schema.run_columns` (several tasks' ``y_``
    columns in pattern order), dtypes :data:`xorbench.schema.RUN_DTYPES`; ``sweep``
    (when given) replaces the sweep name of rows reused from an earlier grid.
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_runs()
    runs = pd.concat(frames, ignore_index=True)
    order = _wanted_order(runs, keys if keys is not None else spec_keys(specs))
    rows = np.flatnonzero(order >= 0)
    rows = rows[np.argsort(order[rows], kind="stable")]  # in spec order; repeats in row order
    first = np.ones(len(rows), bool)
    first[1:] = order[rows[1:]] != order[rows[:-1]]
    runs = runs.iloc[rows[first]].reset_index(drop=True)  # each run once: its first row
    if sweep is not None:
        runs["sweep"] = sweep
    return _as_table(runs)


def _wanted_order(runs: pd.DataFrame, keys: Sequence[RunKey]) -> np.ndarray:
    """Each row's place in ``keys`` (its run key's position), −1 for a row of no key there.

    Keys become integers first — configuration, seed and budget each numbered over the
    keys and the rows together — and are matched as one int64 each: a million text keys
    hashed as tuples take seconds."""
    n = len(keys)
    wanted_ids, wanted_configs = pd.factorize(np.array([k[0] for k in keys], object))
    stored_ids, stored_configs = pd.factorize(runs["config_id"])
    known = pd.Index(wanted_configs).get_indexer(np.asarray(stored_configs, object))
    stored_ids = np.where(stored_ids >= 0, np.append(known, -1)[stored_ids], -1)
    config = np.concatenate([wanted_ids, stored_ids]).astype(np.int64)  # −1: not asked for
    seed, n_seeds = _numbered(np.fromiter((k[1] for k in keys), np.int64, n), runs["seed"])
    budget, n_budgets = _numbered(np.fromiter((k[2] for k in keys), np.int64, n),
                                  runs["epochs"])
    # numbered again after each pairing, so that no product exceeds (keys + rows)²
    pair = pd.factorize(config * n_seeds + seed)[0].astype(np.int64)
    key = pair * n_budgets + budget
    wanted, stored = key[:n], key[n:]
    stored[config[n:] < 0] = -1
    index = pd.Index(wanted)
    if index.is_unique:  # as expansion gives them
        return index.get_indexer(stored)
    distinct, first = np.unique(wanted, return_index=True)  # a key asked twice: its first place
    place = pd.Index(distinct).get_indexer(stored)
    return np.where(place >= 0, first[place], -1)


def _numbered(wanted: np.ndarray, stored: pd.Series) -> tuple[np.ndarray, int]:
    """Each value of ``wanted`` then ``stored`` as its number among their distinct values,
    and how many there are."""
    codes, distinct = pd.factorize(np.concatenate([wanted, stored.to_numpy(np.int64)]))
    return codes.astype(np.int64), len(distinct)


def _as_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Stored rows as the runs table: its column order and dtypes, ``learned`` as this
    xorbench names it."""
    runs = runs[_column_order(runs.columns)]
    runs = runs.astype({k: v for k, v in schema.RUN_DTYPES.items() if k in runs.columns})
    return relabel_learned(runs)


def relabel_learned(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with ``learned`` derived from its stored outputs, as
    :func:`xorbench.schema.learned_names` says it now: rows stored by an older
    xorbench (before ``undecided``, or a diverged row that named a function) read the
    same as new ones, and a resumed folder writes the same bytes as a fresh one."""
    if runs.empty or "learned" not in runs.columns:
        return runs
    runs = runs.copy()
    learned = runs["learned"].to_numpy(object).copy()
    # each distinct architecture's inputs, read once (not once a row: 1.7 s a million)
    arch_codes, archs = pd.factorize(runs["arch"])
    n_inputs = np.array([int(arch.split("-")[0]) for arch in archs], np.int64)[arch_codes]
    outputs = [c for c in runs.columns if c.startswith("y_")]
    for n in np.unique(n_inputs):
        rows = np.flatnonzero(n_inputs == n)
        columns = sorted(c for c in outputs if len(c) == 2 + n)  # y_<n bits>, in pattern order
        y = runs[columns].to_numpy(np.float64)[rows].T  # (P, rows)
        learned[rows] = learned_names(y, runs["solved"].to_numpy(bool)[rows])
    learned[(runs["failure"] == "diverged").to_numpy(bool)] = ""  # computes nothing
    runs["learned"] = pd.array(learned, dtype="string")
    return runs


def _column_order(columns: Iterable[str]) -> list[str]:
    """runs.csv order: the fixed columns, y_<pattern> by pattern, then the extras."""
    columns = list(columns)
    fixed = [c for c in schema.run_columns([]) if c not in schema.EXTRA_COLUMNS]
    outputs = sorted((c for c in columns if c.startswith("y_")), key=lambda c: (len(c), c))
    extras = [c for c in schema.EXTRA_COLUMNS if c in columns]
    rest = sorted(set(columns) - {*fixed, *outputs, *extras})
    return [c for c in fixed if c in columns] + outputs + extras + rest


def _empty_runs() -> pd.DataFrame:
    columns = schema.run_columns([])
    return pd.DataFrame({c: pd.Series([], dtype=schema.RUN_DTYPES.get(c, "float64"))
                         for c in columns})


def grid_runs(runs: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """The rows of ``runs`` that are runs of ``grid``, each once, in its expansion order —
    found without expanding the grid, so a partial sweep of a huge grid reads in the
    time its finished runs take. Columns and dtypes as :func:`select_runs` gives."""
    if runs.empty:
        return _empty_runs()
    seeds = {seed: i for i, seed in enumerate(grid.seeds)}
    firsts = runs.drop_duplicates("config_id")
    keys: dict[tuple[str, int], tuple[int, int, int]] = {}  # (config_id, budget) → order
    for row in firsts.to_dict(orient="records"):
        try:
            config = config_from_labels(row)
        except XorbenchError:  # labels this xorbench no longer knows: not a run of the grid
            continue
        for budget, order in (grid.run_order(config) or {}).items():
            keys[(row["config_id"], budget)] = order
    pairs = list(zip(runs["config_id"].tolist(), runs["epochs"].tolist(), strict=True))
    order = [keys.get(pair) for pair in pairs]
    seed_index = [seeds.get(seed) for seed in runs["seed"].tolist()]
    rank = pd.DataFrame({
        "sub": [o[0] if o else -1 for o in order],
        "config": [o[1] if o else -1 for o in order],
        "seed": [-1 if s is None else s for s in seed_index],
        "budget": [o[2] if o else -1 for o in order],
    })
    inside = ((rank["sub"] >= 0) & (rank["seed"] >= 0)).to_numpy()
    ordered = rank[inside].sort_values(["sub", "config", "seed", "budget"], kind="stable")
    runs = runs.iloc[ordered.index.to_numpy()].drop_duplicates(KEY_COLUMNS)
    runs = runs.reset_index(drop=True)
    runs["sweep"] = grid.name
    return _as_table(runs)


