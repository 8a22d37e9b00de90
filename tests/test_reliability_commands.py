"""Commands: a wrong folder, backend, option or input stops with one line, before any work is done."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from emotion.inference.hf_folder import HF_FOLDER
from emotion.predict import main as predict_main


def run_predict(capsys, *args: str, stdin: bytes | None = None, monkeypatch=None) -> str:
    """The one line a failing `python -m emotion.predict ARGS` ends with."""
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    with pytest.raises(SystemExit) as caught:
        predict_main(list(args))
    if isinstance(caught.value.code, str):  # one_line_errors
        return caught.value.code
    return capsys.readouterr().err.strip().splitlines()[-1]  # argparse


@pytest.fixture(scope="module")
def model_dir(trained_run) -> Path:
    return Path(trained_run[0].paths.output_dir) / HF_FOLDER  # a training run's folder: no ONNX files


def test_a_missing_model_folder(capsys, tmp_path: Path) -> None:
    assert (
        run_predict(capsys, f"model={tmp_path / 'nope'}", "hi") == f"error: no such model folder: {tmp_path / 'nope'}"
    )


def test_an_onnx_backend_without_its_file(capsys, model_dir: Path) -> None:
    assert run_predict(capsys, f"model={model_dir}", "--backend", "onnx", "hi") == (
        f"error: {model_dir / 'model.onnx'}: not found; the ONNX backends need `python -m emotion.export` output"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--max-length", "0"], "argument --max-length: expected a whole number >= 1, got 0"),
        (["--max-length", "600"], "error: max_length=600: expected 1 to 512 (the model's limit)"),
        (["--batch-size", "0"], "argument --batch-size: expected a whole number >= 1, got 0"),
        (["--batch-size", "-3"], "argument --batch-size: expected a whole number >= 1, got -3"),
        (["--output", "/no/such/folder/out.csv"], "--output: no such folder: /no/such/folder"),
    ],
)
def test_bad_options(capsys, model_dir: Path, args: list[str], line: str) -> None:
    assert run_predict(capsys, f"model={model_dir}", *args, "i feel fine").endswith(line)


def test_input_that_is_not_text(capsys, model_dir: Path, monkeypatch) -> None:
    assert run_predict(capsys, f"model={model_dir}", "i feel \x00 fine") == (
        "error: argument 1: not text (contains a NUL byte)"
    )
    assert run_predict(
        capsys, f"model={model_dir}", stdin=b"fine\n\x89PNG\r\n\x1a\n\xff\x00", monkeypatch=monkeypatch
    ) == ("error: <stdin>:2: not text (invalid UTF-8 at byte offset 5)")
