"""The inbox and the outbox: every query on them.

An update is stored before the messenger is told we have it; it is applied in the
transaction that marks it done and writes its replies to the outbox; the outbox is
delivered after. See bot/pipeline.py for the workers that move rows along.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, bindparam, case, cast, func, literal, text, update
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


@dataclass(frozen=True)
class Queued:
    """A pending update as a worker holds it (``raw`` None: read it when its turn comes)."""

    id: int
    channel: str
    sender: str
    raw: Any = None
    attempts: int = 0
    key: str = ""


async def store_updates(
    session: AsyncSession, channel: str, updates: list[tuple[str, str, Any]]
) -> list[Queued]:
    """Stores (update key, sender key, raw body) rows in one statement; a key seen before
    is skipped (the messenger delivered it again). Returns the new rows, oldest first."""
    rows: dict[str, dict] = {}
    now = utcnow()
    for key, sender, raw in updates:
        key = key[:64]
        rows.setdefault(
            key,
            dict(
                channel=channel,
                update_key=key,
                sender_key=sender[:64],
                raw=raw,
                status="pending",
                attempts=0,
                received_at=now,
            ),
        )
    if not rows:
        return []
    statement = (
        _insert(session)(InboxUpdate)
        .values(list(rows.values()))
        .on_conflict_do_nothing()
        .returning(col(InboxUpdate.id), col(InboxUpdate.update_key))
    )
    new = sorted((await session.exec(statement)).all())
    return [Queued(i, channel, rows[k]["sender_key"], rows[k]["raw"], 0, k) for i, k in new]


async def pending_updates(session: AsyncSession, limit: int = 500) -> list[Queued]:
    """Pending updates, oldest first, without their bodies (the sweep's cheap look)."""
    statement = (
        select(InboxUpdate.id, InboxUpdate.channel, InboxUpdate.sender_key, InboxUpdate.attempts)
        .where(InboxUpdate.status == "pending")
        .order_by(col(InboxUpdate.id))
        .limit(limit)
    )
    return [Queued(r[0], r[1], r[2], None, r[3]) for r in (await session.exec(statement)).all()]


async def pending_body(session: AsyncSession, update_id: int) -> Queued | None:
    row = await session.get(InboxUpdate, update_id)
    if row is None or row.status != "pending":
        return None
    return Queued(row.id, row.channel, row.sender_key, row.raw, row.attempts)


CLAIMED, BUSY, GONE = "claimed", "busy", "gone"

_CLAIM = """UPDATE inbox_update SET status = 'done', processed_at = :now
WHERE id = :id AND status = 'pending' AND NOT EXISTS (
    SELECT 1 FROM inbox_update AS older WHERE older.status = 'pending'
    AND older.channel = :channel AND older.sender_key = :sender AND older.id < :id)"""

# PostgreSQL, one round trip: the sender's advisory lock (another worker holds it: BUSY)
# and the claim. A CTE holding a volatile function runs once.
_CLAIM_PG = f"""WITH got AS (
    SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0)) AS locked),
claimed AS ({_CLAIM.replace("WHERE id", "WHERE (SELECT locked FROM got) AND id")}
    RETURNING id)
SELECT (SELECT locked FROM got), (SELECT count(*) FROM claimed)"""


_NOW = bindparam("now", type_=InboxUpdate.__table__.c.processed_at.type)
# Built once (a text() construct parses its SQL for parameters when made).
_CLAIM_STATEMENT = text(_CLAIM).bindparams(_NOW)
_CLAIM_PG_STATEMENT = text(_CLAIM_PG).bindparams(_NOW)


async def claim(session: AsyncSession, update_id: int, channel: str, sender: str) -> str:
    """Marks the update done as the first statement of the turn's transaction (so a
    rollback puts it back): CLAIMED, BUSY (PostgreSQL: another worker is on this
    sender), or GONE (applied already, or an older update of the sender is pending)."""
    params = {"id": update_id, "channel": channel, "sender": sender, "now": utcnow()}
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        params["key"] = f"in:{channel}:{sender}"
        locked, claimed = (await session.exec(_CLAIM_PG_STATEMENT, params=params)).one()
        return CLAIMED if claimed else GONE if locked else BUSY
    result = await session.exec(_CLAIM_STATEMENT, params=params)
    return CLAIMED if result.rowcount == 1 else GONE


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


@dataclass(frozen=True)
class Outgoing:
    """A message to deliver, as the turn that wrote it hands it to the sender."""

    id: int
    channel: str
    chat_id: str
    language: str
    replies: list
    parts_sent: int = 0
    attempts: int = 0

    @classmethod
    def of(cls, row: OutboxMessage) -> Outgoing:
        return cls(
            row.id,
            row.channel,
            row.chat_id,
            row.language,
            row.replies,
            row.parts_sent,
            row.attempts,
        )


def lease_new_messages(session: AsyncSession, seconds: float) -> list[OutboxMessage]:
    """The messages this turn wrote (to any chat), held for this process for ``seconds``:
    it delivers them as soon as the turn commits, and a sweep (here or in another worker)
    takes them only if it has not, after that."""
    rows = [
        row
        for row in [*session.new, *session.identity_map.values()]
        if isinstance(row, OutboxMessage) and row.status == "pending" and row.attempts == 0
    ]
    until = utcnow() + timedelta(seconds=seconds)
    for row in rows:
        row.next_attempt_at = until
    return rows


# What a /web sign-in link contains (storage.web.create_login_link).
SIGN_IN_PATH = "/login/"


def _parts_sent_statement():
    """One UPDATE for many messages (executemany). A message sent with this mark that
    carried a one-time sign-in link keeps no copy of it: the link would sit in plain
    text in the database until the retention purge (the SET reads the row as it was)."""
    table = OutboxMessage.__table__
    sent = bindparam("st", type_=table.c.status.type) == "sent"
    has_link = cast(table.c.replies, Text).contains(SIGN_IN_PATH)
    return (
        update(table)
        .where(table.c.id == bindparam("message_id"))
        .values(
            parts_sent=bindparam("out"),
            status=bindparam("st"),
            sent_at=bindparam("at"),
            replies=case(
                (and_(sent, has_link), literal([], table.c.replies.type)),
                else_=table.c.replies,
            ),
        )
    )


_PARTS_SENT = _parts_sent_statement()


async def record_parts_sent(session: AsyncSession, marks: dict[int, tuple[int, int]]) -> None:
    """{message id: (parts out, parts in all)}, one statement for many messages: a
    message is sent when all its parts are (and forgets a sign-in link it carried)."""
    now = utcnow()
    params = [
        {"message_id": i, "out": out, "st": "sent", "at": now}
        if out >= of
        else {"message_id": i, "out": out, "st": "pending", "at": None}
        for i, (out, of) in marks.items()
    ]
    connection = await session.connection()
    await connection.execute(_PARTS_SENT, params)


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
