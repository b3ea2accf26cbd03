"""``manifest.json``: what a results folder holds, who wrote it, and how far it got.

The manifest records the results format, the engine's numerics, the sweep's name
and grid hash, versions, the run counts, the status and every start, stop and resume
(``events``). It is read with its known fields' types checked: a hand edit or damage
is one line, never a crash further on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from xorbench.errors import ResultsError

RESULTS_FORMAT = 1  # bump when the on-disk layout changes incompatibly
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 2**20  # a manifest is kilobytes; its events grow by a line a run

# The manifest's fields that xorbench reads, and the types they must have.
MANIFEST_FIELDS: dict[str, tuple[type, ...]] = {
    "results_format": (int,),
    "engine_numerics": (int,),
    "sweep": (str,),
    "grid_hash": (str,),
    "n_runs": (int,),
    "n_done": (int,),
    "status": (str,),
    "host": (str,),
    "versions": (dict,),
    "events": (list,),
    "timings": (dict,),
    "worker_seconds": (dict,),
    "seconds": (int, float),
}


_FRESH = "sweep with --fresh to move the folder aside and start over"
_JSON_KINDS = {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


def parse_manifest(text: str, path: object) -> dict:
    """The manifest in ``text`` (the file ``path``), checked: a JSON object whose known
    fields have their types; ResultsError, one line naming ``path``, otherwise — empty
    or zero-filled (a crash, a full disk), not JSON, nested too deeply, not an object."""
    if not text.strip("\0 \t\r\n"):
        raise ResultsError(f"{path}: unreadable manifest (empty or only zero bytes, as a "
                           f"crash or a full disk may leave it); {_FRESH}")
    try:
        manifest = json.loads(text)
    except RecursionError:
        raise ResultsError(f"{path}: unreadable manifest (nested too deeply); {_FRESH}") from None
    except ValueError as e:
        raise ResultsError(f"{path}: unreadable manifest ({e}); {_FRESH}") from None
    if not isinstance(manifest, dict):
        kind = _JSON_KINDS.get(type(manifest), "value")
        raise ResultsError(f"{path}: unreadable manifest (a JSON {kind}, not an object); "
                           f"{_FRESH}")
    problems = manifest_problems(manifest)
    if problems:
        raise ResultsError(f"{path}: damaged manifest ({'; '.join(problems)}); {_FRESH}")
    return manifest


def manifest_problems(manifest: dict) -> list[str]:
    """What is wrong with a manifest's known fields (hand edits, damage), or nothing."""
    problems = []
    for key, types in MANIFEST_FIELDS.items():
        if key not in manifest:
            continue
        value = manifest[key]
        if isinstance(value, bool) or not isinstance(value, types):
            kind = " or ".join("a number" if t is float else _TYPE_WORDS[t] for t in types
                               if not (t is int and float in types))
            problems.append(f"{key} = {json.dumps(value)[:40]} should be {kind}")
    if isinstance(manifest.get("events"), list) and not all(
            isinstance(e, dict) for e in manifest["events"]):
        problems.append("events should be a list of objects")
    for key in ("n_runs", "n_done"):
        if isinstance(manifest.get(key), int) and manifest[key] < 0:
            problems.append(f"{key} = {manifest[key]} should not be negative")
    return problems


_TYPE_WORDS = {int: "an integer", str: "a string", dict: "an object", list: "a list"}


def now() -> str:
    """The time for a manifest's events and a lock's holder: UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
