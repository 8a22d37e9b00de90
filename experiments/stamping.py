"""Committed results files of the studies in experiments/, stamped, and the page blocks made from them.

A study writes `experiments/results/<study>.csv` (its rows, each with the stamp columns) and `<study>.md` (a stamp
line, notes, the table). A page (README.md, experiments/README.md, docs/*.md) shows a study's Markdown between
`<!-- results:<study> -->` and `<!-- /results:<study> -->`, inserted by `python -m experiments.update_readme`,
never typed by hand; a test checks that they agree.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from emotion.storage.tables import markdown_table
from emotion.utils.code_version import code_commit

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "experiments" / "results"


# The vector units the timings depend on most (int8 ONNX uses VNNI, bf16 autocast avx512_bf16 or AMX); a cloud
# "AMD EPYC" is one name for hosts with and without AVX-512.
SIMD_FLAGS = ("amx_bf16", "avx512_bf16", "avx512_vnni", "avx512f", "avx2")


def machine() -> str:
    """CPU model, core count and widest vector units, plus the GPU where there is one: what the timings depend on."""
    cpuinfo = Path("/proc/cpuinfo")
    info = cpuinfo.read_text() if cpuinfo.is_file() else ""
    names = re.findall(r"^model name\s*:\s*(.+)$", info, re.M)
    flags = set(next(iter(re.findall(r"^flags\s*:\s*(.+)$", info, re.M)), "").split())
    simd = "+".join(flag for flag in SIMD_FLAGS if flag in flags) or "no AVX2"
    text = f"{names[0] if names else platform.processor() or platform.machine()}, {os.cpu_count()} cores, {simd}"
    import torch

    if torch.cuda.is_available():
        text += f", {torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
    return text


def commit() -> str:
    """The checkout's commit, `+dirty` when tracked files other than the results files differ from it (the numbers
    then came from code that no commit holds; another study's fresh results, or the Markdown pages they go into,
    change no code)."""
    return code_commit(ignore=(str(RESULTS_DIR.relative_to(ROOT)), "*.md"), root=ROOT)


STAMP_COLUMNS = ("machine", "date", "commit", "wall_s")


def stamp(wall_s: float) -> dict[str, Any]:
    return {
        "machine": machine(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "wall_s": round(wall_s, 1),
    }


def write_results(
    study: str,
    rows: Sequence[dict[str, Any]],
    wall_s: float,
    title: str,
    notes: str = "",
    shown: Sequence[dict[str, Any]] | None = None,
    script: str | None = None,
    directory: Path = RESULTS_DIR,
) -> Path:
    """Writes `<study>.csv` (all of `rows`) and `<study>.md` (the `shown` rows, by default the same), naming the
    script that measured them (default: the running one); returns the Markdown file. A row that brings its own
    stamp columns (one carried over from an earlier run) keeps them."""
    directory.mkdir(parents=True, exist_ok=True)
    stamped = stamp(wall_s)
    pd.DataFrame([dict(row) | {key: value for key, value in stamped.items() if key not in row} for row in rows]).to_csv(
        directory / f"{study}.csv", index=False
    )
    script = script or f"experiments/{Path(sys.argv[0]).name}"
    body = (
        f"# {title}\n\n`{script}` on {stamped['machine']}, {stamped['date']}, commit {stamped['commit']}, "
        f"wall time {wall_s / 60:.1f} min.\n\n"
        + (notes.strip() + "\n\n" if notes.strip() else "")
        + markdown_table(rows if shown is None else shown)
    )
    path = directory / f"{study}.md"
    path.write_text(body)
    return path


def committed_rows(study: str, directory: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    """The rows of a committed `<study>.csv`, each with its own stamp columns and without its empty cells: what a
    run that repeats only part of a study carries over (`write_results` keeps their stamps)."""
    path = directory / f"{study}.csv"
    if not path.is_file():
        raise SystemExit(f"{path}: no committed results to carry rows from")
    return [
        {key: value for key, value in row.items() if not pd.isna(value)}
        for row in pd.read_csv(path, dtype={"commit": str}).to_dict("records")
    ]  # "18e4576202" is no number


def measured(row: dict[str, Any]) -> str:
    """Which run a row of a table comes from: a carried row's date and commit, else this run."""
    return f"{row['date'][:10]}, {row['commit']}" if "date" in row else "this run"


# The README's headline: (row name, the seeds table's recipe it reads, what the recipe is), in the order shown.
HEADLINE = (
    ("the book's recipe", "book", "2 epochs, lr 2e-5, batch 64, MiniLM in place of DistilBERT"),
    ("plain fine-tune", "fine-tune", "4 epochs, lr 1e-4, class-weighted, length-grouped batches"),
    ("distilled student (`make train`)", "student (make train)", "the fine-tune, also learning from MPNet's logits"),
    ("distilled student, two teachers", "student, 2 teachers", "the same, from two MPNet teachers' mean"),
)


def headline_block(directory: Path = RESULTS_DIR) -> str:
    """The README's headline table: test accuracy and macro F1 (mean ± std over seeds) and minutes per run of the
    book's recipe, the plain fine-tune and the distilled students, read from the seeds study's results."""
    table = pd.read_csv(directory / "seeds.csv", dtype={"commit": str})
    by_recipe = {str(name).split(":", 1)[0]: row for name, row in zip(table["recipe"], table.to_dict("records"))}
    rows = []
    for shown, recipe, what in HEADLINE:
        row = by_recipe[recipe]
        rows.append(
            {
                "recipe": shown,
                "what": what,
                "seeds": int(row["n"]),
                "test accuracy": _mean_std(row, "test/acc"),
                "test macro F1": _mean_std(row, "test/f1_macro"),
                "minutes per run": f"{row['minutes per run']:.1f}",
                "CPU": _vector_units(row["machine"]),
            }
        )
    source = "[`experiments/results/seeds.csv`](experiments/results/seeds.csv)"
    notes = (
        f"From {source} (mean ± sample std over seeds, test split read once per recipe; all-MiniLM-L6-v2 offline, "
        "on 2-core CPUs whose vector units set the minutes)."
    )
    return notes + "\n\n" + markdown_table(rows)


def _vector_units(machine: str) -> str:
    """What a run's minutes depend on most: bf16 in hardware (AVX-512 bf16) or not (AVX2 only, fp32); stamps older
    than the vector-unit field say neither."""
    units = machine.split(", ")[2:]
    if not units:
        return "not recorded"
    return "AVX-512, bf16" if "avx512_bf16" in units[0] else "AVX2, fp32"


def _mean_std(row: dict[str, Any], metric: str) -> str:
    std = row.get(f"{metric}_std")
    return f"{row[f'{metric}_mean']:.4f}" + ("" if pd.isna(std) else f" ± {std:.4f}")


def readme_block(study: str, directory: Path = RESULTS_DIR) -> str:
    """What a page shows for a study: its results Markdown without the title line (`headline`: the README's
    headline table, made from the seeds study's results)."""
    if study == "headline":
        return headline_block(directory)
    text = (directory / f"{study}.md").read_text()
    return text.split("\n", 1)[1].strip() + "\n" if text.startswith("# ") else text


BLOCK = re.compile(r"(<!-- results:(?P<study>[\w-]+) -->\n)(?P<body>.*?)(<!-- /results:(?P=study) -->)", re.S)


def fill_blocks(readme: str, directory: Path = RESULTS_DIR) -> str:
    """The README with every results block replaced by its study's current results."""
    return BLOCK.sub(lambda m: m.group(1) + readme_block(m.group("study"), directory) + m.group(4), readme)


def blocks(readme: str) -> dict[str, str]:
    """Study -> the text the README shows for it."""
    return {m.group("study"): m.group("body") for m in BLOCK.finditer(readme)}
