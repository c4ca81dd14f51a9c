"""W&B never stops training (#18): a fake key without network, online mode without a key, W&B failing entirely,
and its service killed mid-fit. Each fit ends normally with its CSV complete, and W&B's trouble said once."""

import csv
import time
from pathlib import Path

import pytest
import yaml

from tests.faults.helpers import run_module
from tests.trainers.fitting import fit_command, fit_env, tiny_run_config
from trainers.logging import NoWandb, WandbLogger, finish_wandb

STEPS = 8
FAKE_KEY = "0" * 40


def wandb_config(tmp_path: Path, model_dir: Path, wandb: dict, callbacks: list | None = None) -> Path:
    """A tiny fit logging to CSV and to W&B with `wandb` as its init_args."""
    config = tiny_run_config(tmp_path, model_dir, max_steps=STEPS, every_n_steps=4)
    data = yaml.safe_load(config.read_text())
    data["trainer"]["logger"].append({"class_path": "trainers.logging.WandbLogger",
                                      "init_args": {"save_dir": str(tmp_path / "run"), **wandb}})
    data["trainer"]["callbacks"] += callbacks or []
    config.write_text(yaml.safe_dump(data))
    return config


def logged_steps(run_root: Path) -> list[int]:
    with open(run_root / "version_0" / "metrics.csv", newline="") as f:
        return sorted(int(r["step"]) for r in csv.DictReader(f) if r.get("train/loss"))


def fit_ok(config: Path, env: dict[str, str]):
    result = run_module("trainers.fit", *fit_command(config)[3:], env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def online_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The fit's environment with W&B free to go online: no offline mode, no key, no ~/.netrc."""
    env = fit_env()
    for key in ("WANDB_MODE", "WANDB_API_KEY"):
        env.pop(key, None)
    return env | {"HOME": str(tmp_path / "home"), **extra}


def test_a_fake_key_without_network_falls_back_to_offline_within_the_timeout(tmp_path, tiny_model_dir):
    # No network here (or, with one, a key that the server refuses): W&B cannot start online.
    config = wandb_config(tmp_path, tiny_model_dir, {"init_timeout": 2})
    started = time.monotonic()
    result = fit_ok(config, online_env(tmp_path, WANDB_API_KEY=FAKE_KEY))
    assert time.monotonic() - started < 120  # W&B's own default waits about 110 s before failing
    assert result.stderr.count("UserWarning: W&B could not start") == 1, result.stderr[-3000:]
    assert "online: CommError" in result.stderr and "logging offline to" in result.stderr
    assert logged_steps(tmp_path / "run") == list(range(STEPS))
    assert len(list((tmp_path / "run" / "wandb").glob("offline-run-*/run-*.wandb"))) == 1


def test_online_mode_without_a_key_falls_back_to_offline(tmp_path, monkeypatch):
    for key in ("WANDB_MODE", "WANDB_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.netrc either
    logger = WandbLogger(save_dir=str(tmp_path), offline=False, init_timeout=2)
    with pytest.warns(UserWarning) as warned:
        logger.log_metrics({"train/loss": 1.0}, step=0)
    messages = [str(w.message) for w in warned if "W&B" in str(w.message)]
    assert len(messages) == 1 and messages[0].startswith("W&B could not start (online: UsageError"), messages
    assert "logging offline to" in messages[0] and logger._offline
    finish_wandb([logger])
    (run,) = (tmp_path / "wandb").glob("offline-run-*")
    assert run.name.endswith(logger.version)


def test_when_offline_fails_too_the_run_goes_on_without_wandb(tmp_path, monkeypatch):
    import wandb

    def broken(**kwargs):
        raise OSError(f"cannot start W&B in mode {kwargs.get('mode')}")

    monkeypatch.setattr(wandb, "init", broken)
    logger = WandbLogger(save_dir=str(tmp_path), offline=True)
    with pytest.warns(UserWarning, match=r"W&B could not start \(offline: OSError: cannot start W&B in mode offline"
                                         r"\); this run goes on without W&B") as warned:
        logger.log_hyperparams({"lr": 0.1})
        logger.log_metrics({"train/loss": 1.0}, step=0)
        logger.experiment.summary["x"] = 1  # what the probe does with the run: accepted, and ignored
    assert len([w for w in warned if "W&B" in str(w.message)]) == 1
    assert isinstance(logger.experiment, NoWandb) and logger.version  # the run id is known all the same


def test_the_wandb_service_killed_mid_fit_leaves_training_running(tmp_path, tiny_model_dir):
    # In a process of its own: W&B's client keeps process-wide state that a killed service leaves unusable.
    kill = {"class_path": "tests.faults.helpers.KillWandbService",
            "init_args": {"step": 4, "report": str(tmp_path / "killed")}}
    config = wandb_config(tmp_path, tiny_model_dir, {"offline": True}, [kill])
    result = fit_ok(config, fit_env())
    assert "wandb-core" in (tmp_path / "killed").read_text().split()
    assert result.stderr.count("UserWarning: W&B failed while") == 1, result.stderr[-3000:]
    assert "ConnectionResetError" in result.stderr and "the run goes on without W&B" in result.stderr
    assert "Traceback" not in result.stderr  # nor from W&B's exit handler
    assert logged_steps(tmp_path / "run") == list(range(STEPS))
    assert (tmp_path / "run" / "version_0" / "checkpoints" / f"epoch=0-step={STEPS}.ckpt").is_file()
