"""sharesim's speed and scale, measured side by side with its peers in one run.

Run by hand from the project folder (CI does not run it):

    python benchmarks/run.py            # everything: about 12 minutes on 2 cores
    python benchmarks/run.py --quick    # 10^4 and ego-Facebook only, full model at 10^4: about a minute

It prints tables and writes ``benchmarks/results/{ic_peers,full_model,startup}.json``,
``benchmarks/results/summary.md`` and the plots ``ic_peers.png`` and ``full_model.png``.

1. ``ic``: Independent Cascade on Barabási–Albert graphs (m = 5) and on the
   ego-Facebook graph, 1% random seeds, p = 0.05 and 0.1, run to completion:
   sharesim's preset (:func:`sim.cascade.independent_cascade`) against NDlib,
   cynetdiff, EoN's ``basic_discrete_SIR`` and the plain NumPy frontier below.
   Every library gets the same graph and, in repetition r, the same seeds;
   building the graph or a library's model is not timed, running a cascade
   (setting its seeds included) is; sharesim, the NumPy frontier and
   cynetdiff take turns and each cascade's time is the best of ``BEST_OF``
   (3) runs of the same cascade. Reported: median seconds per cascade,
   edges examined per second (the mean out-degree sum of the activated,
   measured on sharesim's and the NumPy frontier's cascades, which are the same
   process, divided by each library's median time), each library's time as a
   multiple of sharesim's, and the mean activated fraction (a check that all
   ran the same process). NDlib scans every node in Python at every
   iteration: above ``--ndlib-full-up-to`` nodes it runs only the first
   ``--ndlib-iterations`` iterations of each cascade, and its time is
   extrapolated to the cascade's full number of iterations (marked
   ``extrapolated``); later iterations carry larger frontiers, so the
   extrapolation is a lower bound of NDlib's time.
2. ``full``: the full model on powerlaw_cluster graphs of mean degree 10, 14
   days of hourly ticks, one brand followed by 10% posting 3 times a day;
   each population in its own process: graph building, the rest of the
   set-up, the run, wall time per simulated day, writing the run folder as
   ``sharesim run`` does (event log, network, report: the output time),
   exposures and feed items per second, peak RSS (VmHWM, else ``ru_maxrss``);
   and, for comparison, the
   time and memory NetworkX's own generator takes for the same graph.
3. ``startup``: ``sharesim --help`` and a 1,000-person, 7-day ``sharesim run``
   as whole processes.
4. ``simsom`` (not run unless asked: ``--parts simsom --simsom PATH``): the
   full model against SimSoM, OSoMe's limited-attention simulator, on the
   same 10,000-person follower graph at a matched volume; SimSoM is not on
   PyPI and needs two fixes, described in ``benchmarks/simsom.py``. Writes
   ``simsom.json``. Without a usable checkout it stops before any other
   part runs, with exit status 2 and what to do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FACEBOOK = ROOT / "scenarios" / "networks" / "facebook_combined.txt"
sys.path.insert(0, str(ROOT))

from sim.cascade import independent_cascade  # noqa: E402
from sim.network import SocialGraph, holme_kim_ties  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import simsom as simsom_peer  # noqa: E402

LIBRARIES = ("sharesim", "numpy_frontier", "cynetdiff", "eon", "ndlib")
BEST_OF = 3
"""The fast libraries run each cascade (same seeds, same random numbers) this many
times and keep the least time: a busy moment of a shared machine only adds time."""


# --------------------------------------------------------------------------
# The plain NumPy frontier: the baseline every vectorised cascade is held to

def numpy_frontier(indptr: np.ndarray, indices: np.ndarray, seeds: np.ndarray, p: float,
                   rng: np.random.Generator) -> tuple[int, int]:
    """Independent Cascade as the textbook vectorises it: one random draw per tie of the frontier.

    Returns (activated, ties examined).
    """
    active = np.zeros(indptr.size - 1, dtype=bool)
    active[seeds] = True
    frontier = np.asarray(seeds)
    examined = 0
    while frontier.size:
        starts = indptr[frontier]
        degree = indptr[frontier + 1] - starts
        total = int(degree.sum())
        examined += total
        tie = np.repeat(starts - (np.cumsum(degree) - degree), degree) + np.arange(total)
        reached = indices[tie[rng.random(total) < p]]
        frontier = np.unique(reached[~active[reached]])
        active[frontier] = True
    return int(active.sum()), examined


# --------------------------------------------------------------------------
# 1. Independent Cascade against the peers

def ba_graph(n: int, seed: int = 1) -> SocialGraph:
    """A Barabási–Albert graph, m = 5 (sharesim's Holme–Kim growth with no triangles)."""
    import scipy.sparse as sp

    a, b = holme_kim_ties(n, 5, 0.0, np.random.default_rng(seed))
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    matrix = sp.csr_array((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))
    return _social(matrix)


def facebook_graph() -> SocialGraph:
    from sim.edgelist import read_edge_list

    return _social(read_edge_list(FACEBOOK))


def _social(matrix) -> SocialGraph:
    matrix.sort_indices()
    ties = matrix.indices.size
    return SocialGraph(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32),
                       np.zeros(ties, bool), np.zeros(ties, bool))


def _networkx(graph: SocialGraph):
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(graph.size))
    rows = np.repeat(np.arange(graph.size), np.diff(graph.indptr))
    upper = rows < graph.indices
    g.add_edges_from(zip(rows[upper].tolist(), graph.indices[upper].tolist()))
    return g


def _timed(run, best_of: int = 1) -> tuple[float, object]:
    """Seconds that ``run()`` takes (the least of ``best_of`` runs of the same work) and its value."""
    spent = []
    for _ in range(best_of):
        start = time.perf_counter()
        value = run()
        spent.append(time.perf_counter() - start)
    return min(spent), value


def bench_ic(name: str, graph: SocialGraph, p: float, repeats: int, args) -> dict:
    """Every library on one graph and probability; returns the result row."""
    n = graph.size
    seed_sets = [np.sort(np.random.default_rng(1000 + r).choice(n, max(1, n // 100), replace=False))
                 for r in range(repeats)]
    times = {lib: [] for lib in LIBRARIES}
    activated = {lib: [] for lib in LIBRARIES}
    examined, generations = [], []
    extrapolated = False

    model = None
    if "cynetdiff" in args.libraries:
        from cynetdiff.models import IndependentCascadeModel

        model = IndependentCascadeModel(graph.indptr[:-1].astype(np.uint32), graph.indices.astype(np.uint32),
                                        activation_prob=p, rng=7)

    def cynetdiff_cascade(seeds):
        model.set_seeds(seeds.tolist())
        model.advance_until_completion()
        return model.get_num_activated_nodes()

    # The fast ones take turns, so that a busy moment of the machine hits them alike.
    for r, seeds in enumerate(seed_sets):
        t, cascade = _timed(lambda: independent_cascade(graph, seeds, p, np.random.default_rng(r)), BEST_OF)
        times["sharesim"].append(t)
        activated["sharesim"].append(cascade.activated)
        examined.append(cascade.examined)
        generations.append(int(cascade.generation.max()))
        t, (count, ties) = _timed(lambda: numpy_frontier(graph.indptr, graph.indices, seeds, p,
                                                          np.random.default_rng(r)), BEST_OF)
        times["numpy_frontier"].append(t)
        activated["numpy_frontier"].append(count)
        examined.append(ties)
        if model is not None:
            t, count = _timed(lambda: cynetdiff_cascade(seeds), BEST_OF)
            times["cynetdiff"].append(t)
            activated["cynetdiff"].append(count)

    needs_networkx = {"eon", "ndlib"} & set(args.libraries)
    g = _networkx(graph) if needs_networkx else None
    if "eon" in args.libraries and n <= args.eon_up_to:
        import EoN

        for r, seeds in enumerate(seed_sets[:args.slow_repeats]):
            rng = np.random.default_rng(r)
            t, result = _timed(lambda: EoN.basic_discrete_SIR(g, p, initial_infecteds=seeds.tolist(), rng=rng))
            times["eon"].append(t)
            activated["eon"].append(int(result[3][-1]))

    if "ndlib" in args.libraries:
        full = n <= args.ndlib_full_up_to
        for r, seeds in enumerate(seed_sets[:args.slow_repeats]):
            t, count = _ndlib_cascade(g, p, seeds, r, None if full else args.ndlib_iterations,
                                      generations[r] + 1)
            times["ndlib"].append(t)
            if count is not None:
                activated["ndlib"].append(count)
        extrapolated = not full
    del g

    ties_per_cascade = float(np.mean(examined))
    row = {"graph": name, "nodes": n, "ties": int(graph.ties), "p": p, "seeds": int(seed_sets[0].size),
           "repeats": repeats, "edges_examined_per_cascade": ties_per_cascade,
           "mean_generations": float(np.mean(generations)), "libraries": {}}
    base = statistics.median(times["sharesim"])
    for lib in LIBRARIES:
        if not times[lib]:
            continue
        median = statistics.median(times[lib])
        row["libraries"][lib] = {
            "median_seconds": median,
            "runs": len(times[lib]),
            "edges_per_second": ties_per_cascade / median,
            "times_sharesim": median / base,
            "activated_fraction": float(np.mean(activated[lib]) / n) if activated[lib] else None,
            "extrapolated": bool(lib == "ndlib" and extrapolated),
        }
    return row


def _ndlib_cascade(g, p: float, seeds: np.ndarray, r: int, cap: int | None, iterations: int):
    """Time one NDlib cascade (configuration not timed); returns (seconds, activated or None).

    With ``cap``, only the first ``cap`` spreading iterations run, and the
    time is extrapolated to ``iterations`` (the cascade's generations + 1).
    """
    import ndlib.models.ModelConfig as mc
    import ndlib.models.epidemics as ep

    model = ep.IndependentCascadesModel(g, seed=r)
    config = mc.Configuration()
    config.add_model_initial_configuration("Infected", seeds.tolist())
    for edge in g.edges():
        config.add_edge_configuration("threshold", edge, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.set_initial_status(config)
    model.iteration(node_status=False)            # iteration 0 only reports the seeds
    start = time.perf_counter()
    done = 0
    while True:
        counts = model.iteration(node_status=False)["node_count"]
        done += 1
        if counts[1] == 0:
            return time.perf_counter() - start, counts[2]
        if cap is not None and done >= cap:
            spent = time.perf_counter() - start
            return spent / done * max(iterations, done), None


def part_ic(args) -> list[dict]:
    graphs = [(f"barabasi_albert_{n:.0e}".replace("+0", ""), n) for n in args.sizes] + [("ego_facebook", None)]
    rows = []
    for name, n in graphs:
        _, graph = _timed(lambda: facebook_graph() if n is None else ba_graph(n))
        for p in args.probabilities:
            repeats = 3 * args.repeats if graph.size <= 100_000 else args.repeats
            row = bench_ic(name, graph, p, repeats, args)
            rows.append(row)
            _print_ic_row(row)
    return rows


def _print_ic_row(row: dict) -> None:
    print(f"\n{row['graph']}  n={row['nodes']:,}  ties={row['ties']:,}  p={row['p']}  "
          f"seeds={row['seeds']:,}  edges examined per cascade {row['edges_examined_per_cascade']:,.0f}")
    print(f"  {'library':16} {'median s':>10} {'Medges/s':>9} {'x sharesim':>11} {'activated':>10}")
    for lib, v in row["libraries"].items():
        fraction = "" if v["activated_fraction"] is None else f"{v['activated_fraction']:.4f}"
        note = "  (extrapolated)" if v["extrapolated"] else ""
        print(f"  {lib:16} {v['median_seconds']:10.4f} {v['edges_per_second'] / 1e6:9.2f} "
              f"{v['times_sharesim']:11.2f} {fraction:>10}{note}")


# --------------------------------------------------------------------------
# 2. The full model's scale (each population in a child process)

def full_scenario(n: int, days: float):
    from sim.scenario import scenario_from_dict

    return scenario_from_dict({
        "name": f"scale_{n}", "seed": 1, "duration_days": days, "tick_hours": 1,
        "population": {"size": n},
        "network": {"generator": "powerlaw_cluster", "mean_degree": 10},
        "brands": [{"name": "Brand", "followers": 0.1, "campaign": {"posts_per_day": 3}}],
    })


def full_child(n: int, days: float, profile: Path | None = None) -> dict:
    """Run one population and report its figures (called in a fresh process).

    With ``profile``, the run (not the set-up) is profiled with pyinstrument
    and the profile written there as text (the timings then include its overhead).
    """
    import sim.model as model_module
    from sim import metrics
    from sim.feed import Feed
    from sim.runs import RunResult, write_run_folder

    scenario = full_scenario(n, days)
    spent = {"graph": 0.0}
    build = model_module.build_network

    def timed_build(*a, **k):
        start = time.perf_counter()
        graph = build(*a, **k)
        spent["graph"] += time.perf_counter() - start
        return graph

    delivered = [0]
    deliver = Feed.deliver

    def counted_deliver(self, person, *a, **k):
        delivered[0] += np.size(person)
        return deliver(self, person, *a, **k)

    model_module.build_network = timed_build
    Feed.deliver = counted_deliver
    t0 = time.perf_counter()
    model = model_module.SharingModel(scenario)
    t1 = time.perf_counter()
    if profile is None:
        model.run()
    else:
        from pyinstrument import Profiler

        profiler = Profiler()
        with profiler:
            model.run()
        # paths relative to the project: the file is committed, and names no build machine's folders
        profile.write_text(profiler.output_text(unicode=True, color=False).replace(f"{ROOT}/", ""))
    t2 = time.perf_counter()
    summary = metrics.summarize(model.run_log())
    t3 = time.perf_counter()
    exposures = int(model.log.count(0))
    series = model.datacollector.get_model_vars_dataframe().rename_axis("tick").reset_index()
    result = RunResult(scenario=scenario, seed=model.seed, log=model.run_log(), series=series, graph=model.graph)
    t4 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_run_folder(result, Path(folder) / "run")      # everything `sharesim run` writes
    outputs = time.perf_counter() - t4
    return {
        "population": n, "days": days, "ties": int(model.graph.ties),
        "graph_seconds": spent["graph"], "setup_seconds": t1 - t0 - spent["graph"],
        "run_seconds": t2 - t1, "seconds_per_day": (t2 - t1) / days, "results_seconds": t3 - t2,
        "outputs_seconds": outputs,
        "exposures": exposures, "exposures_per_second": exposures / (t2 - t1),
        "feed_items": delivered[0], "feed_items_per_second": delivered[0] / (t2 - t1),
        "reach": summary["reach"], "shares": summary["shares"],
        "peak_rss_mb": peak_rss_mb(),
    }


def networkx_child(n: int) -> dict:
    """NetworkX's own powerlaw_cluster graph of ``n`` people, as sharesim built it before
    large graphs were grown with NumPy (called in a fresh process)."""
    import networkx as nx

    start = time.perf_counter()
    graph = nx.powerlaw_cluster_graph(n, 5, 0.3, seed=1)
    nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr", dtype=np.int8)
    return {"population": n, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's VmHWM, which starts afresh at exec; ``ru_maxrss`` would carry
    over the peak of the benchmark process that forked this one.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_full(args) -> list[dict]:
    rows = []
    for n in args.full_sizes:
        command = [sys.executable, __file__, "--child-full", str(n), "--days", str(args.days)]
        out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            raise SystemExit(f"full model at {n} failed")
        row = json.loads(out.stdout.strip().splitlines()[-1])
        if n <= args.networkx_up_to:
            out = subprocess.run([sys.executable, __file__, "--child-networkx", str(n)],
                                 capture_output=True, text=True, cwd=ROOT, check=True)
            theirs = json.loads(out.stdout.strip().splitlines()[-1])
            row["networkx_graph_seconds"], row["networkx_graph_peak_rss_mb"] = theirs["seconds"], theirs["peak_rss_mb"]
        rows.append(row)
        print(f"full model n={n:>9,}: graph {row['graph_seconds']:7.2f} s, set-up {row['setup_seconds']:6.2f} s, "
              f"{row['seconds_per_day']:7.3f} s per simulated day, outputs {row['outputs_seconds']:6.2f} s, "
              f"{row['exposures_per_second'] / 1e6:6.3f} M "
              f"exposures/s, {row['feed_items_per_second'] / 1e6:6.2f} M feed items/s, "
              f"peak RSS {row['peak_rss_mb']:,.0f} MB")
        if "networkx_graph_seconds" in row:
            print(f"  the same graph by NetworkX's generator: {row['networkx_graph_seconds']:.2f} s, "
                  f"peak RSS {row['networkx_graph_peak_rss_mb']:,.0f} MB")
    if args.profile:
        n = max(args.full_sizes)
        profile = args.out / f"profile_full_model_{n}.txt"
        subprocess.run([sys.executable, __file__, "--child-full", str(n), "--days", str(args.days),
                        "--profile-to", str(profile)], capture_output=True, text=True, cwd=ROOT, check=True)
        print(f"  profile of the full model's run at {n:,} people: {profile}")
    sizes = np.array([r["population"] for r in rows], dtype=float)
    if sizes.size > 1:
        for key in ("seconds_per_day", "peak_rss_mb", "graph_seconds"):
            slope = np.polyfit(np.log10(sizes), np.log10([r[key] for r in rows]), 1)[0]
            print(f"  growth of {key} with population: exponent {slope:.2f} (1 = linear)")
    return rows


# --------------------------------------------------------------------------
# 3. Start-up, as whole processes

def part_startup(args) -> dict:
    sharesim = [sys.executable, "-m", "sim"]
    helps = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(sharesim + ["--help"], capture_output=True, check=True, cwd=ROOT)
        helps.append(time.perf_counter() - start)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "startup.yaml"
        scenario.write_text("name: startup\nduration_days: 7\npopulation: {size: 1000}\nbrands: [{name: Acme}]\n")
        for k in range(3):
            start = time.perf_counter()
            subprocess.run(sharesim + ["run", str(scenario), "--out", str(Path(tmp) / f"run{k}"), "--quiet"],
                           capture_output=True, check=True, cwd=ROOT)
            runs.append(time.perf_counter() - start)
    loads = [_load_model(ROOT) for _ in range(3)]
    with tempfile.TemporaryDirectory() as tmp:                 # a fresh copy: its loops compile first
        shutil.copytree(ROOT / "sim", Path(tmp) / "sim", ignore=shutil.ignore_patterns("__pycache__"))
        compiling = _load_model(Path(tmp))
    result = {"help_seconds": statistics.median(helps), "run_1000_7days_seconds": statistics.median(runs),
              "help_all": helps, "run_all": runs,
              "model_import_seconds": statistics.median(s for s, _ in loads),
              "model_import_mb": statistics.median(mb for _, mb in loads),
              "first_import_seconds": compiling[0]}
    print(f"sharesim --help: {result['help_seconds']:.3f} s (median of 5); "
          f"1,000 people, 7 days, whole process: {result['run_1000_7days_seconds']:.2f} s (median of 3); "
          f"importing the model and its compiled loops: {result['model_import_seconds']:.2f} s, "
          f"{result['model_import_mb']:.0f} MB (first, compiling: {result['first_import_seconds']:.1f} s)")
    return result


_LOAD_MODEL = """
import re, time, pathlib
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", pathlib.Path("/proc/self/status").read_text()).group(1)) / 1024
import numpy, scipy.special, pandas, networkx, mesa, matplotlib
before, start = rss(), time.perf_counter()
import sim.model, sim.analysis, sim.runs
print(time.perf_counter() - start, rss() - before)
"""


def _load_model(folder: Path) -> tuple[float, float]:
    """Seconds and MB of importing sharesim's model, analyses and their compiled loops (numba's runtime
    with them) in a new process that already has the libraries they stand on (from ``folder``'s sim/)."""
    done = subprocess.run([sys.executable, "-c", _LOAD_MODEL], capture_output=True, text=True, check=True,
                          cwd=folder, env={**os.environ, "PYTHONPATH": str(folder)})
    seconds, mb = map(float, done.stdout.split())
    return seconds, mb


# --------------------------------------------------------------------------
# Targets, tables and plots

def targets(ic: list[dict], full: list[dict], startup: dict | None) -> list[dict]:
    """Each target of issue 3 (and of the ten-million-people issue), measured, with whether it is met."""
    checks = []
    if ic:
        largest = max(r["nodes"] for r in ic if r["graph"].startswith("barabasi"))
        for row in ic:
            libs = row["libraries"]
            label = f"{row['graph']} p={row['p']}"
            ratio = libs["sharesim"]["median_seconds"] / libs["numpy_frontier"]["median_seconds"]
            checks.append({"target": f"within 2x of the NumPy frontier ({label})",
                           "measured": f"{ratio:.2f}x its time", "met": ratio <= 2.0})
            if row["nodes"] == largest >= 1_000_000 and row["graph"].startswith("barabasi"):
                if "ndlib" in libs:
                    x = libs["ndlib"]["times_sharesim"]
                    checks.append({"target": f">= 100x faster than NDlib ({label})",
                                   "measured": f"{x:,.0f}x" + (" (NDlib extrapolated)" if libs["ndlib"]["extrapolated"] else ""),
                                   "met": x >= 100})
                if "cynetdiff" in libs:
                    x = libs["cynetdiff"]["times_sharesim"]
                    checks.append({"target": f"faster than cynetdiff ({label})", "measured": f"{x:.2f}x",
                                   "met": x > 1.0})
    if full and ic:
        frontier = [r for r in ic if r["nodes"] == max(x["nodes"] for x in ic)]
        rate = max(r["libraries"]["numpy_frontier"]["edges_per_second"] for r in frontier)
        top = max(full, key=lambda r: r["population"])
        share = top["exposures_per_second"] / rate
        checks.append({"target": f"full model exposures/s >= 1/4 of the NumPy frontier's edges/s "
                                 f"(n={top['population']:,})",
                       "measured": f"{share:.4f} ({top['exposures_per_second'] / 1e6:.3f} M vs {rate / 1e6:.1f} M); "
                                   f"feed items {top['feed_items_per_second'] / rate:.3f}",
                       "met": share >= 0.25})
    if len(full) > 1:
        sizes = np.log10([r["population"] for r in full])
        slope = np.polyfit(sizes, np.log10([r["seconds_per_day"] for r in full]), 1)[0]
        checks.append({"target": "time per simulated day grows no faster than linearly",
                       "measured": f"log-log slope {slope:.2f}", "met": slope <= 1.05})
    for row in full:
        if row["population"] >= 1_000_000:
            budget = 4096 if row["population"] < 10_000_000 else 12 * 1024
            checks.append({"target": f"{row['population']:,} people, {row['days']:g} days in {budget // 1024} GB",
                           "measured": f"peak RSS {row['peak_rss_mb']:,.0f} MB", "met": row["peak_rss_mb"] <= budget})
        if row["population"] >= 1_000_000 and "outputs_seconds" in row:
            setup = row["graph_seconds"] + row["setup_seconds"]
            checks.append({"target": f"writing the run folder no slower than the set-up ({row['population']:,} people)",
                           "measured": f"{row['outputs_seconds']:.1f} s vs {setup:.1f} s", "met": row["outputs_seconds"] <= setup})
    if startup:
        checks.append({"target": "sharesim --help under 0.5 s", "measured": f"{startup['help_seconds']:.3f} s",
                       "met": startup["help_seconds"] < 0.5})
    return checks


def markdown(ic: list[dict], full: list[dict], startup: dict | None, checks: list[dict], machine: dict,
             simsom: dict | None = None) -> str:
    lines = [f"# sharesim benchmarks ({machine['when']}, {machine['cpus']} cores, Python {machine['python']})", ""]
    if ic:
        lines += ["## Independent Cascade: median seconds per cascade (time as a multiple of sharesim's)", "",
                  "| graph | nodes | p | sharesim | NumPy frontier | cynetdiff | EoN | NDlib |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for row in ic:
            cells = []
            for lib in LIBRARIES:
                v = row["libraries"].get(lib)
                if v is None:
                    cells.append("–")
                elif lib == "sharesim":
                    cells.append(f"{v['median_seconds']:.4f} s ({v['edges_per_second'] / 1e6:.0f} M edges/s)")
                else:
                    mark = "*" if v["extrapolated"] else ""
                    cells.append(f"{v['median_seconds']:.4g} s{mark} ({v['times_sharesim']:.3g}x)")
            lines.append(f"| {row['graph']} | {row['nodes']:,} | {row['p']} | " + " | ".join(cells) + " |")
        lines += ["", "\\* extrapolated from the first iterations (a lower bound of NDlib's time).", ""]
    if full:
        lines += ["## Full model: powerlaw_cluster, mean degree 10, hourly ticks, 10% followers, 3 posts a day", "",
                  "| people | days | graph build s | (NetworkX's: s, MB) | other set-up s | s per simulated day | "
                  "outputs s | exposures/s | feed items/s | peak RSS MB |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in full:
            theirs = (f"{r['networkx_graph_seconds']:.1f} s, {r['networkx_graph_peak_rss_mb']:,.0f} MB"
                      if "networkx_graph_seconds" in r else "–")
            lines.append(f"| {r['population']:,} | {r['days']:g} | {r['graph_seconds']:.2f} | {theirs} | {r['setup_seconds']:.2f} | "
                         f"{r['seconds_per_day']:.3f} | {r.get('outputs_seconds', float('nan')):.2f} | "
                         f"{r['exposures_per_second']:,.0f} | "
                         f"{r['feed_items_per_second']:,.0f} | {r['peak_rss_mb']:,.0f} |")
        lines.append("")
    if startup:
        lines += ["## Start-up (whole processes)", "",
                  f"- `sharesim --help`: {startup['help_seconds']:.3f} s",
                  f"- `sharesim run` of 1,000 people for 7 days: {startup['run_1000_7days_seconds']:.2f} s", ""]
    if simsom:
        lines += simsom_peer.markdown(simsom)
    if checks:
        lines += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
        lines += [f"| {c['target']} | {c['measured']} | {'yes' if c['met'] else '**no**'} |" for c in checks]
    return "\n".join(lines) + "\n"


def plots(ic: list[dict], full: list[dict], folder: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if ic:
        fig = Figure(figsize=(10, 4.5), layout="constrained")
        FigureCanvasAgg(fig)
        for axes, p in zip(fig.subplots(1, 2, sharey=True), sorted({r["p"] for r in ic})):
            rows = sorted((r for r in ic if r["p"] == p and r["graph"].startswith("barabasi")), key=lambda r: r["nodes"])
            for lib in LIBRARIES:
                points = [(r["nodes"], r["libraries"][lib]["median_seconds"]) for r in rows if lib in r["libraries"]]
                if points:
                    axes.plot(*zip(*points), marker="o", label=lib)
            axes.set_xscale("log")
            axes.set_yscale("log")
            axes.set_title(f"Independent Cascade on Barabási–Albert (m=5), p={p}")
            axes.set_xlabel("nodes")
            axes.grid(which="both", alpha=0.3)
        axes.legend()
        fig.axes[0].set_ylabel("median seconds per cascade")
        fig.savefig(folder / "ic_peers.png", dpi=110)
    if full:
        fig = Figure(figsize=(10, 4.5), layout="constrained")
        FigureCanvasAgg(fig)
        n = [r["population"] for r in full]
        left, right = fig.subplots(1, 2)
        left.plot(n, [r["seconds_per_day"] for r in full], marker="o", label="seconds per simulated day")
        left.plot(n, [r["graph_seconds"] for r in full], marker="s", label="graph building (s)")
        left.plot(n, [r["setup_seconds"] for r in full], marker="^", label="other set-up (s)")
        first = full[0]["seconds_per_day"]
        left.plot(n, [first * k / n[0] for k in n], linestyle="--", color="gray", label="linear growth")
        right.plot(n, [r["peak_rss_mb"] for r in full], marker="o", color="tab:red", label="peak RSS (MB)")
        right.plot(n, [r["exposures_per_second"] for r in full], marker="s", color="tab:green", label="exposures per second")
        for axes in (left, right):
            axes.set_xscale("log")
            axes.set_yscale("log")
            axes.set_xlabel("people")
            axes.grid(which="both", alpha=0.3)
            axes.legend()
        left.set_title("Full model: time against population")
        right.set_title("Memory and throughput against population")
        fig.savefig(folder / "full_model.png", dpi=110)


def _earlier(folder: Path, name: str):
    path = folder / f"{name}.json"
    return json.loads(path.read_text())["results"] if path.is_file() else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only, a minute or so")
    parser.add_argument("--parts", default="ic,full,startup",
                        help="comma-separated: ic, full, startup, simsom (simsom needs --simsom PATH)")
    parser.add_argument("--sizes", type=lambda s: [int(float(x)) for x in s.split(",")], default=[10**4, 10**5, 10**6],
                        help="Barabási–Albert sizes for the cascade benchmark (default 1e4,1e5,1e6)")
    parser.add_argument("--full-sizes", type=lambda s: [int(float(x)) for x in s.split(",")],
                        default=[10**4, 10**5, 10**6], help="full-model populations (default 1e4,1e5,1e6)")
    parser.add_argument("--days", type=float, default=14.0, help="simulated days of the full model (default 14)")
    parser.add_argument("--probabilities", type=lambda s: [float(x) for x in s.split(",")], default=[0.05, 0.1])
    parser.add_argument("--repeats", type=int, default=7,
                        help="cascades per library and case on 10^6 nodes; three times as many on smaller graphs (default 7)")
    parser.add_argument("--slow-repeats", type=int, default=3, help="cascades for NDlib and EoN (default 3)")
    parser.add_argument("--libraries", default=",".join(LIBRARIES), help="peers to run (sharesim and the NumPy frontier always run)")
    parser.add_argument("--ndlib-full-up-to", type=int, default=100_000, help="largest graph NDlib runs to completion")
    parser.add_argument("--ndlib-iterations", type=int, default=2, help="NDlib iterations timed on larger graphs")
    parser.add_argument("--eon-up-to", type=int, default=10**6, help="largest graph EoN runs on")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default benchmarks/results)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the largest full-model run (pyinstrument) into the results folder")
    parser.add_argument("--networkx-up-to", type=int, default=10**6,
                        help="also time NetworkX's powerlaw_cluster generator up to this size (default 1e6)")
    simsom_peer.add_arguments(parser)
    parser.add_argument("--child-full", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-networkx", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_networkx:
        print(json.dumps(networkx_child(args.child_networkx)))
        return 0
    if args.child_full:
        print(json.dumps(full_child(args.child_full, args.days, args.profile_to)))
        return 0
    if args.quick:
        args.sizes, args.full_sizes, args.repeats = [10**4], [10**4], 5
    args.libraries = set(args.libraries.split(","))
    parts = set(args.parts.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    machine = {"when": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "python": platform.python_version(),
               "machine": platform.machine()}

    simsom = None
    if "simsom" in parts:                 # first: a missing or unfixed SimSoM stops the run before hours of work
        try:
            simsom = simsom_peer.compare(simsom_peer.comparison_args(args))
        except simsom_peer.SimSoMMissing as error:
            print(f"simsom: {error}", file=sys.stderr)
            return simsom_peer.MISSING
    ic = part_ic(args) if "ic" in parts else []
    full = part_full(args) if "full" in parts else []
    startup = part_startup(args) if "startup" in parts else None
    for name, data in (("ic_peers", ic), ("full_model", full), ("startup", startup), ("simsom", simsom)):
        if data:
            (args.out / f"{name}.json").write_text(json.dumps({"machine": machine, "results": data}, indent=2) + "\n")
    # parts not run this time: summary.md keeps their last results (from the JSON files beside it)
    ic = ic or _earlier(args.out, "ic_peers") or []
    full = full or _earlier(args.out, "full_model") or []
    startup = startup or _earlier(args.out, "startup")
    simsom = simsom or _earlier(args.out, "simsom")
    checks = targets(ic, full, startup)
    (args.out / "summary.md").write_text(markdown(ic, full, startup, checks, machine, simsom))
    plots(ic, full, args.out)
    print("\nTargets:")
    for c in checks:
        print(f"  [{'met' if c['met'] else 'MISSED'}] {c['target']}: {c['measured']}")
    print(f"\nwritten: {args.out}/summary.md and the json and png files beside it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
