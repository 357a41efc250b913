"""sim.prefetch: asking memory ahead changes no value, and takes only what it can address."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from sim.prefetch import LOOKAHEAD, prefetch


@numba.njit
def _gathered(values, people, ahead):
    total = 0.0
    for j in range(people.size):
        if ahead and j + LOOKAHEAD < people.size:
            prefetch(values, people[j + LOOKAHEAD])
        total += values[people[j]]
    return total


@numba.njit
def _row_ahead(table, people):
    total = 0.0
    for j in range(people.size):
        if j + 1 < people.size:
            prefetch(table, people[j + 1])              # a row, by its person
            prefetch(table[people[j + 1]], 0)           # a row's first element, as a 1-D array
        total += table[people[j], 1]
    return total


def test_a_loop_that_prefetches_gives_what_it_gives_without():
    rng = np.random.default_rng(5)
    values = rng.random(100_000)
    people = np.sort(rng.choice(values.size, 5_000, replace=False))
    for index in (people, people.astype(np.int32)):         # 64- and 32-bit people, as the loops hold them
        assert _gathered(values, index, True) == _gathered(values, index, False) == sum(values[people].tolist())
    table = rng.random((1_000, 4))
    rows = rng.integers(0, 1_000, 300)
    assert _row_ahead(table, rows) == pytest.approx(table[rows, 1].sum(), rel=1e-12)


def test_only_an_element_or_a_row_by_a_whole_number_is_prefetched():
    @numba.njit
    def whole_block(block):
        prefetch(block, 0)

    @numba.njit
    def at_a_fraction(values):
        prefetch(values, 0.5)

    with pytest.raises(numba.core.errors.TypingError):
        whole_block(np.zeros((3, 3, 3)))
    with pytest.raises(numba.core.errors.TypingError):
        at_a_fraction(np.zeros(3))
