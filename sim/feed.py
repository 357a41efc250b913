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

import numba
import numpy as np
from scipy import special

from .distinct import distinct
from .events import BRAND
from .prefetch import LOOKAHEAD, prefetch


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

    def __len__(self) -> int:
        return self.person.size

    def subset(self, mask) -> "Items":
        """The items a bool mask or an index array selects, in order."""
        mask = np.asarray(mask)
        if mask.dtype == bool:      # find the positions once, not once per column (5x faster)
            mask = np.flatnonzero(mask)
        return Items(self.person[mask], self.post[mask], self.source[mask], self.arrival[mask],
                     None if self.reader is None else self.reader[mask])


@dataclass(frozen=True)
class SessionTimes:
    """When a tick's sessions fall (hours since the start of the run).

    A reader's session falls ``uniform`` (U(0, 1), one per reader) of the
    way through the tick's ``open_hours`` from ``opens``; their previous
    one ``exponential`` (Exp(1), one per reader) times their mean hours
    awake between sessions before it. Sessions are a Poisson process, so
    the time back to the previous one is exponential; what arrived since
    waits unread.
    """

    opens: float
    open_hours: float
    uniform: np.ndarray
    exponential: np.ndarray


class ReadingHabits:
    """The people as their sessions read them: one row per person, so that a session fetches its
    reader's numbers in one memory access (at 10^6 people each separate array costs a cache miss
    per reader: keeping affinity here made a 14-day run at 10^6 people 5-9% faster).

    Columns: :data:`HOURS_BETWEEN`, the person's mean hours awake between
    sessions (``awake_hours`` a day over their ``sessions_per_day``);
    :data:`BACKGROUND_RATE`, background items per hour; :data:`SPAN`, items
    a session reads (``attention_span``); :data:`SESSION_AT`, their latest
    session (hours since the start), written by every session; from
    :data:`LOG_AFFINITY` on, one per brand, the logarithm of the person's
    ``affinity`` with the brand (fixed for the run), which scores the
    brand's own posts in their feed (:class:`PageScores`): ranking works
    on the logarithms of scores, so a session adds two of them where it
    would take a logarithm per item (a 14-day run at 10^6 people: about
    4 million logarithms fewer).

    The row also holds what the rest of a session's path touches of its
    reader, for the parts of the model that own it: the feed's word of
    waiting broadcasts (:attr:`waiting`, :class:`Feed`), the session
    calendar's booked flag and chance of no session (:attr:`booked`,
    :attr:`no_session_log`, :class:`sim.sessions.SessionSchedule`) and who
    hid which brand (:attr:`hidden`, :class:`sim.followers.Followers`).
    Each owner is given its view and alone writes it; kept in arrays of
    their own they cost up to four more cache misses per session (a 14-day
    run at 10^6 people took about 1.2x the time, over 10 interleaved runs).
    A row is padded to whole 64-byte cache lines and starts on one
    (:func:`_whole_cache_lines`): one line with one brand.
    """

    def __init__(self, sessions_per_day: np.ndarray, attention_span: np.ndarray, background_rate: np.ndarray,
                 awake_hours: float, affinity: np.ndarray) -> None:
        span = np.asarray(attention_span, dtype=np.int64)
        affinity = np.asarray(affinity).reshape(span.size, -1)
        self.brands = affinity.shape[1]
        flags = LOG_AFFINITY + self.brands        # the column where the bytes of flags start
        self.table = _whole_cache_lines(span.size, flags + -(-(1 + self.brands) // 8))
        self._flags = self.table.view(np.uint8)[:, 8 * flags:8 * flags + 1 + self.brands].view(np.bool_)
        self.table[:, HOURS_BETWEEN] = awake_hours / np.asarray(sessions_per_day, dtype=np.float64)
        self.table[:, BACKGROUND_RATE] = background_rate
        self.table[:, SPAN] = span
        np.log(affinity, out=self.table[:, LOG_AFFINITY:LOG_AFFINITY + self.brands], dtype=np.float64)
        self.chance_tables = _chance_tables(distinct(span))        # made once for the run's spans

    @property
    def session_at(self) -> np.ndarray:
        """Each person's latest session (hours since the start; a view, written by the sessions)."""
        return self.table[:, SESSION_AT]

    @property
    def log_affinity(self) -> np.ndarray:
        """The logarithm of each person's affinity with each brand ((people, brands), a view)."""
        return self.table[:, LOG_AFFINITY:LOG_AFFINITY + self.brands]

    @property
    def waiting(self) -> np.ndarray:
        """Each person's word of waiting broadcasts (uint64 bits, a view: :class:`Feed` keeps it)."""
        return self.table.view(np.uint64)[:, WAITING]

    @property
    def no_session_log(self) -> np.ndarray:
        """Each person's ``ln(1 - chance of a session)`` in an active tick (a view: the session calendar keeps it)."""
        return self.table[:, NO_SESSION]

    @property
    def booked(self) -> np.ndarray:
        """Whether each person's next session is booked (bools, a view: the session calendar keeps it)."""
        return self._flags[:, 0]

    @property
    def hidden(self) -> np.ndarray:
        """Who hid each brand's posts ((people, brands) bools, a view: :class:`sim.followers.Followers` keeps it)."""
        return self._flags[:, 1:]

    def __len__(self) -> int:
        return self.table.shape[0]


HOURS_BETWEEN, BACKGROUND_RATE, SPAN, SESSION_AT, WAITING, NO_SESSION, LOG_AFFINITY = range(7)
"""The columns of :attr:`ReadingHabits.table` (:data:`LOG_AFFINITY`: the first of one per brand; after
them, bytes: the booked flag, then one hidden flag per brand)."""

CACHE_LINE = 64
"""Bytes the processor fetches from memory at once."""


def _whole_cache_lines(rows: int, columns: int) -> np.ndarray:
    """A zeroed float64 table of ``rows`` rows of at least ``columns`` numbers, each row padded to
    whole cache lines and starting on one: a row costs one fetch per line, never a line more."""
    per_line = CACHE_LINE // 8
    width = -(-columns // per_line) * per_line
    block = np.zeros(rows * width + per_line)
    skip = (-block.ctypes.data % CACHE_LINE) // 8
    return block[skip:skip + rows * width].reshape(rows, width)


@dataclass(frozen=True)
class PageScores:
    """What a feed item's ranking score comes from, relative to an average background item.

    A page's post scores the reader's affinity with its brand
    (:attr:`ReadingHabits.log_affinity`, its logarithm), a friend's share
    ``friend_priority``; both times the post's ``lift`` (per post: its
    engagement so far, weighted). A page's post does not show to a reader
    who ``hidden`` its brand (per person and brand).
    """

    post_brand: np.ndarray
    lift: np.ndarray
    hidden: np.ndarray
    friend_priority: float

    @property
    def log_lift(self) -> np.ndarray:
        """The logarithm of each post's ``lift`` (ranking adds logarithms: :class:`ReadingHabits`)."""
        return np.log(np.asarray(self.lift, dtype=np.float64))


@dataclass
class OpenSessions:
    """A tick's sessions, opened (:meth:`Feed.open_sessions`): what they show, and how it ranks.

    ``items`` are the items shown, reader by reader (``reader``: the
    position in the tick's readers), and ``waiting`` per reader whether
    something still waits in their feed. The rest is the ranking
    (:func:`_rank_sessions`' ``chance``, ``single``, ``nested`` and
    ``steps``) and each reader's ``span``, for :meth:`read`. The arrays
    are the feed's working space: use them before the next tick's sessions.
    """

    items: Items
    waiting: np.ndarray
    span: np.ndarray
    chance: np.ndarray
    single: np.ndarray
    nested: np.ndarray
    steps: np.ndarray

    def read(self, rng: np.random.Generator) -> np.ndarray:
        """Which items the readers get to (a bool mask over ``items``), drawn from ``rng`` as :func:`read_session` does."""
        n = len(self.items)
        if n == 0:
            return np.zeros(0, dtype=bool)
        return _draw_reads(n, self.single, self.chance, self.nested, self.steps, self.items.reader, self.span, rng)


BROADCAST_SLOTS = 63
"""Brand posts a feed keeps as broadcasts at once (one bit each per person); more wait as single items."""
HAS_SINGLES = np.uint64(1) << np.uint64(63)
"""The last bit of a person's ``pending`` word: single items wait in their chain (a session looks
at one word per reader, and walks a chain only when there is one)."""


class Feed:
    """The brand items waiting, unread, in everyone's feeds.

    Two stores, both touched only by the people active in a tick:

    * **broadcasts**: a brand's post to its audience (one post, one source,
      one arrival, many distinct people) is kept once, with one bit per
      person saying that it waits in their feed (up to
      :data:`BROADCAST_SLOTS` posts at a time);
    * **single items** (friends' shares, and anything else): kept in the
      order they were delivered, each person's chained together
      (``head``/``tail`` per person, ``next`` per item).

    A session walks its reader's bits and chain once (compiled loops:
    :func:`_take`). A broadcast forgotten before everyone took it leaves
    its bits set ("stale"): clearing them at once would touch every person
    of its audience again, a tenth of the population per post. A session
    ignores and clears its reader's stale bits, and when a new broadcast
    finds no slot free, one pass over everyone's words clears every stale
    slot at once (one pass per fifty-odd posts; no audience is kept for it).
    Single items a session takes or a forget drops are marked gone and
    their space reclaimed once their delivery is older than anything kept.
    A session gets its readers' items reader by reader (broadcasts in
    delivery order, then single items in delivery order); the order within
    a session does not matter to :func:`read_session`, which ranks them.
    """

    def __init__(self, people: int = 0, waiting: np.ndarray | None = None) -> None:
        """``people`` to start with (the feed grows to people it has not seen), or exactly the
        people of ``waiting``: their words of waiting broadcasts, kept there (zeroed; e.g.
        :attr:`ReadingHabits.waiting`, beside what a session reads of them)."""
        self._head = np.full(people, -1, dtype=np.int64)     # per person: first waiting single item
        self._tail = np.full(people, -1, dtype=np.int64)     # per person: last waiting single item
        self._fixed = waiting is not None
        if self._fixed:
            if waiting.shape != (people,) or waiting.dtype != np.uint64:
                raise ValueError(f"the feed's waiting words must be {people} uint64 values")
            waiting[:] = 0
        self._pending = waiting if self._fixed else np.zeros(people, dtype=np.uint64)   # per person: bits
        self._columns = {"person": np.empty(0, np.int32), "post": np.empty(0, np.int32),
                         "source": np.empty(0, np.int32), "arrival": np.empty(0),
                         "next": np.empty(0, np.int64), "alive": np.empty(0, bool)}
        self._base = 0           # item number of the store's first slot
        self._end = 0            # item number the next delivery gets
        self._alive = 0          # single items waiting
        self._deliveries: list[list] = []    # [first item, end, earliest arrival, alive, posts]
        # broadcasts, per slot: post, source, arrival (hours), people still waiting, audience (sorted)
        self._slot_post = np.zeros(BROADCAST_SLOTS, np.int32)
        self._slot_source = np.zeros(BROADCAST_SLOTS, np.int32)
        self._slot_arrival = np.zeros(BROADCAST_SLOTS)
        self._slot_waiting = np.zeros(BROADCAST_SLOTS, np.int64)
        self._slot_audience: dict[int, np.ndarray] = {}
        self._slot_order: list[int] = []     # slots in use, in delivery order
        self._stale: set[int] = set()        # slots of forgotten broadcasts, whose bits may still be set
        self._shown: dict[str, np.ndarray] = {}    # the sessions' working space, grown as needed

    def __len__(self) -> int:
        return self._alive + int(self._slot_waiting.sum())

    def _column(self, name: str, items: np.ndarray) -> np.ndarray:
        return self._columns[name][items - self._base]

    def deliver(self, person, post: int | np.ndarray, source: int | np.ndarray, arrival) -> None:
        """Put a post into the feeds of ``person`` (an array), from ``source``, at ``arrival`` hours.

        One post from one source at one moment to distinct people in
        increasing order (a brand's post to its audience) is kept as a
        broadcast while a slot is free; anything else as single items.
        """
        person = np.ascontiguousarray(person, dtype=np.int32)
        n = person.size
        if n == 0:
            return
        self._grow_people(int(person[-1] if n == 1 else person.max()) + 1)
        one = np.ndim(post) == 0 and np.ndim(source) == 0 and np.ndim(arrival) == 0
        if one and len(self._slot_order) < BROADCAST_SLOTS and (n == 1 or np.all(person[1:] > person[:-1])):
            self._broadcast(person, int(post), int(source), float(arrival))
            return
        self._reserve(n)
        at = slice(self._end - self._base, self._end - self._base + n)
        columns = self._columns
        columns["person"][at] = person
        columns["post"][at] = post
        columns["source"][at] = source
        columns["arrival"][at] = arrival
        columns["alive"][at] = True
        earliest = float(np.min(arrival))
        posts = [int(post)] if np.ndim(post) == 0 else distinct(np.asarray(post, np.int32))
        self._deliveries.append([self._end, self._end + n, earliest, n, posts])
        _chain(self._head, self._tail, columns["next"], self._pending, person, self._end, self._base)
        self._end += n
        self._alive += n

    def _broadcast(self, audience: np.ndarray, post: int, source: int, arrival: float) -> None:
        """Keep a post to ``audience`` (distinct, increasing) once, with a bit per person."""
        if len(self._slot_order) + len(self._stale) == BROADCAST_SLOTS:     # none free: clear the stale
            stale = sum(1 << s for s in self._stale)
            np.bitwise_and(self._pending, np.uint64(~stale & (2**64 - 1)), out=self._pending)
            self._stale.clear()
        used = set(self._slot_order) | self._stale
        slot = next(s for s in range(BROADCAST_SLOTS) if s not in used)
        self._slot_post[slot], self._slot_source[slot], self._slot_arrival[slot] = post, source, arrival
        self._slot_waiting[slot] = audience.size
        self._slot_audience[slot] = audience
        self._slot_order.append(slot)
        _mark(self._pending, audience, np.uint64(1) << np.uint64(slot))

    def _grow_people(self, people: int) -> None:
        """Room for people up to ``people - 1``."""
        if people > self._head.size:
            if self._fixed:
                raise ValueError(f"a person beyond the {self._head.size:,} people whose words the feed keeps")
            grow = max(people, 2 * self._head.size) - self._head.size
            self._head = np.concatenate([self._head, np.full(grow, -1, np.int64)])
            self._tail = np.concatenate([self._tail, np.full(grow, -1, np.int64)])
            self._pending = np.concatenate([self._pending, np.zeros(grow, np.uint64)])

    def _reserve(self, n: int) -> None:
        """Room for ``n`` more single items."""
        used = self._end - self._base
        capacity = self._columns["person"].size
        if used + n <= capacity:
            return
        first = self._deliveries[0][0] if self._deliveries else self._end   # older slots are all gone
        keep = slice(first - self._base, used)
        live = keep.stop - keep.start
        size = capacity if live + n <= capacity else max(2 * (live + n), 1024)   # slide, or grow
        for name, column in self._columns.items():
            moved = column if size == capacity else np.empty(size, dtype=column.dtype)
            moved[:live] = column[keep]
            self._columns[name] = moved
        self._base = first

    def _count_gone(self, items: np.ndarray) -> None:
        """Count single ``items`` (just marked gone) off the store and off their deliveries."""
        if items.size == 0:
            return
        self._alive -= items.size
        starts = np.array([d[0] for d in self._deliveries], dtype=np.int64)
        counts = np.bincount(np.searchsorted(starts, items, side="right") - 1, minlength=starts.size)
        for delivery, count in zip(self._deliveries, counts.tolist()):
            delivery[3] -= count

    def _taken(self, taken_from_slot: np.ndarray, singles: np.ndarray) -> None:
        """Count off what sessions took: per slot, the broadcasts (a slot nobody waits on is freed),
        and the single ``items`` (marked gone by the sessions)."""
        self._slot_waiting -= taken_from_slot
        for slot in [s for s in self._slot_order if self._slot_waiting[s] == 0]:
            self._free(slot)
        self._count_gone(singles)

    def _free(self, slot: int) -> None:
        self._slot_order.remove(slot)
        self._slot_waiting[slot] = 0
        del self._slot_audience[slot]

    def has_waiting(self, people: np.ndarray) -> np.ndarray:
        """Whether each of ``people`` has an item waiting."""
        people = np.asarray(people, dtype=np.int64)
        waiting = np.zeros(people.size, dtype=bool)
        known = people < self._head.size
        waiting[known] = self._pending[people[known]] & self._live_bits() != 0
        return waiting

    def _live_bits(self) -> np.uint64:
        """The bits of a ``pending`` word that mean something waits: the slots in use, and :data:`HAS_SINGLES`."""
        return np.bitwise_or.reduce(np.left_shift(np.uint64(1), np.array(self._slot_order, dtype=np.uint64)),
                                    initial=HAS_SINGLES)

    def take_session(self, readers: np.ndarray, session_at: np.ndarray) -> Items:
        """Remove and return the items a session shows: those that arrived before it.

        ``readers`` are the people who read now (distinct), ``session_at``
        when (hours, one per reader). The items come reader by reader; their
        ``reader`` is their reader's position in ``readers``. Items a
        session shows but the person does not read are gone: nobody scrolls
        back to them.
        """
        readers = np.asarray(readers, dtype=np.int64)
        session_at = np.asarray(session_at, dtype=np.float64)
        known = readers < self._head.size
        if not known.all():
            readers, session_at = readers[known], session_at[known]
            positions = np.flatnonzero(known)
        else:
            positions = None
        columns = self._columns
        room = self._room(readers.size)
        person, post, source = (np.empty(room, dtype=np.int32) for _ in range(3))
        arrival = np.empty(room)
        reader = np.empty(room, dtype=np.int64)
        singles = np.empty(self._alive, dtype=np.int64)
        taken_from_slot = np.zeros(BROADCAST_SLOTS, dtype=np.int64)
        count, single = _take(self._head, self._tail, columns["next"], columns["person"], columns["post"],
                              columns["source"], columns["arrival"], columns["alive"], self._base,
                              self._pending, np.array(self._slot_order, dtype=np.int64), self._slot_post,
                              self._slot_source, self._slot_arrival, readers, session_at,
                              person, post, source, arrival, reader, singles, taken_from_slot,
                              np.empty(readers.size, dtype=bool))
        self._taken(taken_from_slot, singles[:single])
        reader = reader[:count]
        return Items(person[:count], post[:count], source[:count], arrival[:count],
                     reader if positions is None else positions[reader])

    def open_sessions(self, readers: np.ndarray, times: SessionTimes, habits: ReadingHabits, pages: PageScores,
                      background: Background, ranking: Ranking) -> OpenSessions:
        """Open a tick's sessions in one compiled pass (:func:`_open_sessions`): place them in time,
        take out what arrived by then, score it, drop the hidden, rank the rest.

        ``readers`` are the people who read now (distinct), ``times``
        when (one draw each), ``habits`` and ``pages`` the population's
        arrays. The same items, numbers and order as :meth:`take_session`,
        the model's scores and :func:`read_session`'s ranking one after
        another; :meth:`OpenSessions.read` then makes the same draws.
        """
        readers = np.asarray(readers, dtype=np.int64)
        if readers.size and readers.max() >= min(len(habits), pages.hidden.shape[0]):
            raise ValueError("a reader beyond the people the session arrays hold")
        self._grow_people(len(habits))
        slots = np.array(self._slot_order, dtype=np.int64)
        shown = self._working_space(self._room(readers.size), self._alive)
        waiting = np.empty(readers.size, dtype=bool)
        span = np.empty(readers.size, dtype=np.int64)
        taken_from_slot = np.zeros(BROADCAST_SLOTS, dtype=np.int64)
        columns = self._columns
        table_of, chance_tables, sizes = habits.chance_tables
        start, end = background.active_hours
        count, taken, lone, several = _open_sessions(
            readers, _array(times.uniform, np.float64), _array(times.exponential, np.float64), float(times.opens),
            float(times.open_hours), habits.table,
            self._head, self._tail, columns["next"], columns["person"], columns["post"], columns["source"],
            columns["arrival"], columns["alive"], self._base, self._pending, slots, self._slot_post,
            self._slot_source, self._slot_arrival,
            pages.post_brand, pages.log_lift, pages.hidden, math.log(pages.friend_priority),
            table_of, chance_tables, sizes, float(start), float(end), float(background.at_night),
            ranking.kind == "chronological", ranking.time_scale, _EXP1, _EXP1_SLOPE,
            shown["person"], shown["post"], shown["source"], shown["arrival"], shown["reader"], shown["expected"],
            shown["chance"], shown["single"], shown["nested"], shown["steps"], shown["singles"], taken_from_slot,
            waiting, span)
        self._taken(taken_from_slot, shown["singles"][:taken])
        items = Items(shown["person"][:count], shown["post"][:count], shown["source"][:count],
                      shown["arrival"][:count], shown["reader"][:count])
        return OpenSessions(items, waiting, span, shown["chance"][:count],
                            shown["single"][:lone], shown["nested"][:several], shown["steps"][:several])

    def _room(self, readers: int) -> int:
        """The most items ``readers`` sessions can take: a broadcast each per slot in use (and no more
        than wait in the slots), and every single item."""
        return min(readers * len(self._slot_order), int(self._slot_waiting.sum())) + self._alive

    def _working_space(self, items: int, singles: int) -> dict[str, np.ndarray]:
        """The sessions' arrays, room for ``items`` items taken and ``singles`` single items: kept from
        tick to tick and grown (doubled) when short, not made anew at every tick."""
        shown = self._shown
        if not shown or shown["person"].size < items:
            size = max(items, 2 * (shown["person"].size if shown else 512))
            for name in ("person", "post", "source"):
                shown[name] = np.empty(size, dtype=np.int32)
            for name in ("arrival", "expected", "chance", "steps"):
                shown[name] = np.empty(size)
            for name in ("reader", "single", "nested"):
                shown[name] = np.empty(size, dtype=np.int64)
        if "singles" not in shown or shown["singles"].size < singles:
            shown["singles"] = np.empty(max(singles, 2 * shown.get("singles", np.empty(256)).size), dtype=np.int64)
        return shown

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
                self._columns["alive"][old - self._base] = False
                self._count_gone(old)
                owners = self._column("person", old).astype(np.int64)
                _unlink_gone(self._head, self._tail, self._columns["next"], self._columns["alive"],
                             self._pending, owners, self._base)
        while self._deliveries and self._deliveries[0][3] == 0:
            self._deliveries.pop(0)
        for slot in [s for s in self._slot_order if self._slot_arrival[s] < time]:
            self._stale.add(slot)            # its bits are cleared lazily (see the class)
            self._free(slot)

    def posts_waiting(self) -> set[int]:
        """The posts that some feed still holds (or may: a delivery counts until all of it is gone)."""
        return ({int(p) for delivery in self._deliveries if delivery[3] for p in delivery[4]}
                | {int(self._slot_post[s]) for s in self._slot_order})


@numba.njit("void(uint64[:], int32[::1], uint64)", cache=True)
def _mark(pending, people, bit):
    """Set ``bit`` (a broadcast's slot) in the waiting word of each of ``people``: one pass, no
    gathered copy of the words (NumPy's ``pending[people] |= bit`` reads and writes through one)."""
    for i in range(people.size):
        if i + LOOKAHEAD < people.size:
            prefetch(pending, people[i + LOOKAHEAD])
        pending[people[i]] |= bit


@numba.njit("void(int64[::1], int64[::1], int64[::1], uint64[:], int32[::1], int64, int64)", cache=True)
def _chain(head, tail, nxt, pending, person, first_item, base):
    """Chain the items ``first_item, first_item + 1, ...`` (one per ``person``) onto the ends of their lists."""
    for i in range(person.size):
        p, item = person[i], first_item + i
        nxt[item - base] = -1
        if pending[p] & HAS_SINGLES:
            nxt[tail[p] - base] = item
        else:
            head[p] = item
            pending[p] |= HAS_SINGLES
        tail[p] = item


@numba.njit(cache=True)
def _unlink_one(head, tail, nxt, alive, pending, p, base):
    """Take the items marked gone out of person ``p``'s chain, the rest kept in order (and the
    flag of single items cleared when none is left)."""
    item, kept = head[p], -1
    head[p] = -1
    while item >= 0:
        following = nxt[item - base]
        if alive[item - base]:
            if kept >= 0:
                nxt[kept - base] = item
            else:
                head[p] = item
            kept = item
        item = following
    if kept >= 0:
        nxt[kept - base] = -1
    else:
        pending[p] &= ~HAS_SINGLES
    tail[p] = kept


@numba.njit("UniTuple(int64, 2)(int64[::1], int64[::1], int64[::1], int32[::1], int32[::1], int32[::1], "
            "float64[::1], boolean[::1], int64, uint64[:], int64[::1], int32[::1], int32[::1], float64[::1], "
            "int64[::1], float64[::1], int32[::1], int32[::1], int32[::1], float64[::1], int64[::1], "
            "int64[::1], int64[::1], boolean[::1])", cache=True)
def _take(head, tail, nxt, item_person, item_post, item_source, item_arrival, alive, base,
          pending, slot_order, slot_post, slot_source, slot_arrival, readers, session_at,
          person, post, source, arrival, reader, singles, taken_from_slot, waiting):
    """Each reader's items that arrived by their session, written to ``person``, ``post``,
    ``source``, ``arrival`` and ``reader`` (the reader's position in ``readers``), and removed:
    first the broadcasts (their bits cleared, counted in ``taken_from_slot``), then the single
    items of the reader's chain (marked gone, their numbers written to ``singles``, and unlinked
    by :func:`_unlink_one`); ``waiting[j]``: whether reader ``j`` still has anything waiting after.
    Returns (items taken, single items taken)."""
    live = HAS_SINGLES                    # the bits that mean something: slots in use, and single items
    for slot in slot_order:
        live |= np.uint64(1) << np.uint64(slot)
    count = 0
    single = 0
    for j in range(readers.size):
        p = readers[j]
        if j + LOOKAHEAD < readers.size:
            prefetch(pending, readers[j + LOOKAHEAD])
        at = session_at[j]
        bits = pending[p] & live              # (a forgotten broadcast's stale bit is cleared here)
        if bits:
            for slot in slot_order:
                bit = np.uint64(1) << np.uint64(slot)
                if bits & bit and slot_arrival[slot] <= at:
                    bits ^= bit
                    person[count], post[count], source[count] = p, slot_post[slot], slot_source[slot]
                    arrival[count], reader[count] = slot_arrival[slot], j
                    taken_from_slot[slot] += 1
                    count += 1
        pending[p] = bits
        if bits & HAS_SINGLES:
            item = head[p]
            while item >= 0:
                if item_arrival[item - base] <= at:
                    person[count], post[count] = item_person[item - base], item_post[item - base]
                    source[count], arrival[count] = item_source[item - base], item_arrival[item - base]
                    reader[count] = j
                    count += 1
                    singles[single] = item
                    single += 1
                    alive[item - base] = False
                item = nxt[item - base]
            _unlink_one(head, tail, nxt, alive, pending, p, base)
        waiting[j] = pending[p] != 0
    return count, single


@numba.njit("void(int64[::1], int64[::1], int64[::1], boolean[::1], uint64[:], int64[::1], int64)", cache=True)
def _unlink_gone(head, tail, nxt, alive, pending, people, base):
    """Take the items marked gone out of the chains of ``people`` (a person may come more than once)."""
    for p in people:
        _unlink_one(head, tail, nxt, alive, pending, p, base)


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


BURIED = 1e-12
"""Below this chance of being read (counting the background alone), an item is taken as unread."""

_STEPS_PER_ITEM = 64
_fewer_than: dict[int, np.ndarray] = {}


def _chance_table(span: int) -> np.ndarray:
    """P(Poisson(k / 64) < span) for k = 0, 1, ... up to where it is below 1e-20 (then 0), made once per span."""
    table = _fewer_than.get(span)
    if table is None:
        top = span + 12.0 * math.sqrt(span) + 30.0
        table = special.pdtr(span - 1, np.arange(int(top * _STEPS_PER_ITEM) + 2) / _STEPS_PER_ITEM)
        table[-1] = 0.0
        _fewer_than[span] = table
    return table


def chance_fewer_than(span: int, expected: np.ndarray) -> np.ndarray:
    """P(Poisson(expected) < span): the chance that fewer than ``span`` items outrank one.

    Tabulated once per span on steps of 1/64 of an item (linear
    interpolation is off by less than 5e-5, for a span of 1, and less for
    larger spans) up to where the chance is below 1e-20;
    scipy.special.pdtr makes the table.
    """
    table = _chance_table(span)
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

    The per-item arithmetic and the walk along each session's items are
    compiled (:func:`_rank_sessions`, :func:`_read_ranked`); the draws come
    from ``rng``, uniforms for the lone items first, then the nested Poisson draws.
    """
    n = len(items)
    if n == 0:
        return np.zeros(0, dtype=bool)
    reader = _array(items.reader, np.int64)
    order = None
    if n > 1 and np.any(reader[1:] < reader[:-1]):      # the kernels walk sessions one after another
        order = np.argsort(reader, kind="stable")
    pick = (lambda values: values) if order is None else (lambda values: values[order])
    span = _array(attention_span, np.int64)
    table_of, chance_tables, sizes = _chance_tables(distinct(span))
    start, end = background.active_hours
    chronological = ranking.kind == "chronological"
    expected, chance, single, nested, steps = _rank_sessions(
        pick(reader), pick(_array(items.arrival, np.float64)), pick(_array(score, np.float64)),
        _array(at, np.float64), _array(since, np.float64), span, _array(rate, np.float64), table_of, chance_tables, sizes,
        float(start), float(end), float(background.at_night), chronological, ranking.time_scale,
        _EXP1, _EXP1_SLOPE)
    read = _draw_reads(n, single, chance, nested, steps, pick(reader), span, rng)
    if order is None:
        return read
    unsorted = np.empty(n, dtype=bool)
    unsorted[order] = read
    return unsorted


def _chance_tables(spans: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_chance_table` of each of ``spans`` (distinct, sorted) as the kernels read them: the row
    of each span (indexed by span), the tables one per row (padded with zeros), and each row's length."""
    table_of = np.zeros(int(spans.max()) + 1, dtype=np.int64)
    table_of[spans] = np.arange(spans.size)
    tables = [_chance_table(int(s)) for s in spans.tolist()]
    chance_tables = np.zeros((spans.size, max(t.size for t in tables)))
    for row, table in enumerate(tables):
        chance_tables[row, :table.size] = table
    return table_of, chance_tables, np.array([t.size for t in tables], dtype=np.int64)


def _draw_reads(n: int, single: np.ndarray, chance: np.ndarray, nested: np.ndarray, steps: np.ndarray,
                reader: np.ndarray, span: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Which of ``n`` ranked items are read (a bool mask): one uniform per lone hopeful item
    (``single``), then the Poisson numbers of background items between the nested ones (``steps``),
    in that order, from ``rng``; then :func:`_read_ranked`."""
    draw = rng.random(single.size)
    arrived = rng.poisson(steps) if steps.size else np.zeros(0, dtype=np.int64)
    return _read_ranked(n, single, chance, draw, nested, arrived, reader, span)


def _array(values, dtype) -> np.ndarray:
    """``values`` as the kernels take them: that dtype, writable, in one block (copied only if not)."""
    return np.require(values, dtype=dtype, requirements=("C", "W"))


@numba.njit(cache=True)
def _weighted_hours(time, start, end, at_night):
    """:meth:`Background.weighted_hours` of one moment (hours)."""
    day = math.floor(time * (1.0 / 24.0))
    awake_today = min(max(time - 24.0 * day - start, 0.0), end - start)
    return at_night * time + (1.0 - at_night) * (day * (end - start) + awake_today)


@numba.njit(cache=True)
def _exp1_at(log_x, exp1, slope):
    """:func:`_exp1_of_log` of one value."""
    if not log_x >= _LOG_X0:                # (a NaN goes this way too, never into the table)
        return -0.5772156649015329 - log_x
    position = (min(log_x, _LOG_X1) - _LOG_X0) * _PER_UNIT
    step = int(position)
    return exp1[step] + (position - step) * slope[step]


@numba.njit(cache=True)
def _rank_items(reader, arrival, log_score, now, before, rate, reader_table, chance_tables, sizes, start, end,
                at_night, chronological, tau, exp1, slope, expected, chance):
    """Per item (``reader``: its position among the readers), :func:`background_above` into ``expected``
    and :func:`chance_fewer_than` of it into ``chance``.

    ``arrival`` (hours) and ``log_score`` (the logarithm of the item's
    score) are per item; ``now`` and ``before`` (the reader's session and
    the previous one, in background hours), ``rate`` (background items per
    hour) and ``reader_table`` (the row of ``chance_tables`` for the
    reader's span) per reader. Three plain loops,
    one quantity each (ages, the background above, the chance): with
    nothing else in them, many items are in flight at once; one loop
    computing everything per item is 1.2x slower.
    """
    n = log_score.size
    age = np.empty(n)               # hours since the item arrived, in background hours
    unseen = np.empty(n)            # of them, hours it waited before the previous session
    for i in range(n):
        j = reader[i]
        arrived = _weighted_hours(arrival[i], start, end, at_night)
        age[i] = max(now[j] - arrived, 0.0)
        unseen[i] = max(arrived - before[j], 0.0)
    if chronological:
        for i in range(n):
            expected[i] = rate[reader[i]] * age[i] * math.exp(-log_score[i])
    else:
        for i in range(n):
            expected[i] = rate[reader[i]] * tau * (_exp1_at(log_score[i] - age[i] / tau, exp1, slope)
                                                    - _exp1_at(log_score[i] + unseen[i] / tau, exp1, slope))
    for i in range(n):
        table = reader_table[reader[i]]
        chance[i] = _chance_alone(expected[i], chance_tables, table, sizes[table] - 2)


@numba.njit(cache=True, inline="always")
def _chance_alone(above, chance_tables, table, last_step):
    """:func:`chance_fewer_than` of ``above`` background items, from row ``table`` of ``chance_tables``
    (whose last usable step is ``last_step``)."""
    if not above >= 0.0:
        raise ValueError("the background above a feed item is not a number of items (NaN or negative)")
    position = min(above * _STEPS_PER_ITEM, last_step + 1.0)
    step = min(int(position), last_step)
    low = chance_tables[table, step]
    return low + (position - step) * (chance_tables[table, step + 1] - low)


@numba.njit(cache=True)
def _order_sessions(reader, expected, arrival, chance, single, nested, steps):
    """Sort out each session's items (items grouped by ``reader``): a session's lone hopeful item
    (chance above :data:`BURIED`) goes to ``single``; the hopeful items of a session of several go
    to ``nested`` in ranking order (best first; ties: newest first), with the Poisson mean of the
    background between each and the one above in ``steps``. Returns how many went to ``single``
    and to ``nested``."""
    n = reader.size
    singles = 0
    several = 0
    first = 0
    while first < n:
        last = first
        while last < n and reader[last] == reader[first]:
            last += 1
        hopeful = 0
        for i in range(first, last):
            if chance[i] > BURIED:
                nested[several + hopeful] = i
                hopeful += 1
        if hopeful == 1:
            single[singles] = nested[several]
            singles += 1
        elif hopeful > 1:
            group = nested[several:several + hopeful]          # insertion sort: sessions hold few items
            for a in range(1, hopeful):
                item = group[a]
                key = expected[item] - 1e-9 * arrival[item]
                b = a - 1
                while b >= 0 and expected[group[b]] - 1e-9 * arrival[group[b]] > key:
                    group[b + 1] = group[b]
                    b -= 1
                group[b + 1] = item
            previous = 0.0
            for a in range(hopeful):
                steps[several + a] = max(expected[group[a]] - previous, 0.0)
                previous = expected[group[a]]
            several += hopeful
        first = last
    return singles, several


@numba.njit("Tuple((float64[:], float64[:], int64[:], int64[:], float64[:]))(int64[::1], float64[::1], "
            "float64[::1], float64[::1], float64[::1], int64[::1], float64[::1], int64[::1], float64[:, ::1], "
            "int64[::1], float64, float64, float64, boolean, float64, float64[::1], float64[::1])", cache=True)
def _rank_sessions(reader, arrival, score, at, since, span, rate, table_of, chance_tables, sizes,
                   start, end, at_night, chronological, tau, exp1, slope):
    """Per item (items grouped by reader): the expected background above it and its chance of being
    read alone; which items are their session's only hopeful one (``single``); and, for sessions of
    several, the hopeful items in ranking order (``nested``, best first; ties: newest first) with the
    Poisson mean of the background between each and the one above (``steps``)."""
    n = reader.size
    readers = at.size
    now = np.empty(readers)         # per reader: their moments in background hours, and their span's table
    before = np.empty(readers)
    reader_table = np.empty(readers, dtype=np.int64)
    for j in range(readers):
        now[j] = _weighted_hours(at[j], start, end, at_night)
        before[j] = _weighted_hours(since[j], start, end, at_night)
        reader_table[j] = table_of[span[j]]
    expected = np.empty(n)
    chance = np.empty(n)
    _rank_items(reader, arrival, np.log(score), now, before, rate, reader_table, chance_tables, sizes, start, end,
                at_night, chronological, tau, exp1, slope, expected, chance)
    single = np.empty(n, dtype=np.int64)
    nested = np.empty(n, dtype=np.int64)
    steps = np.empty(n)
    singles, several = _order_sessions(reader, expected, arrival, chance, single, nested, steps)
    return expected, chance, single[:singles], nested[:several], steps[:several]


@numba.njit("boolean[:](int64, int64[::1], float64[::1], float64[::1], int64[::1], int64[::1], int64[::1], "
            "int64[::1])", cache=True)
def _read_ranked(n, single, chance, draw, nested, arrived, reader, span):
    """Which items are read: a lone hopeful item when its draw falls below its chance; an item of a
    session of several when its rank (items above it, brand and background) is below the span."""
    read = np.zeros(n, dtype=np.bool_)
    for k in range(single.size):
        read[single[k]] = draw[k] < chance[single[k]]
    a = 0
    while a < nested.size:
        session = reader[nested[a]]
        above = 0
        position = 0
        while a < nested.size and reader[nested[a]] == session:
            above += arrived[a]
            read[nested[a]] = position + above < span[session]
            position += 1
            a += 1
    return read


@numba.njit("UniTuple(int64, 4)(int64[::1], float64[::1], float64[::1], float64, float64, float64[:, ::1], "
            "int64[::1], int64[::1], int64[::1], int32[::1], int32[::1], int32[::1], float64[::1], "
            "boolean[::1], int64, uint64[:], int64[::1], int32[::1], int32[::1], float64[::1], int16[::1], "
            "float64[::1], Array(boolean, 2, 'A', readonly=True), float64, int64[::1], float64[:, ::1], "
            "int64[::1], float64, float64, float64, boolean, float64, float64[::1], float64[::1], int32[::1], "
            "int32[::1], int32[::1], float64[::1], int64[::1], float64[::1], float64[::1], int64[::1], "
            "int64[::1], float64[::1], int64[::1], int64[::1], boolean[::1], int64[::1])", cache=True)
def _open_sessions(readers, uniform, exponential, opens, open_hours, habits,
                   head, tail, nxt, item_person, item_post, item_source, item_arrival, alive, base, pending,
                   slot_order, slot_post, slot_source, slot_arrival,
                   post_brand, log_lift, hidden, log_friend_priority,
                   table_of, chance_tables, sizes, start, end, at_night, chronological, tau, exp1, slope,
                   person, post, source, arrival, reader, expected, chance, single, nested, steps,
                   singles, taken_from_slot, waiting, span):
    """A tick's sessions in one kernel (what :meth:`Feed.take_session`, :func:`read_session`'s
    ranking and the scores of items did one NumPy step at a time, over gathered copies).

    For each of ``readers`` (people, distinct; ``j`` their position):

    1. the session falls ``uniform[j]`` of the way through the tick's ``open_hours`` from ``opens``,
       the previous one ``exponential[j]`` times the reader's mean hours awake between sessions
       before it (``habits``, per person: :class:`ReadingHabits`; the session is written there);
    2. the reader's items that arrived by then are taken out of the feed by :func:`_take`, which
       also writes ``waiting[j]``: whether the reader still has an item waiting;
    3. each scores the reader's affinity with the brand (``habits``: a page's post) or the friend's
       priority (a friend's share), times the post's lift, all as logarithms (``log_lift`` per post,
       ``log_friend_priority``: added, not multiplied); a page's post of a brand the reader hid is
       dropped, never shown;
    4. each shown item's expected background above it and its chance of being read alone
       (:func:`_rank_items`, with the reader's attention span and background rate per hour from
       ``habits``; ``span[j]``, the reader's attention span, is written for :func:`_read_ranked`).

    The shown items are written to ``person``, ``post``, ``source``, ``arrival``, ``reader`` (``j``),
    ``expected`` and ``chance``, then sorted out by :func:`_order_sessions` into ``single``,
    ``nested`` and ``steps``. Returns (items shown, single items taken, lone items, nested items).
    Every index read comes from the feed's own store or from ``readers`` (people the arrays hold).

    Each step is a loop of its own over the readers or their items: the
    people's values are fetched in a loop that does little else, so that
    many of these scattered fetches are under way at once (one loop doing
    everything per reader waits on them one at a time: about 1.4x slower at 10^6 people).
    """
    n = readers.size
    brands = hidden.shape[1]
    at = np.empty(n)                  # per reader: their session, and the previous, in background hours
    now = np.empty(n)
    before = np.empty(n)
    reader_rate = np.empty(n)
    reader_table = np.empty(n, dtype=np.int64)
    reader_log_affinity = np.empty((n, brands))
    reader_hidden = np.empty((n, brands), dtype=np.bool_)
    for j in range(n):                # 1. the sessions, as _place_sessions, and the readers' values
        p = readers[j]
        if j + LOOKAHEAD < n:         # (asked of memory ahead: :mod:`sim.prefetch`)
            ahead = readers[j + LOOKAHEAD]
            prefetch(habits, ahead)
            prefetch(hidden, ahead)   # (in the model, the row's own line: nothing more is fetched)
        at[j] = opens + uniform[j] * open_hours
        since = at[j] - exponential[j] * habits[p, HOURS_BETWEEN]
        habits[p, SESSION_AT] = at[j]
        now[j] = _weighted_hours(at[j], start, end, at_night)
        before[j] = _weighted_hours(since, start, end, at_night)
        reader_rate[j] = habits[p, BACKGROUND_RATE]
        span[j] = int(habits[p, SPAN])
        reader_table[j] = table_of[span[j]]
        for b in range(brands):
            reader_log_affinity[j, b] = habits[p, LOG_AFFINITY + b]
            reader_hidden[j, b] = hidden[p, b]
    taken_items, taken = _take(head, tail, nxt, item_person, item_post, item_source, item_arrival, alive, base,
                               pending, slot_order, slot_post, slot_source, slot_arrival, readers, at,
                               person, post, source, arrival, reader, singles, taken_from_slot, waiting)   # 2.
    log_score = np.empty(taken_items)
    count = 0
    for i in range(taken_items):      # 3. the items shown, and their scores (logarithms)
        j = reader[i]
        q = post[i]
        brand = post_brand[q]
        if source[i] == BRAND:
            if reader_hidden[j, brand]:
                continue
            log_score[count] = reader_log_affinity[j, brand] + log_lift[q]
        else:
            log_score[count] = log_friend_priority + log_lift[q]
        person[count], post[count], source[count], arrival[count], reader[count] = person[i], q, source[i], arrival[i], j
        count += 1
    _rank_items(reader[:count], arrival[:count], log_score[:count], now, before, reader_rate, reader_table,  # 4.
                chance_tables, sizes, start, end, at_night, chronological, tau, exp1, slope, expected, chance)
    lone, several = _order_sessions(reader[:count], expected, arrival, chance, single, nested, steps)
    return count, taken, lone, several
