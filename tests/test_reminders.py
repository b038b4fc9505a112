"""Department heads hear about the 10 December report in time, exactly once per reminder."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from handlers.checklist import ChecklistRegistry
from handlers.engine import Engine, EngineSettings
from handlers.messages import Inbound
from handlers.reminders import Reminders, ReminderSettings
from storage import people
from storage.models import ReminderDelivery, ReportConfirmation

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# 26/11/2026 (a Thursday, the 14-day reminder) is made a holiday: it moves to Friday 27/11.
HOLIDAYS = frozenset({date(2026, 11, 26)})


class RecordingSender:
    """Stands in for the messengers; can fail for chosen people."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []  # (person name, text)
        self.fail_for: dict[str, int] = {}  # name -> failures still to produce

    async def __call__(self, person, message) -> str:
        if self.fail_for.get(person.name, 0) > 0:
            self.fail_for[person.name] -= 1
            raise RuntimeError("HTTP 500 from the messenger")
        for reply in message.shown(buttons=True):
            self.sent.append((person.name, reply.text))
        return "telegram"


async def add_heads(db) -> None:
    async with db.session() as session:
        for name, department, account in [
            ("Head QLTM", "QLTM", "9001"),
            ("Head QLCN", "QLCN", "9002"),
            ("Head KTATMT", "KTATMT", "9003"),
            ("Head QLNL", "QLNL", None),
        ]:
            await people.add_person(
                session,
                name=name,
                role="head",
                department_code=department,
                accounts={"telegram": account} if account else {},
            )
        await session.commit()


def reminders_for(db) -> Reminders:
    return Reminders(
        db,
        ChecklistRegistry.load(),
        ReminderSettings(timezone=TZ, holidays=HOLIDAYS, tick_time=time(8, 0)),
    )


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


# The 2026 calendar by hand: offsets 30, 14, 7, 3, 1, 0 before Thursday 10/12.
EXPECTED_BEFORE = {
    date(2026, 11, 10): "còn 30 ngày",  # Tuesday
    date(2026, 11, 27): "còn 13 ngày",  # the 26th is a holiday: moved to Friday
    date(2026, 12, 3): "còn 7 ngày",
    date(2026, 12, 7): "còn 3 ngày",  # Monday
    date(2026, 12, 9): "còn 1 ngày",
    date(2026, 12, 10): "Hôm nay",
}
# Working days after the deadline up to 20/12 (12/12-13/12 and 19/12-20/12 are weekends).
OVERDUE = [date(2026, 12, d) for d in (11, 14, 15, 16, 17, 18)]


async def test_walking_from_november_to_christmas_sends_each_reminder_once(db):
    await add_heads(db)
    sender = RecordingSender()
    reminders = reminders_for(db)
    by_day: dict[date, list[tuple[str, str]]] = {}
    for day in days(date(2026, 11, 1), date(2026, 12, 20)):
        if day == date(2026, 12, 1):
            reminders = reminders_for(db)  # a restart in the middle: nothing is repeated
        before = len(sender.sent)
        for hour, minute in ((7, 0), (8, 0), (8, 30), (12, 0)):  # repeated ticks change nothing
            await reminders.tick(at(day, hour, minute), sender.__call__)
        by_day[day] = sender.sent[before:]

    for day, messages in by_day.items():
        names = sorted(name for name, _ in messages)
        if day in EXPECTED_BEFORE:
            # Each head its reminder; KTATMT also a note naming the head nobody can reach.
            assert names == ["Head KTATMT", "Head KTATMT", "Head QLCN", "Head QLTM"], day
            notes = [text for _, text in messages if "gọi điện" in text]
            assert len(notes) == 1 and "Head QLNL (Phòng Quản lý năng lượng)" in notes[0]
            reminders_ = [text for _, text in messages if text not in notes]
            assert all(EXPECTED_BEFORE[day] in text for text in reminders_), (day, messages)
            assert all("10/12/2026" in text for _, text in messages)
        elif day in OVERDUE:
            # Each head its own reminder; KTATMT also the escalation listing who is missing,
            # by name, without KTATMT itself, and who cannot be reached.
            assert names == ["Head KTATMT", "Head KTATMT", "Head QLCN", "Head QLTM"], day
            escalation = [text for _, text in messages if "chưa xác nhận" in text]
            assert len(escalation) == 1
            assert "Phòng Quản lý thương mại" in escalation[0]
            assert "Phòng Quản lý công nghiệp" in escalation[0]
            assert "QLTM" not in escalation[0] and "Phòng Kỹ thuật an toàn" not in escalation[0]
            assert "gọi điện nhắc: Head QLNL (Phòng Quản lý năng lượng)" in escalation[0]
            overdue_days = (day - date(2026, 12, 10)).days
            assert all(
                f"quá hạn {overdue_days} ngày" in text
                for _, text in messages
                if text not in escalation
            )
        else:
            assert messages == [], (day, messages)

    # The head without a messenger account is recorded as unreachable, once per slot.
    async with db.session() as session:
        rows = (
            await session.exec(
                select(ReminderDelivery).where(ReminderDelivery.status == "unreachable")
            )
        ).all()
    assert len(rows) == len(EXPECTED_BEFORE) + len(OVERDUE)


async def test_reminder_carries_the_department_progress(db):
    await add_heads(db)
    sender = RecordingSender()
    await reminders_for(db).tick(at(date(2026, 12, 3)), sender.__call__)
    qltm = next(text for name, text in sender.sent if name == "Head QLTM")
    heading = "Tiến độ năm 2026 của Phòng Quản lý thương mại:"
    assert f"{heading}\n– 0/0 siêu thị, TTTM đã kiểm tra" in qltm


async def test_a_bot_down_for_days_catches_up_once(db):
    await add_heads(db)
    sender = RecordingSender()
    reminders = reminders_for(db)
    await reminders.tick(at(date(2026, 12, 4)), sender.__call__)
    sender.sent.clear()
    # Down from the 5th to the 8th: the Monday 7/12 reminder was missed.
    await reminders.tick(at(date(2026, 12, 8), 9, 15), sender.__call__)
    qltm = [text for name, text in sender.sent if name == "Head QLTM"]
    assert len(qltm) == 1 and "còn 2 ngày" in qltm[0]
    sender.sent.clear()
    await reminders.tick(at(date(2026, 12, 8), 9, 45), sender.__call__)
    assert sender.sent == []


async def test_confirming_the_report_stops_the_reminders(db, tmp_path):
    await add_heads(db)
    sender = RecordingSender()
    reminders = reminders_for(db)
    await reminders.tick(at(date(2026, 12, 3)), sender.__call__)
    engine = Engine(db, ChecklistRegistry.load(), EngineSettings(timezone=TZ, media_dir=tmp_path))
    async with db.session() as session:
        deadline_id = (await session.exec(select(ReminderDelivery.deadline_id))).first()
    replies = await engine.handle(
        Inbound(channel="telegram", sender_id="9001", payload=f"rc:{deadline_id}:2026:QLTM")
    )
    assert "Đã ghi nhận" in replies[0].text
    # An inspector or another department's head cannot confirm for QLTM.
    refused = await engine.handle(
        Inbound(channel="telegram", sender_id="9002", payload=f"rc:{deadline_id}:2026:QLTM")
    )
    assert "Chỉ trưởng phòng" in refused[0].text
    sender.sent.clear()
    for day in days(date(2026, 12, 4), date(2026, 12, 15)):
        await reminders.tick(at(day), sender.__call__)
    assert not [1 for name, _ in sender.sent if name == "Head QLTM"]
    assert [1 for name, _ in sender.sent if name == "Head QLCN"]
    escalations = [text for _, text in sender.sent if "chưa xác nhận" in text]
    assert escalations and all("Phòng Quản lý thương mại" not in text for text in escalations)
    async with db.session() as session:
        confirmation = (await session.exec(select(ReportConfirmation))).one()
    assert confirmation.department_code == "QLTM" and confirmation.year == 2026


async def test_a_failed_send_is_recorded_and_retried_on_the_next_tick(db):
    await add_heads(db)
    sender = RecordingSender()
    sender.fail_for["Head QLTM"] = 1
    reminders = reminders_for(db)
    report = await reminders.tick(at(date(2026, 12, 3)), sender.__call__)
    assert report.failed == 1
    async with db.session() as session:
        failed = (
            await session.exec(select(ReminderDelivery).where(ReminderDelivery.status == "failed"))
        ).one()
    assert "500" in failed.last_error
    report = await reminders.tick(at(date(2026, 12, 3), 8, 30), sender.__call__)
    assert report.sent == 1 and [n for n, _ in sender.sent].count("Head QLTM") == 1


async def test_failing_forever_stops_after_the_bounded_number_of_attempts(db):
    await add_heads(db)
    sender = RecordingSender()
    sender.fail_for["Head QLTM"] = 100
    reminders = reminders_for(db)
    for minute in range(0, 600, 30):
        await reminders.tick(at(date(2026, 12, 3), 8) + timedelta(minutes=minute), sender.__call__)
    async with db.session() as session:
        row = (
            await session.exec(select(ReminderDelivery).where(ReminderDelivery.status == "failed"))
        ).one()
    assert row.attempts == reminders.settings.max_attempts


async def test_two_schedulers_ticking_together_send_each_reminder_once(database_target):
    if database_target.kind != "postgresql":
        pytest.skip("two processes share one database only on PostgreSQL")
    first_db, second_db = database_target.connect(), database_target.connect()
    try:
        await add_heads(first_db)
        sender = RecordingSender()
        for day in days(date(2026, 12, 1), date(2026, 12, 16)):
            await asyncio.gather(
                reminders_for(first_db).tick(at(day), sender.__call__),
                reminders_for(second_db).tick(at(day), sender.__call__),
            )
        notes = [text for _, text in sender.sent if text.startswith("ℹ️")]
        texts = [(name, text) for name, text in sender.sent if text not in notes]
        assert len(texts) == len(set(texts))
        # 1/12 catches up the 14-day reminder (first start); 3/12, 7/12, 9/12, 10/12
        # before; 11, 14, 15, 16 overdue (KTATMT twice: its reminder and the escalation).
        assert len(texts) == 3 + 4 * 3 + 4 * 4
        # Before the due date KTATMT gets one note per slot day naming who nobody reaches
        # (the same words each time); after it, that is part of the escalation.
        assert len(notes) == 5
    finally:
        await first_db.dispose()
        await second_db.dispose()
