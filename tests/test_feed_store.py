"""The feed's broadcasts and per-person chains give exactly what scanning every waiting item would give."""

from __future__ import annotations

import numpy as np
import pytest

from sim.feed import Feed


class Scan:
    """The reference: every waiting item in one list, in delivery order, scanned at every call."""

    def __init__(self):
        self.items = []         # (person, post, source, arrival)

    def deliver(self, person, post, source, arrival):
        n = len(person)
        post, source, arrival = (np.broadcast_to(v, (n,)) for v in (post, source, arrival))
        self.items += list(zip(person.tolist(), post.tolist(), source.tolist(), arrival.tolist()))

    def people_waiting(self):
        return sorted({p for p, _, _, _ in self.items})

    def take_session(self, readers, session_at):
        readers = set(readers.tolist())
        shown = [i for i in self.items if i[0] in readers and i[3] <= session_at[i[0]]]
        self.items = [i for i in self.items if not (i[0] in readers and i[3] <= session_at[i[0]])]
        return shown

    def forget_older_than(self, time):
        self.items = [i for i in self.items if i[3] >= time]


@pytest.mark.parametrize("seed", range(4))
def test_sessions_get_what_a_scan_of_every_waiting_item_gives(seed):
    rng = np.random.default_rng(seed)
    people = 60
    feed, scan = Feed(people // 2), Scan()       # the feed grows to people it has not seen
    post = 0
    for tick in range(1, 80):
        start = tick - 1.0
        for _ in range(rng.integers(0, 3)):      # a brand post to some people, or a batch of shares
            person = rng.choice(people, size=rng.integers(1, 25), replace=bool(rng.random() < 0.5))
            if rng.random() < 0.5:                 # a brand's post: one arrival, distinct people
                person = np.unique(person) if rng.random() < 0.8 else person   # sorted: kept as a broadcast
                arrival, source = start + rng.random(), -1
            else:
                arrival, source = start + rng.random(person.size), rng.integers(people, size=person.size)
            feed.deliver(person, post, source, arrival)
            scan.deliver(person, post, source, arrival)
            post += 1
        waiting = np.flatnonzero(feed.has_waiting(np.arange(people)))
        assert waiting.tolist() == scan.people_waiting()
        readers = np.sort(rng.choice(people, size=rng.integers(0, people + 1), replace=False))
        session_at = start + rng.random(readers.size)
        at = np.full(people, np.inf)
        at[readers] = session_at
        got = feed.take_session(readers, session_at)
        expected = scan.take_session(readers, at)
        assert (readers[got.reader] == got.person).all()
        got = list(zip(got.person.tolist(), got.post.tolist(), got.source.tolist(), got.arrival.tolist()))
        # the same items, each reader's together (their order within a session is read_session's to rank)
        assert sorted(got) == sorted(expected)
        assert (np.diff(np.searchsorted(readers, [p for p, *_ in got])) >= 0).all()
        if tick % 7 == 0:
            horizon = tick - 10 + rng.random()
            feed.forget_older_than(horizon)
            scan.forget_older_than(horizon)
        assert len(feed) == len(scan.items)
        assert feed.posts_waiting() >= {p for _, p, _, _ in scan.items}


def test_more_brand_posts_than_broadcast_slots_wait_as_single_items():
    from sim.feed import BROADCAST_SLOTS

    feed, scan = Feed(10), Scan()
    posts = BROADCAST_SLOTS + 6
    for post in range(posts):
        person = np.arange(post % 3, 10, 2)
        feed.deliver(person, post, -1, float(post))
        scan.deliver(person, post, -1, float(post))
    assert len(feed) == len(scan.items)
    assert feed.posts_waiting() == set(range(posts))
    readers = np.arange(10)
    got = feed.take_session(readers, np.full(10, posts - 3.5))    # the last three have not arrived
    expected = scan.take_session(readers, np.full(10, posts - 3.5))
    assert sorted(zip(got.person.tolist(), got.post.tolist(), got.source.tolist(), got.arrival.tolist())) \
        == sorted(expected)
    assert len(feed) == len(scan.items) > 0
    assert feed.posts_waiting() == {p for _, p, _, _ in scan.items}
    feed.forget_older_than(float(posts))
    assert len(feed) == 0 and not feed.has_waiting(readers).any()


def test_forgotten_broadcasts_leave_nothing_behind_when_their_slots_are_reused():
    """A broadcast forgotten before everyone took it keeps its bits until its slot is needed again:
    those bits never show an item nor make anyone wait, and a reused slot carries only its new post."""
    from sim.feed import BROADCAST_SLOTS

    rng = np.random.default_rng(7)
    people = 40
    feed, scan = Feed(people), Scan()
    posts = 3 * BROADCAST_SLOTS                  # many more broadcasts than slots, most forgotten unread
    for post in range(posts):
        person = np.unique(rng.choice(people, size=rng.integers(1, people), replace=True))
        feed.deliver(person, post, -1, float(post))
        scan.deliver(person, post, -1, float(post))
        if post % 5 == 4:                        # a few people read now and then
            readers = np.sort(rng.choice(people, size=3, replace=False))
            at = np.full(people, np.inf)
            at[readers] = post + 0.5
            got = feed.take_session(readers, np.full(3, post + 0.5))
            assert sorted(zip(got.person.tolist(), got.post.tolist())) == \
                sorted((p, q) for p, q, _, _ in scan.take_session(readers, at))
        feed.forget_older_than(post - 2.5)      # three posts kept: the older are forgotten, mostly unread
        scan.forget_older_than(post - 2.5)
        assert np.flatnonzero(feed.has_waiting(np.arange(people))).tolist() == scan.people_waiting()
        assert len(feed) == len(scan.items)
    everyone = np.arange(people)
    got = feed.take_session(everyone, np.full(people, float(posts)))
    assert sorted(zip(got.person.tolist(), got.post.tolist())) == \
        sorted((p, q) for p, q, _, _ in scan.take_session(everyone, np.full(people, float(posts))))
    assert not feed.has_waiting(everyone).any()


def test_runs_are_distributed_as_before_feeds_were_chained():
    """Reach, shares and unfollow rate over 10 replications against the numbers the code before
    this change gave (tests/feed_reference.py made the fixture): same distributions."""
    import json

    from feed_reference import FIXTURE, replicate
    from scipy.stats import ks_2samp

    before = json.loads(FIXTURE.read_text())
    now = replicate()
    for key in ("reach", "shares", "unfollow_rate"):
        assert len(now[key]) == len(before[key]) == before["replications"]
        assert ks_2samp(now[key], before[key]).pvalue > 0.01, (key, now[key], before[key])
