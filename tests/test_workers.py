"""Workers and schedulers that cannot outlive, hang or crash the tool: worker
processes die with a killed parent, a silent or empty or lost Dask scheduler
is one line and exit 2 within a bounded time, --workers and -r are bounded.

Every test bounds its own time (subprocess timeouts, deadlines), so none can
hang the suite.
"""

from __future__ import annotations

import copy
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import CancelledError

import psutil  # a dependency of dask.distributed
import pytest
import yaml

import sim.experiment as experiment
from sim.errors import InputError
from sim.experiment import (
    CONNECT_TIMEOUT,
    MAX_REPLICATIONS,
    LostWorkers,
    load_strategies,
    run_replications,
    scheduler_location,
    worker_count,
)
from tests.conftest import ROOT, SMALL

QUICK = copy.deepcopy(SMALL) | {"duration_days": 1, "population": {"size": 300}}
SLOW = copy.deepcopy(SMALL) | {"duration_days": 6, "population": {"size": 2000}}
BUSY = copy.deepcopy(SMALL) | {"duration_days": 180, "population": {"size": 200000}}
"""QUICK replications take well under a second, SLOW ones a few seconds, BUSY
ones far longer than a test waits."""

BOUND = CONNECT_TIMEOUT + 20
"""Seconds a failing command may take: the connect timeout and a slow interpreter start."""


def strategies_file(tmp_path, base, name="trial"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "base": base,
                                    "strategies": {"a": {}, "b": {"brands.0.campaign.posts_per_day": 8}}}))
    return path


def sharesim(*args, timeout=BOUND):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def one_line_error(result) -> str:
    """The command failed with exit 2 and exactly one line on stderr, no traceback; return it."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sharesim: ")
    return lines[0]


# --------------------------------------------------------------------------
# Worker processes die with their parent, SIGKILL included

def workers_of(parent: psutil.Process) -> list[psutil.Process]:
    """The parent's worker processes (not multiprocessing's resource tracker)."""
    return [child for child in parent.children(recursive=True)
            if "resource_tracker" not in " ".join(child.cmdline())]


def test_worker_processes_die_when_their_parent_is_killed(tmp_path):
    path = strategies_file(tmp_path, BUSY)      # the workers would finish nothing before the test ends
    out = tmp_path / "out"
    command = subprocess.Popen([sys.executable, "-m", "sim", "compare", str(path), "-r", "6", "--workers", "2",
                                "--out", str(out), "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    workers = []
    try:
        parent = psutil.Process(command.pid)
        deadline = time.monotonic() + 60
        while len(workers_of(parent)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)                     # the workers import Mesa and start their replications
        workers = workers_of(parent)
        assert len(workers) == 2
        assert not list(out.glob("replications/*.json"))       # still busy: the kill lands mid-run
        command.send_signal(signal.SIGKILL)
        command.wait(timeout=10)
        gone, alive = psutil.wait_procs(workers, timeout=5)
        alive = [worker for worker in alive if worker.status() != psutil.STATUS_ZOMBIE]
        assert not alive, f"workers outlived their killed parent: {alive}"
    finally:
        command.kill()
        for worker in workers:              # if the test failed, leave nothing running
            if worker.is_running():
                worker.kill()


def test_a_worker_watches_its_parent_even_without_prctl(tmp_path):
    """The portable fallback alone: an orphaned worker notices within a second and exits."""
    worker = ("import os, sys, time\n"
              "from sim.experiment import _die_with_parent\n"
              "sys.platform = 'darwin'                  # no prctl: only the watching thread\n"
              "_die_with_parent(os.getppid(), interval=0.1)\n"
              "print(os.getpid(), flush=True)\n"
              "time.sleep(60)\n")
    parent = ("import subprocess, sys\n"
              f"child = subprocess.Popen([sys.executable, '-c', {worker!r}], stdout=subprocess.PIPE, text=True)\n"
              "print(child.stdout.readline().strip(), flush=True)\n")  # then it ends, leaving the child
    result = subprocess.run([sys.executable, "-c", parent], cwd=ROOT, capture_output=True, text=True, timeout=60)
    orphan = psutil.Process(int(result.stdout))
    gone, alive = psutil.wait_procs([orphan], timeout=5)
    alive = [process for process in alive if process.status() != psutil.STATUS_ZOMBIE]
    for process in alive:
        process.kill()
    assert not alive, "an orphaned worker lived on"


def test_a_killed_worker_process_is_one_line_and_keeps_the_finished_replications(tmp_path):
    path = strategies_file(tmp_path, SLOW)
    out = tmp_path / "out"
    command = subprocess.Popen([sys.executable, "-m", "sim", "compare", str(path), "-r", "6", "--workers", "2",
                                "--out", str(out), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not list(out.glob("replications/*.json")) and time.monotonic() < deadline:
            time.sleep(0.1)
        workers_of(psutil.Process(command.pid))[0].kill()          # as the out-of-memory killer would
        stdout, stderr = command.communicate(timeout=60)
    finally:
        command.kill()
    result = subprocess.CompletedProcess(command.args, command.returncode, stdout, stderr)
    line = one_line_error(result)
    kept = len(list(out.glob("replications/*.json")))
    assert 1 <= kept < 12
    assert line == (f"sharesim: a worker process died (out of memory, or killed); {kept} of 12 replications "
                    f"finished and are kept in {out}; continue with `sharesim compare ... --resume --out {out}`")


# --------------------------------------------------------------------------
# Dask: silent, empty, unsupported or lost schedulers

@pytest.fixture
def silent_port():
    """A port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for connection in accepted:
        connection.close()


def test_a_port_that_never_answers_ends_within_the_timeout(tmp_path, silent_port):
    path = strategies_file(tmp_path, QUICK)
    started = time.monotonic()
    result = sharesim("compare", path, "-r", 2, "--scheduler", f"tcp://127.0.0.1:{silent_port}",
                      "--out", tmp_path / "out", "--quiet")
    assert time.monotonic() - started < BOUND
    line = one_line_error(result)
    assert line == (f"sharesim: --scheduler tcp://127.0.0.1:{silent_port}: no answer from a Dask scheduler "
                    f"within {CONNECT_TIMEOUT} s")
    assert not (tmp_path / "out").exists()


def test_a_scheduler_without_workers_says_how_to_start_one(tmp_path):
    from distributed import LocalCluster

    path = strategies_file(tmp_path, QUICK)
    with LocalCluster(n_workers=0, processes=False, host="127.0.0.1", protocol="tcp://",
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        result = sharesim("compare", path, "-r", 2, "--scheduler", address, "--out", tmp_path / "out", "--quiet")
    line = one_line_error(result)
    assert line == (f"sharesim: --scheduler {address}: the scheduler has no workers; "
                    f"start one with `dask worker {address}`")


@pytest.mark.parametrize("address", ["tls://127.0.0.1:1", "ws://127.0.0.1:8786", "ucx://127.0.0.1:8786",
                                     "inproc://127.0.0.1/1/1"])
def test_only_tcp_addresses_are_accepted(tmp_path, address):
    path = strategies_file(tmp_path, QUICK)
    result = sharesim("compare", path, "-r", 2, "--scheduler", address, "--out", tmp_path / "out")
    line = one_line_error(result)
    assert line == f"sharesim: --scheduler: only tcp:// addresses are supported (got {address})"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1", "tcp://:8786", "tcp://host:port", "127.0.0.1:8786",
                                     "tcp://127.0.0.1:99999"])
def test_an_address_without_host_and_port_is_refused(address):
    with pytest.raises(InputError, match=r"^--scheduler: a Dask scheduler address such as tcp://"):
        scheduler_location(address)


def test_a_closed_port_is_refused_at_once(tmp_path):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()                            # nothing listens there now
    path = strategies_file(tmp_path, QUICK)
    started = time.monotonic()
    result = sharesim("compare", path, "-r", 2, "--scheduler", f"tcp://127.0.0.1:{port}",
                      "--out", tmp_path / "out", "--quiet")
    assert time.monotonic() - started < CONNECT_TIMEOUT        # no retrying until the timeout
    assert one_line_error(result) == (f"sharesim: --scheduler tcp://127.0.0.1:{port}: cannot reach a Dask "
                                      f"scheduler (connection refused)")


def lost_scheduler_run(tmp_path) -> tuple[subprocess.CompletedProcess, object]:
    from distributed import LocalCluster

    path = strategies_file(tmp_path, SLOW)
    out = tmp_path / "out"
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    try:
        command = subprocess.Popen([sys.executable, "-m", "sim", "compare", str(path), "-r", "6", "--scheduler",
                                    cluster.scheduler_address, "--out", str(out), "--quiet"], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        while not list(out.glob("replications/*.json")) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        cluster.close()                     # the scheduler goes away mid-run
    try:
        stdout, stderr = command.communicate(timeout=BOUND)
    finally:
        command.kill()
    return subprocess.CompletedProcess(command.args, command.returncode, stdout, stderr), out


def test_a_scheduler_lost_mid_run_keeps_the_finished_replications(tmp_path):
    result, out = lost_scheduler_run(tmp_path)
    line = one_line_error(result)
    kept = len(list(out.glob("replications/*.json")))
    assert 1 <= kept < 12
    assert line.startswith("sharesim: --scheduler tcp://127.0.0.1:")
    assert ": lost the Dask scheduler (" in line
    assert line.endswith(f"; {kept} of 12 replications finished and are kept in {out}; "
                         f"continue with `sharesim compare ... --resume --out {out}`")


@pytest.mark.parametrize("error", [OSError("in <TCP>: Stream is closed"), TimeoutError(),
                                   CancelledError("scheduler-connection-lost")])
def test_what_distributed_raises_on_a_lost_scheduler_is_one_message(tmp_path, monkeypatch, error):
    """The translation itself, with the exceptions distributed raises (CommClosedError is an OSError)."""
    from distributed.comm.core import CommClosedError

    assert issubclass(CommClosedError, OSError)

    class Client:
        def __init__(self, address, timeout):
            assert timeout == CONNECT_TIMEOUT

        def wait_for_workers(self, n, timeout):
            assert timeout == CONNECT_TIMEOUT

        def map(self, function, tasks, pure):
            return [Future(str(task)) for task in tasks]

        def nthreads(self):
            raise error

        def close(self, timeout=None):
            pass

    class Future:
        def __init__(self, key):
            self.key = key

    def wait(futures, timeout, return_when):
        raise error

    with pytest.raises(LostWorkers, match=r"^--scheduler tcp://10\.0\.0\.1:8786: lost the Dask scheduler \(.+\); "
                                          r"0 of 4 replications finished and are kept"):
        _replicate_on_a_stand_in(tmp_path, monkeypatch, Client, wait)


def test_a_scheduler_lost_while_a_finished_result_is_fetched_is_one_message(tmp_path, monkeypatch):
    """A replication finished, then the scheduler went before its result came back: distributed's
    result() raises FutureCancelledError (a CancelledError), the same lost scheduler."""
    from distributed.client import FutureCancelledError

    class Client:
        def __init__(self, address, timeout):
            pass

        def wait_for_workers(self, n, timeout):
            pass

        def map(self, function, tasks, pure):
            return [Future(str(task)) for task in tasks]

        def nthreads(self):
            return {"worker": 1}

        def close(self, timeout=None):
            pass

    class Future:
        status = "finished"

        def __init__(self, key):
            self.key = key

        def result(self):
            raise FutureCancelledError(self.key, reason="scheduler-connection-lost")

    def wait(futures, timeout, return_when):
        return set(list(futures)[:1]), set(list(futures)[1:])

    with pytest.raises(LostWorkers, match=r"^--scheduler tcp://10\.0\.0\.1:8786: lost the Dask scheduler \(its "
                                          r"connection was lost.+\); 0 of 4 replications finished and are kept"):
        _replicate_on_a_stand_in(tmp_path, monkeypatch, Client, wait)


def _replicate_on_a_stand_in(tmp_path, monkeypatch, client, wait) -> None:
    """run_replications of a quick plan with distributed's ``Client`` and ``wait`` replaced by
    stand-ins (no scheduler is reached)."""
    monkeypatch.setattr("distributed.Client", client)
    monkeypatch.setattr("distributed.wait", wait)
    monkeypatch.setattr(experiment, "_reach_scheduler", lambda address: None)
    plan = load_strategies(strategies_file(tmp_path, QUICK))
    run_replications(plan, 2, tmp_path / "out", scheduler="tcp://10.0.0.1:8786")


# --------------------------------------------------------------------------
# Bounded --workers and --replications

def test_a_billion_replications_are_refused_at_once(tmp_path):
    path = strategies_file(tmp_path, QUICK)
    started = time.monotonic()
    result = sharesim("compare", path, "-r", 10**9, "--out", tmp_path / "out", timeout=60)
    assert time.monotonic() - started < 5
    assert one_line_error(result) == (f"sharesim: --replications: from 2 (for a confidence interval) to "
                                      f"{MAX_REPLICATIONS:,} (got 1,000,000,000)")
    assert not (tmp_path / "out").exists()


def test_many_replications_are_listed_without_heavy_work_per_task(tmp_path):
    plan = load_strategies(strategies_file(tmp_path, SMALL))
    started = time.monotonic()
    tasks = plan.replications(MAX_REPLICATIONS)
    assert len(tasks) == 2 * MAX_REPLICATIONS
    assert time.monotonic() - started < 5
    assert tasks[7].fingerprint == experiment.fingerprint(tasks[7].scenario, tasks[7].seed)


def test_workers_are_capped_at_the_cores_with_a_notice(tmp_path):
    path = strategies_file(tmp_path, QUICK)
    result = sharesim("compare", path, "-r", 2, "--workers", 500, "--out", tmp_path / "out", "--quiet",
                      timeout=300)
    assert result.returncode == 0, result.stderr
    cores = experiment.cores()
    if cores < 4:                           # 4 replications: more workers than that are never started
        assert result.stderr.splitlines() == [f"sharesim: --workers 500: this machine has {cores} cores; "
                                              f"using {cores}"]
    assert (tmp_path / "out" / "summary.csv").is_file()


def test_worker_count_respects_cores_memory_and_tasks(tmp_path, monkeypatch):
    plan = load_strategies(strategies_file(tmp_path, QUICK))
    monkeypatch.setattr(experiment, "cores", lambda: 8)
    monkeypatch.setattr("sim.scenario.memory_available", lambda: 64 * 2**30)
    assert worker_count(plan, 1, 100) == (1, None)
    assert worker_count(plan, 4, 100) == (4, None)
    assert worker_count(plan, 4, 3) == (3, None)                    # no more workers than replications
    assert worker_count(plan, 12, 100) == (8, "--workers 12: this machine has 8 cores; using 8")
    # 1 GB: 0.8 GB for workers of about 320 MB each (numba's runtime included), plus the model
    monkeypatch.setattr("sim.scenario.memory_available", lambda: 2**30)
    count, notice = worker_count(plan, 8, 100)
    assert count == 2
    assert notice.startswith("--workers 8: each worker needs about 3") and notice.endswith(
        "and this machine has 1.0 GB of memory; using 2")
    monkeypatch.setattr("sim.scenario.memory_available", lambda: 600 * 2**20)
    assert worker_count(plan, 8, 100)[0] == 1                       # in this process: no extra interpreter


def test_a_sweep_of_too_many_cells_and_validate_with_too_many_replications_are_refused(tmp_path, capsys):
    from sim.cli import main

    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(QUICK))
    values = ",".join(str(v) for v in range(1, 41))
    started = time.monotonic()
    assert main(["sweep", str(scenario), "--set", f"brands.0.campaign.posts_per_day={values}",
                 "--set", f"population.attention_span={values}", "--out", str(tmp_path / "o")]) == 2
    assert "1,600 combinations" in capsys.readouterr().err
    assert main(["validate", "-r", "1000000000"]) == 2
    assert "--replications: from 2" in capsys.readouterr().err
    assert time.monotonic() - started < 5 and not (tmp_path / "o").exists()
