"""Calibration: fit scenario parameters to a brand's own numbers, with ABC-SMC.

``sharesim calibrate SCENARIO --observed POSTS.csv [--followers DAILY.csv]
--param PATH=LOW:HIGH ...`` finds which values of the named parameters (the
dotted paths of ``sweep --set``) make the scenario produce the brand's
observed posts and followers, and how sure we can be of them.

**Why likelihood-free inference, and why pyabc's ABC-SMC.** The model has
no likelihood one could write down: a post's reach comes out of feeds,
shares and fatigue, drawn afresh in every run. Approximate Bayesian
computation needs only the simulator: draw parameters from the prior,
simulate, keep the draws whose summary statistics land near the observed
ones. Sequential Monte Carlo (Toni et al. 2009; Beaumont et al. 2009) does
this in populations with a shrinking tolerance, each proposed around the
last, so few simulations are wasted. pyabc (Schälte et al. 2022) is the kept,
documented implementation: adaptive population-by-population tolerances
(the median distance of the last population), adaptive distances
(:class:`pyabc.AdaptivePNormDistance` rescales every statistic by its spread
each population, so no statistic drowns the others), weighted particles,
and sampling in parallel.

**Summary statistics** (:func:`post_summaries`, :func:`follower_summaries`).
The observed posts may be fewer or more than the scenario plans, so posts
are compared as distributions, never post by post: the median and the 90th
percentile of per-post reach (as log(1 + reach), robust to a viral outlier),
mean shares per post, the share of posts nobody shared, impressions per
person reached (only when the observed file has ``impressions``), and, with
``--followers``, the followers' relative change per day. The simulated
numbers are the scenario's first brand's.

**Prior.** Uniform on each ``LOW:HIGH``; log-uniform when ``LOW > 0`` and
``HIGH / LOW >= 100`` (a range over orders of magnitude). A whole-number
field (e.g. ``posts_per_day``) rounds its draws.

**Budget.** ``--budget`` is the total number of simulations, the prior
sample pyabc uses to scale its distance included; the population size is
``min(100, budget // 8)`` (a few populations even on a small budget). The last population that finished within the
budget is the posterior.

**Seeds, and why not pyabc's parallel samplers.** pyabc's multicore, mapping
and Dask samplers reseed every worker from the operating system
(``np.random.seed()``) and keep the particles that finish first, so the
same command gives another posterior on every run and every worker count.
Here a :class:`SeededSampler` (a pyabc ``Sampler``) proposes in batches: the
batch's size depends only on the population's progress, each particle gets
a seed from one generator seeded by ``--seed``, and the particle is computed
from that seed alone (its proposal, its simulation's seed, its acceptance).
The batch's particles come back in order and the population is the first
``n`` accepted in that order, exactly as one process would find them; so the
posterior is the same on 1 worker, N worker processes or a Dask cluster.
Particles computed past the n-th acceptance are counted in the budget.

**Speed.** Every simulation plays on the network a run of the scenario with
``--seed`` draws (:func:`sim.network.shared_network`, built once per
process): parameters that are not the network's or the population size
leave it as it is. The brand's network is one, unknown graph; conditioning
on one drawn graph keeps the people, posts and behaviour random in every
simulation. pyabc's database is a SQLite file in a temporary folder; the
``--out`` folder is written at the end, whole or not at all.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import InputError
from .scenario import (
    Scenario,
    read_yaml,
    regular_file,
    save_scenario,
    scenario_from_dict,
    value_at,
    with_overrides,
)

INTERVAL = 0.90
"""The posterior interval reported: from the 5% to the 95% weighted quantile."""

LOG_RANGE = 100
"""A prior from LOW > 0 to HIGH >= LOW x this is log-uniform."""

MIN_BUDGET = 50
POPULATION = 100
"""Particles per population at most; fewer (budget // 8) for a small budget."""

MIN_RATE = 0.02
"""The lowest acceptance rate a batch is sized for (it grows the batch at most 50-fold)."""


# --------------------------------------------------------------------------
# The parameters: PATH=LOW:HIGH

@dataclass(frozen=True)
class Prior:
    """One parameter to calibrate: a dotted scenario path and its prior range."""

    path: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    @property
    def name(self) -> str:
        """The parameter's name inside pyabc (dots are not allowed there)."""
        return self.path.replace(".", "__")

    def distribution(self):
        import pyabc
        if self.log:
            return pyabc.RV("loguniform", self.low, self.high)
        return pyabc.RV("uniform", self.low, self.high - self.low)

    def value(self, drawn: float):
        """The drawn number as the scenario takes it."""
        return int(round(drawn)) if self.integer else float(drawn)

    def describe(self) -> str:
        return f"{'log-uniform' if self.log else 'uniform'} {self.low:g} to {self.high:g}"


def parse_priors(texts: list[str], base: dict, source: Path) -> list[Prior]:
    """``--param PATH=LOW:HIGH`` texts -> priors; each range checked on the scenario.

    The scenario is built at LOW and at HIGH (:func:`sim.scenario.with_overrides`
    and validation), so an unknown path or a value the field does not allow
    is one line naming the field.
    """
    if not texts:
        raise InputError("--param: give at least one parameter to calibrate, e.g. --param feed.page_affinity=0.01:1")
    priors = []
    for text in texts:
        path, sign, bounds = text.partition("=")
        path = path.strip()
        low_text, colon, high_text = bounds.partition(":")
        example = "e.g. --param fatigue.act_probability=0.01:0.5"
        if not sign or not path or not colon:
            raise InputError(f"--param {text}: write PATH=LOW:HIGH, {example}")
        try:
            low, high = yaml.safe_load(low_text), yaml.safe_load(high_text)
        except yaml.YAMLError:
            low = high = None
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                   for v in (low, high)):
            raise InputError(f"--param {text}: LOW and HIGH must be numbers, {example}")
        if low >= high:
            raise InputError(f"--param {text}: LOW must be below HIGH (got {low:g} and {high:g})")
        if any(p.path == path for p in priors):
            raise InputError(f"--param {path}: is given twice")
        built = []
        for value in (low, high):
            where = f"--param {text}"
            data = with_overrides(base, {path: value}, where)
            try:
                scenario = scenario_from_dict(data, source=source)
            except InputError as error:
                message = str(error).removeprefix(f"{source}: ")
                raise InputError(f"--param {text}: at {value:g}: {message}") from None
            built.append(value_at(scenario.resolved(), path))
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in built):
            raise InputError(f"--param {text}: {path} is not a number in the scenario (it is {built[0]!r})")
        integer = all(isinstance(v, int) for v in built)
        priors.append(Prior(path, float(low), float(high), log=low > 0 and high / low >= LOG_RANGE,
                            integer=integer))
    return priors


# --------------------------------------------------------------------------
# The observed numbers

def read_numbers(path: Path, what: str, required: tuple[str, ...],
                 optional: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The named columns of a CSV file as arrays of numbers >= 0; other columns are ignored.

    Any problem is one :class:`InputError` naming the file, the line and the
    column: a missing file or column, an empty file, a value that is missing,
    not a number or negative.
    """
    path = Path(path)
    regular_file(path, what)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"{path}: {what} cannot be read ({error.strerror or error})") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            while header is not None and not any(cell.strip() for cell in header):
                header = next(reader, None)
            if header is None:
                raise InputError(f"{path}: the file is empty; expected a header line with the columns "
                                 f"{', '.join(required)}")
            names = [cell.strip() for cell in header]
            header_line = reader.line_num
            for column in required:
                if column not in names:
                    raise InputError(f"{path}: line {header_line}: no column '{column}'; {what} needs the "
                                     f"columns {', '.join(required)} (found: {', '.join(names) or 'none'})")
            wanted = [c for c in (*required, *optional) if c in names]
            values: dict[str, list[float]] = {c: [] for c in wanted}
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                for column in wanted:
                    index = names.index(column)
                    where = f"{path}: line {reader.line_num}, column '{column}'"
                    cell = row[index].strip() if index < len(row) else ""
                    if not cell:
                        raise InputError(f"{where}: the value is missing; give a number >= 0")
                    try:
                        number = float(cell)
                    except ValueError:
                        raise InputError(f"{where}: not a number (got {cell[:40]!r}); give a number >= 0") from None
                    if not math.isfinite(number):
                        raise InputError(f"{where}: not a finite number (got {cell!r})")
                    if number < 0:
                        raise InputError(f"{where}: negative ({cell}); give a number >= 0")
                    values[column].append(number)
        except (csv.Error, UnicodeDecodeError) as error:
            raise InputError(f"{path}: line {reader.line_num}: not a readable CSV file ({error})") from None
    if not values[required[0]]:
        raise InputError(f"{path}: no rows after the header line; {what} needs at least one")
    return {column: np.asarray(v, dtype=float) for column, v in values.items()}


def read_posts(path: Path) -> dict[str, np.ndarray]:
    """POSTS.csv: one row per post, columns ``reach`` and ``shares`` (``impressions`` optional)."""
    return read_numbers(path, "the observed posts file", ("reach", "shares"), ("impressions",))


def read_followers(path: Path) -> dict[str, np.ndarray]:
    """DAILY.csv: ``day,followers``, at least two distinct days, followers above 0 on the first."""
    table = read_numbers(path, "the daily followers file", ("day", "followers"))
    day, followers = table["day"], table["followers"]
    if np.unique(day).size < 2:
        raise InputError(f"{path}: needs at least two different days to measure a change in followers")
    values, counts = np.unique(day, return_counts=True)
    if (counts > 1).any():
        raise InputError(f"{path}: column 'day': day {values[counts > 1][0]:g} is given twice")
    order = np.argsort(day)
    if followers[order[0]] <= 0:
        raise InputError(f"{path}: column 'followers': the first day has 0 followers; a relative change "
                         f"needs a brand with followers")
    return {"day": day[order], "followers": followers[order]}


# --------------------------------------------------------------------------
# Summary statistics: the same for the observed and the simulated numbers

def post_summaries(reach: np.ndarray, shares: np.ndarray, impressions: np.ndarray | None = None) -> dict:
    """Per-post numbers as a distribution: reach quantiles, shares per post, unshared posts."""
    reach, shares = np.asarray(reach, float), np.asarray(shares, float)
    if reach.size == 0:
        summary = {"reach_median": 0.0, "reach_p90": 0.0, "shares_per_post": 0.0, "posts_unshared": 1.0}
    else:
        summary = {"reach_median": float(np.median(reach)), "reach_p90": float(np.quantile(reach, 0.9)),
                   "shares_per_post": float(shares.mean()), "posts_unshared": float(np.mean(shares == 0))}
    if impressions is not None:
        summary["impressions_per_reach"] = float(np.sum(impressions) / max(1.0, np.sum(reach)))
    return summary


def follower_summaries(day: np.ndarray, followers: np.ndarray) -> dict:
    """Followers' relative change per day, from the first day to the last (0.01 = 1% a day)."""
    first, last = float(followers[0]), float(followers[-1])
    days = float(day[-1] - day[0])
    change = (last / first) ** (1.0 / days) - 1.0 if first > 0 and days > 0 else 0.0
    return {"followers_daily_change": change}


SCALED = ("reach_median", "reach_p90")
"""Statistics compared as log(1 + x): counts of people, heavy-tailed across posts."""


def distance_space(summary: dict) -> dict:
    """The statistics as pyabc compares them (reach on a log scale)."""
    return {k: float(np.log1p(v)) if k in SCALED else float(v) for k, v in summary.items()}


# --------------------------------------------------------------------------
# One simulation

@dataclass
class Simulator:
    """The model as pyabc sees it: parameters in, summary statistics out.

    Plain data, so it pickles to any worker. The simulation's seed is drawn
    from NumPy's global generator, which the sampler seeds per particle.
    """

    base: dict
    source: str
    priors: list[Prior]
    network_seed: int
    impressions: bool
    followers: bool
    brand: int = 0

    def scenario(self, drawn: dict) -> Scenario:
        """The scenario with the drawn parameters (pyabc names -> numbers)."""
        values = {p.path: p.value(drawn[p.name]) for p in self.priors}
        where = "--param " + ", ".join(f"{path}={value:g}" for path, value in values.items())
        return scenario_from_dict(with_overrides(self.base, values, where), source=self.source)

    def __call__(self, drawn) -> dict:
        from .metrics import daily_followers, post_metrics
        from .network import shared_network
        from .runs import simulate

        scenario = self.scenario(drawn)
        seed = int(np.random.randint(0, 2**31 - 1))
        graph = None
        if scenario.model == "sharesim":
            graph = shared_network(scenario.network, scenario.population.size, self.network_seed, self.source)
        log = simulate(scenario, seed=seed, source=self.source, graph=graph).log
        posts = post_metrics(log)
        mine = posts[posts["brand"] == log.brands[self.brand]]
        summary = post_summaries(mine["reach"].to_numpy(), mine["shares"].to_numpy(),
                                 mine["impressions"].to_numpy() if self.impressions else None)
        if self.followers:
            counts = daily_followers(log, self.brand)
            summary.update(follower_summaries(np.arange(counts.size), counts))
        return distance_space(summary)


# --------------------------------------------------------------------------
# Sampling: seeded batches, the same posterior on any number of workers

_GLOBAL_GENERATORS = threading.Lock()
"""Held while a particle draws from the process's global generators (pyabc's proposals, the
simulation's seed): a Dask worker runs several tasks at once in threads of one process."""


def _evaluate(job: tuple[bytes, list[int]]) -> list:
    """Compute the particles of a chunk of seeds (in a worker): each from its seed alone."""
    import cloudpickle

    simulate_one, seeds = job
    simulate_one = cloudpickle.loads(simulate_one)
    particles = []
    for seed in seeds:
        with _GLOBAL_GENERATORS:
            np.random.seed(seed)
            random.seed(seed)
            particles.append(simulate_one())
    return particles


def _sampler_class():
    """:class:`SeededSampler`, defined when pyabc is imported (it is imported only to calibrate)."""
    import cloudpickle
    from pyabc.sampler import Sampler

    class SeededSampler(Sampler):
        """A pyabc sampler whose populations depend on its seed alone, not on the workers.

        Each population is sampled in batches; a batch's size depends only on
        how many particles are still needed and the acceptance rate so far;
        each particle is computed from its own seed (``map_`` may run them
        anywhere, and must return them in order); the population is the first
        ``n`` accepted in that order. Stops (``sample.ok = False``) when the
        budget of simulations is spent.
        """

        def __init__(self, map_, workers: int, seed: int, budget: int, progress):
            super().__init__()
            self.map_, self.workers = map_, workers
            self.seeds = np.random.default_rng(seed)
            self.budget, self.used, self.rate = budget, 0, 0.5
            self.progress = progress

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            task = cloudpickle.dumps(simulate_one)
            sample = self._create_empty_sample()
            accepted = evaluated = 0
            while accepted < n:
                remaining = self.budget - self.used
                if remaining <= 0 or evaluated >= max_eval:
                    sample.ok = False
                    break
                needed = n - accepted
                rate = 1.0 if all_accepted else (accepted / evaluated if accepted else
                                                  (self.rate if evaluated == 0 else MIN_RATE))
                wanted = needed if all_accepted else max(needed, math.ceil(1.1 * needed / max(rate, MIN_RATE)))
                size = int(min(remaining, wanted))
                seeds = self.seeds.integers(2**32, size=size).tolist()
                step = max(1, math.ceil(size / (4 * self.workers)))
                jobs = [(task, seeds[i:i + step]) for i in range(0, size, step)]
                particles = [p for chunk in self.map_(_evaluate, jobs) for p in chunk]
                self.used += size
                evaluated += size
                for particle in particles:
                    if accepted == n:
                        break                   # computed past the n-th acceptance: counted, not kept
                    sample.append(particle)
                    accepted += bool(particle.accepted)
                self.progress(t, size)
            self.nr_evaluations_ = max(evaluated, 1)
            if not all_accepted and evaluated:
                self.rate = max(MIN_RATE, accepted / evaluated)
            return sample

    return SeededSampler


class Workers:
    """Where particles are computed: here, in ``count`` processes, or on a Dask cluster."""

    def __init__(self, count: int = 1, scheduler: str | None = None):
        self.count, self.scheduler = max(1, count), scheduler
        self.pool = self.client = None

    def __enter__(self) -> "Workers":
        if self.scheduler:
            from distributed import Client

            from .experiment import CONNECT_TIMEOUT, _reach_scheduler
            _reach_scheduler(self.scheduler)
            self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            try:
                self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
            except TimeoutError:
                self.client.close()
                raise InputError(f"--scheduler {self.scheduler}: the scheduler has no workers; start one "
                                 f"with `dask worker {self.scheduler}`") from None
            self.count = max(1, sum(self.client.nthreads().values()))
        elif self.count > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            from .experiment import _start_worker
            self.pool = ProcessPoolExecutor(max_workers=self.count, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_worker, initargs=(os.getpid(),))
        return self

    def map(self, function, jobs: list) -> list:
        if self.client is not None:
            return self.client.gather(self.client.map(function, jobs, pure=False))
        if self.pool is not None:
            return list(self.pool.map(function, jobs))
        return [function(job) for job in jobs]

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        if self.client is not None:
            self.client.close()


# --------------------------------------------------------------------------
# The calibration

@dataclass
class Calibration:
    """What a calibration found: the last population and how it got there."""

    priors: list[Prior]
    posterior: pd.DataFrame          # one column per path, plus weight
    observed: dict
    budget: int
    simulations: int
    population_size: int
    epsilons: list[float]
    seed: int

    def parameters(self) -> dict:
        """PATH -> {median, low, high}: weighted quantiles of the last population."""
        from pyabc.weighted_statistics import weighted_quantile

        tail = (1 - INTERVAL) / 2
        weights = self.posterior["weight"].to_numpy()
        found = {}
        for prior in self.priors:
            points = self.posterior[prior.path].to_numpy()
            found[prior.path] = {name: prior.value(weighted_quantile(points, weights, alpha=alpha))
                                 for name, alpha in (("median", 0.5), ("low", tail), ("high", 1 - tail))}
        return found

    def medians(self) -> dict:
        return {path: values["median"] for path, values in self.parameters().items()}


def calibrate(simulator: Simulator, observed: dict, *, budget: int, seed: int, workers: int = 1,
              scheduler: str | None = None, progress: bool = False) -> Calibration:
    """Run ABC-SMC within ``budget`` simulations; the last finished population is the posterior."""
    import logging

    import pyabc
    from tqdm import tqdm

    for name in ("ABC", "pyabc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    priors = simulator.priors
    size = min(POPULATION, budget // 8)
    prior = pyabc.Distribution(**{p.name: p.distribution() for p in priors})
    bar = tqdm(total=budget, unit="sim", desc="calibrating", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)

    def advance(t: int, count: int) -> None:
        bar.set_description("prior sample" if t < 0 else f"population {t}")
        bar.update(count)

    np.random.seed(seed % 2**32)
    random.seed(seed)
    with Workers(workers, scheduler) as pool, tempfile.TemporaryDirectory(prefix="sharesim-abc-") as folder:
        sampler = _sampler_class()(pool.map, pool.count, seed, budget, advance)
        abc = pyabc.ABCSMC(simulator, prior, pyabc.AdaptivePNormDistance(p=1), population_size=size,
                           sampler=sampler)
        abc.new(f"sqlite:///{Path(folder) / 'abc.db'}", distance_space(observed))
        try:
            history = abc.run(max_total_nr_simulations=budget)
        finally:
            bar.close()
        if history.max_t < 0:
            raise InputError(f"--budget {budget}: spent before the first population of {size} particles "
                             f"was accepted; give a larger --budget")
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        populations = history.get_all_populations()
        epsilons = [float(e) for t, e in zip(populations["t"], populations["epsilon"]) if t >= 0]
    posterior = pd.DataFrame({p.path: [p.value(v) for v in frame[p.name]] for p in priors})
    posterior["weight"] = np.asarray(weights, dtype=float)
    return Calibration(priors, posterior, observed, budget, sampler.used, size, epsilons, seed)


# --------------------------------------------------------------------------
# Outputs

def calibration_json(result: Calibration, scenario: str, files: dict) -> dict:
    return {
        "scenario": scenario,
        "observed_files": files,
        "parameters": result.parameters(),
        "interval": INTERVAL,
        "priors": {p.path: {"low": p.low, "high": p.high, "scale": "log" if p.log else "linear",
                            "whole_numbers": p.integer} for p in result.priors},
        "budget": result.budget,
        "simulations": result.simulations,
        "population_size": result.population_size,
        "populations": len(result.epsilons),
        "epsilon": result.epsilons,
        "observed_summaries": result.observed,
        "seed": result.seed,
        "method": "ABC-SMC (pyabc), adaptive p-norm distance (p=1), median epsilon",
    }


def plot_posterior(result: Calibration, path: Path) -> None:
    """One panel per parameter: the weighted posterior, its median and 90% interval, the prior range shaded."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found = result.parameters()
    count = len(result.priors)
    fig, axes = plt.subplots(1, count, figsize=(4.5 * count, 3.6), squeeze=False)
    weights = result.posterior["weight"].to_numpy()
    for ax, prior in zip(axes[0], result.priors):
        values = result.posterior[prior.path].to_numpy(dtype=float)
        bins = (np.geomspace(prior.low, prior.high, 31) if prior.log else np.linspace(prior.low, prior.high, 31))
        ax.axvspan(prior.low, prior.high, color="0.92", label="prior range")
        ax.hist(values, bins=bins, weights=weights, density=True, color="tab:blue", alpha=0.75,
                label="posterior")
        marks = found[prior.path]
        ax.axvspan(marks["low"], marks["high"], color="tab:orange", alpha=0.2, label=f"{INTERVAL:.0%} interval")
        ax.axvline(marks["median"], color="tab:red", label=f"median {marks['median']:.3g}")
        if prior.log:
            ax.set_xscale("log")
        ax.set_xlim(prior.low, prior.high)
        ax.set_xlabel(prior.path)
        ax.set_yticks([])
        ax.legend(fontsize=7)
    fig.suptitle(f"posterior after {result.simulations:,} simulations, {len(result.epsilons)} populations "
                 f"of {result.population_size}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def result_table(result: Calibration) -> str:
    from .report import text_table

    found = result.parameters()
    lines = [f"calibrated in {result.simulations:,} simulations (budget {result.budget:,}), "
             f"{len(result.epsilons)} populations of {result.population_size}; final epsilon "
             f"{result.epsilons[-1]:.3g}", ""]
    rows = [[p.path, p.describe(), f"{found[p.path]['median']:.4g}",
             f"[{found[p.path]['low']:.4g}, {found[p.path]['high']:.4g}]"] for p in result.priors]
    lines += text_table(["parameter", "prior", "median", f"{INTERVAL:.0%} interval"], rows)
    return "\n".join(lines)


# --------------------------------------------------------------------------
# The posterior as an input of compare and sweep

@dataclass(frozen=True)
class Posterior:
    """Accepted draws of a calibration: one column per scenario path, and their weights."""

    source: Path
    draws: pd.DataFrame
    weights: np.ndarray

    @property
    def paths(self) -> list[str]:
        return list(self.draws.columns)

    def draw(self, seed: int) -> dict:
        """The draw for replication seed ``seed``: weighted, and the same for every strategy."""
        rng = np.random.default_rng([POSTERIOR_STREAM, int(seed)])
        row = self.draws.iloc[int(rng.choice(len(self.draws), p=self.weights))]
        return {path: _plain(row[path]) for path in self.paths}

    def extremes(self) -> list[dict]:
        """The smallest and the largest value of every column."""
        return [{p: _plain(self.draws[p].min()) for p in self.paths},
                {p: _plain(self.draws[p].max()) for p in self.paths}]


POSTERIOR_STREAM = 0x9057
"""Mixed with a replication's seed to choose its posterior draw, apart from the model's own draws."""


def _plain(value):
    """A NumPy number as the scenario takes it: an int column stays whole."""
    return int(value) if isinstance(value, (int, np.integer)) else float(value)


def load_posterior(path: Path) -> Posterior:
    """Read posterior.csv (columns: scenario paths and ``weight``); errors name the file, line and column."""
    path = Path(path)
    regular_file(path, "posterior file")
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (pd.errors.EmptyDataError, UnicodeDecodeError):
        raise InputError(f"{path}: the file is empty; a posterior.csv has one column per parameter and 'weight'") from None
    except (pd.errors.ParserError, OSError) as error:
        raise InputError(f"{path}: not a readable CSV file ({str(error).splitlines()[0]})") from None
    columns = [c.strip() for c in header]
    if "weight" not in columns:
        raise InputError(f"{path}: line 1: no column 'weight'; a posterior.csv (written by sharesim calibrate) "
                         f"has one column per parameter and 'weight'")
    paths = [c for c in columns if c != "weight"]
    if not paths:
        raise InputError(f"{path}: line 1: no parameter columns besides 'weight'")
    table = read_numbers(path, "posterior file", ("weight", *paths))
    weights = table.pop("weight")
    if weights.sum() <= 0:
        raise InputError(f"{path}: column 'weight': the weights add up to 0")
    draws = pd.DataFrame(table)
    whole = [p for p in paths if np.all(draws[p] == np.round(draws[p]))]
    for p in whole:
        draws[p] = draws[p].astype(np.int64)
    return Posterior(path, draws, weights / weights.sum())


def check_posterior(posterior: Posterior, scenarios: dict[str, dict], source: Path) -> None:
    """Every column must be a path of every strategy's scenario, and no strategy may set it.

    Checked by building each scenario at the smallest and the largest value of
    each column; an unknown path or a value the field does not allow is one line.
    """
    for name, data in scenarios.items():
        for values in posterior.extremes():
            where = f"--posterior {posterior.source}: strategy '{name}'"
            try:
                scenario_from_dict(with_overrides(data, values, where), source=source)
            except InputError as error:
                message = str(error).removeprefix(f"{source}: ")
                raise InputError(f"--posterior {posterior.source}: column {message}") from None
    for path in posterior.paths:
        values = {name: json.dumps(value_at(data, path)) for name, data in scenarios.items()}
        if len(set(values.values())) > 1:
            raise InputError(f"--posterior {posterior.source}: column {path}: the strategies set it to different "
                             f"values, and the posterior would replace them; drop it from the posterior or "
                             f"from the strategies")


# --------------------------------------------------------------------------
# The command

def command_calibrate(args) -> int:
    """``sharesim calibrate SCENARIO --observed POSTS.csv --param PATH=LOW:HIGH ... --out DIR``."""
    from .experiment import cores, scheduler_location
    from .rundir import check_destination, staged_folder

    source = Path(args.scenario)
    base = read_yaml(source, "scenario")
    scenario = scenario_from_dict(base, source=source)
    if args.budget < MIN_BUDGET:
        raise InputError(f"--budget: at least {MIN_BUDGET} simulations (got {args.budget:,})")
    if args.workers < 1:
        raise InputError(f"--workers: must be at least 1 (got {args.workers})")
    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed: must be a whole number >= 0 (got {args.seed})")
    if args.scheduler is not None:
        scheduler_location(args.scheduler)
    priors = parse_priors(args.param, base, source)
    posts = read_posts(args.observed)
    observed = post_summaries(posts["reach"], posts["shares"], posts.get("impressions"))
    if args.followers is not None:
        daily = read_followers(args.followers)
        observed.update(follower_summaries(daily["day"], daily["followers"]))
    check_destination(args.out, force=args.force, kind="calibration")
    workers = args.workers
    if args.scheduler is None and workers > cores():
        print(f"sharesim: --workers {workers}: this machine has {cores()} cores; using {cores()}", file=sys.stderr)
        workers = cores()
    seed = scenario.seed if args.seed is None else args.seed
    simulator = Simulator(base, str(source), priors, seed, impressions="impressions" in posts,
                          followers=args.followers is not None)
    if not args.quiet:
        print(f"{scenario.name}: calibrating {', '.join(p.path for p in priors)} on {args.observed} "
              f"within {args.budget:,} simulations -> {args.out}", file=sys.stderr)
    result = calibrate(simulator, observed, budget=args.budget, seed=seed, workers=workers,
                       scheduler=args.scheduler, progress=not args.quiet)
    files = {"posts": str(args.observed), **({"followers": str(args.followers)} if args.followers else {})}
    calibrated = simulator.scenario({p.name: result.medians()[p.path] for p in priors})
    with staged_folder(args.out, kind="calibration", force=args.force) as staging:
        folder = staging.path
        (folder / "calibration.json").write_text(
            json.dumps(calibration_json(result, str(source), files), indent=2) + "\n", encoding="utf-8")
        result.posterior.to_csv(folder / "posterior.csv", index=False)
        plot_posterior(result, folder / "posterior.png")
        save_scenario(calibrated, folder / "calibrated.yaml")
    if not args.quiet:
        print(result_table(result))
        print(f"\nfolder: {staging.folder}")
    return 0
