"""Reading labelled splits from local files, strictly: a bad row stops the run with its file and line."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from emotion.data.errors import DataError
from emotion.data.texts import text_problem, utf8_error_position

# Text formats may be gzipped (`train.txt.gz`); parquet compresses on its own.
SUFFIXES: tuple[str, ...] = (".txt", ".txt.gz", ".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".parquet")
SPLIT_STEMS: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "validation": ("validation", "val", "valid", "dev"),
    "test": ("test",),
}
# The AttExplainer copy of the data starts with this header; any other first line is data.
TXT_HEADERS: frozenset[tuple[str, str]] = frozenset({("text", "label"), ("text", "label_name")})

Row = tuple  # (where, text, label) or (where, text); `where` reads like "train.txt:12"
LABELED = ("text", "label")


def find_split_file(directory: Path, split: str) -> Path:
    """The one file holding `split`; zero or several candidates are an error, never a guess."""
    found = [
        directory / f"{stem}{suffix}"
        for stem in SPLIT_STEMS[split]
        for suffix in SUFFIXES
        if (directory / f"{stem}{suffix}").is_file()
    ]
    if not found:
        names = ", ".join(f"{s}{{{','.join(SUFFIXES)}}}" for s in SPLIT_STEMS[split])
        raise DataError(f"{directory}: no {split} split file (looked for {names})")
    if len(found) > 1:
        raise DataError(f"{directory}: several files for the {split} split: {', '.join(p.name for p in found)}")
    return found[0]


def read_split_file(path: Path) -> SplitRows:
    """Texts and labels (as written) of one split file, in file order."""
    readers = {".txt": _txt_rows, ".csv": _csv_rows, ".jsonl": _jsonl_rows, ".parquet": _parquet_rows}
    reader = readers[_checked_format(path, SUFFIXES)]
    with _reading(path):
        return _validated(path, reader(path))


def read_text_file(path: Path) -> list[str]:
    """Unlabeled texts for prediction: one per line (.txt), or the `text` field of a .csv or .jsonl (each may be
    .gz)."""
    texts = list(iter_text_file(path))
    if not texts:
        raise DataError(f"{path}: no texts")
    return texts


def iter_text_file(path: Path) -> Iterator[str]:
    """read_text_file's texts one at a time, for files of any size (bad input fails when its line is reached)."""
    readers = {".txt": _plain_lines, ".csv": _csv_rows, ".jsonl": _jsonl_rows}
    reader = readers[_checked_format(path, tuple(s for s in SUFFIXES if s != ".parquet"))]
    with _reading(path):
        for where, text in reader(path, fields=("text",)):
            yield _checked_text(where, text)


def _checked_format(path: Path, allowed: tuple[str, ...]) -> str:
    """The reader's format key (`.txt`, `.csv`, ...) of an allowed file type, else a one-line error."""
    suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
    if suffix not in allowed:
        raise DataError(f"{path}: unsupported file type {suffix or '(none)'!r} (expected one of {', '.join(allowed)})")
    return suffix.removesuffix(".gz")


def _open_text(path: Path) -> io.TextIOBase:
    """UTF-8 text (a leading byte-order mark dropped) with newlines kept as written; `.gz` decompressed on the fly."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """File-level failures as one-line DataErrors naming the file (and, for bad UTF-8, the line and byte)."""
    try:
        yield
    except (OSError, EOFError) as err:  # EOFError: a truncated .gz
        raise DataError(f"{path}: cannot read file: {getattr(err, 'strerror', None) or err}") from err
    except UnicodeDecodeError as err:
        raise DataError(_utf8_error(path)) from err


def _utf8_error(path: Path) -> str:
    """Where the first invalid UTF-8 byte is: the text decoder only knows its offset within one read chunk."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    position = utf8_error_position(data)
    if position is None:
        return f"{path}: not valid UTF-8"
    line, offset = position
    of = "of the decompressed file" if path.suffix == ".gz" else "of the file"
    return f"{path}:{line}: not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset} {of})"


def _checked_text(where: str, text: object) -> str:
    problem = text_problem(text)
    if problem:
        raise DataError(f"{where}: {problem}")
    return text


def _validated(path: Path, rows: Iterable[Row]) -> SplitRows:
    texts: list[str] = []
    labels: list[str | int] = []
    wheres: list[str] = []
    for where, text, label in rows:
        texts.append(_checked_text(where, text))
        labels.append(_label_token(where, label))
        wheres.append(where)
    if not texts:
        raise DataError(f"{path}: no examples")
    return SplitRows(path, texts, labels, wheres)


def _label_token(where: str, label: object) -> str | int:
    """A class name or id as written (a string stripped, or an integer). One label per text: a list of labels is
    multi-label data, which this project does not train."""
    if isinstance(label, (list, tuple)):
        raise DataError(
            f"{where}: {len(label)} labels for one text ({label!r:.80}); only single-label data is supported "
            "(one class per text)"
        )
    if isinstance(label, str):
        return label.strip()
    if isinstance(label, int) and not isinstance(label, bool):
        return label
    raise DataError(f"{where}: unknown label {label!r} (a class name or a class id)")


def class_id(label: str | int) -> int | None:
    """A label written as a class id: an integer, or ASCII digits (not other Unicode digits); else None."""
    if isinstance(label, int):
        return label
    return int(label) if re.fullmatch(r"[0-9]+", label) else None


@dataclass
class SplitRows:
    """One split file's texts and labels as written (names or ids), with where each row is, for messages."""

    path: Path
    texts: list[str]
    labels: list[str | int]
    wheres: list[str]

    def label_ids(self, names: Sequence[str], declared: str) -> list[int]:
        """Each label as its id among `names` (an id must be below their number); one outside them is one line
        naming its row and `declared`, where the names came from."""
        index = {name: i for i, name in enumerate(names)}
        ids = []
        for where, label in zip(self.wheres, self.labels, strict=True):
            number = class_id(label)
            found = (number if number < len(names) else None) if number is not None else index.get(label)
            if found is None:
                raise DataError(
                    f"{where}: unknown label {label!r} (expected one of {', '.join(names)} or 0-{len(names) - 1}, "
                    f"{declared})"
                )
            ids.append(found)
        return ids


def _txt_rows(path: Path) -> Iterator[Row]:
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            where = f"{path}:{number}"
            if ";" not in line:
                raise DataError(f"{where}: expected 'text;label', found no ';' in {line[:60]!r}")
            text, label = line.rsplit(";", 1)
            if number == 1 and (text.strip(), label.strip()) in TXT_HEADERS:
                continue
            yield where, text, label


def _plain_lines(path: Path, fields: tuple[str, ...] = ("text",)) -> Iterator[Row]:
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            yield f"{path}:{number}", line.rstrip("\r\n")


def _csv_rows(path: Path, fields: tuple[str, ...] = LABELED) -> Iterator[Row]:
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        _require_fields(path, reader.fieldnames or [], fields)
        for record in reader:
            where = f"{path}:{reader.line_num}"
            if None in record or None in record.values():  # DictReader keeps extra fields under None, fills None
                found = len(reader.fieldnames) + len(record.get(None, [])) - list(record.values()).count(None)
                raise DataError(f"{where}: {found} field(s), but the header has {len(reader.fieldnames)}")
            yield where, *(record[field] for field in fields)


def _jsonl_rows(path: Path, fields: tuple[str, ...] = LABELED) -> Iterator[Row]:
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{where}: invalid JSON ({err.msg})") from err
            if not isinstance(record, dict):
                raise DataError(f"{where}: expected a JSON object with {' and '.join(map(repr, fields))}")
            missing = [field for field in fields if field not in record]
            if missing:
                raise DataError(f"{where}: missing field {missing[0]!r}")
            yield where, *(record[field] for field in fields)


def _parquet_rows(path: Path) -> Iterator[Row]:
    import pyarrow
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except pyarrow.ArrowException as err:
        raise DataError(f"{path}: not a readable parquet file ({err})") from err
    _require_fields(path, table.column_names)
    columns = table.select(["text", "label"]).to_pydict()
    for number, (text, label) in enumerate(zip(columns["text"], columns["label"], strict=True), start=1):
        yield f"{path}: row {number}", text, label


def _require_fields(path: Path, found: list[str], fields: tuple[str, ...] = LABELED) -> None:
    for field in fields:
        if field not in found:
            raise DataError(f"{path}: missing column {field!r} (found {', '.join(found) or 'none'})")
