"""README's Performance figures are what the benchmark results files say; a test fails when they drift.

Every measured figure sits in a block that ``python benchmarks/readme.py`` writes from
``benchmarks/results/*.json``; outside the blocks the section quotes no measured figure.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import readme  # noqa: E402  (benchmarks/readme.py)

FIGURE = re.compile(r"\d[\d,.]*\s*(?:x|s|ms|ns|MB|GB|M|min|minutes?|seconds?|%)(?![\w/])")
"""A measured figure as README writes one: '49x', '2.7 s', '10.3 GB', '0.33 M', '2 min'."""

SETTINGS = {"1%"}
"""Figures outside the blocks that are settings of a benchmark, not measurements."""


def performance() -> str:
    text = readme.README.read_text(encoding="utf-8")
    section = text[text.index("## Performance"):]
    return section[:section.index("\n## ", 1)]


def test_every_block_is_what_the_results_files_say():
    text = performance()
    found = {m.group("name"): m.group("body") for m in readme.BLOCK.finditer(text)}
    assert set(found) == set(readme.BLOCKS), "README's Performance section lacks or adds a block"
    for name, body in found.items():
        assert body == readme.BLOCKS[name](readme.RESULTS), f"README's {name!r} block: run python benchmarks/readme.py"


def test_no_measured_figure_is_typed_outside_the_blocks():
    prose = readme.BLOCK.sub("", performance())
    prose = re.sub(r"```.*?```", "", prose, flags=re.DOTALL)       # the commands to reproduce
    typed = [f for f in FIGURE.findall(prose) if f not in SETTINGS]
    assert not typed, f"figures typed outside benchmarks/readme.py's blocks: {typed}"


def test_a_part_that_is_gone_is_said_so_not_divided_by_zero():
    assert readme.change(4.0, 0.0) == "none now" and readme.change(6.0, 2.0) == "3x faster"


def test_the_scale_block_quotes_the_saved_ratios(tmp_path):
    """The before/after sentence appears once scale.py has saved both trees (none are saved yet)."""
    row = {"population": 1_000_000, "setup_seconds": 6.0, "graph_seconds": 2.0, "agents_seconds": 4.0,
           "run_seconds": 10.0, "outputs_seconds": 30.0, "outputs_over_setup": 5.0, "ns_per_delivered": 450.0,
           "peak_rss_mb": 2200.0}
    now = dict(row, setup_seconds=2.0, agents_seconds=1.0, outputs_seconds=3.0, outputs_over_setup=1.5,
               ns_per_delivered=900.0, peak_rss_mb=1200.0)
    (tmp_path / "scale_1000000_before.json").write_text(json.dumps(row))
    (tmp_path / "scale_1000000.json").write_text(json.dumps(now))
    text = readme.scale(tmp_path)
    for figure in ("writing the run folder 10x faster", "it was 5x the set-up; now 1.5x", "set-up 3x faster",
                   "graph 1x faster", "Person agents 4.0 s before, 1.0 s now", "2x slower (450 ns to 900 ns)", "2.1 GB to 1.2 GB",
                   "Not measured yet: run `python benchmarks/scale.py --size 10000000 --save`"):
        assert figure in text, (figure, text)
    assert " on " not in text.split(":")[0]          # a file saved before machines were recorded names none


def test_the_scale_block_names_the_machine_its_figures_come_from(tmp_path):
    """Per-item ratios differ between machines (their memory's speed): a saved row's machine is quoted."""
    where = {"processor": "Some CPU", "cores": 2, "random_access_ns": 28.8}
    row = {"population": 1_000_000, "days": 14, "delivered": 4.2e6, "setup_seconds": 6.0, "graph_seconds": 2.0,
           "agents_seconds": 4.0, "run_seconds": 10.0, "outputs_seconds": 3.0, "outputs_over_setup": 0.5,
           "ns_per_delivered": 900.0, "ns_cpu_per_delivered": 900.0, "peak_rss_mb": 2200.0, "machine": where}
    for name in ("scale_1000000", "scale_1000000_before", "scale_1000000_14days", "scale_1000000_14days_before"):
        (tmp_path / f"{name}.json").write_text(json.dumps(row))
    text = readme.scale(tmp_path)
    assert text.count("on Some CPU, 2 cores, 29 ns a random access into memory") == 2, text


def test_the_machine_probe_times_a_random_access():
    import scale       # benchmarks/scale.py

    where = scale.machine()
    assert where["cores"] >= 1 and where["processor"]
    assert 0.5 < where["random_access_ns"] < 1000      # a memory access, not a cache hit nor a stall of seconds


def test_a_per_item_verdict_rests_on_the_lower_of_the_two_readings_of_the_pairs():
    """Interleaved pairs give two readings: the ratio of each side's median, and the median of the
    pairs' ratios. A target counts as met only when both reach it."""
    def row(ns: list[float]) -> dict:
        return {"population": 1_000_000, "days": 14, "setup_seconds": 1.0, "outputs_over_setup": 0.5,
                "ns_per_delivered": sorted(ns)[len(ns) // 2], "runs": [{"ns_per_delivered": x} for x in ns]}
    before = row([900.0, 960.0, 600.0])
    now = row([300.0, 330.0, 290.0])                       # medians: 900 over 300 = 3.0; pairs: 3.0, 2.9, 2.1
    assert before["ns_per_delivered"] / now["ns_per_delivered"] == 3.0
    assert readme.per_item_ratio(now, before) < 3
    text = readme.targets(now, before, now, before)
    assert "per delivered feed item at most a third of before missed" in text, text
    assert "pair by pair, 2.1x to 3.0x, median 2.9x" in readme.spread(now, before)
    kinder = row([300.0, 320.0, 200.0])                    # pairs 3.0, 3.0, 3.0: both readings reach 3
    assert "at most a third of before met" in readme.targets(kinder, before, kinder, before)
