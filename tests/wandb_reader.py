"""Read back what a W&B offline run logged, from its `run-<id>.wandb` file.

The file is a LevelDB-style log (32 KiB blocks; each record a 7-byte header of crc32, length and kind)
after a 7-byte `:W&B` header, and each record is a `wandb_internal_pb2.Record` protobuf.
"""

import json
import struct
from pathlib import Path

from wandb.proto import wandb_internal_pb2

_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def _payloads(data: bytes):
    assert data[:4] == b":W&B", "not a W&B run file"
    pos, pending = 7, b""
    while pos + 7 <= len(data):
        if _BLOCK - pos % _BLOCK < 7:  # a block's tail too short for a header is padding
            pos += _BLOCK - pos % _BLOCK
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        payload = data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind == _FULL:
            yield payload
        elif kind == _FIRST:
            pending = payload
        elif kind == _MIDDLE:
            pending += payload
        elif kind == _LAST:
            yield pending + payload


def records(run_dir: Path) -> list:
    (path,) = Path(run_dir).glob("run-*.wandb")
    return [wandb_internal_pb2.Record.FromString(p) for p in _payloads(path.read_bytes())]


def _key(item) -> str:
    return "/".join(item.nested_key) if item.nested_key else item.key


def history(run_dir: Path) -> list[dict]:
    """One dict per `log` call, with JSON-decoded values."""
    rows = []
    for record in records(run_dir):
        if record.WhichOneof("record_type") == "history":
            rows.append({_key(item): json.loads(item.value_json) for item in record.history.item})
    return rows


def summary(run_dir: Path) -> dict:
    """The run summary, as its last update left each key."""
    out = {}
    for record in records(run_dir):
        if record.WhichOneof("record_type") == "summary":
            out.update({_key(item): json.loads(item.value_json) for item in record.summary.update})
    return out
