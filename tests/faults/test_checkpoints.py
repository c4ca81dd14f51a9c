"""Damaged checkpoints, full disks and killed fits (#18, and #17's resumed runs): `--ckpt_path last` resumes from
the newest checkpoint that loads or refuses to start over; nothing half-written is left under a final name; a
failed attempt leaves no empty run folder; a resumed fit continues its W&B run and sets its lost CSV rows apart."""

import csv
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer

from mathcamps.cli import UserError
from tests.faults.helpers import one_error_line, run_module
from tests.trainers.fitting import fit_command, run_fit, tiny_run_config
from trainers import checkpointing
from trainers.checkpointing import (
    LOST_ROWS,
    RUN_RECORD,
    AtomicCheckpointIO,
    choose_checkpoint,
    inspect_checkpoint,
    remove_if_empty,
)
from trainers.export import export_hf
from trainers.fit import main

STEPS, EVERY = 8, 4


class DiskFull(OSError):
    def __init__(self) -> None:
        super().__init__(28, "No space left on device")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_model_dir) -> Path:
    """A tiny fit of 8 steps with checkpoints at steps 4 and 8 and `last.ckpt`, run once for the module."""
    tmp = tmp_path_factory.mktemp("finished")
    main(["--config", str(tiny_run_config(tmp, tiny_model_dir, max_steps=STEPS, every_n_steps=EVERY))])
    return tmp / "run"


@pytest.fixture
def run(finished_run, tmp_path) -> Path:
    """A copy of the finished run to damage (at `tmp_path/run`, where `tiny_run_config(tmp_path, ...)` points)."""
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


def ckpts(run: Path) -> Path:
    return run / "version_0" / "checkpoints"


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(range(64))
    path.write_bytes(bytes(data))


DAMAGES = {"truncated": truncate, "empty": lambda p: p.write_bytes(b""), "garbled": garble}
REASONS = {"truncated": "not a complete checkpoint", "empty": "empty file", "garbled": "damaged"}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_last_checkpoint_is_skipped_for_the_newest_that_loads(run, damage):
    DAMAGES[damage](ckpts(run) / "last.ckpt")
    choice = choose_checkpoint(run, "last")
    assert choice.path == ckpts(run) / f"epoch=0-step={STEPS}.ckpt" and choice.step == STEPS
    assert [(p.name, why.split(":")[0]) for p, why in choice.skipped] == [("last.ckpt", REASONS[damage])]
    told = choice.describe(run)
    assert told.startswith(f"resuming from {choice.path} (step {STEPS}); skipped 1 newer that do not load: ")
    assert str(ckpts(run) / "last.ckpt") in told


def test_a_missing_last_checkpoint_resumes_from_the_newest_other(run):
    (ckpts(run) / "last.ckpt").unlink()
    choice = choose_checkpoint(run, "last")
    assert (choice.path.name, choice.step, choice.skipped) == (f"epoch=0-step={STEPS}.ckpt", STEPS, [])


def test_no_checkpoint_at_all_starts_from_scratch(tmp_path):
    choice = choose_checkpoint(tmp_path, "last")
    assert choice.path is None and choice.describe(tmp_path) == f"no checkpoint under {tmp_path}: starting from scratch"


def test_a_named_checkpoint_that_does_not_load_is_an_error_naming_it(run):
    path = ckpts(run) / "last.ckpt"
    truncate(path)
    with pytest.raises(UserError, match=rf"--ckpt_path {path}: not a complete checkpoint"):
        choose_checkpoint(run, str(path))


def test_resuming_past_a_damaged_last_checkpoint_end_to_end(run, tmp_path, tiny_model_dir):
    truncate(ckpts(run) / "last.ckpt")
    config = tiny_run_config(tmp_path, tiny_model_dir, max_steps=STEPS, every_n_steps=EVERY)
    result = run_fit(config, "--ckpt_path", "last")
    assert f"resuming from {ckpts(run) / f'epoch=0-step={STEPS}.ckpt'} (step {STEPS}); skipped 1" in result.stderr


def test_when_no_checkpoint_loads_the_fit_refuses_to_start_over(run, tmp_path, tiny_model_dir):
    for path in ckpts(run).glob("*.ckpt"):
        truncate(path)
    config = tiny_run_config(tmp_path, tiny_model_dir, max_steps=STEPS, every_n_steps=EVERY)
    before = sorted(p.relative_to(run) for p in run.rglob("*"))
    message = one_error_line(run_module("trainers.fit", *fit_command(config, "--ckpt_path", "last")[3:]))
    assert message.startswith(f"--ckpt_path last: none of the 3 checkpoints under {run} loads (")
    assert "last.ckpt: not a complete checkpoint" in message and "move them out of" in message
    assert sorted(p.relative_to(run) for p in run.rglob("*")) == before  # no version_1, nothing touched


def test_a_failed_attempt_leaves_no_empty_run_folder(tmp_path, tiny_model_dir):
    config = tiny_run_config(tmp_path, tiny_model_dir, max_steps=STEPS, every_n_steps=EVERY,
                             trainer={"callbacks": [{"class_path": "tests.faults.helpers.FailAtStart"}]})
    with pytest.raises(RuntimeError, match="injected failure"):
        main(["--config", str(config)])
    assert not list((tmp_path / "run").glob("version_*"))


def test_remove_if_empty_keeps_any_folder_with_work_in_it(tmp_path):
    bare = tmp_path / "version_0"
    (bare / "checkpoints").mkdir(parents=True)
    (bare / "config.yaml").write_text("x: 1\n")
    (bare / "metrics.csv").write_text("step,train/loss\n")
    assert remove_if_empty(bare) and not bare.exists()
    worked = tmp_path / "version_1"
    (worked / "mathcamps").mkdir(parents=True)
    (worked / "mathcamps" / "probes.jsonl").write_text("{}\n")
    assert not remove_if_empty(worked) and worked.exists()
    logged = tmp_path / "version_2"
    logged.mkdir()
    (logged / "metrics.csv").write_text("step,train/loss\n0,1.5\n")
    assert not remove_if_empty(logged)


def test_a_checkpoint_cut_short_by_a_full_disk_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    io, path = AtomicCheckpointIO(), tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"global_step": 4, "state_dict": {"w": torch.ones(3)}}, path)

    def full_disk(checkpoint, f):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise DiskFull()

    monkeypatch.setattr(checkpointing.torch, "save", full_disk)
    with pytest.raises(DiskFull):
        io.save_checkpoint({"global_step": 8, "state_dict": {"w": torch.zeros(3)}}, path)
    monkeypatch.undo()
    assert inspect_checkpoint(path)["global_step"] == 4
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]  # no temporary left behind


def test_an_hf_export_cut_short_by_a_full_disk_leaves_no_folder(tmp_path, tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    out = tmp_path / "hf" / "step-8"
    export_hf(model, model.state_dict(), tmp_path / "hf" / "step-4", tokenizer)

    class FullDiskTokenizer:
        def save_pretrained(self, folder):
            (Path(folder) / "tokenizer.json").write_text("{")
            raise DiskFull()

    with pytest.raises(DiskFull):
        export_hf(model, model.state_dict(), out, FullDiskTokenizer())
    assert [p.name for p in (tmp_path / "hf").iterdir()] == ["step-4"]  # no step-8, no hidden temporary
    assert (tmp_path / "hf" / "step-4" / "tokenizer_config.json").is_file()
    export_hf(model, model.state_dict(), tmp_path / "hf" / "step-4", tokenizer)  # a rewrite replaces it whole
    assert sorted(p.name for p in (tmp_path / "hf").iterdir()) == ["step-4"]


def _steps(path: Path, key: str = "train/loss") -> list[int]:
    with open(path, newline="") as f:
        return sorted(int(r["step"]) for r in csv.DictReader(f) if r.get(key))


def test_a_killed_fit_resumes_its_wandb_run_and_sets_its_lost_csv_rows_apart(tmp_path, tiny_model_dir):
    max_steps, kill_at = 12, 6
    config = tiny_run_config(tmp_path, tiny_model_dir, max_steps=max_steps, every_n_steps=EVERY)
    data = yaml.safe_load(config.read_text())
    root = tmp_path / "run"
    data["trainer"]["logger"][0]["init_args"]["flush_logs_every_n_steps"] = 1  # rows reach the file at once
    data["trainer"]["logger"].append({"class_path": "trainers.logging.WandbLogger",
                                      "init_args": {"save_dir": str(root), "offline": True}})
    data["trainer"]["callbacks"].append({"class_path": "tests.faults.helpers.KillAt",
                                         "init_args": {"step": kill_at, "marker": str(tmp_path / "killed")}})
    config.write_text(yaml.safe_dump(data))
    killed = run_module("trainers.fit", *fit_command(config)[3:])
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert _steps(root / "version_0" / "metrics.csv")[-1] >= EVERY  # rows after the checkpoint were written
    record = torch.load(root / "version_0" / "checkpoints" / "last.ckpt", weights_only=False)[RUN_RECORD]

    resumed = run_fit(config, "--ckpt_path", "last")
    assert f"(step {EVERY})" in resumed.stderr and "moved " in resumed.stderr
    assert _steps(root / "version_0" / "metrics.csv") == list(range(EVERY))
    lost = _steps(root / "version_0" / LOST_ROWS)
    assert lost and set(lost) <= set(range(EVERY, kill_at))
    assert _steps(root / "version_1" / "metrics.csv") == list(range(EVERY, max_steps))
    runs = sorted((root / "wandb").glob("offline-run-*"))
    assert len(runs) == 2 and {r.name.rsplit("-", 1)[1] for r in runs} == {record["wandb_run_id"]}
