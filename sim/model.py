"""The Mesa model: one tick of a world where brands post and people share.

Each tick (``tick_hours`` long, an hour by default):

1. Brands publish the posts their campaigns plan for this tick, into the
   feeds of their followers and of the people they seed.
2. People whose session falls in this tick (heavy-tailed activity) read
   their feed best-ranked first (engagement ranking, or newest first), with
   friends', news and entertainment items competing for their limited
   attention (:mod:`sim.feed`). A brand's own posts skip followers who hid it.
3. Each brand item read is an exposure. At the first reading of a post the
   reader may share it: each of their motives adds a chance that rises with
   the quality it answers to and falls with the post's age
   (:mod:`sim.motivations`, :func:`sim.content.attention`); readers also
   interact, which lifts the post in the ranking. A share reaches the
   sharer's audience.
4. A non-follower who likes what a friend shared may follow the brand; a
   follower who reads the brand's own posts tires of it (fatigue) and, beyond
   their tolerance, may hide it (social blindness) or unfollow it.
5. Everything is written to the event log, from which all metrics come.

State lives in arrays indexed by person (motivation, interests, follows,
fatigue) and the graph in compressed rows, so a tick's cost grows with the
activity in it, not with the population; Person and Brand agents are views
onto those arrays, made when first asked for (the run itself never needs them).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import NamedTuple

import mesa
import numba
import numpy as np
import pandas as pd

from .agents import Brand, Person
from .content import PostTable, plan_campaign
from .distinct import distinct
from .errors import InputError
from .events import BRAND, NO_POST, EventKind, EventLog, RunLog
from .feed import SESSION_AT, Background, Feed, Items, PageScores, Ranking, ReadingHabits, SessionTimes
from .followers import Followers, fatigue_of_readings, fatigue_rules
from .motivations import (
    AUDIENCES,
    QUALITIES,
    Motivation,
    MotivationTable,
    mixed_motivations,
    profiles_with,
    study_mix,
)
from .network import SocialGraph, build_network, skip_network_draws
from .prefetch import LOOKAHEAD, prefetch
from .scenario import Scenario
from .sessions import SessionSchedule, open_hours_per_tick

FEED_MEMORY_HOURS = 72.0
"""Items older than this are buried beyond any session's reach and dropped."""

MAX_SESSIONS_PER_DAY = 96.0
"""The heaviest user's sessions a day (one every quarter of an hour, awake)."""

SEEDED_AFFINITY = 100.0
"""Affinity of a seeded person with the brand that asked them: its posts top their feed (judgement)."""

SHARE_OF_INTERACTIONS = 0.07
"""Shares are about 7% of the interactions with brand posts (Journal of Advertising Research 2015):
a reader likes or comments (interacts) with 1/0.07 times their chance to share."""

KEENNESS_NOISE = 0.5
"""Log-normal noise on affinity when a page's initial followers are picked, keenest first (judgement)."""

LAB42_BRANDS_FOLLOWED = [  # (share of Twitter users, fewest, most brands followed): Lab42, August 2011
    (0.106, 0, 0), (0.306, 1, 5), (0.196, 6, 10), (0.178, 11, 20),
    (0.116, 21, 30),  # not in the article: the remaining 11.6% (see docs/domain.md §3)
    (0.098, 31, 50),
]


def _smallest(values: np.ndarray, count: int) -> np.ndarray:
    """Where the ``count`` smallest of ``values`` are (along the last axis), in no particular order.

    The set a full sort would put first, found in linear time (``np.argpartition``);
    callers use it as a set, and their values have no ties.
    """
    size = values.shape[-1]
    if count >= size:
        return np.broadcast_to(np.arange(size), values.shape).copy()
    if count <= 0:
        return np.empty(values.shape[:-1] + (0,), dtype=np.intp)
    return np.argpartition(values, count - 1, axis=-1)[..., :count]


@numba.njit("float64[:](int32[::1], int32[::1], boolean[::1], float64[::1], float32[:, ::1], float64[:, ::1], "
            "float64[::1], float64[::1], float64[::1])", cache=True)
def attended_pull(person, post, on_topic, age_hours, motives, appeal, off_topic, weight, half_life_hours):
    """Per reading, the pull of the post on each of the reader's motives, weighted, summed over the motives.

    A motive's pull is its weight in the reader (``motives``, per person)
    times the post's ``appeal`` to it (per post), times the motive's
    ``off_topic`` factor when the post is not ``on_topic`` for the reader;
    it counts ``weight`` times (per motive) the attention left after the
    reading's ``age_hours`` (halving every ``half_life_hours`` of the motive,
    as :func:`sim.content.attention`). With weight 1 at age 0 this is the
    post's relevance to the reader; with the motives' share probabilities,
    their chance to share it.

    The readers' motives are fetched first, in a loop that does nothing
    else (so that many of these scattered fetches are under way at once),
    then weighed in one loop over readings and motives: no (readings,
    motives) temporaries, and no attention computed for a motive the post
    does not appeal to.
    """
    readings, kinds = person.size, weight.size
    reader_motives = np.empty((readings, kinds), dtype=np.float32)
    for i in range(readings):
        if i + LOOKAHEAD < readings:           # (asked of memory ahead: :mod:`sim.prefetch`)
            prefetch(motives, person[i + LOOKAHEAD])
        for m in range(kinds):
            reader_motives[i, m] = motives[person[i], m]
    total = np.zeros(readings)
    for i in range(readings):
        q = post[i]
        pulls = 0.0
        for m in range(kinds):
            if appeal[q, m] == 0.0:
                continue
            pull = reader_motives[i, m] * appeal[q, m]
            if not on_topic[i]:
                pull *= off_topic[m]
            pulls += pull * weight[m] * np.exp2(-age_hours[i] / half_life_hours[m])
        total[i] = pulls
    return total


@numba.njit("float64[:](int32[::1], int32[::1], int32[::1], boolean[::1], boolean[::1], float64[::1], "
            "int32[::1], int16[::1], float64, float64[::1], float32[:, ::1], float64[:, ::1], float64[::1], "
            "float64[::1], float64[::1])", cache=True)
def share_chance(person, post, source, on_topic, seeded, session_at, post_tick, post_brand, tick_hours, share_boost,
                 motives, appeal, off_topic, share_probability, half_life_hours):
    """Per first reading, the chance that the reader shares the post (at most 1).

    :func:`attended_pull` with the motives' ``share_probability``, at the
    post's age when the reader's session falls (``session_at`` hours; the post
    came out at the start of its tick, ``post_tick``), times the brand's
    ``share_boost`` when the brand seeded the reader (``seeded``) and the
    reading is of its own post (``source``), not a friend's share of it.
    """
    n = post.size
    age_hours = np.empty(n)
    for i in range(n):
        age_hours[i] = session_at[i] - (post_tick[post[i]] - 1) * tick_hours
    chance = attended_pull(person, post, on_topic, age_hours, motives, appeal, off_topic, share_probability,
                           half_life_hours)
    for i in range(n):
        boost = share_boost[post_brand[post[i]]] if seeded[i] and source[i] == BRAND else 1.0
        chance[i] = min(chance[i] * boost, 1.0)
    return chance


class Readers(NamedTuple):
    """What a tick's readings need of their readers, one row per reading (:func:`fetch_readers`).

    ``on_topic``: the post is on one of the reader's interests;
    ``session_at``: the reader's session (hours since the start);
    ``seeded``: the post's brand seeded the reader; ``motivation``: the
    reader's type (:class:`sim.motivations.Motivation`, as its number).
    """

    on_topic: np.ndarray
    session_at: np.ndarray
    seeded: np.ndarray
    motivation: np.ndarray

    def subset(self, positions: np.ndarray) -> "Readers":
        """The rows at ``positions``, in order."""
        return Readers(*(column[positions] for column in self))


@numba.njit("int64(int32[::1], int32[::1], int16[::1], int16[::1], boolean[:, ::1], float64[:, ::1], "
            "boolean[:, ::1], int8[::1], boolean[::1], boolean[::1], float64[::1], boolean[::1], int8[::1])", cache=True)
def fetch_readers(person, post, post_topic, post_brand, interests, habits, seeded, motivation, reached,
                  on_topic, session_at, seeded_by, kind):
    """Fill the columns of :class:`Readers` for readings (``person``, ``post``) in one pass, and
    mark the readers ``reached`` (per person); returns how many were not before, each counted once.

    At 10^6 people each person's values lie far apart in memory: one loop
    that fetches them all, asking for the readers ahead (:mod:`sim.prefetch`),
    keeps many fetches under way at once where a NumPy gather per array
    waits on each array in turn (1.5x slower, over the readings of a day at 10^6 people).
    """
    n = person.size
    newly = 0
    for i in range(n):
        if i + LOOKAHEAD < n:              # (asked of memory ahead: :mod:`sim.prefetch`)
            ahead = person[i + LOOKAHEAD]
            prefetch(interests, ahead)
            prefetch(habits, ahead)
            prefetch(seeded, ahead)
            prefetch(motivation, ahead)
            prefetch(reached, ahead)
        p, q = person[i], post[i]
        on_topic[i] = interests[p, post_topic[q]]
        session_at[i] = habits[p, SESSION_AT]
        seeded_by[i] = seeded[p, post_brand[q]]
        kind[i] = motivation[p]
        newly += not reached[p]            # (no branch: whether a reader is new is unpredictable)
        reached[p] = True
    return newly


@numba.njit("void(int64, int32[::1], int32[::1], boolean[::1], boolean[::1])", cache=True)
def mark_first_readings(this_post, post, person, seen, first):
    """Mark in ``first`` the readings of ``this_post`` by people who had not read it before.

    ``seen`` (per person, who has read the post) is updated as the readings
    go, so of one person's readings only the first is marked.
    """
    for i in range(post.size):
        if post[i] == this_post and not seen[person[i]]:
            seen[person[i]] = True
            first[i] = True


@dataclass
class TickCounts:
    """What happened in the last tick (for the DataCollector)."""

    exposures: int = 0
    new_reach: int = 0
    shares: int = 0
    follows: int = 0
    unfollows: int = 0
    blind: int = 0


class SharingModel(mesa.Model):
    """Brands post, people read with limited attention, share, tire and unfollow.

    Args:
        scenario: a validated :class:`sim.scenario.Scenario`.
        seed: overrides the scenario's seed; one seed fixes every random draw.
        source: the scenario's file name, for error messages.
        graph: a network to play on instead of drawing one (e.g. from
            :func:`sim.network.shared_network`); the people, the posts and
            every later draw still come from ``seed``: the generator skips the
            network's draws, so the graph a run with ``seed`` would draw gives
            exactly that run.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, source: str = "scenario",
                 graph: SocialGraph | None = None) -> None:
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self._agents_made = False       # Person and Brand agents are made when first asked for
        self.seed = seed
        self.scenario = scenario
        self.tick_hours = scenario.tick_hours
        self.profiles = profiles_with({k: v.model_dump() for k, v in scenario.motivations.items()})
        self.table = MotivationTable.from_profiles(self.profiles)

        if graph is None:
            graph = build_network(scenario.network, scenario.population.size, self.rng, source)
        else:
            skip_network_draws(graph, self.rng)
        self.graph: SocialGraph = graph
        self.population = self.graph.size
        self._make_people()
        self._make_brands(source)

        self.posts = PostTable()
        population = scenario.population
        self.background = Background(population.background_items_per_hour, population.active_hours,
                                     population.background_at_night)
        self.ranking = Ranking(scenario.feed.ranking, scenario.feed.score_half_life_hours)
        self.background_rate = population.background_items_per_hour * self.competition   # per person, per hour
        start, end = population.active_hours
        # one row per person of what a session touches; the feed, the session calendar and the
        # followers keep their part of it there (sim.feed.ReadingHabits)
        self.habits = ReadingHabits(self.sessions_per_day, self.attention_span, self.background_rate,
                                    float(end - start), self.affinity)
        self._session_at = self.habits.session_at          # per person, their latest session (hours)
        self.feed = Feed(self.population, waiting=self.habits.waiting)
        self.sessions = SessionSchedule(self.sessions_per_day,
                                        open_hours_per_tick(scenario.ticks, self.tick_hours, (start, end)),
                                        end - start, self.rng, booked=self.habits.booked,
                                        no_session_log=self.habits.no_session_log)
        self.followers.keep_hidden_in(self.habits.hidden)
        self.seen: dict[int, np.ndarray] = {}     # post -> who has read it
        self.reached = np.zeros(self.population, dtype=bool)
        self.reach = 0
        self.log = EventLog()
        self.counts = TickCounts()

        self.datacollector = mesa.DataCollector(model_reporters={
            "exposures": lambda m: m.counts.exposures,
            "new_reach": lambda m: m.counts.new_reach,
            "shares": lambda m: m.counts.shares,
            "follows": lambda m: m.counts.follows,
            "unfollows": lambda m: m.counts.unfollows,
            "blind": lambda m: m.counts.blind,
            "followers": lambda m: m.followers.total,
            "reach": lambda m: m.reach,
        })
        self.datacollector.collect(self)

    # ------------------------------------------------------------------
    # Setting up the world

    def _make_people(self) -> None:
        """Draw each person's motivation, interests and reading habits (their agents come later)."""
        population, n = self.scenario.population, self.population
        mix = population.motivations
        shares = study_mix() if mix == "study" else np.array(
            [mix.get(m.label, 0.0) for m in Motivation]) / sum(mix.values())
        self.motivation = self.rng.choice(len(Motivation), size=n, p=shares).astype(np.int8)
        self.motives = mixed_motivations(self.motivation, population.secondary_motivations, self.rng)

        topics = len(population.topics)
        preference = self.rng.random((n, topics))
        if self.graph.community is not None:   # a community shares its first interest
            preference[np.arange(n), self.graph.community % topics] = -1.0
        chosen = _smallest(preference, population.interests_per_person)
        self.interests = np.zeros((n, topics), dtype=bool)
        np.put_along_axis(self.interests, chosen, True, axis=1)

        def per_type(name: str, default):
            values = [getattr(self.profiles[m], name) for m in Motivation]
            return np.array([default if v is None else v for v in values])[self.motivation]

        spread = population.activity_spread       # log-normal, mean 1: a few heavy users, many light ones
        activity = np.exp(spread * self.rng.standard_normal(n) - spread ** 2 / 2)
        self.sessions_per_day = np.minimum(per_type("sessions_per_day", population.sessions_per_day) * activity,
                                           MAX_SESSIONS_PER_DAY)
        self.attention_span = per_type("attention_span", population.attention_span)
        following = np.bincount(self.graph.indices, minlength=n) + 1.0     # accounts followed, own page included
        self.competition = np.sqrt(following / following.mean())

    def _make_brands(self, source: str) -> None:
        """Give each brand its initial followers, seeds and planned posts (their agents come later)."""
        brands, n = self.scenario.brands, self.population
        self.followers = Followers(n, len(brands), self.scenario.fatigue)
        feed = self.scenario.feed          # log-normal affinity with each page, mean page_affinity
        self.affinity = (feed.page_affinity * np.exp(feed.affinity_spread * self.rng.standard_normal((n, len(brands)))
                                                     - feed.affinity_spread ** 2 / 2)).astype(np.float32)
        self.seeded = np.zeros((n, len(brands)), dtype=bool)
        self.employee = np.zeros((n, len(brands)), dtype=bool)
        self.plans = []
        audience = self.graph.audience_size()
        for b, brand in enumerate(brands):
            self.followers.follow(self._initial_followers(brand, b, source), b)
            seeding = brand.campaign.seeding
            asked = seeding.influencers + seeding.employees + seeding.random
            if asked > n:
                raise InputError(f"{source}: brands.{b}.campaign.seeding: {asked} seeded people "
                                 f"but the population is {n}")
            # the largest audiences, the lowest index first among equals (as a stable sort would)
            influencers = _smallest(np.arange(n) - audience * n, seeding.influencers)
            others = np.flatnonzero(~np.isin(np.arange(n), influencers))   # sorted, as setdiff1d
            picked = self.rng.choice(others, size=seeding.employees + seeding.random, replace=False)
            employees = picked[:seeding.employees]
            self.employee[employees, b] = True
            self.followers.follow(employees, b)       # employees follow their employer
            self.seeded[np.concatenate([influencers, picked]), b] = True
            self.followers.subscribe(np.concatenate([influencers, picked]), b)   # seeded: they get its posts
            self.affinity[self.seeded[:, b], b] = SEEDED_AFFINITY
            self.plans.append(plan_campaign(brand.campaign, self.scenario.duration_days, self.tick_hours, self.rng))
        self._next_plan = [0] * len(brands)      # per brand, its first plan not yet published
        self.followers.start()
        self.share_boost = np.array([brand.campaign.seeding.share_boost for brand in brands])

    def _initial_followers(self, brand, b: int, source: str) -> np.ndarray:
        """The people who follow a brand at the start: a fraction, a count, or Lab42's distribution."""
        n = self.population
        if brand.followers == "lab42":
            shares = np.array([share for share, _, _ in LAB42_BRANDS_FOLLOWED])
            bins = self.rng.choice(len(shares), size=n, p=shares / shares.sum())
            low = np.array([lo for _, lo, _ in LAB42_BRANDS_FOLLOWED])[bins]
            high = np.array([hi for _, _, hi in LAB42_BRANDS_FOLLOWED])[bins]
            followed = self.rng.integers(low, high + 1)
            chance = np.minimum(followed / brand.market_brands, 1.0)
            return np.flatnonzero(self.rng.random(n) < chance)
        count = int(round(brand.followers * n)) if isinstance(brand.followers, float) else brand.followers
        if count > n:
            raise InputError(f"{source}: brands.{b}.followers: {count} followers but the population is {n}")
        topic = self.scenario.population.topics.index(brand.topic)
        interested = np.flatnonzero(self.interests[:, topic])
        others = np.flatnonzero(~self.interests[:, topic])
        from_interested = min(int(round(brand.interest_match * count)), interested.size)
        from_others = min(count - from_interested, others.size)
        from_interested = count - from_others
        return np.concatenate([self._keenest(interested, from_interested, b),
                               self._keenest(others, from_others, b)])

    def _keenest(self, people: np.ndarray, count: int, b: int) -> np.ndarray:
        """The ``count`` of ``people`` keenest on brand ``b``: the highest affinity, give or take.

        A page's first followers are its fans; a large page reaches further
        down, to people who care less, so its followers' mean affinity, and
        with it their feeds' ranking of its posts, falls as it grows.
        """
        keenness = np.log(self.affinity[people, b]) + KEENNESS_NOISE * self.rng.standard_normal(people.size)
        return people[_smallest(-keenness, count)]

    # ------------------------------------------------------------------
    # The Mesa agents, made when first asked for

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Every agent, as Mesa's ``model.agents``: the people (in index order), then the brands."""
        self._make_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        self._make_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._make_agents()
        return super().agent_types

    def register_agent(self, agent: mesa.Agent) -> None:
        self._make_agents()        # an agent added from outside comes after the people and brands
        super().register_agent(agent)

    def remove_all_agents(self) -> None:
        self._make_agents()
        super().remove_all_agents()

    def _make_agents(self) -> None:
        """One Mesa ``Person`` per person, then one ``Brand`` per brand, the first time anyone asks.

        The model's own work is done on its arrays and never needs the
        agents, so they are made only when something asks for them
        (``model.agents``, ``agents_by_type``, ``agent_types``, or registering
        another agent): a run from the command line makes none, which saves
        about 1.6 s and 450 MB at 10^6 people. When they are made they are
        real Mesa agents, registered with the model as usual, in the order
        they would have had if made during set-up (people by index, then
        brands; unique ids 1..n and on, unless an agent from outside took an
        id first). The garbage collector, which would
        otherwise scan the growing heap of new agents over and over, is
        paused meanwhile (about 3x faster from 10^5 people).
        """
        if self._agents_made:
            return
        self._agents_made = True
        collecting = gc.isenabled()
        gc.disable()
        try:
            for index in range(self.population):
                Person(self, index)
            for b, brand in enumerate(self.scenario.brands):
                Brand(self, b, brand.name)
        finally:
            if collecting:
                gc.enable()

    # ------------------------------------------------------------------
    # One tick

    @property
    def tick(self) -> int:
        """The current tick (from 1 during the first step; 0 before it)."""
        return self.steps

    @property
    def ticks(self) -> int:
        return self.scenario.ticks

    def step(self) -> None:
        self.counts = TickCounts()
        self._publish()
        self._read_feeds()
        self.datacollector.collect(self)

    def _publish(self) -> None:
        """Brands put this tick's posts into their followers' and seeds' feeds."""
        tick_start = (self.tick - 1) * self.tick_hours
        for b, brand in enumerate(self.scenario.brands):
            plans, start = self.plans[b], self._next_plan[b]
            end = start
            while end < len(plans) and plans[end].tick <= self.tick:   # plans are sorted by tick
                end += 1
            self._next_plan[b] = end
            for planned in plans[start:end]:
                if planned.tick != self.tick:
                    continue
                content = brand.campaign.content[planned.kind]
                qualities = np.array([content.qualities.get(q, 0.0) for q in QUALITIES])
                post = self.posts.publish(
                    brand=b, tick=self.tick, kind=content.kind,
                    topic=self.scenario.population.topics.index(content.topic),
                    qualities=qualities, promotional=content.promotional,
                    appeal=self.table.appeal(qualities)[0])
                self.seen[post] = np.zeros(self.population, dtype=bool)
                audience = self.followers.audience(b)
                self.feed.deliver(audience, post, BRAND, tick_start + planned.offset_hours)
                self.sessions.book(audience, from_tick=self.tick)

    def _read_feeds(self) -> None:
        """This tick's readers open their feeds, are booked again while something waits, and read.

        One compiled kernel opens the sessions (:meth:`sim.feed.Feed.open_sessions`:
        when each falls, what it shows, how that ranks); then come the
        draws of who is booked next (:mod:`sim.sessions`) and of what is
        read. Buried items and finished posts are forgotten at the end.
        """
        readers = self.sessions.due(self.tick)       # booked ahead, sorted
        if readers.size:
            shown = self.feed.open_sessions(readers, self._session_times(readers.size), self.habits,
                                            self._page_scores(), self.background, self.ranking)
            self.sessions.book(readers[shown.waiting], from_tick=self.tick + 1)
            self._expose(shown.items.subset(shown.read(self.rng)))
        self.feed.forget_older_than(self.tick * self.tick_hours - FEED_MEMORY_HOURS)
        self._forget_finished_posts()

    def _session_times(self, readers: int) -> SessionTimes:
        """When the tick's sessions of ``readers`` people fall: uniformly within the tick's active hours,
        and their previous ones an Exp(1) number of each reader's mean gaps before (two draws each)."""
        start, end = self.scenario.population.active_hours
        tick_start = (self.tick - 1) * self.tick_hours
        hour = tick_start % 24
        open_from, open_until = max(hour, start), min(hour + self.tick_hours, end)
        uniform = self.rng.random(readers)
        exponential = self.rng.standard_exponential(readers)    # the numbers exponential(scale) scales
        return SessionTimes(tick_start - hour + open_from, open_until - open_from, uniform, exponential)

    def _page_scores(self) -> PageScores:
        """What feed items score now (:class:`sim.feed.PageScores`): the reader's affinity with the
        brand for a page's post (kept with their reading habits), ``friend_share_priority`` for a
        friend's share; both times (1 + the post's interactions so far) to the power
        ``feed.engagement_weight``."""
        lift = (1.0 + self.posts.engagement) ** self.scenario.feed.engagement_weight   # per post
        return PageScores(self.posts.brand, lift, self.followers.hidden, self.scenario.population.friend_share_priority)

    def _forget_finished_posts(self) -> None:
        """Free the marks of who read a post once no feed holds it and it is too old to come back.

        Without this, memory would grow by one flag per person for every post
        ever published; with it, a long run stays flat but for its event log.
        """
        horizon = self.tick * self.tick_hours - FEED_MEMORY_HOURS
        # posts are numbered in the order published: the old ones are those before the first recent one
        recent = int(np.searchsorted((self.posts.tick - 1) * self.tick_hours, horizon, side="left"))
        old = [post for post in self.seen if post < recent]
        if old:
            waiting = self.feed.posts_waiting()
            for post in old:
                if post not in waiting:
                    del self.seen[post]

    def _expose(self, items: Items) -> None:
        """Readings of brand items: log them, then sharing, following, fatigue."""
        if len(items) == 0:
            return
        self.log.record(self.tick, EventKind.EXPOSURE, items.post, self.posts.brand[items.post],
                        items.person, items.source)
        self.counts.exposures = len(items)
        readers, self.counts.new_reach = self._readers(items)
        self.reach += self.counts.new_reach

        def only(positions: np.ndarray) -> tuple[Items, Readers]:
            """The readings at ``positions`` and their readers (all of them: as they are, not copied)."""
            if positions.size == len(items):
                return items, readers
            return items.subset(positions), readers.subset(positions)

        first, first_readers = only(self._first_readings(items))
        self._share(first, first_readers)
        self._follow(first)
        self._tire(items, readers)

    def _readers(self, items: Items) -> tuple[Readers, int]:
        """What the readings need of their readers (:func:`fetch_readers`), fetched once; and how many
        readers were reached for the first time (they are marked reached on the way)."""
        n = len(items)
        readers = Readers(np.empty(n, dtype=bool), np.empty(n), np.empty(n, dtype=bool), np.empty(n, dtype=np.int8))
        newly = fetch_readers(items.person, items.post, self.posts.topic, self.posts.brand, self.interests,
                              self.habits.table, self.seeded, self.motivation, self.reached, *readers)
        return readers, int(newly)

    def _first_readings(self, items: Items) -> np.ndarray:
        """Where the items that are a person's first reading of that post are (positions, in order)."""
        first = np.zeros(len(items), dtype=bool)
        for post in np.flatnonzero(np.bincount(items.post)):
            mark_first_readings(post, items.post, items.person, self.seen[post], first)
        return np.flatnonzero(first)

    def relevance(self, person: np.ndarray, post: np.ndarray) -> np.ndarray:
        """How much a post appeals to each reader, over all their motives, counting topic: in [0, 1].

        Each motive's weight in the reader times the post's appeal to it,
        times the motive's ``off_topic`` factor when the post is off the
        reader's interests (:func:`attended_pull` with weight 1, at age 0).
        """
        person, post = np.ascontiguousarray(person, dtype=np.int32), np.ascontiguousarray(post, dtype=np.int32)
        on_topic = self.interests[person, self.posts.topic[post]]
        return attended_pull(person, post, on_topic, np.zeros(person.size), self.motives, self.posts.appeal,
                             self.table.off_topic, np.ones(len(Motivation)), self.table.half_life_hours)

    def _share(self, first: Items, readers: Readers) -> None:
        """First readers may pass the post on to their audience.

        Each of the reader's motives contributes its weight times its type's
        share probability, the post's appeal to it (counting topic: ``readers.on_topic``
        per reading), and the attention left at the post's age (the type's
        half-life); a reader the brand seeded shares its posts more
        (:func:`share_chance`).
        """
        chance = share_chance(first.person, first.post, first.source, readers.on_topic, readers.seeded,
                              readers.session_at, self.posts.tick, self.posts.brand, self.tick_hours, self.share_boost,
                              self.motives, self.posts.appeal, self.table.off_topic, self.table.share_probability,
                              self.table.half_life_hours)
        draw = self.rng.random(len(first))
        interacts = draw < np.minimum(chance / SHARE_OF_INTERACTIONS, 1.0)   # a share is an interaction too
        np.add.at(self.posts.engagement, first.post[interacts], 1)
        shares = first.subset(draw < chance)
        if len(shares) == 0:
            return
        self.log.record(self.tick, EventKind.SHARE, shares.post, self.posts.brand[shares.post],
                        shares.person, shares.source)
        self.counts.shares = len(shares)
        target, post, sharer = self._audiences(shares.person, shares.post)
        self.feed.deliver(target, post, sharer, self._session_at[sharer])
        self.sessions.book(distinct(target), from_tick=self.tick + 1)

    def _audiences(self, sharer: np.ndarray, post: np.ndarray):
        """Who receives each share: (target, post, sharer) arrays, one row per delivery.

        The sharer's motivation chooses among their followers (AUDIENCES):
        everyone; their close ties; those interested in the post's topic; or
        their professional contacts.
        """
        graph = self.graph
        starts = graph.indptr[sharer]
        lengths = graph.indptr[sharer + 1] - starts
        which = np.repeat(np.arange(sharer.size), lengths)
        tie = starts[which] + np.arange(which.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        target = graph.indices[tie]
        audience = self.table.audience[self.motivation[sharer]][which]
        include = ((audience == AUDIENCES.index("everyone"))
                   | ((audience == AUDIENCES.index("close_ties")) & graph.close[tie])
                   | ((audience == AUDIENCES.index("enthusiasts"))
                      & self.interests[target, self.posts.topic[post[which]]])
                   | ((audience == AUDIENCES.index("professional")) & graph.professional[tie]))
        return target[include], post[which][include], sharer[which][include]

    def _follow(self, first: Items) -> None:
        """Non-followers who read a friend's share may follow the brand."""
        from_friend = np.flatnonzero(first.source != BRAND)
        if from_friend.size == 0:
            return
        from_friend = first.subset(from_friend)
        brand = self.posts.brand[from_friend.post].astype(np.int64)
        free = self.followers.may_follow(from_friend.person, brand)
        candidates = from_friend.subset(free)
        brand = brand[free]
        trust = self.table.trust[self.motivation[candidates.source]]
        chance = (self.scenario.population.follow_probability * trust
                  * self.relevance(candidates.person, candidates.post))
        won = self.rng.random(len(candidates)) < np.minimum(chance, 1.0)
        person, brand, source = candidates.person[won], brand[won], candidates.source[won]
        _, once = np.unique(person.astype(np.int64) * len(self.scenario.brands) + brand, return_index=True)
        person, brand, source = person[once], brand[once], source[once]   # one follow per brand
        if person.size == 0:
            return
        self.followers.follow(person, brand)
        self.log.record(self.tick, EventKind.FOLLOW, NO_POST, brand, person, source)
        self.counts.follows = person.size

    def _tire(self, items: Items, readers: Readers) -> None:
        """Readers of a brand's own posts (not of a friend's share of them) tire of it
        (:class:`sim.followers.Followers`)."""
        n = len(items)
        person, brand, added, at, tolerance = (np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int64),
                                               np.empty(n), np.empty(n), np.empty(n))
        own = fatigue_of_readings(fatigue_rules(self.scenario.fatigue), items.person, items.post, items.source,
                                  readers.on_topic, readers.motivation, readers.session_at, self.posts.brand,
                                  self.posts.promotional, self.posts.qualities[:, QUALITIES.index("provocative")],
                                  self.table.offended_by_provocative, self.table.fatigue_tolerance,
                                  person, brand, added, at, tolerance)
        tiring = self.followers.tire(person[:own], brand[:own], added[:own], at[:own], tolerance[:own], self.rng)
        self.log.record(self.tick, EventKind.BLIND, NO_POST, tiring.hid_brand, tiring.hid_person, BRAND)
        self.counts.blind = tiring.hid_person.size
        if tiring.left_person.size:
            self.log.record(self.tick, EventKind.UNFOLLOW, NO_POST, tiring.left_brand, tiring.left_person, BRAND)
            self.counts.unfollows = tiring.left_person.size

    # ------------------------------------------------------------------
    # Results

    def run(self, progress=None) -> None:
        """Run every tick of the scenario; ``progress`` is called after each tick."""
        while self.tick < self.ticks:
            self.step()
            if progress is not None:
                progress(self)

    def run_log(self) -> RunLog:
        """The finished run as an event log with its context, for :mod:`sim.metrics`."""
        import pyarrow as pa

        text = pd.Series(["text"]).dtype      # the dtype pandas gives words (str on pandas 3, object before)
        people = pd.DataFrame({
            "person": np.arange(self.population),
            # the seven labels taken by Arrow, as pandas holds text (not a million strings converted one by one)
            "motivation": pd.Series(pa.array([m.label for m in Motivation]).take(self.motivation), dtype=text),
            "employee": self.employee.any(axis=1),
            "seeded": self.seeded.any(axis=1),
        })
        for b in range(len(self.scenario.brands)):
            people[f"follows_{b}"] = self.followers.at_start[:, b]
        topics = self.scenario.population.topics
        posts = pd.DataFrame({
            "post": np.arange(len(self.posts)),
            "brand": self.posts.brand,
            "kind": self.posts.kind,
            "topic": [topics[t] for t in self.posts.topic],
            "tick": self.posts.tick,
            "promotional": self.posts.promotional,
            **{q: self.posts.qualities[:, i] for i, q in enumerate(QUALITIES)},
        })
        meta = {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "ticks": self.tick,
            "tick_hours": self.tick_hours,
            "brands": [brand.name for brand in self.scenario.brands],
            "topics": list(topics),
            "population": self.population,
        }
        return RunLog(events=self.log.to_frame(), people=people, posts=posts, meta=meta)
