"""Committed results files: stamped rows, and README tables that are those files, never typed by hand."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pandas as pd

from experiments.stamping import (
    RESULTS_DIR,
    blocks,
    committed_rows,
    fill_blocks,
    headline_block,
    readme_block,
    write_results,
)
from experiments.update_readme import pages, stale_pages
from tests.conftest import ROOT


def test_results_are_stamped_with_machine_date_commit_and_wall_time(tmp_path: Path) -> None:
    path = write_results(
        "demo",
        [{"recipe": "a", "acc": 0.5}, {"recipe": "b", "acc": 0.25}],
        90.0,
        "Demo",
        notes="A note.",
        script="experiments/demo.py",
        directory=tmp_path,
    )
    table = pd.read_csv(tmp_path / "demo.csv", dtype={"commit": str})
    assert list(table.columns) == ["recipe", "acc", "machine", "date", "commit", "wall_s"]
    head = subprocess.run(
        ["git", "rev-parse", "--short=10", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert set(table["commit"]) == {table["commit"][0]} and table["commit"][0].startswith(head)
    assert table["wall_s"].tolist() == [90.0, 90.0]
    assert re.fullmatch(r".+, \d+ cores, ([a-z0-9_]+(\+[a-z0-9_]+)*|no AVX2)", table["machine"][0]), table["machine"][0]
    text = path.read_text()
    assert (
        text.startswith("# Demo\n\n`experiments/demo.py` on ")
        and f"commit {table['commit'][0]}" in text
        and "wall time 1.5 min" in text
    )
    assert "A note." in text and "| a | 0.5000 |" in text


def test_a_row_carried_from_an_earlier_run_keeps_its_stamp(tmp_path: Path) -> None:
    old = {
        "recipe": "main",
        "acc": 0.5,
        "machine": "X, 2 cores, avx2",
        "date": "2026-11-25 19:26 UTC",
        "commit": "c9538cfbe3",
        "wall_s": 4164.0,
    }
    write_results("demo", [old, {"recipe": "new", "acc": 0.25}], 60.0, "Demo", directory=tmp_path)
    table = pd.read_csv(tmp_path / "demo.csv", dtype={"commit": str})
    assert list(table.columns) == ["recipe", "acc", "machine", "date", "commit", "wall_s"]
    assert table.iloc[0].to_dict() == old
    assert table["commit"][1] != "c9538cfbe3" and table["wall_s"][1] == 60.0 and table["date"][1] != old["date"]


def test_carried_rows_keep_a_commit_that_reads_as_a_number(tmp_path: Path) -> None:
    rows = [
        {
            "recipe": "main",
            "acc": 0.5,
            "machine": "X, 2 cores, avx2",
            "date": "2026-12-02 23:55 UTC",
            "commit": commit,
            "wall_s": 60.0,
        }
        for commit in ("18e4576202", "1234567890")
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "demo.csv", index=False)
    assert committed_rows("demo", directory=tmp_path) == rows


def test_fill_blocks_replaces_stale_tables(tmp_path: Path) -> None:
    write_results("demo", [{"acc": 0.75}], 1.0, "Demo", directory=tmp_path)
    readme = "intro\n<!-- results:demo -->\n| acc |\n|---|\n| 0.99 |\n<!-- /results:demo -->\nend\n"
    filled = fill_blocks(readme, tmp_path)
    assert "0.99" not in filled and "| 0.7500 |" in filled and filled.startswith("intro\n") and filled.endswith("end\n")
    assert blocks(filled) == {"demo": readme_block("demo", tmp_path)}


def test_every_results_block_is_the_committed_results() -> None:
    shown: dict[str, list[Path]] = {}
    for page in pages():
        for study, text in blocks(page.read_text()).items():
            assert text == readme_block(study), f"{page.relative_to(ROOT)}: its {study} table differs from {study}.md"
            shown.setdefault(study, []).append(page)
    committed = {path.stem for path in RESULTS_DIR.glob("*.md")}
    assert committed, "no results files committed"
    assert set(shown) - {"headline"} == committed, "every results file appears on a page, and only those"
    assert shown["headline"] == [ROOT / "README.md"]
    assert stale_pages() == []


def test_the_headline_reads_the_seeds_results(tmp_path: Path) -> None:
    rows = [
        {
            "recipe": f"{name}: experiment=x",
            "n": 3,
            "test/acc_mean": 0.9,
            "test/acc_std": 0.01,
            "test/f1_macro_mean": 0.8,
            "test/f1_macro_std": 0.02,
            "minutes per run": 12.34,
            "machine": "X, 2 cores, avx512_bf16+avx2" if name == "book" else "X, 2 cores, avx2",
        }
        for name in ("book", "fine-tune", "student (make train)", "student, 2 teachers", "teacher")
    ]
    rows[1]["test/acc_mean"], rows[1]["test/acc_std"] = 0.93, float("nan")  # one seed: no std
    pd.DataFrame(rows).to_csv(tmp_path / "seeds.csv", index=False)
    lines = headline_block(tmp_path).splitlines()
    assert lines[2].startswith("| recipe | what | seeds | test accuracy | test macro F1 | minutes per run | CPU |")
    body = lines[4:]
    assert len(body) == 4 and "teacher" not in "".join(body).replace("teachers", "")
    assert body[0].startswith("| the book's recipe |")
    assert body[0].endswith("| 3 | 0.9000 ± 0.0100 | 0.8000 ± 0.0200 | 12.3 | AVX-512, bf16 |")
    assert "| 0.9300 | 0.8000 ± 0.0200 | 12.3 | AVX2, fp32 |" in body[1]


def test_the_stamp_is_dirty_for_changed_code_not_for_changed_results(tmp_path: Path, monkeypatch) -> None:
    from experiments import stamping as results

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True, capture_output=True
        )

    (tmp_path / "experiments" / "results").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    for name in ("code.py", "README.md", "docs/page.md", "experiments/results/study.md"):
        (tmp_path / name).write_text("one\n")
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "first")
    monkeypatch.delenv("EMOTION_COMMIT", raising=False)
    monkeypatch.setattr(results, "ROOT", tmp_path)
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "experiments" / "results")
    for name in ("README.md", "docs/page.md", "experiments/results/study.md"):  # pages and results: no code
        (tmp_path / name).write_text("two\n")
    assert not results.commit().endswith("+dirty")
    (tmp_path / "code.py").write_text("two\n")
    assert results.commit().endswith("+dirty")
