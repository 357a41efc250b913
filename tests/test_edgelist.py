"""Edge-list files as other tools export them: each loads correctly or names its line."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from sim.edgelist import read_edge_list
from sim.errors import InputError


def load(tmp_path, text: str | bytes, directed=False):
    path = tmp_path / "graph.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return read_edge_list(path, directed=directed), path


def ties(matrix) -> set[tuple[int, int]]:
    rows, cols = matrix.nonzero()
    return set(zip(rows.tolist(), cols.tolist()))


def test_comments_blank_lines_tabs_and_spaces(tmp_path):
    matrix, _ = load(tmp_path, "# made by hand\n\n0\t1\n  1   2  \n% another comment\n\n")
    assert ties(matrix) == {(0, 1), (1, 0), (1, 2), (2, 1)}


def test_commas_and_semicolons(tmp_path):
    assert ties(load(tmp_path, "0,1\n1,2\n")[0]) == {(0, 1), (1, 0), (1, 2), (2, 1)}
    assert ties(load(tmp_path, "0;1\n")[0]) == {(0, 1), (1, 0)}


def test_mixed_separators_on_different_lines(tmp_path):
    assert ties(load(tmp_path, "0 1\n1,2\n2\t3\n")[0]) == {(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)}


def test_header_row_is_skipped(tmp_path):
    matrix, _ = load(tmp_path, "source,target\n0,1\n1,2\n")
    assert matrix.shape == (3, 3) and ties(matrix) == {(0, 1), (1, 0), (1, 2), (2, 1)}


def test_weights_in_a_third_column_are_ignored(tmp_path):
    matrix, _ = load(tmp_path, "0 1 0.5\n1 2 3\n")
    assert ties(matrix) == {(0, 1), (1, 0), (1, 2), (2, 1)}


def test_self_loops_and_duplicate_ties_are_dropped(tmp_path):
    matrix, _ = load(tmp_path, "0 1\n1 0\n0 1\n2 2\n")
    assert matrix.shape == (3, 3)                 # person 2 stays, without ties
    assert ties(matrix) == {(0, 1), (1, 0)}
    assert set(matrix.data.tolist()) == {1}


def test_word_ids_are_numbered_alphabetically(tmp_path):
    matrix, _ = load(tmp_path, "carol bob\nalice bob\n", directed=True)
    # alice=0, bob=1, carol=2; 'a b' means b sees a's shares
    assert ties(matrix) == {(2, 1), (0, 1)}


def test_integer_ids_keep_their_order_and_gaps_close(tmp_path):
    matrix, _ = load(tmp_path, "10 30\n30 20\n")
    assert ties(matrix) == {(0, 2), (2, 0), (2, 1), (1, 2)}


def test_a_single_id_is_a_person_without_ties(tmp_path):
    matrix, _ = load(tmp_path, "0 1\n7\n")
    assert matrix.shape == (3, 3) and matrix[[2]].nnz == 0


def test_a_word_among_integer_ids_names_its_line(tmp_path):
    with pytest.raises(InputError) as caught:
        load(tmp_path, "0 1\n1 2\n2 three\n3 4\n")
    assert ":3:" in str(caught.value) and "three" in str(caught.value)


def test_empty_file(tmp_path):
    with pytest.raises(InputError, match="no edges"):
        load(tmp_path, "")


def test_only_comments(tmp_path):
    with pytest.raises(InputError, match="no edges"):
        load(tmp_path, "# nothing here\n")


def test_binary_file(tmp_path):
    with pytest.raises(InputError, match="binary"):
        load(tmp_path, bytes(range(256)) * 4)


def test_not_utf8(tmp_path):
    with pytest.raises(InputError, match="UTF-8"):
        load(tmp_path, "0 1\n".encode() + "caf\xe9 1\n".encode("latin-1") * 3)


def test_ten_million_edges_are_streamed_into_arrays(tmp_path):
    rng = np.random.default_rng(0)
    block = "\n".join(f"{a} {b}" for a, b in rng.integers(0, 200_000, size=(1_000_000, 2))) + "\n"
    path = tmp_path / "big.txt"
    with path.open("w") as file:
        for _ in range(10):                       # 10 million lines
            file.write(block)
    tracemalloc.start()
    try:
        matrix = read_edge_list(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert matrix.shape[0] <= 200_000 and matrix.nnz > 1_500_000
    # arrays cost tens of bytes per line; a Python list of tuples costs over a hundred
    assert peak < 100 * 10_000_000
