"""Under DDP each rank probes a shard and rank 0 gathers: the result equals a single-process probe."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.trainers.test_fit_quickstart import REPO, shortened_quickstart


def probe_run(tmp_path: Path, model_dir: Path, devices: int) -> list[dict]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config_path = shortened_quickstart(tmp_path, model=str(model_dir), scratch=None)
    config = yaml.safe_load(config_path.read_text())
    config["trainer"].update(max_steps=2, devices=devices, strategy="ddp" if devices > 1 else "auto")
    config["trainer"]["callbacks"][1]["init_args"].update(followups=True, per_standard=5)
    config["data"]["batch_size"] = 4
    config_path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WANDB_MODE": "offline"}
    done = subprocess.run([sys.executable, "-m", "trainers.fit", "--config", str(config_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = (tmp_path / "runs" / "version_0" / "mathcamps" / "responses.jsonl").read_text().splitlines()
    return [json.loads(r) for r in rows]


def test_ddp_probe_matches_single_process(tmp_path, tiny_model_dir):
    single = probe_run(tmp_path / "single", tiny_model_dir, devices=1)
    ddp = probe_run(tmp_path / "ddp", tiny_model_dir, devices=2)
    baseline = [{k: r[k] for k in ("id", "response", "correct", "asked")} for r in single if r["step"] == 0]
    assert baseline == [{k: r[k] for k in ("id", "response", "correct", "asked")} for r in ddp if r["step"] == 0]
    # Every probe problem was answered once, whichever rank answered it.
    assert len({r["id"] for r in ddp if r["step"] == 0}) == len(baseline)
