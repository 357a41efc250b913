"""sharesim as a user installs it without ``-e``: a wheel built from pyproject.toml runs and writes its report.

The editable install the suite runs under reads ``sim/templates/`` from the
checkout, so only a built wheel shows whether the report's template ships.
The build must also be free of setuptools' deprecation warnings: the old
``license = {text = ...}`` table stops building on setuptools' schedule.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT

SCENARIO = "name: wheel_check\nseed: 3\nduration_days: 1\npopulation: {size: 300}\nbrands:\n  - {name: Acme}\n"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel of this checkout, built as pip builds one (in an isolated build environment)."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    [path] = out.glob("sharesim-*.whl")
    return path, built.stdout + built.stderr


def test_the_wheel_holds_the_report_template_and_declares_its_license(wheel):
    path, _ = wheel
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        assert "License-Expression: MIT" in archive.read(metadata).decode()
    assert "sim/templates/report.html" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "outputs/"))]


def test_the_build_gives_no_deprecation_or_package_warning(wheel):
    """setuptools' own warnings about this project's configuration (not pip's notices about itself)."""
    _, printed = wheel
    assert "BuildBackendWarning" not in printed and "SetuptoolsDeprecationWarning" not in printed, printed


def test_the_installed_wheel_runs_a_scenario_and_writes_its_report(wheel, tmp_path):
    """Installed apart from the checkout (its dependencies are the suite's), run from elsewhere."""
    path, _ = wheel
    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target",
                                str(target), str(path)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    (tmp_path / "wheel_check.yaml").write_text(SCENARIO)
    env = {**os.environ, "PYTHONPATH": str(target)}
    ran = subprocess.run([sys.executable, "-m", "sim", "run", "wheel_check.yaml", "--out", "run", "--quiet"],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert ran.returncode == 0, ran.stderr
    where = subprocess.run([sys.executable, "-c", "import sim; print(sim.__file__)"], capture_output=True,
                           text=True, cwd=tmp_path, env=env)
    assert where.stdout.strip().startswith(str(target))       # the wheel's code ran, not the checkout's
    report = (tmp_path / "run" / "report.html").read_text()
    assert "wheel_check" in report and "<img" in report
