"""Feeds with limited attention: what a person actually reads in a session.

Brand posts and friends' shares of them wait in people's feeds. A person
reads a session's feed newest first and stops after ``attention_span``
items; friends' posts, news and entertainment (docs/domain.md §2: people are
there mostly for friends, news and fun) arrive all the time, at
``background_items_per_hour``, and push older items down. Only the brand
items are stored: the background is drawn when a session happens, as the
Poisson number of items that arrived after each brand item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Items:
    """Feed items as parallel arrays: who gets which post, from whom, when (hours)."""

    person: np.ndarray
    post: np.ndarray
    source: np.ndarray
    arrival: np.ndarray

    @classmethod
    def empty(cls) -> "Items":
        return cls(np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0))

    def __len__(self) -> int:
        return self.person.size

    def subset(self, mask) -> "Items":
        """The items a bool mask or an index array selects, in order."""
        mask = np.asarray(mask)
        if mask.dtype == bool:      # find the positions once, not once per column (5x faster)
            mask = np.flatnonzero(mask)
        return Items(self.person[mask], self.post[mask], self.source[mask], self.arrival[mask])

    @classmethod
    def concatenate(cls, parts: list["Items"]) -> "Items":
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("person", "post", "source", "arrival")))


class Feed:
    """The brand items waiting, unread, in everyone's feeds."""

    def __init__(self) -> None:
        self.waiting = Items.empty()
        self._incoming: list[Items] = []

    def __len__(self) -> int:
        return len(self.waiting) + sum(len(p) for p in self._incoming)

    def deliver(self, person, post: int | np.ndarray, source: int | np.ndarray, arrival) -> None:
        """Put a post into the feeds of ``person`` (an array), from ``source``, at ``arrival`` hours."""
        person = np.asarray(person, dtype=np.int32)
        n = person.size

        def column(value, dtype):
            return np.array(np.broadcast_to(np.asarray(value, dtype=dtype), (n,)))

        self._incoming.append(Items(person, column(post, np.int32), column(source, np.int32),
                                    column(arrival, np.float64)))

    def people_waiting(self, until: float) -> np.ndarray:
        """The people with at least one item that arrived before ``until`` hours."""
        self._merge()
        person = self.waiting.person[self.waiting.arrival < until]
        if person.size == 0:
            return person
        marked = np.zeros(int(person.max()) + 1, dtype=bool)    # as np.unique, without sorting
        marked[person] = True
        return np.flatnonzero(marked).astype(person.dtype)

    def take_session(self, in_session: np.ndarray, session_at: np.ndarray) -> Items:
        """Remove and return the items a session shows: those that arrived before it.

        ``in_session`` marks (per person) who reads now, ``session_at`` when
        (hours). Items a session shows but the person does not read are gone:
        nobody scrolls back to them.
        """
        self._merge()
        w = self.waiting
        shown = in_session[w.person] & (w.arrival <= session_at[w.person])
        self.waiting = w.subset(~shown)
        return w.subset(shown)

    def forget_older_than(self, time: float) -> None:
        """Drop items that arrived before ``time`` hours (buried beyond reach)."""
        self._merge()
        if len(self.waiting) and self.waiting.arrival.min() < time:    # most ticks, nothing to drop
            self.waiting = self.waiting.subset(self.waiting.arrival >= time)

    def _merge(self) -> None:
        if self._incoming:
            self.waiting = Items.concatenate([self.waiting, *self._incoming])
            self._incoming = []


@dataclass(frozen=True)
class Background:
    """Friends', news and entertainment items flowing into every feed.

    per_hour: items per hour while people are up (``active_hours``).
    at_night: the rate outside the active hours, as a share of ``per_hour``
        (friends sleep too, but news and far-away friends do not).
    """

    per_hour: float
    active_hours: tuple[float, float] = (0.0, 24.0)
    at_night: float = 1.0

    def _weighted_hours(self, time: np.ndarray) -> np.ndarray:
        """Hours since the start of the run, night hours counted at ``at_night``."""
        start, end = self.active_hours
        day, hour = np.divmod(np.asarray(time, dtype=float), 24.0)
        per_day = (end - start) + self.at_night * (24.0 - (end - start))
        today = (self.at_night * np.minimum(hour, start) + np.clip(hour - start, 0.0, end - start)
                 + self.at_night * np.maximum(hour - end, 0.0))
        return day * per_day + today

    def expected(self, since: np.ndarray, until: np.ndarray) -> np.ndarray:
        """Mean number of background items arriving between two moments (hours)."""
        return self.per_hour * np.maximum(self._weighted_hours(until) - self._weighted_hours(since), 0.0)


def read_newest_first(items: Items, session_at: np.ndarray, attention_span: np.ndarray,
                      background: Background, rng: np.random.Generator,
                      friend_priority: float = 1.0) -> np.ndarray:
    """Which of a session's brand items the reader gets to (a bool mask).

    Each reader goes through their feed newest first and reads
    ``attention_span`` items. An item's rank is the number of brand items
    newer than it plus the background items that arrived after it: between
    consecutive brand items, a Poisson number with the mean that
    ``background`` expects over the gap. Feeds favour what friends pass on:
    a friend's share is pushed down ``friend_priority`` times more slowly
    than a post from a brand page.
    """
    n = len(items)
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((-items.arrival, items.person))
    person = items.person[order]
    arrival = items.arrival[order]
    first = np.ones(n, dtype=bool)
    first[1:] = person[1:] != person[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    newer = np.where(first, session_at[person], np.roll(arrival, 1))
    arrived = rng.poisson(background.expected(since=arrival, until=newer))
    total = np.cumsum(arrived)
    background_newer = total - total[group_start] + arrived[group_start]
    from_friend = items.source[order] >= 0
    background_newer = np.where(from_friend, background_newer / friend_priority, background_newer)
    rank = (np.arange(n) - group_start) + background_newer
    read = np.empty(n, dtype=bool)
    read[order] = rank < attention_span[person]
    return read
