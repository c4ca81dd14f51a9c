"""LLM re-extraction: asked only where the rules leave the answer open, in batches, against a fake local
OpenAI-compatible endpoint and a tiny local model; what it returns is judged by our own comparison."""

import json
import re
from http.server import BaseHTTPRequestHandler

import pytest

from mathcamps.answers.grade import grade
from probes.backends import GenerationSettings
from probes.backends.hf import load_hf_backend
from probes.reextract import SETTINGS, EndpointBackend, needs_reextraction, prompt_for, reextract
from tests.local_server import serve

ROWS = [
    ("Working.\n### Answer: 7", "7", None),  # strict found the answer: never asked
    ("She ends with seven apples, as we found.", "7", None),  # nothing found: asked, the judge copies "7"
    ("Then we are done with it all.", "7", None),  # asked, the judge says there is none
    ("The total was eight apples, I think.", "7", None),  # asked, the judge copies a wrong answer
    ("I reckon the answer would be import os", "5", None),  # asked; the judge's text is never run
]


class _Judge(BaseHTTPRequestHandler):
    batches: list[list[str]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).batches.append(body["prompt"])
        choices = []
        for i, prompt in enumerate(body["prompt"]):
            solution = prompt.split("Solution:")[1]
            words = {"seven": "7", "eight": "8", "import": "__import__('os').system('true')"}
            found = [words[w] for w in re.findall(r"seven|eight|import", solution)]
            choices.append({"index": i, "text": f" {found[-1] if found else 'NONE'}\n", "finish_reason": "stop"})
        data = json.dumps({"choices": choices}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def endpoint():
    _Judge.batches = []
    with serve(_Judge) as url:
        yield url


def test_only_open_answers_are_asked_in_batches_and_judged_by_our_comparison(endpoint: str) -> None:
    verdicts = [grade(r, a, q) for r, a, q in ROWS]
    assert [needs_reextraction(v) for v in verdicts] == [False, True, True, True, True]
    backend = EndpointBackend(endpoint, model="judge", batch_size=2)
    out = reextract(ROWS, verdicts, backend)
    assert [v.correct for v in out] == [True, True, False, False, False]
    assert (out[1].rule, out[1].extracted, out[1].reading) == ("llm", "7", "7")
    assert out[0] == verdicts[0] and out[2] == verdicts[2]
    assert [len(b) for b in _Judge.batches] == [2, 2]  # four prompts, in batches of two
    assert "seven apples" in _Judge.batches[0][0] and "a single number" in _Judge.batches[0][0]
    paper = reextract(ROWS, [grade(r, a, q, rules="paper") for r, a, q in ROWS], backend, rules="paper")
    assert [v.correct for v in paper] == [True, True, False, False, False]


def test_the_prompt_names_the_kind_of_answer_and_shows_the_end_of_a_long_response() -> None:
    assert "<, > or =" in prompt_for("So it is bigger.", "<")
    long = prompt_for("x" * 1_000_000 + "\nSo the total is seven.", "7")
    assert long.endswith("Final answer:") and "So the total is seven." in long and len(long) < 7_000


def test_bad_endpoint_settings_are_named() -> None:
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        EndpointBackend("http://127.0.0.1:1", "m", batch_size=0)
    with pytest.raises(ValueError, match="'127.0.0.1'"):
        EndpointBackend("127.0.0.1", "m")


def test_a_tiny_local_model_as_judge(tiny_model_dir) -> None:
    settings = GenerationSettings(max_new_tokens=8, stops=SETTINGS.stops, stop_at_answer_line=False)
    backend = load_hf_backend(str(tiny_model_dir), settings, batch_size=4, dtype="float32", device="cpu")
    rows = ROWS[1:4]
    verdicts = [grade(r, a, q) for r, a, q in rows]
    out = reextract(rows, verdicts, backend)
    assert len(out) == 3 and all(isinstance(v.correct, bool) for v in out)
    assert all(v.rule in ("llm", "none") for v in out)  # an untrained judge may copy anything, never crash


def test_probes_grade_asks_a_judge_endpoint_from_the_command_line(endpoint: str, tmp_path) -> None:
    from probes.grade import main

    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "standard": "K.OA.A.5", "response": r, "answer": a}) + "\n"
                            for i, (r, a, _) in enumerate(ROWS)))  # fmt: skip
    out = tmp_path / "graded.jsonl"
    assert main([str(path), "--out", str(out)]) == 0
    assert [json.loads(line)["correct"] for line in out.read_text().splitlines()] == [True, False, False, False, False]
    assert main([str(path), "--out", str(out), "--judge", endpoint, "--judge-batch-size", "3"]) == 0
    graded = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["correct"] for g in graded] == [True, True, False, False, False]
    assert graded[1]["rule"] == "llm" and [len(b) for b in _Judge.batches] == [3, 1]
