"""Every number report.html shows, recomputed from the run folder's CSV files with pandas.

The recomputation below reads events.csv, people.csv and posts_published.csv
and never calls sim.metrics or sim.analysis: if a definition in the report
drifted (readings counted as people, unfollowers who joined during the run
counted as lost customers ...), the page and this test would disagree.
The page marks its numbers with ``data-n`` (headline), ``data-role`` (the
roles table, per brand) and ``data-brand-n`` (the per-brand table).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

from sim.motivations import PROFILES
from sim.runs import simulate, write_run_folder
from tests.conftest import small_scenario


class Numbers(HTMLParser):
    """The marked numbers of a page: {name: text}, and per brand {brand: {name: text}}."""

    def __init__(self):
        super().__init__()
        self.headline, self.roles, self.brands = {}, {}, {}
        self.open = []          # (target dict, name, collected text) for each marked element
        self.brand = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.brand = attrs.get("data-brand")
        for attribute, target in (("data-n", self.headline), ("data-role", self.roles),
                                  ("data-brand-n", self.brands)):
            if attribute in attrs:
                where = target if target is self.headline else target.setdefault(self.brand, {})
                self.open.append([where, attrs[attribute], "", tag])

    def handle_endtag(self, tag):
        if self.open and self.open[-1][3] == tag:
            where, name, text, _ = self.open.pop()
            assert name not in where, f"{name} shown twice"
            where[name] = " ".join(text.split())

    def handle_data(self, data):
        for entry in self.open:
            entry[2] += data


def count(text: str) -> int:
    return int(text.replace(",", ""))


def percent(value: float) -> str:
    return f"{100 * value:.2f}%"


def recompute(folder) -> tuple[dict, dict, dict]:
    """The page's numbers from the CSV files alone: (headline, roles per brand, per-brand table)."""
    events = pd.read_csv(folder / "events.csv")
    people = pd.read_csv(folder / "people.csv")
    posts = pd.read_csv(folder / "posts_published.csv")
    kind = {k: events[events["kind"] == k] for k in ("exposure", "share", "follow", "unfollow", "blind")}
    exposure = kind["exposure"]
    brands = sorted(int(c.split("_")[1]) for c in people.columns if c.startswith("follows_"))

    def following_at_end(b):
        net = people.set_index("person")[f"follows_{b}"].astype(int)
        net = net.add(kind["follow"][kind["follow"]["brand"] == b].groupby("person").size(), fill_value=0)
        net = net.sub(kind["unfollow"][kind["unfollow"]["brand"] == b].groupby("person").size(), fill_value=0)
        return set(net[net > 0].index)

    def still_blind(b):
        blind = kind["blind"][kind["blind"]["brand"] == b].groupby("person")["tick"].max()
        left = kind["unfollow"][kind["unfollow"]["brand"] == b].groupby("person")["tick"].max()
        return sum(1 for p, t in blind.items() if not (p in left.index and left[p] >= t))

    def organic(b):
        """Mean over the brand's posts (with followers) of followers at publication who read it."""
        rates = []
        start = set(people.loc[people[f"follows_{b}"].astype(bool), "person"])
        mine = posts[posts["brand"] == b]
        for _, post in mine.iterrows():
            t = post["tick"]
            joined = set(kind["follow"][(kind["follow"]["brand"] == b) & (kind["follow"]["tick"] < t)]["person"])
            left = set(kind["unfollow"][(kind["unfollow"]["brand"] == b) & (kind["unfollow"]["tick"] < t)]["person"])
            followers = (start | joined) - left
            if followers:
                readers = set(exposure.loc[exposure["post"] == post["post"], "person"])
                rates.append(len(readers & followers) / len(followers))
        return sum(rates) / len(rates) if rates else 0.0

    reach = exposure["person"].nunique()
    direct = exposure.loc[exposure["source"] == -1, "person"].nunique()
    start = sum(int(people[f"follows_{b}"].astype(bool).sum()) for b in brands)
    follows, unfollows = len(kind["follow"]), len(kind["unfollow"])
    headline = {
        "posts": f"{len(posts):,}", "reach": f"{reach:,}", "reach_rate": percent(reach / len(people)),
        "shares": f"{len(kind['share']):,}", "engagement_rate": percent(len(kind["share"]) / len(exposure)),
        "impressions": f"{len(exposure):,}",
        "direct_people": f"{direct:,}", "direct_share": percent(direct / reach),
        "followers_start": f"{start:,}", "followers_end": f"{start + follows - unfollows:,}",
        "new_follows": f"{follows:,}", "unfollows": f"{unfollows:,}",
        "unfollow_rate": percent(unfollows / start),
        "hides": f"{len(kind['blind']):,}", "blinded": f"{sum(still_blind(b) for b in brands):,}",
        "organic_reach_rate": percent(sum(organic(b) for b in brands) / len(brands)),
    }

    touchy = {m.label for m, p in PROFILES.items() if p.offended_by_provocative > 0}
    motivation = people.set_index("person")["motivation"]
    employee = set(people.loc[people["employee"].astype(bool), "person"])
    provocative = set(posts.loc[posts["provocative"] > 0, "post"])
    roles, table = {}, {}
    for b in brands:
        at_start = set(people.loc[people[f"follows_{b}"].astype(bool), "person"])
        at_end = following_at_end(b)
        reached = set(exposure.loc[exposure["brand"] == b, "person"])
        joined = set(kind["follow"].loc[kind["follow"]["brand"] == b, "person"])
        left = set(kind["unfollow"].loc[kind["unfollow"]["brand"] == b, "person"])
        sharers = set(kind["share"].loc[kind["share"]["brand"] == b, "person"])
        offended = set()
        for _, e in exposure[(exposure["brand"] == b) & (exposure["source"] == -1)].iterrows():
            p, t = e["person"], e["tick"]
            followed = p in at_start or not kind["follow"][(kind["follow"]["brand"] == b)
                                                           & (kind["follow"]["person"] == p)
                                                           & (kind["follow"]["tick"] <= t)].empty
            gone = not kind["unfollow"][(kind["unfollow"]["brand"] == b) & (kind["unfollow"]["person"] == p)
                                        & (kind["unfollow"]["tick"] < t)].empty
            if e["post"] in provocative and followed and not gone and motivation[p] in touchy:
                offended.add(p)
        kept = at_start & at_end
        roles[str(b)] = {
            "prospects_reached": f"{len(reached - at_start):,}",
            "customers_kept": f"{len(kept):,}", "customers_at_start": f"{len(at_start):,}",
            "customers_lost": f"{len(at_start - kept):,}",
            "joined": f"{len(joined):,}", "joined_kept": f"{len(joined & at_end):,}",
            "advocates": f"{len(sharers - employee):,}", "employees_who_posted": f"{len(sharers & employee):,}",
            "unfollowed": f"{len(left):,}", "unfollowed_customers": f"{len(left & at_start):,}",
            "unfollowed_joined": f"{len(left - at_start):,}", "offended": f"{len(offended):,}",
            "critics": f"{len(left | offended):,}",
        }
        mine = lambda frame: frame[frame["brand"] == b]     # noqa: E731
        b_start, b_follows, b_unfollows = len(at_start), len(mine(kind["follow"])), len(mine(kind["unfollow"]))
        table[str(b)] = {
            "posts": f"{len(mine(posts))}", "reach": f"{len(reached):,}",
            "impressions": f"{len(mine(exposure)):,}", "shares": f"{len(mine(kind['share'])):,}",
            "engagement_rate": percent(len(mine(kind["share"])) / len(mine(exposure))),
            "followers_start": f"{b_start:,}", "new_follows": f"{b_follows:,}",
            "unfollows": f"{b_unfollows:,}", "followers_end": f"{b_start + b_follows - b_unfollows:,}",
            "unfollow_rate": percent(b_unfollows / b_start), "blinded": f"{still_blind(b):,}",
        }
    return headline, roles, table


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A small, busy run: many promotional and provocative posts (unfollows, hides, follows, critics)."""
    scenario = small_scenario(**{
        "population__size": 1500, "duration_days": 3,
        "brands__0__campaign__posts_per_day": 10,
        "population__follow_probability": 1.0,
        "brands__0__campaign__content": [
            {"kind": "offer", "qualities": {"useful": 0.6, "inspiring": 0.8}, "promotional": 0.9},
            {"kind": "hot take", "qualities": {"provocative": 0.8, "topical": 0.8, "novel": 0.8}, "promotional": 0.2}],
        "brands__0__campaign__seeding": {"influencers": 10, "employees": 3},
        "motivations": {m.label: {"share_probability": 0.08} for m in PROFILES},   # sharing enough to follow
    })
    folder = tmp_path_factory.mktemp("numbers") / "run"
    write_run_folder(simulate(scenario), folder)
    return folder


def test_every_number_on_the_page_is_recomputed_from_the_csv_files(run_folder):
    page = Numbers()
    page.feed((run_folder / "report.html").read_text(encoding="utf-8"))
    headline, roles, table = recompute(run_folder)
    # the run exercises every count (otherwise equality would prove little)
    for name in ("unfollows", "new_follows", "hides", "direct_people"):
        assert count(headline[name]) > 0, name
    for name in ("offended", "joined", "unfollowed_joined", "employees_who_posted"):
        assert count(roles["0"][name]) > 0, name
    assert page.headline == headline
    assert page.roles == roles
    assert page.brands == table
    # people reached directly are people, not readings: never more than the reach
    assert count(page.headline["direct_people"]) <= count(page.headline["reach"])
