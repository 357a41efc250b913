"""What drives the results: global sensitivity analysis of a scenario with SALib.

``sharesim sensitivity SCENARIO --param PATH=LOW:HIGH ...`` varies scenario
parameters (the dotted paths of ``sweep --set``, changed through
:func:`sim.scenario.with_overrides`) over ranges and measures how much each
moves the run's outputs (numeric keys of :func:`sim.metrics.summarize`).

* **Morris** (elementary effects; Morris 1991, Campolongo, Cariboni &
  Saltelli 2007): ``N`` trajectories, each changing one parameter at a time
  by a step of ``LEVELS / (2 (LEVELS - 1))`` of its range; ``N (k + 1)`` runs
  for ``k`` parameters. ``mu_star`` is the mean absolute change of an output
  per step (in the output's units), ``mu_star_conf`` the half-width of its
  bootstrap 95% interval, ``sigma`` the spread of the effects (large when a
  parameter interacts with others or acts non-linearly).
* **Sobol** (Saltelli's scheme; Saltelli et al. 2010): ``N (k + 2)`` runs;
  ``S1`` the share of the output's variance due to a parameter alone, ``ST``
  the share it takes part in, with bootstrap 95% intervals.

Every run uses the same seed (common random numbers: same network, same
people, same draws where the parameters allow), so a parameter that cannot
matter in the scenario has effects of exactly zero; ``--replications R``
averages each design point over ``R`` paired seeds. Runs go through
:func:`sim.experiment.execute` (in this process, ``--workers`` processes or a
Dask ``--scheduler``), so the results are the same on 1 or N workers.
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .errors import InputError
from .report import text_table
from .rundir import check_destination, staged_file, staged_folder, write_atomically
from .scenario import (
    load_scenario,
    read_yaml,
    scenario_from_dict,
    value_at,
    with_overrides,
)
from .stats import CONFIDENCE, replication_seeds

OUTPUTS = ("reach", "reach_rate", "impressions", "shares", "engagement_rate", "followers_start",
           "followers_end", "unfollows", "new_follows", "unfollow_rate", "blinded", "blind_events", "hides",
           "organic_reach_rate", "shares_per_post_per_follower",
           "cascades.mean_size", "cascades.max_size", "cascades.mean_adopters", "cascades.max_adopters",
           "cascades.mean_viewers", "cascades.max_viewers", "cascades.mean_depth", "cascades.max_depth",
           "cascades.structural_virality_mean", "cascades.share_never_reshared")
"""The outputs a sensitivity analysis may measure: the numeric keys of
:func:`sim.metrics.summarize` (``cascades.*`` inside its cascades mapping)."""

DEFAULT_OUTPUTS = ("reach", "shares", "unfollow_rate")
METHODS = ("morris", "sobol")
DEFAULT_N = {"morris": 10, "sobol": 64}
"""Trajectories (Morris) or base samples (Sobol) when -N is not given."""
LEVELS = 4
"""Morris grid levels: each parameter takes 4 values over its range, steps of 2/3 of it."""
RESAMPLES = 1000
"""Bootstrap resamples for the confidence intervals."""
MAX_RUNS = 200_000
"""Simulations at most in one analysis (design points x replications)."""
MAX_REPLICATIONS = 100


# --------------------------------------------------------------------------
# Parameters and their ranges

@dataclass(frozen=True)
class Parameter:
    """One varied parameter: a dotted scenario path and its range [low, high]."""

    path: str
    low: float
    high: float
    integer: bool       # a whole-number field: design values are rounded

    def value(self, x: float) -> int | float:
        """The value set in the scenario for design value ``x``."""
        return int(round(x)) if self.integer else float(x)


def parse_parameter(text: str, resolved: dict) -> Parameter:
    """``PATH=LOW:HIGH`` -> a :class:`Parameter`; integer when the field holds a whole number."""
    example = "e.g. --param fatigue.act_probability=0.05:0.3"
    path, sign, bounds = text.partition("=")
    path = path.strip()
    low_text, colon, high_text = bounds.partition(":")
    if not sign or not path or not colon:
        raise InputError(f"--param {text}: write PATH=LOW:HIGH, {example}")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise InputError(f"--param {text}: LOW and HIGH must be numbers, {example}") from None
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise InputError(f"--param {text}: LOW must be below HIGH, both finite numbers (got {low_text}:{high_text})")
    if path == "seed":
        raise InputError(f"--param {text}: the seed is not a parameter; every run shares it "
                         f"(give --seed, or --replications to average over seeds)")
    base = value_at(resolved, path)
    if isinstance(base, bool) or (base is not None and not isinstance(base, (int, float))):
        raise InputError(f"--param {text}: {path} is not a number in the scenario (it is {base!r}); "
                         f"give a numeric field such as fatigue.act_probability")
    whole = all(part.strip().lstrip("+-").isdigit() for part in (low_text, high_text))
    integer = isinstance(base, int) or (base is None and whole)
    return Parameter(path, low, high, integer)


# --------------------------------------------------------------------------
# The analysis: a design, its runs, the indices

class SamplePoint(NamedTuple):
    """One simulation of the design: plain data, so it pickles to any worker."""

    sample: int         # the design row
    replication: int
    seed: int
    scenario: dict      # resolved scenario data with the row's values set
    source: str
    outputs: tuple


def run_sample(task: SamplePoint) -> dict:
    """Simulate one design point with one seed; return its outputs."""
    from .metrics import summarize
    from .network import shared_network
    from .runs import simulate

    try:
        scenario = scenario_from_dict(task.scenario, source=task.source)
        # the same network as a run with this seed, built once per worker while no parameter changes it
        graph = shared_network(scenario.network, scenario.population.size, task.seed, task.source)
        result = simulate(scenario, seed=task.seed, source=task.source, graph=graph)
    except InputError as error:
        message = str(error).removeprefix(f"{task.source}: ")
        raise InputError(f"{task.source}: design point {task.sample}: {message}") from None
    summary = summarize(result.log)
    return {name: _number(value_at(summary, name)) for name in task.outputs}


def _number(value) -> float:
    return float("nan") if value is None else float(value)


@dataclass
class Analysis:
    """A sensitivity analysis of one scenario: what varies, what is measured, how."""

    source: Path
    name: str
    base: dict                  # the scenario file's data
    parameters: list[Parameter]
    outputs: list[str]
    method: str = "morris"
    n: int = 10
    seed: int = 0
    replications: int = 1

    @property
    def problem(self) -> dict:
        return {"num_vars": len(self.parameters), "names": [p.path for p in self.parameters],
                "bounds": [[p.low, p.high] for p in self.parameters]}

    def design(self) -> np.ndarray:
        """The design points (one row per simulation setting), as SALib draws them."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.method == "morris":
                from SALib.sample import morris
                return morris.sample(self.problem, self.n, num_levels=LEVELS, seed=self.seed)
            from SALib.sample import sobol
            return sobol.sample(self.problem, self.n, calc_second_order=False, seed=self.seed)

    def runs(self) -> int:
        k = len(self.parameters)
        return self.n * (k + 1 if self.method == "morris" else k + 2) * self.replications

    def seeds(self) -> list[int]:
        return [self.seed] if self.replications == 1 else replication_seeds(self.seed, self.replications)

    def scenario_at(self, row: np.ndarray, where: str) -> dict:
        """The resolved scenario with a design row's values set."""
        overrides = {p.path: p.value(x) for p, x in zip(self.parameters, row)}
        data = with_overrides(self.base, overrides, where)
        try:
            return scenario_from_dict(data, source=self.source).resolved()
        except InputError as error:
            message = str(error).removeprefix(f"{self.source}: ")
            raise InputError(f"{where}: {message}") from None

    def tasks(self, design: np.ndarray) -> list[SamplePoint]:
        seeds = self.seeds()
        tasks = []
        for i, row in enumerate(design):
            values = ", ".join(f"{p.path}={p.value(x):g}" for p, x in zip(self.parameters, row))
            scenario = self.scenario_at(row, f"{self.source}: design point {i} ({values})")
            tasks += [SamplePoint(i, r, seed, scenario, str(self.source), tuple(self.outputs))
                      for r, seed in enumerate(seeds)]
        return tasks


def build_analysis(path: Path, params: list[str], *, method: str = "morris", outputs: str | None = None,
                   n: int | None = None, seed: int | None = None, replications: int = 1) -> Analysis:
    """Read the scenario and check every choice before any simulation.

    Each parameter's range is checked by building the scenario with the
    parameter at LOW and at HIGH: a value the scenario refuses is one
    :class:`InputError` naming the parameter and the bound.
    """
    path = Path(path)
    scenario = load_scenario(path)
    base = read_yaml(path)
    if method not in METHODS:
        raise InputError(f"--method: {method!r}; allowed: {', '.join(METHODS)}")
    if not params:
        raise InputError("--param: give at least one parameter to vary, "
                         "e.g. --param fatigue.act_probability=0.05:0.3")
    resolved = scenario.resolved()
    parameters = [parse_parameter(text, resolved) for text in params]
    paths = [p.path for p in parameters]
    repeated = next((p for p in paths if paths.count(p) > 1), None)
    if repeated:
        raise InputError(f"--param: {repeated} is given twice; vary each parameter once")
    names = list(DEFAULT_OUTPUTS) if outputs is None else [o.strip() for o in outputs.split(",") if o.strip()]
    unknown = [o for o in names if o not in OUTPUTS]
    if unknown or not names:
        raise InputError(f"--outputs: unknown output {', '.join(unknown) or '(none given)'}; "
                         f"allowed: {', '.join(OUTPUTS)}")
    n = DEFAULT_N[method] if n is None else n
    if method == "morris" and n < 2:
        raise InputError(f"-N: Morris needs at least 2 trajectories (got {n})")
    if method == "sobol" and (n < 2 or n & (n - 1)):
        raise InputError(f"-N: Sobol (Saltelli's scheme) needs a power of 2 base samples, e.g. 64 (got {n})")
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise InputError(f"--replications: from 1 to {MAX_REPLICATIONS} (got {replications})")
    if seed is not None and not 0 <= seed <= 2**32 - 1:
        raise InputError(f"--seed: must be a whole number from 0 to 2^32-1 (got {seed})")
    analysis = Analysis(path, scenario.name, base, parameters, names, method, n,
                        scenario.seed if seed is None else seed, replications)
    if analysis.runs() > MAX_RUNS:
        raise InputError(f"-N: {analysis.runs():,} simulations; at most {MAX_RUNS:,} (give a smaller -N)")
    for p, text in zip(parameters, params):
        for bound, x in (("LOW", p.low), ("HIGH", p.high)):
            overrides = {p.path: p.value(x)}
            data = with_overrides(base, overrides, f"--param {text}")
            try:
                scenario_from_dict(data, source=path)
            except InputError as error:
                message = str(error).removeprefix(f"{path}: ")
                raise InputError(f"--param {text}: at {bound} ({p.value(x):g}): {message}") from None
    return analysis


def simulate_design(analysis: Analysis, design: np.ndarray, *, workers: int = 1, scheduler: str | None = None,
                    progress: bool = False) -> np.ndarray:
    """Every design point's outputs (rows: points, columns: outputs), averaged over replications."""
    from tqdm import tqdm

    from .experiment import execute

    tasks = analysis.tasks(design)
    values = np.full((len(design), analysis.replications, len(analysis.outputs)), np.nan)
    bar = tqdm(total=len(tasks), unit="run", desc=f"{analysis.name} {analysis.method}", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    try:
        for task, record in execute(tasks, workers=workers, scheduler=scheduler, run=run_sample):
            values[task.sample, task.replication] = [record[o] for o in analysis.outputs]
            bar.update(1)
    finally:
        bar.close()
    return values.mean(axis=1)


def indices(analysis: Analysis, design: np.ndarray, results: np.ndarray) -> pd.DataFrame:
    """sensitivity.csv: per output and parameter, the method's indices and intervals, largest first."""
    rows = []
    for j, output in enumerate(analysis.outputs):
        y = results[:, j]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if analysis.method == "morris":
                from SALib.analyze import morris
                found = morris.analyze(analysis.problem, design, y, num_resamples=RESAMPLES,
                                       conf_level=CONFIDENCE, num_levels=LEVELS, seed=analysis.seed)
                columns = ("mu", "mu_star", "mu_star_conf", "sigma")
            else:
                from SALib.analyze import sobol
                found = sobol.analyze(analysis.problem, y, calc_second_order=False, num_resamples=RESAMPLES,
                                      conf_level=CONFIDENCE, seed=analysis.seed)
                columns = ("S1", "S1_conf", "ST", "ST_conf")
        for i, p in enumerate(analysis.parameters):
            rows.append({"output": output, "parameter": p.path, "low": p.low, "high": p.high,
                         **{c: float(found[c][i]) for c in columns}})
    table = pd.DataFrame(rows)
    key = "mu_star" if analysis.method == "morris" else "ST"
    table["_order"] = table["output"].map({o: i for i, o in enumerate(analysis.outputs)})
    table = table.sort_values(["_order", key, "parameter"], ascending=[True, False, True], kind="stable",
                              na_position="last").drop(columns="_order")
    table.insert(2, "rank", table.groupby("output", sort=False).cumcount() + 1)
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------
# Outputs

def samples_frame(analysis: Analysis, design: np.ndarray, results: np.ndarray) -> pd.DataFrame:
    """samples.csv: the design (as drawn; an integer parameter also as set) and each point's outputs."""
    frame = pd.DataFrame({"sample": np.arange(len(design))})
    for i, p in enumerate(analysis.parameters):
        frame[p.path] = design[:, i]
        if p.integer:
            frame[f"{p.path} (set)"] = [p.value(x) for x in design[:, i]]
    for j, output in enumerate(analysis.outputs):
        frame[output] = results[:, j]
    return frame


def summary_json(analysis: Analysis, table: pd.DataFrame) -> dict:
    """sensitivity.json: the settings and the indices, nested by output."""
    return {
        "scenario": analysis.name, "source": str(analysis.source), "method": analysis.method,
        "n": analysis.n, "levels": LEVELS if analysis.method == "morris" else None, "seed": analysis.seed,
        "replications": analysis.replications, "runs": analysis.runs(), "confidence": CONFIDENCE,
        "parameters": [{"path": p.path, "low": p.low, "high": p.high, "integer": p.integer}
                       for p in analysis.parameters],
        "outputs": analysis.outputs,
        "indices": {output: [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                              for k, v in row.items() if k != "output"}
                             for row in group.to_dict("records")]
                    for output, group in table.groupby("output", sort=False)},
    }


def plot_ranking(analysis: Analysis, table: pd.DataFrame, output: str, path: Path) -> None:
    """Horizontal bars of mu_star (Morris) or ST (Sobol) with their 95% intervals, largest on top."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = table[table["output"] == output].iloc[::-1]
    key, conf = ("mu_star", "mu_star_conf") if analysis.method == "morris" else ("ST", "ST_conf")
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.32 * len(rows)))
    ax.barh(y, rows[key].fillna(0), xerr=rows[conf].fillna(0), capsize=3, color="tab:blue", alpha=0.8,
            label=f"{key} with its {CONFIDENCE:.0%} interval")
    if analysis.method == "sobol":
        ax.errorbar(rows["S1"].fillna(0), y, xerr=rows["S1_conf"].fillna(0), fmt="o", color="tab:orange",
                    capsize=2, label="S1")
    ax.set_yticks(y, rows["parameter"], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"{key} ({'change of ' + output + ' per step of 2/3 of the range' if key == 'mu_star' else 'share of variance'})",
                  fontsize=9)
    ax.set_title(f"{analysis.name}: what drives {output} ({analysis.method}, {analysis.runs():,} runs)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def ranking_table(analysis: Analysis, table: pd.DataFrame, top: int = 8) -> str:
    """The printed summary: per output, the parameters ranked."""
    morris = analysis.method == "morris"
    header = ["output", "rank", "parameter", *(("mu_star", "95% +-", "sigma") if morris else ("ST", "95% +-", "S1"))]
    rows = []
    for output, group in table.groupby("output", sort=False):
        for record in group.head(top).to_dict("records"):
            values = ((record["mu_star"], record["mu_star_conf"], record["sigma"]) if morris
                      else (record["ST"], record["ST_conf"], record["S1"]))
            rows.append([output, record["rank"], record["parameter"], *(f"{v:.4g}" for v in values)])
    return "\n".join(text_table(header, rows))


def write_outputs(analysis: Analysis, design: np.ndarray, results: np.ndarray, table: pd.DataFrame,
                  folder: Path) -> None:
    write_atomically(folder / "sensitivity.csv", table.to_csv(index=False))
    write_atomically(folder / "samples.csv", samples_frame(analysis, design, results).to_csv(index=False))
    write_atomically(folder / "sensitivity.json", json.dumps(summary_json(analysis, table), indent=2))
    for output in analysis.outputs:
        with staged_file(folder / f"ranking_{output}.png") as temporary:
            plot_ranking(analysis, table, output, temporary)


# --------------------------------------------------------------------------
# The command

def command_sensitivity(args) -> int:
    """``sharesim sensitivity SCENARIO --param PATH=LOW:HIGH ...``."""
    from .experiment import Experiment, scheduler_location, worker_count
    from .runs import run_folder

    analysis = build_analysis(args.scenario, args.params, method=args.method, outputs=args.outputs, n=args.n,
                              seed=args.seed, replications=args.replications)
    if args.workers < 1:
        raise InputError(f"--workers: must be at least 1 (got {args.workers})")
    workers = args.workers
    if args.scheduler is not None:
        scheduler_location(args.scheduler)
    folder = Path(args.out) if args.out is not None else run_folder(f"{analysis.name}-sensitivity", analysis.seed)
    check_destination(folder, force=args.force, kind="sensitivity")
    design = analysis.design()
    if args.scheduler is None:
        corners = {f"{p.path}={x}": analysis.scenario_at(
                       np.array([x if q is p else (q.low + q.high) / 2 for q in analysis.parameters]),
                       f"--param {p.path}")
                   for p in analysis.parameters for x in (p.low, p.high)}
        experiment = Experiment(analysis.name, analysis.source, corners, next(iter(corners)), analysis.seed)
        workers, notice = worker_count(experiment, args.workers, analysis.runs())
        if notice:
            print(f"sharesim: {notice}", file=sys.stderr)
    if not args.quiet:
        print(f"{analysis.name}: {analysis.method}, {len(analysis.parameters)} parameters, "
              f"{analysis.runs():,} runs -> {folder}", file=sys.stderr)
    started = time.monotonic()
    results = simulate_design(analysis, design, workers=workers, scheduler=args.scheduler, progress=not args.quiet)
    table = indices(analysis, design, results)
    with staged_folder(folder, kind="sensitivity", force=args.force, pick_free=args.out is None) as staging:
        write_outputs(analysis, design, results, table, staging.path)
    if not args.quiet:
        print(ranking_table(analysis, table))
        print(f"\n{analysis.runs():,} runs in {time.monotonic() - started:.0f} s; folder: {staging.folder}")
    return 0
