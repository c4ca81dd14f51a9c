"""Hold-out over every source: MathCAMPS rows by id, text and structure; JSONL rows by 13-word overlap; a fit
asks its callbacks through the `HoldsOut` protocol and reports what it dropped."""

import ast
import json
import logging
from pathlib import Path

import yaml

from mathcamps.generate import generate_problems
from mathcamps.problem import Problem
from probes.callback import MathCampsProbe
from tests.trainers.fitting import STANDARDS, tiny_run_config
from trainers.fit import main
from trainers.holdout import HoldOut, HoldsOut

REPO = Path(__file__).resolve().parents[2]


def test_problems_are_dropped_by_id_text_and_structure_and_counted():
    probe = generate_problems(["K.OA.A.5"], 3, seed=7, followups=False)
    hold = HoldOut()
    hold.add(probe)
    same_id = Problem(probe[0].id, "K.OA.A.5", "something else entirely", "1")
    same_text = Problem("x-1", "K.OA.A.5", "  " + probe[1].statement.upper() + " ", "1")
    same_structure = Problem("x-2", "K.OA.A.5", "other words", "1", structure=probe[2].structure)
    fresh = generate_problems(["3.OA.C.7"], 2, seed=1, followups=False)
    kept = hold.keep_problems([same_id, same_text, same_structure, *fresh])
    assert kept == fresh
    assert hold.dropped == {"id": 1, "text": 1, "structure": 1, "ngram": 0}


def test_thirteen_word_overlap_and_whole_short_statements():
    long = "Gene has five beach towels but his younger brother takes two of them to the pool today. How many?"
    hold = HoldOut()
    hold.add([Problem("a", "K.OA.A.5", long, "3"), Problem("b", "K.OA.A.5", "What is 4 + 1?", "5")])
    words = long.split()
    assert hold.overlapping("Intro text. " + " ".join(words[2:15]) + " and more")  # 13 words in a row
    assert not hold.overlapping(" ".join(words[2:14]))  # 12 are not enough
    assert hold.overlapping("Q: what is 4 + 1? A: 5") and not hold.overlapping("what is 4 - 1?")


def test_the_fit_finds_hold_outs_through_a_protocol_not_the_probe_class():
    tree = ast.parse((REPO / "trainers" / "fit.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.startswith("probes") for m in imported)
    assert isinstance(MathCampsProbe(["K.OA.A.5"]), HoldsOut)


def test_a_training_jsonl_with_three_probe_statements_loses_exactly_those_rows(tmp_path, tiny_model_dir, caplog):
    config_path = tiny_run_config(tmp_path, tiny_model_dir, max_steps=1, every_n_steps=1, probe=True)
    config = yaml.safe_load(config_path.read_text())
    probe_args = config["trainer"]["callbacks"][1]["init_args"]
    probe_args.update(max_new_tokens=2, followups=False)
    probe = MathCampsProbe(**probe_args)
    statements = [p.statement for p in probe.problems[:3]]
    rows = [{"messages": [{"role": "user", "content": s}, {"role": "assistant", "content": "### Answer: 1"}]}
            for s in statements]
    rows += [{"instruction": f"Name a number bigger than {i}.", "output": f"### Answer: {i + 1}"} for i in range(5)]
    data = tmp_path / "mine.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config["data"].update(jsonl=[str(data)], per_standard=10)
    config_path.write_text(yaml.safe_dump(config))

    with caplog.at_level(logging.INFO):
        cli = main(["--config", str(config_path)])
    datamodule = cli.datamodule
    assert datamodule.held_out.overlaps == 3
    chats = [c for c in datamodule.conversations() if c[0]["content"] in statements or "bigger" in c[0]["content"]]
    assert [c[0]["content"] for c in chats] == [r["instruction"] for r in rows[3:]]  # the other five are kept
    generated = generate_problems(STANDARDS, 10, 0, followups=False)
    dropped = datamodule.held_out.dropped
    assert len(datamodule.problems()) == len(generated) - dropped["id"] - dropped["text"] - dropped["structure"]
    report = next(r.getMessage() for r in caplog.records if "hold-out:" in r.getMessage())
    assert f"{len(probe.problems)} evaluation problems kept out" in report
    assert "3 JSONL conversations share a 13-word span with them, dropped" in report
