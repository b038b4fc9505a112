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
