"""Report: the terminal table shows the figures; plots and tables are written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.metrics import post_metrics, summarize, timeseries
from sim.report import summary_table, write_plots, write_tables
from test_metrics import HAND_EVENTS, make_run  # tests/ is on sys.path (rootdir-less tests folder)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def measured():
    run = make_run(HAND_EVENTS)
    table = post_metrics(run)
    return run, summarize(run, table), table, timeseries(run)


def test_summary_table_shows_the_figures(measured):
    _, summary, _, _ = measured
    text = summary_table(summary)
    lines = text.splitlines()
    row = {line.split("  ")[0].strip(): line.split()[-1] for line in lines if "  " in line}
    assert row["reach"] == "6"
    assert row["reach rate"] == "85.71%"               # 6 of 7
    assert row["impressions"] == "9"
    assert row["engagement rate (shares per impression)"] == "33.33%"
    assert row["unfollow rate (of followers at start)"] == "33.33%"
    assert row["blinded (still following, not noticing)"] == "2"
    acme = next(line.split() for line in lines if line.startswith("acme"))
    assert acme[:4] == ["acme", "2", "6", "85.71%"]
    assert acme[-2:] == ["50.00%", "1"]                 # unfollow rate, blinded
    careerist = next(line.split() for line in lines if line.startswith("careerist"))
    assert careerist == ["careerist", "1", "0", "0", "0"]
    selective = next(line.split() for line in lines if line.startswith("selective"))
    assert selective == ["selective", "1", "1", "0", "1"]


def test_summary_table_columns_are_aligned(measured):
    _, summary, _, _ = measured
    lines = summary_table(summary).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("motivation"))
    block = lines[header:header + 2 + 7]
    assert len({len(line) for line in block}) == 1     # right-aligned to one width


def test_write_plots(measured, tmp_path):
    run, summary, table, series = measured
    paths = write_plots(run, summary, table, series, tmp_path / "plots")
    assert sorted(p.name for p in paths) == ["cascade_sizes.png", "reach_followers.png",
                                             "shares_by_motivation.png"]
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == PNG_MAGIC
        assert len(data) > 10_000


def test_write_plots_without_any_reach(tmp_path):
    run = make_run([])
    table = post_metrics(run)
    paths = write_plots(run, summarize(run, table), table, timeseries(run), tmp_path)
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in paths)


def test_write_tables(measured, tmp_path):
    _, summary, table, series = measured
    write_tables(summary, table, series, tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    posts = pd.read_csv(tmp_path / "posts.csv")
    assert posts["reach"].tolist() == [4, 4, 0]
    assert posts["structural_virality"].tolist() == pytest.approx([2.0, 1.8, 0.0])
    rows = pd.read_csv(tmp_path / "timeseries.csv")
    assert rows["followers"].tolist() == [3, 3, 3, 3, 4, 3]


def test_importing_report_does_not_import_matplotlib():
    code = "import sys, sim.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False"
