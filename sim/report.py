"""Presentation of a run: text tables, plots and the run report (report.html).

Everything here shows what :mod:`sim.metrics` measured (the summary dict, the
post table, the time series) and what :mod:`sim.analysis` answered; nothing
reads the model, so ``sharesim report RUN_DIR`` rebuilds a run's tables,
plots and ``report.html`` from its folder alone (read back by
:mod:`sim.rundir`). The report answers the 5W + H + E questions of docs/domain.md
§4 in one self-contained HTML page, rendered with Jinja2 from the template
``sim/templates/report.html``, its figures embedded as PNG. matplotlib and
Jinja2 are imported inside the functions that use them, so the command line
starts fast; figures are drawn on the non-interactive Agg canvas.
"""

from __future__ import annotations

import functools
import json
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import cascade_size_ccdf
from sim.events import RunLog
from sim.motivations import Motivation

FEW_POSTS = 20
"""Below this many posts that reached someone, the cascade-size plot says the
distribution is only indicative."""

REPORT_FILE = "report.html"
TEMPLATE = "templates/report.html"
"""The page's Jinja2 template, package data of :mod:`sim`."""


# --------------------------------------------------------------------------
# Terminal table
# --------------------------------------------------------------------------

def _percent(rate: float) -> str:
    return f"{100.0 * rate:.2f}%"


def _count(value: int) -> str:
    return f"{int(value):,}"


def text_table(header: list[str], rows: list, *, right: bool = True, rule: bool = True) -> list[str]:
    """Rows aligned under a header, as lines of text: the first column left, the others
    right (numbers) or, without ``right``, left; a rule of dashes under the header unless
    ``rule`` is False. A row that is a string is a line of its own, outside the columns."""
    cells = [header, *(r for r in rows if not isinstance(r, str))]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(header))]

    def line(row: list) -> str:
        first = str(row[0]).ljust(widths[0])
        rest = [str(c).rjust(w) if right else str(c).ljust(w) for c, w in zip(row[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    ruler = [line(["-" * w for w in widths])] if rule else []
    return [line(header), *ruler, *(r if isinstance(r, str) else line(r) for r in rows)]


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
        ("shares per post per follower", f"{100.0 * summary.get('shares_per_post_per_follower', 0.0):.3f}%"),
        ("organic reach (followers who read a post)", _percent(summary.get("organic_reach_rate", 0.0))),
        ("followers at start", _count(summary["followers_start"])),
        ("followers at end", _count(summary["followers_end"])),
        ("unfollows", _count(summary["unfollows"])),
        ("unfollow rate (of followers at start)", _percent(summary["unfollow_rate"])),
        ("new follows", _count(summary["new_follows"])),
        ("hides (followers who hid the brand)", _count(summary.get("hides", summary["blinded"]))),
        ("blinded (hid the brand, still following)", _count(summary["blinded"])),
    ]
    if "activated" in summary:              # the independent_cascade preset
        headline += [("activated (seeds included)", _count(summary["activated"])),
                     ("activated fraction", _percent(summary["activated_fraction"]))]
    label_width = max(len(label) for label, _ in headline)
    value_width = max(len(value) for _, value in headline)
    lines = [title, ""]
    lines += [f"{label.ljust(label_width)}  {value.rjust(value_width)}" for label, value in headline]

    cascades = summary.get("cascades")
    if cascades:
        lines += ["", (f"cascades (size = adopters, people who shared): mean size {cascades['mean_size']:.2f}, "
                       f"max {cascades['max_size']:,}, mean depth {cascades['mean_depth']:.2f}, "
                       f"max depth {cascades.get('max_depth', 0):,}, structural virality "
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
        lines += ["", *text_table(header, rows)]

    motivations = summary.get("by_motivation", {})
    if motivations:
        header = ["motivation", "people", "reached", "shares", "unfollows"]
        rows = [[name, _count(m["people"]), _count(m["reached"]), _count(m["shares"]),
                 _count(m["unfollows"])] for name, m in motivations.items()]
        lines += ["", *text_table(header, rows)]
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
                folder: Path, drawing: Drawing | None = None) -> list[Path]:
    """Draw the run's three figures as PNGs in ``folder`` (by ``drawing``: here when None);
    return their paths.

    ``reach_followers.png``: cumulative reach and followers against days;
    ``shares_by_motivation.png``: shares per motivation type, total and per
    person; ``cascade_sizes.png``: complementary CDF of cascade sizes, log-log.
    """
    return _save_plots(_plots(run, summary, post_table, series, drawing or Drawing.here()), folder)


def _plots(run: RunLog, summary: dict, post_table: pd.DataFrame, series: pd.DataFrame,
           drawing: Drawing) -> dict[str, PNG]:
    """The three plots of :func:`write_plots`, asked of ``drawing``: file name -> PNG (a future)."""
    tick_hours = float(run.meta.get("tick_hours", summary.get("tick_hours", 1.0)))
    label = f"{summary.get('scenario', '')} (seed {summary.get('seed')})"
    drawings = {
        "reach_followers.png": partial(_draw_reach_followers, series=series, tick_hours=tick_hours, summary=summary),
        "shares_by_motivation.png": partial(_draw_shares_by_motivation, summary=summary),
        "cascade_sizes.png": partial(_draw_cascade_sizes, post_table=post_table),
    }
    margins = {"shares_by_motivation.png": dict(bottom=0.22, wspace=0.35)}
    return {name: drawing.png(draw, (8, 6), label, **margins.get(name, {})) for name, draw in drawings.items()}


def _save_plots(plots: dict[str, PNG], folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, png in plots.items():
        path = folder / name
        path.write_bytes(png.result())
        paths.append(path)
    return paths


class Drawing:
    """Where figures are drawn into PNG bytes: here, or in one worker process beside this one.

    matplotlib draws in one thread, and a run folder's six figures take about 0.6 s
    (importing it 0.2 s more) whatever the size of the run, while measuring the run,
    answering the report's questions and writing the data files do not need them.
    :meth:`beside` forks a worker at once: it imports matplotlib while this process
    measures, then draws each figure asked of it, in the order asked, while this
    process goes on. Either way a figure is the same function of the same data, so
    its PNG is the same byte for byte (tested).
    """

    def __init__(self, pool=None):
        self._pool = pool

    @classmethod
    def here(cls) -> "Drawing":
        """Draw each figure when asked, in this process."""
        return cls()

    @classmethod
    def beside(cls) -> "Drawing":
        """A worker process, where one helps and this process can fork it safely: it may run on
        more than one CPU, it runs one thread (a fork copies no other thread, so a lock another
        thread held would stay locked in the worker), it is not itself a daemonic worker (which
        may not have children), and it runs on Linux (macOS's system libraries are not safe to
        use after a fork, and Windows has none). Anywhere else, :meth:`here`."""
        import multiprocessing
        import os
        import sys
        import threading

        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if (cpus < 2 or threading.active_count() > 1 or multiprocessing.current_process().daemon
                or not sys.platform.startswith("linux")):
            return cls.here()
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_ready_to_draw)
        try:
            pool.submit(int)        # starts the worker now, not at the first figure
        except OSError:             # no fork to be had (out of memory or processes): draw here
            pool.shutdown(wait=False)
            return cls.here()
        return cls(pool)

    def png(self, draw, size: tuple[float, float], label: str | None = None, **margins) -> PNG:
        """``draw`` (a function of a matplotlib Figure; picklable, e.g. a partial of a module's
        function, to be drawn beside) drawn by :func:`_png_bytes`: its PNG, when asked for."""
        how = (draw, size, label)
        if self._pool is not None:
            try:
                return PNG(how, margins, self._pool.submit(_png_bytes, *how, **margins))
            except BrokenProcessPool:
                self.close()
        return PNG(how, margins, _png_bytes(*how, **margins))

    def close(self) -> None:
        """Stop the worker (after the figures asked; none asked are left behind when an error
        stopped the caller)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "Drawing":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class PNG:
    """A figure asked of a :class:`Drawing`: :meth:`result` gives its PNG bytes, waiting for
    the worker if it draws it, or drawing it here if the worker died (killed for memory)."""

    def __init__(self, how: tuple, margins: dict, drawn: bytes | Future):
        self._how, self._margins, self._drawn = how, margins, drawn

    @classmethod
    def done(cls, png: bytes) -> "PNG":
        """A figure already drawn (read back from a file)."""
        return cls((), {}, png)

    def result(self) -> bytes:
        if isinstance(self._drawn, Future):
            try:
                self._drawn = self._drawn.result()
            except BrokenProcessPool:
                self._drawn = _png_bytes(*self._how, **self._margins)
        return self._drawn


def _ready_to_draw() -> None:
    """A drawing worker's start: import what drawing needs before the first figure is asked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401

    _mathtext_parser()


PLOT_DPI = 90
"""Resolution of the PNGs [dots per inch]: 8 x 6 in plots are 720 x 540 px, sharp on a
page 62 rem wide, and quick to draw."""


MARGINS = dict(left=0.11, right=0.97, bottom=0.13, top=0.88, wspace=0.3, hspace=0.45)
"""Figure margins (fractions of the figure), set once by hand: a layout engine
(tight or constrained) re-measures every label and costs more than the drawing."""


def _png_bytes(draw, size, label: str | None = None, **margins) -> bytes:
    """Draw on a fresh Agg figure of ``size`` [in] (titled ``label``, if given) and return its PNG.

    Titles are placed just above their axes (``axes.titley`` 1) instead of being
    measured against every tick label at each drawing, which took a third of
    the drawing time: matplotlib lifts a title only over labels on top of the
    axes (these figures have none) or a y axis' offset text ("1e6"); a figure
    that will show one (:func:`_shows_offset_text`, asked before drawing) is
    drawn with matplotlib's own placement, and one found after drawing to need
    it is drawn again that way: every figure looks as matplotlib would place it.
    """
    import io
    from contextlib import nullcontext

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    for in_place in (True, False):
        fig = Figure(figsize=size, dpi=PLOT_DPI)       # drawn at the PNG's resolution: see _title_may_move
        FigureCanvasAgg(fig).get_renderer().mathtext_parser = _mathtext_parser()
        with matplotlib.rc_context({"axes.titley": 1.0}) if in_place else nullcontext():
            draw(fig)
        if label is not None:
            fig.suptitle(label, fontsize=10)
        _fit(fig, titled=label is not None, **margins)
        if in_place and _shows_offset_text(fig):
            continue
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=PLOT_DPI)
        if not (in_place and _title_may_move(fig)):
            return buffer.getvalue()


@functools.cache
def _mathtext_parser():
    """One mathtext parser for every figure drawn, as each Agg renderer makes its own (for the
    labels of log axes, "10^3"): a parser keeps what it parsed, so a label is parsed once per
    process, not once per figure (6 ms each)."""
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("path")


def _shows_offset_text(fig) -> bool:
    """Whether a y axis of ``fig`` (laid out, not yet drawn) will show an offset text ("1e6",
    "+1e5"): its formatter is asked about its tick values, as drawing does, which costs
    nothing like drawing the figure."""
    from matplotlib.ticker import ScalarFormatter

    for axes in fig.axes:
        formatter = axes.yaxis.get_major_formatter()
        if isinstance(formatter, ScalarFormatter) and axes.yaxis.offsetText.get_visible():
            formatter.set_locs(axes.yaxis.get_majorticklocs())
            if formatter.get_offset():
                return True
    return False


def _title_may_move(fig) -> bool:
    """Whether matplotlib's own placement could put a title of the drawn ``fig`` elsewhere than
    just above its axes: x tick labels on top, a left or right title, or a y axis' offset text
    ("1e6") that touches the title (the tests of ``Axes._update_title_position``). The offset
    text is placed in pixels when drawn, so ``fig`` must have been drawn at its own dpi."""
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()
    offsets = [axes.yaxis.offsetText for axes in fig.axes
               if axes.yaxis.offsetText.get_visible() and axes.yaxis.offsetText.get_text()]
    for axes in fig.axes:
        if axes.get_title("left") or axes.get_title("right"):
            return True
        if axes.xaxis.get_ticks_position() in ("top", "unknown") or axes.xaxis.get_label_position() == "top":
            # matplotlib then measures the x axis (labels, ticks) instead of the axes: it can lift
            # the title only if something of it reaches above the axes (the upper plot of two
            # sharing an x axis has its labels hidden: its position is "unknown", nothing is there)
            drawn = axes.xaxis.get_tightbbox(renderer)
            if drawn is not None and drawn.ymax > axes.get_window_extent(renderer).ymax:
                return True
        if axes.get_title() and offsets:
            title = axes.title.get_tightbbox(renderer)
            if any(Bbox.intersection(title, text.get_tightbbox(renderer)) is not None for text in offsets):
                return True
    return False


def _fit(fig, titled: bool = False, **margins) -> None:
    """Fixed margins, with room for a suptitle when ``titled``; ``margins`` override :data:`MARGINS`."""
    fig.subplots_adjust(**{**MARGINS, "top": 0.86 if titled else MARGINS["top"], **margins})


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
    labels = [m.label for m in Motivation]
    names = [m for m in labels if m in by_type] + [m for m in by_type if m not in labels]
    shares = np.array([by_type[m]["shares"] for m in names], dtype=float)
    people = np.array([by_type[m]["people"] for m in names], dtype=float)
    if not people.sum():            # the independent_cascade preset: nobody has a motivation
        axes = fig.subplots()
        axes.text(0.5, 0.5, "nobody in this run has a motivation type\n(the Independent Cascade preset)",
                  ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    per_person = np.divide(shares, people, out=np.zeros_like(shares), where=people > 0)
    total, relative = fig.subplots(1, 2)
    total.bar(names, shares, color="tab:orange")
    total.set_title("Shares by motivation")
    total.set_ylabel("shares (events)")
    _whole_numbers(total.yaxis)
    relative.bar(names, per_person, color="tab:purple")
    relative.set_title("Shares per person of the type")
    relative.set_ylabel("shares per person")
    for axes in (total, relative):
        axes.set_xlabel("motivation")
        axes.tick_params(axis="x", labelrotation=45)
        axes.grid(axis="y", alpha=0.3)


def _draw_cascade_sizes(fig, post_table: pd.DataFrame) -> None:
    axes = fig.subplots()
    values, at_least, reached = cascade_size_ccdf(post_table)
    axes.set_title("Cascade viewers: complementary CDF")
    axes.set_xlabel("people reached by a post (its cascade's viewers)")
    axes.set_ylabel("share of reached posts with size >= x")
    if reached < 2:
        axes.text(0.5, 0.5, "no post reached anyone" if reached == 0 else
                  f"only one post reached anyone ({int(values[0]):,} people): no distribution to show",
                  ha="center", va="center", transform=axes.transAxes)
        axes.set_xticks([])
        axes.set_yticks([])
        return
    axes.plot(values, at_least, marker="o", markersize=3, linewidth=1, color="tab:red")
    _log_axes(axes)
    axes.grid(which="both", alpha=0.3)
    notes = []
    unreached = len(post_table) - reached
    if unreached:
        notes.append(f"{unreached} of {len(post_table)} posts reached nobody (not shown)")
    if reached < FEW_POSTS:
        notes.append(f"only {reached} posts reached anyone: indicative only")
    if notes:
        axes.text(0.02, 0.02, "\n".join(notes), transform=axes.transAxes, fontsize=9,
                  color="dimgray", va="bottom")


# --------------------------------------------------------------------------
# Figures for the page (PNG, embedded as base64)
# --------------------------------------------------------------------------

def _data_uri(png: bytes) -> str:
    """PNG bytes as a data URI, to embed in the page."""
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _drawn(folder: Path | None, name: str) -> PNG | None:
    """A plot :func:`write_plots` already drew in the folder, read back (None if absent)."""
    path = None if folder is None else Path(folder) / name
    if path is None or not path.is_file():
        return None
    return PNG.done(path.read_bytes())


def _log_axes(axes) -> None:
    """Log-log axes whose ticks read as plain numbers at 1, 2, 5, 10, 20 ... (finer steps
    when the data span less than a decade), so every axis has several labelled ticks."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    axes.set_xscale("log")
    axes.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:.3g}")
    axes.autoscale_view()
    for axis, (low, high) in ((axes.xaxis, axes.get_xlim()), (axes.yaxis, axes.get_ylim())):
        axis.set_major_locator(FixedLocator(_log_ticks(low, high)))
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(NullFormatter())


def _log_ticks(low: float, high: float) -> list[float]:
    """Round tick values within [low, high] on a log axis: 1-2-5 per decade, or
    1-1.5-2-3-4-5-7 when that leaves fewer than three, evenly spaced round numbers when
    even that does (a range within a factor of two)."""
    from matplotlib.ticker import MaxNLocator

    low, high = max(min(low, high), 1e-12), max(low, high)
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    for steps in ((1, 2, 5), (1, 1.5, 2, 3, 4, 5, 7)):
        ticks = [m * 10.0 ** k for k in decades for m in steps if low <= m * 10.0 ** k <= high]
        if len(ticks) >= 3:
            return ticks
    return [t for t in MaxNLocator(nbins=4).tick_values(low, high) if low <= t <= high]


def _whole_numbers(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _draw_attention(fig, timing: dict) -> None:
    age, clock = fig.subplots(1, 2)
    hours = np.asarray(timing["exposure_age_hours"], dtype=float)
    if hours.size:
        counts = np.bincount(np.clip(hours, 0, None).astype(int))
        age.bar(np.arange(counts.size), counts, width=1.0, color="tab:blue")
        age.set_yscale("log")
    _whole_numbers(age.xaxis)
    age.set_title("Readings by the post's age")
    age.set_xlabel("hours since publication")
    age.set_ylabel("readings (log)")
    reads, shares = timing["reads_by_hour"], timing["shares_by_hour"]
    clock.bar(reads.index, reads.to_numpy(), width=timing["tick_hours"] * 0.9, color="tab:gray", label="readings")
    clock.set_ylabel("readings")
    clock.set_xlabel("hour of day")
    clock.set_xlim(0, 24)
    clock.set_title("Readings and shares by hour of day")
    twin = clock.twinx()
    twin.plot(shares.index, shares.to_numpy(), "o", color="tab:orange", label="shares")
    twin.set_ylabel("shares", color="tab:orange")
    clock.set_ylim(bottom=0)
    twin.set_ylim(bottom=0, top=max(float(shares.max()) if len(shares) else 0.0, 1.0) * 1.1)
    _whole_numbers(twin.yaxis)
    for axes in (age, clock):
        axes.grid(alpha=0.3)


def _draw_distance(fig, place: dict) -> None:
    axes = fig.subplots()
    rows = place["by_distance"]
    labels = [r["distance"] for r in rows]
    axes.bar(labels, [r["reach_rate"] * 100 for r in rows], color="tab:green")
    axes.set_ylabel("% of these people reached")
    axes.set_xlabel("ties from the nearest follower of the brand at the start")
    axes.set_title("Reach by distance from the brand's followers")
    axes.grid(axis="y", alpha=0.3)


def _draw_generations(fig, spread: dict) -> None:
    from matplotlib.ticker import NullFormatter

    left = fig.subplots()
    rows = spread["reach_by_generation"]
    left.bar([r["generation"] for r in rows], [r["people"] for r in rows], color="tab:purple")
    left.set_yscale("log")
    left.yaxis.set_minor_formatter(NullFormatter())
    _whole_numbers(left.xaxis)
    left.set_xlabel("generation (0: the brand's own post; 1: a friend's share of it; ...)")
    left.set_ylabel("people (log)")
    left.set_title("People reached, by the nearest generation that reached them")
    left.grid(alpha=0.3)


# --------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------

def render_report(run: RunLog, summary: dict, post_table: pd.DataFrame, series: pd.DataFrame,
                  folder: Path | None = None, forest=None, network: tuple | None = None,
                  answers=None, drawing: Drawing | None = None) -> str:
    """The report page as one self-contained HTML string (figures embedded).

    ``folder`` is where scenario.yaml, network.npz and the plots are read from
    (the run folder); without them the Where section says what is missing.
    ``forest``: the run's cascade forest, when already built; ``network``: the
    folder's network as :func:`sim.rundir.read_network` reads it, when already at hand;
    ``answers``: :func:`sim.analysis.analyse`'s, when already at hand; ``drawing``: where
    the page's figures are drawn (None: here).
    """
    import math
    from importlib.resources import files

    import jinja2

    from sim.analysis import analyse, is_independent_cascade
    from sim.rundir import read_network, read_scenario

    scenario = read_scenario(folder)
    if network is None:
        network = read_network(folder) if folder is not None else (None, None)
    if answers is None:
        answers = analyse(run, summary, post_table, scenario, network, forest)
    tick_hours = float(run.meta.get("tick_hours", summary.get("tick_hours", 1.0)))
    timing, place, spread = answers.when, answers.where, answers.how
    ic = is_independent_cascade(run)
    drawing = drawing or Drawing.here()
    page = (7.5, 3.6)
    figures = {
        "reach": _drawn(folder, "reach_followers.png") or drawing.png(
            partial(_draw_reach_followers, series=series, tick_hours=tick_hours, summary=summary), (7.5, 4.5)),
        "attention": drawing.png(partial(_draw_attention, timing=timing), page,
                                 left=0.09, right=0.92, bottom=0.15, wspace=0.35),
        "motivation": None if ic else (_drawn(folder, "shares_by_motivation.png") or drawing.png(
            partial(_draw_shares_by_motivation, summary=summary), page, bottom=0.25, wspace=0.35)),
        "generations": drawing.png(partial(_draw_generations, spread=spread), (7.5, 3.0), bottom=0.17),
        "sizes": _drawn(folder, "cascade_sizes.png") or drawing.png(
            partial(_draw_cascade_sizes, post_table=post_table), page),
    }
    if place.get("available") and place["by_distance"]:
        figures["distance"] = drawing.png(partial(_draw_distance, place={"by_distance": place["by_distance"]}),
                                          (7.5, 3.0), bottom=0.17)
    figures = {name: None if png is None else _data_uri(png.result()) for name, png in figures.items()}

    def pct(value) -> str:
        return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else _percent(value)

    def num(value) -> str:
        return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"

    def hours(value) -> str:
        """Hours measured in whole ticks: 0 means within the tick of publication."""
        if value is None or math.isnan(value):
            return "-"
        if value < tick_hours:
            return "within the first hour" if tick_hours == 1 else f"within the first {tick_hours:g} h"
        return f"{value:g} h"

    def clock(hour) -> str:
        return f"{int(hour):02d}:{int(round((hour % 1) * 60)):02d}"

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["clock"] = clock
    template = environment.from_string(files("sim").joinpath(TEMPLATE).read_text(encoding="utf-8"))
    return template.render(
        s=summary, days=summary["ticks"] * tick_hours / 24.0, brands=run.brands,
        description=(scenario or {}).get("description", ""), people=answers.who, content=answers.what,
        timing=timing, place=place, motives=answers.why, spread=spread, size=answers.extent, figures=figures,
        pct=pct, num=num, hours=hours, clock=clock, ic=ic, tick_hours=tick_hours, cascades_shown=sum(
            post_table["reach"] > 0))


def write_html_report(folder: Path, run: RunLog, summary: dict, post_table: pd.DataFrame,
                      series: pd.DataFrame, forest=None, network: tuple | None = None,
                      answers=None, drawing: Drawing | None = None) -> Path:
    """Write ``report.html`` into a run folder, reading its scenario.yaml, network.npz (unless
    ``network`` gives it, see :func:`render_report`) and the plots :func:`write_plots` drew
    there (each drawn afresh when missing)."""
    path = Path(folder) / REPORT_FILE
    path.write_text(render_report(run, summary, post_table, series, folder, forest, network, answers, drawing),
                    encoding="utf-8")
    return path


def write_report(folder: Path, run: RunLog, series: pd.DataFrame | None = None, network: tuple | None = None,
                 drawing: Drawing | None = None):
    """Measure a run (:func:`sim.analysis.measure`) and write its tables, plots and report.html
    into ``folder`` (its scenario.yaml and network.npz, if any, already there); return the
    :class:`sim.analysis.Measures`. ``series``: the run's DataCollector table, when at hand;
    ``network``: the network.npz's contents, when at hand (see :func:`render_report`);
    ``drawing``: where the figures are drawn (None: here).

    With a drawing worker, the plots are asked for as soon as the run is measured: they
    are drawn there while the report's questions are answered here."""
    from sim.analysis import analyse, measure
    from sim.rundir import read_network, read_scenario

    drawing = drawing or Drawing.here()
    m = measure(run, series=series)
    plots = _plots(m.run, m.summary, m.posts, m.series, drawing)
    write_tables(m.summary, m.posts, m.series, folder)
    if network is None:
        network = read_network(folder)
    answers = analyse(m.run, m.summary, m.posts, read_scenario(folder), network, m.forest)
    _save_plots(plots, folder)
    write_html_report(folder, m.run, m.summary, m.posts, m.series, m.forest, network, answers, drawing)
    return m


def rebuild_report(folder: Path) -> Path:
    """Recompute a run folder's tables, plots and report.html from its event log.

    The folder is verified first (:func:`sim.rundir.load_run_folder` with
    ``verify``): a log that is not the one the run wrote never replaces
    summary.json. Everything is written to a hidden staging folder first and
    each file replaces the old one atomically only when all are complete
    (:func:`sim.rundir.staged_update`), so a failure leaves the old files as
    they were. Raises InputError when the folder is not an intact,
    consistent run folder.
    """
    import shutil

    from sim.errors import InputError
    from sim.rundir import NETWORK_FILE, load_run_folder, staged_update

    folder = Path(folder)
    run = load_run_folder(folder, verify=True)
    try:
        with Drawing.beside() as drawing, staged_update(folder, "report") as staging:
            for name in ("scenario.yaml", NETWORK_FILE):
                if (folder / name).is_file():
                    shutil.copy2(folder / name, staging / name)     # the report reads them beside it
            write_report(staging, run, drawing=drawing)
            for name in ("scenario.yaml", NETWORK_FILE):
                (staging / name).unlink(missing_ok=True)       # read by the report, not rewritten
    except (KeyError, ValueError, IndexError, TypeError, AttributeError) as error:
        raise InputError(f"{folder}: the run folder's files do not fit together "
                         f"({type(error).__name__}: {error}); run the scenario again") from None
    except OSError as error:
        raise InputError(f"{folder}: cannot write the report there ({error.strerror or error})") from None
    return folder / REPORT_FILE


def command_report(args) -> int:
    """``sharesim report RUN_DIR``: rebuild the run folder's report without re-running."""
    path = rebuild_report(args.run_dir)
    print(f"report: {path}")
    return 0
