"""Large graphs grown with NumPy (sim.network.holme_kim_ties) are NetworkX's kind of graph."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

import sim.network
from sim.network import build_network, holme_kim_ties
from sim.scenario import Network

N, M, P, SEEDS = 2000, 5, 0.3, range(4)


def grown(n=N, m=M, p=P, seed=0) -> nx.Graph:
    a, b = holme_kim_ties(n, m, p, np.random.default_rng(seed))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(a.tolist(), b.tolist()))
    return graph


def one_at_a_time(n: int, m: int, p: float, seed: int) -> nx.Graph:
    """Holme & Kim (2002) step by step: NetworkX's powerlaw_cluster_graph with its
    preferential choices used in random order (NetworkX pops them from a set,
    which puts people whose id is small modulo 32, its oldest hubs, first)."""
    rng = random.Random(seed)
    graph, slots = nx.empty_graph(m), list(range(m))
    for newcomer in range(m, n):
        choices = set()
        while len(choices) < m:
            choices.add(rng.choice(slots))
        choices = list(choices)
        rng.shuffle(choices)
        target = choices.pop()
        graph.add_edge(newcomer, target)
        slots.append(target)
        while graph.degree(newcomer) < m:
            if rng.random() < p:
                friends = [f for f in graph[target] if f != newcomer and not graph.has_edge(newcomer, f)]
                if friends:
                    friend = rng.choice(friends)
                    graph.add_edge(newcomer, friend)
                    slots.append(friend)
                    continue
            target = choices.pop()
            graph.add_edge(newcomer, target)
            slots.append(target)
        slots.extend([newcomer] * m)
    return graph


def profile(graphs) -> dict:
    """Degree distribution and clustering, averaged over graphs."""
    rows = []
    for graph in graphs:
        degree = np.array([d for _, d in graph.degree()])
        rows.append([degree.mean(), np.mean(degree == M), *np.percentile(degree, [50, 90, 99]),
                     degree.max(), nx.average_clustering(graph), nx.transitivity(graph)])
    keys = ["mean", "at_m", "p50", "p90", "p99", "max", "clustering", "transitivity"]
    return dict(zip(keys, np.mean(rows, axis=0)))


@pytest.fixture(scope="module")
def ours():
    return profile(grown(seed=s) for s in SEEDS)


def test_every_newcomer_ties_to_m_distinct_earlier_people():
    a, b = holme_kim_ties(3000, M, P, np.random.default_rng(3))
    assert a.size == (3000 - M) * M
    assert np.all(b < a)                                     # ties go to people already there
    assert np.unique(a.astype(np.int64) * 3000 + b).size == a.size   # no repeated tie
    assert np.all(np.bincount(a, minlength=3000)[M:] == M)


def test_degrees_and_clustering_match_networkx(ours):
    theirs = profile(nx.powerlaw_cluster_graph(N, M, P, seed=s) for s in SEEDS)
    assert ours["mean"] == pytest.approx(theirs["mean"], rel=0.01)
    assert ours["at_m"] == pytest.approx(theirs["at_m"], abs=0.03)
    for q in ("p50", "p90"):
        assert abs(ours[q] - theirs[q]) <= 1
    assert ours["p99"] == pytest.approx(theirs["p99"], rel=0.15)
    assert ours["clustering"] == pytest.approx(theirs["clustering"], rel=0.15)


def test_matches_the_one_at_a_time_process_closely(ours):
    reference = profile(one_at_a_time(N, M, P, seed=s) for s in SEEDS)
    for key in ("mean", "p50", "p90"):
        assert ours[key] == pytest.approx(reference[key], rel=0.05)
    assert ours["p99"] == pytest.approx(reference["p99"], rel=0.12)
    assert ours["max"] == pytest.approx(reference["max"], rel=0.3)
    assert ours["clustering"] == pytest.approx(reference["clustering"], rel=0.06)
    assert ours["transitivity"] == pytest.approx(reference["transitivity"], rel=0.12)


def test_without_triangles_it_is_barabasi_albert():
    mine = profile(grown(p=0.0, seed=s) for s in SEEDS)
    theirs = profile(nx.barabasi_albert_graph(N, M, seed=s) for s in SEEDS)
    assert mine["at_m"] == pytest.approx(theirs["at_m"], abs=0.03)
    assert mine["p99"] == pytest.approx(theirs["p99"], rel=0.12)
    assert mine["max"] == pytest.approx(theirs["max"], rel=0.3)
    assert mine["clustering"] < 0.5 * ours_clustering()


def ours_clustering() -> float:
    return nx.average_clustering(grown(seed=0))


def test_build_network_grows_large_graphs_with_numpy(monkeypatch):
    monkeypatch.setattr(sim.network, "LARGE_GRAPH", 1000)
    called = []
    original = sim.network.holme_kim_ties
    monkeypatch.setattr(sim.network, "holme_kim_ties", lambda *a: called.append(a) or original(*a))
    graph = build_network(Network(generator="powerlaw_cluster", mean_degree=10), 3000, np.random.default_rng(1))
    again = build_network(Network(generator="powerlaw_cluster", mean_degree=10), 3000, np.random.default_rng(1))
    assert called and called[0][:3] == (3000, 5, 0.3)
    assert 9.9 <= graph.ties / graph.size <= 10.0
    matrix = graph.to_networkx()
    assert all(matrix.has_edge(b, a) for a, b in list(matrix.edges)[:500])      # ties work both ways
    assert np.array_equal(graph.indices, again.indices) and np.array_equal(graph.close, again.close)
