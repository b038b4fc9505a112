"""The fake Bot API server works with the real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_telegram import FakeTelegram

USER = 4242


def build_app(tg: FakeTelegram, token: str | None = None) -> Application:
    return (
        ApplicationBuilder()
        .token(token or tg.token)
        .base_url(tg.api_base_url)
        .base_file_url(tg.file_base_url)
        .build()
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Có", callback_data="yes"),
                InlineKeyboardButton("Không", callback_data="no"),
            ]
        ]
    )
    await update.message.reply_text("Bắt đầu báo cáo?", reply_markup=keyboard)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.bot_data.setdefault("seen", []).append(update.update_id)
    await update.message.reply_text(f"echo: {update.message.text}")


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await context.bot.get_file(update.message.photo[-1].file_id)
    data = await file.download_as_bytearray()
    context.bot_data["photo"] = bytes(data)
    await update.message.reply_text(f"got {len(data)} bytes")


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"chose {query.data}")
    await query.edit_message_text(f"Đã chọn: {query.data}")


@contextlib.asynccontextmanager
async def running_bot(tg: FakeTelegram):
    app = build_app(tg)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    await app.initialize()
    try:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


async def test_text_is_echoed(tg):
    async with running_bot(tg) as app:
        update = tg.user_sends_text(USER, "xin chào")
        reply = await tg.wait_for_message(USER)
    assert reply.method == "sendMessage"
    assert reply.text == "echo: xin chào"
    assert app.bot_data["seen"] == [update["update_id"]]
    assert reply.message["from"]["id"] == tg.bot_user["id"]


async def test_button_press_is_answered_and_message_edited(tg):
    async with running_bot(tg):
        tg.user_sends_text(USER, "/start")
        question = await tg.wait_for_message(USER)
        assert [b["callback_data"] for b in question.buttons] == ["yes", "no"]
        tg.user_presses_button(USER, "yes")
        edited = await tg.wait_for_message(USER)
    assert edited.method == "editMessageText"
    assert edited.message_id == question.message_id
    assert edited.text == "Đã chọn: yes"
    assert "reply_markup" not in edited.message  # editing without markup drops the keyboard
    assert tg.answered_callbacks == [
        {
            "callback_query_id": tg.answered_callbacks[0]["callback_query_id"],
            "text": "chose yes",
            "show_alert": False,
            "url": None,
        }
    ]
    with pytest.raises(LookupError):
        tg.user_presses_button(USER, "no")  # no keyboard left to press


async def test_photo_is_downloadable(tg):
    content = bytes(range(256)) * 40
    async with running_bot(tg) as app:
        update = tg.user_sends_photo(USER, content)
        reply = await tg.wait_for_message(USER)
        assert reply.text == f"got {len(content)} bytes"
        assert app.bot_data["photo"] == content
        file_id = update["message"]["photo"][-1]["file_id"]
        data = await (await app.bot.get_file(file_id)).download_as_bytearray()
        assert bytes(data) == content


async def test_bot_uploads_are_recorded(tg):
    async with build_app(tg).bot as bot:
        message = await bot.send_photo(USER, photo=b"\x89PNG-fake", caption="ảnh")
        document = await bot.send_document(USER, document=b"a,b\n1,2\n", filename="r.csv")
    assert message.photo[-1].file_size == len(b"\x89PNG-fake")
    assert document.document.file_name == "r.csv"
    photo_record, document_record = tg.messages_to(USER)
    assert photo_record.text == "ảnh"
    assert photo_record.files["photo"].content == b"\x89PNG-fake"
    assert document_record.files["document"].filename == "r.csv"
    assert document_record.files["document"].content == b"a,b\n1,2\n"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_raises_retry_after(tg):
    tg.fail_next("sendMessage", status=429, retry_after=3)
    async with build_app(tg).bot as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "hello")
        await bot.send_message(USER, "hello again")  # only the next call fails
    retry_after = caught.value.retry_after
    if isinstance(retry_after, dtm.timedelta):
        retry_after = retry_after.total_seconds()
    assert retry_after == 3
    assert [(f.method, f.status, f.retry_after) for f in tg.failures] == [("sendMessage", 429, 3)]
    assert [r.text for r in tg.messages_to(USER)] == ["hello again"]


async def test_500_raises_network_error(tg):
    tg.fail_next("sendmessage", status=500, count=2)
    async with build_app(tg).bot as bot:
        for _ in range(2):
            with pytest.raises(NetworkError) as caught:
                await bot.send_message(USER, "hello")
            assert isinstance(caught.value, TelegramError)
            assert "Internal Server Error" in str(caught.value)
    assert len(tg.failures) == 2
    assert tg.messages_to(USER) == []


async def test_wrong_token_is_rejected(tg):
    app = build_app(tg, token="999999:WRONG-TOKEN-abcdefghijklmnopqrs")
    try:
        with pytest.raises(InvalidToken):
            await app.initialize()
    finally:
        await app.bot.shutdown()  # the HTTP clients were opened before get_me failed


async def test_same_update_delivered_twice(tg):
    async with running_bot(tg) as app:
        update = tg.user_sends_text(USER, "một")
        await tg.wait_for_message(USER)
        tg.push_update(update)
        again = await tg.wait_for_message(USER)
        tg.user_sends_text(USER, "hai")
        await tg.wait_for_message(USER, lambda r: r.text == "echo: hai")
    assert again.text == "echo: một"
    first = update["update_id"]
    assert app.bot_data["seen"] == [first, first, first + 1]


async def test_long_poll_waits_then_returns_promptly(tg):
    async with build_app(tg).bot as bot:
        loop = asyncio.get_running_loop()
        began = loop.time()
        assert await bot.get_updates(timeout=0.3) == ()
        assert loop.time() - began >= 0.25
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.05)
        tg.user_sends_location(USER, 15.12, 108.8)
        updates = await asyncio.wait_for(poll, 2)
        assert updates[0].message.location.latitude == pytest.approx(15.12)
        # confirming the offset drops the update; limit caps a batch
        for i in range(3):
            tg.user_sends_text(USER, str(i))
        batch = await bot.get_updates(offset=updates[0].update_id + 1, limit=2)
        assert [u.message.text for u in batch] == ["0", "1"]
    assert not tg.messages_to(USER)


async def test_restarted_bot_gets_updates_sent_after_the_old_poller_left(tg):
    """A new Application on the same server gets what users sent while the bot was down."""
    async with running_bot(tg):
        tg.user_sends_text(USER, "trước")
        await tg.wait_for_message(USER)
    tg.user_sends_text(USER, "sau")
    async with running_bot(tg):
        reply = await tg.wait_for_message(USER, timeout=3)
    assert reply.text == "echo: sau"
    await tg.expect_no_message(USER, within=0.05)


async def test_edit_errors_are_realistic(tg):
    async with build_app(tg).bot as bot:
        message = await bot.send_message(USER, "a")
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("a", chat_id=USER, message_id=message.message_id)
        with pytest.raises(BadRequest, match="not found"):
            await bot.edit_message_text("b", chat_id=USER, message_id=999)
        with pytest.raises(BadRequest, match="empty"):
            await bot.send_message(USER, " ")
