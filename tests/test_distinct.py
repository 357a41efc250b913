"""distinct: np.unique's answer, by sorting."""

from __future__ import annotations

import numpy as np
import pytest

from sim.distinct import distinct


@pytest.mark.parametrize("values", [
    np.random.default_rng(1).integers(0, 50, size=1000),
    np.random.default_rng(2).integers(-10**12, 10**12, size=5000),
    np.random.default_rng(3).integers(0, 5, size=(40, 3)).astype(np.int32),
    np.array([2.5, -1.0, 2.5, 0.0]),
    np.empty(0, dtype=np.int64),
])
def test_distinct_is_np_unique(values):
    expected = np.unique(values)
    got = distinct(values)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
