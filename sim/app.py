"""The teaching demo: a Mesa SolaraViz app in the browser (``sharesim demo``).

A teacher moves a few sliders (posts per day, how promotional and how useful
the posts are, attention span and half-life, the motivation mix, the network),
presses Reset to build that world, then Step or Play, and the class watches:

* the network: a readable sample of a few hundred people, coloured by
  motivation, faint until reached, ringed in black once they shared, crossed
  in red when they unfollowed; the brand's followers are squares;
* live charts: cumulative reach, shares per tick, followers, unfollows and
  followers who hid the brand, and shares by motivation.

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
        reporters["unfollows (total)"] = lambda m: int(m.followers.unfollowed.sum())
        reporters["hidden by followers"] = lambda m: m.hidden_followers()
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)
        self.sample, self.positions, self.sample_edges = network_sample(self, SAMPLE_SIZE)
        self.shared = np.zeros(self.population, dtype=bool)            # has shared a brand post
        self.shares_by_motivation = np.zeros(len(Motivation), dtype=np.int64)
        self.shares_so_far = 0
        self._logged = 0

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


class NetworkFigure:
    """The sampled people: colour = motivation, faint = not reached yet, black ring = shared,
    red cross = unfollowed, square = follows the brand."""

    def __init__(self, model: DemoModel) -> None:
        self.figure = Figure(figsize=(7.5, 3.9), dpi=DPI)
        ax = self.figure.add_axes((0.0, 0.0, 0.76, 0.92))
        xy = model.positions
        ax.add_collection(LineCollection(xy[model.sample_edges], colors="#cccccc", linewidths=0.4, zorder=1))
        self.colours = np.array([matplotlib.colors.to_rgba(MOTIVATION_COLOURS[Motivation(int(m))])
                                 for m in model.motivation[model.sample]])
        follower = model.followers.follows[model.sample].any(axis=1)
        self.people = {marker: (model.sample[who], ax.scatter(xy[who, 0], xy[who, 1], marker=marker, s=28,
                                                              linewidths=0, zorder=3), who)
                       for marker, who in (("o", ~follower), ("s", follower))}
        self.rings = ax.scatter([], [], s=110, marker="o", facecolors="none", edgecolors="black",
                                linewidths=1.6, zorder=4)
        self.crosses = ax.scatter([], [], s=60, marker="x", c="red", linewidths=1.8, zorder=5)
        self.title = ax.set_title("", fontsize=10)
        ax.set_xlim(xy[:, 0].min() - 0.05, xy[:, 0].max() + 0.05)
        ax.set_ylim(xy[:, 1].min() - 0.05, xy[:, 1].max() + 0.05)
        ax.set_axis_off()
        handles = [Line2D([], [], marker="o", ls="", color=MOTIVATION_COLOURS[m], label=m.label) for m in Motivation]
        handles += [Line2D([], [], marker="s", ls="", color="grey", label="follows the brand\n(at the start)"),
                    Line2D([], [], marker="o", ls="", color="grey", alpha=0.25, label="not reached yet"),
                    Line2D([], [], marker="o", ls="", mfc="white", mec="black", mew=1.6, label="shared"),
                    Line2D([], [], marker="x", ls="", color="red", label="unfollowed")]
        self.figure.legend(handles=handles, loc="center right", fontsize=8, frameon=False)

    def update(self, model: DemoModel) -> Figure:
        xy = model.positions
        for people, dots, who in self.people.values():
            colours = self.colours[who].copy()
            colours[:, 3] = np.where(model.reached[people], 1.0, 0.25)
            dots.set_facecolors(colours)
            dots.set_sizes(np.where(model.shared[people], 70, 28))
        self.rings.set_offsets(xy[model.shared[model.sample]].reshape(-1, 2))
        self.crosses.set_offsets(xy[model.followers.unfollowed[model.sample].any(axis=1)].reshape(-1, 2))
        self.title.set_text(f"{model.clock()}: reached {model.reach:,} of {model.population:,} people"
                            f" ({len(model.sample)} shown)")
        return self.figure


class LiveCharts:
    """Panels of lines from the model's DataCollector, updated in place."""

    def __init__(self, panels: list[tuple[str, str, dict[str, str]]], size: tuple[float, float]) -> None:
        self.figure = Figure(figsize=size, dpi=DPI)
        axes = self.figure.subplots(1, len(panels), squeeze=False)[0]
        self.lines = []
        for ax, (title, ylabel, columns) in zip(axes, panels):
            ax.set_title(title, fontsize=10)
            ax.set_ylabel(ylabel)
            ax.set_xlabel("tick (hours)")
            ax.tick_params(labelsize=8)
            lines = {column: ax.plot([], [], color=colour, label=column)[0] for column, colour in columns.items()}
            if len(columns) > 1:
                ax.legend(fontsize=8, loc="upper left")
            self.lines.append((ax, lines))
        self.figure.subplots_adjust(left=0.15 if len(panels) == 1 else 0.07, right=0.98, bottom=0.17,
                                    top=0.9, wspace=0.4)

    def update(self, model: DemoModel) -> Figure:
        series = model.datacollector.get_model_vars_dataframe()
        for ax, lines in self.lines:
            for column, line in lines.items():
                line.set_data(series.index, series[column])
            ax.relim()
            ax.autoscale_view()
            ax.set_xlim(0, max(len(series) - 1, 1))
        return self.figure


class MotivationBars:
    """Shares so far by the sharer's motivation."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=(5, 3.4), dpi=DPI)
        self.ax = self.figure.add_subplot()
        self.bars = self.ax.bar([m.label for m in Motivation], np.zeros(len(Motivation)),
                                color=[MOTIVATION_COLOURS[m] for m in Motivation])
        self.ax.set_title("Shares by motivation", fontsize=10)
        self.ax.set_ylabel("shares so far")
        self.ax.tick_params(axis="x", labelrotation=40, labelsize=8)
        self.figure.subplots_adjust(left=0.14, right=0.98, bottom=0.28, top=0.9)

    def update(self, model: DemoModel) -> Figure:
        for bar, count in zip(self.bars, model.shares_by_motivation):
            bar.set_height(count)
        self.ax.set_ylim(0, max(int(model.shares_by_motivation.max()), 4) * 1.1)
        return self.figure


def live_figure(model: DemoModel, make):
    """The component's figure for this model (made once), brought up to date; re-drawn each step."""
    update_counter.get()
    figure = solara.use_memo(make, [model])
    solara.FigureMatplotlib(figure.update(model), format="png", dependencies=[model, model.tick])


@solara.component
def NetworkView(model: DemoModel):
    """The run in words (time, headline numbers, settings in effect) over the network sample."""
    update_counter.get()
    with solara.Column():
        solara.Markdown(run_facts(model))
        if model.notice:
            solara.Warning(model.notice)
        live_figure(model, lambda: NetworkFigure(model))


@solara.component
def ReachChart(model: DemoModel):
    live_figure(model, lambda: LiveCharts([("Cumulative reach", "people reached", {"reach": "tab:blue"})], (5, 3.4)))


@solara.component
def ActivityCharts(model: DemoModel):
    live_figure(model, lambda: LiveCharts([
        ("Shares per tick", "shares", {"shares": "tab:orange"}),
        ("Followers", "followers", {"followers": "tab:green"}),
        ("Unfollows and blindness", "people", {"unfollows (total)": "tab:red", "hidden by followers": "tab:gray"}),
    ], (8, 3.6)))


@solara.component
def SharesByMotivation(model: DemoModel):
    live_figure(model, MotivationBars)


def run_facts(model: DemoModel) -> str:
    """Where the run stands, and the settings it was built with (Markdown)."""
    s = model.settings
    return (f"**Tick {model.tick} of {model.ticks}** ({model.clock()}) · reach {model.reach:,} · "
            f"shares {model.shares_so_far:,} · followers {int(model.followers.follows.sum()):,} · "
            f"unfollows {int(model.followers.unfollowed.sum()):,}  \n"
            f"{model.population:,} people, {s['network']} · {s['posts_per_day']:g} posts per day · "
            f"promotional {s['promotional']:.2f} · useful {s['useful']:.2f} · attention span {s['attention_span']} · "
            f"half-life {s['half_life_hours']:g} h · mix {s['motivation_mix']} · seed {s['seed']} "
            "*(new settings apply on Reset)*")


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


@solara.component
def Page():
    """One browser tab: its own model, Mesa's controls, the network and the charts."""
    base = solara.use_memo(starting_scenario, [])
    model = solara.use_memo(DemoModel, [])
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
