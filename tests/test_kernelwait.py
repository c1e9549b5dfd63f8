"""instructor.kernelwait: a wait that missed its wake-up still gets the message, and a wait
with nothing to get still ends at its timeout (jupyter/nbclient#312)."""

from __future__ import annotations

import asyncio
import time
from queue import Empty

import pytest

from instructor import kernelwait


class MissedWakeUp:
    """A channel whose message arrives while a poll is already asleep: a poll without a
    timeout never wakes for it (the bug); any new poll sees it."""

    def __init__(self, arrives_after: float | None):
        self.arrives = None if arrives_after is None else time.monotonic() + arrives_after

    def ready(self) -> bool:
        return self.arrives is not None and time.monotonic() >= self.arrives

    async def get_msg(self, timeout=None):
        if self.ready():
            return {"msg_type": "execute_reply"}
        if timeout is None:
            await asyncio.Event().wait()  # asleep for good: the wake-up was lost
        await asyncio.sleep(timeout)
        raise Empty


@pytest.fixture(autouse=True)
def short_slices(monkeypatch):
    monkeypatch.setattr(kernelwait, "SLICE_S", 0.05)


def test_a_reply_whose_wake_up_was_lost_is_still_received():
    channel = MissedWakeUp(arrives_after=0.1)
    with pytest.raises(asyncio.TimeoutError):  # the bug, as nbclient meets it
        asyncio.run(asyncio.wait_for(channel.get_msg(timeout=None), 1.0))
    channel = MissedWakeUp(arrives_after=0.1)
    kernelwait._in_slices(channel)
    start = time.monotonic()
    assert asyncio.run(asyncio.wait_for(channel.get_msg(timeout=None), 5.0))["msg_type"] == "execute_reply"
    assert time.monotonic() - start < 1.0
    channel = MissedWakeUp(arrives_after=0.1)
    kernelwait._in_slices(channel)
    assert asyncio.run(channel.get_msg(timeout=30))["msg_type"] == "execute_reply"


def test_a_wait_with_nothing_to_get_ends_at_its_timeout():
    channel = MissedWakeUp(arrives_after=None)
    kernelwait._in_slices(channel)
    start = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(channel.get_msg(timeout=0.3))
    assert 0.3 <= time.monotonic() - start < 1.0
