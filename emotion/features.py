"""Feature extraction, the book's first approach: `python -m emotion.features experiment=features`.

A frozen encoder turns every tweet into its last-layer `[CLS]` vector (cached on disk, keyed by checkpoint and
data); a logistic regression and a most-frequent baseline are fit on the training vectors and scored on
validation and test. Writes metrics.json, a confusion matrix and the UMAP map into the run dir.
"""

from __future__ import annotations

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig

from emotion.analysis.feature_cache import cached_hidden_states
from emotion.analysis.projection import umap_coordinates
from emotion.data import EmotionDataModule
from emotion.models.metrics import scores
from emotion.reporting.figures import save, save_confusion_matrix, umap_panels_figure
from emotion.storage.tables import write_json
from emotion.utils.command import hydra_command
from emotion.utils.logs import stage

log = logging.getLogger(__name__)


def run_features(cfg: DictConfig) -> dict[str, float]:
    datamodule: EmotionDataModule = hydra.utils.instantiate(cfg.data)
    with stage("Reading and tokenizing the data"):
        datamodule.setup()
    features = cached_hidden_states(
        cfg.model.pretrained, datamodule, cfg.features.pooling, Path(cfg.features.cache_dir)
    )
    train_x, train_y = features["train"]
    names = datamodule.labels
    output_dir = Path(cfg.paths.output_dir)
    metrics: dict[str, float] = {}
    for name, estimator_cfg in (("logreg", cfg.classifier), ("dummy", cfg.baseline)):
        with stage(f"Fitting {name} on {len(train_x)} vectors and scoring validation and test"):
            estimator = hydra.utils.instantiate(estimator_cfg).fit(train_x, train_y)
            for split, prefix in (("validation", "val"), ("test", "test")):
                x, y = features[split]
                preds = estimator.predict(x)
                metrics.update({f"{name}/{key}": value for key, value in scores(preds, y, prefix, names).items()})
                if name == "logreg" and split == "validation":
                    save_confusion_matrix(
                        y,
                        preds,
                        names,
                        "Logistic regression on hidden states (validation)",
                        output_dir / "confusion_matrix_logreg_val.png",
                    )
    points = min(len(train_x), cfg.umap.max_points or len(train_x))
    with stage(f"UMAP of {points} training vectors"):
        coords, labels = umap_coordinates(train_x, train_y, cfg.seed, cfg.umap.max_points)
    save(
        umap_panels_figure(coords, labels, names, f"UMAP of training hidden states ({cfg.features.pooling})"),
        output_dir / "umap_train.png",
    )
    write_json(metrics, output_dir / "metrics.json")
    for key in ("logreg/val/acc", "dummy/val/acc", "logreg/val/f1_weighted", "logreg/test/acc"):
        log.info("%s = %.4f", key, metrics[key])
    return metrics


@hydra_command("features")
def main(cfg: DictConfig) -> None:
    run_features(cfg)


if __name__ == "__main__":
    main()
