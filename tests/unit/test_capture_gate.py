"""Admission of image requests per link and per process, and the per-link upload rate."""
from __future__ import annotations

import asyncio

import pytest

from identity_app.web.capture_routes import Busy, LinkGate, UploadRate


def test_a_link_has_two_requests_in_flight_at_most_working_one_at_a_time():
    async def scenario():
        gate = LinkGate(per_link=2, total=16, wait_s=5)
        order: list[str] = []

        async def request(name: str, hold: float) -> str:
            try:
                async with gate.admit("link-a") as link:
                    await asyncio.sleep(0.01)  # reading the body
                    async with gate.exclusive(link):
                        order.append(f"{name}+")
                        await asyncio.sleep(hold)
                        order.append(f"{name}-")
                return "ok"
            except Busy as exc:
                return exc.code

        results = await asyncio.gather(request("a", 0.1), request("b", 0.01), request("c", 0.01),
                                       request_other(gate))
        return results, order

    async def request_other(gate: LinkGate) -> str:
        async with gate.admit("link-b") as link:  # another link is not held up by link-a's count
            async with gate.exclusive(link):
                return "ok"

    results, order = asyncio.run(scenario())
    assert results == ["ok", "ok", "BUSY", "ok"]
    assert order == ["a+", "a-", "b+", "b-"]  # never two images of one link at once


def test_the_waiting_request_gives_up_with_busy_and_the_process_has_a_total():
    async def scenario():
        gate = LinkGate(per_link=2, total=3, wait_s=0.05)
        out = []

        async def slow():
            async with gate.admit("a") as link:
                async with gate.exclusive(link):
                    await asyncio.sleep(0.3)

        async def second():
            await asyncio.sleep(0.01)
            try:
                async with gate.admit("a") as link:
                    async with gate.exclusive(link):
                        out.append("worked")
            except Busy as exc:
                out.append(exc.code)

        async def flood():
            await asyncio.sleep(0.02)
            async with gate.admit("x"):
                try:
                    async with gate.admit("y"):
                        out.append("admitted")
                except Busy as exc:
                    out.append(exc.code)

        await asyncio.gather(slow(), second(), flood())
        assert gate.in_flight == 0
        return out

    out = asyncio.run(scenario())
    assert sorted(out) == ["BUSY", "SERVER_BUSY"]


def test_document_uploads_per_link_are_limited_in_a_sliding_window():
    rate = UploadRate(limit=3, window_s=60)
    assert [rate.take("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert rate.take("b", now=3)  # per link
    assert rate.take("a", now=61)  # the first one left the window


@pytest.mark.parametrize("keys", [50])
def test_the_rate_table_stays_bounded(keys):
    rate = UploadRate(limit=1, window_s=60, max_keys=10)
    for i in range(keys):
        rate.take(f"k{i}", now=0)
    assert len(rate._events) == 10
