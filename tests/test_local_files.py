"""Local split files: every format reads the same, and every kind of bad input names its file and line."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from emotion.data import DataError, load_splits
from emotion.data.labels import EMOTIONS
from emotion.utils.hub import SourceError

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
    """Three splits of ROWS, with CARER's six classes declared in labels.txt (ids as in the shipped data)."""
    for stem in ("train", "val", "test"):
        write_split(directory, stem, fmt)
    (directory / "labels.txt").write_text("\n".join(EMOTIONS) + "\n")
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
    (tmp_path / "labels.txt").write_text("\n".join(EMOTIONS))
    assert load_splits(str(tmp_path))["validation"]["label"] == [1, 4, 0]


def test_txt_header_line_is_skipped(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    (tmp_path / "train.txt").write_text("text;label_name\n" + (tmp_path / "train.txt").read_text())
    assert len(load_splits(str(tmp_path))["train"]) == len(ROWS)


def test_shipped_copy_is_byte_for_byte_the_verified_files(data_dir: Path) -> None:
    expected = dict(line.split()[::-1] for line in (data_dir / "SHA256SUMS").read_text().splitlines())
    assert expected == {  # the checksums the Hugging Face loader recorded for the original dair-ai files
        "train.txt": "3ab03d945a6cb783d818ccd06dafd52d2ed8b4f62f0f85a09d7d11870865b190",
        "val.txt": "34faaa31962fe63cdf5dbf6c132ef8ab166c640254ab991af78f3aea375e79ef",
        "test.txt": "60f531690d20127339e7f054edc299a82c627b5ec0dd5d552d53d544e0cfcc17",
    }
    for name, digest in expected.items():
        assert hashlib.sha256(gzip.decompress((data_dir / f"{name}.gz").read_bytes())).hexdigest() == digest, name


def test_shipped_copy_loads_with_the_data_cards_counts_and_the_hub_label_order(data_dir: Path) -> None:
    splits = load_splits(str(data_dir))
    expected = {  # the label distribution of the data card (16000 / 2000 / 2000)
        "train": [4666, 5362, 1304, 2159, 1937, 572],
        "validation": [550, 704, 178, 275, 212, 81],
        "test": [581, 695, 159, 275, 224, 66],
    }
    for name, counts in expected.items():
        found = Counter(splits[name]["label"])
        assert [found[i] for i in range(len(EMOTIONS))] == counts
        assert len(splits[name]) == sum(counts)
        # dair-ai/emotion's ClassLabel, in its order
        assert splits[name].features["label"].names == ["sadness", "joy", "love", "anger", "fear", "surprise"]
    assert splits["train"][0] == {"text": "i didnt feel humiliated", "label": 0}


@pytest.mark.parametrize("fmt", ["txt", "csv", "jsonl"])
def test_gzipped_files_read_like_plain_ones(tmp_path: Path, fmt: str) -> None:
    plain = load_splits(str(write_dataset(tmp_path / "plain", fmt)))
    for path in write_dataset(tmp_path / "gz", fmt).glob("*.*"):
        if path.name == "labels.txt":
            continue
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    packed = load_splits(str(tmp_path / "gz"))
    for name in plain:
        assert packed[name].to_dict() == plain[name].to_dict()


def test_gzipped_files_keep_file_and_line_in_errors(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    (tmp_path / "val.txt").unlink()
    (tmp_path / "val.txt.gz").write_bytes(gzip.compress(b"i feel fine;joy\ni feel meh;boredom\n"))
    expect_error(tmp_path, f"{tmp_path / 'val.txt.gz'}:2", "unknown label 'boredom'")
    (tmp_path / "val.txt.gz").write_bytes(gzip.compress(b"i feel fine;joy\n" * 100)[:40])
    expect_error(tmp_path, str(tmp_path / "val.txt.gz"), "cannot read file")
    (tmp_path / "val.txt.gz").write_bytes(b"plain text, not gzip;joy\n")
    expect_error(tmp_path, str(tmp_path / "val.txt.gz"), "cannot read file")


def test_unsupported_suffix_is_named(tmp_path: Path) -> None:
    from emotion.data.local_files import read_split_file

    path = tmp_path / "train.parquet.gz"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"unsupported file type '\.parquet\.gz'"):
        read_split_file(path)


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
    # conftest sets HF_HUB_OFFLINE=1, so the Hub path fails fast and says so, with the offline alternative.
    with pytest.raises(SourceError) as caught:
        load_splits("dair-ai/emotion")
    assert str(caught.value) == (
        "cannot reach the Hugging Face Hub for data set 'dair-ai/emotion'; "
        "offline, use data=carer (shipped with the package) or data.source=/path/to/data_dir"
    )
