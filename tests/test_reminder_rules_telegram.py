"""Issue 10's calendar rules through the fake Bot API server (the real TelegramChannel
and Notifier): a delivered reminder is never sent again when its bookkeeping fails
(0), weekends never swallow a reminder (2), January deadlines are reminded in
December (3), catch-up waits for working hours (4), the clock accepts every tick_time
the configuration accepts (7), and the overdue limit ends with one last escalation (8)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from bot.notify import Notifier
from handlers.checklist import ChecklistRegistry
from handlers.reminders import Reminders, ReminderSettings
from tests.bot_process import FIELDBOT, BotProcess, write_config
from tests.telegram_harness import ADMIN, HEAD
from tests.test_reminder_calendar import (
    deadline,
    failing_record_outcome,
    only_deadlines,
    statuses,
)
from tests.test_reminder_telegram import TZ, at


class Watch:
    """Ticks the real reminders with the real notifier and keeps, per tick, what the
    fake server received: (moment, chat id, text)."""

    def __init__(self, tg, db, bot, holidays=frozenset(), **settings) -> None:
        self.tg = tg
        self.reminders = Reminders(
            db,
            ChecklistRegistry.load(),
            ReminderSettings(timezone=TZ, holidays=holidays, bookkeeping_delay=0, **settings),
        )
        self.notify = Notifier(db, {"telegram": bot})
        self.seen = 0
        self.log: list[tuple[datetime, int, str]] = []

    async def tick(self, moment: datetime) -> None:
        await self.reminders.tick(moment, self.notify)
        sent = [r for r in self.tg.sent if r.method == "sendMessage"]
        self.log += [(moment, int(r.chat_id), r.text) for r in sent[self.seen :]]
        self.seen = len(sent)

    async def every_morning(self, start: date, end: date) -> None:
        day = start
        while day <= end:
            await self.tick(at(day))
            day += timedelta(days=1)

    def days_to(self, chat: int, fragment: str = "") -> list[date]:
        return [when.date() for when, to, text in self.log if to == chat and fragment in text]


async def test_rule_2_a_sunday_deadline_is_reminded_on_the_friday_before(bot, tg, sqlite_db):
    await only_deadlines(sqlite_db, deadline("Báo cáo năm", due_date=date(2028, 12, 10)))
    watch = Watch(tg, sqlite_db, bot)
    await watch.every_morning(date(2028, 11, 1), date(2028, 12, 11))
    assert watch.days_to(HEAD) == [
        date(2028, 11, 10),
        date(2028, 11, 27),  # 14 days before is Sunday 26/11
        date(2028, 12, 4),  # 7 days before is Sunday 3/12
        date(2028, 12, 7),
        date(2028, 12, 8),  # "1 day before" (Saturday) and "on the day" (Sunday)
        date(2028, 12, 11),
    ]
    friday = [text for when, to, text in watch.log if when.date() == date(2028, 12, 8)]
    assert "10/12/2028 — còn 2 ngày" in friday[0]
    assert "Đã quá hạn 1 ngày" in [text for _, to, text in watch.log if to == HEAD][-1]


async def test_rule_3_january_deadlines_get_their_december_reminders(bot, tg, sqlite_db):
    await only_deadlines(
        sqlite_db,
        deadline("Hạn hằng năm 10/01", yearly_month=1, yearly_day=10, offsets=[30, 14]),
        deadline("Hạn 15/01/2027", due_date=date(2027, 1, 15), offsets=[30]),
    )
    watch = Watch(tg, sqlite_db, bot)
    await watch.every_morning(date(2026, 12, 1), date(2026, 12, 31))
    assert watch.days_to(HEAD, "10/01/2027") == [date(2026, 12, 11), date(2026, 12, 28)]
    assert watch.days_to(HEAD, "15/01/2027") == [date(2026, 12, 16)]
    assert "Tiến độ năm 2026" in watch.log[0][2]  # the year the report is about


async def test_rule_4_after_an_outage_the_catch_up_waits_for_working_hours(bot, tg, sqlite_db):
    watch = Watch(tg, sqlite_db, bot)
    # Down all of Friday 27/11/2026 (the 14-day slot) until a restart at 21:00.
    for moment in (
        at(date(2026, 11, 27), 21),
        at(date(2026, 11, 28), 10),  # Saturday
        at(date(2026, 11, 30), 7, 59),
        at(date(2026, 11, 30), 8),
        at(date(2026, 11, 30), 9),
    ):
        await watch.tick(moment)
    to_head = [(when, text) for when, to, text in watch.log if to == HEAD]
    assert [when for when, _ in to_head] == [at(date(2026, 11, 30), 8)]
    assert "còn 10 ngày" in to_head[0][1]


async def test_rule_8_overdue_stops_at_the_limit_with_one_last_escalation(bot, tg, sqlite_db):
    await only_deadlines(sqlite_db, deadline("Báo cáo quý", due_date=date(2026, 12, 10)))
    watch = Watch(tg, sqlite_db, bot, overdue_limit_days=5)
    await watch.every_morning(date(2026, 12, 11), date(2026, 12, 31))
    assert watch.days_to(HEAD) == [date(2026, 12, d) for d in (11, 14, 15)]
    assert watch.days_to(ADMIN) == [date(2026, 12, d) for d in (11, 14, 15, 16)]
    last = [text for _, to, text in watch.log if to == ADMIN][-1]
    assert "bot ngừng nhắc" in last and "Phòng Quản lý thương mại" in last


async def test_rule_0_a_failed_bookkeeping_write_never_resends(bot, tg, sqlite_db, monkeypatch):
    left = failing_record_outcome(monkeypatch, 5)  # more than one tick's tries
    await only_deadlines(sqlite_db, deadline("Báo cáo quý", due_date=date(2026, 12, 10)))
    watch = Watch(tg, sqlite_db, bot)
    for hour in range(8, 18):
        for minute in (0, 30):
            await watch.tick(at(date(2026, 12, 3), hour, minute))
    assert watch.days_to(HEAD) == [date(2026, 12, 3)]
    assert left[0] == 0 and await statuses(sqlite_db) == ["sent"]


async def test_rule_7_fieldbot_run_takes_every_tick_time_the_configuration_takes(
    tg, sqlite_db, sqlite_target, tmp_path
):
    await only_deadlines(sqlite_db)  # nothing due: the wall clock decides nothing here
    telegram = {"token": tg.token, "api_base_url": tg.api_base_url}
    config = write_config(
        tmp_path / "early.toml",
        sqlite_target.url,
        tmp_path / "media",
        reminders={"enabled": True, "tick_time": "07:45", "retry_minutes": 45},
        telegram=telegram,
    )
    process = BotProcess(config)
    await process.start()
    try:
        # Up, clock and all, when it answers a message.
        tg.user_sends_text(5555, "/help")
        await tg.wait_for_message(5555, timeout=60)
        assert process.process.returncode is None, process.output()
    finally:
        code = await process.terminate()
    assert code == 0 and "Traceback" not in process.output(), process.output()

    late = write_config(
        tmp_path / "late.toml",
        sqlite_target.url,
        tmp_path / "media",
        reminders={"enabled": True, "tick_time": "18:00"},
        telegram=telegram,
    )
    done = await asyncio.create_subprocess_exec(
        str(FIELDBOT),
        "--config",
        str(late),
        "run",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(done.communicate(), 60)
    lines = (out + err).decode().strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in "\n".join(lines), lines
    assert [line for line in lines if "error" in line] == [
        "fieldbot: error: [reminders] tick_time must be before 18:00 (the end of the "
        "working day), got '18:00'"
    ]
