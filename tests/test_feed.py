"""Feeds with limited attention: newest first, at most the attention span, buried by the background."""

from __future__ import annotations

import numpy as np
import pytest

from sim.feed import Background, Items, read_newest_first


def items(person, arrival, source=None):
    person = np.asarray(person, dtype=np.int32)
    return Items(person, np.arange(person.size, dtype=np.int32),
                 np.full(person.size, -1, np.int32) if source is None else np.asarray(source, np.int32),
                 np.asarray(arrival, dtype=float))


def test_without_background_the_newest_items_up_to_the_span_are_read():
    feed = items([0, 0, 0, 0, 1], [1.0, 4.0, 2.0, 3.0, 1.0])
    read = read_newest_first(feed, session_at=np.array([5.0, 5.0]), attention_span=np.array([2, 2]),
                             background=Background(0.0), rng=np.random.default_rng(0))
    assert read.tolist() == [False, True, False, True, True]


def test_background_buries_older_items():
    rng = np.random.default_rng(1)
    n = 20_000
    feed = items(np.arange(n), np.zeros(n))
    for age, expected_share in [(0.5, 1.0), (2.0, 0.0)]:
        read = read_newest_first(feed, np.full(n, age), np.full(n, 20), Background(30.0), rng)
        # Poisson(15) < 20 for most; Poisson(60) < 20 for nobody
        assert read.mean() == pytest.approx(expected_share, abs=0.15)


def test_friends_shares_sink_more_slowly():
    rng = np.random.default_rng(2)
    n = 20_000
    brand = items(np.arange(n), np.zeros(n))
    friend = items(np.arange(n), np.zeros(n), source=np.zeros(n))
    now, span = np.full(n, 1.0), np.full(n, 20)
    assert (read_newest_first(friend, now, span, Background(30.0), rng, friend_priority=3).mean()
            > read_newest_first(brand, now, span, Background(30.0), rng, friend_priority=3).mean() + 0.5)


def test_background_is_slower_at_night():
    background = Background(30.0, active_hours=(7.0, 23.0), at_night=0.25)
    assert background.expected(np.array([10.0]), np.array([12.0]))[0] == pytest.approx(60.0)
    assert background.expected(np.array([1.0]), np.array([5.0]))[0] == pytest.approx(30.0)
    # 22:00 to 8:00 next day: 1 h by day, 8 h of night, 1 h by day
    assert background.expected(np.array([22.0]), np.array([32.0]))[0] == pytest.approx(30 + 60 + 30)
