"""A generated set written where users evaluate: an HF datasets folder and an lm-evaluation-harness task folder."""

import json

import pytest
import yaml

from mathcamps.export import INSTRUCTION, save_dataset, write_lm_eval_task
from mathcamps.generate import generate_problems, main
from mathcamps.problem import Problem

STANDARDS = ["K.CC.C.7", "2.NBT.B.5", "5.NF.A.2", "8.EE.C.8"]


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return generate_problems(STANDARDS, 4, seed=11)


def test_datasets_folder_loads_back_with_every_record(problems, tmp_path):
    import datasets

    save_dataset(problems, tmp_path / "ds")
    loaded = datasets.load_from_disk(str(tmp_path / "ds"))
    assert list(loaded) == ["test"]
    rows = loaded["test"].to_list()
    assert [r["id"] for r in rows] == [p.id for p in problems]
    assert [Problem.from_json(r) for r in rows] == problems


def test_lm_eval_folder_has_a_task_yaml_and_prompts_with_the_turn_before(problems, tmp_path):
    path = write_lm_eval_task(problems, tmp_path / "mc-seed11")
    config = yaml.safe_load(path.read_text())
    assert path.name == "mathcamps_mc_seed11.yaml" and config["task"] == "mathcamps_mc_seed11"
    assert config["output_type"] == "generate_until" and config["test_split"] == "test"
    data = config["dataset_kwargs"]["data_files"]["test"]
    rows = [json.loads(line) for line in open(data, encoding="utf-8")]
    assert [r["id"] for r in rows] == [p.id for p in problems]
    by_id = {p.id: p for p in problems}
    for r in rows:
        p = by_id[r["id"]]
        assert r["answer"] == p.answer and r["prompt"].startswith(INSTRUCTION) and p.statement in r["prompt"]
        if p.followup_to:  # the original and its answer come first, as the turn before
            original = by_id[p.followup_to]
            assert r["prompt"].index(original.statement) < r["prompt"].index(p.statement)
            assert f"### Answer: {original.answer}" in r["prompt"]
    with pytest.raises(ValueError, match="need their originals"):
        write_lm_eval_task([p for p in problems if p.is_followup], tmp_path / "broken")


def test_lm_eval_loads_the_task_folder(problems, tmp_path):
    lm_eval_tasks = pytest.importorskip("lm_eval.tasks", reason="lm-eval is a benchmark extra (pip install .[bench])")
    folder = tmp_path / "mc"
    write_lm_eval_task(problems, folder)
    manager = lm_eval_tasks.TaskManager(include_path=str(folder))
    assert "mathcamps_mc" in manager.all_tasks
    task = lm_eval_tasks.get_task_dict(["mathcamps_mc"], manager)["mathcamps_mc"]
    docs = list(task.test_docs())
    assert len(docs) == len(problems) and task.doc_to_target(docs[0]) == problems[0].answer


def test_cli_writes_both_formats(tmp_path, capsys):
    import datasets

    args = ["--standards", "1.OA.A.1", "--per-standard", "3", "--seed", "4", "--no-solutions"]
    assert main([*args, "--format", "datasets", "--out", str(tmp_path / "ds")]) == 0
    assert len(datasets.load_from_disk(str(tmp_path / "ds"))["test"]) == len(generate_problems(["1.OA.A.1"], 3, 4))
    assert main([*args, "--format", "lm-eval", "--out", str(tmp_path / "task")]) == 0
    assert (tmp_path / "task" / "mathcamps_task.yaml").exists() and (tmp_path / "task" / "data" / "test.jsonl").exists()
    assert "wrote" in capsys.readouterr().out
