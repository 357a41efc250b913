"""What a session touches of its reader sits in one row (sim.feed.ReadingHabits): the feed's waiting
word, the session calendar's booked flag and chance of no session, the hidden flags. The parts that
own them keep them there, and behave exactly as with arrays of their own."""

from __future__ import annotations

import numpy as np
import pytest

from sim.feed import CACHE_LINE, Feed, ReadingHabits
from sim.followers import Followers
from sim.model import SharingModel
from sim.sessions import SessionSchedule, open_hours_per_tick
from tests.conftest import small_scenario


def habits_of(people: int, brands: int, seed: int = 0) -> ReadingHabits:
    rng = np.random.default_rng(seed)
    return ReadingHabits(rng.uniform(1, 9, people), rng.integers(1, 12, people), rng.random(people), 16.0,
                         rng.random((people, brands)).astype(np.float32))


@pytest.mark.parametrize("brands", [1, 3, 8])
def test_each_part_is_a_view_of_its_persons_row(brands):
    habits = habits_of(50, brands)
    row_bytes = habits.table.strides[0]
    assert row_bytes % CACHE_LINE == 0 and habits.table.ctypes.data % CACHE_LINE == 0
    if brands == 1:
        assert row_bytes == CACHE_LINE           # one brand: the whole row is one cache line
    parts = {"waiting": habits.waiting, "no_session_log": habits.no_session_log, "booked": habits.booked,
             "hidden": habits.hidden, "log_affinity": habits.log_affinity, "session_at": habits.session_at}
    assert habits.hidden.shape == (50, brands) and habits.booked.shape == (50,)
    before = {name: part.copy() for name, part in parts.items()}
    for name, part in parts.items():               # each lies inside its person's row ...
        start = part.ctypes.data - habits.table.ctypes.data
        assert 0 <= start < row_bytes and part.strides[0] == row_bytes, name
    habits.waiting[7] = np.uint64(2**63 + 5)         # ... and none overlaps another
    habits.no_session_log[7] = -0.25
    habits.booked[7] = True
    habits.hidden[7] = True
    assert habits.waiting[7] == 2**63 + 5 and habits.no_session_log[7] == -0.25
    assert habits.booked[7] and habits.hidden[7].all()
    for name in ("log_affinity", "session_at"):
        np.testing.assert_array_equal(parts[name], before[name])
    others = np.arange(50) != 7
    for name in ("waiting", "no_session_log", "booked", "hidden"):
        np.testing.assert_array_equal(parts[name][others], before[name][others])


def test_a_feed_keeps_its_words_where_it_is_told_and_cannot_grow_past_them():
    habits = habits_of(20, 2)
    habits.waiting[:] = 99                            # whatever was there is cleared
    feed = Feed(20, waiting=habits.waiting)
    assert not feed.has_waiting(np.arange(20)).any()
    feed.deliver(np.array([3, 8, 15]), post=0, source=-1, arrival=1.0)
    assert np.flatnonzero(habits.waiting).tolist() == [3, 8, 15]
    with pytest.raises(ValueError, match="beyond the 20 people"):
        feed.deliver(np.array([25]), post=1, source=-1, arrival=2.0)
    with pytest.raises(ValueError, match="uint64"):
        Feed(20, waiting=np.zeros(20, np.int64))


def test_a_schedule_keeping_its_flags_in_the_rows_draws_the_same_sessions():
    people, ticks = 300, 96
    open_hours = open_hours_per_tick(ticks, 1.0, (7.0, 23.0))
    per_day = np.random.default_rng(4).uniform(0.5, 30, people)
    habits = habits_of(people, 1)
    apart = SessionSchedule(per_day, open_hours, 16.0, np.random.default_rng(9))
    in_rows = SessionSchedule(per_day, open_hours, 16.0, np.random.default_rng(9), booked=habits.booked,
                              no_session_log=habits.no_session_log)
    np.testing.assert_array_equal(habits.no_session_log, apart._log_no_session)
    rng = np.random.default_rng(1)
    for tick in range(1, ticks + 1):
        arriving = np.unique(rng.integers(0, people, 40))
        apart.book(arriving, tick)
        in_rows.book(arriving, tick)
        np.testing.assert_array_equal(habits.booked, apart.booked)
        np.testing.assert_array_equal(in_rows.due(tick), apart.due(tick))


def test_followers_move_their_hidden_flags_and_keep_changing_them_there():
    from sim.scenario import Fatigue

    followers = Followers(10, 2, Fatigue())
    followers.follow(np.arange(10), 0)
    followers.hide(np.array([2, 4]), np.array([0, 0]))
    habits = habits_of(10, 2)
    followers.keep_hidden_in(habits.hidden)
    assert np.flatnonzero(habits.hidden[:, 0]).tolist() == [2, 4]      # what was hidden moved along
    followers.hide(np.array([6]), np.array([0]))
    assert np.flatnonzero(habits.hidden[:, 0]).tolist() == [2, 4, 6]
    assert np.shares_memory(followers.hidden, habits.table) and not followers.hidden.flags.writeable
    assert followers.audience(0).tolist() == [0, 1, 3, 5, 7, 8, 9]
    with pytest.raises(ValueError, match="bools"):
        followers.keep_hidden_in(np.zeros((10, 3), bool))


def test_the_model_keeps_each_part_in_the_rows():
    model = SharingModel(small_scenario(population__size=2_000, duration_days=3,
                                        brands__0__campaign__posts_per_day=12))   # enough to tire some
    table = model.habits.table
    for part in (model.feed._pending, model.sessions.booked, model.sessions._log_no_session,
                 model.followers.hidden):
        assert np.shares_memory(part, table)
    model.run()
    blind = int(model.datacollector.get_model_vars_dataframe()["blind"].sum())
    assert blind > 0 and int(model.followers.hidden.sum()) == blind     # each hide logged, kept in the rows
