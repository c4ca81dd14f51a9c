"""Instruction-tune a causal LM and probe its maths per standard at every checkpoint.

    python -m trainers.fit --config configs/quickstart.yaml
    python -m trainers.fit --config configs/quickstart.yaml --trainer.max_steps 100
    python -m trainers.fit --config configs/quickstart.yaml --ckpt_path last     # resume the latest run

`--ckpt_path last` resumes from the newest checkpoint under `trainer.default_root_dir` that loads, saying which
and why it skipped any newer one; when checkpoints exist but none loads it stops with an error rather than start
over. The resumed run logs to a new version directory beside the interrupted one, continues the same W&B run,
and moves the CSV rows that the interrupted run logged after its checkpoint, for the steps that are logged again,
to `metrics.lost.csv` (`trainers.checkpointing`). Checkpoints, HF exports and `config.yaml` are written atomically.

A mistake in the configuration ends the fit with one line, `error: ...` (`mathcamps.cli.run_cli`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.plugins.io import CheckpointIO
from lightning.pytorch.utilities import rank_zero_info

from mathcamps.cli import UserError, run_cli
from trainers.checkpointing import (
    AtomicCheckpointIO,
    AtomicConfig,
    RunRecord,
    choose_checkpoint,
    log_dir,
    remove_if_empty,
    set_apart_lost_rows,
)
from trainers.data import MathCampsData
from trainers.hf import load_tokenizer, use_training_template
from trainers.holdout import HoldsOut
from trainers.logging import WandbLogger, finish_wandb
from trainers.module import InstructionTuning
from trainers.scratch import save_scratch_model

GPU_ONLY_STRATEGIES = ("fsdp", "deepspeed")


class FitCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument("--ckpt_path", type=str | None, default=None,
                            help='checkpoint to resume from, or "last" for the latest under trainer.default_root_dir')
        # The data module deals each rank its share of every global batch itself (see trainers.data.EpochBatches).
        parser.set_defaults({"trainer.use_distributed_sampler": False})

    def before_instantiate_classes(self) -> None:
        if message := gpu_only_problem(self.config["trainer"]):
            raise UserError(message)

    def instantiate_trainer(self, **kwargs: Any):
        """The configured trainer, with checkpoints written atomically (unless the config brings its own
        `CheckpointIO`) and a `RunRecord` in each checkpoint."""
        plugins = self._get(self.config_init, "trainer", default={}).get("plugins")
        plugins = [] if plugins is None else list(plugins) if isinstance(plugins, list) else [plugins]
        if not any(isinstance(p, CheckpointIO) for p in plugins):
            kwargs["plugins"] = [*plugins, AtomicCheckpointIO()]
        trainer = super().instantiate_trainer(**kwargs)
        trainer.callbacks.append(RunRecord())
        return trainer


def _name(value: Any) -> str:
    """A strategy or accelerator given as a string or as a `class_path` block, as a lower-case name."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.lower()
    class_path = value.get("class_path", "") if hasattr(value, "get") else getattr(value, "class_path", "")
    return str(class_path).rsplit(".", 1)[-1].lower()


def gpu_only_problem(trainer: Any) -> str | None:
    """Why the trainer settings cannot run on this machine (a GPU-only strategy without a GPU), or None."""
    strategy, accelerator = _name(trainer.get("strategy")), _name(trainer.get("accelerator"))
    needs_gpu = next((s for s in GPU_ONLY_STRATEGIES if s in strategy), None)
    if needs_gpu is None:
        return None
    if accelerator == "cpu" or not torch.cuda.is_available():
        where = "accelerator: cpu" if accelerator == "cpu" else "this machine has no CUDA GPU"
        return (f"trainer.strategy={strategy!r} needs CUDA GPUs ({where}); on CPU use strategy: ddp "
                f"(or auto) with precision: 32-true")
    return None


def prepare(module: InstructionTuning, data: MathCampsData, trainer) -> None:
    """Hold the probes' problems out of training, build a scratch model if asked, and share the tokenizer."""
    for callback in trainer.callbacks:
        if isinstance(callback, HoldsOut):
            data.hold_out(callback.held_out_problems())
    if module.scratch is not None:
        if not (Path(module.model_name) / "config.json").exists():
            if trainer.is_global_zero:
                save_scratch_model(module.model_name, data.corpus(), module.scratch)
            trainer.strategy.barrier("scratch model")
    tokenizer = load_tokenizer(module.model_name, module.revision, module.trust_remote_code)
    use_training_template(tokenizer, module.model_name)
    data.set_tokenizer(tokenizer)


def main(args: list[str] | None = None) -> FitCLI:
    try:
        cli = FitCLI(InstructionTuning, MathCampsData, run=False, args=args, seed_everything_default=0,
                     save_config_callback=AtomicConfig, save_config_kwargs={"save_to_log_dir": False})
    except ValueError as error:
        raise UserError(str(_constructor_error(error))) from error
    trainer = cli.trainer
    root = Path(trainer.default_root_dir)
    choice = choose_checkpoint(root, cli.config.get("ckpt_path"))
    if cli.config.get("ckpt_path") is not None:
        rank_zero_info(choice.describe(root))
    if choice.path is not None and trainer.is_global_zero:
        if moved := set_apart_lost_rows(root, choice):
            rank_zero_info(moved)
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger) and choice.record.get("wandb_run_id"):
            logger.resume_run(choice.record["wandb_run_id"])  # the same W&B run goes on
    run_dirs_before = set(root.glob("**/version_*")) if root.exists() else None
    try:
        prepare(cli.model, cli.datamodule, trainer)
        trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=str(choice.path) if choice.path else None)
    except BaseException:
        # A run folder this attempt made and left empty would only push the next attempt to version_N+1.
        if trainer.is_global_zero and (run_dir := log_dir(trainer)) not in (run_dirs_before or ()):
            remove_if_empty(run_dir)
        if trainer.is_global_zero and run_dirs_before is None and root.is_dir() and not any(root.iterdir()):
            root.rmdir()  # the root too, when this attempt made it and nothing is in it
        raise
    finally:
        finish_wandb(trainer.loggers)
    return cli


def _constructor_error(error: ValueError) -> ValueError:
    """The check that failed inside a configured class's constructor, rather than jsonargparse's account of the
    types it tried for the config value (which ends with a dump of the whole value)."""
    while isinstance(error.__cause__, ValueError):
        error = error.__cause__
    return error


if __name__ == "__main__":
    run_cli(main)
