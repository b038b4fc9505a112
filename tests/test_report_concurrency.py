"""An admin's export never holds up the inspectors: while /export builds the workbook
of 20,000 checks, an inspector's answer is taken and answered (issue 11: it used to
wait for the whole export, because the report ran inside the SQLite writer queue)."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from storage.models import InboxUpdate
from tests.bench.bench_summary import YEAR, load
from tests.telegram_harness import ADMIN, INSPECTOR, Phone, running_bot, seed


async def _stored(database, user_id: int, text: str) -> bool:
    async with database.session() as session:
        rows = (await session.exec(select(InboxUpdate))).all()
    return any(str(user_id) in row.sender_key and text in str(row.raw) for row in rows)


@pytest.mark.load
async def test_an_inspector_is_answered_while_an_admin_exports_20000_checks(
    tg, sqlite_db, sqlite_target, tmp_path
):
    await load(sqlite_db, sites=500, checks=20_000)
    await seed(sqlite_db)
    async with running_bot(tg, sqlite_target.url, tmp_path / "media"):
        inspector = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
        await inspector.send("/start", "Chọn phiếu kiểm tra")
        await inspector.tap("Kiểm tra siêu thị", "một phần tên")
        await inspector.send("co op", "Tìm thấy")
        await inspector.tap("Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")

        admin = Phone(tg, ADMIN, "Trần Quản Trị")
        tg.user_sends_text(ADMIN, f"/export {YEAR}", first_name=admin.name)
        while not await _stored(sqlite_db, ADMIN, "/export"):  # the bot has taken it
            await asyncio.sleep(0.05)

        await inspector.tap("Có", "Câu 2/11")
        documents = [r for r in tg.messages_to(ADMIN) if r.method == "sendDocument"]
        assert not documents, "the inspector's answer waited for the export"

        workbook = await tg.wait_for_message(
            ADMIN, lambda r: r.method == "sendDocument", timeout=900
        )
        assert next(iter(workbook.files.values())).content.startswith(b"PK")


async def test_reports_read_in_their_own_read_only_session_on_both_databases(db, tmp_path):
    """The admin's report is read in a session of its own (read-only: SQLite's
    query_only, PostgreSQL's READ ONLY transaction) and still reaches the admin."""
    from handlers.messages import Inbound
    from tests.test_kpis import build_dataset

    driver = await build_dataset(db, tmp_path / "media")
    summary = await driver.engine.handle(
        Inbound(channel="terminal", sender_id="admin", text="/summary 2025")
    )
    assert "K1" in summary[0].text
    export = await driver.engine.handle(
        Inbound(channel="terminal", sender_id="admin", text="/export 2025")
    )
    assert export[0].file is not None and export[0].file.read_bytes().startswith(b"PK")
