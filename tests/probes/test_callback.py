"""The probe callback in a real (tiny) run: what it logs to W&B and CSV, what it writes, and that it never
stops training."""

import csv
import json
from pathlib import Path

import pytest
import yaml

from mathcamps.grammar.parse import structure_key
from probes.callback import MathCampsProbe
from probes.problemset import ProblemSet
from tests import wandb_reader
from tests.conftest import QUICK_STANDARDS
from tests.trainers.test_fit_quickstart import shortened_quickstart
from trainers.fit import main


def table_rows(wandb_run: Path, key: str) -> list[list]:
    """Every row logged to an INCREMENTAL W&B table, in logging order."""
    folder, name = (wandb_run / "files" / "media" / "table" / key).parent, Path(key).name
    files = sorted(folder.glob(f"{name}_*.table.json"), key=lambda p: int(p.name.split("_")[1]))
    return [row for f in files for row in json.loads(f.read_text())["data"]]


@pytest.fixture(scope="module")
def probed_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("probe")
    config_path = shortened_quickstart(tmp_path)
    config = yaml.safe_load(config_path.read_text())
    config["trainer"]["callbacks"][1]["init_args"].update(followups=True, per_standard=4)
    config_path.write_text(yaml.safe_dump(config))
    cli = main(["--config", str(config_path)])
    return tmp_path, cli


def test_each_probe_is_logged_to_csv_and_wandb_under_stable_keys(probed_run):
    tmp_path, cli = probed_run
    run_dir = tmp_path / "runs" / "version_0"
    probes = [json.loads(line) for line in (run_dir / "mathcamps" / "probes.jsonl").read_text().splitlines()]
    assert [p["step"] for p in probes] == [0, 6, 12]

    with open(run_dir / "metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r.get("mathcamps/acc/K.CC.C.7")]
    (wandb_run,) = (tmp_path / "runs" / "wandb").glob("offline-run-*")
    logged = [h for h in wandb_reader.history(wandb_run) if "mathcamps/acc/K.CC.C.7" in h]
    assert len(rows) == len(logged) == len(probes)
    for row, entry, probe in zip(rows, logged, probes, strict=True):
        assert int(row["step"]) == entry["trainer/global_step"] == probe["step"]
        for s in QUICK_STANDARDS:
            for key, value in ((f"mathcamps/acc/{s}", probe["acc"][s]), (f"mathcamps/delta/{s}", probe["delta"][s]),
                               (f"mathcamps/delta_prev/{s}", probe["delta_prev"][s])):
                assert float(row[key]) == pytest.approx(value) and entry[key] == pytest.approx(value)
        assert entry["mathcamps/gains"] == len(probe["gains"])
        assert entry["mathcamps/regressions"] == len(probe["regressions"])
        for grade, value in probe["by_grade"].items():
            assert entry[f"mathcamps/grade/{grade}"] == pytest.approx(value)
        assert "mathcamps/unextractable" in entry
        followup = probe["followups"]
        assert followup is not None
        if followup["given_original_right"]["acc"] is not None:
            assert entry["mathcamps/followup/given_original_right"] == pytest.approx(
                followup["given_original_right"]["acc"])
        assert entry["mathcamps/followup/all_right"] == pytest.approx(followup["all_followups_right"]["acc"])


def test_wandb_tables_accumulate_and_summary_holds_final_changes(probed_run):
    tmp_path, _ = probed_run
    (wandb_run,) = (tmp_path / "runs" / "wandb").glob("offline-run-*")
    rows = table_rows(wandb_run, "mathcamps/standards")
    # One row per standard per probe: earlier probes are kept, not overwritten.
    assert [(r[0], r[1]) for r in rows] == [(step, s) for step in (0, 6, 12) for s in QUICK_STANDARDS]
    samples = table_rows(wandb_run, "mathcamps/samples")
    assert {r[0] for r in samples} == {0, 6, 12}
    heatmaps = list((wandb_run / "files" / "media" / "images" / "mathcamps").glob("heatmap_*.png"))
    assert len(heatmaps) == 3
    summary = wandb_reader.summary(wandb_run)
    final = json.loads((tmp_path / "runs" / "version_0" / "mathcamps" / "summary.json").read_text())
    assert summary["mathcamps/final_gains"] == final["gains"]
    for row in final["standards"]:
        assert summary[f"mathcamps/final_change/{row['standard']}"] == pytest.approx(row["change"])


def test_probe_set_is_saved_and_disjoint_from_training(probed_run):
    tmp_path, cli = probed_run
    saved = [json.loads(line) for line in
             (tmp_path / "runs" / "version_0" / "mathcamps" / "problems.jsonl").read_text().splitlines()]
    probe = next(c for c in cli.trainer.callbacks if isinstance(c, MathCampsProbe))
    assert [p["id"] for p in saved] == [p.id for p in probe.problems]
    assert any(p["followup_to"] for p in saved)
    trained = {structure_key(p.structure) for p in cli.datamodule.problems()}
    assert not trained & {structure_key(p.structure) for p in probe.problems if not p.is_followup}


def test_probe_restores_train_mode_and_reuses_the_model_in_memory(probed_run):
    _, cli = probed_run
    model = cli.model.model
    probe = next(c for c in cli.trainer.callbacks if isinstance(c, MathCampsProbe))
    pointers = [p.data_ptr() for p in model.parameters()]
    model.train()
    probe.history = probe.history[:1]  # pretend the last step was not probed yet
    probe.probe(cli.trainer, cli.model)
    assert model.training
    assert [p.data_ptr() for p in model.parameters()] == pointers


def test_a_failing_wandb_never_stops_training(tmp_path, monkeypatch):
    import wandb

    def broken(*args, **kwargs):
        raise RuntimeError("W&B is down")

    monkeypatch.setattr(wandb, "Table", broken)
    with pytest.warns(UserWarning, match="W&B is down"):
        main(["--config", str(shortened_quickstart(tmp_path))])
    probes = (tmp_path / "runs" / "version_0" / "mathcamps" / "probes.jsonl").read_text().splitlines()
    assert len(probes) == 3  # every probe still written to the run directory


@pytest.mark.parametrize("bad, message", [
    ({"per_standard": 0}, "MathCampsProbe.per_standard must be >= 1, got 0"),
    ({"every_n_steps": 0}, "MathCampsProbe.every_n_steps must be >= 1, got 0"),
    ({"alpha": 0}, r"MathCampsProbe.alpha must be in \(0, 1\), got 0"),
    ({"alpha": 1}, r"MathCampsProbe.alpha must be in \(0, 1\), got 1"),
    ({"prompt": "fancy"}, "MathCampsProbe: prompt must be one of"),
    ({"standards": None}, "MathCampsProbe.standards must name at least one standard"),
    ({"time_budget_s": -1}, "MathCampsProbe.time_budget_s must be > 0, got -1"),
])
def test_bad_arguments_name_the_key_and_value(bad, message):
    with pytest.raises(ValueError, match=message):
        MathCampsProbe(**{"standards": ["K.CC.C.7"], **bad})
    with pytest.raises(ValueError, match="set MathCampsProbe.problems or MathCampsProbe.standards, not both"):
        MathCampsProbe(["K.CC.C.7"], problems=ProblemSet(standards=["K.CC.C.7"]))


class _FakeTrainer:
    """Just what `_answer_shard` reads of a trainer: rank, world size, strategy and the tokenizer."""

    def __init__(self, rank: int, world: int, strategy, tokenizer) -> None:
        self.global_rank, self.world_size, self.strategy = rank, world, strategy
        self.datamodule = type("Data", (), {"tokenizer": tokenizer})()


@pytest.mark.parametrize("fsdp", [False, True])
def test_ranks_split_the_probe_set_and_fsdp_gathers_the_parameters_first(tiny_model_dir, fsdp, monkeypatch):
    import contextlib

    from lightning.pytorch.strategies import DDPStrategy, FSDPStrategy
    from torch.distributed.fsdp import FullyShardedDataParallel

    from trainers.hf import load_model, load_tokenizer

    summoned = []  # FSDP itself needs GPUs: here, only that the probe asks for whole parameters, and of what

    @contextlib.contextmanager
    def summon(module, writeback=True):
        summoned.append((module, writeback))
        yield

    monkeypatch.setattr(FullyShardedDataParallel, "summon_full_params", summon)
    model, tokenizer = load_model(str(tiny_model_dir)), load_tokenizer(str(tiny_model_dir))
    module = type("Module", (), {"model": model})()
    probe = MathCampsProbe(["K.OA.A.5", "1.OA.A.1"], per_standard=3, max_new_tokens=4, followups=False)
    strategy = FSDPStrategy() if fsdp else DDPStrategy()
    answered = [{r.id for r in probe._answer_shard(_FakeTrainer(rank, 2, strategy, tokenizer), module)}
                for rank in (0, 1)]
    assert answered[0] | answered[1] == {p.id for p in probe.problems} and not answered[0] & answered[1]
    # Under FSDP each rank gathers the wrapped model's parameters, read only, around its answers.
    assert summoned == ([(strategy.model, False)] * 2 if fsdp else [])
