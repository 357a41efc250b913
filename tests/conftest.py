"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import scenario_from_dict, with_overrides

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
    """The SMALL scenario with changes: top-level fields, or paths written with ``__`` for dots."""
    overrides = {path.replace("__", "."): value for path, value in changes.items()}
    return scenario_from_dict(with_overrides(SMALL, overrides))


@pytest.fixture
def small():
    return small_scenario
