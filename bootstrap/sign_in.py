"""Sign-in requests run in a background thread: the answer (202) is given before, and apart from, their work.

Whether an address is known decides the work (a lookup, codes, outbox rows, commits); the answer must not
depend on it, in its content or in its time. Rather than padding every answer to the same duration (a budget
that a loaded store or a slow disk would overrun, and that would hold a worker thread per request), the request
hands the address to this queue and answers at once: known, unknown or inactive, the caller's path is the same
(validate, enqueue, answer), and the metrics' latency of the route measures only that path. A full queue drops
the request (a line in the log without the address), which the caller cannot tell from any other.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable

log = logging.getLogger("mentorat.sign_in")
CAPACITY = 1000  # requests waiting at most (each is done in milliseconds)
STOP_SECONDS = 10.0


class SignInQueue:
    """Addresses waiting for their sign-in work, done one after the other by one daemon thread."""

    def __init__(self, work: Callable[[str], object], capacity: int = CAPACITY) -> None:
        self._work = work
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None

    def submit(self, address: str) -> None:
        """Hand an address over to the worker; never waits, never fails (a full queue drops it)."""
        try:
            self._queue.put_nowait(address)
        except queue.Full:
            log.warning("a sign-in request was dropped: %d requests are waiting", self._queue.maxsize)

    def waiting(self) -> int:
        """Requests submitted and not yet done."""
        return self._queue.unfinished_tasks

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every submitted request is done (tests, a graceful stop): whether it happened in time."""
        deadline = time.monotonic() + timeout
        while self.waiting():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def start(self) -> None:
        """Start the worker thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sign-in", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finish what is waiting (for a few seconds at most), then stop the worker."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        with contextlib.suppress(queue.Full):  # a queue still full after the wait: the daemon thread dies with us
            self._queue.put(None, timeout=STOP_SECONDS)
        thread.join(timeout=STOP_SECONDS)

    def _run(self) -> None:
        while True:
            address = self._queue.get()
            try:
                if address is None:
                    return
                self._work(address)
            except Exception as error:  # the next request must still be served; the log never holds the address
                log.error("a sign-in request failed (%s)", type(error).__name__)
            finally:
                self._queue.task_done()
