"""Plan a campaign: the best settings of a scenario under a limit, with honest uncertainty.

``sharesim optimize SCENARIO --vary PATH=LOW:HIGH ... --maximize reach
--subject-to "unfollow_rate<=0.01" --out DIR`` searches the varied scenario
parameters (the dotted paths of ``sweep --set``, set through
:func:`sim.scenario.with_overrides`) for the plan with the best objective whose
constraints hold.

* **Why Optuna.** It is well kept and widely used; its TPE sampler handles a
  mixed space (continuous, whole-number and categorical parameters) in few
  trials, NSGA-II gives a Pareto front for two objectives, both take
  constraints (``constraints_func``), both are seeded, and a study can be
  rebuilt from its finished trials (``study.add_trial``) to resume. pymoo is
  the alternative (strong on multi-objective, weaker on mixed spaces and
  ask-and-tell resumption).
* **Noise does not pick the winner.** Each trial runs ``R`` replications with
  the same seeds for every trial (``sim.stats.replication_seeds(seed, R)``,
  common random numbers); its objective is the mean over them.
* **A constraint holds only when its 95% interval meets it**: for
  ``unfollow_rate<=0.01`` the upper bound of the mean's interval
  (:func:`sim.stats.estimate`) must be at most 0.01. Only such a trial can
  be "best"; Optuna's samplers are told the same through ``constraints_func``.
* **What we do not know**: with ``--posterior`` (a calibration's
  posterior.csv, :class:`sim.calibration.Posterior`) replication ``i`` of
  every trial draws its parameters from it, so the plan holds across them.
* **Same result on 1 or N workers, and after --resume**: trials are asked in
  batches of :data:`BATCH`, each batch's replications run through
  :func:`sim.experiment.execute` (this process, workers or Dask), and are told
  in trial order; the sampler of batch ``b`` is seeded from (seed, b). After
  every batch the finished trials are saved in ``study.json``; ``--resume``
  replays them into a new study and continues.
* Finally the best plan is run again on fresh seeds (``seed + 1``) beside the
  scenario as given, and the paired difference is printed in plain words.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import InputError
from .experiment import compact
from .report import text_table
from .rundir import marked_kind, resumable_folder, staged_file, write_atomically
from .scenario import read_yaml, scenario_from_dict, value_at, with_overrides
from .sensitivity import OUTPUTS, SamplePoint, run_sample
from .stats import CONFIDENCE, Estimate, estimate, paired_difference, replication_seeds

BATCH = 8
"""Trials asked, run and told together; fixed, so the search does not depend on the workers."""
MAX_TRIALS = 10_000
MAX_REPLICATIONS = 1_000
STATE = "study.json"
"""The finished trials and the search's settings, rewritten after each batch (for --resume)."""
RATES = {"reach_rate", "engagement_rate", "unfollow_rate", "organic_reach_rate", "cascades.share_never_reshared"}
"""Outputs that are fractions: printed as percentages, and a limit may be written as 1%."""


# --------------------------------------------------------------------------
# What is varied, what is sought, what must hold

@dataclass(frozen=True)
class Varied:
    """One searched parameter: a dotted scenario path and its range or choices."""

    path: str
    kind: str                       # "float", "int" or "choice"
    low: float = 0.0
    high: float = 0.0
    choices: tuple = ()             # plain values (numbers, text, lists...) for "choice"

    def suggest(self, trial):
        """The trial's value of this parameter, as Optuna suggests it."""
        if self.kind == "float":
            return trial.suggest_float(self.path, self.low, self.high)
        if self.kind == "int":
            return trial.suggest_int(self.path, int(self.low), int(self.high))
        return self.value(trial.suggest_categorical(self.path, list(self.labels)))

    @property
    def labels(self) -> tuple:
        """Optuna's categories: the choices themselves when plain, else their JSON text."""
        plain = all(isinstance(c, (int, float, str, bool)) or c is None for c in self.choices)
        return self.choices if plain else tuple(json.dumps(c, sort_keys=True) for c in self.choices)

    def value(self, label):
        """The scenario value of an Optuna parameter value."""
        if self.kind == "choice":
            return self.choices[list(self.labels).index(label)]
        return int(label) if self.kind == "int" else float(label)

    def distribution(self):
        import optuna
        if self.kind == "float":
            return optuna.distributions.FloatDistribution(self.low, self.high)
        if self.kind == "int":
            return optuna.distributions.IntDistribution(int(self.low), int(self.high))
        return optuna.distributions.CategoricalDistribution(list(self.labels))

    def describe(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(compact(c) for c in self.choices)
        return f"{'whole numbers ' if self.kind == 'int' else ''}{self.low:g} to {self.high:g}"


@dataclass(frozen=True)
class Objective:
    output: str
    direction: str                  # "maximize" or "minimize"


@dataclass(frozen=True)
class Constraint:
    """``OUTPUT<=LIMIT`` (or ``>=``): holds when the whole 95% interval of the mean meets it."""

    output: str
    sign: str
    limit: float

    def excess(self, value: Estimate) -> float:
        """Optuna's constraint value: <= 0 when the interval meets the limit."""
        if math.isnan(value.mean):
            return math.inf
        return value.high - self.limit if self.sign == "<=" else self.limit - value.low

    def holds(self, value: Estimate) -> bool:
        return self.excess(value) <= 0

    def __str__(self) -> str:
        return f"{self.output}{self.sign}{self.limit:g}"


def _number(text: str):
    """A bound's number: int when written as a whole number."""
    text = text.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _built(base: dict, path: str, value, source: Path, where: str) -> dict:
    """The resolved scenario with ``path`` set to ``value``; a refusal names ``where``."""
    try:
        data = with_overrides(base, {path: value}, where)
        return scenario_from_dict(data, source=source).resolved()
    except InputError as error:
        message = str(error).removeprefix(f"{source}: ").removeprefix(f"{where}: ")
        raise InputError(f"{where}: {message}") from None


def parse_vary(text: str, base: dict, source: Path) -> Varied:
    """``PATH=LOW:HIGH`` (a range) or ``PATH=A,B,C`` (choices, read as YAML) -> a :class:`Varied`.

    Whole-number ranges of a whole-number field search whole numbers; the
    type is read from the scenario built with the bounds set. Each bound or
    choice is checked by building the scenario with it.
    """
    example = "e.g. --vary brands.0.campaign.posts_per_day=1:10 or --vary feed.ranking=engagement,chronological"
    path, sign, values = text.partition("=")
    path, values = path.strip(), values.strip()
    if not sign or not path or not values:
        raise InputError(f"--vary {text}: write PATH=LOW:HIGH or PATH=A,B,C, {example}")
    if path == "seed":
        raise InputError(f"--vary {text}: the seed is not a plan; every trial shares the replication seeds "
                         f"(give --seed)")
    bounds = values.split(":")
    if len(bounds) == 2 and "," not in values:
        try:
            low, high = _number(bounds[0]), _number(bounds[1])
        except ValueError:
            raise InputError(f"--vary {text}: LOW and HIGH must be finite numbers, {example}") from None
        if not low < high:
            raise InputError(f"--vary {text}: LOW must be below HIGH (got {bounds[0]}:{bounds[1]})")
        at_low = _built(base, path, low, source, f"--vary {text}: at LOW ({low:g})")
        _built(base, path, high, source, f"--vary {text}: at HIGH ({high:g})")
        found = value_at(at_low, path)
        if isinstance(found, bool) or not isinstance(found, (int, float)):
            raise InputError(f"--vary {text}: {path} is not a number in the scenario; give a range of a "
                             f"numeric field, or choices A,B,C")
        whole = isinstance(low, int) and isinstance(high, int) and isinstance(found, int)
        return Varied(path, "int" if whole else "float", float(low), float(high))
    try:
        choices = yaml.safe_load(f"[{values}]")
    except yaml.YAMLError:
        raise InputError(f"--vary {text}: the choices must be comma-separated YAML values, {example}") from None
    if len(choices) < 2:
        raise InputError(f"--vary {text}: give a range LOW:HIGH or at least two choices A,B, {example}")
    if len(choices) != len({json.dumps(c, sort_keys=True) for c in choices}):
        raise InputError(f"--vary {text}: a choice is given twice")
    for choice in choices:
        _built(base, path, choice, source, f"--vary {text}: choice {compact(choice)}")
    return Varied(path, "choice", choices=tuple(choices))


def _output(option: str, text: str) -> str:
    name = text.strip()
    if name not in OUTPUTS:
        raise InputError(f"{option} {text}: unknown output; allowed: {', '.join(OUTPUTS)}")
    return name


def parse_constraint(text: str) -> Constraint:
    """``OUTPUT<=VALUE`` or ``OUTPUT>=VALUE``; a rate's VALUE may be a percentage (1%)."""
    found = re.fullmatch(r"\s*([\w.]+)\s*(<=|>=)\s*([^\s%]+)\s*(%?)\s*", text)
    if not found:
        raise InputError(f"--subject-to {text}: write OUTPUT<=VALUE or OUTPUT>=VALUE, "
                         f"e.g. --subject-to \"unfollow_rate<=0.01\"")
    output = _output("--subject-to", found.group(1))
    try:
        limit = float(found.group(3)) / (100 if found.group(4) else 1)
    except ValueError:
        raise InputError(f"--subject-to {text}: the limit must be a number (got {found.group(3)!r})") from None
    if not math.isfinite(limit):
        raise InputError(f"--subject-to {text}: the limit must be a finite number")
    return Constraint(output, found.group(2), limit)


# --------------------------------------------------------------------------
# The search

@dataclass
class Search:
    """An optimization of one scenario: what varies, what is sought, what must hold, how."""

    source: Path
    name: str
    base: dict                          # the scenario file's data
    varied: list[Varied]
    objectives: list[Objective]
    constraints: list[Constraint]
    trials: int = 40
    replications: int = 5
    seed: int = 0
    posterior: object = None            # sim.calibration.Posterior or None

    @property
    def outputs(self) -> tuple:
        names = [o.output for o in self.objectives] + [c.output for c in self.constraints]
        return tuple(dict.fromkeys(names))

    def seeds(self, fresh: bool = False) -> list[int]:
        """The replication seeds of every trial; ``fresh`` for the final re-evaluation (seed + 1)."""
        return replication_seeds(self.seed + (1 if fresh else 0), self.replications)

    def settings(self) -> dict:
        """What the search depends on; a resumed search must match it."""
        return {"scenario": self.base, "source": str(self.source),
                "vary": [{"path": v.path, "kind": v.kind, "low": v.low, "high": v.high,
                          "choices": list(v.choices)} for v in self.varied],
                "objectives": [[o.output, o.direction] for o in self.objectives],
                "constraints": [str(c) for c in self.constraints], "replications": self.replications,
                "seed": self.seed, "batch": BATCH,
                "posterior": None if self.posterior is None else str(self.posterior.source)}

    def scenario(self, plan: dict, where: str) -> dict:
        """The scenario data with a plan's values set (not resolved: as the user wrote it, plus the plan)."""
        return with_overrides(self.base, plan, where)

    def tasks(self, number: int, plan: dict, seeds: list[int]) -> list[SamplePoint]:
        """One task per replication of a plan, each with its posterior draw when given."""
        where = f"{self.source}: trial {number} ({', '.join(f'{p}={compact(v)}' for p, v in plan.items())})"
        resolved = scenario_from_dict(self.scenario(plan, where), source=self.source).resolved()
        tasks = []
        for r, seed in enumerate(seeds):
            data = resolved
            if self.posterior is not None:
                data = with_overrides(resolved, self.posterior.draw(seed), f"--posterior {self.posterior.source}")
            tasks.append(SamplePoint(number, r, seed, data, str(self.source), self.outputs))
        return tasks


def build_search(path: Path, vary: list[str], maximize: list[str], minimize: list[str], subject_to: list[str], *,
                 trials: int = 40, replications: int = 5, seed: int | None = None,
                 posterior: Path | None = None) -> Search:
    """Read the scenario and check every option before any simulation."""
    path = Path(path)
    base = read_yaml(path, "scenario")
    scenario = scenario_from_dict(base, source=path)
    if not vary:
        raise InputError("--vary: give at least one parameter to search, "
                         "e.g. --vary brands.0.campaign.posts_per_day=1:10")
    varied = [parse_vary(text, base, path) for text in vary]
    paths = [v.path for v in varied]
    repeated = next((p for p in paths if paths.count(p) > 1), None)
    if repeated:
        raise InputError(f"--vary: {repeated} is given twice; vary each parameter once")
    objectives = ([Objective(_output("--maximize", t), "maximize") for t in maximize]
                  + [Objective(_output("--minimize", t), "minimize") for t in minimize])
    if not 1 <= len(objectives) <= 2:
        raise InputError(f"--maximize/--minimize: give one objective, or two for a Pareto front "
                         f"(got {len(objectives)}), e.g. --maximize reach --minimize unfollow_rate")
    if len({o.output for o in objectives}) < len(objectives):
        raise InputError("--maximize/--minimize: the two objectives must be different outputs")
    constraints = [parse_constraint(text) for text in subject_to]
    if not 1 <= trials <= MAX_TRIALS:
        raise InputError(f"--trials: from 1 to {MAX_TRIALS:,} (got {trials:,})")
    if not 2 <= replications <= MAX_REPLICATIONS:
        raise InputError(f"--replications: from 2 (for a confidence interval) to {MAX_REPLICATIONS:,} "
                         f"(got {replications:,})")
    if seed is not None and not 0 <= seed <= 2**32 - 2:
        raise InputError(f"--seed: a whole number from 0 to 2^32-2 (got {seed})")
    drawn = None
    if posterior is not None:
        from .calibration import check_posterior, load_posterior
        drawn = load_posterior(posterior)
        both = [p for p in drawn.paths if p in paths]
        if both:
            raise InputError(f"--posterior {posterior}: column {both[0]} is also searched with --vary; "
                             f"a parameter is either planned or uncertain, not both")
        check_posterior(drawn, {"scenario": scenario.resolved()}, path)
    return Search(path, scenario.name, base, varied, objectives, constraints, trials, replications,
                  scenario.seed if seed is None else seed, drawn)


@dataclass
class Trial:
    """One evaluated plan: its values, and per output the estimate over the replications."""

    number: int
    plan: dict
    estimates: dict[str, Estimate]
    feasible: bool
    values: dict[str, list] = field(default_factory=dict)   # per output, the replications' values


def _sampler(search: Search, batch: int):
    """The sampler of batch ``batch``: TPE (one objective) or NSGA-II (two), seeded from (seed, batch)."""
    import optuna

    seed = int(np.random.SeedSequence([search.seed, batch]).generate_state(1)[0])
    # Optuna 5 reads constraints the trial set (Trial.set_constraint); older ones need constraints_func
    legacy = {} if _has_set_constraint() else {"constraints_func": _constraint_values}
    if len(search.objectives) == 2:
        return optuna.samplers.NSGAIISampler(population_size=2 * BATCH, seed=seed, **legacy)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, search.trials // 4)), **legacy)


def _has_set_constraint() -> bool:
    import optuna
    return hasattr(optuna.trial.Trial, "set_constraint")





def _constraint_values(trial) -> list[float]:
    return trial.user_attrs.get("constraints", [])


def new_study(search: Search):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(directions=[o.direction for o in search.objectives], sampler=_sampler(search, 0))


def replay(study, search: Search, saved: list[dict]) -> None:
    """Put trials saved in study.json back into a new study, exactly as they were told."""
    import optuna

    distributions = {v.path: v.distribution() for v in search.varied}
    for item in saved:
        study.add_trial(optuna.trial.create_trial(
            params=item["params"], distributions=distributions, values=item["values"],
            state=optuna.trial.TrialState[item.get("state", "COMPLETE")],
            user_attrs=item["user_attrs"], system_attrs=item["system_attrs"]))


def evaluate(search: Search, tasks_of: dict[int, list[SamplePoint]], *, workers: int = 1,
             scheduler: str | None = None) -> dict[int, dict[str, list]]:
    """Run every task; per trial number and output, the replications' values in replication order."""
    from .experiment import execute

    everything = [task for tasks in tasks_of.values() for task in tasks]
    values = {number: {o: [math.nan] * search.replications for o in search.outputs} for number in tasks_of}
    for task, record in execute(everything, workers=workers, scheduler=scheduler, run=run_sample):
        for output in search.outputs:
            values[task.sample][output][task.replication] = record[output]
    return values


def _estimate(output: str, values: list) -> Estimate:
    return estimate(values, within=(0.0, 1.0) if output in RATES else (0.0, math.inf))


def as_trial(search: Search, frozen) -> Trial:
    """A finished Optuna trial as a :class:`Trial`."""
    attrs = frozen.user_attrs
    estimates = {o: Estimate(*attrs["estimates"][o]) for o in search.outputs}
    plan = {v.path: v.value(frozen.params[v.path]) for v in search.varied}
    return Trial(frozen.number, plan, estimates, all(c <= 0 for c in attrs["constraints"]), attrs.get("values", {}))


def run_search(search: Search, folder: Path, *, workers: int = 1, scheduler: str | None = None,
               progress: bool = False):
    """Run (or continue) the search in ``folder``; return the study with every trial told."""
    from tqdm import tqdm

    study = new_study(search)
    state = folder / STATE
    if state.is_file():
        saved = json.loads(state.read_text(encoding="utf-8"))
        if saved.get("settings") != json.loads(json.dumps(search.settings())):
            raise InputError(f"--resume {folder}: that search was made with other settings (scenario, --vary, "
                             f"objectives, constraints, -r, --seed or --posterior); use a new --out, or "
                             f"--force to start over")
        replay(study, search, saved["trials"])
    seeds = search.seeds()
    done = len(study.trials)
    bar = tqdm(total=search.trials, initial=min(done, search.trials), unit="trial", desc=f"{search.name} optimize",
               file=sys.stderr, disable=not progress, dynamic_ncols=True)
    try:
        while done < search.trials:
            study.sampler = _sampler(search, done // BATCH)
            asked = [study.ask() for _ in range(min(BATCH, search.trials - done))]
            plans = {t.number: {v.path: v.suggest(t) for v in search.varied} for t in asked}
            values = evaluate(search, {n: search.tasks(n, plan, seeds) for n, plan in plans.items()},
                              workers=workers, scheduler=scheduler)
            for trial in asked:
                found = values[trial.number]
                estimates = {o: _estimate(o, found[o]) for o in search.outputs}
                trial.set_user_attr("estimates", {o: list(e) for o, e in estimates.items()})
                trial.set_user_attr("values", found)
                excess = [c.excess(estimates[c.output]) for c in search.constraints]
                trial.set_user_attr("constraints", excess)
                if _has_set_constraint():
                    for c, value in zip(search.constraints, excess):
                        trial.set_constraint(str(c), value)
                study.tell(trial, [estimates[o.output].mean for o in search.objectives])
            done = len(study.trials)
            save_state(study, search, state)
            bar.update(len(asked))
    finally:
        bar.close()
    return study


def save_state(study, search: Search, path: Path) -> None:
    trials = [{"params": t.params, "values": t.values, "state": t.state.name, "user_attrs": t.user_attrs, "system_attrs": t.system_attrs}
              for t in study.trials]
    write_atomically(path, json.dumps({"settings": search.settings(), "trials": trials}, default=float) + "\n")


def best_trials(search: Search, study) -> list[Trial]:
    """One objective: the feasible trial with the best mean (first found on a tie).
    Two: the Pareto front of the feasible trials (Optuna's best_trials), by the first objective."""
    trials = [as_trial(search, t) for t in study.trials]
    feasible = [t for t in trials if t.feasible
                and not any(math.isnan(t.estimates[o.output].mean) for o in search.objectives)]
    if not feasible:
        return []
    if len(search.objectives) == 1:
        objective = search.objectives[0]
        sign = 1 if objective.direction == "maximize" else -1
        return [max(feasible, key=lambda t: (sign * t.estimates[objective.output].mean, -t.number))]
    front = [trials[t.number] for t in study.best_trials]          # Optuna drops infeasible trials from it
    front = [t for t in front if t.feasible]
    first = search.objectives[0]
    return sorted(front, key=lambda t: (-1 if first.direction == "maximize" else 1) * t.estimates[first.output].mean)


# --------------------------------------------------------------------------
# The chosen plan against the scenario as given, on fresh seeds

@dataclass
class Check:
    """The chosen plan and the scenario as given, run again on fresh seeds."""

    seeds: list[int]
    plan: dict[str, list]           # output -> values
    given: dict[str, list]

    def difference(self, output: str):
        return paired_difference(self.plan[output], self.given[output])


def recheck(search: Search, plan: dict, *, workers: int = 1, scheduler: str | None = None) -> Check:
    seeds = search.seeds(fresh=True)
    values = evaluate(search, {0: search.tasks(0, plan, seeds), 1: search.tasks(1, {}, seeds)},
                      workers=workers, scheduler=scheduler)
    return Check(seeds, values[0], values[1])


def _show(output: str, value: float) -> str:
    if output in RATES:
        return f"{100 * value:.2g}%" if abs(value) < 0.1 else f"{100 * value:.1f}%"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.3g}"


def verdict(search: Search, check: Check) -> str:
    """The re-evaluation in plain words."""
    objective = search.objectives[0]
    d = check.difference(objective.output)
    more = "more" if d.mean >= 0 else ("less" if objective.output in RATES else "fewer")
    verb = {"reach": "reaches"}.get(objective.output, "gets")
    noun = {"reach": "people"}.get(objective.output, objective.output)
    words = (f"the chosen plan {verb} {_show(objective.output, abs(d.mean))} {more} {noun} "
             f"[{_show(objective.output, abs(d.low if d.mean >= 0 else d.high))}, "
             f"{_show(objective.output, abs(d.high if d.mean >= 0 else d.low))}] than the scenario as given")
    parts = [words]
    for c in search.constraints:
        e = _estimate(c.output, check.plan[c.output])
        where = "within" if c.holds(e) else "NOT within"
        limit = "limit" if c.sign == "<=" else "floor"
        parts.append(f"its {c.output.replace('_', ' ')} is {_show(c.output, e.mean)} "
                     f"[{_show(c.output, e.low)}, {_show(c.output, e.high)}], {where} the {limit} of "
                     f"{_show(c.output, c.limit)}")
    return (", and ".join(parts) + f" (on {len(check.seeds)} fresh seeds, {CONFIDENCE:.0%} intervals)").capitalize()


# --------------------------------------------------------------------------
# Outputs

def trial_rows(search: Search, study) -> pd.DataFrame:
    """trials.csv: one row per trial."""
    rows = []
    for t in (as_trial(search, f) for f in study.trials):
        row = {"trial": t.number, **{p: compact(v) if isinstance(v, (list, dict)) else v for p, v in t.plan.items()}}
        for o in search.outputs:
            e = t.estimates[o]
            row.update({o: e.mean, f"{o}_low": e.low, f"{o}_high": e.high})
        for c in search.constraints:
            row[str(c)] = c.holds(t.estimates[c.output])
        row["feasible"] = t.feasible
        rows.append(row)
    return pd.DataFrame(rows)


def _estimate_json(e: Estimate) -> dict:
    return {"mean": e.mean, "low": e.low, "high": e.high, "n": e.n}


def result_json(search: Search, study, chosen: list[Trial], check: Check | None) -> dict:
    best = chosen[0] if chosen else None
    data = {
        "scenario": str(search.source),
        "vary": {v.path: v.describe() for v in search.varied},
        "objectives": {o.output: o.direction for o in search.objectives},
        "constraints": [str(c) for c in search.constraints],
        "trials": len(study.trials), "replications": search.replications, "seed": search.seed,
        "batch": BATCH, "confidence": CONFIDENCE,
        "posterior": None if search.posterior is None else str(search.posterior.source),
        "best": None if best is None else best.plan,
        "best_trial": None if best is None else best.number,
    }
    if best is not None:
        data["objective"] = {o.output: _estimate_json(best.estimates[o.output]) for o in search.objectives}
        data["constraint"] = {str(c): {**_estimate_json(best.estimates[c.output]),
                                       "holds": c.holds(best.estimates[c.output])} for c in search.constraints}
    if len(search.objectives) == 2:
        data["front"] = [{"trial": t.number, "plan": t.plan,
                          **{o.output: _estimate_json(t.estimates[o.output]) for o in search.objectives}}
                         for t in chosen]
    if check is not None:
        d = {o: check.difference(o) for o in search.outputs}
        data["recheck"] = {
            "seeds": check.seeds,
            "plan": {o: _estimate_json(_estimate(o, check.plan[o])) for o in search.outputs},
            "given": {o: _estimate_json(_estimate(o, check.given[o])) for o in search.outputs},
            "difference": {o: {"mean": x.mean, "low": x.low, "high": x.high, "pvalue": x.pvalue}
                           for o, x in d.items()},
            "constraints_hold": {str(c): c.holds(_estimate(c.output, check.plan[c.output]))
                                 for c in search.constraints},
            "verdict": verdict(search, check),
        }
    return data


def _figure(size=(6.4, 4.0)):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    return Figure(figsize=size, layout="constrained")


def plot_history(search: Search, table: pd.DataFrame, path: Path) -> None:
    """Each objective per trial (feasible filled, infeasible hollow) and the best feasible so far."""
    figure = _figure((6.4, 3.6 * len(search.objectives)))
    axes = figure.subplots(len(search.objectives), 1, squeeze=False)[:, 0]
    for ax, o in zip(axes, search.objectives):
        y, ok = table[o.output].to_numpy(), table["feasible"].to_numpy(dtype=bool)
        ax.scatter(table["trial"][ok], y[ok], s=14, color="tab:blue", label="trial (constraints hold)")
        ax.scatter(table["trial"][~ok], y[~ok], s=14, facecolors="none", edgecolors="tab:gray",
                   label="trial (a constraint fails)")
        masked = np.where(ok, y, -np.inf if o.direction == "maximize" else np.inf)
        best = np.maximum.accumulate(masked) if o.direction == "maximize" else np.minimum.accumulate(masked)
        ax.step(table["trial"], np.where(np.isfinite(best), best, np.nan), where="post", color="tab:red",
                label="best so far")
        ax.set_xlabel("trial")
        ax.set_ylabel(f"{o.output} (mean of {search.replications})")
        ax.legend(fontsize=7)
    axes[0].set_title(f"{search.name}: search history")
    figure.savefig(path, dpi=110)


def plot_parameters(search: Search, table: pd.DataFrame, path: Path) -> None:
    """The first objective against each varied parameter."""
    o = search.objectives[0]
    figure = _figure((4.2 * len(search.varied), 3.6))
    axes = figure.subplots(1, len(search.varied), squeeze=False)[0]
    ok = table["feasible"].to_numpy(dtype=bool)
    for ax, v in zip(axes, search.varied):
        x = table[v.path].astype(str) if v.kind == "choice" else table[v.path]
        ax.scatter(x[ok], table[o.output][ok], s=14, color="tab:blue", label="constraints hold")
        ax.scatter(x[~ok], table[o.output][~ok], s=14, facecolors="none", edgecolors="tab:gray",
                   label="a constraint fails")
        ax.set_xlabel(v.path, fontsize=8)
        ax.set_ylabel(o.output)
        ax.tick_params(axis="x", labelsize=7)
    axes[0].legend(fontsize=7)
    figure.savefig(path, dpi=110)


def plot_front(search: Search, table: pd.DataFrame, front: list[Trial], path: Path) -> None:
    """Two objectives: every trial, and the front with 95% intervals."""
    a, b = (o.output for o in search.objectives)
    figure = _figure()
    ax = figure.add_subplot()
    ax.scatter(table[a], table[b], s=12, color="0.7", label="trial")
    front = sorted(front, key=lambda t: t.estimates[a].mean)
    xs, ys = [t.estimates[a] for t in front], [t.estimates[b] for t in front]
    ax.errorbar([e.mean for e in xs], [e.mean for e in ys],
                xerr=[[e.mean - e.low for e in xs], [e.high - e.mean for e in xs]],
                yerr=[[e.mean - e.low for e in ys], [e.high - e.mean for e in ys]],
                fmt="o-", color="tab:red", capsize=3, label=f"front ({CONFIDENCE:.0%} intervals)")
    ax.set_xlabel(f"{a} ({search.objectives[0].direction})")
    ax.set_ylabel(f"{b} ({search.objectives[1].direction})")
    ax.set_title(f"{search.name}: Pareto front")
    ax.legend(fontsize=7)
    figure.savefig(path, dpi=110)


def write_outputs(search: Search, study, chosen: list[Trial], check: Check | None, folder: Path) -> dict:
    """best.yaml, optimize.json, trials.csv and the plots, each written atomically."""
    table = trial_rows(search, study)
    data = result_json(search, study, chosen, check)
    with staged_file(folder / "trials.csv") as temporary:
        table.to_csv(temporary, index=False)
    if chosen:
        best = scenario_from_dict(search.scenario(chosen[0].plan, "best plan"), source=search.source)
        write_atomically(folder / "best.yaml",
                         yaml.safe_dump(best.resolved(), sort_keys=False, allow_unicode=True))
    write_atomically(folder / "optimize.json", json.dumps(data, indent=2, default=float) + "\n")
    with staged_file(folder / "history.png") as temporary:
        plot_history(search, table, temporary)
    with staged_file(folder / "parameters.png") as temporary:
        plot_parameters(search, table, temporary)
    if len(search.objectives) == 2 and chosen:
        with staged_file(folder / "front.png") as temporary:
            plot_front(search, table, chosen, temporary)
    return data


def summary_text(search: Search, data: dict, chosen: list[Trial]) -> str:
    """What the command prints: the plan (or the front) and the re-evaluation in words."""
    if not chosen:
        limits = ", ".join(str(c) for c in search.constraints)
        return (f"no plan among {data['trials']} trials meets {limits} with {CONFIDENCE:.0%} confidence; "
                f"widen the ranges, add trials or replications (-r), or relax the limit")
    outputs = list(search.outputs)
    header = ["trial", *[v.path for v in search.varied],
              *[f"{o} [{CONFIDENCE:.0%} interval]" for o in outputs]]
    rows = [[str(t.number), *[compact(t.plan[v.path]) if v.kind != "float" else f"{t.plan[v.path]:.3g}"
                              for v in search.varied],
             *[f"{_show(o, t.estimates[o].mean)} [{_show(o, t.estimates[o].low)}, {_show(o, t.estimates[o].high)}]"
               for o in outputs]] for t in chosen]
    title = (f"Pareto front ({len(chosen)} plans, none beaten on both)" if len(search.objectives) == 2
             else "best plan")
    lines = [f"{title} after {data['trials']} trials of {search.replications} replications:", ""]
    lines += text_table(header, rows)
    if "recheck" in data:
        lines += ["", data["recheck"]["verdict"]]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# The command

def prepare_folder(out: Path, *, resume: bool, force: bool) -> tuple[Path, bool]:
    """The --out folder: checked before any simulation; created and marked, or (--resume) reused."""
    return resumable_folder(out, kind="optimization", resume=resume, force=force, kept=STATE)


def command_optimize(args) -> int:
    """``sharesim optimize SCENARIO --vary PATH=LOW:HIGH ... --maximize OUTPUT --out DIR``."""
    from .experiment import cores, scheduler_location

    search = build_search(args.scenario, args.vary, args.maximize, args.minimize, args.subject_to,
                          trials=args.trials, replications=args.replications, seed=args.seed,
                          posterior=args.posterior)
    if args.workers < 1:
        raise InputError(f"--workers: must be at least 1 (got {args.workers})")
    workers = args.workers
    if args.scheduler is not None:
        scheduler_location(args.scheduler)
    elif workers > cores():
        print(f"sharesim: --workers {workers}: this machine has {cores()} cores; using {cores()}", file=sys.stderr)
        workers = cores()
    folder, created = prepare_folder(args.out, resume=args.resume, force=args.force)
    if not args.quiet:
        print(f"{search.name}: {search.trials} trials x {search.replications} replications -> {folder}",
              file=sys.stderr)
    started = time.monotonic()
    try:
        study = run_search(search, folder, workers=workers, scheduler=args.scheduler, progress=not args.quiet)
        chosen = best_trials(search, study)
        check = recheck(search, chosen[0].plan, workers=workers, scheduler=args.scheduler) if chosen else None
    except KeyboardInterrupt:
        print(f"sharesim: interrupted; the finished trials are kept; continue with:\n"
              f"  sharesim optimize ... --resume --out {folder}", file=sys.stderr)
        return 130
    except InputError:
        if created and marked_kind(folder) == "optimization":
            shutil.rmtree(folder, ignore_errors=True)
        raise
    data = write_outputs(search, study, chosen, check, folder)
    if not args.quiet:
        print(summary_text(search, data, chosen))
        print(f"\n{len(study.trials)} trials in {time.monotonic() - started:.0f} s; folder: {folder}")
    return 0
