"""How one post spreads, tick by tick, as an animated GIF for slides (``sharesim animate``).

The scenario is run once; then one post is followed (by default the one
that reached most people). The picture is the part of the social graph
around that post's cascade: everyone it reached (or a sample of those the
brand reached directly, when they are many), everyone who passed it on, and
a few of their friends it did not reach, laid out once with a spring layout.
Each frame is one tick: people light up when they read the post (brighter in
the tick they read it), sharers turn red, and the friend-to-friend hops of
the cascade are drawn as they happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .rundir import check_file_destination, staged_file
from .scenario import load_scenario

MAX_PEOPLE = 350
"""People drawn at most: a cascade's sharers and those they reached always; the brand's direct readers sampled."""

MAX_FRAMES = 72
"""Ticks shown at most (three days of hourly ticks)."""

CONTEXT = 80
"""Friends of sharers that the post did not reach, drawn as grey context."""

COLOURS = {"unreached": "#d9d9d9", "reached": "#6baed6", "new": "#ffb000", "shared": "#d62728"}


@dataclass
class Cascade:
    """One post's spread: who read it when, from whom, and who shared it (arrays by person, -1: never)."""

    post: int
    kind: str
    published: int            # tick
    read_at: np.ndarray       # per drawn person: tick of first reading, -1 if never
    source: np.ndarray        # per drawn person: row of whom they read it from (the brand's row: len(people)), -1 none
    shared_at: np.ndarray     # per drawn person: tick of sharing, -1 if never
    people: np.ndarray        # the drawn people's ids
    positions: np.ndarray     # (people + 1, 2): the people, then the brand
    edges: np.ndarray         # (ties, 2) rows into people
    reach: int                # everyone the post reached (drawn or not)
    tick_hours: float


def follow_post(model, post: int | None, seed: int) -> Cascade:
    """The cascade of ``post`` (default: the post that reached most) in a finished model."""
    import networkx as nx

    from .events import EventKind

    log = model.log
    kind = log.column("kind")
    posts = log.column("post")
    exposure = kind == int(EventKind.EXPOSURE)
    published = len(model.posts)
    if published == 0:
        raise InputError(f"{model.scenario.name}: the run published no post; nothing to animate")
    if post is None:
        post = furthest_travelled(log, exposure, published)
    elif not 0 <= post < published:
        raise InputError(f"--post: no post {post}; this run published posts 0 to {published - 1}")

    mine = exposure & (posts == post)
    person, tick, source = log.column("person")[mine], log.column("tick")[mine], log.column("source")[mine]
    first = np.unique(person, return_index=True)[1]          # the log is in time order
    person, tick, source = person[first], tick[first], source[first]
    if person.size == 0:
        raise InputError(f"--post: post {post} reached nobody; choose another post (or a scenario where people read)")
    sharing = (kind == int(EventKind.SHARE)) & (posts == post)
    sharers, share_tick = log.column("person")[sharing], log.column("tick")[sharing]

    rng = np.random.default_rng(seed)
    via_friends = person[source >= 0]
    direct = person[source < 0]
    keep = np.union1d(np.union1d(via_friends, sharers), source[source >= 0])
    room = max(MAX_PEOPLE - keep.size, 0)
    keep = np.union1d(keep, rng.choice(direct, size=min(room, direct.size), replace=False))
    graph = model.graph.to_networkx().to_undirected()
    friends = np.setdiff1d(np.array([f for s in sharers for f in graph[int(s)]], dtype=np.int64), person)
    if friends.size:
        keep = np.union1d(keep, rng.choice(np.unique(friends), size=min(CONTEXT, np.unique(friends).size),
                                           replace=False))
    sub = nx.Graph(graph.subgraph(keep.tolist()))
    ties = list(sub.edges())
    sub.add_edges_from(("brand", int(p)) for p in np.intersect1d(direct, keep))   # the brand's broadcast
    layout = nx.spring_layout(sub, seed=int(rng.integers(2**31)), iterations=80)
    layout[-1] = layout.pop("brand")

    row = {int(p): i for i, p in enumerate(keep)}
    row[-1] = keep.size                                  # the brand is drawn after the people
    read_at = np.full(keep.size, -1)
    origin = np.full(keep.size, -1)
    shared_at = np.full(keep.size, -1)
    for p, t, s in zip(person, tick, source):
        if int(p) in row:
            read_at[row[int(p)]] = t
            origin[row[int(p)]] = row[int(s)] if int(s) in row else row[-1]
    for p, t in zip(sharers, share_tick):
        shared_at[row[int(p)]] = t
    return Cascade(post=post, kind=str(model.posts.kind[post]), published=int(model.posts.tick[post]),
                   read_at=read_at, source=origin, shared_at=shared_at, people=keep,
                   positions=np.array([layout[int(p)] for p in keep] + [layout[-1]]),
                   edges=np.array([(row[a], row[b]) for a, b in ties], dtype=int).reshape(-1, 2),
                   reach=int(person.size), tick_hours=model.tick_hours)


def furthest_travelled(log, exposure: np.ndarray, published: int) -> int:
    """The post read most often via friends' shares (ties: the one that reached most)."""
    posts = log.column("post")[exposure]
    via_friends = np.bincount(posts[log.column("source")[exposure] >= 0], minlength=published)
    reads = np.bincount(posts, minlength=published)
    return int(np.lexsort((-reads, -via_friends))[0])


def frame_ticks(cascade: Cascade) -> list[int]:
    """The ticks to show: from publication until the last new reader (at most MAX_FRAMES), then a pause."""
    last = int(max(cascade.read_at.max(), cascade.shared_at.max(), cascade.published))
    ticks = list(range(cascade.published, min(last, cascade.published + MAX_FRAMES - 1) + 1))
    return ticks + [ticks[-1]] * 3          # hold the end for a moment


def draw_frame(ax, cascade: Cascade, tick: int) -> None:
    """The cascade as it stood at the end of ``tick``."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    ax.clear()
    everyone, brand = cascade.positions, cascade.positions[-1]
    xy = everyone[:-1]
    ax.add_collection(LineCollection(everyone[cascade.edges], colors="#eeeeee", linewidths=0.5, zorder=1))
    read = (cascade.read_at >= 0) & (cascade.read_at <= tick)
    new = cascade.read_at == tick
    shared = (cascade.shared_at >= 0) & (cascade.shared_at <= tick)
    from_brand = read & (cascade.source == len(xy))
    hop = read & (cascade.source >= 0) & ~from_brand
    ax.add_collection(LineCollection(np.stack([np.broadcast_to(brand, xy[from_brand].shape), xy[from_brand]], axis=1),
                                     colors="#9ecae1", linewidths=0.5, alpha=0.6, zorder=1))
    ax.add_collection(LineCollection(np.stack([everyone[cascade.source[hop]], xy[hop]], axis=1),
                                     colors="#d62728", linewidths=1.4, alpha=0.8, zorder=2))
    ax.scatter([brand[0]], [brand[1]], marker="s", s=160, c="black", zorder=8)
    ax.annotate("brand", brand, xytext=(6, 6), textcoords="offset points", fontsize=9, zorder=9)
    # people above every line; the more a person did, the higher they are drawn: not reached,
    # reached, reading now, then sharers (ringed) on top, so a hub is never under her own edges
    for layer, (who, colour, size) in enumerate((
            (~read, COLOURS["unreached"], 12), (read & ~new & ~shared, COLOURS["reached"], 25),
            (new & ~shared, COLOURS["new"], 55))):
        ax.scatter(xy[who, 0], xy[who, 1], c=colour, s=size, linewidths=0, zorder=3 + layer)
    ax.scatter(xy[shared, 0], xy[shared, 1], c=COLOURS["shared"], s=80, edgecolors="black", linewidths=0.8,
               zorder=7)
    ax.set_axis_off()
    ax.autoscale_view()
    hours = (tick - cascade.published + 1) * cascade.tick_hours
    reached_all = int(read.sum())
    ax.set_title(f"Post {cascade.post} ({cascade.kind}), {hours:g} h after posting: "
                 f"{reached_all} of the {len(cascade.people)} people shown have read it, "
                 f"{int(shared.sum())} shared it", fontsize=9)
    ax.legend(handles=[Line2D([], [], marker="o", ls="", color=COLOURS[k], label=label) for k, label in
                       (("new", "reads it now"), ("reached", "has read it"), ("shared", "shared it"),
                        ("unreached", "not reached"))]
              + [Line2D([], [], color="#9ecae1", label="from the brand"),
                 Line2D([], [], color="#d62728", label="passed on by a friend")],
              loc="lower center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=8, frameon=False)


def write_gif(cascade: Cascade, path: Path, fps: int = 2, frame_png: Path | None = None) -> int:
    """Render the cascade to a GIF (and optionally its last frame to a PNG); returns the number
    of distinct pictures (ticks shown; the last is held for a few frames)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.animation import FuncAnimation, PillowWriter
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 6), dpi=90)
    ax = figure.add_axes((0.02, 0.08, 0.96, 0.86))
    ticks = frame_ticks(cascade)
    animation = FuncAnimation(figure, lambda i: draw_frame(ax, cascade, ticks[i]), frames=len(ticks))
    animation.save(path, writer=PillowWriter(fps=fps))
    if frame_png is not None:
        draw_frame(ax, cascade, ticks[-1])
        figure.savefig(frame_png, dpi=110)
    return len(set(ticks))


def command_animate(args) -> int:
    """``sharesim animate SCENARIO --out cascade.gif``: run the scenario, animate one post's cascade."""
    from .model import SharingModel

    out = Path(args.out)
    if out.suffix.lower() != ".gif":
        raise InputError(f"--out: {out}: the animation is a GIF; give a file name ending in .gif")
    frame = getattr(args, "frame", None)
    if frame is not None and Path(frame).suffix.lower() != ".png":
        raise InputError(f"--frame: {frame}: give a file name ending in .png")
    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed: must be a whole number >= 0 (got {args.seed})")
    if args.post is not None and args.post < 0:
        raise InputError(f"--post: must be a post number >= 0 (got {args.post})")
    force = bool(getattr(args, "force", False))
    check_file_destination(out, force=force)                # before the run: nothing is overwritten unasked
    if frame is not None:
        check_file_destination(Path(frame), force=force, option="--frame")
    scenario = load_scenario(args.scenario)
    if scenario.model != "sharesim":
        raise InputError(f"{args.scenario}: model: the animation follows model 'sharesim' (got {scenario.model!r})")
    model = SharingModel(scenario, seed=args.seed, source=str(args.scenario))
    model.run()
    cascade = follow_post(model, args.post, seed=model.seed)

    with staged_file(out) as gif:
        if frame is None:
            frames = write_gif(cascade, gif)
        else:
            with staged_file(Path(frame)) as png:
                frames = write_gif(cascade, gif, frame_png=png)
    print(f"{out}: post {cascade.post} ({cascade.kind}) of {scenario.name}, seed {model.seed}: "
          f"reached {cascade.reach:,} people; {frames} tick{'s' if frames != 1 else ''} of "
          f"{model.tick_hours:g} h shown, one picture each (the last held)"
          + (f"; last frame in {frame}" if frame is not None else ""))
    return 0
