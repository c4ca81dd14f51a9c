"""W&B logging that runs offline unless the user has credentials."""

from __future__ import annotations

import netrc
import os

from lightning.pytorch.loggers import WandbLogger as _LightningWandbLogger


def wandb_credentials_present() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        return False


class WandbLogger(_LightningWandbLogger):
    """Lightning's `WandbLogger`, offline by default: online only when credentials are present.

    An offline run writes `wandb/offline-run-*` under `save_dir`, which `wandb sync` uploads later.
    """

    def __init__(
        self,
        project: str = "mathcamps",
        name: str | None = None,
        save_dir: str = "runs",
        offline: bool | None = None,
        log_model: bool = False,
    ) -> None:
        """
        Args:
            project: W&B project.
            name: run name shown in W&B.
            save_dir: where the `wandb/` run directory is written.
            offline: force offline (true) or online (false); by default online only with credentials
                (`WANDB_API_KEY` or a `~/.netrc` entry for api.wandb.ai).
            log_model: upload checkpoints as W&B artifacts.
        """
        if offline is None:
            offline = os.environ.get("WANDB_MODE") == "offline" or not wandb_credentials_present()
        super().__init__(project=project, name=name, save_dir=save_dir, offline=offline, log_model=log_model)
