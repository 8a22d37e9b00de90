"""Feature extraction, the book's first approach: `python -m emotion.features experiment=features`.

A frozen encoder turns every tweet into its last-layer `[CLS]` vector (cached on disk, keyed by checkpoint and
data); a logistic regression and a most-frequent baseline are fit on the training vectors and scored on
validation and test. Writes metrics.json, a confusion matrix and the UMAP map into the run dir.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import hydra
import numpy as np
import torch
from omegaconf import DictConfig
from transformers import AutoModel

from emotion.data import EmotionDataModule
from emotion.inference import hidden_states
from emotion.models.metrics import scores
from emotion.plots import save, save_confusion_matrix, umap_panels_figure
from emotion.projection import umap_coordinates
from emotion.reports import write_json
from emotion.utils.errors import one_line_errors
from emotion.utils.hub import from_pretrained

log = logging.getLogger(__name__)
SPLITS = ("train", "validation", "test")


def cache_key(pretrained: str, datamodule: EmotionDataModule, pooling: str) -> str:
    """Changes when the weights, the texts or labels, the tokenization or the pooling change."""
    digest = hashlib.sha256(f"{pooling}|{datamodule.hparams.max_length}|{pretrained}".encode())
    model_dir = Path(pretrained)
    if model_dir.is_dir():
        for path in sorted(model_dir.glob("*")):
            if path.is_file() and path.suffix in (".json", ".safetensors", ".bin", ".txt"):
                digest.update(path.name.encode() + path.read_bytes())
    for split in SPLITS:
        raw = datamodule.raw[split]
        digest.update(split.encode() + "\n".join(raw["text"]).encode() + bytes(raw["label"]))
    return digest.hexdigest()[:20]


def cached_hidden_states(
    pretrained: str, datamodule: EmotionDataModule, pooling: str, cache_dir: Path
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Hidden states and labels per split, computed once per cache key."""
    path = Path(cache_dir) / f"{cache_key(pretrained, datamodule, pooling)}.npz"
    if path.is_file():
        log.info("Reusing cached hidden states %s", path)
        with np.load(path) as stored:
            return {split: (stored[f"{split}_x"], stored[f"{split}_y"]) for split in SPLITS}
    device = "cuda" if torch.cuda.is_available() else "cpu"
    encoder = from_pretrained(AutoModel.from_pretrained, pretrained).to(device)
    features = {split: hidden_states(encoder, datamodule.eval_dataloader(split), pooling) for split in SPLITS}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{f"{split}_{part}": arrays[i] for split, arrays in features.items() for i, part in enumerate("xy")})
    log.info("Cached hidden states in %s", path)
    return features


def run_features(cfg: DictConfig) -> dict[str, float]:
    datamodule: EmotionDataModule = hydra.utils.instantiate(cfg.data)
    datamodule.setup()
    features = cached_hidden_states(cfg.model.pretrained, datamodule, cfg.features.pooling, Path(cfg.features.cache_dir))
    train_x, train_y = features["train"]
    output_dir = Path(cfg.paths.output_dir)
    metrics: dict[str, float] = {}
    for name, estimator_cfg in (("logreg", cfg.classifier), ("dummy", cfg.baseline)):
        estimator = hydra.utils.instantiate(estimator_cfg).fit(train_x, train_y)
        for split, stage in (("validation", "val"), ("test", "test")):
            x, y = features[split]
            preds = estimator.predict(x)
            metrics.update({f"{name}/{key}": value for key, value in scores(preds, y, stage).items()})
            if name == "logreg" and split == "validation":
                save_confusion_matrix(y, preds, "Logistic regression on hidden states (validation)",
                                      output_dir / "confusion_matrix_logreg_val.png")
    coords, labels = umap_coordinates(train_x, train_y, cfg.seed, cfg.umap.max_points)
    save(umap_panels_figure(coords, labels, f"UMAP of training hidden states ({cfg.features.pooling})"),
         output_dir / "umap_train.png")
    write_json(metrics, output_dir / "metrics.json")
    for key in ("logreg/val/acc", "dummy/val/acc", "logreg/val/f1_weighted", "logreg/test/acc"):
        log.info("%s = %.4f", key, metrics[key])
    return metrics


@hydra.main(version_base="1.3", config_path="../conf", config_name="features.yaml")
@one_line_errors
def main(cfg: DictConfig) -> None:
    run_features(cfg)


if __name__ == "__main__":
    main()
