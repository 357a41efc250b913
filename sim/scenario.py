"""The scenario file: what one run simulates, with every default documented.

A scenario is a YAML file. Every field but ``name`` has a default, so a
five-line file runs; :func:`load_scenario` reads it with a safe loader,
validates it with pydantic and fills in the defaults. Whatever is wrong
comes back as one :class:`InputError` that names the file, the field
path (``brands.0.campaign.posts_per_day``) or the line, and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import re
import stat
import typing
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from .cost import (  # noqa: F401
    amount_of_bytes,
    duration,
    memory_available,
    memory_needed,
    posts_of,
    run_costs,
)
from .errors import InputError
from .motivations import QUALITIES, Motivation

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


def _a_window(hours: tuple[float, float]) -> tuple[float, float]:
    start, end = hours
    if not (0 <= start <= 24 and 0 <= end <= 24 and start != end):
        raise ValueError("must be [start, end] with hours from 0 to 24 and start != end; "
                         "an overnight window such as [21, 9] runs past midnight")
    return hours


PostingWindow = Annotated[tuple[float, float], AfterValidator(_a_window)]
"""A span of hours [start, end); when end < start it runs past midnight (e.g. [21, 9])."""

NAME_LENGTH = 64
"""Characters at most in a name: the scenario's, a brand's, a content kind's, a topic's."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _folder_name(text: str) -> str:
    """A scenario name: it names the output folder, so no spaces, slashes or leading dots."""
    if len(text) > NAME_LENGTH:
        raise ValueError(f"a name has at most {NAME_LENGTH} characters (this one has {len(text):,})")
    if not _NAME.fullmatch(text):
        raise ValueError("use letters, digits, '_', '-', '.'; no spaces; start with a letter or digit")
    return text


def _label(text: str) -> str:
    """A brand name, content kind or topic: 1 to NAME_LENGTH characters on one line."""
    if not text.strip():
        raise ValueError("must not be empty")
    if len(text) > NAME_LENGTH:
        raise ValueError(f"a name has at most {NAME_LENGTH} characters (this one has {len(text):,})")
    if any(not character.isprintable() for character in text):
        raise ValueError("a name is one line of printable characters (no tabs or line breaks)")
    return text


FolderName = Annotated[str, AfterValidator(_folder_name)]
Label = Annotated[str, AfterValidator(_label)]
GENERATORS = ("barabasi_albert", "watts_strogatz", "powerlaw_cluster", "stochastic_block", "edge_list")

assert set(typing.get_args(MotivationName)) == {m.label for m in Motivation}
assert typing.get_args(Quality) == QUALITIES


class Section(BaseModel):
    """A part of the scenario file: unknown keys are errors, not ignored; numbers are finite (no .inf, .nan)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


MAX_PEOPLE = 2**31 - 1
"""People at most: they are numbered in 32-bit integers (the cost estimate usually says no sooner)."""
MAX_DAYS = 3650
"""Days at most in a run (ten years)."""
MIN_TICK_HOURS = 1 / 60
"""The shortest tick: one minute."""
MAX_TICKS = 100_000
"""Ticks at most in a run: about eleven years of hourly ticks, 70 days of one-minute ticks."""
MAX_BRANDS = 1000
"""Brands at most in a scenario; brand ids are 16-bit integers (sim.content.BRAND_ID)."""
MAX_POSTS_PER_DAY = 1000
"""Posts a day at most per brand (one every 86 seconds)."""
MAX_POSTS = 1_000_000
"""Posts at most in a run, all brands together; post ids are 32-bit integers."""
MAX_TOPICS = 100
MAX_KINDS = 100
"""Content kinds at most in a campaign's mix."""
MAX_COMMUNITIES = 1000
"""stochastic_block communities at most: the generator visits every pair of them."""
MAX_DEGREE = 1000
"""Mean friends per person at most (Facebook's median is about 200)."""
MAX_SEED = 2**32 - 1


class Population(Section):
    """Who is on the network and how they read their feeds."""

    size: int | None = Field(None, ge=2, le=MAX_PEOPLE,
                             description="people, 2 to 2^31-1; default 10,000, or the edge list's node count")
    motivations: Literal["study"] | dict[MotivationName, Share] = Field(
        "study", description="'study' (Beyond 2012 shares, normalised) or a mapping of type to share")
    topics: list[Label] = Field(["tech", "food", "travel", "sport", "fashion"], min_length=1, max_length=MAX_TOPICS,
                                description="1 to 100 topic names")
    interests_per_person: int = Field(2, ge=1, le=MAX_TOPICS, description="topics each person cares about (<= topics)")
    sessions_per_day: float = Field(4.0, gt=0, le=1440, description="feed-reading sessions per day, at most one a minute")
    attention_span: int = Field(20, ge=1, le=10_000, description="items read per session, newest first (1 to 10,000)")
    background_items_per_hour: float = Field(
        30.0, ge=0, le=100_000,
        description="friends', news and entertainment items arriving per hour, 0 to 100,000 (IBM 2011: 30)")
    background_at_night: Share = Field(
        0.25, description="background rate outside active_hours, as a share of the daytime rate")
    friend_share_priority: float = Field(
        2.0, ge=1, le=1000,
        description="feeds sink a friend's share this many times more slowly than a brand page's post (1 to 1000)")
    active_hours: HoursOfDay = Field(
        (7.0, 23.0), description="hours of the day when people read their feeds [start, end)")
    follow_probability: Share = Field(
        0.05, description="chance that a non-follower who reads a fully appealing post, shared by a friend of trust 1, follows the brand")
    activity_spread: float = Field(
        1.0, ge=0, le=3, description="log-normal spread (sigma) of sessions per day across people, mean kept: "
                                     "a few heavy users, many light ones; 0: everyone alike")
    secondary_motivations: Share = Field(
        0.3, description="weight of a person's six other motivations together; the dominant one has the rest")


class Network(Section):
    """The social graph: a NetworkX generator or an edge-list file."""

    generator: Literal["barabasi_albert", "watts_strogatz", "powerlaw_cluster",
                       "stochastic_block", "edge_list"] = "powerlaw_cluster"
    mean_degree: float = Field(10.0, gt=0, le=MAX_DEGREE,
                               description="mean number of friends (generators), above 0, at most 1000 and below the population")
    rewiring: Share = Field(0.1, description="watts_strogatz: chance to rewire each tie")
    triangle_probability: Share = Field(0.3, description="powerlaw_cluster: chance to close a triangle")
    communities: int = Field(5, ge=1, le=MAX_COMMUNITIES,
                             description="stochastic_block: communities, 1 to 1000; community k's members all "
                                         "have topic k (mod the number of topics) as their first interest")
    mixing: Share = Field(0.1, description="stochastic_block: share of ties that cross communities")
    path: str | None = Field(None, max_length=4096, description="edge_list: file, relative to the scenario file")
    directed: bool = Field(False, description="edge_list: 'a b' means b sees a's shares (a -> b) when true")
    close_ties: int = Field(3, ge=1, le=MAX_DEGREE, description="close ties per person, a selective's audience (1 to 1000)")
    professional_share: Share = Field(0.2, description="share of ties that are professional contacts")


class Content(Section):
    """One kind of post in a campaign's mix."""

    kind: Label = "post"
    weight: float = Field(1.0, ge=0, le=1e6, description="relative frequency in the mix, 0 to 1,000,000")
    topic: Label | None = Field(None, description="one of population.topics (default: the brand's topic)")
    qualities: dict[Quality, Share] = Field(default_factory=dict, description="missing qualities are 0")
    promotional: Share = 0.0


class ScheduledPost(Section):
    day: int = Field(ge=1, le=MAX_DAYS, description="day of the run, from 1")
    hour: float = Field(ge=0, lt=24, description="hour of the day, 0 to below 24")
    kind: Label


class Seeding(Section):
    """People the brand hands each post to directly, asking them to pass it on."""

    influencers: int = Field(0, ge=0, le=MAX_PEOPLE, description="the people with the largest audiences")
    employees: int = Field(0, ge=0, le=MAX_PEOPLE, description="random people who work for the brand")
    random: int = Field(0, ge=0, le=MAX_PEOPLE, description="random people (all three together: at most the population)")
    share_boost: float = Field(10.0, ge=1, le=1000, description="factor on a seeded person's share chance, 1 to 1000")


class Campaign(Section):
    posts_per_day: float = Field(3.0, ge=0, le=MAX_POSTS_PER_DAY, description="posts a day, 0 to 1000")
    posting_window: PostingWindow = Field(
        (9.0, 21.0), description="hours of the day over which posts_per_day are spread evenly")
    schedule: list[ScheduledPost] | None = Field(
        None, max_length=MAX_POSTS, description="explicit posts; replaces posts_per_day")
    content: list[Content] = Field(
        default_factory=lambda: [Content(kind="post", qualities={"useful": 0.5}, promotional=0.2)],
        min_length=1, max_length=MAX_KINDS)
    seeding: Seeding = Field(default_factory=Seeding)


class Brand(Section):
    name: Label
    followers: Union[int, float, Literal["lab42"]] = Field(
        0.1, description="a fraction of the population (0.1 or '10%'), a count, or 'lab42' "
                         "(Lab42 2011 brands-followed distribution)")
    topic: Label | None = Field(None, description="the brand's field (default: its first content topic, else the first topic)")
    interest_match: Share = Field(0.7, description="share of initial followers interested in the brand's topic")
    market_brands: int = Field(100, ge=1, le=1_000_000, description="lab42: brands in the market a person picks from")
    campaign: Campaign = Field(default_factory=Campaign)

    @field_validator("followers", mode="before")
    @classmethod
    def _percent(cls, value):
        """'10%' means 0.1 of the population."""
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                return float(value.strip()[:-1]) / 100
            except ValueError:
                raise ValueError("write a share as a number and a percent sign, e.g. '10%'") from None
        return value

    @field_validator("followers")
    @classmethod
    def _followers(cls, value):
        if isinstance(value, bool):
            raise ValueError("must be a fraction in [0, 1], a whole count, or 'lab42'")
        if isinstance(value, float) and not 0.0 <= value <= 1.0:
            raise ValueError("a fraction must lie in [0, 1]; write a count as a whole number")
        if isinstance(value, int) and not 0 <= value <= MAX_PEOPLE:
            raise ValueError("a count must be >= 0 and at most the population")
        return value


class MotivationOverride(Section):
    """Changes to one type's row of the motivation table (sim.motivations.PROFILES)."""

    responds_to: dict[Quality, Share] | None = Field(
        None, description="weight of each quality in a post's appeal, 0 to 1")
    share_probability: Share | None = None
    off_topic: Share | None = None
    audience: Literal["everyone", "close_ties", "enthusiasts", "professional"] | None = None
    half_life_hours: float | None = Field(None, gt=0, le=100_000, description="hours, above 0, at most 100,000")
    trust: float | None = Field(None, ge=0, le=1000, description="persuasion factor, 0 to 1000")
    fatigue_tolerance: float | None = Field(None, gt=0, le=1e6, description="fatigue units, above 0, at most 10^6")
    offended_by_provocative: float | None = Field(None, ge=0, le=1000, description="factor, 0 to 1000")
    sessions_per_day: float | None = Field(None, gt=0, le=1440, description="sessions a day, at most one a minute")
    attention_span: int | None = Field(None, ge=1, le=10_000, description="items per session, 1 to 10,000")


class Feed(Section):
    """How a platform orders a person's feed (the EdgeRank family, or newest first)."""

    ranking: Literal["engagement", "chronological"] = Field(
        "engagement", description="engagement: by affinity with the source, engagement so far and age; "
                                  "chronological: newest first")
    score_half_life_hours: float = Field(
        0.5, gt=0, le=10_000, description="engagement ranking: hours over which an item's ranking score halves "
                                          "with age, the platform's pace (Graffius 2018: about 0.5 Facebook and "
                                          "Twitter, about 20 Instagram and LinkedIn)")
    page_affinity: float = Field(
        0.07, gt=0, le=1000, description="a brand page's mean affinity with a person, relative to an average "
                                        "friend's, news or entertainment item (1)")
    affinity_spread: float = Field(
        1.0, ge=0, le=3, description="log-normal spread (sigma) of people's affinity with a brand page; the "
                                     "keenest follow first, so a large page's followers care less on average")
    engagement_weight: float = Field(
        0.5, ge=0, le=10, description="engagement ranking: an item's score grows as (1 + interactions so far) to this power")


class Fatigue(Section):
    """How a follower tires of a brand, then hides it or unfollows (fatigue units: 0 to 1000 each)."""

    per_post: float = Field(0.1, ge=0, le=1000, description="fatigue from reading any brand post")
    promotional: float = Field(0.4, ge=0, le=1000, description="extra fatigue per unit of promotional")
    irrelevant: float = Field(0.2, ge=0, le=1000, description="extra fatigue from a post off the reader's interests")
    provocative: float = Field(0.5, ge=0, le=1000, description="extra fatigue per unit of provocative, if offended")
    half_life_hours: float = Field(24.0, gt=0, le=100_000, description="fatigue halves with every this many hours")
    act_probability: Share = Field(
        0.15, description="chance that a tired follower acts (hides the brand or unfollows it) per brand post "
                          "read at twice their fatigue tolerance; nobody acts below the tolerance")
    hide_share: Share = Field(
        0.47, description="share of those who act who hide the brand's posts rather than unfollow "
                          "(ExactTarget 2011: 38% hid, 43% unliked; 38 / 81 = 0.47)")


class IndependentCascade(Section):
    share_probability: Share = 0.05
    seed_fraction: Share | None = 0.01
    seed_count: int | None = Field(None, ge=1, le=MAX_PEOPLE, description="people, at most the population")


class Scenario(Section):
    """One run: who, on which network, which brands post what, for how long."""

    name: FolderName = Field(description="1 to 64 letters, digits, '_', '-', '.'; names the output folder")
    description: str = Field("", max_length=10_000, description="free text, at most 10,000 characters")
    model: Literal["sharesim", "independent_cascade"] = "sharesim"
    seed: int = Field(0, ge=0, le=MAX_SEED, description="0 to 2^32-1")
    duration_days: float = Field(14.0, gt=0, le=MAX_DAYS, description="days, above 0, at most 3650")
    tick_hours: float = Field(1.0, ge=MIN_TICK_HOURS, le=24,
                              description="hours per tick, one minute (1/60) to 24; must divide 24")
    population: Population = Field(default_factory=Population)
    network: Network = Field(default_factory=Network)
    brands: list[Brand] = Field(default_factory=lambda: [Brand(name="Brand")], min_length=1, max_length=MAX_BRANDS)
    motivations: dict[MotivationName, MotivationOverride] = Field(default_factory=dict)
    feed: Feed = Field(default_factory=Feed)
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
    """Read, validate and complete a scenario file, or raise InputError."""
    path = Path(path)
    return scenario_from_dict(read_yaml(path, "scenario"), source=path)


YAML_FILE_LIMIT = 10 * 2**20
"""Bytes at most in a scenario or strategies file (10 MB; a large one is a few kB)."""


def regular_file(path: Path, what: str) -> Path:
    """``path`` if it is an ordinary file; else InputError saying what it is instead.

    Checked before opening: opening a FIFO waits for a writer, and a device
    such as /dev/zero never ends.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except OSError as error:
        raise InputError(f"{path}: {what} cannot be read ({error.strerror or error})") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a folder, not {_article(what)} {what}")
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: is not a regular file (a device, pipe or socket); "
                         f"give {_article(what)} {what}")
    return path


def _article(what: str) -> str:
    return "an" if what[:1] in "aeiou" else "a"


class _AliasFound(Exception):
    """The document uses an alias (a node reached twice)."""


class ScenarioLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader (libyaml's C parser when installed), without aliases.

    Anchors and aliases (``&base`` ... ``*base``) are refused: a few nested
    aliases make one small file stand for a billion values ("billion
    laughs"), which would hang validation; a scenario is short enough to
    write each value out.
    """

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _AliasFound
        return super().construct_object(node, deep)


def read_yaml(path: Path, what: str = "scenario"):
    """A YAML file's data, read safely (no Python objects, no aliases, at most 10 MB), or InputError."""
    path = regular_file(Path(path), f"{what} file")
    size = path.stat().st_size
    with path.open("rb") as file:
        raw = file.read(YAML_FILE_LIMIT + 1)
    if max(size, len(raw)) > YAML_FILE_LIMIT:
        raise InputError(f"{path}: the {what} file is {_bytes(max(size, len(raw)))}; "
                         f"{_article(what)} {what} file may be at most {_bytes(YAML_FILE_LIMIT)}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file (expected UTF-8 YAML)") from None
    try:
        return yaml.load(text, Loader=ScenarioLoader)
    except _AliasFound:
        line, name = _first_alias(text)
        raise InputError(f"{path}:{line}: YAML aliases (*{quoted(name, 30)[1:-1]}) are not allowed in "
                         f"{what} files; write the value out instead") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise InputError(f"{path}{where}: not valid YAML: {problem[:200]}") from None
    except RecursionError:
        raise InputError(f"{path}: not valid YAML: nested too deeply") from None
    except ValueError as error:          # e.g. an integer of more than 4300 digits
        raise InputError(f"{path}: not valid YAML: {str(error)[:200]}") from None


def _first_alias(text: str) -> tuple[int, str]:
    """Line (from 1) and anchor name of the document's first alias."""
    for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(event, yaml.AliasEvent):
            return event.start_mark.line + 1, event.anchor
    return 1, "?"


QUOTE_LENGTH = 60
"""Characters at most of a bad value quoted in an error message."""


def quoted(value, limit: int = QUOTE_LENGTH) -> str:
    """A value as Python writes it, cut to ``limit`` characters ("..." marks the cut).

    Walks only as much of the value as it shows: a huge or self-repeating
    value (YAML aliases) costs no more than a short one.
    """
    parts: list[str] = []
    room = limit + 1

    def put(text: str) -> None:
        nonlocal room
        parts.append(text[:max(room, 0)])
        room -= len(text)

    def walk(item) -> None:
        if room <= 0:
            return
        if isinstance(item, dict):
            put("{")
            for i, (key, inner) in enumerate(item.items()):
                if room <= 0:
                    return
                put(", " if i else "")
                walk(key)
                put(": ")
                walk(inner)
            put("}")
        elif isinstance(item, (list, tuple)):
            put("[" if isinstance(item, list) else "(")
            for i, inner in enumerate(item):
                if room <= 0:
                    return
                put(", " if i else "")
                walk(inner)
            put("]" if isinstance(item, list) else ")")
        elif isinstance(item, (str, bytes)):
            put(repr(item[:room]))
        elif isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > 256:
            put(f"<a whole number of about {int(item.bit_length() * 0.30103):,} digits>")
        else:
            put(repr(item)[:room])

    walk(value)
    text = "".join(parts)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def scenario_from_dict(data, source: str | Path = "<scenario>") -> Scenario:
    """Validate a scenario given as a mapping (as read from YAML)."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: a scenario must be a mapping of fields (name: ..., population: ...)")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise InputError(describe_errors(error, source)) from None
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
            hint = difflib.get_close_matches(key[:QUOTE_LENGTH], allowed, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            lines.append(f"{location}: unknown field{suggestion} Allowed here: {', '.join(allowed)}")
        elif item["type"] == "missing":
            lines.append(f"{location}: required field is missing")
        else:
            message = item["msg"].removeprefix("Value error, ")
            lines.append(f"{location}: {message} (got {quoted(item['input'])})")
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
        location = ".".join(_location_part(part) for part in item["loc"] if not _is_union_tag(part))
        if location in found and item["type"] != "extra_forbidden":
            previous = found[location]
            if item["msg"] not in previous["msg"]:
                previous["msg"] = f"{previous['msg']}; or {item['msg'][0].lower()}{item['msg'][1:]}"
            continue
        found[location] = dict(item)
    deepest = [loc for loc in found if not any(other.startswith(loc + ".") for other in found)]
    return [(found[loc], loc) for loc in deepest[:limit]]


def _location_part(part) -> str:
    """One step of a field path; a long unknown key is cut like a quoted value."""
    text = str(part)
    return text if len(text) <= QUOTE_LENGTH else quoted(text)[1:-1]


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


MAX_RUN_HOURS = 24
"""A run estimated to take longer than this (sim.cost) is refused."""
MEMORY_SHARE = 0.8
"""A run estimated to need more than this share of the machine's memory is refused."""


def _check_consistency(scenario: Scenario, source, base: Path) -> None:
    """Checks that involve more than one field; each names its field path."""
    def fail(where: str, message: str):
        raise InputError(f"{source}: {where}: {message}")

    population = scenario.population
    topics = population.topics
    if len(set(topics)) != len(topics):
        fail("population.topics", "topics must be distinct")
    if population.interests_per_person > len(topics):
        fail("population.interests_per_person",
             f"must be at most the number of topics ({len(topics)})")
    if isinstance(population.motivations, dict) and sum(population.motivations.values()) <= 0:
        fail("population.motivations", "at least one type needs a share above 0")
    per_day = 24 / scenario.tick_hours
    if abs(per_day - round(per_day)) > 1e-6:
        fail("tick_hours", "must divide 24 (e.g. 0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 24)")
    if scenario.ticks > MAX_TICKS:
        where = "tick_hours" if scenario.tick_hours < 1 else "duration_days"
        fail(where, f"{scenario.duration_days:g} days of {scenario.tick_hours:g}-hour ticks are "
                    f"{scenario.ticks:,} ticks; a run has at most {MAX_TICKS:,} (use longer ticks or fewer days)")

    network = scenario.network
    size = population.size
    if network.generator == "edge_list":
        if network.path is None:
            fail("network.path", "generator edge_list needs the path of an edge-list file")
        file = Path(network.path)
        file = file if file.is_absolute() else (base / file)
        try:
            regular_file(file, "edge-list file")
        except InputError as error:
            fail("network.path", str(error))
        network.path = str(file.resolve())
    elif network.path is not None:
        fail("network.path", f"only generator edge_list reads a file (generator is {network.generator})")
    else:
        people = size or 10_000
        if network.mean_degree >= people:
            fail("network.mean_degree", f"must be below the population size ({people:,})")
        if network.generator == "stochastic_block" and network.communities > people:
            fail("network.communities", f"must be at most the population size ({people:,})")

    names = [brand.name for brand in scenario.brands]
    if len(set(names)) != len(names):
        repeated = next(name for name in names if names.count(name) > 1)
        fail("brands", f"brand names must be distinct ({quoted(repeated)} is given twice)")
    posts = 0
    for b, brand in enumerate(scenario.brands):
        for where, topic in [(f"brands.{b}.topic", brand.topic)] + [
                (f"brands.{b}.campaign.content.{c}.topic", item.topic)
                for c, item in enumerate(brand.campaign.content)]:
            if topic is not None and topic not in topics:
                fail(where, f"unknown topic {quoted(topic)}; population.topics are {quoted(topics)}")
        campaign = brand.campaign
        if sum(item.weight for item in campaign.content) <= 0:
            fail(f"brands.{b}.campaign.content", "at least one kind needs a weight above 0")
        kinds = [item.kind for item in campaign.content]
        for s, post in enumerate(campaign.schedule or []):
            if post.kind not in kinds:
                fail(f"brands.{b}.campaign.schedule.{s}.kind",
                     f"unknown kind {quoted(post.kind)}; the content kinds are {quoted(kinds)}")
            if post.day > scenario.duration_days + 1e-9:
                fail(f"brands.{b}.campaign.schedule.{s}.day",
                     f"day {post.day} is after the run's last day ({scenario.duration_days:g})")
        seeding = campaign.seeding
        seeded = seeding.influencers + seeding.employees + seeding.random
        if size is not None and seeded > size:
            fail(f"brands.{b}.campaign.seeding", f"{seeded:,} seeded people but the population is {size:,}")
        if size is not None and isinstance(brand.followers, int) and brand.followers > size:
            fail(f"brands.{b}.followers", f"{brand.followers:,} followers but the population is {size:,}")
        posts += posts_of(campaign, scenario.duration_days)
        if posts > MAX_POSTS:
            field = "schedule" if campaign.schedule else "posts_per_day"
            fail(f"brands.{b}.campaign.{field}", f"the brands publish more than {MAX_POSTS:,} posts in the run, "
                                                  f"the most one run holds; post less often or shorten duration_days")
        if brand.topic is None:
            brand.topic = next((c.topic for c in campaign.content if c.topic), topics[0])
        for item in campaign.content:
            if item.topic is None:
                item.topic = brand.topic

    ic = scenario.independent_cascade
    if scenario.model == "independent_cascade" and ic.seed_count is None and not ic.seed_fraction:
        fail("independent_cascade", "give seed_fraction (in (0, 1]) or seed_count")
    if size is not None and ic.seed_count is not None and ic.seed_count > size:
        fail("independent_cascade.seed_count", f"{ic.seed_count:,} seeds but the population is {size:,}")

    _check_cost(scenario, fail)


def _check_cost(scenario: Scenario, fail) -> None:
    """Refuse a run this machine cannot hold in memory or finish within MAX_RUN_HOURS."""
    costs = run_costs(scenario)
    needed, available = sum(c.bytes for c in costs), memory_available()
    if needed > MEMORY_SHARE * available:
        # a part that alone cannot fit is the one to change (the population before what scales with it)
        alone = [c for c in costs if c.bytes > MEMORY_SHARE * available]
        biggest = alone[0] if alone else max(costs, key=lambda c: c.bytes)
        fail(biggest.field, f"this run needs about {amount_of_bytes(needed)} of memory, most of it for "
                            f"{biggest.what}, and this machine has {amount_of_bytes(available)}; "
                            f"make {biggest.field} smaller")
    seconds = sum(c.seconds for c in costs)
    if seconds > MAX_RUN_HOURS * 3600:
        slowest = max(costs, key=lambda c: c.seconds)
        fail(slowest.field, f"this run would take about {duration(seconds)}, most of it for {slowest.what}; "
                            f"sharesim refuses runs estimated above {MAX_RUN_HOURS} hours; "
                            f"make {slowest.field} smaller")


def _bytes(amount: float) -> str:
    return amount_of_bytes(amount)


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
            raise InputError(f"{where}: {here}: no such item; {'.'.join(trail) or 'the list'} has "
                             f"{len(container)} item(s), numbered 0 to {len(container) - 1}")
        key = int(key)
        current = container[key]
    else:
        current = container.get(key)
    if rest:
        if not isinstance(current, (dict, list)) and rest[0].isdigit():
            raise InputError(f"{where}: {here}.{rest[0]}: no such item; the base scenario has no list "
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


def value_at(data, path: str):
    """The value at a dotted path of plain scenario data (numbers index lists), or None:
    what :func:`with_overrides` would replace."""
    for key in path.split("."):
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            return None
    return data
