"""Checkpoints that survive crashes, and a fit that resumes from the newest one that loads.

- `AtomicCheckpointIO` writes each checkpoint under a temporary name in its own folder and renames it into place,
  so a kill or a full disk never leaves half a checkpoint under a `.ckpt` name.
- `RunRecord` puts in each checkpoint what a resumed fit needs besides the training state: the W&B run id, and
  how many rows the CSV log held at that moment (flushed first), so that rows logged after the checkpoint, and
  lost with the run, can be set apart when the fit resumes (`set_apart_lost_rows`).
- `choose_checkpoint` finds the newest checkpoint under a run's root that loads, saying why it skipped others.
- `remove_if_empty` takes away a run folder that a failed attempt created and left with nothing in it.
- `AtomicConfig` saves the run's `config.yaml` all or nothing.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from fsspec.implementations.local import LocalFileSystem
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.cli import SaveConfigCallback
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.plugins.io import TorchCheckpointIO

from mathcamps.cli import UserError
from mathcamps.io import atomic_open, write_atomic
from trainers.logging import WandbLogger

RUN_RECORD = "mathcamps_run_record"  # the checkpoint's key for `RunRecord`
LOST_ROWS = "metrics.lost.csv"
# What Lightning writes into a run folder before any work is done; a folder holding only these holds nothing.
BOOKKEEPING = {"config.yaml", "hparams.yaml", "metrics.csv"}


class AtomicCheckpointIO(TorchCheckpointIO):
    """`torch.save` to a temporary file in the checkpoint's folder, flushed to disk, then renamed onto the
    checkpoint's name. (Lightning's own save goes through a temporary file in /tmp, which a full /tmp or a move
    across file systems can still leave half-written.) Remote paths are left to Lightning."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        if storage_options is not None or not isinstance(get_filesystem(path), LocalFileSystem):
            return super().save_checkpoint(checkpoint, path, storage_options)
        with atomic_open(path, "wb") as f:
            torch.save(checkpoint, f)


class RunRecord(L.Callback):
    """Stores the W&B run id and the CSV log's row count in every checkpoint (see the module docstring)."""

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        record: dict[str, Any] = {}
        root = Path(trainer.default_root_dir).resolve()
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                record["wandb_run_id"] = logger.version
            elif isinstance(logger, CSVLogger) and trainer.is_global_zero:
                logger.save()  # the CSV then holds every row logged up to this checkpoint
                metrics = Path(logger.experiment.metrics_file_path)
                # Relative to the run's root, so that a run folder moved or copied whole still finds its own CSV.
                where = metrics.resolve().relative_to(root) if metrics.resolve().is_relative_to(root) else metrics
                record["csv"] = {"path": str(where), "rows": _count_rows(metrics)}
        checkpoint[RUN_RECORD] = record


class AtomicConfig(SaveConfigCallback):
    """Saves the merged config as `config.yaml` in the run folder, written atomically (use it with
    `save_to_log_dir=False`, which leaves the writing to `save_config`)."""

    def save_config(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        write_atomic(log_dir(trainer) / self.config_filename, self.parser.dump(self.config, skip_none=False))


def log_dir(trainer: L.Trainer) -> Path:
    """`trainer.log_dir`, found as Lightning finds it but without its broadcast, so that one rank alone may ask
    (a broadcast would wait forever for ranks that are not asking)."""
    if not trainer.loggers:
        return Path(trainer.default_root_dir)
    first = trainer.loggers[0]
    return Path(first.log_dir if isinstance(first, TensorBoardLogger | CSVLogger) else first.save_dir)


def _count_rows(path: Path) -> int:
    if not path.is_file():
        return 0
    with open(path, newline="") as f:
        return max(0, sum(1 for _ in csv.reader(f)) - 1)  # less the header


@dataclass
class Choice:
    """The checkpoint a fit resumes from, and what was skipped on the way: (path, why) for each."""

    path: Path | None
    step: int | None = None
    record: dict[str, Any] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def describe(self, root: str | Path) -> str:
        """One line for the log: what is resumed, and what was skipped and why."""
        skipped = "; ".join(f"{p} ({why})" for p, why in self.skipped)
        if self.path is None:
            return f"no checkpoint under {root}: starting from scratch"
        told = f"resuming from {self.path} (step {self.step})"
        return f"{told}; skipped {len(self.skipped)} newer that do not load: {skipped}" if self.skipped else told


def inspect_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint at `path`, memory-mapped (its tensors are not read), once it is known to be whole: a zip
    archive whose every record matches its checksum, holding a Lightning training state. Raises ValueError
    saying what is wrong otherwise."""
    if not path.is_file():
        raise ValueError("no such file")
    if path.stat().st_size == 0:
        raise ValueError("empty file")
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()  # reads every record once and checks its CRC
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"not a complete checkpoint: {error}") from None
    if bad is not None:
        raise ValueError(f"damaged: record {bad} fails its checksum")
    try:
        checkpoint = torch.load(path, map_location="cpu", mmap=True)
    except Exception as error:  # noqa: BLE001 - whatever torch raises, the file does not load
        raise ValueError(f"does not load: {type(error).__name__}: {str(error).strip().splitlines()[0][:200]}") from None
    if not isinstance(checkpoint, dict) or "global_step" not in checkpoint or "state_dict" not in checkpoint:
        raise ValueError("not a Lightning training checkpoint (no global_step or state_dict)")
    return checkpoint


def choose_checkpoint(root: str | Path, ckpt_path: str | None) -> Choice:
    """What `--ckpt_path` resumes from: for "last", the newest `*.ckpt` under `root` that loads; for a file,
    that file, which must load; for None, nothing.

    Raises UserError when checkpoints exist but none loads (a fit must not start over silently, throwing away
    the steps they hold), or when a named file does not load.
    """
    if ckpt_path is None:
        return Choice(None)
    if ckpt_path != "last":
        try:
            checkpoint = inspect_checkpoint(Path(ckpt_path))
        except ValueError as error:
            raise UserError(f"--ckpt_path {ckpt_path}: {error}") from None
        return Choice(Path(ckpt_path), checkpoint["global_step"], checkpoint.get(RUN_RECORD) or {})
    found = sorted((p for p in Path(root).glob("**/*.ckpt") if p.is_file()), key=lambda p: p.stat().st_mtime,
                   reverse=True)
    skipped = []
    for path in found:
        try:
            checkpoint = inspect_checkpoint(path)
        except ValueError as error:
            skipped.append((path, str(error)))
            continue
        return Choice(path, checkpoint["global_step"], checkpoint.get(RUN_RECORD) or {}, skipped)
    if skipped:
        reasons = "; ".join(f"{p.name}: {why}" for p, why in skipped[:5])
        raise UserError(f"--ckpt_path last: none of the {len(skipped)} checkpoints under {root} loads ({reasons}); "
                        f"resume from a checkpoint by its path, or move them out of {root} to start over")
    return Choice(None)


def set_apart_lost_rows(root: str | Path, choice: Choice) -> str | None:
    """Move the CSV rows that the checkpointed run logged after its checkpoint, for steps the resumed run logs
    again, to `metrics.lost.csv` beside them; returns what was done, or None when there was nothing to move.

    Rows logged before the checkpoint stay (a probe at the checkpoint's step is one), and so do rows logged after
    it for earlier steps (the last batch's, logged once its checkpoint is written).
    """
    csv_record = choice.record.get("csv")
    path = Path(root) / csv_record["path"] if csv_record else None
    if path is None or not path.is_file() or choice.step is None:
        return None
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header, rows = next(reader, None), list(reader)
    if header is None or "step" not in header:
        return None
    before, after = rows[: csv_record["rows"]], rows[csv_record["rows"] :]
    column = header.index("step")
    lost = [row for row in after if int(row[column]) >= choice.step]
    if not lost:
        return None
    kept = before + [row for row in after if int(row[column]) < choice.step]
    lost_path = path.with_name(LOST_ROWS)
    with atomic_open(lost_path) as f:  # the lost rows first: if anything fails after, nothing is gone
        csv.writer(f).writerows([header, *lost])
    with atomic_open(path) as f:
        csv.writer(f).writerows([header, *kept])
    steps = sorted({int(row[column]) for row in lost})
    return (f"moved {len(lost)} rows for steps {steps[0]}-{steps[-1]}, logged after the checkpoint and lost with "
            f"the interrupted run, from {path} to {lost_path}")


def remove_if_empty(run_dir: Path) -> bool:
    """Remove `run_dir` when it holds nothing but Lightning's bookkeeping (config, hparams, a CSV without rows)
    and empty folders; returns whether it did. Anything else in it (a checkpoint, a probe's files) keeps it."""
    if not run_dir.is_dir():
        return False
    for path in run_dir.rglob("*"):
        if path.is_dir():
            continue
        if path.parent != run_dir or path.name not in BOOKKEEPING:
            return False
        if path.name == "metrics.csv" and _count_rows(path) > 0:
            return False
    shutil.rmtree(run_dir)
    return True
