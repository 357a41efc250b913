"""Metrics against hand-computed answers on a small hand-built run log.

The run (7 people, brands acme and globex, ticks 1..5):

post 0 (acme, published tick 1), a chain::

    brand -> p0 -> p2 -> p3        and brand -> p1
    t1 p0 exposed by brand, p0 shares
    t2 p2 exposed by p0; p1 exposed by brand, then (same tick) by p0; p2 shares
    t4 p3 exposed by p2

post 1 (acme, published tick 3), a star::

    brand -> p0, brand -> p4 -> {p5, p3}
    t3 p0, p4 exposed by brand, p4 shares; t4 p5, p3 exposed by p4

post 2 (globex, published tick 3) reached nobody.

Follows at tick 0: acme = {p0, p1}, globex = {p5}.
t4 p2 follows acme (via p0), p1 goes blind to acme; t5 p1 unfollows acme,
p0 goes blind to acme, p5 goes blind to globex.
"""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sim.events import BRAND, EventKind, EventLog, RunLog
from sim.metrics import (
    MOTIVATIONS,
    EventArrays,
    by_motivation,
    cascade_forest,
    cascade_summary,
    post_metrics,
    structural_virality,
    summarize,
    timeseries,
)

E, S, F, U, B = (EventKind.EXPOSURE, EventKind.SHARE, EventKind.FOLLOW,
                 EventKind.UNFOLLOW, EventKind.BLIND)
NO_POST = -1

# (tick, kind, post, brand, person, source), in log order
HAND_EVENTS = [
    (1, E, 0, 0, 0, BRAND),
    (1, S, 0, 0, 0, BRAND),
    (2, E, 0, 0, 2, 0),
    (2, E, 0, 0, 1, BRAND),
    (2, E, 0, 0, 1, 0),
    (2, S, 0, 0, 2, 0),
    (3, E, 1, 0, 0, BRAND),
    (3, E, 1, 0, 4, BRAND),
    (3, S, 1, 0, 4, BRAND),
    (4, E, 0, 0, 3, 2),
    (4, E, 1, 0, 5, 4),
    (4, E, 1, 0, 3, 4),
    (4, F, NO_POST, 0, 2, 0),
    (4, B, NO_POST, 0, 1, BRAND),
    (5, U, NO_POST, 0, 1, BRAND),
    (5, B, NO_POST, 0, 0, BRAND),
    (5, B, NO_POST, 1, 5, BRAND),
]


def make_run(events: list[tuple], people: int = 7, ticks: int = 5,
             posts: pd.DataFrame | None = None, string_kinds: bool = False) -> RunLog:
    """A RunLog recorded through EventLog, as the model does (or with string kinds)."""
    log = EventLog()
    for tick, kind, post, brand, person, source in events:
        log.record(tick, kind, post, brand, [person], source)
    frame = log.to_frame()
    if string_kinds:
        frame["kind"] = frame["kind"].astype(str)
    table = pd.DataFrame({
        "person": np.arange(people),
        "motivation": (list(MOTIVATIONS) * people)[:people],
        "employee": False,
        "seeded": False,
        "follows_0": [p in (0, 1) for p in range(people)],
        "follows_1": [p == 5 for p in range(people)],
    })
    if posts is None:
        posts = pd.DataFrame({"post": [0, 1, 2], "brand": [0, 0, 1],
                              "kind": ["story", "offer", "story"],
                              "topic": ["food", "food", "tech"], "tick": [1, 3, 3],
                              "promotional": [False, True, False]})
    meta = {"scenario": "hand", "seed": 7, "ticks": ticks, "tick_hours": 6.0,
            "brands": ["acme", "globex"], "topics": ["food", "tech"]}
    return RunLog(events=frame, people=table, posts=posts, meta=meta)


@pytest.fixture
def run() -> RunLog:
    return make_run(HAND_EVENTS)


# ---------------------------------------------------------------- posts

def test_post_table_hand_values(run):
    table = post_metrics(run).set_index("post")
    assert list(table.index) == [0, 1, 2]
    assert list(table["brand"]) == ["acme", "acme", "globex"]
    assert list(table["reach"]) == [4, 4, 0]
    assert list(table["impressions"]) == [5, 4, 0]
    assert list(table["shares"]) == [2, 1, 0]
    assert list(table["depth"]) == [2, 1, 0]
    # post 0: root-p0, root-p1, p0-p2, p2-p3: distances sum 20 over 10 pairs
    # post 1: root-p0, root-p4, p4-p5, p4-p3: distances sum 18 over 10 pairs
    assert table["structural_virality"].tolist() == pytest.approx([2.0, 1.8, 0.0])
    # post 0 first reaches at t1, t2, t2, t4: 2 of 4 people by t2, published t1
    assert list(table["ticks_to_half_reach"]) == [1, 0, -1]
    # acme followers p0, p1 reached by the brand itself
    assert list(table["followers_reach"]) == [2, 1, 0]


def test_first_exposure_tie_goes_to_first_row(run):
    forest = cascade_forest(EventArrays.of(run))
    node = np.flatnonzero((forest.post == 0) & (forest.person == 1))[0]
    assert forest.source[node] == BRAND
    assert forest.parent[node] == -1
    assert forest.generation[node] == 0
    p3 = np.flatnonzero((forest.post == 0) & (forest.person == 3))[0]
    assert forest.generation[p3] == 2
    assert forest.person[forest.parent[p3]] == 2


def test_chain_depth_and_virality():
    # brand -> a -> b -> c: a shares to b, b shares to c
    events = [(1, E, 0, 0, 0, BRAND), (1, S, 0, 0, 0, BRAND),
              (2, E, 0, 0, 1, 0), (2, S, 0, 0, 1, 0), (3, E, 0, 0, 2, 1)]
    table = post_metrics(make_run(events))
    assert table.loc[0, "depth"] == 2
    assert table.loc[0, "structural_virality"] == pytest.approx(10 / 6)
    assert table.loc[0, "reach"] == 3


def test_structural_virality_star_and_chain():
    assert structural_virality(np.array([-1, 0, 1])) == pytest.approx(10 / 6)
    assert structural_virality(np.array([-1, -1, -1])) == pytest.approx(9 / 6)
    assert structural_virality(np.array([-1])) == pytest.approx(1.0)
    assert structural_virality(np.array([], dtype=int)) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_structural_virality_matches_networkx(seed):
    rng = np.random.default_rng(seed)
    for n in rng.integers(1, 80, size=20):
        parent = np.array([rng.integers(-1, i) for i in range(n)])  # -1 = root
        tree = nx.Graph()
        tree.add_node("root")
        tree.add_edges_from((i, "root" if p < 0 else int(p)) for i, p in enumerate(parent))
        pairs = (n + 1) * n / 2
        assert structural_virality(parent) == pytest.approx(nx.wiener_index(tree) / pairs)
        assert structural_virality(parent) == pytest.approx(nx.average_shortest_path_length(tree))


def test_post_metrics_match_networkx_on_random_cascades():
    """Several random cascades logged interleaved, with repeat exposures."""
    rng = np.random.default_rng(42)
    events, trees = [], {}
    for post in range(6):
        n = int(rng.integers(1, 40))
        parent = [int(rng.integers(-1, i)) for i in range(n)]
        tick = []
        for i, p in enumerate(parent):  # children read after their parent
            tick.append(int(rng.integers(1, 3)) if p < 0 else tick[p] + int(rng.integers(1, 3)))
        people = rng.permutation(100)[:n]
        for i, p in enumerate(parent):
            events.append((tick[i], E, post, 0, int(people[i]), BRAND if p < 0 else int(people[p])))
            if rng.random() < 0.3:  # a later re-exposure that must not change the tree
                events.append((tick[i] + 5, E, post, 0, int(people[i]), BRAND))
        graph = nx.Graph([("root" if p < 0 else people[p], people[i]) for i, p in enumerate(parent)])
        trees[post] = (graph, n)
    events.sort(key=lambda e: e[0])
    posts = pd.DataFrame({"post": range(6), "brand": 0, "kind": "story", "topic": "food",
                          "tick": 0, "promotional": False})
    table = post_metrics(make_run(events, people=100, ticks=200, posts=posts)).set_index("post")
    for post, (graph, n) in trees.items():
        depth = max(nx.single_source_shortest_path_length(graph, "root").values()) - 1
        assert table.loc[post, "reach"] == n
        assert table.loc[post, "depth"] == depth
        assert table.loc[post, "structural_virality"] == pytest.approx(
            nx.average_shortest_path_length(graph) if n > 0 else 0.0)


def test_source_never_exposed_gets_placeholder():
    # p3 exposed "by p6", who never read the post: root -> p6 -> p3
    run = make_run([(2, E, 0, 0, 3, 6)])
    table = post_metrics(run)
    assert table.loc[0, "reach"] == 1
    assert table.loc[0, "depth"] == 1
    assert table.loc[0, "structural_virality"] == pytest.approx(4 / 3)


def test_same_tick_child_logged_before_parent_is_kept():
    run = make_run([(2, E, 0, 0, 1, 0), (2, E, 0, 0, 0, BRAND)])
    assert post_metrics(run).loc[0, "depth"] == 1


def test_source_read_later_is_attached_to_brand():
    run = make_run([(1, E, 0, 0, 1, 0), (3, E, 0, 0, 0, BRAND)])
    table = post_metrics(run)
    assert table.loc[0, "depth"] == 0
    assert table.loc[0, "structural_virality"] == pytest.approx(4 / 3)  # star of 2 leaves


def test_cycle_in_malformed_log_is_broken():
    run = make_run([(1, E, 0, 0, 0, 1), (1, E, 0, 0, 1, 0)])
    table = post_metrics(run)
    assert table.loc[0, "reach"] == 2
    assert table.loc[0, "depth"] == 1


# ---------------------------------------------------------------- summary

def test_summary_headline(run):
    summary = summarize(run)
    assert summary["population"] == 7
    assert summary["reach"] == 6
    assert summary["reach_rate"] == pytest.approx(6 / 7)
    assert summary["impressions"] == 9
    assert summary["shares"] == 3
    assert summary["engagement_rate"] == pytest.approx(3 / 9)
    assert summary["posts"] == 3
    assert summary["followers_start"] == 3
    assert summary["new_follows"] == 1
    assert summary["unfollows"] == 1
    assert summary["followers_end"] == 3
    assert summary["unfollow_rate"] == pytest.approx(1 / 3)
    # p1 went blind then unfollowed; p0 (acme) and p5 (globex) still follow
    assert summary["blinded"] == 2
    assert summary["blind_events"] == 3
    assert (summary["scenario"], summary["seed"], summary["ticks"]) == ("hand", 7, 5)


def test_summary_cascades(run):
    cascades = summarize(run)["cascades"]
    # sizes count adopters (Goel et al. 2016): post 0 was shared by p0 and p2, post 1 by p4, post 2 by nobody
    assert (cascades["mean_size"], cascades["max_size"]) == (pytest.approx(1.0), 2)
    assert (cascades["mean_adopters"], cascades["max_adopters"]) == (pytest.approx(1.0), 2)
    assert (cascades["mean_viewers"], cascades["max_viewers"]) == (pytest.approx(8 / 3), 4)
    assert cascades["mean_depth"] == pytest.approx(1.0)
    assert cascades["max_depth"] == 2
    assert cascades["structural_virality_mean"] == pytest.approx(1.9)
    # shares: p0 of post 0 (reshared by p2), p2 of post 0, p4 of post 1
    assert cascades["share_never_reshared"] == pytest.approx(2 / 3)


def test_cascade_summary_of_no_posts():
    empty = post_metrics(make_run([], posts=pd.DataFrame(
        {"post": [], "brand": [], "kind": [], "topic": [], "tick": []})))
    assert cascade_summary(empty) == {"mean_size": 0.0, "max_size": 0, "mean_adopters": 0.0, "max_adopters": 0,
                                      "mean_viewers": 0.0, "max_viewers": 0, "mean_depth": 0.0, "max_depth": 0,
                                      "structural_virality_mean": 0.0}


def test_brands(run):
    acme, globex = summarize(run)["brands"]
    assert acme["name"] == "acme" and globex["name"] == "globex"
    assert (acme["posts"], acme["reach"], acme["impressions"], acme["shares"]) == (2, 6, 9, 3)
    assert acme["reach_rate"] == pytest.approx(6 / 7)
    assert acme["engagement_rate"] == pytest.approx(1 / 3)
    assert (acme["followers_start"], acme["followers_end"]) == (2, 2)
    assert (acme["unfollows"], acme["new_follows"], acme["blinded"]) == (1, 1, 1)
    assert acme["unfollow_rate"] == pytest.approx(0.5)
    assert acme["organic_reach_rate"] == pytest.approx((2 / 2 + 1 / 2) / 2)
    assert (globex["posts"], globex["reach"], globex["impressions"]) == (1, 0, 0)
    assert (globex["followers_start"], globex["followers_end"], globex["blinded"]) == (1, 1, 1)
    assert globex["engagement_rate"] == 0.0 and globex["organic_reach_rate"] == 0.0


def test_by_motivation(run):
    motivation = summarize(run)["by_motivation"]
    assert list(motivation) == list(MOTIVATIONS)
    assert motivation["altruist"] == {"people": 1, "reached": 1, "shares": 1, "unfollows": 0,
                                      "follows": 0, "impressions": 2}
    assert motivation["selective"] == {"people": 1, "reached": 1, "shares": 0, "unfollows": 1,
                                       "follows": 0, "impressions": 2}
    assert motivation["passionate"]["follows"] == 1
    assert motivation["social"]["impressions"] == 2
    assert motivation["trendsetter"]["shares"] == 1
    assert motivation["careerist"] == {"people": 1, "reached": 0, "shares": 0, "unfollows": 0,
                                       "follows": 0, "impressions": 0}


def test_by_motivation_reads_labels_in_any_case_and_leaves_out_unknown_or_missing_ones(run):
    before = summarize(run)["by_motivation"]
    people = run.people.copy()
    people["motivation"] = pd.array(["ALTRUIST", None, "none", *people["motivation"][3:]], dtype="str")
    after = by_motivation(RunLog(events=run.events, people=people, posts=run.posts, meta=run.meta))
    assert after["altruist"] == before["altruist"]
    assert after["selective"]["people"] == after["passionate"]["people"] == 0
    assert after["selective"]["shares"] == after["passionate"]["follows"] == 0
    assert {m: after[m] for m in list(MOTIVATIONS)[3:]} == {m: before[m] for m in list(MOTIVATIONS)[3:]}


def test_blinded_counts_unfollow_only_at_or_after_blindness():
    events = [
        (1, U, NO_POST, 0, 0, BRAND), (2, F, NO_POST, 0, 0, BRAND), (3, B, NO_POST, 0, 0, BRAND),
        (2, B, NO_POST, 0, 1, BRAND), (2, U, NO_POST, 0, 1, BRAND),   # same tick: unfollowed
        (3, B, NO_POST, 1, 1, BRAND), (3, B, NO_POST, 1, 1, BRAND),   # one pair, two events
    ]
    summary = summarize(make_run(sorted(events, key=lambda e: e[0])))
    assert summary["blinded"] == 2   # p0 for acme, p1 for globex
    assert summary["blind_events"] == 4
    assert [b["blinded"] for b in summary["brands"]] == [1, 1]


def test_empty_rates_are_zero_not_nan():
    summary = summarize(make_run([]))
    assert summary["engagement_rate"] == 0.0
    assert summary["cascades"]["share_never_reshared"] == 0.0
    assert summary["reach"] == 0 and summary["followers_end"] == 3


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return type(value) in (int, float, str, bool) or value is None


def test_summary_is_plain_json(run):
    summary = summarize(run)
    assert _plain(summary)
    assert json.loads(json.dumps(summary)) == summary


def test_string_kinds_and_saved_runs_give_the_same_summary(run, tmp_path):
    run.save(tmp_path)
    loaded = RunLog.load(tmp_path)
    assert summarize(loaded) == summarize(run)
    assert summarize(make_run(HAND_EVENTS, string_kinds=True)) == summarize(run)


# ---------------------------------------------------------------- time series

def test_timeseries_rows(run):
    series = timeseries(run)
    assert list(series["tick"]) == [0, 1, 2, 3, 4, 5]
    assert list(series["exposures"]) == [0, 1, 3, 2, 3, 0]
    assert list(series["new_reach"]) == [0, 1, 2, 1, 2, 0]
    assert list(series["reach"]) == [0, 1, 3, 4, 6, 6]
    assert list(series["shares"]) == [0, 1, 1, 1, 0, 0]
    assert list(series["follows"]) == [0, 0, 0, 0, 1, 0]
    assert list(series["unfollows"]) == [0, 0, 0, 0, 0, 1]
    assert list(series["blind"]) == [0, 0, 0, 0, 1, 2]
    assert list(series["followers"]) == [3, 3, 3, 3, 4, 3]
    assert series["reach"].iloc[-1] == summarize(run)["reach"]


def test_timeseries_covers_ticks_without_events():
    series = timeseries(make_run([(2, E, 0, 0, 0, BRAND)], ticks=9))
    assert len(series) == 10
    assert series["reach"].tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 1, 1]


def test_share_never_reshared_counts_share_events_without_followers():
    # a shares from the brand; b and c both reshare a's share; nobody reshares b or c
    events = [(1, E, 0, 0, 0, BRAND), (1, S, 0, 0, 0, BRAND),
              (2, E, 0, 0, 1, 0), (2, E, 0, 0, 2, 0), (2, S, 0, 0, 1, 0), (2, S, 0, 0, 2, 0),
              (3, E, 0, 0, 3, 1), (3, E, 1, 0, 1, BRAND), (3, S, 1, 0, 1, 0)]
    # on post 1, b shares "from a", but a's share of post 0 does not count for post 1
    assert summarize(make_run(events))["cascades"]["share_never_reshared"] == pytest.approx(3 / 4)
