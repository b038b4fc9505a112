"""Things go wrong around an inspector: Telegram delivers an update twice, she presses an
old button, someone forges button data, a stranger writes, invites are used, revoked or
expired, the Bot API answers 429 or 500, the engine crashes once. Nothing is written twice,
nothing is written that should not be, and the conversation always goes on."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from bot.pipeline import MAX_TURN_ATTEMPTS
from handlers.engine import Turn
from storage import people
from storage.models import Answer, ChannelAccount, ChecklistRun, Invite, Person, Site, utcnow
from tests.telegram_harness import (
    ADMIN,
    CLUSTER_INSPECTOR,
    INSPECTOR,
    Phone,
)

STRANGER = 7777
STALE = "Lựa chọn này đã cũ hoặc không hợp lệ"


async def snapshot(database, telegram_id: int):
    """Everything stored about the person's runs, comparable before and after."""
    async with database.session() as session:
        person = await people.find_by_account(session, "telegram", str(telegram_id))
        found = (
            await session.exec(
                select(ChecklistRun)
                .where(ChecklistRun.person_id == person.id)
                .order_by(ChecklistRun.id)
            )
        ).all()
        result = []
        for run in found:
            answers = (
                await session.exec(
                    select(Answer).where(Answer.run_id == run.id).order_by(Answer.question_id)
                )
            ).all()
            result.append((run.model_dump(), [a.model_dump() for a in answers]))
        return result


async def current_run(database, telegram_id: int):
    async with database.session() as session:
        person = await people.find_by_account(session, "telegram", str(telegram_id))
        run = (
            await session.exec(
                select(ChecklistRun)
                .where(ChecklistRun.person_id == person.id)
                .order_by(ChecklistRun.id.desc())
            )
        ).first()
        answers = (await session.exec(select(Answer).where(Answer.run_id == run.id))).all()
        return run, {a.question_id: a for a in answers}


async def count(database, model, *where) -> int:
    async with database.session() as session:
        statement = select(func.count()).select_from(model)
        for clause in where:
            statement = statement.where(clause)
        return (await session.exec(statement)).one()


async def start_supermarket(phone: Phone) -> None:
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "một phần tên")
    await phone.send("co op", "Tìm thấy")  # several matches: the list
    await phone.tap("Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")


async def expect_stale_then(phone: Phone, prompt: str) -> None:
    refusal = await phone.expect(STALE)
    assert refusal.method == "sendMessage", "a refusal never overwrites the pressed message"
    again = await phone.expect(prompt)
    assert again.message_id == refusal.message_id + 1


# --- the same update twice ---------------------------------------------------------------


async def test_an_update_delivered_twice_is_applied_once(bot_on_both, tg, db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    message_id, yes = phone.button("Có")
    pressed = tg.user_presses_button(INSPECTOR, yes, message_id=message_id)
    await phone.expect("Câu 2/11")
    await phone.send("1, 3", "Câu 3/11")
    typed = tg.user_sends_text(INSPECTOR, "50")
    await phone.expect("Câu 4/11")
    before = await snapshot(db, INSPECTOR)

    tg.push_update(pressed)  # Telegram re-delivers both updates, same update_id
    tg.push_update(typed)
    await tg.wait_until_delivered()
    await tg.expect_no_message(INSPECTOR, within=1.0)
    assert await snapshot(db, INSPECTOR) == before
    run, answers = await current_run(db, INSPECTOR)
    assert run.current_question == "packaging_replaced"
    assert await count(db, Answer, Answer.run_id == run.id) == 3

    await phone.tap("Chưa", "Câu 5/11")  # and the conversation goes on
    run, answers = await current_run(db, INSPECTOR)
    assert answers["eco_bag_share"].value_number == 50
    assert answers["packaging_replaced"].value_text == "none"
    assert run.current_question == "foam_trays"


# --- stale and forged buttons ----------------------------------------------------------


async def test_a_button_of_an_earlier_question_is_refused(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    first_id, old_yes = phone.button("Có")
    await phone.tap("Không", "Câu 2/11")
    second_id, old_done = phone.button("Xong")
    await phone.tap("Túi giấy", "Câu 2/11")
    await phone.tap("Xong", "Câu 3/11")
    before = await snapshot(sqlite_db, INSPECTOR)
    answered = len(tg.answered_callbacks)

    # Answered questions lost their buttons; a phone that still shows them (an edit it
    # missed, a message from before a restart) is told so and shown the open question.
    shown = {r.message_id: r for r in tg.messages_to(INSPECTOR)}
    assert shown[first_id].buttons == [] and shown[second_id].buttons == []
    tg.user_presses_button(INSPECTOR, old_yes, message_id=first_id, check=False)
    await expect_stale_then(phone, "Câu 3/11")
    tg.user_presses_button(INSPECTOR, old_done, message_id=second_id, check=False)
    await expect_stale_then(phone, "Câu 3/11")
    assert await snapshot(sqlite_db, INSPECTOR) == before
    assert len(tg.answered_callbacks) == answered + 2, "every press stops the spinner"

    await phone.send("20", "Câu 4/11")
    run, answers = await current_run(sqlite_db, INSPECTOR)
    assert answers["nonbio_bags"].value_text == "no"
    assert answers["eco_bag_share"].value_number == 20


async def test_forged_button_data_is_refused_and_writes_nothing(bot_on_both, tg, db):
    cluster = Phone(tg, CLUSTER_INSPECTOR)
    await cluster.send("/start", "Chọn phiếu kiểm tra")
    await cluster.tap("Tuyên truyền", "một phần tên")
    await cluster.send("dong dinh", "Cơ sở: Cụm công nghiệp Đồng Dinh")  # the one match
    other_run, _ = await current_run(db, CLUSTER_INSPECTOR)
    others_before = await snapshot(db, CLUSTER_INSPECTOR)

    phone = Phone(tg, INSPECTOR)
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "một phần tên")
    run, _ = await current_run(db, INSPECTOR)
    async with db.session() as session:
        cluster_site = (
            await session.exec(select(Site).where(Site.kind == "industrial_cluster"))
        ).first()
    menu_id = tg.messages_to(INSPECTOR)[-1].message_id

    async def refused(data: str, prompt: str) -> None:
        before = await snapshot(db, INSPECTOR)
        tg.user_presses_button(INSPECTOR, data, message_id=menu_id, check=False)
        await expect_stale_then(phone, prompt)
        assert await snapshot(db, INSPECTOR) == before, data

    # While choosing the site: sites that do not exist or are of the wrong kind.
    await refused(f"s:{run.id}:{cluster_site.id}", "một phần tên")
    await refused(f"s:{run.id}:99999999999999999999", "một phần tên")
    await refused(f"s:{run.id}:-3", "một phần tên")
    await refused(f"s:{run.id}:²", "một phần tên")
    await refused("rc:99999999999999999999:2026:QLTM", "một phần tên")
    await refused("rc:²:2026:QLTM", "một phần tên")
    await phone.send("co op", "Tìm thấy")
    await phone.tap("Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")

    for data in [
        "a:999999:nonbio_bags:yes",
        "garbage",
        "a",
        "a:::",
        f"a:{run.id}:nonbio_bags:perhaps",
        f"a:{run.id}:bag_types:paper",
        f"m:{run.id}:nonbio_bags:yes",
        f"a:{run.id}:nonbio_bags:_skip:extra",
        f"x:{run.id}",
        f"e:{run.id}:nonbio_bags",
        f"u:{run.id}:u",
        f"s:{run.id}:1",
        f"b:{run.id}:1",
        f"a:{other_run.id}:aware:yes",
        f"k:{other_run.id}:y",
        f"r:{other_run.id}:d",
        f"x:{other_run.id}",
    ]:
        await refused(data, "Câu 1/11")
    # A checklist the inspector's division may not fill.
    before = await snapshot(db, INSPECTOR)
    tg.user_presses_button(INSPECTOR, "cl:cleaner_production", message_id=menu_id, check=False)
    assert (await phone.expect(STALE)).method == "sendMessage"
    assert await snapshot(db, INSPECTOR) == before

    assert await snapshot(db, CLUSTER_INSPECTOR) == others_before
    await phone.tap("Có", "Câu 2/11")  # the real button still works
    _, answers = await current_run(db, INSPECTOR)
    assert answers["nonbio_bags"].value_text == "yes" and len(answers) == 1


# --- strangers, invites, locked accounts -------------------------------------------------


async def test_an_unregistered_sender_is_told_how_to_get_access_and_nothing_else(
    bot, tg, sqlite_db
):
    people_before = await count(sqlite_db, Person)
    stranger = Phone(tg, STRANGER, "Người Lạ")
    for text in ["/start", "xin chào", "/help", "co op quang ngai"]:
        reply = await stranger.send(text, "Anh/chị chưa được đăng ký")
        assert reply.buttons == []
        await tg.expect_no_message(STRANGER, within=0.2)
    tg.user_presses_button(STRANGER, "cl:supermarket", message_id=reply.message_id, check=False)
    await stranger.expect("Anh/chị chưa được đăng ký")
    await tg.expect_no_message(STRANGER, within=0.3)
    assert await count(sqlite_db, Person) == people_before
    assert await count(sqlite_db, ChannelAccount, ChannelAccount.external_id == str(STRANGER)) == 0
    assert await count(sqlite_db, ChecklistRun) == 0


def invite_code(message_text: str) -> str:
    match = re.search(r"Mã mời: ([A-Z0-9]{10})", message_text)
    assert match, message_text
    return match.group(1)


async def test_an_invite_registers_one_new_inspector_only(bot, tg, sqlite_db):
    admin = Phone(tg, ADMIN, "Trần Quản Trị")
    created = await admin.send("/invite inspector QLTM", "Mã mời:")
    code = invite_code(created.text)
    assert f"https://t.me/fieldbot_test_bot?start={code}" in created.text
    async with sqlite_db.session() as session:
        invite = await session.get(Invite, code)
        admin_person = await people.find_by_account(session, "telegram", str(ADMIN))
    assert (invite.role, invite.department_code) == ("inspector", "QLTM")
    assert invite.created_by_id == admin_person.id and invite.used_at is None

    newcomer = Phone(tg, 6001, "Đỗ Thị Mới")
    await newcomer.send(
        f"/start {code}", "Đăng ký thành công: Đỗ Thị Mới, cán bộ kiểm tra, đơn vị QLTM"
    )
    await newcomer.expect("Anh/chị có đồng ý")  # the privacy notice comes first
    await newcomer.tap("Đồng ý", "đã ghi nhận sự đồng ý")
    menu = await newcomer.expect("Chọn phiếu kiểm tra")
    assert any(b["text"].startswith("Kiểm tra siêu thị") for b in menu.buttons)
    async with sqlite_db.session() as session:
        person = await people.find_by_account(session, "telegram", "6001")
        invite = await session.get(Invite, code)
    assert (person.name, person.role, person.department_code) == ("Đỗ Thị Mới", "inspector", "QLTM")
    assert invite.used_by_id == person.id and invite.used_at is not None
    await newcomer.tap("Kiểm tra siêu thị", "một phần tên")  # she can work at once

    third = Phone(tg, 6002, "Kẻ Thứ Ba")
    await third.send(f"/start {code}", "Mã mời này đã được sử dụng")
    await third.send("/start ABCDEFGHJK", "Mã mời không đúng")
    async with sqlite_db.session() as session:
        assert await people.find_by_account(session, "telegram", "6002") is None

    # Without a deep link the code alone works too (as on Zalo).
    created = await admin.send("/invite head QLTM", "Mã mời:")
    head_code = invite_code(created.text)
    await Phone(tg, 6003, "Võ Văn Trưởng").send(head_code.lower(), "trưởng phòng, đơn vị QLTM")


async def test_an_expired_invite_is_refused(bot, tg, sqlite_db):
    async with sqlite_db.session() as session:
        invite = await people.create_invite(
            session, role="inspector", department_code="QLTM", now=utcnow() - timedelta(days=8)
        )
        await session.commit()
    await Phone(tg, 6101).send(f"/start {invite.code}", "Mã mời này đã hết hạn")
    async with sqlite_db.session() as session:
        assert await people.find_by_account(session, "telegram", "6101") is None
        assert (await session.get(Invite, invite.code)).used_at is None


async def test_only_admins_create_invites(bot, tg, sqlite_db):
    await Phone(tg, INSPECTOR).send("/invite inspector QLTM", "Lệnh này chỉ dành cho quản trị viên")
    admin = Phone(tg, ADMIN)
    await admin.send("/invite boss QLTM", "Cách dùng: /invite")
    await admin.send("/invite inspector NOWHERE", "Cách dùng: /invite")
    await admin.send("/invite", "Cách dùng: /invite")
    assert await count(sqlite_db, Invite) == 0


async def test_a_deactivated_person_is_told_the_account_is_locked(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    async with sqlite_db.session() as session:
        person = await people.find_by_account(session, "telegram", str(INSPECTOR))
        await people.set_active(session, person.id, False)
        await session.commit()
    before = await snapshot(sqlite_db, INSPECTOR)
    await phone.send("/start", "Tài khoản của anh/chị đã bị khóa")
    await phone.tap("Có", "Tài khoản của anh/chị đã bị khóa")
    await phone.send("có", "Tài khoản của anh/chị đã bị khóa")
    await tg.expect_no_message(INSPECTOR, within=0.3)
    assert await snapshot(sqlite_db, INSPECTOR) == before


async def test_the_bot_learns_its_name_and_sets_its_command_menu_at_start(bot, tg):
    """Invite links need the bot's @username, and the "/" menu should list the commands;
    both are set up when the channel starts (Application.post_init only runs under
    run_polling, which `fieldbot run` does not use)."""
    assert bot.engine.settings.bot_username == "fieldbot_test_bot"
    assert [c["command"] for c in tg.commands] == [
        "start",
        "help",
        "back",
        "skip",
        "cancel",
        "my",
        "lang",
    ]


# --- the Bot API fails, the engine fails -------------------------------------------------


async def test_a_429_on_send_message_is_retried_and_the_question_arrives(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    tg.fail_next("sendMessage", status=429, retry_after=1)
    await phone.tap("Có", "Câu 2/11")
    assert [(f.method, f.status) for f in tg.failures] == [("sendMessage", 429)]
    shown = [r for r in tg.messages_to(INSPECTOR) if (r.text or "").startswith("Câu 2/11")]
    assert len(shown) == 1
    await phone.tap("Túi giấy", "Câu 2/11")
    _, answers = await current_run(sqlite_db, INSPECTOR)
    assert answers["nonbio_bags"].value_text == "yes"
    assert answers["bag_types"].value_json == ["paper"]


async def test_a_500_on_send_message_is_retried_and_the_question_arrives(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    tg.fail_next("sendMessage", status=500)
    await phone.tap("Không", "Câu 2/11")
    assert [(f.method, f.status) for f in tg.failures] == [("sendMessage", 500)]
    shown = [r for r in tg.messages_to(INSPECTOR) if (r.text or "").startswith("Câu 2/11")]
    assert len(shown) == 1
    await tg.expect_no_message(INSPECTOR, within=0.3)
    _, answers = await current_run(sqlite_db, INSPECTOR)
    assert answers["nonbio_bags"].value_text == "no"


async def test_a_crash_in_the_engine_is_apologised_for_and_the_next_message_works(
    bot, tg, sqlite_db, monkeypatch
):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    before = await snapshot(sqlite_db, INSPECTOR)
    original = Turn._advance
    crashes = []

    async def advance_crashing_every_attempt(self, *args, **kwargs):
        # A crash that happens once is retried unseen; one that persists is set aside.
        if len(crashes) < MAX_TURN_ATTEMPTS:
            crashes.append(1)
            raise RuntimeError("simulated bug")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(Turn, "_advance", advance_crashing_every_attempt)
    await phone.tap("Có", "Xin lỗi, đã có lỗi xảy ra")
    assert len(crashes) == MAX_TURN_ATTEMPTS
    await tg.expect_no_message(INSPECTOR, within=0.3)
    assert await snapshot(sqlite_db, INSPECTOR) == before, "a failed turn writes nothing"

    await phone.tap("Có", "Câu 2/11")
    await phone.tap("Túi giấy", "Câu 2/11")
    run, answers = await current_run(sqlite_db, INSPECTOR)
    assert answers["nonbio_bags"].value_text == "yes"
    assert answers["bag_types"].value_json == ["paper"]
    assert run.current_question == "bag_types"


async def test_the_apology_is_in_the_language_the_inspector_chose(bot, tg, monkeypatch):
    phone = Phone(tg, INSPECTOR)  # the Telegram app says "vi"
    await phone.send("/lang en", "Language set to English")

    async def crash(self, *args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(Turn, "_cmd_help", crash)
    await phone.send("/help", "Sorry, something went wrong")
