"""Comparison statistics and plots: rates' intervals stay within 0-100%, the trade-off
plot starts at 0 and its strategy names do not overlap."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
from matplotlib.text import Text

import sim.experiment as experiment
from sim.experiment import METRICS, Comparison, StrategyResult, compare
from sim.stats import estimate, paired_difference


def table(rows: dict[str, list[dict]]) -> pd.DataFrame:
    return pd.DataFrame([{"strategy": name, "replication": i, "seed": 100 + i, **values}
                         for name, runs in rows.items() for i, values in enumerate(runs)])


def runs(unfollow_rates: list[float], reach: float = 500.0) -> list[dict]:
    return [{"reach": reach + i, "reach_rate": (reach + i) / 10_000, "shares": 3.0 + i, "engagement_rate": 0.001,
             "unfollow_rate": rate, "net_followers": -10.0 + i} for i, rate in enumerate(unfollow_rates)]


class Strategies:
    name, baseline = "test", "base"

    def __init__(self, names):
        self.scenarios = {n: {} for n in names}
        self.settings = {}


def test_a_rate_interval_never_goes_below_zero():
    # two of three replications lose nobody: the t interval around 0.28% would reach below 0
    data = table({"base": runs([0.0, 0.0, 0.0085]), "other": runs([0.0, 0.0, 0.0])})
    result = compare(data, Strategies(["base", "other"]))
    rate = result["base"].estimates["unfollow_rate"]
    unclipped = estimate(data[data["strategy"] == "base"]["unfollow_rate"])
    assert unclipped.low < 0 <= rate.low < rate.mean < rate.high == unclipped.high
    net = result["base"].estimates["net_followers"]        # may be negative: not clipped
    assert net.low == estimate(data[data["strategy"] == "base"]["net_followers"]).low


def test_tradeoff_names_do_not_overlap_and_axes_start_at_zero(tmp_path, monkeypatch):
    close = [StrategyResult(f"strategy number {i}", {m: estimate([500.0 + i, 501.0 + i, 502.0 + i])
                                                      if m == "reach" else estimate([0.002, 0.0021, 0.0022], within=(0, 1))
                                                      for m in METRICS},
                            {m: paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) for m in METRICS}, "", {})
             for i in range(5)]
    comparison = Comparison("crowded", "strategy number 0", 3, close)
    drawn = {}
    original = experiment._separate_labels

    def keep(fig, labels):
        original(fig, labels)
        drawn["fig"], drawn["labels"] = fig, labels

    monkeypatch.setattr(experiment, "_separate_labels", keep)
    experiment.plot_tradeoff(comparison, tmp_path / "tradeoff.png")
    assert (tmp_path / "tradeoff.png").stat().st_size > 0
    renderer = drawn["fig"].canvas.get_renderer()
    boxes = [Text.get_window_extent(label, renderer) for label in drawn["labels"]]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    ax = drawn["fig"].axes[0]
    assert ax.get_xlim()[0] == 0 and ax.get_ylim()[0] == 0
