"""Helpers for tests that run `trainers.fit`: a tiny run's config, the CLI as a subprocess, logged losses."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
STANDARDS = ["K.OA.A.5", "1.OA.A.1", "2.NBT.B.7"]


def tiny_run_config(tmp_path: Path, model_dir: Path, *, name: str = "run", max_steps: int = 12,
                    every_n_steps: int = 4, model: dict | None = None, data: dict | None = None,
                    trainer: dict | None = None, probe: bool = False) -> Path:
    """A YAML config for a few steps of the tiny model, logging the loss at every step to CSV."""
    root = tmp_path / name
    callbacks = [{"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
                  "init_args": {"every_n_train_steps": every_n_steps, "save_last": True, "save_top_k": -1}}]
    if probe:
        callbacks.append({"class_path": "probes.callback.MathCampsProbe",
                          "init_args": {"standards": STANDARDS, "per_standard": 2, "max_new_tokens": 8}})
    config = {
        "seed_everything": 0,
        "trainer": {"accelerator": "cpu", "devices": 1, "max_steps": max_steps, "log_every_n_steps": 1,
                    "default_root_dir": str(root), "enable_model_summary": False, "enable_progress_bar": False,
                    "num_sanity_val_steps": 0,
                    "logger": [{"class_path": "lightning.pytorch.loggers.CSVLogger",
                                "init_args": {"save_dir": str(root), "name": ""}}],
                    "callbacks": callbacks, **(trainer or {})},
        "model": {"model": str(model_dir), "learning_rate": 0.003, "warmup_steps": 2, **(model or {})},
        "data": {"standards": STANDARDS, "per_standard": 40, "seed": 0, "batch_size": 8, "max_seq_len": 128,
                 **(data or {})},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def fit_env() -> dict[str, str]:
    """Environment for `python -m trainers.fit` in a subprocess: this checkout first on the path, one thread."""
    env = dict(os.environ, OMP_NUM_THREADS="1", WANDB_MODE="offline", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


def fit_command(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "trainers.fit", "--config", str(config), *extra]


def run_fit(config: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(fit_command(config, *extra), cwd=REPO, env=fit_env(), capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def logged(run_root: Path, key: str, version: int | None = None) -> dict[int, float]:
    """`key` by step, from a run's CSV log (the latest version unless given)."""
    versions = sorted(run_root.glob("version_*"), key=lambda p: int(p.name.split("_")[1]))
    run_dir = versions[-1] if version is None else run_root / f"version_{version}"
    with open(run_dir / "metrics.csv") as f:
        return {int(r["step"]): float(r[key]) for r in csv.DictReader(f) if r.get(key)}


def kill_after_first_checkpoint(config: Path, run_root: Path) -> int:
    """Start `python -m trainers.fit`, SIGKILL it once `last.ckpt` is written, and return that checkpoint's step."""
    import signal
    import time

    import torch

    process = subprocess.Popen(fit_command(config), cwd=REPO, env=fit_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    last = run_root / "version_0" / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not last.exists():
        assert process.poll() is None, f"the fit ended before its first checkpoint: {process.stderr.read()[-3000:]}"
        assert time.monotonic() < deadline, "no checkpoint within 240 s"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    return torch.load(last, map_location="cpu", weights_only=False)["global_step"]  # the file is written atomically

