"""Validation that can fail: the model against what is known about sharing.

``docs/validation-targets.md`` lists stylised facts from research on online
sharing. :data:`CHECKS` turns them into checks, as data: each
:class:`Definition` names its fact, its ``role``, its target, how the model's
value is measured, and a negative control.

* ``role``: ``calibration`` when the defaults were fitted to the target (the
  check then only shows the fit still holds), ``held_out`` when nothing was
  ever set from it (the check is a test of the model);
* target: a :class:`Band` passes only when the whole 95% interval over
  replications lies inside it; an :class:`Above` comparison only when the
  95% interval of the paired difference (same seeds on both sides,
  ``sim.stats.replication_seeds``) lies above zero;
* control: a model variant, as scenario overrides (dotted paths, as
  ``sweep --set`` takes them), that removes the mechanism behind the fact.
  The check is run again under it and must fail there: a check that passes
  whatever the model does tests nothing.

Each quantity is counted as its source counts it (per follower, per
impression, per share). Runs are cached within a :class:`Suite`, so a
scenario that serves several checks runs once per seed.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .errors import InputError
from .events import BRAND, RunLog
from .motivations import PROFILES, QUALITIES, Motivation
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

MAX_REPLICATIONS = 1_000
"""Most replications per scenario ``sharesim validate -r`` accepts."""

FRACTION = (0.0, 1.0)
CAMPAIGN = "brands.0.campaign"
"""The first brand's campaign, the one every focused variant changes."""

TYPES = [m.label for m in Motivation]


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

    def seeds(self, base: int, count: int | None = None) -> list[int]:
        """Independent child seeds of ``base`` (see sim.stats.replication_seeds); the first
        ``replications`` are the same whatever ``count``, so every check shares them."""
        return replication_seeds(base, count or self.replications)

    def sized(self, data: dict) -> dict:
        """A scenario mapping resized to the suite's population and days."""
        data = dict(data)
        if self.days is not None:
            data["duration_days"] = self.days
        if self.population is not None and data.get("network", {}).get("generator") != "edge_list":
            data["population"] = {**data.get("population", {}), "size": self.population}
        return data

    def people(self, default: int) -> int:
        """A population of ``default`` people at full size, scaled as the suite scales 10,000."""
        return default if self.population is None else max(1000, default * self.population // 10_000)

    def runs(self, key: str, scenario: Scenario, base_seed: int, count: int | None = None) -> list[Measured]:
        """The replications of one scenario (cached under ``key``); ``count`` of them, default ``replications``."""
        from .metrics import post_metrics, summarize
        from .runs import simulate

        count = count or self.replications
        key = f"{key} x{count}"
        if key not in self._cache:
            if self.progress:
                self.progress(f"running {scenario.name} x{count}")
            measured = []
            for seed in self.seeds(base_seed, count):
                log = simulate(scenario, seed=seed).log
                posts = post_metrics(log)
                measured.append(Measured(log, posts, summarize(log, posts)))
            self._cache[key] = measured
        return self._cache[key]


def ready_scenarios(folder: Path = SCENARIOS) -> dict[str, dict]:
    """The ready scenarios (``model: sharesim``) as resolved mappings, by file stem."""
    if not folder.is_dir():
        raise InputError(f"{folder}: the ready scenarios folder is missing (validate runs from the project)")
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        scenario = load_scenario(path)
        if scenario.model == "sharesim":
            found[path.stem] = scenario.resolved()
    if "product_launch" not in found:
        raise InputError(f"{folder}: validate needs the ready scenario product_launch.yaml")
    return found


@dataclass
class World:
    """The runs one check sees: the ready scenarios with ``overrides`` (none, or a control's)."""

    suite: Suite
    ready: dict[str, dict]
    folder: Path
    overrides: dict = field(default_factory=dict)
    more_replications: int = 1
    """A noisy check runs this many times the suite's replications (its intervals shrink with them)."""

    def runs(self, base: str, changes: dict | None = None) -> list[Measured]:
        """Replications of ready scenario ``base`` with ``changes``, then the world's overrides,
        on the base scenario's seeds (so every variant of a base is paired)."""
        merged = {**(changes or {}), **self.overrides}
        key = json.dumps([base, merged], sort_keys=True, default=str)
        data = with_overrides(self.suite.sized(self.ready[base]), merged, f"validation variant of {base}")
        data["name"] = base if not merged else f"{base}-variant"
        scenario = scenario_from_dict(data, source=f"{base} (validation variant)")
        return self.suite.runs(key, scenario, self.ready[base].get("seed", 0),
                               self.suite.replications * self.more_replications)

    def names(self) -> list[str]:
        return list(self.ready)


# --------------------------------------------------------------------------
# Quantities measured on one run
# --------------------------------------------------------------------------

GOEL_RESHARES = np.array([0.93, 0.05, 0.02])
"""Goel, Watts & Goldstein 2012, Twitter: tweets with no retweet, one, two or more (0.9% two, the rest more)."""


def reshare_distribution(m: Measured) -> np.ndarray:
    """Shares with no further share, one, two or more (fractions; NaN without shares).

    A share of post X by P is a "tweet"; its retweets are the shares of X
    whose source is P, as Goel et al. count retweets of a tweet.
    """
    shares = m.log.events[m.log.events["kind"] == "share"]
    if shares.empty:
        return np.full(3, math.nan)
    children = shares[shares["source"] >= 0].groupby(["post", "source"]).size()
    counts = children.reindex(pd.MultiIndex.from_arrays([shares["post"], shares["person"]])).fillna(0).to_numpy()
    return np.array([np.mean(counts == 0), np.mean(counts == 1), np.mean(counts >= 2)])


def distance_from_goel(m: Measured) -> float:
    """Total variation distance between the run's reshare distribution and Goel et al.'s."""
    return float(0.5 * np.abs(reshare_distribution(m) - GOEL_RESHARES).sum())


def direct_exposure_share(m: Measured) -> float:
    """Share of exposures (readings) that came straight from the brand (source -1)."""
    exposure = m.log.events[m.log.events["kind"] == "exposure"]
    return float((exposure["source"] == BRAND).mean()) if len(exposure) else math.nan


def reading_ages_minutes(m: Measured) -> np.ndarray:
    """Minutes from each post's publication to each reading of it: the middle of the tick read in,
    so with ticks of a quarter hour an age is known to within 7.5 minutes."""
    log = m.log
    exposure = log.events[log.events["kind"] == "exposure"]
    published = log.posts.set_index("post")["tick"].reindex(exposure["post"]).to_numpy()
    return (exposure["tick"].to_numpy() - published + 0.5) * float(log.meta.get("tick_hours", 1.0)) * 60


def median_reading_age(m: Measured) -> float:
    """The post half-life as Graffius counts it: minutes until half of the readings are done."""
    ages = reading_ages_minutes(m)
    return float(np.median(ages)) if ages.size else math.nan


def reach_right_skew(m: Measured) -> float:
    """How far the mean reach of the run's posts lies above their median, relative to the median.

    A right-skewed distribution (a few posts reach many more people) has its
    mean above its median. Sample skewness says the same but one viral post
    can make it huge, so its interval over replications is too wide to test.
    """
    reach = m.posts["reach"].to_numpy(dtype=float)
    median = float(np.median(reach)) if reach.size else 0.0
    return (float(reach.mean()) - median) / median if median > 0 else 0.0


def hide_share(m: Measured) -> float:
    """Hides among the followers' actions (hides + unfollows), as ExactTarget counts them."""
    acted = m.summary["hides"] + m.summary["unfollows"]
    return m.summary["hides"] / acted if acted else math.nan


def organic_reach(m: Measured) -> float:
    """Mean over posts of the brand's followers who read the post from the brand's page."""
    return m.summary["organic_reach_rate"]


def shares_per_follower(m: Measured) -> float:
    """Mean over posts of the shares of a post per follower of the brand."""
    return m.summary["shares_per_post_per_follower"]


def share_rate_by_kind(m: Measured) -> pd.Series:
    """Shares per 1,000 readings (impressions), by post kind."""
    table = m.posts.groupby("kind")[["shares", "impressions"]].sum()
    return 1000 * table["shares"] / table["impressions"].where(table["impressions"] > 0)


# --------------------------------------------------------------------------
# Targets and controls
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    """Passes when the whole 95% interval lies strictly inside (low, high)."""

    low: float = -math.inf
    high: float = math.inf
    text: str = ""

    def passed(self, e) -> bool:
        return not math.isnan(e.low) and self.low < e.low and e.high < self.high


@dataclass(frozen=True)
class Above:
    """A comparison: passes when the 95% interval of the paired difference lies above zero."""

    text: str = "difference > 0"

    def passed(self, e) -> bool:
        return not math.isnan(e.low) and e.low > 0


@dataclass(frozen=True)
class Control:
    """A model variant under which the check must fail: what it removes, and how (overrides)."""

    variant: str
    overrides: dict


def every_type(name: str, value) -> dict:
    """An override of one Profile field for every motivation type."""
    return {f"motivations.{label}.{name}": value for label in TYPES}


NO_LIMITED_ATTENTION = Control("no limited attention (read everything, no background)",
                               {"population.attention_span": 10_000, "population.background_items_per_hour": 0})
SHARING_X100 = Control("share probabilities x100",
                       {f"motivations.{m.label}.share_probability": min(1.0, 100 * PROFILES[m].share_probability)
                        for m in Motivation})
NO_DECAY = Control("no decay (every type's half-life 100,000 h)", every_type("half_life_hours", 100_000))
NO_SHARING = Control("nobody shares (share probabilities 0)", every_type("share_probability", 0.0))


# --------------------------------------------------------------------------
# The measures: each takes a World and returns an Estimate or a Difference
# --------------------------------------------------------------------------

def _over_ready(measure, within=None):
    """Every ready scenario's estimate: the check takes the one closest to failing (see :func:`worst`)."""
    def over(world: World) -> dict[str, Estimate]:
        return {name: estimate([measure(m) for m in world.runs(name)], within=within) for name in world.names()}
    return over


def _on(base: str, measure, changes: dict | None = None, within=None):
    def on(world: World) -> Estimate:
        return estimate([measure(m) for m in world.runs(base, changes)], within=within)
    return on


def _paired(base: str, measure, a: dict, b: dict):
    """``measure`` under changes ``a`` minus under ``b``, replication by replication."""
    def difference(world: World) -> Difference:
        return paired_difference([measure(m) for m in world.runs(base, a)],
                                 [measure(m) for m in world.runs(base, b)])
    return difference


def _promotional(level: float, kinds: int = 3) -> dict:
    return {f"{CAMPAIGN}.content.{k}.promotional": level for k in range(kinds)}


EQUAL_QUALITY = {f"{CAMPAIGN}.content": [{"kind": "post", "weight": 1.0, "promotional": 0.1,
                                          "qualities": {"useful": 0.8, "novel": 0.8, "inspiring": 0.8}}],
                 f"{CAMPAIGN}.posts_per_day": 6, "network.mean_degree": 40,
                 f"{CAMPAIGN}.seeding": {"influencers": 0, "employees": 0, "random": 0}}
"""Fact 3: every post of the same quality, no seeding, six a day, on a network as dense as Facebook's
(ego-Facebook's mean degree is 44; sharesim's default of 10 is sparse)."""

QUARTER_HOUR_TICKS = {"tick_hours": 0.25}
"""Fact 2: reading ages in minutes need ticks shorter than the platform's half-life."""

SEEDS = 50
"""Fact 8: people seeded on each side of the influencers-versus-random comparison."""


def _seeding(influencers: int = 0, random: int = 0) -> dict:
    return {"brands.0.followers": 0,
            f"{CAMPAIGN}.seeding": {"influencers": influencers, "employees": 0, "random": random}}


def _page_reach_falls(world: World) -> Difference:
    """Organic reach of a page followed by 0.5% of the people minus one followed by 5%."""
    people = {"population.size": world.suite.people(20_000)}
    small = world.runs("product_launch", {**people, "brands.0.followers": 0.005})
    large = world.runs("product_launch", {**people, "brands.0.followers": 0.05})
    return paired_difference([organic_reach(m) for m in small], [organic_reach(m) for m in large])


MOTIVATION_CONTENT = [{"kind": quality, "weight": 1.0, "qualities": {quality: 0.8}, "promotional": 0.0}
                      for quality in QUALITIES]
"""Fact 9: one kind of post per quality, each strong in that quality alone."""

ANSWERS_TO = {m.label: quality for m, quality in zip(Motivation, QUALITIES)}
"""The quality each type answers to (docs/domain.md §1; the order of QUALITIES)."""


def _one_type(label: str, extra: dict | None = None) -> dict:
    """A population of one type reading the seven kinds of post, everyone a follower, no seeding."""
    return {"population.motivations": {label: 1.0}, "brands.0.followers": 1.0,
            f"{CAMPAIGN}.content": MOTIVATION_CONTENT, f"{CAMPAIGN}.posts_per_day": 7,
            f"{CAMPAIGN}.seeding": {"influencers": 0, "employees": 0, "random": 0}, **(extra or {})}


def _own_kind_margin(world: World) -> dict[str, Estimate]:
    """Per type: shares per 1,000 readings of its own kind minus of the best other kind."""
    out = {}
    for label, quality in ANSWERS_TO.items():
        def margin(m, quality=quality):
            rates = share_rate_by_kind(m).fillna(0.0)
            return float(rates.get(quality, 0.0) - rates.drop(quality, errors="ignore").max())
        out[label] = estimate([margin(m) for m in world.runs("product_launch", _one_type(label))])
    return out


def _altruists_share_provocative(world: World) -> Estimate:
    runs = world.runs("product_launch", _one_type("altruist"))
    return estimate([float(share_rate_by_kind(m).fillna(0.0).get("provocative", 0.0)) for m in runs])


SLOW_PLATFORM = {"feed.score_half_life_hours": 20.0}
"""Fact 9c: a platform whose posts live a day (Instagram, LinkedIn: Graffius 2018), where readings
spread over hours and a type's pace of losing interest can show."""


def _decay_loss(label: str, world: World) -> list[float]:
    """Per replication: the share of a one-type population's shares lost to decay (1 - with / without),
    on a slow platform."""
    with_decay = world.runs("product_launch", _one_type(label, SLOW_PLATFORM))
    without = world.runs("product_launch", _one_type(label, {**SLOW_PLATFORM,
                                                            **every_type("half_life_hours", 100_000)}))
    return [1.0 - a.summary["shares"] / b.summary["shares"] if b.summary["shares"] else math.nan
            for a, b in zip(with_decay, without)]


def _trendsetters_lose_more(world: World) -> Difference:
    return paired_difference(_decay_loss("trendsetter", world), _decay_loss("altruist", world))


# --------------------------------------------------------------------------
# The checks, as data
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Definition:
    """One check: what is measured, against what, and the variant under which it must fail.

    measure: World -> Estimate, Difference, or {scenario: Estimate} (then
    every scenario must pass, and the one closest to failing is shown).
    set_by: for a calibration check, what was fitted to the target.
    """

    fact: int
    code: str
    role: str
    what: str
    target: Band | Above
    source: str
    unit: str
    measure: Callable[[World], object]
    control: Control
    set_by: str = ""
    more_replications: int = 1


CHECKS: list[Definition] = [
    # --- calibration: the defaults were fitted to these ---
    Definition(5, "5", "calibration", "shares per post per follower, every ready scenario",
               Band(0.00002, 0.0005, "0.002% to 0.05%"), "Rival IQ 2023; J. Advertising Research 2015", "percent",
               _over_ready(shares_per_follower, FRACTION), SHARING_X100,
               set_by="the types' share_probability", more_replications=3),
    Definition(6, "6a", "calibration", "followers a brand post reaches from the page, every ready scenario",
               Band(0.02, 0.20, "2% to 20%"), "industry figures, Facebook pages 2012-2014", "percent",
               _over_ready(organic_reach, FRACTION), NO_LIMITED_ATTENTION,
               set_by="feed.page_affinity"),
    Definition(4, "4c", "calibration", "over_posting: hides / (hides + unfollows)",
               Band(0.37, 0.57, "0.47 +- 0.10"), "ExactTarget 2011 (38% hid, 43% unliked)", "ratio",
               _on("over_posting", hide_share), Control("everyone hides", {"fatigue.hide_share": 1.0}),
               set_by="fatigue.hide_share = 38 / 81, straight from the survey", more_replications=3),
    # --- held out: never used to set anything ---
    Definition(1, "1a", "held_out", "product_launch: shares with no reshare / one / two+, distance from 93/5/2%",
               Band(-math.inf, 0.10, "TV distance < 0.10"), "Goel, Watts & Goldstein 2012", "ratio",
               _on("product_launch", distance_from_goel, within=FRACTION), SHARING_X100, more_replications=3),
    Definition(1, "1b", "held_out", "readings straight from the brand's post, every ready scenario",
               Band(0.5, math.inf, "> 50%"), "Goel, Watts & Goldstein 2012", "percent",
               _over_ready(direct_exposure_share, FRACTION), SHARING_X100),
    Definition(2, "2a", "held_out", "product_launch, 15-min ticks: minutes until half of a post's readings",
               Band(10, 90, "10 to 90 min"), "Graffius 2018 (Facebook 30 min)", "minutes",
               _on("product_launch", median_reading_age, QUARTER_HOUR_TICKS), NO_LIMITED_ATTENTION),
    Definition(3, "3", "held_out", "equal quality, no seeding, degree 40: per-post reach's (mean - median) / median, "
               "with sharing minus without", Above(), "Weng, Flammini, Vespignani & Menczer 2012", "ratio",
               _paired("product_launch", reach_right_skew, EQUAL_QUALITY, {**EQUAL_QUALITY, **NO_SHARING.overrides}),
               NO_SHARING, more_replications=3),
    Definition(4, "4a", "held_out", "unfollow rate at 10 posts a day minus at 1 a day",
               Above(), "Kwak, Chun & Moon 2011; ExactTarget 2011 (44%: too often)", "percent",
               _paired("product_launch", lambda m: m.summary["unfollow_rate"],
                       {f"{CAMPAIGN}.posts_per_day": 10}, {f"{CAMPAIGN}.posts_per_day": 1}),
               Control("no fatigue acts", {"fatigue.act_probability": 0.0})),
    Definition(4, "4b", "held_out", "unfollow rate with promotional 0.9 minus 0.1",
               Above(), "Kwak, Chun & Moon 2011; ExactTarget 2011 (38%: boring)", "percent",
               _paired("product_launch", lambda m: m.summary["unfollow_rate"], _promotional(0.9), _promotional(0.1)),
               Control("promotion tires no more", {"fatigue.promotional": 0.0})),
    Definition(6, "6b", "held_out", "organic reach, page of 0.5% minus page of 5% of 20,000 people",
               Above(), "industry figures (16% of fans 2012; 2% for pages over 500k)", "percent",
               _page_reach_falls, Control("no affinity spread", {"feed.affinity_spread": 0.0})),
    Definition(7, "7", "held_out", "independent_cascade preset minus cynetdiff: mean activated fraction",
               Band(-0.01, 0.01, "within +-1 point"), "Kempe, Kleinberg & Tardos 2003; cynetdiff", "percent",
               lambda world: _independent_cascade(world), Control("preset's share probability x1.5",
                                                                  {"independent_cascade_factor": 1.5})),
    Definition(8, "8", "held_out", f"reach seeding {SEEDS} top influencers minus {SEEDS} random people",
               Above(), "Hinz, Skiera, Barrot & Becker 2011", "people",
               _paired("product_launch", lambda m: m.summary["reach"], _seeding(influencers=SEEDS),
                       _seeding(random=SEEDS)),
               Control("no hubs (ring lattice, 10 friends each)",
                       {"network.generator": "watts_strogatz", "network.rewiring": 0.0})),
    Definition(9, "9a", "held_out", "one-type populations: shares per 1,000 readings, own kind minus best other",
               Band(0, math.inf, "> 0, every type"), "Beyond 2012; docs/domain.md §1", "per_1000",
               _own_kind_margin, Control("all types alike (respond to useful only)",
                                         every_type("responds_to", {"useful": 1.0})), more_replications=6),
    Definition(9, "9b", "held_out", "all altruists: shares per 1,000 readings of provocative posts",
               Band(0, math.inf, "> 0"), "Beyond 2012 (mixed motives)", "per_1000",
               _altruists_share_provocative, Control("one motive each", {"population.secondary_motivations": 0.0}),
               more_replications=3),
    Definition(9, "9c", "held_out", "slow platform: shares lost to decay (vs no decay), trendsetters minus altruists",
               Above(), "Beyond 2012 (trendsetters share what is new)", "percent",
               _trendsetters_lose_more, NO_DECAY, more_replications=3),
]
"""Every check of docs/validation-targets.md, in the order the table prints them."""


# --------------------------------------------------------------------------
# Fact 7: the classic model against its peers
# --------------------------------------------------------------------------

CASCADES_PER_REPLICATION = 20
"""Fact 7: cascades run on each side per replication of the suite."""


def _independent_cascade(world: World) -> Difference:
    """The independent_cascade preset (sim.cascade) minus cynetdiff, on the same graph.

    The first ready ``model: independent_cascade`` scenario: the same graph,
    seeds count and share probability on both sides (a control's
    ``independent_cascade_factor`` multiplies ours), many cascades each;
    Welch's interval of the difference of mean activated fractions.
    """
    from cynetdiff.utils import networkx_to_ic_model

    from . import cascade

    presets = [p for p in sorted(world.folder.glob("*.yaml")) if load_scenario(p).model == "independent_cascade"]
    if not presets:
        raise InputError(f"{world.folder}: validate needs a ready independent_cascade scenario (fact 7)")
    scenario = load_scenario(presets[0])
    if world.suite.progress:
        world.suite.progress(f"running {presets[0].stem} against cynetdiff")
    graph = cascade.run_cascade(scenario).graph
    p = scenario.independent_cascade.share_probability
    ours_p = min(1.0, p * world.overrides.get("independent_cascade_factor", 1.0))
    runs = CASCADES_PER_REPLICATION * world.suite.replications
    rng = np.random.default_rng(world.suite.seeds(scenario.seed)[0])
    ours = [cascade.independent_cascade(graph, cascade.seed_people(scenario, graph.size, rng), ours_p, rng).activated
            / graph.size for _ in range(runs)]
    model, mapping = networkx_to_ic_model(graph.to_networkx().to_undirected(), activation_prob=p,
                                          rng=int(rng.integers(2**31)))
    theirs = []
    for _ in range(runs):
        model.set_seeds([mapping[int(v)] for v in cascade.seed_people(scenario, graph.size, rng)])
        model.advance_until_completion()
        theirs.append(model.get_num_activated_nodes() / graph.size)
    return independent_difference(ours, theirs)


# --------------------------------------------------------------------------
# Running the checks
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """A check's value and verdict in one world: ``scenario`` names the one shown when several ran."""

    estimate: Estimate | Difference
    passed: bool
    scenario: str = ""


@dataclass(frozen=True)
class Check:
    """One check's result: the model, and the model under its negative control."""

    definition: Definition
    model: Outcome
    control: Outcome

    @property
    def passed(self) -> bool:
        return self.model.passed


def evaluate(definition: Definition, world: World) -> Outcome:
    """Measure ``definition`` in ``world``; over several scenarios, every one must pass."""
    value = definition.measure(world)
    if isinstance(value, dict):
        verdicts = {name: definition.target.passed(e) for name, e in value.items()}
        failing = [name for name, ok in verdicts.items() if not ok]
        if failing:
            return Outcome(value[failing[0]], False, failing[0])
        bound = getattr(definition.target, "low", -math.inf), getattr(definition.target, "high", math.inf)
        name = min(value, key=lambda n: min(value[n].low - bound[0], bound[1] - value[n].high))
        return Outcome(value[name], True, name)
    return Outcome(value, definition.target.passed(value))


def run_checks(suite: Suite, folder: Path = SCENARIOS, codes: list[str] | None = None) -> list[Check]:
    """Every check of :data:`CHECKS` (or those in ``codes``), each also under its control."""
    ready = ready_scenarios(folder)
    checks = []
    for definition in CHECKS:
        if codes is not None and definition.code not in codes:
            continue
        more = definition.more_replications
        model = evaluate(definition, World(suite, ready, folder, more_replications=more))
        control = evaluate(definition, World(suite, ready, folder, definition.control.overrides, more))
        checks.append(Check(definition, model, control))
    return checks


# --------------------------------------------------------------------------
# The table and validation.json
# --------------------------------------------------------------------------

def format_value(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if unit == "percent":
        return f"{100 * value:.3f}%" if abs(value) < 0.001 else (
            f"{100 * value:.2f}%" if abs(value) < 0.1 else f"{100 * value:.1f}%")
    if unit == "minutes":
        return f"{value:.0f} min"
    if unit == "people":
        return f"{value:.0f}"
    return f"{value:.2f}"


def format_estimate(e, unit: str) -> str:
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

ROLE = {"calibration": "calib", "held_out": "held-out"}


def validation_table(checks: list[Check]) -> str:
    """The checks as aligned text: role, check, target, the model's value, its result, and the control's."""
    header = ["#", "role", "check", "target", "model (95% interval)", "result", "negative control", "under control"]
    rows: list[list[str] | str] = []
    for role, title in (("calibration", "Calibration targets (defaults fitted to them)"),
                        ("held_out", "Held-out patterns (never used to set anything)")):
        mine = [c for c in checks if c.definition.role == role]
        if mine:
            rows.append(title)
        for c in mine:
            d = c.definition
            what = f"{d.what} (shown: {c.model.scenario})" if c.model.scenario else d.what
            control = f"{format_estimate(c.control.estimate, d.unit)} {'PASS (!)' if c.control.passed else 'FAIL'}"
            rows.append([d.code, ROLE[role], what, d.target.text, format_estimate(c.model.estimate, d.unit),
                         "PASS" if c.passed else "FAIL", d.control.variant, control])
    return "\n".join(text_table(header, rows, right=False)) + "\n"


def _interval(e) -> dict:
    return {"estimate": e.mean, "interval": [e.low, e.high]}


def _number(value: float):
    return None if math.isinf(value) or math.isnan(value) else value


def validation_record(checks: list[Check], suite: Suite, seconds: float) -> dict:
    """What validation.json holds: each check with its role, value, target, verdict and control."""
    out = []
    for c in checks:
        d = c.definition
        target = ({"kind": "band", "low": _number(d.target.low), "high": _number(d.target.high)}
                  if isinstance(d.target, Band) else {"kind": "paired difference above zero"})
        out.append({
            "name": f"{d.code} {d.what}", "code": d.code, "fact": d.fact, "fact_text": FACTS[d.fact],
            "role": d.role, "source": d.source, "unit": d.unit, "set_by": d.set_by or None,
            **_interval(c.model.estimate), "scenario": c.model.scenario or None,
            "target": {"text": d.target.text, **target}, "passed": c.passed,
            "control": {"variant": d.control.variant, "overrides": d.control.overrides,
                        **_interval(c.control.estimate), "passed": c.control.passed},
        })
    return {"replications": suite.replications, "population": suite.population, "days": suite.days,
            "seconds": round(seconds, 1), "all_passed": all(c.passed for c in checks),
            "all_controls_failed": not any(c.control.passed for c in checks), "checks": out}


def command_validate(args) -> int:
    """``sharesim validate``: print the table (and write validation.json with ``--out``);
    exit 0 when every check passes and every control fails, 1 otherwise."""
    from .rundir import check_destination, staged_folder, write_atomically

    if not 2 <= args.replications <= MAX_REPLICATIONS:
        raise InputError(f"--replications: from 2 (for an interval) to {MAX_REPLICATIONS} "
                         f"(got {args.replications:,})")
    out = getattr(args, "out", None)
    if out is not None:
        check_destination(Path(out), force=args.force, kind="validation")
    report = None if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    suite = Suite(replications=args.replications, progress=report)
    started = time.perf_counter()
    checks = run_checks(suite)
    seconds = time.perf_counter() - started
    if out is not None:
        record = validation_record(checks, suite, seconds)
        with staged_folder(Path(out), kind="validation", force=args.force) as staging:
            write_atomically(staging.path / "validation.json", json.dumps(record, indent=2, allow_nan=False) + "\n")
            write_atomically(staging.path / "validation.txt", validation_table(checks))
    failed = [c for c in checks if not c.passed]
    unsound = [c for c in checks if c.control.passed]
    if not args.quiet:
        print(validation_table(checks))
        print(f"{len(checks) - len(failed)} of {len(checks)} checks passed; "
              f"{len(checks) - len(unsound)} of {len(checks)} failed under their negative control, as they must "
              f"({args.replications} replications each, {seconds:.0f} s)")
    return 1 if failed or unsound else 0
