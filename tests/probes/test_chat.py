"""The LLM renderer end to end with a tiny local model, through the project's own generation engine."""

from mathcamps.generate import problem_group
from mathcamps.render.llm import LLMRenderer, render_set
from mathcamps.standards import resolve_standards
from probes.chat import HFChatBackend, open_hf_chat


def test_a_local_model_answers_chats_in_order_and_its_problems_are_checked(tiny_model_dir):
    chat = open_hf_chat(str(tiny_model_dir), max_tokens=6, batch_size=4)
    assert isinstance(chat, HFChatBackend)
    conversations = [[{"role": "user", "content": "Maya has 3 apples."}], [{"role": "user", "content": "Hi"}]]
    replies = chat.chat_many(conversations)
    assert len(replies) == 2 and all(isinstance(r, str) for r in replies)
    assert chat.chat_many(conversations) == replies  # greedy: the same replies again
    assert "Hi" in chat.prompt(conversations[1])  # through the tokenizer's chat template
    plain = HFChatBackend(chat.backend, object())  # a tokenizer without a template: a plain transcript
    assert plain.prompt(conversations[1]) == "user: Hi\nassistant:"

    stds = resolve_standards("1.OA.A.1")
    problems, reports = render_set(stds, 2, lambda s, i: problem_group(s, 0, i, False, False), LLMRenderer(chat),
                                   spare=1)  # fmt: skip
    report = reports["1.OA.A.1"]
    # a random tiny model writes no structure back, so every attempt is rejected and the spare is tried too
    assert report.attempted == {"original-problem": 3} and report.accepted == {"original-problem": 0}
    assert problems == [] and report.reasons
