"""Many concurrent callers, one database round trip: calls that come while a batch
is being done wait for the next one, which does all of them at once (a reminder
tick's hundreds of sends each need an account read and a choices write).

Each caller still waits for its own result, so nothing changes for it but the wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalesced(Generic[T, R]):
    """``await coalesced(item)``: ``run`` is given every item waiting (in arrival order)
    and returns their results in the same order; if it raises, every caller of that
    batch gets the error."""

    def __init__(self, run: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._run = run
        self._waiting: list[tuple[T, asyncio.Future]] = []
        self._worker: asyncio.Task | None = None

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._waiting.append((item, done))
        worker = self._worker
        if worker is None or worker.done() or worker.get_loop() is not loop:
            self._waiting = [(i, d) for i, d in self._waiting if d.get_loop() is loop]
            self._worker = loop.create_task(self._work())
        return await done

    async def _work(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await self._run([item for item, _done in batch])
            except BaseException as error:  # noqa: BLE001 - each caller gets it
                for _item, done in batch:
                    if done.done():
                        continue
                    if isinstance(error, Exception):
                        done.set_exception(error)
                    else:  # cancelled: so are they
                        done.cancel()
                if not isinstance(error, Exception):
                    for _item, done in self._waiting:
                        done.cancel()
                    self._waiting = []
                    raise
                continue
            for (_item, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)
