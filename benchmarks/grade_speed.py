"""How fast the grader is, on realistic responses and on hostile ones; and how often it agrees with known labels.

    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/grade_speed.py            # 100,000 responses, one core
    python benchmarks/grade_speed.py --n 20000 --seed 1
    python benchmarks/grade_speed.py --rules paper         # the paper-compatible mode

Real graded model responses are not available here, so the responses are built: for published problems (or,
without the reference data, made-up answers of every type) a chain-of-thought body in one of several styles, ending
with a right answer written in one of its many forms, a near miss, or no answer at all. Each carries its label, so
the run also reports how often the grader agrees with the label (a check of the generator and grader together,
not a measurement against human or published grading). Prints responses per second (target: >= 5,000 on one
core), per-grade latency percentiles, and the worst time over hostile inputs (target: < 10 ms). With the graded
dev set beside the checkout (`../shared/reference/graded-dev/`), it also times real models' responses.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, not an installed copy

from mathcamps.answers.grade import Rules, grade  # noqa: E402
from mathcamps.answers.numbers import Num, decimal_places, round_to, show, terminates  # noqa: E402
from mathcamps.answers.types import Mapping, Number, Pairs, Relation, parse_answer  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "mathcamps-v1" / "mathcamps.json"
GRADED_DEV = REFERENCE.parents[1] / "graded-dev" / "responses.jsonl.gz"

BODY = [
    "Let's break the problem down step by step.",
    "First, we find how many there are at the start: {a} + {b} = {c}.",
    "Next, we take away what was used: {c} - {b} = {a}.",
    "Each group has {b} items, so {a} groups hold {a} x {b} = {d} items.",
    "We convert the fraction: {b}/{a} is already in simplest form.",
    "To check, {d} / {b} = {a}, which matches.",
    "So far we have {c} in total.",
    "Remember that $\\frac{{{b}}}{{{c}}}$ cannot be simplified further.",
]
ENDINGS = {
    "answer-line": "{body}\n\n### Answer: {answer}",
    "answer-line-bold": "{body}\n\n### Answer: **{answer}**",
    "answer-line-wrapped": "{body}\n### Answer: <<{answer}>>",
    "answer-is": "{body}\nTherefore, the answer is {answer}.",
    "boxed": "{body}\nThe final result is $\\boxed{{{answer}}}$.",
    "final-line": "{body}\n\n{answer}",
    "runaway": "{body}\n### Answer: {answer}\n\nProblem: Sam has 14 apples and eats 3.\n### Answer: 11",
    "turn": "{body}\n### Answer: {answer}\n|user| Next, a harder one: 17 + 25?\n|assistant| ### Answer: 42",
}
NO_ANSWER = ["{body}\nI am not able to finish this.", "{body}", "NOT AN ANSWER. GOOGLE FLAGGED THIS PROBLEM."]


def _dec(value: Fraction, places: int) -> str:
    return show(Num(round_to(value, places), places))


def _plain(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def forms(answer_text: str, rng: random.Random) -> tuple[str, str]:
    """A right form and a near-miss form of a published answer, as a model might write them."""
    a = parse_answer(answer_text)
    if isinstance(a, Number):
        v = a.value
        if a.approx_places is not None or not terminates(v):
            places = rng.choice([2, 3, 4])
            return _dec(v, places), rng.choice([_dec(v + Fraction(1, 10**places), places), _dec(v, 1)])
        if a.kind == "decimal":
            s = show(Num(v, max(1, decimal_places(v) or 0)))
            return rng.choice([s, f"${s}", f"{s} meters"]), _dec(v + Fraction(1, 10), 1)
        if v.denominator != 1:
            whole, rest = divmod(v.numerator, v.denominator)
            right = [_plain(v), f"\\frac{{{v.numerator}}}{{{v.denominator}}}"]
            right += [f"{whole} {rest}/{v.denominator}"] if whole else []
            near = [_plain(v + 1)] + ([_dec(v, 1)] if round_to(v, 1) != v else [])
            return rng.choice(right), rng.choice(near)
        n = v.numerator
        return rng.choice([str(n), f"{n:,}", f"${n}", f"{n} apples", f"{n}.0"]), rng.choice([str(n + 1), str(n - 1)])
    if isinstance(a, Relation):
        other = rng.choice([r for r in "<>=" if r != a.symbol])
        return rng.choice([a.symbol, f"The blank is {a.symbol}", f"<<{a.symbol}>>"]), other
    if isinstance(a, Pairs):
        pairs = sorted(a.pairs)
        right = ", ".join(f"({_plain(x)}, {_plain(y)})" for x, y in rng.sample(pairs, len(pairs)))
        return right, ", ".join(f"({_plain(x)}, {_plain(y)})" for x, y in pairs[:-1]) or "(1, 1)"
    assert isinstance(a, Mapping)
    (n1, v1), (n2, v2) = a.values
    right = f"{n2} = {_plain(v2.value)}, {n1} = {_plain(v1.value)}"
    return right, f"{n1} = {_plain(v1.value + 1)}, {n2} = {_plain(v2.value)}"


def problems(rng: random.Random) -> list[tuple[str, str | None]]:
    """(answer, question) pairs: the published ones when the reference data is there, else made up."""
    if REFERENCE.exists():
        return [(r["answer"], r["statement"]) for r in json.loads(REFERENCE.read_text())]
    made = []
    for _ in range(2000):
        made.append((str(rng.randint(0, 2000)), None))
        made.append((_plain(Fraction(rng.randint(1, 300), rng.randint(2, 60))), None))
        made.append((str(Number.decimal(Fraction(rng.randint(1, 10**6), rng.choice([100, 1000, 7, 13])))), None))
        made.append((rng.choice("<>="), None))
    made.append(("[(1, 64), (2, 32), (4, 16), (8, 8)]", None))
    made.append(("{q: 373/321, s: 2291/642}", None))
    return made


def build(n: int, seed: int) -> list[tuple[str, str, str | None, bool | None]]:
    """`n` labelled responses: (response, expected, question, label); label None means no answer given."""
    rng = random.Random(seed)
    pool = problems(rng)
    out = []
    for _ in range(n):
        expected, question = rng.choice(pool)
        nums = {k: rng.randint(2, 99) for k in "ab"}
        nums |= {"c": nums["a"] + nums["b"], "d": nums["a"] * nums["b"]}
        lines = rng.choices(BODY, k=rng.randint(4, 16))  # 300-1,500 characters, like real chain-of-thought
        body = "\n".join(line.format(**nums) for line in lines)
        roll = rng.random()
        if roll < 0.05:
            out.append((rng.choice(NO_ANSWER).format(body=body), expected, question, None))
            continue
        right, wrong = forms(expected, rng)
        label = roll < 0.75
        ending = rng.choice(list(ENDINGS))
        if ending == "final-line" and (not label or "The blank" in right):
            ending = "answer-line"  # a near miss or a sentence as the last line is not something we label
        response = ENDINGS[ending].format(body=body, answer=right if label else wrong)
        out.append((response, expected, question, label))
    return out


HOSTILE = [
    "### Answer: 9**9**9**9",
    "### Answer: 10^100000",
    "### Answer: " + "9" * 1_000_000,
    "### Answer: " + "(" * 100_000 + "1" + ")" * 100_000,
    "\\boxed{" * 200_000,
    "the answer is " * 100_000,
    "### Answer: 5\n" * 100_000,
    "### Answer: " + "<" * 1_000_000,
    "### Answer: " + "1 " * 500_000 + "1/2",
    "x" * 1_000_000,
    ("### Answer: 5\nProblem: again\n") * 50_000,
    "### Answer: " + "(1, 2), " * 100_000,
    "### Answer: " + "q = 1, " * 100_000,
]
HOSTILE_EXPECTED = ["7", "3/4", "1.03448275862069", ">", "[(1, 64), (2, 32)]", "{q: 373/321, s: 2291/642}"]


RULES: Rules = "principled"


def _timed(response: str, expected: str, question: str | None = None) -> float:
    t = time.perf_counter()
    grade(response, expected, question, rules=RULES)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="responses to grade")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rules", choices=["principled", "paper"], default="principled")
    args = parser.parse_args()
    global RULES
    RULES = args.rules

    t0 = time.perf_counter()
    data = build(args.n, args.seed)
    print(f"built {len(data):,} responses in {time.perf_counter() - t0:.1f} s "
          f"({'published problems' if REFERENCE.exists() else 'made-up answers'}; "
          f"mean length {statistics.mean(len(r) for r, *_ in data):.0f} chars)")  # fmt: skip

    start = time.perf_counter()
    verdicts = [grade(response, expected, question, rules=RULES) for response, expected, question, _ in data]
    elapsed = time.perf_counter() - start
    print(f"graded {len(data):,} responses in {elapsed:.2f} s: {len(data) / elapsed:,.0f} responses/s ({RULES})")
    if GRADED_DEV.exists():
        with gzip.open(GRADED_DEV, "rt") as f:
            real = [json.loads(line) for line in f]
        start = time.perf_counter()
        for r in real:
            grade(r["response"], r["expected"], rules=RULES)
        elapsed = time.perf_counter() - start
        print(f"graded {len(real):,} real models' responses (graded dev set) in {elapsed:.2f} s: "
              f"{len(real) / elapsed:,.0f} responses/s")  # fmt: skip

    latencies = []
    for response, expected, question, _ in data[:20_000]:
        latencies.append(_timed(response, expected, question))
    q = statistics.quantiles(latencies, n=1000)
    print(f"per grade: p50 {q[499] * 1e6:.0f} us, p99 {q[989] * 1e6:.0f} us, "
          f"p99.9 {q[998] * 1e6:.0f} us, max {max(latencies) * 1e6:.0f} us")  # fmt: skip

    slowest = sorted(range(len(latencies)), key=latencies.__getitem__)[-100:]
    retimed = [min(_timed(*data[i][:3]) for _ in range(3)) for i in slowest]  # spikes that are not the grader's
    print(f"the 100 slowest re-timed (min of 3): max {max(retimed) * 1e6:.0f} us")

    agree = sum((v.correct if label is not None else v.unextractable) == (label if label is not None else True)
                for v, (*_, label) in zip(verdicts, data, strict=True))  # fmt: skip
    rules = Counter(v.rule for v in verdicts)
    print(f"agreement with the built labels: {agree / len(data):.4%} ({len(data) - agree} disagreements)")
    print("rules fired: " + ", ".join(f"{k} {c / len(data):.1%}" for k, c in rules.most_common()))

    worst, worst_name = 0.0, ""
    for i, response in enumerate(HOSTILE):
        for expected in HOSTILE_EXPECTED:
            dt = min(_timed(response, expected) for _ in range(3))  # min of 3: the cost, not a noisy neighbour
            if dt > worst:
                worst, worst_name = dt, f"hostile #{i} vs {expected}"
    print(
        f"worst grade over {len(HOSTILE) * len(HOSTILE_EXPECTED)} hostile inputs: {worst * 1000:.2f} ms ({worst_name})"
    )


if __name__ == "__main__":
    main()
