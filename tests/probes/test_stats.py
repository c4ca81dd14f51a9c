"""Known-answer tests for the paired tests and the rank correlation: a clear regression, no change, and noise."""

import doctest
import math

import pytest
from scipy import stats as scipy_stats

import probes.stats
from probes.stats import mcnemar_exact, paired_bootstrap, paired_test, spearman


def test_doctests_pass():
    result = doctest.testmod(probes.stats)
    assert result.attempted >= 5 and result.failed == 0


def test_mcnemar_clear_regression():
    # 25 problems: 15 right answers lost, none gained, 10 unchanged (5 right, 5 wrong).
    before = [True] * 15 + [True] * 5 + [False] * 5
    after = [False] * 15 + [True] * 5 + [False] * 5
    t = mcnemar_exact(before, after)
    assert (t.n, t.gains, t.losses) == (25, 0, 15)
    assert t.before == pytest.approx(20 / 25) and t.after == pytest.approx(5 / 25)
    assert t.p_value == pytest.approx(2 * 0.5**15)  # both tails of Binomial(15, 1/2) at 0 and 15
    assert t.direction(0.05) == "regression"


def test_mcnemar_clear_gain_is_symmetric():
    t = mcnemar_exact([False] * 12, [True] * 12)
    assert (t.gains, t.losses, t.delta) == (12, 0, 1.0)
    assert t.p_value == pytest.approx(2 * 0.5**12)
    assert t.direction() == "gain"


def test_mcnemar_no_change():
    outcomes = [True, False, True, True, False] * 4
    t = mcnemar_exact(outcomes, outcomes)
    assert (t.gains, t.losses, t.p_value, t.delta) == (0, 0, 1.0, 0.0)
    assert t.direction() is None


def test_mcnemar_noise_is_not_significant():
    # 2 gains and 5 losses among 30 problems: accuracy drops 10 points, but p = 2 * P(X <= 2 | n=7) = 58/128.
    before = [False, False] + [True] * 5 + [True] * 13 + [False] * 10
    after = [True, True] + [False] * 5 + [True] * 13 + [False] * 10
    t = mcnemar_exact(before, after)
    assert (t.gains, t.losses) == (2, 5)
    assert t.delta == pytest.approx(-0.1)
    assert t.p_value == pytest.approx(58 / 128)
    assert t.direction(0.05) is None
    assert t.direction(0.5) == "regression"


def test_mcnemar_agrees_with_scipy_binomtest():
    before = [True] * 9 + [False] * 3 + [True] * 8
    after = [False] * 9 + [True] * 3 + [True] * 8
    expected = scipy_stats.binomtest(3, 12, 0.5).pvalue
    assert mcnemar_exact(before, after).p_value == pytest.approx(expected)


@pytest.mark.parametrize("before, after", [([True], []), ([], [])])
def test_paired_tests_reject_bad_input(before, after):
    with pytest.raises(ValueError, match="paired outcomes"):
        mcnemar_exact(before, after)


def test_bootstrap_clear_regression_no_change_and_noise():
    regression = paired_bootstrap([True] * 20 + [False] * 20, [False] * 20 + [False] * 20, n_resamples=2000)
    assert regression.delta == pytest.approx(-0.5)
    assert regression.high < 0 and regression.p_value <= 2 / 2000
    assert regression.direction() == "regression"

    same = [True, False] * 20
    none = paired_bootstrap(same, same, n_resamples=2000)
    assert (none.delta, none.low, none.high, none.p_value) == (0.0, 0.0, 0.0, 1.0)

    # One gain and one loss more than that: the interval straddles zero and nothing is flagged.
    before = [True, True, False] + [True] * 17 + [False] * 20
    after = [False, False, True] + [True] * 17 + [False] * 20
    noise = paired_bootstrap(before, after, n_resamples=2000, seed=1)
    assert noise.low < 0 < noise.high
    assert noise.p_value > 0.3 and noise.direction() is None


def test_bootstrap_is_a_function_of_its_seed():
    before, after = [True, False, True, True] * 5, [True, True, False, False] * 5
    assert paired_bootstrap(before, after, seed=3) == paired_bootstrap(before, after, seed=3)


def test_paired_test_names_a_bad_method():
    with pytest.raises(ValueError, match="'wilcoxon'"):
        paired_test([True], [False], method="wilcoxon")


def test_spearman_perfect_and_reversed_order():
    up = spearman([0, 1, 2, 3, 4, 5], [1, 4, 9, 16, 25, 36], n_resamples=300)
    assert up.rho == pytest.approx(1.0) and up.low == pytest.approx(1.0) and up.high == pytest.approx(1.0)
    down = spearman([0, 1, 2, 3, 4, 5], [6, 5, 4, 3, 2, 1], n_resamples=300)
    assert down.rho == pytest.approx(-1.0) and down.p_value < 0.01


def test_spearman_known_value_with_ties():
    # Grades K,K,1,2,2,3 (0..3) against acquisition steps; scipy's tie-aware rho and p are the reference.
    grade = [0, 0, 1, 2, 2, 3]
    step = [100, 300, 200, 400, 600, 500]
    c = spearman(grade, step, n_resamples=500, seed=0)
    ref = scipy_stats.spearmanr(grade, step)
    assert c.rho == pytest.approx(ref.statistic) and c.p_value == pytest.approx(ref.pvalue)
    assert c.low <= c.rho <= c.high and c.n == 6


def test_spearman_constant_input_is_nan_and_short_input_raises():
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]).rho)
    with pytest.raises(ValueError, match="at least 3"):
        spearman([1, 2], [1, 2])


def test_benjamini_hochberg_known_answer_and_bounds():
    from probes.stats import benjamini_hochberg

    # Sorted p (0.001, 0.01, 0.02, 0.04, 0.3) times n/rank: 0.005, 0.025, 0.0333, 0.05, 0.3 (already monotone).
    adjusted = benjamini_hochberg([0.04, 0.001, 0.3, 0.02, 0.01])
    assert adjusted == pytest.approx([0.05, 0.005, 0.3, 0.1 / 3, 0.025])
    # A smaller p-value never gets a larger adjusted one, and nothing exceeds 1 when n / rank inflates it.
    assert benjamini_hochberg([0.9, 0.8]) == pytest.approx([0.9, 0.9])
    assert benjamini_hochberg([]) == []


# -- the one paired comparison: table-driven against scipy ---------------------------------------------------


def _outcomes(gains: int, losses: int, right: int, wrong: int) -> tuple[list[bool], list[bool]]:
    before = [False] * gains + [True] * losses + [True] * right + [False] * wrong
    after = [True] * gains + [False] * losses + [True] * right + [False] * wrong
    return before, after


@pytest.mark.parametrize("gains, losses, right, wrong", [
    (0, 0, 5, 5), (1, 0, 10, 9), (6, 0, 7, 7), (3, 9, 4, 4), (10, 10, 0, 0), (2, 5, 13, 10), (17, 1, 1, 1),
])
def test_mcnemar_matches_scipy_binomtest_on_the_discordant_pairs(gains, losses, right, wrong):
    t = mcnemar_exact(*_outcomes(gains, losses, right, wrong))
    expected = 1.0 if gains + losses == 0 else scipy_stats.binomtest(gains, gains + losses, 0.5).pvalue
    assert (t.gains, t.losses, t.n) == (gains, losses, gains + losses + right + wrong)
    assert t.p_value == pytest.approx(expected)


@pytest.mark.parametrize("p_values", [
    [0.01, 0.04, 0.03, 0.5], [0.001, 0.2, 0.2, 0.2, 0.9], [0.049], [0.5, 0.01, 0.011, 0.012, 0.3, 0.04, 1.0],
])
def test_benjamini_hochberg_matches_scipy(p_values):
    from probes.stats import benjamini_hochberg

    expected = scipy_stats.false_discovery_control(p_values, method="bh")
    assert benjamini_hochberg(p_values) == pytest.approx(list(expected))


@pytest.mark.parametrize("n, alpha", [(1, 0.05), (5, 0.05), (6, 0.05), (20, 0.05), (20, 0.01), (100, 0.05),
                                      (40, 0.001), (12, 0.2)])
def test_minimum_detectable_change_is_the_smallest_change_scipy_calls_significant(n, alpha):
    from probes.stats import minimum_detectable_change

    # Brute force: the fewest one-way changes k (k gains, no losses) whose exact two-sided p is below alpha.
    k = next((k for k in range(1, n + 1) if scipy_stats.binomtest(k, k, 0.5).pvalue < alpha), None)
    assert minimum_detectable_change(n, alpha) == (None if k is None else pytest.approx(k / n))


def test_compare_groups_flags_by_adjusted_p_and_reports_the_detectable_change():
    from probes.stats import compare_groups

    pairs = {"a": _outcomes(10, 0, 5, 5), "b": _outcomes(6, 0, 7, 7), "c": _outcomes(1, 1, 9, 9),
             "d": _outcomes(0, 7, 6, 7)}
    raw = {c.group: c for c in compare_groups(pairs, alpha=0.05, fdr=False)}
    adjusted = {c.group: c for c in compare_groups(pairs, alpha=0.05)}
    p = [raw[g].test.p_value for g in "abcd"]
    q = scipy_stats.false_discovery_control(p, method="bh")
    assert [adjusted[g].q_value for g in "abcd"] == pytest.approx(list(q))
    assert [raw[g].q_value for g in "abcd"] == pytest.approx(p)
    assert {g: c.direction for g, c in raw.items()} == {"a": "gain", "b": "gain", "c": None, "d": "regression"}
    # At 0.05 the correction changes nothing here: b's p = 2/64 becomes q = 2/64 * 4/3 = 0.042, still below.
    assert {g: c.direction for g, c in adjusted.items()} == {"a": "gain", "b": "gain", "c": None, "d": "regression"}
    # At 0.035 it does: b's raw p = 0.031 would be flagged, its q = 0.042 is not; d's q = 2/128 * 4/2 = 0.031 is.
    assert raw["b"].test.p_value < 0.035
    strict = {c.group: c.direction for c in compare_groups(pairs, alpha=0.035)}
    assert strict == {"a": "gain", "b": None, "c": None, "d": "regression"}
    assert adjusted["a"].mde == pytest.approx(6 / 20) and adjusted["c"].mde == pytest.approx(6 / 20)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5])
def test_alpha_range_is_checked_in_one_place(alpha):
    from probes.analysis import Snapshot, compare_snapshots
    from probes.stats import check_alpha, compare_groups

    with pytest.raises(ValueError, match=rf"alpha must be in \(0, 1\), got {alpha}"):
        check_alpha(alpha)
    with pytest.raises(ValueError, match=r"must be in \(0, 1\)"):
        compare_groups({"a": ([True], [False])}, alpha=alpha)
    snap = Snapshot(0, "s", {})
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        compare_snapshots(snap, snap, alpha=alpha)
