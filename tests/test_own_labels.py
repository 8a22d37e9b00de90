"""Data with its own labels (issue 38): the label set comes from data.labels, a Hub ClassLabel, a directory's
labels.txt or its train split, and everything downstream follows it; the shipped data=carer3 trains end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from emotion.data import DataError, load_splits
from emotion.data.labels import EMOTIONS
from emotion.data.splits import label_names

SENTIMENT = [("what a lovely day", "positive"), ("this is awful", "negative"), ("it is tuesday", "neutral")]


def write_splits(directory: Path, rows=SENTIMENT, val_rows=None, fmt: str = "txt") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for stem, split_rows in (("train", rows), ("val", val_rows or rows), ("test", rows)):
        if fmt == "txt":
            (directory / f"{stem}.txt").write_text("".join(f"{text};{label}\n" for text, label in split_rows))
        else:
            lines = (json.dumps({"text": text, "label": label}) for text, label in split_rows)
            (directory / f"{stem}.jsonl").write_text("".join(line + "\n" for line in lines))
    return directory


def refused(directory: Path, labels=None) -> str:
    with pytest.raises(DataError) as caught:
        load_splits(str(directory), labels)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_a_directory_without_declared_labels_takes_its_train_splits_sorted(tmp_path: Path) -> None:
    splits = load_splits(str(write_splits(tmp_path)))
    assert label_names(splits) == ("negative", "neutral", "positive")
    assert splits["validation"]["label"] == [2, 0, 1]


def test_data_labels_give_the_id_order_and_override_labels_txt(tmp_path: Path, caplog) -> None:
    write_splits(tmp_path)
    (tmp_path / "labels.txt").write_text("negative\nneutral\npositive\n")
    assert label_names(load_splits(str(tmp_path))) == ("negative", "neutral", "positive")
    splits = load_splits(str(tmp_path), ["positive", "neutral", "negative"])
    assert label_names(splits) == ("positive", "neutral", "negative") and splits["train"]["label"] == [0, 2, 1]
    assert f"{tmp_path}: data.labels overrides {tmp_path / 'labels.txt'}" in caplog.messages


def test_a_label_outside_the_train_splits_is_one_line_naming_its_row(tmp_path: Path) -> None:
    write_splits(tmp_path, val_rows=[*SENTIMENT, ("so so", "mixed")])
    message = refused(tmp_path)
    assert message == (
        f"{tmp_path / 'val.txt'}:4: unknown label 'mixed' (expected one of negative, neutral, positive or 0-2, "
        f"the labels of {tmp_path / 'train.txt'})"
    )


def test_a_label_outside_the_declared_set_is_one_line(tmp_path: Path) -> None:
    write_splits(tmp_path)
    message = refused(tmp_path, ["negative", "positive"])
    assert message.startswith(f"{tmp_path / 'train.txt'}:3: unknown label 'neutral'")
    assert message.endswith("as data.labels declares)")


@pytest.mark.parametrize(
    ("labels", "says"),
    [
        (["joy", "joy", "anger"], "names joy more than once"),
        (["joy"], "1 class(es) (joy); a classifier needs two or more"),
        (["joy", "a/b"], "'a/b' holds '/'"),
        (["joy", " anger"], "' anger' is not a class name"),
    ],
)
def test_a_bad_declared_label_set_is_one_line(tmp_path: Path, labels: list[str], says: str) -> None:
    write_splits(tmp_path)
    message = refused(tmp_path, labels)
    assert message.startswith(f"data.labels={labels}: ") and says in message


def test_one_class_in_train_is_one_line(tmp_path: Path) -> None:
    write_splits(tmp_path, rows=[("good", "positive"), ("great", "positive")])
    assert refused(tmp_path).startswith(f"{tmp_path / 'train.txt'} (its labels): 1 class(es) (positive)")
    message = refused(tmp_path, ["negative", "positive"])
    assert (
        message == f"{tmp_path}: every train example has the label 'positive'; a classifier needs two or more classes"
    )


def test_multi_label_rows_are_one_line_naming_the_row(tmp_path: Path) -> None:
    write_splits(tmp_path, fmt="jsonl")
    (tmp_path / "test.jsonl").write_text('{"text": "fine", "label": "neutral"}\n{"text": "x", "label": ["a", "b"]}\n')
    assert refused(tmp_path) == (
        f"{tmp_path / 'test.jsonl'}:2: 2 labels for one text (['a', 'b']); only single-label data is supported "
        "(one class per text)"
    )


def test_class_ids_need_names(tmp_path: Path) -> None:
    write_splits(tmp_path, rows=[("good", "1"), ("bad", "0")])
    assert refused(tmp_path).startswith(f"{tmp_path / 'train.txt'}:1: class id 1 with no class names to give it")
    assert label_names(load_splits(str(tmp_path), ["bad", "good"])) == ("bad", "good")


def hub_data(label_feature) -> DatasetDict:
    values = [0, 1, 2] if isinstance(label_feature, ClassLabel) else ["neg", "pos", "neu"]
    features = Features({"text": Value("string"), "label": label_feature})
    split = Dataset.from_dict({"text": ["a", "b", "c"], "label": values}, features=features)
    return DatasetDict({"train": split, "validation": split, "test": split})


def test_a_hub_classlabel_gives_the_names_and_string_labels_are_sorted(monkeypatch) -> None:
    import datasets

    monkeypatch.setattr(datasets, "load_dataset", lambda name: hub_data(ClassLabel(names=["neg", "pos", "neu"])))
    assert label_names(load_splits("someone/sentiment")) == ("neg", "pos", "neu")
    with pytest.raises(DataError, match=re.escape("data.labels=['pos', 'neg', 'neu']: someone/sentiment's ClassLabel")):
        load_splits("someone/sentiment", ["pos", "neg", "neu"])
    monkeypatch.setattr(datasets, "load_dataset", lambda name: hub_data(Value("string")))
    splits = load_splits("someone/sentiment")
    assert label_names(splits) == ("neg", "neu", "pos") and splits["train"]["label"] == [0, 2, 1]


def test_the_shipped_three_class_data_is_what_its_derivation_writes(tmp_path: Path) -> None:
    from experiments.own_labels import CARER3_DIR, derive

    for name, data in derive(tmp_path).items():
        assert (CARER3_DIR / name).read_bytes() == data, name
    splits = load_splits(str(CARER3_DIR))
    assert label_names(splits) == ("negative", "positive", "surprise")
    assert {name: len(split) for name, split in splits.items()} == {"train": 4000, "validation": 1000, "test": 2000}
    assert label_names(load_splits(str(CARER3_DIR.parent / "carer"))) == EMOTIONS  # the Hub's order, kept


@pytest.fixture(scope="module")
def carer3_run(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path):
    from emotion.training.job import train
    from emotion.utils.command import compose_config
    from experiments.own_labels import CARER3_DIR
    from tests.conftest import ONE_EPOCH, tiny_overrides

    run_dir = tmp_path_factory.mktemp("carer3")
    overrides = [*tiny_overrides("train", tiny_model, CARER3_DIR), "data=carer3", f"data.source={CARER3_DIR}"]
    cfg = compose_config("train", [*overrides, *ONE_EPOCH], run_dir)
    return cfg, train(cfg)


def test_a_run_on_three_classes_follows_them_everywhere(carer3_run, capsys, monkeypatch) -> None:
    from huggingface_hub import ModelCard

    from emotion.models.checkpoint import checkpoint_labels
    from tests.helpers.commands import run_command

    cfg, metrics = carer3_run
    classes = ("negative", "positive", "surprise")
    assert {f"test/f1_{name}" for name in classes} <= set(metrics) and "test/f1_joy" not in metrics
    assert checkpoint_labels(metrics["best_model_path"]) == classes
    folder = Path(cfg.paths.output_dir) / "hf_model"
    assert json.loads((folder / "config.json").read_text())["id2label"] == {
        "0": "negative",
        "1": "positive",
        "2": "surprise",
    }
    card = ModelCard.load(folder / "README.md")
    assert "| positive |" in card.text and "| joy |" not in card.text
    ran = run_command(capsys, monkeypatch, "emotion.predict", f"model={folder}", "i am so happy")
    assert ran.code == 0, ran.err
    assert list(json.loads(ran.out)["probabilities"]) == list(classes)
    plots = Path(cfg.paths.output_dir) / "plots"
    assert (plots / "confusion_matrix_test.png").is_file()


def test_a_checkpoint_of_other_classes_is_one_line(carer3_run, trained_run, data_dir: Path, tmp_path: Path) -> None:
    from emotion.models.checkpoint import check_same_labels, checkpoint_labels
    from emotion.storage.checkpoints import CheckpointError

    six = trained_run[1]["best_model_path"]
    assert checkpoint_labels(six) == EMOTIONS
    with pytest.raises(CheckpointError) as caught:
        check_same_labels(six, checkpoint_labels(six), ("negative", "positive", "surprise"))
    assert str(caught.value) == (
        f"ckpt_path={six}: trained on the classes {', '.join(EMOTIONS)}; this data has negative, positive, "
        "surprise (data.labels, or the data's own): another task's checkpoint?"
    )


def test_a_teacher_of_other_classes_is_one_line(carer3_run, tmp_path: Path) -> None:
    from emotion.data.splits import CARER_DIR
    from emotion.distillation import teacher_logits
    from emotion.utils.errors import ConfigError

    cfg, _ = carer3_run
    train = load_splits(str(CARER_DIR))["train"].select(range(8))
    six_class_logits = Path(__file__).resolve().parents[1] / "experiments" / "teachers" / "mpnet_seed1.npz"
    with pytest.raises(ConfigError, match=r"logits for labels sadness, joy, love, anger, fear, surprise, not"):
        teacher_logits(str(six_class_logits), train["text"], train["label"], 128, tmp_path, ("neg", "pos", "sur"))
    folder = Path(cfg.paths.output_dir) / "hf_model"  # a three-class teacher for six-class data
    with pytest.raises(ConfigError, match=r"its labels are negative, positive, surprise, not this data's sadness"):
        teacher_logits(str(folder), train["text"], train["label"], 128, tmp_path, EMOTIONS)
