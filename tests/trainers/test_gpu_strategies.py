"""GPU-only settings, for a session that has a CUDA GPU: bf16-mixed training under FSDP with the probe on.

Skipped without CUDA. Not yet run anywhere: no GPU has been lent to a session that had this test.
"""

import json
import math

import pytest
import torch

from tests.trainers.fitting import logged, run_fit, tiny_run_config

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def probed_run(tmp_path, model_dir, strategy: str) -> list[dict]:
    config = tiny_run_config(tmp_path, model_dir, name=strategy, max_steps=4, every_n_steps=2, probe=True,
                             data={"packing": True},
                             trainer={"accelerator": "gpu", "devices": 1, "strategy": strategy,
                                      "precision": "bf16-mixed"})
    run_fit(config, timeout=900)
    losses = logged(tmp_path / strategy, "train/loss")
    assert sorted(losses) == [0, 1, 2, 3] and all(math.isfinite(v) for v in losses.values())
    path = tmp_path / strategy / "version_0" / "mathcamps" / "responses.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_fsdp_bf16_trains_and_probes_like_a_plain_gpu_run(tmp_path, tiny_model_dir):
    plain, fsdp = probed_run(tmp_path, tiny_model_dir, "auto"), probed_run(tmp_path, tiny_model_dir, "fsdp")
    assert {r["step"] for r in fsdp} == {r["step"] for r in plain} == {0, 2, 4}
    # Before any step the weights are the same, so the probe's answers are too.
    assert [(r["id"], r["response"]) for r in fsdp if r["step"] == 0] == \
        [(r["id"], r["response"]) for r in plain if r["step"] == 0]
