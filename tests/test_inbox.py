"""The inbox: one update that cannot be read never stops the others."""

from __future__ import annotations

from sqlmodel import select

from storage.models import InboxUpdate
from tests.telegram_harness import INSPECTOR, Phone

BAD_UPDATES = [
    {"update_id": 900001, "message": "a message that is a string"},
    {"update_id": 900002, "message": {"message_id": 1, "chat": {"id": INSPECTOR}}},  # no date
    {"update_id": 900003, "poll": {"id": "x"}},  # a poll we never asked for, half of one
]


async def test_updates_that_cannot_be_parsed_are_set_aside_and_the_rest_go_on(
    bot, tg, sqlite_db, caplog
):
    for update in BAD_UPDATES:
        tg.push_update(update)
    phone = Phone(tg, INSPECTOR)
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên")
    async with sqlite_db.session() as session:
        rows = (await session.exec(select(InboxUpdate).order_by(InboxUpdate.id))).all()
    by_key = {row.update_key: row for row in rows}
    for update in BAD_UPDATES:
        row = by_key[str(update["update_id"])]
        assert row.status == "set_aside" and row.attempts == 1 and row.last_error
    assert [r.status for r in rows if r.update_key not in {"900001", "900002", "900003"}] == [
        "done",
        "done",
    ]
    # Confirmed to Telegram: nothing is fetched again and again.
    assert tg.pending_updates == []
    set_aside = [r for r in caplog.records if "set aside" in r.getMessage()]
    assert len(set_aside) <= len(BAD_UPDATES)


async def test_an_edited_message_is_answered_not_ignored(bot, tg):
    phone = Phone(tg, INSPECTOR)
    await phone.send("/start", "Chọn phiếu kiểm tra")
    sent = tg.user_sends_text(INSPECTOR, "co op")
    edited = {"update_id": sent["update_id"] + 1, "edited_message": sent["message"]}
    edited["edited_message"]["edit_date"] = edited["edited_message"]["date"] + 5
    tg.push_update(edited)
    await phone.expect("Tin nhắn đã sửa không được ghi nhận")
