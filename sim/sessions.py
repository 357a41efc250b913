"""When people open their feeds: sessions booked ahead, so a tick touches only its readers.

A person opens their feed in a tick with chance
``min(sessions_per_day * open_hours / active_hours_per_day, 1)``, where
``open_hours`` is the part of the tick inside the active hours (ticks that
straddle the start or the end of the day count partly; night ticks not at
all), each tick independently. Only people with something waiting in their
feed can do anything in a session, so only they need a session at all.

Rather than drawing that chance for everyone waiting, tick after tick (a
cost that follows the population, not the activity), the schedule draws
each person's *next* session once, when their feed stops being empty, from
the same law: the first success of independent chances is geometric over
the active ticks (when every active tick is open equally long), and in
general the first tick whose cumulative hazard ``-ln(1 - chance)`` exceeds
an exponential draw. Both give exactly the distribution of tick-by-tick
draws; chances are memoryless, so booking when the first item arrives and
drawing afresh every tick are the same process.
"""

from __future__ import annotations

import numpy as np

NEVER = np.iinfo(np.int64).max
"""The tick of a session that falls after the run's end."""

CERTAIN_HAZARD = 50.0
"""Hazard of a tick whose chance is 1 (``-ln 0``), capped: ``exp(-50)`` is 2e-22, never drawn."""


def open_hours_per_tick(ticks: int, tick_hours: float, active_hours: tuple[float, float]) -> np.ndarray:
    """Hours of each tick (1..ticks, index 0 unused) inside the daily active hours."""
    start, end = active_hours
    tick_start = (np.arange(ticks + 1) - 1) * tick_hours % 24.0
    hours = np.clip(np.minimum(tick_start + tick_hours, end) - np.maximum(tick_start, start), 0.0, None)
    hours[0] = 0.0
    return hours


class SessionSchedule:
    """Each person's next session tick, booked when they get something to read.

    Args:
        sessions_per_day: per person, sessions a day (during the active hours).
        open_hours: per tick (1..ticks, index 0 unused), hours inside the
            active hours (:func:`open_hours_per_tick`).
        active_hours_per_day: length of the active part of a day (hours).
        rng: the model's generator (every draw comes from it).
    """

    def __init__(self, sessions_per_day: np.ndarray, open_hours: np.ndarray, active_hours_per_day: float,
                 rng: np.random.Generator) -> None:
        self.rng = rng
        self.per_open_hour = np.asarray(sessions_per_day, dtype=float) / active_hours_per_day
        self.open_hours = open_hours
        self.ticks = open_hours.size - 1
        self.booked = np.zeros(self.per_open_hour.size, dtype=bool)
        self._due: dict[int, list[np.ndarray]] = {}
        self._active = np.flatnonzero(open_hours > 0)               # ticks with any open hour
        self._kinds = np.unique(open_hours[self._active])           # distinct open lengths (usually one)
        # per kind of tick, how many of ticks 1..t are of that kind (for cumulative hazards)
        self._count_to = np.stack([np.cumsum(open_hours == k) for k in self._kinds]) if self._kinds.size else None

    def chance(self, people: np.ndarray, tick: int) -> np.ndarray:
        """Chance that each of ``people`` opens their feed in ``tick``."""
        return np.minimum(self.per_open_hour[people] * self.open_hours[tick], 1.0)

    def book(self, people: np.ndarray, from_tick: int) -> None:
        """Draw the next session, at ``from_tick`` or later, of those of ``people`` not booked yet.

        ``people`` must be distinct.
        """
        people = np.asarray(people, dtype=np.int64)
        people = people[~self.booked[people]]
        if people.size == 0 or self._kinds.size == 0:
            return
        self.booked[people] = True
        if self._kinds.size == 1:
            at = self._geometric(people, from_tick)
        else:
            at = self._by_hazard(people, from_tick)
        soon = at <= self.ticks
        for tick, group in _split_by(at[soon], people[soon]):
            self._due.setdefault(tick, []).append(group)

    def _geometric(self, people: np.ndarray, from_tick: int) -> np.ndarray:
        """Every active tick equally open: the session is the n-th active tick, n geometric."""
        chance = np.minimum(self.per_open_hour[people] * self._kinds[0], 1.0)
        nth = self.rng.geometric(chance)
        position = np.searchsorted(self._active, from_tick) + nth - 1
        return np.where(position < self._active.size, self._active[np.minimum(position, self._active.size - 1)],
                        NEVER)

    def _by_hazard(self, people: np.ndarray, from_tick: int) -> np.ndarray:
        """Ticks of different open lengths: the first tick whose cumulative hazard passes an Exp(1) draw."""
        chance = np.minimum(self.per_open_hour[people][:, None] * self._kinds[None, :], 1.0)
        hazard = np.where(chance < 1.0, -np.log1p(-np.minimum(chance, 1.0 - 1e-300)), CERTAIN_HAZARD)

        def cumulative(tick: np.ndarray) -> np.ndarray:     # hazard of ticks 1..tick, per person
            return (hazard * self._count_to[:, tick].T).sum(axis=1)

        budget = cumulative(np.full(people.size, from_tick - 1)) + self.rng.exponential(size=people.size)
        low = np.full(people.size, from_tick - 1)            # cumulative(low) <= budget
        high = np.full(people.size, self.ticks + 1)          # a tick past the end: never
        while np.any(high - low > 1):
            middle = (low + high) // 2
            passed = cumulative(np.minimum(middle, self.ticks)) > budget
            passed |= middle > self.ticks
            high = np.where(passed, middle, high)
            low = np.where(passed, low, middle)
        return np.where(high <= self.ticks, high, NEVER)

    def due(self, tick: int) -> np.ndarray:
        """The people whose session falls in ``tick`` (sorted); they are no longer booked."""
        groups = self._due.pop(tick, [])
        if not groups:
            return np.empty(0, dtype=np.int64)
        people = np.sort(np.concatenate(groups))
        self.booked[people] = False
        return people


def _split_by(tick: np.ndarray, people: np.ndarray):
    """(tick, people of that tick) pairs, each tick once."""
    if tick.size == 0:
        return
    offset = tick - tick.min()
    if offset.max() < 2 ** 15:
        offset = offset.astype(np.int16)       # a stable sort of 16-bit keys is a radix sort: linear
    order = np.argsort(offset, kind="stable")
    tick, people = tick[order], people[order]
    cuts = (np.flatnonzero(tick[1:] != tick[:-1]) + 1).tolist()
    for start, end in zip([0] + cuts, cuts + [tick.size]):
        yield int(tick[start]), people[start:end]
