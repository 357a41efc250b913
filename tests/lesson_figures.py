"""README's lesson table: what each ``sharesim lesson N`` shows, in figures taken from its findings.

``tests/test_lessons.py`` checks the table against fresh runs;
``python tests/lesson_figures.py`` rewrites it after a deliberate change of the model.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _p(rate: float, digits: int = 1) -> str:
    return f"{100 * rate:.{digits}f}%"


def never_spread(f: dict) -> str:
    return (f"{_p(f['exposures_from_brand'])} of exposures come straight from the brand; "
            f"{_p(f['share_never_reshared'])} of the {f['shares']:,} shares are never shared again")


def who_shares_what(f: dict) -> str:
    rate = f["rate_per_1000"]["trendsetter"]
    ignored = [k for k, v in rate.items() if k not in ("novel",) and v is not None]
    other = max(rate[k] for k in ignored) if ignored else 0.0
    return (f"{f['types_sharing_their_own_kind_most']} of the seven types share their own kind of post most "
            f"(e.g. trendsetters {rate['novel']:.1f} per 1,000 readings of novel posts, at most {other:.1f} of any other kind)")


def attention_timing(f: dict) -> str:
    reach = f["reach_per_post"]
    return "a post reaches " + ", ".join(f"{value:,.0f} people {variant}" for variant, value in reach.items())


def over_posting(f: dict) -> str:
    over, calm = f["ten offers a day"], f["three useful posts a day"]
    return (f"ten offers a day: {_p(over['unfollow_rate'])} of the followers unfollow "
            f"({over['unfollows']:.0f} of {over['followers_start']:.0f}) and {over['hides']:.0f} hide the brand, "
            f"{_p(over['hide_share'], 0)} of those who act hide (the survey: 47%); "
            f"three useful posts a day: {_p(calm['unfollow_rate'])} unfollow")


def seeding(f: dict) -> str:
    reach = f["reach"]
    return ", ".join(f"{variant}: {value:,.0f} people" for variant, value in reach.items())


def competing_for_attention(f: dict) -> str:
    return "reach falls as the feed fills: " + ", ".join(f"{value:,.0f}" for value in f["reach"].values()) + " people"


def best_cadence(f: dict) -> str:
    return (f"the best plan under a {_p(f['limit'], 0)} unfollow limit posts {f['chosen']:.1f} times a day, "
            f"reaching {f['reach'][0]:,.0f} people at a {_p(f['unfollow_rate'][0], 2)} unfollow rate "
            f"({f['trials']} trials)")


FIGURES = {1: ("never_spread", never_spread), 2: ("who_shares_what", who_shares_what),
           3: ("attention_timing", attention_timing), 4: ("over_posting", over_posting),
           5: ("seeding", seeding), 6: ("competing_for_attention", competing_for_attention),
           7: ("best_cadence", best_cadence)}
"""Lesson number -> (its analysis, the README cell from its findings' facts)."""


def row(number: int) -> re.Pattern:
    return re.compile(rf"^(\| {number} \| [^|]+ \| [^|]+ \| )([^|]+)( \|)$", re.MULTILINE)


def cell_in_readme(number: int) -> str | None:
    found = row(number).search(README.read_text(encoding="utf-8"))
    return found.group(2) if found else None


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    import tempfile

    from sim.lessons import all_lessons, run_lesson

    text = README.read_text(encoding="utf-8")
    lessons = {lesson.number: lesson for lesson in all_lessons()}
    for number, (analysis, figures) in FIGURES.items():
        with tempfile.TemporaryDirectory() as folder:
            facts = run_lesson(lessons[number], Path(folder) / "lesson").facts
        text = row(number).sub(lambda m, cell=figures(facts): m.group(1) + cell + m.group(3), text)
    README.write_text(text, encoding="utf-8")
    print("README.md: lesson figures rewritten")
