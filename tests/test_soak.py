"""A long run keeps its memory flat: nothing grows with ticks but the event log."""

from __future__ import annotations

import tracemalloc

from sim.model import SharingModel
from tests.conftest import small_scenario


def test_memory_does_not_grow_with_ticks_beyond_the_event_log():
    scenario = small_scenario(population__size=100_000, duration_days=12,
                              brands__0__followers=0.1, brands__0__campaign__posts_per_day=8)
    model = SharingModel(scenario)
    tracemalloc.start()
    try:
        def day_ticks(days):
            for _ in range(int(days * 24 / model.tick_hours)):
                model.step()
        day_ticks(3)                                   # past the feed's 48-hour memory
        model.log.column("tick")                       # compact the log before measuring
        start, log_start = tracemalloc.get_traced_memory()[0], _log_bytes(model)
        day_ticks(9)
        model.log.column("tick")
        growth = tracemalloc.get_traced_memory()[0] - start
        log_growth = _log_bytes(model) - log_start
    finally:
        tracemalloc.stop()
    posts_published = 9 * 8
    # one flag per person per post would be 100 kB a post, 7 MB over these days
    assert growth - log_growth < 2_000_000, (growth, log_growth, posts_published)


def _log_bytes(model) -> int:
    return sum(model.log.column(c).nbytes for c in ("tick", "kind", "post", "brand", "person", "source"))
