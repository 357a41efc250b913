"""Presentation of a run's metrics: a terminal table, plots, files and the run report.

Everything here reads the outputs of :mod:`sim.metrics` (the summary dict,
the post table and the time series) and the run folder's files; nothing reads
the model, so ``sharesim report RUN_DIR`` rebuilds a run's tables, plots and
``report.html`` from its event log alone. The report answers the 5W + H + E
questions of DOMAIN.md §4 (Who, What, When, Where, Why, How, Extent) in one
self-contained HTML page rendered with Jinja2, its figures embedded as PNG.
matplotlib, Jinja2 and NetworkX are imported inside the functions that use
them, so the command line starts fast; figures are drawn on the
non-interactive Agg canvas (no display needed).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.events import BRAND, RunLog
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
    if "activated" in summary:              # the independent_cascade preset
        headline += [("activated (seeds included)", _count(summary["activated"])),
                     ("activated fraction", _percent(summary["activated_fraction"]))]
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
    _log_axes(axes)
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


# --------------------------------------------------------------------------
# The run report (report.html): Who, What, When, Where, Why, How, Extent
# --------------------------------------------------------------------------
#
# DOMAIN.md §4: a brand should keep checking the 5W + H + E of its
# engagement. Each question below is answered by one function that reads the
# run folder's files only (the event log, people, posts, scenario.yaml and
# network.npz); the page is rendered with Jinja2 from plain values and
# figures embedded as base64 PNGs, so it is one file that opens anywhere.

REPORT_FILE = "report.html"
NETWORK_FILE = "network.npz"
RUN_FILES = ("events.csv", "people.csv", "posts_published.csv", "run.json")
"""The files a run folder needs for its report to be rebuilt."""

COMMUNITY_PARTS = 10
"""Parts to detect in a graph that has no communities of its own (a judgement:
about as many as a reader can compare in one table)."""

DETECT_UP_TO = 50_000
"""Above this many people, communities are not detected (it would take minutes)."""

TOP_PEOPLE = 10


def write_network(graph, folder: Path) -> Path:
    """Save a social graph's audience lists (CSR) and communities as ``network.npz``.

    ``graph`` is a :class:`sim.network.SocialGraph` (or anything with
    ``indptr``, ``indices`` and ``community``): person ``i``'s shares are seen
    by ``indices[indptr[i]:indptr[i + 1]]``.
    """
    path = Path(folder) / NETWORK_FILE
    arrays = {"indptr": np.asarray(graph.indptr, dtype=np.int64),
              "indices": np.asarray(graph.indices, dtype=np.int32)}
    if getattr(graph, "community", None) is not None:
        arrays["community"] = np.asarray(graph.community, dtype=np.int32)
    np.savez_compressed(path, **arrays)
    return path


NETWORK_ARRAYS = {"indptr.npy", "indices.npy", "community.npy"}


def network_bound(population: int | None) -> int:
    """Unpacked bytes a network.npz of ``population`` people can need at most (every tie,
    in both directions), capped by :data:`sim.rundir.NETWORK_CAP`."""
    from sim.rundir import NETWORK_CAP

    if not isinstance(population, int) or population < 0:
        return NETWORK_CAP
    n = population
    return min(NETWORK_CAP, 8 * (n + 2) + 4 * n + 4 * n * n + 4096)


def check_network(path: Path, limit: int) -> None:
    """Refuse a network.npz that is not a zip of the expected arrays or would unpack to more
    than ``limit`` bytes; its zip directory is read, not its contents."""
    import zipfile

    from sim.errors import InputError

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputError(f"{path}: not a network file sharesim wrote ({error}); run the scenario again") from None
    names = {info.filename for info in members}
    if not names <= NETWORK_ARRAYS or not {"indptr.npy", "indices.npy"} <= names:
        raise InputError(f"{path}: holds {sorted(names)}, not the arrays {sorted(NETWORK_ARRAYS)}; "
                         f"run the scenario again")
    unpacked = sum(info.file_size for info in members)
    if unpacked > limit:
        raise InputError(f"{path}: would unpack to {unpacked:,} bytes, more than the {limit:,} this run "
                         f"can need; not loaded")


def read_network(folder: Path, limit: int | None = None):
    """The audience matrix (scipy CSR, row: sharer, column: who sees) and the
    communities (or None) saved in a run folder; (None, None) without network.npz.

    The file is checked first (:func:`check_network`, against ``limit`` or
    :data:`sim.rundir.NETWORK_CAP`) and loaded without pickles; a damaged one is a
    InputError naming it."""
    import zipfile

    import scipy.sparse as sp

    from sim.errors import InputError
    from sim.rundir import NETWORK_CAP

    path = Path(folder) / NETWORK_FILE
    if not path.is_file():
        return None, None
    check_network(path, NETWORK_CAP if limit is None else limit)
    try:
        with np.load(path, allow_pickle=False) as data:
            indptr, indices = data["indptr"], data["indices"]
            community = data["community"] if "community" in data else None
        n = indptr.size - 1
        if (n < 0 or indptr[0] != 0 or indptr[-1] != indices.size or np.any(np.diff(indptr) < 0)
                or (indices.size and (indices.min() < 0 or indices.max() >= n))
                or (community is not None and community.size != n)):
            raise ValueError("the audience lists do not fit together")
        matrix = sp.csr_array((np.ones(indices.size, dtype=np.int8), indices, indptr), shape=(n, n))
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise InputError(f"{path}: cannot be read as a network ({error}); run the scenario again") from None
    return matrix, community


def _profiles(scenario: dict | None):
    """The motivation profiles the run used (defaults with scenario.yaml's overrides)."""
    from sim.motivations import profiles_with

    overrides = (scenario or {}).get("motivations") or {}
    return {m.label: p for m, p in profiles_with(overrides).items()}


def who(run: RunLog, summary: dict, scenario: dict | None) -> dict:
    """Who was reached, shared, followed and unfollowed: by motivation, the six
    roles of DOMAIN.md §4 per brand, and the people whose shares carried furthest."""
    people = run.people.set_index("person")
    motivation = people["motivation"].astype(str)
    employee = people["employee"].astype(bool) if "employee" in people else pd.Series(False, people.index)
    shares = run.of_kind("share")
    exposures = run.of_kind("exposure")
    follows = run.of_kind("follow")
    unfollows = run.of_kind("unfollow")

    sharers = shares.groupby(motivation.reindex(shares["person"]).to_numpy())["person"].nunique()
    by_type = []
    for name, m in summary.get("by_motivation", {}).items():
        by_type.append({"motivation": name, "people": m["people"], "reached": m["reached"],
                        "sharers": int(sharers.get(name, 0)), "shares": m["shares"],
                        "follows": m["follows"], "unfollows": m["unfollows"]})

    profiles = _profiles(scenario)
    offended_types = {label for label, p in profiles.items() if p.offended_by_provocative > 0}
    provocative = run.posts.set_index("post")["provocative"] if "provocative" in run.posts else None
    roles = []
    for b, name in enumerate(run.brands):
        started = run.followers_start(b)
        start_ids = run.people["person"].to_numpy()[started]
        reached = np.unique(exposures.loc[exposures["brand"] == b, "person"])
        left = np.unique(unfollows.loc[unfollows["brand"] == b, "person"])
        shared = np.unique(shares.loc[shares["brand"] == b, "person"])
        is_employee = employee.reindex(shared, fill_value=False).to_numpy(dtype=bool)
        offended = np.empty(0, dtype=np.int64)
        if provocative is not None:
            own = exposures[(exposures["brand"] == b) & (exposures["source"] == BRAND)]
            hot = own[provocative.reindex(own["post"], fill_value=0.0).to_numpy() > 0]
            won = follows[follows["brand"] == b].groupby("person")["tick"].min()
            follower = (np.isin(hot["person"].to_numpy(), start_ids)
                        | (won.reindex(hot["person"]).to_numpy() <= hot["tick"].to_numpy()))
            touchy = motivation.reindex(hot["person"]).isin(offended_types).to_numpy()
            offended = np.unique(hot["person"].to_numpy()[follower & touchy])
        roles.append({
            "brand": name,
            "prospects_reached": int(np.setdiff1d(reached, start_ids).size),
            "customers_kept": int(np.setdiff1d(start_ids, left).size),
            "customers_at_start": int(start_ids.size),
            "advocates": int((~is_employee).sum()),
            "critics": int(np.union1d(left, offended).size),
            "unfollowed": int(left.size),
            "offended": int(offended.size),
            "employees_who_posted": int(is_employee.sum()),
        })

    carried = exposures[exposures["source"] >= 0].groupby("source")["person"].nunique()
    won = follows.groupby("source").size()
    people_rows = [{"person": int(p), "motivation": str(motivation.get(p, "?")),
                    "employee": bool(employee.get(p, False)), "shares": int(n),
                    "reached_through": int(carried.get(p, 0)), "follows_won": int(won.get(p, 0))}
                   for p, n in shares.groupby("person").size().items()]
    people_rows.sort(key=lambda row: (-row["reached_through"], -row["shares"], row["person"]))
    return {"by_motivation": by_type, "roles": roles, "top_people": people_rows[:TOP_PEOPLE],
            "employees": int(employee.sum()),
            "offended_types": sorted(offended_types)}


def what(run: RunLog, post_table: pd.DataFrame) -> dict:
    """Which post kinds and qualities spread, ranked.

    Kinds are ranked by mean reach per post. A quality's *lift* is its mean
    among shared posts (weighted by shares) over its mean among posts read
    (weighted by impressions): above 1, posts strong in it were shared more
    than they were seen.
    """
    table = post_table.copy()
    kinds = (table.groupby("kind")
             .agg(posts=("post", "size"), mean_reach=("reach", "mean"), max_reach=("reach", "max"),
                  impressions=("impressions", "sum"), shares=("shares", "sum"), mean_depth=("depth", "mean"))
             .reset_index())
    kinds["shares_per_1000"] = 1000 * kinds["shares"] / kinds["impressions"].where(kinds["impressions"] > 0)
    kinds = kinds.sort_values(["mean_reach", "shares"], ascending=False, kind="stable")

    from sim.motivations import QUALITIES
    posts = run.posts.set_index("post")
    weights = table.set_index("post")[["shares", "impressions"]]
    qualities = []
    for quality in [q for q in QUALITIES if q in posts] + (["promotional"] if "promotional" in posts else []):
        value = posts[quality].reindex(weights.index).fillna(0.0)
        seen = float(np.average(value, weights=weights["impressions"])) if weights["impressions"].sum() else 0.0
        shared = float(np.average(value, weights=weights["shares"])) if weights["shares"].sum() else 0.0
        qualities.append({"quality": quality, "mean_read": seen, "mean_shared": shared,
                          "lift": shared / seen if seen > 0 else float("nan")})
    qualities.sort(key=lambda q: (-(q["lift"] if q["lift"] == q["lift"] else -1), q["quality"]))
    return {"kinds": kinds.to_dict("records"), "qualities": qualities}


def hours_to_share_of_reach(run: RunLog, share: float) -> pd.Series:
    """Per post that reached anyone: hours from publication until it had reached
    ``share`` of its final reach (in whole ticks)."""
    exposure = run.of_kind("exposure")
    first = exposure.groupby(["post", "person"], observed=True)["tick"].min().reset_index()
    if first.empty:
        return pd.Series(dtype=float)
    first = first.sort_values(["post", "tick"], kind="stable")
    first["rank"] = first.groupby("post").cumcount() + 1
    final = first.groupby("post")["rank"].transform("max")
    needed = np.ceil(share * final - 1e-9)
    at = first[first["rank"] == needed].set_index("post")["tick"]
    published = run.posts.set_index("post")["tick"].reindex(at.index)
    return (at - published) * float(run.meta.get("tick_hours", 1.0))


def when(run: RunLog, post_table: pd.DataFrame) -> dict:
    """Reach over time, how fast attention to a post fades, and the best hours of the day.

    Hour of day: a tick ``t`` covers hours ``[(t-1) h, t h)`` since the run
    began at midnight, ``h`` being the tick length.
    """
    tick_hours = float(run.meta.get("tick_hours", 1.0))
    half, ninety = hours_to_share_of_reach(run, 0.5), hours_to_share_of_reach(run, 0.9)
    exposure = run.of_kind("exposure")
    published = run.posts.set_index("post")["tick"]
    age = (exposure["tick"].to_numpy() - published.reindex(exposure["post"]).to_numpy()) * tick_hours
    table = post_table.assign(hour=((post_table["tick"] - 1) * tick_hours) % 24)
    by_hour = (table.groupby("hour").agg(posts=("post", "size"), mean_reach=("reach", "mean"),
                                         mean_shares=("shares", "mean")).reset_index())
    shares = run.of_kind("share")
    share_hour = ((shares["tick"] - 1) * tick_hours) % 24
    read_hour = ((exposure["tick"] - 1) * tick_hours) % 24
    best = by_hour.sort_values("mean_reach", ascending=False, kind="stable").head(3)
    return {
        "median_hours_to_half": float(half.median()) if len(half) else float("nan"),
        "median_hours_to_90": float(ninety.median()) if len(ninety) else float("nan"),
        "exposure_age_hours": age,
        "by_hour": by_hour.to_dict("records"),
        "best_hours": [float(h) for h in best["hour"]],
        "shares_by_hour": share_hour.value_counts().sort_index(),
        "reads_by_hour": read_hour.value_counts().sort_index(),
        "tick_hours": tick_hours,
    }


def _communities(matrix, community, seed: int) -> tuple[np.ndarray | None, str]:
    """Each person's community and how it was found."""
    if community is not None:
        return np.asarray(community), "the communities of the stochastic block model"
    n = matrix.shape[0]
    if n > DETECT_UP_TO:
        return None, f"not detected: above {DETECT_UP_TO:,} people detection would take minutes"
    import networkx as nx
    import scipy.sparse as sp

    ties = sp.triu(matrix + matrix.T, k=1).tocoo()      # each friendship once, no self-loops
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(ties.row.tolist(), ties.col.tolist()))
    parts = np.full(n, -1, dtype=np.int64)
    main = max(nx.connected_components(graph), key=len)
    k = min(COMMUNITY_PARTS, len(main))
    for index, members in enumerate(nx.community.asyn_fluidc(graph.subgraph(main), k, max_iter=20,
                                                                       seed=seed % 2**32)):
        parts[list(members)] = index
    how = (f"detected: {k} parts of the largest connected component found by NetworkX's "
           f"asynchronous fluid communities (seed {seed})")
    if (parts < 0).any():
        how += "; people outside it form the part 'other'"
    return parts, how


def follower_distance(matrix, followers: np.ndarray) -> np.ndarray:
    """Ties from each person to the nearest tick-0 follower, following who sees
    whose shares (0: a follower; inf: unreachable)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import shortest_path

    n = matrix.shape[0]
    source = sp.csr_array((np.ones(followers.size), (np.full(followers.size, n), followers)), shape=(n + 1, n + 1))
    padded = sp.block_diag([matrix.astype(float), sp.csr_array((1, 1))], format="csr") + source
    distance = shortest_path(padded, directed=True, unweighted=True, indices=n)
    return distance[:n] - 1.0


def where(run: RunLog, folder: Path | None) -> dict:
    """Which parts of the network were reached, and how far from the brand's followers."""
    matrix, community = read_network(folder) if folder is not None else (None, None)
    if matrix is None:
        return {"available": False, "note": ""}
    if matrix.shape[0] != len(run.people):
        return {"available": False, "note": "network.npz does not match people.csv"}
    exposure = run.of_kind("exposure")
    reached = np.zeros(matrix.shape[0], dtype=bool)
    reached[exposure["person"].to_numpy()] = True
    sharers = np.zeros(matrix.shape[0], dtype=bool)
    sharers[run.of_kind("share")["person"].to_numpy()] = True
    followers = np.zeros(matrix.shape[0], dtype=bool)
    for b in range(len(run.brands)):
        followers |= run.followers_start(b)

    parts, how = _communities(matrix, community, int(run.meta.get("seed") or 0))
    rows = []
    if parts is not None:
        frame = pd.DataFrame({"part": parts, "reached": reached, "followers": followers, "sharers": sharers})
        grouped = frame.groupby("part").agg(people=("reached", "size"), followers=("followers", "sum"),
                                            reached=("reached", "sum"), sharers=("sharers", "sum"))
        grouped["reach_rate"] = grouped["reached"] / grouped["people"]
        grouped = grouped.sort_values("reach_rate", ascending=False, kind="stable")
        rows = [{**row, "part": "other" if row["part"] < 0 else str(row["part"])}
                for row in grouped.reset_index().to_dict("records")]

    distance = follower_distance(matrix, np.flatnonzero(followers))
    at = np.where(np.isfinite(distance), np.minimum(distance, 4), 5).astype(int)
    names = ["0 (followers)", "1", "2", "3", "4 or more", "unreachable"]
    by_distance = [{"distance": names[d], "people": int((at == d).sum()),
                    "reached": int((reached & (at == d)).sum())} for d in range(6) if (at == d).any()]
    for row in by_distance:
        row["reach_rate"] = row["reached"] / row["people"] if row["people"] else 0.0
    return {"available": True, "parts": rows, "how": how, "by_distance": by_distance,
            "reached_distance": distance[reached]}


def why(summary: dict, run: RunLog) -> dict:
    """Shares explained by motivation: who shares, how readily, and how persuasively."""
    total = max(summary.get("shares", 0), 1)
    motivation = run.people.set_index("person")["motivation"].astype(str)
    follows = run.of_kind("follow")
    won = motivation.reindex(follows["source"]).value_counts()
    rows = []
    for name, m in summary.get("by_motivation", {}).items():
        rows.append({"motivation": name, "shares": m["shares"], "share_of_shares": m["shares"] / total,
                     "shares_per_1000_reads": 1000 * m["shares"] / m["impressions"] if m["impressions"] else 0.0,
                     "follows_won": int(won.get(name, 0)),
                     "follows_per_share": int(won.get(name, 0)) / m["shares"] if m["shares"] else 0.0})
    rows.sort(key=lambda r: -r["shares"])
    return {"rows": rows}


def how(run: RunLog, post_table: pd.DataFrame, summary: dict) -> dict:
    """Broadcast or viral: how far from the brand people were reached, cascade depth
    and structural virality (about 2 for a pure broadcast, larger for viral spread)."""
    from sim.metrics import EventArrays, cascade_forest

    forest = cascade_forest(EventArrays.of(run))
    generation = pd.Series(forest.generation[forest.exposed]).value_counts().sort_index()
    reached = post_table[post_table["reach"] > 0]
    depth = post_table["depth"].value_counts().sort_index()
    total = int(generation.sum())
    return {
        "reach_by_generation": [{"generation": int(g), "readings": int(n), "share": n / total if total else 0.0}
                                for g, n in generation.items()],
        "direct_share": float(generation.get(0, 0) / total) if total else 0.0,
        "posts_by_depth": [{"depth": int(d), "posts": int(n)} for d, n in depth.items()],
        "virality_mean": float(reached["structural_virality"].mean()) if len(reached) else 0.0,
        "virality_max": float(reached["structural_virality"].max()) if len(reached) else 0.0,
        "cascades": summary.get("cascades", {}),
    }


def extent(summary: dict) -> dict:
    """How much: reach, engagement, followers gained and lost."""
    brands = summary.get("brands", [])
    followers = summary.get("followers_start", 0)
    posts = summary.get("posts", 0)
    return {
        "shares_per_post_per_follower": summary["shares"] / (posts * followers) if posts and followers else 0.0,
        "organic_reach_rate": float(np.mean([b["organic_reach_rate"] for b in brands])) if brands else 0.0,
        "brands": brands,
    }


# --------------------------------------------------------------------------
# Figures for the page (PNG, embedded as base64)
# --------------------------------------------------------------------------

def _png(draw, size=(7.5, 3.6)) -> str:
    """Draw on a fresh Agg figure and return it as a base64 PNG data URI."""
    import base64
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    draw(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _drawn(folder: Path | None, name: str) -> str | None:
    """A plot :func:`write_plots` already drew in the folder, as a data URI (None if absent)."""
    import base64

    path = None if folder is None else Path(folder) / name
    if path is None or not path.is_file():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _log_axes(axes) -> None:
    """Log-log axes whose ticks read as plain numbers, without crowded minor labels."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    axes.set_xscale("log")
    axes.set_yscale("log")
    for axis in (axes.xaxis, axes.yaxis):
        axis.set_major_formatter(ScalarFormatter())
        axis.set_minor_formatter(NullFormatter())


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


def _draw_generations(fig, spread: dict, post_table: pd.DataFrame) -> None:
    from matplotlib.ticker import NullFormatter

    left, right = fig.subplots(1, 2)
    rows = spread["reach_by_generation"]
    left.bar([r["generation"] for r in rows], [r["readings"] for r in rows], color="tab:purple")
    left.set_yscale("log")
    left.yaxis.set_minor_formatter(NullFormatter())
    _whole_numbers(left.xaxis)
    left.set_xlabel("generation (0: the brand's own post)")
    left.set_ylabel("people reached (log)")
    left.set_title("Reach by cascade generation")
    left.grid(alpha=0.3)
    _draw_cascade_sizes_on(right, post_table)


def _draw_cascade_sizes_on(axes, post_table: pd.DataFrame) -> None:
    sizes = np.sort(post_table["reach"].to_numpy(dtype=float))
    sizes = sizes[sizes > 0]
    axes.set_title("Cascade sizes (CCDF)")
    axes.set_xlabel("people reached by a post")
    axes.set_ylabel("share of posts >= x")
    if sizes.size:
        values, first = np.unique(sizes, return_index=True)
        axes.plot(values, (sizes.size - first) / sizes.size, marker="o", markersize=3, color="tab:red")
        _log_axes(axes)
    axes.grid(which="both", alpha=0.3)


# --------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------

REPORT_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sharesim report: {{ s.scenario }} (seed {{ s.seed }})</title>
<style>
  :root { --ink: #1d2330; --muted: #5b6474; --line: #d9dde5; --accent: #2456a6; --bad: #b3261e; }
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
         max-width: 62rem; margin: 0 auto; padding: 1.5rem; }
  h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; border-bottom: 2px solid var(--accent);
  padding-bottom: .2rem; margin-top: 2.2rem; } h3 { font-size: 1.02rem; margin-bottom: .3rem; }
  .muted, figcaption, .note { color: var(--muted); font-size: .9rem; }
  nav { background: #f4f6fa; border: 1px solid var(--line); padding: .5rem .8rem; border-radius: 6px; }
  nav a { margin-right: 1rem; color: var(--accent); text-decoration: none; }
  table { border-collapse: collapse; margin: .4rem 0 1rem; width: 100%; font-size: .9rem; }
  th, td { border-bottom: 1px solid var(--line); padding: .25rem .5rem; text-align: right; }
  th:first-child, td:first-child { text-align: left; } th { background: #f4f6fa; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .6rem; }
  .card { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; }
  .card b { display: block; font-size: 1.35rem; } .card span { color: var(--muted); font-size: .85rem; }
  figure { margin: .5rem 0 1rem; } img { max-width: 100%; height: auto; }
  dl.defs dt { font-weight: 600; } dl.defs dd { margin: 0 0 .4rem 1rem; }
  @page { size: A4; margin: 14mm; }
  @media print {
    body { max-width: none; padding: 0; font-size: 10.5pt; }
    nav { display: none; }
    h2 { break-after: avoid; page-break-after: avoid; }
    figure, tr, .cards, .card { break-inside: avoid; page-break-inside: avoid; }
    h3 { break-after: avoid; page-break-after: avoid; }
    figure img { max-height: 10cm; width: auto; }
    a { color: inherit; text-decoration: none; }
  }
</style>
</head>
<body>
<header>
<h1>{{ s.scenario }}: campaign report</h1>
<p class="muted">{{ description }}<br>
seed {{ s.seed }} &middot; {{ s.ticks }} ticks of {{ "%g"|format(s.tick_hours) }} h ({{ "%.1f"|format(days) }} days)
&middot; {{ "{:,}".format(s.population) }} people &middot; brands: {{ brands|join(", ") }}</p>
<p><b>In short:</b> {{ "{:,}".format(s.posts) }} posts reached {{ "{:,}".format(s.reach) }} people
({{ pct(s.reach_rate) }} of the network) and were shared {{ "{:,}".format(s.shares) }} times
({{ pct(s.engagement_rate) }} of readings). {{ pct(spread.direct_share) }} of the people reached read the brand's
own post: the spread was {{ "mostly broadcast" if spread.direct_share >= 0.5 else "mostly viral" }}.
Followers went from {{ "{:,}".format(s.followers_start) }} to {{ "{:,}".format(s.followers_end) }}
(+{{ "{:,}".format(s.new_follows) }}, &minus;{{ "{:,}".format(s.unfollows) }}); {{ "{:,}".format(s.blinded) }}
still follow but no longer notice the brand.</p>
</header>
<nav><a href="#who">Who</a><a href="#what">What</a><a href="#when">When</a><a href="#where">Where</a>
<a href="#why">Why</a><a href="#how">How</a><a href="#extent">Extent</a><a href="#terms">Terms</a></nav>

<section id="who">
<h2>Who: the people behind the reach</h2>
<h3>The brand's roles (DOMAIN.md §4)</h3>
<table>
<tr><th>brand</th><th>prospects reached</th><th>customers kept</th><th>advocates who shared</th>
<th>critics</th><th>employees who posted</th><th>co-creators</th></tr>
{% for r in people.roles %}<tr><td>{{ r.brand }}</td><td>{{ "{:,}".format(r.prospects_reached) }}</td>
<td>{{ "{:,}".format(r.customers_kept) }} of {{ "{:,}".format(r.customers_at_start) }}</td>
<td>{{ "{:,}".format(r.advocates) }}</td>
<td>{{ "{:,}".format(r.critics) }} <span class="muted">({{ r.unfollowed }} unfollowed, {{ r.offended }} offended)</span></td>
<td>{{ r.employees_who_posted }}</td><td>none</td></tr>
{% endfor %}</table>
<p class="note"><b>Prospects reached</b>: people who read a brand post and did not follow the brand at the start.
<b>Customers kept</b>: followers at the start who still follow at the end.
<b>Advocates</b>: people, employees aside, who shared a brand post.
<b>Critics</b>: followers who unfollowed, or who were offended: while following, they read the brand's own post
with a provocative quality above 0, and their motivation is put off by provocation
({{ people.offended_types|join(", ") or "no type" }} in this run; provocateurs seek such posts).
<b>Employees who posted</b>: employees (seeded by the campaigns; {{ people.employees }} in this run) who
shared the brand's post.
<b>Co-creators</b>: none; sharesim scenarios have no co-created content.</p>
<h3>By motivation</h3>
<table><tr><th>motivation</th><th>people</th><th>reached</th><th>shared (people)</th><th>shares</th>
<th>followed</th><th>unfollowed</th></tr>
{% for r in people.by_motivation %}<tr><td>{{ r.motivation }}</td><td>{{ "{:,}".format(r.people) }}</td>
<td>{{ "{:,}".format(r.reached) }}</td><td>{{ "{:,}".format(r.sharers) }}</td><td>{{ "{:,}".format(r.shares) }}</td>
<td>{{ "{:,}".format(r.follows) }}</td><td>{{ "{:,}".format(r.unfollows) }}</td></tr>{% endfor %}
</table>
<h3>The people whose shares carried furthest</h3>
{% if people.top_people %}<table><tr><th>person</th><th>motivation</th><th>shares</th>
<th>people who read their shares</th><th>follows won</th></tr>
{% for r in people.top_people %}<tr><td>#{{ r.person }}{% if r.employee %} (employee){% endif %}</td>
<td>{{ r.motivation }}</td><td>{{ r.shares }}</td><td>{{ "{:,}".format(r.reached_through) }}</td>
<td>{{ r.follows_won }}</td></tr>{% endfor %}</table>
{% else %}<p>Nobody shared a brand post.</p>{% endif %}
</section>

<section id="what">
<h2>What: the posts that spread</h2>
<h3>Post kinds, ranked by mean reach</h3>
<table><tr><th>kind</th><th>posts</th><th>mean reach</th><th>largest reach</th><th>shares</th>
<th>shares per 1,000 readings</th><th>mean depth</th></tr>
{% for r in content.kinds %}<tr><td>{{ r.kind }}</td><td>{{ r.posts }}</td><td>{{ "%.1f"|format(r.mean_reach) }}</td>
<td>{{ "{:,}".format(r.max_reach) }}</td><td>{{ "{:,}".format(r.shares) }}</td>
<td>{{ num(r.shares_per_1000) }}</td><td>{{ "%.2f"|format(r.mean_depth) }}</td></tr>{% endfor %}
</table>
<h3>Qualities, ranked by lift</h3>
<table><tr><th>quality</th><th>mean in posts read</th><th>mean in posts shared</th><th>lift</th></tr>
{% for q in content.qualities %}<tr><td>{{ q.quality }}</td><td>{{ "%.2f"|format(q.mean_read) }}</td>
<td>{{ "%.2f"|format(q.mean_shared) }}</td><td>{{ num(q.lift) }}</td></tr>{% endfor %}
</table>
<p class="note">Lift: a quality's mean among shared posts (weighted by shares) over its mean among posts read
(weighted by readings). Above 1, posts strong in that quality were shared more than they were seen.</p>
</section>

<section id="when">
<h2>When: reach over time and the life of a post</h2>
<figure><img alt="reach and followers over time" src="{{ figures.reach }}">
<figcaption>Cumulative reach and followers at the end of each tick.</figcaption></figure>
<div class="cards">
<div class="card"><b>{{ hours(timing.median_hours_to_half) }}</b><span>median time for a post to reach half of its final reach</span></div>
<div class="card"><b>{{ hours(timing.median_hours_to_90) }}</b><span>median time to 90% of its final reach</span></div>
<div class="card"><b>{{ timing.best_hours|map("clock")|join(", ") or "-" }}</b><span>publication hours with the largest mean reach</span></div>
</div>
<figure><img alt="readings by post age and by hour of day" src="{{ figures.attention }}">
<figcaption>Left: how many readings came at each age of the post (attention decay).
Right: when people read and shared, by hour of day.</figcaption></figure>
<table><tr><th>published at</th><th>posts</th><th>mean reach</th><th>mean shares</th></tr>
{% for r in timing.by_hour %}<tr><td>{{ clock(r.hour) }}</td><td>{{ r.posts }}</td><td>{{ "%.1f"|format(r.mean_reach) }}</td>
<td>{{ "%.2f"|format(r.mean_shares) }}</td></tr>{% endfor %}</table>
</section>

<section id="where">
<h2>Where: the parts of the network reached</h2>
{% if place.available %}
<h3>Communities</h3>
<p class="note">Communities: {{ place.how }}.</p>
{% if place.parts %}<table><tr><th>part</th><th>people</th><th>followers at start</th><th>reached</th>
<th>reach rate</th><th>sharers</th></tr>
{% for r in place.parts %}<tr><td>{{ r.part }}</td><td>{{ "{:,}".format(r.people) }}</td><td>{{ "{:,}".format(r.followers) }}</td>
<td>{{ "{:,}".format(r.reached) }}</td><td>{{ pct(r.reach_rate) }}</td><td>{{ "{:,}".format(r.sharers) }}</td></tr>{% endfor %}
</table>{% endif %}
<h3>Distance from the brand's followers</h3>
<figure><img alt="reach by distance from followers" src="{{ figures.distance }}"></figure>
<table><tr><th>ties from the nearest follower</th><th>people</th><th>reached</th><th>reach rate</th></tr>
{% for r in place.by_distance %}<tr><td>{{ r.distance }}</td><td>{{ "{:,}".format(r.people) }}</td>
<td>{{ "{:,}".format(r.reached) }}</td><td>{{ pct(r.reach_rate) }}</td></tr>{% endfor %}</table>
<p class="note">Distance follows who sees whose shares, from the followers at the start; people seeded by the
campaign may be reached further away.</p>
{% else %}
<p>This run folder has no <code>network.npz</code>{% if place.note %} ({{ place.note }}){% endif %}, so the parts of the
network cannot be shown; a new <code>sharesim run</code> writes it.</p>
{% endif %}
</section>

<section id="why">
<h2>Why: shares explained by motivation</h2>
<figure><img alt="shares by motivation" src="{{ figures.motivation }}"></figure>
<table><tr><th>motivation</th><th>shares</th><th>of all shares</th><th>shares per 1,000 readings</th>
<th>follows won by their shares</th><th>follows per share</th></tr>
{% for r in motives.rows %}<tr><td>{{ r.motivation }}</td><td>{{ "{:,}".format(r.shares) }}</td><td>{{ pct(r.share_of_shares) }}</td>
<td>{{ "%.2f"|format(r.shares_per_1000_reads) }}</td><td>{{ r.follows_won }}</td><td>{{ "%.3f"|format(r.follows_per_share) }}</td></tr>{% endfor %}
</table>
<p class="note">Each motivation answers to one quality of a post (altruists: useful; selectives: personal;
passionates: topical; socials: inspiring; trendsetters: novel; provocateurs: provocative; careerists:
professional), shares with its own audience and persuades friends to follow with its own trust.</p>
</section>

<section id="how">
<h2>How: broadcast or viral</h2>
<div class="cards">
<div class="card"><b>{{ pct(spread.direct_share) }}</b><span>of people reached read the brand's own post</span></div>
<div class="card"><b>{{ "%.2f"|format(spread.cascades.mean_depth or 0) }}</b><span>mean cascade depth (reshare generations)</span></div>
<div class="card"><b>{{ "%.2f"|format(spread.virality_mean) }}</b><span>mean structural virality (max {{ "%.2f"|format(spread.virality_max) }})</span></div>
<div class="card"><b>{{ pct(spread.cascades.share_never_reshared or 0) }}</b><span>of shares led to no further share</span></div>
</div>
<figure><img alt="reach by generation and cascade sizes" src="{{ figures.cascades }}">
<figcaption>Structural virality is the mean distance between two people of a post's cascade tree
(Goel, Anderson, Hofman &amp; Watts 2016): about 2 for a pure broadcast, larger for viral spread.</figcaption></figure>
<table><tr><th>cascade depth</th><th>posts</th></tr>
{% for r in spread.posts_by_depth %}<tr><td>{{ r.depth }}</td><td>{{ r.posts }}</td></tr>{% endfor %}</table>
</section>

<section id="extent">
<h2>Extent: how much</h2>
<div class="cards">
<div class="card"><b>{{ "{:,}".format(s.reach) }}</b><span>people reached ({{ pct(s.reach_rate) }})</span></div>
<div class="card"><b>{{ "{:,}".format(s.impressions) }}</b><span>impressions (readings)</span></div>
<div class="card"><b>{{ pct(s.engagement_rate) }}</b><span>engagement rate: shares per impression</span></div>
<div class="card"><b>{{ pct(size.organic_reach_rate) }}</b><span>of followers a post reaches directly</span></div>
<div class="card"><b>+{{ "{:,}".format(s.new_follows) }} / &minus;{{ "{:,}".format(s.unfollows) }}</b><span>followers gained / lost</span></div>
<div class="card"><b>{{ pct(s.unfollow_rate) }}</b><span>unfollow rate (of followers at start)</span></div>
</div>
<table><tr><th>brand</th><th>posts</th><th>reach</th><th>impressions</th><th>shares</th><th>engagement</th>
<th>followers start</th><th>gained</th><th>lost</th><th>end</th><th>unfollow rate</th><th>blinded</th></tr>
{% for b in size.brands %}<tr><td>{{ b.name }}</td><td>{{ b.posts }}</td><td>{{ "{:,}".format(b.reach) }}</td>
<td>{{ "{:,}".format(b.impressions) }}</td><td>{{ "{:,}".format(b.shares) }}</td><td>{{ pct(b.engagement_rate) }}</td>
<td>{{ "{:,}".format(b.followers_start) }}</td><td>{{ "{:,}".format(b.new_follows) }}</td><td>{{ "{:,}".format(b.unfollows) }}</td>
<td>{{ "{:,}".format(b.followers_end) }}</td><td>{{ pct(b.unfollow_rate) }}</td><td>{{ "{:,}".format(b.blinded) }}</td></tr>{% endfor %}
</table>
<p class="note">The engagement rate here counts shares per impression; per post per follower (as industry
benchmarks count it) it is {{ "%.4f"|format(100 * size.shares_per_post_per_follower) }}%.</p>
</section>

<section id="terms">
<h2>Terms</h2>
<dl class="defs">
<dt>exposure, impression</dt><dd>a person read a brand post in their feed, from the brand or shared by a friend.</dd>
<dt>reach</dt><dd>distinct people who read at least one brand post.</dd>
<dt>blinded</dt><dd>followers whose fatigue made them stop noticing the brand and who did not unfollow it.</dd>
<dt>cascade</dt><dd>the tree of who passed a post to whom, rooted at the brand; depth is its longest chain of reshares.</dd>
</dl>
<p class="muted">Computed from this run folder's files (events.csv, people.csv, posts_published.csv, run.json,
scenario.yaml, network.npz) by sharesim; <code>sharesim report</code> with this folder rebuilds it.</p>
</section>
</body>
</html>
"""


def _read_scenario(folder: Path | None) -> dict | None:
    """The run folder's scenario.yaml as a mapping, None without one; InputError naming it when it
    is not YAML or not a mapping of fields."""
    from sim.errors import InputError
    from sim.scenario import read_yaml

    path = None if folder is None else Path(folder) / "scenario.yaml"
    if path is None or not path.is_file():
        return None
    data = read_yaml(path, "scenario")
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a scenario (a mapping of fields such as name: and population:); "
                         f"run the scenario again")
    return data


def render_report(run: RunLog, summary: dict, post_table: pd.DataFrame, series: pd.DataFrame,
                  folder: Path | None = None) -> str:
    """The report page as one self-contained HTML string (figures embedded).

    ``folder`` is where scenario.yaml and network.npz are read from (the run
    folder); without them the Where section says what is missing.
    """
    import math

    import jinja2

    scenario = _read_scenario(folder)
    tick_hours = float(run.meta.get("tick_hours", summary.get("tick_hours", 1.0)))
    people, content, timing = who(run, summary, scenario), what(run, post_table), when(run, post_table)
    place, motives, spread = where(run, folder), why(summary, run), how(run, post_table, summary)
    figures = {
        "reach": _drawn(folder, "reach_followers.png")
        or _png(lambda fig: _draw_reach_followers(fig, series, tick_hours, summary), size=(7.5, 4.5)),
        "attention": _png(lambda fig: _draw_attention(fig, timing)),
        "motivation": _drawn(folder, "shares_by_motivation.png")
        or _png(lambda fig: _draw_shares_by_motivation(fig, summary)),
        "cascades": _png(lambda fig: _draw_generations(fig, spread, post_table)),
    }
    if place.get("available") and place["by_distance"]:
        figures["distance"] = _png(lambda fig: _draw_distance(fig, place), size=(7.5, 3.0))

    def pct(value) -> str:
        return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else _percent(value)

    def num(value) -> str:
        return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"

    def hours(value) -> str:
        return "-" if value is None or math.isnan(value) else f"{value:g} h"

    def clock(hour) -> str:
        return f"{int(hour):02d}:{int(round((hour % 1) * 60)):02d}"

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["clock"] = clock
    template = environment.from_string(REPORT_TEMPLATE)
    return template.render(
        s=summary, days=summary["ticks"] * tick_hours / 24.0, brands=run.brands,
        description=(scenario or {}).get("description", ""), people=people, content=content, timing=timing,
        place=place, motives=motives, spread=spread, size=extent(summary), figures=figures,
        pct=pct, num=num, hours=hours, clock=clock)


def write_html_report(folder: Path, run: RunLog, summary: dict, post_table: pd.DataFrame,
                      series: pd.DataFrame) -> Path:
    """Write ``report.html`` into a run folder, reading its scenario.yaml, network.npz and the
    plots :func:`write_plots` drew there (each drawn afresh when missing)."""
    path = Path(folder) / REPORT_FILE
    path.write_text(render_report(run, summary, post_table, series, folder), encoding="utf-8")
    return path


def load_run_folder(folder: Path, verify: bool = False) -> RunLog:
    """A run folder's event log, or InputError saying what is wrong with the folder.

    With ``verify``, the files are first checked against the sizes and
    checksums run.json recorded at run time (:func:`sim.rundir.verify_files`),
    scenario.yaml must read as a scenario and network.npz must be a network
    no bigger than this run can need; then the ids in the log must fit the
    people, posts and brands.
    """
    from sim.errors import InputError
    from sim.rundir import verify_files

    folder = Path(folder)
    if not folder.is_dir():
        what = "a file, not a directory" if folder.exists() else "no such directory"
        raise InputError(f"{folder}: not a run folder ({what})")
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise InputError(f"{folder}: not a run folder: missing {', '.join(missing)} "
                         f"(a run folder is written by 'sharesim run')")
    if verify:
        try:
            meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise InputError(f"{folder / 'run.json'}: the run folder's files cannot be read "
                             f"({type(error).__name__}: {error}); run the scenario again") from None
        if not isinstance(meta, dict):
            raise InputError(f"{folder / 'run.json'}: the run folder's files cannot be read (not a mapping); "
                             f"run the scenario again")
        verify_files(folder, meta)
        _read_scenario(folder)
        if (folder / NETWORK_FILE).is_file():
            recorded = (meta["files"].get(NETWORK_FILE) or {}).get("unpacked_bytes")
            limit = network_bound(meta.get("population"))
            check_network(folder / NETWORK_FILE, min(limit, recorded) if isinstance(recorded, int) else limit)
    try:
        run = RunLog.load(folder)
        for column in ("tick", "kind", "post", "brand", "person", "source"):
            if column not in run.events:
                raise KeyError(column)
        _ = run.brands, run.ticks
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(f"{folder}: the run folder's files cannot be read ({type(error).__name__}: {error}); "
                         f"run the scenario again") from None
    if verify:
        check_ids(folder, run)
    return run


def check_ids(folder: Path, run: RunLog) -> None:
    """Refuse a log whose ids do not fit the run: people 0..N-1 (people.csv), posts of
    posts_published.csv, brands of run.json, ticks 0..ticks, kinds known."""
    from sim.errors import InputError

    events = run.events
    people = len(run.people)
    problems = []
    if "person" not in run.people or not np.array_equal(run.people["person"].to_numpy(), np.arange(people)):
        problems.append(f"people.csv: person must count 0..{people - 1}")
    if events["kind"].isna().any():
        problems.append("events.csv: unknown kind")
    person, source = events["person"].to_numpy(), events["source"].to_numpy()
    if person.size and (person.min() < 0 or person.max() >= people):
        problems.append(f"events.csv: person outside 0..{people - 1} (people.csv)")
    if source.size and (source.min() < BRAND or source.max() >= people):
        problems.append(f"events.csv: source outside -1..{people - 1}")
    brand = events["brand"].to_numpy()
    if brand.size and (brand.min() < 0 or brand.max() >= len(run.brands)):
        problems.append(f"events.csv: brand outside 0..{len(run.brands) - 1} (run.json brands)")
    tick = events["tick"].to_numpy()
    if tick.size and (tick.min() < 0 or tick.max() > run.ticks):
        problems.append(f"events.csv: tick outside 0..{run.ticks} (run.json ticks)")
    posts = events["post"].to_numpy()
    known = run.posts["post"].to_numpy() if "post" in run.posts else np.empty(0)
    if not np.isin(posts[posts != -1], known).all():
        problems.append("events.csv: a post that posts_published.csv does not list")
    if problems:
        raise InputError(f"{folder}: ids do not fit together ({problems[0]}); the report is not rebuilt; "
                         f"run the scenario again")


def rebuild_report(folder: Path) -> Path:
    """Recompute a run folder's tables, plots and report.html from its event log.

    The folder is verified first (:func:`load_run_folder` with ``verify``):
    a log that is not the one the run wrote never replaces summary.json.
    Everything is written to a hidden staging folder first and each file
    replaces the old one atomically only when all are complete
    (:func:`sim.rundir.staged_update`), so a failure leaves the old files as
    they were. Raises InputError when the folder is not an intact,
    consistent run folder.
    """
    import shutil

    from sim.errors import InputError
    from sim.metrics import post_metrics, summarize, timeseries
    from sim.rundir import staged_update

    folder = Path(folder)
    run = load_run_folder(folder, verify=True)
    try:
        posts = post_metrics(run)
        summary = summarize(run, posts)
        series = timeseries(run)
        if "activated" in run.meta:          # the independent_cascade preset
            summary["activated"] = run.meta["activated"]
            summary["activated_fraction"] = run.meta["activated_fraction"]
        with staged_update(folder, "report") as staging:
            for name in ("scenario.yaml", NETWORK_FILE):
                if (folder / name).is_file():
                    shutil.copy2(folder / name, staging / name)     # the report reads them beside it
            write_tables(summary, posts, series, staging)
            write_plots(run, summary, posts, series, staging)
            write_html_report(staging, run, summary, posts, series)
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
