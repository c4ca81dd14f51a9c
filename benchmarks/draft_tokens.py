"""What guessing (`--draft-tokens`) gains on a trained model: the HF engine with and without it, side by side.

    make quickstart      # or any model directory / hub id
    OMP_NUM_THREADS=1 python benchmarks/draft_tokens.py --model runs/quickstart/version_0/hf/step-2700

`eval_vs_lmeval.py` uses a random model whose answers repeat one token, guessing's best case; this runs a real
model on the quickstart's standards (20 problems each), alternating the two settings, and prints the median
generation time of each, the share of guesses confirmed, and how many responses are identical.

Measured 2026-11-30 on the quickstart's model after 2400 steps (2-core machine, one thread; rounds vary +-15%):
  --style exercise --prompt chat (the quickstart probe; ~20-token answers), 15 rounds, twice: 0.78 s without
    guessing vs 0.84 s with, and 0.86 vs 0.87 s (0.92x, 0.98x); 88 of 720 guesses confirmed, so after its first
    steps and a few probes guessing stays off; 120/120 identical.
  --style story --prompt paper --max-new-tokens 200 (longer answers), 5 rounds: 11.93 s without, 9.83 s with
    (1.21x); 10,935 of 20,316 guesses confirmed; 120/120 identical.
2026-12-02, the default raised to 8 guesses (9 rounds, one thread, that 2400-step model, exercise/chat): 0.69 s without
  guessing vs 0.82 s with 8 (0.85x) and 0.64 vs 0.71 s with 4 (0.89x) before the running rates decayed faster;
  0.62 vs 0.73 s with 8 after (0.86x; 856 guesses fed, 1,599 before); 120/120 identical. Short answers that copy
  little still lose ~14% to guessing; the random benchmark model gains 11% from 8 over 4.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its packages

from probes.backends.guess import DRAFT_TOKENS  # noqa: E402  (after the path is set)

STANDARDS = ["K.CC.C.7", "K.NBT.A.1", "K.OA.A.5", "1.OA.A.1", "2.NBT.B.5", "3.OA.C.7"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="model directory or hub id")
    parser.add_argument("--style", choices=("exercise", "story"), default="exercise")
    parser.add_argument("--prompt", choices=("chat", "paper", "plain"), default="chat")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--draft-tokens", type=int, default=DRAFT_TOKENS)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each setting, alternating")
    args = parser.parse_args()

    from mathcamps.generate import generate_problems
    from probes.backends import GenerationSettings
    from probes.backends.hf import load_hf_backend
    from probes.prompts import make_prompter

    settings = GenerationSettings(max_new_tokens=args.max_new_tokens)
    backends = {k: load_hf_backend(args.model, settings, dtype="float32", device="cpu", draft_tokens=k)
                for k in (0, args.draft_tokens)}
    prompter = make_prompter(args.prompt, backends[0].tokenizer)
    problems = generate_problems(STANDARDS, 20, seed=1000003, followups=False, style=args.style)
    prompts = [prompter(p.statement) for p in problems]
    seconds: dict[int, list[float]] = {k: [] for k in backends}
    tokens: dict[int, dict] = {}
    for i in range(args.rounds):
        for k in backends if i % 2 == 0 else list(backends)[::-1]:
            start = time.perf_counter()
            tokens[k] = {j: c.token_ids for j, c in backends[k].generate(prompts)}
            seconds[k].append(time.perf_counter() - start)
    guessing = backends[args.draft_tokens]
    same = sum(tokens[0][j] == tokens[args.draft_tokens][j] for j in tokens[0])
    n_new = sum(map(len, tokens[0].values()))
    off, on = statistics.median(seconds[0]), statistics.median(seconds[args.draft_tokens])
    print(f"{len(prompts)} prompts, {n_new} new tokens; median of {args.rounds} rounds: {off:.2f} s without guessing, "
          f"{on:.2f} s with --draft-tokens {args.draft_tokens} ({off / on:.2f}x); guesses confirmed "
          f"{guessing.accepted}/{guessing.drafted}; identical responses {same}/{len(prompts)}")


if __name__ == "__main__":
    main()
