"""Instruction-tune a causal LM and probe its maths per standard at every checkpoint.

    python -m trainers.fit --config configs/quickstart.yaml
    python -m trainers.fit --config configs/quickstart.yaml --trainer.max_steps 100
    python -m trainers.fit --config configs/quickstart.yaml --ckpt_path last     # resume the latest run

`--ckpt_path last` resumes from the newest `last*.ckpt` under `trainer.default_root_dir` (the resumed run
logs to a new version directory beside the interrupted one).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.cli import LightningCLI

from trainers.data import MathCampsData
from trainers.hf import ModelNotFound, load_tokenizer, use_training_template
from trainers.holdout import HoldsOut
from trainers.module import InstructionTuning, PackingUnsupported
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
            sys.exit(f"error: {message}")


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


def find_last_checkpoint(root: str | Path) -> Path | None:
    """The newest `last*.ckpt` under `root`, in any run version."""
    found = [p for p in Path(root).glob("**/checkpoints/last*.ckpt") if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


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
    cli = FitCLI(InstructionTuning, MathCampsData, run=False, args=args, seed_everything_default=0,
                 save_config_kwargs={"overwrite": True})
    ckpt_path = cli.config.get("ckpt_path")
    if ckpt_path == "last":
        last = find_last_checkpoint(cli.trainer.default_root_dir)
        ckpt_path = str(last) if last else None
        print(f"resuming from {last}" if last else "no last checkpoint found: starting from scratch")
    try:
        prepare(cli.model, cli.datamodule, cli.trainer)
        cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=ckpt_path)
    except (ModelNotFound, PackingUnsupported) as error:
        sys.exit(f"error: {error}")
    finally:
        _finish_wandb()
    return cli


def _finish_wandb() -> None:
    # Close the W&B run so its file is complete on return, and a second `main` in the process starts a new run.
    if "wandb" in sys.modules and sys.modules["wandb"].run is not None:
        sys.modules["wandb"].finish()


if __name__ == "__main__":
    main()
