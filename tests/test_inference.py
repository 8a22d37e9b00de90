"""Export (HF folder + card, ONNX, int8), the predict CLI and the HTTP service, on the tiny model."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from transformers import pipeline

from emotion.data.labels import EMOTIONS
from tests.conftest import ROOT, assert_png
from tests.helpers.commands import Ran, run_command
from tests.helpers.service import call, running_service


def test_export_writes_three_agreeing_models_and_a_card(exported) -> None:
    out, report = exported
    for name in ("config.json", "model.safetensors", "tokenizer.json", "model.onnx", "model_int8.onnx", "README.md"):
        assert (out / name).is_file(), name
    assert_png(out / "confusion_matrix_test.png")
    assert json.loads((out / "export_report.json").read_text()) == report
    assert report["onnx/test_agreement"] >= 0.99 and report["onnx-int8/test_agreement"] >= 0.99
    assert report["onnx/test"]["test/acc"] == pytest.approx(report["torch/test"]["test/acc"], abs=0.01)
    card = (out / "README.md").read_text()
    assert "pipeline_tag: text-classification" in card and f"{report['torch/test']['test/acc']:.4f}" in card
    quantized = onnx.load(out / "model_int8.onnx").graph
    weights = [
        onnx.numpy_helper.to_array(init) for init in quantized.initializer if init.data_type == onnx.TensorProto.INT8
    ]
    # 7-bit weights (reduce_range): full-range int8 overflows the int16 pair sums of CPUs without VNNI.
    assert weights and max(int(abs(w.astype(int)).max()) for w in weights) <= 64
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= {node.op_type for node in quantized.node}
    scores = pipeline("text-classification", model=str(out), top_k=None)(["i am so happy"])[0]
    assert {item["label"] for item in scores} == set(EMOTIONS)


@pytest.fixture
def predict(capsys, monkeypatch):
    """`python -m emotion.predict ARGS`, in this process."""

    def run(*args: str, stdin: str | None = None) -> Ran:
        return run_command(capsys, monkeypatch, "emotion.predict", *args, stdin=stdin)

    return run


@pytest.mark.parametrize("backend", ["torch", "onnx-int8"])
def test_predict_texts_and_stdin(exported, predict, backend: str) -> None:
    model = f"model={exported[0]}"
    result = predict(model, "--backend", backend, "i feel great", "that was terrifying")
    assert result.code == 0, result.err[-2000:]
    assert result.err == ""  # no weight-loading bars or other library chatter
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [row["text"] for row in rows] == ["i feel great", "that was terrifying"]
    for row in rows:
        assert set(row["probabilities"]) == set(EMOTIONS)
        assert sum(row["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert row["label"] == max(row["probabilities"], key=row["probabilities"].get)
    piped = predict(model, "--backend", backend, stdin="i feel great\nthat was terrifying\n")
    assert piped.code == 0, piped.err[-2000:]
    assert [json.loads(line)["probabilities"] for line in piped.out.splitlines()] == [r["probabilities"] for r in rows]


def test_predict_file_to_csv_with_truncation_warning(exported, predict, tmp_path: Path) -> None:
    source = tmp_path / "tweets.jsonl"
    texts = ["i feel great", "word " * 300, "i am sad"]
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    result = predict(f"model={exported[0]}", "--file", str(source), "--output", str(tmp_path / "out.csv"))
    assert result.code == 0, result.err[-2000:]
    assert "warning: text 2 is longer than 128 tokens and was truncated" in result.err
    with (tmp_path / "out.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["text"] for row in rows] == texts and [row["truncated"] for row in rows] == ["False", "True", "False"]


def test_predict_plot_and_bad_input(exported, predict, tmp_path: Path) -> None:
    plotted = predict(f"model={exported[0]}", "i feel great", "--plot", str(tmp_path / "p.png"))
    assert plotted.code == 0, plotted.err[-2000:]
    assert_png(tmp_path / "p.png")
    (tmp_path / "bad.txt").write_text("fine text\n\n")
    bad = predict(f"model={exported[0]}", "--file", str(tmp_path / "bad.txt"))
    assert bad.code != 0 and bad.err_lines[-1] == f"error: {tmp_path / 'bad.txt'}:2: empty text"
    empty = predict(f"model={exported[0]}", "   ")
    assert empty.code != 0 and empty.err_lines[-1] == "error: argument 1: empty text"


@pytest.mark.slow
def test_the_predict_command_line_prints_its_rows_and_nothing_else(exported) -> None:
    """What only a fresh process shows: no library's warning, bar or banner reaches the terminal."""
    result = subprocess.run(
        [sys.executable, "-m", "emotion.predict", f"model={exported[0]}", "i feel great"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["i feel great"]


@pytest.mark.slow
def test_http_service_on_localhost(exported) -> None:
    with running_service(exported[0], "--backend", "onnx", "--max-texts", "4", "--max-chars", "100") as base:
        status, health = call(f"{base}/health")
        assert status == 200 and health["status"] == "ok" and health["labels"] == list(EMOTIONS)

        status, body = call(f"{base}/predict", {"text": "i feel great"})
        assert status == 200 and len(body["predictions"]) == 1
        assert set(body["predictions"][0]["probabilities"]) == set(EMOTIONS)
        status, body = call(f"{base}/predict", {"texts": ["i feel great", "so scared", "i love you"]})
        assert status == 200 and [p["text"] for p in body["predictions"]] == ["i feel great", "so scared", "i love you"]

        assert call(f"{base}/predict", {"texts": ["a"] * 5})[0] == 413
        status, body = call(f"{base}/predict", {"text": "x" * 101})
        assert status == 413 and "limit is 100" in body["detail"]
        assert call(f"{base}/predict", {"text": "  "})[0] == 422
        assert call(f"{base}/predict", {})[0] == 422
        assert call(f"{base}/predict", {"texts": []})[0] == 422


def test_predictor_batches_by_length_within_budget_and_keeps_order(exported) -> None:
    import numpy as np

    from emotion.inference import Predictor

    predictor = Predictor(exported[0], batch_size=4, max_tokens=40)
    texts = ["a b c d e f g h i j k l m n", "hi", "i feel so very happy today", "no", "ok then", "so sad", "yes"]
    lengths = [len(ids) for ids in predictor.tokenizer(texts)["input_ids"]]
    batches = list(predictor._batches(lengths))
    assert sorted(i for batch in batches for i in batch) == list(range(len(texts)))
    for batch in batches:
        assert len(batch) <= 4
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 40
    together = predictor.probabilities(texts)[0]
    one_by_one = np.vstack([predictor.probabilities([text])[0] for text in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


@pytest.mark.parametrize(
    ("id2label", "says"),
    [
        ({"0": "neg", "1": "pos", "2": "neutral"}, None),
        ({"0": "only"}, "at least two"),
        ({"0": "neg", "2": "pos"}, "ids must be 0 to 1"),
        ({"0": "neg", "1": "neg"}, "names a class twice"),
        ({"0": "neg", "1": ""}, "id2label[1]"),
        ({"0": "neg", "1": ["pos"]}, "id2label[1]"),
        ("neg,pos", "at least two"),
    ],
)
def test_a_model_folder_gives_its_own_labels_or_one_line(tmp_path: Path, id2label, says: str | None) -> None:
    from emotion.inference.hf_folder import model_labels
    from emotion.utils.hub import SourceError

    (tmp_path / "config.json").write_text(json.dumps({"id2label": id2label}))
    (tmp_path / "model.safetensors").touch()  # the other parts of a model folder
    (tmp_path / "vocab.txt").touch()
    if says is None:
        assert model_labels(tmp_path) == ("neg", "pos", "neutral")
        return
    with pytest.raises(SourceError, match=re.escape(says)) as caught:
        model_labels(tmp_path)
    assert str(tmp_path / "config.json") in str(caught.value) and "\n" not in str(caught.value)


def test_a_model_folder_without_id2label_is_one_line(tmp_path: Path) -> None:
    from emotion.inference.hf_folder import model_labels
    from emotion.utils.hub import SourceError

    (tmp_path / "config.json").write_text("{not json")
    (tmp_path / "model.safetensors").touch()
    (tmp_path / "vocab.txt").touch()
    with pytest.raises(SourceError, match="no readable id2label"):
        model_labels(tmp_path)
