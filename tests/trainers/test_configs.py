"""Every YAML file under configs/ parses against the typed signatures and builds, without loading any weights.

Configs written for GPUs are parsed as they are (every key and type checked, the strategy included), then
built with the trainer moved to one CPU, since a GPU-only trainer cannot be built here.
"""

from pathlib import Path

import pytest
import yaml

from trainers.data import MathCampsData
from trainers.fit import FitCLI
from trainers.module import InstructionTuning

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))
ON_CPU = ["--trainer.accelerator=cpu", "--trainer.devices=1", "--trainer.strategy=auto", "--trainer.precision=32-true"]


class ParseOnly(FitCLI):
    """Parses and checks a config without building anything."""

    def before_instantiate_classes(self) -> None:
        pass

    def instantiate_classes(self) -> None:
        pass


@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
def test_config_parses_and_instantiates(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative output dirs land in tmp_path
    parsed = ParseOnly(InstructionTuning, MathCampsData, run=False, args=["--config", str(config)]).config
    needs_gpu = yaml.safe_load(config.read_text())["trainer"].get("accelerator") == "gpu"
    assert parsed["trainer"]["accelerator"] == ("gpu" if needs_gpu else "cpu")
    cli = FitCLI(InstructionTuning, MathCampsData, run=False, args=["--config", str(config), *(ON_CPU * needs_gpu)])
    assert cli.model.model is None  # weights load in configure_model, not while parsing
    assert cli.datamodule.standards
    assert config.read_text().startswith("# ")  # each config opens with a comment saying what it is for
