"""Shared fixtures: tiny models and tokenizers built locally and saved as ordinary HF model dirs."""

import os

import pytest

# Two cores are shared by everything; more threads than cores makes torch many times slower.
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

QUICK_STANDARDS = ["K.CC.C.7", "K.NBT.A.1", "K.OA.A.5", "1.OA.A.1", "2.NBT.B.5", "3.OA.C.7"]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A random-init Llama (~0.2M parameters) with a BPE tokenizer trained on generated problems."""
    from mathcamps.generate import generate_problems
    from trainers.scratch import ScratchModel, save_scratch_model

    problems = generate_problems(QUICK_STANDARDS, 100, seed=0, followups=False)
    texts = [f"{p.statement}\n{p.solution}" for p in problems]
    size = ScratchModel(vocab_size=320, hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64, seed=0)
    return save_scratch_model(tmp_path_factory.mktemp("tiny") / "model", texts, size)


@pytest.fixture(scope="session")
def family_model_dir(tmp_path_factory):
    """A factory: the tiny model dir of a family in tests.trainers.families.FAMILIES, built once per session."""
    from mathcamps.generate import generate_problems
    from tests.trainers.families import FAMILIES, save_family_model

    texts = [f"{p.statement}\n{p.solution}" for p in generate_problems(QUICK_STANDARDS, 30, seed=0, followups=False)]
    built = {}

    def build(name: str):
        if name not in built:
            built[name] = save_family_model(FAMILIES[name], tmp_path_factory.mktemp(name) / "model", texts)
        return built[name]

    return build
