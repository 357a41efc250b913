"""The lessons in scenarios/teaching/: each runs, and shows what its text says it shows."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
import pytest

from sim.errors import InputError
from sim.lessons import all_lessons, run_lesson
from sim.motivations import PROFILES, Motivation
from sim.scenario import with_overrides
from tests.conftest import ROOT

LESSONS = {lesson.analysis: lesson for lesson in all_lessons()}
SECTIONS = ("## The question", "## What to change", "## What to look at", "## What it shows", "## Sources")


def sharesim(*args):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Every lesson run once: analysis name -> (findings, folder, seconds)."""
    done = {}
    for name, lesson in LESSONS.items():
        folder = tmp_path_factory.mktemp("lessons") / lesson.name
        start = time.perf_counter()
        findings = run_lesson(lesson, folder)
        done[name] = (findings, folder, time.perf_counter() - start)
    return done


def test_seven_lessons_each_with_its_scenario_and_a_complete_text():
    assert len(LESSONS) == 7
    assert [lesson.number for lesson in all_lessons()] == [1, 2, 3, 4, 5, 6, 7]
    for lesson in LESSONS.values():
        assert lesson.scenario_path.is_file()
        for section in SECTIONS:
            assert section in lesson.text, f"{lesson.text_path.name}: missing {section!r}"
        sources = lesson.text.split("## Sources", 1)[1]
        assert "docs/domain.md" in sources or "docs/validation-targets.md" in sources, lesson.text_path.name
        for variant in lesson.variants:
            lesson.scenario(variant)          # every variant is a valid scenario


def test_every_lesson_runs_well_under_a_minute_and_writes_its_folder(ran):
    for name, (findings, folder, seconds) in ran.items():
        assert seconds < 60, f"{name} took {seconds:.0f} s"
        for file in ("lesson.md", "what_happened.md", "results.csv", "lesson.json", *findings.figures):
            assert (folder / file).is_file(), f"{name}: {file}"
        assert findings.figures
        lesson = LESSONS[name]
        results = pd.read_csv(folder / "results.csv")
        assert len(results) == len(lesson.variants) * lesson.replications
        assert set(results["variant"]) == set(lesson.variants)
        assert (folder / "what_happened.md").read_text().strip() == findings.text


def test_lesson_1_most_exposures_come_from_the_brand_and_shares_stop_at_once(ran):
    facts = ran["never_spread"][0].facts
    assert facts["shares"] > 10, "the lesson needs shares to count"
    assert facts["exposures_from_brand"] > 0.9
    assert facts["share_never_reshared"] >= 0.9          # docs/validation-targets.md row 1
    assert f"{facts['share_never_reshared']:.1%}" in ran["never_spread"][0].text


def test_lesson_2_the_types_share_their_own_kind_of_post_most_and_the_others_less(ran):
    """Most types share their own kind most; passionate and social sharers answer to topical and
    personal posts alike, so which of those two they share most varies from seed to seed (over five
    seeds of the code before and after issue 16: 5 to 7 of 7)."""
    facts = ran["who_shares_what"][0].facts
    assert facts["types_sharing_their_own_kind_most"] >= 5
    for m in Motivation:
        own = facts["own_kind"][m.label]
        if facts["favourite"][m.label] != own:
            continue
        ignored = [k for k in facts["own_kind"].values() if PROFILES[m].responds_to.get(k, 0) == 0]
        rates = facts["rate_per_1000"][m.label]
        # mixed motives: kinds the dominant type ignores are still shared, but less
        assert all(rates[k] < rates[own] for k in ignored), m.label
        assert facts["ignored_kinds_rate_per_1000"][m.label] < 0.5 * rates[own], m.label
    assert f"{facts['types_sharing_their_own_kind_most']} of the 7 types" in ran["who_shares_what"][0].text


def test_lesson_3_night_posts_are_buried_and_trendsetters_share_only_fresh_posts(ran):
    findings = ran["attention_timing"][0]
    reach = findings.facts["reach_per_post"]
    day, night, quiet = reach["by day, busy feed"], reach["at night, busy feed"], reach["by day, quiet feed"]
    assert night < 0.2 * day
    assert quiet > day
    slow = reach["by day, slow platform"]                    # feed.score_half_life_hours 20 against 0.5
    pace = findings.facts["hours_to_90_percent_of_reach"]
    assert slow > day
    assert pace["by day, slow platform"] > pace["by day, busy feed"]
    within = findings.facts["share_within_3h"]
    assert within["trendsetter"] > 0.5                       # mostly in a post's first hours
    assert within["trendsetter"] > within["altruist"]
    rate = findings.facts["share_rate_by_age"]
    decay = {m: rate[m]["6-11 h"] / rate[m]["0-2 h"] for m in ("altruist", "trendsetter")}
    assert decay["trendsetter"] < decay["altruist"]   # halves every 3 h, not every 24 h (few late shares: noisy)


def test_lesson_4_over_posting_makes_followers_hide_the_brand_or_leave(ran):
    findings = ran["over_posting"][0]
    control, over = findings.facts["three useful posts a day"], findings.facts["ten offers a day"]
    assert over["unfollows"] > 5 * max(control["unfollows"], 1)
    assert over["hides"] > 5 * max(control["hides"], 1)
    assert over["blinded"] == over["hides"]                      # a hidden brand stays hidden
    assert 0.3 < over["hide_share"] < 0.65                      # ExactTarget 2011: 38 / (38 + 43) = 0.47
    assert over["unfollow_rate"] > 0.05                         # a marked share leave (the control: about 1%)
    assert over["reach_per_post"] < control["reach_per_post"]   # extra posts do not buy reach
    assert f"{over['unfollows']:.0f} of {over['followers_start']:.0f} followers" in findings.text


def test_lesson_5_influencers_reach_more_than_random_people_at_equal_count(ran):
    facts = ran["seeding"][0].facts
    runs = facts["reach_runs"]
    assert facts["reach"]["10 influencers"] > facts["reach"]["10 random people"]
    assert facts["reach"]["10 influencers"] > facts["reach"]["nobody"]
    paired = list(zip(runs["10 influencers"], runs["10 random people"]))   # same seeds, one pair per replication
    assert sum(influencers > random for influencers, random in paired) >= len(paired) - 1


def test_lesson_6_more_background_lowers_reach(ran):
    facts = ran["competing_for_attention"][0].facts
    reach = [facts["reach"][v] for v in ("0 per hour", "10 per hour", "30 per hour", "90 per hour")]
    assert reach == sorted(reach, reverse=True) and len(set(reach)) == 4
    assert reach[-1] < 0.6 * reach[0]


def test_lesson_7_the_chosen_cadence_is_the_fastest_that_keeps_unfollows_under_the_limit(ran):
    findings = ran["best_cadence"][0]
    facts = findings.facts
    assert 1 < facts["chosen"] < 12                             # the limit binds inside the range searched
    assert facts["unfollow_rate"][2] <= facts["limit"]          # its whole 95% interval meets the limit
    assert facts["reach"][0] == facts["best_feasible_reach"]    # the most reach among plans that meet it
    assert facts["share_of_faster_plans_over_limit"] >= 0.8     # posting faster breaks the limit
    assert facts["reach"][0] > facts["given_reach"]             # and it beats the scenario as given
    assert facts["fresh_reach_gain"][1] > 0                     # on fresh seeds too
    assert f"chosen: {facts['chosen']:.1f} posts a day" in findings.text


def test_sharesim_lesson_lists_the_lessons():
    result = sharesim("lesson")
    assert result.returncode == 0
    for lesson in LESSONS.values():
        assert lesson.title in result.stdout


def test_sharesim_lesson_n_prints_what_happened_and_writes_the_folder(tmp_path):
    out = tmp_path / "four"
    result = sharesim("lesson", 4, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "ten offers a day" in result.stdout and str(out) in result.stdout
    facts = json.loads((out / "lesson.json").read_text())["facts"]
    assert facts["ten offers a day"]["unfollows"] > facts["three useful posts a day"]["unfollows"]
    again = sharesim("lesson", 4, "--out", out, "--quiet")          # a lesson folder is replaced
    assert again.returncode == 0 and again.stdout == ""


def test_an_unknown_lesson_or_a_foreign_folder_is_a_clear_error(tmp_path):
    result = sharesim("lesson", 99)
    assert result.returncode == 2 and "no such lesson" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "notes.txt").write_text("mine")
    result = sharesim("lesson", 6, "--out", tmp_path)
    assert result.returncode == 2 and "not a lesson folder" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_variant_changes_name_their_place_when_wrong():
    data = {"brands": [{"campaign": {"posts_per_day": 3}}]}
    assert with_overrides(data, {"brands.0.campaign.posts_per_day": 10}, "x")["brands"][0]["campaign"]["posts_per_day"] == 10
    assert data["brands"][0]["campaign"]["posts_per_day"] == 3
    with pytest.raises(InputError, match=r"brands\.3: no such item"):
        with_overrides(data, {"brands.3.campaign.posts_per_day": 1}, "x")


def test_readme_quotes_what_each_lesson_shows(ran):
    from tests.lesson_figures import FIGURES, cell_in_readme

    for number, (analysis, figures) in FIGURES.items():
        assert cell_in_readme(number) == figures(ran[analysis][0].facts), \
            f"lesson {number}: README differs from the run; rerun python tests/lesson_figures.py"
