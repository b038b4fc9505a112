"""Inspectors fill checklists on Telegram: the real Application over HTTP."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from storage.models import Answer, ChecklistRun
from tests.telegram_harness import CLUSTER_INSPECTOR, INSPECTOR, Phone, running_bot, seed


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


async def test_an_inspector_completes_a_supermarket_check(tg, db, database_target, tmp_path):
    await seed(db)
    async with running_bot(tg, database_target.url, tmp_path / "media"):
        phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
        await phone.send("/start", "Chọn phiếu kiểm tra")
        await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
        # One match: straight to it (with "Không phải cơ sở này").
        await phone.send("co op quang ngai", "Câu 1/11")
        await phone.tap("Có", "Câu 2/11")
        await phone.tap("Túi giấy", "Câu 2/11")
        await phone.tap("Túi ni lông thường", "Câu 2/11")
        await phone.tap("Xong", "Câu 3/11")
        await phone.send("75%", "Câu 4/11")
        await phone.tap("Một phần", "Câu 5/11")
        await phone.tap("Không", "Câu 6/11")
        await phone.tap("Có", "Câu 7/11")
        await phone.send("1.200", "Câu 8/11")
        await phone.tap("Có", "Câu 9/11")
        await phone.send_photo(b"\xff\xd8 fake jpeg bytes", "Câu 10/11")
        await phone.send_location(15.1205, 108.7923, "Câu 11/11")
        review = await phone.send("Quầy thu ngân có áp phích", "Xem lại")
        assert "1.200" in review.text and "75%" in review.text
        await phone.tap("✅ Gửi", "Đã gửi phiếu")

    run, answers = await answers_of_last_run(db)
    assert run.checklist_id == "supermarket" and run.checklist_version == 1
    assert answers["nonbio_bags"].value_text == "yes"
    assert answers["bag_types"].value_json == ["paper", "plastic"]
    assert answers["eco_bag_share"].value_number == 75
    assert answers["packaging_replaced"].value_text == "partial"
    assert answers["eco_label_count"].value_number == 1200
    assert answers["location"].value_json == {"lat": 15.1205, "lon": 108.7923}
    photo = tmp_path / "media" / answers["photo"].value_text.split("media/", 1)[-1]
    assert open(answers["photo"].value_text, "rb").read() == b"\xff\xd8 fake jpeg bytes"
    assert photo.exists()


async def test_a_cluster_awareness_check_skips_details_when_nothing_was_held(
    tg, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with running_bot(tg, sqlite_target.url, tmp_path / "media"):
        phone = Phone(tg, CLUSTER_INSPECTOR, "Phạm Văn Cụm")
        await phone.send("/start", "Chọn phiếu kiểm tra")
        await phone.tap("Tuyên truyền", "Gõ một phần tên")
        await phone.send("dong dinh", "Cụm công nghiệp Đồng Dinh")  # the one match
        await phone.tap("Đã", "Câu 2/")
        tomorrow = (dt.date.today() + dt.timedelta(days=2)).strftime("%d/%m/%Y")
        await phone.send(tomorrow, "không được sau hôm nay")
        await phone.send("hom nay", "Câu 3/")
        await phone.tap("Tập huấn", "Câu 4/")
        await phone.send("mười hai", "số nguyên")
        await phone.send("12", "Câu 5/")
        await phone.send("1,250", "Câu 6/")
        await phone.tap("Bỏ qua", "Câu 7/")
        await phone.tap("Bỏ qua", "Xem lại")
        await phone.tap("✅ Gửi", "Đã gửi phiếu")
    run, answers = await answers_of_last_run(sqlite_db)
    assert run.checklist_id == "cluster_awareness"
    assert answers["aware"].value_text == "yes"
    assert answers["participants"].value_number == 1250
    assert answers["photo"].skipped and answers["note"].skipped
