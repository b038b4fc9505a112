"""Sending to a person (not answering a chat): reminders go to the person's
messenger accounts, first the preferred one, then the others if that fails.

A reminder is a Message: its replies as a channel with buttons shows them and as
one without (Zalo), so the text never says "press" where nothing can be pressed;
which one a channel gets is its ``buttons`` capability (bot/channels/registry.py).

A channel's ``send(chat_id, replies)`` returns normally only when the message was
delivered and raises otherwise; any exception counts as that channel failing.

A tick sends hundreds of these at once: the reads of accounts and the writes of
offered choices that come together share one round trip (storage/coalesce.py), and
the parts go out in the person's language, which is known, not looked up again."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.channels import send_replies
from bot.channels.registry import capabilities_of, preference
from handlers.messages import Reply
from handlers.reminders import Message, Unreachable
from storage import deliveries, people
from storage.coalesce import Coalesced
from storage.db import Database
from storage.models import ChannelAccount, Person

log = logging.getLogger(__name__)


class ChannelSender(Protocol):
    async def send(self, chat_id: str, replies: list[Reply]) -> None: ...


class Notifier:
    def __init__(self, database: Database, channels: dict[str, ChannelSender]) -> None:
        self.database = database
        self.channels = channels
        self._accounts = Coalesced(self._read_accounts)
        self._offered = Coalesced(self._write_offered)

    async def __call__(self, person: Person, message: Message | list[Reply]) -> str:
        accounts = await self._accounts(person.id)
        # In the registry's order: buttons first (for "Report submitted").
        usable = sorted(
            (a for a in accounts if a.channel in self.channels),
            key=lambda a: preference(a.channel),
        )
        if not usable:
            raise Unreachable("no account on a running channel")
        failures: list[Exception] = []
        for account in usable:
            replies = message
            if isinstance(message, Message):
                replies = message.shown(capabilities_of(account.channel).buttons)
            try:
                await self._send(account, replies, person.language)
            except Exception as error:  # noqa: BLE001 - try the next channel, then report
                failures.append(error)
                continue
            # Delivered: from here on nothing may turn this into a failure (a failure
            # would be retried, and the person would get the message twice).
            try:
                await self._remember_choices(person, replies)
            except Exception:  # noqa: BLE001 - only what a typed "1" means is lost
                log.warning("reminder choices for person %s not remembered", person.id)
            return account.channel
        if all(getattr(error, "permanent", False) for error in failures):
            # Blocked or refused everywhere: trying again cannot help; KTATMT is told.
            raise Unreachable("; ".join(str(error) for error in failures))
        raise failures[-1]

    async def _send(self, account: ChannelAccount, replies: list[Reply], language: str) -> None:
        """What the channel's ``send`` does (its parts in turn), in the account's
        person's language without reading it again; a channel that renders no parts
        is sent to as a whole."""
        channel = self.channels[account.channel]
        if hasattr(channel, "render") and hasattr(channel, "send_part"):
            await send_replies(channel, None, account.external_id, replies, language=language)
        else:
            await channel.send(account.external_id, replies)

    async def _read_accounts(self, person_ids: list[int]) -> list[list[ChannelAccount]]:
        async with self.database.session() as session:
            found = await people.accounts_of_many(session, sorted(set(person_ids)))
        return [found.get(person_id, []) for person_id in person_ids]

    async def _remember_choices(self, person: Person, replies: list[Reply]) -> None:
        """A delivered reminder's choices become what a typed "1" means, as the engine
        does for its own replies, unless a checklist is open: a reminder never takes
        over the open question (the head can type "Đã nộp báo cáo" instead)."""
        offered = [choice.payload for reply in replies for choice in reply.choices]
        if offered:
            await self._offered((person.id, offered))

    async def _write_offered(self, batch: list[tuple[int, list[str]]]) -> list[None]:
        """The offered choices of every delivery that came together, in one transaction."""
        async with self.database.session() as session:
            await deliveries.remember_offered_many(session, batch)
            await session.commit()
        return [None] * len(batch)
