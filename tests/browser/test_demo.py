"""The teaching demo in a real browser: Debian's headless Chromium, driven by Playwright.

The test starts ``sharesim demo`` on a free port of 127.0.0.1, loads the page,
checks that the network and the charts are drawn, presses Step and watches
the model and the reach chart move, then moves a slider, presses Reset and
checks that the new model was built with the new setting. The server stops
at the end of the module, whatever happens.

Run as a script, it takes the README's screenshot:
``python tests/browser/test_demo.py docs/images/demo.png``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOAD_TIMEOUT_MS = 90_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def demo_server(*arguments: str):
    """``sharesim demo`` on a free local port; yields its address and stops it on exit."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen([sys.executable, "-m", "sim", "demo", *arguments, "--host", "127.0.0.1",
                               "--port", str(port)], cwd=ROOT, stdout=log, stderr=log, text=True,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + LOAD_TIMEOUT_MS / 1000
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"the demo server did not start:\n{log.read()[-3000:]}")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.send_signal(signal.SIGTERM)          # sharesim stops its Solara server, then exits
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(server.pid, signal.SIGKILL)   # anything left in its session
        except ProcessLookupError:
            pass
        log.close()


@contextmanager
def chromium_page(url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1050})
            page.failed = []          # requests that failed or went to another host than 127.0.0.1
            page.on("requestfailed", lambda request: page.failed.append(request.url))
            page.on("request", lambda request: None if urlparse(request.url).hostname in (None, "127.0.0.1")
                    or request.url.startswith("data:") else page.failed.append(request.url))
            page.goto(url)
            page.get_by_text(re.compile(r"^Step: \d+$")).wait_for(timeout=LOAD_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def figures(page) -> list[dict]:
    """Every drawn figure (PNG image) on the page: its source and drawn width."""
    return page.locator("img").evaluate_all(
        "images => images.map(i => ({src: i.src, width: i.naturalWidth}))")


def step(page, times: int = 1) -> None:
    """Press Mesa's Step button, waiting for each step to show."""
    counter = page.get_by_text(re.compile(r"^Step: \d+$"))
    for _ in range(times):
        before = int(counter.inner_text().split(":")[1])
        page.get_by_role("button", name="Step").click()
        page.get_by_text(f"Step: {before + 1}", exact=True).wait_for(timeout=30_000)


def facts(page) -> str:
    """The demo's facts: tick, reach, shares ..., the settings in effect and what is shown."""
    return page.locator(".sharesim-facts").first.inner_text()


def wait_until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def demo_page():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)")
    with demo_server() as url, chromium_page(url) as page:
        yield page


def first_post_tick() -> int:
    """The tick of the demo's first post (the run starts the tick before it)."""
    from sim.app import DemoModel

    model = DemoModel()
    return model.tick + 1


def test_page_draws_the_network_and_the_charts(demo_page):
    drawn = wait_until(lambda: len(figures(demo_page)) == 4 and all(f["width"] > 200 for f in figures(demo_page)))
    assert drawn, f"expected 4 drawn figures (network, reach, shares by motivation, activity), got {figures(demo_page)}"
    start = first_post_tick() - 1
    assert start > 0                                  # the quiet night has been run
    assert wait_until(lambda: f"Tick {start} of 168" in facts(demo_page)), facts(demo_page)
    assert "1,000 people" in facts(demo_page)
    assert "What you see" in facts(demo_page)         # the picture explained on screen
    for control in ("Posts per day", "How promotional the posts are", "Attention half-life (hours)",
                    "Motivation mix", "Network", "People", "Seed"):
        assert demo_page.get_by_text(control, exact=True).count() >= 1, control


def test_the_page_is_titled_readable_and_offline(demo_page):
    from sim.app import DPI, TEXT_POINTS, NetworkFigure

    assert demo_page.title().startswith("sharesim demo")
    assert demo_page.get_by_text("Page 0", exact=True).filter(visible=True).count() == 0
    shown = demo_page.locator("img").evaluate_all(
        "images => images.map(i => ({natural: i.naturalWidth, width: i.clientWidth, height: i.clientHeight}))")
    network = shown[0]
    assert network["natural"] == NetworkFigure.SIZE[0] * DPI
    assert network["width"] >= 600 and network["height"] >= 450, network    # fills its part of a 1,400 px window
    for figure in shown:      # text drawn at TEXT_POINTS, scaled to the width shown: at least 10 px
        assert TEXT_POINTS * DPI / 72 * figure["width"] / figure["natural"] >= 10, (figure, shown)
    # slider values are shown without focus
    labels = demo_page.locator(".v-slider__thumb-label").filter(visible=True)
    assert labels.count() >= 6 and "3" in [t.strip() for t in labels.all_inner_texts()]
    info = demo_page.get_by_text(re.compile(r"^reached \d+ · shares \d+$"))
    assert info.count() == 1                          # the Information card says more than the step
    assert demo_page.failed == [], demo_page.failed   # nothing from the internet, nothing failed


def test_the_first_step_shows_a_post_being_read(demo_page):
    reach_chart = lambda: figures(demo_page)[1]["src"]   # noqa: E731  (network, then reach)
    others = [f["src"] for f in figures(demo_page)]
    before = reach_chart()
    first = first_post_tick()
    step(demo_page, 1)
    assert wait_until(lambda: f"Tick {first} of 168" in facts(demo_page)), facts(demo_page)
    reach = int(re.search(r"reach ([\d,]+)", facts(demo_page)).group(1).replace(",", ""))
    assert reach > 0, "the first Step publishes the first post, and people read it"
    assert wait_until(lambda: reach_chart() != before), "the reach chart did not change after Step"
    step(demo_page, 11)
    assert wait_until(lambda: f"Tick {first + 11} of 168" in facts(demo_page)), facts(demo_page)
    redrawn = lambda: [f["src"] != o for f, o in zip(figures(demo_page), others)]   # noqa: E731
    assert wait_until(lambda: all(redrawn()[i] for i in (0, 1, 3))), \
        f"the network and the time charts are redrawn after Step: {redrawn()}"
    reach = int(re.search(r"reach ([\d,]+)", facts(demo_page)).group(1).replace(",", ""))
    assert reach > 0


def test_a_slider_and_reset_build_a_new_model(demo_page):
    assert "3 posts per day" in facts(demo_page)
    slider = demo_page.locator(".v-input", has_text="Posts per day").get_by_role("slider")
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")                           # 3 -> 4 posts per day (step 0.5)
    assert wait_until(lambda: slider.get_attribute("aria-valuenow") == "4"), slider.get_attribute("aria-valuenow")
    demo_page.wait_for_timeout(500)                      # let the new value reach the server
    demo_page.get_by_role("button", name="Reset").click()
    assert wait_until(lambda: "4 posts per day" in facts(demo_page), timeout=60), facts(demo_page)
    assert wait_until(lambda: re.search(r"Tick \d+ of 168", facts(demo_page))
                      and int(re.search(r"Tick (\d+)", facts(demo_page)).group(1)) < 12), facts(demo_page)


def take_screenshot(path: Path, steps: int = 50) -> None:
    """The README's picture of the demo, after ``steps`` ticks."""
    with demo_server() as url, chromium_page(url) as page:
        step(page, steps)
        page.wait_for_timeout(2000)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))



# --------------------------------------------------------------------------
# Without a browser: the dashboard's controls, and `sharesim demo`'s errors

def test_the_dashboard_controls_build_the_model_they_say():
    from sim.app import DemoModel
    from sim.motivations import Motivation

    model = DemoModel(posts_per_day=10, promotional=0.9, useful=0.1, attention_span=5, half_life_hours=48,
                      motivation_mix="all trendsetters", network="watts_strogatz", people=600, seed="7")
    assert model.population == 600 and model.seed == 7
    assert (model.motivation == Motivation.TRENDSETTER).all()
    campaign = model.scenario.brands[0].campaign
    assert campaign.posts_per_day == 10
    assert all(c.promotional == 0.9 and c.qualities["useful"] == 0.1 for c in campaign.content)
    assert model.scenario.population.attention_span == 5
    assert model.table.half_life_hours[Motivation.ALTRUIST] == 48       # twice the ordinary 24 h
    assert model.table.half_life_hours[Motivation.TRENDSETTER] == 6     # trendsetters keep their 1:8
    assert len(model.sample) == 300 and model.positions.shape == (300, 2)
    start = model.tick                                 # the quiet hours before the first post, run
    assert start == min(plans[0].tick for plans in model.plans) - 1
    for _ in range(30):
        model.step()
    assert model.tick == start + 30 and len(model.datacollector.get_model_vars_dataframe()) == start + 31


def test_the_demo_counts_people_as_the_summary_does():
    from sim.app import DemoModel, person_states
    from sim.metrics import summarize

    model = DemoModel(posts_per_day=12, promotional=0.9, people=600, seed="5")
    for _ in range(72):
        model.step()
    summary = summarize(model.run_log())
    assert model.reach == summary["reach"]
    assert int(model.followers.follows.sum()) == summary["followers_end"]
    assert int(model.followers.unfollowed.sum()) == summary["unfollows"] > 0
    assert model.hidden_followers() == summary["blinded"] > 0
    assert model.shares_so_far == summary["shares"]
    states = person_states(model)                   # each drawn person in exactly one state
    assert sum(rows.astype(int) for rows in states.values()).tolist() == [1] * len(model.sample)


def test_controls_left_alone_keep_the_starting_scenario_as_written(monkeypatch):
    from sim.app import SCENARIO_VARIABLE, DemoModel, starting_scenario

    monkeypatch.setenv(SCENARIO_VARIABLE, str(ROOT / "scenarios" / "teaching" / "03_attention_decay_and_timing.yaml"))
    assert DemoModel().scenario.resolved() == starting_scenario().resolved()
    moved = DemoModel(useful=0.2).scenario
    assert moved.population.motivations == starting_scenario().population.motivations
    assert [c.qualities for c in moved.brands[0].campaign.content] == [{"useful": 0.2, "novel": 0.8}]


def test_a_seed_typed_as_text_is_a_notice_not_a_crash():
    from sim.app import DemoModel

    model = DemoModel(seed="forty-two", people=300)
    assert model.seed == 42 and "forty-two" in model.notice


def test_demo_refuses_a_bad_scenario_or_a_busy_port(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nduraton_days: 3\n")
    result = subprocess.run([sys.executable, "-m", "sim", "demo", bad, "--port", str(free_port())],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2 and "duraton_days" in result.stderr and "Traceback" not in result.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "sim", "demo", "--port", str(port)],
                                capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2 and "already in use" in result.stderr


if __name__ == "__main__":
    take_screenshot(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images" / "demo.png")
