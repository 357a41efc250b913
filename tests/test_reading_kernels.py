"""The reading stage's compiled passes give exactly what their rules, written as NumPy steps one
after another, give: a reading's fatigue (sim.followers), its chance to share (sim.model), and
the readers' values fetched with the first reach counted on the way."""

from __future__ import annotations

import numpy as np

from sim.events import BRAND
from sim.feed import SESSION_AT
from sim.followers import fatigue_of_readings, fatigue_rules
from sim.model import attended_pull, fetch_readers, share_chance
from sim.scenario import Fatigue

SEED = 11


def readings(n: int = 400, people: int = 60, posts: int = 9, kinds: int = 7, seed: int = SEED):
    """Random readings: person, post, source (the brand, or the friend who shared), on topic, type, session hour."""
    rng = np.random.default_rng(seed)
    source = np.where(rng.random(n) < 0.7, BRAND, rng.integers(0, people, n)).astype(np.int32)
    return (rng.integers(0, people, n).astype(np.int32), rng.integers(0, posts, n).astype(np.int32), source,
            rng.random(n) < 0.6, rng.integers(0, kinds, n).astype(np.int8), rng.uniform(0, 300, n))


def test_fatigue_of_readings_is_the_rule_over_the_brands_own_readings():
    rng = np.random.default_rng(SEED)
    person, post, source, on_topic, kind, session_at = readings()
    rules = Fatigue(per_post=0.1, promotional=0.4, irrelevant=0.2, provocative=0.5)
    post_brand = rng.integers(0, 3, 9).astype(np.int16)
    promotional = rng.random(9)
    qualities = rng.random((9, 7))                       # the provocative column is strided, as in the model
    offended, tolerance_of_kind = rng.random(7), rng.uniform(1, 2, 7)
    n = person.size
    out = (np.empty(n, np.int32), np.empty(n, np.int64), np.empty(n), np.empty(n), np.empty(n))
    count = fatigue_of_readings(fatigue_rules(rules), person, post, source, on_topic, kind, session_at, post_brand,
                                promotional, qualities[:, 3], offended, tolerance_of_kind, *out)
    own = source == BRAND                                # a friend's share of a post does not tire of the brand
    assert 0 < count == own.sum() < n
    q, k = post[own], kind[own]
    added = (rules.per_post + rules.promotional * promotional[q] + rules.irrelevant * ~on_topic[own]
             + rules.provocative * offended[k] * qualities[q, 3])
    for got, expected in zip(out, (person[own], post_brand[q], added, session_at[own], tolerance_of_kind[k])):
        np.testing.assert_array_equal(got[:count], expected)   # the same numbers, bit for bit


def test_share_chance_is_the_pull_at_the_posts_age_boosted_for_seeded_readers():
    rng = np.random.default_rng(SEED)
    person, post, source, on_topic, _, session_at = readings()
    people, posts = 60, 9
    post_tick, post_brand = rng.integers(1, 5, posts).astype(np.int32), rng.integers(0, 2, posts).astype(np.int16)
    share_boost = np.array([3.0, 40.0])                  # large enough that some chances reach the cap of 1
    seeded = rng.random(person.size) < 0.3
    motives = rng.random((people, 7)).astype(np.float32)
    appeal = np.where(rng.random((posts, 7)) < 0.5, rng.random((posts, 7)), 0.0)
    off_topic, probability, half_life = rng.random(7), rng.uniform(0.01, 0.2, 7), rng.uniform(1, 48, 7)
    tick_hours = 1.0
    chance = share_chance(person, post, source, on_topic, seeded, session_at, post_tick, post_brand, tick_hours,
                          share_boost, motives, appeal, off_topic, probability, half_life)
    age_hours = session_at - (post_tick[post] - 1) * tick_hours
    boost = np.where(seeded & (source == BRAND), share_boost[post_brand[post]], 1.0)
    pull = attended_pull(person, post, on_topic, age_hours, motives, appeal, off_topic, probability, half_life)
    expected = np.minimum(pull * boost, 1.0)
    np.testing.assert_array_equal(chance, expected)
    assert (chance == 1.0).any() and (boost > 1).any() and (chance < 1.0).any()


def test_fetch_readers_counts_each_new_reader_once():
    rng = np.random.default_rng(SEED)
    people, posts, topics = 40, 5, 4
    person = np.array([3, 3, 7, 9, 3, 12, 9, 30], dtype=np.int32)   # 3 and 9 read twice this tick
    post = rng.integers(0, posts, person.size).astype(np.int32)
    reached = np.zeros(people, dtype=bool)
    reached[[7, 30]] = True                                         # reached before
    interests = rng.random((people, topics)) < 0.5
    habits = rng.random((people, 8))
    seeded = rng.random((people, 2)) < 0.5
    motivation = rng.integers(0, 7, people).astype(np.int8)
    post_topic, post_brand = rng.integers(0, topics, posts).astype(np.int16), rng.integers(0, 2, posts).astype(np.int16)
    n = person.size
    columns = (np.empty(n, bool), np.empty(n), np.empty(n, bool), np.empty(n, np.int8))
    newly = fetch_readers(person, post, post_topic, post_brand, interests, habits, seeded, motivation, reached, *columns)
    assert newly == 3                                                # 3, 9 and 12
    assert reached[[3, 7, 9, 12, 30]].all() and reached.sum() == 5
    on_topic, session_at, seeded_by, kind = columns
    np.testing.assert_array_equal(on_topic, interests[person, post_topic[post]])
    np.testing.assert_array_equal(seeded_by, seeded[person, post_brand[post]])
    np.testing.assert_array_equal(kind, motivation[person])
    np.testing.assert_array_equal(session_at, habits[person, SESSION_AT])
    assert fetch_readers(person, post, post_topic, post_brand, interests, habits, seeded, motivation, reached,
                         *columns) == 0                              # the same readers again: nobody new
