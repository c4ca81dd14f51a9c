"""Every YAML file under configs/ parses against the typed signatures (without loading any weights)."""

from pathlib import Path

import pytest

from trainers.data import MathCampsData
from trainers.fit import FitCLI
from trainers.module import InstructionTuning

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))


@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
def test_config_parses_and_instantiates(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative output dirs land in tmp_path
    cli = FitCLI(InstructionTuning, MathCampsData, run=False, args=["--config", str(config)])
    assert cli.model.model is None  # weights load in configure_model, not while parsing
    assert cli.datamodule.standards
