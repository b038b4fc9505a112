"""What reminders say (issue 10, rules 5 and 10), through the fake Bot API and Zalo
servers: the channel decides the wording (a button on Telegram, typed on Zalo, never
"bấm" there); KTATMT's own reminder shows its progress once, labelled; its escalation
names the divisions by name, leaves KTATMT out and names the heads to phone; and
`fieldbot reminders preview` says when nobody in KTATMT can be reached."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from bot.notify import Notifier
from storage import people
from tests.bot_process import run_fieldbot
from tests.fake_zalo import ZaloPhone
from tests.test_reminder_telegram import at, reminders_for
from tests.test_zalo import running_zalo_bot

TITLE = "Báo cáo kết quả thực hiện SXTDBV hằng năm"  # the default deadline, 10/12
KTATMT_HEAD = 1005


async def add_person(db, name, department, accounts, role="head"):
    async with db.session() as session:
        await people.add_person(
            session, name=name, role=role, department_code=department, accounts=accounts
        )
        await session.commit()


def texts_to(tg, chat_id) -> list:
    return [m for m in tg.messages_to(chat_id) if m.method == "sendMessage"]


async def test_on_telegram_the_reminder_has_a_button_and_says_press_or_type(bot, tg, sqlite_db):
    notify = Notifier(sqlite_db, {"telegram": bot})
    await reminders_for(sqlite_db).tick(at(date(2026, 12, 3)), notify)
    (message,) = texts_to(tg, 1004)
    assert message.text.splitlines()[-1] == (
        "Khi đơn vị đã nộp, anh/chị bấm nút hoặc gõ “Đã nộp báo cáo”."
    )
    # The annual report: written in the bot ("Lập báo cáo") or sent on paper.
    assert [button["text"] for button in message.buttons] == ["Đã nộp báo cáo", "Lập báo cáo"]


async def test_on_zalo_the_reminder_says_type_and_never_press(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    head = "5e6f7a8b9c0d1e2f3a4b"
    await add_person(sqlite_db, "Võ Trưởng Phòng", "QLTM", {"zalo": head})
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media") as channel:
        await reminders_for(sqlite_db).tick(
            at(date(2026, 12, 3)), Notifier(sqlite_db, {"zalo": channel})
        )
        reminder = await ZaloPhone(zalo, head).expect("còn 7 ngày")
    assert "bấm" not in reminder.text.lower()
    assert "Khi đơn vị đã nộp, anh/chị gõ “Đã nộp báo cáo”." in reminder.text
    assert reminder.numbered == {1: "Đã nộp báo cáo", 2: "Lập báo cáo"}


async def test_ktatmt_reads_its_own_progress_once_and_an_escalation_without_itself(
    bot, tg, sqlite_db
):
    await add_person(sqlite_db, "Đỗ Trưởng Phòng", "KTATMT", {"telegram": str(KTATMT_HEAD)})
    await add_person(sqlite_db, "Hồ Văn Năng", "QLNL", {})  # no account: someone phones
    notify = Notifier(sqlite_db, {"telegram": bot})
    await reminders_for(sqlite_db).tick(at(date(2026, 12, 11)), notify)

    own, escalation = sorted(
        (m.text for m in texts_to(tg, KTATMT_HEAD)), key=lambda text: "Các đơn vị" in text
    )
    assert own.count("Tiến độ năm") == 1
    assert "Tiến độ năm 2026 của Phòng Kỹ thuật an toàn – Môi trường:" in own
    assert "KTATMT" not in own
    expected = (
        f"⚠️ {TITLE} (hạn 10/12/2026, đã quá 1 ngày). Các đơn vị chưa xác nhận nộp báo "
        "cáo: Các phòng khác thuộc Sở, Phòng Quản lý công nghiệp, Phòng Quản lý năng "
        "lượng, Phòng Quản lý thương mại, Trung tâm Khuyến công và Xúc tiến thương mại.\n"
        "Đề nghị anh/chị gọi điện nhắc: Hồ Văn Năng (Phòng Quản lý năng lượng); Các phòng "
        "khác thuộc Sở (chưa có trưởng phòng dùng bot); Phòng Quản lý công nghiệp (chưa có "
        "trưởng phòng dùng bot); Trung tâm Khuyến công và Xúc tiến thương mại (chưa có "
        "trưởng phòng dùng bot)."
    )
    assert escalation == expected
    # The admin of KTATMT reads the same escalation, and no reminder of her own.
    assert [m.text for m in texts_to(tg, 1003)] == [expected]


async def test_preview_and_the_log_say_when_nobody_in_ktatmt_can_be_reached(
    sqlite_db, sqlite_target, tmp_path, caplog
):
    from tests.bot_process import write_config

    await add_person(sqlite_db, "Võ Trưởng Phòng", "QLTM", {"telegram": "1004"})
    await add_person(sqlite_db, "Trần Quản Trị", "KTATMT", {}, role="admin")  # no account
    config = write_config(tmp_path / "config.toml", sqlite_target.url, tmp_path / "media")
    done = await asyncio.to_thread(
        run_fieldbot, config, "reminders", "preview", "--date", "2026-12-11"
    )
    assert done.returncode == 0, done.stderr
    warning = "nobody in KTATMT can be reached for the escalation"
    assert f"warning: deadline 1 (10/12/2026): {warning}" in done.stdout.splitlines()

    class Recording:
        async def __call__(self, person, message) -> str:
            return "telegram"

    reminders = reminders_for(sqlite_db)
    with caplog.at_level(logging.WARNING, logger="handlers.reminders"):
        for minute in (0, 30):
            await reminders.tick(at(date(2026, 12, 11), 8, minute), Recording())
    assert [r.getMessage() for r in caplog.records if "nobody" in r.getMessage()] == [
        f"deadline 1: {warning}"
    ]
