"""A tick's bookkeeping of its reminder deliveries, many rows per statement: claiming
them before they are sent, recording how each went, and remembering the choices a
delivered reminder offered (see storage/reminders.py for the statuses).

A tick claims and records a thousand reminders: each statement here is executed for a
batch of them, compiled once (SQLAlchemy caches a statement it can key, and an
upsert or a multi-row VALUES it cannot: compiling one costs more than the write).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChecklistRun, OfferedChoices, ReminderDelivery, utcnow

# A claim whose process died before it could record the outcome is taken over
# after this long.
STALE_CLAIM = timedelta(minutes=10)

# The columns of a delivery's unique key, in the order claim_many sorts by.
KEY_COLUMNS = ("deadline_id", "department_code", "recipient_id", "year", "offset_days", "kind")
NO_ACCOUNT = "no messenger account"


def _key_of(values) -> tuple:
    return tuple(values[name] for name in KEY_COLUMNS)


def _claimed_as(reachable: bool) -> dict:
    if reachable:
        return {"status": "sending"}
    return {"status": "unreachable", "channel": None, "last_error": NO_ACCOUNT}


async def claim_many(
    session: AsyncSession, wanted: list[tuple[dict, bool]], max_attempts: int
) -> list[int | None]:
    """Claims (key, the person has an account) reminders in the caller's transaction:
    for each, the id of its row, or None when it was already sent, is being sent
    elsewhere, or failed too often. Once the caller commits, a reachable one is
    "sending" (the message may leave from then on: never sent again) and an
    unreachable one is recorded "unreachable".

    One INSERT for all of them (the ids come back with the write, not from a read after
    it); a row already there is retaken (_retake), one UPDATE each. Rows go in key
    order, so two processes claiming the same batch on PostgreSQL wait for each other
    instead of deadlocking."""
    if not wanted:
        return []
    now = utcnow()
    table = ReminderDelivery.__table__
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = sorted(
        {
            _key_of(key): {
                **key,
                "status": "sending",
                "channel": None,
                "last_error": None,
                **_claimed_as(reachable),
                "attempts": 1,
                "claimed_at": now,
            }
            for key, reachable in reversed(wanted)  # the first of a key twice decides
        }.values(),
        key=_key_of,
    )
    # Executed for many rows, not a multi-row VALUES: that statement has no cache key
    # and would be compiled again for every batch (three times the CPU).
    statement = (
        insert(table)
        .on_conflict_do_nothing()
        .returning(table.c.id, *(table.c[name] for name in KEY_COLUMNS))
    )
    connection = await session.connection()
    inserted = (await connection.execute(statement, rows)).all()
    claimed = {_key_of(row._mapping): row.id for row in inserted}
    for key, reachable in sorted(wanted, key=lambda pair: _key_of(pair[0])):
        if _key_of(key) not in claimed:
            claimed[_key_of(key)] = await _retake(
                session, key, _claimed_as(reachable), max_attempts, now
            )
    result, given = [], set()
    for key, _reachable in wanted:  # a key twice in one batch is claimed once
        result.append(None if _key_of(key) in given else claimed.get(_key_of(key)))
        given.add(_key_of(key))
    return result


async def _retake(
    session: AsyncSession, key: dict, values: dict, max_attempts: int, now: datetime
) -> int | None:
    """A delivery already there, claimed again only if it failed (and may be tried
    again) or its claimer died; the WHERE makes the retake itself exactly-once."""
    table = ReminderDelivery.__table__
    retake = (
        update(table)
        .where(*(table.c[name] == value for name, value in key.items()))
        .where(table.c.attempts < max_attempts)
        .where(
            or_(
                table.c.status == "failed",
                (table.c.status == "claimed") & (table.c.claimed_at < now - STALE_CLAIM),
            )
        )
        .values(**values, attempts=table.c.attempts + 1, claimed_at=now)
        .returning(table.c.id)
    )
    return (await session.exec(retake)).scalar_one_or_none()


async def record_outcomes(
    session: AsyncSession, outcomes: list[tuple[int, str, str | None, str | None]]
) -> None:
    """(delivery id, status, channel, error) of many sends, in the caller's transaction:
    one UPDATE executed for all (nothing read first: see claim_many). A tick writes its
    outcomes a few dozen at a time, then commits once."""
    if not outcomes:
        return
    now = utcnow()
    table = ReminderDelivery.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("delivery"))
        .values(
            status=bindparam("st"),
            channel=bindparam("via"),
            last_error=bindparam("error"),
            sent_at=func.coalesce(bindparam("at", type_=table.c.sent_at.type), table.c.sent_at),
        )
    )
    params = [
        {
            "delivery": delivery_id,
            "st": status,
            "via": channel,
            "error": error[:500] if error else None,
            "at": now if status == "sent" else None,
        }
        for delivery_id, status, channel, error in outcomes
    ]
    connection = await session.connection()
    await connection.execute(statement, params)


async def remember_offered_many(
    session: AsyncSession, offered: list[tuple[int, list[str]]]
) -> None:
    """storage.runs.remember_offered_unless_open for many delivered reminders, (person
    id, payloads) each, in the caller's transaction: one statement executed for all.
    An upsert has no cache key, so SQLAlchemy compiles it at every execution, which
    costs more than the write itself: compiled once here, for the whole batch."""
    if not offered:
        return
    table = OfferedChoices.__table__
    person = bindparam("person", type_=table.c.person_id.type)
    open_draft = (
        select(ChecklistRun.id)
        .where(ChecklistRun.person_id == person, ChecklistRun.status == "draft")
        .exists()
    )
    row = sa_select(
        person,
        bindparam("payloads", type_=table.c.payloads.type),
        bindparam("at", type_=table.c.updated_at.type),
    ).where(~open_draft)
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).from_select(["person_id", "payloads", "updated_at"], row)
    statement = statement.on_conflict_do_update(
        index_elements=["person_id"],
        set_={"payloads": statement.excluded.payloads, "updated_at": statement.excluded.updated_at},
    )
    now = utcnow()
    connection = await session.connection()
    await connection.execute(
        statement,
        [{"person": pid, "payloads": list(payloads), "at": now} for pid, payloads in offered],
    )
