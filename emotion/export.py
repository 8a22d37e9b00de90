"""Export a checkpoint for inference: `python -m emotion.export ckpt_path=PATH [out_dir=DIR]`.

Writes one folder holding (a) the standard Hugging Face model (save_pretrained + a generated model card),
(b) model.onnx and (c) model_int8.onnx, then checks on the test split that each gives the PyTorch model's top
label for at least `min_agreement` of the texts, and records what it measured in export_report.json. With
`calibrate=true` (the default) a temperature fitted on validation is folded into the output layer first, so every
format returns calibrated probabilities.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from huggingface_hub import ModelCard
from omegaconf import DictConfig
from transformers import AutoTokenizer

from emotion.data.splits import label_names, load_splits, subsample
from emotion.inference import Predictor
from emotion.inference.hf_folder import model_labels, save_hf_folder
from emotion.inference.model_card import model_card, text, write_model_card
from emotion.inference.onnx_models import export_onnx, quantize_int8
from emotion.models.calibration import fit_temperature, fold_temperature, log_probabilities
from emotion.models.checkpoint import check_same_labels, load_classifier
from emotion.models.metrics import scores
from emotion.reporting.figures import save_confusion_matrix
from emotion.storage import atomic_folder
from emotion.storage.tables import markdown_table, write_json
from emotion.utils.code_version import code_commit
from emotion.utils.command import hydra_command
from emotion.utils.errors import UserError
from emotion.utils.hub import from_pretrained
from emotion.utils.logs import stage

log = logging.getLogger(__name__)
EVALUATED = {"validation": "val", "test": "test"}  # split -> metric prefix


def export(cfg: DictConfig) -> dict:
    model = load_classifier(cfg.ckpt_path)
    tokenizer = from_pretrained(AutoTokenizer.from_pretrained, model.hparams.pretrained, "tokenizer")
    # Raw texts only: the Predictor tokenizes what it checks.
    splits = subsample(load_splits(cfg.data.source, cfg.data.get("labels")), cfg.data.max_samples, cfg.data.seed)
    names = model.labels
    check_same_labels(cfg.ckpt_path, names, label_names(splits))
    # Everything is written into a folder beside out_dir and renamed onto it at the end: a kill never leaves half
    # an export under the final name (a failed agreement check leaves no export at all).
    with atomic_folder(Path(cfg.out_dir)) as out_dir:
        texts = {split: list(splits[split]["text"]) for split in EVALUATED}
        labels = {split: np.array(splits[split]["label"]) for split in EVALUATED}
        report: dict = {"ckpt_path": cfg.ckpt_path, "min_agreement": cfg.min_agreement, "code_commit": code_commit()}
        save_hf_folder(model.model, tokenizer, out_dir)
        if cfg.calibrate:
            with stage("Fitting a temperature on validation and folding it into the output layer"):
                predictor = Predictor(out_dir, backend="torch", max_length=cfg.data.max_length)
                before = {split: predictor.probabilities(texts[split])[0] for split in EVALUATED}
                temperature = fit_temperature(log_probabilities(before["validation"]), labels["validation"])
                fold_temperature(model.model, temperature)
                save_hf_folder(model.model, tokenizer, out_dir)
            report["calibration"] = {"temperature": temperature} | {
                f"{name}_before": value
                for split, prefix in EVALUATED.items()
                for name, value in scores(before[split], labels[split], prefix, names).items()
                if name in (f"{prefix}/ece", f"{prefix}/nll")
            }
        with stage(f"Writing model.onnx and model_int8.onnx to {cfg.out_dir}"):
            export_onnx(model.model, tokenizer, out_dir / "model.onnx", cfg.opset)
            quantize_int8(out_dir / "model.onnx", out_dir / "model_int8.onnx")

        predictions: dict[str, dict[str, np.ndarray]] = {}
        for backend in ("torch", "onnx", "onnx-int8"):
            predictor = Predictor(out_dir, backend=backend, max_length=cfg.data.max_length)
            with stage(f"Scoring the {backend} model on validation and test"):
                for split, prefix in EVALUATED.items():
                    probabilities = predictor.probabilities(texts[split])[0]
                    predictions.setdefault(backend, {})[split] = probabilities.argmax(axis=1)
                    report[f"{backend}/{prefix}"] = scores(probabilities, labels[split], prefix, names)
        if cfg.calibrate:
            report["calibration"] |= {
                f"{prefix}/{name}_after": report[f"torch/{prefix}"][f"{prefix}/{name}"]
                for prefix in EVALUATED.values()
                for name in ("ece", "nll")
            }
        for backend in ("onnx", "onnx-int8"):
            report[f"{backend}/test_agreement"] = float(
                np.mean(predictions[backend]["test"] == predictions["torch"]["test"])
            )
        write_json(report, out_dir / "export_report.json")
        save_confusion_matrix(
            labels["test"],
            predictions["torch"]["test"],
            names,
            "Normalized confusion matrix (test)",
            out_dir / "confusion_matrix_test.png",
        )
        write_model_card(
            export_card(out_dir, Path(cfg.out_dir).name, model.hparams.pretrained, report, cfg.data.source), out_dir
        )
        low = {
            b: report[f"{b}/test_agreement"]
            for b in ("onnx", "onnx-int8")
            if report[f"{b}/test_agreement"] < cfg.min_agreement
        }
        if low:
            raise UserError(f"{cfg.out_dir}: top-label agreement with PyTorch below {cfg.min_agreement}: {low}")
        log.info(
            "Exported to %s: agreement onnx %.4f, int8 %.4f",
            cfg.out_dir,
            report["onnx/test_agreement"],
            report["onnx-int8/test_agreement"],
        )
    return report


def export_card(out_dir: Path, name: str, pretrained: str, report: dict, data_source: str) -> ModelCard:
    """The folder's card: the torch model's figures as its results, each format's beside them, calibration."""
    formats = [
        {
            "format": backend,
            "split": stage,
            "accuracy": report[f"{backend}/{stage}"][f"{stage}/acc"],
            "macro F1": report[f"{backend}/{stage}"][f"{stage}/f1_macro"],
            "ECE": report[f"{backend}/{stage}"][f"{stage}/ece"],
            "top-label agreement with torch (test)": report.get(f"{backend}/test_agreement", 1.0),
        }
        for backend in ("torch", "onnx", "onnx-int8")
        for stage in EVALUATED.values()
    ]
    calibration = report.get("calibration")
    calibration_text = (
        f"Temperature scaling: T = {calibration['temperature']:.4f}, fitted on validation (minimum NLL) and folded "
        "into the output layer, so every format returns calibrated probabilities; the top label is unchanged. "
        f"Test ECE (15 bins) {calibration['test/ece_before']:.4f} before, {calibration['test/ece_after']:.4f} after; "
        f"test NLL {calibration['test/nll_before']:.4f} before, {calibration['test/nll_after']:.4f} after."
        if calibration
        else "Not calibrated (exported with calibrate=false)."
    )
    onnx = (
        "`model.onnx` (fp32) and `model_int8.onnx` (dynamic int8, MatMul weights), inputs `input_ids` and "
        '`attention_mask`, output `logits`; or `python -m emotion.predict model=DIR --backend onnx-int8 "text"`.'
    )
    return model_card(
        pretrained,
        model_labels(out_dir),
        data_source,
        report["torch/val"] | report["torch/test"],
        f"Exported by `python -m emotion.export` from the checkpoint {text(Path(report['ckpt_path']).name)}.",
        [
            (
                "Each format",
                markdown_table(formats) + "\n![Normalized confusion matrix on test](confusion_matrix_test.png)",
            ),
            ("Calibration", calibration_text),
            ("ONNX Runtime", onnx),
        ],
        usage=name,
    )


@hydra_command("export")
def main(cfg: DictConfig) -> None:
    export(cfg)


if __name__ == "__main__":
    main()
