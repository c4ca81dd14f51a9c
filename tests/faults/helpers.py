"""Shared pieces of the fault suite: faults injected into a fit from its config, and checks of a CLI's ending."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import lightning as L
import psutil

from tests.trainers.fitting import REPO, fit_env


class KillAt(L.Callback):
    """SIGKILLs the fit after batch `step` (once: it leaves `marker` behind, so the resumed fit runs on)."""

    def __init__(self, step: int, marker: str) -> None:
        self.step, self.marker = step, Path(marker)

    def on_train_batch_end(self, trainer: L.Trainer, *args) -> None:
        if trainer.global_step == self.step and not self.marker.exists():
            self.marker.write_text(str(self.step))
            os.kill(os.getpid(), signal.SIGKILL)


class KillWandbService(L.Callback):
    """Kills W&B's service processes (children of this process named wandb-*) after batch `step`, and writes
    the names of the processes it killed to `report`."""

    def __init__(self, step: int, report: str) -> None:
        self.step, self.report = step, Path(report)

    def on_train_batch_end(self, trainer: L.Trainer, *args) -> None:
        if trainer.global_step != self.step:
            return
        killed = []
        for child in psutil.Process().children(recursive=True):
            if child.name().startswith("wandb"):
                killed.append(child.name())
                child.kill()
                child.wait(timeout=10)
        self.report.write_text("\n".join(killed))


def run_module(module: str, *args: str, env: dict[str, str] | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m module args...` from the checkout, as a user runs it."""
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=env or fit_env(), capture_output=True,
                          text=True, timeout=timeout)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The single `error: ...` line a CLI ended with (exit status 2, no traceback), without its prefix."""
    assert result.returncode == 2, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert result.stderr.rstrip().endswith(errors[0]), "the error is the last thing printed"
    return errors[0].removeprefix("error: ")


class FailAtStart(L.Callback):
    """Raises as training starts, after Lightning has set up the run folder: a failed attempt."""

    def on_train_start(self, trainer: L.Trainer, *args) -> None:
        raise RuntimeError("injected failure at the start of training")
