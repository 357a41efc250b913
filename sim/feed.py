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
    """Feed items as parallel arrays: who gets which post, from whom, when (hours).

    ``reader``, for the items a session shows, is each item's position in
    that session's list of readers (so per-reader values are looked up in
    small arrays, not in arrays over the whole population).
    """

    person: np.ndarray
    post: np.ndarray
    source: np.ndarray
    arrival: np.ndarray
    reader: np.ndarray | None = None

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
        return Items(self.person[mask], self.post[mask], self.source[mask], self.arrival[mask],
                     None if self.reader is None else self.reader[mask])

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
    than anything kept. A session gets its reader's items in delivery order.
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
        self._deliveries: list[list] = []    # [first item, end, earliest arrival, alive, posts]

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
        self._deliveries.append([self._end, self._end + n, float(values["arrival"].min()), n,
                                 [int(post)] if np.ndim(post) == 0 else distinct(values["post"])])
        self._end += n
        self._alive += n
        self._append(person.astype(np.int64), items)

    def _reserve(self, n: int, people: int) -> None:
        """Room for ``n`` more items and for people up to ``people - 1``."""
        if people > self._head.size:
            grow = max(people, 2 * self._head.size) - self._head.size
            self._head = np.concatenate([self._head, np.full(grow, -1, np.int64)])
            self._tail = np.concatenate([self._tail, np.full(grow, -1, np.int64)])
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
        """Chain ``items`` onto the end of their people's lists (each person's in delivery order)."""
        nxt = self._columns["next"]
        if person.size > 1 and np.all(person[1:] > person[:-1]):   # a post to distinct people, in order
            people, starts, ends = person, items, items
        else:
            order = np.argsort(person, kind="stable")
            person, items = person[order], items[order]
            last = np.ones(person.size, dtype=bool)
            last[:-1] = person[1:] != person[:-1]
            first = np.ones(person.size, dtype=bool)
            first[1:] = last[:-1]
            inner = ~last
            nxt[items[inner] - self._base] = items[1:][inner[:-1]]
            people, starts, ends = person[first], items[first], items[last]
        tails = self._tail[people]
        has = tails >= 0
        nxt[tails[has] - self._base] = starts[has]
        self._head[people[~has]] = starts[~has]
        self._tail[people] = ends

    def _chains(self, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every waiting item of ``people`` (distinct) and its owner's position in ``people``.

        Items come rank by rank along the chains (everyone's first item,
        then everyone's second...), so each person's items are in delivery order.
        """
        found, owners = [], []
        current = self._head[people]
        owner = np.flatnonzero(current >= 0)
        current = current[owner]
        nxt = self._columns["next"]
        while current.size:
            found.append(current)
            owners.append(owner)
            current = nxt[current - self._base]
            more = current >= 0
            current, owner = current[more], owner[more]
        if not found:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(found), np.concatenate(owners)

    def _rechain(self, people: np.ndarray, kept: np.ndarray) -> None:
        """Make ``kept`` (each person's in delivery order) the whole lists of ``people``."""
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
            delivery[3] -= count

    def has_waiting(self, people: np.ndarray) -> np.ndarray:
        """Whether each of ``people`` has an item waiting."""
        people = np.asarray(people, dtype=np.int64)
        waiting = np.zeros(people.size, dtype=bool)
        known = people < self._head.size
        waiting[known] = self._head[people[known]] >= 0
        return waiting

    def take_session(self, readers: np.ndarray, session_at: np.ndarray) -> Items:
        """Remove and return the items a session shows: those that arrived before it.

        ``readers`` are the people who read now (distinct), ``session_at``
        when (hours, one per reader). The items' ``reader`` is their
        reader's position in ``readers``. Items a session shows but the
        person does not read are gone: nobody scrolls back to them.
        """
        readers = np.asarray(readers, dtype=np.int64)
        known = readers < self._head.size
        if not known.all():
            readers, session_at = readers[known], np.asarray(session_at)[known]
        items, reader = self._chains(readers)
        arrival = self._column("arrival", items)
        shown = arrival <= session_at[reader]
        taken, kept = items[shown], items[~shown]
        if kept.size:
            kept = kept[np.argsort(reader[~shown], kind="stable")]     # per person, in delivery order
        self._rechain(readers, kept)
        self._drop(taken)
        return Items(self._column("person", taken), self._column("post", taken), self._column("source", taken),
                     arrival[shown], reader[shown])

    def forget_older_than(self, time: float) -> None:
        """Drop items that arrived before ``time`` hours (buried beyond reach)."""
        old = []
        for first, end, earliest, alive, _ in self._deliveries:
            if earliest < time and alive:
                items = np.arange(first, end, dtype=np.int64)
                keep = self._column("alive", items) & (self._column("arrival", items) < time)
                old.append(items[keep])
        if old:
            old = np.concatenate(old)
            if old.size:
                people = distinct(self._column("person", old)).astype(np.int64)
                self._drop(old)
                items, owner = self._chains(people)
                alive = self._column("alive", items)
                self._rechain(people, items[alive][np.argsort(owner[alive], kind="stable")])
        while self._deliveries and self._deliveries[0][3] == 0:
            self._deliveries.pop(0)

    def posts_waiting(self) -> set[int]:
        """The posts that some feed still holds (or may: a delivery counts until all of it is gone)."""
        return {int(p) for delivery in self._deliveries if delivery[3] for p in delivery[4]}


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
        """Hours since the start of the run, night hours counted at ``at_night``.

        Every hour counts ``at_night``, and the active hours the rest
        (``1 - at_night``) on top: day after day, plus today's so far.
        """
        start, end = self.active_hours
        time = np.asarray(time, dtype=float)
        day = np.floor(time * (1.0 / 24.0))
        awake_today = np.minimum(np.maximum(time - 24.0 * day - start, 0.0), end - start)
        return self.at_night * time + (1.0 - self.at_night) * (day * (end - start) + awake_today)

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


_LOG_X0, _LOG_X1, _PER_UNIT = -20.0, 4.0, 256
_EXP1 = special.exp1(np.exp(np.linspace(_LOG_X0, _LOG_X1, int((_LOG_X1 - _LOG_X0) * _PER_UNIT) + 1)))
_EXP1_SLOPE = np.append(np.diff(_EXP1), 0.0)
"""E1 tabulated on a fine grid of ln x (steps of 1/256): interpolating is ten times faster
than scipy.special.exp1 per item and off by less than 1e-6 (1e-4 relative where E1 > 1e-3),
far below one item."""


def _exp1_of_log(log_x: np.ndarray) -> np.ndarray:
    """E1(exp(log_x)), safe and cheap for very small and very large x.

    Below x = e^-20, E1(x) = -gamma - ln x to double precision; above
    x = e^4 (about 55), E1(x) < 1e-25, far below one item; in between, the
    table, read at its uniform steps directly (no search).
    """
    log_x = np.asarray(log_x, dtype=float)
    position = (np.clip(log_x, _LOG_X0, _LOG_X1) - _LOG_X0) * _PER_UNIT
    step = position.astype(np.int64)
    value = _EXP1[step] + (position - step) * _EXP1_SLOPE[step]
    return np.where(log_x < _LOG_X0, -np.euler_gamma - log_x, value)


_STEPS_PER_ITEM = 64
_fewer_than: dict[int, np.ndarray] = {}


def chance_fewer_than(span: int, expected: np.ndarray) -> np.ndarray:
    """P(Poisson(expected) < span): the chance that fewer than ``span`` items outrank one.

    Tabulated once per span on steps of 1/64 of an item (linear
    interpolation is off by less than 5e-5, for a span of 1, and less for
    larger spans) up to where the chance is below 1e-20;
    scipy.special.pdtr makes the table.
    """
    table = _fewer_than.get(span)
    if table is None:
        top = span + 12.0 * math.sqrt(span) + 30.0
        table = special.pdtr(span - 1, np.arange(int(top * _STEPS_PER_ITEM) + 2) / _STEPS_PER_ITEM)
        table[-1] = 0.0
        _fewer_than[span] = table
    position = np.minimum(np.asarray(expected, dtype=float) * _STEPS_PER_ITEM, table.size - 1.0)
    step = np.minimum(position.astype(np.int64), table.size - 2)
    return table[step] + (position - step) * (table[step + 1] - table[step])


def read_session(items: Items, at: np.ndarray, since: np.ndarray, attention_span: np.ndarray, rate: np.ndarray,
                 score: np.ndarray, background: Background, ranking: Ranking, rng: np.random.Generator) -> np.ndarray:
    """Which of a session's brand items the reader gets to (a bool mask).

    Each reader sees their feed best-ranked first and reads
    ``attention_span`` items. An item's rank is the number of the session's
    brand items ranked above it plus the background items ranked above it,
    a Poisson number with the mean of :func:`background_above`.

    The background is drawn once per session: when a session holds one
    brand item with a chance of being read (most do), one uniform draw
    against :func:`chance_fewer_than` decides it; when it holds several,
    the background above them is drawn nested along the ranking (an item
    lower down has every background item above the one before it, and
    more). ``score`` is per item; ``at`` (the session, hours), ``since``
    (the previous session, hours), ``attention_span`` and ``rate``
    (background items per hour) are per reader, looked up by ``items.reader``.
    """
    n = len(items)
    if n == 0:
        return np.zeros(0, dtype=bool)
    reader = items.reader
    arrived = background.weighted_hours(items.arrival)
    age = np.maximum(background.weighted_hours(at)[reader] - arrived, 0.0)
    unseen = np.maximum(arrived - background.weighted_hours(since)[reader], 0.0)
    expected = background_above(age, unseen, score, rate[reader], ranking)
    span = attention_span[reader]
    spans = distinct(span)
    if spans.size == 1:                    # one attention span for all: no masks
        chance = chance_fewer_than(int(spans[0]), expected)
    else:
        chance = np.empty(n)
        for value in spans.tolist():
            mine = span == value
            chance[mine] = chance_fewer_than(value, expected[mine])

    # An item that would be buried even as its session's only brand item is
    # buried (at most 1e-12 wrong): no draw, and it cannot push others down.
    hopeful = np.flatnonzero(chance > BURIED)
    read = np.zeros(n, dtype=bool)
    owner = reader[hopeful]
    by_reader = np.argsort(owner, kind="stable")
    grouped = owner[by_reader]
    alone = np.ones(hopeful.size, dtype=bool)      # the session's only brand item with a chance
    same = grouped[1:] == grouped[:-1]
    alone[by_reader[1:][same]] = False
    alone[by_reader[:-1][same]] = False
    single = hopeful[alone]
    read[single] = rng.random(single.size) < chance[single]
    several = hopeful[~alone]
    if several.size:
        read[several] = _read_nested(reader[several], expected[several], items.arrival[several],
                                     span[several], rng)
    return read


BURIED = 1e-12
"""Below this chance of being read (counting the background alone), an item is taken as unread."""


def _read_nested(reader: np.ndarray, expected: np.ndarray, arrival: np.ndarray, span: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """Sessions of several brand items: each item's rank, background drawn nested along the ranking."""
    n = reader.size
    order = np.lexsort((expected - 1e-9 * arrival, reader))    # ties: newest first
    reader, expected, span = reader[order], expected[order], span[order]
    first = np.ones(n, dtype=bool)
    first[1:] = reader[1:] != reader[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    step = np.where(first, expected, expected - np.roll(expected, 1))
    arrived = rng.poisson(np.maximum(step, 0.0))
    total = np.cumsum(arrived)
    above = total - total[group_start] + arrived[group_start]
    rank = (np.arange(n) - group_start) + above
    read = np.empty(n, dtype=bool)
    read[order] = rank < span
    return read
