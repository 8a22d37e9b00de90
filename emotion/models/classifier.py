"""A Hugging Face sequence classifier trained the way the book trains it, inside Lightning."""

from __future__ import annotations

import re
from collections.abc import Sequence

import lightning as L
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from transformers import AutoModelForSequenceClassification, get_linear_schedule_with_warmup

from emotion.data.labels import EMOTIONS
from emotion.distillation import mixed_loss, teacher_logits
from emotion.models.metrics import STAGES, classification_metrics
from emotion.utils.errors import ConfigError
from emotion.utils.hub import from_pretrained

TEACHER_COLUMN = "teacher_logits"


def balanced_class_weights(labels: list[int], classes: int) -> torch.Tensor:
    """n / (classes x count[c]), as scikit-learn's "balanced": every class then carries the same total weight in the
    training loss, so rare love and surprise count as much as joy."""
    counts = torch.bincount(torch.as_tensor(labels), minlength=classes).float()
    return len(labels) / (classes * counts.clamp(min=1))


def layer_depth(name: str, layers: int) -> int:
    """Where a parameter sits from the input up: 0 the embeddings, i + 1 the encoder's layer i (`...layer.<i>.`
    in BERT and DistilBERT alike), layers + 1 what sits above the encoder (pooler, classification head)."""
    if ".embeddings." in f".{name}":
        return 0
    match = re.search(r"\.layer\.(\d+)\.", name)
    return int(match.group(1)) + 1 if match else layers + 1


class EmotionClassifier(L.LightningModule):
    """`AutoModelForSequenceClassification` on `pretrained` (a Hub id or a local folder), with AdamW and a
    linear warm-up/decay schedule like `transformers.Trainer`, so the book's numbers are comparable.

    Two knobs for the rare classes act on the training loss only (validation and test report plain cross-entropy):
    `class_weighting` weighs each class by its inverse training frequency, and `label_smoothing` is
    cross-entropy's own. `fused_adamw` updates all parameters in one kernel (the same arithmetic as the per-tensor
    loop, faster on CPU and GPU). `compile` runs the encoder under `torch.compile` when fitting (in place, so
    checkpoints and exports keep their parameter names); with `data.pad_to_multiple_of` the shapes it sees stay few.
    `layer_lr_decay` < 1 gives each layer down from the head `layer_lr_decay` times its upper neighbour's learning
    rate (layer-wise LR decay), so the pretrained lower layers move less than the new head.

    `teacher` (a run dir, model folder or cached logits file, or a list of them: an ensemble) distils: the training
    loss becomes `distill_alpha` x the label loss above + (1 - `distill_alpha`) x the KL divergence to the teacher's
    logits softened by `distill_temperature` (emotion/distillation). The teacher's logits over the training split
    are computed once, cached in `teacher_cache_dir`, and travel with each training batch; the teacher itself never
    trains or loads during fitting."""

    def __init__(
        self,
        pretrained: str,
        lr: float = 2e-5,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.0,
        class_weighting: bool = False,
        label_smoothing: float = 0.0,
        fused_adamw: bool = True,
        compile: bool = False,
        layer_lr_decay: float = 1.0,
        teacher: str | Sequence[str] | None = None,
        distill_alpha: float = 0.5,
        distill_temperature: float = 2.0,
        teacher_cache_dir: str = ".cache/teacher_logits",
        labels: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        # The run's classes in id order, from its data (checkpoints written before labels were kept: CARER's).
        labels = list(labels) if labels is not None else list(EMOTIONS)
        if teacher is not None and len(teacher) == 0:  # '' or []: a typo, not a wish to train without a teacher
            raise ConfigError(f"model.teacher={teacher!r}: names no teacher (null trains without one)")
        self.save_hyperparameters()
        self.hparams.labels = labels
        self.model = from_pretrained(
            AutoModelForSequenceClassification.from_pretrained,
            pretrained,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={name: i for i, name in enumerate(labels)},
            ignore_mismatched_sizes=True,  # a folder with another head (another label set) gets a new one
        )
        self.model.train()  # from_pretrained returns eval mode; Lightning keeps each module's mode as found
        self.metrics = nn.ModuleDict({stage: classification_metrics(stage, labels) for stage in STAGES})
        self.register_buffer("class_weights", torch.ones(len(labels)), persistent=False)

    @property
    def labels(self) -> tuple[str, ...]:
        """The run's classes in id order, as its hyperparameters (and so its checkpoints) keep them."""
        return tuple(self.hparams.labels)

    def setup(self, stage: str) -> None:
        if self.hparams.compile and stage == "fit":
            self.model.compile()
        if self.hparams.class_weighting and stage == "fit":
            labels = self.trainer.datamodule.raw["train"]["label"]
            self.class_weights = balanced_class_weights(list(labels), len(self.labels)).to(self.device)
        if self.hparams.teacher and stage == "fit":
            self._attach_teacher_logits()

    def _attach_teacher_logits(self) -> None:
        """The teacher's logits as a column of the training split. The first process of each node computes them
        (or finds them cached); the others wait, then read the cache. torch's RNG is left as it was, so a run with
        distill_alpha=1 trains exactly like one without a teacher."""
        datamodule, trainer = self.trainer.datamodule, self.trainer
        train = datamodule.raw["train"]

        def logits():
            with torch.random.fork_rng(devices=[]):
                return teacher_logits(
                    self.hparams.teacher,
                    train["text"],
                    train["label"],
                    datamodule.hparams.max_length,
                    self.hparams.teacher_cache_dir,
                    self.labels,
                )

        computed = logits() if trainer.local_rank == 0 else None
        trainer.strategy.barrier("teacher_logits")
        datamodule.add_train_column(TEACHER_COLUMN, computed if computed is not None else logits())

    def forward(self, **batch: torch.Tensor) -> torch.Tensor:
        return self.model(**batch).logits

    def training_loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy, class-weighted: normalized by the weight of the whole global batch. Under DDP each rank's
        weighted mean would divide by its own share's weight, and the averaged gradient would not be one process's
        gradient on the same batch."""
        weight = self.class_weights if self.hparams.class_weighting else None
        smoothing = self.hparams.label_smoothing
        if weight is None or not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return F.cross_entropy(logits, labels, weight=weight, label_smoothing=smoothing)
        share = weight[labels].sum().detach()
        dist.all_reduce(share)  # DDP averages gradients over ranks: divide by the mean share
        return F.cross_entropy(logits, labels, weight=weight, label_smoothing=smoothing, reduction="sum") / (
            share / dist.get_world_size()
        )

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        teacher = batch.get(TEACHER_COLUMN)
        logits = self.model(
            **{name: value for name, value in batch.items() if name not in ("labels", TEACHER_COLUMN)}
        ).logits
        loss = mixed_loss(
            self.training_loss(logits, batch["labels"]),
            logits,
            teacher,
            self.hparams.distill_alpha,
            self.hparams.distill_temperature,
        )
        batch_size = len(batch["labels"])
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True, sync_dist=True, batch_size=batch_size)
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> dict[str, torch.Tensor]:
        return self._eval_step(batch, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> dict[str, torch.Tensor]:
        return self._eval_step(batch, "test")

    def _eval_step(self, batch: dict[str, torch.Tensor], stage: str) -> dict[str, torch.Tensor]:
        # In the trainer's precision, as training: bf16 autocast evaluates faster where the hardware has bf16, with
        # the same labels (experiments/results/eval_precision.md).
        output = self.model(**batch)
        probabilities = output.logits.float().softmax(dim=-1)
        preds = probabilities.argmax(dim=-1)
        self.metrics[stage].update(probabilities, batch["labels"])
        self.log(f"{stage}/loss", output.loss, on_epoch=True, prog_bar=True, sync_dist=True, batch_size=len(preds))
        return {"loss": output.loss, "preds": preds, "probabilities": probabilities, "labels": batch["labels"]}

    def on_validation_epoch_end(self) -> None:
        self._log_metrics("val")

    def on_test_epoch_end(self) -> None:
        self._log_metrics("test")

    def _log_metrics(self, stage: str) -> None:
        # torchmetrics has already gathered every rank's counts; sync_dist only keeps Lightning's checks quiet.
        self.log_dict(self.metrics[stage].compute(), prog_bar=False, sync_dist=True)
        self.metrics[stage].reset()

    def parameter_groups(self) -> list[dict]:
        """AdamW's groups: no weight decay on biases and LayerNorm weights (as in transformers.Trainer), and with
        `layer_lr_decay` < 1 one learning rate per layer depth (two groups in all without it)."""
        layers = self.model.config.num_hidden_layers
        groups: dict[tuple[int, bool], dict] = {}
        for name, parameter in self.model.named_parameters():
            if not parameter.requires_grad:
                continue
            depth = layer_depth(name, layers) if self.hparams.layer_lr_decay < 1 else layers + 1
            decays = parameter.ndim >= 2
            group = groups.setdefault(
                (depth, decays),
                {
                    "params": [],
                    "weight_decay": self.hparams.weight_decay if decays else 0.0,
                    "lr": self.hparams.lr * self.hparams.layer_lr_decay ** (layers + 1 - depth),
                },
            )
            group["params"].append(parameter)
        return [groups[key] for key in sorted(groups, key=lambda key: (-key[0], not key[1]))]

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.AdamW(
            self.parameter_groups(), lr=self.hparams.lr, fused=self.hparams.fused_adamw or None
        )
        total_steps = int(self.trainer.estimated_stepping_batches)
        scheduler = get_linear_schedule_with_warmup(
            optimizer, int(self.hparams.warmup_ratio * total_steps), total_steps
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
