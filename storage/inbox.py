"""The inbox and the outbox: every query on them.

An update is stored before the messenger is told we have it; it is applied in the
transaction that marks it done and writes its replies to the outbox; the outbox is
delivered after. See bot/pipeline.py for the workers that move rows along.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboxUpdate, OutboxMessage, utcnow
from storage.runs import _insert

# One update or reply is a few kilobytes; the error text kept is a short summary.
ERROR_LIMIT = 200


def _short(error: str) -> str:
    return error[:ERROR_LIMIT]


# --- exclusive work on one person or chat across workers ---------------------------


async def try_lock(session: AsyncSession, key: str) -> bool:
    """PostgreSQL: a transaction-scoped advisory lock on ``key`` (released at commit,
    rollback, or when a killed worker's connection drops), False if another worker
    holds it. SQLite serves one process; the caller serialises there."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return True
    statement = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")
    return bool((await session.exec(statement, params={"key": key})).scalar())


# --- inbox ------------------------------------------------------------------------


async def store_updates(
    session: AsyncSession, channel: str, updates: list[tuple[str, str, Any]]
) -> int:
    """Stores (update key, sender key, raw body) rows; a key seen before is skipped
    (the messenger delivered it again). Returns how many were new."""
    new = 0
    for key, sender, raw in updates:
        statement = (
            _insert(session)(InboxUpdate)
            .values(
                channel=channel,
                update_key=key[:64],
                sender_key=sender[:64],
                raw=raw,
                status="pending",
                attempts=0,
                received_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )
        new += (await session.exec(statement)).rowcount
    return new


async def pending_senders(session: AsyncSession, limit: int = 500) -> list[tuple[str, str]]:
    """(channel, sender) pairs with updates waiting, the longest waiting first."""
    first = func.min(InboxUpdate.id)
    statement = (
        select(InboxUpdate.channel, InboxUpdate.sender_key)
        .where(InboxUpdate.status == "pending")
        .group_by(InboxUpdate.channel, InboxUpdate.sender_key)
        .order_by(first)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.exec(statement)).all()]


async def oldest_pending(
    session: AsyncSession, channel: str, sender: str, for_update: bool = False
) -> InboxUpdate | None:
    statement = (
        select(InboxUpdate)
        .where(
            InboxUpdate.status == "pending",
            InboxUpdate.channel == channel,
            InboxUpdate.sender_key == sender,
        )
        .order_by(col(InboxUpdate.id))
        .limit(1)
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def still_pending(session: AsyncSession, update_id: int) -> bool:
    statement = select(InboxUpdate.id).where(
        InboxUpdate.id == update_id, InboxUpdate.status == "pending"
    )
    return (await session.exec(statement)).first() is not None


async def mark_done(session: AsyncSession, update_id: int) -> None:
    await session.exec(
        update(InboxUpdate)
        .where(col(InboxUpdate.id) == update_id)
        .values(status="done", processed_at=utcnow())
    )


async def record_failure(session: AsyncSession, update_id: int, error: str, set_aside: bool) -> int:
    """Counts a failed attempt; ``set_aside`` stops further attempts. Returns the count."""
    row = await session.get(InboxUpdate, update_id)
    if row is None:
        return 0
    row.attempts += 1
    row.last_error = _short(error)
    if set_aside:
        row.status, row.processed_at = "set_aside", utcnow()
    session.add(row)
    return row.attempts


async def inbox_counts(session: AsyncSession) -> dict[str, int]:
    statement = select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
    return {row[0]: row[1] for row in (await session.exec(statement)).all()}


# --- outbox -----------------------------------------------------------------------


def add_replies(
    session: AsyncSession,
    channel: str,
    chat_id: str,
    language: str,
    replies: list[dict],
    inbox_id: int | None = None,
) -> OutboxMessage | None:
    """Queues one turn's replies (as handlers.messages.reply_to_json dicts)."""
    if not replies:
        return None
    row = OutboxMessage(
        channel=channel, chat_id=chat_id, language=language, replies=replies, inbox_id=inbox_id
    )
    session.add(row)
    return row


async def pending_chats(
    session: AsyncSession, now: datetime, limit: int = 500
) -> list[tuple[str, str]]:
    """(channel, chat) pairs whose oldest waiting message may be tried now."""
    first = func.min(OutboxMessage.id)
    statement = (
        select(OutboxMessage.channel, OutboxMessage.chat_id)
        .where(OutboxMessage.status == "pending")
        .group_by(OutboxMessage.channel, OutboxMessage.chat_id)
        .having(func.min(OutboxMessage.next_attempt_at) <= now)
        .order_by(first)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.exec(statement)).all()]


async def oldest_unsent(
    session: AsyncSession, channel: str, chat_id: str, for_update: bool = False
) -> OutboxMessage | None:
    """The chat's next message: later ones wait behind it, so a chat reads in order."""
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
        )
        .order_by(col(OutboxMessage.id))
        .limit(1)
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def record_part_sent(session: AsyncSession, message_id: int, parts: int) -> None:
    """One more messenger message is out; the row is sent when all ``parts`` are."""
    row = await session.get(OutboxMessage, message_id)
    if row is None:
        return
    row.parts_sent += 1
    if row.parts_sent >= parts:
        row.status, row.sent_at = "sent", utcnow()
    session.add(row)


async def record_send_failure(
    session: AsyncSession, message_id: int, error: str, retry_in: float | None
) -> None:
    """A failed delivery: tried again after ``retry_in`` seconds, or failed for good."""
    row = await session.get(OutboxMessage, message_id)
    if row is None:
        return
    row.attempts += 1
    row.last_error = _short(error)
    if retry_in is None:
        row.status = "failed"
    else:
        row.next_attempt_at = utcnow() + timedelta(seconds=retry_in)
    session.add(row)


async def outbox_counts(session: AsyncSession) -> dict[str, int]:
    statement = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    return {row[0]: row[1] for row in (await session.exec(statement)).all()}
