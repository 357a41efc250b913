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
ask it rather than re-deriving its rules.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from .prefetch import LOOKAHEAD, prefetch
from .scenario import Fatigue


def reading_fatigue(rules: Fatigue, promotional: np.ndarray, off_topic: np.ndarray,
                    offended: np.ndarray, provocative: np.ndarray) -> np.ndarray:
    """Fatigue one reading of a brand's own post adds (units of ``fatigue.per_post``).

    ``per_post`` for any post, plus ``promotional`` per unit of how
    promotional it is, ``irrelevant`` when it is off the reader's interests,
    and ``provocative`` per unit of provocation times how much the reader's
    type is offended by it.
    """
    return (rules.per_post + rules.promotional * promotional + rules.irrelevant * off_topic
            + rules.provocative * offended * provocative)


@numba.njit("int64(int32[:], int64[:], float64[:], float64[:], boolean[:, :], boolean[:, :], "
            "float64[:, :], float64[:, :], float64, int64[:], float64[:])", cache=True)
def add_fatigue(person, brand, added, at, follows, hidden, fatigue, fatigue_at, half_life_hours,
                first, after):
    """Add readings' fatigue to each (person, brand) they concern; returns how many pairs that is.

    Readings (``person``, ``brand``, ``added`` fatigue, ``at`` hours) by
    non-followers, or of a hidden brand, count for nothing. The readings of
    one pair add up onto the pair's fatigue, decayed (halving every
    ``half_life_hours``) to the hour of its first reading, which becomes the
    pair's ``fatigue_at``. Pair ``j`` is written to ``first[j]`` (the
    position of its first reading) and ``after[j]`` (its fatigue now), in the
    order of first readings.

    One pass over the readings, where sorting them into pairs would take
    ``log k`` passes: while the pass runs, a pair already met is marked by a
    negative ``fatigue_at`` (``-(j + 1)``, its pair number; hours are never
    negative), restored at the end.
    """
    pairs = 0
    last_update = np.empty(first.size)
    for i in range(person.size):
        if i + LOOKAHEAD < person.size:            # (asked of memory ahead: :mod:`sim.prefetch`)
            ahead = person[i + LOOKAHEAD]
            prefetch(follows, ahead)
            prefetch(hidden, ahead)
            prefetch(fatigue_at, ahead)
            prefetch(fatigue, ahead)
        p, b = person[i], brand[i]
        if not follows[p, b] or hidden[p, b]:      # not a follower, or does not see the brand
            continue
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
    return pairs


@numba.njit("int32[:](uint8[:], uint8[:], uint8[:])", cache=True)
def _audience(follows, hidden, also):
    """The people (increasing) with ``follows`` and not ``hidden``, or ``also`` (0/1 per person).

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
        count += (follows[p] & (1 - hidden[p])) | also[p]
    return audience[:count].copy()


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
        tolerance: each person's fatigue tolerance (their type's), per person.
    """

    def __init__(self, population: int, brands: int, rules: Fatigue, tolerance: np.ndarray) -> None:
        self.rules = rules
        self.tolerance = tolerance
        self.follows = np.zeros((population, brands), dtype=bool)
        self.at_start = self.follows.copy()
        self.unfollowed = np.zeros_like(self.follows)
        self.hidden = np.zeros_like(self.follows)
        # fatigue and the hour it was last updated side by side, in one cache line per (person, brand):
        # a reading looks up both, at a random person of a large population
        fatigue_and_hour = np.zeros((*self.follows.shape, 2))
        self.fatigue = fatigue_and_hour[..., 0]
        self.fatigue_at = fatigue_and_hour[..., 1]          # hours when last updated

    def start(self) -> None:
        """Record who follows at the start (after the initial followers are drawn)."""
        self.at_start = self.follows.copy()

    def count(self, brand: int) -> int:
        """The brand's followers now."""
        return int(np.count_nonzero(self.follows[:, brand]))

    def audience(self, brand: int, also: np.ndarray) -> np.ndarray:
        """Who gets the brand's posts in their feed, in increasing order: its followers who have not
        hidden it, and the people ``also`` marks (bool per person: those the brand seeded)."""
        return _audience(self.follows[:, brand].view(np.uint8), self.hidden[:, brand].view(np.uint8),
                         np.asarray(also, dtype=bool).view(np.uint8))

    def hidden_followers(self, brand: int) -> int:
        """Followers who have hidden the brand's posts."""
        return int(np.count_nonzero(self.follows[:, brand] & self.hidden[:, brand]))

    # -- fatigue, hiding, leaving -----------------------------------------------

    def fatigue_now(self, person: np.ndarray, brand, at) -> np.ndarray:
        """Fatigue of people with a brand, decayed to ``at`` hours since the start."""
        elapsed = np.maximum(at - self.fatigue_at[person, brand], 0.0)
        return self.fatigue[person, brand] * np.exp2(-elapsed / self.rules.half_life_hours)

    def tire(self, person: np.ndarray, brand: np.ndarray, added: np.ndarray, at: np.ndarray,
             rng: np.random.Generator) -> Tiring:
        """Add the fatigue of readings (one row per reading) and let tired followers act.

        Readings by non-followers, or of a hidden brand, are ignored.
        Readings of one person and brand add up (:func:`add_fatigue`); ``at``
        is each reading's time in hours since the start. Each follower then above their tolerance acts with
        chance ``act_probability`` times how far above it they are (1 at
        twice the tolerance): they hide the brand (``hide_share`` of them) or
        unfollow it.
        """
        first = np.empty(person.size, dtype=np.int64)
        after = np.empty(person.size)
        pairs = add_fatigue(np.asarray(person, dtype=np.int32), np.asarray(brand, dtype=np.int64),
                            np.asarray(added, dtype=float), np.asarray(at, dtype=float), self.follows, self.hidden,
                            self.fatigue, self.fatigue_at, float(self.rules.half_life_hours), first, after)
        if pairs == 0:
            return Tiring.nobody()
        first, after = first[:pairs], after[:pairs]
        person, brand = person[first], brand[first]

        tolerance = self.tolerance[person]
        excess = np.clip((after - tolerance) / tolerance, 0.0, 1.0)
        draw = rng.random((2, pairs))
        acts = draw[0] < self.rules.act_probability * excess
        hides = acts & (draw[1] < self.rules.hide_share)
        if not acts.any():
            return Tiring.nobody()
        leaves = acts & ~hides
        self.hidden[person[hides], brand[hides]] = True
        self.follows[person[leaves], brand[leaves]] = False
        self.unfollowed[person[leaves], brand[leaves]] = True
        return Tiring(person[hides], brand[hides], person[leaves], brand[leaves])

    # -- following ------------------------------------------------------------

    def may_follow(self, person: np.ndarray, brand: np.ndarray) -> np.ndarray:
        """Whether each person could still follow the brand: not a follower, never left it."""
        return ~self.follows[person, brand] & ~self.unfollowed[person, brand]

    def follow(self, person: np.ndarray, brand: np.ndarray) -> None:
        self.follows[person, brand] = True
