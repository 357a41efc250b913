"""Validation: does the model reproduce what is known about sharing?

``docs/validation-targets.md`` (copied into ``docs/model.md``) lists nine
stylised facts from research on online sharing, each with a figure, its
source and a check in sharesim. :func:`run_checks` runs the ready scenarios
(``scenarios/*.yaml``) and a few focused variants of them, each over a few
replications with independent seeds, and returns one :class:`Check` per
test: the target, the source, the model's value with its 95% interval over
replications, and whether it passed.

How a check passes:

* a band or a bound (``>= 0.9``, ``between 0.02% and 2%``): the mean over
  replications lies inside it; when a check covers several scenarios, every
  scenario's mean must, and the table shows the scenario closest to failing;
* a comparison (``more reach``, ``rises with``): the 95% interval of the
  paired difference (same seeds on both sides) lies above zero.

Intervals are Student-t intervals of the mean over replications. Runs are
cached within one :class:`Suite`, so a scenario that serves several checks
runs once per seed.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .errors import InputError
from .events import BRAND, RunLog
from .metrics import hours_to_share_of_reach
from .motivations import QUALITIES, Motivation
from .report import text_table
from .scenario import Scenario, load_scenario, scenario_from_dict, with_overrides
from .stats import (
    Difference,
    Estimate,
    estimate,
    independent_difference,
    paired_difference,
    replication_seeds,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
"""Where the ready scenarios live (the project's ``scenarios/`` folder)."""

FRACTION = (0.0, 1.0)

MAX_REPLICATIONS = 1_000
"""Most replications per scenario ``sharesim validate -r`` accepts (it runs about 20 scenarios each)."""

SEEDS = 50
"""Fact 8: people seeded on each side of the influencers-versus-random comparison."""


@dataclass(frozen=True)
class Check:
    """One test of one stylised fact, and its outcome.

    fact: the row of docs/validation-targets.md (1-9); code: ``1a``, ``1b`` ...;
    what: the quantity measured; target: the bound it must meet;
    source: where the figure comes from; estimate: the model's value;
    unit: how to print it (``percent``, ``ratio``, ``hours``, ``people``);
    passed: None when the check could not run (``note`` says why).
    """

    fact: int
    code: str
    what: str
    target: str
    source: str
    estimate: Estimate | None
    unit: str
    passed: bool | None
    note: str = ""


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------

@dataclass
class Measured:
    """What the checks read from one run: its log, post table and summary."""

    log: RunLog
    posts: pd.DataFrame
    summary: dict


@dataclass
class Suite:
    """The runs behind the checks, at a chosen size.

    replications: independent seeds per scenario (at least 2, for an interval).
    population, days: when given, every generated network is scaled to this
        many people and every run to this many days (a CI-sized suite); an
        edge-list scenario keeps its graph.
    """

    replications: int = 5
    population: int | None = None
    days: float | None = None
    progress: Callable[[str], None] | None = None
    _cache: dict = field(default_factory=dict)

    def seeds(self, base: int) -> list[int]:
        """Independent child seeds of ``base`` (see sim.stats.replication_seeds)."""
        return replication_seeds(base, self.replications)

    def sized(self, data: dict) -> dict:
        """A scenario mapping resized to the suite's population and days."""
        data = dict(data)
        if self.days is not None:
            data["duration_days"] = self.days
        if self.population is not None and data.get("network", {}).get("generator") != "edge_list":
            data["population"] = {**data.get("population", {}), "size": self.population}
        return data

    def runs(self, key: str, scenario: Scenario, base_seed: int | None = None) -> list[Measured]:
        """The replications of one scenario (cached under ``key``)."""
        from .metrics import post_metrics, summarize
        from .runs import simulate

        if key not in self._cache:
            if self.progress:
                self.progress(f"running {key} x{self.replications}")
            measured = []
            for seed in self.seeds(scenario.seed if base_seed is None else base_seed):
                log = simulate(scenario, seed=seed).log
                posts = post_metrics(log)
                measured.append(Measured(log, posts, summarize(log, posts)))
            self._cache[key] = measured
        return self._cache[key]


def ready_scenarios(folder: Path = SCENARIOS) -> dict[str, dict]:
    """The ready scenarios (``model: sharesim``) as resolved mappings, by file stem.

    An ``independent_cascade`` preset in the folder is left out (fact 7 runs
    it); a file that does not load stops the validation with its message.
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: the ready scenarios folder is missing (validate runs from the project)")
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        scenario = load_scenario(path)
        if scenario.model == "sharesim":
            found[path.stem] = scenario.resolved()
    if not found:
        raise InputError(f"{folder}: no ready scenario (*.yaml) found")
    return found


# --------------------------------------------------------------------------
# Quantities measured on one run
# --------------------------------------------------------------------------

def direct_exposure_share(m: Measured) -> float:
    """Share of exposures that came straight from the brand (source -1)."""
    exposure = m.log.events[m.log.events["kind"] == "exposure"]
    return float((exposure["source"] == BRAND).mean()) if len(exposure) else math.nan


def median_hours_to(share: float) -> Callable[[Measured], float]:
    """The measure: median over posts of the hours to ``share`` of their final reach."""
    def measure(m: Measured) -> float:
        hours = hours_to_share_of_reach(m.log, share)
        return float(hours.median()) if len(hours) else math.nan
    return measure


def never_reshared(m: Measured) -> float:
    """Share of a run's shares that led to no further share (NaN without shares)."""
    return m.summary["cascades"]["share_never_reshared"] if m.summary["shares"] else math.nan


def blind_to_unfollow_ratio(m: Measured) -> float:
    """Followers still following but blind, per follower who unfollowed."""
    unfollows = m.summary["unfollows"]
    return m.summary["blinded"] / unfollows if unfollows else math.nan


def max_to_median_reach(m: Measured) -> float:
    """Largest post reach over the median post reach."""
    reach = m.posts["reach"].to_numpy(dtype=float)
    median = float(np.median(reach)) if reach.size else 0.0
    return float(reach.max()) / median if median > 0 else math.nan


def share_rate_by_kind(m: Measured) -> pd.Series:
    """Shares per exposure, by post kind."""
    table = m.posts.groupby("kind")[["shares", "impressions"]].sum()
    return table["shares"] / table["impressions"].where(table["impressions"] > 0)


def early_share_fraction(m: Measured, motivation: str, hours: float) -> float:
    """Share of a type's shares made within ``hours`` of the post's publication."""
    log = m.log
    shares = log.events[log.events["kind"] == "share"]
    types = log.people.set_index("person")["motivation"]
    shares = shares[types.reindex(shares["person"]).to_numpy() == motivation]
    if shares.empty:
        return math.nan
    published = log.posts.set_index("post")["tick"].reindex(shares["post"]).to_numpy()
    age = (shares["tick"].to_numpy() - published) * float(log.meta.get("tick_hours", 1.0))
    return float(np.mean(age < hours))


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------

def _worst(estimates: dict[str, Estimate], inside: Callable[[float], float]) -> tuple[str, Estimate, bool]:
    """Of several scenarios' estimates, the one closest to failing (smallest margin)."""
    margins = {name: inside(e.mean) if not math.isnan(e.mean) else -math.inf for name, e in estimates.items()}
    name = min(margins, key=margins.get)
    return name, estimates[name], all(margin >= 0 for margin in margins.values())


def _across(suite: Suite, ready: dict[str, dict], names, measure, low=-math.inf, high=math.inf,
            within: tuple[float, float] | None = None):
    """A quantity over several scenarios: (worst scenario, its estimate, all pass)."""
    estimates = {}
    for name in names:
        scenario = scenario_from_dict(suite.sized(ready[name]), source=name)
        estimates[name] = estimate([measure(m) for m in suite.runs(name, scenario)], within=within)
    return _worst(estimates, lambda v: min(v - low, high - v))


def _variant(suite: Suite, base: dict, key: str, source: str, overrides: dict) -> list[Measured]:
    """Replications of ``base`` with dotted-path ``overrides`` (the seeds of the base)."""
    data = with_overrides(suite.sized(base), {**overrides, "name": key}, source)
    return suite.runs(key, scenario_from_dict(data, source=source), base_seed=base.get("seed", 0))


CAMPAIGN = "brands.0.campaign"
"""The first brand's campaign, the one every focused variant changes."""


def _seeding(influencers: int = 0, employees: int = 0, random: int = 0) -> dict:
    return {f"{CAMPAIGN}.seeding.influencers": influencers, f"{CAMPAIGN}.seeding.employees": employees,
            f"{CAMPAIGN}.seeding.random": random}


def run_checks(suite: Suite, folder: Path = SCENARIOS) -> list[Check]:
    """Every check of docs/validation-targets.md, in order."""
    ready = ready_scenarios(folder)
    names = list(ready)
    if "product_launch" not in ready or "over_posting" not in ready:
        raise InputError(f"{folder}: validate needs the ready scenarios product_launch.yaml and over_posting.yaml")
    launch = ready["product_launch"]
    checks: list[Check] = []

    # 1. Most sharing stops at once.
    source = "Goel, Watts & Goldstein 2012; Goel et al. 2016"
    name, e, ok = _across(suite, ready, names, never_reshared, low=0.9,
                          within=FRACTION)
    checks.append(Check(1, "1a", f"shares that lead to no further share (lowest: {name})",
                        ">= 90%", source, e, "percent", ok))
    name, e, ok = _across(suite, ready, names, direct_exposure_share, low=0.5, within=FRACTION)
    checks.append(Check(1, "1b", f"exposures straight from the brand's post (lowest: {name})",
                        "> 50%", source, e, "percent", ok))

    # 2. Attention to content decays fast.
    source = "Wu & Huberman 2007; Graffius 2018"
    name, e, ok = _across(suite, ready, names, median_hours_to(0.5), high=6)
    checks.append(Check(2, "2a", f"median post: hours to half its final reach (slowest: {name})",
                        "<= 6 h", source, e, "hours", ok))
    name, e, ok = _across(suite, ready, names, median_hours_to(0.9), high=48)
    checks.append(Check(2, "2b", f"median post: hours to 90% of its final reach (slowest: {name})",
                        "<= 48 h", source, e, "hours", ok))

    # 3. Limited attention alone makes popularity heavy-tailed.
    equal_quality = {f"{CAMPAIGN}.content": [{"kind": "post", "weight": 1.0, "promotional": 0.1,
                                              "qualities": {"useful": 0.6, "inspiring": 0.4}}],
                     f"{CAMPAIGN}.posts_per_day": 6, **_seeding(influencers=10), "brands.0.followers": 100}
    runs = _variant(suite, launch, "equal_quality", "product_launch, one kind of post", equal_quality)
    e = estimate([max_to_median_reach(m) for m in runs])
    checks.append(Check(3, "3", "one kind of post, 100 followers, 10 hubs seeded: largest reach / median reach",
                        ">= 3", "Weng, Flammini, Vespignani & Menczer 2012", e, "ratio", e.mean >= 3))

    # 4. People unfollow brands that post too much or promotionally, and first stop looking.
    source = "Kwak, Chun & Moon 2011; ExactTarget 2011"
    low = _variant(suite, launch, "posts_per_day_1", "product_launch, 1 post a day",
                   {f"{CAMPAIGN}.posts_per_day": 1})
    high = _variant(suite, launch, "posts_per_day_10", "product_launch, 10 posts a day",
                    {f"{CAMPAIGN}.posts_per_day": 10})
    e = _paired(high, low, lambda m: m.summary["unfollow_rate"])
    checks.append(Check(4, "4a", "unfollow rate at 10 posts a day minus at 1 a day",
                        "> 0", source, e, "percent", e.low > 0))

    def promotional(level: float) -> dict:
        kinds = range(len(launch["brands"][0]["campaign"]["content"]))
        return {f"{CAMPAIGN}.content.{k}.promotional": level for k in kinds}
    low = _variant(suite, launch, "promotional_0.1", "product_launch, promotional 0.1", promotional(0.1))
    high = _variant(suite, launch, "promotional_0.9", "product_launch, promotional 0.9", promotional(0.9))
    e = _paired(high, low, lambda m: m.summary["unfollow_rate"])
    checks.append(Check(4, "4b", "unfollow rate with promotional 0.9 minus 0.1",
                        "> 0", source, e, "percent", e.low > 0))
    name, e, ok = _across(suite, ready, ["over_posting"], blind_to_unfollow_ratio, low=0.5, high=2.0)
    checks.append(Check(4, "4c", "over_posting: followers blind (still following) / unfollowed",
                        "0.5 to 2", source, e, "ratio", ok))

    # 5. Brand posts are rarely shared.
    name, e, ok = _across(suite, ready, names, lambda m: m.summary["engagement_rate"], low=0.0002, high=0.02,
                          within=FRACTION)
    checks.append(Check(5, "5", f"engagement rate, shares per impression (closest to a bound: {name})",
                        "0.02% to 2%", "Rival IQ 2023; J. Advertising Research 2015", e, "percent", ok))

    # 6. Organic reach is a small part of the followers.
    name, e, ok = _across(suite, ready, names,
                          lambda m: float(np.mean([b["organic_reach_rate"] for b in m.summary["brands"]])),
                          low=0.02, high=0.20, within=FRACTION)
    checks.append(Check(6, "6", f"followers a brand post reaches directly (closest to a bound: {name})",
                        "2% to 20%", "industry figures, Facebook pages 2012-2014", e, "percent", ok))

    # 7. The classic model is exact.
    checks.append(_independent_cascade_check(suite, folder))

    # 8. Seeding hubs pays.
    hubs = _variant(suite, launch, "seed_influencers", f"product_launch, {SEEDS} influencers seeded",
                    {"brands.0.followers": 0, **_seeding(influencers=SEEDS)})
    anyone = _variant(suite, launch, "seed_random", f"product_launch, {SEEDS} random people seeded",
                      {"brands.0.followers": 0, **_seeding(random=SEEDS)})
    ratio = estimate([h.summary["reach"] / max(r.summary["reach"], 1) for h, r in zip(hubs, anyone)])
    difference = _paired(hubs, anyone, lambda m: m.summary["reach"])
    checks.append(Check(8, "8", f"reach seeding {SEEDS} top influencers / seeding {SEEDS} random people, no followers",
                        "> 1", "Hinz, Skiera, Barrot & Becker 2011", ratio, "ratio", difference.low > 0))

    # 9. Motivations matter.
    checks.extend(_motivation_checks(suite, launch))
    return checks


def _paired(a: list[Measured], b: list[Measured], measure) -> Difference:
    """``measure(a) - measure(b)``, replication by replication (the same seeds on both sides)."""
    return paired_difference([measure(x) for x in a], [measure(y) for y in b])


CASCADES_PER_REPLICATION = 20
"""Fact 7: cascades run on each side per replication of the suite."""


def _independent_cascade_check(suite: Suite, folder: Path) -> Check:
    """Fact 7: the independent_cascade preset (sim.cascade) against cynetdiff on the same graph.

    Runs the first ready ``model: independent_cascade`` scenario: the same
    graph, share probability and number of random seeds on both sides, many
    cascades each; the check passes when the 95% interval of the difference
    of the mean activated fractions contains 0. NDlib and EoN compute the
    same quantity far more slowly; tests/test_cascade.py compares with NDlib.
    """
    what = "independent_cascade preset minus cynetdiff: mean activated fraction"
    target = "interval contains 0"
    source = "Kempe, Kleinberg & Tardos 2003; cynetdiff"
    from . import cascade

    try:
        from cynetdiff.utils import networkx_to_ic_model
    except ImportError:
        return Check(7, "7", what, target, source, None, "percent", None,
                     note="not available: install the peers with pip install -e '.[test]'")
    presets = [path for path in sorted(folder.glob("*.yaml")) if load_scenario(path).model == "independent_cascade"]
    if not presets:
        return Check(7, "7", what, target, source, None, "percent", None,
                     note="not available: no ready independent_cascade scenario")
    scenario = load_scenario(presets[0])
    if suite.progress:
        suite.progress(f"running {presets[0].stem} against cynetdiff")
    first = cascade.run_cascade(scenario)
    graph, p = first.graph, scenario.independent_cascade.share_probability
    runs = CASCADES_PER_REPLICATION * suite.replications
    rng = np.random.default_rng(suite.seeds(scenario.seed)[0])
    ours = [cascade.independent_cascade(graph, cascade.seed_people(scenario, graph.size, rng), p, rng).activated
            / graph.size for _ in range(runs)]
    model, mapping = networkx_to_ic_model(graph.to_networkx().to_undirected(), activation_prob=p,
                                          rng=int(rng.integers(2**31)))
    theirs = []
    for _ in range(runs):
        model.set_seeds([mapping[int(v)] for v in cascade.seed_people(scenario, graph.size, rng)])
        model.advance_until_completion()
        theirs.append(model.get_num_activated_nodes() / graph.size)
    e = _welch(ours, theirs)
    return Check(7, "7", f"{what} ({presets[0].stem}, {runs} cascades each)", target, source, e, "percent",
                 e.low <= 0 <= e.high)


def _welch(a, b) -> Difference:
    """Difference of two independent samples' means with its Welch 95% interval."""
    return independent_difference(a, b)


MOTIVATION_CONTENT = {quality: {"kind": quality, "weight": 1.0, "qualities": {quality: 0.8}, "promotional": 0.0}
                      for quality in QUALITIES}
"""One kind of post per quality, each strong in that quality alone."""

ANSWERS_TO = {m.label: quality for m, quality in zip(Motivation, QUALITIES)}
"""The quality each type answers to (docs/domain.md §1; the order of QUALITIES)."""


def _motivation_checks(suite: Suite, launch: dict) -> list[Check]:
    """Fact 9: a population of one type shares its kind of post most; trendsetters share early."""
    source = "Beyond, The Science of Sharing 2012"
    margins = {}
    by_type = {}
    for label, quality in ANSWERS_TO.items():
        one_type = {"population.motivations": {label: 1.0}, "brands.0.followers": 1.0,
                    f"{CAMPAIGN}.content": list(MOTIVATION_CONTENT.values()), f"{CAMPAIGN}.posts_per_day": 7,
                    **_seeding()}
        runs = _variant(suite, launch, f"only_{label}", f"product_launch, only {label}s", one_type)
        by_type[label] = runs

        def margin(m, quality=quality):
            rates = share_rate_by_kind(m).fillna(0.0)
            return float(rates.get(quality, 0.0) - rates.drop(quality, errors="ignore").max())
        margins[label] = estimate([1000 * margin(m) for m in runs])
    worst = min(margins, key=lambda label: margins[label].low)
    e = margins[worst]
    passed = all(estimate.low > 0 for estimate in margins.values())
    checks = [Check(9, "9a", f"one-type populations: shares per 1,000 readings, own kind minus best other "
                             f"(lowest: {worst})", "> 0", source, e, "per_1000", passed)]
    early = estimate([early_share_fraction(m, "trendsetter", 6.0) for m in by_type["trendsetter"]], within=FRACTION)
    checks.append(Check(9, "9b", "trendsetters: their shares made in a post's first 6 hours",
                        ">= 50%", source, early, "percent", early.mean >= 0.5))
    return checks


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------

def format_value(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "percent":
        return f"{100 * value:.2f}%" if abs(value) < 0.1 else f"{100 * value:.1f}%"
    if unit == "hours":
        return f"{value:.1f} h"
    if unit == "per_1000":
        return f"{value:.2f}"
    return f"{value:.2f}"


def format_estimate(e: Estimate | None, unit: str) -> str:
    if e is None:
        return "-"
    if e.low == e.high:
        return format_value(e.mean, unit)
    return f"{format_value(e.mean, unit)} [{format_value(e.low, unit)}, {format_value(e.high, unit)}]"


FACTS = {
    1: "Most sharing stops at once",
    2: "Attention to content decays fast",
    3: "Limited attention alone makes popularity heavy-tailed",
    4: "People unfollow brands that post too much, and first stop looking",
    5: "Brand posts are rarely shared",
    6: "Organic reach is a small part of the followers",
    7: "The classic model is exact",
    8: "Seeding hubs pays",
    9: "Motivations matter",
}
"""The stylised facts of docs/validation-targets.md, by row."""


def validation_table(checks: list[Check]) -> str:
    """The checks as aligned text: a line per fact (its source), then its checks."""
    header = ["#", "check", "target", "model (95% interval)", "result"]
    rows: list[list[str] | str] = []
    for fact in sorted({c.fact for c in checks}):
        mine = [c for c in checks if c.fact == fact]
        rows.append(f"{fact}. {FACTS.get(fact, '')} (source: {mine[0].source})")
        for c in mine:
            result = "PASS" if c.passed else ("FAIL" if c.passed is False else "n/a")
            value = format_estimate(c.estimate, c.unit) if c.estimate is not None else c.note
            rows.append([c.code, c.what, c.target, value, result])
    return "\n".join(text_table(header, rows, right=False)) + "\n"


def command_validate(args) -> int:
    """``sharesim validate``: print the table; exit 0 when every check passes, 1 otherwise."""
    if not 2 <= args.replications <= MAX_REPLICATIONS:
        raise InputError(f"--replications: from 2 (for an interval) to {MAX_REPLICATIONS} "
                         f"(got {args.replications:,})")
    report = None if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    suite = Suite(replications=args.replications, progress=report)
    checks = run_checks(suite)
    failed = [c for c in checks if c.passed is False]
    if not args.quiet:
        print(validation_table(checks))
        ran = sum(c.passed is not None for c in checks)
        print(f"{ran - len(failed)} of {ran} checks passed ({args.replications} replications each; "
              f"{len(checks) - ran} not available)")
    return 1 if failed else 0
