"""What a run will cost, in memory and time, estimated from the scenario alone.

The estimate is made before anything is allocated, so that a scenario this
machine cannot run is refused at once, naming the field that drives the
cost. Each part errs high: it is a guard, not a forecast. The constants
were measured on a 2-core laptop-class machine (a 10,000-person, 14-day
run: 0.3 s to set up, 0.1 s to run).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

BASE_BYTES = 380 * 2**20
"""The interpreter with NumPy, SciPy, pandas, Mesa and matplotlib imported, numba's compiled loops
loaded (about 140 MB, most of it LLVM's library mapped from disk and shared between processes), and
the report's fixed needs (measured: a 10,000-person run peaks at about 383 MB)."""
BYTES_PER_PERSON = 170
"""Memory per person: the model's arrays (motives, activity, competition, reading marks, the feed's
word of waiting broadcasts ...) and the outputs' per-person tables (measured with the ties below,
2-day runs: 10^5 people peak at 441 MB, 10^6 at 718 MB, 10^7 at 4.3 GB, reading habits in rows of
whole cache lines included). A run makes no Mesa agents;
something that asks for them (the demo, ``model.agents``) adds about 450 B a person (docs/mesa-notes.md)."""
BYTES_PER_PERSON_TOPIC = 9
"""Memory per person and topic while interests are drawn (a float and a flag)."""
BYTES_PER_GENERATED_TIE = 400
"""Memory per tie while a NetworkX generator builds the graph (dicts of dicts)."""
BYTES_PER_GROWN_TIE = 45
"""Memory per tie when sim.network grows a large graph with NumPy (both directions in CSR, close and
professional flags, and the growth's and tie marking's temporary arrays, one at a time; with
BYTES_PER_PERSON, 10^7 people for 2 days peak at 4.3 GB: benchmarks/results/scale_10000000.json)."""
BYTES_PER_FILE_BYTE = 12
"""Memory per byte of an edge-list file while it is read (about 8 bytes a line)."""
BYTES_PER_PERSON_BRAND = 22
"""Memory per person and brand: follows, seeded, employee, unfollowed flags; fatigue and its time."""
BYTES_PER_READING = 80
"""Memory per brand item delivered: its event in the log (19 B), the run's table of it, the metrics' int64 copy."""
BYTES_PER_TICK = 1000
"""Memory per tick: one row of the DataCollector's Python objects."""

SECONDS_PER_PERSON = 2e-5
"""Set-up time per person: drawing traits (and, in the demo, making the Mesa agent)."""
SECONDS_PER_TIE = 3e-6
"""Time per tie to generate or read the graph and mark close ties."""
SECONDS_PER_TICK = 2e-3
"""Fixed time per tick (Mesa step, DataCollector, a few array passes)."""
SECONDS_PER_PERSON_TICK = 3e-9
"""Time per person and brand per tick (whole-population array passes)."""
SECONDS_PER_POST_PERSON = 3e-9
"""Time per post and person (each post's who-has-read-it flags and its audience)."""
SECONDS_PER_READING = 1e-6
"""Time per brand item delivered, ranked in a feed, read and logged."""
SECONDS_PER_COMMUNITY_PAIR = 5e-6
"""stochastic_block: time per pair of communities."""

GROWN = ("barabasi_albert", "powerlaw_cluster")
"""Generators that sim.network grows with NumPy from LARGE_GRAPH people on."""
LARGE_GRAPH = 50_000
"""sim.network.LARGE_GRAPH (repeated here so that the estimate imports nothing heavy; a test checks they agree)."""

FEED_DAYS = 3
"""Days a post's who-has-read-it flags live (the feed's 48-hour memory, and a margin)."""
DEFAULT_PEOPLE = 10_000


@dataclass(frozen=True)
class Cost:
    """One part of a run's cost and the scenario field that drives it."""

    field: str
    what: str
    bytes: float
    seconds: float


def people_of(scenario) -> int:
    """The population, or for an edge list without a size, a cautious guess from the file's size."""
    network = scenario.network
    if scenario.population.size is not None:
        return scenario.population.size
    if network.generator == "edge_list":
        return max(2, Path(network.path).stat().st_size // 8)
    return DEFAULT_PEOPLE


def run_costs(scenario) -> list[Cost]:
    """The parts of a run's memory and time, each with the field to change to make it smaller."""
    network, population = scenario.network, scenario.population
    n = people_of(scenario)
    brands = len(scenario.brands)
    ticks = scenario.ticks
    costs = [Cost("population.size", f"{n:,} people",
                  BASE_BYTES + n * (BYTES_PER_PERSON + BYTES_PER_PERSON_TOPIC * len(population.topics)),
                  n * SECONDS_PER_PERSON)]
    if network.generator == "edge_list":
        file_bytes = Path(network.path).stat().st_size
        costs.append(Cost("network.path", f"an edge list of {file_bytes:,} bytes",
                          file_bytes * BYTES_PER_FILE_BYTE, file_bytes / 8 * SECONDS_PER_TIE))
    else:
        ties = n * network.mean_degree / 2
        field = "network.mean_degree" if network.mean_degree > 100 else "population.size"
        seconds = ties * SECONDS_PER_TIE
        if network.generator == "stochastic_block":
            seconds += network.communities ** 2 * SECONDS_PER_COMMUNITY_PAIR
        grown = network.generator in GROWN and n >= LARGE_GRAPH
        costs.append(Cost(field, f"{ties:,.0f} ties",
                          ties * (BYTES_PER_GROWN_TIE if grown else BYTES_PER_GENERATED_TIE), seconds))
    costs.append(Cost("brands", f"{brands:,} brands x {n:,} people", n * brands * BYTES_PER_PERSON_BRAND,
                      ticks * n * brands * SECONDS_PER_PERSON_TICK))
    costs.append(Cost("tick_hours" if scenario.tick_hours < 1 else "duration_days", f"{ticks:,} ticks",
                      ticks * BYTES_PER_TICK, ticks * SECONDS_PER_TICK))
    for b, brand in enumerate(scenario.brands):
        posts = posts_of(brand.campaign, scenario.duration_days)
        audience = min(n, followers_of(brand, n) + _seeded(brand.campaign.seeding))
        readings = posts * audience      # every follower reads every post: high, as most scroll past some
        field = f"brands.{b}.campaign." + ("schedule" if brand.campaign.schedule else "posts_per_day")
        costs.append(Cost(field, f"{posts:,} posts to about {audience:,} people each",
                          readings * BYTES_PER_READING + min(posts, _posts_a_day(brand.campaign) * FEED_DAYS) * n,
                          readings * SECONDS_PER_READING + posts * n * SECONDS_PER_POST_PERSON))
    return costs


def posts_of(campaign, duration_days: float) -> int:
    """How many posts a campaign publishes over the run (at most)."""
    if campaign.schedule:
        return len(campaign.schedule)
    return math.ceil(campaign.posts_per_day * math.ceil(duration_days))


def _posts_a_day(campaign) -> float:
    if campaign.schedule:
        return len(campaign.schedule)
    return math.ceil(campaign.posts_per_day)


def followers_of(brand, n: int) -> int:
    """A brand's initial followers, at most (lab42: everyone follows at most 50 of market_brands)."""
    if brand.followers == "lab42":
        return int(n * min(1.0, 50 / brand.market_brands))
    if isinstance(brand.followers, float):
        return round(brand.followers * n)
    return min(n, brand.followers)


def _seeded(seeding) -> int:
    return seeding.influencers + seeding.employees + seeding.random


def memory_needed(scenario) -> int:
    """A cautious estimate of a run's peak memory (bytes), made before allocating anything."""
    return int(sum(cost.bytes for cost in run_costs(scenario)))


def memory_available() -> int:
    """This machine's physical memory in bytes."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def amount_of_bytes(amount: float) -> str:
    """Bytes for people: '31.2 GB'."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if amount < 1024 or unit == "PB":
            return f"{amount:,.0f} {unit}" if unit == "B" else f"{amount:,.1f} {unit}"
        amount /= 1024


def duration(seconds: float) -> str:
    """Seconds for people: '3.2 days'."""
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:.0f} seconds"
