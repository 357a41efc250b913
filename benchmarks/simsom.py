"""sharesim against SimSoM, OSoMe's limited-attention social media simulator, in one run.

SimSoM (github.com/osome-iu/SimSoM, Truong, Lou, Flammini and Menczer) is
the closest published peer of sharesim's full model: agents with a feed of
limited length (``alpha`` messages) post or reshare one message per time
step into their followers' feeds. It is not on PyPI; give a checkout:

    python benchmarks/run.py --parts simsom --simsom ~/src/SimSoM \\
        [--simsom-as-shipped ~/src/SimSoM-unfixed]

(or ``python benchmarks/simsom.py --simsom ~/src/SimSoM``, which writes the
same JSON but leaves summary.md alone). It needs python-igraph (``pip
install igraph``); CI does not run it and the project does not depend on it.

Two changes make SimSoM (``libs/simsom``) runnable here; apply them to your
checkout by hand (neither is copied into this repository):

1. **Python 3.11** (needed to run at all): ``remove_illegal_kwargs`` in
   ``libs/simsom/utils.py``, which SimSoM's driver
   (``workflow/scripts/driver.py``) uses to filter its config before
   building ``SimSom``, calls ``inspect.getargspec``, removed in Python
   3.11. Change that one call to ``inspect.getfullargspec`` (same ``.args``).
   The benchmark builds ``SimSom`` through that same filter.
2. **A follower index** (needed to finish in minutes): in
   ``SimSom.user_step`` (``libs/simsom/model.py``) each agent's followers
   are found by ``network.predecessors(agent)`` and then a list
   comprehension over *every* vertex of the graph that keeps those whose
   index is in that list: each action costs a Python pass over the whole
   population, so a time step costs O(N^2) (about 70 s per step at 10^4
   agents). The fix computes, once in ``SimSom.__init__`` after the graph is
   read, ``self.follower_index = [network.vs[network.predecessors(v)]["uid"]
   for v in network.vs]`` and replaces those two statements in
   ``user_step`` by ``follower_uids = self.follower_index[agent.index]``.
   Nothing else changes: same followers, same order, same random draws.

What is compared (each run in its own process, the two models taking turns,
median of ``--repeats`` runs):

- **The graph**: one directed follower graph built once by sharesim's own
  generator (powerlaw_cluster, ``--people`` people, mean degree 10, seed 1;
  every tie both ways), written as an edge list for sharesim (``a b``: b
  sees what a shares) and as GML for SimSoM (edge follower -> friend, as
  SimSoM reads it, vertex attributes ``uid`` and ``bot`` = 0). Building and
  reading it are not timed.
- **SimSoM**: ``--steps`` time steps of its loop (``simulation()``'s
  body: ``simulation_step`` then ``update_quality``) with ``mu`` 0.5,
  ``alpha`` 15, one thread (its ThreadPoolExecutor runs Python code under
  the GIL: more threads only add overhead); its convergence test is left
  out so both sides do a fixed volume. Actions: agent turns (each posts or
  reshares one message). Feed insertions: the (follower, message) requests
  those turns make, counted from ``user_step``'s return value.
- **sharesim**: the full model (:class:`sim.model.SharingModel`) on the same
  graph, hourly ticks, ``--days`` days, ``BRANDS`` brands each followed by
  half the people posting ``POSTS_PER_DAY`` times a day, every motivation
  sharing with probability ``SHARE_PROBABILITY``. Actions: its log's events
  (exposures, shares, follows, unfollows, blindness). Feed insertions:
  items handed to :meth:`sim.feed.Feed.deliver` (brand posts and shares).

Reported: seconds (the run, not set-up), actions, feed insertions, feed
insertions per second, and sharesim's rate as a multiple of SimSoM's. SimSoM
as shipped (without the follower index, ``--simsom-as-shipped``) takes
minutes per time step, so it runs ``--as-shipped-steps`` steps once on the
same graph.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

MISSING = 2
"""Exit status when SimSoM or igraph is missing or unfixed (a usage error, not a failure)."""

BRANDS = 10
POSTS_PER_DAY = 24.0
SHARE_PROBABILITY = 0.5
"""sharesim's volume knobs, chosen so its actions and feed insertions match SimSoM's
54 steps on 10,000 people (about 540 k actions and 5-7 M feed insertions)."""

MOTIVATIONS = ("altruist", "selective", "passionate", "social", "trendsetter", "provocateur", "careerist")


class SimSoMMissing(Exception):
    """SimSoM cannot be run from the given path; the message says what to do."""


# --------------------------------------------------------------------------
# The shared graph

def write_graph(people: int, folder: Path) -> dict:
    """Build the follower graph once; write it for both models. Returns the file paths and sizes."""
    import igraph as ig

    from sim.network import build_network
    from sim.scenario import Network

    graph = build_network(Network(generator="powerlaw_cluster", mean_degree=10), people,
                          np.random.default_rng(1))
    sharer = np.repeat(np.arange(graph.size), np.diff(graph.indptr))
    seer = graph.indices
    edges = folder / "graph.edges"
    np.savetxt(edges, np.column_stack([sharer, seer]), fmt="%d")
    follower_graph = ig.Graph(n=graph.size, edges=np.column_stack([seer, sharer]).tolist(), directed=True)
    follower_graph.vs["uid"] = [str(i) for i in range(graph.size)]
    follower_graph.vs["bot"] = [0] * graph.size
    gml = folder / "graph.gml"
    follower_graph.write_gml(str(gml))
    return {"edges": str(edges), "gml": str(gml), "people": graph.size, "ties": int(graph.ties)}


# --------------------------------------------------------------------------
# SimSoM

def import_simsom(checkout: Path):
    """SimSoM's ``SimSom`` class and ``utils`` module from a checkout, or SimSoMMissing saying why not."""
    package = checkout / "libs"
    if not (package / "simsom" / "model.py").is_file():
        raise SimSoMMissing(
            f"no SimSoM checkout at {checkout} (expected {package / 'simsom' / 'model.py'}): "
            "git clone https://github.com/osome-iu/SimSoM and apply the two fixes in "
            "benchmarks/simsom.py's docstring, then pass --simsom PATH")
    try:
        import igraph  # noqa: F401
    except ImportError:
        raise SimSoMMissing("SimSoM needs python-igraph: pip install igraph") from None
    sys.path.insert(0, str(package))
    from simsom import SimSom, utils

    return SimSom, utils


def simsom_child(checkout: Path, gml: str, steps: int, need_index: bool) -> dict:
    """Run ``steps`` time steps of SimSoM on ``gml`` (called in a fresh process)."""
    SimSom, utils = import_simsom(checkout)
    spec = {"graph_gml": gml, "tracktimestep": False, "save_message_info": False, "output_cascades": False,
            "verbose": False, "n_threads": 1, "mu": 0.5, "alpha": 15, "theta": 1, "phi": 0, "mode": "igraph"}
    try:
        spec = utils.remove_illegal_kwargs(spec, SimSom.__init__)    # as SimSoM's driver does
    except AttributeError as error:
        raise SimSoMMissing(f"SimSoM at {checkout} does not run on Python {platform.python_version()} "
                            f"({error}): apply fix 1 in benchmarks/simsom.py's docstring") from None
    counts = {"actions": 0, "feed_insertions": 0}
    user_step = SimSom.user_step

    def counted_user_step(self, agent):
        requests = user_step(self, agent)
        counts["actions"] += 1
        counts["feed_insertions"] += sum(len(messages) for _, messages in requests)
        return requests

    SimSom.user_step = counted_user_step
    t0 = time.perf_counter()
    model = SimSom(**spec)
    t1 = time.perf_counter()
    if need_index and not hasattr(model, "follower_index"):
        raise SimSoMMissing(f"SimSoM at {checkout} has no follower index (it would take minutes per time step): "
                            "apply fix 2 in benchmarks/simsom.py's docstring, or pass it as --simsom-as-shipped")
    for _ in range(steps):                     # the body of SimSom.simulation, without its convergence test
        model.time_step += 1
        model.simulation_step()
        model.update_quality()
    t2 = time.perf_counter()
    return {"model": "simsom", "steps": steps, "setup_seconds": t1 - t0, "seconds": t2 - t1, **counts,
            "follower_index": hasattr(model, "follower_index")}


# --------------------------------------------------------------------------
# sharesim

def sharesim_child(edges: str, days: float) -> dict:
    """Run sharesim's full model on the edge list for ``days`` days (called in a fresh process)."""
    import sim.model as model_module
    from sim.events import EventKind
    from sim.feed import Feed
    from sim.scenario import scenario_from_dict

    scenario = scenario_from_dict({
        "name": "simsom_peer", "seed": 1, "duration_days": days, "tick_hours": 1,
        "network": {"generator": "edge_list", "path": edges, "directed": True},
        "brands": [{"name": f"Brand{b}", "followers": 0.5, "campaign": {"posts_per_day": POSTS_PER_DAY}}
                   for b in range(BRANDS)],
        "motivations": {m: {"share_probability": SHARE_PROBABILITY} for m in MOTIVATIONS},
    })
    delivered = [0]
    deliver = Feed.deliver

    def counted_deliver(self, person, *a, **k):
        delivered[0] += np.size(person)
        return deliver(self, person, *a, **k)

    Feed.deliver = counted_deliver
    t0 = time.perf_counter()
    model = model_module.SharingModel(scenario)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    kinds = {kind.label: int(model.log.count(kind)) for kind in EventKind}
    return {"model": "sharesim", "days": days, "setup_seconds": t1 - t0, "seconds": t2 - t1,
            "actions": sum(kinds.values()), "events": kinds, "feed_insertions": delivered[0]}


# --------------------------------------------------------------------------
# The comparison

def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode == MISSING:
        raise SimSoMMissing(out.stderr.strip().splitlines()[-1].removeprefix("simsom: "))
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        raise SystemExit(f"child {' '.join(args[:1])} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median_row(runs: list[dict]) -> dict:
    seconds = statistics.median(r["seconds"] for r in runs)
    row = {key: runs[0][key] for key in runs[0] if key not in ("seconds", "setup_seconds")}
    row.update(seconds=seconds, seconds_all=[r["seconds"] for r in runs],
               setup_seconds=statistics.median(r["setup_seconds"] for r in runs),
               feed_insertions_per_second=row["feed_insertions"] / seconds,
               actions_per_second=row["actions"] / seconds)
    return row


def compare(args) -> dict:
    """The whole comparison; raises SimSoMMissing before any long run if SimSoM is not usable."""
    if args.simsom is None:
        raise SimSoMMissing("the simsom part needs a SimSoM checkout: --simsom PATH "
                            "(see benchmarks/simsom.py's docstring for where to get it and the two fixes)")
    with tempfile.TemporaryDirectory() as tmp:
        graph = write_graph(args.people, Path(tmp))
        print(f"graph: {graph['people']:,} people, {graph['ties']:,} follower ties (sharesim's powerlaw_cluster)")
        simsom_args = ["--child-simsom", str(args.simsom), "--gml", graph["gml"], "--steps", str(args.steps)]
        _child(simsom_args[:-1] + ["1"])          # a one-step check that the checkout is usable and fixed
        runs = {"sharesim": [], "simsom": []}
        for r in range(args.repeats):
            for name, child in (("sharesim", ["--child-sharesim", graph["edges"], "--days", str(args.days)]),
                                ("simsom", simsom_args)):
                run = _child(child)
                runs[name].append(run)
                print(f"  run {r + 1}/{args.repeats} {name:8}: {run['seconds']:8.2f} s, {run['actions']:,} actions, "
                      f"{run['feed_insertions']:,} feed insertions")
        sharesim, simsom = _median_row(runs["sharesim"]), _median_row(runs["simsom"])
        result = {"graph": {k: graph[k] for k in ("people", "ties")}, "repeats": args.repeats,
                  "sharesim": sharesim, "simsom": simsom,
                  "times_simsom": sharesim["feed_insertions_per_second"] / simsom["feed_insertions_per_second"]}
        if args.simsom_as_shipped is not None:
            shipped = _child(["--child-simsom", str(args.simsom_as_shipped), "--gml", graph["gml"],
                              "--steps", str(args.as_shipped_steps), "--as-shipped"])
            shipped = _median_row([shipped])
            print(f"  SimSoM as shipped, {args.as_shipped_steps} step(s): {shipped['seconds']:.1f} s, "
                  f"{shipped['feed_insertions']:,} feed insertions")
            result["simsom_as_shipped"] = shipped
            result["times_simsom_as_shipped"] = (sharesim["feed_insertions_per_second"]
                                                 / shipped["feed_insertions_per_second"])
    print(f"sharesim: {sharesim['feed_insertions_per_second'] / 1e6:.2f} M feed insertions/s; SimSoM with the "
          f"follower index: {simsom['feed_insertions_per_second'] / 1e3:.1f} k/s; sharesim {result['times_simsom']:,.0f}x"
          + (f"; SimSoM as shipped: {result['simsom_as_shipped']['feed_insertions_per_second']:,.0f}/s, sharesim "
             f"{result['times_simsom_as_shipped']:,.0f}x" if "simsom_as_shipped" in result else ""))
    return result


def markdown(result: dict) -> list[str]:
    """summary.md's section for the comparison."""
    g = result["graph"]
    lines = [f"## Against SimSoM: the same {g['people']:,}-person follower graph ({g['ties']:,} ties), "
             f"median of {result['repeats']} interleaved runs", "",
             "| model | run s | actions | feed insertions | feed insertions/s | sharesim's rate as a multiple |",
             "|---|---:|---:|---:|---:|---:|"]
    s = result["sharesim"]
    rows = [(f"sharesim ({s['days']:g} days)", s, "–"),
            (f"SimSoM with the follower index ({result['simsom']['steps']} steps)", result["simsom"],
             f"{result['times_simsom']:,.0f}x")]
    if "simsom_as_shipped" in result:
        shipped = result["simsom_as_shipped"]
        rows.append((f"SimSoM as shipped ({shipped['steps']} step, one run)", shipped,
                     f"{result['times_simsom_as_shipped']:,.0f}x"))
    for name, r, times in rows:
        lines.append(f"| {name} | {r['seconds']:.2f} | {r['actions']:,} | {r['feed_insertions']:,} | "
                     f"{r['feed_insertions_per_second']:,.0f} | {times} |")
    lines += ["", "SimSoM runs with the Python 3.11 fix; \"follower index\" is the second fix in "
                  "`benchmarks/simsom.py`. sharesim's actions are its log's events; SimSoM's are agent turns.", ""]
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--simsom", type=Path, help="a SimSoM checkout with both fixes (benchmarks/simsom.py)")
    parser.add_argument("--simsom-as-shipped", type=Path,
                        help="a SimSoM checkout with only the Python 3.11 fix, run for --as-shipped-steps")
    parser.add_argument("--people", type=int, default=10_000, help="people in the shared graph (default 10,000)")
    parser.add_argument("--steps", type=int, default=54, help="SimSoM time steps (default 54: about 540 k actions)")
    parser.add_argument("--sharesim-days", dest="sharesim_days", type=float, default=6.0,
                        help="sharesim's simulated days (default 6)")
    parser.add_argument("--simsom-repeats", dest="simsom_repeats", type=int, default=3,
                        help="runs of each model (default 3)")
    parser.add_argument("--as-shipped-steps", type=int, default=1, help="SimSoM-as-shipped time steps (default 1)")


def comparison_args(args) -> argparse.Namespace:
    return argparse.Namespace(simsom=args.simsom, simsom_as_shipped=args.simsom_as_shipped, people=args.people,
                              steps=args.steps, days=args.sharesim_days, repeats=args.simsom_repeats,
                              as_shipped_steps=args.as_shipped_steps)


def machine() -> dict:
    return {"when": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "python": platform.python_version(),
            "machine": platform.machine()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default benchmarks/results)")
    parser.add_argument("--child-simsom", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-sharesim", help=argparse.SUPPRESS)
    parser.add_argument("--gml", help=argparse.SUPPRESS)
    parser.add_argument("--days", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--as-shipped", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.child_simsom:
            print(json.dumps(simsom_child(args.child_simsom, args.gml, args.steps, not args.as_shipped)))
            return 0
        if args.child_sharesim:
            print(json.dumps(sharesim_child(args.child_sharesim, args.days)))
            return 0
        result = compare(comparison_args(args))
    except SimSoMMissing as error:
        print(f"simsom: {error}", file=sys.stderr)
        return MISSING
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "simsom.json").write_text(json.dumps({"machine": machine(), "results": result}, indent=2) + "\n")
    print(f"written: {args.out / 'simsom.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
