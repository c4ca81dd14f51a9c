"""Writing a generated set where users evaluate: an HF `datasets` folder, or an lm-evaluation-harness task folder.

    python -m mathcamps.generate --standards all --per-standard 50 --seed 7 --format datasets --out data/mc-seed7
    python -m mathcamps.generate --standards all --per-standard 50 --seed 7 --format lm-eval --out tasks/mc-seed7
    lm_eval --model hf --model_args pretrained=... --include_path tasks/mc-seed7 --tasks mathcamps_seed7

A fresh seed is a fresh, contamination-free set. The datasets folder (`datasets.load_from_disk`) has one `test`
split with the problem records, ready for `push_to_hub`. The task folder holds `<task>.yaml` and `data/test.jsonl`;
each row carries its prompt: the problem, and for a follow-up the original problem and its answer as the turn
before. The YAML names the data file by its absolute path (lm-eval reads `data_files` from the working directory),
so export again after moving the folder. Its metric is an exact match of the `### Answer:` line; for the
project's own grading, score the responses with `python -m probes.grade`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from mathcamps.problem import Problem

Format = Literal["jsonl", "datasets", "lm-eval"]
FORMATS: tuple[Format, ...] = ("jsonl", "datasets", "lm-eval")
INSTRUCTION = "Solve the problem. Finish with a last line of the form '### Answer: <your answer>'."


def records(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """The problems as flat rows with the same columns (missing values as None), in order."""
    return [p.to_json() for p in problems]


def save_dataset(problems: Sequence[Problem], out: Path) -> Path:
    """`problems` as a `datasets.DatasetDict` with one `test` split, saved with `save_to_disk` under `out`."""
    import datasets

    ds = datasets.Dataset.from_list(records(problems))
    datasets.DatasetDict({"test": ds}).save_to_disk(str(out))
    return out


def prompt_of(problem: Problem, by_id: dict[str, Problem]) -> str:
    """The text an lm-eval model sees: the instruction, the earlier turn for a follow-up, the problem."""
    turns = [INSTRUCTION, ""]
    if problem.followup_to is not None:
        original = by_id[problem.followup_to]
        turns += [f"Problem: {original.statement}", f"### Answer: {original.answer}", ""]
    turns += [f"Problem: {problem.statement}", ""]
    return "\n".join(turns)


def write_lm_eval_task(problems: Sequence[Problem], out: Path, task: str | None = None) -> Path:
    """An lm-evaluation-harness task folder for `problems`: `<task>.yaml` and `data/test.jsonl`; returns the YAML."""
    task = task or "mathcamps_" + out.name.replace("-", "_")
    if not task.replace("_", "").isalnum():
        raise ValueError(f"task name must be letters, digits and underscores, got {task!r}")
    by_id = {p.id: p for p in problems}
    missing = sorted({p.followup_to for p in problems if p.followup_to and p.followup_to not in by_id})
    if missing:
        raise ValueError(f"follow-ups need their originals in the set; missing {missing[:3]}")
    data = out / "data" / "test.jsonl"
    data.parent.mkdir(parents=True, exist_ok=True)
    with data.open("w", encoding="utf-8") as f:
        for p in problems:
            row = {"id": p.id, "standard": p.standard, "type": p.type, "prompt": prompt_of(p, by_id)}
            f.write(json.dumps(row | {"answer": p.answer}, ensure_ascii=False) + "\n")
    yaml = out / f"{task}.yaml"
    yaml.write_text(_TASK_YAML.format(task=task, data=json.dumps(str(data.resolve()))), encoding="utf-8")
    return yaml


_TASK_YAML = """\
# A MathCAMPS problem set written by `python -m mathcamps.generate --format lm-eval`.
# The data file is named by its absolute path: export again after moving this folder.
task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{prompt}}}}"
doc_to_target: "{{{{answer}}}}"
target_delimiter: ""
generation_kwargs:
  until: ["\\nProblem:"]
  max_gen_toks: 1000
  do_sample: false
filter_list:
  - name: answer-line
    filter:
      - function: regex
        regex_pattern: "### Answer:\\\\s*(.+)"
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    ignore_punctuation: false
metadata:
  version: 1.0
"""
