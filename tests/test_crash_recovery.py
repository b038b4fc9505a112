"""Nothing lost after `kill -9`: the real `fieldbot run` process, killed at the worst
moments, answers every update once after it starts again (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func
from sqlmodel import select

from storage.models import Answer, ChecklistRun, InboxUpdate, OutboxMessage
from tests.bot_process import BotProcess, write_config
from tests.telegram_harness import INSPECTOR, Phone, add_inspectors, seed
from tests.webhook_harness import SECRET, free_port

# A process start imports the whole stack: generous on a loaded 2-core machine.
START = 120.0


async def count(database, statement) -> int:
    async with database.session() as session:
        return (await session.exec(statement)).one()


def telegram_config(tmp_path, tg, database_url, **sections):
    return write_config(
        tmp_path / "config.toml",
        database_url,
        tmp_path / "media",
        telegram={
            "token": tg.token,
            "api_base_url": tg.api_base_url,
            "file_base_url": tg.file_base_url,
        },
        **sections,
    )


async def wait_for_row(database, statement, timeout: float = START) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await count(database, statement) == 0:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the bot never got that far")
        await asyncio.sleep(0.1)


async def wait_until_healthy(http: httpx.AsyncClient, timeout: float = START) -> None:
    """Until the process's webhook server answers /healthz with 200."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the webhook server never became healthy")


async def wait_for_zero(database, statement, timeout: float = START) -> None:
    """The bookkeeping after a send lands a moment after the message."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (left := await count(database, statement)) != 0:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{left} rows still left")
        await asyncio.sleep(0.1)


async def test_killed_while_a_reply_hangs_the_next_question_comes_after_restart(
    tg, db, database_target, tmp_path
):
    await seed(db)
    bot = BotProcess(telegram_config(tmp_path, tg, database_target.url))
    phone = Phone(tg, INSPECTOR)
    try:
        await bot.start()
        tg.user_sends_text(INSPECTOR, "/start")
        await phone.expect("Chọn phiếu kiểm tra", timeout=START)
        await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên")
        await phone.send("co op", "Tìm thấy")
        await phone.tap("Co.opmart Quảng Ngãi", "Câu 1/11")
        tg.set_latency(3600, "sendMessage")  # the reply to the next answer hangs
        message_id, data = phone.button("Có")
        tg.user_presses_button(INSPECTOR, data, message_id=message_id)
        # The answer is committed with its reply in the outbox; the reply is on its way.
        await wait_for_row(db, select(func.count()).select_from(Answer))
        await asyncio.sleep(0.5)
        await bot.kill()
        tg.set_latency(0, "sendMessage")

        await bot.start()
        await phone.expect("Câu 2/11", timeout=START)
        # Nothing was written again: one answer, one run, every reply out.
        assert await count(db, select(func.count()).select_from(Answer)) == 1
        assert await count(db, select(func.count()).select_from(ChecklistRun)) == 1
        unsent = select(func.count()).select_from(OutboxMessage)
        await wait_for_zero(db, unsent.where(OutboxMessage.status != "sent"))
        assert await bot.terminate() == 0, bot.output()[-2000:]
    finally:
        await bot.kill()


async def test_killed_right_after_fetching_thirty_updates_all_thirty_are_answered(
    tg, db, database_target, tmp_path
):
    await seed(db)
    inspectors = list(range(8000, 8030))
    await add_inspectors(db, inspectors)
    bot = BotProcess(telegram_config(tmp_path, tg, database_target.url))
    try:
        await bot.start()
        Phone(tg, INSPECTOR).tg.user_sends_text(INSPECTOR, "/help")
        await Phone(tg, INSPECTOR).expect("/start", timeout=START)  # up and polling
        tg.set_latency(3600, "sendMessage")  # nothing gets answered before the kill
        for user_id in inspectors:
            tg.user_sends_text(user_id, "/start")
        await tg.wait_until_delivered(timeout=START)
        await bot.kill()
        tg.set_latency(0, "sendMessage")

        await bot.start()
        for user_id in inspectors:
            await Phone(tg, user_id).expect("Chọn phiếu kiểm tra", timeout=START)
        for user_id in inspectors:  # each once
            menus = [r for r in tg.messages_to(user_id) if "Chọn phiếu" in (r.text or "")]
            assert len(menus) == 1, user_id
        done = select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "done")
        assert await count(db, done) == 31
    finally:
        await bot.kill()


async def test_a_webhook_update_acknowledged_before_a_kill_is_answered_after_restart(
    tg, db, database_target, tmp_path
):
    await seed(db)
    port = free_port()
    webhook = {"url": "https://bot.example.vn/hook", "secret": SECRET, "port": port}
    bot = BotProcess(telegram_config(tmp_path, tg, database_target.url, webhook=webhook))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        await bot.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            await wait_until_healthy(http)
            tg.set_latency(3600, "sendMessage")
            update = tg.user_sends_text(INSPECTOR, "/start")
            response = await http.post("/telegram", json=update, headers=headers)
            assert response.status_code == 200
        await bot.kill()  # acknowledged with 200, maybe not yet applied
        tg.set_latency(0, "sendMessage")
        await bot.start()
        await Phone(tg, INSPECTOR).expect("Chọn phiếu kiểm tra", timeout=START)
        assert len(tg.messages_to(INSPECTOR)) == 1
    finally:
        await bot.kill()


# --- Zalo: polling and the webhook ------------------------------------------------------


def zalo_process_config(tmp_path, zalo, database_url, **sections):
    return write_config(
        tmp_path / "config.toml",
        database_url,
        tmp_path / "media",
        zalo={"token": zalo.token, "api_base_url": zalo.api_base_url},
        **sections,
    )


async def test_zalo_killed_while_replies_cannot_leave_they_leave_after_restart(
    zalo, db, database_target, tmp_path
):
    from tests.fake_zalo import ZaloPhone
    from tests.test_zalo import INSPECTOR as ZALO_INSPECTOR
    from tests.test_zalo import seed as seed_zalo

    await seed_zalo(db)
    bot = BotProcess(zalo_process_config(tmp_path, zalo, database_target.url))
    phone = ZaloPhone(zalo, ZALO_INSPECTOR)
    try:
        await bot.start()
        zalo.user_sends_text(ZALO_INSPECTOR, "/start")
        await phone.expect("Chọn phiếu kiểm tra", timeout=START)
        zalo.fail_next("sendMessage", error_code=500, http_status=500, count=10_000)
        zalo.user_sends_text(ZALO_INSPECTOR, "1")  # "Kiểm tra siêu thị"
        await wait_for_row(
            db, select(func.count()).select_from(OutboxMessage).where(OutboxMessage.attempts > 0)
        )
        await bot.kill()
        zalo._faults.clear()  # the platform is back

        await bot.start()
        await phone.expect("Gõ một phần tên", timeout=START)
        runs = select(func.count()).select_from(ChecklistRun)
        assert await count(db, runs) == 1  # the "1" was applied once
    finally:
        await bot.kill()


async def test_a_zalo_webhook_update_acknowledged_before_a_kill_is_answered_after_restart(
    zalo, db, database_target, tmp_path
):
    from tests.fake_zalo import ZaloPhone
    from tests.test_zalo import INSPECTOR as ZALO_INSPECTOR
    from tests.test_zalo import seed as seed_zalo

    await seed_zalo(db)
    port = free_port()
    webhook = {"url": "https://bot.example.vn/hook", "secret": SECRET, "port": port}
    bot = BotProcess(zalo_process_config(tmp_path, zalo, database_target.url, webhook=webhook))
    headers = {"X-Bot-Api-Secret-Token": SECRET}
    try:
        await bot.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            await wait_until_healthy(http)
            zalo.fail_next("sendMessage", error_code=500, http_status=500, count=10_000)
            body = zalo.make_text(ZALO_INSPECTOR, "/start")
            response = await http.post("/zalo", json=body, headers=headers)
            assert response.status_code == 200
        await bot.kill()  # acknowledged with 200, maybe not yet applied
        zalo._faults.clear()
        await bot.start()
        await ZaloPhone(zalo, ZALO_INSPECTOR).expect("Chọn phiếu kiểm tra", timeout=START)
    finally:
        await bot.kill()
