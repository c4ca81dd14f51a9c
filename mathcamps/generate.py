"""Generate MathCAMPS problems: originals, their follow-ups and worked solutions, rendered by the templates.

    python -m mathcamps.generate --standards all --per-standard 100 --seed 0 --out data/mathcamps.jsonl
    python -m mathcamps.generate --standards K.OA.A.5,3.OA.C.7 --per-standard 10 --seed 1 --out data/small.jsonl

Generation is a pure function of (standards, per_standard, seed, followups, solutions): problem `i` of a standard
depends only on (standard, seed, i), so asking for more standards or more problems never changes the ones already
made. Ids are `<standard>-<seed>-<i>-<k>` with k = 0 for the original, 1 for its incremental follow-up and 2 for its
counterfactual follow-up (the published numbering).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mathcamps.cli import UserError, run_cli
from mathcamps.grammar.exact import answer
from mathcamps.grammar.followups import derive, followup_rng
from mathcamps.grammar.parse import structure_key
from mathcamps.grammar.sample import problem_rng, sample_structure
from mathcamps.grammar.tree import Structure
from mathcamps.io import write_problems
from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL, ORIGINAL, Problem
from mathcamps.render.solutions import solve_steps
from mathcamps.render.templates import Rendering, Style, render, render_followup
from mathcamps.standards import FollowupKind, Standard, resolve_standards

_KIND_INDEX: dict[FollowupKind, int] = {"incremental": 1, "counterfactual": 2}
_KIND_TYPE: dict[FollowupKind, str] = {"incremental": INCREMENTAL, "counterfactual": COUNTERFACTUAL}


def generate_problems(
    standards: list[str],
    per_standard: int,
    seed: int,
    followups: bool = True,
    solutions: bool = True,
    style: Style = "story",
) -> list[Problem]:
    """`per_standard` originals for each standard id, each followed by the follow-ups its standard allows.

    Raises `UnknownStandardError` (a `ValueError`) naming the closest ids when an id is not one of the 49.
    """
    stds = resolve_standards(standards)
    if per_standard < 0:
        raise ValueError(f"per_standard must be >= 0, got {per_standard}")
    return [
        p for std in stds for i in range(per_standard) for p in problem_group(std, seed, i, followups, solutions, style)
    ]


def generate_distinct(
    standards: list[str], per_standard: int, seed: int, followups: bool = True, style: Style = "story"
) -> list[Problem]:
    """Like `generate_problems`, but no two originals share a symbolic structure: a held-out evaluation set.

    Small standards (K.CC.C.7 has 100 structures) repeat when sampled, so four times as many are drawn and the
    first of each structure kept, with its follow-ups. The set is a pure function of the arguments, so the probe
    callback and a sweep with the same settings get the same problems.
    """
    drawn = generate_problems(standards, 4 * per_standard, seed, followups=followups, style=style)
    counts: dict[str, int] = {}
    seen: set[str] = set()
    kept: set[str] = set()
    for p in drawn:
        if p.is_followup:
            continue
        key = structure_key(p.structure or "")
        if key not in seen and counts.get(p.standard, 0) < per_standard:
            seen.add(key)
            counts[p.standard] = counts.get(p.standard, 0) + 1
            kept.add(p.id)
    return [p for p in drawn if p.id in kept or p.followup_to in kept]


def problem_group(
    std: Standard, seed: int, index: int, followups: bool = True, solutions: bool = True, style: Style = "story"
) -> list[Problem]:
    """Original `index` of `std` for `seed`, then its incremental and counterfactual follow-ups where found."""
    structure = sample_structure(std, seed, index)
    text = render(std, structure, problem_rng(f"{std.id}/text", seed, index), style)
    theme = f"\ntheme: {text.theme}" if text.theme else ""
    original_id = f"{std.id}-{seed}-{index}-0"
    solved = answer(std, structure)
    group = [
        Problem(
            id=original_id,
            standard=std.id,
            statement=text.text,
            answer=str(solved),
            type=ORIGINAL,
            structure=structure.text() + theme,
            solution=solve_steps(std, structure, solved) if solutions else None,
            seed=seed,
        )
    ]
    if not followups:
        return group
    for kind in ("incremental", "counterfactual"):
        fu = derive(std, structure, kind, followup_rng(std.id, seed, index, kind))
        if fu is None:
            continue
        group.append(_followup(std, seed, index, kind, text, fu, theme, original_id, solutions, style))
    return group


def _followup(
    std: Standard,
    seed: int,
    index: int,
    kind: FollowupKind,
    original: Rendering,
    fu: Structure,
    theme: str,
    original_id: str,
    solutions: bool,
    style: Style,
) -> Problem:
    statement = render_followup(std, original, fu, kind, problem_rng(f"{std.id}/{kind}/text", seed, index), style)
    solved = answer(std, fu)
    return Problem(
        id=f"{std.id}-{seed}-{index}-{_KIND_INDEX[kind]}",
        standard=std.id,
        statement=statement,
        answer=str(solved),
        type=_KIND_TYPE[kind],
        followup_to=original_id,
        structure=fu.text() + theme,
        solution=solve_steps(std, fu, solved) if solutions else None,
        seed=seed,
    )


# ---------------------------------------------------------------- command line


@dataclass
class _Tally:
    originals: int = 0
    incremental: int = 0
    counterfactual: int = 0
    seconds: float = 0.0
    answers: set[str] = field(default_factory=set)


def _generate_with_progress(
    stds: list[Standard],
    per_standard: int,
    seed: int,
    followups: bool,
    solutions: bool,
    style: Style,
    tallies: dict[str, _Tally],
) -> Iterator[Problem]:
    from tqdm import tqdm

    with tqdm(
        total=len(stds) * per_standard, unit="problem", desc="generating", file=sys.stderr, mininterval=0.5
    ) as bar:
        for std in stds:
            tally = tallies.setdefault(std.id, _Tally())
            for i in range(per_standard):
                t = time.perf_counter()
                group = problem_group(std, seed, i, followups, solutions, style)
                tally.seconds += time.perf_counter() - t
                for p in group:
                    if p.type == ORIGINAL:
                        tally.originals += 1
                        tally.answers.add(p.answer)
                    elif p.type == INCREMENTAL:
                        tally.incremental += 1
                    else:
                        tally.counterfactual += 1
                    yield p
                bar.update(1)
                bar.set_postfix_str(std.id, refresh=False)  # a refresh per problem would defeat mininterval


def _summary(tallies: dict[str, _Tally]) -> str:
    header = f"{'standard':24} {'orig':>5} {'incr':>5} {'cf':>5} {'distinct answers':>17} {'seconds':>8}"
    rows = [header, "-" * len(header)]
    for sid, t in tallies.items():
        rows.append(
            f"{sid:24} {t.originals:5d} {t.incremental:5d} {t.counterfactual:5d} {len(t.answers):17d} {t.seconds:8.2f}"
        )
    total = _Tally()
    for t in tallies.values():
        total.originals += t.originals
        total.incremental += t.incremental
        total.counterfactual += t.counterfactual
        total.seconds += t.seconds
    rows.append("-" * len(header))
    counts = f"{total.originals:5d} {total.incremental:5d} {total.counterfactual:5d}"
    rows.append(f"{'total':24} {counts} {'':17} {total.seconds:8.2f}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from mathcamps.export import FORMATS, save_dataset, write_lm_eval_task

    parser = argparse.ArgumentParser(prog="python -m mathcamps.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--standards", default="all", help="'all' or comma-separated standard ids")
    parser.add_argument("--per-standard", type=int, default=100, help="original problems per standard")
    parser.add_argument("--seed", type=int, default=0, help="the generation seed")
    parser.add_argument("--out", type=Path, required=True, help="output: a .jsonl or .json file, or a folder")
    parser.add_argument("--no-followups", action="store_true", help="originals only")
    parser.add_argument("--no-solutions", action="store_true", help="leave out worked solutions")
    parser.add_argument(
        "--style",
        choices=["story", "exercise"],
        default="story",
        help="word problems where a standard has them (default), or bare arithmetic exercises",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="jsonl",
        help="a JSONL/JSON file (default), an HF datasets folder (save_to_disk, ready for push_to_hub), or an "
        "lm-evaluation-harness task folder (task YAML and data; lm_eval --include_path OUT)",
    )
    parser.add_argument(
        "--render",
        choices=["templates", "llm"],
        default="templates",
        help="write the statements with the templates (default), or with a chat LLM, keeping only problems whose "
        "text back-translates to the same answer (rejected groups are replaced from the same stream)",
    )
    parser.add_argument(
        "--llm",
        help="for --render llm: an OpenAI-compatible URL (http://host:8000/v1), or an HF model id or folder "
        "(run by the project's generation engine, or vLLM when installed)",
    )
    parser.add_argument("--llm-model", default="default", help="the model name sent to an --llm endpoint")
    args = parser.parse_args(argv)
    if args.per_standard < 1:
        raise UserError(f"--per-standard must be >= 1, got {args.per_standard}")
    if args.render == "llm" and not args.llm:
        raise UserError("--render llm needs --llm (an OpenAI-compatible URL, or an HF model id or folder)")
    stds = resolve_standards(args.standards)  # an unknown id raises, saying "did you mean"
    tallies: dict[str, _Tally] = {}
    followups, solutions = not args.no_followups, not args.no_solutions
    if args.render == "llm":
        from mathcamps.render.chat import open_chat_backend
        from mathcamps.render.llm import LLMRenderer, format_reports, render_set

        backend = open_chat_backend(args.llm, args.llm_model)  # a bad --llm is a ValueError: one error line

        def make_group(std: Standard, i: int) -> list[Problem]:
            return problem_group(std, args.seed, i, followups, solutions, args.style)

        problems, reports = render_set(stds, args.per_standard, make_group, LLMRenderer(backend))
        print(format_reports(reports))
    else:
        problems = list(
            _generate_with_progress(stds, args.per_standard, args.seed, followups, solutions, args.style, tallies)
        )
    if args.format == "jsonl":
        n = write_problems(problems, args.out)
    elif args.format == "datasets":
        save_dataset(problems, args.out)
        n = len(problems)
    else:
        write_lm_eval_task(problems, args.out)
        n = len(problems)
    if tallies:
        print(_summary(tallies))
    print(f"wrote {n} problems to {args.out}")
    return 0


if __name__ == "__main__":
    run_cli(main)
