"""Orchestration: selection, follow-ups in dialogue after a correct original, resuming, the probe's entry point."""

import pytest

from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL, Problem
from probes.backends import Completion, GenerationSettings, stop_point
from probes.engine import Record, SelectionError, run, select
from probes.prompts import make_prompter


def problem_set() -> list[Problem]:
    """Two standards; originals answered right (`-0`, `-2`) or wrong (`-1`) by `ScriptedBackend`, with follow-ups."""
    problems = []
    for std in ("K.OA.A.5", "3.OA.C.7"):
        for i in range(3):
            oid = f"{std}-{i}-0"
            problems.append(Problem(oid, std, f"Q {oid}", str(10 + i)))
            problems.append(Problem(f"{std}-{i}-1", std, f"F {std}-{i}-1", "7", INCREMENTAL, oid))
            problems.append(Problem(f"{std}-{i}-2", std, f"F {std}-{i}-2", "8", COUNTERFACTUAL, oid))
    return problems


class ScriptedBackend:
    """Answers originals `-0`/`-2` right and `-1` wrong; follow-ups `-1` right and `-2` wrong. Logs each call."""

    settings = GenerationSettings()

    def __init__(self):
        self.calls: list[list[str]] = []

    def generate(self, prompts):
        self.calls.append(prompts)
        for i in reversed(range(len(prompts))):  # out of order, as finished rows are
            last = prompts[i].rsplit("<|user|>\n", 1)[-1].split("\n")[0]  # the statement being asked
            kind, pid = last.split(" ")
            n = int(pid.split("-")[-2]) if kind == "Q" else int(pid.split("-")[-1])
            if kind == "Q":
                answer = str(10 + n) if n != 1 else "wrong"
            else:
                answer = "7" if n == 1 else "wrong"
            yield i, Completion(f"working for {pid}\n### Answer: {answer}", 5, 3, "answer-line")


@pytest.fixture(scope="module")
def prompter(tiny_model_dir):
    from transformers import AutoTokenizer

    return make_prompter("chat", AutoTokenizer.from_pretrained(tiny_model_dir))


def test_select_limits_originals_per_standard_and_keeps_their_followups():
    chosen = select(problem_set(), limit=2)
    assert [p.id for p in chosen if not p.is_followup] == ["K.OA.A.5-0-0", "K.OA.A.5-1-0", "3.OA.C.7-0-0",
                                                           "3.OA.C.7-1-0"]
    assert len(chosen) == 12
    assert chosen[1].followup_to == chosen[0].id  # each original directly followed by its follow-ups
    assert all(not p.is_followup for p in select(problem_set(), followups=False))


@pytest.mark.parametrize("problems, limit", [([], None), ([Problem("x-0-1", "K.OA.A.5", "s", "1", INCREMENTAL,
                                                                   "x-0-0")], None), (problem_set(), 0)])
def test_select_refuses_an_empty_selection(problems, limit):
    with pytest.raises(SelectionError, match="no original|limit"):
        select(problems, limit)


def test_followups_asked_only_after_a_correct_original_in_the_same_conversation(prompter):
    backend, seen = ScriptedBackend(), []
    records = run(backend, prompter, problem_set(), on_record=seen.append)
    assert len(backend.calls) == 2  # one call for the originals, one for all follow-ups across problems
    assert len(backend.calls[1]) == 8  # 2 standards x 2 right originals x 2 follow-ups
    by_id = {r.id: r for r in records}
    assert [r.id for r in records] == [p.id for p in problem_set()]
    assert len(seen) == len(records)
    for std in ("K.OA.A.5", "3.OA.C.7"):
        assert by_id[f"{std}-0-0"].correct and not by_id[f"{std}-1-0"].correct
        assert by_id[f"{std}-0-1"].correct and by_id[f"{std}-0-1"].asked and by_id[f"{std}-0-1"].turn == 1
        assert not by_id[f"{std}-0-2"].correct and by_id[f"{std}-0-2"].asked
        skipped = by_id[f"{std}-1-1"]
        assert not skipped.asked and not skipped.correct and skipped.prompt == "" and skipped.rule == "not-asked"
    followup_prompt = by_id["K.OA.A.5-2-2"].prompt
    # The dialogue: the original question, the model's own full response to it, then the follow-up.
    assert followup_prompt.index("Q K.OA.A.5-2-0") < followup_prompt.index("working for K.OA.A.5-2-0\n### Answer: 12")
    assert followup_prompt.index("### Answer: 12") < followup_prompt.index("F K.OA.A.5-2-2")
    assert "F K.OA.A.5-2-1" not in followup_prompt  # follow-ups are never chained


def test_resumed_run_redoes_nothing_and_uses_recorded_responses(prompter):
    full = run(ScriptedBackend(), prompter, problem_set())
    # Keep the originals of one standard and one follow-up, as a killed run would have written them.
    done = {r.id: r for r in full if r.standard == "K.OA.A.5" and (r.turn == 0 or r.id == "K.OA.A.5-0-1")}
    backend = ScriptedBackend()
    resumed = run(backend, prompter, problem_set(), done)
    asked = [p for call in backend.calls for p in call]
    assert not any("Q K.OA.A.5" in p.rsplit("<|user|>", 1)[-1] for p in asked)
    assert not any("F K.OA.A.5-0-1" in p for p in asked)
    assert resumed == full


def test_record_round_trips_through_json():
    r = Record("a-0-0", "K.OA.A.5", "K", "p", "r", "1", "1", "answer-line", True, 3, prompt_tokens=9, finish="eos")
    assert Record.from_json(r.to_json()) == r


def test_protocol_answer_is_the_in_memory_entry_point(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mathcamps.generate import generate_problems
    from probes.protocol import Protocol, answer

    model, tok = AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir)
    problems = generate_problems(["K.OA.A.5", "3.OA.C.7"], 3, seed=1, followups=False)
    records = answer(model, tok, problems, Protocol(prompt="chat", max_new_tokens=8), batch_size=4)
    assert [r.id for r in records] == [p.id for p in problems]
    assert all(r.new_tokens <= 8 and r.prompt.startswith("<|user|>") for r in records)


@pytest.mark.parametrize("text, settings, cut", [
    ("7 + 5 = 12\n### Answer: 12\nmore", GenerationSettings(), (25, "answer-line")),
    ("### Answer: 12", GenerationSettings(), None),  # the line has not ended yet
    ("### Answer:\n12\n", GenerationSettings(), None),  # an empty answer line is not the end
    ("###Answer:12 apples\n", GenerationSettings(), (19, "answer-line")),
    ("7 + 5 = 12\n### Answer: 12\nmore", GenerationSettings(stop_at_answer_line=False), None),
    ("a @@@ b ## c", GenerationSettings(stops=("##", "@@@")), (2, "stop")),  # the earliest stop wins
    ("x\n### Answer: 3\n@@@", GenerationSettings(stops=("@@@",)), (15, "answer-line")),
    ("x @@@\n### Answer: 3\n", GenerationSettings(stops=("@@@",)), (2, "stop")),
])
def test_stop_point(text, settings, cut):
    assert stop_point(text, settings) == cut


def test_doctests():
    import doctest

    import probes.backends
    import probes.backends.guess
    import probes.backends.hf
    import probes.metrics

    for module in (probes.backends, probes.backends.guess, probes.backends.hf, probes.metrics):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_generation_settings_refuse_bad_values():
    with pytest.raises(ValueError, match="max_new_tokens must be >= 1, got 0"):
        GenerationSettings(max_new_tokens=0)
    with pytest.raises(ValueError, match="non-empty"):
        GenerationSettings(stops=("",))
