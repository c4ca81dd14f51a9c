"""The sweep's cache: one JSONL file of records per checkpoint (and per shard), read back by problem hash.

A row is a `probes.engine.Record` plus the checkpoint's step and name and the problem's hash, so a cached
record is used only while everything that decides its verdict is unchanged. `--shard i/N` jobs write
`results/<checkpoint>.shard-i-of-N.jsonl` each; an unsharded run reads them all and merges them into
`results/<checkpoint>.jsonl`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from mathcamps.io import read_jsonl
from mathcamps.problem import Problem
from probes.engine import Record


def parse_shard(shard: str) -> tuple[int, int]:
    """`"2/8"` -> (2, 8); share i of N, 0 <= i < N."""
    try:
        i, n = (int(x) for x in shard.split("/"))
    except ValueError:
        raise ValueError(f"shard must be i/N (e.g. 0/4), got {shard!r}") from None
    if not 0 <= i < n:
        raise ValueError(f"shard must be i/N with 0 <= i < N, got {shard!r}")
    return i, n


def in_shard(ckpt_key: str, original_id: str, shard: tuple[int, int]) -> bool:
    """Whether the (checkpoint, problem group) pair belongs to share `shard`: a stable hash, not Python's."""
    digest = hashlib.sha1(f"{ckpt_key}|{original_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % shard[1] == shard[0]


def problem_hash(p: Problem) -> str:
    """Changes when anything that decides a problem's verdict changes, so a cached result is never stale."""
    text = json.dumps([p.standard, p.statement, p.answer, p.type, p.followup_to])
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """The cached rows of one checkpoint by problem id (later rows win); a line torn by a kill is cut off."""
    if not path.exists():
        return {}
    return {row["id"]: row for row in read_jsonl(path, repair=True, empty_ok=True)}


def read_cache(out: Path, ckpt: Any, problems: list[Problem]) -> dict[str, Record]:
    """Records cached for `ckpt` (its file and any shard's), for problems whose hash still matches."""
    hashes = {p.id: problem_hash(p) for p in problems}
    rows: dict[str, dict[str, Any]] = {}
    for path in [out / "results" / f"{ckpt.key}.jsonl", *sorted((out / "results").glob(f"{ckpt.key}.shard-*.jsonl"))]:
        rows |= {i: r for i, r in read_results(path).items() if r.get("hash") == hashes.get(i)}
    return {i: Record.from_json(r) for i, r in rows.items()}


def merge_shards(out: Path, ckpt: Any, problems: list[Problem], done: dict[str, Record]) -> None:
    """Write what only shard files hold into the checkpoint's own file, then remove the shard files."""
    main, shards = out / "results" / f"{ckpt.key}.jsonl", sorted((out / "results").glob(f"{ckpt.key}.shard-*.jsonl"))
    if not shards:
        return
    have = read_results(main)
    with open(main, "a") as f:
        for p in problems:
            if p.id in done and have.get(p.id, {}).get("hash") != problem_hash(p):
                f.write(json.dumps(row_of(ckpt, p, done[p.id])) + "\n")
        f.flush()
        os.fsync(f.fileno())
    for path in shards:
        path.unlink()


def row_of(ckpt: Any, p: Problem, r: Record) -> dict[str, Any]:
    return {"step": ckpt.step, "checkpoint": ckpt.name, **r.to_json(), "hash": problem_hash(p)}
