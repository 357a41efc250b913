"""The model's rules, each checked by the behaviour it must produce."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.content import attention
from sim.events import BRAND
from sim.followers import Followers
from sim.model import SharingModel, attended_pull
from sim.motivations import PROFILES, Motivation
from tests.conftest import small_scenario


def run(scenario, seed=None) -> SharingModel:
    model = SharingModel(scenario, seed=seed)
    model.run()
    return model


def share_rate_by_kind(model) -> pd.Series:
    """Shares per first reading, for each post kind."""
    events = model.log.to_frame()
    kind = np.array(model.posts.kind)
    first = events[events.kind == "exposure"].drop_duplicates(["post", "person"])
    shares = events[events.kind == "share"]
    return (pd.Series(kind[shares.post]).value_counts()
            / pd.Series(kind[first.post]).value_counts()).fillna(0.0)


OTHER_QUALITY = {m: ("provocative" if m != Motivation.PROVOCATEUR else "useful") for m in Motivation}


@pytest.mark.parametrize("motivation", list(Motivation), ids=lambda m: m.label)
def test_each_type_shares_what_it_responds_to(motivation):
    own = max(PROFILES[motivation].responds_to, key=PROFILES[motivation].responds_to.get)
    other = OTHER_QUALITY[motivation]
    scenario = small_scenario(
        population__motivations={motivation.label: 1.0},
        motivations={motivation.label: {"share_probability": 0.3}},      # enough shares to count
        brands__0__followers=0.5,
        brands__0__campaign__posts_per_day=8,
        brands__0__campaign__content=[
            {"kind": "matching", "qualities": {own: 0.9}},
            {"kind": "other", "qualities": {other: 0.9}}],
    )
    rates = share_rate_by_kind(run(scenario))
    assert rates.get("matching", 0) > 0.005
    assert rates.get("matching", 0) > 3 * rates.get("other", 0)


def test_limited_attention_more_background_lowers_reach():
    quiet = run(small_scenario(population__background_items_per_hour=5))
    busy = run(small_scenario(population__background_items_per_hour=80))
    assert busy.log.count(0) < 0.6 * quiet.log.count(0)      # exposures
    assert busy.reach < quiet.reach


def test_attention_decays_with_age():
    assert attention(0, 3) == 1.0
    assert attention(3, 3) == pytest.approx(0.5)
    assert attention(6, 3) == pytest.approx(0.25)


def test_an_older_post_is_shared_less():
    # readers who come rarely find posts of many ages in their feed
    model = run(small_scenario(
        population__motivations={"trendsetter": 1.0}, population__sessions_per_day=1.5,
        population__background_items_per_hour=1, population__size=4000,
        brands__0__followers=0.6, brands__0__campaign__posts_per_day=6,
        brands__0__campaign__content=[{"kind": "new", "qualities": {"novel": 1.0}}],
        duration_days=4))
    events = model.log.to_frame()
    first = events[events.kind == "exposure"].drop_duplicates(["post", "person"]).copy()
    first["age"] = first.tick - model.posts.tick[first.post]
    shared = events[events.kind == "share"].set_index(["post", "person"]).index
    first["shared"] = first.set_index(["post", "person"]).index.isin(shared)
    fresh = first[first.age <= 1].shared.mean()
    old = first[first.age >= 5].shared.mean()
    assert (first.age >= 5).sum() > 200
    assert fresh > 3 * old


def unfollow_rate(model) -> float:
    return model.log.count(3) / model.followers.at_start.sum()


def test_more_promotional_posts_per_day_more_unfollows():
    promo = [{"kind": "offer", "qualities": {"useful": 0.3}, "promotional": 0.9}]
    few = run(small_scenario(duration_days=7, brands__0__campaign__posts_per_day=1,
                             brands__0__campaign__content=promo))
    many = run(small_scenario(duration_days=7, brands__0__campaign__posts_per_day=10,
                              brands__0__campaign__content=promo))
    assert unfollow_rate(many) > 3 * unfollow_rate(few)
    assert unfollow_rate(many) > 0.02
    # the tired first stop noticing: blindness comes with unfollows
    assert many.log.count(4) > few.log.count(4)


def test_promotional_content_tires_more_than_useful_content():
    content = lambda promotional: [{"kind": "p", "qualities": {"useful": 0.5}, "promotional": promotional}]
    soft = run(small_scenario(duration_days=7, brands__0__campaign__posts_per_day=6,
                              brands__0__campaign__content=content(0.0)))
    hard = run(small_scenario(duration_days=7, brands__0__campaign__posts_per_day=6,
                              brands__0__campaign__content=content(1.0)))
    assert unfollow_rate(hard) > unfollow_rate(soft)


def test_selectives_share_to_fewer_people_than_altruists():
    def audience_per_share(motivation):
        model = run(small_scenario(population__motivations={motivation: 1.0},
                                   motivations={motivation: {"share_probability": 0.5}},
                                   brands__0__campaign__content=[{"kind": "p", "qualities": {
                                       "useful": 1.0, "personal": 1.0}}]))
        events = model.log.to_frame()
        shares = events[events.kind == "share"]
        assert len(shares) > 50
        sharers = shares.person.to_numpy()
        targets, _, _ = model._audiences(sharers, shares.post.to_numpy())
        return targets.size / sharers.size
    selective, altruist = audience_per_share("selective"), audience_per_share("altruist")
    assert selective <= 3.0                      # a few close ties
    assert altruist > 2 * selective


def test_follows_are_won_through_trusted_shares():
    model = run(small_scenario(duration_days=5, population__follow_probability=0.5,
                               motivations={m.label: {"share_probability": 0.3} for m in Motivation},
                               brands__0__followers=0.1, brands__0__campaign__posts_per_day=6,
                               brands__0__campaign__seeding={"influencers": 10}))
    events = model.log.to_frame()
    follows = events[events.kind == "follow"]
    assert len(follows) > 0
    # every follow names the friend whose share won it, and that friend shared
    assert (follows.source != BRAND).all()
    shares = events[events.kind == "share"]
    assert set(follows.source) <= set(shares.person)
    assert not model.followers.at_start[follows.person.to_numpy(), 0].any()


def test_nobody_shares_the_same_post_twice():
    model = run(small_scenario(brands__0__campaign__seeding={"influencers": 20},
                               motivations={m.label: {"share_probability": 0.3} for m in Motivation}))
    shares = model.log.to_frame().query("kind == 'share'")
    assert len(shares) > 100 and (shares.source != BRAND).any()          # reshares of friends' shares too
    assert not shares.duplicated(["post", "person"]).any()


def test_followers_see_a_modest_share_of_each_post():
    model = run(small_scenario())
    events = model.log.to_frame()
    direct = events[(events.kind == "exposure") & (events.source == BRAND)]
    per_post = direct.groupby("post").person.nunique() / model.followers.at_start.sum()
    assert 0.02 <= per_post.median() <= 0.25     # organic reach (docs/validation-targets.md #6)


def test_same_seed_same_events_other_seed_other_events():
    one = run(small_scenario()).log.to_frame()
    two = run(small_scenario()).log.to_frame()
    three = run(small_scenario(), seed=99).log.to_frame()
    pd.testing.assert_frame_equal(one, two)
    assert not one.equals(three)


def test_agents_are_mesa_agents_over_the_arrays():
    model = run(small_scenario(duration_days=1))
    from sim.agents import Brand, Person
    people = model.agents_by_type[Person]
    assert len(people) == model.population
    person = people.select(lambda p: p.index == 7)[0]
    assert person.motivation == Motivation(model.motivation[7])
    brand = model.agents_by_type[Brand][0]
    assert brand.followers == model.followers.follows[:, 0].sum()
    assert brand.posts_published == 3


def test_agents_are_made_when_first_asked_for_and_are_registered_mesa_agents():
    import mesa

    from sim.agents import Brand, Person
    model = run(small_scenario(duration_days=1))
    assert len(model._agents) == 0                   # the run needed none
    agents = list(model.agents)
    n = model.population
    assert len(agents) == n + 1 and all(isinstance(agent, mesa.Agent) for agent in agents)
    assert all(agent in model._agents for agent in agents)            # registered with the model
    people, brands = agents[:n], agents[n:]
    assert all(type(person) is Person for person in people) and type(brands[0]) is Brand
    assert [person.index for person in people] == list(range(n))      # one per person, in order
    assert [agent.unique_id for agent in agents] == list(range(1, n + 2))
    assert [person.motivation for person in people] == [Motivation(m) for m in model.motivation]
    assert all(person.reached == model.reached[person.index] for person in people)
    assert model.agent_types == [Person, Brand] and model.agents_by_type[Person][0] is people[0]
    assert len(model.agents) == n + 1                 # made once
    extra = mesa.Agent(model)
    assert extra.unique_id == n + 2 and model.agents[-1] is extra


def test_an_agent_registered_first_comes_after_the_people_and_brands():
    import mesa

    model = SharingModel(small_scenario(duration_days=1))
    extra = mesa.Agent(model)
    agents = list(model.agents)
    assert len(agents) == model.population + 2 and agents[-1] is extra
    assert [agent.index for agent in agents[:model.population]] == list(range(model.population))


def test_datacollector_series_agrees_with_the_event_log():
    model = run(small_scenario())
    series = model.datacollector.get_model_vars_dataframe()
    events = model.log.to_frame()
    assert len(series) == model.ticks + 1
    assert series.exposures.sum() == (events.kind == "exposure").sum()
    assert series.shares.sum() == (events.kind == "share").sum()
    assert series.reach.iloc[-1] == events[events.kind == "exposure"].person.nunique()
    assert series.followers.iloc[-1] == model.followers.follows.sum()


def test_the_compiled_share_chance_is_the_sum_over_motives_of_pull_times_chance_times_attention():
    model = run(small_scenario())
    rng = np.random.default_rng(1)
    person = rng.integers(0, model.population, 500).astype(np.int32)
    post = rng.integers(0, len(model.posts), 500).astype(np.int32)
    age = rng.random(500) * 48
    on_topic = model.interests[person, model.posts.topic[post]]
    table = model.table
    pull = model.motives[person] * model.posts.appeal[post] * np.where(on_topic[:, None], 1.0, table.off_topic)
    expected = (pull * table.share_probability * attention(age[:, None], table.half_life_hours)).sum(axis=1)
    chance = attended_pull(person, post, on_topic, age, model.motives, model.posts.appeal,
                           table.off_topic, table.share_probability, table.half_life_hours)
    assert expected.max() > 0
    np.testing.assert_allclose(chance, expected, rtol=1e-12)
    np.testing.assert_allclose(model.relevance(person, post), pull.sum(axis=1), rtol=1e-12)


@pytest.mark.parametrize("people", [0, 1, 7, 1000])
def test_a_brands_audience_is_its_followers_who_did_not_hide_it_and_the_people_it_seeded(people):
    rng = np.random.default_rng(people)
    followers = Followers(people, 2, small_scenario().fatigue)
    follows, hidden = rng.random((people, 2)) < 0.3, rng.random((people, 2)) < 0.2
    for brand in range(2):
        followers.follow(np.flatnonzero(follows[:, brand]), brand)
        followers.hide(np.flatnonzero(hidden[:, brand]), brand)
    seeded = rng.random(people) < 0.05
    for brand in range(2):
        followers.subscribe(np.flatnonzero(seeded), brand)
    for brand in range(2):
        expected = np.flatnonzero((followers.follows[:, brand] & ~followers.hidden[:, brand]) | seeded)
        audience = followers.audience(brand)
        assert audience.dtype == np.int32 and audience.tolist() == expected.tolist()


def test_a_brands_audience_and_the_follower_count_follow_every_change():
    """Kept from the changes, not scanned: after follows, hides, departures and subscriptions in any
    order, the audience is still what the arrays say, and so is the count."""
    rng = np.random.default_rng(7)
    people = 500
    followers = Followers(people, 2, small_scenario().fatigue)
    subscribed = rng.random((people, 2)) < 0.05
    for b in range(2):
        followers.subscribe(np.flatnonzero(subscribed[:, b]), b)
    for step in range(80):
        brand = int(rng.integers(2))
        chosen = rng.choice(people, size=int(rng.integers(0, 40)))     # repeats included
        action = step % 4
        if action == 0:
            followers.follow(chosen, brand)
        elif action == 1:
            followers.hide(chosen, np.full(chosen.size, brand))
        elif action == 2:
            followers.leave(chosen, np.full(chosen.size, brand))
        else:
            followers.subscribe(chosen[:3], brand)
            subscribed[chosen[:3], brand] = True
        for b in range(2):
            expected = np.flatnonzero((followers.follows[:, b] & ~followers.hidden[:, b]) | subscribed[:, b])
            assert followers.audience(b).tolist() == expected.tolist()
        assert followers.total == np.count_nonzero(followers.follows)


def test_who_follows_and_who_hid_change_only_through_the_methods():
    followers = Followers(3, 1, small_scenario().fatigue)
    for array in (followers.follows, followers.hidden, followers.unfollowed):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0] = True


def test_fatigue_adds_up_per_follower_and_brand_decayed_to_the_first_reading():
    rules = small_scenario().fatigue
    followers = Followers(4, 2, rules)
    followers.follow([0, 1, 2], 0)
    followers.follow(0, 1)
    followers.hide(np.array([2]), np.array([0]))                      # hid brand 0: its posts count for nothing
    followers.fatigue[0, 0], followers.fatigue_at[0, 0] = 1.0, 10.0
    person = np.array([1, 0, 2, 3, 0, 0])                             # 3 follows nothing
    brand = np.array([0, 0, 0, 0, 1, 0])
    added = np.array([0.5, 0.25, 9.0, 9.0, 0.75, 0.125])
    at = np.array([30.0, 10.0 + rules.half_life_hours, 31.0, 32.0, 33.0, 99.0])
    followers.tire(person, brand, added, at, np.full(person.size, 1e9), np.random.default_rng(0))   # nobody acts
    expected = np.zeros((4, 2))
    expected[1, 0] = 0.5
    expected[0, 0] = 0.5 + 0.25 + 0.125         # halved once by the first reading's hour, then both readings
    expected[0, 1] = 0.75
    np.testing.assert_allclose(followers.fatigue, expected)
    assert followers.fatigue_at[0, 0] == 10.0 + rules.half_life_hours and followers.fatigue_at[1, 0] == 30.0
    assert followers.fatigue_at[2, 0] == 0.0 and followers.fatigue_at[3].tolist() == [0.0, 0.0]
