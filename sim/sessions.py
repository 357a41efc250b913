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

The booked sessions are kept in a calendar: per tick, a chain of blocks of
people (:data:`BLOCK` to a block) whose session falls in that tick. Booking
appends to the tick's newest block; a tick's readers are its blocks read
out, and the blocks go back to a common free list. Compiled loops
(:func:`_claim`, :func:`_nth_active_tick`, :func:`_enter`, :func:`_take`,
:func:`_unbook`) do this bookkeeping, one pass over the people each; the
draws stay NumPy draws from the model's generator.
"""

from __future__ import annotations

import numba
import numpy as np

from .prefetch import LOOKAHEAD, prefetch

NEVER = np.iinfo(np.int64).max
"""The tick of a session that falls after the run's end."""

CERTAIN_HAZARD = 50.0
"""Hazard of a tick whose chance is 1 (``-ln 0``), capped: ``exp(-50)`` is 2e-22, never drawn."""

BLOCK = 256
"""People to a block of the session calendar (a tick's readers fill whole blocks but its newest)."""

NO_BLOCK = -1
"""End of a chain of blocks (a tick with nobody booked, or the end of the free list)."""


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
        booked, no_session_log: where to keep, per person, whether their next
            session is booked (bools) and ``ln(1 - chance)`` of a session in an
            active tick (floats): views of the rows a session reads
            (:class:`sim.feed.ReadingHabits`), or None for arrays of their own.
    """

    def __init__(self, sessions_per_day: np.ndarray, open_hours: np.ndarray, active_hours_per_day: float,
                 rng: np.random.Generator, booked: np.ndarray | None = None,
                 no_session_log: np.ndarray | None = None) -> None:
        self.rng = rng
        self.per_open_hour = np.asarray(sessions_per_day, dtype=float) / active_hours_per_day
        self.open_hours = open_hours
        self.ticks = open_hours.size - 1
        population = self.per_open_hour.size
        if booked is None:
            booked = np.zeros(population, dtype=bool)
        else:
            booked[:] = False                 # (a fresh array is zeroed already)
        self.booked = booked
        self._active = np.flatnonzero(open_hours > 0)               # ticks with any open hour
        self._kinds = np.unique(open_hours[self._active])           # distinct open lengths (usually one)
        # per kind of tick, how many of ticks 1..t are of that kind (for cumulative hazards)
        self._count_to = np.stack([np.cumsum(open_hours == k) for k in self._kinds]) if self._kinds.size else None
        if self._kinds.size == 1:     # per person, ln(1 - chance) of an active tick (-inf: certain)
            with np.errstate(divide="ignore"):
                values = np.log1p(-np.minimum(self.per_open_hour * self._kinds[0], 1.0))
            if no_session_log is None:
                self._log_no_session = values
            else:
                no_session_log[:] = values
                self._log_no_session = no_session_log
        # The calendar. A person is in at most one tick's chain, and only a tick's
        # newest block is partly filled, so this many blocks always suffice.
        if population > np.iinfo(np.int32).max:
            raise ValueError(f"the session calendar holds people as 32-bit numbers: {population:,} people are too many")
        blocks = -(-population // BLOCK) + self.ticks + 1
        self._blocks = np.empty((blocks, BLOCK), dtype=np.int32)     # people, block by block
        self._next_block = np.arange(1, blocks + 1, dtype=np.int64)  # the block after, in a tick's chain or the free list
        self._next_block[-1] = NO_BLOCK
        self._newest_block = np.full(self.ticks + 1, NO_BLOCK, dtype=np.int64)   # per tick, its chain's first block
        self._filled = np.zeros(self.ticks + 1, dtype=np.int64)      # per tick, people in its newest block
        self._free = np.zeros(1, dtype=np.int64)                     # the first free block

    def chance(self, people: np.ndarray, tick: int) -> np.ndarray:
        """Chance that each of ``people`` opens their feed in ``tick``."""
        return np.minimum(self.per_open_hour[people] * self.open_hours[tick], 1.0)

    def book(self, people: np.ndarray, from_tick: int) -> None:
        """Draw the next session, at ``from_tick`` or later, of those of ``people`` not booked yet.

        ``people`` must be distinct.
        """
        if self._kinds.size == 0:
            return
        geometric = self._kinds.size == 1       # what each draw needs of its person, fetched as they are claimed
        people, needed = _claim(np.ascontiguousarray(people, dtype=np.int64), self.booked,
                                self._log_no_session if geometric else self.per_open_hour)
        if people.size == 0:
            return
        at = self._geometric(needed, from_tick) if geometric else self._by_hazard(needed, from_tick)
        _enter(people, at, self._blocks, self._next_block, self._newest_block, self._filled, self._free)

    def _geometric(self, log_no_session: np.ndarray, from_tick: int) -> np.ndarray:
        """Every active tick equally open: the session is the n-th active tick, n geometric
        (one per person, given their ``ln(1 - chance)`` of a session in an active tick).

        n is drawn by inversion, ``ceil(-E / ln(1 - chance))`` with E an Exp(1)
        draw: the way NumPy's ``Generator.geometric`` draws chances under 1/3
        (it gives the same n from the same E), here with each person's
        logarithm computed once instead of at every draw, which costs 3x less.
        """
        return _nth_active_tick(self.rng.standard_exponential(log_no_session.size), log_no_session,
                                int(np.searchsorted(self._active, from_tick)), self._active)

    def _by_hazard(self, per_open_hour: np.ndarray, from_tick: int) -> np.ndarray:
        """Ticks of different open lengths: the first tick whose cumulative hazard passes an Exp(1) draw
        (one per person, given their chance of a session per open hour)."""
        chance = np.minimum(per_open_hour[:, None] * self._kinds[None, :], 1.0)
        hazard = np.where(chance < 1.0, -np.log1p(-np.minimum(chance, 1.0 - 1e-300)), CERTAIN_HAZARD)

        def cumulative(tick: np.ndarray) -> np.ndarray:     # hazard of ticks 1..tick, per person
            return (hazard * self._count_to[:, tick].T).sum(axis=1)

        n = per_open_hour.size
        budget = cumulative(np.full(n, from_tick - 1)) + self.rng.exponential(size=n)
        low = np.full(n, from_tick - 1)                      # cumulative(low) <= budget
        high = np.full(n, self.ticks + 1)                    # a tick past the end: never
        while np.any(high - low > 1):
            middle = (low + high) // 2
            passed = cumulative(np.minimum(middle, self.ticks)) > budget
            passed |= middle > self.ticks
            high = np.where(passed, middle, high)
            low = np.where(passed, low, middle)
        return np.where(high <= self.ticks, high, NEVER)

    def due(self, tick: int) -> np.ndarray:
        """The people whose session falls in ``tick`` (sorted); they are no longer booked."""
        if not 0 <= tick <= self.ticks:
            return np.empty(0, dtype=np.int64)
        people = _take(tick, self._blocks, self._next_block, self._newest_block, self._filled, self._free)
        people.sort()
        _unbook(people, self.booked)      # in order: the flags lie in the rows the sessions then read, in this order
        return people


@numba.njit("Tuple((int64[:], float64[:]))(int64[::1], boolean[:], float64[:])", cache=True)
def _claim(people, booked, needed):
    """Those of ``people`` not booked yet, in their order, and their value of ``needed`` (per
    person: what their draw needs); they are booked from now on. (The value is fetched here,
    beside the flag in the model's rows, rather than in a second pass over the same people.)"""
    claimed = np.empty(people.size, dtype=np.int64)
    values = np.empty(people.size)
    count = 0
    for i in range(people.size):          # without a branch: about half are booked, unpredictably
        if i + LOOKAHEAD < people.size:   # (asked of memory ahead: :mod:`sim.prefetch`)
            ahead = people[i + LOOKAHEAD]
            prefetch(booked, ahead)
            prefetch(needed, ahead)   # (in the model, the row's own line: nothing more is fetched)
        person = people[i]
        claimed[count] = person
        values[count] = needed[person]
        count += not booked[person]
        booked[person] = True
    return claimed[:count], values[:count]


@numba.njit("void(int64[::1], int64[::1], int32[:, ::1], int64[::1], int64[::1], int64[::1], int64[::1])", cache=True)
def _enter(people, at, blocks, next_block, newest_block, filled, free):
    """Write each person into the calendar at their session tick ``at`` (none past the run's last tick).

    A tick whose newest block is full (or that has none) takes the first
    free block as its new newest, chained before the old.
    """
    last_tick = newest_block.size - 1
    for i in range(people.size):
        tick = at[i]
        if tick > last_tick:
            continue                                   # after the run: booked, never due
        block = newest_block[tick]
        if block == NO_BLOCK or filled[tick] == BLOCK:
            new = free[0]
            free[0] = next_block[new]
            next_block[new] = block
            newest_block[tick] = block = new
            filled[tick] = 0
        blocks[block, filled[tick]] = people[i]
        filled[tick] += 1


@numba.njit("int64[:](float64[::1], float64[::1], int64, int64[::1])", cache=True)
def _nth_active_tick(exponential, log_no_session, first, active):
    """Each person's n-th active tick from ``active[first]`` (n = 1 is that one), n geometric; NEVER past the run.

    n = ``ceil(-exponential / log_no_session)`` (at least 1), from an Exp(1)
    draw and the ``ln(1 - chance)`` of an active tick, one each per person.
    """
    remaining = active.size - first                 # active ticks left, the first included
    tick = np.empty(exponential.size, dtype=np.int64)
    for i in range(exponential.size):
        nth = np.ceil(-exponential[i] / log_no_session[i])
        if nth < 1.0:                 # a certain session (chance 1, ln 0 = -inf) is the first active tick
            nth = 1.0
        # n within the active ticks left; not for a chance of 0 (never), whose n is infinite or not a
        # number, nor past the last active tick (then none is left: remaining is 0)
        tick[i] = active[first + int(nth) - 1] if nth <= remaining else NEVER
    return tick


@numba.njit("int64[:](int64, int32[:, ::1], int64[::1], int64[::1], int64[::1], int64[::1])", cache=True)
def _take(tick, blocks, next_block, newest_block, filled, free):
    """The people booked in ``tick`` (in no particular order); the tick's blocks go back to the free list."""
    count = 0
    block = newest_block[tick]
    if block != NO_BLOCK:
        count = filled[tick]
        block = next_block[block]
        while block != NO_BLOCK:
            count += BLOCK
            block = next_block[block]
    people = np.empty(count, dtype=np.int64)
    taken = 0
    size = filled[tick]
    block = newest_block[tick]
    while block != NO_BLOCK:
        for j in range(size):
            people[taken] = blocks[block, j]
            taken += 1
        after = next_block[block]
        next_block[block] = free[0]
        free[0] = block
        block = after
        size = BLOCK
    newest_block[tick] = NO_BLOCK
    filled[tick] = 0
    return people


@numba.njit("void(int64[::1], boolean[:])", cache=True)
def _unbook(people, booked):
    """Clear the booked flag of each of ``people``."""
    for i in range(people.size):
        if i + LOOKAHEAD < people.size:   # (asked of memory ahead: :mod:`sim.prefetch`)
            prefetch(booked, people[i + LOOKAHEAD])
        booked[people[i]] = False
