"""sharesim optimize: the best plan under a limit held with 95% confidence (sim/optimize.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.metrics import summarize
from sim.optimize import BATCH, build_search, prepare_folder, run_search
from sim.runs import simulate
from sim.scenario import scenario_from_dict, with_overrides
from sim.stats import estimate
from tests.conftest import ROOT

SCENARIO = ROOT / "tests" / "data" / "cadence.yaml"     # 1,500 people, 4 days, 0.06 s a run
CADENCE = "brands.0.campaign.posts_per_day"


def optimize(*args, timeout: float = 120):
    """Run ``sharesim optimize`` in this process; return its exit code and seconds."""
    start = time.perf_counter()
    code = main(["optimize", str(SCENARIO), *map(str, args), "--quiet"])
    seconds = time.perf_counter() - start
    assert seconds < timeout, f"took {seconds:.0f} s"
    return code


def grid(values, seeds):
    """Mean reach and the unfollow rate's estimate at each cadence, with the given seeds."""
    base = yaml.safe_load(SCENARIO.read_text())
    found = {}
    for value in values:
        scenario = scenario_from_dict(with_overrides(base, {CADENCE: value}), source=SCENARIO)
        runs = [summarize(simulate(scenario, seed=seed).log) for seed in seeds]
        found[value] = (np.mean([r["reach"] for r in runs]), estimate([r["unfollow_rate"] for r in runs]))
    return found


def test_the_chosen_cadence_is_the_largest_whose_unfollows_stay_under_the_limit(tmp_path):
    out = tmp_path / "cadence"
    assert optimize("--vary", f"{CADENCE}=1:10", "--maximize", "reach", "--subject-to", "unfollow_rate<=0.01",
                    "--trials", 32, "-r", 8, "--out", out) == 0
    result = json.loads((out / "optimize.json").read_text())
    chosen = result["best"][CADENCE]
    search = build_search(SCENARIO, [f"{CADENCE}=1:10"], ["reach"], [], ["unfollow_rate<=0.01"], replications=8)
    values = list(range(1, 11))
    found = grid(values, search.seeds())
    reach = [found[v][0] for v in values]
    unfollows = [found[v][1].mean for v in values]
    # the answer is known by construction: both rise with the cadence
    assert reach == sorted(reach) and unfollows[-1] > 5 * max(unfollows[0], 1e-3)
    assert np.corrcoef(values, unfollows)[0, 1] > 0.9
    feasible = [v for v in values if found[v][1].high <= 0.01]
    assert feasible and feasible[-1] < 10, "the limit must bind inside the range"
    assert abs(chosen - feasible[-1]) <= 1.0, (chosen, feasible)      # within the grid's step
    assert result["constraint"]["unfollow_rate<=0.01"]["high"] <= 0.01
    # the plan's own numbers are the trial's, and best.yaml holds it
    best = yaml.safe_load((out / "best.yaml").read_text())
    assert best["brands"][0]["campaign"]["posts_per_day"] == chosen
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 32 == result["trials"]
    assert trials.loc[trials["trial"] == result["best_trial"], "feasible"].item()
    assert trials.loc[trials["feasible"], "reach"].max() == result["objective"]["reach"]["mean"]
    # fresh seeds confirm it: more reach than the scenario as given (3 a day), and the limit still met on average
    recheck = result["recheck"]
    assert recheck["seeds"] != search.seeds()
    assert recheck["difference"]["reach"]["low"] > 0
    assert recheck["plan"]["unfollow_rate"]["mean"] <= 0.01
    assert "than the scenario as given" in recheck["verdict"] and "limit of 1%" in recheck["verdict"]
    for plot in ("history.png", "parameters.png"):
        assert (out / plot).stat().st_size > 1000


def test_choices_and_whole_numbers_are_searched_as_such(tmp_path):
    out = tmp_path / "mixed"
    assert optimize("--vary", "feed.ranking=engagement,chronological",
                    "--vary", "brands.0.campaign.seeding.influencers=0:6",
                    "--vary", f"{CADENCE}=2:4",
                    "--maximize", "reach", "--trials", 12, "-r", 2, "--out", out) == 0
    trials = pd.read_csv(out / "trials.csv")
    assert set(trials["feed.ranking"]) <= {"engagement", "chronological"} and trials["feed.ranking"].nunique() == 2
    influencers = trials["brands.0.campaign.seeding.influencers"]
    assert influencers.dtype.kind == "i" and influencers.between(0, 6).all() and influencers.nunique() > 2
    assert trials[CADENCE].dtype.kind == "f" and (trials[CADENCE] % 1 != 0).any()
    best = json.loads((out / "optimize.json").read_text())["best"]
    assert isinstance(best["brands.0.campaign.seeding.influencers"], int)
    scenario = yaml.safe_load((out / "best.yaml").read_text())
    assert scenario["feed"]["ranking"] == best["feed.ranking"]
    assert scenario["brands"][0]["campaign"]["seeding"]["influencers"] == best["brands.0.campaign.seeding.influencers"]


def test_two_objectives_give_a_front_of_plans_none_dominated(tmp_path):
    out = tmp_path / "front"
    assert optimize("--vary", f"{CADENCE}=1:10", "--maximize", "reach", "--minimize", "unfollow_rate",
                    "--trials", 24, "-r", 3, "--out", out) == 0
    result = json.loads((out / "optimize.json").read_text())
    front = result["front"]
    assert len(front) >= 2
    trials = pd.read_csv(out / "trials.csv")
    for point in front:
        reach, rate = point["reach"]["mean"], point["unfollow_rate"]["mean"]
        assert point["reach"]["low"] <= reach <= point["reach"]["high"]
        better = trials[(trials["reach"] >= reach) & (trials["unfollow_rate"] <= rate)
                        & ((trials["reach"] > reach) | (trials["unfollow_rate"] < rate))]
        assert better.empty, f"trial {point['trial']} is dominated"
    assert (out / "front.png").stat().st_size > 1000


def test_a_resumed_search_ends_as_an_uninterrupted_one(tmp_path):
    args = ("--vary", f"{CADENCE}=1:10", "--maximize", "reach", "--subject-to", "unfollow_rate<=0.01",
            "--trials", 2 * BATCH, "-r", 3)
    assert optimize(*args, "--out", tmp_path / "whole") == 0
    # interrupted after the first batch: its trials are kept in study.json
    search = build_search(SCENARIO, [f"{CADENCE}=1:10"], ["reach"], [], ["unfollow_rate<=0.01"],
                          trials=BATCH, replications=3)
    folder, _ = prepare_folder(tmp_path / "resumed", resume=False, force=False)
    run_search(search, folder)
    assert len(json.loads((folder / "study.json").read_text())["trials"]) == BATCH
    assert optimize(*args, "--out", folder, "--resume") == 0
    whole = json.loads((tmp_path / "whole" / "optimize.json").read_text())
    resumed = json.loads((folder / "optimize.json").read_text())
    assert resumed["best"] == whole["best"] and resumed["trials"] == 2 * BATCH
    assert (folder / "trials.csv").read_text() == (tmp_path / "whole" / "trials.csv").read_text()
    # a resume with other settings is refused
    assert optimize(*args[:-1], 4, "--out", folder, "--resume") == 2


def test_one_or_two_workers_give_the_same_search(tmp_path):
    args = ("--vary", f"{CADENCE}=1:10", "--maximize", "reach", "--subject-to", "unfollow_rate<=0.01",
            "--trials", BATCH, "-r", 3)
    assert optimize(*args, "--workers", 1, "--out", tmp_path / "one") == 0
    assert optimize(*args, "--workers", 2, "--out", tmp_path / "two") == 0
    assert (tmp_path / "one" / "trials.csv").read_text() == (tmp_path / "two" / "trials.csv").read_text()
    one, two = (json.loads((tmp_path / n / "optimize.json").read_text()) for n in ("one", "two"))
    assert one["best"] == two["best"] and one["recheck"] == two["recheck"]


def test_a_dask_cluster_gives_the_same_search(tmp_path):
    from dask.distributed import LocalCluster

    args = ("--vary", f"{CADENCE}=1:10", "--maximize", "reach", "--subject-to", "unfollow_rate<=0.01",
            "--trials", BATCH, "-r", 3)
    assert optimize(*args, "--out", tmp_path / "one") == 0
    with LocalCluster(n_workers=2, processes=False, host="127.0.0.1", protocol="tcp://",
                      dashboard_address=None) as cluster:
        dask = subprocess.run([sys.executable, "-m", "sim", "optimize", str(SCENARIO), *map(str, args),
                               "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask"),
                               "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
        ran_on_dask = cluster.scheduler.task_prefixes["run_sample"].state_counts
        # every replication of every trial (8 x 3), then the recheck's plan and scenario as given (2 x 3)
        assert ran_on_dask["memory"] == BATCH * 3 + 2 * 3
    assert dask.returncode == 0, dask.stderr
    assert dask.stdout == "" and "Traceback" not in dask.stderr
    result = json.loads((tmp_path / "one" / "optimize.json").read_text())
    assert result["best"] is not None and "recheck" in result      # the recheck ran, on the cluster too
    for name in ("trials.csv", "optimize.json", "best.yaml", "study.json"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name


@pytest.mark.parametrize("option, text, expected", [
    ("--vary", CADENCE, "--vary brands.0.campaign.posts_per_day: write PATH=LOW:HIGH or PATH=A,B,C"),
    ("--vary", f"{CADENCE}=5:1", "LOW must be below HIGH"),
    ("--vary", f"{CADENCE}=1:x", "LOW and HIGH must be finite numbers"),
    ("--vary", "fatigue.per_pots=0.1:0.2", "fatigue.per_pots"),
    ("--vary", f"{CADENCE}=1:2000", "at HIGH (2000)"),
    ("--vary", "feed.ranking=engagement,alphabetical", "choice alphabetical"),
    ("--subject-to", "unfollow_rate<0.01", "--subject-to unfollow_rate<0.01: write OUTPUT<=VALUE or OUTPUT>=VALUE"),
    ("--subject-to", "unfollows_rate<=0.01", "unknown output; allowed: reach, reach_rate"),
    ("--subject-to", "unfollow_rate<=lots", "the limit must be a number"),
    ("--maximize", "people", "--maximize people: unknown output; allowed: reach, reach_rate"),
])
def test_bad_text_is_one_line_naming_the_option_and_nothing_is_written(tmp_path, capsys, option, text, expected):
    args = {"--vary": [f"{CADENCE}=1:10"], "--maximize": ["reach"], "--subject-to": []}
    args[option] = [text]
    argv = [item for name, values in args.items() for value in values for item in (name, value)]
    out = tmp_path / "never"
    assert optimize(*argv, "--out", out) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and expected in error and option in error, error
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_posterior_widens_each_plans_interval_and_is_recorded(tmp_path):
    """Replications drawing a wide posterior of how fast followers act make the unfollow rate less certain."""
    posterior = tmp_path / "posterior.csv"
    pd.DataFrame({"fatigue.act_probability": [0.02, 0.1, 0.4, 0.8], "weight": [1, 1, 1, 1]}).to_csv(posterior,
                                                                                                    index=False)
    widths = {}
    for name, extra in (("plain", []), ("posterior", ["--posterior", posterior])):
        out = tmp_path / name
        assert optimize("--vary", f"{CADENCE}=2:8", "--maximize", "reach", "--subject-to", "unfollow_rate<=0.5",
                        "--trials", 4, "-r", 4,
                        "--out", out, *extra) == 0
        trials = pd.read_csv(out / "trials.csv")
        widths[name] = float((trials["unfollow_rate_high"] - trials["unfollow_rate_low"]).mean())
        recorded = json.loads((out / "optimize.json").read_text())["posterior"]
        assert (recorded is None) == (name == "plain")
    assert widths["posterior"] > widths["plain"], widths
