"""When each channel last heard from its messenger and last delivered, for /healthz
(bot/webhook.py). Kept apart from the webhook server so that `fieldbot run` can start
noting before it imports the server's libraries."""

from __future__ import annotations

import time
from collections.abc import Callable


class Liveness:
    """When each channel last heard from its messenger (a poll that answered, or a
    webhook update) and last delivered a message part, for /healthz."""

    def __init__(self, polling: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.polling = polling
        self.clock = clock
        self.started = clock()
        self.channels: list[str] = []
        self.heard: dict[str, float] = {}
        self.sent: dict[str, float] = {}

    def watch(self, intake, channels: dict) -> None:
        """Notes every successful poll and send of the running channels. Every channel
        hands what it fetched to ``intake.store`` (an empty list after an empty poll)
        and sends through ``send_part``: wrapping the two sees both without changing
        the channels."""
        self.channels = list(channels)
        store = intake.store

        async def noting_store(channel: str, updates):
            self.heard[channel] = self.clock()
            return await store(channel, updates)

        intake.store = noting_store
        for name, channel in channels.items():
            channel.send_part = self._noting_send(name, channel.send_part)

    def _noting_send(self, name: str, send_part):
        async def noting_send(chat_id: str, part) -> None:
            await send_part(chat_id, part)
            self.sent[name] = self.clock()

        return noting_send

    def age(self, moments: dict[str, float], channel: str) -> float | None:
        moment = moments.get(channel)
        return None if moment is None else round(self.clock() - moment, 1)

    def silent_for(self, channel: str) -> float:
        """Seconds since the channel last heard from its messenger (or since start)."""
        return self.clock() - self.heard.get(channel, self.started)
