"""Prediction over inputs of any size: texts streamed in fixed chunks, each chunk's rows written and flushed as soon
as they are computed, and an output file that a rerun with --resume continues.

Chunks are cut at fixed positions of the input (0, C, 2C, ...), and a resumed run starts again at the start of the
chunk the kill interrupted, so every text is scored in the same chunk, hence the same batches and padding, as in an
uninterrupted run: the resumed file equals it byte for byte (with the same --chunk, --batch-size and --workers).
With --workers N, chunks are scored by N processes and written in input order.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import select
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from emotion.data import DataError
from emotion.data.texts import text_problem
from emotion.inference.predictor import Prediction, Predictor

IDLE_S = 0.05  # a pipe quiet this long: score what has arrived rather than wait for a full chunk


def chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(texts)
    while chunk := list(islice(iterator, size)):
        yield chunk


class ChunkScorer:
    """Each chunk's predictions, in input order, by `Predictor(**predictor)`: in this process, or in `workers`
    processes, each its own model (ONNX session) with an equal share of the CPU cores as threads. Short texts keep
    several cores busy poorly within one session, so processes can add throughput where cores are spare (on 2 cores
    they added none: experiments/results/bulk_predict_workers.md).
    The model loads when this is made (a bad folder is one error before any output); at most two chunks per worker
    are in flight, so memory stays flat whatever the input's size."""

    def __init__(self, predictor: dict[str, Any], workers: int = 1) -> None:
        self.workers = workers
        self.model: Predictor | None = None
        self.pool = None
        if workers == 1:
            self.model = Predictor(**predictor)
            return
        threads = max(1, len(os.sched_getaffinity(0)) // workers)
        context = multiprocessing.get_context("spawn")  # no fork of a process that holds threads (tokenizers, ORT)
        self.pool = context.Pool(workers, initializer=_start_worker, initargs=({**predictor, "threads": threads},))
        try:
            self.pool.apply(_predict, ([],))  # raises what loading the model raised in the workers
        except BaseException:
            self.close()
            raise

    def scored(self, texts: Iterable[list[str]]) -> Iterator[list[Prediction]]:
        if self.model is not None:
            yield from (self.model.predict(chunk) for chunk in texts)
            return
        pending: deque = deque()
        for chunk in texts:
            pending.append(self.pool.apply_async(_predict, (chunk,)))
            if len(pending) == 2 * self.workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


# A worker's model, or what loading it raised (a Pool whose initializer raises starts new workers forever).
_worker_model: Predictor | BaseException | None = None


def _start_worker(predictor: dict[str, Any]) -> None:
    global _worker_model
    try:
        _worker_model = Predictor(**predictor)
    except Exception as err:  # noqa: BLE001 - handed to the parent by _predict
        _worker_model = err


def _predict(chunk: list[str]) -> list[Prediction]:
    if isinstance(_worker_model, BaseException):
        raise _worker_model
    return _worker_model.predict(chunk) if chunk else []


def stdin_chunks(stream: BinaryIO, size: int) -> Iterator[list[str]]:
    """Lines of a byte stream (stdin) as texts, `size` at a time, or fewer when the writer pauses: an endless pipe
    gets its answers line by line, in batches, while it is still open. Bad lines name `<stdin>:N`."""
    try:
        fd = stream.fileno()
    except (OSError, io.UnsupportedOperation):  # an in-memory stream: no pipe to wait on
        fd = None
    pending, partial, number, offset = [], b"", 0, 0
    while True:
        if pending and fd is not None and not select.select([fd], [], [], IDLE_S)[0]:
            yield pending
            pending = []
        data = os.read(fd, 1 << 16) if fd is not None else stream.read(1 << 16)
        lines = (partial + data).split(b"\n")
        partial = lines.pop() if data else b""
        if not data and lines == [b""]:
            lines = []
        for raw in lines:
            number += 1
            pending.append(_stdin_text(raw, number, offset))
            offset += len(raw) + 1
            if len(pending) == size:
                yield pending
                pending = []
        if not data:
            break
    if pending:
        yield pending
    if number == 0:
        raise DataError("<stdin>: no texts")


def _stdin_text(raw: bytes, number: int, offset: int) -> str:
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r")
    except UnicodeDecodeError as err:
        raise DataError(f"<stdin>:{number}: not text (invalid UTF-8 at byte offset {offset + err.start})") from None
    problem = text_problem(text)
    if problem:
        raise DataError(f"<stdin>:{number}: {problem}")
    return text


def csv_header(labels: Sequence[str]) -> list[str]:
    """A CSV output's columns: one probability column per class of the model (`p_<label>`), in its id order."""
    return ["text", "label", "score", *(f"p_{name}" for name in labels), "truncated"]


def resume_point(path: Path, fmt: str, chunk: int, labels: Sequence[str]) -> int:
    """Rows of `path` to keep when a killed run is resumed: its complete rows, rounded down to whole chunks; the
    file is cut back to them (a half-written or damaged row goes, with all after it). Returns how many input texts
    they cover. An output of a model with other classes is one line: it is not this run's to continue."""
    ends = _row_ends(path, fmt, list(labels))
    header = 1 if fmt == "csv" and ends else 0  # a csv without its whole header starts again from nothing
    keep = (len(ends) - header) // chunk * chunk
    cut = ends[keep + header - 1] if keep + header else 0
    with path.open("r+b") as handle:
        handle.truncate(cut)
    return keep


def _row_ends(path: Path, fmt: str, labels: list[str]) -> list[int]:
    """Byte offsets just after each complete row (a JSON object of this model's classes on its own line; a CSV
    record of all fields), up to the first row that is cut short or damaged (not UTF-8, not the format)."""
    ends, position = [], 0
    with path.open("rb") as handle:
        if fmt == "jsonl":
            for line in handle:
                try:
                    row = json.loads(line) if line.endswith(b"\n") else None
                except ValueError:
                    break
                if not isinstance(row, dict) or not isinstance(row.get("probabilities"), dict):
                    break
                if list(row["probabilities"]) != labels:
                    if not ends:
                        raise DataError(f"--output {path}: its rows hold another model's classes; not resumed")
                    break
                position += len(line)
                ends.append(position)
            return ends
        header, record = csv_header(labels), b""
        for line in handle:
            record += line
            if record.count(b'"') % 2:  # inside a quoted field (quotes inside one are doubled): read on
                continue
            try:
                fields = next(csv.reader(io.StringIO(record.decode("utf-8"))), [])
            except UnicodeDecodeError:
                break
            if not line.endswith(b"\n") or len(fields) != len(header):
                break
            if not ends and fields != header:
                raise DataError(f"--output {path}: its header is not this model's columns ({', '.join(header)})")
            position += len(record)
            ends.append(position)
            record = b""
    return ends
