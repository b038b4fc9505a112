"""Issue 12's "Done when", through the fake servers: how many messages a check leaves in
the chat (Telegram edits its messages in place), a reused check, three ticks in one
message, and never "bấm" where there are no buttons (Zalo, the terminal).

The counts are of the bot's messages that stay in the chat (a Telegram edit adds none)
and of what the inspector sends or presses."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from handlers.checklist import ChecklistRegistry
from storage import people
from storage.models import ChecklistRun, Site
from tests.contract.chat import Chat
from tests.contract.conftest import _chat
from tests.fake_telegram import FakeTelegram
from tests.telegram_harness import CLUSTER_INSPECTOR, INSPECTOR, Phone

CHECKLISTS = ChecklistRegistry.load()
COOPMART = "Siêu thị Co.opmart Quảng Ngãi"
JPEG = b"\xff\xd8\xff\xe0 usability jpeg"


def sent_messages(tg: FakeTelegram, user_id: int) -> int:
    """The bot's messages in the chat now (an edit changes one, a deleted one is gone)."""
    return len([key for key in tg._messages if key[0] == user_id])


class Counted(Phone):
    """A Telegram phone that counts what its person sends or presses."""

    actions = 0

    async def send(self, text: str, expect: str):
        self.actions += 1
        return await super().send(text, expect)

    async def tap(self, label: str, expect: str):
        _record, button = self._find(label)
        if "callback_data" in button:  # a reply keyboard's button is counted by send
            self.actions += 1
        return await super().tap(label, expect)

    async def send_location(self, lat: float, lon: float, expect: str):
        self.actions += 1
        return await super().send_location(lat, lon, expect)


async def supermarket_answers(phone: Counted) -> None:
    """Eleven questions (a Green Label count among them), photo skipped, a location."""
    await phone.tap("Có", "Câu 2/11")
    await phone.tap("Túi giấy", "Câu 2/11")
    await phone.tap("Xong", "Câu 3/11")
    await phone.send("60", "Câu 4/11")
    await phone.tap("Một phần", "Câu 5/11")
    await phone.tap("Không", "Câu 6/11")
    await phone.tap("Có", "Câu 7/11")
    await phone.send("25", "Câu 8/11")
    await phone.tap("Có", "Câu 9/11")
    await phone.tap("Bỏ qua", "Câu 10/11")
    await phone.send_location(15.12, 108.8, "Câu 11/11")
    await phone.tap("Bỏ qua", "Xem lại")


# --- Telegram: messages per check ---------------------------------------------------------


async def test_a_first_supermarket_check_takes_at_most_its_questions_and_two(bot, tg, sqlite_db):
    phone = Counted(tg, INSPECTOR, "Lê Thị Kiểm")
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên")  # the menu becomes the search
    await phone.send("co op quang ngai", "Câu 1/11")  # one match: straight to question 1
    await supermarket_answers(phone)
    done = await phone.tap("✅ Gửi", "Đã gửi phiếu")
    questions = 11
    in_chat = sent_messages(tg, INSPECTOR)
    print(f"telegram supermarket: {in_chat} messages, {phone.actions} actions")
    assert in_chat <= questions + 2, [
        r.text for r in tg.messages_to(INSPECTOR) if r.method != "editMessageText"
    ]
    # The review became the record of what was sent: the answers, then the thanks.
    assert done.method == "editMessageText" and "Túi ni lông khó phân hủy: Có" in done.text
    assert done.reply_markup is None or not done.buttons
    run = (await sqlite_db_runs(sqlite_db, INSPECTOR))[-1]
    assert run.status == "submitted"


async def sqlite_db_runs(database, telegram_id: int) -> list[ChecklistRun]:
    async with database.session() as session:
        person = await people.find_by_account(session, "telegram", str(telegram_id))
        statement = select(ChecklistRun).where(ChecklistRun.person_id == person.id)
        return list((await session.exec(statement.order_by(ChecklistRun.id))).all())


async def test_an_unchanged_recheck_reuses_the_last_answers_in_four_messages(bot, tg, sqlite_db):
    phone = Counted(tg, INSPECTOR, "Lê Thị Kiểm")
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên")
    await phone.send("co op quang ngai", "Câu 1/11")
    await supermarket_answers(phone)
    await phone.tap("✅ Gửi", "Đã gửi phiếu")
    earlier = (await sqlite_db_runs(sqlite_db, INSPECTOR))[-1]
    async with sqlite_db.session() as session:  # last month's check, not this month's
        row = await session.get(ChecklistRun, earlier.id)
        row.submitted_at = row.submitted_at - timedelta(days=40)
        row.started_at = row.started_at - timedelta(days=40)
        session.add(row)
        await session.commit()

    tg.consume_all(INSPECTOR)
    before = sent_messages(tg, INSPECTOR)
    phone.actions = 0
    menu = await phone.send("/start", "Chọn cơ sở đã kiểm tra gần đây")
    assert f"{COOPMART} — Kiểm tra siêu thị" in menu.buttons[0]["text"]
    first = await phone.tap(COOPMART, "Câu 1/11")  # one step to a recent site
    assert any(b["text"].startswith("Dùng lại câu trả lời lần trước") for b in first.buttons)
    review = await phone.tap("Dùng lại câu trả lời lần trước", "Xem lại")
    assert "Đã điền sẵn các câu trả lời" in review.text and "✏️" not in review.text
    await phone.tap("✅ Gửi", "Đã gửi phiếu")
    in_chat = sent_messages(tg, INSPECTOR) - before
    print(f"telegram re-check: {in_chat} messages, {phone.actions} actions")
    assert in_chat <= 4 and phone.actions <= 4
    runs = await sqlite_db_runs(sqlite_db, INSPECTOR)
    assert [r.status for r in runs] == ["submitted", "submitted"]
    assert runs[-1].reused_from_id == earlier.id and runs[-1].site_id == earlier.site_id


async def test_three_ticks_leave_one_message_in_the_chat(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên")
    await phone.send("co op quang ngai", "Câu 1/11")
    question = await phone.tap("Có", "Câu 2/11")
    before = sent_messages(tg, INSPECTOR)
    for label in ["Túi phân hủy sinh học", "Túi giấy", "Túi vải, dùng nhiều lần"]:
        ticked = await phone.tap(label, "Câu 2/11")
        assert ticked.method == "editMessageText"
        assert ticked.message_id == question.message_id  # the same message, redrawn
    assert sent_messages(tg, INSPECTOR) == before
    shown = [b["text"] for b in ticked.buttons]
    assert {"✅ Túi phân hủy sinh học", "✅ Túi giấy", "✅ Túi vải, dùng nhiều lần"} <= set(shown)
    record = await phone.tap("Xong", "→ Túi phân hủy sinh học; Túi giấy; Túi vải")
    assert record.message_id == question.message_id and not record.buttons
    await phone.expect("Câu 3/11")
    assert sent_messages(tg, INSPECTOR) == before + 1  # only the next question


async def test_a_cluster_check_on_telegram_counted(bot, tg, sqlite_db):
    phone = Counted(tg, CLUSTER_INSPECTOR, "Phạm Văn Cụm")
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Tuyên truyền", "Gõ một phần tên")
    await phone.send("dong dinh", "Câu 1/7")
    await phone.tap("Đã", "Câu 2/7")
    await phone.send("hôm nay", "Câu 3/7")
    await phone.tap("Hội nghị", "Câu 4/7")
    await phone.send("12", "Câu 5/7")
    await phone.send("40", "Câu 6/7")
    await phone.send_photo(JPEG, "Câu 7/7")
    phone.actions += 1
    await phone.tap("Bỏ qua", "Xem lại")
    await phone.tap("✅ Gửi", "Đã gửi phiếu")
    in_chat = sent_messages(tg, CLUSTER_INSPECTOR)
    print(f"telegram cluster: {in_chat} messages, {phone.actions} actions")
    assert in_chat <= 7 + 2


# --- Zalo and the terminal: never "bấm" --------------------------------------------------


def typed_answer(question) -> str | None:
    """A valid typed answer to the question, or None for a photo."""
    kind, low = question.type, question.constraint.get("min")
    if kind in ("yes_no", "yes_no_unknown", "select_one"):
        return "1"
    if kind == "select_multiple":
        return "1, 2"
    if kind in ("integer", "decimal"):
        return str(max(int(low or 1), 1))
    if kind == "percent":
        return "50"
    if kind == "date":
        return "hôm nay"
    if kind == "location":
        return "15.12, 108.80"
    if kind == "text":
        return "Ghi chú của đoàn kiểm tra"
    return None


async def drive_checklist(chat: Chat, checklist_id: str) -> int:
    """From /start to "Đã gửi phiếu" by typing (a photo sent where the channel can);
    returns how many messages the bot sent for it."""
    checklist = CHECKLISTS.get(checklist_id)
    before = len(chat.texts())
    started = chat.texts()
    await chat.send("/start")
    await chat.expect("phiếu kiểm tra")
    await chat.choose(checklist.title_in("vi"))
    if checklist.needs_site:
        await chat.expect("một phần tên")
        async with chat.db.session() as session:
            kinds = list(checklist.site_kinds)
            statement = select(Site).where(Site.kind.in_(kinds)).order_by(Site.id)
            site = (await session.exec(statement)).first()
        seen = chat.texts()
        await chat.send(site.name)
        if "Tìm thấy" in (await next_screen(chat, seen)).text:  # names alike: the list
            seen = chat.texts()
            await chat.choose(site.name)
            await next_screen(chat, seen)
    else:
        await next_screen(chat, started)
    for _ in range(40):
        run, _answers = await chat.newest_run()
        if run.phase == "review":
            await chat.choose("✅ Gửi")
            await chat.expect("Đã gửi phiếu")
            return len(chat.texts()) - before
        if run.phase == "site_duplicate":
            await chat.choose("Kiểm tra mới")
            await chat.expect("Câu 1/")
            continue
        question = checklist.question(run.current_question)
        answer = typed_answer(question)
        seen = chat.texts()
        if answer is None and chat.has_photos:
            await chat.send_photo(JPEG)
        else:
            await chat.send(answer or "bỏ qua")
        await next_screen(chat, seen)
    raise AssertionError(f"{checklist_id}: not submitted after 40 answers")


SCREENS = ("Câu ", "Xem lại", "Tìm thấy", "đã được")


async def next_screen(chat: Chat, seen: list[str]):
    """The first screen shown since ``seen`` (the texts then; the terminal's last turn
    grows) that is a question, the review, a list of sites or "checked already"."""
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        texts = chat.texts()
        new = [t[len(seen[i]) :] if i < len(seen) else t for i, t in enumerate(texts)]
        for fragment in SCREENS:
            if any(fragment in text for text in new):
                return await chat.expect(fragment)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no question after an answer: {chat.texts()[-3:]}")


async def talk_around(chat: Chat) -> None:
    """/help, /my, a word at a choice, a sticker-like empty answer, garbage at a number."""
    for command, expect in [("/help", "/start"), ("/my", "phiếu"), ("/lang", "Cách dùng")]:
        await chat.send(command)
        await chat.expect(expect)
    await chat.send("/nothing")
    await chat.expect("Không có lệnh này")
    await chat.send("/start")
    await chat.expect("phiếu kiểm tra")
    await chat.choose("Hội chợ, xúc tiến")
    await chat.expect("Câu 1/")
    await chat.send("x" * 201)  # over the name's limit: its length, sent back
    await chat.expect("tối đa 200 ký tự")
    await chat.send("Hội chợ hàng Việt")
    await chat.expect("Câu 2/")
    await chat.send("31/02/2026")
    await chat.expect("Ngày này không có thật")
    await chat.send("/cancel")
    await chat.expect("Hủy phiếu")
    await chat.choose("Hủy phiếu")
    await chat.expect("Đã hủy phiếu")


def assert_never_press(texts: list[str], where: str) -> None:
    pressed = [text for text in texts if "bấm" in text.lower()]
    assert not pressed, f"{where}: {pressed}"
    assert len(texts) > 20, f"{where}: too few texts to tell ({len(texts)})"


async def test_no_text_on_zalo_says_bam(tmp_path):
    from tests.contract.zalo_chat import ZaloChat
    from tests.test_zalo import INSPECTOR as ZALO_INSPECTOR

    counts = {}
    async for chat in _chat("zalo", "admin", tmp_path):
        assert isinstance(chat, ZaloChat)
        for checklist in CHECKLISTS.by_id.values():
            counts[checklist.id] = await drive_checklist(chat, checklist.id)
        await talk_around(chat)
        await chat.send("/invite cán bộ QLTM")
        code = (await chat.expect("Mã mời:")).text.split("Mã mời: ")[1].split()[0]
        stranger = "9e9e9e9e9e9e9e9e9e9e"
        chat.zalo.user_sends_text(stranger, "xin chào")
        await chat.zalo.wait_for_message(stranger, lambda r: "chưa được đăng ký" in r.text)
        chat.zalo.user_sends_text(stranger, code)
        await chat.zalo.wait_for_message(stranger, lambda r: "Đăng ký thành công" in r.text)
        await chat.zalo.wait_for_message(stranger, lambda r: "1." in (r.text or ""))
        stranger_texts = [r.text or "" for r in chat.zalo.messages_to(stranger)]
        inspector = chat.zalo.messages_to(ZALO_INSPECTOR)
        assert_never_press(chat.texts() + stranger_texts, "zalo")
        assert inspector == []
    print(f"zalo messages per check: {counts}")
    assert counts["supermarket"] <= 11 + 4 and counts["cluster_awareness"] <= 7 + 4


async def test_no_text_on_the_terminal_says_bam(tmp_path):
    counts = {}
    async for chat in _chat("terminal", "admin", tmp_path):
        for checklist in CHECKLISTS.by_id.values():
            counts[checklist.id] = await drive_checklist(chat, checklist.id)
        await talk_around(chat)
        assert_never_press(chat.texts(), "terminal")
    print(f"terminal turns per check: {counts}")
