"""CSV text of a frame of whole numbers and plain words, by a compiled loop.

:func:`sim.events.write_csv` writes people.csv and the event log with pyarrow's CSV
writer, byte for byte what ``frame.to_csv(path, index=False)`` writes. At 10^6
people those two files took 0.12 s, most of it turning numbers into text. Here the
same bytes come from one compiled loop over the rows (:func:`_rows_text`), a block
of rows at a time into one reused buffer: whole numbers in decimal, each word
column's words (booleans as ``False``/``True``, categories, text) looked up by code.

Only the columns that pyarrow's path takes are taken, prepared by that path
(:func:`sim.events.write_csv` passes them as Arrow arrays): integers, and
dictionary-encoded words with no missing value; anything else is left to it.
"""

from __future__ import annotations

import numba
import numpy as np

BLOCK_ROWS = 1 << 16
"""Rows formatted at a time: the buffer stays small (a few MB) and is reused."""

STRUCTURAL = (",", '"', "\r", "\n")
"""Characters a CSV word cannot hold unquoted."""

INT_WIDTH = 20
"""Characters of the longest int64 in decimal, sign included."""


@numba.njit("int64(int64[:, ::1], int64, boolean[::1], int64[::1], uint8[::1], int64[::1], uint8[::1])", cache=True)
def _rows_text(values, rows, is_word, column_words, text, word_start, out):
    """Write ``rows`` rows of ``values`` (one row of the array per column) as CSV lines into
    ``out``; return the bytes written. A word column's value is a code: its word is
    ``text[word_start[w]:word_start[w + 1]]`` with ``w = column_words[column] + code``;
    any other column's value is written in decimal."""
    at = 0
    digits = np.empty(INT_WIDTH, dtype=np.uint8)
    columns = values.shape[0]
    for r in range(rows):
        for c in range(columns):
            if c:
                out[at] = 44                                # ','
                at += 1
            value = values[c, r]
            if is_word[c]:
                w = column_words[c] + value
                for k in range(word_start[w], word_start[w + 1]):
                    out[at] = text[k]
                    at += 1
            else:
                if value < 0:
                    out[at] = 45                            # '-'
                    at += 1
                    magnitude = np.uint64(-(value + 1)) + np.uint64(1)
                else:
                    magnitude = np.uint64(value)
                n = 0
                while True:
                    digits[n] = 48 + magnitude % np.uint64(10)
                    magnitude //= np.uint64(10)
                    n += 1
                    if magnitude == 0:
                        break
                for k in range(n - 1, -1, -1):
                    out[at] = digits[k]
                    at += 1
        out[at] = 10                                        # '\n'
        at += 1
    return at


def write_rows(stream, columns: list) -> bool:
    """Write the rows of ``columns`` (pyarrow arrays of one length, as
    :func:`sim.events.write_csv` prepares them) to the binary ``stream``; False, having written
    nothing, when a column is not integers or dictionary-encoded words without a missing value."""
    import pyarrow as pa

    sources, is_word, words = [], [], []
    for column in columns:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = column.dictionary_encode()
        if pa.types.is_dictionary(column.type):
            if column.null_count or not (pa.types.is_string(column.type.value_type)
                                         or pa.types.is_large_string(column.type.value_type)):
                return False
            codes = column.indices.to_numpy(zero_copy_only=False)
            if codes.size and (codes.min() < 0 or codes.max() >= len(column.dictionary)):
                return False
            vocabulary = column.dictionary.to_pylist()
            if any(mark in word for word in vocabulary for mark in STRUCTURAL):
                return False                                # pyarrow refuses them unquoted: pandas quotes
            sources.append(codes)
            is_word.append(True)
            words.append(vocabulary)
        elif pa.types.is_integer(column.type) and not pa.types.is_uint64(column.type) and not column.null_count:
            sources.append(column.to_numpy(zero_copy_only=False))
            is_word.append(False)
            words.append([])
        else:
            return False
    rows = len(columns[0]) if columns else 0
    encoded = [[w.encode("utf-8") for w in column] for column in words]
    width = sum(max((len(w) for w in column), default=0) if word else INT_WIDTH
                for column, word in zip(encoded, is_word)) + len(columns)
    column_words = np.cumsum([0] + [len(column) for column in encoded])[:-1].astype(np.int64)
    flat = [w for column in encoded for w in column]
    word_start = np.cumsum([0] + [len(w) for w in flat]).astype(np.int64)
    text = np.frombuffer(b"".join(flat) or b"\0", dtype=np.uint8).copy()
    is_word = np.array(is_word, dtype=np.bool_)
    block = np.empty((len(columns), min(rows, BLOCK_ROWS)), dtype=np.int64)
    out = np.empty(max(block.shape[1], 1) * max(width, 1), dtype=np.uint8)
    for first in range(0, rows, BLOCK_ROWS):
        stop = min(first + BLOCK_ROWS, rows)
        for c, source in enumerate(sources):
            block[c, :stop - first] = source[first:stop]
        written = _rows_text(block, stop - first, is_word, column_words, text, word_start, out)
        stream.write(memoryview(out)[:written])
    return True
