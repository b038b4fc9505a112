"""The webhook server's limits and /healthz (issue 16, "Limits and health"): a body
over [webhook] max_body is refused 413 before it is read; /healthz of the real
`fieldbot run` reports each channel and answers 503 once polling has gone quiet."""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import func, select

from storage.models import InboxUpdate
from tests.telegram_harness import INSPECTOR, seed
from tests.webhook_harness import SECRET, webhook_worker

HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


async def count(database, model) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def test_a_body_over_the_limit_is_refused_413_unread(tg, sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    async with webhook_worker(tg, sqlite_target.url, tmp_path) as (base, _server):
        async with httpx.AsyncClient(base_url=base) as http:
            update = tg.user_sends_text(INSPECTOR, "/start")
            padded = {**update, "padding": "x" * 1_100_000}
            declared = await http.post("/telegram", json=padded, headers=HEADER)
            assert declared.status_code == 413

            async def chunks():  # no Content-Length: refused while reading
                for _ in range(40):
                    yield b" " * 50_000

            streamed = await http.post("/telegram", content=chunks(), headers=HEADER)
            assert streamed.status_code == 413
            assert (await http.post("/telegram", json=update, headers=HEADER)).status_code == 200
    assert await count(sqlite_db, InboxUpdate) == 1  # only the update of normal size


async def test_healthz_reports_each_channel_and_turns_503_when_polling_stops(
    tg, sqlite_db, sqlite_target, tmp_path
):
    from tests.bot_process import BotProcess, write_config
    from tests.test_crash_recovery import START, wait_until_healthy
    from tests.webhook_harness import free_port

    await seed(sqlite_db)
    port = free_port()
    telegram = {
        "token": tg.token,
        "api_base_url": tg.api_base_url,
        "file_base_url": tg.file_base_url,
    }
    config = write_config(
        tmp_path / "config.toml",
        sqlite_target.url,
        tmp_path / "media",
        telegram=telegram,
        health={"port": port, "stale_after": 5},
    )
    bot = BotProcess(config)
    try:
        await bot.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await wait_until_healthy(http)
            tg.user_sends_text(INSPECTOR, "/start")
            await tg.wait_for_message(INSPECTOR, lambda r: "Chọn phiếu" in (r.text or ""), START)
            health = await http.get("/healthz")
            telegram_health = health.json()["channels"]["telegram"]
            assert health.status_code == 200 and health.json()["database"] == "ok"
            assert telegram_health["last_poll_s"] < 5 and telegram_health["last_send_s"] < 5
            assert telegram_health["stale"] is False
            # The poll now under way hangs (nothing to fetch for 30 s): silence for
            # longer than stale_after is what a stopped bot looks like.
            for _ in range(100):
                health = await http.get("/healthz")
                if health.status_code == 503:
                    break
                await asyncio.sleep(0.2)
            assert health.status_code == 503, health.json()
            assert health.json()["channels"]["telegram"]["stale"] is True
            assert health.json()["channels"]["telegram"]["last_poll_s"] >= 5
            assert (await http.post("/telegram", json={})).status_code == 404  # health only
        assert await bot.terminate() == 0, bot.output()[-2000:]
    finally:
        await bot.kill()
