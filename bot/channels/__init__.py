"""What every messenger channel offers the inbox and outbox workers (bot/pipeline.py).

A channel turns a stored raw update into a ``Parsed`` (who sent it, where replies
go, the engine's Inbound) and turns replies into the messenger's messages
("parts"), sending one part at a time so a crash resends at most one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Protocol

from handlers.messages import Inbound, Reply


@dataclass(frozen=True)
class Parsed:
    sender: str
    chat_id: str | None
    inbound: Inbound | None
    # A catalog key to answer with instead of asking the engine (content we cannot use).
    notice: str | None = None


def polling_backoff(failures: int) -> float:
    """Seconds to wait after ``failures`` failed polls in a row: 0.5 s doubling up to 30 s,
    jittered so that several workers do not all come back at the same moment."""
    return min(0.5 * 2 ** min(failures - 1, 6), 30.0) * (0.75 + random.random() / 2)


class DeliveryError(Exception):
    """A message that did not leave. ``permanent``: trying again cannot help (the person
    blocked the bot, the message was refused); otherwise it is tried again later.
    The text is a short summary without tokens or message content."""

    def __init__(self, summary: str, permanent: bool = False) -> None:
        super().__init__(summary)
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def parse(self, raw: Any) -> Parsed:
        """Raises for an update that cannot be understood (it is then set aside)."""

    async def acknowledge(self, raw: Any) -> None:
        """Best-effort receipt before the turn (Telegram: the button stops spinning)."""

    def render(self, replies: list[Reply], language: str) -> list[Any]: ...

    async def send_part(self, chat_id: str, part: Any) -> None:
        """Raises DeliveryError when the part did not leave."""

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """Every part at once, raising on the first that fails (reminders use this)."""
