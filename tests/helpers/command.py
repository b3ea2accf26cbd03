"""This checkout's ``xorbench`` as a child process.

``python -m xorbench`` with this checkout first on the path: a console script found
on PATH (``shutil.which("xorbench")``) may belong to another install, e.g. an
editable install of another copy under pyenv.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
XORBENCH = [sys.executable, "-m", "xorbench"]


def xorbench_env(extra: dict[str, str] | None = None,
                 base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with this checkout first on
    PYTHONPATH, and ``extra``."""
    env = dict(os.environ if base is None else base)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *([path] if path else [])])
    return {**env, **(extra or {})}
