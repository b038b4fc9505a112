"""Reminders through the fake Bot API server: a message Telegram keeps refusing is
recorded failed and sent once on a later tick; the escalation reaches KTATMT's admins."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.notify import Notifier
from handlers.checklist import ChecklistRegistry
from handlers.reminders import Reminders, ReminderSettings
from storage.models import ReminderDelivery
from tests.telegram_harness import ADMIN, HEAD

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def reminders_for(db) -> Reminders:
    return Reminders(
        db,
        ChecklistRegistry.load(),
        ReminderSettings(timezone=TZ, tick_time=time(8, 0), max_attempts=5),
    )


async def reminder_row(db) -> ReminderDelivery:
    async with db.session() as session:
        return (
            await session.exec(select(ReminderDelivery).where(ReminderDelivery.kind == "reminder"))
        ).one()


async def test_a_rate_limited_reminder_is_recorded_failed_then_sent_once(bot, tg, sqlite_db):
    # 24 consecutive 429 answers: more than one tick's tries.
    tg.fail_next("sendMessage", status=429, retry_after=0, count=24)
    reminders, notify = reminders_for(sqlite_db), Notifier(sqlite_db, {"telegram": bot})
    first = await reminders.tick(at(date(2026, 12, 3)), notify)
    assert first.sent == 0 and tg.messages_to(HEAD) == []
    row = await reminder_row(sqlite_db)
    assert row.status == "failed" and row.sent_at is None and row.last_error
    for minute in range(30, 600, 30):  # the retry ticks of the day
        await reminders.tick(at(date(2026, 12, 3), 8) + timedelta(minutes=minute), notify)
        if (await reminder_row(sqlite_db)).status == "sent":
            break
    delivered = [m for m in tg.messages_to(HEAD) if m.method == "sendMessage"]
    assert len(delivered) == 1 and "còn 7 ngày" in delivered[0].text
    assert (await reminder_row(sqlite_db)).status == "sent"


async def test_the_escalation_reaches_ktatmt_admins_on_telegram(bot, tg, sqlite_db):
    reminders, notify = reminders_for(sqlite_db), Notifier(sqlite_db, {"telegram": bot})
    await reminders.tick(at(date(2026, 12, 11)), notify)
    to_admin = [m.text for m in tg.messages_to(ADMIN) if m.method == "sendMessage"]
    assert len(to_admin) == 1
    assert "Phòng Quản lý thương mại" in to_admin[0] and "đã quá 1 ngày" in to_admin[0]
    # Departments nobody in the bot heads are named for a phone call.
    assert "Phòng Quản lý công nghiệp (chưa có trưởng phòng dùng bot)" in to_admin[0]
    await reminders.tick(at(date(2026, 12, 11), 9), notify)
    assert len([m for m in tg.messages_to(ADMIN) if m.method == "sendMessage"]) == 1
