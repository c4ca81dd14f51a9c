"""Paired significance and rank correlation for probe results: pure functions over plain sequences.

A standard's accuracy before and after some training is measured on the *same* problems, so the right
test looks only at the problems whose outcome changed (exact McNemar), or resamples problems as pairs
(paired bootstrap). Treating the two accuracies as independent samples would call noise a lost skill.

`compare_groups` is the one paired comparison the probe callback and `probes.analyze` both use: a test per
group (standard or grade), Benjamini-Hochberg across the groups by default, and beside each p-value the
minimum detectable change at that group's n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairedTest:
    """Before/after outcomes on the same problems, and how likely a change this large is by chance."""

    n: int
    """Problems in both."""
    before: float
    """Accuracy before."""
    after: float
    """Accuracy after."""
    gains: int
    """Problems wrong before and right after."""
    losses: int
    """Problems right before and wrong after."""
    p_value: float
    """Two-sided p-value of "no change"."""
    method: str
    """"mcnemar" or "bootstrap"."""
    low: float | None = None
    """Lower end of the bootstrap interval of `delta` (None for McNemar)."""
    high: float | None = None
    """Upper end of the bootstrap interval of `delta` (None for McNemar)."""

    @property
    def delta(self) -> float:
        return self.after - self.before

    def direction(self, alpha: float = 0.05) -> str | None:
        """"gain" or "regression" when the change is significant at `alpha`, else None."""
        if self.p_value >= alpha or self.gains == self.losses:
            return None
        return "gain" if self.gains > self.losses else "regression"


def _pairs(before: Sequence[bool], after: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    if len(before) != len(after):
        raise ValueError(f"paired outcomes need equal lengths, got {len(before)} before and {len(after)} after")
    if not before:
        raise ValueError("paired outcomes need at least one problem, got none")
    return np.asarray(before, dtype=bool), np.asarray(after, dtype=bool)


def mcnemar_exact(before: Sequence[bool], after: Sequence[bool]) -> PairedTest:
    """Exact (binomial) McNemar test: under "no change", each discordant pair is a gain or a loss with p = 1/2.

    >>> t = mcnemar_exact([True] * 10, [False] * 10)  # ten right answers all lost
    >>> t.losses, t.gains, round(t.p_value, 6), t.direction()
    (10, 0, 0.001953, 'regression')
    >>> mcnemar_exact([True, False, True], [True, False, True]).p_value
    1.0
    """
    b, a = _pairs(before, after)
    gains, losses = int((~b & a).sum()), int((b & ~a).sum())
    discordant = gains + losses
    # Two-sided exact p: twice the smaller tail of Binomial(discordant, 1/2), capped at 1.
    from scipy import stats as _scipy  # half a second to import; CLIs that never test should not pay it

    p = 1.0 if discordant == 0 else min(1.0, 2.0 * float(_scipy.binom.cdf(min(gains, losses), discordant, 0.5)))
    return PairedTest(len(b), float(b.mean()), float(a.mean()), gains, losses, p, "mcnemar")


def paired_bootstrap(before: Sequence[bool], after: Sequence[bool], n_resamples: int = 10_000, seed: int = 0,
                     confidence: float = 0.95) -> PairedTest:
    """Resample problems (as before/after pairs) to get an interval for the change in accuracy and a p-value.

    The p-value is twice the share of resampled changes on the far side of zero (capped at 1), the usual
    percentile-bootstrap test; it is coarse (no smaller than 2 / n_resamples) and needs a few dozen problems.

    >>> t = paired_bootstrap([True] * 30, [False] * 30, n_resamples=1000, seed=0)
    >>> t.delta, t.low, t.high, t.p_value < 0.01
    (-1.0, -1.0, -1.0, True)
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    b, a = _pairs(before, after)
    diff = a.astype(np.int8) - b.astype(np.int8)  # (n,) in {-1, 0, 1}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diff), size=(n_resamples, len(diff)))
    deltas = diff[idx].mean(axis=1)  # (n_resamples,)
    tail = (1 - confidence) / 2
    low, high = np.quantile(deltas, [tail, 1 - tail])
    gains, losses = int((diff == 1).sum()), int((diff == -1).sum())
    if gains == losses:
        p = 1.0
    else:
        # Share of resamples whose change does not have the observed sign (zero counts against the change).
        far = (deltas <= 0).mean() if gains > losses else (deltas >= 0).mean()
        p = min(1.0, 2.0 * max(float(far), 1.0 / n_resamples))
    return PairedTest(len(b), float(b.mean()), float(a.mean()), gains, losses, p, "bootstrap", float(low), float(high))


def paired_test(before: Sequence[bool], after: Sequence[bool], method: str = "mcnemar", seed: int = 0) -> PairedTest:
    """The paired test named by `method` ("mcnemar" or "bootstrap").

    >>> paired_test([True, True], [True, False]).losses
    1
    """
    if method == "mcnemar":
        return mcnemar_exact(before, after)
    if method == "bootstrap":
        return paired_bootstrap(before, after, seed=seed)
    raise ValueError(f"paired test method must be 'mcnemar' or 'bootstrap', got {method!r}")


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """`alpha` if it is a usable significance level, in (0, 1); else a ValueError naming `name` and the value."""
    if not 0 < alpha < 1:
        raise ValueError(f"{name} must be in (0, 1), got {alpha}")
    return alpha


def minimum_detectable_change(n: int, alpha: float = 0.05) -> float | None:
    """The smallest change in accuracy the exact McNemar test can flag at `alpha` on `n` paired problems.

    Even when every changed problem moves the same way, k changes are significant only once 2 / 2**k < alpha;
    so a change smaller than k / n can never be significant here, and "no significant change" on few problems
    says little. None when no change on n problems can be significant.

    >>> minimum_detectable_change(20), minimum_detectable_change(100), minimum_detectable_change(5)
    (0.3, 0.06, None)
    """
    check_alpha(alpha)
    if n < 1:
        raise ValueError(f"minimum_detectable_change needs n >= 1, got {n}")
    k = max(1, math.ceil(math.log2(2 / alpha) + 1e-12))
    while 2.0 * 0.5**k >= alpha:  # guard the float edge of the log
        k += 1
    return k / n if k <= n else None


@dataclass(frozen=True)
class GroupChange:
    """One group's paired test, its adjusted p-value and flag, and the smallest change it could have flagged."""

    group: str
    test: PairedTest
    q_value: float
    """The p-value compared with alpha: Benjamini-Hochberg adjusted across the groups with `fdr`, else p."""
    direction: str | None
    """"gain" or "regression" when significant, else None."""
    mde: float | None
    """`minimum_detectable_change(test.n, alpha)`."""


def compare_groups(pairs: dict[str, tuple[Sequence[bool], Sequence[bool]]], alpha: float = 0.05,
                   method: str = "mcnemar", seed: int = 0, fdr: bool = True) -> list[GroupChange]:
    """A paired test per group (before, after outcomes on the same problems), flagged at `alpha`, in input order.

    >>> [c.direction for c in compare_groups({"a": ([False] * 8, [True] * 8), "b": ([True], [True])})]
    ['gain', None]
    """
    check_alpha(alpha)
    tests = {g: paired_test(before, after, method=method, seed=seed) for g, (before, after) in pairs.items()}
    p = [t.p_value for t in tests.values()]
    q = benjamini_hochberg(p) if fdr else p
    return [GroupChange(g, t, qv, t.direction(alpha) if qv < alpha else None, minimum_detectable_change(t.n, alpha))
            for (g, t), qv in zip(tests.items(), q, strict=True)]


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), in input order.

    With one test per standard, 49 standards at alpha 0.05 flag about 2.5 by chance alone; comparing the
    adjusted p-values with alpha bounds the expected share of false flags instead.

    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    [0.04, 0.05333333333333334, 0.05333333333333334, 0.5]
    """
    n = len(p_values)
    order = sorted(range(n), key=lambda i: p_values[i])
    adjusted, running = [0.0] * n, 1.0
    for rank in range(n, 0, -1):  # from the largest p down, keeping the adjusted values monotone
        i = order[rank - 1]
        running = min(running, p_values[i] * n / rank)
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class Correlation:
    """A Spearman rank correlation with its p-value and a bootstrap interval."""

    rho: float
    p_value: float
    low: float
    high: float
    n: int
    confidence: float


def spearman(x: Sequence[float], y: Sequence[float], n_resamples: int = 2_000, seed: int = 0,
             confidence: float = 0.95) -> Correlation:
    """Spearman's rho of `x` and `y` (scipy's p-value) and a percentile bootstrap interval over (x, y) pairs.

    Resamples where either side is constant have no rank correlation and are left out of the interval.
    With constant input rho and its p-value are NaN.

    >>> c = spearman([0, 1, 2, 3, 4], [10, 20, 30, 40, 50], n_resamples=200)
    >>> round(c.rho, 6), round(c.p_value, 6), round(c.low, 6), round(c.high, 6)
    (1.0, 0.0, 1.0, 1.0)
    >>> round(spearman([1, 2, 3, 4], [1, 3, 2, 4]).rho, 6)
    0.8
    """
    if len(x) != len(y):
        raise ValueError(f"spearman needs equal lengths, got {len(x)} and {len(y)}")
    if len(x) < 3:
        raise ValueError(f"spearman needs at least 3 pairs, got {len(x)}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return Correlation(math.nan, math.nan, math.nan, math.nan, len(xs), confidence)
    from scipy import stats as _scipy

    result = _scipy.spearmanr(xs, ys)
    rng = np.random.default_rng(seed)
    rhos = []
    for idx in rng.integers(0, len(xs), size=(n_resamples, len(xs))):
        bx, by = xs[idx], ys[idx]
        if np.ptp(bx) > 0 and np.ptp(by) > 0:
            rhos.append(_scipy.spearmanr(bx, by).statistic)
    tail = (1 - confidence) / 2
    low, high = (np.quantile(rhos, [tail, 1 - tail]) if rhos else (math.nan, math.nan))
    return Correlation(float(result.statistic), float(result.pvalue), float(low), float(high), len(xs), confidence)
