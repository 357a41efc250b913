"""Outputs that scale: Parquet event logs read back like CSV, a linear follower-distance search,
communities of a large network from a stated sample, big networks saved without compression."""

from __future__ import annotations

import json
import zipfile

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import small_scenario
from scipy.sparse.csgraph import shortest_path

from sim import analysis, events
from sim.events import EVENTS_CSV, EVENTS_PARQUET, RunLog
from sim.rundir import NETWORK_FILE, load_run_folder, write_network
from sim.runs import simulate, write_run_folder


@pytest.fixture(scope="module")
def result():
    """A small run with every kind of event (shares made common so that follows occur too)."""
    return simulate(small_scenario(motivations={label: {"share_probability": 0.2} for label in
                                                ("altruist", "selective", "passionate", "social", "trendsetter",
                                                 "provocateur", "careerist")}))


def test_a_parquet_event_log_reads_back_as_the_csv_one(result, tmp_path):
    for name, kind in (("csv", "csv"), ("parquet", "parquet")):
        (tmp_path / name).mkdir()
        result.log.save(tmp_path / name, kind)
    assert (tmp_path / "csv" / EVENTS_CSV).is_file() and not (tmp_path / "csv" / EVENTS_PARQUET).exists()
    assert (tmp_path / "parquet" / EVENTS_PARQUET).is_file() and not (tmp_path / "parquet" / EVENTS_CSV).exists()
    from_csv, from_parquet = RunLog.load(tmp_path / "csv"), RunLog.load(tmp_path / "parquet")
    assert len(from_csv.events) > 100 and from_csv.events["kind"].nunique() >= 2
    pd.testing.assert_frame_equal(from_csv.events, from_parquet.events)
    pd.testing.assert_frame_equal(from_parquet.events, result.log.events)


def test_the_event_log_is_parquet_above_the_threshold(result, tmp_path, monkeypatch):
    monkeypatch.setattr(events, "PARQUET_EVENTS", len(result.log.events) - 1)
    result.log.save(tmp_path)
    assert (tmp_path / EVENTS_PARQUET).is_file() and not (tmp_path / EVENTS_CSV).exists()


def test_a_parquet_run_folder_verifies_and_rebuilds_to_the_same_summary(result, tmp_path, capsys):
    from sim.cli import main

    folder = tmp_path / "run"
    summary = write_run_folder(result, folder, events_format="parquet")
    assert not (folder / EVENTS_CSV).exists()
    assert EVENTS_PARQUET in json.loads((folder / "run.json").read_text())["files"]
    pd.testing.assert_frame_equal(load_run_folder(folder, verify=True).events, result.log.events)
    assert main(["report", str(folder)]) == 0, capsys.readouterr().err
    assert json.loads((folder / "summary.json").read_text()) == json.loads(json.dumps(summary))
    (folder / EVENTS_PARQUET).write_bytes(b"PAR1 not really")
    assert main(["report", str(folder)]) == 2
    assert EVENTS_PARQUET in capsys.readouterr().err


def test_follower_distance_is_the_shortest_path_from_the_nearest_follower():
    rng = np.random.default_rng(4)
    n = 3000
    matrix = sp.random_array((n, n), density=2 / n, format="csr", rng=rng)
    followers = rng.choice(n, size=15, replace=False)
    source = sp.csr_array((np.ones(followers.size), (np.full(followers.size, n), followers)), shape=(n + 1, n + 1))
    padded = sp.block_diag([matrix, sp.csr_array((1, 1))], format="csr") + source
    expected = shortest_path(padded, directed=True, unweighted=True, indices=n)[:n] - 1
    distance = analysis.follower_distance(matrix, followers)
    assert np.isinf(distance).any() and (distance > 3).any()
    np.testing.assert_array_equal(distance, expected)


def test_follower_distance_on_a_ring_of_many_levels_is_the_shortest_path():
    """A ring lattice has as many levels as people over its degree: every level is small (sorted),
    and the distances are still the shortest paths (a random graph's levels are large: scanned)."""
    n = 5000
    ring = sp.csr_array(nx.to_scipy_sparse_array(nx.watts_strogatz_graph(n, 4, 0.0, seed=1)))
    followers = np.array([0, 2500])
    expected = shortest_path(ring, unweighted=True, indices=followers).min(axis=0)
    distance = analysis.follower_distance(ring, followers)
    assert distance.max() == 625                     # 1,250 people apart, 2 a step: many small levels
    np.testing.assert_array_equal(distance, expected)


def test_communities_of_a_large_network_come_from_a_stated_snowball_sample(monkeypatch):
    rng = np.random.default_rng(5)
    n, groups = 4000, 4
    community = np.repeat(np.arange(groups), n // groups)
    a, b = rng.integers(n, size=(2, 40_000))
    keep = community[a] == community[b]
    matrix = sp.csr_array((np.ones(keep.sum()), (a[keep], b[keep])), shape=(n, n))
    matrix = sp.csr_array(matrix + matrix.T)
    monkeypatch.setattr(analysis, "COMMUNITY_SAMPLE", 1000)
    parts, how = analysis._communities(matrix, None, seed=1)
    assert "snowball sample of 1,000 of the 4,000 people" in how
    assert (parts > -2).sum() == 1000
    sampled = parts > -2
    # four groups with no tie between them: no part found in the sample mixes two groups
    listed = sampled & (parts >= 0)
    mixed = pd.DataFrame({"part": parts[listed], "group": community[listed]}).groupby("part")["group"].nunique()
    assert len(mixed) >= 2 and (mixed == 1).all()


def test_a_large_network_is_saved_uncompressed_and_reads_back(tmp_path, monkeypatch):
    from sim import rundir

    class Graph:
        indptr = np.array([0, 2, 3, 3])
        indices = np.array([1, 2, 0])
        community = None

    monkeypatch.setattr(rundir, "COMPRESSED_TIES", 2)
    write_network(Graph, tmp_path)
    with zipfile.ZipFile(tmp_path / NETWORK_FILE) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
    matrix, _ = rundir.read_network(tmp_path)
    assert matrix.toarray().tolist() == [[0, 1, 1], [1, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"person": np.arange(4), "motivation": pd.array(["social", "altruist", "social", "none"], dtype="str"),
                  "employee": [True, False, False, True], "follows_0": np.array([0, 1, 1, 0], dtype=bool)}),
    pd.DataFrame({"tick": np.array([1, 2], dtype=np.int32), "kind": pd.Categorical(["share", "exposure"]),
                  "brand": np.array([0, 1], dtype=np.int16)}),
    pd.DataFrame({"post": [0, 1], "promotional": [0.2, 1e-05]}),                      # decimals: pandas
    pd.DataFrame({"post": [0, 1], "topic": ["tech, food", 'the "best"']}),          # quotes: pandas
    pd.DataFrame({"post": [0, 1], "topic": ["", None]}),                            # empty, missing: pandas
    pd.DataFrame({"person": np.arange(0), "employee": np.zeros(0, dtype=bool)}),
    pd.DataFrame({"person": pd.array([1, None], dtype="Int64"), "seeded": pd.array([True, None], dtype="boolean")}),
])
def test_csv_files_are_written_byte_for_byte_as_pandas_writes_them(frame, tmp_path):
    events.write_csv(frame, tmp_path / "fast.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_people_and_events_csv_read_back_as_they_were(result, tmp_path):
    result.log.save(tmp_path, "csv")
    back = RunLog.load(tmp_path)
    pd.testing.assert_frame_equal(back.events, result.log.events)
    pd.testing.assert_frame_equal(back.people, result.log.people, check_dtype=False)
    assert back.people["employee"].dtype == bool and back.people["follows_0"].dtype == bool


def test_a_search_for_enough_people_stops_after_the_level_that_reaches_them():
    rng = np.random.default_rng(6)
    n = 2000
    matrix = sp.random_array((n, n), density=4 / n, format="csr", rng=rng)
    sources = rng.choice(n, size=30, replace=False)
    whole = analysis._breadth_first(matrix, sources)
    assert np.isfinite(whole).sum() > n // 2 and whole.max() == np.inf
    wide = sp.csr_array((matrix.data, matrix.indices.astype(np.int64), matrix.indptr.astype(np.int64)), shape=(n, n))
    np.testing.assert_array_equal(analysis._breadth_first(wide, sources), whole)    # 64-bit indices
    reached = np.cumsum(np.bincount(whole[np.isfinite(whole)].astype(np.int64)))
    for enough in (1, 30, 31, 500, n):
        last = min(int(np.searchsorted(reached, enough)), reached.size - 1)
        expected = np.where(whole <= last, whole, np.inf)
        np.testing.assert_array_equal(analysis._breadth_first(matrix, sources, enough), expected)


def test_the_report_is_given_the_network_that_network_npz_reads_back_as(result, tmp_path):
    from sim.rundir import graph_network, read_network

    write_network(result.graph, tmp_path)
    (matrix, community), (read, read_community) = graph_network(result.graph), read_network(tmp_path)
    assert matrix.shape == read.shape and matrix.nnz > 0
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(matrix, name), getattr(read, name))
    assert (community is None) == (read_community is None)
    if community is not None:
        np.testing.assert_array_equal(community, read_community)


def _label_propagation_by_pairs(matrix, seed: int, passes: int = analysis.LABEL_PASSES):
    """Label propagation written plainly (keys person * n + label decoded by division)."""
    ties = sp.csr_array(matrix + matrix.T).tocoo()
    keep = ties.row != ties.col
    row, col = ties.row[keep].astype(np.int64), ties.col[keep].astype(np.int64)
    n = matrix.shape[0]
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.int64)
    order = np.argsort(row, kind="stable")
    row, col = row[order], col[order]
    for made in range(1, passes + 1):
        key = np.sort(row * n + labels[col])
        start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        pairs, counts = key[start], np.diff(np.r_[start, key.size])
        person, label = pairs // n, pairs % n
        score = counts + rng.random(counts.size)
        first = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
        top = np.maximum.reduceat(score, first)
        winner = score == np.repeat(top, np.diff(np.r_[first, person.size]))
        best = np.full(n, -1, dtype=np.int64)
        best[person[winner]] = label[winner]
        update = (rng.random(n) < 0.5) & (best >= 0)
        changed = int((labels[update] != best[update]).sum())
        labels[update] = best[update]
        if changed * 1000 < n:
            break
    return labels, made


@pytest.mark.parametrize("n", [3000, 70_000], ids=["32-bit keys", "64-bit keys"])
def test_label_propagation_gives_the_labels_of_the_plain_algorithm(n):
    rng = np.random.default_rng(7)
    matrix = sp.random_array((n, n), density=3 / n, format="csr", rng=rng)
    labels, passes = analysis.label_propagation(matrix, seed=3, passes=12)
    expected, expected_passes = _label_propagation_by_pairs(matrix, seed=3, passes=12)
    assert passes == expected_passes and np.unique(labels).size < n
    np.testing.assert_array_equal(labels, expected)


def test_label_propagation_with_hubs_and_self_ties_gives_the_labels_of_the_plain_algorithm():
    rng = np.random.default_rng(8)
    n = 3000
    spread = sp.random_array((n, n), density=2 / n, format="csr", rng=rng)
    hubs = sp.csr_array((np.ones(3 * 2000), (np.repeat([5, 50, 500], 2000), rng.integers(n, size=3 * 2000))),
                        shape=(n, n))                    # a few people with hundreds of friends' labels to sort
    matrix = sp.csr_array(spread + hubs + sp.eye_array(n, format="csr"))
    labels, passes = analysis.label_propagation(matrix, seed=4, passes=20)
    expected, expected_passes = _label_propagation_by_pairs(matrix, seed=4, passes=20)
    assert passes == expected_passes
    np.testing.assert_array_equal(labels, expected)
