"""Comparing strategies: pairing, the same numbers on any number of workers or
on Dask, resume after an interruption, a known effect, clear errors, sweeps."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

import sim.experiment as experiment
from sim.cli import main
from sim.experiment import (
    METRICS,
    Comparison,
    StrategyResult,
    compare,
    load_strategies,
    run_replications,
    verdict,
)
from sim.stats import (
    Difference,
    Estimate,
    estimate,
    paired_difference,
    replication_seeds,
)
from tests.conftest import ROOT, SCENARIOS, SMALL

# A smaller world than conftest's: replications must be cheap.
BASE = copy.deepcopy(SMALL) | {"duration_days": 2, "population": {"size": 1000}}
PROMOTIONAL = [{"kind": "offer", "qualities": {"useful": 0.3}, "promotional": 0.9}]


def strategies_file(tmp_path, strategies, name="trial", **fields):
    """Write a strategies file with the small base embedded; return its path."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "base": fields.pop("base", BASE),
                                    "strategies": strategies, **fields}, sort_keys=False))
    return path


def sharesim(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


# --------------------------------------------------------------------------
# Pairing

def test_identical_strategies_differ_by_exactly_zero(tmp_path):
    path = strategies_file(tmp_path, {"a": {}, "b": {}, "eight": {"brands.0.campaign.posts_per_day": 8}})
    plan = load_strategies(path)
    table = run_replications(plan, 3, tmp_path / "out")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no NaN or division warnings from scipy
        result = compare(table, plan)

    for metric in METRICS:
        assert result["b"].differences[metric] == Difference(0.0, 0.0, 0.0, 1.0, 3)
    assert result["b"].verdict == "no clear change in reach, shares or unfollows"
    # Replication i uses one seed for all strategies, and another seed than replication j.
    seeds = table.pivot(index="replication", columns="strategy", values="seed")
    assert (seeds["a"] == seeds["eight"]).all() and seeds["a"].nunique() == 3
    # ... so the same people follow at the start, while the strategies do differ.
    followers = table.pivot(index="replication", columns="strategy", values="followers_start")
    assert (followers["a"] == followers["eight"]).all()
    assert result["eight"].differences["reach"].mean > 0


def test_replication_seeds_come_from_seed_sequence_spawn():
    expected = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(42).spawn(5)]
    assert replication_seeds(42, 5) == expected
    assert replication_seeds(42, 3) == expected[:3]      # more replications extend, never reshuffle
    assert len(set(expected)) == 5


def test_paired_statistics_against_scipy():
    from scipy import stats

    rng = np.random.default_rng(1)
    base = rng.normal(100, 10, 12)
    other = base + rng.normal(3, 1, 12)
    d = paired_difference(other, base)
    test = stats.ttest_rel(other, base)
    assert d.pvalue == pytest.approx(test.pvalue) and d.low < 3 < d.high
    assert d.mean == pytest.approx(np.mean(other - base))
    # A constant, non-zero difference is known exactly.
    assert paired_difference(base + 2, base)[:4] == pytest.approx((2, 2, 2, 0.0))
    e = estimate(base)
    assert e.low < e.mean < e.high and e.mean == pytest.approx(base.mean())


def test_verdict_and_pareto_front_in_plain_words():
    up, down, flat = (Difference(5, 1, 9, 0.01, 10), Difference(-5, -9, -1, 0.01, 10),
                      Difference(0.1, -1, 1, 0.8, 10))
    assert verdict({"reach": up, "shares": up, "unfollow_rate": flat}) == \
        "more reach, more shares, no clear change in unfollows"
    assert verdict({"reach": flat, "shares": down, "unfollow_rate": down}) == \
        "fewer shares, fewer unfollows, no clear change in reach"

    def strategy(name, reach, unfollows):
        estimates = {m: Estimate(0.0, 0.0, 0.0, 3) for m in METRICS}
        estimates |= {"reach": Estimate(reach, reach, reach, 3),
                      "unfollow_rate": Estimate(unfollows, unfollows, unfollows, 3)}
        return StrategyResult(name, estimates, {}, "")
    result = Comparison("t", "a", 3, [strategy("a", 100, 0.01), strategy("b", 200, 0.05),
                                       strategy("c", 150, 0.06), strategy("d", 90, 0.01)])
    assert result.pareto_front() == ["a", "b"]      # c: less reach and more unfollows than b; d: than a


# --------------------------------------------------------------------------
# The same numbers on 1 worker, 2 workers and a Dask cluster

def test_same_results_on_one_worker_two_workers_and_dask(tmp_path):
    from dask.distributed import LocalCluster

    path = strategies_file(tmp_path, {"three": {}, "eight": {"brands.0.campaign.posts_per_day": 8}})
    assert main(["compare", str(path), "-r", "3", "--out", str(tmp_path / "one"), "--quiet"]) == 0
    assert main(["compare", str(path), "-r", "3", "--workers", "2", "--out", str(tmp_path / "two"), "--quiet"]) == 0
    with LocalCluster(n_workers=2, processes=False, host="127.0.0.1", protocol="tcp://",
                      dashboard_address=None) as cluster:
        dask = sharesim("compare", path, "-r", 3, "--scheduler", cluster.scheduler_address,
                        "--out", tmp_path / "dask", "--quiet")
        ran_on_dask = cluster.scheduler.task_prefixes["run_replication"].state_counts
        assert ran_on_dask["memory"] == 6               # every replication went through the cluster
    assert dask.returncode == 0, dask.stderr
    assert dask.stdout == "" and "Traceback" not in dask.stderr
    expected = (tmp_path / "one" / "comparison.csv").read_bytes()
    assert len(pd.read_csv(tmp_path / "one" / "comparison.csv")) == 6
    for folder in ("two", "dask"):
        assert (tmp_path / folder / "comparison.csv").read_bytes() == expected
        assert (tmp_path / folder / "summary.csv").read_bytes() == (tmp_path / "one" / "summary.csv").read_bytes()


def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    path = strategies_file(tmp_path, {"a": {}})
    code = main(["compare", str(path), "-r", "2", "--scheduler", "tcp://127.0.0.1:9", "--out",
                 str(tmp_path / "out")])
    assert code == 2
    assert "cannot reach a Dask scheduler" in capsys.readouterr().err


# --------------------------------------------------------------------------
# Resume

def test_resume_recomputes_nothing_done(tmp_path, monkeypatch, capsys):
    path = strategies_file(tmp_path, {"one": {"brands.0.campaign.posts_per_day": 1},
                                      "four": {"brands.0.campaign.posts_per_day": 4}})
    assert main(["compare", str(path), "-r", "3", "--out", str(tmp_path / "whole"), "--quiet"]) == 0

    # Interrupt a comparison after three replications, as Ctrl-C would.
    real = experiment.run_replication
    calls = []

    def interrupted(task):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(task)
        return real(task)
    monkeypatch.setattr(experiment, "run_replication", interrupted)
    out = tmp_path / "cut"
    assert main(["compare", str(path), "-r", "3", "--out", str(out), "--quiet"]) == 130
    assert "--resume" in capsys.readouterr().err
    kept = {f.name: f.stat().st_mtime_ns for f in (out / "replications").glob("*.json")}
    assert len(kept) == 3 and not (out / "comparison.csv").exists()

    # Without --resume the folder is not touched; with it, only the rest runs.
    assert main(["compare", str(path), "-r", "3", "--out", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    calls.clear()
    monkeypatch.setattr(experiment, "run_replication", lambda task: calls.append(task) or real(task))
    assert main(["compare", str(path), "-r", "3", "--out", str(out), "--resume", "--quiet"]) == 0
    assert sorted(t.file_name for t in calls) == sorted(
        f.name for f in (out / "replications").glob("*.json") if f.name not in kept)
    assert len(calls) == 3
    assert {f: (out / "replications" / f).stat().st_mtime_ns for f in kept} == kept
    assert (out / "comparison.csv").read_bytes() == (tmp_path / "whole" / "comparison.csv").read_bytes()

    # Resuming a finished comparison runs nothing at all.
    calls.clear()
    assert main(["compare", str(path), "-r", "3", "--out", str(out), "--resume", "--quiet"]) == 0
    assert calls == []


def test_resume_after_the_process_is_killed(tmp_path):
    path = strategies_file(tmp_path, {"one": {"brands.0.campaign.posts_per_day": 1},
                                      "four": {"brands.0.campaign.posts_per_day": 4}})
    out, store = tmp_path / "killed", tmp_path / "killed" / "replications"
    process = subprocess.Popen([sys.executable, "-m", "sim", "compare", str(path), "-r", "5", "--out", str(out),
                                "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list(store.glob("*.json"))) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the comparison finished before it could be killed"
    done = len(list(store.glob("*.json")))
    assert 2 <= done < 10

    resumed = sharesim("compare", path, "-r", 5, "--out", out, "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert main(["compare", str(path), "-r", "5", "--out", str(tmp_path / "whole"), "--quiet"]) == 0
    assert (out / "comparison.csv").read_bytes() == (tmp_path / "whole" / "comparison.csv").read_bytes()


# --------------------------------------------------------------------------
# A known effect

def test_eight_promotional_posts_a_day_lose_more_followers_than_one(tmp_path):
    base = copy.deepcopy(BASE)
    base["brands"][0]["campaign"]["content"] = PROMOTIONAL
    path = strategies_file(tmp_path, {"one": {"brands.0.campaign.posts_per_day": 1},
                                      "eight": {"brands.0.campaign.posts_per_day": 8}}, base=base)
    plan = load_strategies(path)
    result = compare(run_replications(plan, 20, tmp_path / "out"), plan)
    more_unfollows = result["eight"].differences["unfollow_rate"]
    assert more_unfollows.n == 20
    assert more_unfollows.low > 0 and more_unfollows.pvalue < 0.05
    assert "more unfollows" in result["eight"].verdict
    assert result["eight"].estimates["unfollow_rate"].mean > result["one"].estimates["unfollow_rate"].mean


# --------------------------------------------------------------------------
# Outputs, end to end

def test_compare_end_to_end_writes_tables_json_and_plot(tmp_path):
    path = strategies_file(tmp_path, {"one": {"brands.0.campaign.posts_per_day": 1},
                                      "eight": {"brands": {0: {"campaign": {"posts_per_day": 8}}}}},
                           baseline="one")
    done = sharesim("compare", path, "-r", 3, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "against one: mean paired difference" in done.stdout and "eight" in done.stdout
    out = tmp_path / "out"
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["strategy"]) == ["one"] * 3 + ["eight"] * 3
    assert set(METRICS) <= set(table.columns)
    assert (table["net_followers"] == table["followers_end"] - table["followers_start"]).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["baseline"] == "one" and summary["replications"] == 3
    eight = summary["strategies"][1]
    reach = table.loc[table.strategy == "eight", "reach"].to_numpy() - table.loc[table.strategy == "one", "reach"].to_numpy()
    assert eight["difference"]["reach"]["mean"] == pytest.approx(reach.mean())
    assert len(pd.read_csv(out / "summary.csv")) == 2 * len(METRICS)
    assert (out / "tradeoff.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "summary.txt").read_text().strip() in done.stdout
    assert [p.name for p in out.glob(".*")] == [".sharesim"]   # the marker; no temporary file left


@pytest.mark.parametrize("strategies_file_name", sorted(p.name for p in (SCENARIOS / "strategies").glob("*.yaml")))
def test_ready_strategy_files_load(strategies_file_name):
    plan = load_strategies(SCENARIOS / "strategies" / strategies_file_name)
    assert plan.baseline in plan.scenarios and len(plan.scenarios) >= 2
    assert len({json.dumps(s, sort_keys=True) for s in plan.scenarios.values()}) >= 2


# --------------------------------------------------------------------------
# Clear errors

@pytest.mark.parametrize("overrides, expected", [
    ({"brands.0.campaign.post_per_day": 8},
     ["strategy 'bad'", "brands.0.campaign.post_per_day", "did you mean 'posts_per_day'"]),
    ({"brands.0.campaign.posts_per_day": -1},
     ["strategy 'bad'", "brands.0.campaign.posts_per_day", "greater than or equal to 0", "-1"]),
    ({"brands": {0: {"campaign": {"seeding": {"influencer": 3}}}}},
     ["strategy 'bad'", "brands.0.campaign.seeding.influencer", "did you mean 'influencers'"]),
    ({"brands.2.topic": "food"}, ["strategy 'bad'", "brands.2", "no such item", "1 item"]),
    ({"seed": 7}, ["strategy 'bad'", "seed", "every strategy shares the base's seed 3"]),
])
def test_bad_override_is_one_clear_error(tmp_path, capsys, overrides, expected):
    path = strategies_file(tmp_path, {"good": {}, "bad": overrides})
    code = main(["compare", str(path), "-r", "2", "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith(f"sharesim: {path}: ") and error.count("\n") == 1
    for part in expected:
        assert part in error
    assert not (tmp_path / "out").exists()


def test_bad_strategies_file_fields_and_baseline(tmp_path, capsys):
    path = strategies_file(tmp_path, {"a": {}}, baseline="b")
    assert main(["compare", str(path)]) == 2
    assert "baseline: no strategy named 'b'" in capsys.readouterr().err
    path = strategies_file(tmp_path, {"a": {}}, strategy={})
    assert main(["compare", str(path)]) == 2
    assert "strategy: unknown field; allowed here: name, description, base, baseline, strategies" in \
        capsys.readouterr().err
    done = sharesim("compare", tmp_path / "missing.yaml")
    assert done.returncode == 2 and "strategies file not found" in done.stderr and "Traceback" not in done.stderr


def test_error_while_running_leaves_no_folder(tmp_path, capsys):
    tiny = {"name": "tiny", "duration_days": 1, "population": {"size": 50}, "brands": [{"name": "A"}]}
    path = strategies_file(tmp_path, {"ok": {}, "too_many": {"brands.0.campaign.seeding.random": 80}}, base=tiny)
    out = tmp_path / "out"
    assert main(["compare", str(path), "-r", "2", "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert f"{path}: strategy 'too_many': brands.0.campaign.seeding: 80 seeded people" in error
    assert not out.exists()


# --------------------------------------------------------------------------
# Sweeps

def test_sweep_one_parameter_writes_table_and_line_plot(tmp_path):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(BASE))
    out = tmp_path / "out"
    assert main(["sweep", str(scenario), "--set", "brands.0.campaign.posts_per_day=1,4", "-r", "2",
                 "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["brands.0.campaign.posts_per_day"]) == [1, 1, 4, 4]
    assert table.groupby("brands.0.campaign.posts_per_day")["seed"].apply(tuple).nunique() == 1   # paired
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["strategy"]) == {"posts_per_day=1", "posts_per_day=4"}
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_two_parameters_writes_a_heatmap(tmp_path, capsys):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(BASE))
    out = tmp_path / "out"
    assert main(["sweep", str(scenario), "--set", "brands.0.campaign.posts_per_day=1,4",
                 "--set", "brands.0.followers=0.1,0.3", "-r", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "posts_per_day=4,followers=0.3" in printed
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 8
    assert list(table.columns[3:5]) == ["brands.0.campaign.posts_per_day", "brands.0.followers"]
    cells = table.groupby(["brands.0.campaign.posts_per_day", "brands.0.followers"]).size()
    assert cells.to_dict() == {(1, 0.1): 2, (1, 0.3): 2, (4, 0.1): 2, (4, 0.3): 2}
    starts = table.groupby("brands.0.followers")["followers_start"].mean()
    assert starts[0.3] > starts[0.1]                # the parameter really changed the scenario
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_bad_setting_is_a_clear_error(tmp_path, capsys):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(BASE))
    assert main(["sweep", str(scenario), "--set", "brands.0.campaign.post_per_day=1,2"]) == 2
    error = capsys.readouterr().err
    assert "--set brands.0.campaign.post_per_day=1" in error and "did you mean 'posts_per_day'" in error
    assert main(["sweep", str(scenario)]) == 2
    assert "give one or two parameters" in capsys.readouterr().err
