"""How much the machine itself stalls a process: a separate process sleeps 1 ms at a time and notes the overshoot.

Run beside the HTTP measurements, it says how much of their tail comes from the machine, not the code.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

PROBE = """
import signal, time
stopped = []
signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))
late = []
while not stopped:
    started = time.perf_counter()
    time.sleep(0.001)
    late.append(time.perf_counter() - started - 0.001)
late.sort()
print(*(1000 * late[min(len(late) - 1, int(q * len(late)))] for q in (0.5, 0.99, 0.999)), 1000 * late[-1])
"""


@dataclass
class Stalls:
    """Milliseconds a 1 ms sleep overshot: median, 99th and 99.9th percentiles, worst."""

    p50: float = 0.0
    p99: float = 0.0
    p999: float = 0.0
    worst: float = 0.0


@contextmanager
def watched() -> Iterator[Stalls]:
    """Measure the machine's stalls while the body runs (the figures are filled in when it ends)."""
    stalls = Stalls()
    probe = subprocess.Popen([sys.executable, "-c", PROBE], stdout=subprocess.PIPE, text=True)
    try:
        yield stalls
    finally:
        probe.terminate()
        out, _ = probe.communicate(timeout=30)
        figures = [float(value) for value in out.split()]
        if len(figures) == 4:
            stalls.p50, stalls.p99, stalls.p999, stalls.worst = figures
