"""Followers: who follows which brand, how tired of it they are, and the rules.

A person's relation to a brand has three parts, each an array indexed by
``[person, brand]``:

* **follows**: whether they follow the brand now (``at_start`` keeps who did
  at the start; ``unfollowed`` who left during the run, for good);
* **fatigue**: how tired of the brand they are; every brand post they read
  adds some (:func:`reading_fatigue`), and it halves every
  ``fatigue.half_life_hours`` hours, so many posts in a short time add up;
* **hidden**: a follower tired beyond their type's ``fatigue_tolerance``
  may act on it at each further post (the further above, the likelier): they
  either hide the brand's posts ("social blindness": a lasting choice, the
  posts stop showing while they stay a follower) or unfollow it, in the
  survey's proportions (ExactTarget 2011: 38% hid, 43% unliked). Hiding
  lasts for the run: nothing in the survey says people come back, so a
  person hides a brand at most once.

The model owns one :class:`Followers`; the agents, the demo and the report
ask it rather than re-deriving its rules. Who follows and who hid a brand
change only through its methods (the arrays it shows are read-only): it
keeps each brand's audience and the count of followers up to date from
those changes, rather than scanning every person at every post and tick.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from .distinct import distinct
from .events import BRAND
from .prefetch import LOOKAHEAD, prefetch
from .scenario import Fatigue


@numba.njit("float64(UniTuple(float64, 4), float64, boolean, float64, float64)", cache=True)
def reading_fatigue(rules, promotional: float, off_topic: bool, offended: float, provocative: float) -> float:
    """Fatigue one reading of a brand's own post adds (units of ``fatigue.per_post``).

    ``per_post`` for any post, plus ``promotional`` per unit of how
    promotional it is, ``irrelevant`` when it is off the reader's interests,
    and ``provocative`` per unit of provocation times how much the reader's
    type is offended by it. ``rules`` are the scenario's (:func:`fatigue_rules`).
    """
    per_post, per_promotional, irrelevant, per_provocative = rules
    return per_post + per_promotional * promotional + irrelevant * off_topic + per_provocative * offended * provocative


def fatigue_rules(rules: Fatigue) -> tuple[float, float, float, float]:
    """The weights of :func:`reading_fatigue`, from the scenario's ``fatigue`` section."""
    return float(rules.per_post), float(rules.promotional), float(rules.irrelevant), float(rules.provocative)


@numba.njit("int64(UniTuple(float64, 4), int32[::1], int32[::1], int32[::1], boolean[::1], int8[::1], "
            "float64[::1], int16[::1], float64[::1], float64[:], float64[::1], float64[::1], int32[::1], "
            "int64[::1], float64[::1], float64[::1], float64[::1])", cache=True)
def fatigue_of_readings(rules, person, post, source, on_topic, kind, session_at, post_brand, promotional, provocative,
                        offended, tolerance_of_kind, reader, brand, added, at, tolerance):
    """Of a tick's readings, those of a brand's own post (``source`` the brand, not a friend's
    share), in order, as :meth:`Followers.tire` takes them; returns how many.

    Per reading (``person``, ``post``, ``on_topic`` for the reader, the
    reader's type ``kind``, their session at ``session_at`` hours) it writes
    the ``reader``, the post's ``brand``, the fatigue it ``added``
    (:func:`reading_fatigue`, from the posts' ``promotional`` and
    ``provocative`` and the types' ``offended``), the hour ``at`` and the
    reader's ``tolerance`` (``tolerance_of_kind``): one pass, no copies.
    """
    count = 0
    for i in range(post.size):
        if source[i] != BRAND:
            continue
        q, k = post[i], kind[i]
        reader[count], brand[count], at[count] = person[i], post_brand[q], session_at[i]
        added[count] = reading_fatigue(rules, promotional[q], not on_topic[i], offended[k], provocative[q])
        tolerance[count] = tolerance_of_kind[k]
        count += 1
    return count


@numba.njit("int64(int32[::1], int64[::1], float64[::1], float64[::1], boolean[:, ::1], boolean[:, :], "
            "float64[:, :], float64[:, :], float64, float64[::1], int64[::1], float64[::1], float64[::1])", cache=True)
def add_fatigue(person, brand, added, at, follows, hidden, fatigue, fatigue_at, half_life_hours, tolerance,
                first, after, excess):
    """Add readings' fatigue to each (person, brand) they concern; returns how many pairs that is.

    Readings (``person``, ``brand``, ``added`` fatigue, ``at`` hours) by
    non-followers, or of a hidden brand, count for nothing. The readings of
    one pair add up onto the pair's fatigue, decayed (halving every
    ``half_life_hours``) to the hour of its first reading, which becomes the
    pair's ``fatigue_at``. Pair ``j`` is written to ``first[j]`` (the
    position of its first reading) and ``after[j]`` (its fatigue now), in the
    order of first readings, and ``excess[j]``: how far above the person's
    tolerance (``tolerance``, per reading) that is, in tolerances, between 0 and 1.

    One pass over the readings, where sorting them into pairs would take
    ``log k`` passes: while the pass runs, a pair already met is marked by a
    negative ``fatigue_at`` (``-(j + 1)``, its pair number; hours are never
    negative), restored at the end. Whether each reader sees the brand is
    fetched first, in a loop that does nothing else (so that many of these
    scattered fetches are under way at once; 1.3x faster over a tick's
    readings at 10^6 people, from a cold cache).
    """
    n = person.size
    sees = np.empty(n, dtype=np.bool_)
    for i in range(n):
        if i + LOOKAHEAD < n:                      # (asked of memory ahead: :mod:`sim.prefetch`)
            ahead = person[i + LOOKAHEAD]
            prefetch(follows, ahead)
            prefetch(hidden, ahead)
            prefetch(fatigue_at, ahead)            # (fatigue is on the same line)
        p, b = person[i], brand[i]
        sees[i] = follows[p, b] and not hidden[p, b]   # a follower who has not hidden the brand
    pairs = 0
    last_update = np.empty(first.size)
    for i in range(n):
        if not sees[i]:
            continue
        p, b = person[i], brand[i]
        mark = fatigue_at[p, b]
        if mark < 0.0:                         # the pair met before: its readings add up
            after[int(-mark) - 1] += added[i]
            continue
        first[pairs], last_update[pairs], after[pairs] = i, mark, added[i]
        pairs += 1
        fatigue_at[p, b] = -float(pairs)
    for j in range(pairs):
        i = first[j]
        p, b = person[i], brand[i]
        elapsed = max(at[i] - last_update[j], 0.0)
        after[j] += fatigue[p, b] * np.exp2(-elapsed / half_life_hours)
        fatigue[p, b] = after[j]
        fatigue_at[p, b] = at[i]
        excess[j] = min(max((after[j] - tolerance[i]) / tolerance[i], 0.0), 1.0)
    return pairs


@numba.njit("int32[:](uint8[:], uint8[:], uint8[:])", cache=True)
def _audience(follows, hidden, subscribed):
    """The people (increasing) with ``follows`` and not ``hidden``, or ``subscribed`` (0/1 per person).

    One pass with no branch on who is in: every person is written at the
    next free place, which moves on only for those in (a page's followers
    are a random tenth of the people: a branch would be mispredicted at
    every tenth person, twice as slow). The place is over-allocated (one
    per person) and the audience copied out: 1.6x faster than counting
    first in a pass of its own.
    """
    audience = np.empty(follows.size + 1, dtype=np.int32)   # one spare: every person is written, then counted
    count = 0
    for p in range(follows.size):
        audience[count] = p
        count += (follows[p] & (1 - hidden[p])) | subscribed[p]
    return audience[:count].copy()


def _read_only(array: np.ndarray) -> np.ndarray:
    """A view of ``array`` that cannot be written through."""
    view = array.view()
    view.flags.writeable = False
    return view


def _corrected(audience: np.ndarray, people: np.ndarray, follows: np.ndarray, hidden: np.ndarray,
               subscribed: np.ndarray) -> np.ndarray:
    """``audience`` (increasing) with ``people`` (distinct, increasing) in or out as they now are:
    in when they follow and have not hidden the brand, or are ``subscribed``."""
    inside = (follows[people] & ~hidden[people]) | subscribed[people]
    where = np.searchsorted(audience, people)
    present = where < audience.size
    present[present] = audience[where[present]] == people[present]
    kept = np.delete(audience, where[present & ~inside])
    joining = people[inside & ~present]
    return np.insert(kept, np.searchsorted(kept, joining), joining)


class Tiring(NamedTuple):
    """What a tick of readings did to followers: who hid the brand and who left it (pairs)."""

    hid_person: np.ndarray
    hid_brand: np.ndarray
    left_person: np.ndarray
    left_brand: np.ndarray

    @classmethod
    def nobody(cls) -> Tiring:
        """No one hid or left a brand."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, empty, empty)


class Followers:
    """Every person's relation to every brand, and the rules that change it.

    Args:
        population: number of people.
        brands: number of brands.
        rules: the scenario's ``fatigue`` section.
    """

    def __init__(self, population: int, brands: int, rules: Fatigue) -> None:
        self.rules = rules
        self._follows = np.zeros((population, brands), dtype=bool)
        self._unfollowed = np.zeros_like(self._follows)
        self._hidden = np.zeros_like(self._follows)
        self.follows = _read_only(self._follows)
        """Whether each person follows each brand now (read-only: :meth:`follow`, :meth:`tire`)."""
        self.unfollowed = _read_only(self._unfollowed)
        """Who left each brand during the run, for good (read-only)."""
        self.hidden = _read_only(self._hidden)
        """Who hid each brand's posts (read-only)."""
        self.at_start = self.follows.copy()
        # fatigue and the hour it was last updated side by side, in one cache line per (person, brand):
        # a reading looks up both, at a random person of a large population
        fatigue_and_hour = np.zeros((*self._follows.shape, 2))
        self.fatigue = fatigue_and_hour[..., 0]
        self.fatigue_at = fatigue_and_hour[..., 1]          # hours when last updated
        self._total = int(np.count_nonzero(self._follows))  # follows now, over every brand
        self._subscribed = np.zeros_like(self._follows)    # get the brand's posts anyway (seeded)
        self._audiences: list[np.ndarray | None] = [None] * brands      # per brand, its last audience
        self._changed: list[list[np.ndarray]] = [[] for _ in range(brands)]   # people, since each audience

    def keep_hidden_in(self, flags: np.ndarray) -> None:
        """From now on keep who hid each brand in ``flags`` ((people, brands) bools: a view of the rows
        a session reads, :attr:`sim.feed.ReadingHabits.hidden`, so that a session finds them beside
        its reader's other values)."""
        if flags.shape != self._hidden.shape or flags.dtype != np.bool_:
            raise ValueError(f"hidden flags must be {self._hidden.shape} bools")
        flags[...] = self._hidden
        self._hidden = flags
        self.hidden = _read_only(flags)

    def start(self) -> None:
        """Record who follows at the start (after the initial followers are drawn)."""
        self.at_start = self._follows.copy()

    def count(self, brand: int) -> int:
        """The brand's followers now."""
        return int(np.count_nonzero(self._follows[:, brand]))

    @property
    def total(self) -> int:
        """Follows now, summed over the brands (kept as people follow and leave: no scan)."""
        return self._total

    def subscribe(self, person: np.ndarray, brand: int) -> None:
        """These people get the brand's posts in their feed whether they follow it or not (those it seeded)."""
        self._subscribed[person, brand] = True
        self._note_changes(np.asarray(person), np.asarray(brand))

    def audience(self, brand: int) -> np.ndarray:
        """Who gets the brand's posts in their feed, in increasing order: its followers who have
        not hidden it, and the people subscribed to it (:meth:`subscribe`).

        Found by one pass over the people (:func:`_audience`) the first time; after that, the
        last audience is corrected for the people whose following, hiding or subscription
        changed since (a post goes to a tenth of the people: the correction costs a fraction
        of the pass).
        """
        known = self._audiences[brand]
        changed = self._changed[brand]
        if known is None:
            known = _audience(self._follows[:, brand].view(np.uint8), self._hidden[:, brand].view(np.uint8),
                              self._subscribed[:, brand].view(np.uint8))
        elif changed:
            known = _corrected(known, distinct(np.concatenate(changed)).astype(np.int32), self._follows[:, brand],
                               self._hidden[:, brand], self._subscribed[:, brand])
        changed.clear()
        self._audiences[brand] = known
        return known.copy()             # the caller's to keep: the next correction starts from ours

    def hidden_followers(self, brand: int) -> int:
        """Followers who have hidden the brand's posts."""
        return int(np.count_nonzero(self._follows[:, brand] & self._hidden[:, brand]))

    # -- fatigue, hiding, leaving -----------------------------------------------

    def fatigue_now(self, person: np.ndarray, brand, at) -> np.ndarray:
        """Fatigue of people with a brand, decayed to ``at`` hours since the start."""
        elapsed = np.maximum(at - self.fatigue_at[person, brand], 0.0)
        return self.fatigue[person, brand] * np.exp2(-elapsed / self.rules.half_life_hours)

    def tire(self, person: np.ndarray, brand: np.ndarray, added: np.ndarray, at: np.ndarray, tolerance: np.ndarray,
             rng: np.random.Generator) -> Tiring:
        """Add the fatigue of readings (one row per reading) and let tired followers act.

        Readings by non-followers, or of a hidden brand, are ignored.
        Readings of one person and brand add up (:func:`add_fatigue`); ``at``
        is each reading's time in hours since the start, ``tolerance`` its
        reader's fatigue tolerance (their type's: the model knows the types).
        Each follower then above their tolerance acts with chance
        ``act_probability`` times how far above it they are (1 at twice the
        tolerance): they hide the brand (``hide_share`` of them) or unfollow it.
        """
        first = np.empty(person.size, dtype=np.int64)
        after = np.empty(person.size)
        excess = np.empty(person.size)
        contiguous = np.ascontiguousarray       # (the loop's own arrays are declared contiguous)
        pairs = add_fatigue(contiguous(person, dtype=np.int32), contiguous(brand, dtype=np.int64),
                            contiguous(added, dtype=float), contiguous(at, dtype=float), self._follows, self._hidden,
                            self.fatigue, self.fatigue_at, float(self.rules.half_life_hours),
                            contiguous(tolerance, dtype=float), first, after, excess)
        if pairs == 0:
            return Tiring.nobody()
        draw = rng.random((2, pairs))
        acting = np.flatnonzero(draw[0] < self.rules.act_probability * excess[:pairs])
        if acting.size == 0:
            return Tiring.nobody()
        hides = draw[1, acting] < self.rules.hide_share
        reading = first[acting]                 # each acting pair's first reading
        person, brand = person[reading], brand[reading]
        tiring = Tiring(person[hides], brand[hides], person[~hides], brand[~hides])
        self.hide(tiring.hid_person, tiring.hid_brand)
        self.leave(tiring.left_person, tiring.left_brand)
        return tiring

    def hide(self, person: np.ndarray, brand: np.ndarray) -> None:
        """These people (followers) hide the brand's posts (pairs: ``person[i]`` hides ``brand[i]``)."""
        self._hidden[person, brand] = True
        self._note_changes(person, brand)

    def leave(self, person: np.ndarray, brand: np.ndarray) -> None:
        """These people (followers) unfollow the brand, for good (pairs: ``person[i]`` leaves ``brand[i]``)."""
        person, brand = self._distinct_pairs(person, brand)
        self._total -= int(np.count_nonzero(self._follows[person, brand]))
        self._follows[person, brand] = False
        self._unfollowed[person, brand] = True
        self._note_changes(person, brand)

    # -- following ------------------------------------------------------------

    def may_follow(self, person: np.ndarray, brand: np.ndarray) -> np.ndarray:
        """Whether each person could still follow the brand: not a follower, never left it."""
        return ~self._follows[person, brand] & ~self._unfollowed[person, brand]

    def follow(self, person: np.ndarray, brand) -> None:
        """These people follow the brand (pairs; ``brand`` may be one brand for all)."""
        person, brand = self._distinct_pairs(person, brand)
        self._total += int(np.count_nonzero(~self._follows[person, brand]))
        self._follows[person, brand] = True
        self._note_changes(person, brand)

    def _distinct_pairs(self, person, brand) -> tuple[np.ndarray, np.ndarray]:
        """The distinct (person, brand) pairs of ``person`` and ``brand`` (broadcast against each other)."""
        person, brand = np.broadcast_arrays(np.asarray(person, dtype=np.int64), np.asarray(brand, dtype=np.int64))
        brands = self._follows.shape[1]
        pairs = distinct(person.ravel() * brands + brand.ravel())
        return pairs // brands, pairs % brands

    def _note_changes(self, person: np.ndarray, brand: np.ndarray) -> None:
        """Remember whose following, hiding or subscription of which brand changed, for :meth:`audience`."""
        person, brand = np.broadcast_arrays(np.asarray(person), np.asarray(brand))
        if person.size == 0:
            return
        for b in distinct(brand.ravel()).tolist():
            if self._audiences[b] is not None:      # (before its first audience, there is nothing to correct)
                self._changed[b].append(person[brand == b])
