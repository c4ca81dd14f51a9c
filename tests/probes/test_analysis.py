"""Known-answer tests of the analyses on constructed runs, where acquisition points and correlation are exact."""

import json
from pathlib import Path

import pytest
from scipy import stats as scipy_stats

from mathcamps.problem import COUNTERFACTUAL, INCREMENTAL
from probes.analysis import acquisition_points, acquisition_step, compare_snapshots, load_series
from probes.analyze import main as analyze_main
from probes.study import analyse

PER_STANDARD = 10
STEPS = [0, 100, 200, 300, 400, 500]
# Accuracy per standard at each step of STEPS (tenths, so exact with 10 problems each).
CURVES = {
    "K.CC.C.7": [0.0, 0.6, 0.8, 0.9, 1.0, 1.0],  # at/above 0.5 from 100
    "K.OA.A.5": [0.0, 0.2, 0.7, 0.4, 0.6, 0.8],  # crosses at 200, dips at 300: acquired at 400
    "1.OA.A.1": [0.0, 0.0, 0.5, 0.6, 0.7, 0.9],  # exactly at the threshold counts: 200
    "2.NBT.B.5": [0.0, 0.0, 0.0, 0.2, 0.5, 0.7],  # 400
    "2.NBT.B.7": [0.0, 0.6, 0.1, 0.1, 0.2, 0.3],  # crossed once, then lost: not acquired
    "3.OA.C.7": [0.0, 0.0, 0.0, 0.0, 0.3, 0.6],  # 500
}
EXPECTED_AT_HALF = {"K.CC.C.7": 100, "K.OA.A.5": 400, "1.OA.A.1": 200, "2.NBT.B.5": 400, "2.NBT.B.7": None,
                    "3.OA.C.7": 500}


def outcome_row(step: int | None, standard: str, i: int, correct: bool, **extra) -> dict:
    row = {"id": f"{standard}-7-{i}", "standard": standard, "grade": standard.split(".")[0], "correct": correct,
           "extracted": "1" if correct else None, "response": "", **extra}
    return row if step is None else {"step": step, **row}


def write_run(root: Path, curves: dict[str, list[float]], steps: list[int] = STEPS) -> Path:
    """A probe run dir in the callback's format, whose per-standard accuracies follow `curves` exactly."""
    out = root / "mathcamps"
    out.mkdir(parents=True)
    with open(out / "responses.jsonl", "w") as f, open(out / "probes.jsonl", "w") as g:
        for k, step in enumerate(steps):
            for standard, curve in curves.items():
                right = round(curve[k] * PER_STANDARD)
                for i in range(PER_STANDARD):
                    f.write(json.dumps(outcome_row(step, standard, i, i < right)) + "\n")
            g.write(json.dumps({"step": step, "acc": {s: c[k] for s, c in curves.items()}}) + "\n")
    return root


def write_eval(root: Path, correct: dict[str, list[bool]], followups: list[dict] = ()) -> Path:
    """An evaluation output dir (`responses.jsonl` without steps), one row per problem."""
    root.mkdir(parents=True)
    with open(root / "responses.jsonl", "w") as f:
        for standard, outcomes in correct.items():
            for i, ok in enumerate(outcomes):
                f.write(json.dumps(outcome_row(None, standard, i, ok)) + "\n")
        for row in followups:
            f.write(json.dumps(row) + "\n")
    return root


def test_acquisition_step_known_answers():
    assert acquisition_step([(0, 0.0), (1, 0.5)], 0.5) == 1
    assert acquisition_step([(0, 0.9), (1, 0.9)], 0.5) == 0
    assert acquisition_step([(0, 0.9), (1, 0.1)], 0.5) is None
    assert acquisition_step([], 0.5) is None
    assert acquisition_step([(30, 0.9), (10, 0.1), (20, 0.9)], 0.5) == 20  # order of input does not matter
    with pytest.raises(ValueError, match="threshold must be in"):
        acquisition_step([(0, 1.0)], 0.0)


def test_constructed_run_acquisition_points_and_curves(tmp_path):
    series = load_series(write_run(tmp_path / "run", CURVES))
    assert series.kind == "run" and series.steps == STEPS
    assert series.standards == ["K.CC.C.7", "K.OA.A.5", "1.OA.A.1", "2.NBT.B.5", "2.NBT.B.7", "3.OA.C.7"]
    assert acquisition_points(series, 0.5) == EXPECTED_AT_HALF
    # A higher threshold moves every point later (or to never).
    assert acquisition_points(series, 0.8) == {"K.CC.C.7": 200, "K.OA.A.5": 500, "1.OA.A.1": 500, "2.NBT.B.5": None,
                                               "2.NBT.B.7": None, "3.OA.C.7": None}


def test_constructed_run_grade_correlation_is_exact(tmp_path):
    study = analyse(load_series(write_run(tmp_path / "run", CURVES)), threshold=0.5)
    # Acquired (grade, step): (K,100) (K,400) (1,200) (2,400) (3,500); by hand from the ranks, rho = 6.75 / 9.5.
    assert study.correlation.rho == pytest.approx(27 / 38)
    ref = scipy_stats.spearmanr([0, 0, 1, 2, 3], [100, 400, 200, 400, 500])
    assert study.correlation.p_value == pytest.approx(ref.pvalue)
    assert study.correlation.n == 5
    assert -1 <= study.correlation.low <= study.correlation.rho <= study.correlation.high <= 1


def test_curriculum_order_gives_rho_one_and_reversed_gives_minus_one(tmp_path):
    ordered = {"K.CC.C.7": [0, 1, 1, 1], "1.OA.A.1": [0, 0, 1, 1], "2.NBT.B.5": [0, 0, 0, 1]}
    study = analyse(load_series(write_run(tmp_path / "a", ordered, [0, 10, 20, 30])))
    assert study.acquisition == {"K.CC.C.7": 10, "1.OA.A.1": 20, "2.NBT.B.5": 30}
    assert study.correlation.rho == pytest.approx(1.0)
    reversed_ = {"K.CC.C.7": [0, 0, 0, 1], "1.OA.A.1": [0, 0, 1, 1], "2.NBT.B.5": [0, 1, 1, 1]}
    assert analyse(load_series(write_run(tmp_path / "b", reversed_, [0, 10, 20, 30]))).correlation.rho == \
        pytest.approx(-1.0)


def test_first_vs_last_comparison_flags_gains_only_where_significant(tmp_path):
    study = analyse(load_series(write_run(tmp_path / "run", CURVES)), alpha=0.05, fdr=False)  # raw p-values
    changes = {c.standard: c for c in study.comparison.changes}
    # K.CC.C.7 goes 0/10 -> 10/10: ten gains, p = 2 / 2**10. 2.NBT.B.7 goes 0 -> 3/10: p = 2 / 2**3 = 0.25.
    assert changes["K.CC.C.7"].test.p_value == pytest.approx(2 / 2**10)
    assert changes["2.NBT.B.7"].test.p_value == pytest.approx(0.25)
    # 3.OA.C.7 gains 6 of 10: p = 2 / 2**6 = 0.03125, significant at 0.05 and not at 0.02.
    assert changes["3.OA.C.7"].test.p_value == pytest.approx(2 / 2**6)
    assert study.comparison.improved == ["K.CC.C.7", "K.OA.A.5", "1.OA.A.1", "2.NBT.B.5", "3.OA.C.7"]
    strict = analyse(study.series, alpha=0.02, fdr=False)
    assert strict.comparison.improved == ["K.CC.C.7", "K.OA.A.5", "1.OA.A.1", "2.NBT.B.5"]
    assert study.comparison.regressed == []
    # Pooled by grade, in grade order: grade K has 20 problems, 18 gained.
    assert list(study.comparison.by_grade) == ["K", "1", "2", "3"]
    assert (study.comparison.by_grade["K"].n, study.comparison.by_grade["K"].gains) == (20, 18)


def test_base_vs_tuned_from_two_eval_dirs_with_followups(tmp_path):
    fu = [  # follow-ups of K.CC.C.7-7-0 and -1 (both right in base), one of each kind
        {"id": "K.CC.C.7-7-0-cf", "standard": "K.CC.C.7", "correct": True, "type": COUNTERFACTUAL,
         "followup_to": "K.CC.C.7-7-0"},
        {"id": "K.CC.C.7-7-0-in", "standard": "K.CC.C.7", "correct": False, "type": INCREMENTAL,
         "followup_to": "K.CC.C.7-7-0"},
        {"id": "K.CC.C.7-7-1-cf", "standard": "K.CC.C.7", "correct": True, "type": COUNTERFACTUAL,
         "followup_to": "K.CC.C.7-7-1"},
    ]
    base = write_eval(tmp_path / "base", {
        "K.CC.C.7": [True] * 12,  # tuned loses all 12: a clear regression
        "1.OA.A.1": [False] * 12,  # tuned gets all 12: a clear gain
        "2.NBT.B.5": [True, True, False, False] + [True] * 8,  # two gains, two losses: noise
    }, fu)
    tuned_fu = [dict(r, correct=True) for r in fu]
    tuned = write_eval(tmp_path / "tuned", {
        "K.CC.C.7": [False] * 12,
        "1.OA.A.1": [True] * 12,
        "2.NBT.B.5": [False, False, True, True] + [True] * 8,
    }, tuned_fu)
    study = analyze_main(base, against=tuned, out=tmp_path / "analysis.json")
    comp = study.comparison
    assert comp.improved == ["1.OA.A.1"] and comp.regressed == ["K.CC.C.7"]
    changes = {c.standard: c.test for c in comp.changes}
    assert changes["2.NBT.B.5"].delta == 0 and changes["2.NBT.B.5"].p_value == 1.0
    assert changes["K.CC.C.7"].n == 12  # follow-ups are not counted as originals
    # Base: both originals right; counterfactuals 2/2 right, incrementals 0/1; all-right 1 of 2.
    assert comp.followups_before.by_kind == {COUNTERFACTUAL: (2, 1.0), INCREMENTAL: (1, 0.0)}
    assert comp.followups_before.all_right == 0.5
    # Tuned: the originals are wrong now, so no follow-up is conditioned on a right original.
    assert comp.followups_after.by_kind == {COUNTERFACTUAL: (0, None), INCREMENTAL: (0, None)}
    assert comp.followups_after.all_right == 0.0
    written = json.loads((tmp_path / "analysis.json").read_text())
    assert written["comparison"]["regressed"] == ["K.CC.C.7"]
    assert written["comparison"]["followups_before"]["all_right"] == 0.5


def test_compare_runs_without_shared_problems_names_both(tmp_path):
    a = load_series(write_eval(tmp_path / "a", {"K.CC.C.7": [True]}))
    b = load_series(write_eval(tmp_path / "b", {"1.OA.A.1": [True]}))
    with pytest.raises(ValueError, match="share no problem ids"):
        compare_snapshots(a.snapshots[0], b.snapshots[0])


def test_loader_finds_latest_version_tolerates_a_torn_line_and_rejects_empty_dirs(tmp_path):
    write_run(tmp_path / "root" / "version_0", {"K.CC.C.7": [0, 1]}, [0, 5])
    run = write_run(tmp_path / "root" / "version_10", {"K.CC.C.7": [0, 1, 1]}, [0, 5, 9])
    with open(run / "mathcamps" / "responses.jsonl", "a") as f:
        f.write('{"step": 12, "id": "K.CC')  # a writer killed mid-line
    series = load_series(tmp_path / "root")
    assert series.steps == [0, 5, 9]
    with pytest.raises(FileNotFoundError, match="holds no results"):
        load_series(tmp_path)


def test_resumed_run_with_a_repeated_step_keeps_the_later_records(tmp_path):
    run = write_run(tmp_path / "run", {"K.CC.C.7": [0.0, 0.2]}, [0, 100])
    with open(run / "mathcamps" / "responses.jsonl", "a") as f:
        for i in range(PER_STANDARD):
            f.write(json.dumps(outcome_row(100, "K.CC.C.7", i, True)) + "\n")
    assert load_series(run).snapshots[-1].accuracy() == {"K.CC.C.7": 1.0}


def test_a_resumed_runs_versions_are_one_run_from_its_step_0_baseline(tmp_path):
    root = tmp_path / "run"
    # Checkpointed at 10, probed 20, killed before the step-20 checkpoint; resumed from 10, it probes 20 again.
    write_run(root / "version_0", {"K.CC.C.7": [0.0, 0.3, 0.5]}, [0, 10, 20])
    write_run(root / "version_1", {"K.CC.C.7": [0.6, 0.8]}, [20, 30])
    for path in (root, root / "version_0", root / "version_1"):
        series = load_series(path)
        assert series.name == "run/version_0+version_1" and series.kind == "run", path
        assert [(s.step, s.accuracy()["K.CC.C.7"]) for s in series.snapshots] == [(0, 0.0), (10, 0.3), (20, 0.6),
                                                                                  (30, 0.8)]
    assert analyse(load_series(root)).comparison.before == "step 0"  # the gain is since the start, not the resume
    # A later fresh start in the same root (it probed step 0 itself) is a run of its own, and the newest.
    write_run(root / "version_2", {"K.CC.C.7": [0.1, 0.2]}, [0, 10])
    (root / "version_3" / "mathcamps").mkdir(parents=True)  # a failed attempt that probed nothing
    (root / "version_3" / "mathcamps" / "responses.jsonl").write_text("")
    assert (load_series(root).name, load_series(root).steps) == ("run/version_2", [0, 10])
    assert load_series(root / "version_1").steps == [0, 10, 20, 30]
    with pytest.raises(FileNotFoundError, match="holds no results"):
        load_series(root / "version_3")


def test_analysis_doctests_pass():
    import doctest

    import probes.analysis
    import probes.study

    for module in (probes.analysis, probes.study):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_false_discovery_control_drops_a_borderline_flag(tmp_path):
    series = load_series(write_run(tmp_path / "run", CURVES))
    # First vs last p-values: 2/1024, 2/256, 2/512, 2/128, 0.25, 2/64. At alpha 0.035 the raw 2/64 = 0.03125 is
    # flagged; adjusted it is 0.03125 * 6/5 = 0.0375 and is not.
    assert "3.OA.C.7" in analyse(series, alpha=0.035, fdr=False).comparison.improved
    strict = analyse(series, alpha=0.035).comparison  # Benjamini-Hochberg is the default
    assert strict.improved == ["K.CC.C.7", "K.OA.A.5", "1.OA.A.1", "2.NBT.B.5"] and strict.fdr


def test_the_paired_change_interval_matches_the_bootstrap_and_stays_in_bounds():
    import random

    from probes.stats import paired_test
    from probes.study import change_interval

    rng = random.Random(0)
    before = [rng.random() < 0.4 for _ in range(400)]
    after = [b if rng.random() < 0.7 else rng.random() < 0.6 for b in before]  # correlated pairs, a real gain
    mcnemar, bootstrap = paired_test(before, after), paired_test(before, after, "bootstrap", seed=0)
    low, high = change_interval(mcnemar)
    assert low < mcnemar.delta < high
    # Newcombe's score interval and the bootstrap's percentile interval agree at this n.
    assert (low, high) == pytest.approx((bootstrap.low, bootstrap.high), abs=0.005)
    assert change_interval(bootstrap) == (bootstrap.low, bootstrap.high)  # a bootstrap keeps its own
    for b, a in (([True] * 5, [True] * 5), ([False] * 5, [True] * 5), ([True] * 5, [False] * 5), ([True], [False])):
        low, high = change_interval(paired_test(b, a))
        delta = sum(a) / len(a) - sum(b) / len(b)
        assert -1 <= low <= delta <= high <= 1 and high - low > 0.2, (b, a)
    # More problems, a narrower interval around the same change.
    few, many = (change_interval(paired_test(before[:n], after[:n])) for n in (40, 400))
    assert many[1] - many[0] < few[1] - few[0]
