"""Where training conversations come from: one `Source` each, read into conversations or MathCAMPS problems.

A source is one of: MathCAMPS problems generated on the fly (`standards`), a published MathCAMPS file or release
folder (`published`), a local JSONL or JSON file (`file`), or an HF dataset read with `datasets.load_dataset`
(`dataset`: a hub id, a local dataset folder, or a builder such as `json`, `csv` or `parquet` over `data_files`).
Rows of files and datasets are read by their `format` (`trainers.formats`). A bad row raises `DataFileError`
naming the file and line (or the dataset and row) and the field, or, with `skip_bad_rows`, is counted and left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathcamps.generate import generate_problems
from mathcamps.io import RecordFileError, read_problems, read_reference, read_rows
from mathcamps.problem import Problem
from mathcamps.render.templates import Style
from mathcamps.standards import STANDARD_IDS, unknown_standard_message
from trainers.formats import PRESETS, Fields, Format, Messages, RowError, detect, to_messages

__all__ = ["DataFileError", "Messages", "Read", "Source", "chat_messages", "read_chat_jsonl", "read_conversations",
           "read_problems_of", "read_published"]


class DataFileError(ValueError):
    """A data file or dataset that cannot be read as conversations; names the file, the line (or row) and why."""


@dataclass(frozen=True)
class Source:
    """One source of training conversations and its share of the mixture. Set exactly one of `standards`,
    `published`, `file` or `dataset`."""

    standards: list[str] | None = None
    """Generated MathCAMPS problems with worked solutions, for these Common Core standards."""
    per_standard: int = 1000
    """With `standards`: problems generated per standard, before held-out ones are removed."""
    seed: int | None = None
    """With `standards`: seed of generation (problems are a pure function of standard, seed and index);
    by default `data.seed`."""
    style: Style = "story"
    """With `standards`: "story" for word problems where a standard has them, "exercise" for bare arithmetic."""
    published: str | None = None
    """A published MathCAMPS file (per-standard `.json`, `mathcamps.json`) or release folder: its original
    problems, with the answer as the reply."""
    file: str | None = None
    """A local JSONL file (one row a line) or JSON file (a list of rows)."""
    dataset: str | None = None
    """`datasets.load_dataset` path: a hub id (e.g. "openai/gsm8k"), a local dataset folder, or a builder
    ("json", "csv", "parquet", ...) that reads `data_files`."""
    config: str | None = None
    """With `dataset`: the dataset's configuration (subset), e.g. "main" for GSM8K."""
    split: str = "train"
    """With `dataset`: the split to train on (slices work too, e.g. "train[:1000]")."""
    data_files: list[str] | None = None
    """With `dataset`: local files for a builder such as "json" or "csv"."""
    revision: str | None = None
    """With a hub `dataset`: its revision (branch, tag or commit)."""
    format: Format = "auto"
    """With `file` or `dataset`: how a row is read: messages, alpaca, gsm8k, metamath, fields (see `fields`), or
    auto (by each row's keys, or the dataset's columns)."""
    fields: Fields | None = None
    """With `format: fields`: the columns holding the conversation."""
    weight: float | None = None
    """Share of the training examples, relative to the other sources' weights (set on all sources or on none);
    by default each source's own size, i.e. every example once."""

    @property
    def kind(self) -> str:
        """Which kind of source this is: standards, published, file or dataset."""
        set_ = [k for k in ("standards", "published", "file", "dataset") if getattr(self, k) is not None]
        if len(set_) != 1:
            raise ValueError(f"set exactly one of standards, published, file or dataset, got {set_ or 'none'}")
        return set_[0]

    def check(self, where: str) -> None:
        """Raise ValueError naming `where` (e.g. "data.sources[1]") and the key, for a setting that cannot work."""
        try:
            kind = self.kind
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        if kind == "standards" and not self.standards:
            raise ValueError(f"{where}.standards must name at least one standard, got []")
        for standard in self.standards or []:
            if standard not in STANDARD_IDS:
                raise ValueError(f"{where}.standards: {unknown_standard_message(standard)}")
        if self.per_standard < 1:
            raise ValueError(f"{where}.per_standard must be >= 1, got {self.per_standard}")
        if self.weight is not None and not self.weight > 0:
            raise ValueError(f"{where}.weight must be > 0, got {self.weight}")
        if (self.format == "fields") != (self.fields is not None):
            raise ValueError(f"{where}: format: fields and fields go together, got format={self.format!r} "
                             f"with fields={self.fields!r}")
        if kind in ("standards", "published") and (self.format != "auto" or self.fields is not None):
            raise ValueError(f"{where}.format applies to file and dataset sources, not {kind}")
        if kind != "dataset" and (self.config or self.data_files or self.revision or self.split != "train"):
            raise ValueError(f"{where}: config, split, data_files and revision apply to dataset sources, not {kind}")

    def label(self) -> str:
        """A short name for reports."""
        kind = self.kind
        if kind == "standards":
            assert self.standards is not None
            shown = ",".join(self.standards[:3]) + (",..." if len(self.standards) > 3 else "")
            return f"generated {shown} x{self.per_standard}"
        if kind == "dataset":
            files = f" {','.join(self.data_files)}" if self.data_files else ""
            return f"dataset {self.dataset}{files}" + (f" ({self.config})" if self.config else "") + f"[{self.split}]"
        return f"{kind} {getattr(self, kind)}"


@dataclass
class Read:
    """A file or dataset source's conversations, and the bad rows left out (with `skip_bad_rows`)."""

    conversations: list[Messages]
    rows: int
    bad: int = 0
    first_bad: str = ""
    """The first bad row's error, to show in the report."""


def chat_messages(problem: Problem) -> Messages:
    """A problem as one user turn and the worked solution (or, for published problems, the answer line)."""
    reply = problem.solution if problem.solution else f"### Answer: {problem.answer}"
    return [{"role": "user", "content": problem.statement}, {"role": "assistant", "content": reply}]


def read_problems_of(source: Source, seed: int) -> list[Problem]:
    """The problems of a `standards` or `published` source (`seed` when the source sets none)."""
    if source.kind == "standards":
        assert source.standards is not None
        return generate_problems(source.standards, source.per_standard, seed if source.seed is None else source.seed,
                                 followups=False, style=source.style)
    assert source.published is not None
    return read_published(source.published)


def read_published(path: str | Path) -> list[Problem]:
    """The original problems of a published MathCAMPS file, or of every per-standard file in a release folder."""
    path = Path(path)
    if path.is_dir():
        problems = read_reference(path)
    elif path.is_file():
        problems = read_problems(path)
    else:
        raise DataFileError(f"published MathCAMPS path {str(path)!r} does not exist")
    return [p for p in problems if not p.is_followup]


def read_conversations(source: Source, skip_bad_rows: bool = False) -> Read:
    """The conversations of a `file` or `dataset` source."""
    if source.kind == "file":
        assert source.file is not None
        rows, skipped = _file_rows(Path(source.file), skip_bad_rows)
        read = _convert(rows, source.format, source.fields, skip_bad_rows)
        # Lines that are not even JSON are bad rows too; the report shows one of those first.
        read.rows, read.bad = read.rows + len(skipped), read.bad + len(skipped)
        read.first_bad = skipped[0] if skipped else read.first_bad
        return read
    dataset = _load_dataset(source)
    fmt = source.format
    if fmt == "auto":
        try:
            fmt = detect(dataset.column_names)  # one layout for the whole dataset
        except RowError as error:
            raise DataFileError(f"{source.label()}: {error}") from None
    fields = source.fields if fmt == "fields" else None
    spec = fields or PRESETS[fmt]
    needed = spec.columns()
    required = [spec.messages] if spec.messages else [spec.prompt[0], spec.response]
    missing = [c for c in required if c not in dataset.column_names]
    if missing:
        raise DataFileError(f"{source.label()}: no column {missing} for format {fmt!r}; "
                            f"its columns are {dataset.column_names}")
    dataset = dataset.select_columns([c for c in needed if c in dataset.column_names])
    rows = ((f"{source.label()} row {i}", row) for i, row in enumerate(dataset))
    return _convert(rows, fmt, fields, skip_bad_rows)


def read_chat_jsonl(path: str | Path) -> list[Messages]:
    """Every conversation in a JSONL file, read by each row's keys; a bad row raises `DataFileError`."""
    return read_conversations(Source(file=str(path))).conversations


def _convert(rows: Iterable[tuple[str, Any]], fmt: Format, fields: Fields | None, skip_bad_rows: bool) -> Read:
    out = Read(conversations=[], rows=0)
    for where, row in rows:
        out.rows += 1
        try:
            if isinstance(row, DataFileError):
                raise row
            out.conversations.append(to_messages(row, fmt, fields))
        except (RowError, DataFileError) as error:
            message = str(error) if isinstance(error, DataFileError) else f"{where}: {error}"
            if not skip_bad_rows:
                raise DataFileError(message) from None
            out.bad += 1
            out.first_bad = out.first_bad or message
    return out


def _file_rows(path: Path, skip_bad_rows: bool) -> tuple[list[tuple[str, Any]], list[str]]:
    """(where, row) for each row of a JSONL or JSON file, through the one records reader (`mathcamps.io`), and
    the errors of the lines it skipped (only with `skip_bad_rows`; else the first bad line raises)."""
    if not path.is_file():
        raise DataFileError(f"data file {str(path)!r} does not exist")
    skipped: list[str] | None = [] if skip_bad_rows else None
    try:
        rows = read_rows(path, skipped=skipped)
    except RecordFileError as error:
        raise DataFileError(str(error)) from None
    return rows, skipped or []


def _load_dataset(source: Source):
    import datasets

    assert source.dataset is not None
    try:
        return datasets.load_dataset(source.dataset, name=source.config, split=source.split,
                                     data_files=source.data_files, revision=source.revision)
    except Exception as error:  # noqa: BLE001 - datasets raises many kinds; each becomes one line naming the source
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataFileError(f"could not load {source.label()}: {reason}") from None
