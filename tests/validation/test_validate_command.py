"""sharesim validate: intervals, the quantities behind the checks, the table and exit codes."""

from __future__ import annotations

import copy
import math

import pytest
from scipy import stats
from test_metrics import HAND_EVENTS, make_run  # tests/ is on sys.path

import sim.validation as validation
from sim.cli import main
from sim.metrics import hours_to_share_of_reach
from sim.motivations import Motivation
from sim.stats import Estimate, estimate
from sim.validation import (
    Check,
    Suite,
    _across,
    _welch,
    never_reshared,
    ready_scenarios,
    validation_table,
)


def test_interval_of_the_mean():
    e = estimate([1.0, 2.0, 3.0])
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)       # sd 1, n 3
    assert (e.mean, e.low, e.high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    clipped = estimate([0.9, 1.0, 1.0], within=(0.0, 1.0))
    assert clipped.high == 1.0 and clipped.low < clipped.mean
    assert estimate([0.5, math.nan, 0.5]).n == 2


def test_welch_interval_contains_zero_for_one_sample_not_for_shifted():
    sample = [0.1, 0.2, 0.3, 0.4, 0.5] * 4
    same = _welch(sample, sample)
    assert same.mean == 0 and same.low < 0 < same.high
    shifted = _welch([v + 1 for v in sample], sample)
    assert shifted.low > 0


def test_hours_to_reach_share_by_hand():
    run = make_run(HAND_EVENTS)      # ticks of 6 h; post 0 published at tick 1
    # post 0 first reached p0 (tick 1), p1 and p2 (tick 2), p3 (tick 4): reach 4
    half, ninety = hours_to_share_of_reach(run, 0.5), hours_to_share_of_reach(run, 0.9)
    assert half[0] == 6.0            # the 2nd person, one tick after publication
    assert ninety[0] == 18.0         # the 4th person, three ticks after
    assert half[1] == 0.0            # post 1 (tick 3): p0, p4 at tick 3, p5, p3 at tick 4
    assert 2 not in half.index       # post 2 reached nobody


def test_a_viral_world_fails_fact_1():
    """The checks can fail: when everyone shares everything, most shares are reshared."""
    ready = ready_scenarios()
    viral = copy.deepcopy(ready["product_launch"])
    viral["motivations"] = {m.label: {"share_probability": 1.0} for m in Motivation}
    suite = Suite(replications=2, population=1000, days=2)
    name, estimate, passed = _across(suite, {"viral": viral, "sound": ready["product_launch"]},
                                     ["viral", "sound"],
                                     never_reshared, low=0.9)
    assert name == "viral" and not passed and estimate.mean < 0.9


def test_table_shows_target_source_value_and_result():
    checks = [Check(1, "1a", "shares never reshared", ">= 90%", "Goel et al. 2012",
                    Estimate(0.95, 0.93, 0.97, 5), "percent", True),
              Check(7, "7", "preset vs peers", "interval contains 0", "cynetdiff", None, "percent", None,
                    note="not yet available")]
    text = validation_table(checks)
    assert "1. Most sharing stops at once (source: Goel et al. 2012)" in text
    row = next(line for line in text.splitlines() if line.startswith("1a"))
    assert ">= 90%" in row and "95.0% [93.0%, 97.0%]" in row and row.endswith("PASS")
    assert next(line for line in text.splitlines() if line.startswith("7 ")).endswith("n/a")


@pytest.mark.parametrize("passed, status", [(True, 0), (False, 1)])
def test_exit_status_follows_the_checks(monkeypatch, capsys, passed, status):
    def fake(suite, folder=validation.SCENARIOS):
        assert suite.replications == 4
        return [Check(5, "5", "engagement rate", "0.02% to 2%", "Rival IQ 2023",
                      Estimate(0.004, 0.003, 0.005, 5), "percent", passed)]
    monkeypatch.setattr(validation, "run_checks", fake)
    assert main(["validate", "-r", "4"]) == status
    out = capsys.readouterr().out
    assert ("PASS" if passed else "FAIL") in out
    assert f"{1 if passed else 0} of 1 checks passed" in out


def test_too_few_replications_is_bad_input(capsys):
    assert main(["validate", "-r", "1"]) == 2
    err = capsys.readouterr().err
    assert "--replications" in err and "Traceback" not in err
