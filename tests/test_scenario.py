"""Loading scenario files: defaults, and one clear message for each kind of mistake."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import yaml

from sim.errors import InputError
from sim.scenario import load_scenario, scenario_from_dict
from tests.conftest import SCENARIOS


def write(tmp_path, text, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def error_of(tmp_path, text) -> str:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message, "the message names the file"
    return message


def test_five_line_file_gets_every_default(tmp_path):
    scenario = load_scenario(write(tmp_path, """\
        name: tiny
        duration_days: 2
        population: {size: 500}
        brands:
          - {name: Acme}
        """))
    resolved = scenario.resolved()
    assert resolved["population"]["motivations"] == "study"
    assert resolved["population"]["attention_span"] == 20
    assert resolved["network"]["generator"] == "powerlaw_cluster"
    assert resolved["brands"][0]["campaign"]["posts_per_day"] == 3
    assert resolved["brands"][0]["topic"] == "tech"        # first topic
    assert scenario.ticks == 48


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_ready_scenarios_load(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem


def test_unknown_key_suggests_the_right_one(tmp_path):
    message = error_of(tmp_path, "name: x\nduraton_days: 3\n")
    assert "duraton_days" in message and "did you mean 'duration_days'" in message


def test_unknown_nested_key_names_its_path_and_allowed_keys(tmp_path):
    message = error_of(tmp_path, """\
        name: x
        brands:
          - name: A
            campaign: {seeding: {influencer: 3}}
        """)
    assert "brands.0.campaign.seeding.influencer" in message
    assert "influencers, employees, random" in message


def test_wrong_type_names_field_and_value(tmp_path):
    message = error_of(tmp_path, "name: x\npopulation: {size: many}\n")
    assert "population.size" in message and "'many'" in message and "integer" in message


def test_share_outside_unit_interval(tmp_path):
    message = error_of(tmp_path, "name: x\npopulation: {motivations: {altruist: 1.5}}\n")
    assert "population.motivations.altruist" in message and "less than or equal to 1" in message


def test_unknown_motivation_lists_the_seven(tmp_path):
    message = error_of(tmp_path, "name: x\npopulation: {motivations: {altruist: 0.5, trendseter: 0.5}}\n")
    assert "trendseter" in message and "'trendsetter'" in message and "'careerist'" in message


def test_follower_fraction_above_one(tmp_path):
    message = error_of(tmp_path, "name: x\nbrands: [{name: A, followers: 1.5}]\n")
    assert "brands.0.followers" in message and "[0, 1]" in message


def test_unknown_topic(tmp_path):
    message = error_of(tmp_path, "name: x\nbrands: [{name: A, campaign: {content: [{kind: t, topic: cars}]}}]\n")
    assert "brands.0.campaign.content.0.topic" in message and "cars" in message and "tech" in message


def test_unknown_generator_lists_the_allowed(tmp_path):
    message = error_of(tmp_path, "name: x\nnetwork: {generator: erdos}\n")
    assert "network.generator" in message and "'barabasi_albert'" in message and "'edge_list'" in message


def test_missing_edge_list_file(tmp_path):
    message = error_of(tmp_path, "name: x\nnetwork: {generator: edge_list, path: nowhere.txt}\n")
    assert "network.path" in message and "nowhere.txt" in message and "not found" in message


def test_edge_list_path_is_relative_to_the_scenario(tmp_path):
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "g.txt").write_text("0 1\n1 2\n")
    scenario = load_scenario(write(tmp_path, "name: x\nnetwork: {generator: edge_list, path: nets/g.txt}\n"))
    assert scenario.network.path == str((tmp_path / "nets" / "g.txt").resolve())


def test_yaml_syntax_error_names_the_line(tmp_path):
    message = error_of(tmp_path, "name: x\npopulation: {size: 10\nbrands: []\n")
    assert "not valid YAML" in message
    assert f"{tmp_path / 'scenario.yaml'}:" in message


def test_missing_scenario_file(tmp_path):
    with pytest.raises(InputError, match="scenario file not found"):
        load_scenario(tmp_path / "absent.yaml")


def test_schedule_kind_must_be_in_the_content_mix(tmp_path):
    message = error_of(tmp_path, """\
        name: x
        brands:
          - name: A
            campaign:
              content: [{kind: tip}]
              schedule: [{day: 1, hour: 9, kind: offer}]
        """)
    assert "brands.0.campaign.schedule.0.kind" in message and "offer" in message and "tip" in message


def test_name_must_be_a_safe_folder_name():
    with pytest.raises(InputError, match="name"):
        scenario_from_dict({"name": "../evil"})


def test_not_a_mapping(tmp_path):
    message = error_of(tmp_path, "- just\n- a list\n")
    assert "must be a mapping" in message


def test_resolved_scenario_loads_back_identically(tmp_path):
    scenario = load_scenario(SCENARIOS / "product_launch.yaml")
    copy = tmp_path / "resolved.yaml"
    copy.write_text(yaml.safe_dump(scenario.resolved()))
    assert load_scenario(copy).resolved() == scenario.resolved()


def test_a_share_of_followers_may_be_written_as_a_percentage():
    scenario = scenario_from_dict({"name": "p", "brands": [{"name": "A", "followers": "10%"}]})
    assert scenario.brands[0].followers == pytest.approx(0.1)
    with pytest.raises(InputError, match=r"brands\.0\.followers: write a share as a number and a percent sign"):
        scenario_from_dict({"name": "p", "brands": [{"name": "A", "followers": "ten%"}]})


def test_an_overnight_posting_window_posts_past_midnight():
    from sim.content import plan_campaign

    scenario = scenario_from_dict({"name": "night", "duration_days": 3, "brands": [
        {"name": "A", "campaign": {"posts_per_day": 4, "posting_window": [21, 9]}}]})
    planned = plan_campaign(scenario.brands[0].campaign, 3, 1.0, np.random.default_rng(0))
    hours = sorted({(p.tick - 1) % 24 for p in planned})
    assert hours and all(h >= 21 or h < 9 for h in hours)          # 22:30, 1:30, 4:30, 7:30
    with pytest.raises(InputError, match="posting_window: must be .start, end. with hours from 0 to 24"):
        scenario_from_dict({"name": "x", "brands": [{"name": "A", "campaign": {"posting_window": [9, 9]}}]})


def test_the_resolved_scenario_shows_the_communities_it_used():
    scenario = scenario_from_dict({"name": "sbm", "network": {"generator": "stochastic_block"}})
    assert scenario.resolved()["network"]["communities"] == 5
