"""Data files: every mistake is one clear line naming file and line, nothing is silently accepted wrong
(property-based: what is written is what is read, and no bytes make the readers crash)."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emotion.data import DataError, load_splits
from emotion.data.labels import EMOTIONS
from tests.test_local_files import expect_error, write_dataset

# Text a user could put in a file: no line breaks (one text per line in .txt), no NUL, no lone surrogates.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff\u2028\u2029\x85"),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip() and t.strip() != "text")
ROWS = st.lists(st.tuples(TEXT, st.sampled_from(EMOTIONS)), min_size=1, max_size=8)
FORMATS = ("txt", "csv", "jsonl")


def write_rows(path: Path, fmt: str, rows: list[tuple[str, str]]) -> None:
    if fmt == "txt":
        path.write_text("".join(f"{text};{label}\n" for text, label in rows), encoding="utf-8")
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows), encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, fmt=st.sampled_from(FORMATS))
def test_what_is_written_is_what_is_read(tmp_path_factory, rows, fmt: str) -> None:
    directory = write_dataset(tmp_path_factory.mktemp("rows"), fmt)
    write_rows(directory / f"val.{fmt}", fmt, rows)  # validation: it may hold one class, train may not
    validation = load_splits(str(directory))["validation"]
    assert validation["text"] == [text for text, _ in rows]
    assert [EMOTIONS[i] for i in validation["label"]] == [label for _, label in rows]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=200), fmt=st.sampled_from(FORMATS))
def test_any_bytes_load_or_fail_in_one_line(tmp_path_factory, content: bytes, fmt: str) -> None:
    directory = write_dataset(tmp_path_factory.mktemp("bytes"), fmt)
    (directory / f"val.{fmt}").write_bytes(content)
    try:
        load_splits(str(directory))
    except DataError as err:
        assert "\n" not in str(err) and str(directory / f"val.{fmt}") in str(err)


@pytest.mark.parametrize("label", ["٣", "²", "３", "1.0", "-1", "6", "True"])
def test_a_label_is_a_name_or_an_ascii_digit(tmp_path: Path, label: str) -> None:
    write_dataset(tmp_path, "txt")
    (tmp_path / "val.txt").write_text(f"i feel fine;joy\ni feel odd;{label}\n", encoding="utf-8")
    expect_error(tmp_path, f"{tmp_path / 'val.txt'}:2", f"unknown label {label!r}")


def test_ascii_digit_labels_still_work(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    (tmp_path / "val.txt").write_text("i feel fine;1\ni am scared; 4\n")
    assert load_splits(str(tmp_path))["validation"]["label"] == [1, 4]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_byte_order_mark_is_not_part_of_the_data(tmp_path: Path, fmt: str) -> None:
    write_dataset(tmp_path, fmt)
    path = tmp_path / f"train.{fmt}"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_splits(str(tmp_path))["train"]["text"][0] == "i feel wonderful today"


def test_a_csv_row_with_more_or_fewer_fields_than_the_header(tmp_path: Path) -> None:
    write_dataset(tmp_path, "csv")
    (tmp_path / "train.csv").write_text('text,label\n"i am happy",joy\n"i am sad, really",sadness,joy\n')
    expect_error(tmp_path, f"{tmp_path / 'train.csv'}:3", "3 field(s), but the header has 2")
    (tmp_path / "train.csv").write_text('text,label\n"i am happy"\n')
    expect_error(tmp_path, f"{tmp_path / 'train.csv'}:2", "1 field(s), but the header has 2")


def test_bad_utf8_names_the_line_and_the_offset_in_the_file(tmp_path: Path) -> None:
    write_dataset(tmp_path, "txt")
    good = "".join(f"i feel fine number {i};joy\n" for i in range(5000)).encode()  # past the decoder's chunk size
    (tmp_path / "train.txt").write_bytes(good + b"i feel \xff bad;joy\n")
    expect_error(tmp_path, f"{tmp_path / 'train.txt'}:5001:", f"byte 0xff at offset {len(good) + 7} of the file")


def test_a_nul_byte_is_not_text(tmp_path: Path) -> None:
    write_dataset(tmp_path, "jsonl")
    (tmp_path / "test.jsonl").write_text(json.dumps({"text": "i feel \x00 fine", "label": "joy"}) + "\n")
    expect_error(tmp_path, f"{tmp_path / 'test.jsonl'}:1", "not text (contains a NUL byte)")


def test_a_class_missing_from_a_split_is_a_warning(tmp_path: Path, caplog) -> None:
    write_dataset(tmp_path, "txt")  # joy, fear and sadness only
    with caplog.at_level(logging.WARNING, logger="emotion"):
        load_splits(str(tmp_path))
    assert f"{tmp_path}: the validation split has no 'love' example" in caplog.messages
    assert f"{tmp_path}: the train split has no 'surprise' example" in caplog.messages
    assert not any("'joy'" in message for message in caplog.messages)
