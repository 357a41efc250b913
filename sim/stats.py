"""Statistics over replications: seeds, estimates and differences.

Every figure sharesim reports from several runs comes from here, so that a
comparison, a validation check and a lesson mean the same thing by "95%
interval":

* :func:`replication_seeds`: the seed of replication ``i`` is the ``i``-th
  child of ``numpy.random.SeedSequence(base seed)``. Every strategy or
  variant uses the same seeds, so replication ``i`` of each runs on the same
  network with the same people (common random numbers).
* :func:`estimate`: the mean of independent replications and its Student-t
  confidence interval, as an :class:`Estimate` (mean, low, high, n).
* :func:`paired_difference`: ``a - b`` replication by replication, its
  interval and the p-value of the paired t-test (``scipy.stats.ttest_rel``);
  :func:`independent_difference`: the same for two independent samples
  (Welch's t-test, ``scipy.stats.ttest_ind(equal_var=False)``). Both return
  a :class:`Difference`.

Results are small named tuples, as ``scipy.stats`` returns them.
"""

from __future__ import annotations

import math
from typing import Iterable, NamedTuple

import numpy as np

CONFIDENCE = 0.95
"""The confidence level of every interval sharesim prints."""


def replication_seeds(base_seed: int, count: int) -> list[int]:
    """The seeds of replications 0..count-1, shared by every strategy or variant.

    ``SeedSequence.spawn`` gives independent, well-mixed child streams; the
    i-th child does not depend on ``count``, so more replications extend a
    finished experiment without changing its first ones.
    """
    children = np.random.SeedSequence(base_seed).spawn(count)
    return [int(child.generate_state(1)[0]) for child in children]


class Estimate(NamedTuple):
    """A mean over ``n`` replications and its confidence interval [low, high]."""

    mean: float
    low: float
    high: float
    n: int

    def inside(self, low: float = -math.inf, high: float = math.inf) -> bool:
        """True when the whole interval lies within [low, high]."""
        return low <= self.low and self.high <= high


class Difference(NamedTuple):
    """A difference of means with its confidence interval and two-sided p-value."""

    mean: float
    low: float
    high: float
    pvalue: float
    n: int

    @property
    def above_zero(self) -> bool:
        """True when the whole interval lies above 0 (a clear increase)."""
        return self.low > 0

    @property
    def below_zero(self) -> bool:
        """True when the whole interval lies below 0 (a clear decrease)."""
        return self.high < 0


def _finite(values: Iterable[float]) -> np.ndarray:
    data = np.asarray(list(values), dtype=float)
    return data[~np.isnan(data)]


def estimate(values: Iterable[float], confidence: float = CONFIDENCE,
             within: tuple[float, float] | None = None) -> Estimate:
    """Mean and Student-t interval of independent replications.

    NaN values (a quantity a run could not measure) are left out. With one
    value, or no spread, the interval is the value itself. ``within`` clips
    the interval of a quantity that cannot leave a range (a fraction, a
    rate >= 0).
    """
    from scipy import stats

    x = _finite(values)
    if x.size == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if x.size < 2 or np.all(x == x[0]):
        return Estimate(mean, mean, mean, int(x.size))
    low, high = stats.t.interval(confidence, x.size - 1, loc=mean, scale=stats.sem(x))
    if within is not None:
        low, high = max(low, within[0]), min(high, within[1])
    return Estimate(mean, float(low), float(high), int(x.size))


def paired_difference(values: Iterable[float], baseline: Iterable[float],
                      confidence: float = CONFIDENCE) -> Difference:
    """Mean of ``values - baseline`` (paired by replication), its interval and p-value."""
    from scipy import stats

    x, y = np.asarray(list(values), dtype=float), np.asarray(list(baseline), dtype=float)
    if x.shape != y.shape or x.size == 0:
        raise ValueError("paired samples need the same, non-zero number of replications")
    difference = x - y
    if np.all(difference == difference[0]):
        # No spread in the differences: the t statistic is 0/0 or d/0. The
        # difference is then known exactly: p = 1 for none, 0 for any other.
        d = float(difference[0])
        return Difference(d, d, d, 1.0 if d == 0 else 0.0, int(x.size))
    test = stats.ttest_rel(x, y)
    interval = test.confidence_interval(confidence)
    return Difference(float(difference.mean()), float(interval.low), float(interval.high),
                      float(test.pvalue), int(x.size))


def independent_difference(values: Iterable[float], other: Iterable[float],
                           confidence: float = CONFIDENCE) -> Difference:
    """Mean of ``values`` minus mean of ``other``, two independent samples (Welch)."""
    from scipy import stats

    x, y = _finite(values), _finite(other)
    if x.size < 2 or y.size < 2:
        raise ValueError("each sample needs at least two values")
    d = float(x.mean() - y.mean())
    if np.var(x) == 0 and np.var(y) == 0:
        return Difference(d, d, d, 1.0 if d == 0 else 0.0, int(x.size + y.size))
    test = stats.ttest_ind(x, y, equal_var=False)
    interval = test.confidence_interval(confidence)
    return Difference(d, float(interval.low), float(interval.high), float(test.pvalue),
                      int(x.size + y.size))
