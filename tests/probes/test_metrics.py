"""Metrics over records: Wilson intervals, per-standard/grade accuracy, follow-up metrics, the summary."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL
from probes import metrics
from probes.engine import Record


def rec(id, std, correct, *, kind=None, to=None, asked=True, extracted="1", new=3, prompt=5):
    grade = std.split(".")[0]
    return Record(id, std, grade, "p" if asked else "", "r" if asked else "", "1", extracted if asked else None,
                  "answer-line" if asked else "not-asked", correct, new if asked else 0,
                  type=kind or "original-problem", followup_to=to, turn=1 if kind else 0, asked=asked,
                  prompt_tokens=prompt if asked else 0)


RECORDS = [
    # K.OA.A.5: 2 of 3 right; o1 has both follow-ups right, o2 one wrong, o3 (wrong) has one not asked.
    rec("K-1-0", "K.OA.A.5", True),
    rec("K-1-1", "K.OA.A.5", True, kind=INCREMENTAL, to="K-1-0"),
    rec("K-1-2", "K.OA.A.5", True, kind=COUNTERFACTUAL, to="K-1-0"),
    rec("K-2-0", "K.OA.A.5", True),
    rec("K-2-2", "K.OA.A.5", False, kind=COUNTERFACTUAL, to="K-2-0", extracted=None),
    rec("K-3-0", "K.OA.A.5", False, extracted=None),
    rec("K-3-2", "K.OA.A.5", False, kind=COUNTERFACTUAL, to="K-3-0", asked=False),
    # 3.OA.C.7: 1 of 2 right, no follow-ups.
    rec("3-1-0", "3.OA.C.7", True),
    rec("3-2-0", "3.OA.C.7", False),
    # 3.MD.D.8-triangle: a grade-3 variant id.
    rec("3t-1-0", "3.MD.D.8-triangle", True),
]


@pytest.mark.parametrize("k, n, lo, hi", [
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (5, 10, 0.2366, 0.7634),
    (1, 1, 0.2065, 1.0),
    (0, 0, 0.0, 1.0),
])
def test_wilson_known_values(k, n, lo, hi):
    got = metrics.wilson(k, n)
    assert got == pytest.approx((lo, hi), abs=1e-4)


@given(st.integers(0, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_brackets_the_proportion(kn):
    k, n = kn
    lo, hi = metrics.wilson(k, n)
    assert 0 <= lo <= hi <= 1
    if n:
        assert lo - 1e-12 <= k / n <= hi + 1e-12
        assert hi - lo <= 2 * 1.96 * math.sqrt(0.25 / n) + 1e-9  # never wider than the worst-case normal interval


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError, match="correct=3, n=2"):
        metrics.wilson(3, 2)


def test_per_standard_grade_and_overall():
    s = metrics.summary(RECORDS)
    assert s["overall"]["n"] == 6 and s["overall"]["correct"] == 4
    assert s["overall"]["ci95"] == pytest.approx(list(metrics.wilson(4, 6)))
    assert list(s["by_standard"]) == ["K.OA.A.5", "3.MD.D.8-triangle", "3.OA.C.7"]
    k = s["by_standard"]["K.OA.A.5"]
    assert (k["n"], k["correct"], k["acc"]) == (3, 2, pytest.approx(2 / 3))
    assert k["unextractable_rate"] == pytest.approx(1 / 3)
    assert k["all_followups_right"]["correct"] == 1  # only K-1 is right with every follow-up
    assert s["by_standard"]["3.OA.C.7"]["all_followups_right"]["correct"] == 1  # no follow-ups: its own verdict
    assert {g: (a["n"], a["correct"]) for g, a in s["by_grade"].items()} == {"K": (3, 2), "3": (3, 2)}
    assert s["unextractable_rate"] == pytest.approx(1 / 6)


def test_followup_metrics():
    f = metrics.summary(RECORDS)["followups"]
    cf = f["by_kind"][COUNTERFACTUAL]
    assert (cf["given_original_right"]["n"], cf["given_original_right"]["correct"]) == (2, 1)
    assert (cf["joint"]["n"], cf["joint"]["correct"]) == (3, 1)  # the not-asked one counts as wrong
    assert cf["unextractable_rate"] == pytest.approx(1 / 2)
    inc = f["by_kind"][INCREMENTAL]
    assert (inc["given_original_right"]["n"], inc["given_original_right"]["correct"]) == (1, 1)
    assert (f["given_original_right"]["n"], f["given_original_right"]["correct"]) == (3, 2)
    assert (f["all_followups_right"]["n"], f["all_followups_right"]["correct"]) == (6, 3)


def test_no_followups_and_token_counts():
    only = [r for r in RECORDS if not r.is_followup]
    s = metrics.summary(only)
    assert s["followups"] is None
    assert s["tokens"] == {"prompt": 30, "new": 18, "responses": 6}
    assert metrics.summary(RECORDS)["tokens"]["responses"] == 9  # the not-asked follow-up has no response
