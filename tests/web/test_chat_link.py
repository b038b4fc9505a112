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
        assert "/web" not in (await phone.send("/help", expect="/start")).text


async def test_someone_unknown_gets_no_link(console, tg):
    async with chat_bot(tg, console):
        stranger = Phone(tg, 555_000_111)
        stranger.tg.user_sends_text(555_000_111, "/web", first_name="Lạ")
        reply = await tg.wait_for_message(555_000_111, timeout=15)
        assert "/login/" not in (reply.text or "")


async def _outbox_rows(database, chat_id: int):
    from sqlmodel import select

    from storage.models import OutboxMessage

    async with database.session() as session:
        statement = select(OutboxMessage).where(OutboxMessage.chat_id == str(chat_id))
        return list((await session.exec(statement.order_by(OutboxMessage.id))).all())


async def test_once_sent_the_link_is_not_kept_in_the_outbox(console, tg):
    import asyncio

    async with chat_bot(tg, console):
        phone = Phone(tg, INSPECTOR)
        assert "/web — liên kết đăng nhập" in (await phone.send("/help", expect="/start")).text
        link = await link_from_chat(tg, INSPECTOR)
        for _ in range(100):  # the "sent" mark is written just after the send
            rows = await _outbox_rows(console.database, INSPECTOR)
            if rows and all(row.status == "sent" for row in rows):
                break
            await asyncio.sleep(0.05)
    help_row, link_row = rows
    assert link_row.status == "sent" and link_row.replies == []
    assert help_row.replies and help_row.replies[0]["text"]  # other messages stay as sent
    token = link.rsplit("/", 1)[1]
    async with console.database.session() as session:
        from sqlalchemy import text

        dump = (await session.exec(text("SELECT replies FROM outbox_message"))).all()
    assert token not in str(dump)


async def test_only_sent_messages_with_a_link_are_blanked_on_both_engines(db):
    from storage import inbox

    async with db.session() as session:
        rows = [
            inbox.add_replies(session, "telegram", "1", "vi", [{"text": t}])
            for t in ("https://x.test/login/abc", "https://x.test/login/def", "Xin chào")
        ]
        await session.flush()
        ids = [row.id for row in rows]
        # The first link is out; the second went out in one part of two; the greeting is out.
        await inbox.record_parts_sent(session, {ids[0]: (1, 1), ids[1]: (1, 2), ids[2]: (1, 1)})
        await session.commit()
    async with db.session() as session:
        from storage.models import OutboxMessage

        kept = [(await session.get(OutboxMessage, i)).replies for i in ids]
    assert kept == [[], [{"text": "https://x.test/login/def"}], [{"text": "Xin chào"}]]
