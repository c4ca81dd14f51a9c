"""Per-probe measurements on constructed records: a clear regression, no change, and noise."""

import pytest

from probes.engine import Record
from probes.probe_results import measure, scalars


def records(standard: str, verdicts: list[bool], kind: str = "original-problem") -> list[Record]:
    grade = standard.split(".")[0]
    return [Record(f"{standard}-0-{i}-0", standard, grade, "p", "r", "1", "1", "answer-line", ok, 3, strict=ok,
                   in_format=True) for i, ok in enumerate(verdicts)]


def test_a_clear_regression_is_flagged():
    base = records("1.OA.A.1", [True] * 30) + records("K.CC.C.7", [True] * 10 + [False] * 20)
    now = records("1.OA.A.1", [True] * 8 + [False] * 22) + records("K.CC.C.7", [True] * 10 + [False] * 20)
    result = measure(100, now, base, None, alpha=0.05)
    assert result.regressions == ["1.OA.A.1"] and result.gains == []
    assert result.acc["1.OA.A.1"] == pytest.approx(8 / 30)
    assert result.delta["1.OA.A.1"] == pytest.approx(8 / 30 - 1)
    assert result.p_values["1.OA.A.1"] < 1e-5  # 22 losses, 0 gains: 2 * 0.5**22
    assert result.p_values["K.CC.C.7"] == 1.0


def test_no_change_flags_nothing():
    base = records("3.OA.C.7", [True, False] * 15)
    result = measure(5, base, base, None, alpha=0.05)
    assert result.gains == result.regressions == []
    assert result.delta == {"3.OA.C.7": 0.0}


def test_noise_is_not_reported_as_a_skill_lost():
    # 15 of 30 right both times, but 7 problems flipped each way: the accuracy is unchanged by chance.
    before = [True] * 15 + [False] * 15
    after = [False] * 7 + [True] * 8 + [True] * 7 + [False] * 8
    result = measure(5, records("2.NBT.B.5", after), records("2.NBT.B.5", before), None, alpha=0.05)
    assert result.gains == result.regressions == []
    assert result.p_values["2.NBT.B.5"] == pytest.approx(1.0)
    # Even a drop of 4 problems (6 losses vs 2 gains) is within noise at n = 30.
    after = [False] * 6 + [True] * 9 + [True] * 2 + [False] * 13
    result = measure(5, records("2.NBT.B.5", after), records("2.NBT.B.5", before), None, alpha=0.05)
    assert result.delta["2.NBT.B.5"] == pytest.approx(-4 / 30)
    assert result.regressions == [] and result.p_values["2.NBT.B.5"] > 0.05


def test_change_since_previous_probe_and_aggregates():
    base = records("K.OA.A.5", [False] * 10) + records("1.OA.A.1", [False] * 10)
    mid = measure(10, records("K.OA.A.5", [True] * 5 + [False] * 5) + records("1.OA.A.1", [False] * 10), base,
                  None, 0.05)
    now = measure(20, records("K.OA.A.5", [True] * 10) + records("1.OA.A.1", [True] * 2 + [False] * 8), base,
                  mid, 0.05)
    assert now.delta_prev == {"K.OA.A.5": pytest.approx(0.5), "1.OA.A.1": pytest.approx(0.2)}
    assert now.by_grade == {"K": 1.0, "1": pytest.approx(0.2)}
    assert now.by_domain == {"Operations and Algebraic Thinking": pytest.approx(0.6)}
    assert now.overall == pytest.approx(0.6)
    assert now.gains == ["K.OA.A.5"]  # 10 gains, 0 losses; 1.OA.A.1's 2 gains are not significant
    keys = scalars(now)
    assert keys["mathcamps/acc/K.OA.A.5"] == 1.0 and keys["mathcamps/delta/1.OA.A.1"] == pytest.approx(0.2)
    assert keys["mathcamps/gains"] == 1.0 and keys["mathcamps/regressions"] == 0.0


def test_the_probe_corrects_for_many_standards_and_logs_p_values_flags_mde_and_format():
    # Four standards of 20: one clear gain (10 of 20), one borderline gain (6 of 20, p = 2/64 = 0.031).
    base = [r for s in ("K.OA.A.5", "1.OA.A.1", "2.NBT.B.5", "3.OA.C.7") for r in records(s, [False] * 20)]
    now = (records("K.OA.A.5", [True] * 10 + [False] * 10) + records("1.OA.A.1", [True] * 6 + [False] * 14)
           + records("2.NBT.B.5", [False] * 20) + records("3.OA.C.7", [False] * 20))
    raw = measure(1, now, base, None, alpha=0.035, fdr=False)
    corrected = measure(1, now, base, None, alpha=0.035)  # Benjamini-Hochberg is the default
    assert raw.gains == ["K.OA.A.5", "1.OA.A.1"]
    assert corrected.gains == ["K.OA.A.5"]  # 0.031 * 4 / 2 = 0.0625 after correction
    assert corrected.q_values["1.OA.A.1"] == pytest.approx(2 / 64 * 4 / 2)
    assert corrected.mde == {s: pytest.approx(6 / 20) for s in corrected.acc}
    assert corrected.grade_p_values["K"] == pytest.approx(2 / 2**10) and corrected.grade_changes["K"] == 1
    unextractable = [Record(r.id, r.standard, r.grade, "p", "", "1", None, "none", False, 3) for r in now[:5]]
    with_format = measure(1, unextractable + now[5:], base, None, alpha=0.05)
    assert with_format.format["K.OA.A.5"] == pytest.approx(15 / 20) and with_format.format["1.OA.A.1"] == 1.0
    # a response graded right by its concluded answer, without the answer format: flexible yes, strict no
    concluded = [Record(r.id, r.standard, r.grade, "p", "So 1.", "1", "1", "conclusion", True, 3) for r in now[:10]]
    unformatted = measure(1, concluded + now[10:], base, None, alpha=0.05)
    assert unformatted.acc["K.OA.A.5"] == 0.5 and unformatted.strict["K.OA.A.5"] == 0.0
    assert unformatted.format["K.OA.A.5"] == 0.5 and unformatted.overall_format == pytest.approx(70 / 80)
    logged = scalars(unformatted)
    assert logged["mathcamps/strict/K.OA.A.5"] == 0.0 and logged["mathcamps/strict"] == pytest.approx(6 / 80)
    keys = scalars(corrected)
    assert keys["mathcamps/p/1.OA.A.1"] == pytest.approx(2 / 64)
    assert keys["mathcamps/q/1.OA.A.1"] == pytest.approx(2 / 64 * 2)
    assert keys["mathcamps/significant/K.OA.A.5"] == 1.0 and keys["mathcamps/significant/1.OA.A.1"] == 0.0
    assert keys["mathcamps/mde/2.NBT.B.5"] == pytest.approx(0.3) and keys["mathcamps/format/3.OA.C.7"] == 1.0
    assert keys["mathcamps/grade_significant/K"] == 1.0 and "mathcamps/grade_p/3" in keys
