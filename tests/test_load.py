"""Under load: 200 runs through the parallel paths, each arriving exactly once, equal to its serial twin."""

from __future__ import annotations

from collections import Counter

import yaml

from sim.experiment import execute, load_strategies

TINY = {"name": "tiny", "seed": 4, "duration_days": 0.25, "population": {"size": 80, "active_hours": [0, 24]},
        "network": {"mean_degree": 6},
        "brands": [{"name": "Acme", "followers": 0.5, "campaign": {"posts_per_day": 12,
                                                                   "posting_window": [0, 6]}}]}
STRATEGIES = {"one": {}, "two": {"brands.0.campaign.posts_per_day": 4},
              "three": {"population.attention_span": 5}, "four": {"brands.0.followers": 0.9}}


def two_hundred_tasks(tmp_path):
    path = tmp_path / "load.yaml"
    path.write_text(yaml.safe_dump({"name": "load", "base": TINY, "strategies": STRATEGIES}))
    tasks = load_strategies(path).replications(50)
    assert len(tasks) == 200
    return tasks


def arrivals(results) -> tuple[Counter, dict]:
    seen, records = Counter(), {}
    for task, record in results:
        seen[task.file_name] += 1
        records[task.file_name] = record
    return seen, records


def test_two_hundred_runs_on_workers_and_dask_arrive_once_and_match_serial(tmp_path):
    from dask.distributed import LocalCluster

    tasks = two_hundred_tasks(tmp_path)
    _, serial = arrivals(execute(tasks))
    assert len({record["reach"] for record in serial.values()}) > 1     # the runs really differ

    seen, parallel = arrivals(execute(tasks, workers=2))
    assert set(seen) == set(serial) and set(seen.values()) == {1}
    assert parallel == serial

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        seen, on_dask = arrivals(execute(tasks, scheduler=cluster.scheduler_address))
    assert set(seen) == set(serial) and set(seen.values()) == {1}
    assert on_dask == serial
