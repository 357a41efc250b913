"""Nothing a user types as --out / --force can destroy their files or cost a whole run.

Every test that could delete something real makes ``shutil.rmtree`` refuse
to run, so a wrong answer fails the test instead of deleting the folder.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim import experiment, rundir, runs
from sim.cli import main
from tests.conftest import SMALL

TINY = copy.deepcopy(SMALL) | {"name": "tiny", "duration_days": 1, "population": {"size": 200}}


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


@pytest.fixture
def strategies(tmp_path):
    path = tmp_path / "trial.yaml"
    path.write_text(yaml.safe_dump({"name": "trial", "base": TINY, "baseline": "one", "strategies": {
        "one": {"brands.0.campaign.posts_per_day": 1}, "two": {"brands.0.campaign.posts_per_day": 2}}}))
    return path


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a simulation or a deletion starts."""
    def refuse(*args, **kwargs):
        raise AssertionError("this must not run")
    monkeypatch.setattr(runs, "simulate", refuse)
    monkeypatch.setattr(experiment, "run_replication", refuse)
    monkeypatch.setattr(shutil, "rmtree", refuse)
    import sim.model
    monkeypatch.setattr(sim.model, "SharingModel", refuse)


def command(kind, source, out, *extra):
    if kind == "run":
        return ["run", str(source), "--out", str(out), "--quiet", *extra]
    if kind == "lesson":
        return ["lesson", "1", "--out", str(out), "--quiet", *extra]
    if kind == "sweep":
        extra = ("--set", "brands.0.campaign.posts_per_day=1,2", *extra)
    return [kind, str(source), "-r", "2", "--out", str(out), "--quiet", *extra]


def source_for(kind, scenario, strategies):
    return strategies if kind == "compare" else scenario


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def mark(folder, kind="run"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / rundir.MARKER).write_text(json.dumps({"tool": "sharesim", "kind": kind, "version": "0"}))


# ---------------------------------------------------------------- never the root, home or current folder

@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_the_root_folder_is_refused_even_with_force(kind, scenario, strategies, no_work, capsys):
    assert main(command(kind, source_for(kind, scenario, strategies), "/", "--force")) == 2
    assert "root folder" in one_line(capsys)


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_the_home_folder_is_refused_even_when_marked(kind, scenario, strategies, tmp_path, monkeypatch,
                                                     no_work, capsys):
    home = tmp_path / "home"
    mark(home, "comparison" if kind != "run" else "run")        # even a marker does not make home replaceable
    (home / "thesis.tex").write_text("years of work")
    monkeypatch.setenv("HOME", str(home))
    assert main(command(kind, source_for(kind, scenario, strategies), home, "--force")) == 2
    assert "home folder" in one_line(capsys)
    assert (home / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
@pytest.mark.parametrize("out, why", [(".", "the current folder"), ("..", "holds the current folder")])
def test_the_current_folder_and_its_parents_are_refused(kind, out, why, scenario, strategies, tmp_path,
                                                        monkeypatch, no_work, capsys):
    work = tmp_path / "work" / "here"
    mark(work, "comparison" if kind != "run" else "run")
    mark(work.parent, "comparison" if kind != "run" else "run")
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    assert main(command(kind, source_for(kind, scenario, strategies), out, "--force")) == 2
    assert why in one_line(capsys)
    assert (work / "notes.txt").read_text() == "mine"


# ---------------------------------------------------------------- a folder of the user's own files

@pytest.mark.parametrize("kind", ["run", "compare", "lesson"])
def test_force_never_replaces_a_folder_of_the_users_files(kind, scenario, strategies, tmp_path, no_work, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    extra = [] if kind == "lesson" else ["--force"]
    assert main(command(kind, source_for(kind, scenario, strategies), mine, *extra)) == 2
    err = one_line(capsys)
    assert str(mine) in err and "own files" in err
    assert [p.name for p in mine.iterdir()] == ["keep.txt"] and (mine / "keep.txt").read_text() == "mine"


def test_a_sharesim_folder_of_another_kind_is_not_replaced(scenario, tmp_path, no_work, capsys):
    other = tmp_path / "comparison"
    mark(other, "comparison")
    assert main(command("run", scenario, other, "--force")) == 2
    assert "holds a sharesim comparison, not a run" in one_line(capsys)


# ---------------------------------------------------------------- a bad --out costs nothing

@pytest.mark.parametrize("kind,place", [(kind, place) for kind in ("run", "compare", "sweep", "lesson")
                                        for place in ("file", "under a file", "exists")
                                        if (kind, place) != ("lesson", "exists")])   # a lesson replaces its own folder
def test_a_bad_out_is_refused_before_any_simulation(kind, place, scenario, strategies, tmp_path, no_work, capsys):
    blocker = tmp_path / "blocker.txt"
    blocker.write_text("a file")
    out = {"file": blocker, "under a file": blocker / "sub", "exists": tmp_path / "taken"}[place]
    if place == "exists":
        mark(out, "run")
    assert main(command(kind, source_for(kind, scenario, strategies), out)) == 2
    err = one_line(capsys)
    assert str(out) in err
    expected = {"file": "is a file", "under a file": "is a file, not a folder", "exists": "already exists"}[place]
    assert expected in err
    assert blocker.read_text() == "a file"


def test_a_read_only_parent_is_refused_before_the_run(scenario, tmp_path, no_work, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # Root may write anywhere, so the test asks the operating system's answer
    # for a user who may not: os.access says no for the locked folder.
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == locked
                        else real_access(path, mode, **kw))
    try:
        assert main(command("run", scenario, locked / "run")) == 2
        assert "not writable" in one_line(capsys)
    finally:
        locked.chmod(0o700)


def test_the_default_outputs_folder_is_checked_before_the_run(scenario, tmp_path, monkeypatch, no_work, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outputs").write_text("a file where outputs/ would go")
    assert main(["run", str(scenario), "--quiet"]) == 2
    assert "is a file, not a folder" in one_line(capsys)


# ---------------------------------------------------------------- --force on sharesim's own folder

def test_force_replaces_a_run_folder_sharesim_wrote(scenario, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(command("run", scenario, out)) == 0
    assert json.loads((out / rundir.MARKER).read_text())["kind"] == "run"
    (out / "summary.json").write_text("old")
    assert main(command("run", scenario, out)) == 2                       # not without --force
    assert (out / "summary.json").read_text() == "old"
    assert main(command("run", scenario, out, "--force")) == 0
    assert json.loads((out / "summary.json").read_text())["scenario"] == "tiny"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_force_replaces_a_comparison_folder_sharesim_wrote(strategies, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(command("compare", strategies, out)) == 0
    (out / "stale.txt").write_text("from the old comparison")
    assert main(command("compare", strategies, out, "--force")) == 0
    assert not (out / "stale.txt").exists() and (out / "comparison.csv").is_file()


def test_a_failed_comparison_removes_only_the_folder_it_created(strategies, tmp_path, monkeypatch, capsys):
    from sim.errors import InputError

    def fails(task):
        raise InputError("cannot draw the seeding")
    monkeypatch.setattr(experiment, "run_replication", fails)
    new = tmp_path / "new"
    assert main(command("compare", strategies, new)) == 2
    assert not new.exists()
    kept = tmp_path / "kept"
    assert main(command("compare", strategies, kept)) == 2
    mark(kept, "comparison")
    (kept / "replications").mkdir()
    (kept / "replications" / "000-0000.json").write_text("{}")
    assert main(command("compare", strategies, kept, "--resume")) == 2    # resumed: not ours to remove
    assert (kept / "replications" / "000-0000.json").exists()


# ---------------------------------------------------------------- partial folders of killed runs

def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_runs_partial_folder_is_removed_by_the_next_run(scenario, tmp_path, capsys):
    parent = tmp_path / "runs"
    stale = parent / f".run.partial-{dead_pid()}"
    mark(stale)
    (stale / "events.csv").write_text("half a log")
    foreign = parent / f".mine.partial-{dead_pid()}"        # looks like one, but has no marker: not ours
    foreign.mkdir()
    living = parent / f".other.partial-{os.getpid()}"         # a run still going: left alone
    mark(living)
    assert main(command("run", scenario, parent / "new")) == 0
    err = capsys.readouterr().err
    assert not stale.exists() and foreign.exists() and living.exists()
    assert "removed 1 unfinished folder" in err and stale.name in err
    assert (parent / "new" / "summary.json").is_file()


def test_a_sigkilled_run_leaves_a_partial_folder_that_the_next_run_cleans(scenario, tmp_path):
    parent = tmp_path / "runs"
    parent.mkdir()
    # Start writing a folder, then kill the writer while its partial folder exists.
    writer = ("import os, sys, time; from sim.rundir import staged_folder\n"
              "with staged_folder(sys.argv[1], kind='run') as s:\n"
              "    (s.path / 'events.csv').write_text('x'); print('ready', flush=True); time.sleep(60)\n")
    process = subprocess.Popen([sys.executable, "-c", writer, str(parent / "killed")], stdout=subprocess.PIPE,
                               text=True, cwd=os.getcwd())
    assert process.stdout.readline().strip() == "ready"
    partial = parent / f".killed.partial-{process.pid}"
    assert (partial / rundir.MARKER).is_file()
    process.kill()
    process.wait()
    assert partial.exists()                                  # SIGKILL gives no chance to clean up
    done = subprocess.run([sys.executable, "-m", "sim", *command("run", scenario, parent / "next")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert not partial.exists() and "removed 1 unfinished folder" in done.stderr


# ---------------------------------------------------------------- animate

def test_animate_refuses_an_existing_gif_or_frame_without_force(scenario, tmp_path, no_work, capsys):
    gif = tmp_path / "cascade.gif"
    gif.write_bytes(b"GIF89a mine")
    assert main(["animate", str(scenario), "--out", str(gif)]) == 2
    err = one_line(capsys)
    assert str(gif) in err and "--force" in err
    assert gif.read_bytes() == b"GIF89a mine"
    png = tmp_path / "frame.png"
    png.write_bytes(b"png mine")
    assert main(["animate", str(scenario), "--out", str(tmp_path / "new.gif"), "--frame", str(png)]) == 2
    assert "--frame" in one_line(capsys) and png.read_bytes() == b"png mine"
    assert main(["animate", str(scenario), "--out", str(tmp_path)]) == 2          # a folder, not a .gif
    one_line(capsys)
    assert main(["animate", str(scenario), "--out", str(gif / "x.gif")]) == 2
    assert "is a file, not a folder" in one_line(capsys)


def test_animate_with_force_gets_past_the_check(scenario, tmp_path, monkeypatch, capsys):
    import sim.model
    from sim.errors import InputError

    def reached(*args, **kwargs):
        raise InputError("reached the model")
    monkeypatch.setattr(sim.model, "SharingModel", reached)
    gif = tmp_path / "cascade.gif"
    gif.write_bytes(b"GIF89a old")
    assert main(["animate", str(scenario), "--out", str(gif), "--force"]) == 2
    assert "reached the model" in capsys.readouterr().err
    folder_gif = tmp_path / "dir.gif"
    folder_gif.mkdir()
    assert main(["animate", str(scenario), "--out", str(folder_gif), "--force"]) == 2
    assert "is a folder" in capsys.readouterr().err


# ---------------------------------------------------------------- the writers themselves

def test_write_atomically_leaves_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "summary.json"
    rundir.write_atomically(path, "old")
    with pytest.raises(TypeError):
        rundir.write_atomically(path, 42)                  # not text or bytes
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.json"]
    rundir.write_atomically(path, b"new")
    assert path.read_bytes() == b"new"


def test_a_failing_staged_folder_leaves_nothing_and_the_old_folder_as_it_was(tmp_path):
    old = tmp_path / "run"
    mark(old)
    (old / "summary.json").write_text("old")
    with pytest.raises(RuntimeError), rundir.staged_folder(old, kind="run", force=True) as staging:
        (staging.path / "summary.json").write_text("new")
        raise RuntimeError("disk full")
    assert (old / "summary.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
