"""Sessions booked ahead follow exactly the law of a fresh chance drawn every tick."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from sim.sessions import SessionSchedule, open_hours_per_tick


def first_session_law(chance_per_tick: np.ndarray) -> np.ndarray:
    """P(first session at tick t), t = 1..T, and last the chance of none: independent chances per tick."""
    none_before = np.concatenate([[1.0], np.cumprod(1.0 - chance_per_tick)])
    return np.append(none_before[:-1] * chance_per_tick, none_before[-1])


def booked_ticks(schedule: SessionSchedule, people: int, from_tick: int) -> np.ndarray:
    """Each person's booked tick (ticks + 1: none within the run)."""
    schedule.book(np.arange(people), from_tick=from_tick)
    when = np.full(people, schedule.ticks + 1)
    for tick in range(from_tick, schedule.ticks + 1):
        when[schedule.due(tick)] = tick
    return when


@pytest.mark.parametrize("tick_hours, active_hours, sessions_per_day, from_tick", [
    (1.0, (7.0, 23.0), 4.0, 1),          # every active tick equally open: the geometric path
    (1.0, (7.0, 23.0), 30.0, 9),         # heavy users, chance 1 when 30/16 > 1 per hour
    (1.0, (7.5, 22.25), 4.0, 3),         # ticks open partly at dawn and dusk: the hazard path
    (2.0, (7.0, 22.0), 6.0, 5),
    (0.25, (6.0, 23.0), 2.0, 1),
])
def test_booked_sessions_have_the_law_of_a_chance_every_tick(tick_hours, active_hours, sessions_per_day,
                                                              from_tick):
    ticks = int(3 * 24 / tick_hours)
    open_hours = open_hours_per_tick(ticks, tick_hours, active_hours)
    people = 40_000
    schedule = SessionSchedule(np.full(people, sessions_per_day), open_hours, active_hours[1] - active_hours[0],
                               np.random.default_rng(7))
    when = booked_ticks(schedule, people, from_tick)

    chance = np.minimum(sessions_per_day * open_hours[from_tick:] / (active_hours[1] - active_hours[0]), 1.0)
    law = first_session_law(chance)
    counts = np.bincount(when - from_tick, minlength=law.size)
    likely = law * people >= 5                    # chi-square cells with enough expected counts
    observed = np.append(counts[likely], counts[~likely].sum())
    expected = np.append(law[likely], law[~likely].sum()) * people
    keep = expected > 0
    if keep.sum() == 1:                            # a certain session: everyone at the same tick
        assert (observed[keep] == people).all()
    else:
        assert chisquare(observed[keep], expected[keep] * observed.sum() / expected[keep].sum()).pvalue > 1e-3
    assert counts[:chance.size][chance == 0].sum() == 0          # nobody reads at night


def test_a_poisson_session_law_would_be_told_apart():
    """The check above has power: 1 - exp(-rate) per tick instead of min(rate, 1) fails it."""
    ticks, people, per_day = 48, 40_000, 6.0
    open_hours = open_hours_per_tick(ticks, 1.0, (7.0, 23.0))
    schedule = SessionSchedule(np.full(people, per_day), open_hours, 16.0, np.random.default_rng(8))
    when = booked_ticks(schedule, people, 1)
    wrong = first_session_law(1.0 - np.exp(-per_day * open_hours[1:] / 16.0))
    counts = np.bincount(when - 1, minlength=wrong.size)
    likely = wrong * people >= 5
    observed = np.append(counts[likely], counts[~likely].sum())
    expected = np.append(wrong[likely], wrong[~likely].sum()) * people
    assert chisquare(observed, expected * observed.sum() / expected.sum()).pvalue < 1e-6


def test_booking_twice_keeps_the_first_session_and_due_unbooks():
    open_hours = open_hours_per_tick(48, 1.0, (0.0, 24.0))
    schedule = SessionSchedule(np.full(10, 24.0), open_hours, 24.0, np.random.default_rng(1))   # certain each hour
    schedule.book(np.arange(5), from_tick=3)
    schedule.book(np.arange(10), from_tick=6)        # 0..4 are booked at tick 3 already
    assert schedule.due(3).tolist() == [0, 1, 2, 3, 4]
    assert schedule.due(6).tolist() == [5, 6, 7, 8, 9]
    assert not schedule.booked.any()
    assert schedule.due(7).size == 0
    schedule.book(np.array([2]), from_tick=48)
    assert schedule.due(48).tolist() == [2]


def test_sessions_after_the_end_of_the_run_are_not_kept():
    open_hours = open_hours_per_tick(10, 1.0, (7.0, 23.0))      # ticks 1..7 are night (hours 0-6)
    schedule = SessionSchedule(np.full(100, 0.01), open_hours, 16.0, np.random.default_rng(2))
    schedule.book(np.arange(100), from_tick=1)
    due = np.concatenate([schedule.due(t) for t in range(1, 11)])
    assert set(due.tolist()) <= set(range(100)) and due.size < 5
    assert all(schedule.due(t).size == 0 for t in range(1, 8))


def test_open_hours_count_the_part_of_each_tick_inside_the_day():
    hours = open_hours_per_tick(24, 2.0, (7.5, 22.0))      # ticks of 2 h: 0-2, 2-4, ..., 22-24 (two days)
    assert hours[0] == 0
    assert hours[1:13].tolist() == [0, 0, 0, 0.5, 2, 2, 2, 2, 2, 2, 2, 0]
    assert hours[13:].tolist() == hours[1:13].tolist()


def test_the_calendar_loses_and_repeats_nobody_over_many_bookings():
    """Bookings and readings interleaved, ticks of many blocks: each booking is due once, or still booked."""
    ticks, people = 60, 20_000
    open_hours = open_hours_per_tick(ticks, 1.0, (7.0, 23.0))
    schedule = SessionSchedule(np.full(people, 8.0), open_hours, 16.0, np.random.default_rng(3))
    choose = np.random.default_rng(4)
    bookings = np.zeros(people, dtype=int)
    readings = np.zeros(people, dtype=int)
    for tick in range(1, ticks + 1):
        asked = np.flatnonzero(choose.random(people) < 0.3)
        bookings[asked[~schedule.booked[asked]]] += 1
        schedule.book(asked, from_tick=tick)
        due = schedule.due(tick)
        assert np.all(np.diff(due) > 0)                      # sorted, each once
        readings[due] += 1
        assert not schedule.booked[due].any()
    assert readings.sum() > 3 * schedule._blocks.size       # every block went round the free list, and again
    assert np.array_equal(bookings, readings + schedule.booked)


def test_a_certain_session_booked_after_the_last_active_tick_never_comes():
    """A heavy user's chance per tick is 1 (ln(1 - 1) = -inf): booked from a tick past the run's last
    active one, their session is never, not a tick read from beyond the calendar's end."""
    open_hours = open_hours_per_tick(48, 1.0, (8.0, 22.0))
    schedule = SessionSchedule(np.array([1e6, 4.0]), open_hours, 14.0, np.random.default_rng(0))
    last_active = int(np.flatnonzero(open_hours > 0)[-1])
    schedule.book(np.array([0, 1]), from_tick=last_active + 1)
    assert all(schedule.due(t).size == 0 for t in range(49))
    schedule = SessionSchedule(np.array([1e6, 4.0]), open_hours, 14.0, np.random.default_rng(0))
    schedule.book(np.array([0]), from_tick=1)            # and from the start: the first active tick
    first_active = int(np.flatnonzero(open_hours > 0)[0])
    assert schedule.due(first_active).tolist() == [0]
