"""The model's one-pass sessions (Feed.open_sessions) give exactly what the separate pieces give.

The pieces, one after another as the model used them before: place the
sessions, ``Feed.take_session``, ``Feed.has_waiting``, each item's score and
visibility, ``read_session``. The same draws must give the same items, in
the same order, the same readings per reader and leave the generator and
the feed in the same state.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.events import BRAND
from sim.feed import (Background, Feed, PageScores, Ranking, ReadingHabits, SessionTimes, background_above,
                      chance_fewer_than, read_session)

PEOPLE, BRANDS, AWAKE_HOURS = 50, 2, 16.0


def separate_pieces(feed, readers, times, sessions_per_day, span, rate, affinity, pages, background, ranking, rng):
    """The session step as separate pieces: (items shown, read mask, waiting per reader, session times,
    items hidden, each shown item's chance of being read alone)."""
    at = times.opens + times.uniform * times.open_hours
    since = at - times.exponential * (AWAKE_HOURS / sessions_per_day[readers])
    shown = feed.take_session(readers, at)
    waiting = feed.has_waiting(readers)
    brand = pages.post_brand[shown.post]
    page = shown.source == BRAND
    score = np.where(page, affinity[shown.person, brand] * pages.lift[shown.post],
                     pages.friend_priority * pages.lift[shown.post])
    visible = ~(page & pages.hidden[shown.person, brand])
    shown, score = shown.subset(visible), score[visible]
    read = read_session(shown, at, since, span[readers], rate[readers], score, background, ranking, rng)
    j = shown.reader           # the chance, from the public formulas (in background hours)
    arrived = background.weighted_hours(shown.arrival)
    age = np.maximum(background.weighted_hours(at)[j] - arrived, 0.0)
    unseen = np.maximum(arrived - background.weighted_hours(since)[j], 0.0)
    expected = background_above(age, unseen, score, rate[readers][j], ranking)
    chance = np.array([chance_fewer_than(int(span[readers][r]), e) for r, e in zip(j, expected)])
    return shown, read, waiting, at, int(np.count_nonzero(~visible)), chance


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["engagement", "chronological"])
def test_one_pass_sessions_read_what_the_separate_pieces_read(seed, kind):
    rng = np.random.default_rng(seed)
    sessions_per_day = rng.uniform(0.5, 20.0, PEOPLE)
    span = rng.choice([1, 2, 3, 5, 20], size=PEOPLE)
    rate = rng.uniform(0.0, 30.0, PEOPLE)
    affinity = rng.lognormal(0.0, 1.0, (PEOPLE, BRANDS)).astype(np.float32)
    hidden = rng.random((PEOPLE, BRANDS)) < 0.3
    habits = ReadingHabits(sessions_per_day, span, rate, AWAKE_HOURS, affinity)
    background = Background(rate.mean(), (7.0, 23.0), 0.3)
    ranking = Ranking(kind, 0.5)
    pieces, fused = Feed(PEOPLE), Feed(PEOPLE)
    pieces_rng, fused_rng = np.random.default_rng(100 + seed), np.random.default_rng(100 + seed)
    post_brand, engagement = np.empty(0, np.int16), np.empty(0)
    shown_any = read_any = dropped = 0
    for tick in range(1, 70):
        start = tick - 1.0
        for _ in range(rng.integers(0, 4)):     # a brand's post to its audience, or a batch of shares
            post = post_brand.size
            post_brand = np.append(post_brand, np.int16(rng.integers(BRANDS)))
            engagement = np.append(engagement, rng.integers(0, 5))
            person = rng.choice(PEOPLE, size=rng.integers(1, 30), replace=bool(rng.random() < 0.5))
            if rng.random() < 0.6:
                person = np.unique(person) if rng.random() < 0.8 else person
                arrival, source = start + rng.random(), BRAND
            else:
                arrival, source = start + rng.random(person.size), rng.integers(PEOPLE, size=person.size)
            for feed in (pieces, fused):
                feed.deliver(person, post, source, arrival)
        pages = PageScores(post_brand, (1.0 + engagement) ** 0.7, hidden, 1.5)
        readers = np.sort(rng.choice(PEOPLE, size=rng.integers(0, PEOPLE + 1), replace=False))
        times = SessionTimes(start, 1.0, rng.random(readers.size), rng.standard_exponential(readers.size))

        shown, read, waiting, at, hidden_now, chance = separate_pieces(pieces, readers, times, sessions_per_day, span,
                                                                       rate, affinity, pages, background, ranking,
                                                                       pieces_rng)
        opened = fused.open_sessions(readers, times, habits, pages, background, ranking)
        fused_read = opened.read(fused_rng)

        np.testing.assert_array_equal(habits.session_at[readers], at)
        np.testing.assert_array_equal(opened.waiting, waiting)
        for field in ("person", "post", "source", "arrival", "reader"):      # the same items, in the same order
            np.testing.assert_array_equal(getattr(opened.items, field), getattr(shown, field), err_msg=field)
        np.testing.assert_allclose(opened.chance, chance, rtol=1e-9, atol=1e-15)
        np.testing.assert_array_equal(fused_read, read)
        for j in range(readers.size):            # what each reader read
            mine = opened.items.reader == j
            assert sorted(opened.items.post[mine & fused_read].tolist()) == sorted(shown.post[(shown.reader == j)
                                                                                               & read].tolist())
        assert fused_rng.bit_generator.state == pieces_rng.bit_generator.state
        assert len(fused) == len(pieces)
        np.testing.assert_array_equal(fused.has_waiting(np.arange(PEOPLE)), pieces.has_waiting(np.arange(PEOPLE)))
        shown_any += len(shown)
        read_any += int(read.sum())
        dropped += hidden_now
        forget = tick - 6.0
        pieces.forget_older_than(forget)
        fused.forget_older_than(forget)
        assert fused.posts_waiting() == pieces.posts_waiting()
    assert shown_any > 100 and 0 < read_any < shown_any and dropped > 10     # the case is not empty


def test_one_pass_sessions_refuse_a_reader_beyond_the_arrays():
    habits = ReadingHabits(np.ones(3), np.ones(3, np.int64), np.ones(3), 16.0, np.ones((3, 1), np.float32))
    pages = PageScores(np.zeros(1, np.int16), np.ones(1), np.zeros((3, 1), bool), 1.0)
    with pytest.raises(ValueError, match="beyond"):
        Feed(3).open_sessions(np.array([0, 3]), SessionTimes(0.0, 1.0, np.zeros(2), np.zeros(2)), habits, pages,
                              Background(1.0), Ranking())

