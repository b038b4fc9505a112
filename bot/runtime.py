"""The running bot: channels feeding the inbox, the inbox worker, the outbox sender.

Start-up order matters: what an earlier process left (pending updates, unsent
replies) is handled before new updates are fetched; shutdown stops fetching first,
then lets the turn under way finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager

from bot.channels import Channel
from bot.pipeline import InboxWorker, Intake, OutboxSender
from handlers.engine import Engine

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self, engine: Engine, channels: dict[str, Channel], sweep_seconds: float = 1.0
    ) -> None:
        self.engine = engine
        self.channels = channels
        self.sender = OutboxSender(engine, channels, sweep_seconds=sweep_seconds)
        self.worker = InboxWorker(engine, channels, self.sender, sweep_seconds=sweep_seconds)
        self.intake = Intake(engine, self.worker)
        for channel in channels.values():
            channel.intake = self.intake
        self._opened: list[Channel] = []

    async def start(self, polling: bool = True, poll_timeout: int = 30) -> None:
        for channel in self.channels.values():
            await channel.open()
            self._opened.append(channel)
        await self.sender.take_over()  # queued before any new turn's replies
        self.sender.start()
        await self.worker.run_until_idle()  # what the last process left, first
        self.worker.start()
        if polling:
            for channel in self.channels.values():
                await channel.start_fetching(poll_timeout)

    async def stop(self, grace: float = 10.0) -> None:
        for channel in self._opened:
            await channel.stop_fetching()
        await self.worker.stop(grace)
        # The last turns' replies leave before we go (else the next start sends them).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.sender.run_until_idle(), grace)
        await self.sender.stop(grace)
        for channel in self._opened:
            await channel.close()
        self._opened.clear()


@asynccontextmanager
async def running(engine: Engine, channels: dict[str, Channel], **start_options):
    runtime = Runtime(engine, channels)
    await runtime.start(**start_options)
    try:
        yield runtime
    finally:
        await runtime.stop()
