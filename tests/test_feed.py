"""Feeds with limited attention: ranked or newest first, at most the attention span, buried by the background."""

from __future__ import annotations

import numpy as np
import pytest

from sim.feed import Background, Items, Ranking, ReadingHabits, background_above, read_session

CHRONOLOGICAL = Ranking("chronological")
ENGAGEMENT = Ranking("engagement", score_half_life_hours=0.5)


def items(person, arrival, source=None):
    person = np.asarray(person, dtype=np.int32)
    return Items(person, np.arange(person.size, dtype=np.int32),
                 np.full(person.size, -1, np.int32) if source is None else np.asarray(source, np.int32),
                 np.asarray(arrival, dtype=float), reader=person.astype(np.int64))   # reader i is person i


def read(feed, at, span=20, score=1.0, rate=30.0, ranking=CHRONOLOGICAL, last=None, seed=0):
    people = int(feed.person.max()) + 1
    at = np.broadcast_to(np.asarray(at, dtype=float), (people,))
    last = np.zeros(people) if last is None else np.broadcast_to(np.asarray(last, dtype=float), (people,))
    return read_session(feed, at, last, np.full(people, span), np.full(people, rate),
                        np.broadcast_to(score, (len(feed),)).astype(float), Background(rate), ranking,
                        np.random.default_rng(seed))


def test_without_background_the_newest_items_up_to_the_span_are_read():
    feed = items([0, 0, 0, 0, 1], [1.0, 4.0, 2.0, 3.0, 1.0])
    assert read(feed, 5.0, span=2, rate=0.0).tolist() == [False, True, False, True, True]


def test_chronological_background_buries_older_items():
    n = 20_000
    feed = items(np.arange(n), np.zeros(n))
    for age, expected_share in [(0.5, 1.0), (2.0, 0.0)]:
        # Poisson(15) < 20 for most; Poisson(60) < 20 for nobody
        assert read(feed, age, seed=1).mean() == pytest.approx(expected_share, abs=0.15)


def test_friends_shares_sink_more_slowly():
    n = 20_000
    feed = items(np.arange(n), np.zeros(n))
    assert read(feed, 1.0, score=3.0, seed=2).mean() > read(feed, 1.0, score=1.0, seed=2).mean() + 0.5


def test_engagement_ranking_keeps_high_scores_visible_and_buries_low_ones():
    n = 20_000
    feed = items(np.arange(n), np.zeros(n))
    shares = [read(feed, 1.5, score=s, ranking=ENGAGEMENT, last=-2.0, seed=3).mean() for s in (0.1, 1.0, 30.0)]
    assert shares[0] < shares[1] < shares[2]
    assert shares[2] > 0.9 and shares[0] < 0.1


def test_background_above_matches_a_simulation_of_competing_items():
    """rate * tau * (E1(s e^(-age/tau)) - E1(s e^(unseen/tau))): count, by simulation, the background
    items (Poisson arrivals, exponential scores of mean 1, all decaying with tau) that outrank ours."""
    rng = np.random.default_rng(4)
    rate, tau, score, age, unseen = 30.0, ENGAGEMENT.time_scale, 2.0, 0.7, 1.5
    counts = []
    for _ in range(4000):
        arrivals = rng.uniform(-unseen, age, rng.poisson(rate * (age + unseen)))   # hours after our item
        scores = rng.exponential(1.0, arrivals.size)
        counts.append(np.count_nonzero(scores * np.exp(-(age - arrivals) / tau) > score * np.exp(-age / tau)))
    expected = background_above(np.array([age]), np.array([unseen]), np.array([score]), np.array([rate]), ENGAGEMENT)
    assert np.mean(counts) == pytest.approx(expected[0], rel=0.03)
    chronological = background_above(np.array([age]), np.array([unseen]), np.array([1.0]), np.array([rate]),
                                     CHRONOLOGICAL)
    assert chronological[0] == pytest.approx(rate * age)


def test_background_is_slower_at_night():
    background = Background(30.0, active_hours=(7.0, 23.0), at_night=0.25)
    assert background.expected(np.array([10.0]), np.array([12.0]))[0] == pytest.approx(60.0)
    assert background.expected(np.array([1.0]), np.array([5.0]))[0] == pytest.approx(30.0)
    # 22:00 to 8:00 next day: 1 h by day, 8 h of night, 1 h by day
    assert background.expected(np.array([22.0]), np.array([32.0]))[0] == pytest.approx(30 + 60 + 30)


def test_tabulated_laws_match_scipy():
    """The tables read at uniform steps: E1 within 1e-6 absolute and 1e-4 relative where it is above
    1e-3, P(Poisson < span) within 5e-5."""
    from scipy import special

    from sim.feed import _exp1_of_log, chance_fewer_than

    log_x = np.linspace(-25.0, 6.0, 20_001)
    exact = special.exp1(np.exp(log_x))
    error = np.abs(_exp1_of_log(log_x) - exact)
    assert error.max() < 1e-6
    assert (error / exact)[exact > 1e-3].max() < 1e-4
    for span in (1, 3, 20, 150):
        expected = np.linspace(0.0, 3.0 * span + 60.0, 30_001)
        assert np.abs(chance_fewer_than(span, expected) - special.pdtr(span - 1, expected)).max() < 5e-5


def test_a_lone_item_is_read_with_the_chance_that_fewer_than_the_span_outrank_it():
    """One brand item in a session: read when Poisson(background above) < span, by a single draw."""
    from scipy import special

    n, span, rate, age = 100_000, 20, 30.0, 0.6          # chronological: rate * age = 18 items above
    feed = items(np.arange(n), np.zeros(n))
    share = read(feed, age, span=span, rate=rate, seed=5).mean()
    assert share == pytest.approx(special.pdtr(span - 1, rate * age), abs=0.006)


def test_an_item_buried_anyway_does_not_change_what_is_read_above_it():
    """Sessions of two items where the second is far down: the first is read as if alone."""
    from scipy import special

    n = 60_000
    person = np.repeat(np.arange(n), 2)
    arrival = np.tile([0.5, -10.0], n)                   # ages 0.5 h (15 above) and 11 h (330 above)
    shares = read(items(person, arrival), 1.0, span=20, rate=30.0, seed=6).reshape(n, 2).mean(axis=0)
    assert shares[1] == 0.0
    assert shares[0] == pytest.approx(special.pdtr(19, 15.0), abs=0.008)


@pytest.mark.parametrize("brands", [1, 4, 5])
def test_reading_habits_keep_each_person_in_whole_cache_lines_with_their_affinity(brands):
    rng = np.random.default_rng(brands)
    affinity = rng.lognormal(0.0, 1.0, (1000, brands)).astype(np.float32)
    habits = ReadingHabits(rng.uniform(1, 9, 1000), np.full(1000, 3), rng.random(1000), 16.0, affinity)
    table = habits.table
    assert table.ctypes.data % 64 == 0 and table.strides[0] == table.shape[1] * 8     # every row starts a line,
    assert table.shape[1] % 8 == 0 and table.shape[1] >= 4 + brands                 # and fills whole lines
    np.testing.assert_array_equal(habits.log_affinity, np.log(affinity.astype(np.float64)))   # kept as logarithms
    assert not np.shares_memory(habits.log_affinity, affinity)
