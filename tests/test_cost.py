"""The cost estimate matches what a run does: within 1.5x of the measured peak memory, at several sizes."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from sim import cost, network
from sim.scenario import load_scenario
from tests.conftest import ROOT

MEASURE = """
import re, sys
from pathlib import Path
from sim.cli import main
status = main(["run", sys.argv[1], "--out", sys.argv[2], "--quiet"])
# VmHWM: this process's peak resident memory since exec (ru_maxrss would count the forked parent's too)
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)) * 1024
print(status, peak)
"""


@pytest.mark.parametrize("people", [10_000, 100_000, 300_000, 1_000_000])
def test_memory_estimate_is_within_one_and_a_half_times_the_measured_peak(people, tmp_path):
    scenario = tmp_path / "size.yaml"
    scenario.write_text(yaml.safe_dump({"name": f"size{people}", "duration_days": 2, "population": {"size": people},
                                        "brands": [{"name": "Acme", "followers": 0.1, "topic": "tech"}]}))
    done = subprocess.run([sys.executable, "-c", MEASURE, str(scenario), str(tmp_path / "run")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    status, peak = done.stdout.split()
    assert status == "0", done.stderr
    estimate = cost.memory_needed(load_scenario(scenario))
    assert 1 / 1.5 <= estimate / int(peak) <= 1.5, (estimate / 2**20, int(peak) / 2**20)


def test_the_estimate_knows_where_the_network_switches_to_numpy_growth():
    assert cost.LARGE_GRAPH == network.LARGE_GRAPH
