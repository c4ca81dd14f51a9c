"""End to end: a shortened quickstart through the CLI's `main([...])`, checking the files and logged values."""

import csv
import json
from pathlib import Path

import pytest
import yaml

from tests import wandb_reader
from tests.conftest import QUICK_STANDARDS
from trainers.fit import main

REPO = Path(__file__).resolve().parents[2]


def shortened_quickstart(tmp_path: Path, **model_overrides) -> Path:
    """configs/quickstart.yaml with its outputs under tmp_path and a tiny budget."""
    config = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())
    run_root = str(tmp_path / "runs")
    trainer = config["trainer"]
    trainer.update(max_steps=12, default_root_dir=run_root, log_every_n_steps=2)
    for logger in trainer["logger"]:
        logger["init_args"]["save_dir"] = run_root
    checkpoint, probe = trainer["callbacks"]
    checkpoint["init_args"]["every_n_train_steps"] = 6
    probe["init_args"].update(per_standard=3, max_new_tokens=12)
    config["model"]["scratch"].update(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64)
    config["model"].update({"model": str(tmp_path / "scratch-model"), **model_overrides})
    config["data"].update(per_standard=40, batch_size=8)
    path = tmp_path / "quickstart.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_shortened_quickstart_writes_and_logs_per_standard_accuracy(tmp_path):
    main(["--config", str(shortened_quickstart(tmp_path))])
    run_dir = tmp_path / "runs" / "version_0"

    # Probes at the baseline (step 0), at both checkpoints (6, 12) and at the end (12, not repeated).
    probes = [json.loads(line) for line in (run_dir / "mathcamps" / "probes.jsonl").read_text().splitlines()]
    assert [p["step"] for p in probes] == [0, 6, 12]
    assert all(set(p["acc"]) == set(QUICK_STANDARDS) for p in probes)
    responses = [json.loads(r) for r in (run_dir / "mathcamps" / "responses.jsonl").read_text().splitlines()]
    assert sum(r["turn"] == 0 for r in responses) == 3 * 3 * len(QUICK_STANDARDS)  # originals; follow-ups besides
    for row in responses[:5]:
        assert {"id", "standard", "response", "extracted", "correct", "step"} <= set(row)

    summary = json.loads((run_dir / "mathcamps" / "summary.json").read_text())
    assert [r["standard"] for r in summary["standards"]] == QUICK_STANDARDS  # ordered by grade
    for row in summary["standards"]:
        assert row["start"] == probes[0]["acc"][row["standard"]]
        assert row["end"] == probes[-1]["acc"][row["standard"]]
        assert row["change"] == pytest.approx(row["end"] - row["start"])

    assert sorted(p.name for p in (run_dir / "checkpoints").glob("*.ckpt")) == [
        "epoch=0-step=12.ckpt", "epoch=0-step=6.ckpt", "last.ckpt"]
    assert (run_dir / "config.yaml").exists()

    # The CSV logger holds the same per-standard values at the same steps.
    with open(run_dir / "metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r.get("mathcamps/acc/K.CC.C.7")]
    assert [int(r["step"]) for r in rows] == [0, 6, 12]
    for row, probe in zip(rows, probes, strict=True):
        for standard in QUICK_STANDARDS:
            assert float(row[f"mathcamps/acc/{standard}"]) == pytest.approx(probe["acc"][standard])
            delta = probe["acc"][standard] - probes[0]["acc"][standard]
            assert float(row[f"mathcamps/delta/{standard}"]) == pytest.approx(delta)

    # So does the W&B offline run, read back from its run file.
    (wandb_run,) = (tmp_path / "runs" / "wandb").glob("offline-run-*")
    logged = [h for h in wandb_reader.history(wandb_run) if "mathcamps/acc/K.CC.C.7" in h]
    assert [h["trainer/global_step"] for h in logged] == [0, 6, 12]
    for entry, probe in zip(logged, probes, strict=True):
        for standard in QUICK_STANDARDS:
            assert entry[f"mathcamps/acc/{standard}"] == pytest.approx(probe["acc"][standard])
    assert any("train/loss" in h for h in wandb_reader.history(wandb_run))


def test_unknown_config_key_fails_while_parsing_and_names_it(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--config", str(shortened_quickstart(tmp_path)), "--model.lerning_rate=0.1"])
    assert "lerning_rate" in capsys.readouterr().err


def test_wrong_type_fails_while_parsing_and_names_the_key(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--config", str(shortened_quickstart(tmp_path)), "--data.batch_size=many"])
    assert "batch_size" in capsys.readouterr().err


def test_missing_model_directory_is_one_line(tmp_path):
    config = shortened_quickstart(tmp_path, model=str(tmp_path / "no-such-model"), scratch=None)
    with pytest.raises(ValueError) as raised:  # `python -m trainers.fit` prints it as one `error:` line
        main(["--config", str(config)])
    message = str(raised.value)
    assert "no-such-model" in message and "does not exist" in message
    assert "\n" not in message
