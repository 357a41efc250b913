"""The textbook Independent Cascade, as a preset of the same engine.

Independent Cascade (Kempe, Kleinberg & Tardos 2003): a few seed people are
active at the start; every person who becomes active gets one chance to
activate each of their followers (their audience in the
:class:`~sim.network.SocialGraph`), each succeeding with the same
``share_probability``, independently. There is no attention limit, no
decay and no fatigue. The cascade stops when a generation activates nobody.

A scenario with ``model: independent_cascade`` runs it on the scenario's
network with ``sharesim run``. It is how teachers show what the richer model
adds, and how sharesim is checked against its peers (NDlib, cynetdiff, EoN):
on the same graph, the final activated fraction must agree.

The whole generation is one vectorised step over the CSR arrays. Instead of
one random number per tie, the ties that fire are found by jumping over the
ones that do not: the gap between two successes among independent trials of
chance ``p`` is geometric, so a generation costs ``p`` times its ties in
random draws (plus a binary search per success), not one draw per tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputError
from .events import BRAND, EventKind, EventLog, RunLog
from .motivations import QUALITIES
from .network import SocialGraph, build_network
from .scenario import Scenario


@dataclass
class Cascade:
    """A finished Independent Cascade: who was activated, by whom, in which generation.

    person, source, generation: one row per activated person, in order of
    activation; ``source`` is -1 (:data:`~sim.events.BRAND`) for a seed,
    generation 0 for seeds. ``examined``: ties tried (the out-degrees of
    every activated person summed), the work a cascade must do.
    """

    person: np.ndarray
    source: np.ndarray
    generation: np.ndarray
    examined: int

    @property
    def activated(self) -> int:
        return int(self.person.size)


def firing_ties(ties: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Positions, in ``range(ties)``, of the ties that fire, each with chance ``p``.

    Skips along the ties by geometric gaps (the number of trials up to and
    including the next success), so it draws about ``p * ties`` numbers.
    """
    if ties == 0 or p <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(ties, dtype=np.int64)
    expected = ties * p
    positions = []
    reached = -1
    while True:
        draws = int(expected + 6.0 * np.sqrt(expected) + 16)
        step = np.cumsum(rng.geometric(p, size=draws)) + reached
        positions.append(step)
        reached = int(step[-1])
        if reached >= ties:
            break
        expected = (ties - reached) * p
    positions = np.concatenate(positions) if len(positions) > 1 else positions[0]
    return positions[:np.searchsorted(positions, ties)]


def independent_cascade(graph: SocialGraph, seeds: np.ndarray, p: float,
                        rng: np.random.Generator) -> Cascade:
    """Run one Independent Cascade from ``seeds`` with activation chance ``p`` per tie.

    Each generation: the ties of the people activated in the last generation
    fire with chance ``p``; the followers they reach who were not yet
    active become the next generation (one activator each: the first tie
    that reached them, in CSR order).
    """
    indptr, indices = graph.indptr, graph.indices
    active = np.zeros(graph.size, dtype=bool)
    frontier = np.unique(np.asarray(seeds, dtype=np.int64))
    active[frontier] = True
    people, sources = [frontier], [np.full(frontier.size, BRAND, np.int64)]
    generations = [np.zeros(frontier.size, np.int64)]
    examined, generation = 0, 0
    while frontier.size:
        starts = indptr[frontier]
        degree = indptr[frontier + 1] - starts
        ends = np.cumsum(degree)                       # the frontier's ties, end to end
        ties = int(ends[-1])
        examined += ties
        fired = firing_ties(ties, p, rng)
        sharer = np.searchsorted(ends, fired, side="right")
        tie = starts[sharer] + fired - (ends[sharer] - degree[sharer])
        target = indices[tie]
        fresh = ~active[target]
        target, sharer = target[fresh], frontier[sharer[fresh]]
        target, first = np.unique(target, return_index=True)
        sharer = sharer[first]
        active[target] = True
        generation += 1
        people.append(target)
        sources.append(sharer)
        generations.append(np.full(target.size, generation, np.int64))
        frontier = target.astype(np.int64)
    return Cascade(np.concatenate(people), np.concatenate(sources), np.concatenate(generations), examined)


def seed_people(scenario: Scenario, population: int, rng: np.random.Generator, source="scenario") -> np.ndarray:
    """The seeds: ``seed_count`` people, else ``seed_fraction`` of the population (at least 1), at random."""
    ic = scenario.independent_cascade
    count = ic.seed_count if ic.seed_count is not None else max(1, int(round(ic.seed_fraction * population)))
    if count > population:
        raise InputError(f"{source}: independent_cascade.seed_count: {count} seeds but the graph "
                         f"has {population} people")
    return np.sort(rng.choice(population, size=count, replace=False))


@dataclass
class CascadeRun:
    """An Independent Cascade scenario run: the graph, its seeds and the cascade."""

    scenario: Scenario
    seed: int
    graph: SocialGraph
    seeds: np.ndarray
    cascade: Cascade

    @property
    def population(self) -> int:
        return self.graph.size

    @property
    def ticks(self) -> int:
        """One tick per generation, seeds' included (tick 1)."""
        return int(self.cascade.generation.max()) + 1

    def run_log(self) -> RunLog:
        """The cascade as a run log, so metrics and reports work unchanged.

        One post (id 0) of the first brand. Every activation is an exposure
        from the activating person (seeds: from the brand, source -1) and
        every active person shares it once, in the tick of their
        generation + 1 (a share's source, like an exposure's, is who passed
        the post on).
        """
        c = self.cascade
        tick = c.generation + 1
        log = EventLog()
        for t in range(1, self.ticks + 1):
            now = tick == t
            for kind in (EventKind.EXPOSURE, EventKind.SHARE):
                log.record(t, kind, 0, 0, c.person[now], c.source[now])
        seeded = np.zeros(self.population, dtype=bool)
        seeded[self.seeds] = True
        people = pd.DataFrame({
            "person": np.arange(self.population),
            "motivation": "none",
            "employee": False,
            "seeded": seeded,
            "follows_0": False,
        })
        posts = pd.DataFrame({
            "post": [0], "brand": [0], "kind": ["cascade"],
            "topic": [self.scenario.population.topics[0]], "tick": [1], "promotional": [0.0],
            **{q: [0.0] for q in QUALITIES},
        })
        meta = {
            "scenario": self.scenario.name,
            "model": "independent_cascade",
            "seed": self.seed,
            "ticks": self.ticks,
            "tick_hours": self.scenario.tick_hours,
            "brands": [self.scenario.brands[0].name],
            "topics": list(self.scenario.population.topics),
            "population": self.population,
            "activated": c.activated,
            "activated_fraction": c.activated / self.population,
        }
        return RunLog(events=log.to_frame(), people=people, posts=posts, meta=meta)

    def series(self) -> pd.DataFrame:
        """Per tick (tick 0 is the start): the columns of the full model's DataCollector."""
        per_tick = np.bincount(self.cascade.generation + 1, minlength=self.ticks + 1)
        return pd.DataFrame({
            "tick": np.arange(self.ticks + 1),
            "exposures": per_tick, "new_reach": per_tick, "shares": per_tick,
            "follows": 0, "unfollows": 0, "blind": 0, "followers": 0,
            "reach": np.cumsum(per_tick),
        })


def run_cascade(scenario: Scenario, seed: int | None = None, source: str = "scenario") -> CascadeRun:
    """Build the scenario's graph, draw the seeds and run one cascade; one seed fixes every draw."""
    seed = scenario.seed if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    graph = build_network(scenario.network, scenario.population.size, rng, source)
    seeds = seed_people(scenario, graph.size, rng, source)
    cascade = independent_cascade(graph, seeds, scenario.independent_cascade.share_probability, rng)
    return CascadeRun(scenario, seed, graph, seeds, cascade)
