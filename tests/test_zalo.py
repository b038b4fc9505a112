"""Inspectors fill checklists on Zalo: the Zalo channel polling the fake platform."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import build_engine
from bot.channels.numbered import render_numbered
from bot.channels.zalo import ZaloChannel, ZaloClient, ZaloError
from bot.config import Config, defaults
from bot.runtime import running
from handlers.catalog import t
from handlers.messages import Choice, Reply, split_text
from storage import people, sites
from storage.db import Database
from storage.models import Answer, ChannelAccount, ChecklistRun, InboxUpdate
from tests.fake_zalo import FakeZalo, ZaloPhone, new_id, update_body

INSPECTOR = "6ede9afa66b88fe6d6a9"  # QLTM: supermarkets
ADMIN = "2d758cb5e222177a4e35"  # KTATMT
JPEG = b"\xff\xd8\xff\xe0 fake jpeg bytes from zalo"


def zalo_config(zalo: FakeZalo, database_url: str, media_dir: Path) -> Config:
    return Config(defaults()).with_values(
        database={"url": database_url},
        bot={"media_dir": str(media_dir)},
        zalo={"token": zalo.token, "api_base_url": zalo.api_base_url},
    )


async def seed(database: Database) -> None:
    """The sample sites, an inspector and an admin with Zalo accounts."""
    async with database.session() as session:
        rows, errors = sites.parse_sites_csv(sites.sample_sites_csv())
        assert not errors
        await sites.import_sites(session, rows)
        for name, role, department, zalo_id in [
            ("Lê Thị Kiểm", "inspector", "QLTM", INSPECTOR),
            ("Trần Quản Trị", "admin", "KTATMT", ADMIN),
        ]:
            await people.add_person(
                session,
                name=name,
                role=role,
                department_code=department,
                accounts={"zalo": zalo_id},
            )
        await session.commit()


@asynccontextmanager
async def running_zalo_bot(
    zalo: FakeZalo, database_url: str, media_dir: Path, backoff: float = 0.05
):
    """The Zalo channel polling the fake server (1 s long polls); stopped on exit."""
    config = zalo_config(zalo, database_url, media_dir)
    engine = build_engine(config, Database(database_url))
    client = ZaloClient(zalo.token, zalo.api_base_url, backoff=backoff)
    channel = ZaloChannel(config, engine, client)
    try:
        async with running(engine, {"zalo": channel}, poll_timeout=1) as runtime:
            channel.runtime = runtime
            yield channel
    finally:
        await client.aclose()
        await engine.db.dispose()


async def answers_of_last_run(database, status="submitted"):
    async with database.session() as session:
        run = (
            await session.exec(
                select(ChecklistRun)
                .where(ChecklistRun.status == status)
                .order_by(ChecklistRun.id.desc())
            )
        ).first()
        answers = (await session.exec(select(Answer).where(Answer.run_id == run.id))).all()
        return run, {a.question_id: a for a in answers}


async def open_supermarket_check(phone: ZaloPhone) -> None:
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.choose("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    await phone.send("co op", "Tìm thấy")
    await phone.choose("Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")


# --- the whole checklist ------------------------------------------------------------------


async def test_an_inspector_completes_a_supermarket_check_on_zalo(
    zalo, db, database_target, tmp_path
):
    await seed(db)
    async with running_zalo_bot(zalo, database_target.url, tmp_path / "media"):
        phone = ZaloPhone(zalo, INSPECTOR, "Lê Thị Kiểm")
        menu = await phone.send("/start", "Chọn phiếu kiểm tra")
        assert "1. Kiểm tra siêu thị" in menu.text and t("vi", "terminal_choose") in menu.text
        await phone.choose("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
        # One match: straight to it (with "Không phải cơ sở này").
        question = await phone.send("co op quang ngai", "Câu 1/11")
        assert "1. Có" in question.text
        await phone.send("co", "Câu 2/11")  # option text without accents
        await phone.choose("Túi giấy", "Câu 2/11")
        await phone.choose("Túi ni lông thường", "Câu 2/11")
        percent = await phone.choose("Xong", "Câu 3/11")
        # The question wants a number: the quick answers are examples, not numbered.
        assert "[0]  [25]  [50]  [75]  [100]" in percent.text
        assert t("vi", "terminal_type_number") in percent.text
        await phone.send("75", "Câu 4/11")  # the value, not the 75th choice
        await phone.send("mot phan", "Câu 5/11")
        await phone.send("khong", "Câu 6/11")
        await phone.choose("Có", "Câu 7/11")
        await phone.send("1200", "Câu 8/11")
        await phone.send("Co", "Câu 9/11")
        await phone.send_image(JPEG, "Câu 10/11")
        await phone.send("bo qua", "Câu 11/11")  # no location messages on Zalo
        review = await phone.send("Quầy thu ngân có áp phích", "Xem lại")
        assert "1.200" in review.text and "75%" in review.text
        await phone.choose(
            "Sửa: Tỷ lệ túi thân thiện", "Câu 3/11"
        )  # edit from the review, by number
        review = await phone.send("50", "Xem lại")
        assert "50%" in review.text
        await phone.choose("✅ Gửi", "Đã gửi phiếu")

    run, answers = await answers_of_last_run(db)
    assert run.checklist_id == "supermarket" and run.channel == "zalo"
    assert answers["nonbio_bags"].value_text == "yes"
    assert answers["bag_types"].value_json == ["paper", "plastic"]
    assert answers["eco_bag_share"].value_number == 50
    assert answers["packaging_replaced"].value_text == "partial"
    assert answers["foam_trays"].value_text == "no"
    assert answers["eco_label"].value_text == "yes"
    assert answers["eco_label_count"].value_number == 1200
    assert answers["awareness_materials"].value_text == "yes"
    assert Path(answers["photo"].value_text).read_bytes() == JPEG
    assert answers["location"].skipped
    assert answers["note"].value_text == "Quầy thu ngân có áp phích"
    assert all(len(r.text) <= 2000 for r in zalo.sent if r.text)


# --- incoming updates -----------------------------------------------------------------------


async def test_a_message_delivered_twice_is_applied_once(zalo, sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        phone = ZaloPhone(zalo, INSPECTOR)
        await open_supermarket_check(phone)
        update = zalo.user_sends_text(INSPECTOR, "co")
        await phone.expect("Câu 2/11")
        zalo.push_update(update)  # the same message_id again
        await zalo.wait_until_delivered()
        await zalo.expect_no_message(INSPECTOR, within=0.5)
        # A new message with the same text is a new answer (here: not a bag type).
        zalo.user_sends_text(INSPECTOR, "co")
        await phone.expect("Câu 2/11")
    async with sqlite_db.session() as session:
        answers = (await session.exec(select(Answer))).all()
        stored = (
            await session.exec(
                select(InboxUpdate).where(InboxUpdate.update_key == update["message"]["message_id"])
            )
        ).all()
    assert [a.question_id for a in answers] == ["nonbio_bags"]
    assert len(stored) == 1 and stored[0].channel == "zalo"


@pytest.mark.parametrize("field", ["photo_url", "photo"])
async def test_a_photo_is_downloaded_into_the_media_folder(
    zalo, sqlite_db, sqlite_target, tmp_path, field
):
    await seed(sqlite_db)
    media = tmp_path / "media"
    async with running_zalo_bot(zalo, sqlite_target.url, media):
        phone = ZaloPhone(zalo, INSPECTOR)
        await open_supermarket_check(phone)
        for text, expect in [
            ("co", "Câu 2/11"),
            ("tui giay", "Câu 3/11"),
            ("50", "Câu 4/11"),
            ("chua", "Câu 5/11"),
            ("khong", "Câu 6/11"),
            ("khong", "Câu 7/10"),
            ("co", "Chụp ảnh"),
        ]:
            await phone.send(text, expect)
        await phone.send_image(JPEG, "Câu 9/10", field=field)
    _run, answers = await answers_of_last_run(sqlite_db, status="draft")
    saved = Path(answers["photo"].value_text)
    assert saved.is_relative_to(media) and saved.read_bytes() == JPEG
    assert len(zalo.downloads) == 1


async def test_stickers_and_unsupported_messages_get_a_polite_answer(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        zalo.user_sends_sticker(INSPECTOR)
        await ZaloPhone(zalo, INSPECTOR).expect(t("vi", "zalo_unsupported"))
        stranger = new_id()
        zalo.user_sends_unsupported(stranger)
        await ZaloPhone(zalo, stranger).expect(t("vi", "zalo_unsupported"))


async def test_an_invite_code_sent_as_a_message_registers_a_zalo_user(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with sqlite_db.session() as session:
        invite = await people.create_invite(session, role="inspector", department_code="QLTM")
        await session.commit()
    newcomer = ZaloPhone(zalo, new_id(), "Nguyễn Văn Mới")
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        await newcomer.send("xin chào", "chưa được đăng ký")
        await newcomer.send(invite.code.lower(), "Đăng ký thành công: Nguyễn Văn Mới")
        notice = await newcomer.expect("Anh/chị có đồng ý")  # the privacy notice first
        assert "1. Đồng ý" in notice.text and "bấm" not in notice.text
        await newcomer.send("1", "đã ghi nhận sự đồng ý")
        await newcomer.expect("Chọn phiếu kiểm tra")
        await newcomer.choose("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    async with sqlite_db.session() as session:
        account = (
            await session.exec(
                select(ChannelAccount).where(ChannelAccount.external_id == newcomer.user_id)
            )
        ).one()
    assert account.channel == "zalo"


async def test_export_on_zalo_says_where_to_get_the_file(zalo, sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        admin = ZaloPhone(zalo, ADMIN)
        await admin.send("/export", t("vi", "files_elsewhere"))
        await admin.send("/report", t("vi", "files_elsewhere"))
        inspector = ZaloPhone(zalo, INSPECTOR)
        await inspector.send("/export", t("vi", "admins_only"))
    assert not [r for r in zalo.sent if r.method == "sendPhoto"]
    # Nothing was built only to be thrown away.
    media = tmp_path / "media"
    assert not list(media.rglob("*.xlsx")) + list(media.rglob("*.docx"))


async def test_both_webhook_body_shapes_are_accepted(zalo, sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    config = zalo_config(zalo, sqlite_target.url, tmp_path / "media")
    engine = build_engine(config, sqlite_db)
    async with ZaloClient(zalo.token, zalo.api_base_url) as client:
        channel = ZaloChannel(config, engine, client)
        phone = ZaloPhone(zalo, INSPECTOR)
        async with running(engine, {"zalo": channel}, polling=False):
            for wrapped in (True, False):
                body = update_body(zalo.make_text(INSPECTOR, "/start"), wrapped=wrapped)
                assert channel.to_inbound(body).sender_id == INSPECTOR
                await channel.process_update(body)
                await phone.expect("Chọn phiếu kiểm tra")
            await channel.process_update({"ok": True, "result": {"unexpected": 1}})
            await channel.process_update({"event_name": "user.followed", "follower": {}})
    assert zalo.pending_updates == []
    await zalo.expect_no_message(INSPECTOR, within=0.1)


# --- outgoing messages and the client --------------------------------------------------------


async def test_a_long_reply_is_split_on_line_breaks(zalo, sqlite_db, sqlite_target, tmp_path):
    config = zalo_config(zalo, sqlite_target.url, tmp_path / "media")
    lines = [f"{n:03d}. " + " ".join(["chữ"] * 11) + "." for n in range(1, 51)]
    text = "\n".join(lines) + "."
    assert len(text) == 2500
    async with ZaloClient(zalo.token, zalo.api_base_url) as client:
        channel = ZaloChannel(config, build_engine(config, sqlite_db), client)
        chat = new_id()
        await channel.send(chat, [Reply(text)])
        parts = [r.text for r in zalo.messages_to(chat)]
        assert len(parts) == 2 and all(len(p) <= 2000 for p in parts)
        assert "\n".join(parts) == text
        await channel.send(chat, [Reply("x" * 2500)])  # no break at all: cut at the limit
        assert [len(r.text) for r in zalo.messages_to(chat)[2:]] == [2000, 500]


def test_choices_are_rendered_as_a_numbered_list():
    reply = Reply("Câu 1/11\nCó túi không?", [Choice("Có", "a"), Choice("Không", "b")])
    assert render_numbered(reply, "vi") == (
        "Câu 1/11\nCó túi không?\n1. Có\n2. Không\n" + t("vi", "terminal_choose")
    )
    number = Reply("Tỷ lệ?", [Choice("0", "a"), Choice("25", "b")], expects_number=True)
    assert render_numbered(number, "en", indent="  ") == (
        "Tỷ lệ?\n  [0]  [25]\n" + t("en", "terminal_type_number")
    )
    assert split_text("short", 2000) == ["short"]
    assert split_text("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]


async def test_files_and_pictures_become_texts_on_zalo(zalo, sqlite_db, sqlite_target, tmp_path):
    config = zalo_config(zalo, sqlite_target.url, tmp_path / "media")
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"png")
    async with ZaloClient(zalo.token, zalo.api_base_url) as client:
        channel = ZaloChannel(config, build_engine(config, sqlite_db), client)
        await channel.send(
            ADMIN,
            [
                Reply("Số liệu", file=chart, file_name="x.xlsx"),
                Reply("Biểu đồ chỉ tiêu năm 2026", picture=chart),
            ],
        )
    assert [r.text for r in zalo.messages_to(ADMIN)] == [
        t("vi", "files_elsewhere"),
        "Biểu đồ chỉ tiêu năm 2026",
    ]


async def test_an_error_with_http_200_is_raised_not_ignored(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    config = zalo_config(zalo, sqlite_target.url, tmp_path / "media")
    async with ZaloClient(zalo.token, zalo.api_base_url, backoff=0.01) as client:
        channel = ZaloChannel(config, build_engine(config, sqlite_db), client)
        zalo.fail_next(
            "sendMessage",
            error_code=403,
            http_status=200,
            description="Forbidden: user has not interacted",
        )
        with pytest.raises(ZaloError) as raised:
            await channel.send(INSPECTOR, [Reply("Nhắc hạn nộp báo cáo")])
        assert raised.value.code == 403 and "Forbidden" in raised.value.description
        assert len(zalo.calls_of("sendMessage")) == 1  # a 403 is final
        # A server error with HTTP 200 is tried again, then delivered.
        zalo.fail_next("sendMessage", error_code=500, http_status=200, count=2)
        await channel.send(INSPECTOR, [Reply("Nhắc lần nữa")])
        assert [c.body["ok"] for c in zalo.calls_of("sendMessage")[1:]] == [False, False, True]
        assert [r.text for r in zalo.messages_to(INSPECTOR)] == ["Nhắc lần nữa"]
        # ...a bounded number of times.
        zalo.fail_next("sendMessage", error_code=500, http_status=500, count=5)
        with pytest.raises(ZaloError) as raised:
            await client.send_message(INSPECTOR, "never")
        assert raised.value.code == 500
        # A wrong token is reported as such, without the token in the message.
        async with ZaloClient("999999:wrong-token-abcdefghijklmnop", zalo.api_base_url) as bad:
            with pytest.raises(ZaloError) as raised:
                await bad.get_me()
        assert raised.value.code == 401 and "wrong-token" not in str(raised.value)


async def test_429_is_waited_out_with_exponential_backoff(zalo):
    async with ZaloClient(zalo.token, zalo.api_base_url) as client:  # default: 0.5 s, 1 s...
        zalo.fail_next("sendMessage", error_code=429, http_status=429)
        zalo.fail_next("sendMessage", error_code=429, http_status=200)
        result = await client.send_message(INSPECTOR, "xin chào")
        calls = zalo.calls_of("sendMessage")
        assert [c.http_status for c in calls] == [429, 200, 200]
        assert [c.body["ok"] for c in calls] == [False, False, True]
        # Waits are lower bounds (a loaded machine only adds to them): 0.5 s, then doubled.
        first, second = calls[1].at - calls[0].at, calls[2].at - calls[1].at
        assert first >= 0.45 and second >= 0.95 and second > first
        assert len(result["message_id"]) == 20
        # The server's retry_after wins over the backoff.
        zalo.fail_next("sendChatAction", error_code=429, retry_after=0.1)
        assert await client.send_chat_action(INSPECTOR, "typing") is True
        actions = zalo.calls_of("sendChatAction")
        assert 0.08 <= actions[1].at - actions[0].at < 0.45  # 0.1 s, not the 0.5 s backoff
    async with ZaloClient(zalo.token, zalo.api_base_url, backoff=0.01) as client:
        zalo.fail_next("sendMessage", error_code=429, count=5)
        with pytest.raises(ZaloError) as raised:
            await client.send_message(INSPECTOR, "quota")
        assert raised.value.code == 429 and len(zalo.calls_of("sendMessage")) == 8


async def test_408_on_an_empty_poll_is_not_an_error(zalo, sqlite_db, sqlite_target, tmp_path):
    async with ZaloClient(zalo.token, zalo.api_base_url) as client:
        assert await client.get_updates(timeout=1) is None
        poll = zalo.calls_of("getUpdates")[0]
        assert poll.params["timeout"] == "1" and poll.body["error_code"] == 408
        update = zalo.user_sends_text(INSPECTOR, "xin chào")
        assert await client.get_updates(timeout=1) == update
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media") as channel:
        # Two empty polls after the first (how long they take depends on the machine).
        for _ in range(300):
            if len([c for c in zalo.calls_of("getUpdates") if not c.body["ok"]]) >= 3:
                break
            await asyncio.sleep(0.1)
        assert len([c for c in zalo.calls_of("getUpdates") if not c.body["ok"]]) >= 3
        assert channel._poller is not None and not channel._poller.done()
        await ZaloPhone(zalo, INSPECTOR).send("/start", "Chọn phiếu kiểm tra")


async def test_polling_survives_server_errors(zalo, sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        zalo.fail_next("getUpdates", error_code=500, http_status=500, count=6)
        zalo.fail_next("getUpdates", error_code=401, http_status=200)
        await ZaloPhone(zalo, INSPECTOR).send("/start", "Chọn phiếu kiểm tra")


async def test_webhook_methods(zalo):
    async with ZaloClient(zalo.token, zalo.api_base_url) as client:
        assert (await client.get_me())["account_name"] == "bot.fieldbot"
        result = await client.set_webhook("https://bot.example.vn/zalo", "s3cret-token")
        assert result["url"] == "https://bot.example.vn/zalo"
        assert (await client.get_webhook_info())["url"] == "https://bot.example.vn/zalo"
        with pytest.raises(ZaloError) as raised:
            await client.set_webhook("https://bot.example.vn/zalo", "short")
        assert raised.value.code == 400
        assert (await client.delete_webhook())["url"] == ""
        assert (await client.get_webhook_info())["url"] == ""
        assert "wrong-token" not in repr(client) and zalo.token not in repr(client)


async def test_a_reminder_never_takes_over_the_open_question_on_zalo(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    """A head with a checklist open gets a reminder: "1" still answers her question,
    typing "đã nộp báo cáo" confirms the report; with nothing open, "1" confirms."""
    from datetime import date, datetime, time
    from zoneinfo import ZoneInfo

    from bot.notify import Notifier
    from handlers.checklist import ChecklistRegistry
    from handlers.reminders import Reminders, ReminderSettings

    await seed(sqlite_db)
    head, other_head = new_id(), new_id()
    async with sqlite_db.session() as session:
        await people.add_person(
            session,
            name="Võ Trưởng Phòng",
            role="head",
            department_code="QLTM",
            accounts={"zalo": head},
        )
        await people.add_person(
            session,
            name="Lê Trưởng Phòng",
            role="head",
            department_code="QLCN",
            accounts={"zalo": other_head},
        )
        await session.commit()
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    reminders = Reminders(
        sqlite_db,
        ChecklistRegistry.load(),
        ReminderSettings(timezone=zone, holidays=frozenset(), tick_time=time(8, 0)),
    )
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media") as channel:
        phone = ZaloPhone(zalo, head)
        await open_supermarket_check(phone)  # "1" now means "Có"
        await reminders.tick(
            datetime.combine(date(2026, 12, 3), time(8, 0), tzinfo=zone),
            Notifier(sqlite_db, {"zalo": channel}),
        )
        reminder = await phone.expect("còn 7 ngày")
        assert reminder.numbered == {
            1: t("vi", "button_report_done"),
            2: t("vi", "button_report_form"),
        }
        await phone.send("1", "Câu 2/11")
        await phone.send("Da nop bao cao", "Đã ghi nhận: Phòng Quản lý thương mại")

        other = ZaloPhone(zalo, other_head)
        await other.expect("còn 7 ngày")
        await other.send("1", "Đã ghi nhận: Phòng Quản lý công nghiệp")
    _run, answers = await answers_of_last_run(sqlite_db, status="draft")
    assert answers["nonbio_bags"].value_text == "yes"
