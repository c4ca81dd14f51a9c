"""The vLLM backend: same interface and same greedy responses as the HF backend (needs vllm and CUDA)."""

import pytest

from probes.backends import GenerationSettings
from probes.backends.vllm import VLLMBackend, VLLMUnavailable, vllm_available

REASON = vllm_available()


@pytest.mark.skipif(REASON is None, reason="vllm and CUDA are both present")
def test_unavailable_vllm_is_refused_with_the_reason(tiny_model_dir, tmp_path, capsys):
    with pytest.raises(VLLMUnavailable, match="vllm"):
        VLLMBackend(str(tiny_model_dir), GenerationSettings())
    from probes.evaluate import main

    assert main(["--model", str(tiny_model_dir), "--generate", "K.OA.A.5:1:0", "--out", str(tmp_path / "run"),
                 "--backend", "vllm"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {REASON}"


@pytest.mark.gpu
@pytest.mark.skipif(REASON is not None, reason=REASON or "")
def test_vllm_matches_the_hf_backend(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mathcamps.generate import generate_problems
    from probes.backends.hf import HFBackend
    from probes.prompts import make_prompter

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).cuda().eval()
    paper = make_prompter("paper", tok)
    prompts = [paper(p.statement) for p in generate_problems(["K.OA.A.5", "3.OA.C.7"], 8, 0, followups=False)]
    settings = GenerationSettings(max_new_tokens=32, stops=("@@@",))
    hf = dict(HFBackend(model, tok, settings, batch_size=8).generate(prompts))
    vl = dict(VLLMBackend(str(tiny_model_dir), settings, dtype="float32", gpu_memory_utilization=0.2).generate(prompts))
    assert sorted(vl) == sorted(hf)
    same = sum(vl[i].text == hf[i].text for i in hf)
    assert same >= 0.95 * len(hf)
