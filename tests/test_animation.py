"""`sharesim animate`: a GIF of one post's cascade, tick by tick."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT

SCENARIO = textwrap.dedent("""\
    name: animate_small
    seed: 11
    duration_days: 2
    population: {size: 2000, background_items_per_hour: 5}
    brands:
      - name: Acme
        followers: 0.2
        topic: tech
        campaign:
          posts_per_day: 3
          content: [{kind: tip, qualities: {useful: 0.9, novel: 0.6}, promotional: 0.1}]
          seeding: {influencers: 5}
    """)


def sharesim(*args):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def animation(tmp_path_factory):
    folder = tmp_path_factory.mktemp("animate")
    scenario = folder / "animate_small.yaml"
    scenario.write_text(SCENARIO)
    result = sharesim("animate", scenario, "--out", folder / "slides" / "cascade.gif",
                      "--frame", folder / "frame.png")
    return folder, scenario, result


def frames_of(path) -> list[np.ndarray]:
    with Image.open(path) as gif:
        frames = []
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("RGB")).copy())
    return frames


def test_the_gif_has_several_frames_that_differ(animation):
    folder, _, result = animation
    assert result.returncode == 0, result.stderr
    gif = folder / "slides" / "cascade.gif"
    assert gif.is_file() and "reached" in result.stdout
    frames = frames_of(gif)
    assert len(frames) >= 4
    changed = [not np.array_equal(a, b) for a, b in zip(frames, frames[1:])]
    assert sum(changed) >= 2, "the cascade should grow over at least two ticks"
    assert not np.array_equal(frames[0], frames[-1])
    distinct = len({frame.tobytes() for frame in frames})
    said = int(re.search(r"(\d+) ticks? of", result.stdout).group(1))
    assert said == distinct, result.stdout            # what it says is what the GIF shows
    with Image.open(folder / "frame.png") as frame:
        assert frame.size[0] > 300


def test_a_post_that_does_not_exist_is_refused_and_nothing_is_written(animation, tmp_path):
    _, scenario, _ = animation
    out = tmp_path / "none.gif"
    result = sharesim("animate", scenario, "--out", out, "--post", 9999)
    assert result.returncode == 2
    assert "--post" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_the_output_must_be_a_gif(animation, tmp_path):
    _, scenario, _ = animation
    result = sharesim("animate", scenario, "--out", tmp_path / "cascade.mp4")
    assert result.returncode == 2 and ".gif" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_scenario_is_a_clear_error(tmp_path):
    result = sharesim("animate", tmp_path / "nope.yaml", "--out", tmp_path / "x.gif")
    assert result.returncode == 2 and "not found" in result.stderr


def test_sharers_are_drawn_above_every_line_and_person():
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.figure import Figure

    from sim.animation import COLOURS, Cascade, draw_frame

    # a hub (row 0) who passed the post to four friends; everyone within a small square
    cascade = Cascade(post=0, kind="tip", published=1, read_at=np.array([1, 2, 2, 2, 2]),
                      source=np.array([5, 0, 0, 0, 0]), shared_at=np.array([1, -1, -1, -1, -1]),
                      people=np.arange(5), positions=np.array([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1], [2, 2]], float),
                      edges=np.array([[0, 1], [0, 2], [0, 3], [0, 4]]), reach=5, tick_hours=1.0)
    ax = Figure().add_subplot()
    draw_frame(ax, cascade, 2)
    lines = max(c.get_zorder() for c in ax.collections if isinstance(c, LineCollection))
    people = [c for c in ax.collections if isinstance(c, PathCollection)]
    hub = [c for c in people if len(c.get_offsets()) and tuple(c.get_offsets()[0]) == (0.0, 0.0)]
    assert len(hub) == 1
    assert hub[0].get_zorder() > lines
    assert hub[0].get_zorder() > max(c.get_zorder() for c in people if c is not hub[0] and len(c.get_offsets()) > 1)
    assert tuple(hub[0].get_facecolors()[0][:3]) == tuple(int(COLOURS["shared"][i:i + 2], 16) / 255 for i in (1, 3, 5))
