"""The feed's reference numbers: reach, shares and unfollow rate over replications, as a JSON fixture.

``tests/test_feed_store.py`` runs the same replications with the current
code and compares the distributions with these (Kolmogorov–Smirnov), so a
change to how feeds are stored or drawn may change a seed's numbers but not
what the model does. Made with the code before feeds were chained per
person (the branch point of that change); rewrite it only after a deliberate
change of the model:

    python tests/feed_reference.py [--tree CHECKOUT]   # writes tests/data/feed_reference.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "feed_reference.json"
SCENARIO = ROOT / "scenarios" / "product_launch.yaml"
CHANGES = {"duration_days": 4}
REPLICATIONS = 10
BASE_SEED = 2024


def replicate() -> dict[str, list[float]]:
    """Reach, shares and unfollow rate of each replication (the sim package on sys.path)."""
    from sim.metrics import summarize
    from sim.runs import simulate
    from sim.scenario import read_yaml, scenario_from_dict, with_overrides
    from sim.stats import replication_seeds

    scenario = scenario_from_dict(with_overrides(read_yaml(SCENARIO, "scenario"), CHANGES, "feed_reference"))
    numbers = {"reach": [], "shares": [], "unfollow_rate": []}
    for seed in replication_seeds(BASE_SEED, REPLICATIONS):
        summary = summarize(simulate(scenario, seed=seed).log)
        for key, values in numbers.items():
            values.append(float(summary[key]))
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose sim/ makes the numbers")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))
    commit = subprocess.run(["git", "-C", str(args.tree), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    data = {"scenario": SCENARIO.name, "changes": CHANGES, "base_seed": BASE_SEED,
            "replications": REPLICATIONS, "commit": commit, **replicate()}
    FIXTURE.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
