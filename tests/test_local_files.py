"""Local split files: every format reads the same, and every kind of bad input names its file and line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from emotion.data import DataError, load_splits
from emotion.labels import EMOTIONS

ROWS = [("i feel wonderful today", "joy"), ("i am so scared of the dark", "fear"), ("this made me feel sad", "sadness")]


def write_split(directory: Path, stem: str, fmt: str, rows=ROWS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.{fmt}"
    frame = pd.DataFrame(rows, columns=["text", "label"])
    if fmt == "txt":
        path.write_text("".join(f"{text};{label}\n" for text, label in rows))
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows))
    elif fmt == "parquet":
        frame.to_parquet(path)
    return path


def write_dataset(directory: Path, fmt: str) -> Path:
    for stem in ("train", "val", "test"):
        write_split(directory, stem, fmt)
    return directory


@pytest.mark.parametrize("fmt", ["txt", "csv", "jsonl", "parquet"])
def test_every_format_reads_the_same_rows(tmp_path: Path, fmt: str) -> None:
    splits = load_splits(str(write_dataset(tmp_path, fmt)))
    assert list(splits) == ["train", "validation", "test"]
    for split in splits.values():
        assert split["text"] == [text for text, _ in ROWS]
        assert [split.features["label"].int2str(i) for i in split["label"]] == [label for _, label in ROWS]
        assert split.features["label"].names == list(EMOTIONS)


def test_integer_labels_and_validation_file_name(tmp_path: Path) -> None:
    rows = [(text, EMOTIONS.index(label)) for text, label in ROWS]
    for stem in ("train", "validation", "test"):
        write_split(tmp_path, stem, "parquet", rows)
    assert load_splits(str(tmp_path))["validation"]["label"] == [1, 4, 0]


def test_txt_header_line_is_skipped(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    (tmp_path / "train.txt").write_text("text;label_name\n" + (tmp_path / "train.txt").read_text())
    assert len(load_splits(str(tmp_path))["train"]) == len(ROWS)


def test_real_data_counts_match_its_readme(data_dir: Path) -> None:
    splits = load_splits(str(data_dir))
    expected = {  # from ../shared/data/emotion/README.md
        "train": [4666, 5362, 1304, 2159, 1937, 572],
        "validation": [550, 704, 178, 275, 212, 81],
        "test": [581, 695, 159, 275, 224, 66],
    }
    for name, counts in expected.items():
        found = Counter(splits[name]["label"])
        assert [found[i] for i in range(len(EMOTIONS))] == counts
    assert splits["train"][0] == {"text": "i didnt feel humiliated", "label": 0}


def expect_error(directory: Path, *fragments: str) -> None:
    with pytest.raises(DataError) as caught:
        load_splits(str(directory))
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_unknown_label_names_file_and_line(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    (tmp_path / "val.txt").write_text("i feel fine;joy\ni feel meh;boredom\n")
    expect_error(tmp_path, f"{tmp_path / 'val.txt'}:2", "unknown label 'boredom'")


def test_line_without_separator(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    (tmp_path / "test.txt").write_text("i feel fine;joy\n\ni feel sad;sadness\n")
    expect_error(tmp_path, f"{tmp_path / 'test.txt'}:2", "no ';'")


def test_empty_text(tmp_path: Path) -> None:
    write_dataset(tmp_path, "csv")
    (tmp_path / "train.csv").write_text('text,label\n"i am happy",joy\n"  ",joy\n')
    expect_error(tmp_path, f"{tmp_path / 'train.csv'}:3", "empty text")


def test_missing_split(tmp_path: Path) -> None:
    write_split(tmp_path, "train", "txt")
    write_split(tmp_path, "test", "txt")
    expect_error(tmp_path, str(tmp_path), "no validation split file")


def test_two_files_for_one_split(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    write_split(tmp_path, "train", "csv")
    expect_error(tmp_path, "several files for the train split", "train.txt", "train.csv")


def test_invalid_json_line(tmp_path: Path) -> None:
    write_dataset(tmp_path, "jsonl")
    with (tmp_path / "val.jsonl").open("a") as handle:
        handle.write('{"text": "oops", "label": \n')
    expect_error(tmp_path, f"{tmp_path / 'val.jsonl'}:4", "invalid JSON")


def test_jsonl_missing_field(tmp_path: Path) -> None:
    write_dataset(tmp_path, "jsonl")
    (tmp_path / "test.jsonl").write_text('{"text": "no label here"}\n')
    expect_error(tmp_path, f"{tmp_path / 'test.jsonl'}:1", "missing field 'label'")


def test_csv_missing_column(tmp_path: Path) -> None:
    write_dataset(tmp_path, "csv")
    (tmp_path / "train.csv").write_text("sentence,label\nhello,joy\n")
    expect_error(tmp_path, str(tmp_path / "train.csv"), "missing column 'text'")


def test_parquet_bad_label_names_row(tmp_path: Path) -> None:
    write_dataset(tmp_path, "parquet")
    rows = [(text, EMOTIONS.index(label)) for text, label in ROWS]
    write_split(tmp_path, "test", "parquet", [*rows, ("what a day", 9)])
    expect_error(tmp_path, f"{tmp_path / 'test.parquet'}: row 4", "unknown label 9")


def test_unreadable_files(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    (tmp_path / "train.txt").write_bytes(b"i feel \xff\xfe;joy\n")
    expect_error(tmp_path, str(tmp_path / "train.txt"), "not valid UTF-8")
    parquet_dir = write_dataset(tmp_path / "pq", "parquet")
    (parquet_dir / "val.parquet").write_bytes(b"not parquet at all")
    expect_error(parquet_dir, str(parquet_dir / "val.parquet"), "not a readable parquet file")


def test_empty_split_file(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    (tmp_path / "test.txt").write_text("")
    expect_error(tmp_path, str(tmp_path / "test.txt"), "no examples")


def test_missing_directory_and_unreachable_hub(tmp_path: Path) -> None:
    expect_error(tmp_path / "nowhere", "not a data directory")
    # conftest sets HF_HUB_OFFLINE=1, so the Hub path fails fast and says so.
    expect_error(Path("dair-ai/emotion"), "dair-ai/emotion", "Hugging Face Hub")
