"""Following statuses: get_outgoing_status, watch_statistic and watch_incoming
against the fake GREEN-API, on a fake clock the tests drive."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gc
import itertools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import anyio
import pytest

from greenstatus import (
    AsyncStatusClient,
    AuthenticationError,
    ClientClosedError,
    Contact,
    IncomingStatus,
    NoRetry,
    StatisticChange,
    Watch,
)
from greenstatus.testing import FakeClock, FakeGreenAPI

pytestmark = pytest.mark.anyio

PEOPLE = [f"7901000000{index}@c.us" for index in range(5)]
CONTACTS = [
    Contact(chat_id, f"p{index}", f"Person {index}") for index, chat_id in enumerate(PEOPLE)
]
T = TypeVar("T")


def polls(fake: FakeGreenAPI, method: str) -> list[float]:
    return [request.received_at for request in fake.requests if request.api_method == method]


async def drive(clock: FakeClock, seconds: float, step: float = 0.25) -> None:
    """Move the clock ``seconds`` forward in steps, letting every task run
    until it waits again between steps (a bounded loop, within 20 real
    seconds: the fake clock's time takes none)."""
    with anyio.fail_after(20):
        for _ in range(round(seconds / step)):
            await anyio.wait_all_tasks_blocked()
            clock.advance(step)
        await anyio.wait_all_tasks_blocked()


async def collect(source: Watch[T], into: list[T]) -> None:
    async with source as items:
        async for item in items:
            into.append(item)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1000.0, autojump=False)


@pytest.fixture
def fake(clock: FakeClock) -> FakeGreenAPI:
    return FakeGreenAPI(contacts=CONTACTS, clock=clock.now)


async def sent_ids(fake: FakeGreenAPI, count: int) -> list[str]:
    """``count`` statuses to all five people, sent on a client of their own
    (no waits), so the watchers' clock starts clean."""
    async with AsyncStatusClient(
        fake.id_instance, fake.token, transport=fake.transport(), rate_limits=None
    ) as sender:
        return [
            (await sender.send_text_status(f"status {index}", participants=PEOPLE)).id_message
            for index in range(count)
        ]


def watching(fake: FakeGreenAPI, clock: FakeClock, **options: Any) -> AsyncStatusClient:
    return AsyncStatusClient(
        fake.id_instance, fake.token, transport=fake.transport(), clock=clock, **options
    )


async def run_with(
    clock: FakeClock, seconds: float, *jobs: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    async with anyio.create_task_group() as group:
        for job in jobs:
            group.start_soon(job)
        await drive(clock, seconds)
        group.cancel_scope.cancel()


# -- one status, followed -------------------------------------------------------------


async def test_read_by_three_of_five_yields_those_changes_in_order_and_ends_at_until(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    [id_message] = await sent_ids(fake, 1)
    changes: list[StatisticChange] = []
    ended: list[float] = []

    async def watch() -> None:
        async with watching(fake, clock) as client:
            await collect(client.watch_statistic(id_message, until=60, interval=5), changes)
            ended.append(clock.now())

    async def recipients() -> None:
        await clock.sleep(12)
        fake.read(id_message, PEOPLE[3])
        await clock.sleep(10)
        fake.deliver(id_message, PEOPLE[0])
        fake.read(id_message, PEOPLE[1])
        await clock.sleep(10)
        fake.read(id_message, PEOPLE[0])

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        group.start_soon(recipients)
        await drive(clock, 70)
    assert [(c.participant, c.previous, c.status) for c in changes] == [
        *((person, None, "sent") for person in PEOPLE),
        (PEOPLE[3], "sent", "read"),
        (PEOPLE[0], "sent", "delivered"),
        (PEOPLE[1], "sent", "read"),
        (PEOPLE[0], "delivered", "read"),
    ]
    assert {change.id_message for change in changes} == {id_message}
    assert changes[5].timestamp == 1012
    assert ended == [1060.0]  # two unread: it ran to until, and ended by itself
    assert polls(fake, "getStatusStatistic")[-1] == 1060.0  # a last poll at the end


async def test_it_ends_once_every_recipient_has_read(fake: FakeGreenAPI, clock: FakeClock) -> None:
    [id_message] = await sent_ids(fake, 1)
    changes: list[StatisticChange] = []
    ended: list[float] = []

    async def watch() -> None:
        async with watching(fake, clock) as client:
            await collect(client.watch_statistic(id_message, interval=5), changes)
            ended.append(clock.now())

    async def everyone_reads() -> None:
        await clock.sleep(7)
        fake.read(id_message)

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        group.start_soon(everyone_reads)
        await drive(clock, 20)
    assert [change.status for change in changes] == ["sent"] * 5 + ["read"] * 5
    assert ended == [1010.0]


async def test_ten_watchers_keep_to_one_request_a_second(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    ids = await sent_ids(fake, 10)
    seen: dict[str, list[StatisticChange]] = {id_message: [] for id_message in ids}
    async with watching(fake, clock) as client:

        def watcher(id_message: str) -> Callable[[], Coroutine[Any, Any, None]]:
            async def watch() -> None:
                watch = client.watch_statistic(id_message, until=30, interval=1)
                async with contextlib.aclosing(watch):
                    async for change in watch:
                        seen[id_message].append(change)

            return watch

        await run_with(clock, 40, *(watcher(id_message) for id_message in ids))
    times = polls(fake, "getStatusStatistic")
    assert len(times) >= 25  # the second shared among the ten, the whole time
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times))
    assert all(len(changes) == 5 for changes in seen.values())  # every watcher got its turn


async def test_breaking_out_leaves_nothing_polling(fake: FakeGreenAPI, clock: FakeClock) -> None:
    [id_message] = await sent_ids(fake, 1)
    # No rate limit: this test awaits the watchers itself, with no one moving the clock.
    async with watching(fake, clock, rate_limits=None) as client:
        tasks_before = _tasks()
        async for _change in client.watch_statistic(id_message, interval=5):
            break  # no aclose: it asks nothing more, and leaves nothing to finalize
        gc.collect()
        watcher = client.watch_statistic(id_message, interval=5)
        await watcher.__anext__()
        await watcher.aclose()
        asked = len(polls(fake, "getStatusStatistic"))
        await drive(clock, 30)
        assert len(polls(fake, "getStatusStatistic")) == asked
        assert _tasks() == tasks_before


async def test_cancelling_the_consumer_leaves_nothing_behind(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    [id_message] = await sent_ids(fake, 1)
    changes: list[StatisticChange] = []
    async with watching(fake, clock) as client:
        tasks_before = _tasks()

        async def watch() -> None:
            await collect(client.watch_statistic(id_message, interval=5), changes)

        await run_with(clock, 12, watch)  # cancelled while it waits between polls
        asked = len(polls(fake, "getStatusStatistic"))
        await drive(clock, 30)
        assert len(polls(fake, "getStatusStatistic")) == asked == 3
        assert _tasks() == tasks_before


async def test_closing_the_client_ends_a_waiting_watcher_typed(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    [id_message] = await sent_ids(fake, 1)
    client = watching(fake, clock)
    errors: list[BaseException] = []

    async def watch() -> None:
        try:
            await collect(client.watch_statistic(id_message, interval=5), [])
        except ClientClosedError as error:
            errors.append(error)

    async def close_later() -> None:
        await clock.sleep(3)
        await client.aclose()

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        group.start_soon(close_later)
        await drive(clock, 10)
    assert len(errors) == 1
    assert errors[0].request_sent is False  # type: ignore[attr-defined]


async def test_a_failure_that_will_not_pass_ends_the_watcher_with_it(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    [id_message] = await sent_ids(fake, 1)
    caught: list[BaseException] = []

    async def watch() -> None:
        async with watching(fake, clock, retry=NoRetry()) as client:
            try:
                await collect(client.watch_statistic(id_message, interval=5), [])
            except AuthenticationError as error:
                caught.append(error)

    async def fail_later() -> None:
        await clock.sleep(2)
        fake.fail_next(500)  # passes: the watcher goes on
        await clock.sleep(5)
        fake.fail_next(401)  # will not pass: it ends

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        group.start_soon(fail_later)
        await drive(clock, 30)
    assert len(caught) == 1
    assert len(polls(fake, "getStatusStatistic")) == 3


def test_bad_arguments_are_refused_before_anything_is_asked() -> None:
    fake = FakeGreenAPI()
    client = AsyncStatusClient(fake.id_instance, fake.token, transport=fake.transport())
    with pytest.raises(ValueError, match="id_message"):
        client.watch_statistic("")
    with pytest.raises(ValueError, match="until"):
        client.watch_statistic("X", until=0)
    with pytest.raises(ValueError, match="interval"):
        client.watch_statistic("X", interval=-1)
    with pytest.raises(ValueError, match="interval"):
        client.watch_incoming(interval=0)
    naive = datetime.datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="aware"):
        client.watch_incoming(since=naive)
    assert fake.requests == []


async def test_get_outgoing_status_finds_one_by_its_id(fake: FakeGreenAPI) -> None:
    [first, second] = await sent_ids(fake, 2)
    async with AsyncStatusClient(
        fake.id_instance, fake.token, transport=fake.transport(), rate_limits=None
    ) as client:
        found = await client.get_outgoing_status(second)
        missing = await client.get_outgoing_status("NOT-A-STATUS")
    assert found is not None
    assert found.id_message == second
    assert missing is None
    queries = [r.query for r in fake.requests if r.api_method == "getOutgoingStatuses"]
    assert queries == [{"minutes": "1440"}, {"minutes": "1440"}]
    assert first != second


# -- contacts' statuses -----------------------------------------------------------------


async def test_watch_incoming_yields_each_status_once_as_it_comes(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    fake.post_incoming(PEOPLE[0], text="already there")
    got: list[IncomingStatus] = []

    async def watch() -> None:
        async with watching(fake, clock) as client:
            await collect(client.watch_incoming(interval=10), got)

    async def contacts_post() -> None:
        await clock.sleep(15)
        fake.post_incoming(PEOPLE[1], text="new")
        await clock.sleep(30)
        fake.post_incoming(PEOPLE[2], text="newer")

    await run_with(clock, 70, watch, contacts_post)
    assert [status.text_message for status in got] == ["already there", "new", "newer"]
    queries = [r.query["minutes"] for r in fake.requests if r.api_method == "getIncomingStatuses"]
    assert queries[0] == "1440"
    assert all(minutes == "6" for minutes in queries[1:])  # 10 s since the last, and a margin


async def test_watch_incoming_since_skips_what_came_before(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    fake.post_incoming(PEOPLE[0], text="old")
    clock.advance(100)
    fake.post_incoming(PEOPLE[1], text="recent")
    got: list[IncomingStatus] = []

    async def watch() -> None:
        async with watching(fake, clock) as client:
            await collect(client.watch_incoming(since=clock.now() - 50), got)

    await run_with(clock, 5, watch)
    assert [status.text_message for status in got] == ["recent"]


def _tasks() -> int:
    """The tasks running now, where the backend can count them (asyncio)."""
    try:
        return len(asyncio.all_tasks())
    except RuntimeError:  # trio: the task group's cancellation is the check
        return 0
