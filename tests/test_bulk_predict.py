"""Prediction at any size: a killed `--file` run resumed to the same output byte for byte, an existing output never
overwritten, a half-written last row dropped (jsonl and csv), and an endless stdin pipe answered while open. The
memory and throughput figures are in experiments/results/bulk_predict.md, not here."""

from __future__ import annotations

import json
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emotion.data import load_splits
from tests.conftest import ROOT
from tests.helpers.commands import Ran, run_command


@pytest.fixture
def predict(capsys, monkeypatch):
    """`python -m emotion.predict ARGS`, in this process."""

    def run(*args: str) -> Ran:
        return run_command(capsys, monkeypatch, "emotion.predict", *args)

    return run


@pytest.fixture(scope="module")
def tweets(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """8,000 real tweets, one per line."""
    path = tmp_path_factory.mktemp("bulk") / "tweets.txt"
    path.write_text("\n".join(load_splits(str(data_dir))["train"]["text"][:8000]) + "\n")
    return path


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_uninterrupted_output(exported, predict, tweets: Path, tmp_path: Path) -> None:
    model = str(exported[0])
    assert predict(f"model={model}", "--file", str(tweets), "--output", str(tmp_path / "whole.jsonl")).code == 0
    whole = (tmp_path / "whole.jsonl").read_bytes()
    assert whole.count(b"\n") == 8000

    output = tmp_path / "killed.jsonl"
    child = subprocess.Popen(
        [sys.executable, "-m", "emotion.predict", f"model={model}", "--file", str(tweets), "--output", str(output)],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not (output.exists() and output.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.02)
    child.kill()  # -9, mid-way: rows of the first chunks are on disk, written and flushed as computed
    child.wait()
    left = output.read_bytes()
    assert 0 < left.count(b"\n") < 8000 and whole.startswith(left[: left.rfind(b"\n") + 1])

    refused = predict(f"model={model}", "--file", str(tweets), "--output", str(output))
    assert refused.code == 1 and refused.err_lines == [
        f"error: --output {output}: already exists; --resume continues it, or choose a new file"
    ]
    assert output.read_bytes() == left  # untouched
    assert predict(f"model={model}", "--file", str(tweets), "--output", str(output), "--resume").code == 0
    assert output.read_bytes() == whole


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_half_written_last_row_is_dropped_on_resume(
    exported, predict, tweets: Path, tmp_path: Path, suffix: str
) -> None:
    head = tmp_path / "head.txt"
    head.write_text('say "hi"\nline two, with a comma\n' + "".join(tweets.read_text().splitlines(True)[:598]))
    model = str(exported[0])
    whole = tmp_path / f"whole{suffix}"
    assert predict(f"model={model}", "--file", str(head), "--output", str(whole), "--chunk", "64").code == 0
    data = whole.read_bytes()
    for cut in (40, len(data) // 2):  # inside the first row (a csv's header), mid-file
        partial = tmp_path / f"partial{cut}{suffix}"
        partial.write_bytes(data[:cut])
        assert (
            predict(f"model={model}", "--file", str(head), "--output", str(partial), "--chunk", "64", "--resume").code
            == 0
        )
        assert partial.read_bytes() == data, cut


@pytest.mark.slow
def test_an_endless_pipe_is_answered_while_it_is_open(exported) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "emotion.predict", f"model={exported[0]}"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        bufsize=0,
    )  # unbuffered: a line read is a line select() saw arrive
    try:
        for lines in (["i feel great", "this is scary"], ["i am so angry"]):
            child.stdin.write("".join(f"{line}\n" for line in lines).encode())
            answers = []
            while len(answers) < len(lines):
                assert select.select([child.stdout], [], [], 60)[0], "no answer while the pipe stays open"
                answers.append(child.stdout.readline().decode())
            assert [answer.split('"text": ')[1].split('"')[1] for answer in answers] == lines
    finally:
        child.stdin.close()
        assert child.wait(timeout=60) == 0


@pytest.mark.slow
def test_workers_score_a_file_in_input_order(exported, predict, tweets: Path, tmp_path: Path) -> None:
    model = str(exported[0])
    outputs = {}
    for workers in ("1", "2"):
        outputs[workers] = tmp_path / f"workers{workers}.jsonl"
        run = predict(
            f"model={model}",
            "--file",
            str(tweets),
            "--output",
            str(outputs[workers]),
            "--chunk",
            "1000",
            "--workers",
            workers,
        )
        assert run.code == 0, run.err[-2000:]
    one, two = ([json.loads(line) for line in outputs[w].read_text().splitlines()] for w in ("1", "2"))
    assert [row["text"] for row in two] == [row["text"] for row in one] == tweets.read_text().splitlines()
    # Each worker runs on its share of the cores: other thread counts may round the last bits differently.
    for a, b in zip(one, two, strict=True):
        assert b["probabilities"] == pytest.approx(a["probabilities"], abs=1e-5)

    broken = tmp_path / "broken"
    shutil.copytree(model, broken)
    (broken / "model.safetensors").unlink()
    output = tmp_path / "never.jsonl"
    refused = predict(f"model={broken}", "--file", str(tweets), "--output", str(output), "--workers", "2")
    assert refused.code == 1 and refused.err_lines[-1].startswith(
        f"error: {broken}: not a complete model folder: no a weights file"
    )
    assert not output.exists()
