"""The in-process rate limiter's work per place: the same at 10 and at 3,000
per second. Counted, never timed: every time the limiter reads from its clock
is a ``Tick`` that counts the arithmetic and comparisons done with it, so a
limiter that looked at each place in the window on each acquire would count
thousands at 3,000 per second."""

from __future__ import annotations

import random
from typing import ClassVar

import anyio
import anyio.lowlevel
import pytest

from greenstatus import InProcessRateLimiter, RatePlace, RateRequest
from greenstatus._ratelimit import MARGIN, WINDOW
from greenstatus.testing import FakeClock

pytestmark = pytest.mark.anyio

ID = "1101000001"
LIMITS = [10, 100, 1000, 3000]


class Tick(float):
    """A time read from the clock, counting what is done with it."""

    operations: ClassVar[int] = 0

    def _count(self, value: float) -> Tick:
        Tick.operations += 1
        return Tick(value)

    def __add__(self, other: object) -> Tick:
        assert isinstance(other, float | int)
        return self._count(float(self) + other)

    def __radd__(self, other: object) -> Tick:
        return self.__add__(other)

    def __sub__(self, other: object) -> Tick:
        assert isinstance(other, float | int)
        return self._count(float(self) - other)

    def __rsub__(self, other: object) -> Tick:
        assert isinstance(other, float | int)
        return self._count(other - float(self))

    def _compare(self) -> None:
        Tick.operations += 1

    def __lt__(self, other: object) -> bool:
        self._compare()
        assert isinstance(other, float | int)
        return float(self) < other

    def __le__(self, other: object) -> bool:
        self._compare()
        assert isinstance(other, float | int)
        return float(self) <= other

    def __gt__(self, other: object) -> bool:
        self._compare()
        assert isinstance(other, float | int)
        return float(self) > other

    def __ge__(self, other: object) -> bool:
        self._compare()
        assert isinstance(other, float | int)
        return float(self) >= other

    __hash__ = float.__hash__


class CountingClock:
    """Virtual time (a wait moves it at once), read as Ticks."""

    def __init__(self) -> None:
        self.time = 1000.0
        self.sleeps = 0

    def now(self) -> Tick:
        return Tick(self.time)

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.time += max(0.0, float(seconds))
        await anyio.lowlevel.checkpoint()


async def operations_per_place_with_a_full_window(limit: int) -> float:
    """Fill one window with ``limit - 1`` places taken and given back, then
    count the work of the next ten acquires and releases."""
    clock = CountingClock()
    limiter = InProcessRateLimiter(clock)
    request = RateRequest(ID, "sendTextStatus", limit, hold=10.0)
    step = 0.5 / limit  # all of them within half a window
    for _ in range(limit - 10):
        place = await limiter.acquire(request)
        clock.time += step
        await place.release()
    Tick.operations = 0
    for _ in range(10):
        place = await limiter.acquire(request)
        await place.release()
    assert clock.sleeps == 0  # none had to wait: the window was never full
    return Tick.operations / 10


async def test_an_acquire_does_the_same_work_however_many_places_the_window_holds() -> None:
    with anyio.fail_after(60):
        work = {limit: await operations_per_place_with_a_full_window(limit) for limit in LIMITS}
    # A few comparisons, not one per place: at 3,000 no more than at 100.
    assert max(work.values()) <= 10, work
    assert work[3000] <= work[100], work


async def operations_per_place_at_full_rate(limit: int, places: int) -> float:
    """``places`` acquires and releases at the limit: each window fills, and
    then its earliest places leave it one by one while others wait."""
    clock = CountingClock()
    limiter = InProcessRateLimiter(clock)
    request = RateRequest(ID, "sendTextStatus", limit, hold=10.0)
    Tick.operations = 0
    for _ in range(places):
        place = await limiter.acquire(request)
        await place.release()
    assert clock.sleeps > 0  # it did run at the limit
    return Tick.operations / places


async def test_at_the_limit_the_work_per_place_stays_flat() -> None:
    with anyio.fail_after(60):
        work = {
            limit: await operations_per_place_at_full_rate(limit, places=3 * limit)
            for limit in LIMITS
        }
    # Each ended time leaves the window once: amortized, a constant per place.
    assert max(work.values()) <= 12, work
    assert work[3000] <= work[10] + 1, work


# -- the same places as the limiter always gave, at the same times ------------------


def model_times(script: list[tuple[str, float]], limit: int) -> list[float]:
    """When each acquire of ``script`` takes its place: the limit's definition,
    written plainly (every place looked at each time)."""
    time = 1000.0
    held: list[float | None] = []  # None: in flight; else when it ended
    taken: list[float] = []
    for action, value in script:
        if action == "advance":
            time += value
        elif action == "release":
            index = held.index(None)  # the oldest in flight
            held[index] = time
        else:
            while True:
                counting = [e for e in held if e is None or e + WINDOW + MARGIN > time]
                if len(counting) < limit:
                    held.append(None)
                    taken.append(time)
                    break
                time = min(e for e in counting if e is not None) + WINDOW + MARGIN
    return taken


def random_script(chance: random.Random, limit: int, steps: int) -> list[tuple[str, float]]:
    script: list[tuple[str, float]] = []
    in_flight = 0
    for _ in range(steps):
        roll = chance.random()
        if roll < 0.45 and in_flight < limit:
            script.append(("acquire", 0.0))
            in_flight += 1
        elif roll < 0.85 and in_flight:
            script.append(("release", 0.0))
            in_flight -= 1
        else:
            script.append(("advance", chance.choice([0.001, 0.05, 0.3, 0.7, 1.2])))
    return script


@pytest.mark.parametrize("seed", range(5))
async def test_places_are_taken_exactly_when_the_definition_says(seed: int) -> None:
    chance = random.Random(seed)
    limit = chance.choice([1, 2, 5, 20])
    script = random_script(chance, limit, steps=400)
    clock = CountingClock()
    limiter = InProcessRateLimiter(clock)
    request = RateRequest(ID, "sendTextStatus", limit, hold=10.0)
    in_flight: list[RatePlace] = []
    taken: list[float] = []
    with anyio.fail_after(30):
        for action, value in script:
            if action == "advance":
                clock.time += value
            elif action == "release":
                await in_flight.pop(0).release()
            else:
                in_flight.append(await limiter.acquire(request))
                taken.append(clock.time)
    assert taken == model_times(script, limit)


# -- the place taken at once, when nobody waits, overtakes no one --------------------


async def test_a_newcomer_never_takes_the_place_a_waiter_was_woken_for() -> None:
    clock = FakeClock(start=1000.0, autojump=False)
    limiter = InProcessRateLimiter(clock)
    request = RateRequest(ID, "sendTextStatus", 1, hold=10.0)
    order: list[str] = []
    await (await limiter.acquire(request)).release()  # the one place counts 1.01 s

    async def waiter() -> None:
        place = await limiter.acquire(request)
        order.append("waiter")
        await place.release()

    async def next_window() -> None:
        await anyio.wait_all_tasks_blocked()
        clock.advance(1.05)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            clock.advance(1.05)  # the place is free: the waiter is woken, not yet run
            group.start_soon(next_window)
            place = await limiter.acquire(request)  # a newcomer, before the waiter runs
            order.append("newcomer")
            await place.release()
    assert order == ["waiter", "newcomer"]
    assert clock.time == 1000.0 + 1.05 + 1.05  # a window after the waiter's place


async def test_a_caller_already_cancelled_takes_no_place() -> None:
    clock = FakeClock(start=1000.0, autojump=False)
    limiter = InProcessRateLimiter(clock)
    request = RateRequest(ID, "sendTextStatus", 1, hold=10.0)
    with anyio.CancelScope() as scope:
        scope.cancel()
        await limiter.acquire(request)
        raise AssertionError("a cancelled caller was given a place")
    with anyio.fail_after(5):
        await limiter.acquire(request)  # the one place is still free
    assert clock.sleeps == []
