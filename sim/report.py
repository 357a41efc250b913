"""Presentation of a run's metrics: a terminal table, plots and files.

Everything here reads the outputs of :mod:`sim.metrics` (the summary dict,
the post table and the time series); nothing reads the model. matplotlib is
imported inside the plotting function only, so the command line starts fast,
and figures are drawn on the non-interactive Agg canvas (no display needed).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.events import RunLog
from sim.metrics import MOTIVATIONS

FEW_POSTS = 20
"""Below this many posts that reached someone, the cascade-size plot says the
distribution is only indicative."""


# --------------------------------------------------------------------------
# Terminal table
# --------------------------------------------------------------------------

def _percent(rate: float) -> str:
    return f"{100.0 * rate:.2f}%"


def _count(value: int) -> str:
    return f"{int(value):,}"


def _columns(header: list[str], rows: list[list[str]]) -> list[str]:
    """Rows aligned under a header: first column left, the others right."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = str(cells[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def summary_table(summary: dict) -> str:
    """The run's headline figures, then per brand and per motivation, as aligned text."""
    days = summary["ticks"] * summary["tick_hours"] / 24.0
    title = (f"scenario {summary['scenario']}  seed {summary['seed']}  "
             f"{summary['ticks']} ticks of {summary['tick_hours']:g} h ({days:.1f} days)  "
             f"population {_count(summary['population'])}")
    headline = [
        ("reach", _count(summary["reach"])),
        ("reach rate", _percent(summary["reach_rate"])),
        ("impressions", _count(summary["impressions"])),
        ("shares", _count(summary["shares"])),
        ("engagement rate (shares per impression)", _percent(summary["engagement_rate"])),
        ("followers at start", _count(summary["followers_start"])),
        ("followers at end", _count(summary["followers_end"])),
        ("unfollows", _count(summary["unfollows"])),
        ("unfollow rate (of followers at start)", _percent(summary["unfollow_rate"])),
        ("new follows", _count(summary["new_follows"])),
        ("blinded (still following, not noticing)", _count(summary["blinded"])),
    ]
    label_width = max(len(label) for label, _ in headline)
    value_width = max(len(value) for _, value in headline)
    lines = [title, ""]
    lines += [f"{label.ljust(label_width)}  {value.rjust(value_width)}" for label, value in headline]

    cascades = summary.get("cascades")
    if cascades:
        lines += ["", (f"cascades: mean size {cascades['mean_size']:.2f}, max {cascades['max_size']:,}, "
                       f"mean depth {cascades['mean_depth']:.2f}, structural virality "
                       f"{cascades['structural_virality_mean']:.2f}, shares never reshared "
                       f"{_percent(cascades['share_never_reshared'])}")]

    brands = summary.get("brands", [])
    if brands:
        header = ["brand", "posts", "reach", "reach rate", "impressions", "shares",
                  "engagement", "followers start", "followers end", "unfollows",
                  "unfollow rate", "blinded"]
        rows = [[b["name"], _count(b["posts"]), _count(b["reach"]), _percent(b["reach_rate"]),
                 _count(b["impressions"]), _count(b["shares"]), _percent(b["engagement_rate"]),
                 _count(b["followers_start"]), _count(b["followers_end"]), _count(b["unfollows"]),
                 _percent(b["unfollow_rate"]), _count(b["blinded"])] for b in brands]
        lines += ["", *_columns(header, rows)]

    motivations = summary.get("by_motivation", {})
    if motivations:
        header = ["motivation", "people", "reached", "shares", "unfollows"]
        rows = [[name, _count(m["people"]), _count(m["reached"]), _count(m["shares"]),
                 _count(m["unfollows"])] for name, m in motivations.items()]
        lines += ["", *_columns(header, rows)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------

def write_tables(summary: dict, post_table: pd.DataFrame, series: pd.DataFrame,
                 folder: Path) -> list[Path]:
    """Write ``summary.json``, ``posts.csv`` and ``timeseries.csv``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "summary.json", folder / "posts.csv", folder / "timeseries.csv"]
    paths[0].write_text(json.dumps(summary, indent=2) + "\n")
    post_table.to_csv(paths[1], index=False)
    series.to_csv(paths[2], index=False)
    return paths


def write_plots(run: RunLog, summary: dict, post_table: pd.DataFrame, series: pd.DataFrame,
                folder: Path) -> list[Path]:
    """Draw the run's three figures as PNGs in ``folder``; return their paths.

    ``reach_followers.png``: cumulative reach and followers against days;
    ``shares_by_motivation.png``: shares per motivation type, total and per
    person; ``cascade_sizes.png``: complementary CDF of cascade sizes, log-log.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tick_hours = float(run.meta.get("tick_hours", summary.get("tick_hours", 1.0)))
    label = f"{summary.get('scenario', '')} (seed {summary.get('seed')})"
    drawings = {
        "reach_followers.png": lambda fig: _draw_reach_followers(fig, series, tick_hours, summary),
        "shares_by_motivation.png": lambda fig: _draw_shares_by_motivation(fig, summary),
        "cascade_sizes.png": lambda fig: _draw_cascade_sizes(fig, post_table),
    }
    paths = []
    for name, draw in drawings.items():
        fig = Figure(figsize=(8, 6), layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig)
        fig.suptitle(label, fontsize=10)
        path = folder / name
        fig.savefig(path, dpi=110)
        paths.append(path)
    return paths


def _draw_reach_followers(fig, series: pd.DataFrame, tick_hours: float, summary: dict) -> None:
    days = series["tick"].to_numpy(dtype=float) * tick_hours / 24.0
    population = max(int(summary.get("population", 0)), 1)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(days, series["reach"], color="tab:blue")
    top.set_ylabel("people reached (cumulative)")
    top.set_title(f"Cumulative reach ({100 * series['reach'].iloc[-1] / population:.2f}% of "
                  f"{population:,} people)" if len(series) else "Cumulative reach")
    bottom.plot(days, series["followers"], color="tab:green")
    bottom.set_ylabel("followers (all brands)")
    bottom.set_xlabel("time (days)")
    bottom.set_title("Followers at the end of each tick")
    for axes in (top, bottom):
        axes.grid(alpha=0.3)


def _draw_shares_by_motivation(fig, summary: dict) -> None:
    by_type = summary.get("by_motivation", {})
    names = [m for m in MOTIVATIONS if m in by_type] + [m for m in by_type if m not in MOTIVATIONS]
    shares = np.array([by_type[m]["shares"] for m in names], dtype=float)
    people = np.array([by_type[m]["people"] for m in names], dtype=float)
    per_person = np.divide(shares, people, out=np.zeros_like(shares), where=people > 0)
    total, relative = fig.subplots(1, 2)
    total.bar(names, shares, color="tab:orange")
    total.set_title("Shares by motivation")
    total.set_ylabel("shares (events)")
    relative.bar(names, per_person, color="tab:purple")
    relative.set_title("Shares per person of the type")
    relative.set_ylabel("shares per person")
    for axes in (total, relative):
        axes.set_xlabel("motivation")
        axes.tick_params(axis="x", labelrotation=45)
        axes.grid(axis="y", alpha=0.3)


def _draw_cascade_sizes(fig, post_table: pd.DataFrame) -> None:
    axes = fig.subplots()
    sizes = np.sort(post_table["reach"].to_numpy(dtype=float))
    sizes = sizes[sizes > 0]
    axes.set_title("Cascade sizes: complementary CDF")
    axes.set_xlabel("cascade size (people reached by a post)")
    axes.set_ylabel("share of reached posts with size >= x")
    if sizes.size == 0:
        axes.text(0.5, 0.5, "no post reached anyone", ha="center", va="center",
                  transform=axes.transAxes)
        return
    values, first = np.unique(sizes, return_index=True)
    at_least = (sizes.size - first) / sizes.size
    axes.plot(values, at_least, marker="o", markersize=3, linewidth=1, color="tab:red")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.grid(which="both", alpha=0.3)
    notes = []
    unreached = len(post_table) - sizes.size
    if unreached:
        notes.append(f"{unreached} of {len(post_table)} posts reached nobody (not shown)")
    if sizes.size < FEW_POSTS:
        notes.append(f"only {sizes.size} posts reached anyone: indicative only")
    if notes:
        axes.text(0.02, 0.02, "\n".join(notes), transform=axes.transAxes, fontsize=9,
                  color="dimgray", va="bottom")
