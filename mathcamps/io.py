"""Reading and writing records: problems as JSONL or JSON in the published schema plus our own fields, and the
one JSONL/JSON reader and atomic writer that every module reading or writing records uses.

Problem rows carry the published fields (`id`, `standard`, `symbolic-struct`, `statement`, `answer`, `type`,
`followup_to`) and ours (`grade`, `solution`, `seed`). Readers accept, as they are:
- our own `.jsonl` / `.json` files;
- the published flat `mathcamps.json` (no `symbolic-struct`);
- the published per-standard files: a list of dialogues `[original, follow-up, ...]` whose items say `tag`
  (`original problem`, ...) instead of `type`, have no `followup_to`, and carry `new symbolic struct` (dropped).

The reader (`read_rows`, `read_jsonl`, `read_json`) names the file, and the line, in every error: a line that
is not JSON or not UTF-8, JSON nested deeper than MAX_DEPTH, an empty file ("no rows in FILE"). A last line torn
by a killed writer (no newline, not JSON) is dropped with a warning, and cut from the file with `repair=True`
so that an appending writer continues on a clean line. `atomic_open` writes a file under a temporary name in
the same folder and renames it into place, so a crash or a full disk never leaves half a file under the name.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import tempfile
import warnings
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL, ORIGINAL, Problem

# Per-standard files' `tag` -> the flat file's `type` (SPEC §5.3).
TAG_TO_TYPE = {
    "original problem": ORIGINAL,
    "additional information follow up": INCREMENTAL,
    "modified information follow up": COUNTERFACTUAL,
}
TYPE_TO_TAG = {v: k for k, v in TAG_TO_TYPE.items()}
_REQUIRED = ("id", "standard", "statement", "answer")


MAX_DEPTH = 64  # nesting of a record's JSON; no record of ours comes near, and deeper input would overflow repr()
QUOTE_CHARS = 60  # the most of any value an error message quotes
_SPACE = re.compile(r"\s*")
_DECODER = json.JSONDecoder()


class RecordFileError(ValueError):
    """A file that cannot be read as records; the message names the file (and line) and what is wrong."""


class ProblemFileError(RecordFileError):
    """A row that cannot be read as a problem; names the file, the row and what is wrong."""


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """`repr(value)`, cut to a bounded prefix, so that no value (a 100,000-digit answer, say) floods a message.

    >>> quote("7")
    "'7'"
    >>> quote("1" * 100, limit=8)
    "'111111... (100 characters)"
    """
    text = repr(value) if not isinstance(value, (dict, list)) or _depth(value) <= MAX_DEPTH else "<deep JSON>"
    size = len(value) if isinstance(value, str) else len(text)
    return text if len(text) <= limit else f"{text[: limit - 1]}... ({size} characters)"


def _kind(path: Path) -> str | None:
    """"jsonl" or "json" from the file name (a `.gz` after it is read through), else None."""
    suffixes = path.suffixes[-2:] if path.suffix == ".gz" else path.suffixes[-1:]
    name = suffixes[0] if suffixes else ""
    return {".jsonl": "jsonl", ".json": "json"}.get(name)


def _bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix != ".gz":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise RecordFileError(f"{path}: not a complete gzip file ({err})") from None


def _depth(value: Any) -> int:
    """How deeply lists and dicts nest in `value` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecordFileError(f"{where}: not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start})") from None


def _parse(raw: bytes, where: str) -> Any:
    """One JSON value from `raw`, or a RecordFileError that says `where` and what is wrong."""
    text = _decode(raw, where)
    return _value(text, _SPACE.match(text).end(), where, whole=True)[0]


def _value(text: str, pos: int, where: str, whole: bool = False) -> tuple[Any, int]:
    """The JSON value starting at `pos` in `text` and where it ends; with `whole`, only space may follow it.

    The errors are json's own, with the line and column in the whole text, under `where`.
    """
    try:
        value, end = _DECODER.raw_decode(text, pos)
        if whole and (rest := _SPACE.match(text, end).end()) != len(text):
            raise json.JSONDecodeError("Extra data", text, rest)
    except json.JSONDecodeError as err:
        raise RecordFileError(f"{where}: not JSON ({err.msg} at line {err.lineno} column {err.colno})") from None
    except RecursionError:
        raise RecordFileError(f"{where}: JSON nested deeper than {MAX_DEPTH} levels") from None
    if _depth(value) > MAX_DEPTH:
        raise RecordFileError(f"{where}: JSON nested deeper than {MAX_DEPTH} levels")
    return value, end


def read_json(path: str | Path) -> Any:
    """The one JSON document in `path` (optionally gzipped); a RecordFileError naming the file if it is empty,
    not UTF-8, not JSON or nested too deeply."""
    path = Path(path)
    data = _bytes(path)
    if not data.strip():
        raise RecordFileError(f"{path}: empty file")
    return _parse(data, str(path))


def read_rows(path: str | Path, *, repair: bool = False, empty_ok: bool = False,
              skipped: list[str] | None = None) -> list[tuple[str, Any]]:
    """The rows of a records file, each with where it was read (`file:line`, the line a row starts on).

    A `.jsonl` file (optionally gzipped) is read a line at a time; a `.json` file, or a file whose text starts
    with `[`, is one document: its items, or the document itself when it is an object. A last line torn by a
    killed writer is dropped with a warning, and with `repair` cut from the file (a last line that is whole but
    lacks its newline gets one). An empty file raises "no rows in FILE" unless `empty_ok`. A JSONL line that
    cannot be read raises, or, when a `skipped` list is given, is left out and its error appended to that list.
    """
    path = Path(path)
    data = _bytes(path)
    if _kind(path) == "json" or (_kind(path) is None and data.lstrip()[:1] == b"["):
        located = _json_rows(path, data)
    else:
        located = _jsonl_rows(path, data, repair, skipped)
    if not located and not empty_ok:
        if skipped:
            raise RecordFileError(f"no readable rows in {path} ({len(skipped)} skipped; the first: {skipped[0]})")
        raise RecordFileError(f"no rows in {path}")
    return located


def _json_rows(path: Path, data: bytes) -> list[tuple[str, Any]]:
    """The items of a JSON list, each located by the line it starts on (the whole document if it is no list).

    The list is read once, an item at a time, so that each item's position (hence its line) is known.
    """
    where = str(path)
    if not data.lstrip().startswith(b"["):
        return [(where, _parse(data, where))] if data.strip() else []
    text = _decode(data, where)
    located: list[tuple[str, Any]] = []
    pos = _SPACE.match(text, text.index("[") + 1).end()
    line, counted = 1, 0  # newlines are counted once, up to the item being read
    while not text.startswith("]", pos):
        line, counted = line + text.count("\n", counted, pos), pos
        row, pos = _value(text, pos, where)
        located.append((f"{where}:{line}", row))
        pos = _SPACE.match(text, pos).end()
        comma = text.startswith(",", pos)
        pos = _SPACE.match(text, pos + 1).end() if comma else pos
        if comma == text.startswith("]", pos):  # a value must follow a comma, and only a comma or `]` a value
            _value(text, _SPACE.match(text).end(), where, whole=True)  # raises, with json's line and column
    if text[pos + 1 :].strip():
        _value(text, _SPACE.match(text).end(), where, whole=True)
    return located


def read_jsonl(path: str | Path, *, repair: bool = False, empty_ok: bool = False) -> list[Any]:
    """The rows of a records file, without their locations; see `read_rows`."""
    return [row for _, row in read_rows(path, repair=repair, empty_ok=empty_ok)]


def _line(raw: bytes, where: str, skipped: list[str] | None) -> list[tuple[str, Any]]:
    """[(where, row)] for a readable line; [] for an unreadable one when skipping (the error is kept)."""
    try:
        return [(where, _parse(raw, where))]
    except RecordFileError as err:
        if skipped is None:
            raise
        skipped.append(str(err))
        return []


def _jsonl_rows(path: Path, data: bytes, repair: bool, skipped: list[str] | None) -> list[tuple[str, Any]]:
    lines = data.split(b"\n")
    tail = lines.pop()  # what follows the last newline: b"" in a file whose last row is complete
    located = [row for n, raw in enumerate(lines, 1) if raw.strip() for row in _line(raw, f"{path}:{n}", skipped)]
    if not tail.strip():
        return located
    where = f"{path}:{len(lines) + 1}"
    try:
        located.append((where, _parse(tail, where)))
    except RecordFileError as err:
        warnings.warn(f"{err}: dropped it as a last line torn by a killed writer ({len(tail)} bytes, no newline)",
                      stacklevel=4)
        if repair and path.suffix != ".gz":
            with open(path, "r+b") as f:
                f.truncate(len(data) - len(tail))
        return located
    if repair and path.suffix != ".gz":
        with open(path, "ab") as f:
            f.write(b"\n")  # so that the next row appended starts on a line of its own
    return located


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file to write `path` through: under a temporary name in the same folder, flushed to disk and renamed
    onto `path` when the block ends without an error, removed when it raises. `mode` is "w" or "wb"."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def write_atomic(path: str | Path, text: str) -> None:
    """Write `text` to `path` all or nothing (see `atomic_open`)."""
    with atomic_open(path) as f:
        f.write(text)


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
    if isinstance(row["answer"], int | float) and not isinstance(row["answer"], bool):
        row["answer"] = str(row["answer"])  # a number written as a JSON number, not a string
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
    """The problems of a `.jsonl` file (one object a line) or a `.json` file (a list, or a list of dialogues),
    either optionally gzipped. Each row is checked on its own; `read_problems` also checks the file whole."""
    return (p for _, p in _located_problems(Path(path)))


def read_problems(path: str | Path) -> list[Problem]:
    """All problems of a file (see `iter_problems`), checked whole before any work starts: the file has rows,
    every answer reads as a typed answer, ids are unique and each follow-up points to an original in the file.
    Raises ProblemFileError `file:line: what is wrong` for the first problem found."""
    located = list(_located_problems(Path(path)))
    if not located:
        raise ProblemFileError(f"no rows in {path}")
    check_problems(located)
    return [p for _, p in located]


def check_problems(located: list[tuple[str, Problem]]) -> None:
    """Raise ProblemFileError for the first problem whose answer does not read, whose id repeats, or that follows
    up on no original among them. `located` pairs each problem with where it was read (`file:line`)."""
    from mathcamps.answers.types import parse_answer  # the answer grammar; io needs it only for this check

    first: dict[str, str] = {}
    for where, p in located:
        try:
            parse_answer(p.answer)
        except ValueError:
            raise ProblemFileError(f"{where} ({quote(p.id)}): answer {quote(p.answer)} does not read as a number, "
                                   f"relation, list or mapping") from None
        if p.id in first:
            raise ProblemFileError(f"{where}: id {quote(p.id)} repeats the problem at {first[p.id]}")
        first[p.id] = where
    originals = {p.id for _, p in located if not p.is_followup}
    for where, p in located:
        if p.is_followup and p.followup_to not in originals:
            raise ProblemFileError(f"{where} ({quote(p.id)}): a follow-up to {quote(p.followup_to)}, which is not "
                                   f"an original problem in this file")


def _located_problems(path: Path) -> Iterator[tuple[str, Problem]]:
    """Each problem of a file with where it was read: `file:line` in JSONL, `file[i]` or `file[i][j]` in JSON."""
    kind = _kind(path)
    if kind == "jsonl":
        for where, row in read_rows(path, empty_ok=True):
            yield where, problem_from_row(row, where)
        return
    if kind != "json":
        raise ProblemFileError(f"{path}: expected a .jsonl or .json file, got suffix {path.suffix!r}")
    data = read_json(path)
    if not isinstance(data, list):
        raise ProblemFileError(f"{path}: expected a JSON list, got {type(data).__name__}")
    for i, item in enumerate(data):
        if isinstance(item, list):  # a per-standard file: one dialogue per item
            for j, row in enumerate(item):
                yield f"{path}[{i}][{j}]", problem_from_row(row, f"{path}[{i}][{j}]")
        else:
            yield f"{path}[{i}]", problem_from_row(item, f"{path}[{i}]")


def read_reference(folder: str | Path) -> list[Problem]:
    """Every published problem with its structure: the per-standard files of a MathCAMPS v1 release folder."""
    folder = Path(folder)
    files = sorted(p for p in folder.glob("*.json") if p.name != "mathcamps.json")
    if not files:
        raise ProblemFileError(f"{folder}: no per-standard <STANDARD>.json files")
    located = [item for f in files for item in _located_problems(f)]
    check_problems(located)
    return [p for _, p in located]


def write_problems(problems: Iterable[Problem], path: str | Path) -> int:
    """Write problems as `.jsonl` (one object a line) or `.json` (an indented list); returns how many."""
    path = Path(path)
    rows = [p.to_json() for p in problems]
    if path.suffix == ".jsonl":
        with atomic_open(path) as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif path.suffix == ".json":
        write_atomic(path, json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
    else:
        raise ProblemFileError(f"{path}: expected a .jsonl or .json file, got suffix {path.suffix!r}")
    return len(rows)
