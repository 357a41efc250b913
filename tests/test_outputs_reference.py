"""The run folder's faster analyses against plain reference implementations on random logs.

Each rewrite made for issue 16's outputs (a 14-day run at 10^6 people) is checked here
against the code it replaced, or a plain loop, on random input that includes what a
malformed log may hold: ticks out of order, sources who never read the post, cycles
within a tick, and people listed twice."""

from __future__ import annotations

import numpy as np
import pytest

from sim.events import BRAND, EventKind
from sim.metrics import CascadeForest, EventArrays, _distinct_pairs, _found_in, _generations, cascade_forest


# --------------------------------------------------------------------------
# The cascade forest: the lexsort version it replaced, verbatim
# --------------------------------------------------------------------------

def reference_forest(events: EventArrays) -> CascadeForest:
    """Build all posts' cascade trees from the exposure events at once."""
    rows = np.flatnonzero(events.where(EventKind.EXPOSURE))
    post, person = events.post[rows], events.person[rows]
    tick, source = events.tick[rows], events.source[rows]

    # Rank of each exposure in (tick, log order); lexsort is stable.
    rank = np.empty(rows.size, dtype=np.int64)
    rank[np.lexsort((tick,))] = np.arange(rows.size)

    # First exposure of each (post, person): lowest rank in the group.
    order = np.lexsort((rank, person, post))
    post, person, tick, source, rank = (a[order] for a in (post, person, tick, source, rank))
    first = np.ones(post.size, dtype=bool)
    first[1:] = (post[1:] != post[:-1]) | (person[1:] != person[:-1])
    post, person, tick, source, rank = (a[first] for a in (post, person, tick, source, rank))
    exposed = np.ones(post.size, dtype=bool)

    # Placeholder nodes for sources that never read the post.
    width = int(max(person.max(initial=0), source.max(initial=0))) + 1
    key = post * width + person                      # sorted ascending
    by_person = source >= 0
    wanted = post * width + np.where(by_person, source, 0)
    found = _found_in(key, wanted) & by_person
    missing = by_person & ~found
    if missing.any():
        extra_post, extra_person = _distinct_pairs(post[missing], source[missing])
        post = np.concatenate([post, extra_post])
        person = np.concatenate([person, extra_person])
        tick = np.concatenate([tick, np.full(extra_post.size, -1)])
        source = np.concatenate([source, np.full(extra_post.size, BRAND)])
        rank = np.concatenate([rank, np.full(extra_post.size, -1)])
        exposed = np.concatenate([exposed, np.zeros(extra_post.size, dtype=bool)])
        wanted = np.concatenate([wanted, np.zeros(extra_post.size, dtype=np.int64)])
        by_person = np.concatenate([by_person, np.zeros(extra_post.size, dtype=bool)])
        order = np.lexsort((person, post))
        post, person, tick, source, rank, exposed, wanted, by_person = (
            a[order] for a in (post, person, tick, source, rank, exposed, wanted, by_person))
        key = post * width + person

    parent = np.full(post.size, -1, dtype=np.int64)
    at = np.searchsorted(key, wanted[by_person])
    parent[by_person] = at
    # A source cannot pass on a post before reading it.
    late = by_person.copy()
    late[by_person] = tick[at] > tick[by_person]
    parent[late] = -1

    generation, parent = _generations(parent, rank)
    return CascadeForest(post=post, person=person, tick=tick, source=source,
                         parent=parent, generation=generation, exposed=exposed)


def random_events(rng: np.random.Generator, n: int, *, by_tick: bool, people: int = 40, posts: int = 6,
                  ticks: int = 8, negative: bool = False) -> EventArrays:
    """A random log of ``n`` events (mostly exposures), in tick order or not. Sources are
    mostly people who read the post (so that cascades form), some the brand, some people
    who never read it; with ``negative``, a few person ids are below 0 (a malformed log)."""
    tick = rng.integers(0, ticks, n)
    if by_tick:
        tick = np.sort(tick)
    kind = np.where(rng.random(n) < 0.85, int(EventKind.EXPOSURE), rng.integers(1, 5, n))
    post = rng.integers(0, posts, n)
    person = rng.integers(-3 if negative else 0, people, n)
    source = np.where(rng.random(n) < 0.3, BRAND, rng.integers(0, people + 5, n))
    for c in (tick, kind, post, person, source):
        c.setflags(write=True)
    columns = dict(tick=tick, kind=kind.astype(np.int64), post=post, brand=np.zeros(n, np.int64),
                   person=person, source=source)
    return EventArrays(**{k: np.asarray(v, dtype=np.int64) for k, v in columns.items()},
                       person_row=np.where(person >= 0, person, -1), post_row=post.copy())


def assert_same_forest(got: CascadeForest, want: CascadeForest) -> None:
    for name in ("post", "person", "tick", "source", "parent", "generation", "exposed"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("seed", range(40))
def test_the_cascade_forest_is_the_lexsort_one_on_random_logs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    events = random_events(rng, n, by_tick=bool(seed % 2), people=int(rng.integers(1, 60)),
                           posts=int(rng.integers(1, 8)), ticks=int(rng.integers(1, 12)),
                           negative=seed % 5 == 4)
    assert_same_forest(cascade_forest(events), reference_forest(events))


def test_the_cascade_forest_is_the_lexsort_one_on_a_large_log_in_tick_order():
    rng = np.random.default_rng(7)
    events = random_events(rng, 60_000, by_tick=True, people=5_000, posts=30, ticks=300)
    got = cascade_forest(events)
    assert (~got.exposed).any() and (got.generation > 1).any()      # placeholders and deep trees occur
    assert_same_forest(got, reference_forest(events))


# --------------------------------------------------------------------------
# What the forest feeds: the tick at a share of reach, the nearest generation
# --------------------------------------------------------------------------

def reference_tick_at_share(forest: CascadeForest, share: float):
    """Per post that reached anyone, in post order: the tick of its ceil(share * reach)-th first reading."""
    ticks: dict[int, list[int]] = {}
    for post, tick, exposed in zip(forest.post.tolist(), forest.tick.tolist(), forest.exposed.tolist()):
        if exposed:
            ticks.setdefault(post, []).append(tick)
    posts = sorted(ticks)
    at = [sorted(ticks[p])[max(int(np.ceil(share * len(ticks[p]) - 1e-9)), 1) - 1] for p in posts]
    return np.array(posts, dtype=np.int64), np.array(at, dtype=np.int64)


def reference_nearest_generations(forest: CascadeForest) -> dict[int, int]:
    nearest: dict[int, int] = {}
    for person, generation, exposed in zip(forest.person.tolist(), forest.generation.tolist(),
                                           forest.exposed.tolist()):
        if exposed:
            nearest[person] = min(nearest.get(person, generation), generation)
    counts: dict[int, int] = {}
    for generation in nearest.values():
        counts[generation] = counts.get(generation, 0) + 1
    return dict(sorted(counts.items()))


@pytest.mark.parametrize("seed", range(30))
def test_the_tick_at_a_share_of_reach_and_the_nearest_generations_match_plain_loops(seed):
    from sim.analysis import _nearest_generations
    from sim.metrics import tick_at_share_of_reach

    rng = np.random.default_rng(100 + seed)
    events = random_events(rng, int(rng.integers(0, 300)), by_tick=bool(seed % 2),
                           people=int(rng.integers(1, 50)), posts=int(rng.integers(1, 6)),
                           ticks=int(rng.integers(1, 40)), negative=seed % 7 == 6)
    forest = cascade_forest(events)
    for share in (0.5, 0.9, 1.0, 0.01):
        got, want = tick_at_share_of_reach(forest, share), reference_tick_at_share(forest, share)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    generations = _nearest_generations(forest)
    assert {int(g): int(n) for g, n in generations.items()} == reference_nearest_generations(forest)
    assert list(generations.index) == sorted(generations.index)


@pytest.mark.parametrize("dtype", ["str", object, "category"])
def test_motivations_are_factorized_as_pandas_does(dtype):
    import pandas as pd

    from sim.metrics import _factorize

    rng = np.random.default_rng(3)
    words = np.array(["altruist", "social", "selective", "careerist"], dtype=object)[rng.integers(0, 4, 500)]
    for column in (pd.Series(words, dtype=dtype), pd.Series(np.where(rng.random(500) < 0.1, None, words),
                                                            dtype=dtype)):
        codes, labels = _factorize(column)
        want_codes, want_labels = pd.factorize(column)
        np.testing.assert_array_equal(codes, want_codes)
        assert [str(v) for v in labels] == [str(v) for v in want_labels]


# --------------------------------------------------------------------------
# The post table's parts: subtree sizes, runs of sorted posts, followers at publication
# --------------------------------------------------------------------------

def reference_subtree_sizes(parent: np.ndarray, generation: np.ndarray) -> np.ndarray:
    """The sort-by-level version the level scans replaced, verbatim."""
    size = np.ones(parent.size, dtype=np.int64)
    if parent.size == 0:
        return size
    order = np.argsort(-generation, kind="stable")
    bounds = np.flatnonzero(np.diff(generation[order])) + 1
    for level in np.split(order, bounds):
        children = level[parent[level] >= 0]
        if children.size:
            np.add.at(size, parent[children], size[children])
    return size


@pytest.mark.parametrize("seed", range(30))
def test_subtree_sizes_and_runs_match_the_sorting_versions(seed):
    from sim.metrics import _runs_of, _subtree_sizes

    rng = np.random.default_rng(200 + seed)
    events = random_events(rng, int(rng.integers(0, 500)), by_tick=bool(seed % 2), people=int(rng.integers(1, 40)),
                           posts=int(rng.integers(1, 6)), ticks=int(rng.integers(1, 15)))
    forest = cascade_forest(events)
    np.testing.assert_array_equal(_subtree_sizes(forest.parent, forest.generation),
                                  reference_subtree_sizes(forest.parent, forest.generation))
    # a chain deeper than the levels scanned takes the sort
    chain = np.arange(-1, 30)
    np.testing.assert_array_equal(_subtree_sizes(chain, np.arange(31)), reference_subtree_sizes(chain, np.arange(31)))
    for values in (forest.post, rng.integers(0, 9, int(rng.integers(0, 50)))):
        got, want = _runs_of(values), np.unique(values, return_inverse=True)
        for a, b in zip(got, want):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def random_run(rng: np.random.Generator, n: int):
    """A random RunLog: people and posts with ids in order or not, events in tick order or not,
    with unknown posts and people, follows and unfollows of two brands."""
    import pandas as pd

    from sim.events import RunLog, events_frame

    people = int(rng.integers(1, 40))
    person_ids = np.arange(people) if rng.random() < 0.5 else rng.permutation(np.arange(people) * 2 + 1)
    posts = int(rng.integers(1, 8))
    post_ids = np.arange(posts) if rng.random() < 0.5 else rng.permutation(np.arange(posts) * 3)
    ticks = int(rng.integers(1, 12))
    tick = rng.integers(0, ticks + 1, n)
    if rng.random() < 0.7:
        tick = np.sort(tick)
    kind = rng.choice([0, 0, 0, 0, 1, 2, 3, 4], n)
    post = np.where(rng.random(n) < 0.95, rng.choice(post_ids, n), 999)           # a few unknown posts
    person = np.where(rng.random(n) < 0.95, rng.choice(person_ids, n), 5000)     # and unknown people
    source = np.where(rng.random(n) < 0.4, BRAND, rng.choice(person_ids, n))
    brand = rng.integers(0, 2, n)
    post = np.where(kind >= 2, -1, post)
    log = events_frame({"tick": tick, "kind": kind, "post": post, "brand": brand, "person": person, "source": source})
    people_frame = pd.DataFrame({"person": person_ids, "motivation": "social",
                                 "follows_0": rng.random(people) < 0.3, "follows_1": rng.random(people) < 0.3})
    posts_frame = pd.DataFrame({"post": post_ids, "brand": rng.integers(0, 2, posts), "kind": "tip", "topic": "tech",
                                "tick": rng.integers(0, ticks + 1, posts)})
    return RunLog(events=log, people=people_frame, posts=posts_frame,
                  meta={"brands": ["acme", "globex"], "ticks": ticks, "tick_hours": 1.0})


@pytest.mark.parametrize("seed", range(40))
def test_followers_reading_a_post_from_the_forest_are_the_sorted_pairs_ones(seed):
    from sim.metrics import _followers_at_publication

    rng = np.random.default_rng(300 + seed)
    run = random_run(rng, int(rng.integers(0, 400)))
    events = EventArrays.of(run)
    forest = cascade_forest(events)
    got = _followers_at_publication(run, events, len(run.posts), forest)
    want = _followers_at_publication(run, events, len(run.posts))           # by sorting the pairs
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert want[1].sum() or seed % 10       # most logs have followers who read


@pytest.mark.parametrize("seed", range(20))
def test_summaries_of_random_runs_count_distinct_people_as_sorting_does(seed):
    from sim.distinct import distinct
    from sim.metrics import _distinct_count, summarize

    rng = np.random.default_rng(400 + seed)
    for values in (rng.integers(0, 50, int(rng.integers(0, 200))), rng.integers(-5, 5, 30),
                   rng.integers(0, 2**40, 20)):
        assert _distinct_count(values) == distinct(values).size
    run = random_run(rng, int(rng.integers(0, 400)))
    summary = summarize(run)
    events = run.events[run.events["kind"] == "exposure"]
    assert summary["reach"] == events["person"].nunique()
    for b, brand in enumerate(summary["brands"]):
        assert brand["reach"] == events.loc[events["brand"] == b, "person"].nunique()


def reference_followers_read(run) -> list[int]:
    """Per post (posts table order): its distinct listed readers who followed its brand when it was
    published (at tick 0 or by a follow in an earlier tick, and no unfollow in an earlier tick)."""
    people = run.people["person"].tolist()
    row_of = {p: i for i, p in enumerate(people)}
    n_brands = len(run.brands)
    events = list(run.events.itertuples(index=False))
    result = []
    for post, brand, tick in zip(run.posts["post"], run.posts["brand"], run.posts["tick"]):
        readers = {e.person for e in events if e.kind == "exposure" and e.post == post and e.person in row_of}
        count = 0
        for person in readers:
            if not 0 <= brand < n_brands:
                continue
            start = bool(run.people[f"follows_{brand}"].iloc[row_of[person]])
            followed = any(e.kind == "follow" and e.person == person and e.brand == brand and e.tick < tick
                           for e in events)
            left = any(e.kind == "unfollow" and e.person == person and e.brand == brand and e.tick < tick
                       for e in events)
            count += (start or followed) and not left
        result.append(count)
    return result


@pytest.mark.parametrize("seed", range(25))
def test_followers_who_read_a_post_match_a_plain_loop(seed):
    from sim.metrics import _followers_at_publication

    rng = np.random.default_rng(500 + seed)
    run = random_run(rng, int(rng.integers(0, 300)))
    events = EventArrays.of(run)
    _, read = _followers_at_publication(run, events, len(run.posts), cascade_forest(events))
    assert read.tolist() == reference_followers_read(run)


def reference_followers_reach(run) -> list[int]:
    """Per post (posts table order): distinct listed people, tick-0 followers of the brand of the
    exposure event, whom the brand itself (source -1) showed the post."""
    people = run.people["person"].tolist()
    row_of = {p: i for i, p in enumerate(people)}
    n_brands = len(run.brands)
    reached: dict[int, set] = {}
    for e in run.events.itertuples(index=False):
        if e.kind == "exposure" and e.source == BRAND and e.person in row_of and 0 <= e.brand < n_brands \
                and bool(run.people[f"follows_{e.brand}"].iloc[row_of[e.person]]):
            reached.setdefault(e.post, set()).add(e.person)
    return [len(reached.get(post, ())) for post in run.posts["post"]]


@pytest.mark.parametrize("seed", range(25))
def test_the_post_table_of_random_runs_matches_plain_loops(seed):
    from sim.metrics import post_metrics

    rng = np.random.default_rng(600 + seed)
    run = random_run(rng, int(rng.integers(0, 300)))
    table = post_metrics(run)
    assert table["followers_reach"].tolist() == reference_followers_reach(run)
    assert table["followers_read"].tolist() == reference_followers_read(run)
    exposures = run.events[run.events["kind"] == "exposure"]
    assert table["reach"].tolist() == [exposures.loc[exposures["post"] == p, "person"].nunique()
                                       for p in run.posts["post"]]
