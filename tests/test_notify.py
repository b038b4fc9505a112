"""Reminders reach a person on Telegram first and fall back to Zalo."""

from __future__ import annotations

import pytest

from bot.notify import Notifier
from handlers.messages import Choice, Reply
from handlers.reminders import Unreachable
from storage import people


class Channel:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[str] = []

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        if self.fail:
            raise RuntimeError("Forbidden: bot was blocked by the user")
        self.sent.append(chat_id)


async def person_with(db, accounts: dict[str, str]):
    async with db.session() as session:
        person = await people.add_person(
            session, name="Head", role="head", department_code="QLTM", accounts=accounts
        )
        await session.commit()
        return person


REMINDER = [Reply("⏰", [Choice("Đã nộp báo cáo", "rc:1:2026:QLTM")])]


async def test_telegram_first_then_zalo_when_telegram_fails(sqlite_db):
    person = await person_with(sqlite_db, {"telegram": "11", "zalo": "abc"})
    telegram, zalo = Channel(), Channel()
    notify = Notifier(sqlite_db, {"telegram": telegram, "zalo": zalo})
    assert await notify(person, REMINDER) == "telegram"
    assert telegram.sent == ["11"] and zalo.sent == []

    telegram.fail = True
    assert await notify(person, REMINDER) == "zalo"
    assert zalo.sent == ["abc"]

    zalo.fail = True
    with pytest.raises(RuntimeError, match="blocked"):
        await notify(person, REMINDER)


async def test_a_person_without_an_account_on_a_running_channel_is_unreachable(sqlite_db):
    person = await person_with(sqlite_db, {"zalo": "abc"})
    with pytest.raises(Unreachable):
        await Notifier(sqlite_db, {"telegram": Channel()})(person, REMINDER)


class PermanentError(Exception):
    permanent = True


class BlockedChannel(Channel):
    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        raise PermanentError("Telegram: the person blocked the bot")


async def test_blocked_on_every_channel_is_unreachable_not_a_retry(sqlite_db):
    person = await person_with(sqlite_db, {"telegram": "11", "zalo": "abc"})
    with pytest.raises(Unreachable, match="blocked"):
        await Notifier(sqlite_db, {"telegram": BlockedChannel(), "zalo": BlockedChannel()})(
            person, REMINDER
        )
    # Blocked on one channel only: the other delivers.
    zalo = Channel()
    assert (
        await Notifier(sqlite_db, {"telegram": BlockedChannel(), "zalo": zalo})(person, REMINDER)
        == "zalo"
    )


async def test_a_delivered_reminder_stays_delivered_when_remembering_its_choices_fails(
    sqlite_db, monkeypatch
):
    """The message has left: a failing database write afterwards must not turn it into
    a failure (which would be retried: the head would get it twice)."""
    from storage import runs

    async def locked(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(runs, "remember_offered", locked)
    person = await person_with(sqlite_db, {"telegram": "11"})
    telegram = Channel()
    assert await Notifier(sqlite_db, {"telegram": telegram})(person, REMINDER) == "telegram"
    assert telegram.sent == ["11"]


async def test_any_exception_from_a_channel_is_a_failure_retried_on_the_next_tick(db):
    """A channel raises anything at all: the reminder is recorded failed (never sent),
    and the next tick sends it once."""
    from datetime import date, datetime, time
    from zoneinfo import ZoneInfo

    from sqlmodel import select

    from handlers.checklist import ChecklistRegistry
    from handlers.reminders import Reminders, ReminderSettings
    from storage.models import ReminderDelivery

    class Flaky(Channel):
        def __init__(self, errors) -> None:
            super().__init__()
            self.errors = list(errors)

        async def send(self, chat_id: str, replies: list[Reply]) -> None:
            if self.errors:
                raise self.errors.pop(0)
            self.sent.append(chat_id)

    await person_with(db, {"telegram": "11"})
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    reminders = Reminders(
        db, ChecklistRegistry.load(), ReminderSettings(timezone=zone, tick_time=time(8, 0))
    )
    telegram = Flaky([TimeoutError(), KeyError("result"), ValueError("bad JSON")])
    notify = Notifier(db, {"telegram": telegram})
    for minute in (0, 30):
        moment = datetime.combine(date(2026, 12, 3), time(8, minute), tzinfo=zone)
        report = await reminders.tick(moment, notify)
        assert report.failed == 1 and report.sent == 0
        async with db.session() as session:
            row = (await session.exec(select(ReminderDelivery))).one()
        assert row.status == "failed" and row.sent_at is None
    for hour in (9, 10, 11):
        await reminders.tick(datetime.combine(date(2026, 12, 3), time(hour), tzinfo=zone), notify)
    assert telegram.sent == ["11"]
    async with db.session() as session:
        row = (await session.exec(select(ReminderDelivery))).one()
    assert row.status == "sent" and row.attempts == 4
