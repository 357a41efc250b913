"""The figures README.md quotes are what the commands it names print; a test fails when they drift.

``python tests/test_readme_figures.py`` rewrites the rows from fresh runs
(after a deliberate change of the model); the test compares them otherwise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import metrics  # noqa: E402
from sim.runs import simulate  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

README = ROOT / "README.md"


def percent(rate: float, digits: int = 2) -> str:
    return f"{100 * rate:.{digits}f}%"


def campaign(s: dict) -> str:
    never = "no share reshared" if s["cascades"]["share_never_reshared"] == 1.0 else \
        f"{percent(s['cascades']['share_never_reshared'], 1)} of shares never reshared"
    return (f"organic reach {percent(s['organic_reach_rate'])}, shares per post per follower "
            f"{percent(s['shares_per_post_per_follower'], 3)}, {s['shares']:,} shares, unfollow rate "
            f"{percent(s['unfollow_rate'])}, {s['hides']:,} hides; {never}")


def over_posting(s: dict) -> str:
    return (f"unfollow rate {percent(s['unfollow_rate'])} ({s['unfollows']:,} of {s['followers_start']:,}), "
            f"{s['hides']:,} hides; organic reach {percent(s['organic_reach_rate'])}, {s['shares']:,} shares "
            f"from {s['posts']:,} posts")


def facebook(s: dict) -> str:
    return (f"reach {s['reach']:,} ({percent(s['reach_rate'])}), organic reach {percent(s['organic_reach_rate'])}, "
            f"{s['shares']:,} shares, {s['new_follows']:,} new follows, {s['unfollows']:,} unfollows")


def independent_cascade(s: dict) -> str:
    return (f"activated fraction {percent(s['activated_fraction'])} "
            f"({s['activated']:,} of {s['population']:,} people)")


READY = {"product_launch": campaign, "over_posting": over_posting, "facebook": facebook,
         "ic_facebook": independent_cascade}
"""Each ready scenario and how README's table states what ``sharesim run`` prints for it."""


def printed(name: str) -> str:
    """The README cell for a ready scenario, from a fresh run with the file's seed."""
    result = simulate(load_scenario(ROOT / "scenarios" / f"{name}.yaml"))
    summary = metrics.summarize(result.log)
    summary.update({key: result.log.meta[key] for key in ("activated", "activated_fraction")
                    if key in result.log.meta})
    return READY[name](summary)


def row(name: str) -> re.Pattern:
    return re.compile(rf"^(\| `scenarios/{name}\.yaml` \| [^|]+ \| )([^|]+)( \|)$", re.MULTILINE)


def test_the_ready_scenarios_figures_are_what_sharesim_run_prints():
    text = README.read_text(encoding="utf-8")
    for name in READY:
        found = row(name).search(text)
        assert found, f"README.md has no row for scenarios/{name}.yaml"
        assert found.group(2) == printed(name), f"{name}: rerun python tests/test_readme_figures.py"


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    for name in READY:
        text = row(name).sub(lambda m, cell=printed(name): m.group(1) + cell + m.group(3), text)
    README.write_text(text, encoding="utf-8")
    print("README.md: ready-scenario figures rewritten")
