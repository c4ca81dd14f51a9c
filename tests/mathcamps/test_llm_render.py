"""The LLM renderer and its cycle-consistency filter, against a real HTTP server on 127.0.0.1.

The server answers like an OpenAI-compatible `/v1/chat/completions` endpoint. Its "model" writes a statement that
quotes the structure, and back-translates by reading it out again, except that it gets numbers wrong on purpose
(13 becomes 14) and refuses problems that contain 99, so the filter has something to reject.
"""

import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from mathcamps.grammar.exact import answer
from mathcamps.grammar.parse import parse_structure
from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL, Problem
from mathcamps.render.llm import (
    BACK_SYSTEM,
    RENDER_SYSTEM,
    CycleReport,
    Example,
    LLMBackendError,
    LLMRenderer,
    OpenAIChatBackend,
    extract_structure,
    same_answer,
)
from mathcamps.standards import get_standard
from tests.local_server import serve


def _statement_for(structure: str) -> str:
    lines = [line for line in structure.splitlines() if line.startswith("[[")]
    return "PROBLEM<<" + " | ".join(lines) + ">> How many are there?"


class _FakeChat(BaseHTTPRequestHandler):
    requests: list[dict] = []
    headers_seen: list[dict] = []
    failures_left = {"503": 0}

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        type(self).headers_seen.append(dict(self.headers))
        if self.path == "/broken/chat/completions":
            return self._reply(500, b'{"error": "model crashed"}')
        if self.path == "/garbage/chat/completions":
            return self._reply(200, b"<html>not json</html>")
        if self.path == "/flaky/chat/completions" and type(self).failures_left["503"] > 0:
            type(self).failures_left["503"] -= 1
            return self._reply(503, b'{"error": "busy"}')
        if self.path not in ("/v1/chat/completions", "/flaky/chat/completions"):
            return self._reply(404, b'{"error": "no such route"}')
        messages = body["messages"]
        last = messages[-1]["content"]
        if messages[0]["content"] == RENDER_SYSTEM:
            content = _statement_for(last)
        elif messages[0]["content"] == BACK_SYSTEM:
            quoted = re.search(r"PROBLEM<<(.*)>>", last)
            if quoted is None or "99" in quoted.group(1):
                content = "This problem does not give enough information."
            else:
                structure = quoted.group(1).replace(" | ", "\n").replace("13", "14")
                content = f"Here is the structure:\n```\n{structure}\n```"
        else:
            return self._reply(400, b'{"error": "unknown system prompt"}')
        reply = {
            "id": "x",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        }
        self._reply(200, json.dumps(reply).encode())


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(_FakeChat) as url:
        yield url


@pytest.fixture(autouse=True)
def _clear_log() -> None:
    _FakeChat.requests.clear()
    _FakeChat.headers_seen.clear()


KOA = get_standard("K.OA.A.5")


def _problem(pid: str, structure: str, kind: str = "original-problem") -> Problem:
    std = get_standard(pid.split("-")[0])
    followup_to = pid.rsplit("-", 1)[0] + "-0" if kind != "original-problem" else None
    return Problem(pid, std.id, "", str(answer(std, parse_structure(structure))), kind, followup_to, structure)


ORIGINAL = _problem("K.OA.A.5-0-0", "[[var n = (4 - 1)]]\n[[var e = (2 + n)]]\n[[question p = ['e']]]\ntheme: Kite")
INCR = _problem(
    "K.OA.A.5-0-1",
    "[[var n = (4 - 1)]]\n[[var e = (2 + n)]]\n[[var r = (e - 3)]]\n[[question j = ['r']]]\ntheme: Kite",
    INCREMENTAL,
)
CF = _problem(
    "K.OA.A.5-0-2", "[[var n = (5 - 1)]]\n[[var e = (2 + n)]]\n[[question p = ['e']]]\ntheme: Kite", COUNTERFACTUAL
)


def test_consistent_group_is_kept_with_the_model_statements(server: str) -> None:
    backend = OpenAIChatBackend(server + "/v1", "tiny-chat", api_key="k-123", seed=3)
    kept, report = LLMRenderer(backend).render_groups([(ORIGINAL, [INCR, CF])], KOA)
    assert [p.id for p in kept] == ["K.OA.A.5-0-0", "K.OA.A.5-0-1", "K.OA.A.5-0-2"]
    assert (
        kept[0].statement == "PROBLEM<<[[var n = (4 - 1)]] | [[var e = (2 + n)]] | [[question p = ['e']]]>> "
        "How many are there?"
    )
    assert kept[1].statement.startswith("PROBLEM<<[[var n = (4 - 1)]] | [[var e = (2 + n)]] | [[var r = (e - 3)]]")
    assert [p.answer for p in kept] == ["5", "2", "6"]
    assert (
        report.attempted
        == report.accepted
        == {"original-problem": 1, "incremental-followup": 1, "counterfactual-followup": 1}
    )
    assert report.acceptance_rate == 1.0
    # 3 renders + 3 back-translations, each a well-formed chat request
    assert len(_FakeChat.requests) == 6
    first = _FakeChat.requests[0]
    assert (first["model"], first["temperature"], first["seed"]) == ("tiny-chat", 0.0, 3)
    assert _FakeChat.headers_seen[0]["Authorization"] == "Bearer k-123"
    # a follow-up is rendered as the next turn after the original statement ...
    followup_render = next(r for r in _FakeChat.requests[2:] if r["messages"][0]["content"] == RENDER_SYSTEM)
    assert followup_render["messages"][-2] == {"role": "assistant", "content": kept[0].statement}
    # ... and back-translated with the original problem and its structure as context
    followup_back = [r for r in _FakeChat.requests if r["messages"][0]["content"] == BACK_SYSTEM][1]
    assert followup_back["messages"][-3]["content"] == kept[0].statement


def test_a_failed_original_drops_the_group_and_a_failed_followup_only_itself(server: str) -> None:
    renderer = LLMRenderer(OpenAIChatBackend(server + "/v1", "tiny-chat"))
    wrong = _problem("K.OA.A.5-1-0", "[[var a = (13 + 2)]]\n[[question q = ['a']]]\ntheme: Dog")  # read back as 14
    refused_cf = _problem(
        "K.OA.A.5-0-2", "[[var n = (99 - 1)]]\n[[var e = (2 + n)]]\n[[question p = ['e']]]", COUNTERFACTUAL
    )
    kept, report = renderer.render_groups([(wrong, [CF]), (ORIGINAL, [INCR, refused_cf])], KOA)
    assert [p.id for p in kept] == ["K.OA.A.5-0-0", "K.OA.A.5-0-1"]
    assert report.attempted == {"original-problem": 2, "incremental-followup": 1, "counterfactual-followup": 1}
    assert report.accepted == {"original-problem": 1, "incremental-followup": 1, "counterfactual-followup": 0}
    assert report.reasons == {"different answer": 1, "no structure": 1}
    assert report.acceptance_rate == pytest.approx(2 / 4)


def test_exempt_standards_are_not_back_translated(server: str) -> None:
    renderer = LLMRenderer(OpenAIChatBackend(server + "/v1", "tiny-chat"))
    compare = _problem("K.CC.C.7-0-0", "[[question p = ['10 _ 99']]]\nmath concept: Compare two numbers.")
    report = CycleReport()
    kept = renderer.render_group(compare, (), get_standard("K.CC.C.7"), report)
    assert len(kept) == 1 and report.exempt == 1 and report.attempted == {}
    assert all(r["messages"][0]["content"] == RENDER_SYSTEM for r in _FakeChat.requests)


def test_few_shot_examples_go_both_ways(server: str) -> None:
    example = Example("[[var a = (2 + 1)]]\n[[question b = ['a']]]\ntheme: Pizza", "Two pizzas and one more?")
    renderer = LLMRenderer(OpenAIChatBackend(server + "/v1", "tiny-chat"), examples=[example])
    renderer.render_groups([(ORIGINAL, [])], KOA)
    render, back = _FakeChat.requests
    assert render["messages"][1:3] == [
        {"role": "user", "content": example.structure},
        {"role": "assistant", "content": example.statement},
    ]
    assert back["messages"][1:3] == [
        {"role": "user", "content": example.statement},
        {"role": "assistant", "content": "[[var a = (2 + 1)]]\n[[question b = ['a']]]"},
    ]


def test_backend_errors_name_the_endpoint_and_status(server: str) -> None:
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(LLMBackendError, match=r"/broken/chat/completions: HTTP 500: .*model crashed"):
        OpenAIChatBackend(server + "/broken", "m", retries=1, backoff_s=0).chat(messages)  # type: ignore[arg-type]
    assert len(_FakeChat.requests) == 2  # a 5xx is retried
    with pytest.raises(LLMBackendError, match="HTTP 404"):
        OpenAIChatBackend(server + "/nowhere", "m", backoff_s=0).chat(messages)  # type: ignore[arg-type]
    with pytest.raises(LLMBackendError, match="not JSON"):
        OpenAIChatBackend(server + "/garbage", "m", backoff_s=0).chat(messages)  # type: ignore[arg-type]
    with pytest.raises(LLMBackendError, match="127.0.0.1:9/"):
        OpenAIChatBackend("http://127.0.0.1:9", "m", retries=0, timeout_s=2).chat(messages)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'localhost:8000'"):
        OpenAIChatBackend("localhost:8000", "m")


def test_a_busy_server_is_retried(server: str) -> None:
    _FakeChat.failures_left["503"] = 2
    backend = OpenAIChatBackend(server + "/flaky", "m", retries=2, backoff_s=0)
    reply = backend.chat(
        [{"role": "system", "content": RENDER_SYSTEM}, {"role": "user", "content": "[[question q = ['1']]]"}]
    )
    assert reply.startswith("PROBLEM<<") and len(_FakeChat.requests) == 3


def test_extract_structure_and_same_answer() -> None:
    assert (
        extract_structure("Sure!\n```\n[[var a = 1]]\n  [[question q = ['a']]]\n```\nDone.")
        == "[[var a = 1]]\n[[question q = ['a']]]"
    )
    assert extract_structure("This is a bad problem.") is None
    assert extract_structure("[[var a = 1]]\n[[question q = ['a']]]=") == "[[var a = 1]]\n[[question q = ['a']]]"
    s = lambda text: answer(KOA, parse_structure(text))  # noqa: E731  (several targets or `a _ b` set the kind)
    assert same_answer(s("[[var a = 78.0]]\n[[question q = ['a']]]"), s("[[var a = 78]]\n[[question q = ['a']]]"))
    assert not same_answer(s("[[var a = 7]]\n[[question q = ['a']]]"), s("[[var a = 8]]\n[[question q = ['a']]]"))
    # decimals agree at their published precision: 721.1099999999999 / 39 and 721.11 / 39 both print 18.4900000000000
    assert same_answer(
        s("[[var a = (721.1099999999999 / 39)]]\n[[question q = ['a']]]"),
        s("[[var a = 18.49]]\n[[question q = ['a']]]"),
    )
    assert not same_answer(
        s("[[var a = 18.4901]]\n[[question q = ['a']]]"), s("[[var a = 18.49]]\n[[question q = ['a']]]")
    )
    sys_a = s("[[var 5 = (x + y)]]\n[[var 1 = (x - y)]]\n[[question f = ['x', 'y']]]")
    sys_b = s("[[var 5 = (u + v)]]\n[[var 1 = (u - v)]]\n[[question f = ['u', 'v']]]")
    assert same_answer(sys_a, sys_b)  # renamed unknowns
    assert not same_answer(s("[[question p = ['1 _ 2']]]"), s("[[question p = ['2 _ 1']]]"))
    assert parse_structure(extract_structure("[[var a = 1]]\n[[question q = ['a']]]") or "").question == "q"


# ---------------------------------------------------------------- a whole set, per standard, from the command line


def test_render_set_replaces_rejected_groups_from_the_same_stream(server: str) -> None:
    from mathcamps.generate import problem_group
    from mathcamps.render.llm import render_set
    from mathcamps.standards import resolve_standards

    stds = resolve_standards("2.NBT.B.5,K.CC.C.7")
    make = lambda std, i: problem_group(std, 0, i, True, False)  # noqa: E731
    renderer = LLMRenderer(OpenAIChatBackend(server + "/v1", "tiny-chat", concurrency=4))
    problems, reports = render_set(stds, 6, make, renderer)
    originals = [p for p in problems if p.type == "original-problem"]
    assert [p.standard for p in originals].count("2.NBT.B.5") == 6
    # the fake model misreads 13 as 14 and refuses 99: those originals are replaced by later indices
    used = sorted(int(p.id.split("-")[-2]) for p in originals if p.standard == "2.NBT.B.5")
    rejected = reports["2.NBT.B.5"].attempted["original-problem"] - reports["2.NBT.B.5"].accepted["original-problem"]
    assert used[-1] == 5 + rejected and len(set(used)) == 6
    assert all("13" not in p.structure.split("\ntheme")[0] for p in originals if p.standard == "2.NBT.B.5")
    assert reports["K.CC.C.7"].exempt > 0 and reports["K.CC.C.7"].attempted == {}
    again, _ = render_set(stds, 6, make, renderer)
    assert again == problems  # a pure function of the arguments and the replies


def test_cli_renders_through_an_endpoint_and_reports_acceptance(server: str, tmp_path, capsys) -> None:
    from mathcamps.generate import main
    from mathcamps.io import read_problems

    out = tmp_path / "llm.jsonl"
    argv = ["--standards", "2.NBT.B.5", "--per-standard", "4", "--seed", "0", "--render", "llm",
            "--llm", server + "/v1", "--llm-model", "tiny-chat", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "2.NBT.B.5" in printed and "%" in printed and "wrote" in printed
    problems = read_problems(out)
    assert sum(p.type == "original-problem" for p in problems) == 4
    assert all(p.statement.startswith("PROBLEM<<") for p in problems)
    with pytest.raises(ValueError, match="needs --llm"):
        main(["--standards", "2.NBT.B.5", "--render", "llm", "--out", str(out)])  # no --llm


def test_a_model_folder_is_opened_by_the_registered_backend(monkeypatch) -> None:
    import mathcamps.render.chat as llm

    monkeypatch.setattr(llm, "entry_points", lambda group: [])
    with pytest.raises(ValueError, match="no local-model backend is registered"):
        llm.open_chat_backend("some/model")

    class Entry:
        name = "hf"

        def load(self):  # noqa: ANN202
            return lambda spec, **options: ("opened", spec)

    monkeypatch.setattr(llm, "entry_points", lambda group: [Entry()] if group == "mathcamps.chat_backends" else [])
    assert llm.open_chat_backend("some/model") == ("opened", "some/model")
    assert isinstance(llm.open_chat_backend("http://127.0.0.1:1/v1", "m"), OpenAIChatBackend)
