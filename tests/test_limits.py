"""Limits an office needs (issue 16): photos over [bot] max_photo_mb are refused with a
polite message and never downloaded; a webhook client that sends its request too
slowly is disconnected after [webhook] read_timeout."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import build_engine
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.runtime import running
from storage.db import Database
from tests.fake_zalo import ZaloPhone
from tests.telegram_harness import INSPECTOR, Phone, bot_config, seed
from tests.test_zalo import INSPECTOR as ZALO_INSPECTOR
from tests.test_zalo import seed as seed_zalo
from tests.test_zalo import zalo_config

MB = 1024 * 1024
REFUSED = "vượt quá giới hạn"


@asynccontextmanager
async def telegram_bot(tg, database_url: str, media_dir: Path, **bot_keys):
    config = bot_config(tg, database_url, media_dir)
    config = config.with_values(bot={**config.values["bot"], **bot_keys})
    engine = build_engine(config, Database(database_url))
    channel = TelegramChannel(config, engine)
    try:
        async with running(engine, {"telegram": channel}, poll_timeout=1):
            yield
    finally:
        await engine.db.dispose()


def count_calls(tg, method: str) -> list[dict]:
    """A record of the fake's ``method`` calls (getFile is how a photo is fetched)."""
    calls: list[dict] = []
    name, handler = tg._methods[method.lower()]

    async def counted(params, files, request):
        calls.append(params)
        return await handler(params, files, request)

    tg._methods[method.lower()] = (name, counted)
    return calls


async def to_the_photo_question(phone: Phone) -> None:
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    await phone.send("co op quang ngai", "Câu 1/11")  # one match: straight to it
    await phone.tap("Có", "Câu 2/11")
    await phone.tap("Túi giấy", "Câu 2/11")
    await phone.tap("Xong", "Câu 3/11")
    await phone.send("75%", "Câu 4/11")
    await phone.tap("Một phần", "Câu 5/11")
    await phone.tap("Không", "Câu 6/11")
    await phone.tap("Có", "Câu 7/11")
    await phone.send("1.200", "Câu 8/11")
    await phone.tap("Có", "Câu 9/11")  # question 9 wants the photo


def photos_in(media: Path) -> list[Path]:
    return [p for p in media.rglob("*.jpg")] if media.exists() else []


async def test_a_photo_announced_over_the_limit_is_refused_without_a_download(
    tg, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    media = tmp_path / "media"
    async with telegram_bot(tg, sqlite_target.url, media):  # the default: 10 MB
        phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
        await to_the_photo_question(phone)
        get_file = count_calls(tg, "getFile")
        tg.user_sends_photo(INSPECTOR, b"\xff\xd8 big", file_size=12 * MB + 400_000)
        refusal = await phone.expect(REFUSED)
        assert "12,4 MB" in refusal.text and "10 MB" in refusal.text
        assert "anh/chị" in refusal.text.lower()
        await phone.expect("Câu 9/11")  # the same question, asked again
        assert get_file == [] and photos_in(media) == []
        # A photo within the limit is then taken as usual.
        await phone.send_photo(b"\xff\xd8 small", "Câu 10/11")
        assert len(get_file) == 1 and len(photos_in(media)) == 1


async def test_a_photo_whose_size_only_getfile_tells_is_refused_before_its_bytes(
    tg, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    media = tmp_path / "media"
    async with telegram_bot(tg, sqlite_target.url, media, max_photo_mb=1):
        phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
        await to_the_photo_question(phone)
        big = b"\xff\xd8" + b"\0" * (MB + MB // 2)
        tg.user_sends_photo(INSPECTOR, big, announce_size=False)
        refusal = await phone.expect(REFUSED)
        assert "1,5 MB" in refusal.text and "giới hạn 1 MB" in refusal.text
        await phone.expect("Câu 9/11")
        assert photos_in(media) == []


async def test_zalo_photo_over_the_limit_is_refused_from_its_content_length(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed_zalo(sqlite_db)
    media = tmp_path / "media"
    config = zalo_config(zalo, sqlite_target.url, media)
    config = config.with_values(bot={**config.values["bot"], "max_photo_mb": 1})
    engine = build_engine(config, Database(sqlite_target.url))
    client = ZaloClient(zalo.token, zalo.api_base_url, backoff=0.05)
    channel = ZaloChannel(config, engine, client)
    try:
        async with running(engine, {"zalo": channel}, poll_timeout=1):
            phone = ZaloPhone(zalo, ZALO_INSPECTOR, "Lê Thị Kiểm")
            await phone.send("/start", "Chọn phiếu kiểm tra")
            await phone.choose("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
            await phone.send("co op quang ngai", "Câu 1/11")
            await phone.send("co", "Câu 2/11")
            await phone.choose("Túi giấy", "Câu 2/11")
            await phone.choose("Xong", "Câu 3/11")
            await phone.send("75", "Câu 4/11")
            await phone.send("mot phan", "Câu 5/11")
            await phone.send("khong", "Câu 6/11")
            await phone.choose("Có", "Câu 7/11")
            await phone.send("1200", "Câu 8/11")
            await phone.send("Co", "Câu 9/11")  # question 9 wants the photo
            big = b"\xff\xd8" + b"\0" * (2 * MB)
            refusal = await phone.send_image(big, REFUSED)
            assert "2 MB" in refusal.text and "giới hạn 1 MB" in refusal.text
            assert "bấm" not in refusal.text
            await phone.expect("Câu 9/11")
            assert photos_in(media) == []
            await phone.send_image(b"\xff\xd8 small", "Câu 10/11")
            assert len(photos_in(media)) == 1
    finally:
        await client.aclose()
        await engine.db.dispose()


# --- slow clients ---------------------------------------------------------------------

# Far above any read_timeout used here: the close is awaited, not timed.
CLOSE_WITHIN = 30.0


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sent until it closed the connection (raises on time-out)."""
    received = b""
    async with asyncio.timeout(CLOSE_WITHIN):
        while chunk := await reader.read(4096):
            received += chunk
    return received


async def test_fieldbot_run_cuts_a_client_that_sends_half_its_headers(
    tg, sqlite_db, sqlite_target, tmp_path
):
    """Through the real `fieldbot run` (its /healthz server while polling)."""
    import httpx

    from tests.bot_process import BotProcess, write_config
    from tests.test_crash_recovery import wait_until_healthy
    from tests.webhook_harness import free_port

    await seed(sqlite_db)
    port = free_port()
    telegram = {"token": tg.token, "api_base_url": tg.api_base_url}
    telegram["file_base_url"] = tg.file_base_url
    config = write_config(
        tmp_path / "config.toml",
        sqlite_target.url,
        tmp_path / "media",
        telegram=telegram,
        health={"port": port},
        webhook={"read_timeout": 2},
    )
    bot = BotProcess(config)
    try:
        await bot.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await wait_until_healthy(http)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        await writer.drain()
        assert await closed_by_server(reader) == b""  # cut, nothing answered
        writer.close()
        # A client that is quick enough keeps its connection between requests
        # (the deadline is per request, not uvicorn's 75 s keep-alive).
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        for _ in range(2):
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CLOSE_WITHIN)
            assert head.startswith(b"HTTP/1.1 200")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            await asyncio.sleep(3)  # idle for longer than read_timeout
        writer.close()
    finally:
        await bot.terminate()


async def test_a_webhook_body_trickled_too_slowly_is_cut_and_not_stored(
    tg, sqlite_db, sqlite_target, tmp_path
):
    import json

    from sqlmodel import func, select

    from bot.webhook import WebhookServer, serve
    from storage.models import InboxUpdate
    from tests.webhook_harness import SECRET, free_port

    await seed(sqlite_db)
    config = bot_config(tg, sqlite_target.url, tmp_path)
    database = Database(sqlite_target.url)
    engine = build_engine(config, database)
    channel = TelegramChannel(config, engine)
    port, stop = free_port(), asyncio.Event()
    body = json.dumps(tg.user_sends_text(INSPECTOR, "/start")).encode()
    try:
        async with running(engine, {"telegram": channel}, polling=False) as runtime:
            server = WebhookServer(database, SECRET, runtime.intake, telegram=True)
            task = asyncio.create_task(serve(server, "127.0.0.1", port, stop, read_timeout=1))
            for _ in range(600):
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    break
                except OSError:
                    await asyncio.sleep(0.05)
            head = (
                "POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            writer.write(head.encode() + body[: len(body) // 2])  # then nothing more
            await writer.drain()
            assert await closed_by_server(reader) == b""
            writer.close()
            stop.set()
            await task
    finally:
        await database.dispose()
    async with sqlite_db.session() as session:
        stored = (await session.exec(select(func.count()).select_from(InboxUpdate))).one()
    assert stored == 0
