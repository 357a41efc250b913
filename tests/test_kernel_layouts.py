"""The compiled loops declare the arrays they are handed as contiguous (``int32[::1]``: indexed
without a stride), so the methods that call them must make a caller's array contiguous first.

Each test hands a method a strided view (every other element of a larger array) and checks that
the answer is the one the same values give in a contiguous array. Without the method's
``np.ascontiguousarray``, numba finds no matching signature and raises a TypeError.
"""

from __future__ import annotations

import numpy as np

from sim.feed import Feed
from sim.followers import Followers
from sim.model import SharingModel
from sim.sessions import SessionSchedule, open_hours_per_tick
from tests.conftest import small_scenario


def every_other(values, dtype) -> np.ndarray:
    """``values`` as a strided view: every other element of an array twice as long."""
    values = np.asarray(values, dtype=dtype)
    spread = np.zeros(2 * values.size, dtype=dtype)
    spread[::2] = values
    view = spread[::2]
    assert not view.flags.c_contiguous or view.size <= 1
    return view


def test_a_feed_takes_a_strided_audience_and_strided_single_items():
    feed = Feed(10)
    feed.deliver(every_other([1, 4, 7], np.int32), 0, -1, 0.5)            # a broadcast (one post, one source)
    feed.deliver(every_other([2, 4, 2], np.int32), every_other([1, 2, 3], np.int32), 5, 1.0)   # single items
    items = feed.take_session(np.array([1, 2, 4, 7]), np.full(4, 2.0))
    taken = sorted(zip(items.person.tolist(), items.post.tolist()))
    assert taken == [(1, 0), (2, 1), (2, 3), (4, 0), (4, 2), (7, 0)]
    assert len(feed) == 0


def test_the_session_calendar_books_a_strided_list_of_people():
    people = 50
    open_hours = open_hours_per_tick(48, 1.0, (7.0, 23.0))
    strided = SessionSchedule(np.full(people, 4.0), open_hours, 16.0, np.random.default_rng(3))
    plain = SessionSchedule(np.full(people, 4.0), open_hours, 16.0, np.random.default_rng(3))
    chosen = np.arange(0, people, 3)
    strided.book(every_other(chosen, np.int64), from_tick=1)
    plain.book(chosen.copy(), from_tick=1)
    assert [strided.due(t).tolist() for t in range(49)] == [plain.due(t).tolist() for t in range(49)]
    assert sum(len(plain.due(t)) for t in range(49)) == 0 and strided.booked.sum() == 0


def test_fatigue_is_added_from_strided_readings():
    rules = small_scenario().fatigue
    readings = ([0, 1, 0, 2], [0, 0, 0, 0], [0.5, 0.25, 0.75, 9.0], [1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0])
    dtypes = (np.int32, np.int64, float, float, float)
    tired = []
    for arrays in ([np.array(v, dtype=d) for v, d in zip(readings, dtypes)],
                   [every_other(v, d) for v, d in zip(readings, dtypes)]):
        followers = Followers(3, 1, rules)
        followers.follow([0, 1, 2], 0)
        followers.tire(*arrays, np.random.default_rng(1))
        tired.append(followers.fatigue.copy())
    assert tired[0][0, 0] > 0 and np.array_equal(tired[0], tired[1])


def test_relevance_takes_strided_readers_and_posts():
    model = SharingModel(small_scenario(), seed=4)
    model.run()
    person, post = np.array([0, 3, 5, 8], dtype=np.int32), np.zeros(4, dtype=np.int32)
    assert np.array_equal(model.relevance(every_other(person, np.int32), every_other(post, np.int32)),
                          model.relevance(person.copy(), post.copy()))
