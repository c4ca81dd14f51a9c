"""Conformance with the published MathCAMPS v1 release: every structure parses, prints back and re-solves.

Reads `../shared/reference/` (skips, with the reason, when absent). Answers are compared under
`mathcamps.answers.equivalent`; the exact string match is also counted and reported, since it is the stronger check.
"""

import json
from pathlib import Path

import pytest

from mathcamps.answers.grade import equivalent
from mathcamps.grammar.exact import answer
from mathcamps.grammar.parse import parse_structure, structure_key
from mathcamps.grammar.tree import EvalError
from mathcamps.render.llm import cycle_verdict, extract_structure
from mathcamps.standards import get_standard
from tests.reference import reference_dir

MISMATCHES = Path(__file__).parent / "data" / "known_answer_mismatches.json"


@pytest.fixture(scope="module")
def published() -> list[dict]:
    folder = reference_dir() / "mathcamps-v1"
    rows = []
    for path in sorted(folder.glob("*.json")):
        if path.name != "mathcamps.json":
            rows += [item for group in json.loads(path.read_text()) for item in group]
    assert len(rows) == 9607, f"expected the 9,607 published problems, found {len(rows)}"
    return rows


def test_every_published_structure_parses_and_prints_back_exactly(published: list[dict]) -> None:
    failures = []
    for row in published:
        text = row["symbolic-struct"]
        try:
            structure = parse_structure(text)
        except ValueError as err:
            failures.append(f"{row['id']}: {err}")
            continue
        if structure.text() != text or parse_structure(structure.text()) != structure:
            failures.append(f"{row['id']}: does not round-trip")
    assert not failures, f"{len(failures)} of {len(published)} fail:\n" + "\n".join(failures[:20])


def test_re_solving_gives_the_published_answers(published: list[dict]) -> None:
    known = {m["id"]: m for m in json.loads(MISMATCHES.read_text())["mismatches"]}
    exact = equivalent_only = 0
    unexpected, resolved = [], []
    for row in published:
        try:
            ours = str(answer(get_standard(row["standard"]), parse_structure(row["symbolic-struct"])))
        except EvalError as err:
            ours = f"SolveError: {err}"
        same = ours == row["answer"] or equivalent(ours, row["answer"])
        exact += ours == row["answer"]
        equivalent_only += same and ours != row["answer"]
        if row["id"] in known:
            if same:
                resolved.append(row["id"])
            else:
                assert known[row["id"]]["ours"] == ours, f"{row['id']}: the listed answer changed to {ours!r}"
        elif not same:
            unexpected.append(f"{row['id']}: published {row['answer']!r}, ours {ours!r}")
    print(
        f"\n{exact} of {len(published)} answers match exactly, {equivalent_only} more under equivalence, "
        f"{len(known)} listed mismatches"
    )
    assert not resolved, f"listed as mismatches but now agree: {resolved}"
    assert not unexpected, f"{len(unexpected)} unlisted mismatches:\n" + "\n".join(unexpected[:20])
    assert (exact + equivalent_only) / len(published) >= 0.995


def test_every_listed_mismatch_has_a_reason() -> None:
    for m in json.loads(MISMATCHES.read_text())["mismatches"]:
        assert {"id", "published", "ours", "reason"} <= m.keys() and m["reason"].strip(), m


def test_counterfactuals_change_the_structure_key_except_listed_release_defects(published: list[dict]) -> None:
    # A counterfactual changes a literal, so it never shares its original's key (names and theme never matter).
    listed = {m["id"] for m in json.loads(MISMATCHES.read_text())["unchanged_counterfactuals"]}
    originals = {r["id"]: r for r in published if r["tag"] == "original problem"}
    unchanged = {
        row["id"]
        for row in published
        if row["tag"] == "modified information follow up"
        and structure_key(row["symbolic-struct"])
        == structure_key(originals[row["id"].rsplit("-", 1)[0] + "-0"]["symbolic-struct"])
    }
    assert unchanged == listed


def test_structure_key_is_blind_to_names_and_theme(published: list[dict]) -> None:
    keys = {structure_key(r["symbolic-struct"]) for r in published}
    assert all("theme:" not in k and "math concept:" not in k for k in keys)
    texts = {r["symbolic-struct"].rsplit("\n", 1)[0] for r in published}
    # Renaming merges structures that differ only in names (e.g. `10 _ 7` asked as p or as w) but nothing else.
    assert 0.9 * len(texts) < len(keys) < len(texts)


def test_published_back_translations_pass_our_cycle_check(published: list[dict]) -> None:
    # The release kept only problems whose `new symbolic struct` solved to the answer; our check should agree.
    exempt = {"K.CC.C.7", "4.NF.A.2", "4.OA.B.4"}
    rows = [r for r in published if r["standard"] not in exempt]
    verdicts = {}
    for r in rows:
        back = extract_structure(r["new symbolic struct"])
        verdicts[r["id"]] = cycle_verdict(r["symbolic-struct"], back, get_standard(r["standard"]))
    failed = {k: v for k, v in verdicts.items() if v is not None}
    print(f"\n{len(rows) - len(failed)} of {len(rows)} published back-translations pass: {failed}")
    assert len(rows) == 9107
    assert not failed, failed
