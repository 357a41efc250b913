"""Hostile input: infinities, huge numbers, alias bombs, odd files. Each is refused quickly with one line."""

from __future__ import annotations

import contextlib
import io
import math
import os
import subprocess
import sys
import time
import typing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim import cli
from sim.edgelist import read_edge_list
from sim.errors import InputError
from sim.scenario import Scenario, quoted, scenario_from_dict

BASE = {"name": "hostile", "duration_days": 1, "population": {"size": 100}, "brands": [{"name": "Acme"}]}


def run_cli(*args) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = cli.main([str(a) for a in args])
    return status, err.getvalue()


def one_line_refusal(status: int, err: str) -> str:
    assert status == 2, err
    assert err.startswith("sharesim: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def _numeric_fields(model: type[BaseModel], prefix: str = ""):
    """Every number in the schema as (dotted path, 'int' or 'float'), found by walking the models."""
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        yield from _numbers_in(field.annotation, path)


def _numbers_in(annotation, path):
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation in (int, float):
        yield path, annotation.__name__
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from _numeric_fields(annotation, path + ".")
    elif origin is typing.Annotated:
        yield from _numbers_in(args[0], path)
    elif origin in (list, tuple):
        yield from _numbers_in(args[0], path + ".0")
    elif origin is dict:
        key = typing.get_args(args[0])[0] if typing.get_origin(args[0]) is typing.Literal else None
        if key is not None:
            yield from _numbers_in(args[1], f"{path}.{key}")
    elif args:                                      # unions, Optional
        seen = set()
        for arg in args:
            for found in _numbers_in(arg, path):
                if found[0] not in seen:
                    seen.add(found[0])
                    yield found


NUMERIC = sorted(set(_numeric_fields(Scenario)))


def test_the_walk_finds_the_schema_numbers():
    paths = {p for p, _ in NUMERIC}
    assert {"duration_days", "network.mean_degree", "brands.0.campaign.posts_per_day",
            "brands.0.campaign.content.0.weight", "population.background_items_per_hour",
            "motivations.altruist.responds_to.useful", "brands.0.campaign.seeding.share_boost",
            "population.active_hours.0", "brands.0.campaign.schedule.0.day"} <= paths


def _with(data: dict, path: str, value) -> dict:
    import copy
    data = copy.deepcopy(data)
    keys = path.split(".")
    target = data
    for key in keys[:-1]:
        if isinstance(target, list):
            target = target[int(key)]
        else:
            default = [{}] if key in ("content", "schedule", "brands") else {}
            target = target.setdefault(key, default)
    target[int(keys[-1]) if isinstance(target, list) else keys[-1]] = value
    if path.startswith("brands.0.campaign.schedule"):
        data["brands"][0]["campaign"]["schedule"][0].setdefault("kind", "post")
        data["brands"][0]["campaign"]["schedule"][0].setdefault("day", 1)
        data["brands"][0]["campaign"]["schedule"][0].setdefault("hour", 9)
    return data


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(NUMERIC), st.sampled_from([math.inf, -math.inf, math.nan, 1e300, -1e300, 10**30, 2**64]))
def test_every_number_is_finite_and_bounded(field, value):
    path, _ = field
    pair = path.startswith(("population.active_hours", "brands.0.campaign.posting_window"))
    data = _pair(BASE, path, value) if pair else _with(BASE, path, value)
    started = time.perf_counter()
    with pytest.raises(InputError) as refused:
        scenario_from_dict(data)
    assert time.perf_counter() - started < 2
    message = str(refused.value)
    assert path.split(".")[-1] in message or path.rsplit(".", 1)[0].split(".")[-1] in message, (path, message)
    assert len(message) < 400


def _pair(data, path, value):
    parent, index = path.rsplit(".", 1)
    pair = [9.0, 12.0]
    pair[int(index)] = value
    return _with(data, parent, pair)


def test_quoted_values_are_short_even_for_self_repeating_data():
    shared = ["lol"] * 10
    for _ in range(9):
        shared = [shared] * 10                     # 10^10 leaves, built in a moment
    started = time.perf_counter()
    text = quoted(shared)
    assert time.perf_counter() - started < 0.1 and len(text) <= 60 and text.endswith("...")
    assert quoted(10**5000).startswith("<a whole number")
    assert quoted("short") == "'short'"


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    lines = ["name: bomb", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    lines += ["description: *a9"]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(bomb),
                           "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=20, cwd=Path(__file__).parent.parent)
    assert time.perf_counter() - started < 15
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{bomb}:3: YAML aliases (*a0) are not allowed" in done.stderr
    assert not (tmp_path / "run").exists()


def test_a_scenario_file_above_10_mb_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("w") as file:
        file.write("name: big\ndescription: '")
        file.write("x" * (11 * 2**20))
        file.write("'\n")
    started = time.perf_counter()
    err = one_line_refusal(*run_cli("run", big, "--out", tmp_path / "run"))
    assert "at most 10.0 MB" in err and time.perf_counter() - started < 3


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_a_scenario_that_is_not_a_file(tmp_path, kind):
    path = {"folder": tmp_path / "dir.yaml", "fifo": tmp_path / "pipe.yaml", "device": Path("/dev/zero")}[kind]
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    err = one_line_refusal(*run_cli("run", path, "--out", tmp_path / "run"))
    assert ("is a folder, not a scenario file" if kind == "folder" else "is not a regular file") in err


def test_a_long_name_is_refused_before_the_run(tmp_path):
    scenario = tmp_path / "long.yaml"
    scenario.write_text(f"name: {'n' * 300}\n")
    err = one_line_refusal(*run_cli("run", scenario))
    assert "name: a name has at most 64 characters (this one has 300)" in err
    assert len(err) < 250                           # the name is quoted, not repeated in full


def test_a_name_with_a_space_gets_the_rule_not_a_regex(tmp_path):
    scenario = tmp_path / "space.yaml"
    scenario.write_text("name: my run\n")
    err = one_line_refusal(*run_cli("run", scenario))
    assert "letters, digits, '_', '-', '.'; no spaces" in err and "^[" not in err


def test_forty_thousand_brands_are_refused_without_overflow(tmp_path):
    scenario = tmp_path / "brands.yaml"
    scenario.write_text("name: many\nbrands:\n" + "".join(f"  - {{name: b{i}}}\n" for i in range(40_000)))
    err = one_line_refusal(*run_cli("run", scenario, "--out", tmp_path / "run"))
    assert "brands: List should have at most 1000 items" in err


def test_the_largest_brand_count_fits_the_brand_id():
    import numpy as np

    from sim.content import BRAND_ID
    from sim.scenario import MAX_BRANDS
    assert MAX_BRANDS <= np.iinfo(BRAND_ID).max


@pytest.mark.parametrize("change, field", [
    ({"population": {"size": 2_000_000_000}}, "population.size"),
    ({"population": {"size": 1_000_000}, "brands": [{"name": "A", "followers": 1.0,
                                                       "campaign": {"posts_per_day": 1000}}],
      "duration_days": 365}, "brands.0.campaign.posts_per_day"),
    ({"population": {"size": 50_000}, "brands": [{"name": f"b{i}"} for i in range(1000)],
      "duration_days": 3650, "tick_hours": 0.5}, "tick_hours"),
    ({"duration_days": 3650, "tick_hours": 0.25}, "tick_hours"),
    ({"brands": [{"name": "A", "campaign": {"posts_per_day": 1000}}], "duration_days": 3650}, "posts_per_day"),
    ({"network": {"generator": "stochastic_block", "communities": 1000}, "population": {"size": 500}},
     "network.communities"),
    ({"population": {"size": 50}, "network": {"mean_degree": 60}}, "network.mean_degree"),
    ({"population": {"size": 50}, "brands": [{"name": "A", "campaign": {"seeding": {"random": 51}}}]},
     "seeding"),
])
def test_a_costly_scenario_is_refused_before_allocating(tmp_path, change, field):
    import yaml
    scenario = tmp_path / "costly.yaml"
    scenario.write_text(yaml.safe_dump({"name": "costly", **change}))
    started = time.perf_counter()
    err = one_line_refusal(*run_cli("run", scenario, "--out", tmp_path / "run"))
    assert time.perf_counter() - started < 5
    assert field in err
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------
# Edge lists

def edge_list_scenario(tmp_path, graph: Path) -> Path:
    scenario = tmp_path / "graph.yaml"
    scenario.write_text(f"name: graph\nduration_days: 1\nnetwork: {{generator: edge_list, path: '{graph}'}}\n")
    return scenario


@pytest.mark.parametrize("kind, says", [("folder", "is a folder, not an edge-list file"),
                                        ("fifo", "is not a regular file"), ("device", "is not a regular file")])
def test_an_edge_list_that_is_not_a_file(tmp_path, kind, says):
    graph = {"folder": tmp_path / "graph", "fifo": tmp_path / "pipe", "device": Path("/dev/zero")}[kind]
    if kind == "folder":
        graph.mkdir()
    elif kind == "fifo":
        os.mkfifo(graph)
    started = time.perf_counter()
    err = one_line_refusal(*run_cli("run", edge_list_scenario(tmp_path, graph), "--out", tmp_path / "run"))
    assert "network.path" in err and says in err and "not found" not in err
    assert time.perf_counter() - started < 5
    with pytest.raises(InputError, match=says):
        read_edge_list(graph)


@pytest.mark.parametrize("text", ["7\n", "7 7\n", "# nothing but\n5 5\n5\n"])
def test_a_graph_of_one_person_is_refused(tmp_path, text):
    graph = tmp_path / "one.txt"
    graph.write_text(text)
    err = one_line_refusal(*run_cli("run", edge_list_scenario(tmp_path, graph), "--out", tmp_path / "run"))
    assert str(graph) in err and "at least 2 people" in err


def test_64_bit_ids_keep_their_order(tmp_path):
    graph = tmp_path / "big_ids.txt"
    graph.write_text(f"{2**63 + 5} {2**64 - 1}\n{2**64 - 1} 3\n-{2**63} 3\n")
    matrix = read_edge_list(graph)
    assert matrix.shape == (4, 4)
    rows, cols = matrix.nonzero()
    # sorted: -2^63 -> 0, 3 -> 1, 2^63+5 -> 2, 2^64-1 -> 3
    assert set(zip(rows.tolist(), cols.tolist())) == {(2, 3), (3, 2), (3, 1), (1, 3), (0, 1), (1, 0)}
    status, err = run_cli("run", edge_list_scenario(tmp_path, graph), "--out", tmp_path / "run", "--quiet")
    assert status == 0, err


@pytest.mark.parametrize("bad", [str(2**64), str(-2**63 - 1), "9" * 5000])
def test_an_id_beyond_64_bits_names_its_line(tmp_path, bad):
    graph = tmp_path / "huge_ids.txt"
    graph.write_text(f"1 2\n2 3\n3 {bad}\n")
    err = one_line_refusal(*run_cli("run", edge_list_scenario(tmp_path, graph), "--out", tmp_path / "run"))
    assert f"{graph}:3: node id" in err and "64 bits" in err and len(err) < 300


def test_a_non_ascii_digit_is_not_a_number(tmp_path):
    graph = tmp_path / "digits.txt"
    graph.write_text("1 2\n2 ²\n")
    err = one_line_refusal(*run_cli("run", edge_list_scenario(tmp_path, graph), "--out", tmp_path / "run"))
    assert f"{graph}:2:" in err and "not a whole number" in err


@pytest.mark.parametrize("path", [p for p, _ in NUMERIC])
@pytest.mark.parametrize("value", [math.inf, math.nan])
def test_no_number_takes_inf_or_nan(path, value):
    pair = path.startswith(("population.active_hours", "brands.0.campaign.posting_window"))
    with pytest.raises(InputError, match=r"finite|must lie|fraction"):
        scenario_from_dict(_pair(BASE, path, value) if pair else _with(BASE, path, value))
