"""The README.md model card of an exported folder, filled with the figures measured at export."""

from __future__ import annotations

from pathlib import Path

from emotion.data.labels import EMOTIONS
from emotion.storage.tables import markdown_table

LIMITS = """\
- Trained on English tweets that were lowercased and stripped of punctuation, mentions, URLs and hashtags;
  other text (long documents, other languages, raw punctuation and emoji) is out of its distribution.
- The labels come from hashtags (distant supervision): some texts carry different labels in different splits,
  so no model can get every test item right.
- `love` and `surprise` are rare (8% and 4% of training): their F1 is lower than the average suggests.
- Six basic emotions only; not for clinical, hiring, or any other decision about a person.
"""


def write_model_card(out_dir: Path, base_model: str, report: dict, data_source: str) -> Path:
    rows = [
        {
            "backend": backend,
            "split": stage,
            "accuracy": report[f"{backend}/{stage}"][f"{stage}/acc"],
            "weighted F1": report[f"{backend}/{stage}"][f"{stage}/f1_weighted"],
            "macro F1": report[f"{backend}/{stage}"][f"{stage}/f1_macro"],
            "ECE": report[f"{backend}/{stage}"][f"{stage}/ece"],
            "agreement with torch (test)": report.get(f"{backend}/test_agreement", 1.0),
        }
        for backend in ("torch", "onnx", "onnx-int8")
        for stage in ("val", "test")
    ]
    per_class = [{"emotion": e, "F1 (test)": report["torch/test"][f"test/f1_{e}"]} for e in EMOTIONS]
    calibration = report.get("calibration")
    calibration_text = (
        f"Temperature scaling: T = {calibration['temperature']:.4f}, fitted on validation (minimum NLL) and folded "
        f"into the output layer, so every format above returns calibrated probabilities; the top label is unchanged. "
        f"Test ECE (15 bins) {calibration['test/ece_before']:.4f} before, {calibration['test/ece_after']:.4f} after; "
        f"test NLL {calibration['test/nll_before']:.4f} before, {calibration['test/nll_after']:.4f} after."
        if calibration
        else "Not calibrated (exported with calibrate=false)."
    )
    hub_base = "" if Path(base_model).exists() else f"base_model: {base_model}\n"
    card = f"""---
language: en
license: other
library_name: transformers
pipeline_tag: text-classification
datasets:
- dair-ai/emotion
{hub_base}metrics:
- accuracy
- f1
---

# Emotion classifier for English tweets

Fine-tuned from `{base_model}` on the CARER emotion data (`{data_source}`; 16k/2k/2k tweets) to predict one of
{", ".join(EMOTIONS)}. Exported by `python -m emotion.export` from `{report["ckpt_path"]}`.

## Results (measured at export)

{markdown_table(rows)}
{markdown_table(per_class)}
![Normalized confusion matrix on test](confusion_matrix_test.png)

## Calibration

{calibration_text}

## Use

```python
from transformers import pipeline
classify = pipeline("text-classification", model="{out_dir.name}", top_k=None)
classify("i feel like a kid on christmas morning")
```

ONNX Runtime: `model.onnx` (fp32) and `model_int8.onnx` (dynamic int8, MatMul weights), inputs `input_ids` and
`attention_mask`, output `logits`; or `python -m emotion.predict model={out_dir.name} --backend onnx-int8 "text"`.

## Limits

{LIMITS}"""
    path = out_dir / "README.md"
    path.write_text(card)
    return path
