"""Reading and writing problems as JSONL or JSON, in the published schema plus our own fields.

Written rows carry the published fields (`id`, `standard`, `symbolic-struct`, `statement`, `answer`, `type`,
`followup_to`) and ours (`grade`, `solution`, `seed`). Readers accept, as they are:
- our own `.jsonl` / `.json` files;
- the published flat `mathcamps.json` (no `symbolic-struct`);
- the published per-standard files: a list of dialogues `[original, follow-up, ...]` whose items say `tag`
  (`original problem`, ...) instead of `type`, have no `followup_to`, and carry `new symbolic struct` (dropped).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL, ORIGINAL, Problem

# Per-standard files' `tag` -> the flat file's `type` (SPEC §5.3).
TAG_TO_TYPE = {
    "original problem": ORIGINAL,
    "additional information follow up": INCREMENTAL,
    "modified information follow up": COUNTERFACTUAL,
}
TYPE_TO_TAG = {v: k for k, v in TAG_TO_TYPE.items()}
_REQUIRED = ("id", "standard", "statement", "answer")


class ProblemFileError(ValueError):
    """A row that cannot be read as a problem; names the file, the row and what is wrong."""


def _original_id(problem_id: str) -> str:
    """`2.MD.C.8-0-2` -> `2.MD.C.8-0-0` (SPEC §5.1: the last number is 0 for the original)."""
    stem, _, _ = problem_id.rpartition("-")
    return f"{stem}-0"


def problem_from_row(row: dict[str, Any], where: str = "row") -> Problem:
    """A `Problem` from one row in any of the accepted layouts."""
    if not isinstance(row, dict):
        raise ProblemFileError(f"{where}: expected a JSON object, got {type(row).__name__}")
    missing = [k for k in _REQUIRED if k not in row]
    if missing:
        raise ProblemFileError(f"{where}: missing field(s) {missing} (has {sorted(row)})")
    row = dict(row)
    if "tag" in row:
        tag = row.pop("tag")
        if tag not in TAG_TO_TYPE:
            raise ProblemFileError(f"{where} ({row['id']}): unknown tag {tag!r}, expected one of {list(TAG_TO_TYPE)}")
        row.setdefault("type", TAG_TO_TYPE[tag])
        if row["type"] != ORIGINAL:
            row.setdefault("followup_to", _original_id(row["id"]))
    try:
        return Problem.from_json(row)
    except (TypeError, ValueError) as err:
        raise ProblemFileError(f"{where} ({row.get('id')}): {err}") from err


def iter_problems(path: str | Path) -> Iterator[Problem]:
    """The problems of a `.jsonl` file (one object a line) or a `.json` file (a list, or a list of dialogues)."""
    path = Path(path)
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as f:
            for line_no, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as err:
                        raise ProblemFileError(f"{path}:{line_no}: not JSON ({err})") from err
                    yield problem_from_row(row, f"{path}:{line_no}")
        return
    if path.suffix != ".json":
        raise ProblemFileError(f"{path}: expected a .jsonl or .json file, got suffix {path.suffix!r}")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ProblemFileError(f"{path}: expected a JSON list, got {type(data).__name__}")
    for i, item in enumerate(data):
        if isinstance(item, list):  # a per-standard file: one dialogue per item
            for j, row in enumerate(item):
                yield problem_from_row(row, f"{path}[{i}][{j}]")
        else:
            yield problem_from_row(item, f"{path}[{i}]")


def read_problems(path: str | Path) -> list[Problem]:
    """All problems of a file; see `iter_problems`."""
    return list(iter_problems(path))


def read_reference(folder: str | Path) -> list[Problem]:
    """Every published problem with its structure: the per-standard files of a MathCAMPS v1 release folder."""
    folder = Path(folder)
    files = sorted(p for p in folder.glob("*.json") if p.name != "mathcamps.json")
    if not files:
        raise ProblemFileError(f"{folder}: no per-standard <STANDARD>.json files")
    return [p for f in files for p in iter_problems(f)]


def write_problems(problems: Iterable[Problem], path: str | Path) -> int:
    """Write problems as `.jsonl` (one object a line) or `.json` (an indented list); returns how many."""
    path = Path(path)
    rows = [p.to_json() for p in problems]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    else:
        raise ProblemFileError(f"{path}: expected a .jsonl or .json file, got suffix {path.suffix!r}")
    return len(rows)
