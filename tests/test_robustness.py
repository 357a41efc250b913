"""Bad input, interruptions and concurrent runs: never a traceback, never a half-written run."""

from __future__ import annotations

import contextlib
import io
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import cli, report
from sim.scenario import with_overrides

BASE = {"name": "prop", "seed": 1, "duration_days": 1,
        "population": {"size": 150}, "brands": [{"name": "Acme", "followers": 0.2}]}


def run_cli(*args) -> tuple[int, str]:
    """Run the CLI in this process; returns (exit status, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = cli.main([str(a) for a in args])
    return status, err.getvalue()


def with_value(path: str, value) -> dict:
    """BASE with one dotted path set to ``value``."""
    return with_overrides(BASE, {path: value})


VALID = {
    "seed": st.integers(0, 2**31),
    "duration_days": st.sampled_from([0.5, 1, 2]),
    "tick_hours": st.sampled_from([0.5, 1, 2, 3, 6]),
    "population.size": st.integers(60, 300),
    "population.motivations": st.one_of(st.just("study"), st.dictionaries(
        st.sampled_from(["altruist", "selective", "passionate", "social", "trendsetter", "provocateur",
                         "careerist"]), st.floats(0.05, 1.0), min_size=1)),
    "population.attention_span": st.integers(1, 50),
    "population.background_items_per_hour": st.floats(0, 100),
    "population.sessions_per_day": st.floats(0.5, 12),
    "network.generator": st.sampled_from(["barabasi_albert", "watts_strogatz", "powerlaw_cluster",
                                          "stochastic_block"]),
    "network.mean_degree": st.floats(2, 12),
    "brands.0.followers": st.one_of(st.floats(0, 1), st.integers(0, 50), st.just("lab42")),
    "brands.0.campaign.posts_per_day": st.floats(0, 12),
    "brands.0.campaign.seeding": st.fixed_dictionaries({"influencers": st.integers(0, 5),
                                                        "random": st.integers(0, 5)}),
}

BROKEN = {  # path -> values that must be refused there
    "seed": st.one_of(st.integers(max_value=-1), st.text(min_size=1).filter(lambda s: not s.strip().isdigit())),
    "duration_days": st.one_of(st.floats(max_value=0), st.just("long")),
    "tick_hours": st.sampled_from([0, -1, 5, 7, 48, "hourly"]),
    "population.size": st.one_of(st.integers(max_value=1), st.just("many"), st.just([1, 2])),
    "population.motivations": st.one_of(st.just("studies"), st.dictionaries(
        st.sampled_from(["altruist", "selective"]), st.floats(1.01, 10), min_size=1),
        st.dictionaries(st.sampled_from(["altruists", "hipster"]), st.floats(0, 1), min_size=1)),
    "population.attention_span": st.one_of(st.integers(max_value=0), st.just(2.5)),
    "network.generator": st.text(min_size=1).filter(lambda s: s not in (
        "barabasi_albert", "watts_strogatz", "powerlaw_cluster", "stochastic_block", "edge_list")),
    "brands.0.followers": st.one_of(st.floats(1.001, 100), st.integers(max_value=-1), st.just("lots")),
    "brands.0.campaign.posts_per_day": st.one_of(st.floats(max_value=-0.01), st.just("often")),
    "brands.0.campaign.content": st.just([{"kind": "tip", "qualities": {"usefull": 0.5}}]),
    "brands.0.typo": st.integers(),
    "populaton": st.just({"size": 10}),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(VALID)), min_size=1, max_size=4, unique=True).flatmap(
    lambda paths: st.tuples(*[st.tuples(st.just(p), VALID[p]) for p in paths])))
def test_valid_scenarios_run(changes):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    for path, value in changes:
        data = _set(data, path, value)
    with tempfile.TemporaryDirectory() as folder:
        scenario = Path(folder) / "s.yaml"
        scenario.write_text(yaml.safe_dump(data))
        status, err = run_cli("run", scenario, "--out", Path(folder) / "run", "--quiet")
        assert status == 0, err
        assert (Path(folder) / "run" / "summary.json").is_file()


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(sorted(BROKEN)).flatmap(lambda p: st.tuples(st.just(p), BROKEN[p])))
def test_broken_scenarios_get_one_clear_message(change):
    path, value = change
    data = with_value(path, value)
    with tempfile.TemporaryDirectory() as folder:
        scenario = Path(folder) / "s.yaml"
        scenario.write_text(yaml.safe_dump(data))
        status, err = run_cli("run", scenario, "--out", Path(folder) / "run", "--quiet")
        assert status == 2
        assert str(scenario) in err
        field = path.split(".")[-1] if path != "brands.0.campaign.content" else "usefull"
        assert field in err, err
        assert "Traceback" not in err
        assert not (Path(folder) / "run").exists()


def _set(data, path, value):
    keys = path.split(".")
    target = data
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
    target[keys[-1]] = value
    return data


def test_a_population_that_cannot_fit_is_refused_before_allocating(tmp_path):
    scenario = tmp_path / "huge.yaml"
    scenario.write_text("name: huge\npopulation: {size: 2000000000}\n")
    started = time.perf_counter()
    status, err = run_cli("run", scenario, "--out", tmp_path / "run")
    assert status == 2 and "population.size" in err and "memory" in err and "TB" in err
    assert time.perf_counter() - started < 5
    assert not (tmp_path / "run").exists()


def test_yaml_is_read_safely(tmp_path):
    marker = tmp_path / "pwned"
    scenario = tmp_path / "evil.yaml"
    scenario.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    status, err = run_cli("run", scenario, "--out", tmp_path / "run")
    assert status == 2 and "not valid YAML" in err
    assert not marker.exists()


def test_a_scenario_name_cannot_escape_the_output_folder(tmp_path):
    scenario = tmp_path / "escape.yaml"
    scenario.write_text("name: ../../escape\n")
    status, err = run_cli("run", scenario)
    assert status == 2 and "name" in err


def interrupted(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("part", ["write_tables", "_draw_cascade_sizes"], ids=["writing-tables", "drawing"])
def test_failure_while_writing_leaves_no_folder(tmp_path, monkeypatch, part):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(BASE))
    monkeypatch.setattr(report, part, interrupted)
    status, err = run_cli("run", scenario, "--out", tmp_path / "run")
    assert status == 130 and "interrupted" in err
    assert list(tmp_path.iterdir()) == [scenario]        # no folder, not even a hidden partial one


LONG = {"name": "long", "duration_days": 365, "population": {"size": 120000},   # ten seconds or more: still running
        "brands": [{"name": "Acme", "followers": 0.3, "campaign": {"posts_per_day": 8}}]}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_a_run_leaves_nothing_that_looks_complete(tmp_path, sig):
    scenario = tmp_path / "long.yaml"
    scenario.write_text(yaml.safe_dump(LONG))
    process = subprocess.Popen([sys.executable, "-m", "sim", "run", str(scenario)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    assert process.poll() is None, "the run should still be going"
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    outputs = tmp_path / "outputs"
    assert not outputs.exists() or not any(p.name == "summary.json" for p in outputs.rglob("*"))
    assert not outputs.exists() or not any(outputs.rglob("*.partial-*"))


def test_two_runs_at_once_write_to_different_folders(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(BASE))
    runs = [subprocess.Popen([sys.executable, "-m", "sim", "run", str(scenario), "--quiet"], cwd=tmp_path,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in runs:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    folders = sorted((tmp_path / "outputs" / "prop").iterdir())
    assert len(folders) == 2
    for folder in folders:
        assert (folder / "summary.json").is_file()
    assert (folders[0] / "events.csv").read_text() == (folders[1] / "events.csv").read_text()


def test_an_interrupt_inside_a_compiled_loop_is_an_interruption(monkeypatch, capsys):
    """A signal handled while numba runs its own Python helpers reaches us as a chain of SystemErrors
    whose first cause is the KeyboardInterrupt: the command line treats it as Ctrl-C; other
    SystemErrors are bugs and propagate."""
    import sim.cli as cli

    def interrupted_in_a_kernel(args):
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as interrupt:
                raise SystemError("returned a result with an exception set") from interrupt
        except SystemError as inner:
            raise SystemError("returned a result with an exception set") from inner

    def broken(args):
        raise SystemError("a real bug")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    for action in parser._subparsers._group_actions[0].choices.values():
        action.set_defaults(command=interrupted_in_a_kernel)
    assert cli.main(["run", "x.yaml"]) == 130
    assert "interrupted" in capsys.readouterr().err
    for action in parser._subparsers._group_actions[0].choices.values():
        action.set_defaults(command=broken)
    with pytest.raises(SystemError, match="a real bug"):
        cli.main(["run", "x.yaml"])
