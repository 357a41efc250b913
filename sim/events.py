"""The event log: every exposure, share, follow, unfollow and blindness.

The model appends one row per event; every metric, table and plot is computed
from this log alone (see :mod:`sim.metrics`), so a saved run can be analysed
again without running the model. A run's log lives in four files of its run
folder:

``events.csv`` (or ``events.parquet``)
    ``tick, kind, post, brand, person, source``: one row per event. A log of
    more than :data:`PARQUET_EVENTS` events is written as Parquet (columnar,
    typed, compressed: written and read back many times faster than CSV),
    a smaller one as CSV unless asked otherwise; reading takes either.
    ``kind`` is one of ``exposure`` (the person read a brand post in their
    feed), ``share`` (the person passed it on to their audience), ``follow``,
    ``unfollow`` and ``blind`` (the person's fatigue crossed the point where
    they stop noticing the brand: "social blindness"). ``post`` is -1 for
    follow, unfollow and blind. ``source`` is who put the item in the
    person's feed: -1 (:data:`BRAND`) for the brand itself, otherwise the
    person who shared it; for a follow it is the friend whose share won it.
``people.csv``
    ``person, motivation, employee, seeded`` and one ``follows_<b>`` column
    per brand index ``b``: whether the person followed brand ``b`` at tick 0.
``posts_published.csv``
    ``post, brand, kind, topic, tick, promotional`` and the seven qualities.
``run.json``
    the run's facts: ``scenario``, ``seed``, ``ticks``, ``tick_hours``,
    ``brands`` (names, by index), ``topics``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np
import pandas as pd

from .content import BRAND_ID

BRAND = -1
"""The ``source`` of an item that the brand itself put in a feed."""

NO_POST = -1
"""The ``post`` of a follow, unfollow or blind event."""


class EventKind(IntEnum):
    """What happened to a person in one event."""

    EXPOSURE = 0
    SHARE = 1
    FOLLOW = 2
    UNFOLLOW = 3
    BLIND = 4

    @property
    def label(self) -> str:
        return self.name.lower()


EVENT_COLUMNS = ("tick", "kind", "post", "brand", "person", "source")
_DTYPES = {"tick": np.int32, "kind": np.int8, "post": np.int32,
           "brand": BRAND_ID, "person": np.int32, "source": np.int32}


class EventLog:
    """An append-only, columnar log of events, kept as NumPy chunks.

    ``record`` takes whole arrays (one tick's events of one kind at a time),
    so logging costs a few array copies per tick, not a Python call per event.
    """

    def __init__(self) -> None:
        self._chunks: dict[str, list[np.ndarray]] = {c: [] for c in EVENT_COLUMNS}
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def record(self, tick: int, kind: EventKind, post, brand, person, source) -> None:
        """Append events; scalars are broadcast to the length of ``person``."""
        person = np.asarray(person, dtype=np.int32)
        n = person.size
        if n == 0:
            return
        values = {"tick": tick, "kind": int(kind), "post": post, "brand": brand,
                  "person": person, "source": source}
        for column, value in values.items():
            dtype = _DTYPES[column]
            if np.ndim(value) == 0:
                array = np.full(n, value, dtype=dtype)
            elif np.shape(value) == (n,):
                array = np.array(value, dtype=dtype)          # a copy: callers reuse their arrays
            else:
                array = np.array(np.broadcast_to(np.asarray(value, dtype=dtype), (n,)))
            self._chunks[column].append(array)
        self._length += n

    def column(self, name: str) -> np.ndarray:
        chunks = self._chunks[name]
        if not chunks:
            return np.empty(0, dtype=_DTYPES[name])
        if len(chunks) > 1:  # compact, so repeated reads stay cheap
            self._chunks[name] = [np.concatenate(chunks)]
        return self._chunks[name][0]

    def count(self, kind: EventKind) -> int:
        return int(np.count_nonzero(self.column("kind") == int(kind)))

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame with ``kind`` as a categorical of labels."""
        return events_frame({c: self.column(c) for c in EVENT_COLUMNS})


KIND_LABELS = [k.label for k in EventKind]


def events_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    frame = pd.DataFrame({c: np.asarray(columns[c], dtype=_DTYPES[c]) for c in EVENT_COLUMNS})
    frame["kind"] = pd.Categorical.from_codes(frame["kind"].to_numpy(), categories=KIND_LABELS)
    return frame


@dataclass
class RunLog:
    """Everything a finished run leaves for analysis: the log and its context.

    ``events`` has the columns of :data:`EVENT_COLUMNS` (``kind`` as labels),
    ``people`` one row per person, ``posts`` one row per published post, and
    ``meta`` the facts of the run (see the module docstring).
    """

    events: pd.DataFrame
    people: pd.DataFrame
    posts: pd.DataFrame
    meta: dict = field(default_factory=dict)

    @property
    def brands(self) -> list[str]:
        return list(self.meta["brands"])

    @property
    def ticks(self) -> int:
        return int(self.meta["ticks"])

    def of_kind(self, kind: EventKind | str) -> pd.DataFrame:
        label = kind.label if isinstance(kind, EventKind) else kind
        return self.events[self.events["kind"] == label]

    def followers_start(self, brand: int) -> np.ndarray:
        """Whether each person followed ``brand`` at tick 0 (bool array)."""
        return self.people[f"follows_{brand}"].to_numpy(dtype=bool)

    def save(self, folder: Path, events_format: str | None = None) -> None:
        """Write the four files; ``events_format`` "csv" or "parquet" (None: by size, see
        :data:`PARQUET_EVENTS`)."""
        folder = Path(folder)
        if events_format is None:
            events_format = "parquet" if len(self.events) > PARQUET_EVENTS else "csv"
        if events_format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.table({c: (self.events[c].cat.codes.to_numpy() if c == "kind" else self.events[c].to_numpy())
                              for c in EVENT_COLUMNS})
            dictionary = pa.DictionaryArray.from_arrays(table["kind"].combine_chunks(), pa.array(KIND_LABELS))
            table = table.set_column(EVENT_COLUMNS.index("kind"), "kind", dictionary)
            pq.write_table(table, folder / EVENTS_PARQUET, compression="zstd")
        else:
            write_csv(self.events, folder / EVENTS_CSV)
        write_csv(self.people, folder / "people.csv")
        write_csv(self.posts, folder / "posts_published.csv")
        (folder / "run.json").write_text(json.dumps(self.meta, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> "RunLog":
        folder = Path(folder)
        events = read_events(events_file(folder))
        people = pd.read_csv(folder / "people.csv")
        posts = pd.read_csv(folder / "posts_published.csv")
        meta = json.loads((folder / "run.json").read_text())
        return cls(events=events, people=people, posts=posts, meta=meta)


EVENTS_CSV = "events.csv"
EVENTS_PARQUET = "events.parquet"
PARQUET_EVENTS = 1_000_000
"""Event logs longer than this are saved as Parquet (at 10^6 people, CSV took as long as the run)."""


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` (without its index) byte for byte as ``frame.to_csv(path, index=False)`` would.

    A frame of whole numbers, booleans (``True``/``False``) and plain words is
    written by pyarrow's CSV writer, about ten times faster than pandas (people.csv
    at 10^6 people: 0.06 s instead of 0.65 s; rows in batches of 65,536, not pyarrow's
    1,024, save a third); any other frame (decimals, which the
    two format differently; empty or missing text; text that needs quotes) by pandas.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    def arrow(column: pd.Series):
        plain_numbers = isinstance(column.dtype, np.dtype)      # not pandas' nullable Int64, boolean
        if plain_numbers and column.dtype.kind == "b":            # pyarrow spells booleans true/false, pandas True/False
            return pa.DictionaryArray.from_arrays(pa.array(column.to_numpy().view(np.int8)),
                                                 pa.array(["False", "True"]))
        if plain_numbers and column.dtype.kind in "iu":
            return pa.array(column.to_numpy())
        if isinstance(column.dtype, pd.CategoricalDtype) or column.dtype.kind in "OTU" or column.dtype == "str":
            try:
                words = pa.array(column)
            except (pa.ArrowInvalid, pa.ArrowTypeError):    # an object column of other things
                return None
            text = words.dictionary if pa.types.is_dictionary(words.type) else words
            if (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)) and words.null_count == 0 \
                    and (len(text) == 0 or pc.min(pc.utf8_length(text)).as_py() > 0):
                return words
        return None

    plain = frame.columns.is_unique and all(isinstance(name, str) and not set(name) & set(',"\r\n')
                                            for name in frame.columns)
    columns = {name: arrow(frame[name]) for name in frame.columns} if plain else {}
    if not plain or any(column is None for column in columns.values()):
        frame.to_csv(path, index=False)
        return
    header = ",".join(frame.columns)
    try:
        with pa.OSFile(str(path), "wb") as stream:
            stream.write((header + "\n").encode("utf-8"))
            pcsv.write_csv(pa.table(columns), stream,
                           pcsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16))
    except pa.ArrowInvalid:                     # a word with a comma, quote or line break: pandas quotes it
        frame.to_csv(path, index=False)


def events_file(folder: Path) -> Path:
    """The run folder's event log: events.parquet if there is one, else events.csv."""
    parquet = Path(folder) / EVENTS_PARQUET
    return parquet if parquet.is_file() else Path(folder) / EVENTS_CSV


def read_events(path: Path) -> pd.DataFrame:
    """An event log file (CSV or Parquet) as the frame :func:`events_frame` makes."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as error:     # pyarrow raises its own errors for a damaged file
            raise ValueError(f"{path.name}: not a Parquet event log ({error})") from None
        raw = table.to_pandas()
        raw["kind"] = pd.Categorical(raw["kind"], categories=KIND_LABELS).codes
        return events_frame({c: raw[c].to_numpy() for c in EVENT_COLUMNS})
    raw = pd.read_csv(path)
    codes = pd.Categorical(raw["kind"], categories=KIND_LABELS).codes
    raw["kind"] = codes
    return events_frame({c: raw[c].to_numpy() for c in EVENT_COLUMNS})
