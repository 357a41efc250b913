"""Comparing campaign strategies: paired replications, honest statistics, sweeps.

One run answers nothing: a different network or population would give other
numbers. An *experiment* runs every strategy ``R`` times and compares them
replication by replication:

* **Common random numbers.** Replication ``i`` of every strategy uses the same
  seed, the ``i``-th child of ``numpy.random.SeedSequence(base seed)``. The
  model draws the network and the people first, so replication ``i`` of every
  strategy plays on the same graph with the same people, and a difference
  between two strategies is a *paired* difference: two identical strategies
  differ by exactly zero, and the noise of the draw largely cancels.
* **Statistics** (``scipy.stats``): for each strategy and metric the mean and
  its 95% Student-t confidence interval; for each strategy against the
  baseline the mean paired difference, its 95% CI and the p-value of the
  paired t-test, and a verdict in plain words. A change is *clear* when the
  95% CI of the paired difference excludes zero.

Where replications run: in this process, in ``--workers`` processes
(``concurrent.futures``) or on a Dask cluster (``--scheduler``). Each worker
gets plain data (the resolved scenario and a seed), never a model, and
returns the replication's headline metrics; the main process writes each one
to ``<folder>/replications/`` as soon as it arrives, so an interrupted
experiment continues with ``--resume`` and recomputes nothing done.

``mesa.batch_run`` does not fit here, for three reasons (see docs/mesa-notes.md):
it seeds replications itself (``iterations=k`` with one seed repeats one
identical run k times; it has no notion of pairing replication i across
parameter sets with one seed), it only knows a local multiprocessing pool
(no Dask), and it returns everything at the end, so nothing survives an
interruption. It would also run ``max_steps + 1`` steps and collect per-step
DataCollector rows that a comparison does not need.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Iterator, NamedTuple

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from .errors import InputError
from .report import text_table
from .rundir import marked_kind, resumable_folder, staged_file, write_atomically
from .scenario import load_scenario, read_yaml, scenario_from_dict, with_overrides
from .stats import (
    CONFIDENCE,
    Difference,
    Estimate,
    estimate,
    paired_difference,
    replication_seeds,
)

METRICS = ("reach", "reach_rate", "shares", "engagement_rate", "unfollow_rate", "net_followers")
"""The metrics compared, per replication (units: people, share of the
population, shares, shares per impression, unfollows per follower at the
start, followers at the end minus at the start)."""

RECORDED = ("reach", "reach_rate", "impressions", "shares", "engagement_rate", "followers_start",
            "followers_end", "net_followers", "new_follows", "unfollows", "unfollow_rate", "blinded")
"""The columns of comparison.csv kept per replication (from sim.metrics.summarize)."""

MAX_STRATEGIES = 1_000
"""Most strategies (or sweep cells) one experiment compares."""
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


# --------------------------------------------------------------------------
# The experiment: named scenarios that differ by a few overrides

@dataclass(frozen=True)
class Experiment:
    """Strategies to compare: each a complete scenario, as plain data.

    ``scenarios`` maps a strategy name to its validated scenario
    (``Scenario.resolved()``); ``settings`` holds, for a sweep, the swept
    parameters' values of each strategy; ``seed`` is the base seed the
    replications' seeds are spawned from.
    """

    name: str
    source: Path
    scenarios: dict[str, dict]
    baseline: str
    seed: int
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    posterior: Any = None

    @property
    def parameters(self) -> list[str]:
        """The swept parameters (dotted paths), in order; empty for a comparison."""
        first = next(iter(self.settings.values()), {})
        return list(first)

    def replications(self, count: int) -> list["Replication"]:
        """Every (strategy, replication) to run, strategy by strategy.

        Each strategy's scenario is serialised once, not once per replication.
        """
        seeds = replication_seeds(self.seed, count)
        draws = [self.posterior.draw(seed) for seed in seeds] if self.posterior is not None else None
        tasks = []
        for index, (strategy, scenario) in enumerate(self.scenarios.items()):
            if draws is None:
                prints = fingerprints(scenario, seeds)
                for replication, (seed, print_) in enumerate(zip(seeds, prints)):
                    tasks.append(Replication(strategy, index, replication, seed, scenario, str(self.source), print_))
                continue
            for replication, (seed, draw) in enumerate(zip(seeds, draws)):
                drawn = with_overrides(scenario, draw, f"--posterior {self.posterior.source}")
                tasks.append(Replication(strategy, index, replication, seed, drawn, str(self.source),
                                         fingerprint(drawn, seed), draw))
        return tasks


StrategyName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class StrategiesFile(BaseModel):
    """A strategies file: a base scenario and named sets of overrides of it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, pattern=NAME_PATTERN, description="names the output folder (default: the file name)")
    description: str = ""
    base: str | dict = Field(description="a scenario file, relative to the strategies file, or a scenario mapping")
    baseline: StrategyName | None = Field(None, description="the strategy the others are compared with (default: the first)")
    strategies: dict[StrategyName, dict | None] = Field(
        min_length=1, max_length=MAX_STRATEGIES, description="strategy name -> overrides: dotted paths or nested mappings")


def load_strategies(path: str | Path) -> Experiment:
    """Read a strategies file; every strategy's scenario is validated here.

    A bad override (unknown path, bad value) is one :class:`InputError`
    naming the strategies file, the strategy, the field path and what is
    allowed.
    """
    path = Path(path)
    data = read_yaml(path, "strategies")
    if not isinstance(data, dict):
        raise InputError(f"{path}: a strategies file is a mapping: name, base, baseline, strategies")
    try:
        spec = StrategiesFile.model_validate(data)
    except ValidationError as error:
        raise InputError(_describe_file_errors(error, path)) from None

    if isinstance(spec.base, str):
        base_source = (path.parent / spec.base) if not Path(spec.base).is_absolute() else Path(spec.base)
        if not base_source.is_file():
            raise InputError(f"{path}: base: scenario file not found: {base_source}")
        base_scenario = load_scenario(base_source)
        base_data = read_yaml(base_source)
    else:
        base_source, base_data = path, spec.base
        base_scenario = _validated(base_data, base_source, f"{path}: base")

    names = list(spec.strategies)
    baseline = spec.baseline or names[0]
    if baseline not in spec.strategies:
        raise InputError(f"{path}: baseline: no strategy named {baseline!r}; the strategies are {names}")
    scenarios = {}
    for name, overrides in spec.strategies.items():
        where = f"{path}: strategy '{name}'"
        changed = with_overrides(base_data, overrides or {}, where)
        scenarios[name] = _validated(changed, base_source, where).resolved()
    _check_common_seed(scenarios, base_scenario.seed, f"{path}: strategy")
    return Experiment(name=spec.name or path.stem, source=base_source, scenarios=scenarios,
                      baseline=baseline, seed=base_scenario.seed)


def sweep_experiment(path: str | Path, settings: list[str]) -> Experiment:
    """An experiment over a scenario file: one strategy per combination of
    the values of one or two ``--set PATH=V1,V2,...`` parameters."""
    path = Path(path)
    scenario = load_scenario(path)
    base_data = read_yaml(path)
    if not 1 <= len(settings) <= 2:
        raise InputError(f"--set: give one or two parameters to sweep, e.g. "
                         f"--set brands.0.campaign.posts_per_day=1,2,4,8 (got {len(settings)})")
    axes = [_parse_setting(text) for text in settings]
    if len(axes) == 2 and axes[0][0] == axes[1][0]:
        raise InputError(f"--set: {axes[0][0]} is given twice; sweep two different parameters")
    cells = int(np.prod([len(values) for _, values in axes]))
    if cells > MAX_STRATEGIES:
        raise InputError(f"--set: {cells:,} combinations of values; a sweep may have at most "
                         f"{MAX_STRATEGIES} (give fewer values)")
    grid = [{}]
    for parameter, values in axes:
        grid = [{**cell, parameter: value} for cell in grid for value in values]
    short = [parameter.rsplit(".", 1)[-1] for parameter, _ in axes]
    labels = short if len(set(short)) == len(short) else [parameter for parameter, _ in axes]
    scenarios, cell_settings = {}, {}
    for cell in grid:
        name = ",".join(f"{label}={compact(v)}" for label, v in zip(labels, cell.values()))
        where = f"{path}: --set " + ", ".join(f"{p}={compact(v)}" for p, v in cell.items())
        changed = with_overrides(base_data, cell, where)
        scenarios[name] = _validated(changed, path, where).resolved()
        cell_settings[name] = cell
    _check_common_seed(scenarios, scenario.seed, f"{path}: --set")
    return Experiment(name=f"{scenario.name}-sweep", source=path, scenarios=scenarios,
                      baseline=next(iter(scenarios)), seed=scenario.seed, settings=cell_settings)


def _check_common_seed(scenarios: dict[str, dict], seed: int, where: str) -> None:
    """Replication seeds are spawned from the base's seed: a strategy cannot change it."""
    for name, scenario in scenarios.items():
        if scenario["seed"] != seed:
            raise InputError(f"{where} '{name}': seed: every strategy shares the base's seed {seed} "
                             f"(replication i of every strategy uses the same seed); change it in the base")


def _validated(data, source: Path, where: str):
    """Validate overridden scenario data; errors are re-labelled with ``where``."""
    try:
        return scenario_from_dict(data, source=source)
    except InputError as error:
        message = str(error).removeprefix(f"{source}: ")
        raise InputError(f"{where}: {message}") from None


def _parse_setting(text: str) -> tuple[str, list]:
    """``PATH=V1,V2,...`` -> (path, values); values are read as YAML (numbers, lists...)."""
    path, sign, values = text.partition("=")
    path = path.strip()
    if not sign or not path or not values.strip():
        raise InputError(f"--set {text}: write PATH=V1,V2,... e.g. brands.0.campaign.posts_per_day=1,2,4,8")
    try:
        parsed = yaml.safe_load(f"[{values}]")
    except yaml.YAMLError:
        raise InputError(f"--set {text}: the values must be comma-separated YAML values") from None
    if len(parsed) != len({json.dumps(v, sort_keys=True) for v in parsed}):
        raise InputError(f"--set {text}: a value is given twice")
    return path, parsed


def compact(value) -> str:
    """A setting's value as one short word: lists and mappings as compact JSON (strategy names, CSV cells)."""
    return json.dumps(value, separators=(",", ":")) if isinstance(value, (list, dict)) else str(value)


def _describe_file_errors(error: ValidationError, path: Path) -> str:
    allowed = ", ".join(StrategiesFile.model_fields)
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"] if part not in ("str", "dict", "dict[str,any]"))
        if item["type"] == "extra_forbidden":
            lines.append(f"{location}: unknown field; allowed here: {allowed}")
        elif item["type"] == "missing":
            lines.append(f"{location}: required field is missing")
        elif item["type"] == "string_pattern_mismatch" and len(item["loc"]) > 1:
            lines.append(f"{location}: a strategy name uses letters, digits, '_', '-', '.' (got {item['input']!r})")
        else:
            lines.append(f"{location}: {item['msg']} (got {item['input']!r})")
    lines = list(dict.fromkeys(lines))
    if len(lines) == 1:
        return f"{path}: {lines[0]}"
    return f"{path}: {len(lines)} problems:\n  " + "\n  ".join(lines)


# --------------------------------------------------------------------------
# Replications: seeds, one replication, running many of them

class Replication(NamedTuple):
    """One replication to run: plain data, so it pickles to any worker."""

    strategy: str
    index: int          # the strategy's position in the experiment
    replication: int    # 0 .. R-1; the same seed for every strategy
    seed: int
    scenario: dict      # resolved scenario data
    source: str         # the scenario's file, for messages and relative paths
    fingerprint: str    # scenario and seed; a resumed experiment must match
    draw: dict = {}     # the posterior draw applied (path -> value), if any; part of ``scenario``

    @property
    def file_name(self) -> str:
        return f"{self.index:03d}-{self.replication:04d}.json"


def fingerprint(scenario: dict, seed: int) -> str:
    """A short hash of what a replication computes from."""
    text = json.dumps({"scenario": scenario, "seed": seed}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprints(scenario: dict, seeds: list[int]) -> list[str]:
    """``fingerprint(scenario, seed)`` for many seeds, serialising the scenario once.

    ``json.dumps(..., sort_keys=True)`` writes "scenario" before "seed", so
    the hash of the common prefix is computed once and copied per seed.
    """
    prefix = hashlib.sha256(('{"scenario": ' + json.dumps(scenario, sort_keys=True) + ', "seed": ').encode())
    prints = []
    for seed in seeds:
        digest = prefix.copy()
        digest.update(f"{json.dumps(seed)}}}".encode())
        prints.append(digest.hexdigest()[:16])
    return prints


def run_replication(task: Replication) -> dict:
    """Run one replication and return its row of comparison.csv."""
    from .metrics import summarize
    from .runs import simulate

    try:
        scenario = scenario_from_dict(task.scenario, source=task.source)
        result = simulate(scenario, seed=task.seed, source=task.source)
    except InputError as error:
        message = str(error).removeprefix(f"{task.source}: ")
        raise InputError(f"{task.source}: strategy '{task.strategy}': {message}") from None
    summary = summarize(result.log)
    summary["net_followers"] = summary["followers_end"] - summary["followers_start"]
    return {"strategy": task.strategy, "replication": task.replication, "seed": task.seed,
            **{metric: summary[metric] for metric in RECORDED}, **task.draw, "fingerprint": task.fingerprint}


def run_replications(experiment: Experiment, count: int, folder: Path, *, workers: int = 1,
                     scheduler: str | None = None, progress: bool = False) -> pd.DataFrame:
    """Run every replication not yet in ``folder/replications``; return all of them.

    Each finished replication is written at once (to a temporary file, then
    renamed), so an interruption loses at most the replications running.
    Replications already there are reused, not recomputed; one made from
    another scenario or seed is an error.
    """
    store = Path(folder) / "replications"
    store.mkdir(parents=True, exist_ok=True)
    tasks = experiment.replications(count)
    records, todo = {}, []
    for task in tasks:
        kept = _read_record(store / task.file_name)
        if kept is None:
            todo.append(task)
        elif kept.get("fingerprint") != task.fingerprint or kept.get("strategy") != task.strategy:
            raise InputError(f"{store / task.file_name}: this replication was made from another scenario "
                             f"or seed than strategy '{task.strategy}' now has; use a new --out, or --force "
                             f"to start over")
        else:
            records[task.file_name] = kept

    from tqdm import tqdm
    bar = tqdm(total=len(tasks), initial=len(records), unit="run", desc=experiment.name,
               file=sys.stderr, disable=not progress, dynamic_ncols=True)
    try:
        for task, record in execute(todo, workers=workers, scheduler=scheduler):
            _write_atomically(store / task.file_name, json.dumps(record, indent=1))
            records[task.file_name] = record
            bar.update(1)
    except LostWorkers as error:
        command = "sweep" if experiment.parameters else "compare"
        raise LostWorkers(f"{error}; {len(records)} of {len(tasks)} replications finished and are kept in "
                          f"{folder}; continue with `sharesim {command} ... --resume --out {folder}`") from None
    finally:
        bar.close()
    table = pd.DataFrame([records[task.file_name] for task in tasks])
    for k, parameter in enumerate(experiment.parameters):
        table.insert(3 + k, parameter, [compact(experiment.settings[s][parameter]) for s in table["strategy"]])
    return table.drop(columns="fingerprint")


MAX_REPLICATIONS = 10_000
"""The most replications per strategy: far past where a confidence interval
stops narrowing usefully, and few enough to list every task at once."""

WORKER_BYTES = 320 * 2**20
"""What one worker process costs before its model: an interpreter with Mesa,
NetworkX, NumPy, pandas and SciPy imported, and numba's compiled loops loaded
(about 140 MB, mostly LLVM's library mapped from disk, shared between workers)."""

CONNECT_TIMEOUT = 10
"""Seconds to wait for a Dask scheduler to answer, and for it to have a worker."""


class LostWorkers(InputError):
    """The workers or the Dask scheduler went away mid-run; what finished is kept."""


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(experiment: Experiment, workers: int, tasks: int) -> tuple[int, str | None]:
    """How many worker processes to start for ``--workers``, and why fewer, if fewer.

    At most one per core (more only share the cores and add memory) and at
    most as many as physical memory allows: each worker costs
    :data:`WORKER_BYTES` plus the largest strategy's model
    (``sim.scenario.memory_needed``), within 80% of the machine's memory. One
    worker means "in this process", which needs no extra interpreter.
    """
    from .cost import BASE_BYTES
    from .scenario import _bytes, memory_available, memory_needed

    if workers <= 1 or tasks <= 1:
        return 1, None
    largest = max(memory_needed(scenario_from_dict(data, source=experiment.source))
                  for data in experiment.scenarios.values()) - BASE_BYTES     # the model; the interpreter is in WORKER_BYTES
    budget = 0.8 * memory_available()
    by_memory = max(1, int(budget // (WORKER_BYTES + largest)))
    allowed = min(workers, cores(), by_memory, tasks)
    if allowed == workers or allowed == tasks:
        return allowed, None
    if allowed == by_memory and by_memory < cores():
        why = (f"each worker needs about {_bytes(WORKER_BYTES + largest)} and this machine has "
               f"{_bytes(memory_available())} of memory")
    else:
        why = f"this machine has {cores()} cores"
    return allowed, f"--workers {workers}: {why}; using {allowed}"


def execute(tasks: list, *, workers: int = 1, scheduler: str | None = None,
            run=None) -> Iterator[tuple[Any, dict]]:
    """Run replications and yield (task, record) in the order they finish.

    ``run`` turns one task into its record (default :func:`run_replication`;
    sim.sensitivity passes its own): a module-level function, so that it
    pickles to a worker. The same function runs everywhere; a record depends
    only on its task, so the results are identical on one worker, many, or a
    Dask cluster. A worker process or a scheduler lost mid-run is a
    :class:`LostWorkers`.
    """
    run = run or run_replication
    if not tasks:
        return
    if scheduler:
        yield from _execute_on_dask(tasks, scheduler, run)
    elif workers > 1:
        yield from _execute_in_processes(tasks, workers, run)
    else:
        for task in tasks:
            yield task, run(task)


def _execute_in_processes(tasks: list, workers: int, run):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # "spawn" explicitly: `import mesa` switches the default to it anyway,
    # and a fresh interpreter shares no state with this one.
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(),))
    try:
        futures = {pool.submit(run, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                record = future.result()
            except BrokenProcessPool:
                raise LostWorkers("a worker process died (out of memory, or killed)") from None
            yield futures[future], record
    finally:
        # On Ctrl-C or an error: drop what has not started, don't wait for it.
        pool.shutdown(wait=False, cancel_futures=True)


def _start_worker(parent: int) -> None:
    """A worker process: leave Ctrl-C to the parent, and die with it."""
    _ignore_interrupts()
    _die_with_parent(parent)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the main process, which stops them cleanly."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _die_with_parent(parent: int, interval: float = 0.5) -> None:
    """End this process when ``parent`` ends, even by SIGKILL.

    On Linux the kernel sends SIGKILL at the parent's death
    (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread checks every
    ``interval`` seconds that the parent is still this process's parent.
    """
    import signal
    import threading
    import time

    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)          # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass                                            # the thread below still watches

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    if os.getppid() != parent:                              # died before prctl took effect
        os._exit(1)
    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def scheduler_location(address: str) -> tuple[str, int]:
    """``tcp://HOST:PORT`` -> (host, port); anything else is a :class:`InputError`."""
    from urllib.parse import urlsplit

    example = "a Dask scheduler address such as tcp://127.0.0.1:8786"
    scheme, sign, _ = address.partition("://")
    if not sign:
        raise InputError(f"--scheduler: {example} (got {address!r})")
    if scheme.lower() != "tcp":
        raise InputError(f"--scheduler: only tcp:// addresses are supported (got {address})")
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or port is None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InputError(f"--scheduler: {example}, with its port (got {address})")
    return host, port


def _reach_scheduler(address: str) -> None:
    """Fail in at most :data:`CONNECT_TIMEOUT` seconds unless a Dask scheduler answers.

    ``distributed`` retries a refused connection until its timeout and waits
    for the handshake of an accepted one without any: a port that accepts and
    never answers would hang ``Client()`` for ever.
    """
    import asyncio
    import socket

    from distributed.comm import connect

    host, port = scheduler_location(address)
    silent = f"--scheduler {address}: no answer from a Dask scheduler within {CONNECT_TIMEOUT} s"
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except socket.gaierror:
        raise InputError(f"--scheduler {address}: cannot reach a Dask scheduler (unknown host {host})") from None
    except (socket.timeout, TimeoutError):
        raise InputError(silent) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError(f"--scheduler {address}: cannot reach a Dask scheduler ({reason.lower()})") from None

    async def handshake() -> None:
        comm = await connect(address, timeout=CONNECT_TIMEOUT)
        await comm.close()

    try:
        asyncio.run(asyncio.wait_for(handshake(), CONNECT_TIMEOUT))
    except (OSError, TimeoutError, asyncio.TimeoutError, ValueError, TypeError):
        raise InputError(silent) from None


def _execute_on_dask(tasks: list, address: str, run):
    try:
        from distributed import Client, wait
    except ImportError:
        raise InputError("--scheduler: needs dask.distributed (pip install 'dask[distributed]')") from None
    import logging
    from concurrent.futures import CancelledError

    _reach_scheduler(address)
    # distributed logs a lost connection with tracebacks; the message below says it in one line
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name.startswith("distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, AssertionError):
        raise InputError(f"--scheduler {address}: no answer from a Dask scheduler within "
                            f"{CONNECT_TIMEOUT} s") from None
    lost = (OSError, TimeoutError, CancelledError)          # CommClosedError is an OSError
    try:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            raise InputError(f"--scheduler {address}: the scheduler has no workers; start one with "
                                f"`dask worker {address}`") from None
        except lost as error:
            raise LostWorkers(f"--scheduler {address}: lost the Dask scheduler ({_reason(error)})") from None
        futures = client.map(run, tasks, pure=False)
        task_of = {future.key: task for future, task in zip(futures, tasks)}
        pending, alone_since = set(futures), None
        while pending:
            try:
                try:
                    done, pending = wait(pending, timeout=1, return_when="FIRST_COMPLETED")
                except TimeoutError:                        # nothing finished in that second
                    done = set()
                workers = len(client.nthreads()) if not done else 1
            except lost as error:
                raise LostWorkers(f"--scheduler {address}: lost the Dask scheduler ({_reason(error)})") from None
            for future in done:
                if future.status == "error":
                    future.result()                         # the replication's own error, as it is
                try:
                    if future.status != "finished":
                        raise CancelledError()
                    record = future.result()                # fetched from a worker: the scheduler may go meanwhile
                except lost as error:
                    raise LostWorkers(f"--scheduler {address}: lost the Dask scheduler ({_reason(error)})") from None
                yield task_of[future.key], record
            alone_since = None if workers else (alone_since or time.monotonic())
            if alone_since and time.monotonic() - alone_since > CONNECT_TIMEOUT:
                raise LostWorkers(f"--scheduler {address}: the scheduler has had no workers for "
                                  f"{CONNECT_TIMEOUT} s; start one with `dask worker {address}`")
    finally:
        try:
            client.close(timeout=CONNECT_TIMEOUT)
        except Exception:                                   # closing a client whose scheduler is gone
            pass


def _reason(error: BaseException) -> str:
    """What went wrong with the scheduler, in a few words for a one-line message."""
    from concurrent.futures import CancelledError

    if isinstance(error, CancelledError):
        return "its connection was lost and the running replications were cancelled"
    if isinstance(error, TimeoutError):
        return "it stopped answering"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _read_record(file: Path) -> dict | None:
    if not file.is_file():
        return None
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None         # a torn file cannot happen (atomic writes), but is simply redone


def _write_atomically(path: Path, text: str) -> None:
    write_atomically(path, text)


# --------------------------------------------------------------------------
# Statistics

@dataclass(frozen=True)
class StrategyResult:
    """One strategy's estimates, its differences from the baseline and the verdict."""

    name: str
    estimates: dict[str, Estimate]
    differences: dict[str, Difference]
    verdict: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    """The statistics of an experiment, strategy by strategy (baseline first as given)."""

    name: str
    baseline: str
    replications: int
    strategies: list[StrategyResult]

    def __getitem__(self, name: str) -> StrategyResult:
        return next(s for s in self.strategies if s.name == name)

    def pareto_front(self) -> list[str]:
        """Strategies no other beats on both mean reach (more) and unfollow rate (fewer)."""
        points = [(s.name, s.estimates["reach"].mean, s.estimates["unfollow_rate"].mean) for s in self.strategies]
        return [name for name, reach, unfollows in points
                if not any(r >= reach and u <= unfollows and (r > reach or u < unfollows)
                           for _, r, u in points)]


VERDICT_WORDS = {"reach": ("more reach", "less reach", "reach"),
                 "shares": ("more shares", "fewer shares", "shares"),
                 "unfollow_rate": ("more unfollows", "fewer unfollows", "unfollows")}


def verdict(differences: dict[str, Difference]) -> str:
    """Plain words: "more reach, no clear change in shares or unfollows"."""
    clear, unclear = [], []
    for metric, (more, fewer, noun) in VERDICT_WORDS.items():
        d = differences[metric]
        if d.above_zero:
            clear.append(more)
        elif d.below_zero:
            clear.append(fewer)
        else:
            unclear.append(noun)
    if unclear:
        listed = unclear[0] if len(unclear) == 1 else ", ".join(unclear[:-1]) + " or " + unclear[-1]
        clear.append(f"no clear change in {listed}")
    return ", ".join(clear)


BOUNDS = {"reach": (0.0, math.inf), "shares": (0.0, math.inf), "reach_rate": (0.0, 1.0),
          "engagement_rate": (0.0, 1.0), "unfollow_rate": (0.0, 1.0)}
"""The natural range of each metric: a strategy's interval is clipped to it (a rate
is never below 0%). Net followers may fall, so they have none."""


def compare(table: pd.DataFrame, experiment: Experiment) -> Comparison:
    """The statistics of comparison.csv's rows (one per strategy and replication)."""
    rows = {name: group.sort_values("replication") for name, group in table.groupby("strategy", sort=False)}
    base = rows[experiment.baseline]
    results = []
    for name in experiment.scenarios:
        group = rows[name]
        if not np.array_equal(group["seed"].to_numpy(), base["seed"].to_numpy()):
            raise ValueError(f"strategy {name!r} and the baseline do not share their seeds")
        estimates = {m: estimate(group[m], within=BOUNDS.get(m)) for m in METRICS}
        differences = {m: paired_difference(group[m], base[m]) for m in METRICS}
        words = "baseline" if name == experiment.baseline else verdict(differences)
        results.append(StrategyResult(name, estimates, differences, words, experiment.settings.get(name, {})))
    return Comparison(experiment.name, experiment.baseline, int(len(base)), results)


# --------------------------------------------------------------------------
# Outputs: the printed table, summary files, plots

def _format(metric: str, value: float, signed: bool = False) -> str:
    """Rates as percentages, counts with thousands separators (one decimal below 100)."""
    sign = "+" if signed or metric == "net_followers" else ""
    if metric.endswith("_rate"):
        return f"{value * 100:{sign}.2f}%"
    return f"{value:{sign},.0f}" if abs(value) >= 100 else f"{value:{sign}.1f}"


def _interval(metric: str, mean: float, low: float, high: float, signed: bool = False) -> str:
    return f"{_format(metric, mean, signed)} [{_format(metric, low, signed)}, {_format(metric, high, signed)}]"


def _pvalue(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


SHOWN = ("reach", "shares", "engagement_rate", "unfollow_rate", "net_followers")
COMPARED = ("reach", "shares", "unfollow_rate")


def comparison_table(comparison: Comparison) -> str:
    """The comparison as aligned text: means with CIs, then paired differences and verdicts."""
    lines = [f"{comparison.name}: {len(comparison.strategies)} strategies x {comparison.replications} "
             f"paired replications (the same seeds for every strategy); 95% confidence intervals", "",
             "mean [95% CI]"]
    header = ["strategy", *(m.replace("_", " ") for m in SHOWN)]
    lines += text_table(header, [[s.name, *(_interval(m, *s.estimates[m][:3]) for m in SHOWN)]
                                 for s in comparison.strategies], right=False, rule=False)
    others = [s for s in comparison.strategies if s.name != comparison.baseline]
    if others:
        lines += ["", f"against {comparison.baseline}: mean paired difference [95% CI], paired t-test"]
        header = ["strategy", *(f"{m.replace('_', ' ')}" for m in COMPARED), "verdict"]
        rows = [[s.name, *(f"{_interval(m, *s.differences[m][:3], signed=True)} {_pvalue(s.differences[m].pvalue)}"
                           for m in COMPARED), s.verdict] for s in others]
        lines += text_table(header, rows, right=False, rule=False)
    front = comparison.pareto_front()
    lines += ["", f"Pareto front (no other strategy has more reach and fewer unfollows): {', '.join(front)}"]
    return "\n".join(lines)


def summary_frame(comparison: Comparison) -> pd.DataFrame:
    """summary.csv: one row per strategy and metric."""
    rows = []
    for s in comparison.strategies:
        for m in METRICS:
            e, d = s.estimates[m], s.differences[m]
            rows.append({"strategy": s.name, **{p: compact(v) for p, v in s.settings.items()}, "metric": m,
                         "mean": e.mean, "ci_low": e.low, "ci_high": e.high,
                         "difference": d.mean, "difference_low": d.low, "difference_high": d.high,
                         "p_value": d.pvalue, "replications": e.n, "verdict": s.verdict})
    return pd.DataFrame(rows)


def summary_json(comparison: Comparison) -> dict:
    """summary.json: the same figures, nested by strategy."""
    return {
        "name": comparison.name, "baseline": comparison.baseline, "replications": comparison.replications,
        "confidence": CONFIDENCE, "pareto_front": comparison.pareto_front(),
        "strategies": [{
            "name": s.name, "settings": s.settings, "verdict": s.verdict,
            "metrics": {m: {"mean": s.estimates[m].mean, "ci": [s.estimates[m].low, s.estimates[m].high]}
                        for m in METRICS},
            "difference": {m: {"mean": s.differences[m].mean, "ci": [s.differences[m].low, s.differences[m].high],
                               "p_value": s.differences[m].pvalue} for m in METRICS},
        } for s in comparison.strategies],
    }


def plot_tradeoff(comparison: Comparison, path: Path) -> None:
    """Mean reach against mean unfollow rate, with 95% CIs; the Pareto front joined.

    Axes start at 0 (neither quantity can be negative); names that would overlap
    are moved up, one line at a time, with a thin line back to their point.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    front = set(comparison.pareto_front())
    fig = Figure(figsize=(7, 5))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    labels = []
    for s in comparison.strategies:
        reach, unfollows = s.estimates["reach"], s.estimates["unfollow_rate"]
        on_front = s.name in front
        ax.errorbar(unfollows.mean * 100, reach.mean,
                    xerr=[[(unfollows.mean - unfollows.low) * 100], [(unfollows.high - unfollows.mean) * 100]],
                    yerr=[[reach.mean - reach.low], [reach.high - reach.mean]],
                    fmt="o", capsize=3, color="tab:red" if on_front else "tab:gray")
        labels.append(ax.annotate(s.name, (unfollows.mean * 100, reach.mean), textcoords="offset points",
                                  xytext=(6, 6), fontsize=8,
                                  arrowprops=dict(arrowstyle="-", color="0.6", linewidth=0.5, shrinkA=0, shrinkB=3)))
    points = sorted((s.estimates["unfollow_rate"].mean * 100, s.estimates["reach"].mean)
                    for s in comparison.strategies if s.name in front)
    ax.plot(*zip(*points), "--", color="tab:red", label="Pareto front: more reach, fewer unfollows")
    if len(front) < len(comparison.strategies):
        ax.plot([], [], "o", color="tab:gray", label="dominated: another has more reach and fewer unfollows")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("unfollow rate (% of followers at the start)")
    ax.set_ylabel("reach (people)")
    ax.set_title(f"{comparison.name}: reach vs unfollows, mean and 95% CI "
                 f"({comparison.replications} replications)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    _separate_labels(fig, labels)
    fig.savefig(path, dpi=110)


def _separate_labels(fig, labels: list) -> None:
    """Move annotations up (in points) until no name overlaps one placed before it."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    placed = []
    for label in sorted(labels, key=lambda a: (a.xy[1], a.xy[0])):
        for _ in range(len(labels) + 1):
            box = Text.get_window_extent(label, renderer).expanded(1.02, 1.1)   # the name, not its line
            if not any(box.overlaps(other) for other in placed):
                break
            x, y = label.get_position()
            label.set_position((x, y + box.height * 72 / fig.dpi))
        placed.append(Text.get_window_extent(label, renderer))


def plot_sweep(comparison: Comparison, parameters: list[str], path: Path) -> None:
    """One parameter: mean reach and unfollow rate with 95% CI bands; two: heatmaps of the means."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = ("reach", "unfollow_rate")
    scale = {"reach": 1.0, "unfollow_rate": 100.0}
    label = {"reach": "reach (people)", "unfollow_rate": "unfollow rate (%)"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    if len(parameters) == 1:
        (parameter,) = parameters
        values = [s.settings[parameter] for s in comparison.strategies]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        x = np.asarray(values, dtype=float) if numeric else np.arange(len(values))
        for ax, metric in zip(axes, shown):
            mean = np.array([s.estimates[metric].mean for s in comparison.strategies]) * scale[metric]
            low = np.array([s.estimates[metric].low for s in comparison.strategies]) * scale[metric]
            high = np.array([s.estimates[metric].high for s in comparison.strategies]) * scale[metric]
            ax.fill_between(x, low, high, alpha=0.25, label="95% CI")
            ax.plot(x, mean, "o-", label="mean")
            if not numeric:
                ax.set_xticks(x, [compact(v) for v in values], rotation=30)
            ax.set_xlabel(parameter)
            ax.set_ylabel(label[metric])
            ax.legend(fontsize=8)
    else:
        first, second = parameters
        rows = list(dict.fromkeys(compact(s.settings[first]) for s in comparison.strategies))
        cols = list(dict.fromkeys(compact(s.settings[second]) for s in comparison.strategies))
        for ax, metric in zip(axes, shown):
            grid = np.full((len(rows), len(cols)), np.nan)
            for s in comparison.strategies:
                grid[rows.index(compact(s.settings[first])), cols.index(compact(s.settings[second]))] = \
                    s.estimates[metric].mean * scale[metric]
            image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
            for (i, j), value in np.ndenumerate(grid):
                ax.text(j, i, f"{value:,.0f}" if metric == "reach" else f"{value:.2f}", ha="center",
                        va="center", fontsize=8, color="black" if image.norm(value) > 0.6 else "white")
            ax.set_xticks(range(len(cols)), cols)
            ax.set_yticks(range(len(rows)), rows)
            ax.set_xlabel(second)
            ax.set_ylabel(first)
            ax.set_title(f"mean {label[metric]}", fontsize=10)
            fig.colorbar(image, ax=ax)
    fig.suptitle(f"{comparison.name}: {comparison.replications} paired replications per point", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(comparison: Comparison, table: pd.DataFrame, folder: Path,
                  parameters: list[str] | None = None) -> str:
    """Write comparison.csv, summary.csv, summary.json, summary.txt and the plots; return the table text."""
    folder = Path(folder)
    text = comparison_table(comparison)
    _write_atomically(folder / "comparison.csv", table.to_csv(index=False))
    _write_atomically(folder / "summary.csv", summary_frame(comparison).to_csv(index=False))
    _write_atomically(folder / "summary.json", json.dumps(summary_json(comparison), indent=2))
    _write_atomically(folder / "summary.txt", text + "\n")
    plots = [("tradeoff.png", lambda p: plot_tradeoff(comparison, p))]
    if parameters:
        plots.append(("sweep.png", lambda p: plot_sweep(comparison, parameters, p)))
    for name, draw in plots:
        with staged_file(folder / name) as temporary:
            draw(temporary)
    return text


# --------------------------------------------------------------------------
# The commands

def command_compare(args) -> int:
    """``sharesim compare STRATEGIES``: paired replications of each strategy."""
    return run_experiment(with_posterior(load_strategies(args.strategies), args), args)


def command_sweep(args) -> int:
    """``sharesim sweep SCENARIO --set PATH=V1,V2,...``: one or two parameters."""
    return run_experiment(with_posterior(sweep_experiment(args.scenario, args.settings), args), args)


def with_posterior(experiment: Experiment, args) -> Experiment:
    """The experiment with ``--posterior``'s draws, checked against every strategy, if given."""
    path = getattr(args, "posterior", None)
    if path is None:
        return experiment
    from dataclasses import replace

    from .calibration import check_posterior, load_posterior

    posterior = load_posterior(path)
    check_posterior(posterior, experiment.scenarios, experiment.source)
    if not getattr(args, "quiet", False):
        print(f"sharesim: each replication draws {', '.join(posterior.paths)} from {path} "
              f"({len(posterior.draws)} draws, by weight); replication i of every strategy uses the same draw",
              file=sys.stderr)
    return replace(experiment, posterior=posterior)


def run_experiment(experiment: Experiment, args) -> int:
    """Run (or resume) an experiment, write its folder and print its table."""
    if not 2 <= args.replications <= MAX_REPLICATIONS:
        raise InputError(f"--replications: from 2 (for a confidence interval) to {MAX_REPLICATIONS:,} "
                            f"(got {args.replications:,})")
    if args.workers < 1:
        raise InputError(f"--workers: must be at least 1 (got {args.workers})")
    workers = args.workers
    if args.scheduler is not None:
        scheduler_location(args.scheduler)
    else:
        workers, notice = worker_count(experiment, args.workers, len(experiment.scenarios) * args.replications)
        if notice:
            print(f"sharesim: {notice}", file=sys.stderr)
    folder, created = prepare_output(experiment, args.out, resume=args.resume, force=args.force)
    if not args.quiet:
        print(f"{experiment.name}: {len(experiment.scenarios)} strategies x {args.replications} replications "
              f"-> {folder}", file=sys.stderr)
    try:
        table = run_replications(experiment, args.replications, folder, workers=workers,
                                 scheduler=args.scheduler, progress=not args.quiet)
    except LostWorkers:
        raise                               # the finished replications stay, for --resume
    except InputError:
        if created and marked_kind(folder) == "comparison":   # e.g. a seeding the model cannot draw:
            shutil.rmtree(folder, ignore_errors=True)           # leave nothing behind, but only our own
        raise
    except KeyboardInterrupt:
        kept = len(list((folder / "replications").glob("*.json")))
        print(f"sharesim: interrupted; {kept} finished replications are kept; continue with:\n"
              f"  sharesim {'sweep' if experiment.parameters else 'compare'} ... --resume --out {folder}",
              file=sys.stderr)
        return 130
    comparison = compare(table, experiment)
    text = write_outputs(comparison, table, folder, experiment.parameters)
    if not args.quiet:
        print(text)
        print(f"\nfolder: {folder}")
    return 0


def prepare_output(experiment: Experiment, out: Path | None, *, resume: bool,
                   force: bool) -> tuple[Path, bool]:
    """Where the experiment writes: --out, or a new ``outputs/<name>/<run id>/``; and whether
    this run created that folder (only then may a failure remove it).

    ``resume`` without ``--out`` continues the newest folder of this experiment.
    Everything about --out is checked here, before any replication runs;
    ``force`` replaces only a comparison folder sharesim wrote (:mod:`sim.rundir`).
    """
    from .runs import OUTPUTS, run_folder

    if out is None and resume:
        earlier = sorted(p for p in (OUTPUTS / experiment.name).glob("*") if (p / "replications").is_dir())
        if not earlier:
            raise InputError(f"--resume: no earlier run of {experiment.name} under "
                             f"{OUTPUTS / experiment.name}; give its folder with --out")
        return earlier[-1], False
    folder = Path(out) if out is not None else run_folder(experiment.name, experiment.seed)
    return resumable_folder(folder, kind="comparison", resume=resume, force=force, kept="replications")
