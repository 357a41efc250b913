"""Where a big ``sharesim run`` spends its time: set-up, the run, and writing the run folder.

Run by hand from the project folder (CI does not run it):

    python benchmarks/scale.py --size 1000000              # this tree's code (--save: keep the JSON
                                                           # in benchmarks/results/scale_<size>.json)
    python benchmarks/scale.py --size 1000000 --tree DIR   # another checkout's code (e.g. a worktree of
                                                           # the branch point), for ratios in one session
                                                           # (--save: scale_<size>_before.json)
    python benchmarks/scale.py --size 1000000 --days 14    # the issue's 14-day run (per delivered item;
                                                           # --save: scale_<size>_14days[_before].json)
    python benchmarks/scale.py --size 1000000 --against DIR --pairs 3 --save
                                                           # both trees, one process each, interleaved
                                                           # (order alternating); saves the medians, and
                                                           # each pair's figures beside them

README's before/after ratios and its 10^7 figures are written from the saved files by
``python benchmarks/readme.py``.

One process per call, the scenario of the issue (``duration_days: 2``, one
brand followed by 10%, the default network). Prints one JSON line: seconds
for the graph, the rest of the set-up (Person agents apart), the run (the model's
ticks and the run's tables for the outputs: ``simulate`` less the set-up), every
part of writing the run folder (event log, network.npz, metrics, report,
follower distances, checksums), the feed items delivered, nanoseconds per
delivered item (wall clock, and CPU time of the process), the peak RSS (VmHWM) and, when the tree has one, the cost
estimate of the peak (``sim.cost.memory_needed``) and the machine (:func:`machine`: its
processor and how fast its memory answers a random access). The machine is shared: compare
ratios between trees measured in the same session, not absolute seconds, and not ratios
taken on different machines.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def scenario_of(size: int, days: float):
    from sim.scenario import scenario_from_dict

    return scenario_from_dict({"name": "big", "duration_days": days, "population": {"size": size},
                               "brands": [{"name": "Acme", "followers": 0.1, "topic": "tech"}]})


def timed(spent: dict, key: str, module, name: str) -> None:
    """Replace ``module.name`` by a wrapper that adds its seconds to ``spent[key]``.

    An older tree may not have the part: it is then not timed (its key stays 0).
    """
    spent.setdefault(key, 0.0)
    original = getattr(module, name, None)
    if original is None:
        return

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def peak_rss_mb() -> float:
    return int(re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) / 1024


def measure(size: int, days: float, tree: Path = ROOT) -> dict:
    import numpy as np

    import sim.model as model_module
    from sim import events, feed

    def optional(name):
        try:
            return importlib.import_module(name)
        except ImportError:
            return None

    analysis, rundir = optional("sim.analysis"), optional("sim.rundir")
    from sim.runs import simulate, write_run_folder

    spent: dict[str, float] = {}
    timed(spent, "graph", model_module, "build_network")
    if hasattr(model_module.SharingModel, "_make_agents"):
        timed(spent, "agents", model_module.SharingModel, "_make_agents")
    else:                               # the code before issue 16 made people with create_agents
        agents = importlib.import_module("sim.agents")
        original_create = agents.Person.create_agents.__func__

        def create_agents(cls, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original_create(cls, *args, **kwargs)
            finally:
                spent["agents"] = spent.get("agents", 0.0) + time.perf_counter() - start

        agents.Person.create_agents = classmethod(create_agents)
    timed(spent, "events_file", events.RunLog, "save")
    if rundir is not None:
        timed(spent, "network_file", rundir, "write_network")
    if analysis is not None:
        timed(spent, "measure", analysis, "measure")
        timed(spent, "follower_distance", analysis, "follower_distance")
    timed(spent, "checksums", importlib.import_module("sim.runs"), "record_files")
    report = importlib.import_module("sim.report")
    timed(spent, "report", report, "write_report")
    delivered = [0]
    deliver = feed.Feed.deliver

    def counted(self, person, *a, **k):
        delivered[0] += int(np.size(person))
        return deliver(self, person, *a, **k)

    feed.Feed.deliver = counted
    scenario = scenario_of(size, days)
    cost = optional("sim.cost")        # only the timed tree's own estimate (older trees have none)
    ours = cost is not None and Path(cost.__file__).resolve().is_relative_to(tree.resolve())
    estimate = cost.memory_needed(scenario) / 2**20 if ours else None
    built = []
    original_init = model_module.SharingModel.__init__

    def init(self, *a, **k):
        start, cpu = time.perf_counter(), time.process_time()
        original_init(self, *a, **k)
        built.append((time.perf_counter() - start, time.process_time() - cpu))

    model_module.SharingModel.__init__ = init
    start, cpu = time.perf_counter(), time.process_time()
    result = simulate(scenario)
    simulated, simulated_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_run_folder(result, Path(folder) / "run")
        files = {p.name: p.stat().st_size for p in (Path(folder) / "run").iterdir()}
    outputs = time.perf_counter() - start
    setup, setup_cpu = built[0]
    run, run_cpu = simulated - setup, simulated_cpu - setup_cpu
    return {"population": size, "days": days, "setup_seconds": setup, "graph_seconds": spent["graph"],
            "agents_seconds": spent["agents"], "run_seconds": run, "outputs_seconds": outputs,
            "outputs_over_run": outputs / run, "outputs_over_setup": outputs / setup,
            "parts": {k: round(v, 3) for k, v in spent.items()},
            "delivered": delivered[0], "ns_per_delivered": 1e9 * run / max(delivered[0], 1),
            "run_cpu_seconds": run_cpu, "ns_cpu_per_delivered": 1e9 * run_cpu / max(delivered[0], 1),
            "events": len(result.log.events), "files": files, "peak_rss_mb": peak_rss_mb(),
            "estimated_peak_mb": estimate}


def machine() -> dict:
    """The machine a saved figure comes from: its processor, its cores, and how long one random
    access into memory far larger than the caches takes (ns per element of a NumPy scatter-add of
    10^7 random indices into 80 MB, median of 3).

    Per-item figures follow that last number: the model's loops visit scattered people, while the
    code before the ten-million-people work spent more of its time in the interpreter, so the
    before/after ratio is larger on a machine whose memory answers faster. Compare ratios taken
    on one machine, and say which.
    """
    import os
    import platform
    import statistics

    import numpy as np

    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:                                   # not Linux
        cpuinfo = []
    names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    model = names[0] if names else platform.processor() or platform.machine()
    where = np.random.default_rng(0).integers(0, 10**7, 10**7)
    counts = np.zeros(10**7)
    spent = []
    for _ in range(3):
        start = time.perf_counter()
        counts[where] += 1.0
        spent.append(time.perf_counter() - start)
    return {"processor": model, "cores": os.cpu_count(),
            "random_access_ns": round(1e9 * statistics.median(spent) / where.size, 1)}


def tree_label(tree: Path) -> str:
    """The timed code, named by its commit (a saved file names no folder of the machine that made it)."""
    import subprocess

    commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    which = "this checkout" if tree.resolve() == ROOT else "another checkout"
    return f"{which}, commit {commit}" if commit else which


MEDIAN_FIELDS = ("setup_seconds", "graph_seconds", "agents_seconds", "run_seconds", "outputs_seconds",
                 "outputs_over_run", "outputs_over_setup", "ns_per_delivered", "run_cpu_seconds",
                 "ns_cpu_per_delivered", "peak_rss_mb")


def one_process(size: int, days: float, tree: Path) -> dict:
    """:func:`measure` in a fresh process (nothing imported or cached from another tree's run)."""
    import subprocess

    done = subprocess.run([sys.executable, __file__, "--size", str(size), "--days", str(days), "--tree", str(tree)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def interleaved(size: int, days: float, against: Path, pairs: int) -> tuple[dict, dict]:
    """``pairs`` runs of each tree, alternating which goes first; per tree, the median of each
    figure (:data:`MEDIAN_FIELDS`), with every run's figures kept under ``runs``."""
    import statistics

    runs: dict[str, list[dict]] = {"now": [], "before": []}
    for i in range(pairs):
        order = [("before", against), ("now", ROOT)]
        for name, tree in order if i % 2 == 0 else order[::-1]:
            runs[name].append(one_process(size, days, tree))
            print(f"pair {i + 1} {name}: {runs[name][-1]['ns_per_delivered']:.0f} ns per item, outputs "
                  f"{runs[name][-1]['outputs_over_setup']:.2f}x the set-up", file=sys.stderr)
    summary = {}
    for name, rows in runs.items():
        row = dict(rows[-1])
        row.update({field: statistics.median(r[field] for r in rows) for field in MEDIAN_FIELDS})
        row["runs"] = [{field: r[field] for field in MEDIAN_FIELDS} for r in rows]
        row["median_of"] = len(rows)
        summary[name] = row
    return summary["now"], summary["before"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--days", type=float, default=2.0)
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose sim/ to time (default: this one)")
    parser.add_argument("--against", type=Path, help="another checkout: time both, interleaved (with --pairs)")
    parser.add_argument("--pairs", type=int, default=3, help="runs of each tree with --against (default 3)")
    parser.add_argument("--save", action="store_true", help="also write benchmarks/results/scale_<size>.json "
                        "(scale_<size>_before.json for another --tree: the 'before' of README's ratios)")
    args = parser.parse_args()
    days = "" if args.days == 2 else f"_{args.days:g}days"
    if args.against is not None:
        now, before = interleaved(args.size, args.days, args.against, args.pairs)
        now["machine"] = before["machine"] = machine()
        print(json.dumps({"now": now, "before": before}))
        if args.save:
            for suffix, row in (("", now), ("_before", before)):
                (ROOT / "benchmarks" / "results" / f"scale_{args.size}{days}{suffix}.json").write_text(
                    json.dumps(row, indent=2) + "\n")
        return
    sys.path.insert(0, str(args.tree.resolve()))
    row = measure(args.size, args.days, args.tree)
    row["tree"] = tree_label(args.tree)
    row["when"] = time.strftime("%Y-%m-%d %H:%M")
    row["machine"] = machine()
    print(json.dumps(row))
    if args.save:
        before = "" if args.tree.resolve() == ROOT else "_before"
        (ROOT / "benchmarks" / "results" / f"scale_{args.size}{days}{before}.json").write_text(
            json.dumps(row, indent=2) + "\n")


if __name__ == "__main__":
    main()
