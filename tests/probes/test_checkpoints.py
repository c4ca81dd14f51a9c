"""Checkpoints anywhere: every kind that `trainers.fit` writes resolves at the step it records and loads to the
same model; a damaged or incomplete one is named by its path."""

import json
import shutil
from pathlib import Path

import pytest
import torch

import trainers.export
from probes import evaluate
from probes.backends import GenerationSettings
from probes.backends.hf import load_hf_backend
from probes.checkpoints import (
    STATE_FILE,
    LocalGlob,
    RunCheckpoints,
    UnreadableCheckpoint,
    checkpoint_at,
    kind_of,
    load_checkpoint,
    resolve,
    run_base_model,
)
from tests.trainers.fitting import tiny_run_config
from trainers.fit import main as fit


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, tiny_model_dir) -> Path:
    """A 4-step LoRA run checkpointing at steps 2 and 4, with adapter and merged exports: its version_0/."""
    root = tmp_path_factory.mktemp("lora")
    config = tiny_run_config(root, tiny_model_dir, name="run", max_steps=4, every_n_steps=2,
                             model={"finetuning": "lora", "lora": {"r": 4}, "export_merged": True,
                                    "learning_rate": 0.05})
    fit(["--config", str(config)])
    return root / "run" / "version_0"


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, tiny_model_dir) -> Path:
    root = tmp_path_factory.mktemp("full")
    fit(["--config", str(tiny_run_config(root, tiny_model_dir, name="run", max_steps=2, every_n_steps=2))])
    return root / "run" / "version_0"


def logits(ckpt) -> torch.Tensor:
    model, tokenizer = load_checkpoint(ckpt, "cpu")
    ids = tokenizer("What is 12 + 30? ### Answer:", return_tensors="pt").input_ids
    with torch.no_grad():
        return model(input_ids=ids).logits


def test_a_lora_runs_ckpts_adapters_and_merged_exports_resolve_by_their_steps_and_agree(lora_run, tiny_model_dir):
    runs = resolve([], [], [RunCheckpoints(str(lora_run))])
    assert [(c.kind, c.step, Path(c.model).name, c.base) for c in runs] == [
        ("lightning", 2, "epoch=0-step=2.ckpt", str(tiny_model_dir)),
        ("lightning", 4, "epoch=0-step=4.ckpt", str(tiny_model_dir))]  # last.ckpt repeats step 4
    adapters = resolve([], [LocalGlob(f"{lora_run}/hf/step-*")], [])
    assert [(c.kind, c.step, c.base) for c in adapters] == [("adapter", 2, str(tiny_model_dir)),
                                                            ("adapter", 4, str(tiny_model_dir))]
    merged = resolve([], [LocalGlob(f"{lora_run}/hf/step-*/merged")], [])
    assert [(c.kind, c.step, c.name) for c in merged] == [("hf", 2, "step-2-merged"), ("hf", 4, "step-4-merged")]
    assert all(c.tokens and c.tokens > 0 for c in runs)
    # Each export writes its own step (trainer_state.json), so a renamed export keeps it.
    assert STATE_FILE == trainers.export.STATE_FILE
    renamed = lora_run.parent / "renamed-export"
    shutil.copytree(lora_run / "hf" / "step-2", renamed)
    assert [c.step for c in resolve([], [LocalGlob(str(renamed))], [])] == [2]

    at_4 = logits(runs[1])
    # The adapter export is the same model computed the same way; the merged one folds B @ A into the weights.
    assert torch.equal(logits(adapters[1]), at_4)
    torch.testing.assert_close(logits(merged[1]), at_4, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(logits(runs[0]), at_4, atol=1e-3), "step 2 and step 4 must differ: nothing trained"
    assert not torch.allclose(logits(checkpoint_at(str(tiny_model_dir))), at_4, atol=1e-3)


def test_an_exports_own_step_file_wins_over_its_folder_name(lora_run, tmp_path):
    export = tmp_path / "exports" / "final-7"
    shutil.copytree(lora_run / "hf" / "step-4" / "merged", export)
    (ckpt,) = resolve([], [LocalGlob(f"{tmp_path}/exports/*")], [])
    assert ckpt.step == 7  # the folder name: no step file yet
    (export / "trainer_state.json").write_text(json.dumps({"global_step": 4, "num_input_tokens_seen": 321}))
    (ckpt,) = resolve([], [LocalGlob(f"{tmp_path}/exports/*", tokens_per_step=10)], [])
    assert (ckpt.step, ckpt.tokens) == (4, 321)
    # merged/ reads the step file of the export it sits in.
    adapter = tmp_path / "exports2" / "latest"
    shutil.copytree(lora_run / "hf" / "step-2", adapter)
    (adapter / "trainer_state.json").write_text(json.dumps({"global_step": 2}))
    assert [c.step for c in resolve([], [LocalGlob(f"{adapter}"), LocalGlob(f"{adapter}/merged")], [])] == [2, 2]
    (ckpt,) = resolve([], [LocalGlob(f"{tmp_path}/exports2/*/merged", step_pattern=r"(\d+)")], [])
    assert ckpt.step == 2
    (tmp_path / "nostep" / "merged").mkdir(parents=True)
    shutil.copytree(lora_run / "hf" / "step-2" / "merged", tmp_path / "nostep" / "x" / "merged")
    with pytest.raises(UnreadableCheckpoint, match=r"merged: local\[0\]: no trainer_state.json and no step in 'x'"):
        resolve([], [LocalGlob(f"{tmp_path}/nostep/*/merged")], [])


def test_an_adapters_base_model_can_be_given(lora_run, tiny_model_dir, tmp_path):
    base = shutil.copytree(tiny_model_dir, tmp_path / "base-copy")
    (ckpt,) = resolve([], [LocalGlob(f"{lora_run}/hf/step-4", base_model=str(base))], [])
    assert (ckpt.kind, ckpt.base) == ("adapter", str(base))
    assert checkpoint_at(str(lora_run / "hf" / "step-4"), base_model=str(base)).base == str(base)
    run = resolve([], [], [RunCheckpoints(str(lora_run), base_model=str(base))])
    assert {c.base for c in run} == {str(base)}
    torch.testing.assert_close(logits(ckpt), logits(run[-1]))


def test_a_full_runs_ckpt_and_hf_export_load_the_same_weights(full_run, tiny_model_dir):
    (ckpt,) = resolve([], [], [RunCheckpoints(str(full_run.parent))])  # a Lightning root gathers its versions
    (export,) = resolve([], [LocalGlob(f"{full_run}/hf/step-*")], [])
    assert (ckpt.kind, ckpt.step, export.kind, export.step) == ("lightning", 2, "hf", 2)
    a, _ = load_checkpoint(ckpt, "cpu")
    b, _ = load_checkpoint(export, "cpu")
    for name, tensor in b.state_dict().items():
        assert torch.equal(a.state_dict()[name], tensor), name
    assert run_base_model(full_run) == (str(tiny_model_dir), None)


def test_evaluate_loads_a_ckpt_and_an_adapter_through_the_same_path(lora_run):
    settings = GenerationSettings(8)
    for model in (lora_run / "checkpoints" / "last.ckpt", lora_run / "hf" / "step-4"):
        backend = load_hf_backend(str(model), settings, dtype="float32", device="cpu")
        assert type(backend.model).__name__ == "PeftModelForCausalLM" and not backend.model.training
    with pytest.raises(ValueError, match="--revision 'main' is for hub models"):
        checkpoint_at(str(lora_run / "hf" / "step-4"), revision="main")


def test_evaluate_scores_a_lora_ckpt_and_refuses_it_for_vllm(lora_run, tmp_path, capsys):
    ckpt = str(lora_run / "checkpoints" / "last.ckpt")
    args = ["--model", ckpt, "--generate", "K.OA.A.5:2:0", "--max-new-tokens", "4", "--device", "cpu"]
    assert evaluate.main([*args, "--out", str(tmp_path / "e")]) == 0
    summary = json.loads((tmp_path / "e" / "summary.json").read_text())
    assert summary["overall"]["n"] == 2 and summary["run"]["model"] == ckpt
    assert evaluate.main([*args, "--out", str(tmp_path / "v"), "--backend", "vllm"]) == 2
    assert capsys.readouterr().err.strip().endswith(f"error: --backend vllm loads HF model directories and hub ids; "
                                                    f"{ckpt} is a lightning checkpoint: use --backend hf")


def test_damaged_and_incomplete_checkpoints_are_named_by_path(lora_run, tmp_path):
    good = lora_run / "checkpoints" / "epoch=0-step=2.ckpt"
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    shutil.copy(lora_run / "config.yaml", run / "config.yaml")
    shutil.copy(good, run / "checkpoints" / "epoch=0-step=2.ckpt")
    (run / "checkpoints" / "truncated.ckpt").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (run / "checkpoints" / "empty.ckpt").write_bytes(b"")
    (run / "checkpoints" / "garbled.ckpt").write_bytes(bytes(range(256)) * 8)
    torch.save({"weights": torch.zeros(1)}, run / "checkpoints" / "other.ckpt")
    skipped: list[UnreadableCheckpoint] = []
    (ckpt,) = resolve([], [], [RunCheckpoints(str(run))], skipped)
    assert ckpt.step == 2
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert sorted(reasons) == ["empty.ckpt", "garbled.ckpt", "other.ckpt", "truncated.ckpt"]
    assert reasons["empty.ckpt"] == "empty file"
    assert reasons["truncated.ckpt"].startswith("not a readable checkpoint (")
    assert reasons["other.ckpt"] == "not a Lightning checkpoint (no global_step, state_dict, pytorch-lightning_version)"
    assert all("\n" not in str(s) and str(s).startswith(f"{run / 'checkpoints'}/") for s in skipped)
    with pytest.raises(UnreadableCheckpoint, match=r"empty.ckpt: empty file"):
        resolve([], [], [RunCheckpoints(str(run))])  # without a list to report to, the first one raises

    exports = tmp_path / "hf"
    no_tokenizer = shutil.copytree(lora_run / "hf" / "step-2" / "merged", exports / "step-2")
    (no_tokenizer / "tokenizer_config.json").unlink()
    no_weights = shutil.copytree(lora_run / "hf" / "step-4", exports / "step-4")
    (no_weights / "adapter_model.safetensors").unlink()
    torn = shutil.copytree(lora_run / "hf" / "step-4" / "merged", exports / "step-6")
    (torn / "model.safetensors").write_bytes((torn / "model.safetensors").read_bytes()[:1000])
    (exports / "notes").mkdir()  # not a checkpoint at all: not matched, not reported
    skipped = []
    (torn_ckpt,) = resolve([], [LocalGlob(f"{exports}/*")], [], skipped)
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("step-2", "incomplete export: no tokenizer_config.json"),
        ("step-4", "incomplete export: none of adapter_model.safetensors, adapter_model.bin")]
    assert kind_of(exports / "notes") is None
    # A torn weights file is found only by loading it.
    with pytest.raises(UnreadableCheckpoint, match=rf"^{torn}: \w+"):
        load_checkpoint(torn_ckpt, "cpu")


def test_a_resumed_runs_later_version_wins_a_step_and_a_named_file_wins_over_last(lora_run, tmp_path):
    ckpts = lora_run / "checkpoints"
    for version, files in (("version_2", {"epoch=0-step=2.ckpt": "epoch=0-step=2.ckpt", "last.ckpt": "last.ckpt"}),
                           ("version_10", {"epoch=0-step=4.ckpt": "epoch=0-step=4.ckpt", "last.ckpt": "last.ckpt"})):
        (tmp_path / "run" / version / "checkpoints").mkdir(parents=True)
        for source, target in files.items():
            shutil.copy(ckpts / source, tmp_path / "run" / version / "checkpoints" / target)
    found = resolve([], [], [RunCheckpoints(str(tmp_path / "run"))])
    # version_10 sorts after version_2 by number (not by name), and its named step-4 file beats both last.ckpt.
    assert [(c.step, Path(c.model).parents[1].name, Path(c.model).name) for c in found] == [
        (2, "version_2", "epoch=0-step=2.ckpt"), (4, "version_10", "epoch=0-step=4.ckpt")]
    assert [c.name for c in found] == ["run-step2", "run-step4"]
