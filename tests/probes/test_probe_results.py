"""Per-probe measurements on constructed records: a clear regression, no change, and noise."""

import pytest

from probes.engine import Record
from probes.probe_results import measure, scalars


def records(standard: str, verdicts: list[bool], kind: str = "original-problem") -> list[Record]:
    grade = standard.split(".")[0]
    return [Record(f"{standard}-0-{i}-0", standard, grade, "p", "r", "1", "1", "answer-line", ok, 3)
            for i, ok in enumerate(verdicts)]


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
