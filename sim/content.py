"""Posts: their qualities, when a campaign publishes them, and attention decay.

A post has a kind (``tip``, ``offer`` ...), a topic, seven qualities in
[0, 1] (one per motivation, see :data:`sim.motivations.QUALITIES`) and how
promotional it is. The model keeps all published posts in a
:class:`PostTable` of arrays, so that a tick handles thousands of
readings of many posts with a few NumPy operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .motivations import QUALITIES


def attention(age_hours, half_life_hours):
    """The share of a post's pull left after ``age_hours``: halves every half-life.

    Attention to news decays fast (a digg story's half-life is 69 minutes, Wu &
    Huberman 2007; posts on Twitter 21 minutes, on Facebook 30 minutes, on
    Instagram 19 hours, Graffius 2018); sharesim uses an exponential decay
    whose half-life depends on the reader's motivation.
    """
    return np.exp2(-np.asarray(age_hours, dtype=float) / half_life_hours)


@dataclass(frozen=True)
class PlannedPost:
    """A post a campaign will publish: at which tick, how many hours into it, which kind (index into the content mix)."""

    tick: int
    offset_hours: float
    kind: int


def planned_at(hour_of_run: float, tick_hours: float, kind: int) -> PlannedPost:
    """A post at a moment, in hours since the run began: tick 1 holds hours [0, tick_hours)."""
    index = int(math.floor(hour_of_run / tick_hours + 1e-9))
    return PlannedPost(index + 1, hour_of_run - index * tick_hours, kind)


def plan_campaign(campaign, duration_days: float, tick_hours: float, rng: np.random.Generator) -> list[PlannedPost]:
    """The posts of one campaign over the run, in order of publication.

    With ``posts_per_day`` the posts of each day are spread evenly over the
    posting window (past midnight when it ends before it starts; a fractional
    rate alternates, e.g. 0.5 is one post every
    other day) and each post's kind is drawn from the content mix by weight;
    an explicit ``schedule`` gives day, hour and kind of every post instead.
    """
    kinds = [item.kind for item in campaign.content]
    ticks_in_run = int(round(duration_days * 24 / tick_hours))
    planned = []
    if campaign.schedule:
        for post in campaign.schedule:
            planned.append(planned_at((post.day - 1) * 24 + post.hour, tick_hours, kinds.index(post.kind)))
    else:
        weights = np.array([item.weight for item in campaign.content], dtype=float)
        start, end = campaign.posting_window
        if end < start:                       # an overnight window, e.g. [21, 9]: past midnight
            end += 24
        rate = campaign.posts_per_day
        for day in range(int(math.ceil(duration_days))):
            today = int(math.floor((day + 1) * rate + 1e-9) - math.floor(day * rate + 1e-9))
            for i in range(today):
                hour = start + (i + 0.5) * (end - start) / today
                planned.append(planned_at(day * 24 + hour, tick_hours, -1))
        chosen = rng.choice(len(kinds), size=len(planned), p=weights / weights.sum())
        planned = [PlannedPost(p.tick, p.offset_hours, int(k)) for p, k in zip(planned, chosen)]
    planned = [p for p in planned if 1 <= p.tick <= ticks_in_run]
    return sorted(planned, key=lambda p: p.tick)


BRAND_ID = np.int16
"""Brand ids in posts and the event log; sim.scenario.MAX_BRANDS (1000) keeps them far from 32,767."""
TOPIC_ID = np.int16
"""Topic ids; sim.scenario.MAX_TOPICS is 100."""


class PostTable:
    """Every post published so far, as arrays indexed by post id.

    The arrays grow by doubling, so publishing n posts costs O(n), not the
    O(n^2) of appending to a NumPy array each time.
    """

    _COLUMNS = {"brand": BRAND_ID, "tick": np.int32, "topic": TOPIC_ID, "promotional": float, "engagement": np.int64}

    def __init__(self) -> None:
        self._size = 0
        self._store = {name: np.empty(16, dtype=dtype) for name, dtype in self._COLUMNS.items()}
        self._store["qualities"] = np.empty((16, len(QUALITIES)))
        self._store["appeal"] = np.empty((16, len(QUALITIES)))   # (posts, 7 motivation types)
        self.kind: list[str] = []

    def __len__(self) -> int:
        return self._size

    brand = property(lambda self: self._store["brand"][:self._size], doc="brand id of each post")
    tick = property(lambda self: self._store["tick"][:self._size], doc="tick of publication")
    topic = property(lambda self: self._store["topic"][:self._size], doc="index into population.topics")
    qualities = property(lambda self: self._store["qualities"][:self._size], doc="(posts, 7 qualities)")
    promotional = property(lambda self: self._store["promotional"][:self._size], doc="0 to 1")
    appeal = property(lambda self: self._store["appeal"][:self._size], doc="(posts, 7 motivation types)")
    engagement = property(lambda self: self._store["engagement"][:self._size],
                          doc="interactions so far (reactions, comments, shares): what an engagement-ranked feed counts")

    def publish(self, brand: int, tick: int, kind: str, topic: int,
                qualities: np.ndarray, promotional: float, appeal: np.ndarray) -> int:
        """Add one post; returns its id."""
        post = self._size
        if post == self._store["tick"].shape[0]:
            for name, array in self._store.items():
                grown = np.empty((2 * array.shape[0], *array.shape[1:]), dtype=array.dtype)
                grown[:post] = array
                self._store[name] = grown
        store = self._store
        store["brand"][post], store["tick"][post], store["topic"][post] = brand, tick, topic
        store["qualities"][post], store["promotional"][post], store["appeal"][post] = qualities, promotional, appeal
        store["engagement"][post] = 0
        self.kind.append(kind)
        self._size += 1
        return post
