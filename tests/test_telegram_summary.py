"""Admins get /summary, /export and /report through Telegram; others are refused."""

from __future__ import annotations

from tests.telegram_harness import ADMIN, HEAD, INSPECTOR, Phone, running_bot, seed


async def test_summary_export_and_report_reach_the_admin_and_no_one_else(
    tg, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with running_bot(tg, sqlite_target.url, tmp_path / "media"):
        admin = Phone(tg, ADMIN, "Trần Quản Trị")
        await admin.send("/summary 2026", "K1")
        picture = await tg.wait_for_message(ADMIN, lambda r: r.method == "sendPhoto")
        assert next(iter(picture.files.values())).content.startswith(b"\x89PNG")
        tg.user_sends_text(ADMIN, "/export 2026")
        workbook = await tg.wait_for_message(ADMIN, lambda r: r.method == "sendDocument")
        assert next(iter(workbook.files.values())).content.startswith(b"PK")  # a zip: XLSX
        tg.user_sends_text(ADMIN, "/report 2026")
        draft = await tg.wait_for_message(ADMIN, lambda r: r.method == "sendDocument")
        assert next(iter(draft.files.values())).filename.endswith(".docx")

        for command in ("/summary", "/export", "/report"):
            tg.user_sends_text(INSPECTOR, command)
            await tg.wait_for_messages(INSPECTOR, 1)
        assert not [r for r in tg.messages_to(INSPECTOR) if r.method != "sendMessage"]
        tg.user_sends_text(HEAD, "/export")
        await tg.wait_for_messages(HEAD, 1)
        assert not [r for r in tg.messages_to(HEAD) if r.method == "sendDocument"]

        stranger = Phone(tg, 424242, "Người lạ")
        await stranger.send("/summary", "chưa được đăng ký")
