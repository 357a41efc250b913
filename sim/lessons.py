"""Lessons for class: a question, a scenario and its variants, and what the runs show.

A lesson lives in ``scenarios/teaching/`` as two files with one stem:
``NN_name.yaml`` (an ordinary scenario) and ``NN_name.md`` (the lesson text
for students: the question, what to change, what to look at, what it shows,
the sources). The Markdown file opens with a YAML header that says how to run
the lesson::

    ---
    title: Over-posting, hiding and unfollowing
    analysis: over_posting         # which function below reads the runs
    replications: 2                # runs per variant, with paired seeds
    variants:                      # name -> changes to the scenario (dotted paths)
      three useful posts a day: {}
      ten offers a day: {brands.0.campaign.posts_per_day: 10}
    ---

``sharesim lesson N`` runs every variant ``replications`` times (the same
seeds for every variant, so differences come from the variant and not from
luck), then the lesson's analysis writes figures and a short text with the
numbers into ``outputs/lessons/NN_name/`` (or ``--out``) and prints the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import InputError
from .events import BRAND
from .motivations import PROFILES, Motivation
from .rundir import check_destination, staged_folder
from .scenario import Scenario, load_scenario, scenario_from_dict, with_overrides
from .stats import replication_seeds

TEACHING = Path(__file__).resolve().parents[1] / "scenarios" / "teaching"
"""Where the lessons live."""

LESSON_OUTPUTS = Path("outputs") / "lessons"
MARKER = "lesson.json"
"""A file every lesson folder holds; with sharesim's own marker (:mod:`sim.rundir`) it lets a rerun
replace the folder, and nothing else."""


# --------------------------------------------------------------------------
# Reading the lessons

@dataclass
class Lesson:
    """A lesson: its scenario, its variants and the text for students."""

    number: int
    name: str                      # the files' stem, e.g. 04_over_posting
    title: str
    analysis: str
    replications: int
    variants: dict[str, dict]
    scenario_path: Path
    text_path: Path
    text: str = field(repr=False, default="")

    def scenario(self, variant: str) -> Scenario:
        """The lesson's scenario with one variant's changes applied."""
        base = load_scenario(self.scenario_path)
        where = f"{self.text_path} (variant {variant!r})"
        return scenario_from_dict(with_overrides(base.resolved(), self.variants[variant], where), source=where)


def all_lessons(folder: Path = TEACHING) -> list[Lesson]:
    """Every lesson in the folder, by number."""
    return [read_lesson(path) for path in sorted(Path(folder).glob("[0-9][0-9]_*.md"))]


def read_lesson(text_path: Path) -> Lesson:
    """Read a lesson's Markdown file (YAML header + text) and find its scenario."""
    raw = text_path.read_text(encoding="utf-8")
    parts = raw.split("---\n", 2)
    if len(parts) < 3 or parts[0].strip():
        raise InputError(f"{text_path}: a lesson opens with a YAML header between two '---' lines")
    header = yaml.safe_load(parts[1]) or {}
    allowed = {"title", "analysis", "replications", "variants"}
    unknown = set(header) - allowed
    if unknown:
        raise InputError(f"{text_path}: unknown header field {sorted(unknown)[0]!r}; allowed: {sorted(allowed)}")
    if header.get("analysis") not in ANALYSES:
        raise InputError(f"{text_path}: analysis: must be one of {sorted(ANALYSES)} (got {header.get('analysis')!r})")
    scenario_path = text_path.with_suffix(".yaml")
    if not scenario_path.is_file():
        raise InputError(f"{text_path}: its scenario {scenario_path.name} is missing")
    return Lesson(number=int(text_path.name[:2]), name=text_path.stem, title=str(header.get("title", text_path.stem)),
                  analysis=header["analysis"], replications=int(header.get("replications", 1)),
                  variants=dict(header.get("variants") or {"as written": {}}), scenario_path=scenario_path,
                  text_path=text_path, text=parts[2].strip())


# --------------------------------------------------------------------------
# Running a lesson

@dataclass
class Run:
    """One finished run of one variant: its log, per-tick series, summary and post table."""

    variant: str
    replication: int
    seed: int
    result: object
    summary: dict
    posts: pd.DataFrame


@dataclass
class Findings:
    """What a lesson's runs showed: a text for students, the numbers behind it, its figures."""

    text: str
    facts: dict
    figures: list[str] = field(default_factory=list)


def run_lesson(lesson: Lesson, folder: Path | None = None) -> Findings:
    """Run every variant of a lesson, analyse, and write the lesson folder (replacing an earlier one)."""
    from . import metrics
    from .runs import simulate

    folder = Path(folder) if folder is not None else LESSON_OUTPUTS / lesson.name
    check_folder(folder)
    scenarios = {variant: lesson.scenario(variant) for variant in lesson.variants}
    seeds = replication_seeds(load_scenario(lesson.scenario_path).seed, lesson.replications)
    runs = []
    for variant, scenario in scenarios.items():
        for r, seed in enumerate(seeds):
            result = simulate(scenario, seed=seed, source=str(lesson.scenario_path))
            posts = metrics.post_metrics(result.log)
            runs.append(Run(variant, r, seed, result, metrics.summarize(result.log, post_table=posts), posts))

    with staged_folder(folder, kind="lesson", force=True, legacy=(MARKER,)) as staging:
        findings = ANALYSES[lesson.analysis](lesson, runs, staging.path)
        write_lesson_folder(lesson, runs, findings, staging.path)
    return findings


def check_folder(folder: Path) -> None:
    """A lesson replaces its own earlier folder (marked by sharesim, or holding lesson.json), never anything else."""
    check_destination(folder, force=True, kind="lesson", legacy=(MARKER,))


def write_lesson_folder(lesson: Lesson, runs: list[Run], findings: Findings, folder: Path) -> None:
    """lesson.md (the text for students), what_happened.md, results.csv and lesson.json."""
    import json

    (folder / "lesson.md").write_text(f"# {lesson.title}\n\n{lesson.text}\n", encoding="utf-8")
    (folder / "what_happened.md").write_text(findings.text + "\n", encoding="utf-8")
    rows = [{"variant": run.variant, "replication": run.replication, "seed": run.seed,
             **{k: v for k, v in run.summary.items() if isinstance(v, (int, float)) and k != "seed"},
             "share_never_reshared": run.summary["cascades"]["share_never_reshared"]} for run in runs]
    pd.DataFrame(rows).to_csv(folder / "results.csv", index=False)
    (folder / MARKER).write_text(json.dumps({
        "lesson": lesson.name, "title": lesson.title, "replications": lesson.replications,
        "variants": lesson.variants, "seeds": sorted({run.seed for run in runs}),
        "facts": findings.facts, "figures": findings.figures}, indent=2, default=float) + "\n")


# --------------------------------------------------------------------------
# What each lesson looks at

def mean_of(runs: list[Run], variant: str, metric: str) -> float:
    """A summary metric averaged over a variant's replications."""
    return float(np.mean([run.summary[metric] for run in runs if run.variant == variant]))


def mean_post_reach(runs: list[Run], variant: str) -> float:
    """People reached by one post, averaged over a variant's posts (all replications)."""
    reach = np.concatenate([run.posts["reach"].to_numpy() for run in runs if run.variant == variant])
    return float(reach.mean()) if reach.size else 0.0


def new_figure(size=(6.4, 4.0)):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    return Figure(figsize=size, layout="constrained")


def save(figure, folder: Path, name: str, figures: list[str]) -> None:
    figure.savefig(folder / name, dpi=110)
    figures.append(name)


def never_spread(lesson: Lesson, runs: list[Run], folder: Path) -> Findings:
    """Lesson 1: where exposures come from, and how rarely a share is shared again."""
    events = pd.concat([run.result.log.events for run in runs])
    exposures = events[events["kind"] == "exposure"]
    from_brand = float((exposures["source"] == BRAND).mean())
    shares = sum(run.summary["shares"] for run in runs)
    never = sum(run.summary["cascades"]["share_never_reshared"] * run.summary["shares"] for run in runs)
    never_reshared = never / shares if shares else 1.0
    posts = pd.concat([run.posts for run in runs])
    reached = posts[posts["reach"] > 0]
    no_reshare = float((posts["depth"] == 0).mean())
    facts = {"exposures_from_brand": from_brand, "share_never_reshared": never_reshared, "shares": shares,
             "posts": len(posts), "posts_never_reshared": no_reshare,
             "post_reach_median": float(reached["reach"].median()), "post_reach_max": int(reached["reach"].max())}

    figures: list[str] = []
    figure = new_figure()
    ax = figure.add_subplot()
    ax.bar(["the brand's own posts", "friends' shares"], [from_brand, 1 - from_brand], color=["tab:blue", "tab:orange"])
    ax.set_ylabel("share of all exposures")
    ax.set_title("Where people saw the brand's posts")
    save(figure, folder, "where_exposures_come_from.png", figures)
    figure = new_figure()
    ax = figure.add_subplot()
    ax.hist(reached["reach"], bins=30, color="tab:blue")
    ax.set_xlabel("people reached by one post")
    ax.set_ylabel("posts")
    ax.set_title("Reach of each post")
    save(figure, folder, "post_reach.png", figures)

    text = (f"{lesson.title}: {len(posts)} posts, {shares} shares in {len(runs)} run(s).\n"
            f"- {from_brand:.1%} of all exposures came straight from the brand's own posts; "
            f"friends' shares brought {1 - from_brand:.1%}.\n"
            f"- {never_reshared:.1%} of the shares led to no further share "
            f"(Goel, Watts & Goldstein 2012: 70-95% of cascades never spread).\n"
            f"- {no_reshare:.0%} of the posts were never shared at all; a post reached "
            f"{facts['post_reach_median']:.0f} people at the median and {facts['post_reach_max']} at most: "
            "roughly the followers who happened to be reading when it appeared.")
    return Findings(text, facts, figures)


def own_quality(motivation: Motivation) -> str:
    """The post quality a motivation answers to most (sim.motivations.PROFILES)."""
    weights = PROFILES[motivation].responds_to
    return max(weights, key=weights.get)


def who_shares_what(lesson: Lesson, runs: list[Run], folder: Path) -> Findings:
    """Lesson 2: shares per 1,000 first readings, by the reader's motivation and the post's kind."""
    readings, shared = [], []
    for run in runs:
        log = run.result.log
        events = log.events.merge(log.people[["person", "motivation"]], on="person").merge(
            log.posts[["post", "kind"]].rename(columns={"kind": "post_kind"}), on="post")
        first = events[events["kind"] == "exposure"].drop_duplicates(["post", "person"])
        readings.append(first.groupby(["motivation", "post_kind"]).size())
        shared.append(events[events["kind"] == "share"].groupby(["motivation", "post_kind"]).size())
    labels = [m.label for m in Motivation]
    kinds = [own_quality(m) for m in Motivation]
    readings = pd.concat(readings).groupby(level=[0, 1]).sum().unstack(fill_value=0).reindex(
        index=labels, columns=kinds, fill_value=0)
    shared = pd.concat(shared).groupby(level=[0, 1]).sum().unstack(fill_value=0).reindex(
        index=labels, columns=kinds, fill_value=0)
    rate = 1000 * shared / readings.where(readings > 0)
    favourite = {m: str(rate.loc[m].idxmax()) if rate.loc[m].notna().any() and rate.loc[m].max() > 0 else None
                 for m in labels}
    ignored = {m: [k for k in kinds if PROFILES[Motivation.from_label(m)].responds_to.get(k, 0) == 0] for m in labels}
    ignored_rate = {m: float(1000 * shared.loc[m, ignored[m]].sum() / max(readings.loc[m, ignored[m]].sum(), 1))
                    for m in labels}
    facts = {"rate_per_1000": {m: {k: (None if np.isnan(v) else float(v)) for k, v in rate.loc[m].items()}
                               for m in labels},
             "ignored_kinds_rate_per_1000": ignored_rate,
             "shares": {m: int(shared.loc[m].sum()) for m in labels},
             "favourite": favourite, "own_kind": dict(zip(labels, kinds)),
             "types_sharing_their_own_kind_most": sum(favourite[m] == k for m, k in zip(labels, kinds))}

    figures: list[str] = []
    figure = new_figure((7, 5))
    ax = figure.add_subplot()
    image = ax.imshow(rate.fillna(0).to_numpy(), cmap="Blues")
    ax.set_xticks(range(len(kinds)), [f"{k} post" for k in kinds], rotation=35, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(kinds)):
            if shared.iat[i, j]:
                ax.text(j, i, f"{rate.iat[i, j]:.0f}", ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=ax, label="shares per 1,000 readings")
    ax.set_title("Who shares what")
    save(figure, folder, "who_shares_what.png", figures)

    lines = [f"{lesson.title}: shares per 1,000 first readings of each kind of post ({len(runs)} run(s)).",
             f"- {facts['types_sharing_their_own_kind_most']} of the 7 types shared their own kind of post most:"]
    for m, k in zip(labels, kinds):
        own = rate.loc[m, k]
        lines.append(f"  - {m}: {'nothing' if favourite[m] is None else favourite[m] + ' posts'} most"
                     f" ({0 if np.isnan(own) else own:.1f} per 1,000 readings of {k} posts, "
                     f"{facts['shares'][m]} shares in all)")
    lines.append("- Mixed motives: people also share kinds of post their dominant type does not answer to, "
                 "through their other motives (population.secondary_motivations), far less often: "
                 + ", ".join(f"{m} {ignored_rate[m]:.1f}" for m in labels) + " per 1,000 readings of such posts.")
    return Findings("\n".join(lines), facts, figures)


AGE_BINS = [0, 3, 6, 12, 24, 10**6]
AGE_LABELS = ["0-2 h", "3-5 h", "6-11 h", "12-23 h", "24 h +"]


def attention_timing(lesson: Lesson, runs: list[Run], folder: Path) -> Findings:
    """Lesson 3: reach per post and its pace by when it is posted and on which platform,
    and share chance by a post's age per type."""
    from . import metrics

    variants = list(lesson.variants)
    per_post = {v: mean_post_reach(runs, v) for v in variants}
    hours_to_90 = {v: float(np.median(np.concatenate([
        metrics.hours_to_share_of_reach(run.result.log, 0.9).to_numpy() for run in runs if run.variant == v])))
        for v in variants}
    ages = []
    for run in runs:
        log = run.result.log
        hours = float(log.meta["tick_hours"])
        events = log.events.merge(log.people[["person", "motivation"]], on="person").merge(
            log.posts[["post", "tick"]].rename(columns={"tick": "published"}), on="post")
        events["age_hours"] = (events["tick"] - events["published"]) * hours
        first = events[events["kind"] == "exposure"].drop_duplicates(["post", "person"]).assign(shared=False)
        shares = events[events["kind"] == "share"][["post", "person"]].assign(shared_now=True)
        first = first.merge(shares, on=["post", "person"], how="left")
        first["shared"] = first["shared_now"].eq(True)
        ages.append(first.assign(variant=run.variant)[["variant", "motivation", "age_hours", "shared"]])
    ages = pd.concat(ages)
    ages["age"] = pd.cut(ages["age_hours"], AGE_BINS, right=False, labels=AGE_LABELS)
    rate = ages.groupby(["motivation", "age"], observed=False)["shared"].mean().unstack()
    shares = ages[ages["shared"]]
    within_3h = shares.groupby("motivation")["age_hours"].apply(lambda a: float((a < 3).mean()))
    read_within_3h = float((ages["age_hours"] < 3).mean())
    facts = {"reach_per_post": per_post, "hours_to_90_percent_of_reach": hours_to_90,
             "share_within_3h": {m: float(v) for m, v in within_3h.items()},
             "readings_within_3h": read_within_3h,
             "share_rate_by_age": {m: {str(a): (None if np.isnan(v) else float(v)) for a, v in row.items()}
                                   for m, row in rate.iterrows()}}

    figures: list[str] = []
    figure = new_figure()
    ax = figure.add_subplot()
    ax.bar(variants, [per_post[v] for v in variants], color="tab:blue")
    ax.set_ylabel("people reached per post")
    ax.set_title("When the post appears, and how busy the feed is")
    ax.tick_params(axis="x", labelsize=8)
    save(figure, folder, "reach_per_post.png", figures)
    figure = new_figure()
    ax = figure.add_subplot()
    for m, row in rate.iterrows():
        ax.plot(AGE_LABELS, 1000 * row.to_numpy(dtype=float), marker="o", label=m)
    ax.set_xlabel("age of the post when read")
    ax.set_ylabel("shares per 1,000 readings")
    ax.set_title("Attention decay: the same post, read later")
    ax.legend()
    save(figure, folder, "share_chance_by_age.png", figures)

    lines = [f"{lesson.title} ({len(runs)} runs).", "- People reached by a post, on average:"]
    lines += [f"  - {v}: {per_post[v]:,.0f} (the median post had 90% of its final reach after "
              f"{hours_to_90[v]:.0f} h)" for v in variants]
    lines.append("- Share of each type's shares made in a post's first 3 hours: "
                 + ", ".join(f"{m} {v:.0%}" for m, v in within_3h.items())
                 + f" (of all first readings, {read_within_3h:.0%} happened in those 3 hours).")
    for m, row in rate.iterrows():
        early, late = row.iloc[0], row.iloc[2]
        if early > 0 and not np.isnan(late):
            lines.append(f"- {m}s shared {1000 * early:.1f} per 1,000 readings of a fresh post (0-2 h) and "
                         f"{1000 * late:.1f} of one 6-11 hours old.")
    return Findings("\n".join(lines), facts, figures)


def over_posting(lesson: Lesson, runs: list[Run], folder: Path) -> Findings:
    """Lesson 4: unfollows, hides (followers who hid the brand's posts) and followers over time, per variant."""
    variants = list(lesson.variants)
    metrics = ["unfollows", "unfollow_rate", "hides", "blinded", "followers_start", "followers_end", "posts", "reach"]
    facts = {v: {k: mean_of(runs, v, k) for k in metrics} for v in variants}
    for v in variants:
        facts[v]["reach_per_post"] = mean_post_reach(runs, v)
        acted = facts[v]["hides"] + facts[v]["unfollows"]
        facts[v]["hide_share"] = facts[v]["hides"] / acted if acted else 0.0

    figures: list[str] = []
    figure = new_figure()
    ax = figure.add_subplot()
    for v in variants:
        series = [run.result.series for run in runs if run.variant == v]
        followers = np.mean([s["followers"].to_numpy() for s in series], axis=0)
        hours = series[0]["tick"].to_numpy() * runs[0].result.log.meta["tick_hours"]
        ax.plot(hours / 24, followers, label=v)
    ax.set_xlabel("day")
    ax.set_ylabel("followers")
    ax.set_title("Followers over time")
    ax.legend()
    save(figure, folder, "followers.png", figures)
    figure = new_figure()
    ax = figure.add_subplot()
    x = np.arange(len(variants))
    ax.bar(x - 0.2, [facts[v]["hides"] for v in variants], 0.4, label="hid the brand's posts", color="tab:gray")
    ax.bar(x + 0.2, [facts[v]["unfollows"] for v in variants], 0.4, label="unfollowed", color="tab:red")
    ax.set_xticks(x, variants)
    ax.set_ylabel("followers")
    ax.set_title("Hiding the brand (social blindness) and unfollowing")
    ax.legend()
    save(figure, folder, "hides_and_unfollows.png", figures)

    lines = [f"{lesson.title} (mean of {lesson.replications} run(s) per variant):"]
    for v in variants:
        f = facts[v]
        lines.append(f"- {v}: {f['posts']:.0f} posts; {f['unfollows']:.0f} of {f['followers_start']:.0f} followers "
                     f"unfollowed ({f['unfollow_rate']:.1%}) and a further {f['hides']:.0f} hid the brand's posts "
                     f"({f['hide_share']:.0%} of those who acted hid; ExactTarget 2011: 38 / 81 = 47%); "
                     f"a post reached {f['reach_per_post']:.0f} people on average.")
    return Findings("\n".join(lines), facts, figures)


def compare_reach(lesson: Lesson, runs: list[Run], folder: Path, xlabel: str, title: str) -> Findings:
    """Reach per variant, each replication shown (lessons 5 and 6)."""
    variants = list(lesson.variants)
    reach = {v: [run.summary["reach"] for run in runs if run.variant == v] for v in variants}
    facts = {"reach": {v: float(np.mean(r)) for v, r in reach.items()},
             "reach_runs": reach,
             "shares": {v: mean_of(runs, v, "shares") for v in variants}}

    figures: list[str] = []
    figure = new_figure()
    ax = figure.add_subplot()
    ax.bar(variants, [facts["reach"][v] for v in variants], color="tab:blue", alpha=0.7, label="mean")
    for i, v in enumerate(variants):
        ax.scatter([i] * len(reach[v]), reach[v], color="black", s=12, zorder=3,
                   label="one run" if i == 0 else None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("people reached")
    ax.set_title(title)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend()
    save(figure, folder, "reach.png", figures)

    lines = [f"{lesson.title} (people reached, mean of {lesson.replications} runs with the same seeds per variant):"]
    lines += [f"- {v}: {facts['reach'][v]:,.0f} (runs: {', '.join(f'{r:,}' for r in reach[v])}); "
              f"{facts['shares'][v]:.0f} shares" for v in variants]
    return Findings("\n".join(lines), facts, figures)


def seeding(lesson: Lesson, runs: list[Run], folder: Path) -> Findings:
    """Lesson 5: reach when the brand hands its posts to influencers, to random people, or to nobody."""
    return compare_reach(lesson, runs, folder, "who gets each post from the brand", "Seeding strategies")


def competing_for_attention(lesson: Lesson, runs: list[Run], folder: Path) -> Findings:
    """Lesson 6: reach as friends', news and entertainment items crowd the feed."""
    return compare_reach(lesson, runs, folder, "other items arriving in the feed per hour",
                         "Brand posts compete for attention")


def best_cadence(lesson: Lesson, runs: list[Run], folder: Path) -> Findings:
    """Lesson 7: a small ``sharesim optimize`` of posts_per_day under a 1% unfollow limit."""
    from .optimize import best_trials, build_search, recheck, run_search, trial_rows

    path, limit = "brands.0.campaign.posts_per_day", 0.01
    search = build_search(lesson.scenario_path, [f"{path}=1:12"], ["reach"], [], [f"unfollow_rate<={limit}"],
                          trials=24, replications=4)
    work = folder / "search"
    work.mkdir()
    study = run_search(search, work)
    table = trial_rows(search, study)
    chosen = best_trials(search, study)
    if not chosen:
        raise InputError(f"{lesson.text_path}: no cadence met the limit; the lesson's scenario needs changing")
    best = chosen[0]
    check = recheck(search, best.plan)
    reach, rate = best.estimates["reach"], best.estimates["unfollow_rate"]
    given = mean_of(runs, "two offers a day (as given)", "reach")
    above = table[table[path] > best.plan[path]]
    facts = {"limit": limit, "chosen": best.plan[path], "reach": list(reach), "unfollow_rate": list(rate),
             "given_reach": given, "trials": len(table),
             "share_of_faster_plans_over_limit": float((~above["feasible"]).mean()) if len(above) else 1.0,
             "best_feasible_reach": float(table.loc[table["feasible"], "reach"].max()),
             "fresh_unfollow_rate": float(np.mean(check.plan["unfollow_rate"])),
             "fresh_reach_gain": list(check.difference("reach"))[:3]}

    figures: list[str] = []
    figure = new_figure()
    ax = figure.add_subplot()
    ok = table["feasible"].to_numpy(dtype=bool)
    ax.scatter(table[path][ok], table["reach"][ok], color="tab:blue", s=16, label="unfollows under 1% (95%)")
    ax.scatter(table[path][~ok], table["reach"][~ok], facecolors="none", edgecolors="tab:gray", s=16,
               label="may lose more than 1%")
    ax.axvline(best.plan[path], color="tab:red", label=f"chosen: {best.plan[path]:.1f} a day")
    ax.set_xlabel("posts a day")
    ax.set_ylabel("people reached (mean of 4 runs)")
    ax.set_title("Reach and the unfollow limit")
    ax.legend(fontsize=8)
    save(figure, folder, "cadence.png", figures)

    gain = check.difference("reach")
    lines = [f"{lesson.title} ({len(table)} cadences tried, each on the same {search.replications} seeds):",
             f"- chosen: {best.plan[path]:.1f} posts a day; it reached {reach.mean:.0f} people "
             f"[{reach.low:.0f}, {reach.high:.0f}] and lost {rate.mean:.2%} of its followers "
             f"[{rate.low:.2%}, {rate.high:.2%}], within the limit of {limit:.0%}.",
             f"- of the plans faster than it, {facts['share_of_faster_plans_over_limit']:.0%} may lose more "
             f"than {limit:.0%} of the followers.",
             f"- on {len(check.seeds)} fresh seeds it reached {gain.mean:.0f} more people [{gain.low:.0f}, "
             f"{gain.high:.0f}] than two offers a day, losing {facts['fresh_unfollow_rate']:.2%} of its followers."]
    return Findings("\n".join(lines), facts, figures)


ANALYSES = {
    "never_spread": never_spread,
    "who_shares_what": who_shares_what,
    "attention_timing": attention_timing,
    "over_posting": over_posting,
    "seeding": seeding,
    "competing_for_attention": competing_for_attention,
    "best_cadence": best_cadence,
}


# --------------------------------------------------------------------------
# sharesim lesson [N]

def command_lesson(args) -> int:
    """``sharesim lesson`` lists the lessons; ``sharesim lesson N`` runs lesson N."""
    lessons = all_lessons()
    if args.number is None:
        print("Lessons (run one with: sharesim lesson N)\n")
        for lesson in lessons:
            print(f"{lesson.number:>3}  {lesson.title}")
            print(f"     {lesson.text_path.relative_to(TEACHING.parent.parent)}")
        return 0
    chosen = next((lesson for lesson in lessons if lesson.number == args.number), None)
    if chosen is None:
        numbers = ", ".join(str(lesson.number) for lesson in lessons)
        raise InputError(f"lesson {args.number}: no such lesson; the lessons are {numbers} (sharesim lesson lists them)")
    folder = args.out or LESSON_OUTPUTS / chosen.name
    findings = run_lesson(chosen, folder)
    if not args.quiet:
        print(findings.text)
        print(f"\nlesson folder: {folder} (the lesson text is lesson.md; figures: {', '.join(findings.figures)})")
    return 0
