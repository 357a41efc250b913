"""The stylised facts of docs/validation-targets.md hold, at a size CI can afford.

The same checks as ``sharesim validate`` (sim/validation.py), on generated
networks of 5,000 people instead of 10,000 (the ego-Facebook graph keeps its
4,039), over 3 replications instead of 5. One suite runs once for the
module; each check is one test, so a failure names the fact.
"""

from __future__ import annotations

import pytest

from sim.validation import FACTS, Suite, run_checks, validation_table

CI_SIZE = dict(replications=3, population=5000)
CODES = ["1a", "1b", "2a", "2b", "3", "4a", "4b", "4c", "5", "6", "7", "8", "9a", "9b"]


@pytest.fixture(scope="module")
def checks():
    return {c.code: c for c in run_checks(Suite(**CI_SIZE))}


def test_every_fact_is_checked(checks):
    assert list(checks) == CODES
    assert {c.fact for c in checks.values()} == set(FACTS) == set(range(1, 10))


@pytest.mark.parametrize("code", CODES)
def test_fact_holds(checks, code):
    check = checks[code]
    assert check.passed is True, validation_table([check])
    assert check.estimate is not None and check.estimate.low <= check.estimate.mean <= check.estimate.high
