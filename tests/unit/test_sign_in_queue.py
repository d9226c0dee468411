"""The sign-in worker: requests are done after their answer, one by one; a full queue drops without the address."""

from __future__ import annotations

import logging
import threading

import pytest

from bootstrap.sign_in import SignInQueue


def test_requests_wait_for_the_worker_and_a_full_queue_drops_without_saying_the_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done: list[str] = []
    queue = SignInQueue(done.append, capacity=2)
    # Given no worker yet, When three requests come, Then none is done and the third is dropped
    for address in ("a@example.org", "b@example.org", "dropped-marker@example.org"):
        queue.submit(address)
    assert done == [] and queue.waiting() == 2
    assert "dropped-marker" not in caplog.text and "dropped" in caplog.text
    # When the worker starts, Then the two waiting are done in order
    queue.start()
    assert queue.wait_idle(10)
    assert done == ["a@example.org", "b@example.org"]
    queue.stop()


def test_a_failing_request_is_logged_by_its_class_and_the_next_is_still_done(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    done = threading.Event()

    def work(address: str) -> None:
        if address.startswith("fails"):
            raise ValueError(address)
        done.set()

    queue = SignInQueue(work)
    queue.start()
    queue.submit("fails-marker@example.org")
    queue.submit("works@example.org")
    assert done.wait(10) and queue.wait_idle(10)
    queue.stop()
    assert "ValueError" in caplog.text and "fails-marker" not in caplog.text
