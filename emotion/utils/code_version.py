"""Which code made a result: the checkout's commit, so a model, a run or a results file can be traced to it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def code_commit(ignore: Sequence[str] = (), root: Path = ROOT) -> str:
    """The checkout's commit, marked `+dirty` when tracked files (other than the `ignore` pathspecs) differ from
    it: the code that ran is then in no commit. `unknown` outside a git checkout (an installed package).

    EMOTION_COMMIT names it for a copy of a committed tree whose .git is missing or not its own (a machine the
    tree was sent to)."""
    if os.environ.get("EMOTION_COMMIT"):
        return os.environ["EMOTION_COMMIT"]

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short=10", "HEAD")
    if not head:
        return "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", *(f":!{spec}" for spec in ignore))
    return head + ("+dirty" if changed else "")
