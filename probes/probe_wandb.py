"""The probe's extras on W&B: an accumulating standards table, a standard x step heatmap, sample responses
and a run summary of the final gains and regressions.

Every call here is best effort: a W&B failure is reported as a warning and never stops training.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import lightning as L
from lightning.pytorch.loggers import WandbLogger

from mathcamps.problem import grade_order
from probes.engine import Record
from probes.probe_results import ProbeResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from probes.callback import MathCampsProbe

STANDARD_COLUMNS = ["step", "standard", "grade", "accuracy", "delta", "delta_prev", "p_value", "significant"]
SAMPLE_COLUMNS = ["step", "id", "standard", "type", "prompt", "response", "expected", "extracted", "correct"]


def _wandb_logger(trainer: L.Trainer) -> WandbLogger | None:
    return next((lg for lg in trainer.loggers if isinstance(lg, WandbLogger)), None)


def heatmap(history: list[ProbeResult]) -> Figure:
    """The standards x steps accuracy heatmap of the probes so far, standards ordered by grade."""
    from probes.figures import heatmap as draw

    curves = {s: [(h.step, h.acc[s]) for h in history if s in h.acc] for s in grade_order(history[0].acc)}
    return draw(curves, [h.step for h in history], "MathCAMPS probe: accuracy per standard and step")


def _best_effort(what: str, fn, *args: Any) -> None:
    try:
        fn(*args)
    except Exception as error:  # noqa: BLE001 - logging must never stop training
        warnings.warn(f"MathCampsProbe: W&B {what} failed and was skipped: {error}", stacklevel=2)


def log_probe(trainer: L.Trainer, probe: MathCampsProbe, result: ProbeResult, records: list[Record]) -> None:
    logger = _wandb_logger(trainer)
    if logger is not None:
        _best_effort("probe logging", _log_probe, logger, probe, result, records)


def _log_probe(logger: WandbLogger, probe: MathCampsProbe, result: ProbeResult, records: list[Record]) -> None:
    import matplotlib.pyplot as plt
    import wandb

    tables = probe._wandb_tables
    if "standards" not in tables:
        # INCREMENTAL: each log adds this probe's rows, so earlier probes are never overwritten.
        tables["standards"] = wandb.Table(columns=STANDARD_COLUMNS, log_mode="INCREMENTAL")
        tables["samples"] = wandb.Table(columns=SAMPLE_COLUMNS, log_mode="INCREMENTAL")
    for s in grade_order(result.acc):
        significant = "gain" if s in result.gains else "regression" if s in result.regressions else ""
        tables["standards"].add_data(result.step, s, s.split(".")[0], result.acc[s], result.delta[s],
                                     result.delta_prev[s], result.p_values.get(s), significant)
    for r in records[: probe.sample_responses]:
        tables["samples"].add_data(result.step, r.id, r.standard, r.type, r.prompt, r.response, r.expected,
                                   r.extracted, r.correct)
    figure = heatmap(probe.history)
    logger.experiment.log({"mathcamps/standards": tables["standards"], "mathcamps/samples": tables["samples"],
                           "mathcamps/heatmap": wandb.Image(figure), "trainer/global_step": result.step})
    plt.close(figure)


def log_summary(trainer: L.Trainer, report: dict[str, Any]) -> None:
    logger = _wandb_logger(trainer)
    if logger is not None:
        _best_effort("summary", _log_summary, logger, report)


def _log_summary(logger: WandbLogger, report: dict[str, Any]) -> None:
    summary = logger.experiment.summary
    summary["mathcamps/final_gains"] = report["gains"]
    summary["mathcamps/final_regressions"] = report["regressions"]
    for row in report["standards"]:
        summary[f"mathcamps/final_change/{row['standard']}"] = row["change"]
