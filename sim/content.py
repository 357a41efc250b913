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
    posting window (a fractional rate alternates, e.g. 0.5 is one post every
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


class PostTable:
    """Every post published so far, as growing arrays indexed by post id."""

    def __init__(self) -> None:
        self.brand = np.empty(0, dtype=np.int16)
        self.tick = np.empty(0, dtype=np.int32)
        self.topic = np.empty(0, dtype=np.int16)
        self.qualities = np.empty((0, len(QUALITIES)))
        self.promotional = np.empty(0)
        self.appeal = np.empty((0, len(QUALITIES)))   # (posts, 7 motivation types)
        self.kind: list[str] = []

    def __len__(self) -> int:
        return self.tick.size

    def publish(self, brand: int, tick: int, kind: str, topic: int,
                qualities: np.ndarray, promotional: float, appeal: np.ndarray) -> int:
        """Add one post; returns its id."""
        self.brand = np.append(self.brand, np.int16(brand))
        self.tick = np.append(self.tick, np.int32(tick))
        self.topic = np.append(self.topic, np.int16(topic))
        self.qualities = np.vstack([self.qualities, qualities])
        self.promotional = np.append(self.promotional, promotional)
        self.appeal = np.vstack([self.appeal, appeal])
        self.kind.append(kind)
        return len(self) - 1
