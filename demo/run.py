"""`mentorat demo`: run the simulation on a fresh embedded store, check it covers everything, print process facts.

Every event type of MISSION section 2 and every worklist situation of section 4 must occur, or the demo
fails. Only process facts are printed.
"""

from __future__ import annotations

import base64
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TextIO
from uuid import UUID

from application.ports import Ports
from application.service import MentoratService
from bootstrap.read_side import ReadSide
from bootstrap.service import build_service
from bootstrap.settings import Settings
from bootstrap.store_env import SQLITE_FILE
from demo.explore import explore
from demo.labels import metric_label, reason_label
from demo.self_check import SITUATIONS, fold, situations
from demo.simulation import LAUNCH, SEED, TIME_ZONE, TODAY, ZONE, SimulatedClock, Simulation, cast
from domain.catalogue import EVENT_NAMES
from domain.errors import DomainError
from domain.programme import Programme
from projections import programme_report, worklist

EVENT_TYPES = EVENT_NAMES


def stored_events(service: MentoratService) -> tuple[Counter[str], dict[UUID, list[object]]]:
    """Every stored event counted by type, and each mentorship's events in order, read from the notification log."""
    log, counts = service.store.notification_log, Counter[str]()
    histories: dict[UUID, list[object]] = {}
    start = 1
    while batch := log.select(start, log.section_size):
        for notification in batch:
            counts[notification.topic.rsplit(".", 1)[-1]] += 1
            if ":Mentorship." in notification.topic:
                event = service.store.mapper.to_domain_event(notification)
                histories.setdefault(UUID(str(notification.originator_id)), []).append(event)
        start = batch[-1].id + 1
    return counts, histories


def run_demo(
    directory: Path, out: TextIO, *, progress: Callable[[int, int], None] | None = None, explorable: bool = False
) -> int:
    """Run the seeded demo programme in a fresh directory, check it covers everything, print its facts.

    `progress` hears the simulated days. With `explorable` (the store is kept), a coordinator token of today's
    clock is issued at the end and printed with how to serve the store: the demo store is throwaway, its people
    simulated; without it, the output says how to get one (and is the same at every run).
    """
    operator_stores = {Path(Settings.model_fields["data_dir"].default).resolve(), Settings().data_dir.resolve()}
    if directory.resolve() in operator_stores:
        print("mentorat demo: refusing to use the operator's data directory; give it a directory of its own", file=out)
        return 2
    if (directory / SQLITE_FILE).exists():
        print(f"mentorat demo: {directory} already holds a store; give it a fresh directory", file=out)
        return 2
    rng = random.Random(SEED)  # noqa: S311 - a reproducible simulation, not a secret
    clock = SimulatedClock(LAUNCH)
    ports = Ports(
        clock=clock,
        new_id=lambda: UUID(int=rng.getrandbits(128), version=4),
        new_secret=lambda size: base64.urlsafe_b64encode(rng.randbytes(size)).rstrip(b"=").decode(),
    )
    settings = Settings(data_dir=directory, database_url=None)
    service = build_service(settings, ports)
    try:
        sim = Simulation(service, clock, rng)
        cast(sim)
        sim.run(TODAY, progress)
        read_side = ReadSide(service.store, settings)
        try:
            read_side.catch_up()
            status = report(service, read_side, sim.programme_id, out)
        finally:
            read_side.close()
    except DomainError as error:
        print(f"mentorat demo FAILED: a command was refused ({error.slug}) at {clock.now.isoformat()}", file=out)
        return 1
    finally:
        service.close()
    if status == 0:
        explore(settings, sim.programme_id, sim.coordinator.id, out, token=explorable)
    return status


def report(service: MentoratService, read_side: ReadSide, programme_id: UUID, out: TextIO) -> int:
    """Check the demo against MISSION sections 2 and 4, then print the report and worklist from the read models."""
    programme = service.store.load(Programme, programme_id)
    counts, histories = stored_events(service)
    expected: dict[str, list[str]] = {}
    for mentorship_id, history in histories.items():
        folded = fold(history)
        if service.mentorships.get(mentorship_id).status != folded.status:
            print(f"mentorat demo FAILED: mentorship {mentorship_id} folds to another status", file=out)
            return 1
        found = situations(folded, TODAY, programme.thresholds)
        if found:
            expected[str(mentorship_id)] = sorted(found)
    pid = str(programme_id)
    items = worklist.worklist(read_side.view("summary"), pid, TODAY)
    figures = programme_report.report(read_side.view("report"), pid, TODAY, None, None)
    figures["at_risk"] = len(items)
    today = TODAY.astimezone(ZONE).date()
    print(f"Mentorat demo: seed {SEED}, simulated from {LAUNCH.date()} to {today} ({TIME_ZONE})", file=out)
    print(f"\nStored events by type ({sum(counts.values())} in all):", file=out)
    for name in sorted(counts):
        print(f"  {name:<30} {counts[name]:>5}", file=out)
    print(f"\nProgramme report (from the read models, as of {today}; rates are fractions from 0 to 1):", file=out)
    for metric, value in programme_report.csv_rows(figures):
        print(f"  {metric_label(metric):<58} {value or '-':>8}", file=out)
    flagged = Counter(reason for item in items for reason in item["reasons"])
    print(f"\nCoordinator worklist (from the read models): {len(items)} mentorships need the coordinator.", file=out)
    print(
        f"A mentorship is listed once with all its reasons, so the counts by reason add up to {flagged.total()}, "
        f"not {len(items)}:",
        file=out,
    )
    print("\n".join(f"  {reason_label(slug):<58} {flagged[slug]:>8}" for slug in SITUATIONS), file=out)
    if {item["mentorship_id"]: sorted(item["reasons"]) for item in items} != expected:
        print("\nmentorat demo FAILED: the worklist read model disagrees with the events folded afresh", file=out)
        return 1
    missing_events = [name for name in EVENT_TYPES if not counts[name]]
    missing_situations = [slug for slug in SITUATIONS if not flagged[slug]]
    if missing_events or missing_situations:
        print(
            "\nmentorat demo FAILED: missing event types: "
            + (", ".join(missing_events) or "none")
            + "; missing worklist situations: "
            + (", ".join(missing_situations) or "none"),
            file=out,
        )
        return 1
    print(
        f"\nSelf-check passed: all {len(EVENT_TYPES)} event types of MISSION section 2"
        f" and all {len(SITUATIONS)} worklist situations of section 4 occurred, and the worklist read model"
        " agrees with the events folded afresh.",
        file=out,
    )
    return 0
