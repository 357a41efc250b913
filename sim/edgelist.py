"""Edge-list files: the social graphs people export from other tools.

One tie per line, two node ids separated by spaces, tabs, commas or
semicolons. What else such files hold, and what sharesim does with it:

- ``#`` or ``%`` comments and blank lines: skipped;
- a header row (``source target``) above integer ids: skipped;
- a third column and more (weights, timestamps): ignored;
- a line with a single id: a person with no ties;
- self-loops and repeated ties: dropped (the person stays);
- ids that are words: allowed when the file starts with them; in a file of
  whole-number ids, a word is an error naming its line;
- whole-number ids from -2^63 to 2^64-1 (64-bit ids, signed or not); a
  larger one is an error naming its line;
- a folder, device or pipe in place of the file, and a graph of fewer than
  two people: errors naming the file.

Large files are read in chunks by pandas' C parser straight into NumPy
arrays, never through a Python list of tuples; a file the fast reader
refuses is read again line by line, which names the offending line.
"""

from __future__ import annotations

import re
from array import array
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .errors import InputError
from .scenario import quoted, regular_file

_SEPARATORS = re.compile(r"[\s,;]+")
_CHUNK_ROWS = 2_000_000


def read_edge_list(path, directed: bool = False) -> sp.csr_array:
    """Read an edge-list file into an audience matrix (row: who shares, column: who sees).

    Integer ids keep their order, word ids are sorted; either way people are
    numbered 0..n-1. Undirected ties work both ways; with ``directed``, the
    line ``a b`` means b sees what a shares. Raises InputError naming the
    file and, for a malformed line, its number.
    """
    path = regular_file(Path(path), "edge-list file")
    _check_is_text(path)
    try:
        sources, targets, loners = _read_fast(path)
    except _FastReaderRefused:
        sources, targets, loners = _read_line_by_line(path)
    if sources.size == 0 and loners.size == 0:
        raise InputError(f"{path}: no edges found (expected lines 'a b')")
    ties = sources.size
    names, ids = np.unique(np.concatenate([sources, targets, loners]), return_inverse=True)
    del sources, targets
    ids = ids.astype(np.int32)                  # people are counted in int32 from here
    a, b = ids[:ties], ids[ties:2 * ties]
    keep = a != b
    a, b = a[keep], b[keep]
    if not directed:
        a, b = np.concatenate([a, b]), np.concatenate([b, a])
    n = names.size
    if n < 2:
        raise InputError(f"{path}: the graph has {n} person; a network needs at least 2 people")
    matrix = sp.coo_array((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    matrix.data[:] = 1                          # repeated ties were summed: one tie each
    return matrix


class _FastReaderRefused(Exception):
    """The file needs the careful line-by-line reader."""


def _check_is_text(path: Path) -> None:
    with path.open("rb") as file:
        head = file.read(65536)
    if b"\x00" in head:
        raise InputError(f"{path}: a binary file, not an edge list (expected text lines 'a b')")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:     # not just a character cut at the end of the sample
            raise InputError(f"{path}: not UTF-8 text (expected lines 'a b')") from None


def _read_fast(path: Path):
    """Whole-number ids with one kind of separator, via pandas' C parser in chunks."""
    import pandas as pd

    first = _first_data_line(path)
    if first is None:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    separator = "," if "," in first else ";" if ";" in first else r"\s+"
    sources, targets = [], []
    try:
        chunks = pd.read_csv(path, sep=separator, header=None, comment="#", usecols=[0, 1],
                             dtype=np.int64, chunksize=_CHUNK_ROWS, skip_blank_lines=True,
                             engine="c", skipinitialspace=True)
        for chunk in chunks:
            sources.append(_compact(chunk[0].to_numpy()))
            targets.append(_compact(chunk[1].to_numpy()))
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError, IndexError):
        raise _FastReaderRefused from None           # e.g. ids above 2^63-1, words, single-id lines
    return np.concatenate(sources), np.concatenate(targets), np.empty(0, np.int32)


def _compact(ids: np.ndarray) -> np.ndarray:
    """Ids as int32 when they fit: half the memory for the usual files."""
    info = np.iinfo(np.int32)
    if ids.size and info.min <= ids.min() and ids.max() <= info.max:
        return ids.astype(np.int32)
    return ids


def _first_data_line(path: Path) -> str | None:
    with path.open(encoding="utf-8", errors="replace") as file:
        for line in file:
            text = line.strip()
            if text and not text.startswith(("#", "%")):
                return text
    return None


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
SMALLEST_ID, LARGEST_ID = -2**63, 2**64 - 1
"""Whole-number ids must fit in 64 bits, signed or unsigned."""


def _is_whole_number(token: str) -> bool:
    return _WHOLE_NUMBER.fullmatch(token) is not None


def _read_line_by_line(path: Path):
    """The careful reader: any ids, single-id lines, a header; names the bad line.

    Ids are numbered in order of appearance (a dict, so ids of any size fit),
    then renumbered in sorted order: numerically for whole numbers,
    alphabetically for words.
    """
    numeric: bool | None = None
    sources, targets, loners = array("q"), array("q"), array("q")
    codes: dict = {}
    header_allowed = True

    def number_of(token: str, line: int) -> int:
        if numeric:
            if not _is_whole_number(token):
                raise InputError(
                    f"{path}:{line}: node id {quoted(token, 40)} is not a whole number, like the ids before it")
            value = int(token) if len(token) <= 21 else LARGEST_ID + 1
            if not SMALLEST_ID <= value <= LARGEST_ID:
                raise InputError(f"{path}:{line}: node id {quoted(token, 40)} does not fit in 64 bits "
                                 f"(ids are whole numbers from -2^63 to 2^64-1)")
            return codes.setdefault(value, len(codes))
        return codes.setdefault(token, len(codes))

    try:
        with path.open(encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                text = line.strip()
                if not text or text.startswith(("#", "%")):
                    continue
                fields = [f for f in _SEPARATORS.split(text) if f]
                ids = fields[:2]
                if numeric is None:
                    if header_allowed and not any(_is_whole_number(f) for f in ids) and _next_is_numeric(path, number):
                        header_allowed = False
                        continue                      # a header row such as "source target"
                    numeric = all(_is_whole_number(f) for f in ids)
                if len(ids) == 1:
                    loners.append(number_of(ids[0], number))
                    continue
                sources.append(number_of(ids[0], number))
                targets.append(number_of(ids[1], number))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text (expected lines 'a b')") from None
    labels = sorted(codes)                          # all ints, or all words
    order = np.empty(len(codes), dtype=np.int64)    # first-seen code -> sorted position
    order[[codes[label] for label in labels]] = np.arange(len(codes))
    return (order[np.frombuffer(sources, np.int64)], order[np.frombuffer(targets, np.int64)],
            order[np.frombuffer(loners, np.int64)])


def _next_is_numeric(path: Path, after_line: int) -> bool:
    """Whether the first data line after ``after_line`` starts with whole-number ids."""
    with path.open(encoding="utf-8", errors="replace") as file:
        for number, line in enumerate(file, start=1):
            text = line.strip()
            if number <= after_line or not text or text.startswith(("#", "%")):
                continue
            fields = [f for f in _SEPARATORS.split(text) if f][:2]
            return all(_is_whole_number(f) for f in fields)
    return False
