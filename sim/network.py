"""The social graph: built by a NetworkX generator or read from an edge list.

Large Barabási–Albert and powerlaw_cluster graphs (``LARGE_GRAPH`` people or
more) are grown by :func:`holme_kim_ties`, the same growth process in NumPy.

Whatever its origin, the model sees the graph as a :class:`SocialGraph`:
compressed rows of *audiences* (row ``i`` lists the people who see what
``i`` shares) plus two marks on every tie: whether it is one of the sharer's
few close ties (a selective's audience) and whether it is a professional
contact (a careerist's audience).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .edgelist import read_edge_list
from .errors import InputError


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
    Many runs on one network (a calibration, a sensitivity analysis) share
    it with :func:`shared_network`.
    """
    seed = int(rng.integers(2**31 - 1))
    if network.generator == "edge_list":
        matrix = read_edge_list(network.path, directed=network.directed)
        if population_size is not None and population_size != matrix.shape[0]:
            raise InputError(
                f"{source}: population.size: is {population_size}, but the edge list "
                f"{network.path} has {matrix.shape[0]} people; leave size out to use the graph's")
        community = None
    else:
        n = population_size or 10_000
        if network.generator in ("barabasi_albert", "powerlaw_cluster") and n >= LARGE_GRAPH:
            return _with_ties(*grow(network, n, seed), network, rng, None)
        graph, community = generate(network, n, seed)
        matrix = nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr", dtype=np.int8)
    matrix = sp.csr_array(matrix)
    matrix.sort_indices()
    return _with_ties(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32, copy=False),
                      network, rng, community)


def skip_network_draws(graph: SocialGraph, rng: np.random.Generator) -> None:
    """Draw from ``rng`` what :func:`build_network` draws for ``graph`` (the generator's
    seed, the close ties' draws and one number per tie), so ``rng`` ends where building
    the graph would leave it."""
    rng.integers(2**31 - 1)
    rng.random(close_tie_draws(graph))
    rng.random(graph.ties)


SHARED_GRAPHS = 4
"""Graphs :func:`shared_network` keeps per process (a calibration or a sensitivity analysis needs one)."""

_shared: dict[tuple, SocialGraph] = {}


def shared_network(network, population_size: int | None, seed: int, source="scenario") -> SocialGraph:
    """The graph a run of this scenario with ``seed`` plays on, built once per process.

    Exactly ``build_network(network, population_size, default_rng(seed))``,
    the first thing :class:`sim.model.SharingModel` draws, so a model given
    this graph plays on the same network as a run with ``seed``. Kept by
    (network section, population size, seed), at most :data:`SHARED_GRAPHS`
    of them: a calibration that varies only behaviour builds it once; one
    that varies the network builds each graph it needs, as a run would.
    A shared graph is read-only, so no run can change it for the others.
    """
    key = (repr(network.model_dump(mode="json")), population_size, int(seed))
    graph = _shared.get(key)
    if graph is None:
        graph = build_network(network, population_size, np.random.default_rng(int(seed)), source)
        for array in (graph.indptr, graph.indices, graph.close, graph.professional, graph.community):
            if array is not None:
                array.flags.writeable = False
        if len(_shared) >= SHARED_GRAPHS:
            _shared.pop(next(iter(_shared)))
        _shared[key] = graph
    return graph


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
        raise InputError(f"network.mean_degree: must be below the population size ({n})")
    if network.generator == "barabasi_albert":
        return nx.barabasi_albert_graph(n, max(1, round(degree / 2)), seed=seed), None
    if network.generator == "watts_strogatz":
        k = max(2, 2 * round(degree / 2))
        return nx.watts_strogatz_graph(n, k, network.rewiring, seed=seed), None
    if network.generator == "powerlaw_cluster":
        return nx.powerlaw_cluster_graph(n, max(1, round(degree / 2)), network.triangle_probability, seed=seed), None
    if network.generator == "stochastic_block":
        groups = network.communities
        sizes = [n // groups + (1 if g < n % groups else 0) for g in range(groups)]
        inside = degree * (1 - network.mixing) / max(1, sizes[0] - 1)
        across = degree * network.mixing / max(1, n - sizes[0]) if groups > 1 else 0.0
        probabilities = [[min(1.0, inside if a == b else across) for b in range(groups)] for a in range(groups)]
        graph = nx.stochastic_block_model(sizes, probabilities, seed=seed, sparse=True)
        community = np.repeat(np.arange(groups), sizes)
        return nx.Graph(graph), community
    raise InputError(f"network.generator: unknown generator {network.generator!r}")


def grow(network, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A large barabasi_albert or powerlaw_cluster graph of ``n`` people, grown by :func:`holme_kim_ties`.

    The same parameters as :func:`generate`: ``mean_degree / 2`` ties per
    newcomer, and ``triangle_probability`` for powerlaw_cluster (0 for
    barabasi_albert). Returns the symmetric audiences as compressed rows
    (indptr, indices), each row sorted: the ties both ways as packed 64-bit
    (person, audience member) keys, put in order by one ``np.sort``.
    """
    if n <= network.mean_degree:
        raise InputError(f"network.mean_degree: must be below the population size ({n})")
    m = max(1, round(network.mean_degree / 2))
    p = network.triangle_probability if network.generator == "powerlaw_cluster" else 0.0
    a, b = holme_kim_ties(n, m, p, np.random.default_rng(seed))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n) + np.bincount(b, minlength=n), out=indptr[1:])
    key = np.empty(2 * a.size, dtype=np.int64)
    key[:a.size] = a
    key[a.size:] = b
    key <<= 32
    key[:a.size] |= b
    key[a.size:] |= a
    del a, b
    key.sort()
    return indptr, (key & 0xFFFFFFFF).astype(np.int32)


def _with_ties(indptr: np.ndarray, indices: np.ndarray, network, rng: np.random.Generator,
               community) -> SocialGraph:
    """Mark each person's close ties (a random few of their audience) and professional ties.

    ``indptr``, ``indices``: the audiences as compressed rows, each row sorted.
    """
    close = _close_ties(indptr, network.close_ties, rng)
    professional = rng.random(indices.size) < network.professional_share
    return SocialGraph(indptr, indices, close, professional, community)


def _close_ties(indptr: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Per tie, whether it is one of its row's close ties: ``k`` of the row, chosen uniformly (all if fewer).

    Floyd's sampling, one pass per close tie over all rows at once: the
    ``j``-th pass draws a place among the row's first ``degree - k + j + 1``
    and takes the last of them if the draw is already taken. This gives
    every set of ``k`` ties the same chance, with ``k`` draws per row
    (rather than sorting a random number per tie), one ``rng.random((rows, k))``
    for the rows with more than ``k`` ties.
    """
    degree = np.diff(indptr)
    close = np.zeros(int(indptr[-1]), dtype=bool)
    close[np.repeat(degree <= k, degree)] = True
    many = np.flatnonzero(degree > k)
    draws = rng.random((many.size, k))
    first, degree = indptr[many], degree[many]
    for j in range(k):
        last = degree - k + j                       # this pass picks among places 0..last
        place = first + (draws[:, j] * (last + 1)).astype(np.int64)
        taken = close[place]
        place[taken] = first[taken] + last[taken]
        close[place] = True
    return close


def close_tie_draws(graph: SocialGraph) -> int:
    """How many numbers :func:`_close_ties` drew for ``graph``: ``k`` per row with more than ``k`` ties.

    A row with more ties than close ones has exactly ``k`` close ties, so
    the count is read from the marks, without knowing ``k``.
    """
    before = np.concatenate([[0], np.cumsum(graph.close, dtype=np.int64)])     # close ties before each tie
    marked = before[graph.indptr[1:]] - before[graph.indptr[:-1]]
    return int(marked[marked < graph.audience_size()].sum())


# --------------------------------------------------------------------------
# Holme–Kim growth, vectorised (large graphs)

LARGE_GRAPH = 50_000
"""From this many people on, powerlaw_cluster and barabasi_albert graphs are
grown by :func:`holme_kim_ties` (NumPy) instead of NetworkX's generators, whose
pure-Python loop and dict-of-dicts graph take about 80 s and several GB at a
million people. Below it, NetworkX's generators are used as they are."""

BLOCK_GROWTH = 0.05
"""Newcomers joining together, as a share of the people already there (see holme_kim_ties)."""


def holme_kim_ties(n: int, m: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The ties of a Holme–Kim graph (NetworkX's ``powerlaw_cluster_graph``), grown with NumPy.

    The process is NetworkX's: people join one at a time, each with ``m``
    ties. The first tie goes to someone chosen in proportion to their ties
    (preferential attachment: a uniform draw from the list in which everyone
    appears once per tie); each further tie, with chance ``p``, closes a
    triangle (a random friend of that first choice, not yet linked), else
    goes to the next preferential choice. With ``p = 0`` this is the
    Barabási–Albert process.

    To vectorise it, newcomers join in blocks of ``BLOCK_GROWTH`` (5%) of the
    people already there (blocks of one while fewer than 20 people): a block's
    newcomers all see the graph as it was when the block began, so they
    never tie to each other, and a triangle step tries at most four random
    friends before falling back to preferential attachment. The degree
    distribution and clustering match the one-at-a-time process and
    NetworkX's (tests/test_network_growth.py). One difference from NetworkX:
    it uses its preferential choices in the order CPython's set pops them
    (by id modulo 32, so its oldest hubs first), here in random order, as in
    Holme & Kim; NetworkX's largest hubs come out larger and its clustering
    about 8% higher. Returns the (source, target) arrays of the
    ``(n - m) * m`` ties, newcomer first.
    """
    if not 1 <= m < n:
        raise ValueError(f"Holme–Kim needs 1 <= m < n (got m={m}, n={n})")
    # Person m ties to the m founders 0..m-1 (NetworkX does the same).
    targets = np.empty((n, m), dtype=np.int32)       # row u: the m people u tied to on joining
    targets[m] = np.arange(m)
    slots = np.empty(2 * m * n + m, dtype=np.int32)   # every tie adds two slots
    slots[:3 * m] = np.concatenate([np.arange(m), np.arange(m), np.full(m, m)])
    used = 3 * m
    friends = _FriendLists(n, m, targets) if p > 0 else None
    if friends is not None:
        friends.add(m, m + 1)
    start = m + 1
    while start < n:
        stop = min(n, start + max(1, int(BLOCK_GROWTH * start)))
        chosen = _newcomers_ties(stop - start, m, p, slots[:used], friends, rng)
        targets[start:stop] = chosen
        slots[used:used + 2 * chosen.size:2] = chosen.ravel()
        slots[used + 1:used + 2 * chosen.size:2] = np.repeat(np.arange(start, stop, dtype=np.int32), m)
        used += 2 * chosen.size
        if friends is not None:
            friends.add(start, stop)
        start = stop
    return np.repeat(np.arange(m, n, dtype=np.int32), m), targets[m:].ravel()


def _newcomers_ties(k: int, m: int, p: float, slots: np.ndarray, friends: "_FriendLists",
                    rng: np.random.Generator) -> np.ndarray:
    """``k`` newcomers' ``m`` distinct friends each, among the people already there: (k, m)."""
    chosen = np.full((k, m), -1, dtype=np.int32)
    anchor = np.empty(k, dtype=np.int32)            # each newcomer's last preferential choice
    rows = np.arange(k)
    for tie in range(m):
        pick = np.full(k, -1, dtype=np.int32)
        if tie > 0 and p > 0:                       # close a triangle through the anchor
            triad = rows[rng.random(k) < p]
            for _ in range(4):                      # a few tries to find a friend not yet linked
                triad = triad[friends.degree[anchor[triad]] > 0]
                if triad.size == 0:
                    break
                friend = friends.any_of(anchor[triad], rng)
                fresh = ~(chosen[triad, :tie] == friend[:, None]).any(axis=1)
                pick[triad[fresh]] = friend[fresh]
                triad = triad[~fresh]
        preferential = rows[pick < 0]
        while preferential.size:                    # preferential attachment, without repeats
            candidate = slots[rng.integers(slots.size, size=preferential.size)]
            fresh = ~(chosen[preferential, :tie] == candidate[:, None]).any(axis=1)
            pick[preferential[fresh]] = candidate[fresh]
            anchor[preferential[fresh]] = candidate[fresh]
            preferential = preferential[~fresh]
        chosen[:, tie] = pick
    return chosen


class _FriendLists:
    """Everyone's friends as the graph grows (for holme_kim_ties), in two parts.

    The ``m`` people ``u`` tied to on joining are row ``u`` of ``targets``
    (the growth's own record, shared, not copied). The people who tied to
    ``u`` later are ``store[start[u]:start[u] + later[u]]``, with room for
    ``capacity[u]`` (``m`` on joining, the mean a person gets): a list that
    overflows moves to the end of the store with twice the room, so adding a
    tie costs O(1) amortised. A block's ties are
    grouped by person with one sort of packed 64-bit keys (person, newcomer),
    NumPy's fastest sort.
    """

    def __init__(self, n: int, m: int, targets: np.ndarray) -> None:
        self.m = m
        self.targets = targets
        self.joined = np.zeros(n, dtype=np.int64)      # m once u has joined with its own ties (0 for founders)
        self.later = np.zeros(n, dtype=np.int64)
        self.degree = np.zeros(n, dtype=np.int64)
        self.start = np.zeros(n, dtype=np.int64)
        self.capacity = np.zeros(n, dtype=np.int64)
        self.store = np.empty(3 * m * n, dtype=np.int32)
        self.end = 0

    def any_of(self, people: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One uniformly random friend of each of ``people`` (each must have one)."""
        which = (rng.random(people.size) * self.degree[people]).astype(np.int64)
        own = which < self.joined[people]
        friend = np.empty(people.size, dtype=np.int32)
        friend[own] = self.targets[people[own], which[own]]
        later = ~own
        person = people[later]
        friend[later] = self.store[self.start[person] + which[later] - self.joined[person]]
        return friend

    def add(self, first: int, stop: int) -> None:
        """Add the ties of newcomers ``first..stop-1`` (rows of ``targets``), both ways."""
        m = self.m
        self.joined[first:stop] = m
        self.degree[first:stop] += m
        # Room for m later ties each, side by side: the mean a person gets, so most lists never move.
        self.start[first:stop] = self.end + m * np.arange(stop - first)
        self.capacity[first:stop] = m
        self.end += m * (stop - first)
        key = self.targets[first:stop].astype(np.int64).ravel() << 32
        key |= np.repeat(np.arange(first, stop, dtype=np.int64), m)
        key.sort()                                   # grouped by the person tied to
        person, newcomer = key >> 32, (key & 0xFFFFFFFF).astype(np.int32)
        starts = np.flatnonzero(np.concatenate([[True], person[1:] != person[:-1]]))
        people, added = person[starts], np.diff(np.append(starts, person.size))
        full = self.later[people] + added > self.capacity[people]
        if full.any():
            self._move(people[full], 2 * (self.later[people[full]] + added[full]))
        free = self.start[people] + self.later[people]             # each list's first free place
        self.store[np.repeat(free - starts, added) + np.arange(person.size)] = newcomer
        self.later[people] += added
        self.degree[people] += added

    def _move(self, people: np.ndarray, capacity: np.ndarray) -> None:
        """Move the later-tie lists of ``people`` to the end of the store, each with room for ``capacity``."""
        new_start = self.end + np.cumsum(capacity) - capacity
        need = int(new_start[-1] + capacity[-1])
        if need > self.store.size:
            self.store = np.resize(self.store, max(need, 2 * self.store.size))
        later = self.later[people]
        before = np.cumsum(later) - later
        place = np.arange(int(later.sum()))
        self.store[np.repeat(new_start - before, later) + place] = \
            self.store[np.repeat(self.start[people] - before, later) + place]
        self.start[people] = new_start
        self.capacity[people] = capacity
        self.end = need
