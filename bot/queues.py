"""Per-key work queues for bot/pipeline.py, and writes that many callers share.

Workers   one queue per key (a person, a chat), each drained in order by its own task,
          a bounded number at once; a periodic sweep finds work not handed over.
Marks     parts sent, written for many messages in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from handlers.engine import Engine
from storage import inbox

log = logging.getLogger(__name__)

BOOKKEEPING_ATTEMPTS = 5


class Workers:
    """Per-key queues (a person, a chat), each drained in order by its own task; a sweep
    finds work that was not handed over."""

    def __init__(self, concurrency: int, sweep_seconds: float) -> None:
        self._wake = asyncio.Event()
        self._queues: dict[Hashable, deque] = {}
        self._active: dict[Hashable, asyncio.Task] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._sweep = sweep_seconds
        self._loop_task: asyncio.Task | None = None
        self.stopping = False

    def wake(self) -> None:
        """Sweep now, not at the next tick."""
        self._wake.set()

    async def sweep(self) -> None:
        raise NotImplementedError

    async def work_on(self, key: Hashable, item: Any) -> bool:
        """One item of ``key``'s queue; False holds the key's later items back (the
        queue is dropped; the sweep finds them again)."""
        raise NotImplementedError

    def forget(self, key: Hashable, items: list) -> None:
        """Items dropped unprocessed (subclasses un-mark them)."""

    def enqueue(self, key: Hashable, items: list) -> None:
        if self.stopping or not items:
            return
        self._queues.setdefault(key, deque()).extend(items)
        if key not in self._active:
            self._active[key] = asyncio.create_task(self._drain(key))

    async def _drain(self, key: Hashable) -> None:
        queue = self._queues[key]
        try:
            while queue and not self.stopping:
                item = queue.popleft()
                async with self._slots:
                    go_on = await self.work_on(key, item)
                if not go_on:
                    break
        except Exception:  # a bug here must not kill the worker; the sweep retries
            log.exception("%s: unexpected failure", type(self).__name__)
        finally:
            self._active.pop(key, None)
            left = list(self._queues.pop(key, ()))
            self.forget(key, left)

    async def _sweep_safely(self) -> None:
        try:
            await self.sweep()
        except Exception as error:  # noqa: BLE001 - the database may be away; sweep again
            log.warning("%s: cannot read work (%s)", type(self).__name__, type(error).__name__)

    async def run_until_idle(self) -> None:
        """Everything pending now, then return (start-up, tests)."""
        await self._sweep_safely()
        while self._active:
            await asyncio.gather(*list(self._active.values()), return_exceptions=True)

    async def _run(self) -> None:
        while not self.stopping:
            self._wake.clear()  # before, not after: a wake during a sweep is kept
            await self._sweep_safely()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._sweep)

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name=type(self).__name__)

    async def stop(self, grace: float = 10.0) -> None:
        """Stops taking work; what is under way finishes (up to ``grace`` seconds)."""
        self.stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        running = list(self._active.values())
        if running:
            _done, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)


class Marks:
    """Parts sent, written for many messages in one transaction: each caller waits for
    the commit that holds its mark (so a crash resends at most the part in flight)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._marks: dict[int, tuple[int, int]] = {}
        self._waiting: list[asyncio.Future] = []
        self._writer: asyncio.Task | None = None

    async def record(self, message_id: int, parts_out: int, parts: int) -> None:
        done = asyncio.get_running_loop().create_future()
        self._marks[message_id] = (parts_out, parts)
        self._waiting.append(done)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._marks:
            marks, waiting = self._marks, self._waiting
            self._marks, self._waiting = {}, []
            try:
                await booked(self.engine, inbox.record_parts_sent, marks)
            except Exception as error:  # noqa: BLE001 - each waiter gets it
                for future in waiting:
                    future.set_exception(error)
            else:
                for future in waiting:
                    future.set_result(None)


async def booked(engine: Engine, record: Callable[..., Awaitable[None]], *args: Any) -> None:
    """Bookkeeping after a send, retried on its own: the message is out and must not be
    sent again because a database write failed once."""
    for attempt in range(1, BOOKKEEPING_ATTEMPTS + 1):
        try:
            async with engine.transaction() as session:
                await record(session, *args)
                await session.commit()
            return
        except Exception as error:  # noqa: BLE001
            if attempt == BOOKKEEPING_ATTEMPTS:
                log.error("outbox bookkeeping failed: %s", type(error).__name__)
                raise
            await asyncio.sleep(0.2 * attempt)
