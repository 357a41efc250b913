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

from .distinct import distinct


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
    """The brand items waiting, unread, in everyone's feeds.

    Items are kept in the order they were delivered, each person's chained
    together (``head``/``tail`` per person, ``next`` per item), so a session
    touches only its reader's items: a tick's cost follows the people active
    in it, not everything waiting. Items a session takes or a forget drops
    are marked dead and their space reclaimed once their delivery is older
    than anything kept. Sessions get their items in delivery order, as a
    single list scanned every tick would give them.
    """

    def __init__(self, people: int = 0) -> None:
        self._head = np.full(people, -1, dtype=np.int64)     # per person: first waiting item
        self._tail = np.full(people, -1, dtype=np.int64)     # per person: last waiting item
        self._columns = {"person": np.empty(0, np.int32), "post": np.empty(0, np.int32),
                         "source": np.empty(0, np.int32), "arrival": np.empty(0),
                         "next": np.empty(0, np.int64), "alive": np.empty(0, bool)}
        self._base = 0           # item number of the store's first slot
        self._end = 0            # item number the next delivery gets
        self._alive = 0
        self._latest = -np.inf   # latest arrival ever delivered (hours)
        self._deliveries: list[list] = []    # [first item, end, earliest, latest arrival, alive, posts]
        self._people = np.empty(0, np.int64)     # everyone who may have a waiting item (sorted)
        self._listed = np.zeros(people, dtype=bool)    # per person: in _people or _new_people
        self._new_people: list[np.ndarray] = []

    def __len__(self) -> int:
        return self._alive

    def _column(self, name: str, items: np.ndarray) -> np.ndarray:
        return self._columns[name][items - self._base]

    def deliver(self, person, post: int | np.ndarray, source: int | np.ndarray, arrival) -> None:
        """Put a post into the feeds of ``person`` (an array), from ``source``, at ``arrival`` hours."""
        person = np.asarray(person, dtype=np.int32)
        n = person.size
        if n == 0:
            return
        values = {"person": person, "post": np.broadcast_to(np.asarray(post, np.int32), (n,)),
                  "source": np.broadcast_to(np.asarray(source, np.int32), (n,)),
                  "arrival": np.broadcast_to(np.asarray(arrival, np.float64), (n,)),
                  "next": np.full(n, -1, np.int64), "alive": np.ones(n, bool)}
        self._reserve(n, int(person.max()) + 1)
        at = self._end - self._base
        for name, value in values.items():
            self._columns[name][at:at + n] = value
        items = np.arange(self._end, self._end + n, dtype=np.int64)
        arrival = values["arrival"]
        self._deliveries.append([self._end, self._end + n, float(arrival.min()), float(arrival.max()), n,
                                 distinct(values["post"])])
        self._end += n
        self._alive += n
        self._latest = max(self._latest, float(arrival.max()))
        self._append(person.astype(np.int64), items)

    def _reserve(self, n: int, people: int) -> None:
        """Room for ``n`` more items and for people up to ``people - 1``."""
        if people > self._head.size:
            grow = max(people, 2 * self._head.size) - self._head.size
            self._head = np.concatenate([self._head, np.full(grow, -1, np.int64)])
            self._tail = np.concatenate([self._tail, np.full(grow, -1, np.int64)])
            self._listed = np.concatenate([self._listed, np.zeros(grow, dtype=bool)])
        used = self._end - self._base
        capacity = self._columns["person"].size
        if used + n <= capacity:
            return
        first = self._deliveries[0][0] if self._deliveries else self._end   # older slots are all dead
        keep = slice(first - self._base, used)
        live = keep.stop - keep.start
        size = capacity if live + n <= capacity else max(2 * (live + n), 1024)   # slide, or grow
        for name, column in self._columns.items():
            moved = column if size == capacity else np.empty(size, dtype=column.dtype)
            moved[:live] = column[keep]
            self._columns[name] = moved
        self._base = first

    def _append(self, person: np.ndarray, items: np.ndarray) -> None:
        """Chain ``items`` (increasing) onto the end of their people's lists."""
        order = np.argsort(person, kind="stable")
        person, items = person[order], items[order]
        last = np.ones(person.size, dtype=bool)
        last[:-1] = person[1:] != person[:-1]
        first = np.ones(person.size, dtype=bool)
        first[1:] = last[:-1]
        nxt = self._columns["next"]
        inner = ~last
        nxt[items[inner] - self._base] = items[1:][inner[:-1]]
        people, starts = person[first], items[first]
        tails = self._tail[people]
        has = tails >= 0
        nxt[tails[has] - self._base] = starts[has]
        self._head[people[~has]] = starts[~has]
        self._tail[people] = items[last]
        new = people[~self._listed[people]]
        if new.size:
            self._listed[new] = True
            self._new_people.append(new)

    def _chains(self, people: np.ndarray) -> np.ndarray:
        """Every waiting item of ``people`` (distinct), in delivery order."""
        found = []
        current = self._head[people]
        current = current[current >= 0]
        nxt = self._columns["next"]
        while current.size:
            found.append(current)
            current = nxt[current - self._base]
            current = current[current >= 0]
        return np.sort(np.concatenate(found)) if found else np.empty(0, np.int64)

    def _rechain(self, people: np.ndarray, kept: np.ndarray) -> None:
        """Make ``kept`` (increasing item numbers) the whole lists of ``people``."""
        self._head[people] = -1
        self._tail[people] = -1
        if kept.size:
            self._columns["next"][kept - self._base] = -1
            self._append(self._column("person", kept).astype(np.int64), kept)

    def _drop(self, items: np.ndarray) -> None:
        """Mark ``items`` gone and count them off their deliveries."""
        if items.size == 0:
            return
        self._columns["alive"][items - self._base] = False
        self._alive -= items.size
        starts = np.array([d[0] for d in self._deliveries], dtype=np.int64)
        counts = np.bincount(np.searchsorted(starts, items, side="right") - 1, minlength=starts.size)
        for delivery, count in zip(self._deliveries, counts.tolist()):
            delivery[4] -= count

    def people_waiting(self, until: float) -> np.ndarray:
        """The people with at least one item that arrived before ``until`` hours (sorted)."""
        if self._new_people:           # two sorted runs: a stable sort merges them in linear time
            self._people = np.sort(np.concatenate([self._people, np.sort(np.concatenate(self._new_people))]),
                                   kind="stable")
            self._new_people = []
        empty = self._head[self._people] < 0
        if empty.any():
            self._listed[self._people[empty]] = False
            self._people = self._people[~empty]
        if self._latest < until:        # every waiting item arrived before ``until``
            return self._people.astype(np.int32)
        items = self._chains(self._people)
        early = items[self._column("arrival", items) < until]
        return distinct(self._column("person", early)).astype(np.int32)

    def take_session(self, readers: np.ndarray, session_at: np.ndarray) -> Items:
        """Remove and return the items a session shows: those that arrived before it.

        ``readers`` are the people who read now (distinct), ``session_at``
        when (hours, per person). Items a session shows but the person does
        not read are gone: nobody scrolls back to them.
        """
        readers = np.asarray(readers, dtype=np.int64)
        readers = readers[readers < self._head.size]
        items = self._chains(readers)
        person = self._column("person", items)
        shown = self._column("arrival", items) <= session_at[person]
        taken, kept = items[shown], items[~shown]
        self._rechain(readers, kept)
        self._drop(taken)
        return Items(person[shown], self._column("post", taken), self._column("source", taken),
                     self._column("arrival", taken))

    def forget_older_than(self, time: float) -> None:
        """Drop items that arrived before ``time`` hours (buried beyond reach)."""
        old = []
        for first, end, earliest, _, alive, _ in self._deliveries:
            if earliest < time and alive:
                items = np.arange(first, end, dtype=np.int64)
                keep = self._column("alive", items) & (self._column("arrival", items) < time)
                old.append(items[keep])
        if old:
            old = np.concatenate(old)
            if old.size:
                people = distinct(self._column("person", old)).astype(np.int64)
                self._drop(old)
                items = self._chains(people)
                self._rechain(people, items[self._column("alive", items)])
        while self._deliveries and self._deliveries[0][4] == 0:
            self._deliveries.pop(0)

    def posts_waiting(self) -> set[int]:
        """The posts that some feed still holds (or may: a delivery counts until all of it is gone)."""
        return {int(p) for delivery in self._deliveries if delivery[4] for p in delivery[5]}


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
