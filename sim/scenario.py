"""The scenario file: what one run simulates, with every default documented.

A scenario is a YAML file. Every field but ``name`` has a default, so a
five-line file runs; :func:`load_scenario` reads it with a safe loader,
validates it with pydantic and fills in the defaults. Whatever is wrong
comes back as one :class:`ScenarioError` that names the file, the field
path (``brands.0.campaign.posts_per_day``) or the line, and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import typing
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from .motivations import QUALITIES, AUDIENCES, Motivation

MotivationName = Literal["altruist", "selective", "passionate", "social",
                         "trendsetter", "provocateur", "careerist"]
Quality = Literal["useful", "personal", "topical", "inspiring", "novel", "provocative", "professional"]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


def _within_a_day(hours: tuple[float, float]) -> tuple[float, float]:
    start, end = hours
    if not (0 <= start < end <= 24):
        raise ValueError("must be [start, end] with 0 <= start < end <= 24")
    return hours


HoursOfDay = Annotated[tuple[float, float], AfterValidator(_within_a_day)]
"""A span of hours within a day, [start, end)."""
GENERATORS = ("barabasi_albert", "watts_strogatz", "powerlaw_cluster", "stochastic_block", "edge_list")

assert set(typing.get_args(MotivationName)) == {m.label for m in Motivation}
assert typing.get_args(Quality) == QUALITIES


class ScenarioError(Exception):
    """A scenario that cannot run; the message is meant for the user as is."""


class Section(BaseModel):
    """A part of the scenario file: unknown keys are errors, not ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Population(Section):
    """Who is on the network and how they read their feeds."""

    size: int | None = Field(None, ge=2, description="people; default 10,000, or the edge list's node count")
    motivations: Literal["study"] | dict[MotivationName, Share] = Field(
        "study", description="'study' (Beyond 2012 shares, normalised) or a mapping of type to share")
    topics: list[str] = Field(["tech", "food", "travel", "sport", "fashion"], min_length=1)
    interests_per_person: int = Field(2, ge=1, description="topics each person cares about")
    sessions_per_day: float = Field(4.0, gt=0, description="feed-reading sessions per day")
    attention_span: int = Field(20, ge=1, description="items read per session, newest first")
    background_items_per_hour: float = Field(
        30.0, ge=0, description="friends', news and entertainment items arriving per hour (IBM 2011)")
    background_at_night: Share = Field(
        0.25, description="background rate outside active_hours, as a share of the daytime rate")
    friend_share_priority: float = Field(
        2.0, ge=1, description="feeds sink a friend's share this many times more slowly than a brand page's post")
    active_hours: HoursOfDay = Field(
        (7.0, 23.0), description="hours of the day when people read their feeds [start, end)")
    follow_probability: Share = Field(
        0.05, description="chance that a non-follower who reads a fully appealing post, shared by a friend of trust 1, follows the brand")


class Network(Section):
    """The social graph: a NetworkX generator or an edge-list file."""

    generator: Literal["barabasi_albert", "watts_strogatz", "powerlaw_cluster",
                       "stochastic_block", "edge_list"] = "powerlaw_cluster"
    mean_degree: float = Field(10.0, gt=0, description="mean number of friends (generators)")
    rewiring: Share = Field(0.1, description="watts_strogatz: chance to rewire each tie")
    triangle_probability: Share = Field(0.3, description="powerlaw_cluster: chance to close a triangle")
    communities: int | None = Field(None, ge=1, description="stochastic_block: communities (default: one per topic)")
    mixing: Share = Field(0.1, description="stochastic_block: share of ties that cross communities")
    path: str | None = Field(None, description="edge_list: file, relative to the scenario file")
    directed: bool = Field(False, description="edge_list: 'a b' means b sees a's shares (a -> b) when true")
    close_ties: int = Field(3, ge=1, description="close ties per person, a selective's audience")
    professional_share: Share = Field(0.2, description="share of ties that are professional contacts")


class Content(Section):
    """One kind of post in a campaign's mix."""

    kind: str = "post"
    weight: float = Field(1.0, ge=0, description="relative frequency in the mix")
    topic: str | None = Field(None, description="one of population.topics (default: the brand's topic)")
    qualities: dict[Quality, Share] = Field(default_factory=dict, description="missing qualities are 0")
    promotional: Share = 0.0


class ScheduledPost(Section):
    day: int = Field(ge=1, description="day of the run, from 1")
    hour: float = Field(ge=0, lt=24)
    kind: str


class Seeding(Section):
    """People the brand hands each post to directly, asking them to pass it on."""

    influencers: int = Field(0, ge=0, description="the people with the largest audiences")
    employees: int = Field(0, ge=0, description="random people who work for the brand")
    random: int = Field(0, ge=0, description="random people")
    share_boost: float = Field(10.0, ge=1, description="factor on a seeded person's share chance")


class Campaign(Section):
    posts_per_day: float = Field(3.0, ge=0)
    posting_window: HoursOfDay = Field(
        (9.0, 21.0), description="hours of the day over which posts_per_day are spread evenly")
    schedule: list[ScheduledPost] | None = Field(None, description="explicit posts; replaces posts_per_day")
    content: list[Content] = Field(
        default_factory=lambda: [Content(kind="post", qualities={"useful": 0.5}, promotional=0.2)],
        min_length=1)
    seeding: Seeding = Field(default_factory=Seeding)


class Brand(Section):
    name: str = Field(min_length=1)
    followers: Union[int, float, Literal["lab42"]] = Field(
        0.1, description="a fraction of the population, a count, or 'lab42' (Lab42 2011 brands-followed distribution)")
    topic: str | None = Field(None, description="the brand's field (default: its first content topic, else the first topic)")
    interest_match: Share = Field(0.7, description="share of initial followers interested in the brand's topic")
    market_brands: int = Field(100, ge=1, description="lab42: brands in the market a person picks from")
    campaign: Campaign = Field(default_factory=Campaign)

    @field_validator("followers")
    @classmethod
    def _followers(cls, value):
        if isinstance(value, bool):
            raise ValueError("must be a fraction in [0, 1], a whole count, or 'lab42'")
        if isinstance(value, float) and not 0.0 <= value <= 1.0:
            raise ValueError("a fraction must lie in [0, 1]; write a count as a whole number")
        if isinstance(value, int) and value < 0:
            raise ValueError("a count must be >= 0")
        return value


class MotivationOverride(Section):
    """Changes to one type's row of the motivation table (sim.motivations.PROFILES)."""

    responds_to: dict[Quality, float] | None = None
    share_probability: Share | None = None
    off_topic: Share | None = None
    audience: Literal["everyone", "close_ties", "enthusiasts", "professional"] | None = None
    half_life_hours: float | None = Field(None, gt=0)
    trust: float | None = Field(None, ge=0)
    fatigue_tolerance: float | None = Field(None, gt=0)
    offended_by_provocative: float | None = Field(None, ge=0)
    sessions_per_day: float | None = Field(None, gt=0)
    attention_span: int | None = Field(None, ge=1)


class Fatigue(Section):
    """How a follower tires of a brand, stops noticing it, then unfollows."""

    per_post: float = Field(0.1, ge=0, description="fatigue from reading any brand post")
    promotional: float = Field(0.4, ge=0, description="extra fatigue per unit of promotional")
    irrelevant: float = Field(0.2, ge=0, description="extra fatigue from a post off the reader's interests")
    provocative: float = Field(0.5, ge=0, description="extra fatigue per unit of provocative, if offended")
    half_life_hours: float = Field(24.0, gt=0, description="fatigue halves with every this many hours")
    blind_notice: Share = Field(0.25, description="chance a blind follower still notices a brand post")
    unfollow_probability: Share = Field(
        0.15, description="chance to unfollow per brand post read at twice the fatigue tolerance")


class IndependentCascade(Section):
    share_probability: Share = 0.05
    seed_fraction: Share | None = 0.01
    seed_count: int | None = Field(None, ge=1)


class Scenario(Section):
    """One run: who, on which network, which brands post what, for how long."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="letters, digits, '_', '-', '.'; names the output folder")
    description: str = ""
    model: Literal["sharesim", "independent_cascade"] = "sharesim"
    seed: int = Field(0, ge=0)
    duration_days: float = Field(14.0, gt=0)
    tick_hours: float = Field(1.0, gt=0, le=24, description="hours per tick; must divide 24")
    population: Population = Field(default_factory=Population)
    network: Network = Field(default_factory=Network)
    brands: list[Brand] = Field(default_factory=lambda: [Brand(name="Brand")], min_length=1)
    motivations: dict[MotivationName, MotivationOverride] = Field(default_factory=dict)
    fatigue: Fatigue = Field(default_factory=Fatigue)
    independent_cascade: IndependentCascade = Field(default_factory=IndependentCascade)

    @property
    def ticks(self) -> int:
        """Number of ticks in the run."""
        return int(round(self.duration_days * 24 / self.tick_hours))

    def resolved(self) -> dict:
        """The scenario as plain data, every default filled in."""
        return self.model_dump(mode="json")


# --------------------------------------------------------------------------
# Loading and error messages

def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and complete a scenario file, or raise ScenarioError."""
    path = Path(path)
    return scenario_from_dict(read_yaml(path, "scenario"), source=path)


def read_yaml(path: Path, what: str = "scenario"):
    """A YAML file's data, read with the safe loader (no Python objects), or ScenarioError."""
    if not path.is_file():
        raise ScenarioError(f"{path}: {what} file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file (expected UTF-8 YAML)") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError(f"{path}{where}: not valid YAML: {problem}") from None


def scenario_from_dict(data, source: str | Path = "<scenario>") -> Scenario:
    """Validate a scenario given as a mapping (as read from YAML)."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a mapping of fields (name: ..., population: ...)")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(describe_errors(error, source)) from None
    base = Path(source).parent if source != "<scenario>" else Path.cwd()
    _check_consistency(scenario, source, base)
    return scenario


def describe_errors(error: ValidationError, source) -> str:
    """One message for all of a validation's errors: file, field path, what is allowed."""
    lines = []
    for item, location in _distinct_errors(error):
        if item["type"] == "extra_forbidden":
            key = str(item["loc"][-1])
            allowed = _allowed_keys(item["loc"][:-1])
            hint = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            lines.append(f"{location}: unknown field{suggestion} Allowed here: {', '.join(allowed)}")
        elif item["type"] == "missing":
            lines.append(f"{location}: required field is missing")
        else:
            message = item["msg"].removeprefix("Value error, ")
            lines.append(f"{location}: {message} (got {item['input']!r})")
    if len(lines) == 1:
        return f"{source}: {lines[0]}"
    return f"{source}: {len(lines)} problems:\n  " + "\n  ".join(lines)


def _distinct_errors(error: ValidationError, limit: int = 6):
    """Errors with readable locations, one per field.

    Pydantic reports a failed union once per member type, and puts the member
    type in the location; we keep the deepest error of each field and merge
    the alternatives ("Input should be 'study'" or a mapping) into one line.
    """
    found: dict[str, dict] = {}
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"] if not _is_union_tag(part))
        if location in found and item["type"] != "extra_forbidden":
            previous = found[location]
            if item["msg"] not in previous["msg"]:
                previous["msg"] = f"{previous['msg']}; or {item['msg'][0].lower()}{item['msg'][1:]}"
            continue
        found[location] = dict(item)
    deepest = [loc for loc in found if not any(other.startswith(loc + ".") for other in found)]
    return [(found[loc], loc) for loc in deepest[:limit]]


def _is_union_tag(part) -> bool:
    """Pydantic puts the tried member type of a union in the error location."""
    return isinstance(part, str) and ("[" in part or part.startswith(("function-", "constrained-")) or part in
                                      ("int", "float", "str", "bool", "dict", "list", "tuple"))


def _section_class(annotation):
    """The Section subclass inside an annotation such as list[Brand] | None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _section_class(argument)
        if found is not None:
            return found
    return None


def _allowed_keys(location) -> list[str]:
    cls = Scenario
    for part in location:
        if isinstance(part, int) or part not in cls.model_fields:
            continue
        inner = _section_class(cls.model_fields[part].annotation)
        if inner is None:
            break
        cls = inner
    if location and location[0] == "motivations" and len(location) == 1:
        return [m.label for m in Motivation]
    return list(cls.model_fields)


def _check_consistency(scenario: Scenario, source, base: Path) -> None:
    """Checks that involve more than one field; each names its field path."""
    def fail(where: str, message: str):
        raise ScenarioError(f"{source}: {where}: {message}")

    population = scenario.population
    topics = population.topics
    if len(set(topics)) != len(topics):
        fail("population.topics", "topics must be distinct")
    if population.interests_per_person > len(topics):
        fail("population.interests_per_person",
             f"must be at most the number of topics ({len(topics)})")
    if isinstance(population.motivations, dict) and sum(population.motivations.values()) <= 0:
        fail("population.motivations", "at least one type needs a share above 0")
    if not (24 / scenario.tick_hours).is_integer():
        fail("tick_hours", "must divide 24 (e.g. 0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 24)")

    network = scenario.network
    if network.generator == "edge_list":
        if network.path is None:
            fail("network.path", "generator edge_list needs the path of an edge-list file")
        file = Path(network.path)
        file = file if file.is_absolute() else (base / file)
        if not file.is_file():
            fail("network.path", f"edge-list file not found: {file}")
        network.path = str(file.resolve())
    elif network.path is not None:
        fail("network.path", f"only generator edge_list reads a file (generator is {network.generator})")

    needed, available = memory_needed(scenario), memory_available()
    if needed > 0.8 * available:
        where = "network.path" if network.generator == "edge_list" else "population.size"
        fail(where, f"this run needs about {_bytes(needed)} of memory and this machine has "
                    f"{_bytes(available)}; use a smaller population or graph")

    names = [brand.name for brand in scenario.brands]
    if len(set(names)) != len(names):
        fail("brands", f"brand names must be distinct (got {names})")
    for b, brand in enumerate(scenario.brands):
        for where, topic in [(f"brands.{b}.topic", brand.topic)] + [
                (f"brands.{b}.campaign.content.{c}.topic", item.topic)
                for c, item in enumerate(brand.campaign.content)]:
            if topic is not None and topic not in topics:
                fail(where, f"unknown topic {topic!r}; population.topics are {topics}")
        campaign = brand.campaign
        if sum(item.weight for item in campaign.content) <= 0:
            fail(f"brands.{b}.campaign.content", "at least one kind needs a weight above 0")
        kinds = [item.kind for item in campaign.content]
        for s, post in enumerate(campaign.schedule or []):
            if post.kind not in kinds:
                fail(f"brands.{b}.campaign.schedule.{s}.kind",
                     f"unknown kind {post.kind!r}; the content kinds are {kinds}")
            if post.day > scenario.duration_days + 1e-9:
                fail(f"brands.{b}.campaign.schedule.{s}.day",
                     f"day {post.day} is after the run's last day ({scenario.duration_days:g})")
        if brand.topic is None:
            brand.topic = next((c.topic for c in campaign.content if c.topic), topics[0])
        for item in campaign.content:
            if item.topic is None:
                item.topic = brand.topic

    for label, override in scenario.motivations.items():
        if override.audience is not None and override.audience not in AUDIENCES:
            fail(f"motivations.{label}.audience", f"must be one of {AUDIENCES}")

    ic = scenario.independent_cascade
    if scenario.model == "independent_cascade" and ic.seed_count is None and not ic.seed_fraction:
        fail("independent_cascade", "give seed_fraction (in (0, 1]) or seed_count")


BYTES_PER_PERSON = 700
"""Memory per person: a Mesa agent (~450 B, MESA-NOTES.md) and the model's arrays."""
BYTES_PER_GENERATED_TIE = 400
"""Memory per tie while a NetworkX generator builds the graph (dicts of dicts)."""
BYTES_PER_FILE_BYTE = 12
"""Memory per byte of an edge-list file while it is read (about 8 bytes a line)."""


def memory_needed(scenario: Scenario) -> int:
    """A cautious estimate of a run's peak memory (bytes), made before allocating anything."""
    network = scenario.network
    if network.generator == "edge_list":
        file_bytes = Path(network.path).stat().st_size
        people = scenario.population.size or file_bytes // 8
        return people * BYTES_PER_PERSON + file_bytes * BYTES_PER_FILE_BYTE
    people = scenario.population.size or 10_000
    return int(people * (BYTES_PER_PERSON + network.mean_degree / 2 * BYTES_PER_GENERATED_TIE))


def memory_available() -> int:
    """This machine's physical memory in bytes."""
    import os
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def _bytes(amount: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if amount < 1024 or unit == "PB":
            return f"{amount:,.0f} {unit}" if unit == "B" else f"{amount:,.1f} {unit}"
        amount /= 1024


def save_scenario(scenario: Scenario, path: Path) -> None:
    """Write the resolved scenario (every default filled in) as YAML."""
    data = scenario.resolved()
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


# --------------------------------------------------------------------------
# Overrides: the one way to change a scenario (strategies, sweeps, lessons, validation)

def with_overrides(base: dict, overrides: dict | None, where: str = "overrides") -> dict:
    """A copy of scenario data with overrides merged in.

    An override is a dotted path (``brands.0.campaign.posts_per_day: 8``) or a
    nested mapping (``brands: {0: {campaign: {posts_per_day: 8}}}``); numbers in
    a path index lists. Mappings merge into mappings; any other value (a
    number, a list such as a content mix) replaces what was there. Unknown
    fields are left for the scenario's validation to name.
    """
    data = copy.deepcopy(base)
    for path, value in (overrides or {}).items():
        _merge(data, str(path).split("."), value, where, [])
    return data


def _merge(container, keys: list[str], value, where: str, trail: list[str]) -> None:
    key, rest = keys[0], keys[1:]
    here = ".".join(trail + [key])
    if isinstance(container, list):
        if not key.isdigit() or int(key) >= len(container):
            raise ScenarioError(f"{where}: {here}: no such item; {'.'.join(trail) or 'the list'} has "
                                f"{len(container)} item(s), numbered 0 to {len(container) - 1}")
        key = int(key)
        current = container[key]
    else:
        current = container.get(key)
    if rest:
        if not isinstance(current, (dict, list)) and rest[0].isdigit():
            raise ScenarioError(f"{where}: {here}.{rest[0]}: no such item; the base scenario has no list "
                                f"{here} to index (write the list in the base)")
        if not isinstance(current, (dict, list)):
            current = {}
            container[key] = current
        _merge(current, rest, value, where, trail + [str(key)])
    elif isinstance(value, dict) and isinstance(current, (dict, list)):
        for inner, inner_value in value.items():
            _merge(current, str(inner).split("."), inner_value, where, trail + [str(key)])
    else:
        container[key] = copy.deepcopy(value)
