"""Review in the chat, through the fake Telegram and Zalo servers with the real bot:
a head sends a check back for two answers, the inspector fixes them on Zalo, the head
approves on Telegram; the history shows both edits. Inspectors cannot review, a head
cannot review another division's check, a forged or stale choice changes nothing, and
two reviewers at once on PostgreSQL: one wins, the other is told."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import build_engine
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.config import Config, defaults
from bot.runtime import running
from handlers.catalog import t
from storage import people, review, runs, sites
from storage.db import Database
from storage.models import Answer, ChecklistRun, Site, utcnow
from tests.fake_zalo import ZaloPhone
from tests.telegram_harness import Phone

INSPECTOR_TG, HEAD_TG, OTHER_HEAD_TG, ADMIN_TG = 3001, 3002, 3003, 3004
INSPECTOR_ZALO = "7f1c0a9e5d3b2a1c4e6f"
ADMIN_ZALO = "1a2b3c4d5e6f7a8b9c0d"


async def seed(database: Database) -> int:
    """The sample sites, the people, and one supermarket check filed on Zalo."""
    async with database.session() as session:
        rows, errors = sites.parse_sites_csv(sites.sample_sites_csv())
        assert not errors
        await sites.import_sites(session, rows)
        inspector = None
        for name, role, department, accounts in [
            (
                "Lê Thị Kiểm",
                "inspector",
                "QLTM",
                {"telegram": str(INSPECTOR_TG), "zalo": INSPECTOR_ZALO},
            ),
            ("Võ Trưởng Phòng", "head", "QLTM", {"telegram": str(HEAD_TG)}),
            ("Phạm Trưởng Cụm", "head", "QLCN", {"telegram": str(OTHER_HEAD_TG)}),
            ("Trần Quản Trị", "admin", "KTATMT", {"telegram": str(ADMIN_TG), "zalo": ADMIN_ZALO}),
        ]:
            person = await people.add_person(
                session, name=name, role=role, department_code=department, accounts=accounts
            )
            inspector = inspector or person
        await session.flush()
        site = (await session.exec(select(Site).where(Site.code == "ST-COOPMART-QN"))).first()
        site = site or (await session.exec(select(Site).where(Site.kind == "supermarket"))).first()
        check = ChecklistRun(
            person_id=inspector.id,
            site_id=site.id,
            checklist_id="supermarket",
            checklist_version=1,
            status="submitted",
            phase="review",
            channel="zalo",
            submitted_at=utcnow(),
        )
        session.add(check)
        await session.flush()
        answers = {
            "nonbio_bags": {"value_text": "yes"},
            "bag_types": {"value_json": ["paper", "plastic"]},
            "eco_bag_share": {"value_number": 40.0},
            "packaging_replaced": {"value_text": "partial"},
            "foam_trays": {"value_text": "no"},
            "eco_label": {"value_text": "no"},
            "awareness_materials": {"value_text": "yes"},
            "photo": {"skipped": True},
            "location": {"skipped": True},
            "note": {"skipped": True},
        }
        for question_id, values in answers.items():
            session.add(Answer(run_id=check.id, question_id=question_id, **values))
        await session.commit()
        return check.id


@asynccontextmanager
async def running_bot(tg, zalo, database_url: str, media_dir: Path):
    """The real bot on both fake messengers at once (one inbox, one outbox)."""
    config = Config(defaults()).with_values(
        database={"url": database_url},
        bot={"media_dir": str(media_dir)},
        telegram={
            "token": tg.token,
            "api_base_url": tg.api_base_url,
            "file_base_url": tg.file_base_url,
        },
        zalo={"token": zalo.token, "api_base_url": zalo.api_base_url},
    )
    engine = build_engine(config, Database(database_url))
    client = ZaloClient(zalo.token, zalo.api_base_url, backoff=0.05)
    channels = {
        "telegram": TelegramChannel(config, engine),
        "zalo": ZaloChannel(config, engine, client),
    }
    try:
        async with running(engine, channels, poll_timeout=1) as runtime:
            for channel in channels.values():
                channel.runtime = runtime
            yield engine
    finally:
        await client.aclose()
        await engine.db.dispose()


async def states(database: Database, check_id: int) -> list[str]:
    async with database.session() as session:
        return [event.state for event in await review.events_of(session, check_id)]


async def test_sent_back_for_two_answers_fixed_on_zalo_approved_on_telegram(
    tg, zalo, sqlite_db, sqlite_target, tmp_path
):
    check_id = await seed(sqlite_db)
    async with running_bot(tg, zalo, sqlite_target.url, tmp_path / "media"):
        head = Phone(tg, HEAD_TG)
        card = await head.send("/review", f"Phiếu #{check_id}")
        assert "Lê Thị Kiểm" in card.text and "40%" in card.text and "Một phần" in card.text
        await head.tap("Yêu cầu sửa", "chọn các câu cần sửa")
        await head.tap("▫️ 3.", "chọn các câu cần sửa")
        await head.tap("▫️ 4.", "chọn các câu cần sửa")
        await head.tap("Xong", "câu cần sửa: 3, 4")
        await head.send("Tỷ lệ túi và bao bì chưa khớp ảnh", "để sửa câu 3, 4")

        inspector = ZaloPhone(zalo, INSPECTOR_ZALO, "Lê Thị Kiểm")
        asked = await inspector.expect("cần sửa: Tỷ lệ túi và bao bì chưa khớp ảnh")
        assert "3. Ước tính tỷ lệ" in asked.text and "4. Bao bì" in asked.text
        assert "Sửa ngay" in asked.text and "bấm" not in asked.text.lower()
        question = await inspector.send("Sửa ngay", "Câu 3/")
        assert t("vi", "current_answer", value="40%") in question.text
        await inspector.send("75", "Câu 4/")  # only the questions asked, in order
        screen = await inspector.choose("Đã thay hoàn toàn", "Xem lại")
        assert "75%" in screen.text
        await inspector.choose("Gửi", "Đã gửi lại phiếu")

        await head.expect("đã được Lê Thị Kiểm sửa và gửi lại (2 thay đổi)")
        card = await head.tap("Xem phiếu", f"Phiếu #{check_id}")
        assert "75%" in card.text and "Đã thay hoàn toàn" in card.text
        await head.tap("Duyệt", f"Đã duyệt phiếu #{check_id}")
        await inspector.expect(f"Phiếu #{check_id}")
        history = await head.send(f"/history {check_id}", f"Lịch sử phiếu #{check_id}")
    assert "yêu cầu sửa câu 3, 4: Tỷ lệ túi và bao bì chưa khớp ảnh" in history.text
    assert "40% → 75%" in history.text and "Một phần → Đã thay hoàn toàn" in history.text
    assert history.text.index("nộp phiếu") < history.text.index("40% → 75%")
    assert history.text.rstrip().endswith("Đã duyệt")
    assert await states(sqlite_db, check_id) == ["needs_correction", "corrected", "approved"]
    async with sqlite_db.session() as session:
        answers = await runs.answers_of(session, check_id)
        submitted = (
            await session.exec(select(ChecklistRun).where(ChecklistRun.status == "submitted"))
        ).all()
    # The same check, corrected in place: no second submission to count twice.
    assert [run.id for run in submitted] == [check_id]
    assert answers["eco_bag_share"].value_number == 75
    assert answers["packaging_replaced"].value_text == "full"


async def test_on_zalo_a_reviewer_sends_back_with_numbers(
    tg, zalo, sqlite_db, sqlite_target, tmp_path
):
    check_id = await seed(sqlite_db)
    async with running_bot(tg, zalo, sqlite_target.url, tmp_path / "media"):
        admin = ZaloPhone(zalo, ADMIN_ZALO, "Trần Quản Trị")
        card = await admin.send("/review", f"Phiếu #{check_id}")
        assert "1. Duyệt" in card.text and "4. Từ chối" in card.text
        await admin.choose("Yêu cầu sửa", "gõ số các câu")
        done = await admin.send("3, 4 Số liệu chưa khớp", "để sửa câu 3, 4")
        inspector = ZaloPhone(zalo, INSPECTOR_ZALO)
        asked = await inspector.expect("cần sửa: Số liệu chưa khớp")
        assert "bấm" not in done.text.lower() and "bấm" not in asked.text.lower()
        pending = await inspector.send("/my", "Phiếu cần sửa")
        assert f"#{check_id}" in pending.text
    assert await states(sqlite_db, check_id) == ["needs_correction"]


async def add_cluster_check(database: Database) -> int:
    """A QLCN inspector's awareness check of a cluster: the QLCN head's to review."""
    async with database.session() as session:
        inspector = await people.add_person(
            session, name="Phạm Văn Cụm", role="inspector", department_code="QLCN"
        )
        cluster = (
            await session.exec(select(Site).where(Site.kind == "industrial_cluster"))
        ).first()
        check = ChecklistRun(
            person_id=inspector.id,
            site_id=cluster.id,
            checklist_id="cluster_awareness",
            checklist_version=1,
            status="submitted",
            phase="review",
            submitted_at=utcnow(),
        )
        session.add(check)
        await session.flush()
        session.add(Answer(run_id=check.id, question_id="aware", value_text="no"))
        await session.commit()
        return check.id


async def test_who_may_review_and_forged_or_stale_choices_change_nothing(
    tg, zalo, sqlite_db, sqlite_target, tmp_path
):
    check_id = await seed(sqlite_db)
    cluster_check = await add_cluster_check(sqlite_db)
    async with running_bot(tg, zalo, sqlite_target.url, tmp_path / "media"):
        inspector = Phone(tg, INSPECTOR_TG)
        await inspector.send("/review", t("vi", "rv_not_reviewer"))
        await inspector.send(f"/review {check_id}", t("vi", "rv_not_reviewer"))
        await inspector.send(f"/history {check_id}", f"Lịch sử phiếu #{check_id}")  # their own
        await inspector.send("/start", "Lê Thị Kiểm")  # the menu, with its buttons
        tg.user_presses_button(INSPECTOR_TG, f"rv:{check_id}:0:a", check=False)  # forged
        await inspector.expect(t("vi", "rv_not_reviewer"))

        other_head = Phone(tg, OTHER_HEAD_TG)
        card = await other_head.send("/review", f"Phiếu #{cluster_check}")
        assert "Phạm Văn Cụm" in card.text and "Lê Thị Kiểm" not in card.text
        tg.user_presses_button(OTHER_HEAD_TG, f"rv:{check_id}:0:a", check=False)
        await other_head.expect(t("vi", "rv_not_yours", id=check_id))
        await other_head.send(f"/review {check_id}", t("vi", "rv_not_yours", id=check_id))
        await other_head.send(f"/history {check_id}", t("vi", "rv_not_found", id=check_id))

        head = Phone(tg, HEAD_TG)
        await head.send("/review", f"Phiếu #{check_id}")
        old_reject = head.button("Từ chối")
        await head.tap("Duyệt", f"Đã duyệt phiếu #{check_id}")
        # The card pressed again after the decision: stale, and the card shows its state.
        tg.user_presses_button(HEAD_TG, old_reject[1], message_id=old_reject[0])
        await head.expect(t("vi", "rv_stale", id=check_id))
        await head.expect(t("vi", "rv_state_approved"))
        for forged, answer in [
            (f"rv:{check_id}:7:a", t("vi", "rv_stale", id=check_id)),
            (f"rq:{check_id}:1:nonbio_bags", t("vi", "rv_stale", id=check_id)),
            ("rv:999999:0:r", t("vi", "rv_not_found", id=999999)),
            (f"rv:{check_id}:01:r", t("vi", "stale_button")),  # not a payload at all
        ]:
            tg.user_presses_button(HEAD_TG, forged, message_id=old_reject[0], check=False)
            await head.expect(answer)
    assert await states(sqlite_db, check_id) == ["approved"]
    assert await states(sqlite_db, cluster_check) == []


async def test_two_reviewers_at_once_on_postgresql_one_wins_the_other_is_told(
    tg, zalo, db, database_target, tmp_path
):
    if database_target.kind != "postgresql":
        pytest.skip("on SQLite one writer at a time orders the two turns")
    check_id = await seed(db)
    async with running_bot(tg, zalo, database_target.url, tmp_path / "media"):
        head, admin = Phone(tg, HEAD_TG), Phone(tg, ADMIN_TG)
        await head.send(f"/review {check_id}", f"Phiếu #{check_id}")
        await admin.send(f"/review {check_id}", f"Phiếu #{check_id}")
        pressed = [(HEAD_TG, head.button("Duyệt")), (ADMIN_TG, admin.button("Duyệt"))]
        for user_id, (message_id, data) in pressed:  # both before either is answered
            tg.user_presses_button(user_id, data, message_id=message_id)
        answers = [await phone.expect(f"#{check_id}") for phone in (head, admin)]
    approved = t("vi", "rv_approved", id=check_id)
    lost = t("vi", "rv_lost", id=check_id, state=t("vi", "rv_state_approved"))
    texts = sorted(answer.text for answer in answers)
    assert [approved in text for text in texts].count(True) == 1, texts
    assert any(lost in text or t("vi", "rv_stale", id=check_id) in text for text in texts), texts
    assert await states(db, check_id) == ["approved"]


async def test_the_card_shows_the_checks_photo(tg, zalo, sqlite_db, sqlite_target, tmp_path):
    check_id = await seed(sqlite_db)
    photo = tmp_path / "media" / str(check_id) / "photo-1.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a checkout counter")
    async with sqlite_db.session() as session:
        answers = await runs.answers_of(session, check_id)
        answers["photo"].skipped, answers["photo"].value_text = False, str(photo)
        session.add(answers["photo"])
        await session.commit()
    async with running_bot(tg, zalo, sqlite_target.url, tmp_path / "media"):
        card = await Phone(tg, HEAD_TG).send("/review", f"Phiếu #{check_id} —")
    photos = [r for r in tg.messages_to(HEAD_TG) if r.method == "sendPhoto"]
    assert [r.text for r in photos] == [t("vi", "rv_card_photo", id=check_id)]
    assert photos[0].message["message_id"] < card.message["message_id"]  # before the card
