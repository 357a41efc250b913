"""Building the social graph: generators, edge lists and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import InputError
from sim.network import _close_ties, build_network, read_edge_list, skip_network_draws
from sim.scenario import Network
from tests.conftest import SCENARIOS


def test_edge_list_separators_comments_and_weights(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("# a comment\n\n0 1\n1,2\n2\t3 0.5\n% another comment\n3 3\n0 1\n")
    matrix = read_edge_list(path)
    assert matrix.shape == (4, 4)
    # undirected: both ways; the self-loop and the repeated tie are dropped
    assert matrix.nnz == 6
    assert matrix[0, 1] == 1 and matrix[1, 0] == 1 and matrix[2, 3] == 1 and matrix[3, 3] == 0


def test_directed_edge_list_keeps_direction(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("a b\nb c\n")
    matrix = read_edge_list(path, directed=True)
    # word ids are sorted: a=0, b=1, c=2; 'a b' means b sees a's shares
    assert matrix[0, 1] == 1 and matrix[1, 0] == 0 and matrix.nnz == 2


def test_malformed_line_is_named(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("0 1\n1 2\n2 lonely\n")
    with pytest.raises(InputError) as caught:
        read_edge_list(path)
    assert f"{path}:3:" in str(caught.value) and "lonely" in str(caught.value)


def test_empty_edge_list(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("# nothing\n")
    with pytest.raises(InputError, match="no edges"):
        read_edge_list(path)


def test_ego_facebook_graph_has_its_published_size():
    matrix = read_edge_list(SCENARIOS / "networks" / "facebook_combined.txt")
    assert matrix.shape[0] == 4039
    assert matrix.nnz == 2 * 88234


@pytest.mark.parametrize("generator", ["barabasi_albert", "watts_strogatz", "powerlaw_cluster", "stochastic_block"])
def test_generators_give_the_asked_mean_degree(generator):
    graph = build_network(Network(generator=generator, mean_degree=10), 2000, np.random.default_rng(1))
    assert graph.size == 2000
    assert 8 <= graph.ties / graph.size <= 12


def test_close_ties_are_a_few_of_each_audience():
    graph = build_network(Network(close_ties=3), 1000, np.random.default_rng(1))
    rows = np.repeat(np.arange(graph.size), np.diff(graph.indptr))
    close_per_person = np.bincount(rows[graph.close], minlength=graph.size)
    assert np.all(close_per_person == np.minimum(graph.audience_size(), 3))


def test_close_ties_are_a_uniform_choice_among_the_audience():
    rows, degree, k = 60_000, 6, 3                   # 20 possible sets of 3 close ties per row
    indptr = np.arange(rows + 1, dtype=np.int64) * degree
    close = _close_ties(indptr, k, np.random.default_rng(4)).reshape(rows, degree)
    assert np.all(close.sum(axis=1) == k)
    code = close @ (1 << np.arange(degree))          # which set each row got
    counts = np.unique(code, return_counts=True)[1]
    expected = rows / 20
    assert counts.size == 20
    assert ((counts - expected) ** 2 / expected).sum() < 45.3     # chi-square, 19 df, p = 0.001


@pytest.mark.parametrize("network, size", [
    (Network(), 1000), (Network(close_ties=12), 1000), (Network(generator="watts_strogatz", mean_degree=4), 500),
    (Network(generator="stochastic_block", mean_degree=2, close_ties=2), 400)])
def test_skipping_the_network_draws_leaves_the_generator_where_building_would(network, size):
    built = np.random.default_rng(9)
    graph = build_network(network, size, built)
    skipped = np.random.default_rng(9)
    skip_network_draws(graph, skipped)
    assert built.bit_generator.state == skipped.bit_generator.state


def test_skipping_the_draws_of_an_edge_list(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("0 1\n0 2\n0 3\n0 4\n1 2\n7 6\n")          # 0 has 4 ties, the others 1 or 2
    network = Network(generator="edge_list", path=str(path), close_ties=2)
    built = np.random.default_rng(3)
    graph = build_network(network, None, built)
    skipped = np.random.default_rng(3)
    skip_network_draws(graph, skipped)
    assert built.bit_generator.state == skipped.bit_generator.state
    assert graph.close[graph.indptr[0]:graph.indptr[1]].sum() == 2


def test_stochastic_block_keeps_most_ties_inside_communities():
    graph = build_network(Network(generator="stochastic_block", mixing=0.1), 2000, np.random.default_rng(2))
    rows = np.repeat(np.arange(graph.size), np.diff(graph.indptr))
    inside = np.mean(graph.community[rows] == graph.community[graph.indices])
    assert 0.8 < inside < 0.97


def test_same_seed_same_graph():
    one = build_network(Network(), 1000, np.random.default_rng(5))
    two = build_network(Network(), 1000, np.random.default_rng(5))
    assert np.array_equal(one.indices, two.indices) and np.array_equal(one.close, two.close)
