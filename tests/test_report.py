"""Report: the terminal table shows the figures; plots and tables are written."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from test_metrics import (  # tests/ is on sys.path (rootdir-less tests folder)
    HAND_EVENTS,
    make_run,
)

from sim.metrics import post_metrics, summarize, timeseries
from sim import report
from sim.report import summary_table, write_plots, write_tables

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def measured():
    run = make_run(HAND_EVENTS)
    table = post_metrics(run)
    return run, summarize(run, table), table, timeseries(run)


def test_summary_table_shows_the_figures(measured):
    _, summary, _, _ = measured
    text = summary_table(summary)
    lines = text.splitlines()
    row = {line.split("  ")[0].strip(): line.split()[-1] for line in lines if "  " in line}
    assert row["reach"] == "6"
    assert row["reach rate"] == "85.71%"               # 6 of 7
    assert row["impressions"] == "9"
    assert row["engagement rate (shares per impression)"] == "33.33%"
    assert row["unfollow rate (of followers at start)"] == "33.33%"
    assert row["blinded (hid the brand, still following)"] == "2"
    assert row["hides (followers who hid the brand)"] == f"{summary['hides']:,}"
    assert row["organic reach (followers who read a post)"] == f"{100 * summary['organic_reach_rate']:.2f}%"
    assert row["shares per post per follower"] == f"{100 * summary['shares_per_post_per_follower']:.3f}%"
    acme = next(line.split() for line in lines if line.startswith("acme"))
    assert acme[:4] == ["acme", "2", "6", "85.71%"]
    assert acme[-2:] == ["50.00%", "1"]                 # unfollow rate, blinded
    careerist = next(line.split() for line in lines if line.startswith("careerist"))
    assert careerist == ["careerist", "1", "0", "0", "0"]
    selective = next(line.split() for line in lines if line.startswith("selective"))
    assert selective == ["selective", "1", "1", "0", "1"]


def test_summary_table_columns_are_aligned(measured):
    _, summary, _, _ = measured
    lines = summary_table(summary).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("motivation"))
    block = lines[header:header + 2 + 7]
    assert len({len(line) for line in block}) == 1     # right-aligned to one width


def test_write_plots(measured, tmp_path):
    run, summary, table, series = measured
    paths = write_plots(run, summary, table, series, tmp_path / "plots")
    assert sorted(p.name for p in paths) == ["cascade_sizes.png", "reach_followers.png",
                                             "shares_by_motivation.png"]
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == PNG_MAGIC
        assert len(data) > 10_000


def _drawn_elsewhere(fig, parent: int) -> None:
    """A figure that can only be drawn in another process than ``parent``."""
    import os

    if os.getpid() == parent:
        raise RuntimeError("drawn in the calling process")
    fig.subplots().plot([1, 2, 3], [3, 1, 2])


def _kills_its_worker(fig, parent: int) -> None:
    """A figure whose drawing kills any process but ``parent`` (as the kernel's out-of-memory
    killer would a worker)."""
    import os
    import signal

    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    fig.subplots().plot([1, 2, 3], [3, 1, 2])


def _in_a_fresh_process(check, *args):
    """``check(*args)`` run in a new interpreter: one thread, as ``sharesim run`` has, whatever
    threads earlier tests left running in this one (a drawing worker is forked only from one)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as fresh:
        return fresh.submit(check, *args).result()


def _beside_and_here(folder: Path) -> None:
    import os

    run = make_run(HAND_EVENTS)
    table = post_metrics(run)
    summary, series = summarize(run, table), timeseries(run)
    with report.Drawing.beside() as drawing:
        assert drawing.png(partial(_drawn_elsewhere, parent=os.getpid()), (4, 3)).result()[:8] == PNG_MAGIC
        beside = write_plots(run, summary, table, series, folder / "beside", drawing)
    here = write_plots(run, summary, table, series, folder / "here", report.Drawing.here())
    assert [p.read_bytes() for p in beside] == [p.read_bytes() for p in here]
    with pytest.raises(RuntimeError, match="calling process"):      # the control: here is this process
        report.Drawing.here().png(partial(_drawn_elsewhere, parent=os.getpid()), (4, 3))


def test_a_drawing_worker_draws_in_another_process_the_same_pngs(tmp_path):
    _in_a_fresh_process(_beside_and_here, tmp_path)


def _worker_killed_before_asked() -> None:
    import os
    import signal
    import time

    with report.Drawing.beside() as drawing:
        asked = drawing.png(partial(_drawn_elsewhere, parent=-1), (4, 3))     # drawable anywhere
        assert asked.result()[:8] == PNG_MAGIC
        for worker in list(drawing._pool._processes.values()):
            os.kill(worker.pid, signal.SIGKILL)
            worker.join()
        time.sleep(0.2)
        with pytest.raises(RuntimeError, match="calling process"):       # it is drawn here now
            drawing.png(partial(_drawn_elsewhere, parent=os.getpid()), (4, 3)).result()
        assert drawing.png(partial(_drawn_elsewhere, parent=-1), (4, 3)).result()[:8] == PNG_MAGIC


def test_a_figure_is_drawn_here_when_the_drawing_worker_died():
    _in_a_fresh_process(_worker_killed_before_asked)


def _worker_dies_while_drawing() -> None:
    import os

    with report.Drawing.beside() as drawing:
        assert drawing._pool is not None
        assert drawing.png(partial(_kills_its_worker, parent=os.getpid()), (4, 3)).result()[:8] == PNG_MAGIC


def test_a_figure_whose_worker_dies_while_drawing_it_is_drawn_here():
    _in_a_fresh_process(_worker_dies_while_drawing)


def _drawn_here_on(machine: str) -> None:
    """On a fresh process of its own (nothing to restore): made to look like ``machine``, a
    drawing worker is not forked and figures are drawn in the process."""
    import os
    import sys

    if machine == "one CPU":
        os.sched_getaffinity = lambda pid: {0}
    else:
        sys.platform = machine
    with report.Drawing.beside() as drawing, pytest.raises(RuntimeError, match="calling process"):
        drawing.png(partial(_drawn_elsewhere, parent=os.getpid()), (4, 3)).result()


@pytest.mark.parametrize("machine", ["one CPU", "darwin"])
def test_no_drawing_worker_is_forked_on_one_cpu_or_off_linux(machine):
    _in_a_fresh_process(_drawn_here_on, machine)


def test_no_drawing_worker_is_forked_beside_other_threads():
    import os
    import threading

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        with report.Drawing.beside() as drawing, pytest.raises(RuntimeError, match="calling process"):
            drawing.png(partial(_drawn_elsewhere, parent=os.getpid()), (4, 3)).result()
    finally:
        release.set()
        other.join()


def test_write_plots_without_any_reach(tmp_path):
    run = make_run([])
    table = post_metrics(run)
    paths = write_plots(run, summarize(run, table), table, timeseries(run), tmp_path)
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in paths)


def _matplotlib_placed(draw, size=(7.5, 3.6)) -> bytes:
    """The PNG of ``draw`` with matplotlib's own title placement."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    draw(fig)
    report._fit(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=report.PLOT_DPI)
    return buffer.getvalue()


@pytest.mark.parametrize("foreseen", [True, False], ids=["offset text foreseen", "found after drawing"])
@pytest.mark.parametrize("values", [[1, 3], [1e7, 3e7], [100_000, 100_003]], ids=["plain", "1e7", "offset"])
def test_titles_are_placed_as_matplotlib_places_them(values, foreseen, monkeypatch):
    """Titles kept just above the axes look the same as matplotlib's own placement, also when an
    offset text ("1e7", "+1e5") at the top of a y axis makes matplotlib lift a wide title, whether
    that is foreseen before drawing or found after."""
    if not foreseen:
        monkeypatch.setattr(report, "_shows_offset_text", lambda fig: False)
    def draw(fig):
        left, right = fig.subplots(1, 2)
        left.plot([0, 1], values)
        left.set_title("A title as wide as its axes, or nearly")
        right.plot([0, 1], [2, 1])
        right.set_title("Another one")

    assert report._png_bytes(draw, (7.5, 3.6)) == _matplotlib_placed(draw)


def _shared_x(fig):
    top, bottom = fig.subplots(2, 1, sharex=True)       # the upper plot's x labels are hidden
    top.plot([0, 1], [1, 3])
    top.set_title("The upper plot's title")
    bottom.plot([0, 1], [2, 1])
    bottom.set_title("The lower plot's title")


def _labels_on_top(fig):
    axes = fig.subplots()
    axes.plot([0, 1], [1, 3])
    axes.xaxis.tick_top()                               # x labels above the axes: the title goes higher
    axes.set_title("A title over labels")


def _xlabel_on_top(fig):
    axes = fig.subplots()
    axes.plot([0, 1], [1, 3])
    axes.xaxis.set_label_position("top")
    axes.set_xlabel("an x label above")
    axes.set_title("A title over a label")


@pytest.mark.parametrize("draw, drawings", [(_shared_x, 1), (_labels_on_top, 2), (_xlabel_on_top, 2)],
                         ids=["shared x", "x labels on top", "x label on top"])
def test_x_axes_that_may_lift_a_title_are_drawn_as_matplotlib_draws_them(draw, drawings, monkeypatch):
    """A figure is drawn once when nothing of an x axis reaches above its axes (two plots sharing
    an x axis: the upper one's labels are hidden), again with matplotlib's own placement when
    something does; either way the PNG is matplotlib's."""
    from matplotlib.figure import Figure

    saved = []
    savefig = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (saved.append(1), savefig(self, *a, **k))[1])
    png = report._png_bytes(draw, (7.5, 3.6))
    assert len(saved) == drawings
    assert png == _matplotlib_placed(draw)


def test_write_tables(measured, tmp_path):
    _, summary, table, series = measured
    write_tables(summary, table, series, tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    posts = pd.read_csv(tmp_path / "posts.csv")
    assert posts["reach"].tolist() == [4, 4, 0]
    assert posts["structural_virality"].tolist() == pytest.approx([2.0, 1.8, 0.0])
    rows = pd.read_csv(tmp_path / "timeseries.csv")
    assert rows["followers"].tolist() == [3, 3, 3, 3, 4, 3]


def test_importing_report_does_not_import_matplotlib():
    code = "import sys, sim.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- `sharesim report` trusts nothing it cannot verify

@pytest.fixture(scope="module")
def intact(tmp_path_factory):
    """A small run folder as `sharesim run` writes it."""
    from conftest import small_scenario

    from sim.runs import simulate, write_run_folder

    folder = tmp_path_factory.mktemp("intact") / "run"
    write_run_folder(simulate(small_scenario(population={"size": 300}, duration_days=1)), folder)
    return folder


@pytest.fixture
def copy_of(intact, tmp_path):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(intact, folder)
    return folder


def refused(folder, capsys, *names) -> str:
    """`sharesim report` exits 2 with one line naming the file, and summary.json is untouched."""
    from sim.cli import main

    before = (folder / "summary.json").read_bytes()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert all(name in err for name in names), err
    assert (folder / "summary.json").read_bytes() == before
    assert not any(".partial-" in p.name for p in folder.iterdir())
    return err


def test_run_json_records_the_size_and_checksum_of_the_report_sources(intact):
    import hashlib

    files = json.loads((intact / "run.json").read_text())["files"]
    assert {"events.csv", "people.csv", "posts_published.csv", "scenario.yaml", "network.npz"} <= set(files)
    for name, recorded in files.items():
        data = (intact / name).read_bytes()
        assert recorded["bytes"] == len(data) and recorded["sha256"] == hashlib.sha256(data).hexdigest()


def test_an_intact_folder_is_rebuilt_to_the_same_summary(copy_of, capsys):
    from sim.cli import main

    before = json.loads((copy_of / "summary.json").read_text())
    assert main(["report", str(copy_of)]) == 0
    assert json.loads((copy_of / "summary.json").read_text()) == before


def test_a_truncated_event_log_is_refused(copy_of, capsys):
    events = copy_of / "events.csv"
    data = events.read_bytes()
    events.write_bytes(data[: len(data) * 3 // 4])
    err = refused(copy_of, capsys, "events.csv")
    assert "bytes" in err and "truncated" in err


def test_a_log_changed_in_place_is_refused(copy_of, capsys):
    events = copy_of / "events.csv"
    lines = events.read_text().splitlines(keepends=True)
    lines[1], lines[-1] = lines[-1], lines[1]                  # same size, other content
    events.write_text("".join(lines))
    assert "changed since the run" in refused(copy_of, capsys, "events.csv")


def test_a_folder_without_checksums_gets_a_clear_message(copy_of, capsys):
    meta = json.loads((copy_of / "run.json").read_text())
    del meta["files"]
    (copy_of / "run.json").write_text(json.dumps(meta))
    assert "records no checksums" in refused(copy_of, capsys, str(copy_of))


def rerecorded(folder):
    """As if whoever damaged the folder also rewrote run.json's checksums."""
    from sim.rundir import record_files

    record_files(folder)


def test_ids_that_do_not_fit_the_people_are_refused(copy_of, capsys):
    events = pd.read_csv(copy_of / "events.csv")
    events.loc[0, "person"] = 99999
    events.to_csv(copy_of / "events.csv", index=False)
    rerecorded(copy_of)
    assert "ids do not fit together" in refused(copy_of, capsys, "events.csv", "person")


@pytest.mark.parametrize("recorded", [False, True], ids=["checksum", "rerecorded"])
def test_a_garbage_scenario_is_refused(copy_of, capsys, recorded):
    (copy_of / "scenario.yaml").write_text("name: [unclosed\n  - : :")
    if recorded:
        rerecorded(copy_of)
    refused(copy_of, capsys, "scenario.yaml")


def test_a_scenario_that_is_not_a_mapping_is_refused(copy_of, capsys):
    (copy_of / "scenario.yaml").write_text("- just\n- a list\n")
    rerecorded(copy_of)
    assert "not a scenario" in refused(copy_of, capsys, "scenario.yaml")


@pytest.mark.parametrize("recorded", [False, True], ids=["checksum", "rerecorded"])
def test_a_garbage_network_is_refused(copy_of, capsys, recorded):
    (copy_of / "network.npz").write_bytes(b"PK\x03\x04 not really a zip" * 20)
    if recorded:
        rerecorded(copy_of)
    refused(copy_of, capsys, "network.npz")


def test_a_zip_bomb_network_is_refused_before_it_is_unpacked(copy_of, capsys, monkeypatch):
    import zipfile

    import numpy as np

    with zipfile.ZipFile(copy_of / "network.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("indptr.npy", b"\0" * (20 << 20))     # 20 MB of zeros, a few kB packed
        archive.writestr("indices.npy", b"\0" * 16)
    assert (copy_of / "network.npz").stat().st_size < 100_000
    rerecorded(copy_of)

    def never(*args, **kwargs):
        raise AssertionError("np.load must not open a zip bomb")
    monkeypatch.setattr(np, "load", never)
    assert "would unpack" in refused(copy_of, capsys, "network.npz")


def test_the_network_is_loaded_without_pickles(copy_of, capsys):
    import zipfile

    import numpy as np

    arrays = {"indptr": np.array([0, 1], dtype=object), "indices": np.array([0], dtype=np.int32)}
    np.savez(copy_of / "network.npz", **arrays)
    with zipfile.ZipFile(copy_of / "network.npz") as archive:
        assert {i.filename for i in archive.infolist()} == {"indptr.npy", "indices.npy"}
    rerecorded(copy_of)
    assert "cannot be read as a network" in refused(copy_of, capsys, "network.npz")


def test_a_run_with_its_progress_bar_leaves_no_thread_behind():
    """A thread left running (tqdm's monitor) would keep writing the folder from forking its
    drawing worker (:meth:`sim.report.Drawing.beside`)."""
    import threading

    from sim.runs import simulate
    from sim.scenario import scenario_from_dict

    before = set(threading.enumerate())
    simulate(scenario_from_dict({"name": "bar", "duration_days": 1, "population": {"size": 300}}), progress=True)
    assert set(threading.enumerate()) <= before
