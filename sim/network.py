"""The social graph: built by a NetworkX generator or read from an edge list.

Whatever its origin, the model sees the graph as a :class:`SocialGraph`:
compressed rows of *audiences* (row ``i`` lists the people who see what
``i`` shares) plus two marks on every tie: whether it is one of the sharer's
few close ties (a selective's audience) and whether it is a professional
contact (a careerist's audience).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .edgelist import read_edge_list
from .scenario import ScenarioError


@dataclass
class SocialGraph:
    """Who sees whose shares, as CSR arrays (people are 0..n-1).

    indptr, indices: the audience of person ``i`` is
        ``indices[indptr[i]:indptr[i + 1]]``.
    close: per tie, whether the audience member is one of the sharer's close ties.
    professional: per tie, whether it is a professional contact.
    community: per person, the community (stochastic_block), else None.
    """

    indptr: np.ndarray
    indices: np.ndarray
    close: np.ndarray
    professional: np.ndarray
    community: np.ndarray | None = None

    @property
    def size(self) -> int:
        return self.indptr.size - 1

    @property
    def ties(self) -> int:
        return self.indices.size

    def audience_size(self) -> np.ndarray:
        """How many people see each person's shares (their followers)."""
        return np.diff(self.indptr)

    @classmethod
    def from_networkx(cls, graph: nx.Graph) -> "SocialGraph":
        """A graph's ties as audiences (nodes in ``graph``'s order; no close or professional marks).

        An undirected tie works both ways; a directed edge ``a -> b`` means b sees a's shares.
        """
        matrix = nx.to_scipy_sparse_array(graph, format="csr", dtype=np.int8)
        matrix.sort_indices()
        ties = matrix.indices.size
        return cls(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32),
                   np.zeros(ties, dtype=bool), np.zeros(ties, dtype=bool))

    def to_networkx(self) -> nx.DiGraph:
        """The graph as a NetworkX DiGraph (for drawing and analysis, not the hot path)."""
        matrix = sp.csr_array((np.ones(self.ties), self.indices, self.indptr), shape=(self.size, self.size))
        return nx.from_scipy_sparse_array(matrix, create_using=nx.DiGraph)


def build_network(network, population_size: int | None, rng: np.random.Generator, source="scenario") -> SocialGraph:
    """The scenario's graph, with its close and professional ties marked.

    ``network`` is the scenario's ``network`` section; ``rng`` the model's
    generator, from which the generator's seed and every mark are drawn.
    """
    seed = int(rng.integers(2**31 - 1))
    if network.generator == "edge_list":
        matrix = read_edge_list(network.path, directed=network.directed)
        if population_size is not None and population_size != matrix.shape[0]:
            raise ScenarioError(
                f"{source}: population.size: is {population_size}, but the edge list "
                f"{network.path} has {matrix.shape[0]} people; leave size out to use the graph's")
        community = None
    else:
        n = population_size or 10_000
        graph, community = generate(network, n, seed)
        matrix = nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr", dtype=np.int8)
    return _with_ties(matrix, network, rng, community)


def generate(network, n: int, seed: int) -> tuple[nx.Graph, np.ndarray | None]:
    """An undirected graph of ``n`` people from the NetworkX generator the scenario names.

    barabasi_albert: preferential attachment, ``mean_degree / 2`` ties per
        newcomer (Barabási & Albert 1999): a few hubs, many with few friends.
    watts_strogatz: a ring of ``mean_degree`` neighbours, each tie rewired with
        chance ``rewiring`` (Watts & Strogatz 1998): clustered small world.
    powerlaw_cluster: preferential attachment that closes a triangle with
        chance ``triangle_probability`` (Holme & Kim 2002): hubs and clustering,
        like real social networks.
    stochastic_block: ``communities`` groups of shared interest; a share
        ``mixing`` of ties crosses groups (Holland, Laskey & Leinhardt 1983).
    """
    degree = network.mean_degree
    if n <= degree:
        raise ScenarioError(f"network.mean_degree: must be below the population size ({n})")
    if network.generator == "barabasi_albert":
        return nx.barabasi_albert_graph(n, max(1, round(degree / 2)), seed=seed), None
    if network.generator == "watts_strogatz":
        k = max(2, 2 * round(degree / 2))
        return nx.watts_strogatz_graph(n, k, network.rewiring, seed=seed), None
    if network.generator == "powerlaw_cluster":
        return nx.powerlaw_cluster_graph(n, max(1, round(degree / 2)), network.triangle_probability, seed=seed), None
    if network.generator == "stochastic_block":
        groups = network.communities or 5
        sizes = [n // groups + (1 if g < n % groups else 0) for g in range(groups)]
        inside = degree * (1 - network.mixing) / max(1, sizes[0] - 1)
        across = degree * network.mixing / max(1, n - sizes[0]) if groups > 1 else 0.0
        probabilities = [[min(1.0, inside if a == b else across) for b in range(groups)] for a in range(groups)]
        graph = nx.stochastic_block_model(sizes, probabilities, seed=seed, sparse=True)
        community = np.repeat(np.arange(groups), sizes)
        return nx.Graph(graph), community
    raise ScenarioError(f"network.generator: unknown generator {network.generator!r}")


def _with_ties(matrix: sp.csr_array, network, rng: np.random.Generator, community) -> SocialGraph:
    """Mark each person's close ties (a random few of their audience) and professional ties."""
    matrix = sp.csr_array(matrix)
    matrix.sort_indices()
    indptr = matrix.indptr.astype(np.int64)
    indices = matrix.indices.astype(np.int32)
    ties = indices.size
    row = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    order = np.lexsort((rng.random(ties), row))          # shuffle within each row
    rank = np.empty(ties, dtype=np.int64)
    rank[order] = np.arange(ties) - indptr[row[order]]
    close = rank < network.close_ties
    professional = rng.random(ties) < network.professional_share
    return SocialGraph(indptr, indices, close, professional, community)
