"""README.md's Performance figures, written from the files the benchmarks save.

Every measured figure README's Performance section quotes sits between two markers,

    <!-- benchmarks/readme.py: full model -->
    ... (written by this script) ...
    <!-- end benchmarks/readme.py -->

and is rendered here from ``benchmarks/results/*.json`` (written by ``benchmarks/run.py``,
``benchmarks/simsom.py`` through run.py, ``benchmarks/soak.py`` and ``benchmarks/scale.py --save``),
never typed. After rerunning a benchmark:

    python benchmarks/readme.py           # rewrite README's blocks from the results
    python benchmarks/readme.py --check   # exit status 1 if README differs from the results

``tests/test_benchmark_figures.py`` fails when README and the results disagree. A block whose
results file is missing says which command writes it.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results"
BLOCK = re.compile(r"(<!-- benchmarks/readme\.py: (?P<name>[^>]+?) -->\n)(?P<body>.*?)(<!-- end benchmarks/readme\.py -->)",
                   re.DOTALL)
GRAPHS = {"barabasi_albert": "Barabási–Albert", "ego_facebook": "ego-Facebook"}
PEERS = {"numpy_frontier": "NumPy frontier", "cynetdiff": "cynetdiff", "eon": "EoN", "ndlib": "NDlib"}


def results(name: str, folder: Path = RESULTS):
    """A results file's content (its ``results`` part when it has one), or None before it is written."""
    path = folder / name
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return data.get("results", data)


def seconds(s: float) -> str:
    """Two significant figures: '0.015 s', '3.4 s', '33 s'."""
    return f"{s:.2g} s" if s < 100 else f"{s:,.0f} s"


def minutes(s: float) -> str:
    """'2 min 13 s' (whole seconds)."""
    m, s = divmod(round(s), 60)
    return f"{m} min {s} s" if m else f"{s} s"


def memory(mb: float) -> str:
    """'277 MB', '1.3 GB'."""
    return f"{mb:,.0f} MB" if mb < 1024 else f"{mb / 1024:.1f} GB"


def times(x: float) -> str:
    """A multiple: '0.52x', '1.09x', '32x', '1,834x'."""
    return f"{x:.2f}x" if x < 10 else f"{x:,.0f}x"


def change(before: float, after: float) -> str:
    """How a time or size changed, as a multiple: '5.8x faster' or '1.7x slower' ('none now' when it is gone)."""
    if after == 0:
        return "none now" if before > 0 else "none"
    return f"{before / after:.2g}x faster" if before >= after else f"{after / before:.2g}x slower"


def missing(commands: str) -> str:
    """What a block says before its results file is written."""
    return f"(Not measured yet: run {commands}.)\n"


def ic_peers(folder: Path) -> str:
    """The Independent Cascade table: sharesim's median seconds, each peer's as a multiple of it."""
    rows = results("ic_peers.json", folder)
    if rows is None:
        return missing("`python benchmarks/run.py --parts ic`")
    lines = ["| graph | p | sharesim | " + " | ".join(PEERS.values()) + " |",
             "|---|---:|---:|" + "---:|" * len(PEERS)]
    for row in rows:
        libs = row["libraries"]
        ours = libs["sharesim"]
        cells = [f"{ours['median_seconds']:.4f} s ({ours['edges_per_second'] / 1e6:.0f} M edges/s)"]
        cells += ["–" if key not in libs else times(libs[key]["times_sharesim"]) + ("\\*" if libs[key]["extrapolated"] else "")
                  for key in PEERS]
        graph = GRAPHS.get(re.sub(r"_1e\d+$", "", row["graph"]), row["graph"])
        lines.append(f"| {graph}, {row['nodes']:,} nodes | {row['p']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def full_model(folder: Path) -> str:
    """The full model's table by population, then how time grows and what the largest run took."""
    rows = results("full_model.json", folder)
    if rows is None:
        return missing("`python benchmarks/run.py --parts full`")
    days = "/".join(sorted({f"{r['days']:g}" for r in rows}))
    lines = [f"The full model (powerlaw_cluster, mean degree 10, hourly ticks, one brand followed by 10% "
             f"posting 3 times a day, {days} days):", "",
             "| people | graph build | (NetworkX's) | other set-up | per simulated day | writing the run folder "
             "| exposures/s | peak memory |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        theirs = (f"{seconds(r['networkx_graph_seconds'])}, {memory(r['networkx_graph_peak_rss_mb'])}"
                  if "networkx_graph_seconds" in r else "–")
        lines.append(f"| {r['population']:,} | {seconds(r['graph_seconds'])} | {theirs} | {seconds(r['setup_seconds'])} "
                     f"| {r['seconds_per_day']:.3f} s | {seconds(r['outputs_seconds'])} "
                     f"| {r['exposures_per_second'] / 1e6:.2f} M | {memory(r['peak_rss_mb'])} |")
    lines.append("")
    if len(rows) > 1:
        sizes = [r["population"] for r in rows]
        slope = np.polyfit(np.log10(sizes), np.log10([r["seconds_per_day"] for r in rows]), 1)[0]
        lines.append(f"Time per simulated day grows {'more slowly than' if slope < 1 else 'as fast as or faster than'} "
                     f"the population (log-log slope {slope:.2f} from {min(sizes):,} to {max(sizes):,} people).")
    top = max(rows, key=lambda r: r["population"])
    total = top["graph_seconds"] + top["setup_seconds"] + top["run_seconds"] + top["outputs_seconds"]
    lines.append(f"{top['population']:,} people for {top['days']:g} days take {minutes(total)} in all "
                 f"(set-up {seconds(top['graph_seconds'] + top['setup_seconds'])}, run {seconds(top['run_seconds'])}, "
                 f"writing the run folder {seconds(top['outputs_seconds'])}) and {memory(top['peak_rss_mb'])}.")
    return "\n".join(lines) + "\n"


def start_up(folder: Path) -> str:
    """Whole-process times of the command line."""
    r = results("startup.json", folder)
    if r is None:
        return missing("`python benchmarks/run.py --parts startup`")
    text = (f"`sharesim --help` answers in {r['help_seconds']:.2f} s; a 1,000-person, 7-day `sharesim run` "
            f"takes {r['run_1000_7days_seconds']:.1f} s as a whole process.")
    if "model_import_seconds" in r:
        text += (f" Of that, importing the model and the report's analyses with their compiled loops takes "
                 f"{r['model_import_seconds']:.2f} s and {memory(r['model_import_mb'])} beyond the libraries "
                 f"they stand on; the first time after installing, compiling the loops, {seconds(r['first_import_seconds'])}.")
    return text + "\n"


def pairs(row: dict) -> str:
    """How a before/after figure was taken: ', medians of 3 interleaved pairs' (scale.py --against)."""
    count = row.get("median_of")
    return f", medians of {count} interleaved pairs" if count else ""


def pair_ratios(now: dict, before: dict) -> list[float] | None:
    """Each interleaved pair's per-item ratio (before over now), or None without pairs."""
    if not now.get("runs") or len(now["runs"]) != len(before.get("runs", [])):
        return None
    return [b["ns_per_delivered"] / n["ns_per_delivered"] for n, b in zip(now["runs"], before["runs"])]


def spread(now: dict, before: dict) -> str:
    """'; pair by pair, 2.8x to 3.4x, median 3.1x': the range and median of each interleaved pair's
    per-item ratio (before over now)."""
    ratios = pair_ratios(now, before)
    if ratios is None:
        return ""
    return f"; pair by pair, {min(ratios):.1f}x to {max(ratios):.1f}x, median {statistics.median(ratios):.1f}x"


def per_item_ratio(now: dict, before: dict) -> float:
    """How many times faster per delivered item: the ratio of the two sides' medians, or, where the
    runs were interleaved in pairs, the lower of it and the median of the pairs' ratios (a verdict
    never rests on the kinder of two readings of the same runs)."""
    of_medians = before["ns_per_delivered"] / now["ns_per_delivered"]
    ratios = pair_ratios(now, before)
    return of_medians if ratios is None else min(of_medians, statistics.median(ratios))


def on_machine(row: dict) -> str:
    """' on AMD EPYC, 2 cores, 29 ns a random access into memory': where a saved figure was taken
    (scale.py's ``machine``; nothing for a file saved before it was recorded)."""
    where = row.get("machine")
    if not where:
        return ""
    return (f" on {where['processor']}, {where['cores']} cores, {where['random_access_ns']:.0f} ns a random "
            f"access into memory")


def scale(folder: Path) -> str:
    """scale.py's before/after ratios at 10^6 people, and its 10^7 run."""
    now, before = results("scale_1000000.json", folder), results("scale_1000000_before.json", folder)
    if now is None or before is None:
        text = missing("`python benchmarks/scale.py --size 1000000 --save`, then the same with `--tree CHECKOUT`")
    else:
        setup_share = "; ".join(f"{label} {r['outputs_over_setup']:.2g}x the set-up" for label, r in
                                (("it was", before), ("now", now)))
        text = (f"At {now['population']:,} people, against the code before the ten-million-people work{pairs(now)}"
                f"{on_machine(now)}: "
                f"writing the run folder {change(before['outputs_seconds'], now['outputs_seconds'])} ({setup_share}), "
                f"set-up {change(before['setup_seconds'], now['setup_seconds'])} "
                f"(graph {change(before['graph_seconds'], now['graph_seconds'])}; Person agents "
                f"{before['agents_seconds']:.1f} s before, {now['agents_seconds']:.1f} s now: made only when asked for), per delivered feed item "
                f"{change(before['ns_per_delivered'], now['ns_per_delivered'])} ({before['ns_per_delivered']:.0f} ns "
                f"to {now['ns_per_delivered']:.0f} ns{spread(now, before)}), peak memory {memory(before['peak_rss_mb'])} to "
                f"{memory(now['peak_rss_mb'])}.\n")
    long_now, long_before = (results("scale_1000000_14days.json", folder),
                             results("scale_1000000_14days_before.json", folder))
    if long_now is None or long_before is None:
        text += missing("`python benchmarks/scale.py --size 1000000 --days 14 --save`, then the same with "
                        "`--tree CHECKOUT`")
    else:
        text += (f"Over {long_now['days']:g} days (the issue's run: {long_now['delivered'] / 1e6:.1f} M feed items "
                 f"delivered{pairs(long_now)}{on_machine(long_now)}), per delivered feed item {change(long_before['ns_per_delivered'], long_now['ns_per_delivered'])} "
                 f"({long_before['ns_per_delivered']:.0f} ns to {long_now['ns_per_delivered']:.0f} ns; in CPU time "
                 f"{long_before['ns_cpu_per_delivered']:.0f} ns to {long_now['ns_cpu_per_delivered']:.0f} ns"
                 f"{spread(long_now, long_before)}); writing the "
                 f"run folder {long_now['outputs_over_setup']:.2g}x the set-up (it was {long_before['outputs_over_setup']:.2g}x).\n")
    if None not in (now, before, long_now, long_before):
        text += targets(now, before, long_now, long_before)
    big = results("scale_10000000.json", folder)
    if big is None:
        return text + missing("`python benchmarks/scale.py --size 10000000 --save`")
    total = big["setup_seconds"] + big["run_seconds"] + big["outputs_seconds"]
    text += (f"At {big['population']:,} people{on_machine(big)}, the same scenario takes {minutes(total)} in all with a peak of "
             f"{memory(big['peak_rss_mb'])}")
    if big.get("estimated_peak_mb"):
        text += (f"; the cost estimate, {memory(big['estimated_peak_mb'])}, is "
                 f"{big['estimated_peak_mb'] / big['peak_rss_mb']:.2f}x the peak")
    return text + ".\n"


def targets(now: dict, before: dict, long_now: dict, long_before: dict) -> str:
    """The ten-million-people issue's targets at 10^6 people, met or missed in both runs (2 and 14 days):
    set-up at most a third of before, writing the run folder no slower than the set-up, and per
    delivered feed item at most a third of before."""
    def verdict(ok_short: bool, ok_long: bool) -> str:
        return "met" if ok_short and ok_long else "missed"

    ratio = [per_item_ratio(n, b) for n, b in ((now, before), (long_now, long_before))]
    return (f"The issue's targets at {now['population']:,} people: set-up at most a third of before "
            f"{verdict(now['setup_seconds'] * 3 <= before['setup_seconds'], long_now['setup_seconds'] * 3 <= long_before['setup_seconds'])}; "
            f"writing the run folder no slower than the set-up "
            f"{verdict(now['outputs_over_setup'] <= 1, long_now['outputs_over_setup'] <= 1)}; per delivered feed item "
            f"at most a third of before {verdict(ratio[0] >= 3, ratio[1] >= 3)} "
            f"(the lower of the ratio of the medians and the median of the pairs' ratios: {ratio[0]:.1f}x faster over {now['days']:g} days, {'met' if ratio[0] >= 3 else 'missed'}; {ratio[1]:.1f}x over "
            f"the issue's {long_now['days']:g} days, {'met' if ratio[1] >= 3 else 'missed'}; against 3x).\n")


def exposures_target(folder: Path) -> str:
    """The full model's exposures per second against the NumPy frontier's ties per second (target: 1/4)."""
    ic, full = results("ic_peers.json", folder), results("full_model.json", folder)
    if ic is None or full is None:
        return missing("`python benchmarks/run.py --parts ic,full`")
    largest = [r for r in ic if r["nodes"] == max(x["nodes"] for x in ic)]
    rate = max(r["libraries"]["numpy_frontier"]["edges_per_second"] for r in largest)
    top = max(full, key=lambda r: r["population"])
    share = top["exposures_per_second"] / rate
    verdict = "One target is met" if share >= 0.25 else "One target is missed"
    return (f"{verdict}: the full model processes {top['exposures_per_second'] / 1e6:.2f} M exposures per second "
            f"at {top['population']:,} people, 1/{1 / share:,.0f} of the {rate / 1e6:.0f} M ties per second "
            f"the NumPy frontier examines, against the 1/4 aimed at ({top['feed_items_per_second'] / 1e6:.2f} M "
            f"feed items per second are handled).\n")


def simsom(folder: Path) -> str:
    """sharesim against SimSoM on one follower graph: feed insertions per second."""
    r = results("simsom.json", folder)
    if r is None:
        return missing("`python benchmarks/run.py --parts simsom --simsom PATH`")
    g, ours = r["graph"], r["sharesim"]
    rows = [(f"sharesim ({ours['days']:g} days)", ours, "–", "events"),
            (f"SimSoM, with a follower index ({r['simsom']['steps']} steps)", r["simsom"], times(r["times_simsom"]), "turns")]
    if "simsom_as_shipped" in r:
        shipped = r["simsom_as_shipped"]
        rows.append((f"SimSoM as shipped ({shipped['steps']} step, one run)", shipped,
                     times(r["times_simsom_as_shipped"]), "turns"))
    lines = [f"{g['people']:,} people, {g['ties']:,} ties; median of {r['repeats']} interleaved runs:", "",
             "| model | run | actions | feed insertions | feed insertions/s | sharesim's rate as a multiple |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, m, multiple, actions in rows:
        rate = m["feed_insertions_per_second"]
        lines.append(f"| {name} | {seconds(m['seconds'])} | {m['actions']:,} {actions} | {m['feed_insertions']:,} | "
                     f"{f'{rate / 1e6:.2f} M' if rate >= 1e6 else f'{rate:,.0f}'} | {multiple} |")
    return "\n".join(lines) + "\n"


def soak(folder: Path) -> str:
    """Memory over a long run's days, beyond the event log's growth."""
    r = results("soak.json", folder)
    if r is None:
        return missing("`python benchmarks/soak.py`")
    first, last = r["days_rss"][1], r["days_rss"][-1]
    return (f"`python benchmarks/soak.py` ({r['people']:,} people, {r['days']} days) measured RSS "
            f"{memory(first['rss_mb'])} after day 1 and {r['growth_beyond_log_mb']:+.1f} MB by day {last['day']} "
            f"beyond the event log's growth ({last['log_mb'] - first['log_mb']:.0f} MB).\n")


BLOCKS = {"ic peers": ic_peers, "full model": full_model, "start-up": start_up, "scale": scale,
          "exposures target": exposures_target, "simsom": simsom, "soak": soak}
"""Each generated block of README, by the name in its marker, and what writes it."""


def rewritten(text: str, folder: Path = RESULTS) -> str:
    """README's text with every block rendered from the results in ``folder``."""
    return BLOCK.sub(lambda m: m.group(1) + BLOCKS[m.group("name")](folder) + m.group(4), text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether README matches the results")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    new = rewritten(text)
    if args.check:
        print("README.md matches benchmarks/results" if new == text else "README.md differs: run python benchmarks/readme.py")
        return int(new != text)
    README.write_text(new, encoding="utf-8")
    print(f"README.md: {len(BLOCK.findall(text))} blocks rewritten from {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
