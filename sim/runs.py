"""One run of a scenario and its run folder.

``simulate`` runs the model; ``write_run_folder`` keeps everything a run
leaves in ``outputs/<scenario>/<run id>/``. The folder is written through
:func:`sim.rundir.staged_folder`: under a hidden temporary name, renamed into
place only when complete, so a run that fails or is interrupted never leaves
a folder that looks whole.
"""

from __future__ import annotations

import gc
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .events import RunLog
from .rundir import check_destination, record_files, staged_folder
from .scenario import Scenario, save_scenario

OUTPUTS = Path("outputs")


@dataclass
class RunResult:
    """A finished run: its log, its per-tick series (DataCollector) and the model's facts."""

    scenario: Scenario
    seed: int
    log: RunLog
    series: pd.DataFrame
    folder: Path | None = None      # where write_run_folder put it
    graph: object = None            # the SocialGraph (CSR audiences), saved as network.npz for the report


def simulate(scenario: Scenario, seed: int | None = None, source: str = "scenario",
             progress: bool = False, graph=None) -> RunResult:
    """Build the model for a scenario and run all its ticks (on ``graph``, if given: see
    :class:`sim.model.SharingModel`; the independent_cascade preset always draws its own)."""
    if scenario.model == "independent_cascade":
        from .cascade import run_cascade

        run = run_cascade(scenario, seed=seed, source=source)
        return RunResult(scenario=scenario, seed=run.seed, log=run.run_log(), series=run.series(),
                         graph=getattr(run, "graph", None))
    from .model import SharingModel

    model = SharingModel(scenario, seed=seed, source=source, graph=graph)
    bar = None
    if progress:
        from tqdm import tqdm

        tqdm.monitor_interval = 0   # no monitor thread: writing the folder forks only from one thread
        bar = tqdm(total=model.ticks, unit="tick", desc=scenario.name, delay=1.0, file=sys.stderr,
                   leave=False)
    model.run(progress=(lambda m: bar.update(1)) if bar else None)
    if bar:
        bar.close()
    series = model.datacollector.get_model_vars_dataframe()
    series.index.name = "tick"
    series = series.reset_index()
    return RunResult(scenario=scenario, seed=model.seed, log=model.run_log(), series=series, graph=model.graph)


def run_folder(scenario_name: str, seed: int, root: Path = OUTPUTS) -> Path:
    """A new, unused folder name ``root/<scenario>/<time>-seed<seed>[-k]``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / scenario_name / f"{stamp}-seed{seed}"
    folder, k = base, 1
    while folder.exists():
        k += 1
        folder = base.with_name(f"{base.name}-{k}")
    return folder


def write_run_folder(result: RunResult, folder: Path, force: bool = False, pick_free: bool = False,
                     events_format: str | None = None) -> dict:
    """Write a run's files into ``folder`` all at once; returns the summary.

    Refuses to replace an existing folder unless ``force``, and even then
    replaces only a run folder sharesim wrote (see :mod:`sim.rundir`); with
    ``pick_free``, a folder that another run took meanwhile makes this one
    take the next free name (``-2``, ``-3`` ...). ``result.folder`` tells
    where the run went. ``run.json`` records the size and SHA-256 of the
    files the report is rebuilt from, so ``sharesim report`` can tell a
    damaged folder from a whole one. ``events_format`` ("csv", "parquet" or None: by the
    log's size) chooses the event log's file (:meth:`sim.events.RunLog.save`).

    The garbage collector is paused meanwhile: with a model's millions of
    agents alive, every full collection scans them all, and importing the
    plotting and Parquet libraries sets off several (about 1 s at 10^6 people);
    writing makes next to no cyclic garbage.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _write_run_folder(result, folder, force, pick_free, events_format)
    finally:
        if collecting:
            gc.enable()


def _write_run_folder(result: RunResult, folder: Path, force: bool, pick_free: bool, events_format: str | None) -> dict:
    from . import report
    from .rundir import graph_network, write_network

    folder = Path(folder)
    if not pick_free:
        check_destination(folder, force=force, kind="run")
    with staged_folder(folder, kind="run", force=force, pick_free=pick_free) as staging:
        partial = staging.path
        resolved = result.scenario.model_copy(deep=True)
        resolved.seed = result.seed
        resolved.population.size = result.log.meta["population"]
        save_scenario(resolved, partial / "scenario.yaml")
        # Three things at once: figures drawn in a worker process (forked first, while this
        # process has one thread), the data files written in a thread (pyarrow's and NumPy's
        # writers let go of the interpreter), and the run measured and analysed here.
        with report.Drawing.beside() as drawing, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="sharesim-files") as files:
            saved = [files.submit(result.log.save, partial, events_format)]
            network = None
            if result.graph is not None:
                saved.append(files.submit(write_network, result.graph, partial))
                network = graph_network(result.graph)       # what the report would read back from the file
            measured = report.write_report(partial, result.log, result.series, network, drawing)
            for job in saved:
                job.result()
        record_files(partial)
    result.folder = staging.folder
    return measured.summary
