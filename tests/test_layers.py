"""The layers of `emotion/` read top-down (the import-linter contract in pyproject.toml), and the tree is lint-clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` with `root`'s pyproject.toml, importing the `emotion` package found in `root`."""
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": str(BIN), "PYTHONPATH": str(root)},
        timeout=120,
    )


def test_the_package_keeps_its_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_an_import_that_climbs_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "emotion", tmp_path / "emotion", ignore=shutil.ignore_patterns("__pycache__", "carer"))
    storage = tmp_path / "emotion" / "storage" / "writes.py"
    storage.write_text(storage.read_text() + "\n\ndef _climb():\n    from emotion.inference import Predictor  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "emotion.storage.writes -> emotion.inference" in result.stdout, result.stdout[-3000:]


def test_the_tree_is_lint_clean_and_formatted() -> None:
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([str(BIN / "ruff"), *command], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout[-3000:]
