"""Every YAML file under configs/ parses against the typed signatures and builds, without loading any weights;
the configs users copy also build for real, offline, with their hub ids swapped for local stand-ins.

Configs written for GPUs are parsed as they are (every key and type checked, the strategy included), then
built with the trainer moved to one CPU, since a GPU-only trainer cannot be built here.
"""

import json
from pathlib import Path

import pytest
import torch
import yaml

from trainers.data import MathCampsData
from trainers.fit import FitCLI, prepare
from trainers.module import NUM_TOKENS, InstructionTuning

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))
ON_CPU = ["--trainer.accelerator=cpu", "--trainer.devices=1", "--trainer.strategy=auto", "--trainer.precision=32-true"]
# The hub models of the configs users copy, and the family of the tiny local model (tests.trainers.families)
# that stands in for each.
STAND_INS = {"Qwen/Qwen2.5-0.5B-Instruct": "qwen2", "EleutherAI/pythia-410m": "gpt_neox",
             "meta-llama/Llama-3.1-8B-Instruct": "llama"}
COPIED = ["qwen2.5-0.5b-instruct-lora-gsm8k.yaml", "pythia-410m-full.yaml", "llama3.1-8b-instruct-qlora.yaml"]


class ParseOnly(FitCLI):
    """Parses and checks a config without building anything."""

    def before_instantiate_classes(self) -> None:
        pass

    def instantiate_classes(self) -> None:
        pass


def needs_gpu(config: Path) -> bool:
    return yaml.safe_load(config.read_text())["trainer"].get("accelerator") == "gpu"


@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
def test_config_parses_and_instantiates(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative output dirs land in tmp_path
    parsed = ParseOnly(InstructionTuning, MathCampsData, run=False, args=["--config", str(config)]).config
    assert parsed["trainer"]["accelerator"] == ("gpu" if needs_gpu(config) else "cpu")
    cli = FitCLI(InstructionTuning, MathCampsData, run=False,
                 args=["--config", str(config), *(ON_CPU * needs_gpu(config))])
    assert cli.model.model is None  # weights load in configure_model, not while parsing
    assert cli.datamodule.sources
    assert config.read_text().startswith("# ")  # each config opens with a comment saying what it is for


def offline(config: dict, family_model_dir, tmp_path: Path) -> dict:
    """`config` with hub models and datasets swapped for local stand-ins and sizes cut to a test's."""
    model = config["model"]
    assert model["model"] in STAND_INS, f"no local stand-in for {model['model']}: add one to STAND_INS"
    model["model"] = str(family_model_dir(STAND_INS[model["model"]]))
    model.pop("revision", None)
    model["load_in_4bit"] = False  # 4-bit loading needs CUDA; everything else builds as written
    gsm8k = tmp_path / "gsm8k.jsonl"
    gsm8k.write_text("".join(json.dumps({"question": f"Tom has {i} cards and gets 3 more. How many now?",
                                         "answer": f"{i} + 3 = <<{i}+3={i + 3}>>{i + 3}\n#### {i + 3}"}) + "\n"
                             for i in range(40)))
    for source in config["data"]["sources"]:
        if source.get("dataset") == "openai/gsm8k":
            for key in ("config", "revision"):
                source.pop(key, None)
            source.update(dataset="json", data_files=[str(gsm8k)])
        if "standards" in source:
            source["per_standard"] = 4
    config["data"].update(cache_dir=str(tmp_path / "cache"), batch_size=4)
    for callback in config["trainer"]["callbacks"]:
        if callback["class_path"].endswith("MathCampsProbe"):
            callback["init_args"].update(per_standard=2, time_budget_s=None)
    config["trainer"]["logger"] = False
    return config


@pytest.mark.parametrize("name", COPIED)
def test_a_config_users_copy_builds_offline_with_local_stand_ins(name, family_model_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = next(c for c in CONFIGS if c.name == name)
    config = yaml.safe_load(source.read_text())
    path = tmp_path / name
    path.write_text(yaml.safe_dump(offline(config, family_model_dir, tmp_path)))
    cli = FitCLI(InstructionTuning, MathCampsData, run=False, args=["--config", str(path), *ON_CPU])
    prepare(cli.model, cli.datamodule, cli.trainer)  # the probe's problems held out, the tokenizer shared
    data = cli.datamodule
    data.setup("fit")
    assert len(data.counts) == len(config["data"]["sources"]) and all(c.train > 0 for c in data.counts)
    cli.model.configure_model()
    assert (cli.model.finetuning == "lora") == hasattr(cli.model.model, "peft_config")
    batch = next(iter(data.train_dataloader()))
    batch.pop(NUM_TOKENS)
    loss = cli.model.model(**batch, use_cache=False).loss
    assert torch.isfinite(loss)
