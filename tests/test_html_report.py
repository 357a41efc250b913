"""report.html: the 5W + H + E answers, checked by hand, and `sharesim report RUN_DIR`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from test_metrics import HAND_EVENTS, make_run  # tests/ is on sys.path

from sim.cli import main
from sim.events import BRAND, RunLog
from sim.metrics import post_metrics, summarize, timeseries
from sim.analysis import follower_distance, how, what, when, where, who
from sim.report import render_report
from sim.rundir import read_network, record_files, write_network
from sim.runs import simulate, write_run_folder
from tests.conftest import ROOT, small_scenario

SECTIONS = ("who", "what", "when", "where", "why", "how", "extent")

# Posts of the hand run (see test_metrics): post 1 is provocative.
HAND_POSTS = pd.DataFrame({
    "post": [0, 1, 2], "brand": [0, 0, 1], "kind": ["story", "offer", "story"],
    "topic": ["food", "food", "tech"], "tick": [1, 3, 3], "promotional": [0.0, 0.8, 0.0],
    "useful": [1.0, 0.0, 0.0], "personal": 0.0, "topical": 0.0, "inspiring": 0.0, "novel": 0.0,
    "provocative": [0.0, 0.5, 0.0], "professional": 0.0})


@pytest.fixture
def hand():
    run = make_run(HAND_EVENTS, posts=HAND_POSTS)
    table = post_metrics(run)
    return run, summarize(run, table), table


class Page(HTMLParser):
    """Collects what the tests look at in a page: ids, image sources, links, text."""

    def __init__(self):
        super().__init__()
        self.ids, self.images, self.links, self.text = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag in ("link", "script"):
            self.links.append(attrs.get("href") or attrs.get("src") or "")

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.text = " ".join(" ".join(page.text).split())
    return page


# ---------------------------------------------------------------- the answers, by hand

def test_roles_of_the_hand_run(hand):
    run, summary, _ = hand
    acme, globex = who(run, summary, scenario=None)["roles"]
    assert acme["prospects_reached"] == 4          # reached {0..5}, followers {0, 1}
    assert (acme["customers_kept"], acme["customers_at_start"]) == (1, 2)   # p1 unfollowed
    assert acme["advocates"] == 3                  # p0, p2, p4 shared
    # p0 (altruist, a follower) read the provocative post 1 from the brand: offended;
    # p4 read it too but did not follow acme, so is no critic.
    assert (acme["unfollowed"], acme["offended"], acme["critics"]) == (1, 1, 2)
    assert acme["employees_who_posted"] == 0
    assert globex["prospects_reached"] == 0 and globex["customers_kept"] == 1


def test_employees_who_posted_and_provocateurs_are_not_offended(hand):
    run, summary, _ = hand
    run.people.loc[run.people["person"] == 2, "employee"] = True   # p2 shared post 0
    run.people.loc[run.people["person"] == 0, "motivation"] = "provocateur"
    acme = who(run, summary, scenario=None)["roles"][0]
    assert acme["employees_who_posted"] == 1 and acme["advocates"] == 2
    assert acme["offended"] == 0 and acme["critics"] == 1


def test_top_people_and_motivations(hand):
    run, summary, _ = hand
    answer = who(run, summary, scenario=None)
    top = {row["person"]: row for row in answer["top_people"]}
    assert set(top) == {0, 2, 4}
    assert top[0]["reached_through"] == 2          # p0 passed post 0 to p2 and p1
    assert top[4]["reached_through"] == 2          # p4 passed post 1 to p5 and p3
    assert top[0]["follows_won"] == 1              # p2 followed acme via p0
    altruist = next(r for r in answer["by_motivation"] if r["motivation"] == "altruist")
    assert (altruist["sharers"], altruist["shares"]) == (1, 1)


def test_quality_lift_and_kinds(hand):
    run, _, table = hand
    answer = what(run, table)
    useful = next(q for q in answer["qualities"] if q["quality"] == "useful")
    # read: 5 readings of post 0 (useful 1) and 4 of post 1 (useful 0); shared: 2 and 1
    assert useful["mean_read"] == pytest.approx(5 / 9)
    assert useful["mean_shared"] == pytest.approx(2 / 3)
    assert useful["lift"] == pytest.approx((2 / 3) / (5 / 9))
    assert answer["qualities"][0]["quality"] == "useful"      # ranked by lift
    assert [k["kind"] for k in answer["kinds"]] == ["offer", "story"]   # mean reach 4 vs 2


def test_when_counts_hours_of_day(hand):
    run, _, table = hand
    timing = when(run, table)
    # ticks of 6 h: post 0 at tick 1 (00:00), posts 1 and 2 at tick 3 (12:00)
    assert {row["hour"]: row["posts"] for row in timing["by_hour"]} == {0.0: 1, 12.0: 2}
    assert timing["best_hours"][0] == 0.0            # post 0 reached 4; posts 1 and 2: 4 and 0
    assert timing["shares_by_hour"].to_dict() == {0.0: 1, 6.0: 1, 12.0: 1}


def test_how_splits_reach_by_generation(hand):
    run, summary, table = hand
    spread = how(run, table, summary)
    by_generation = {r["generation"]: r["people"] for r in spread["reach_by_generation"]}
    # post 0: p0, p1 from the brand (gen 0), p2 (1), p3 (2); post 1: p0, p4 (0), p5, p3 (1);
    # each person counted once, at the nearest generation: p0 p1 p4 at 0; p2 p5 p3 at 1
    assert by_generation == {0: 3, 1: 3}
    assert (spread["direct_people"], spread["people_reached"]) == (3, 6)
    assert spread["direct_share"] == pytest.approx(3 / 6)      # people, not readings (4 of 8)


def test_follower_distance_on_a_path():
    # 0 -> 1 -> 2 (who sees whose shares), 3 alone
    matrix = sp.csr_array((np.ones(2), ([0, 1], [1, 2])), shape=(4, 4))
    distance = follower_distance(matrix, np.array([0]))
    assert distance.tolist() == [0.0, 1.0, 2.0, np.inf]
    assert follower_distance(matrix, np.array([1])).tolist() == [np.inf, 0.0, 1.0, np.inf]


def test_network_file_round_trip(tmp_path):
    class Graph:
        indptr = np.array([0, 1, 2, 2])
        indices = np.array([1, 2])
        community = np.array([0, 0, 1])
    write_network(Graph, tmp_path)
    matrix, community = read_network(tmp_path)
    assert matrix.toarray().tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert community.tolist() == [0, 0, 1]


def test_the_page_without_a_network_says_so(hand, tmp_path):
    run, summary, table = hand
    html = render_report(run, summary, table, timeseries(run), folder=tmp_path)
    page = parse(html)
    assert set(SECTIONS) <= page.ids
    assert "has no network.npz" in page.text
    assert "co-creators" in page.text.lower() and "none" in page.text


# ---------------------------------------------------------------- a real run folder

@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    scenario = small_scenario(network={"generator": "stochastic_block", "mean_degree": 10, "communities": 4},
                              brands=[{"name": "Acme", "followers": 0.2, "topic": "tech",
                                       "campaign": {"posts_per_day": 3, "content": [
                                           {"kind": "tip", "qualities": {"useful": 0.8}, "promotional": 0.1},
                                           {"kind": "dare", "qualities": {"provocative": 0.9}}],
                                           "seeding": {"employees": 20}}}])
    folder = tmp_path_factory.mktemp("runs") / "run"
    result = simulate(scenario)
    summary = write_run_folder(result, folder)
    return folder, result, summary


def test_every_run_writes_a_self_contained_report(run_folder):
    folder, _, summary = run_folder
    html = (folder / "report.html").read_text(encoding="utf-8")
    page = parse(html)
    assert set(SECTIONS) <= page.ids
    assert len(page.images) >= 5
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert page.links == []                                    # no stylesheet or script to fetch
    assert not re.search(r"(src|href)=\"(https?:|//)", html)
    assert "@media print" in html
    assert f"{summary['reach']:,} people" in page.text
    assert "employees who posted" in page.text


def test_where_uses_the_models_communities(run_folder):
    folder, result, _ = run_folder
    place = where(result.log, *read_network(folder))
    assert "stochastic block" in place["how"]
    assert sorted(int(row["part"]) for row in place["parts"]) == [0, 1, 2, 3]
    assert sum(row["people"] for row in place["parts"]) == result.log.meta["population"]
    followers = next(row for row in place["by_distance"] if row["distance"].startswith("0"))
    assert followers["people"] == int(result.log.people["follows_0"].sum())


def test_where_detects_parts_when_the_graph_has_none(tmp_path):
    folder = tmp_path / "run"
    write_run_folder(simulate(small_scenario(population={"size": 600})), folder)
    run = json.loads((folder / "run.json").read_text())
    place = where(RunLog.load(folder), *read_network(folder))
    assert "detected" in place["how"] and f"seed {run['seed']}" in place["how"]
    assert 2 <= len(place["parts"]) <= 10


def test_offended_critics_in_a_run(run_folder):
    folder, result, summary = run_folder
    roles = who(result.log, summary, scenario=None)["roles"][0]
    events, posts = result.log.events, result.log.posts
    dares = posts.loc[posts["provocative"] > 0, "post"]
    read = events[(events["kind"] == "exposure") & events["post"].isin(dares) & (events["source"] == BRAND)]
    assert len(read) > 0 and roles["offended"] > 0
    assert roles["offended"] <= read["person"].nunique()
    assert who(result.log, summary, scenario=None)["employees"] == 20
    employees = result.log.people.loc[result.log.people["employee"], "person"]
    shared = events[(events["kind"] == "share") & events["person"].isin(employees)]["person"].nunique()
    assert roles["employees_who_posted"] == shared


def test_sharesim_report_rebuilds_the_same_report(run_folder, capsys):
    folder, _, _ = run_folder
    before = {name: (folder / name).read_bytes() for name in ("report.html", "summary.json", "posts.csv")}
    for name in before:
        (folder / name).unlink()
    assert main(["report", str(folder)]) == 0
    assert "report.html" in capsys.readouterr().out
    after = {name: (folder / name).read_bytes() for name in before}
    assert json.loads(after["summary.json"]) == json.loads(before["summary.json"])
    assert after["report.html"] == before["report.html"]
    assert not any(p.name.startswith(".report.partial") for p in folder.iterdir())


@pytest.mark.parametrize("damage, message", [
    ("missing", "no such directory"),
    ("empty", "missing events.csv"),
    ("garbled", "cannot be read"),
])
def test_sharesim_report_on_a_bad_folder(tmp_path, capsys, damage, message):
    folder = tmp_path / "run"
    if damage != "missing":
        folder.mkdir()
    if damage == "garbled":
        for name in ("events.csv", "people.csv", "posts_published.csv"):
            (folder / name).write_text("nothing,useful\n1,2\n")
        (folder / "run.json").write_text("{not json")
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    if folder.exists():
        assert not (folder / "report.html").exists()
        assert not any(p.name.startswith(".report") for p in folder.iterdir())


def test_the_report_never_imports_the_model(run_folder):
    folder, _, _ = run_folder
    code = ("import sys; from sim.report import rebuild_report; rebuild_report(sys.argv[1]); "
            "print('sim.model' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_sharesim_report_on_files_that_do_not_fit_together(run_folder, tmp_path, capsys):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_folder[0], folder)
    people = pd.read_csv(folder / "people.csv").drop(columns=["follows_0"])
    people.to_csv(folder / "people.csv", index=False)
    assert main(["report", str(folder)]) == 2                       # changed since the run: refused as damaged
    assert "people.csv" in capsys.readouterr().err
    record_files(folder)                    # as if the run had written it so: the files still do not fit
    before = (folder / "report.html").read_bytes()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "do not fit together" in err and "follows_0" in err and "Traceback" not in err
    assert (folder / "report.html").read_bytes() == before          # the old report is untouched
    assert not any(p.name.startswith(".report") for p in folder.iterdir())


def test_a_run_where_nothing_happened_still_has_a_report():
    run = make_run([])
    table = post_metrics(run)
    page = parse(render_report(run, summarize(run, table), table, timeseries(run), folder=None))
    assert set(SECTIONS) <= page.ids
    assert "Nobody shared a brand post" in page.text and "0 people" in page.text


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_script_in_a_scenario_is_shown_as_text_never_run(tmp_path):
    """Everything a scenario lets a user write ends up escaped in report.html."""
    scenario = small_scenario(description=XSS, brands__0__name=XSS[:60],
                              brands__0__campaign__content=[{"kind": XSS[:60], "qualities": {"useful": 0.8}}])
    folder = tmp_path / "run"
    write_run_folder(simulate(scenario), folder)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert not re.search(r"<[^>]*onerror", page, flags=re.IGNORECASE)     # no tag carries the handler
    images = re.findall(r"<img\b[^>]*>", page, flags=re.IGNORECASE)
    assert images and all('src="data:image/' in tag for tag in images)   # only the report's own figures
    assert "&lt;script&gt;" in page and "onerror=alert(1)&gt;" in page   # the text is there, as text
