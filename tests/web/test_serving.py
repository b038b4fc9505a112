"""The console served by the real `fieldbot` command: `fieldbot web` alone, and
`fieldbot run` beside the webhooks (the same address answers /healthz and the pages)."""

from __future__ import annotations

import asyncio
import os
import signal

import httpx

from bot.web.auth import create_login_link
from storage.models import Person
from tests.bot_process import FIELDBOT, write_config
from tests.webhook_harness import SECRET, free_port


async def _wait_up(url: str, process, log) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.returncode is not None:
                raise AssertionError(f"fieldbot stopped: {log.read_text()}")
            try:
                await client.get(url, timeout=1)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}: {log.read_text()}")


async def _start(config, command: str, log):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            str(FIELDBOT), "--config", str(config), command, stdout=out, stderr=out, env=env
        )


async def _link(database, base_url: str) -> str:
    async with database.session() as session:
        person = await session.get(Person, 1)
        link = await create_login_link(session, person, base_url)
        await session.commit()
    return link


async def _sign_in(base: str, link: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get(link)).status_code == 200
        signed = await client.post(link)
        assert signed.status_code == 303
        assert (await client.get("/checks")).status_code == 200
        assert (await client.get("/static/vendor/htmx/htmx.min.js")).status_code == 200


async def _stop(process) -> None:
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_fieldbot_web_serves_the_console_alone(console, sqlite_target, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_config(
        tmp_path / "web.toml",
        sqlite_target.url,
        tmp_path / "media",
        web={"enabled": True, "port": port, "base_url": base},
    )
    process = await _start(config, "web", tmp_path / "web.log")
    try:
        await _wait_up(f"{base}/signed-out", process, tmp_path / "web.log")
        await _sign_in(base, await _link(console.database, base))
    finally:
        await _stop(process)


async def test_fieldbot_run_mounts_the_console_beside_the_webhooks(
    console, sqlite_target, tmp_path, tg
):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_config(
        tmp_path / "run.toml",
        sqlite_target.url,
        tmp_path / "media",
        telegram={"token": tg.token, "api_base_url": tg.api_base_url},
        webhook={"url": "https://bot.example.gov.vn", "secret": SECRET, "port": port},
        web={"enabled": True, "base_url": base},
    )
    process = await _start(config, "run", tmp_path / "run.log")
    try:
        await _wait_up(f"{base}/healthz", process, tmp_path / "run.log")
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/healthz")).json()["ok"] is True
            assert (await client.post("/telegram", json={})).status_code == 403
            assert (await client.get("/overview")).status_code == 401
        await _sign_in(base, await _link(console.database, base))
    finally:
        await _stop(process)


async def test_without_web_enabled_fieldbot_run_serves_no_console(
    console, sqlite_target, tmp_path, tg
):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_config(
        tmp_path / "run.toml",
        sqlite_target.url,
        tmp_path / "media",
        telegram={"token": tg.token, "api_base_url": tg.api_base_url},
        webhook={"url": "https://bot.example.gov.vn", "secret": SECRET, "port": port},
        web={"enabled": False},
    )
    process = await _start(config, "run", tmp_path / "run.log")
    try:
        await _wait_up(f"{base}/healthz", process, tmp_path / "run.log")
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/overview")).status_code == 404
    finally:
        await _stop(process)
