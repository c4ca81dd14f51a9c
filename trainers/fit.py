"""Instruction-tune a causal LM and probe its maths per standard at every checkpoint.

    python -m trainers.fit --config configs/quickstart.yaml
    python -m trainers.fit --config configs/quickstart.yaml --trainer.max_steps 100
"""

from __future__ import annotations

import sys
from pathlib import Path

from lightning.pytorch.cli import LightningCLI

from probes.callback import MathCampsProbe
from trainers.data import MathCampsData
from trainers.hf import ModelNotFound, load_tokenizer
from trainers.module import InstructionTuning
from trainers.scratch import save_scratch_model


class FitCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument("--ckpt_path", type=str | None, default=None,
                            help='checkpoint to resume from, or "last" for the run\'s latest')


def prepare(module: InstructionTuning, data: MathCampsData, trainer) -> None:
    """Hold the probes' problems out of training, build a scratch model if asked, and share the tokenizer."""
    for callback in trainer.callbacks:
        if isinstance(callback, MathCampsProbe):
            data.hold_out(callback.problems)
    if module.scratch is not None:
        if not (Path(module.model_name) / "config.json").exists():
            save_scratch_model(module.model_name, data.corpus(), module.scratch)
    data.set_tokenizer(load_tokenizer(module.model_name, module.revision))


def main(args: list[str] | None = None) -> FitCLI:
    cli = FitCLI(InstructionTuning, MathCampsData, run=False, args=args, seed_everything_default=0,
                 save_config_kwargs={"overwrite": True})
    try:
        prepare(cli.model, cli.datamodule, cli.trainer)
        cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=cli.config.get("ckpt_path"))
    except ModelNotFound as error:
        sys.exit(f"error: {error}")
    return cli


if __name__ == "__main__":
    main()
