"""The seven sharing motivations and what each responds to.

Beyond's "The Science of Sharing" (UK panel, 2012) sorted social-media users
by the dominant reason they share (docs/domain.md §1). The whole behaviour of a
type is one row of :data:`PROFILES`: its share of the population, the post
qualities it answers to, whom it shares with, how fast a post stops holding
its attention, how much it trusts and is trusted, and how much a brand can
ask of it before it stops noticing. The model reads these rows as arrays;
no branch of the model code is specific to a type.

Figures marked *study* come from the Beyond study; everything else is a
judgement made to reproduce docs/validation-targets.md, and ``docs/model.md`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

import numpy as np


class Motivation(IntEnum):
    """The dominant reason a person shares (index into the model's arrays)."""

    ALTRUIST = 0
    SELECTIVE = 1
    PASSIONATE = 2
    SOCIAL = 3
    TRENDSETTER = 4
    PROVOCATEUR = 5
    CAREERIST = 6

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> "Motivation":
        return cls[label.upper()]


QUALITIES = ("useful", "personal", "topical", "inspiring", "novel", "provocative", "professional")
"""The seven qualities of a post, each in [0, 1]: one per motivation."""

AUDIENCES = ("everyone", "close_ties", "enthusiasts", "professional")
"""Whom a share reaches: all of the sharer's followers; a few chosen close
ties; followers interested in the post's topic; professional contacts."""


@dataclass(frozen=True)
class Profile:
    """How one motivation type reads, shares and tires of brand posts.

    share: its share of the population (*study*, as published; normalised
        by the model because the published shares add up to 101.0%).
    responds_to: weight of each post quality in the post's appeal to this
        type; appeal = clip(sum(weight * quality), 0, 1).
    share_probability: chance of sharing a post of appeal 1, fresh, on the
        reader's topic (per first reading).
    off_topic: factor on that chance when the post's topic is not one of
        the reader's interests (passionates are hard to trigger off-topic).
    audience: one of :data:`AUDIENCES`.
    half_life_hours: attention decay: the share chance halves with every
        this many hours of the post's age (trendsetters want only fresh posts).
    trust: how strongly a share by this type persuades a friend to follow
        the brand (selectives and passionates are trusted, *study*).
    fatigue_tolerance: brand fatigue above which a follower of this type may
        act: hide the brand's posts ("social blindness") or unfollow it.
    offended_by_provocative: how much a provocative post tires this type
        (provocateurs seek such posts, the others are offended by them).
    sessions_per_day, attention_span: per-type overrides of the population's
        reading habits (None: the population's value).
    """

    share: float
    responds_to: dict[str, float]
    share_probability: float = 0.0068
    off_topic: float = 0.5
    audience: str = "everyone"
    half_life_hours: float = 24.0
    trust: float = 1.0
    fatigue_tolerance: float = 1.0
    offended_by_provocative: float = 1.0
    sessions_per_day: float | None = None
    attention_span: int | None = None


# What each type passes on, to whom, and how long a post holds it (docs/domain.md §1).
PROFILES: dict[Motivation, Profile] = {
    # whatever may help others, promotions and discounts included; to everyone
    Motivation.ALTRUIST: Profile(0.396, {"useful": 1.0}),
    # what matters to particular friends; to a few close ties, who trust it
    Motivation.SELECTIVE: Profile(0.261, {"personal": 1.0, "useful": 0.3},
                                  audience="close_ties", share_probability=0.0136, trust=3.0),
    # what fits their passion; to fellow enthusiasts; hard to trigger, converts best
    Motivation.PASSIONATE: Profile(0.167, {"topical": 1.0}, off_topic=0.05,
                                   audience="enthusiasts", share_probability=0.0034, trust=5.0),
    # what inspires and brings people together; short, spontaneous
    Motivation.SOCIAL: Profile(0.079, {"inspiring": 1.0, "personal": 0.3}, half_life_hours=6.0),
    # what is new and "on top"; to everyone; only fresh content, and keen to be first
    Motivation.TRENDSETTER: Profile(0.056, {"novel": 1.0}, half_life_hours=3.0,
                                    share_probability=0.0136, fatigue_tolerance=1.5),
    # the unconventional and provocative; to everyone; quick to post, little trusted, thick-skinned
    Motivation.PROVOCATEUR: Profile(0.026, {"provocative": 1.0}, offended_by_provocative=0.0,
                                    share_probability=0.011, half_life_hours=12.0, trust=0.5,
                                    fatigue_tolerance=2.0),
    # what concerns their career or industry; to professional contacts
    Motivation.CAREERIST: Profile(0.025, {"professional": 1.0}, audience="professional"),
}


def study_mix() -> np.ndarray:
    """The study's motivation shares, normalised to sum to 1 (by Motivation)."""
    shares = np.array([PROFILES[m].share for m in Motivation])
    return shares / shares.sum()


def mixed_motivations(dominant: np.ndarray, secondary: float, rng: np.random.Generator) -> np.ndarray:
    """(people, 7) weights of each person's motives: the dominant type, and a little of the others.

    People do not share for one reason only (Beyond 2012 sorts them by the
    *dominant* one). A person's dominant motivation weighs ``1 - secondary``;
    the other six share ``secondary`` in random proportions (a flat
    Dirichlet draw). With ``secondary`` 0 each person is one type.
    """
    n = dominant.size
    others = rng.dirichlet(np.ones(len(Motivation)), size=n)
    others[np.arange(n), dominant] = 0.0
    total = others.sum(axis=1, keepdims=True)
    weights = np.divide(others, total, out=np.zeros_like(others), where=total > 0) * secondary
    weights[np.arange(n), dominant] = 1.0 - secondary
    return weights.astype(np.float32)


def profiles_with(overrides: dict[str, dict]) -> dict[Motivation, Profile]:
    """The profiles with a scenario's per-type overrides applied.

    ``overrides`` maps a type's label to a mapping of Profile fields; a
    ``responds_to`` override replaces the whole mapping.
    """
    profiles = dict(PROFILES)
    for label, changes in overrides.items():
        motivation = Motivation.from_label(label)
        given = {k: v for k, v in changes.items() if v is not None}
        profiles[motivation] = replace(profiles[motivation], **given)
    return profiles


@dataclass(frozen=True)
class MotivationTable:
    """The profiles as arrays indexed by Motivation, as the model reads them."""

    appeal_weights: np.ndarray      # (7 types, 7 qualities)
    share_probability: np.ndarray   # (7,)
    off_topic: np.ndarray
    audience: np.ndarray            # (7,) index into AUDIENCES
    half_life_hours: np.ndarray
    trust: np.ndarray
    fatigue_tolerance: np.ndarray
    offended_by_provocative: np.ndarray

    @classmethod
    def from_profiles(cls, profiles: dict[Motivation, Profile]) -> "MotivationTable":
        rows = [profiles[m] for m in Motivation]
        weights = np.array([[p.responds_to.get(q, 0.0) for q in QUALITIES] for p in rows])

        def column(name: str) -> np.ndarray:
            return np.array([getattr(p, name) for p in rows], dtype=float)

        return cls(
            appeal_weights=weights,
            share_probability=column("share_probability"),
            off_topic=column("off_topic"),
            audience=np.array([AUDIENCES.index(p.audience) for p in rows]),
            half_life_hours=column("half_life_hours"),
            trust=column("trust"),
            fatigue_tolerance=column("fatigue_tolerance"),
            offended_by_provocative=column("offended_by_provocative"),
        )

    def appeal(self, qualities: np.ndarray) -> np.ndarray:
        """Appeal in [0, 1] of posts to each type: (posts, 7 types) for (posts, 7 qualities)."""
        return np.clip(np.atleast_2d(qualities) @ self.appeal_weights.T, 0.0, 1.0)
