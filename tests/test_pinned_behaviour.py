"""Refactoring keeps behaviour: the same scenario and seed give the same summary.

``tests/data/product_launch_seed42_summary.json`` is the ``summary.json`` of
``sharesim run scenarios/product_launch.yaml`` (seed 42). A change of the
code's shape must leave it byte for byte as it is; a deliberate change of the
model regenerates it with that command, in the same commit, and says so.
"""

from __future__ import annotations

import json

from sim.cli import main
from tests.conftest import ROOT, SCENARIOS

PINNED = ROOT / "tests" / "data" / "product_launch_seed42_summary.json"


def test_product_launch_gives_the_pinned_summary_and_its_report_rebuilds_identically(tmp_path, capsys):
    folder = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "product_launch.yaml"), "--out", str(folder), "--quiet"]) == 0
    assert json.loads((folder / "summary.json").read_text()) == json.loads(PINNED.read_text())

    written = (folder / "report.html").read_bytes()
    assert main(["report", str(folder)]) == 0
    assert (folder / "report.html").read_bytes() == written
