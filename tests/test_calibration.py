"""Calibration: known parameters recovered from data simulated with them, the same
posterior on 1 or 2 workers, clear errors for bad files and ranges, the shared
network, and posterior draws carried into compare."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.metrics import daily_followers, post_metrics
from sim.network import shared_network
from sim.runs import simulate
from sim.scenario import read_yaml, scenario_from_dict, with_overrides
from tests.conftest import ROOT, SCENARIOS


def small_file(tmp_path, name: str, size: int = 2000, days: int = 7, **overrides) -> "Path":
    """A ready scenario made small (and changed by ``overrides``), written next to the test's files."""
    data = with_overrides(read_yaml(SCENARIOS / f"{name}.yaml"),
                          {"population.size": size, "duration_days": days, **overrides})
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def observe(scenario_file, seed: int, folder, **truth) -> tuple:
    """Simulate the scenario with the true values; write its posts.csv and daily followers."""
    data = with_overrides(read_yaml(scenario_file), truth)
    log = simulate(scenario_from_dict(data, source=scenario_file), seed=seed).log
    posts, daily = folder / "posts.csv", folder / "daily.csv"
    post_metrics(log).to_csv(posts, index=False)
    counts = daily_followers(log)
    pd.DataFrame({"day": np.arange(counts.size), "followers": counts}).to_csv(daily, index=False)
    return posts, daily


def calibrate(*args) -> int:
    return main(["calibrate", *map(str, args), "--quiet"])


def interval(folder, path) -> dict:
    return json.loads((folder / "calibration.json").read_text())["parameters"][path]


# --------------------------------------------------------------------------
# Recovering known parameters

def test_two_parameters_recovered_on_over_posting(tmp_path):
    scenario = small_file(tmp_path, "over_posting")
    truth = {"feed.page_affinity": 0.1, "fatigue.act_probability": 0.15}
    posts, daily = observe(scenario, 7, tmp_path, **truth)
    priors = {"feed.page_affinity": (0.02, 0.5), "fatigue.act_probability": (0.02, 0.6)}
    out = tmp_path / "fit"
    assert calibrate(scenario, "--observed", posts, "--followers", daily,
                     *[f"--param={p}={lo}:{hi}" for p, (lo, hi) in priors.items()],
                     "--budget", 400, "--out", out) == 0
    # the observed posts and daily follower counts narrow page affinity down; the fatigue rule's chance
    # to act only loosely at this budget. Over observation seeds 7-10 the 90% intervals span 0.36-0.87
    # (page affinity) and 0.75-0.92 (chance to act) of the prior's width, before and after issue 16's draws.
    narrower = {"feed.page_affinity": 0.9, "fatigue.act_probability": 0.95}
    for path, value in truth.items():
        found = interval(out, path)
        assert found["low"] <= value <= found["high"], (path, found)
        low, high = priors[path]
        assert found["high"] - found["low"] < narrower[path] * (high - low), (path, found)
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.columns) == [*priors, "weight"]
    assert posterior["weight"].sum() == pytest.approx(1.0)
    calibrated = read_yaml(out / "calibrated.yaml")
    assert calibrated["feed"]["page_affinity"] == pytest.approx(interval(out, "feed.page_affinity")["median"])
    record = json.loads((out / "calibration.json").read_text())
    assert record["simulations"] <= 400 and record["populations"] >= 1
    assert (out / "posterior.png").stat().st_size > 0


def test_one_parameter_recovered_on_product_launch(tmp_path):
    scenario = small_file(tmp_path, "product_launch")
    posts, _ = observe(scenario, 11, tmp_path, **{"feed.page_affinity": 0.3})
    out = tmp_path / "fit"
    assert calibrate(scenario, "--observed", posts, "--param", "feed.page_affinity=0.01:1",
                     "--budget", 200, "--out", out) == 0
    found = interval(out, "feed.page_affinity")
    assert found["low"] <= 0.3 <= found["high"], found
    # log-uniform prior (1 / 0.01 >= 100): narrower in orders of magnitude
    assert np.log(found["high"] / found["low"]) < 0.8 * np.log(1 / 0.01), found
    assert json.loads((out / "calibration.json").read_text())["priors"]["feed.page_affinity"]["scale"] == "log"


def test_the_same_posterior_on_one_and_two_workers(tmp_path):
    scenario = small_file(tmp_path, "product_launch", size=800, days=2)
    posts, _ = observe(scenario, 5, tmp_path)
    folders = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        assert calibrate(scenario, "--observed", posts, "--param", "feed.page_affinity=0.02:0.8",
                         "--budget", 120, "--workers", workers, "--seed", 9, "--out", out) == 0
        folders.append(out)
    one, two = (pd.read_csv(f / "posterior.csv") for f in folders)
    pd.testing.assert_frame_equal(one, two)
    assert one["feed.page_affinity"].nunique() > 1


def test_the_same_posterior_on_a_dask_cluster(tmp_path):
    from dask.distributed import LocalCluster

    scenario = small_file(tmp_path, "product_launch", size=800, days=2)
    posts, _ = observe(scenario, 5, tmp_path)
    args = ["calibrate", scenario, "--observed", posts, "--param", "feed.page_affinity=0.02:0.8",
            "--budget", 120, "--seed", 9, "--quiet"]
    assert main([*map(str, args), "--out", str(tmp_path / "one")]) == 0
    with LocalCluster(n_workers=2, processes=False, host="127.0.0.1", protocol="tcp://",
                      dashboard_address=None) as cluster:
        dask = subprocess.run([sys.executable, "-m", "sim", *map(str, args), "--scheduler",
                               cluster.scheduler_address, "--out", str(tmp_path / "dask")],
                              capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
        # Dask names _evaluate's tasks "evaluate" (a key's leading underscore is dropped)
        ran_on_dask = cluster.scheduler.task_prefixes["evaluate"].state_counts["memory"]
    assert dask.returncode == 0, dask.stderr
    assert dask.stdout == "" and "Traceback" not in dask.stderr
    record = json.loads((tmp_path / "one" / "calibration.json").read_text())
    # the prior sample and every population's batches went through the cluster, a few chunks of seeds each
    assert ran_on_dask >= 2 * (1 + record["populations"]), ran_on_dask
    for name in ("posterior.csv", "calibration.json", "calibrated.yaml"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    assert pd.read_csv(tmp_path / "one" / "posterior.csv")["feed.page_affinity"].nunique() > 1


# --------------------------------------------------------------------------
# The shared network

def test_a_model_on_the_shared_graph_is_the_run_of_its_seed():
    data = with_overrides(read_yaml(SCENARIOS / "over_posting.yaml"), {"population.size": 1500, "duration_days": 2})
    scenario = scenario_from_dict(data, source=SCENARIOS / "over_posting.yaml")
    graph = shared_network(scenario.network, scenario.population.size, 8)
    assert shared_network(scenario.network, scenario.population.size, 8) is graph      # built once
    plain = simulate(scenario, seed=8).log.events
    pd.testing.assert_frame_equal(simulate(scenario, seed=8, graph=graph).log.events, plain)
    assert not simulate(scenario, seed=9, graph=graph).log.events.equals(plain)


# --------------------------------------------------------------------------
# Errors: one line, exit 2, nothing written

@pytest.mark.parametrize("content, expected", [
    ("post,shares\n1,2\n", "no column 'reach'"),
    ("reach,shares\n10,1\n12,x\n", "line 3, column 'shares': not a number"),
    ("reach,shares\n10,1\n-4,0\n", "line 3, column 'reach': negative"),
    ("reach,shares\n10,\n", "line 2, column 'shares': the value is missing"),
    ("", "the file is empty"),
    ("reach,shares\n", "no rows after the header"),
])
def test_bad_observed_posts(tmp_path, capsys, content, expected):
    posts = tmp_path / "posts.csv"
    posts.write_text(content)
    out = tmp_path / "fit"
    assert calibrate(SCENARIOS / "product_launch.yaml", "--observed", posts, "--param",
                     "feed.page_affinity=0.01:1", "--out", out) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and str(posts) in error and expected in error, error
    assert not out.exists()


def test_bad_followers_and_missing_files(tmp_path, capsys):
    posts = tmp_path / "posts.csv"
    posts.write_text("reach,shares,kind\n10,1,tip\n")
    daily = tmp_path / "daily.csv"
    daily.write_text("day,followers\n0,100\n1,abc\n")
    out = tmp_path / "fit"
    for args, expected in [(["--followers", daily], f"{daily}: line 3, column 'followers': not a number"),
                           (["--followers", tmp_path / "none.csv"], "none.csv: the daily followers file not found")]:
        assert calibrate(SCENARIOS / "product_launch.yaml", "--observed", posts, "--param",
                         "feed.page_affinity=0.01:1", *args, "--out", out) == 2
        assert expected in capsys.readouterr().err
    assert calibrate(SCENARIOS / "product_launch.yaml", "--observed", tmp_path / "gone.csv", "--param",
                     "feed.page_affinity=0.01:1", "--out", out) == 2
    assert "gone.csv: the observed posts file not found" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("param, expected", [
    ("feed.page_affinity", "write PATH=LOW:HIGH"),
    ("feed.page_affinity=0.5:0.1", "LOW must be below HIGH"),
    ("feed.page_affinity=a:b", "LOW and HIGH must be numbers"),
    ("feed.page_afinity=0.1:0.5", "feed.page_afinity"),
    ("fatigue.act_probability=0.1:2", "at 2: fatigue.act_probability"),
])
def test_bad_param(tmp_path, capsys, param, expected):
    posts = tmp_path / "posts.csv"
    posts.write_text("reach,shares\n10,1\n")
    out = tmp_path / "fit"
    assert calibrate(SCENARIOS / "product_launch.yaml", "--observed", posts, "--param", param, "--out", out) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"sharesim: --param {param}") and expected in error and "\n" not in error, error
    assert not out.exists()


def test_out_is_checked_before_any_simulation(tmp_path, capsys):
    posts = tmp_path / "posts.csv"
    posts.write_text("reach,shares\n10,1\n")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my own")
    assert calibrate(SCENARIOS / "product_launch.yaml", "--observed", posts, "--param",
                     "feed.page_affinity=0.01:1", "--out", mine, "--force") == 2
    assert "never replaces a folder of your own files" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "my own"


# --------------------------------------------------------------------------
# The posterior in compare

def posterior_file(tmp_path, values, weights=None) -> "Path":
    path = tmp_path / "posterior.csv"
    pd.DataFrame({"feed.page_affinity": values,
                  "weight": weights if weights is not None else np.ones(len(values)) / len(values)}
                 ).to_csv(path, index=False)
    return path


def test_compare_with_a_posterior_is_wider_and_still_paired(tmp_path):
    base = small_file(tmp_path, "product_launch", size=1000, days=2)
    strategies = tmp_path / "twins.yaml"
    strategies.write_text(yaml.safe_dump({"name": "twins", "base": str(base), "strategies": {
        "same": {}, "also_same": {}}}))
    wide = posterior_file(tmp_path, [0.01, 0.03, 0.1, 0.3, 1.0, 3.0])
    tables = {}
    for label, extra in (("fixed", []), ("posterior", ["--posterior", wide])):
        out = tmp_path / label
        assert main(["compare", str(strategies), "-r", "8", "--out", str(out), "--quiet", *map(str, extra)]) == 0
        tables[label] = json.loads((out / "summary.json").read_text())
        comparison = pd.read_csv(out / "comparison.csv")
        same, also = (comparison[comparison.strategy == s].reset_index(drop=True) for s in ("same", "also_same"))
        assert (same["reach"] == also["reach"]).all()           # identical strategies: exactly zero
    width = {label: np.diff(t["strategies"][0]["metrics"]["reach"]["ci"])[0] for label, t in tables.items()}
    # the posterior's spread of page affinity adds to the replications' own: 1.6x to 7x wider over
    # base seeds 42 and 1-3 (before and after issue 16's draws), so more than 1.5x here
    assert width["posterior"] > 1.5 * width["fixed"], width
    difference = tables["posterior"]["strategies"][1]["difference"]["reach"]
    assert difference["mean"] == 0 and difference["ci"] == [0, 0]
    drawn = pd.read_csv(tmp_path / "posterior" / "comparison.csv")["feed.page_affinity"]
    assert drawn.nunique() > 1
    # resume recomputes nothing, and a resume with another posterior is refused
    assert main(["compare", str(strategies), "-r", "8", "--out", str(tmp_path / "posterior"), "--resume",
                 "--quiet", "--posterior", str(wide)]) == 0
    other = posterior_file(tmp_path, [0.2, 0.4])
    assert main(["compare", str(strategies), "-r", "8", "--out", str(tmp_path / "posterior"), "--resume",
                 "--quiet", "--posterior", str(other)]) == 2


def test_a_posterior_draw_is_the_same_for_every_strategy_and_follows_the_weights(tmp_path):
    from sim.calibration import load_posterior

    posterior = load_posterior(posterior_file(tmp_path, [0.1, 0.2, 0.3], [0.0, 0.0, 5.0]))
    assert {posterior.draw(seed)["feed.page_affinity"] for seed in range(20)} == {0.3}
    posterior = load_posterior(posterior_file(tmp_path, [0.1, 0.2, 0.3]))
    assert posterior.draw(12) == posterior.draw(12)
    assert len({posterior.draw(seed)["feed.page_affinity"] for seed in range(50)}) == 3


@pytest.mark.parametrize("content, expected", [
    ("feed.page_afinity,weight\n0.1,1\n", "feed.page_afinity"),
    ("feed.page_affinity\n0.1\n", "no column 'weight'"),
    ("feed.page_affinity,weight\n0.1,x\n", "line 2, column 'weight': not a number"),
    ("", "the file is empty"),
])
def test_bad_posterior_file(tmp_path, capsys, content, expected):
    path = tmp_path / "posterior.csv"
    path.write_text(content)
    out = tmp_path / "cmp"
    assert main(["compare", str(SCENARIOS / "strategies" / "cadence.yaml"), "--posterior", str(path),
                 "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert expected in error and "\n" not in error, error
    assert not out.exists()


def test_a_posterior_may_not_replace_what_the_strategies_set(tmp_path, capsys):
    path = tmp_path / "posterior.csv"
    path.write_text("brands.0.campaign.posts_per_day,weight\n2,1\n")
    assert main(["compare", str(SCENARIOS / "strategies" / "cadence.yaml"), "--posterior", str(path),
                 "--out", str(tmp_path / "cmp"), "--quiet"]) == 2
    assert "the strategies set it to different values" in capsys.readouterr().err
