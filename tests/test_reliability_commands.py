"""Commands: a wrong folder, backend, option or input stops with one line, before any work is done."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from emotion.inference.hf_folder import HF_FOLDER
from tests.helpers.commands import run_command


@pytest.fixture
def run_predict(capsys, monkeypatch):
    """The one line a failing `python -m emotion.predict ARGS` ends with (run in this process)."""

    def run(*args: str, stdin: bytes | None = None) -> str:
        ran = run_command(capsys, monkeypatch, "emotion.predict", *args, stdin=stdin)
        assert ran.code != 0, ran.out[-2000:]
        return ran.err_lines[-1]

    return run


@pytest.fixture(scope="module")
def model_dir(trained_run) -> Path:
    return Path(trained_run[0].paths.output_dir) / HF_FOLDER  # a training run's folder: no ONNX files


def test_a_missing_model_folder(run_predict, tmp_path: Path) -> None:
    assert run_predict(f"model={tmp_path / 'nope'}", "hi") == f"error: no such model folder: {tmp_path / 'nope'}"


def test_an_onnx_backend_without_its_file(run_predict, model_dir: Path) -> None:
    assert run_predict(f"model={model_dir}", "--backend", "onnx", "hi") == (
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
def test_bad_options(run_predict, model_dir: Path, args: list[str], line: str) -> None:
    assert run_predict(f"model={model_dir}", *args, "i feel fine").endswith(line)


def test_input_that_is_not_text(run_predict, model_dir: Path) -> None:
    assert run_predict(f"model={model_dir}", "i feel \x00 fine") == (
        "error: argument 1: not text (contains a NUL byte)"
    )
    assert run_predict(f"model={model_dir}", stdin=b"fine\n\x89PNG\r\n\x1a\n\xff\x00") == (
        "error: <stdin>:2: not text (invalid UTF-8 at byte offset 5)"
    )


def test_a_port_in_use_is_one_line_before_any_url(capsys, monkeypatch, model_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = run_command(capsys, monkeypatch, "emotion.serve", f"model={model_dir}", "--port", str(port))
    assert ran.code == 1 and "http://" not in ran.out
    assert ran.err_lines == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use; another server there? choose another --port"
    ]
