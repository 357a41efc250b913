"""The independent_cascade preset: exact on small cases, and in agreement with its peers.

Agreement with NDlib and cynetdiff is a two-sample z-test on the mean final
activated fraction over repeated cascades (fresh random seeds each time):
|z| = |mean_a - mean_b| / sqrt(var_a / runs_a + var_b / runs_b) must stay
below Z_TOLERANCE = 4 standard errors (a false alarm about once in 16,000
runs of the test); the same test must reject a peer run with a 30% higher
probability, which shows it has the power to see a real difference.
"""

from __future__ import annotations

import json
import warnings

import networkx as nx
import numpy as np
import pytest

from sim.cascade import firing_ties, independent_cascade, run_cascade
from sim.errors import InputError
from sim.network import SocialGraph
from sim.runs import simulate, write_run_folder
from sim.scenario import scenario_from_dict
from tests.conftest import SCENARIOS

Z_TOLERANCE = 4.0
RUNS = 150


def z_score(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    error = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float((a.mean() - b.mean()) / error)


# --------------------------------------------------------------------------
# The peers, each run as its documentation shows

def ndlib_fractions(graph: nx.Graph, p: float, seeds: int, runs: int, seed: int) -> list[float]:
    """NDlib's IndependentCascadesModel with every edge's threshold set to p."""
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc

    rng = np.random.default_rng(seed)
    nodes = list(graph.nodes)
    fractions = []
    for run in range(runs):
        model = ep.IndependentCascadesModel(graph, seed=seed + run)
        config = mc.Configuration()
        config.add_model_initial_configuration("Infected", list(rng.choice(nodes, seeds, replace=False)))
        for edge in graph.edges():
            config.add_edge_configuration("threshold", edge, p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.set_initial_status(config)
        while True:
            counts = model.iteration(node_status=False)["node_count"]
            if counts[1] == 0:                       # no one Infected: the cascade is over
                break
        fractions.append(counts[2] / len(nodes))     # Removed = ever activated
    return fractions


def cynetdiff_fractions(graph: nx.Graph, p: float, seeds: int, runs: int, seed: int) -> list[float]:
    """cynetdiff's IndependentCascadeModel built by its networkx_to_ic_model."""
    from cynetdiff.utils import networkx_to_ic_model

    model, mapping = networkx_to_ic_model(graph, activation_prob=p, rng=seed)
    rng = np.random.default_rng(seed)
    nodes = list(graph.nodes)
    fractions = []
    for _ in range(runs):
        model.set_seeds([mapping[v] for v in rng.choice(nodes, seeds, replace=False)])
        model.advance_until_completion()
        fractions.append(model.get_num_activated_nodes() / len(nodes))
    return fractions


def sharesim_fractions(graph: nx.Graph, p: float, seeds: int, runs: int, seed: int) -> list[float]:
    social = SocialGraph.from_networkx(graph)
    rng = np.random.default_rng(seed)
    return [independent_cascade(social, rng.choice(social.size, seeds, replace=False), p, rng).activated
            / social.size for _ in range(runs)]


def barabasi_albert() -> nx.Graph:
    return nx.barabasi_albert_graph(500, 3, seed=1)


def facebook_piece() -> nx.Graph:
    """The first 600 people of ego-Facebook and their ties among themselves."""
    graph = nx.read_edgelist(SCENARIOS / "networks" / "facebook_combined.txt", nodetype=int)
    return nx.convert_node_labels_to_integers(graph.subgraph(range(600)).copy())


GRAPHS = {"barabasi_albert_500": (barabasi_albert, 0.15, 5), "facebook_600": (facebook_piece, 0.05, 6)}


@pytest.fixture(scope="module", params=list(GRAPHS))
def case(request):
    build, p, seeds = GRAPHS[request.param]
    graph = build()
    ours = sharesim_fractions(graph, p, seeds, RUNS, seed=1)
    return graph, p, seeds, ours


def test_the_cases_are_not_trivial(case):
    _, _, _, ours = case
    assert 0.1 < np.mean(ours) < 0.9 and np.std(ours) > 0.01


def test_agrees_with_ndlib(case):
    graph, p, seeds, ours = case
    peer = ndlib_fractions(graph, p, seeds, RUNS, seed=2)
    assert abs(z_score(ours, peer)) < Z_TOLERANCE, (np.mean(ours), np.mean(peer))


def test_agrees_with_cynetdiff(case):
    graph, p, seeds, ours = case
    peer = cynetdiff_fractions(graph, p, seeds, RUNS, seed=3)
    assert abs(z_score(ours, peer)) < Z_TOLERANCE, (np.mean(ours), np.mean(peer))


def test_the_z_test_sees_a_thirty_percent_higher_probability(case):
    graph, p, seeds, ours = case
    peer = cynetdiff_fractions(graph, 1.3 * p, seeds, RUNS, seed=4)
    assert z_score(ours, peer) < -Z_TOLERANCE


# --------------------------------------------------------------------------
# Exact small cases

def test_each_follower_of_a_seed_is_activated_with_probability_p():
    star = SocialGraph.from_networkx(nx.star_graph(200))          # 0 is the hub
    rng = np.random.default_rng(5)
    leaves = np.array([independent_cascade(star, [0], 0.3, rng).activated - 1 for _ in range(300)])
    # a leaf's only tie leads back to the active hub: exactly Binomial(200, 0.3) leaves
    expected, error = 200 * 0.3, np.sqrt(200 * 0.3 * 0.7 / leaves.size)
    assert abs(leaves.mean() - expected) < 4 * error
    assert abs(leaves.var() - 200 * 0.3 * 0.7) < 0.25 * 200 * 0.3 * 0.7


def test_probability_one_activates_everyone_reachable_and_zero_only_the_seeds():
    chain = SocialGraph.from_networkx(nx.DiGraph([(0, 1), (1, 2), (2, 3), (5, 4)]))
    everyone = independent_cascade(chain, [1], 1.0, np.random.default_rng(0))
    assert sorted(everyone.person) == [1, 2, 3]
    assert list(everyone.generation) == [0, 1, 2] and list(everyone.source) == [-1, 1, 2]
    assert independent_cascade(chain, [1, 5], 0.0, np.random.default_rng(0)).activated == 2


def test_each_tie_fires_with_probability_p_independently():
    rng = np.random.default_rng(9)
    hits = np.zeros(50)
    counts = []
    for _ in range(4000):
        fired = firing_ties(50, 0.1, rng)
        assert np.all(np.diff(fired) > 0) and (fired.size == 0 or 0 <= fired[0] and fired[-1] < 50)
        hits[fired] += 1
        counts.append(fired.size)
    share = hits / 4000
    assert np.all(np.abs(share - 0.1) < 4 * np.sqrt(0.1 * 0.9 / 4000) + 0.005)
    assert abs(np.var(counts) - 50 * 0.1 * 0.9) < 0.6      # Binomial(50, 0.1) variance 4.5


# --------------------------------------------------------------------------
# The preset as a scenario

def ic_scenario(**section):
    return scenario_from_dict({
        "name": "ic", "model": "independent_cascade", "seed": 4,
        "independent_cascade": {"share_probability": 0.05, "seed_fraction": 0.01, **section},
        "network": {"generator": "edge_list", "path": "networks/facebook_combined.txt"},
    }, source=SCENARIOS / "ic.yaml")


def test_run_folder_reports_activated_and_the_graph_population(tmp_path):
    result = simulate(ic_scenario())
    summary = write_run_folder(result, tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert saved["population"] == 4039
    assert saved["activated"] == saved["reach"] > 40           # seeds (1% = 40) included
    assert saved["activated_fraction"] == pytest.approx(saved["activated"] / 4039)
    assert saved["shares"] == saved["activated"] and summary["activated"] == saved["activated"]
    seeds = result.log.events.query("kind == 'exposure' and source == -1")
    assert len(seeds) == 40 and (seeds["tick"] == 1).all()


def test_same_seed_same_cascade_other_seed_other_cascade():
    one, two, other = run_cascade(ic_scenario()), run_cascade(ic_scenario()), run_cascade(ic_scenario(), seed=5)
    assert np.array_equal(one.cascade.person, two.cascade.person)
    assert not np.array_equal(one.cascade.person, other.cascade.person)


def test_seed_count_overrides_the_fraction_and_must_fit_the_graph():
    assert run_cascade(ic_scenario(seed_count=7, share_probability=0.0)).cascade.activated == 7
    with pytest.raises(InputError, match="independent_cascade.seed_count: 5000 seeds"):
        run_cascade(ic_scenario(seed_count=5000))


def test_ready_scenario_runs_with_sharesim_run(tmp_path):
    from sim.cli import main

    assert main(["run", str(SCENARIOS / "ic_facebook.yaml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert 0.0 < summary["activated_fraction"] <= 1.0 and summary["population"] == 4039
