"""The run folder as a format: what sharesim may write, replace and trust.

Every folder sharesim writes (a run, a comparison, a lesson) holds a marker
file, ``.sharesim`` (JSON: tool, kind, version). The marker is what lets
``--force`` replace a folder: a folder without it is the user's own, and
sharesim never deletes it. Before any simulation, :func:`check_destination`
(or :func:`check_file_destination` for a single file such as a GIF) says
whether ``--out`` can be written, so a bad ``--out`` costs nothing.

Folders are written whole or not at all: :func:`staged_folder` yields a
hidden sibling ``.NAME.partial-PID`` (already marked), and renames it into
place only when everything in it was written. A partial folder left by a
process that was killed (SIGKILL gives no chance to clean up) is removed the
next time sharesim writes into the same parent. Single files are written to a
temporary name and renamed over the old one (:func:`write_atomically`,
:func:`staged_file`).

A run folder is read back here too: run.json records the size and SHA-256 of
the files the report is rebuilt from (:func:`record_files`,
:func:`verify_files`); network.npz holds who sees whose shares
(:func:`write_network`, :func:`read_network`, checked before it is unpacked);
:func:`load_run_folder` returns the event log of a folder, verified on request.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .events import BRAND, EVENTS_CSV, EVENTS_PARQUET, RunLog

MARKER = ".sharesim"
"""The file that says "sharesim wrote this folder, and may replace it"."""

KINDS = ("run", "comparison", "lesson", "validation", "calibration", "sensitivity", "optimization")

PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)$")
"""How a folder being written is named: ``.NAME.partial-PID``."""


def _version() -> str:
    from . import __version__
    return str(__version__)


# --------------------------------------------------------------------------
# The marker

def mark(folder: Path, kind: str) -> None:
    """Leave the marker that makes ``folder`` a sharesim ``kind`` folder."""
    text = json.dumps({"tool": "sharesim", "kind": kind, "version": _version()}) + "\n"
    write_atomically(Path(folder) / MARKER, text)


def marked_kind(folder: Path, legacy: tuple[str, ...] = ()) -> str | None:
    """The kind of sharesim folder ``folder`` is, or None when sharesim did not write it.

    ``legacy`` names files that marked such a folder before ``.sharesim``
    existed (a lesson's ``lesson.json``).
    """
    folder = Path(folder)
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict) and data.get("tool") == "sharesim" and data.get("kind") in KINDS:
        return data["kind"]
    if any((folder / name).is_file() for name in legacy):
        return "legacy"
    return None


# --------------------------------------------------------------------------
# Checking a destination before any work

def check_writable(path: Path, option: str = "--out") -> None:
    """Refuse a ``path`` that cannot be created: a file on the way, or a parent that is not writable."""
    path = Path(path)
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{option} {path}: {ancestor} is a file, not a folder; give a path inside a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"{option} {path}: the folder {ancestor} is not writable; give a path you can write to")


def protected(path: Path) -> str | None:
    """Why ``path`` must never be replaced (the root, the home folder, the current folder or
    a folder that holds it), or None."""
    resolved = Path(path).expanduser().resolve()
    cwd = Path.cwd().resolve()
    if resolved == Path(resolved.anchor):
        return "the root folder"
    if resolved == Path.home().resolve():
        return "your home folder"
    if resolved == cwd:
        return "the current folder"
    if cwd.is_relative_to(resolved):
        return "a folder that holds the current folder"
    return None


def check_destination(path: Path, *, force: bool, kind: str, option: str = "--out",
                      legacy: tuple[str, ...] = ()) -> None:
    """Refuse, with one line, an output folder sharesim must not write or replace.

    Called before any simulation. Allowed: a new folder in a writable place;
    with ``force``, an existing empty folder or a sharesim ``kind`` folder.
    Never: a file, a path under a file, the root, the home folder, the
    current folder or one that holds it, or a folder of the user's own files.
    """
    path = Path(path)
    why = protected(path)
    if why is not None:
        raise InputError(f"{option} {path}: is {why}; sharesim never writes over it; "
                         f"give a new folder such as outputs/{kind}")
    if path.exists() or path.is_symlink():
        if path.is_symlink():
            raise InputError(f"{option} {path}: is a link; sharesim does not write through links; "
                             f"give a new folder name")
        if not path.is_dir():
            raise InputError(f"{option} {path}: is a file, not a folder; give a new folder name")
        if not force:
            raise InputError(f"{option} {path}: the folder already exists; choose another {option} "
                             f"or add --force to replace a folder sharesim wrote")
        found = marked_kind(path, legacy)
        if found is None and any(path.iterdir()):
            raise InputError(f"{option} {path}: is not a {kind} folder sharesim wrote (no {MARKER} in it); "
                             f"sharesim never replaces a folder of your own files, even with --force; "
                             f"choose another {option}")
        if found not in (None, "legacy", kind):
            raise InputError(f"{option} {path}: holds a sharesim {found}, not a {kind}; "
                             f"choose another {option}")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise InputError(f"{option} {path}: the folder {path.parent} is not writable; "
                             f"give a path you can write to")
        return
    check_writable(path, option)


def resumable_folder(folder: Path, *, kind: str, resume: bool, force: bool, kept: str) -> tuple[Path, bool]:
    """The --out folder of a long job that ``--resume`` continues (a comparison, an optimization).

    Checked before any simulation. With ``resume`` an existing folder must be
    a ``kind`` folder sharesim wrote (one holding ``kept``, written before the
    marker existed, counts too) and ``kept`` in it writable; it is reused.
    Otherwise the folder is created and marked, replacing (with ``force``)
    only a ``kind`` folder sharesim wrote. Returns the folder and whether this
    job created it (only then may a failure remove it).
    """
    folder = Path(folder)
    if resume and folder.exists():
        why = protected(folder)
        if why is not None:
            raise InputError(f"--out {folder}: is {why}; give the {kind} folder's own path")
        if not folder.is_dir() or (marked_kind(folder) != kind and not (folder / kept).exists()):
            raise InputError(f"--out {folder}: is not a {kind} folder sharesim wrote; nothing to resume")
        check_writable(folder / kept)
        return folder, False
    try:
        check_destination(folder, force=force, kind=kind)
    except InputError as error:
        if "already exists" not in str(error):
            raise
        raise InputError(f"--out {folder}: the folder already exists; add --resume to continue it, --force to "
                         f"replace a {kind} folder sharesim wrote, or choose another --out") from None
    folder.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_partials(folder.parent)
    if folder.exists():                     # checked above: empty, or a ``kind`` folder sharesim wrote
        shutil.rmtree(folder)
    folder.mkdir()
    mark(folder, kind)
    return folder, True


def check_file_destination(path: Path, *, force: bool, option: str = "--out") -> None:
    """Refuse a single output file (a GIF, a PNG) that exists without ``force``, is a folder,
    or cannot be created. sharesim marks no single file, so ``force`` replaces any file."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; give a file name")
    if path.exists() and not force:
        raise InputError(f"{option} {path}: the file already exists; choose another name or add --force")
    check_writable(path, option)


# --------------------------------------------------------------------------
# Writing

def write_atomically(path: Path, data: str | bytes) -> None:
    """Write a whole file under a temporary name, then rename it over ``path``:
    a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if isinstance(data, bytes):
            temporary.write_bytes(data)
        else:
            temporary.write_text(data, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def staged_file(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path`` (same suffix) for a writer that needs a file name;
    renamed over ``path`` when the block succeeds, removed when it fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True         # someone else's live process
    except OverflowError:
        return False
    return True


def clean_stale_partials(parent: Path) -> list[Path]:
    """Remove the ``.NAME.partial-PID`` folders in ``parent`` that sharesim left when a process
    was killed (marked, and their PID no longer running); say so in one line on stderr."""
    parent = Path(parent)
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = PARTIAL.match(entry.name)
        if (match and entry.is_dir() and not entry.is_symlink() and marked_kind(entry) is not None
                and not _alive(int(match["pid"]))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    if removed:
        names = ", ".join(p.name for p in removed)
        print(f"sharesim: removed {len(removed)} unfinished folder(s) left by stopped runs in {parent}: {names}",
              file=sys.stderr)
    return removed


def partial_name(destination: Path) -> Path:
    """The hidden sibling a folder is written in before it takes its name."""
    destination = Path(destination)
    return destination.with_name(f".{destination.name}.partial-{os.getpid()}")


@dataclass
class Staging:
    """A folder being written: ``path`` is the hidden partial folder to write in;
    ``folder`` is where it went once its ``staged_folder`` block ended."""

    path: Path
    folder: Path | None = None


@contextmanager
def staged_folder(destination: Path, *, kind: str, force: bool = False, pick_free: bool = False,
                  option: str = "--out", legacy: tuple[str, ...] = ()) -> Iterator[Staging]:
    """Write a folder whole or not at all.

    Yields a :class:`Staging` whose ``path`` is a marked hidden sibling
    ``.NAME.partial-PID``; when the block succeeds it is renamed to
    ``destination`` (``staging.folder``). An existing destination is
    replaced only with ``force`` and only if sharesim wrote it (checked
    again just before); with ``pick_free`` a name taken meanwhile makes the
    folder take the next free one (``-2``, ``-3`` ...). On any exception the
    partial folder is removed.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_partials(destination.parent)
    staging = Staging(partial_name(destination))
    shutil.rmtree(staging.path, ignore_errors=True)
    staging.path.mkdir()
    try:
        mark(staging.path, kind)
        yield staging
        staging.folder = publish(staging.path, destination, kind=kind, force=force, pick_free=pick_free,
                                 option=option, legacy=legacy)
    except BaseException:
        shutil.rmtree(staging.path, ignore_errors=True)
        raise


def publish(partial: Path, destination: Path, *, kind: str, force: bool, pick_free: bool,
            option: str = "--out", legacy: tuple[str, ...] = ()) -> Path:
    """Rename a finished partial folder to ``destination`` (see :func:`staged_folder`); return where it went."""
    base, k = destination, 1
    while True:
        if destination.exists() and force and not pick_free:
            check_destination(destination, force=True, kind=kind, option=option, legacy=legacy)
            aside = destination.with_name(f".{destination.name}.replaced-{os.getpid()}")
            shutil.rmtree(aside, ignore_errors=True)
            os.rename(destination, aside)
            try:
                os.rename(partial, destination)
            except BaseException:
                os.rename(aside, destination)
                raise
            shutil.rmtree(aside, ignore_errors=True)
            return destination
        try:
            destination.mkdir()             # claim the name atomically, then rename over the empty folder
        except FileExistsError:
            if not pick_free:
                raise InputError(f"{option} {destination}: the folder already exists; choose another "
                                 f"{option} or add --force to replace a folder sharesim wrote") from None
            k += 1
            destination = base.with_name(f"{base.name}-{k}")
            continue
        os.rename(partial, destination)
        return destination


@contextmanager
def staged_update(folder: Path, name: str = "update") -> Iterator[Path]:
    """Rewrite some files of an existing folder: yields a hidden staging folder inside it
    (``.NAME.partial-PID``); when the block succeeds each file written there replaces its
    namesake atomically."""
    folder = Path(folder)
    clean_stale_partials(folder)
    staging = folder / f".{name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        mark(staging, "run")
        yield staging
        for path in sorted(staging.iterdir()):
            if path.name != MARKER:
                os.replace(path, folder / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --------------------------------------------------------------------------
# What a run folder's report is rebuilt from, and checking it is intact

NETWORK_FILE = "network.npz"
EVENT_FILES = (EVENTS_CSV, EVENTS_PARQUET)
"""A run folder's event log is one of these (:mod:`sim.events`: Parquet for large logs)."""

RUN_FILES = ("people.csv", "posts_published.csv", "run.json")
"""The files a run folder needs for its report to be rebuilt, besides one of :data:`EVENT_FILES`."""

SOURCE_FILES = (*EVENT_FILES, "people.csv", "posts_published.csv", "scenario.yaml", NETWORK_FILE)
"""The files a run's report is rebuilt from; run.json records their sizes and checksums."""

REQUIRED_SOURCES = ("people.csv", "posts_published.csv")

NETWORK_CAP = 1 << 30
"""Unpacked bytes a network.npz may hold at most when run.json records no better bound."""


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record_files(folder: Path) -> dict:
    """Add ``files: {name: {bytes, sha256}}`` to the folder's run.json (network.npz also
    records its unpacked size, so a reader can refuse a file that would expand further)."""
    import zipfile

    folder = Path(folder)
    files = {}
    for name in SOURCE_FILES:
        path = folder / name
        if path.is_file():
            files[name] = {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
            if name == NETWORK_FILE and zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    files[name]["unpacked_bytes"] = sum(info.file_size for info in archive.infolist())
    meta = json.loads((folder / "run.json").read_text())
    meta["files"] = files
    write_atomically(folder / "run.json", json.dumps(meta, indent=2) + "\n")
    return files


def verify_files(folder: Path, meta: dict) -> None:
    """Refuse, naming the file, a run folder whose source files are not the ones its run wrote
    (run.json's ``files``), or that predates checksums."""
    folder = Path(folder)
    files = meta.get("files")
    if not isinstance(files, dict) or not files:
        raise InputError(f"{folder}: run.json records no checksums (a folder from an older sharesim, or "
                         f"not written by sharesim); the report cannot verify it; run the scenario again")
    for name in REQUIRED_SOURCES:
        if name not in files:
            raise InputError(f"{folder / 'run.json'}: records no checksum for {name}; run the scenario again")
    if not any(name in files for name in EVENT_FILES):
        raise InputError(f"{folder / 'run.json'}: records no checksum for {EVENTS_CSV}; run the scenario again")
    for name, expected in files.items():
        path = folder / str(name)
        if name not in SOURCE_FILES or not isinstance(expected, dict):
            raise InputError(f"{folder / 'run.json'}: files: unexpected entry {name!r}; run the scenario again")
        if not path.is_file():
            raise InputError(f"{path}: missing, but the run wrote it; run the scenario again")
        size = path.stat().st_size
        if size != expected.get("bytes"):
            raise InputError(f"{path}: {size} bytes, but the run wrote {expected.get('bytes')} "
                             f"(truncated or changed since); the report is not rebuilt from it")
        if sha256_of(path) != expected.get("sha256"):
            raise InputError(f"{path}: changed since the run (its checksum differs from run.json); "
                             f"the report is not rebuilt from it")


# --------------------------------------------------------------------------
# The network file (network.npz): who sees whose shares, and the communities

def write_network(graph, folder: Path) -> Path:
    """Save a social graph's audience lists (CSR) and communities as ``network.npz``.

    ``graph`` is a :class:`sim.network.SocialGraph` (or anything with
    ``indptr``, ``indices`` and ``community``): person ``i``'s shares are seen
    by ``indices[indptr[i]:indptr[i + 1]]``.
    """
    path = Path(folder) / NETWORK_FILE
    arrays = network_arrays(graph)
    save = np.savez_compressed if arrays["indices"].size <= COMPRESSED_TIES else np.savez
    save(path, **arrays)
    return path


def network_arrays(graph) -> dict[str, np.ndarray]:
    """The arrays network.npz holds for ``graph``: ``indptr`` (int64), ``indices`` and,
    when the graph has them, ``community`` (int32)."""
    arrays = {"indptr": np.asarray(graph.indptr, dtype=np.int64),
              "indices": np.asarray(graph.indices, dtype=np.int32)}
    if getattr(graph, "community", None) is not None:
        arrays["community"] = np.asarray(graph.community, dtype=np.int32)
    return arrays


def audience_matrix(indptr: np.ndarray, indices: np.ndarray):
    """Who sees whose shares as a scipy CSR array (row: sharer, column: who sees)."""
    import scipy.sparse as sp

    n = indptr.size - 1
    if indices.size < np.iinfo(np.int32).max:      # 32-bit offsets like the indices: scipy keeps
        indptr = indptr.astype(np.int32)            # the arrays as they are (0.2 s at 10^6 people)
    return sp.csr_array((np.ones(indices.size, dtype=np.int8), indices, indptr), shape=(n, n))


def graph_network(graph):
    """(audience matrix, communities or None) of a graph in memory: what :func:`read_network`
    reads back from the network.npz that :func:`write_network` saves of it, without the
    round trip through the file (0.1 s at 10^6 people)."""
    arrays = network_arrays(graph)
    return audience_matrix(arrays["indptr"], arrays["indices"]), arrays.get("community")


COMPRESSED_TIES = 1_000_000
"""Networks up to this many ties are saved compressed; larger ones as they are (zlib took 2.5 s
at 10^6 people to save about a third of 60 MB)."""


NETWORK_ARRAYS = {"indptr.npy", "indices.npy", "community.npy"}


def network_bound(population: int | None) -> int:
    """Unpacked bytes a network.npz of ``population`` people can need at most (every tie,
    in both directions), capped by :data:`NETWORK_CAP`."""
    if not isinstance(population, int) or population < 0:
        return NETWORK_CAP
    n = population
    return min(NETWORK_CAP, 8 * (n + 2) + 4 * n + 4 * n * n + 4096)


def check_network(path: Path, limit: int) -> None:
    """Refuse a network.npz that is not a zip of the expected arrays or would unpack to more
    than ``limit`` bytes; its zip directory is read, not its contents."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputError(f"{path}: not a network file sharesim wrote ({error}); run the scenario again") from None
    names = {info.filename for info in members}
    if not names <= NETWORK_ARRAYS or not {"indptr.npy", "indices.npy"} <= names:
        raise InputError(f"{path}: holds {sorted(names)}, not the arrays {sorted(NETWORK_ARRAYS)}; "
                         f"run the scenario again")
    unpacked = sum(info.file_size for info in members)
    if unpacked > limit:
        raise InputError(f"{path}: would unpack to {unpacked:,} bytes, more than the {limit:,} this run "
                         f"can need; not loaded")


def read_network(folder: Path, limit: int | None = None):
    """The audience matrix (scipy CSR, row: sharer, column: who sees) and the
    communities (or None) saved in a run folder; (None, None) without network.npz.

    The file is checked first (:func:`check_network`, against ``limit`` or
    :data:`NETWORK_CAP`) and loaded without pickles; a damaged one is an
    InputError naming it."""
    import zipfile

    path = Path(folder) / NETWORK_FILE
    if not path.is_file():
        return None, None
    check_network(path, NETWORK_CAP if limit is None else limit)
    try:
        with np.load(path, allow_pickle=False) as data:
            indptr, indices = data["indptr"], data["indices"]
            community = data["community"] if "community" in data else None
        n = indptr.size - 1
        if (n < 0 or indptr[0] != 0 or indptr[-1] != indices.size or np.any(np.diff(indptr) < 0)
                or (indices.size and (indices.min() < 0 or indices.max() >= n))
                or (community is not None and community.size != n)):
            raise ValueError("the audience lists do not fit together")
        matrix = audience_matrix(indptr, indices)
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise InputError(f"{path}: cannot be read as a network ({error}); run the scenario again") from None
    return matrix, community


# --------------------------------------------------------------------------
# Reading a run folder back

def read_scenario(folder: Path | None) -> dict | None:
    """The run folder's scenario.yaml as a mapping, None without one; InputError naming it when it
    is not YAML or not a mapping of fields."""
    from .scenario import read_yaml

    path = None if folder is None else Path(folder) / "scenario.yaml"
    if path is None or not path.is_file():
        return None
    data = read_yaml(path, "scenario")
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a scenario (a mapping of fields such as name: and population:); "
                         f"run the scenario again")
    return data


def load_run_folder(folder: Path, verify: bool = False) -> RunLog:
    """A run folder's event log, or InputError saying what is wrong with the folder.

    With ``verify``, the files are first checked against the sizes and
    checksums run.json recorded at run time (:func:`verify_files`),
    scenario.yaml must read as a scenario and network.npz must be a network
    no bigger than this run can need; then the ids in the log must fit the
    people, posts and brands.
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "a file, not a directory" if folder.exists() else "no such directory"
        raise InputError(f"{folder}: not a run folder ({what})")
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if not any((folder / name).is_file() for name in EVENT_FILES):
        missing.insert(0, EVENTS_CSV)
    if missing:
        raise InputError(f"{folder}: not a run folder: missing {', '.join(missing)} "
                         f"(a run folder is written by 'sharesim run')")
    if verify:
        try:
            meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise InputError(f"{folder / 'run.json'}: the run folder's files cannot be read "
                             f"({type(error).__name__}: {error}); run the scenario again") from None
        if not isinstance(meta, dict):
            raise InputError(f"{folder / 'run.json'}: the run folder's files cannot be read (not a mapping); "
                             f"run the scenario again")
        verify_files(folder, meta)
        read_scenario(folder)
        if (folder / NETWORK_FILE).is_file():
            recorded = (meta["files"].get(NETWORK_FILE) or {}).get("unpacked_bytes")
            limit = network_bound(meta.get("population"))
            check_network(folder / NETWORK_FILE, min(limit, recorded) if isinstance(recorded, int) else limit)
    try:
        run = RunLog.load(folder)
        for column in ("tick", "kind", "post", "brand", "person", "source"):
            if column not in run.events:
                raise KeyError(column)
        _ = run.brands, run.ticks
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(f"{folder}: the run folder's files cannot be read ({type(error).__name__}: {error}); "
                         f"run the scenario again") from None
    if verify:
        check_ids(folder, run)
    return run


def check_ids(folder: Path, run: RunLog) -> None:
    """Refuse a log whose ids do not fit the run: people 0..N-1 (people.csv), posts of
    posts_published.csv, brands of run.json, ticks 0..ticks, kinds known."""
    events = run.events
    people = len(run.people)
    problems = []
    if "person" not in run.people or not np.array_equal(run.people["person"].to_numpy(), np.arange(people)):
        problems.append(f"people.csv: person must count 0..{people - 1}")
    if events["kind"].isna().any():
        problems.append("events.csv: unknown kind")
    person, source = events["person"].to_numpy(), events["source"].to_numpy()
    if person.size and (person.min() < 0 or person.max() >= people):
        problems.append(f"events.csv: person outside 0..{people - 1} (people.csv)")
    if source.size and (source.min() < BRAND or source.max() >= people):
        problems.append(f"events.csv: source outside -1..{people - 1}")
    brand = events["brand"].to_numpy()
    if brand.size and (brand.min() < 0 or brand.max() >= len(run.brands)):
        problems.append(f"events.csv: brand outside 0..{len(run.brands) - 1} (run.json brands)")
    tick = events["tick"].to_numpy()
    if tick.size and (tick.min() < 0 or tick.max() > run.ticks):
        problems.append(f"events.csv: tick outside 0..{run.ticks} (run.json ticks)")
    posts = events["post"].to_numpy()
    known = run.posts["post"].to_numpy() if "post" in run.posts else np.empty(0)
    if not np.isin(posts[posts != -1], known).all():
        problems.append("events.csv: a post that posts_published.csv does not list")
    if problems:
        raise InputError(f"{folder}: ids do not fit together ({problems[0]}); the report is not rebuilt; "
                         f"run the scenario again")
