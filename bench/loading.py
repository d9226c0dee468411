"""Loading a mentorship for a command (issue 12, item 1): replay from the store against the mentorships' cache.

One PostgreSQL schema; one signed mentorship whose history is lengthened by satisfaction reports (one event
each) to 10, 100 and 1,000 events. At each length, the mentorship is loaded `LOADS` times by a store with
`MENTORAT_AGGREGATE_CACHE_SIZE=0` (replay: select the aggregate's events, open sealed fields, apply) and by
one as `mentorat serve` builds it (the cache: select the events stored since, apply them, deep-copy for the
command). The ratio is cached / replayed time, measured side by side. Snapshots are not measured: they are
pinned off (a snapshot would hold sealed fields' state), and with the cache a long history is read once per
process. Alone: `.venv/bin/python -m bench.loading`.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from application.service import MentoratService
from bench.commands import percentile, signed_pairs, stores
from bootstrap.service import build_service
from domain.mentorship import Mentorship

LENGTHS = (10, 100, 1000)
LOADS = int(os.environ.get("MENTORAT_BENCH_LOADS", "300"))
Row = tuple[str, str, str]


def samples(load: Callable[[], object]) -> list[float]:
    """Seconds per load, after a warm-up load (which fills the cache)."""
    load()
    out = []
    for _ in range(LOADS):
        started = time.perf_counter()
        load()
        out.append(time.perf_counter() - started)
    return out


def run() -> list[Row]:
    """Replay and cache at each history length."""
    rows: list[Row] = []
    with stores() as configured:
        settings = configured["postgres"]
        writer = build_service(settings.model_copy(update={"aggregate_cache_size": 0}))
        cached: MentoratService = build_service(settings)
        try:
            _, pairs = signed_pairs(writer, 1)
            mentor, mentorship_id = pairs[0]
            for length in LENGTHS:
                while writer.mentorships.get(mentorship_id).version < length:
                    writer.mentorships.report_satisfaction(mentor, mentorship_id, 4, None)
                replayed = samples(lambda: writer.store.load(Mentorship, mentorship_id))
                from_cache = samples(lambda: cached.store.load(Mentorship, mentorship_id))
                ratio = statistics.median(from_cache) / statistics.median(replayed)
                rows.append(
                    (
                        f"load a mentorship of {length:,} events for a command (PostgreSQL)",
                        f"replay p50 {percentile(replayed, 50):.2f} ms, p99 {percentile(replayed, 99):.2f} ms; "
                        f"cached p50 {percentile(from_cache, 50):.2f} ms, "
                        f"p99 {percentile(from_cache, 99):.2f} ms",
                        f"cached / replayed {ratio:.2f}x",
                    )
                )
        finally:
            cached.close()
            writer.close()
    return rows


if __name__ == "__main__":
    for measure, figures, ratio in run():
        print(f"{measure}  {figures}  |  {ratio}")
