"""Followers: who follows which brand, how tired of it they are, and the rules.

A person's relation to a brand has three parts, each an array indexed by
``[person, brand]``:

* **follows**: whether they follow the brand now (``at_start`` keeps who did
  at the start; ``unfollowed`` who left during the run, for good);
* **fatigue**: how tired of the brand they are; every brand post they read
  adds some (:func:`reading_fatigue`), and it halves every
  ``fatigue.half_life_hours`` hours, so many posts in a short time add up;
* **blindness**, which follows from fatigue: above their type's
  ``fatigue_tolerance`` a follower stops noticing the brand ("social
  blindness"); the further above, the likelier each further post makes them
  unfollow.

The model owns one :class:`Followers`; the agents, the demo and the report
ask it rather than re-deriving its rules.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

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


class Tiring(NamedTuple):
    """What a tick of readings did to followers: who turned blind and who left (pairs)."""

    blind_person: np.ndarray
    blind_brand: np.ndarray
    left_person: np.ndarray
    left_brand: np.ndarray


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
        self.fatigue = np.zeros(self.follows.shape)
        self.fatigue_at = np.zeros(self.follows.shape)      # hours when last updated

    def start(self) -> None:
        """Record who follows at the start (after the initial followers are drawn)."""
        self.at_start = self.follows.copy()

    def count(self, brand: int) -> int:
        """The brand's followers now."""
        return int(np.count_nonzero(self.follows[:, brand]))

    # -- fatigue and blindness ------------------------------------------------

    def fatigue_now(self, person: np.ndarray, brand, at) -> np.ndarray:
        """Fatigue of people with a brand, decayed to ``at`` hours since the start."""
        elapsed = np.maximum(at - self.fatigue_at[person, brand], 0.0)
        return self.fatigue[person, brand] * np.exp2(-elapsed / self.rules.half_life_hours)

    def blind_to(self, person: np.ndarray, brand, at) -> np.ndarray:
        """Whether people have stopped noticing a brand ("social blindness") at ``at`` hours."""
        return self.fatigue_now(person, brand, at) >= self.tolerance[person]

    def blind_followers(self, brand: int, at) -> int:
        """Followers of a brand who are blind to it at ``at`` hours."""
        people = np.flatnonzero(self.follows[:, brand])
        return int(self.blind_to(people, brand, at).sum())

    def tire(self, person: np.ndarray, brand: np.ndarray, added: np.ndarray, at: np.ndarray,
             rng: np.random.Generator) -> Tiring:
        """Add the fatigue of readings (one row per reading) and apply its consequences.

        Readings by non-followers are ignored. Readings of one person and
        brand add up; ``at`` is each reading's time in hours. A follower
        crossing their tolerance turns blind; each follower above it leaves
        with chance ``unfollow_probability`` times how far above it they are
        (1 at twice the tolerance).
        """
        following = self.follows[person, brand]
        person, brand, added, at = person[following], brand[following], added[following], at[following]
        if person.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return Tiring(empty, empty, empty, empty)
        brands = self.follows.shape[1]
        pair = person.astype(np.int64) * brands + brand
        pair, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
        person, brand, now = person[first], brand[first], at[first]
        before = self.fatigue_now(person, brand, at=now)
        after = before + np.bincount(inverse, weights=added, minlength=pair.size)
        self.fatigue[person, brand] = after
        self.fatigue_at[person, brand] = now

        tolerance = self.tolerance[person]
        turned_blind = (before < tolerance) & (after >= tolerance)
        excess = np.clip((after - tolerance) / tolerance, 0.0, 1.0)
        leaves = rng.random(pair.size) < self.rules.unfollow_probability * excess
        self.follows[person[leaves], brand[leaves]] = False
        self.unfollowed[person[leaves], brand[leaves]] = True
        return Tiring(person[turned_blind], brand[turned_blind], person[leaves], brand[leaves])

    # -- following ------------------------------------------------------------

    def may_follow(self, person: np.ndarray, brand: np.ndarray) -> np.ndarray:
        """Whether each person could still follow the brand: not a follower, never left it."""
        return ~self.follows[person, brand] & ~self.unfollowed[person, brand]

    def follow(self, person: np.ndarray, brand: np.ndarray) -> None:
        self.follows[person, brand] = True
