"""W&B logging that runs offline unless the user has credentials, and that never stops training.

W&B is a view on the run, not its record: the CSV log and the probe's JSONL files are. So this logger starts
its W&B run with a bounded timeout, and when it cannot (no key, no network, a dead service) it says so once and
falls back to offline mode, or, when that fails too, to no W&B at all. When W&B fails mid-run (its service
process dies, say), the failure is reported once and the run goes on with the other loggers.
"""

from __future__ import annotations

import contextlib
import netrc
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightning.pytorch.loggers import WandbLogger as _LightningWandbLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment
from lightning.pytorch.utilities import rank_zero_warn

INIT_TIMEOUT_S = 30.0


def wandb_credentials_present() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        return False


class NoWandb:
    """Stands in for the W&B run once there is none: every attribute, call and item is accepted and ignored,
    so code that reaches for `logger.experiment` (the probe's tables, say) goes on without W&B."""

    id = name = None

    def __getattr__(self, _: str) -> NoWandb:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __getitem__(self, _: Any) -> NoWandb:
        return self

    def __setitem__(self, *_: Any) -> None:
        pass

    def __bool__(self) -> bool:
        return False  # `if logger.experiment:` reads as "no run"


class WandbLogger(_LightningWandbLogger):
    """Lightning's `WandbLogger`, offline by default (online only when credentials are present), that never
    stops training: see the module docstring.

    An offline run writes `wandb/offline-run-*` under `save_dir`, which `wandb sync` uploads later.
    """

    def __init__(
        self,
        project: str = "mathcamps",
        name: str | None = None,
        save_dir: str = "runs",
        offline: bool | None = None,
        log_model: bool = False,
        init_timeout: float = INIT_TIMEOUT_S,
        id: str | None = None,
    ) -> None:
        """
        Args:
            project: W&B project.
            name: run name shown in W&B.
            save_dir: where the `wandb/` run directory is written.
            offline: force offline (true) or online (false); by default online only with credentials
                (`WANDB_API_KEY` or a `~/.netrc` entry for api.wandb.ai).
            log_model: upload checkpoints as W&B artifacts.
            init_timeout: seconds to wait for the W&B run to start before falling back to offline mode (W&B's own
                `init_timeout`; its network retries add about ten seconds).
            id: W&B run id; by default a new one. `python -m trainers.fit --ckpt_path ...` sets it to the id of
                the run it resumes, so that the W&B run resumes too.
        """
        if init_timeout <= 0:
            raise ValueError(f"WandbLogger init_timeout must be > 0, got {init_timeout}")
        if offline is None:
            offline = os.environ.get("WANDB_MODE") == "offline" or not wandb_credentials_present()
        # The id is chosen here, not by W&B, so that it is known (and checkpointed) even when W&B never starts.
        run_id = id or secrets.token_hex(4)
        super().__init__(project=project, name=name, save_dir=save_dir, offline=offline, log_model=log_model,
                         id=run_id, settings={"init_timeout": init_timeout})
        self._failed: str | None = None  # why W&B stopped, once it has

    @property
    def version(self) -> str:
        return self._id

    def resume_run(self, run_id: str) -> None:
        """Log to the W&B run `run_id` (resumed, not a new run); before the run has started."""
        if self._experiment is not None:
            raise RuntimeError("WandbLogger.resume_run: the W&B run has already started")
        self._id = self._wandb_init["id"] = run_id

    @property
    @rank_zero_experiment
    def experiment(self) -> Any:
        if self._experiment is None:
            self._experiment = self._start()
        return self._experiment

    def _start(self) -> Any:
        """The W&B run, started in the first mode that works: as configured, then offline, then none."""
        modes = ["offline"] if self._offline else [None, "offline"]  # None: as W&B's settings and env say
        problems = []
        for mode in modes:
            if mode is not None:
                self._wandb_init["mode"] = mode
                self._offline = mode == "offline"
            try:
                run = _LightningWandbLogger.experiment.fget(self)
            except Exception as error:  # noqa: BLE001 - W&B must never stop training
                problems.append(f"{mode or 'online'}: {type(error).__name__}: {_first_line(error)}")
                _reset_wandb()  # a failed start can hold the run id in W&B's service; the next try needs it free
                continue
            if problems:
                rank_zero_warn(f"W&B could not start ({'; '.join(problems)}); logging offline to "
                               f"{Path(run.dir).parent} instead (`wandb sync` uploads it later)")
            return run
        self._failed = "; ".join(problems)
        rank_zero_warn(f"W&B could not start ({self._failed}); this run goes on without W&B (the CSV log and the "
                       f"probe's files still record everything)")
        return NoWandb()

    def _guarded(self, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run a logging call; the first failure turns W&B off for the rest of the run, with one warning."""
        if self._failed:
            return
        try:
            call(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - W&B must never stop training
            self._failed = f"{type(error).__name__}: {_first_line(error)}"
            self._experiment = NoWandb()
            _reset_wandb()
            rank_zero_warn(f"W&B failed while {what} ({self._failed}); the run goes on without W&B, with the "
                           f"other loggers")

    def log_hyperparams(self, params: Any) -> None:
        self._guarded("logging hyperparameters", super().log_hyperparams, params)

    def log_metrics(self, metrics: Any, step: int | None = None) -> None:
        self._guarded("logging metrics", super().log_metrics, metrics, step)

    def log_table(self, *args: Any, **kwargs: Any) -> None:
        self._guarded("logging a table", super().log_table, *args, **kwargs)

    def log_text(self, *args: Any, **kwargs: Any) -> None:
        self._guarded("logging text", super().log_text, *args, **kwargs)

    def log_image(self, *args: Any, **kwargs: Any) -> None:
        self._guarded("logging an image", super().log_image, *args, **kwargs)

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        self._guarded("noting a checkpoint", super().after_save_checkpoint, checkpoint_callback)

    def finalize(self, status: str) -> None:
        self._guarded("finishing", super().finalize, status)


def finish_wandb(loggers: list[Any]) -> None:
    """Close the W&B run of this process, if any, so that its file is complete and a second fit in the same
    process starts a new run. A W&B failure here is reported, never raised: the run itself is done. A run whose
    W&B failed earlier was shut down then, and its failure reported once."""
    import sys

    wandb = sys.modules.get("wandb")
    if wandb is None or wandb.run is None or any(isinstance(lg, WandbLogger) and lg._failed for lg in loggers):
        return
    try:
        wandb.finish()
    except Exception as error:  # noqa: BLE001 - training is over; W&B must not turn it into a failure
        rank_zero_warn(f"W&B failed while closing the run ({type(error).__name__}: {_first_line(error)})")


def _reset_wandb() -> None:
    """Shut W&B's service down after a failure, so that a next start begins afresh and no dead connection is left
    for W&B's exit handler to trip over. Its own errors say nothing new: the failure was already reported."""
    import wandb

    with contextlib.suppress(Exception):
        wandb.teardown()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else "no message"
