"""The training-speed defaults: fused AdamW, bf16 only where the hardware has it, time-based periodic checkpoints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import lightning as L
import pytest
from lightning.pytorch.callbacks import ModelCheckpoint

from emotion.data import EmotionDataModule
from emotion.models.classifier import EmotionClassifier
from emotion.utils.instantiate import instantiate_all
from emotion.utils.resolvers import fast_precision


def fitted_optimizer(tiny_model: Path, data_dir: Path, **model_options) -> dict:
    datamodule = EmotionDataModule(
        str(data_dir), str(tiny_model), batch_size=16, max_samples={"train": 64, "validation": 16, "test": 16}
    )
    model = EmotionClassifier(str(tiny_model), **model_options)
    trainer = L.Trainer(
        fast_dev_run=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(model, datamodule=datamodule)
    return trainer.optimizers[0].defaults


@pytest.mark.slow
def test_adamw_is_fused_by_default(tiny_model: Path, data_dir: Path) -> None:
    assert fitted_optimizer(tiny_model, data_dir)["fused"] is True
    assert not fitted_optimizer(tiny_model, data_dir, fused_adamw=False)["fused"]


def test_bf16_only_where_the_cpu_computes_it(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n")
    assert fast_precision("cpu", cpuinfo) == "bf16-mixed"
    cpuinfo.write_text("flags\t\t: fpu sse2 avx2 avx512f amx_bf16 amx_tile\n")
    assert fast_precision("cpu", cpuinfo) == "bf16-mixed"
    cpuinfo.write_text("flags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n")  # bf16 would be emulated: slower
    assert fast_precision("cpu", cpuinfo) == "32-true"
    assert fast_precision("cpu", tmp_path / "missing") == "32-true"  # no /proc (macOS): fp32


def test_main_recipe_resolves_its_precision(make_config) -> None:
    cfg = make_config("experiment=finetune_minilm", "model.pretrained=unused")
    assert cfg.trainer.precision == fast_precision(cfg.trainer.accelerator)


def test_periodic_checkpoint_is_every_ten_minutes(make_config) -> None:
    callbacks = instantiate_all(make_config().callbacks)
    periodic = next(c for c in callbacks if isinstance(c, ModelCheckpoint) and c.filename == "last_periodic")
    assert periodic._train_time_interval == dt.timedelta(minutes=10)
    assert periodic._every_n_train_steps == 0


def first_batch_width(tiny_model: Path, data_dir: Path, **options) -> tuple[int, int]:
    datamodule = EmotionDataModule(
        str(data_dir),
        str(tiny_model),
        batch_size=16,
        max_samples={"train": 64, "validation": 16, "test": 16},
        **options,
    )
    datamodule.setup()
    batch = next(iter(datamodule.eval_dataloader("validation")))
    longest = max(datamodule.lengths["validation"][:16])
    return batch["input_ids"].shape[1], longest


def test_pad_to_multiple_of_rounds_batch_lengths_up(tiny_model: Path, data_dir: Path) -> None:
    width, longest = first_batch_width(tiny_model, data_dir, pad_to_multiple_of=8)
    assert width % 8 == 0 and longest <= width < longest + 8
    # auto: rounding only when a GPU trains; here (no trainer, CPU) batches stay at their longest text.
    width, longest = first_batch_width(tiny_model, data_dir, pad_to_multiple_of="auto")
    assert width == longest


@pytest.mark.slow
def test_compile_wraps_the_encoder_in_place(tiny_model: Path) -> None:
    model = EmotionClassifier(str(tiny_model), compile=True)
    names = list(model.state_dict())
    model.setup("fit")
    assert model.model._compiled_call_impl is not None
    assert list(model.state_dict()) == names  # checkpoints and exports keep their parameter names
    assert EmotionClassifier(str(tiny_model)).model._compiled_call_impl is None
