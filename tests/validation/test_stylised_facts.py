"""The checks of sharesim validate, at a size CI can afford, each seen to fail under its negative control.

The same :data:`sim.validation.CHECKS` as ``sharesim validate``, on generated
networks of 3,000 people over 7 days instead of 10,000 over 14 (the
ego-Facebook graph keeps its 4,039), 5 replications each. One suite runs
once for the module; each check is one test, so a failure names the fact.

A check whose interval CI size leaves too wide to decide is listed in
:data:`KNOWN_FAILURES` with the reason: at CI size only its negative
control is asserted (to fail); it is run at full size, where it must pass,
in :func:`test_the_checks_too_noisy_at_ci_size_pass_at_full_size`, but
for the few full size does not decide either (:data:`UNDECIDED`, with the
reason). Nothing else may fail, and every negative control must fail.
"""

from __future__ import annotations

import json
import math

import pytest

from sim.validation import CHECKS, FACTS, Suite, run_checks, validation_record, validation_table

CI_SIZE = dict(replications=5, population=3000, days=7)
CODES = [d.code for d in CHECKS]

TOO_NOISY_AT_CI_SIZE = ("at 3,000 people over 7 days too few shares are made for an interval inside the "
                        "target; `sharesim validate` at full size passes it (README, Validation)")
KNOWN_FAILURES = {code: TOO_NOISY_AT_CI_SIZE for code in ("1a", "3", "5", "8", "9a", "9b", "9c")}
"""Checks CI size cannot decide (whether they pass there depends on the draws), with the reason."""
UNDECIDED = {"3": "the skew sharing adds to per-post reach is about 0.004: at 15 replications the interval "
                  "touches 0 or not by luck, and at 45 it is 0.00 [-0.00, 0.01] before and after issue 16's "
                  "draws (docs/model.md, What passes narrowly)"}
"""Checks that full size does not decide either: reported as they come out, their controls still asserted."""


@pytest.fixture(scope="module")
def checks():
    return {c.definition.code: c for c in run_checks(Suite(**CI_SIZE))}


def test_every_fact_is_checked_and_four_or_more_are_held_out(checks):
    assert list(checks) == CODES
    assert {c.definition.fact for c in checks.values()} == set(FACTS) == set(range(1, 10))
    roles = [c.definition.role for c in checks.values()]
    assert set(roles) == {"calibration", "held_out"} and roles.count("held_out") >= 4
    assert all(c.definition.set_by for c in checks.values() if c.definition.role == "calibration")


@pytest.mark.parametrize("code", [code for code in CODES if code not in KNOWN_FAILURES])
def test_check_passes_with_its_interval_inside_the_target(checks, code):
    check = checks[code]
    e, target = check.model.estimate, check.definition.target
    assert check.passed, validation_table([check])
    assert e.low <= e.mean <= e.high
    assert e.low > getattr(target, "low", 0.0) and e.high < getattr(target, "high", math.inf)


@pytest.mark.parametrize("code", CODES)
def test_check_fails_under_its_negative_control(checks, code):
    check = checks[code]
    assert not check.control.passed, validation_table([check])
    assert check.definition.control.overrides


def test_validation_json_has_every_field(checks):
    record = json.loads(json.dumps(validation_record(list(checks.values()), Suite(**CI_SIZE), 1.0),
                                   allow_nan=False))
    assert [c["code"] for c in record["checks"]] == CODES
    for c in record["checks"]:
        assert {"name", "role", "estimate", "interval", "target", "passed", "control"} <= set(c)
        assert c["role"] in ("calibration", "held_out") and len(c["interval"]) == 2
        assert set(c["control"]) >= {"variant", "passed"} and c["control"]["passed"] is False
    assert record["all_controls_failed"] is True


def test_the_checks_too_noisy_at_ci_size_pass_at_full_size():
    """The known failures above, run at full size (as `sharesim validate` runs them): each passes with its
    interval inside the target, and each fails under its negative control. Several minutes."""
    full = run_checks(Suite(replications=5), codes=list(KNOWN_FAILURES))
    assert [c.definition.code for c in full] == [code for code in CODES if code in KNOWN_FAILURES]
    for check in full:
        if check.definition.code not in UNDECIDED:
            assert check.passed, validation_table([check])
        assert not check.control.passed, validation_table([check])
