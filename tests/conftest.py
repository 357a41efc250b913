"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sim.scenario import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

SMALL = {
    "name": "small",
    "seed": 3,
    "duration_days": 3,
    "population": {"size": 2000},
    "network": {"generator": "powerlaw_cluster", "mean_degree": 10},
    "brands": [{"name": "Acme", "followers": 0.2, "topic": "tech",
                "campaign": {"posts_per_day": 3,
                             "content": [{"kind": "tip", "qualities": {"useful": 0.8}, "promotional": 0.1}]}}],
}


def small_scenario(**changes):
    """The SMALL scenario with top-level or dotted-path changes applied."""
    data = copy.deepcopy(SMALL)
    for path, value in changes.items():
        keys = path.split("__")
        target = data
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
        target[keys[-1]] = value
    return scenario_from_dict(data)


@pytest.fixture
def small():
    return small_scenario
