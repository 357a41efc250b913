"""The command line end to end: `sharesim run` and `python -m sim run`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT

SCENARIO = textwrap.dedent("""\
    name: cli_small
    seed: 5
    duration_days: 2
    population: {size: 1500}
    brands:
      - name: Acme
        followers: 0.2
        campaign: {posts_per_day: 3, seeding: {influencers: 5}}
    """)


def sharesim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=300)


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "cli_small.yaml"
    path.write_text(SCENARIO)
    return path


def test_run_writes_a_complete_run_folder(tmp_path, scenario_file):
    out = tmp_path / "run"
    done = sharesim("run", scenario_file, "--out", out)
    assert done.returncode == 0, done.stderr
    for name in ["scenario.yaml", "summary.json", "timeseries.csv", "posts.csv", "events.csv",
                 "people.csv", "reach_followers.png", "shares_by_motivation.png", "cascade_sizes.png"]:
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    for key in ["scenario", "seed", "ticks", "population", "reach", "reach_rate", "impressions", "shares",
                "engagement_rate", "posts", "followers_start", "followers_end", "unfollows", "new_follows",
                "unfollow_rate", "by_motivation", "brands", "cascades"]:
        assert key in summary, key
    assert summary["ticks"] == 48 and summary["population"] == 1500 and summary["posts"] == 6
    assert set(summary["by_motivation"]) == {"altruist", "selective", "passionate", "social",
                                             "trendsetter", "provocateur", "careerist"}
    events = pd.read_csv(out / "events.csv")
    assert summary["impressions"] == (events.kind == "exposure").sum()
    assert summary["reach"] == events[events.kind == "exposure"].person.nunique()
    series = pd.read_csv(out / "timeseries.csv")
    assert len(series) == 49 and series.reach.iloc[-1] == summary["reach"]
    resolved = yaml.safe_load((out / "scenario.yaml").read_text())
    assert resolved["seed"] == 5 and resolved["population"]["attention_span"] == 20
    assert "reach rate" in done.stdout and "altruist" in done.stdout


def test_seed_option_overrides_and_same_seed_repeats(tmp_path, scenario_file):
    runs = {}
    for name, seed in [("a", 11), ("b", 11), ("c", 12)]:
        done = sharesim("run", scenario_file, "--seed", seed, "--out", tmp_path / name, "--quiet")
        assert done.returncode == 0 and done.stdout == "", done.stderr
        runs[name] = (tmp_path / name / "events.csv").read_text()
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]
    assert yaml.safe_load((tmp_path / "a" / "scenario.yaml").read_text())["seed"] == 11


def test_default_folder_is_under_outputs_by_scenario_name(tmp_path, scenario_file):
    done = sharesim("run", scenario_file, "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folders = list((tmp_path / "outputs" / "cli_small").iterdir())
    assert len(folders) == 1 and (folders[0] / "summary.json").is_file()


@pytest.mark.parametrize("text, expected", [
    ("name: bad\nduraton_days: 3\n", "duration_days"),
    ("name: bad\npopulation: {size: lots}\n", "population.size"),
    ("name: bad\nbrands: [{name: A, followers: 2.5}]\n", "brands.0.followers"),
    ("name: bad\nnetwork: {generator: edge_list, path: missing.txt}\n", "missing.txt"),
])
def test_bad_scenario_exits_2_with_one_message_and_no_folder(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    done = sharesim("run", path, cwd=tmp_path)
    assert done.returncode == 2
    assert expected in done.stderr and str(path) in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "outputs").exists()


def test_malformed_edge_list_names_its_line(tmp_path):
    (tmp_path / "g.txt").write_text("0 1\n1 2\n2 two\n")
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nnetwork: {generator: edge_list, path: g.txt}\n")
    done = sharesim("run", path, cwd=tmp_path)
    assert done.returncode == 2 and "g.txt:3:" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "outputs").exists()


def test_existing_out_folder_is_not_overwritten(tmp_path, scenario_file):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = sharesim("run", scenario_file, "--out", out)
    assert done.returncode == 2 and "--force" in done.stderr
    assert (out / "keep.txt").read_text() == "mine"


def test_sharesim_entry_point_answers_help():
    done = subprocess.run(["sharesim", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "run" in done.stdout
