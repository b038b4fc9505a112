"""`fieldbot reminders history` (issue 10, rule 9), through the real command after
reminders went out on the fake Bot API server: when (local time), to whom (name and
division), on which channel, and what failed."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time

from bot.notify import Notifier
from storage import deliveries, people
from storage.models import Deadline
from tests.bot_process import run_fieldbot, write_config
from tests.test_reminder_calendar import only_deadlines
from tests.test_reminder_telegram import TZ, reminders_for

HEADERS = ["when", "to", "department", "deadline", "what", "channel", "status", "problem"]


def table(out: str) -> list[list[str]]:
    """The printed table's rows, split on the runs of two spaces between columns."""
    lines = out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("when")))
    return [
        [cell.strip() for cell in line.split("  ") if cell.strip()] for line in lines[start + 2 :]
    ]


async def test_history_shows_what_went_to_whom_when_how_and_what_failed(
    bot, tg, sqlite_db, sqlite_target, tmp_path, monkeypatch
):
    async with sqlite_db.session() as session:
        await people.add_person(
            session, name="Phạm Thị Lan", role="head", department_code="QLCN", accounts={}
        )
        await session.commit()
    await only_deadlines(
        sqlite_db,
        Deadline(
            title_vi="Báo cáo quý",
            title_en="Quarterly report",
            due_date=date(2026, 12, 10),
            offsets=[7, 1],
            departments=["QLTM"],
            escalate_to="KTATMT",
        ),
        Deadline(
            title_vi="Báo cáo CCN",
            title_en="Cluster report",
            due_date=date(2026, 12, 20),
            offsets=[9],
            departments=["QLCN"],
            escalate_to="KTATMT",
        ),
    )
    # The database records the tick's moment as "now", so the table's times are known.
    clock = {"now": None}
    monkeypatch.setattr(deliveries, "utcnow", lambda: clock["now"].astimezone(UTC))
    reminders, notify = reminders_for(sqlite_db), Notifier(sqlite_db, {"telegram": bot})
    for day, faults in ((date(2026, 12, 3), 4), (date(2026, 12, 9), 0), (date(2026, 12, 11), 0)):
        clock["now"] = datetime.combine(day, time(8, 0), tzinfo=TZ)
        if faults:  # every try of the one message of 3/12 gets a 500
            tg.fail_next("sendMessage", status=500, count=faults)
        await reminders.tick(clock["now"], notify)
        await asyncio.sleep(0)

    config = write_config(tmp_path / "config.toml", sqlite_target.url, tmp_path / "media")
    done = await asyncio.to_thread(run_fieldbot, config, "reminders", "history", "--year", "2026")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Reminders in 2026: 6"
    header = next(line for line in done.stdout.splitlines() if line.startswith("when"))
    assert header.split() == HEADERS
    head, lan, admin = "Võ Trưởng Phòng", "Phạm Thị Lan", "Trần Quản Trị"
    qltm, qlcn = "Phòng Quản lý thương mại", "Phòng Quản lý công nghiệp"
    ktatmt = "Phòng Kỹ thuật an toàn – Môi trường"
    rows = table(done.stdout)
    assert rows[0] == [
        "03/12/2026 08:00",
        head,
        qltm,
        "Báo cáo quý",
        "reminder, 7 days before",
        "failed",
        "attempt 1: DeliveryError: Telegram: NetworkError after 4 attempts",
    ]
    assert rows[1] == [
        "09/12/2026 08:00",
        head,
        qltm,
        "Báo cáo quý",
        "reminder, 1 day before",
        "telegram",
        "sent",
    ]
    # Four messages of the same tick: the order among them is the order of the sends.
    assert sorted(rows[2:]) == sorted(
        [
            ["11/12/2026 08:00", head, qltm, "Báo cáo quý", "reminder, 1 day overdue"]
            + ["telegram", "sent"],
            ["11/12/2026 08:00", admin, ktatmt, "Báo cáo quý", "escalation, 1 day overdue"]
            + ["telegram", "sent"],
            ["11/12/2026 08:00", lan, qlcn, "Báo cáo CCN", "reminder, 9 days before"]
            + ["unreachable", "no messenger account"],
            ["11/12/2026 08:00", admin, ktatmt, "Báo cáo CCN"]
            + ["note: heads to phone, 9 days before", "telegram", "sent"],
        ]
    )
    # The messages really went out: the fake server saw two to the head, two to KTATMT.
    assert len([m for m in tg.messages_to(1004) if m.method == "sendMessage"]) == 2
    assert len([m for m in tg.messages_to(1003) if m.method == "sendMessage"]) == 2

    other_year = await asyncio.to_thread(
        run_fieldbot, config, "reminders", "history", "--year", "2025"
    )
    assert other_year.returncode == 0 and other_year.stdout.strip() == "Reminders in 2025: 0"
