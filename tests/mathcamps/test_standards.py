from collections import Counter

import pytest

from mathcamps.standards import STANDARD_IDS, STANDARDS, UnknownStandardError, get_standard, resolve_standards
from tests.reference import reference_dir


def test_49_ids_44_standards_with_the_published_grade_counts():
    assert len(STANDARD_IDS) == 49 == len(set(STANDARD_IDS))
    parents = {s.parent: s.grade for s in STANDARDS}
    assert len(parents) == 44
    assert Counter(parents.values()) == {"K": 4, "1": 3, "2": 6, "3": 6, "4": 8, "5": 7, "6": 4, "7": 3, "8": 3}
    assert {s.id for s in STANDARDS if s.id != s.parent} == {
        "3.MD.D.8-triangle", "3.MD.D.8-quadrilateral", "3.MD.D.8-polygon", "4.MD.A.2-decimal", "4.MD.A.2-fraction",
        "7.NS.A.1-decimal", "7.NS.A.1-fraction", "7.NS.A.3-decimal", "7.NS.A.3-fraction",
    }  # fmt: skip


def test_every_standard_has_a_description_and_a_domain():
    for s in STANDARDS:
        assert len(s.description) > 20 and s.description.endswith(".")
        assert s.domain and s.grade == s.id.split(".")[0]


def test_unknown_id_names_the_closest_ids_and_lists_all():
    with pytest.raises(UnknownStandardError) as info:
        get_standard("3.OA.C7")
    message = str(info.value)
    assert "'3.OA.C7'" in message and "Did you mean '3.OA.C.7'" in message
    assert all(i in message for i in STANDARD_IDS)
    assert "\n" not in message


def test_resolve_standards():
    assert [s.id for s in resolve_standards("all")] == list(STANDARD_IDS)
    assert [s.id for s in resolve_standards("K.OA.A.5, 3.OA.C.7")] == ["K.OA.A.5", "3.OA.C.7"]
    assert [s.id for s in resolve_standards(["8.EE.C.8"])] == ["8.EE.C.8"]
    with pytest.raises(ValueError):
        resolve_standards("")


def test_first_grade_word_problems_are_plain_as_released():
    assert get_standard("1.OA.A.1").unknowns == 0 and get_standard("1.OA.A.2").unknowns == 0


def test_settings_match_the_published_grammar_file():
    yaml = pytest.importorskip("yaml")
    entries = {e["id"]: e for e in yaml.safe_load((reference_dir() / "commoncore.yaml").read_text())}
    kinds = {"Int": "int", "Decimal-2": "decimal-2", "Decimal-3": "decimal-3", "Fraction": "fraction"}
    answers = {None: "value", "None": "value", "Compare": "compare", "Factor Pairs": "factor-pairs",
               "System of Equations": "system"}  # fmt: skip
    assert set(entries) == set(STANDARD_IDS)
    for s in STANDARDS:
        e = entries[s.id]
        assert s.rules == tuple(e["expressions"]), s.id
        assert s.number_types == tuple(kinds[k] for k in e["number_type"]), s.id
        assert s.numbers == (e["min_number"], e["max_number"]), s.id
        assert s.values == (e["min_value"], e["max_value"]), s.id
        assert s.max_depth == e["max_depth"] and s.length == (e["min_length"], e["max_length"]), s.id
        assert s.coefficients == (e["min_coeff"], e["max_coeff"]), s.id
        expected_unknowns = e["num_unknowns"] if e["unknowns"] and s.id not in ("1.OA.A.1", "1.OA.A.2") else 0
        assert s.unknowns == expected_unknowns, s.id
        assert s.answer_kind == answers[e["custom_final_answer"]], s.id
        assert s.followups == tuple({1: "incremental", 2: "counterfactual"}[k] for k in e["types_of_fup"]), s.id
        assert s.contains_ten == ("ContainsTen" in e["filters"]), s.id
        assert s.simplify == ("Simplify" in e["transforms"]), s.id
