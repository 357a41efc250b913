"""Person and Brand: Mesa agents that are views onto the model's arrays.

The model keeps its state in NumPy arrays so that a tick is a handful of
vectorised operations (see :mod:`sim.model`). Each person and each brand is
still a real Mesa agent, so ``model.agents``, AgentSet queries, the
DataCollector and the SolaraViz demo work as with any Mesa model: an agent
reads and writes its own row of those arrays. The model makes them the first
time something asks for its agents (:meth:`sim.model.SharingModel._make_agents`),
as the run itself works on the arrays alone.
"""

from __future__ import annotations

import mesa
import numpy as np

from .motivations import Motivation


class Person(mesa.Agent):
    """Someone on the social network: reads a feed, shares, follows brands.

    ``index`` is the person's row in the model's arrays and their node in
    the social graph (Mesa's ``unique_id`` starts from 1 and counts brands too).
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def motivation(self) -> Motivation:
        return Motivation(int(self.model.motivation[self.index]))

    @property
    def interests(self) -> list[str]:
        topics = self.model.scenario.population.topics
        return [topics[t] for t in np.flatnonzero(self.model.interests[self.index])]

    @property
    def audience(self) -> np.ndarray:
        """Indices of the people who see what this person shares."""
        graph = self.model.graph
        return graph.indices[graph.indptr[self.index]:graph.indptr[self.index + 1]]

    @property
    def reached(self) -> bool:
        """Whether this person has read any brand post."""
        return bool(self.model.reached[self.index])

    def follows(self, brand: "Brand") -> bool:
        return bool(self.model.followers.follows[self.index, brand.index])

    def fatigue(self, brand: "Brand") -> float:
        """Fatigue with the brand now (decayed to the end of the current tick)."""
        return float(self.model.followers.fatigue_now(np.array([self.index]), brand.index, at=self._now)[0])

    def has_hidden(self, brand: "Brand") -> bool:
        """Whether this person has hidden the brand's posts ("social blindness")."""
        return bool(self.model.followers.hidden[self.index, brand.index])

    @property
    def _now(self) -> float:
        """Hours since the start, at the end of the current tick."""
        return self.model.tick * self.model.tick_hours


class Brand(mesa.Agent):
    """A brand that publishes a campaign's posts to its followers."""

    def __init__(self, model, index: int, name: str) -> None:
        super().__init__(model)
        self.index = index
        self.name = name

    @property
    def followers(self) -> int:
        return self.model.followers.count(self.index)

    @property
    def posts_published(self) -> int:
        return int(np.count_nonzero(self.model.posts.brand == self.index))
