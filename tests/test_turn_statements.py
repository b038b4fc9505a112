"""What an answer costs the database (issue 11 goal 5): the engine's part of a turn on
the real bot over the fake Telegram server, counted with SQLAlchemy's events on the
turn's own connection, on SQLite and PostgreSQL.

The sender, their open draft, its answers, their last screen and their consent are
read in one statement; then the answer is written, the run moves on and the new
screen is remembered. The inbox's claim and the outbox rows around the turn are the
pipeline's and are not counted here."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import event
from sqlmodel import select

from storage.models import Answer
from tests.telegram_harness import INSPECTOR, Phone, running_bot, seed


class TurnStatements:
    """Wraps the channel's engine.apply: the SQL each turn ran, in order."""

    def __init__(self, engine) -> None:
        self.turns: list[list[str]] = []
        self._apply: Callable = engine.apply
        self._engine = engine
        engine.apply = self.apply

    async def apply(self, session, inbound, prepared=None):
        connection = (await session.connection()).sync_connection
        seen: list[str] = []

        def count(conn, _cursor, statement, _params, _context, _many) -> None:
            if conn is connection:
                seen.append(" ".join(statement.split()))

        target = self._engine.db.engine.sync_engine
        event.listen(target, "before_cursor_execute", count)
        try:
            return await self._apply(session, inbound, prepared)
        finally:
            event.remove(target, "before_cursor_execute", count)
            self.turns.append(seen)

    def last(self) -> list[str]:
        return self.turns[-1]


# The conversation state this module is about; other features' own lookups (a
# department's report form, say) are theirs to count.
STATE = {"person", "channel_account", "checklist_run", "answer", "offered_choices", "consent"}


def table_of(statement: str) -> str:
    """The table a statement reads (its first FROM) or writes."""
    found = re.match(r"(?:INSERT INTO|UPDATE|DELETE FROM) (\w+)", statement)
    while found is None and "(" in statement:  # subqueries out, innermost first
        statement, before = re.sub(r"\([^()]*\)", "", statement), statement
        if statement == before:
            break
    if found is None:
        found = re.search(r" FROM (\w+)", statement)
    return found.group(1) if found else "?"


def state_statements(statements: list[str]) -> list[str]:
    """'SELECT person', 'INSERT answer'...: the statements on the conversation state."""
    picked = [(s.split()[0], table_of(s)) for s in statements]
    return [f"{kind} {table}" for kind, table in picked if table in STATE]


async def test_an_answer_is_one_read_and_three_writes(tg, db, database_target, tmp_path):
    await seed(db)
    async with running_bot(tg, database_target.url, tmp_path / "media") as channel:
        counted = TurnStatements(channel.engine)
        phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
        await phone.send("/start", "Chọn phiếu kiểm tra")
        await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
        await phone.send("co op quang ngai", "Câu 1/11")

        await phone.tap("Có", "Câu 2/11")  # a button
        tapped = counted.last()
        await phone.tap("Túi giấy", "Câu 2/11")  # a ticked choice: no answer yet
        await phone.tap("Xong", "Câu 3/11")
        await phone.send("75%", "Câu 4/11")  # typed: read against the screen shown
        typed = counted.last()
        await phone.send("2", "Câu 5/11")  # a typed number picks the second choice
        picked = counted.last()

    # One read (the person with their draft, its answers, their screen and consent),
    # then the answer, the run's new place and the new screen.
    expected = [
        "SELECT person",
        "INSERT answer",
        "UPDATE checklist_run",
        "INSERT offered_choices",
    ]
    for statements in (tapped, typed, picked):
        assert state_statements(statements) == expected, statements
    assert all(" JOIN checklist_run " in s for s in (tapped[0], typed[0], picked[0]))
    async with db.session() as session:
        answers = {a.question_id: a for a in (await session.exec(select(Answer))).all()}
    assert answers["nonbio_bags"].value_text == "yes"
    assert answers["bag_types"].value_json == ["paper"]
    assert answers["eco_bag_share"].value_number == 75
    assert answers["packaging_replaced"].value_text is not None
