"""The teaching demo: a Mesa SolaraViz app in the browser (``sharesim demo``).

A teacher moves a few sliders (posts per day, how promotional and how useful
the posts are, attention span and half-life, the motivation mix, the network),
presses Reset to build that world, then Step or Play, and the class watches:

* the network: a readable sample of a few hundred people, each drawn by what
  happened to them, in shape *and* colour (not reached, reached, shared, hid
  the brand, unfollowed), so the picture reads on a projector and in black
  and white;
* live charts: cumulative reach, shares per tick, followers, unfollows and
  followers who hid the brand, and shares by motivation.

The run starts just before the brand's first post (the quiet hours of the
first night are run when the model is built), so the first Step shows a post
being read. The page works offline: nothing is loaded from outside the
server (no Markdown, whose math rendering would fetch KaTeX from a CDN).

Each browser tab gets its own model. The dashboard only builds a scenario
(:func:`demo_scenario`) and hands it to :class:`sim.model.SharingModel`;
nothing here changes how the model works.

This module is the Solara app (``solara run sim.app``), so it imports Solara,
Mesa's visualization and matplotlib at the top; ``sharesim --help`` never
imports it. :func:`command_demo` starts the server in a child process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import matplotlib
import matplotlib.colors

matplotlib.use("Agg")  # no display on a server; Solara shows PNGs

warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return")  # Mesa 3.3.1's, harmless

import mesa
import mesa.visualization.solara_viz as mesa_viz
import networkx as nx
import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from sim.errors import InputError
from sim.events import EventKind
from sim.model import SharingModel
from sim.motivations import PROFILES, Motivation
from sim.scenario import GENERATORS, Scenario, load_scenario, scenario_from_dict

SCENARIO_VARIABLE = "SHARESIM_DEMO_SCENARIO"
"""Environment variable through which ``sharesim demo SCENARIO`` passes the starting scenario."""

SAMPLE_SIZE = 300
"""People drawn in the network view: enough to see a cascade, few enough to read."""

ORDINARY_HALF_LIFE = 24.0
"""Hours: the attention half-life of most motivation types (sim.motivations)."""

MIXES = {
    "study": "study",
    **{f"all {m.label}s": {m.label: 1.0} for m in Motivation},
    "no altruists": {m.label: PROFILES[m].share for m in Motivation if m != Motivation.ALTRUIST},
}
"""The motivation mixes offered by the dashboard: the study's, one type alone, or the study's without altruists."""

SCENARIO_MIX = "as in the scenario"
"""The mix control's position when the starting scenario has a mix of its own."""

MOTIVATION_COLOURS = {  # one colour per type, the same in every figure of the demo
    Motivation.ALTRUIST: "#1f77b4", Motivation.SELECTIVE: "#ff7f0e", Motivation.PASSIONATE: "#2ca02c",
    Motivation.SOCIAL: "#e377c2", Motivation.TRENDSETTER: "#9467bd", Motivation.PROVOCATEUR: "#d62728",
    Motivation.CAREERIST: "#8c564b",
}

DEMO_START = {
    "name": "demo",
    "description": "A tech brand posts three times a day to a fifth of 1,000 people, and hands each post to five influencers.",
    "seed": 42,
    "duration_days": 7,
    "population": {"size": 1000},
    "network": {"generator": "powerlaw_cluster", "mean_degree": 10},
    "brands": [{"name": "Acme", "followers": 0.2, "topic": "tech", "campaign": {
        "posts_per_day": 3,
        "content": [{"kind": "tip", "qualities": {"useful": 0.7, "novel": 0.5, "topical": 0.5, "inspiring": 0.3},
                     "promotional": 0.2}],
        "seeding": {"influencers": 5}}}],
}
"""The world the demo starts from when no scenario is given."""


# --------------------------------------------------------------------------
# From the dashboard's controls to a scenario

def starting_scenario() -> Scenario:
    """The scenario named by ``SHARESIM_DEMO_SCENARIO``, else :data:`DEMO_START`."""
    path = os.environ.get(SCENARIO_VARIABLE)
    return load_scenario(path) if path else scenario_from_dict(DEMO_START, source="demo")


def demo_scenario(base: Scenario, posts_per_day: float, promotional: float, useful: float,
                  attention_span: int, half_life_hours: float, motivation_mix: str,
                  network: str, people: int) -> Scenario:
    """The starting scenario with the dashboard's settings applied.

    Only what was moved away from the starting position changes (a control
    left alone keeps the scenario exactly as written). Posts per day apply to
    every brand; ``useful`` and ``promotional`` to every kind of post;
    ``half_life_hours`` is the attention half-life of the ordinary types, and
    the quick types (socials, trendsetters) keep theirs in proportion.
    Follower and seeding counts are capped at the population.
    """
    start = dashboard_defaults(base)
    moved = {key for key, value in dict(
        posts_per_day=posts_per_day, promotional=promotional, useful=useful, attention_span=attention_span,
        half_life_hours=half_life_hours, motivation_mix=motivation_mix, network=network,
        people=people).items() if value != start[key]}
    data = base.resolved()
    population, brands = data["population"], data["brands"]
    if "attention_span" in moved:
        population["attention_span"] = int(attention_span)
    if "motivation_mix" in moved:
        population["motivations"] = MIXES[motivation_mix]
    if "network" in moved:
        data["network"]["generator"] = network
        if network != "edge_list":
            data["network"]["path"] = None
    if data["network"]["generator"] == "edge_list":
        population["size"] = None                    # the edge list says who is there
    elif "people" in moved or "network" in moved:
        population["size"] = int(people)
    size = population["size"] or 10**9
    for brand in brands:
        if isinstance(brand["followers"], int):
            brand["followers"] = min(brand["followers"], size)
        campaign = brand["campaign"]
        if "posts_per_day" in moved:
            campaign["posts_per_day"] = float(posts_per_day)
            campaign["schedule"] = None
        for kind in campaign["content"]:
            if "promotional" in moved:
                kind["promotional"] = float(promotional)
            if "useful" in moved:
                kind["qualities"]["useful"] = float(useful)
        seeding = campaign["seeding"]
        for who in ("influencers", "employees", "random"):
            seeding[who] = min(seeding[who], size)
    if "half_life_hours" in moved:
        overrides = data["motivations"]
        for m in Motivation:
            own = (overrides.get(m.label) or {}).get("half_life_hours") or PROFILES[m].half_life_hours
            overrides.setdefault(m.label, {})["half_life_hours"] = own * float(half_life_hours) / ORDINARY_HALF_LIFE
    return scenario_from_dict(data, source=f"demo ({base.name})")


def parse_seed(seed, default: int) -> tuple[int, str]:
    """A seed typed in the dashboard (it arrives as a string): (seed, notice for the user)."""
    text = str(seed).strip()
    if text.isdigit():
        return int(text), ""
    return default, f"seed {text!r} is not a whole number >= 0; using {default}"


class DemoModel(SharingModel):
    """A SharingModel built from the dashboard's controls (all keyword arguments, as SolaraViz needs).

    Arguments left at None take the starting scenario's value. The network
    sample and its layout are computed once per model, here.
    """

    def __init__(self, posts_per_day=None, promotional=None, useful=None, attention_span=None,
                 half_life_hours=None, motivation_mix=None, network=None,
                 people=None, seed=None) -> None:
        base = starting_scenario()
        start = dashboard_defaults(base)
        settings = {k: start[k] if v is None else v for k, v in dict(
            posts_per_day=posts_per_day, promotional=promotional, useful=useful,
            attention_span=attention_span, half_life_hours=half_life_hours,
            motivation_mix=motivation_mix, network=network, people=people).items()}
        seed, self.notice = parse_seed(base.seed if seed is None else seed, base.seed)
        try:
            scenario = demo_scenario(base, **settings)
        except InputError as error:        # a combination the model refuses: say so, keep the start
            scenario, settings = base, start
            self.notice = f"{error}; showing the starting scenario instead"
        super().__init__(scenario, seed=seed, source=f"demo ({base.name})")
        self.settings = {**settings, "seed": seed}

        reporters = dict(self.datacollector.model_reporters)
        reporters["unfollowed"] = lambda m: int(m.followers.unfollowed.sum())
        reporters["hid the brand"] = lambda m: m.hidden_followers()
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)
        self.sample, self.positions, self.sample_edges = network_sample(self, SAMPLE_SIZE)
        self.shared = np.zeros(self.population, dtype=bool)            # has shared a brand post
        self.shares_by_motivation = np.zeros(len(Motivation), dtype=np.int64)
        self.shares_so_far = 0
        self._logged = 0
        self.skipped = self._skip_to_first_post()

    def _skip_to_first_post(self) -> int:
        """Run the ticks before the first post (nothing to see), so that the next Step
        publishes it; returns how many ticks were run."""
        first = min((plans[0].tick for plans in self.plans if plans), default=1)
        while self.tick < min(first - 1, self.ticks):
            self.step()
        return self.tick

    def step(self) -> None:
        if self.tick >= self.ticks:
            self.running = False
            return
        super().step()
        self.running = self.tick < self.ticks
        self._count_shares()

    def _count_shares(self) -> None:
        """Note this tick's sharers, so that drawing never reads the event log."""
        kind = self.log.column("kind")[self._logged:]
        people = self.log.column("person")[self._logged:][kind == int(EventKind.SHARE)]
        self._logged = len(self.log)
        self.shared[people] = True
        self.shares_by_motivation += np.bincount(self.motivation[people], minlength=len(Motivation))
        self.shares_so_far = int(self.shares_by_motivation.sum())

    def hidden_followers(self) -> int:
        """Followers (of any brand) who have hidden its posts."""
        return sum(self.followers.hidden_followers(b) for b in range(len(self.scenario.brands)))

    def clock(self) -> str:
        """The current time of the run, e.g. 'day 2, 14:00'."""
        hours = self.tick * self.tick_hours
        return f"day {int(hours // 24) + 1}, {int(hours % 24):02d}:{int(round(hours % 1 * 60)):02d}"


def dashboard_defaults(base: Scenario) -> dict:
    """The slider positions that reproduce the starting scenario (as near as the sliders can)."""
    brand = base.brands[0]
    kinds = brand.campaign.content
    weight = sum(k.weight for k in kinds)
    mix = base.population.motivations
    named = next((name for name, value in MIXES.items() if value == mix), SCENARIO_MIX)
    return {
        "posts_per_day": float(brand.campaign.posts_per_day),
        "promotional": round(sum(k.weight * k.promotional for k in kinds) / weight, 2),
        "useful": round(sum(k.weight * k.qualities.get("useful", 0.0) for k in kinds) / weight, 2),
        "attention_span": int(base.population.attention_span),
        "half_life_hours": ORDINARY_HALF_LIFE,
        "motivation_mix": named,
        "network": base.network.generator,
        "people": int(base.population.size or 10_000),
    }


def network_sample(model: SharingModel, size: int, seed: int | None = None):
    """A connected-looking sample of people and a spring layout of it (computed once).

    Breadth-first from a random follower of the first brand, so the sample
    holds the neighbourhood where the brand's posts start to travel.
    Returns (people, positions (k, 2), edges as pairs of sample rows).
    """
    rng = np.random.default_rng(model.seed if seed is None else seed)  # not the model's rng: drawing changes no result
    graph = model.graph.to_networkx().to_undirected()
    followers = np.flatnonzero(model.followers.follows[:, 0])
    start = int(rng.choice(followers)) if followers.size else int(rng.integers(model.population))
    people = [start] + [v for _, v in nx.bfs_edges(graph, start)]
    if len(people) < size:  # a graph in pieces: fill up with random others
        rest = np.setdiff1d(np.arange(model.population), people)
        people += list(rng.choice(rest, size=min(size - len(people), rest.size), replace=False))
    people = np.array(people[:size])
    sub = graph.subgraph(people.tolist())
    layout = nx.spring_layout(sub, seed=int(rng.integers(2**31)), iterations=60)
    row = {int(p): i for i, p in enumerate(people)}
    positions = np.array([layout[int(p)] for p in people])
    edges = np.array([(row[a], row[b]) for a, b in sub.edges()], dtype=int).reshape(-1, 2)
    return people, positions, edges


# --------------------------------------------------------------------------
# The figures
#
# Each figure is built once per model and redrawn in place after every step
# (new marker colours, new line data). Measured here, that is what keeps the
# demo moving: a new matplotlib figure with a tight bounding box costs about
# 0.13 s, the network about 0.2 s, and a step of the model at 1,000 people
# about 1 ms.

DPI = 80
"""Dots per inch of the demo's figures: each is drawn about as wide as it is shown
(the page scales it to its card), so text keeps its size in points."""

TEXT_POINTS = 12
"""Tick labels, legend and axis labels [pt]: 12 pt at 80 dpi is 13 px, readable at the back of a room."""

STATES = {  # what happened to a person: (label, marker, colour, size in pt^2); drawn in this order
    "unreached": ("not reached yet", "o", "#c8c8c8", 22),
    "reached": ("read a brand post", "o", "#1f77b4", 42),
    "shared": ("shared it", "^", "#ff7f0e", 120),
    "hidden": ("hid the brand", "D", "#7f3fbf", 60),
    "unfollowed": ("unfollowed", "X", "#d62728", 110),
}
"""The network's people, each in one state (the last that applies), told apart by shape and colour."""


def person_states(model: "DemoModel") -> dict[str, np.ndarray]:
    """Rows of the sample in each state; a person is in the last state that applies."""
    people = model.sample
    unfollowed = model.followers.unfollowed[people].any(axis=1)
    hidden = (model.followers.hidden[people] & model.followers.follows[people]).any(axis=1) & ~unfollowed
    shared = model.shared[people] & ~hidden & ~unfollowed
    reached = model.reached[people] & ~shared & ~hidden & ~unfollowed
    unreached = ~(reached | shared | hidden | unfollowed)
    return {"unreached": unreached, "reached": reached, "shared": shared, "hidden": hidden,
            "unfollowed": unfollowed}


class NetworkFigure:
    """The sampled people: shape and colour = what happened to them (:data:`STATES`);
    people above the ties, sharers and leavers on top."""

    SIZE = (8.4, 6.6)

    def __init__(self, model: DemoModel) -> None:
        self.figure = Figure(figsize=self.SIZE, dpi=DPI)
        ax = self.figure.add_axes((0.0, 0.0, 0.72, 0.93))
        xy = model.positions
        ax.add_collection(LineCollection(xy[model.sample_edges], colors="#dddddd", linewidths=0.5, zorder=1))
        self.dots = {state: ax.scatter([], [], marker=marker, s=size, c=colour, linewidths=0.6,
                                       edgecolors="black" if state in ("shared", "unfollowed") else "none",
                                       zorder=2 + i)
                     for i, (state, (_, marker, colour, size)) in enumerate(STATES.items())}
        self.title = ax.set_title("", fontsize=TEXT_POINTS, loc="left")
        ax.set_xlim(xy[:, 0].min() - 0.05, xy[:, 0].max() + 0.05)
        ax.set_ylim(xy[:, 1].min() - 0.05, xy[:, 1].max() + 0.05)
        ax.set_axis_off()
        handles = [Line2D([], [], marker=marker, ls="", color=colour, markersize=size ** 0.5,
                          markeredgecolor="black" if state in ("shared", "unfollowed") else colour, label=label)
                   for state, (label, marker, colour, size) in STATES.items()]
        self.legend = self.figure.legend(handles=handles, loc="center right", fontsize=TEXT_POINTS,
                                         frameon=False, title="people", title_fontsize=TEXT_POINTS)

    def update(self, model: DemoModel) -> Figure:
        xy = model.positions
        for state, rows in person_states(model).items():
            self.dots[state].set_offsets(xy[rows].reshape(-1, 2))
        self.title.set_text(f"{model.clock()}: reached {model.reach:,} of {model.population:,} people"
                            f" ({len(model.sample)} of them drawn)")
        return self.figure


class LiveCharts:
    """Panels of lines from the model's DataCollector, updated in place."""

    def __init__(self, panels: list[tuple[str, str, dict[str, str]]], size: tuple[float, float]) -> None:
        self.figure = Figure(figsize=size, dpi=DPI)
        axes = self.figure.subplots(1, len(panels), squeeze=False)[0]
        self.lines = []
        for ax, (title, ylabel, columns) in zip(axes, panels):
            ax.set_title(title, fontsize=TEXT_POINTS)
            ax.set_ylabel(ylabel, fontsize=TEXT_POINTS)
            ax.set_xlabel("hours since the run began", fontsize=TEXT_POINTS)
            ax.tick_params(labelsize=TEXT_POINTS)
            lines = {column: ax.plot([], [], color=colour, label=column, linewidth=2)[0]
                     for column, colour in columns.items()}
            if len(columns) > 1:
                ax.legend(fontsize=TEXT_POINTS, loc="upper left")
            self.lines.append((ax, lines))
        width = size[0]
        self.figure.subplots_adjust(left=1.0 / width, right=1 - 0.15 / width, bottom=0.2, top=0.88,
                                    wspace=0.9 / (width / len(panels)))

    def update(self, model: DemoModel) -> Figure:
        series = model.datacollector.get_model_vars_dataframe()
        for ax, lines in self.lines:
            for column, line in lines.items():
                line.set_data(series.index, series[column])
            top = max((float(series[column].max()) for column in lines), default=0.0) if len(series) else 0.0
            ax.set_xlim(0, max(len(series) - 1, 1))
            ax.set_ylim(0, max(top, 4.0) * 1.1)
        return self.figure


class MotivationBars:
    """Shares so far by the sharer's motivation."""

    SIZE = (4.6, 3.6)

    def __init__(self) -> None:
        self.figure = Figure(figsize=self.SIZE, dpi=DPI)
        self.ax = self.figure.add_subplot()
        self.bars = self.ax.bar([m.label for m in Motivation], np.zeros(len(Motivation)),
                                color=[MOTIVATION_COLOURS[m] for m in Motivation])
        self.ax.set_title("Shares by motivation", fontsize=TEXT_POINTS)
        self.ax.set_ylabel("shares so far", fontsize=TEXT_POINTS)
        self.ax.tick_params(labelsize=TEXT_POINTS)
        self.ax.tick_params(axis="x", labelrotation=40)
        for label in self.ax.get_xticklabels():
            label.set_horizontalalignment("right")
        self.figure.subplots_adjust(left=0.2, right=0.97, bottom=0.33, top=0.9)

    def update(self, model: DemoModel) -> Figure:
        for bar, count in zip(self.bars, model.shares_by_motivation):
            bar.set_height(count)
        self.ax.set_ylim(0, max(int(model.shares_by_motivation.max()), 4) * 1.1)
        return self.figure


def png(figure: Figure) -> bytes:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def live_figure(model: DemoModel, make):
    """The component's figure for this model (made once), brought up to date and shown as
    wide as its card; re-drawn each step."""
    update_counter.get()
    figure = solara.use_memo(make, [model])
    data = solara.use_memo(lambda: png(figure.update(model)), [model, model.tick])
    solara.Image(data, width="100%")


@solara.component
def NetworkView(model: DemoModel):
    """The run in words (time, headline numbers, settings in effect) over the network sample."""
    update_counter.get()
    with solara.Column(gap="4px"):
        solara.HTML(tag="div", unsafe_innerHTML=run_facts(model), classes=["sharesim-facts"])
        if model.notice:
            solara.Warning(model.notice)
        live_figure(model, lambda: NetworkFigure(model))


@solara.component
def ReachChart(model: DemoModel):
    live_figure(model, lambda: LiveCharts([("Cumulative reach", "people reached", {"reach": "tab:blue"})], (4.6, 3.2)))


@solara.component
def ActivityCharts(model: DemoModel):
    live_figure(model, lambda: LiveCharts([
        ("Shares per tick", "shares", {"shares": "tab:orange"}),
        ("Followers", "followers", {"followers": "tab:green"}),
        ("Unfollowed or hid the brand", "people (so far)", {"unfollowed": STATES["unfollowed"][2],
                                                             "hid the brand": STATES["hidden"][2]}),
    ], (13.5, 3.3)))


@solara.component
def SharesByMotivation(model: DemoModel):
    live_figure(model, MotivationBars)


SLIDER_DECIMALS = {"posts_per_day": 1, "promotional": 2, "useful": 2, "half_life_hours": 0}
"""Decimals of each slider's step: the status line rounds as the sliders do."""


def as_slider(name: str, value: float) -> str:
    """A setting written as its slider shows it (3, 3.5, 0.2, 0.25, 24)."""
    return f"{round(float(value), SLIDER_DECIMALS.get(name, 0)):g}"


def run_facts(model: DemoModel) -> str:
    """Where the run stands, what the picture shows, and the settings in effect (HTML, escaped)."""
    from html import escape

    s = model.settings
    state = (f"<b>Tick {model.tick} of {model.ticks}</b> ({escape(model.clock())}) · reach {model.reach:,} · "
             f"shares {model.shares_so_far:,} · followers {int(model.followers.follows.sum()):,} · "
             f"unfollows {int(model.followers.unfollowed.sum()):,} · hid the brand {model.hidden_followers():,}")
    settings = (f"{model.population:,} people, {escape(s['network'])} · "
                f"{as_slider('posts_per_day', s['posts_per_day'])} posts per day · "
                f"promotional {as_slider('promotional', s['promotional'])} · useful {as_slider('useful', s['useful'])} · "
                f"attention span {s['attention_span']} · half-life {as_slider('half_life_hours', s['half_life_hours'])} h · "
                f"mix {escape(str(s['motivation_mix']))} · seed {s['seed']} <i>(new settings apply on Reset)</i>")
    explain = ("<b>What you see:</b> a brand posts to its followers; each Step is one hour. "
               "The picture shows some of the people and their friendships: grey people have not read a "
               "brand post yet, blue ones have, orange triangles shared it with their friends, purple "
               "diamonds hid the brand, red crosses unfollowed it. "
               + (f"The first {model.skipped} quiet hours before the first post have already run. "
                  if model.skipped else ""))
    return (f'<p class="sharesim-state" style="margin:0">{state}</p>'
            f'<p class="sharesim-settings" style="margin:0">{settings}</p>'
            f'<p class="sharesim-explain" style="margin:0">{explain}</p>')


def model_params(base: Scenario) -> dict:
    """The dashboard's controls, starting where the starting scenario is."""
    start = dashboard_defaults(base)
    networks = [g for g in GENERATORS if g != "edge_list" or base.network.generator == "edge_list"]
    return {
        "posts_per_day": Slider("Posts per day", start["posts_per_day"], 0.0, 24.0, 0.5, dtype=float),
        "promotional": Slider("How promotional the posts are", start["promotional"], 0.0, 1.0, 0.05, dtype=float),
        "useful": Slider("How useful the posts are", start["useful"], 0.0, 1.0, 0.05, dtype=float),
        "attention_span": Slider("Attention span (items per session)", start["attention_span"], 1, 60, 1),
        "half_life_hours": Slider("Attention half-life (hours)", start["half_life_hours"], 1.0, 72.0, 1.0,
                                  dtype=float),
        "motivation_mix": {"type": "Select", "label": "Motivation mix", "value": start["motivation_mix"],
                           "values": list(MIXES) + ([SCENARIO_MIX] if start["motivation_mix"] == SCENARIO_MIX else [])},
        "network": {"type": "Select", "label": "Network", "value": start["network"], "values": networks},
        "people": Slider("People", start["people"], 100, max(10_000, start["people"]), 100),
        "seed": {"type": "InputText", "label": "Seed", "value": str(base.seed)},
    }


COMPONENTS = [NetworkView, ReachChart, SharesByMotivation, ActivityCharts]

LAYOUT = [  # Mesa's grid: 12 columns, rows of 30 px + 10 px margin
    {"i": 0, "x": 0, "y": 0, "w": 8, "h": 18},      # the network, large
    {"i": 1, "x": 8, "y": 0, "w": 4, "h": 8},       # reach
    {"i": 2, "x": 8, "y": 8, "w": 4, "h": 10},      # shares by motivation
    {"i": 3, "x": 0, "y": 18, "w": 12, "h": 8},     # shares, followers, unfollows and hides
]
"""Where the demo's four components sit; Mesa's default puts each in half the width."""


def demo_layout(count: int) -> list[dict]:
    """The grid layout Mesa's ComponentsView asks for (replaces its default of equal halves)."""
    return [dict(cell, moved=False) for cell in LAYOUT[:count]] if count == len(LAYOUT) else \
        DEFAULT_LAYOUT(count)


DEFAULT_LAYOUT = mesa_viz.make_initial_grid_layout
mesa_viz.make_initial_grid_layout = demo_layout      # Mesa 3.3 has no layout argument

STYLE = """
.v-slider__thumb-container .v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { transform: translateY(-20%) translateY(-12px) translateX(-50%) rotate(45deg) !important; }
.v-slider { margin-top: 22px; }
.v-tabs { display: none; }
.sharesim-facts { font-size: 15px; line-height: 1.4; }
"""
"""Slider values shown at all times (Vuetify shows them only while a slider is dragged); the
one-page tab bar ('PAGE 0') hidden."""


@solara.component
def RunInformation(model):
    """Mesa's Information card: the step, and where the run stands in words."""
    update_counter.get()
    solara.Text(f"Step: {model.steps}")
    if isinstance(model, DemoModel):
        solara.Text(f"{model.clock()} · tick {model.tick} of {model.ticks}")
        solara.Text(f"reached {model.reach:,} · shares {model.shares_so_far:,}")
        solara.Text(f"followers {int(model.followers.follows.sum()):,} · unfollowed "
                    f"{int(model.followers.unfollowed.sum()):,} · hid {model.hidden_followers():,}")


mesa_viz.ShowSteps = RunInformation


@solara.component
def Page():
    """One browser tab: its own model, Mesa's controls, the network and the charts."""
    base = solara.use_memo(starting_scenario, [])
    model = solara.use_memo(DemoModel, [])
    solara.Title(f"sharesim demo: {base.name}")
    solara.Style(STYLE)
    SolaraViz(model, components=COMPONENTS, model_params=model_params(base),
              name=f"sharesim: {base.name}", play_interval=150)


# --------------------------------------------------------------------------
# sharesim demo

def command_demo(args) -> int:
    """Start the demo server on --host/--port, print its address, stop on Ctrl-C (or SIGTERM)."""
    env = dict(os.environ)
    if args.scenario is not None:
        scenario = load_scenario(args.scenario)                   # InputError: exit 2
        check_demo_scenario(scenario)
        env[SCENARIO_VARIABLE] = str(Path(args.scenario).resolve())
    else:
        env.pop(SCENARIO_VARIABLE, None)
    if not 1 <= args.port <= 65535:
        raise InputError(f"--port: must be between 1 and 65535 (got {args.port})")
    if not port_free(args.host, args.port):
        raise InputError(f"--port: {args.host}:{args.port} is already in use; choose another --port")
    command = [sys.executable, "-m", "solara", "run", "sim.app", "--host", args.host,
               "--port", str(args.port), "--no-open", "--production", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, preexec_fn=die_with_parent)
    address = f"http://{args.host}:{args.port}"
    signal.signal(signal.SIGTERM, stop_on_terminate)     # stop the server on SIGTERM as on Ctrl-C
    try:
        if not wait_for_port(args.host, args.port, server, timeout=120):
            print("sharesim: the demo server did not start (see the messages above)", file=sys.stderr)
            return 1
        print(f"sharesim demo: open {address} in a browser (Ctrl-C to stop)", flush=True)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def die_with_parent() -> None:
    """In the server process (Linux): be stopped when sharesim itself dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_on_terminate(signum, frame):
    raise KeyboardInterrupt


def check_demo_scenario(scenario: Scenario) -> None:
    """Refuse scenarios the demo cannot show, before starting a server."""
    if scenario.model != "sharesim":
        raise InputError(f"{scenario.name}: the demo shows model 'sharesim' (got model {scenario.model!r})")


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(host: str, port: int, server: subprocess.Popen, timeout: float) -> bool:
    """Wait until the server accepts connections; False if it exited or the timeout passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False
