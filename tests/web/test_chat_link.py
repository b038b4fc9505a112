"""/web in the chat: the bot answers with a one-time link (through the normal reply
path: inbox, outbox, the fake Telegram server) that signs this person in, once."""

from __future__ import annotations

import httpx

from tests.telegram_harness import ADMIN, INSPECTOR, Phone
from tests.web.conftest import chat_bot, link_from_chat


async def test_web_in_the_chat_sends_a_link_that_signs_that_person_in_once(console, tg):
    async with chat_bot(tg, console):
        link = await link_from_chat(tg, INSPECTOR)
        assert link.startswith("http://console.test/login/")
        async with console.client() as client:
            assert (await client.post(httpx.URL(link).path)).status_code == 303
            page = await client.get("/checks")
            assert page.status_code == 200 and "Lê Thị Kiểm" in page.text
            assert (await client.get("/overview")).status_code == 403  # an inspector
        async with console.client() as other:
            assert (await other.post(httpx.URL(link).path)).status_code == 410
        # A second /web is a new link; the admin's link opens the admin's pages.
        admin_link = await link_from_chat(tg, ADMIN)
        assert admin_link != link
        async with console.client() as client:
            assert (await client.post(httpx.URL(admin_link).path)).status_code == 303
            assert "Trần Quản Trị" in (await client.get("/people")).text


async def test_web_says_so_when_the_console_is_off(console, tg):
    console.config = console.config.with_values(web={"enabled": False})
    async with chat_bot(tg, console):
        phone = Phone(tg, INSPECTOR)
        answer = await phone.send("/web", expect="chưa được bật")
        assert "/login/" not in answer.text


async def test_someone_unknown_gets_no_link(console, tg):
    async with chat_bot(tg, console):
        stranger = Phone(tg, 555_000_111)
        stranger.tg.user_sends_text(555_000_111, "/web", first_name="Lạ")
        reply = await tg.wait_for_message(555_000_111, timeout=15)
        assert "/login/" not in (reply.text or "")
