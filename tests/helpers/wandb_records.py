"""Reading an offline wandb run file (`run-*.wandb`) without the wandb service.

The file is a LevelDB-style log: a 7-byte header, then 32 KiB blocks of chunks, each with a 7-byte header
(crc32 4, length 2, type 1: full=1, first=2, middle=3, last=4) holding serialized `Record` protobufs.
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

from wandb.proto import wandb_internal_pb2

BLOCK = 32768
HEADER = 7


def read_records(path: Path) -> list[wandb_internal_pb2.Record]:
    data = Path(path).read_bytes()
    records, pending, pos = [], b"", HEADER
    while pos + HEADER <= len(data):
        room = BLOCK - pos % BLOCK
        if room < HEADER:  # block trailer padding
            pos += room
            continue
        length, kind = struct.unpack("<HB", data[pos + 4 : pos + HEADER])
        if (kind == 0 and length == 0) or pos + HEADER + length > len(data):
            break  # end of data, or a record still being written
        pending += data[pos + HEADER : pos + HEADER + length]
        pos += HEADER + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def history(path: Path) -> dict[str, list]:
    """Every logged value per key, in logging order, once the run is complete."""
    values: dict[str, list] = {}
    for record in wait_for_exit_record(path):
        if record.WhichOneof("record_type") == "history":
            for item in record.history.item:
                values.setdefault(item.key or "/".join(item.nested_key), []).append(json.loads(item.value_json))
    return values


def wait_for_exit_record(path: Path, timeout: float = 60.0) -> list[wandb_internal_pb2.Record]:
    """wandb's service may still be flushing after `wandb.finish()` returns: wait for the run's exit record."""
    deadline = time.monotonic() + timeout
    while True:
        records = read_records(path)
        if any(record.WhichOneof("record_type") == "exit" for record in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.5)


def artifacts(path: Path) -> list[wandb_internal_pb2.ArtifactRecord]:
    """The artifacts a complete run logged (an offline run keeps them in its records until `wandb sync`)."""
    return [record.artifact for record in wait_for_exit_record(path) if record.WhichOneof("record_type") == "artifact"]
