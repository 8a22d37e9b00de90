"""Every study in experiments/ runs the documented way, `python -m experiments.<study>`, on the shared skeleton."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers.commands import run_command

STUDIES = sorted(
    path.stem
    for path in (ROOT / "experiments").glob("*.py")
    if "def main(" in path.read_text() and path.stem != "update_readme"
)


def test_no_study_module_is_named_like_a_package_of_emotion() -> None:
    packages = {path.parent.name for path in (ROOT / "emotion").glob("*/__init__.py")}
    assert not {path.stem for path in (ROOT / "experiments").glob("*.py")} & packages


@pytest.mark.parametrize("study", STUDIES)
def test_each_study_answers_help_through_the_skeleton(capsys, monkeypatch, study: str) -> None:
    assert "Study(__doc__, __file__)" in (ROOT / "experiments" / f"{study}.py").read_text()
    ran = run_command(capsys, monkeypatch, f"experiments.{study}", "--help")
    assert ran.code == 0, ran.err[-2000:]
    assert ran.out.startswith(f"usage: python -m experiments.{study} ")


def test_the_pages_check_runs_as_documented(capsys, monkeypatch) -> None:
    ran = run_command(capsys, monkeypatch, "experiments.update_readme", "--check")
    assert ran.code == 0, ran.err


def test_results_name_the_study_that_made_them(tmp_path: Path, monkeypatch) -> None:
    import functools

    from experiments import study as skeleton
    from experiments.stamping import write_results
    from experiments.study import Study

    monkeypatch.setattr(skeleton, "write_results", functools.partial(write_results, directory=tmp_path))
    study = Study("A demo study.\n\nMore.", str(ROOT / "experiments" / "demo.py"))
    study.start([])
    path = study.write("demo", [{"acc": 0.5}], "Demo", wall_s=60.0)
    assert path == tmp_path / "demo.md"
    assert path.read_text().startswith("# Demo\n\n`python -m experiments.demo` on ")
