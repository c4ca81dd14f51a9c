"""Distributed training through Lightning strategies: DDP on 2 CPU processes (gloo) takes the same steps as one
process with the same global batch; strategies that need a GPU say so on CPU."""

import pytest
from safetensors.torch import load_file

from tests.trainers.fitting import logged, run_fit, tiny_run_config
from trainers.fit import gpu_only_problem, main

STEPS = 6


def test_ddp_on_two_cpu_processes_matches_one_process_with_the_same_global_batch(tmp_path, tiny_model_dir):
    common = {"max_steps": STEPS, "every_n_steps": STEPS}
    one = tiny_run_config(tmp_path, tiny_model_dir, name="one", data={"batch_size": 8}, **common)
    two = tiny_run_config(tmp_path, tiny_model_dir, name="two", data={"batch_size": 4},
                          trainer={"strategy": "ddp", "devices": 2}, **common)
    main(["--config", str(one)])  # the one-process reference runs in this process
    run_fit(two)  # DDP launches its second process by re-running the command, so it needs a CLI subprocess

    single, ddp = logged(tmp_path / "one", "train/loss"), logged(tmp_path / "two", "train/loss")
    assert sorted(single) == sorted(ddp) == list(range(STEPS))
    assert [ddp[s] for s in range(STEPS)] == pytest.approx([single[s] for s in range(STEPS)], rel=1e-4)
    assert logged(tmp_path / "two", "train/tokens_seen") == logged(tmp_path / "one", "train/tokens_seen")
    # The weights after the last step agree too (read from each run's HF export).
    a = load_file(tmp_path / "one" / "version_0" / "hf" / f"step-{STEPS}" / "model.safetensors")
    b = load_file(tmp_path / "two" / "version_0" / "hf" / f"step-{STEPS}" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key] - b[key]).abs().max() < 1e-4, key


def test_a_gpu_only_strategy_on_cpu_says_so_in_one_line(tmp_path, tiny_model_dir):
    config = tiny_run_config(tmp_path, tiny_model_dir, trainer={"strategy": "fsdp", "precision": "bf16-mixed"})
    with pytest.raises(ValueError) as raised:  # `python -m trainers.fit` prints it as one `error:` line
        main(["--config", str(config)])
    message = str(raised.value)
    assert message.startswith("trainer.strategy='fsdp' needs CUDA GPUs (accelerator: cpu)")
    assert "\n" not in message


@pytest.mark.parametrize("strategy", ["fsdp", "deepspeed", "deepspeed_stage_3_offload", "FSDPStrategy",
                                      {"class_path": "lightning.pytorch.strategies.DeepSpeedStrategy"}])
def test_gpu_only_strategies_are_named_whether_strings_or_class_paths(strategy):
    message = gpu_only_problem({"strategy": strategy, "accelerator": "cpu"})
    assert message is not None and "needs CUDA GPUs" in message and "accelerator: cpu" in message


@pytest.mark.parametrize("strategy", ["ddp", "auto", None, {"class_path": "lightning.pytorch.strategies.DDPStrategy"}])
def test_cpu_strategies_pass(strategy):
    assert gpu_only_problem({"strategy": strategy, "accelerator": "cpu"}) is None
