"""Feeds with limited attention: what a person actually reads in a session.

Brand posts and friends' shares of them wait in people's feeds. A person
reads a session's feed best-ranked first and stops after ``attention_span``
items; friends' posts, news and entertainment (docs/domain.md §2: people are
there mostly for friends, news and fun) arrive all the time, at a rate that
grows with how many accounts the person follows (Hodas & Lerman 2012), and
compete for those places. The platform ranks by engagement (affinity with
the source, engagement so far, age: the EdgeRank family) or newest first
(:class:`Ranking`). Only the brand items are stored: the background is drawn
when a session happens, as the Poisson number of items ranked above each
brand item (:func:`background_above`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special


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

    def weighted_hours(self, time: np.ndarray) -> np.ndarray:
        """Hours since the start of the run, night hours counted at ``at_night``."""
        start, end = self.active_hours
        day, hour = np.divmod(np.asarray(time, dtype=float), 24.0)
        per_day = (end - start) + self.at_night * (24.0 - (end - start))
        today = (self.at_night * np.minimum(hour, start) + np.clip(hour - start, 0.0, end - start)
                 + self.at_night * np.maximum(hour - end, 0.0))
        return day * per_day + today

    def hours_between(self, since: np.ndarray, until: np.ndarray) -> np.ndarray:
        """Hours between two moments, night hours counted at ``at_night`` ("background hours")."""
        return np.maximum(self.weighted_hours(until) - self.weighted_hours(since), 0.0)

    def expected(self, since: np.ndarray, until: np.ndarray) -> np.ndarray:
        """Mean number of background items arriving between two moments (hours)."""
        return self.per_hour * self.hours_between(since, until)


@dataclass(frozen=True)
class Ranking:
    """How the platform orders a feed.

    kind: ``engagement`` (the EdgeRank family: an item's score is the
        reader's affinity with its source times its engagement so far, and
        halves every ``score_half_life_hours`` of age) or ``chronological``
        (newest first).
    score_half_life_hours: the platform's pace (Graffius 2018: posts live
        about 30 minutes on Facebook and Twitter, a day on Instagram and LinkedIn).
    """

    kind: str = "engagement"
    score_half_life_hours: float = 0.5

    @property
    def time_scale(self) -> float:
        """tau, hours: scores decay as exp(-age / tau)."""
        return self.score_half_life_hours / math.log(2.0)


def background_above(age: np.ndarray, unseen: np.ndarray, score: np.ndarray, rate: np.ndarray,
                     ranking: Ranking) -> np.ndarray:
    """Expected background items ranked above a brand item, at the reader's session.

    ``age`` is the item's age in background hours (night hours count at the
    night rate); ``unseen`` the background hours between the reader's
    previous session and the item's arrival (what else waits, unread);
    ``rate`` the reader's background items per hour; ``score`` the item's
    ranking score relative to an average background item.

    Chronological: every item that arrived since, ``rate * age / score``
    (``score`` is then a friend's-share priority, 1 for a page's post).
    Engagement: unread background items arrived at ``rate`` with scores
    drawn from an exponential distribution of mean 1, all decaying as
    exp(-age / tau); one that arrived ``u`` hours after ours (u < 0: before)
    outranks it when its score exceeds ``score * exp(-u / tau)``. Integrating
    over the unread arrivals gives
    ``rate * tau * (E1(score * exp(-age / tau)) - E1(score * exp(unseen / tau)))``
    (E1, the exponential integral): a high score buys about
    ``tau * ln score`` hours of visibility, a low one costs them, and a slow
    platform (large tau) ranks mostly by score.
    """
    if ranking.kind == "chronological":
        return rate * age / score
    tau = ranking.time_scale
    log_score = np.log(score)
    return rate * tau * (_exp1_of_log(log_score - age / tau) - _exp1_of_log(log_score + unseen / tau))


_LOG_X = np.linspace(-20.0, 4.0, 24 * 256 + 1)
_EXP1 = special.exp1(np.exp(_LOG_X))
"""E1 tabulated on a fine grid of ln x (steps of 1/256): interpolating is ten times faster
than scipy.special.exp1 per item and off by less than 1e-5 relative, far below one item."""


def _exp1_of_log(log_x: np.ndarray) -> np.ndarray:
    """E1(exp(log_x)), safe and cheap for very small and very large x.

    Below x = e^-20, E1(x) = -gamma - ln x to double precision; above
    x = e^4 (about 55), E1(x) < 1e-25, far below one item; in between, the table.
    """
    return np.where(log_x < -20.0, -np.euler_gamma - log_x, np.interp(log_x, _LOG_X, _EXP1, right=0.0))


def read_session(items: Items, session_at: np.ndarray, last_session: np.ndarray, attention_span: np.ndarray,
                 score: np.ndarray, rate: np.ndarray, background: Background, ranking: Ranking,
                 rng: np.random.Generator) -> np.ndarray:
    """Which of a session's brand items the reader gets to (a bool mask).

    Each reader sees their feed best-ranked first and reads
    ``attention_span`` items. An item's rank is the number of the session's
    brand items ranked above it plus the background items ranked above it;
    the latter is Poisson, nested along the ranking (an item lower down has
    every background item above the one before it, and more), with the
    means of :func:`background_above`. ``score`` is per item; ``rate``
    (background items per hour), ``session_at`` and ``last_session`` (the
    previous session, hours) are per person.
    """
    n = len(items)
    if n == 0:
        return np.zeros(0, dtype=bool)
    arrived = background.weighted_hours(items.arrival)
    age = np.maximum(background.weighted_hours(session_at[items.person]) - arrived, 0.0)
    unseen = np.maximum(arrived - background.weighted_hours(last_session[items.person]), 0.0)
    expected = background_above(age, unseen, score, rate[items.person], ranking)
    order = np.lexsort((expected - 1e-9 * items.arrival, items.person))    # ties: newest first
    person, expected = items.person[order], expected[order]
    first = np.ones(n, dtype=bool)
    first[1:] = person[1:] != person[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    step = np.where(first, expected, expected - np.roll(expected, 1))
    arrived = rng.poisson(np.maximum(step, 0.0))
    total = np.cumsum(arrived)
    above = total - total[group_start] + arrived[group_start]
    rank = (np.arange(n) - group_start) + above
    read = np.empty(n, dtype=bool)
    read[order] = rank < attention_span[person]
    return read
