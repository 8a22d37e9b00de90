"""Knowledge distillation on the tiny model: the teacher's logits cached and reused, wrong teachers refused in one
line, the loss, and distill_alpha=1 reproducing plain fine-tuning exactly."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from emotion.data import EmotionDataModule
from emotion.distillation import distillation_loss, mixed_loss, teacher_logits
from emotion.models.classifier import EmotionClassifier
from emotion.utils.errors import ConfigError, UserError
from emotion.utils.schema import validate
from tests.conftest import ROOT

SLICE = {"train": 96, "validation": 32, "test": 32}


def datamodule(data_dir: Path, tiny_model: Path, seed: int = 3) -> EmotionDataModule:
    module = EmotionDataModule(str(data_dir), str(tiny_model), batch_size=16, max_samples=SLICE, seed=seed)
    module.setup()
    return module


def test_loss_is_temperature_scaled_kl_and_alpha_one_is_the_label_loss() -> None:
    torch.manual_seed(0)
    student, teacher, temperature = torch.randn(8, 6), torch.randn(8, 6), 3.0
    p_teacher = (teacher / temperature).softmax(-1)
    by_hand = (p_teacher * (p_teacher.log() - (student / temperature).log_softmax(-1))).sum(-1).mean() * 9
    torch.testing.assert_close(distillation_loss(student, teacher, temperature), by_hand)
    assert distillation_loss(teacher, teacher, temperature).abs() < 1e-6  # a student that matches pays nothing

    label_loss = F.cross_entropy(student, torch.arange(8) % 6)
    assert mixed_loss(label_loss, student, teacher, 1.0, temperature) is label_loss
    assert mixed_loss(label_loss, student, None, 0.3, temperature) is label_loss
    torch.testing.assert_close(
        mixed_loss(label_loss, student, teacher, 0.25, temperature), 0.25 * label_loss + 0.75 * by_hand
    )


def test_teacher_logits_are_computed_once_then_read_from_the_cache(
    data_dir: Path, tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = datamodule(data_dir, tiny_model).raw["train"]
    first = teacher_logits(str(tiny_model), train["text"], train["label"], 128, tmp_path)
    assert first.shape == (SLICE["train"], 6) and first.dtype == np.float32
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def no_teacher(*args, **kwargs):
        raise AssertionError("the teacher was loaded although its logits were cached")

    monkeypatch.setattr("emotion.inference.predictor.Predictor", no_teacher)
    np.testing.assert_array_equal(teacher_logits(str(tiny_model), train["text"], train["label"], 128, tmp_path), first)
    # The cached file itself is a teacher (what a recipe can ship); other data or truncation is a new key.
    cached = next(tmp_path.glob("*.npz"))
    np.testing.assert_array_equal(teacher_logits(str(cached), train["text"], train["label"], 128, tmp_path), first)
    with pytest.raises(AssertionError, match="the teacher was loaded"):
        teacher_logits(str(tiny_model), train["text"], train["label"], 64, tmp_path)


def test_logits_for_other_data_are_refused_in_one_line(data_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    train = datamodule(data_dir, tiny_model).raw["train"]
    teacher_logits(str(tiny_model), train["text"], train["label"], 128, tmp_path)
    cached = str(next(tmp_path.glob("*.npz")))
    other = datamodule(data_dir, tiny_model, seed=7).raw["train"]  # another seeded subset of the training split
    assert set(other["text"]) - set(train["text"])
    with pytest.raises(
        ConfigError,
        match=r"^model\.teacher=.*: these logits were computed for other training data "
        r"\(\d+ of this run's 96 training rows \(text, label, data\.max_length\) "
        r"are not among its 96, the first row \d+: [^\n]*$",
    ):
        teacher_logits(cached, other["text"], other["label"], 128, tmp_path)
    relabelled = [(label + 1) % 6 for label in train["label"]]
    with pytest.raises(ConfigError, match="other training data"):
        teacher_logits(cached, train["text"], relabelled, 128, tmp_path)
    with pytest.raises(ConfigError, match="other training data"):
        teacher_logits(cached, train["text"], train["label"], 64, tmp_path)


def test_a_run_on_a_subset_of_the_teachers_data_takes_its_rows(
    data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    # What lets a shipped logits file serve `debug=...` and `data.max_samples=...` runs of the student recipe.
    train = datamodule(data_dir, tiny_model).raw["train"]
    full = teacher_logits(str(tiny_model), train["text"], train["label"], 128, tmp_path)
    cached = str(next(tmp_path.glob("*.npz")))
    subset = train.select([40, 3, 17, 3])  # any order, a row twice
    np.testing.assert_array_equal(
        teacher_logits(cached, subset["text"], subset["label"], 128, tmp_path), full[[40, 3, 17, 3]]
    )


def test_a_list_of_teachers_is_an_ensemble_of_their_log_probabilities(
    data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    train = datamodule(data_dir, tiny_model).raw["train"]
    single = teacher_logits(str(tiny_model), train["text"], train["label"], 128, tmp_path)
    cached = next(tmp_path.glob("*.npz"))
    with np.load(cached) as stored:  # a second teacher, as sure of itself as the first is three times over
        np.savez(tmp_path / "sharper.npz", **{**stored, "logits": stored["logits"] * 3})
    members = [str(cached), str(tmp_path / "sharper.npz")]
    ensemble = teacher_logits(members, train["text"], train["label"], 128, tmp_path)
    expected = (F.log_softmax(torch.from_numpy(single), -1) + F.log_softmax(torch.from_numpy(single * 3), -1)) / 2
    np.testing.assert_allclose(ensemble, expected.numpy(), rtol=1e-5, atol=1e-6)
    # The model folder itself in the list: its logits come from the cache, the same as the file's.
    np.testing.assert_allclose(
        teacher_logits([str(tiny_model), members[1]], train["text"], train["label"], 128, tmp_path), ensemble, rtol=1e-6
    )
    with pytest.raises(ConfigError, match=r"^model\.teacher=.*missing\.npz: no such logits file$"):
        teacher_logits([members[0], str(tmp_path / "missing.npz")], train["text"], train["label"], 128, tmp_path)


def relabelled_teacher(tiny_model: Path, out: Path, labels: list[str]) -> Path:
    shutil.copytree(tiny_model, out)
    config = json.loads((out / "config.json").read_text())
    config["id2label"] = dict(enumerate(labels))
    config["label2id"] = {name: i for i, name in enumerate(labels)}
    (out / "config.json").write_text(json.dumps(config))
    return out


def test_a_teacher_with_other_labels_stops_the_training_command_in_one_line(
    train_here, tiny_model: Path, tmp_path: Path
) -> None:
    teacher = relabelled_teacher(tiny_model, tmp_path / "sentiment", ["negative", "neutral", "positive"])
    result = train_here(f"model.teacher={teacher}", f"hydra.run.dir={tmp_path / 'run'}")
    assert result.code != 0
    assert result.err_lines[-1] == (
        f"error: model.teacher={teacher}: its labels are negative, neutral, positive, not this data's sadness, joy, "
        "love, anger, fear, surprise (in that order): a teacher for another task?"
    )
    assert not list((tmp_path / "run").glob("checkpoints/*.ckpt"))


def test_a_teacher_with_the_labels_in_another_order_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    from emotion.distillation import teacher_folder

    shuffled = ["joy", "sadness", "love", "anger", "fear", "surprise"]
    with pytest.raises(ConfigError, match=r"its labels are joy, sadness, love"):
        teacher_folder(str(relabelled_teacher(tiny_model, tmp_path / "shuffled", shuffled)))
    (tmp_path / "run" / "hf_model").mkdir(parents=True)
    with pytest.raises(UserError, match=r"hf_model: not a complete model folder: no config\.json"):
        teacher_folder(str(tmp_path / "run"))  # a run dir: its hf_model/ is the teacher


def fitted(data_dir: Path, tiny_model: Path, **model_args) -> tuple[EmotionClassifier, EmotionDataModule]:
    L.seed_everything(7, workers=True)
    module = EmotionDataModule(str(data_dir), str(tiny_model), batch_size=16, max_samples=SLICE, seed=3)
    model = EmotionClassifier(str(tiny_model), lr=3e-3, **model_args)
    L.Trainer(
        max_steps=8,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        use_distributed_sampler=False,
    ).fit(model, datamodule=module)
    return model, module


@pytest.mark.slow
def test_alpha_one_reproduces_plain_fine_tuning_exactly(data_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    # The teacher differs from the student's start (another seed), so any leak of its logits would show.
    teacher = tmp_path / "teacher"
    from emotion.data import load_splits
    from emotion.models.tiny import build_tiny_checkpoint

    build_tiny_checkpoint(teacher, load_splits(str(data_dir))["train"]["text"][:2000], seed=1)
    plain, _ = fitted(data_dir, tiny_model)
    same, module = fitted(
        data_dir, tiny_model, teacher=str(teacher), distill_alpha=1.0, teacher_cache_dir=str(tmp_path / "cache")
    )
    assert "teacher_logits" in module.dataset("train").column_names
    for (name, a), (_, b) in zip(plain.state_dict().items(), same.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    distilled, _ = fitted(
        data_dir, tiny_model, teacher=str(teacher), distill_alpha=0.0, teacher_cache_dir=str(tmp_path / "cache")
    )
    weights = "model.classifier.weight"
    assert not torch.equal(distilled.state_dict()[weights], plain.state_dict()[weights])


@pytest.mark.slow
def test_distillation_pulls_the_student_toward_the_teacher(data_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    module = datamodule(data_dir, tiny_model)
    cache = tmp_path / "cache"
    # A teacher whose logits say "surprise" for every text: pure distillation must move the student there.
    train = module.raw["train"]
    cached = teacher_logits(str(tiny_model), train["text"], train["label"], 128, cache)
    path = next(cache.glob("*.npz"))
    with np.load(path) as stored:
        fields = dict(stored)
    fields["logits"] = np.tile(np.array([0, 0, 0, 0, 0, 8.0], dtype=np.float32), (len(cached), 1))
    np.savez(path, **fields)
    student, module = fitted(data_dir, tiny_model, teacher=str(path), distill_alpha=0.0, distill_temperature=1.0)
    batch = module.collator([module.dataset("validation")[i] for i in range(16)])
    with torch.no_grad():
        predicted = student(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).argmax(-1)
    assert (predicted == 5).float().mean() > 0.9


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.distill_alpha=1.5", r"^model\.distill_alpha=1\.5: expected a number >= 0\.0 and <= 1\.0$"),
        ("model.distill_temperature=0", r"^model\.distill_temperature=0: expected a number >= 0\.1$"),
        ("model.teacher={a: 1}", r"^model\.teacher=\{'a': 1\}: expected "),
    ],
)
def test_distillation_keys_are_validated(make_config, override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate(make_config(override))
    validate(make_config("model.teacher=[/runs/a,/runs/b.npz]"))  # an ensemble is a list of teachers


def test_an_empty_teacher_is_refused(tiny_model: Path) -> None:
    for empty in ([], ""):
        with pytest.raises(ConfigError, match=rf"^model\.teacher={re.escape(repr(empty))}: names no teacher"):
            EmotionClassifier(str(tiny_model), teacher=empty)


def test_the_student_recipe_asks_for_its_teacher(make_config) -> None:
    with pytest.raises(ConfigError, match=r"^model\.teacher: required: give model\.teacher=<a teacher run dir"):
        validate(make_config("experiment=distill_minilm"))
    assert make_config("experiment=distill_minilm", "model.teacher=/runs/t").model.distill_alpha == 0.5


@pytest.mark.slow
@pytest.mark.parametrize("ensemble", [False, True])
def test_a_student_run_learns_from_a_teacher_run_dir(make_config, trained_run, tmp_path: Path, ensemble: bool) -> None:
    from emotion.training.job import train

    teacher_run = trained_run[0].paths.output_dir  # its hf_model/ is the teacher
    cache = tmp_path / "teacher_logits"
    teacher = f"[{teacher_run},{teacher_run}]" if ensemble else teacher_run  # the final evaluation reloads either
    # debug=default keeps a best checkpoint, which the final evaluation reloads (fast_dev_run keeps none).
    cfg = make_config(
        "debug=default",
        "~callbacks.umap",
        f"model.teacher={teacher}",
        f"model.teacher_cache_dir={cache}",
        "model.distill_alpha=0.3",
        "model.distill_temperature=4",
    )
    validate(cfg)
    metrics = train(cfg)
    assert "val/acc" in metrics and len(list(cache.glob("*.npz"))) == 1
    with np.load(next(cache.glob("*.npz"))) as stored:
        assert stored["logits"].shape == (512, 6)  # debug=default's training subset
        assert str(stored["teacher"]).endswith("hf_model")


@pytest.mark.slow
def test_make_train_trains_the_student_on_the_shipped_teacher_logits(make_config) -> None:
    """`make train`'s recipe, as its Makefile line gives it, on the debug subset of the training split: the shipped
    MPNet logits file serves those rows (the tiny model stands in for MiniLM)."""
    from emotion.training.job import train

    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^MAIN := (.*)$", makefile, re.M)[1].replace("$(CURDIR)", str(ROOT)).split()
    assert "experiment=distill_minilm" in recipe and re.search(r"^train:\n\t.*\$\(MAIN\)", makefile, re.M)
    metrics = train(make_config(*recipe, "debug=fdr"))
    assert 0 <= metrics["val/acc"] <= 1
