"""The run report's answers to 5W + H + E, as plain values (no figures, no HTML).

docs/domain.md §4: a brand should keep checking Who, What, When, Where, Why, How
and Extent of its engagement. Each question is answered by one function
reading a run's :class:`~sim.events.RunLog`, its post table and summary
(:mod:`sim.metrics`), its scenario and its network; :func:`analyse` answers
them all. :func:`measure` computes a run's tables once (the cascade forest
included), so the report builds each thing once. :mod:`sim.report` draws and
renders the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.events import BRAND, RunLog
from sim.metrics import (
    CascadeForest,
    EventArrays,
    cascade_forest,
    hours_to_share_of_reach,
    post_metrics,
    summarize,
    timeseries,
)
from sim.motivations import QUALITIES, profiles_with


@dataclass(frozen=True)
class Measures:
    """A run's log and what is measured from it: the cascade forest, the post table
    (:func:`sim.metrics.post_metrics`), the summary and the per-tick series."""

    run: RunLog
    forest: CascadeForest
    posts: pd.DataFrame
    summary: dict
    series: pd.DataFrame


def measure(run: RunLog, series: pd.DataFrame | None = None) -> Measures:
    """Measure a run once. ``series``: the model's own per-tick series (default:
    :func:`sim.metrics.timeseries` of the log). The independent_cascade preset's
    ``activated`` figures, recorded in run.json, join the summary."""
    events = EventArrays.of(run)
    forest = cascade_forest(events)
    posts = post_metrics(run, events, forest)
    summary = summarize(run, posts)
    if "activated" in run.meta:
        summary["activated"] = run.meta["activated"]
        summary["activated_fraction"] = run.meta["activated_fraction"]
    return Measures(run, forest, posts, summary, timeseries(run, events) if series is None else series)


@dataclass(frozen=True)
class Analysis:
    """The answers to 5W + H + E of one run, each a dict of plain values and tables."""

    who: dict
    what: dict
    when: dict
    where: dict
    why: dict
    how: dict
    extent: dict


def analyse(run: RunLog, summary: dict, post_table: pd.DataFrame, scenario: dict | None = None,
            network: tuple = (None, None), forest: CascadeForest | None = None) -> Analysis:
    """All seven answers. ``scenario``: the run's scenario.yaml as a mapping (None: the
    default profiles); ``network``: (matrix, community) from
    :func:`sim.rundir.read_network`; ``forest``: the run's cascade forest, when built."""
    forest = cascade_forest(EventArrays.of(run)) if forest is None else forest
    return Analysis(who=who(run, summary, scenario), what=what(run, post_table),
                    when=when(run, post_table, forest), where=where(run, *network),
                    why=why(summary, run), how=how(run, post_table, summary, forest), extent=extent(summary))


COMMUNITY_PARTS = 10
"""Parts to detect in a graph that has no communities of its own (a judgement:
about as many as a reader can compare in one table)."""

DETECT_UP_TO = 50_000
"""Above this many people, communities are not detected (it would take minutes)."""

TOP_PEOPLE = 10
"""People listed under "the people whose shares carried furthest"."""


def _profiles(scenario: dict | None):
    """The motivation profiles the run used (defaults with scenario.yaml's overrides)."""
    overrides = (scenario or {}).get("motivations") or {}
    return {m.label: p for m, p in profiles_with(overrides).items()}


def who(run: RunLog, summary: dict, scenario: dict | None) -> dict:
    """Who was reached, shared, followed and unfollowed: by motivation, the six
    roles of docs/domain.md §4 per brand, and the people whose shares carried furthest."""
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


def when(run: RunLog, post_table: pd.DataFrame, forest: CascadeForest | None = None) -> dict:
    """Reach over time, how fast attention to a post fades, and the best hours of the day.

    Hour of day: a tick ``t`` covers hours ``[(t-1) h, t h)`` since the run
    began at midnight, ``h`` being the tick length. ``forest``: the run's
    cascade forest, when already built.
    """
    tick_hours = float(run.meta.get("tick_hours", 1.0))
    forest = cascade_forest(EventArrays.of(run)) if forest is None else forest
    half, ninety = hours_to_share_of_reach(run, 0.5, forest), hours_to_share_of_reach(run, 0.9, forest)
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


def where(run: RunLog, matrix=None, community: np.ndarray | None = None) -> dict:
    """Which parts of the network were reached, and how far from the brand's followers.

    ``matrix`` and ``community`` are the run's network as
    :func:`sim.rundir.read_network` reads it (None when the folder has none).
    """
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


def how(run: RunLog, post_table: pd.DataFrame, summary: dict, forest: CascadeForest | None = None) -> dict:
    """Broadcast or viral: how far from the brand people were reached, cascade depth
    and structural virality (about 2 for a pure broadcast, larger for viral spread)."""
    forest = cascade_forest(EventArrays.of(run)) if forest is None else forest
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


def cascade_size_ccdf(post_table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """The complementary CDF of cascade sizes over the posts that reached anyone:
    (sizes [people], share of those posts at least that large, how many posts reached anyone)."""
    sizes = np.sort(post_table["reach"].to_numpy(dtype=float))
    sizes = sizes[sizes > 0]
    values, first = np.unique(sizes, return_index=True)
    return values, (sizes.size - first) / sizes.size if sizes.size else first.astype(float), int(sizes.size)


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
