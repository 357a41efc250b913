"""sharesim sensitivity: Morris and Sobol rankings that find what matters and
what cannot, bad input refused before any simulation, the same figures on 1
or 2 workers."""

from __future__ import annotations

import copy
import json
import re
import time

import numpy as np
import pandas as pd
import pytest
import yaml

import sim.sensitivity as sensitivity
from sim.cli import main
from sim.errors import InputError
from sim.metrics import summarize
from sim.runs import simulate
from tests.conftest import ROOT, SMALL, small_scenario

SCREENED = copy.deepcopy(SMALL) | {"population": {"size": 1500}}
"""1,500 people, 3 days: a run takes a fraction of a second."""
QUICK = copy.deepcopy(SMALL) | {"duration_days": 1, "population": {"size": 300}}

INERT = ("network.rewiring", "brands.0.market_brands")
"""Cannot matter here: the generator is powerlaw_cluster (rewiring is watts_strogatz's),
and followers is a fraction (market_brands is read only with lab42)."""


def scenario_file(tmp_path, data, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run_cli(capsys, *argv):
    code = main(["sensitivity", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_morris_puts_the_known_drivers_on_top_and_inert_parameters_at_zero(tmp_path, capsys):
    path = scenario_file(tmp_path, SCREENED)
    started = time.monotonic()
    code, out, _ = run_cli(capsys, path, "--param", "network.rewiring=0:0.5", "--param", "brands.0.market_brands=10:500",
                           "--param", "brands.0.followers=0.02:0.4", "--param", "brands.0.campaign.posts_per_day=1:12",
                           "--param", "fatigue.act_probability=0.05:0.6", "--outputs", "reach,unfollow_rate",
                           "-N", 8, "--out", tmp_path / "out", "--quiet")
    assert code == 0 and out == ""
    assert time.monotonic() - started < 60
    table = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    assert list(table.columns) == ["output", "parameter", "rank", "low", "high", "mu", "mu_star", "mu_star_conf",
                                   "sigma"]
    top = {output: group.sort_values("rank").iloc[0] for output, group in table.groupby("output")}
    assert top["reach"]["parameter"] == "brands.0.followers"
    # Unfollowing has two drivers of about the same size here: posting more tires followers, and a
    # bigger page reaches less keen ones. At 8 trajectories they trade first place from seed to seed
    # (posting first at seeds 11, 13 and 42, the page's size at 12 before issue 16's draws and at 3
    # and 99 after), so the test asks for one of them on top, clearly above zero.
    assert top["unfollow_rate"]["parameter"] in {"brands.0.campaign.posts_per_day", "brands.0.followers"}
    for row in top.values():                                # clearly above zero
        assert row["mu_star"] - row["mu_star_conf"] > 0
    inert = table[table["parameter"].isin(INERT)]
    assert len(inert) == 4
    assert (inert["mu_star"] == 0).all() and (inert["sigma"] == 0).all()      # common random numbers
    assert (inert["mu_star"] - inert["mu_star_conf"] <= 0).all()               # the interval touches 0
    assert set(inert["rank"]) == {4, 5}                                        # last

    samples = pd.read_csv(tmp_path / "out" / "samples.csv")
    assert len(samples) == 8 * 6 and {"reach", "unfollow_rate", "brands.0.market_brands (set)"} <= set(samples)
    assert (samples["brands.0.market_brands (set)"] == samples["brands.0.market_brands"].round()).all()
    summary = json.loads((tmp_path / "out" / "sensitivity.json").read_text())
    assert summary["runs"] == 48 and summary["method"] == "morris"
    assert summary["indices"]["reach"][0]["parameter"] == "brands.0.followers"
    assert (tmp_path / "out" / "ranking_reach.png").stat().st_size > 1000
    assert (tmp_path / "out" / ".sharesim").is_file()


def test_samples_reproduce_one_run_of_the_scenario(tmp_path):
    """A design point's outputs are those of `sharesim run` with the values set and the same seed."""
    path = scenario_file(tmp_path, QUICK)
    analysis = sensitivity.build_analysis(path, ["brands.0.campaign.posts_per_day=1:6",
                                                 "population.attention_span=5:30"], n=2)
    design = analysis.design()
    results = sensitivity.simulate_design(analysis, design)
    row = design[3]
    scenario = small_scenario(duration_days=1, population__size=300,
                              brands__0__campaign__posts_per_day=float(row[0]),
                              population__attention_span=int(round(row[1])))
    expected = summarize(simulate(scenario, seed=QUICK["seed"]).log)
    assert results[3].tolist() == [expected["reach"], expected["shares"], expected["unfollow_rate"]]
    assert analysis.parameters[1].integer and not analysis.parameters[0].integer


def test_sobol_gives_first_and_total_indices_and_zero_for_an_inert_parameter(tmp_path, capsys):
    path = scenario_file(tmp_path, QUICK)
    code, _, _ = run_cli(capsys, path, "--method", "sobol", "-N", 8, "--param", "network.rewiring=0:0.5",
                         "--param", "brands.0.followers=0.05:0.5", "--outputs", "reach,impressions",
                         "--out", tmp_path / "out", "--quiet")
    assert code == 0
    table = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    assert list(table.columns) == ["output", "parameter", "rank", "low", "high", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(pd.read_csv(tmp_path / "out" / "samples.csv")) == 8 * (2 + 2)
    for _, group in table.groupby("output"):
        first, inert = group.iloc[0], group[group["parameter"] == "network.rewiring"].iloc[0]
        assert first["parameter"] == "brands.0.followers" and first["ST"] > 0.5
        assert inert["ST"] == 0 and inert["S1"] == 0


def test_one_and_two_workers_and_dask_give_the_same_files(tmp_path, capsys):
    from dask.distributed import LocalCluster

    path = scenario_file(tmp_path, QUICK)
    args = [path, "--param", "brands.0.campaign.posts_per_day=1:6", "--param", "feed.page_affinity=0.05:0.3",
            "-N", 2, "--replications", 2, "--outputs", "reach,shares,hides", "--quiet"]
    assert run_cli(capsys, *args, "--out", tmp_path / "one")[0] == 0
    assert run_cli(capsys, *args, "--workers", 2, "--out", tmp_path / "two")[0] == 0
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert run_cli(capsys, *args, "--scheduler", cluster.scheduler_address, "--out", tmp_path / "dask")[0] == 0
    for name in ("sensitivity.csv", "samples.csv", "sensitivity.json"):
        one = (tmp_path / "one" / name).read_bytes()
        assert one == (tmp_path / "two" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
    reach = pd.read_csv(tmp_path / "one" / "samples.csv")["reach"]
    assert len(reach) == 6 and reach.nunique() > 1


def test_replications_average_paired_seeds(tmp_path):
    """--replications R: each design point is the mean over the same R seeds (replication_seeds)."""
    from sim.stats import replication_seeds

    path = scenario_file(tmp_path, QUICK)
    analysis = sensitivity.build_analysis(path, ["brands.0.campaign.posts_per_day=1:6"], n=2, replications=3,
                                          outputs="reach")
    design = analysis.design()
    results = sensitivity.simulate_design(analysis, design)
    scenario = small_scenario(duration_days=1, population__size=300,
                              brands__0__campaign__posts_per_day=float(design[0, 0]))
    runs = [summarize(simulate(scenario, seed=seed).log)["reach"] for seed in replication_seeds(QUICK["seed"], 3)]
    assert results[0, 0] == pytest.approx(np.mean(runs), abs=0) and len(set(runs)) > 1


@pytest.mark.parametrize("argv, words", [
    (["--param", "fatigue.act_probability=0.1:0.3", "--outputs", "reach,followers"],
     ["unknown output followers", "allowed: reach, reach_rate", "unfollow_rate", "cascades.max_depth"]),
    (["--param", "fatigue.act_probability=0.1"], ["write PATH=LOW:HIGH"]),
    (["--param", "fatigue.act_probability=a:b"], ["LOW and HIGH must be numbers"]),
    (["--param", "fatigue.act_probability=0.3:0.1"], ["LOW must be below HIGH"]),
    (["--param", "fatigue.act_probability=0.1:2"], ["at HIGH (2)", "fatigue.act_probability", "less than or equal to 1"]),
    (["--param", "fatigue.tiredness=0.1:2"], ["fatigue.tiredness", "unknown field", "Allowed here"]),
    (["--param", "brands.0.name=1:2"], ["brands.0.name is not a number"]),
    (["--param", "brands.3.followers=0.1:0.2"], ["brands.3", "no such item"]),
    (["--param", "seed=1:9"], ["the seed is not a parameter"]),
    (["--param", "feed.page_affinity=0.1:0.2", "--param", "feed.page_affinity=0.1:0.3"], ["given twice"]),
    ([], ["give at least one parameter"]),
    (["--param", "feed.page_affinity=0.1:0.2", "--method", "sobol", "-N", "10"], ["power of 2"]),
    (["--param", "feed.page_affinity=0.1:0.2", "-N", "1"], ["at least 2 trajectories"]),
    (["--param", "feed.page_affinity=0.1:0.2", "--replications", "0"], ["--replications"]),
    (["--param", "feed.page_affinity=0.1:0.2", "--workers", "0"], ["--workers"]),
    (["--param", "feed.page_affinity=0.1:0.2", "--scheduler", "localhost"], ["--scheduler"]),
])
def test_bad_input_is_one_line_and_runs_nothing(tmp_path, capsys, monkeypatch, argv, words):
    monkeypatch.setattr(sensitivity, "run_sample", lambda task: pytest.fail("a simulation ran"))
    path = scenario_file(tmp_path, QUICK)
    code, out, err = run_cli(capsys, path, *argv, "--out", tmp_path / "out")
    assert code == 2 and out == ""
    assert err.startswith("sharesim: -") and err.count("\n") == 1, err
    for word in words:
        assert word in err
    assert not (tmp_path / "out").exists()


def test_an_out_folder_of_the_users_own_is_refused_before_any_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sensitivity, "run_sample", lambda task: pytest.fail("a simulation ran"))
    path = scenario_file(tmp_path, QUICK)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    code, _, err = run_cli(capsys, path, "--param", "feed.page_affinity=0.1:0.2", "--out", mine, "--force")
    assert code == 2 and "never replaces a folder of your own files" in err
    assert (mine / "notes.txt").read_text() == "keep me"


def test_the_outputs_are_the_numeric_keys_of_the_summary():
    summary = summarize(simulate(small_scenario(duration_days=1, population__size=300)).log)
    numeric = [key for key, value in summary.items()
               if isinstance(value, (int, float)) and not isinstance(value, bool)]
    numeric += [f"cascades.{key}" for key, value in summary["cascades"].items() if isinstance(value, (int, float))]
    constant = {"seed", "ticks", "tick_hours", "population", "posts"}     # the scenario's, not the run's
    assert set(sensitivity.OUTPUTS) == set(numeric) - constant


def test_parameter_ranges_are_checked_at_both_ends(tmp_path):
    path = scenario_file(tmp_path, QUICK)
    with pytest.raises(InputError, match=r"at LOW \(0\).*sessions_per_day"):
        sensitivity.build_analysis(path, ["population.sessions_per_day=0:4"])


# --------------------------------------------------------------------------
# docs/model.md's Morris table is the committed screening's CSV

DOC = ROOT / "docs" / "model.md"
SCREENING = ROOT / "docs" / "sensitivity" / "product_launch_morris.csv"
SECTION = "## What drives the results (Morris screening)"


def doc_figure(value: float) -> str:
    """How the doc writes a figure: thousands without decimals, tens with one, else 3 significant digits."""
    size = abs(value)
    return f"{value:,.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else f"{value:.3g}"


def screening_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text
    section = text.split(SECTION, 1)[1]
    return section.split("\n## ", 1)[0]


def test_the_docs_morris_table_is_the_committed_screening():
    section = screening_section()
    table = pd.read_csv(SCREENING)
    rows = [[cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| ") and not line.startswith("| output")]
    shown = {}
    for output, rank, parameter, interval, mu, sigma in rows:
        found = table[(table["output"] == output) & (table["parameter"] == parameter)]
        assert len(found) == 1, (output, parameter)
        row = found.iloc[0]
        assert int(rank) == row["rank"]
        assert interval == f"{doc_figure(row['mu_star'])} ± {doc_figure(row['mu_star_conf'])}"
        assert (mu, sigma) == (doc_figure(row["mu"]), doc_figure(row["sigma"]))
        shown.setdefault(output, []).append(int(rank))
    assert set(shown) == set(table["output"])
    assert all(ranks == [1, 2, 3, 4, 5] for ranks in shown.values())     # the top five of each output

    barely = section.split("**Barely matters**", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_.0-9]+\.[a-z_.0-9]+)`", barely))
    share_of_top = table["mu_star"] / table.groupby("output")["mu_star"].transform("max")
    expected = {p for p, share in share_of_top.groupby(table["parameter"]) if (share < 0.05).all()}
    assert named == expected and expected


def test_the_docs_command_is_the_one_that_made_the_screening():
    section = screening_section()
    command = section.split("```", 2)[1]
    ranges = dict(re.findall(r"--param ([\w.]+)=([\d.:]+)", command))
    table = pd.read_csv(SCREENING).drop_duplicates("parameter").set_index("parameter")
    assert set(ranges) == set(table.index)
    for parameter, bounds in ranges.items():
        low, high = map(float, bounds.split(":"))
        assert (low, high) == (table.loc[parameter, "low"], table.loc[parameter, "high"])
    outputs = re.search(r"--outputs ([\w,]+)", command).group(1).split(",")
    assert outputs == list(dict.fromkeys(pd.read_csv(SCREENING)["output"]))
    trajectories = int(re.search(r"-N (\d+)", command).group(1))
    assert f"{trajectories} trajectories of {len(ranges) + 1}" in " ".join(section.split())
    sensitivity.build_analysis(ROOT / "scenarios" / "product_launch.yaml",
                               [f"{p}={b}" for p, b in ranges.items()], outputs=",".join(outputs), n=trajectories)


