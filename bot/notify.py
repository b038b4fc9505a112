"""Sending to a person (not answering a chat): reminders go to the person's
messenger accounts, first the preferred one, then the others if that fails."""

from __future__ import annotations

from typing import Protocol

from handlers.messages import Reply
from handlers.reminders import Unreachable
from storage import people
from storage.db import Database
from storage.models import Person

# Telegram first: it has buttons for "Report submitted".
CHANNEL_PREFERENCE = ("telegram", "zalo")


class ChannelSender(Protocol):
    async def send(self, chat_id: str, replies: list[Reply]) -> None: ...


class Notifier:
    def __init__(self, database: Database, channels: dict[str, ChannelSender]) -> None:
        self.database = database
        self.channels = channels

    async def __call__(self, person: Person, replies: list[Reply]) -> str:
        async with self.database.session() as session:
            accounts = await people.accounts_of(session, person.id)
        usable = sorted(
            (a for a in accounts if a.channel in self.channels),
            key=lambda a: CHANNEL_PREFERENCE.index(a.channel)
            if a.channel in CHANNEL_PREFERENCE else len(CHANNEL_PREFERENCE),
        )
        if not usable:
            raise Unreachable("no account on a running channel")
        failure: Exception | None = None
        for account in usable:
            try:
                await self.channels[account.channel].send(account.external_id, replies)
                return account.channel
            except Exception as error:  # noqa: BLE001 - try the next channel, then report
                failure = error
        raise failure
