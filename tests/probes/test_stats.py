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
