"""How varied the generated wording is: distinct sentence frames per standard.

    python benchmarks/sentence_frames.py                      # all standards, 100 problems each, seed 0
    python benchmarks/sentence_frames.py --standards 1.OA.A.1,4.OA.A.3 --per-standard 300 --seed 1

A sentence's frame is the sentence with its numbers, people's names and its world's words (`apples`, `basket`,
`picks`) masked, so "Maya picks 12 apples." and "Leo finds 30 shells." share the frame "@ gains # items.". The
table counts, per standard, the distinct frames over originals and follow-ups, the distinct frames of the
originals' questions, the distinct whole-problem frames, and the share of originals told as stories.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict

from mathcamps.generate import generate_problems
from mathcamps.render.forms import split_sentences
from mathcamps.render.lexicon import NAMES
from mathcamps.render.worlds import BY_THEME
from mathcamps.standards import resolve_standards

_NUMBER = re.compile(r"\$?\d+(?:\.\d+)?(?:/\d+)?")
_NAME = re.compile(r"\b(?:" + "|".join(n for n, _ in NAMES) + r")\b('s)?")


def frame(sentence: str, theme: str | None) -> str:
    """`sentence` with numbers as `#`, people as `@` and the world's words as `<key>`."""
    text = _NUMBER.sub("#", sentence)
    text = _NAME.sub("@", text)
    text = re.sub(r"(?<![\w'])[a-z](?![\w'])|(?<=#)[a-z]\b", "x", text)  # the letters of equations and exercises
    if theme is not None:
        words = BY_THEME[theme].words
        for key, word in sorted(words.items(), key=lambda kv: -len(kv[1])):
            if len(word) > 2 and word.isascii() and word not in ("true",):
                text = re.sub(rf"\b{re.escape(word)}\b", f"<{key}>", text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--standards", default="all", help="'all' or comma-separated standard ids")
    parser.add_argument("--per-standard", type=int, default=100, help="original problems per standard")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    stds = resolve_standards(args.standards)
    problems = generate_problems([s.id for s in stds], args.per_standard, args.seed, solutions=False)
    sentences, questions, wholes, stories = defaultdict(set), defaultdict(set), defaultdict(set), defaultdict(int)
    for p in problems:
        theme = p.structure.split("\ntheme: ", 1)[1] if p.structure and "\ntheme: " in p.structure else None
        parts = [frame(s, theme) for s in split_sentences(p.statement)]
        sentences[p.standard].update(parts)
        if not p.is_followup:
            questions[p.standard].add(parts[-1])
            wholes[p.standard].add(" ".join(parts))
            stories[p.standard] += theme is not None
    header = f"{'standard':24} {'sentence frames':>15} {'question frames':>15} {'problem frames':>14} {'stories':>8}"
    print(header)
    print("-" * len(header))
    for s in stds:
        share = stories[s.id] / args.per_standard
        print(f"{s.id:24} {len(sentences[s.id]):15d} {len(questions[s.id]):15d} {len(wholes[s.id]):14d} {share:8.0%}")
    total = set().union(*sentences.values())
    print("-" * len(header))
    print(f"{'all standards':24} {len(total):15d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
