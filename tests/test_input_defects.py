"""Input that used to get the apology or store something impossible: superscript years,
numbers too large for a float, forged buttons, control characters, locations off the
Earth, report years from nowhere, and "update that check" after going back to the site.

End to end through the real Application and the fake Bot API (both databases where the
database is part of the story)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from handlers.catalog import t
from storage import people
from storage.models import Answer, ChecklistRun, Deadline, ReportConfirmation, Site
from tests.telegram_harness import ADMIN, HEAD, INSPECTOR, Phone

APOLOGY = t("vi", "error_generic")
# A refused press (old, forged, impossible): said so, then the screen it is at again.
STALE = "Lựa chọn này đã cũ hoặc không hợp lệ"


async def newest_run(database, telegram_id: int):
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


def no_apology(tg, user_id: int) -> None:
    texts = [r.text or "" for r in tg.messages_to(user_id)]
    assert not [text for text in texts if APOLOGY in text], texts


async def start_trade_promotion(phone: Phone) -> None:
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Hội chợ, xúc tiến thương mại", "Câu 1/5")


# --- part 4: the normal answer, never the apology -------------------------------------------


@pytest.mark.parametrize("command", ["/summary ²", "/summary ³", "/export ²", "/report ²"])
async def test_superscript_years_get_the_usage_line(bot, tg, command):
    phone = Phone(tg, ADMIN)
    await phone.send(command, "Cách dùng:")
    no_apology(tg, ADMIN)


async def test_numbers_no_float_holds_are_refused_with_the_usual_message(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_trade_promotion(phone)
    await phone.send("Hội chợ hàng Việt xanh", "Câu 2/5")
    await phone.send("hom nay", "Câu 3/5")
    for typed in ["9" * 300, "9" * 400, "inf", "nan", "1e999", "-" + "9" * 400]:
        await phone.send(typed, "Vui lòng nhập một số nguyên")
        await phone.expect("Câu 3/5")
    await phone.send("12", "Câu 4/5")
    no_apology(tg, INSPECTOR)
    _run, answers = await newest_run(sqlite_db, INSPECTOR)
    assert answers["eco_products"].value_number == 12


async def test_a_huge_percent_is_refused(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    await phone.send("co op", "Tìm thấy")
    await phone.tap("Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")
    await phone.tap("Có", "Câu 2/11")
    await phone.send("1, 2", "Câu 3/11")
    for typed in ["9" * 400, "1e999", "inf"]:
        await phone.send(typed, "Vui lòng nhập tỷ lệ phần trăm")
        await phone.expect("Câu 3/11")
    no_apology(tg, INSPECTOR)
    _run, answers = await newest_run(sqlite_db, INSPECTOR)
    assert "eco_bag_share" not in answers


# --- part 5: defects ---------------------------------------------------------------------------


async def submitted_check(database, site_code: str) -> int:
    """A check of the site submitted earlier this month by the admin."""
    async with database.session() as session:
        admin = await people.find_by_account(session, "telegram", str(ADMIN))
        site = (await session.exec(select(Site).where(Site.code == site_code))).one()
        run = ChecklistRun(
            person_id=admin.id,
            checklist_id="supermarket",
            checklist_version=1,
            channel="telegram",
            phase="review",
            status="submitted",
            site_id=site.id,
            submitted_at=datetime.now(UTC) - timedelta(minutes=5),
        )
        session.add(run)
        await session.flush()
        for question_id, value in [("nonbio_bags", "no"), ("foam_trays", "no")]:
            session.add(Answer(run_id=run.id, question_id=question_id, value_text=value))
        session.add(Answer(run_id=run.id, question_id="bag_types", value_json=["paper"]))
        await session.commit()
        return run.id


async def test_update_that_check_after_going_back_to_the_site(bot_on_both, tg, db):
    async with db.session() as session:
        coopmart = (
            await session.exec(select(Site).where(Site.name == "Siêu thị Co.opmart Quảng Ngãi"))
        ).one()
    earlier = await submitted_check(db, coopmart.code)
    phone = Phone(tg, INSPECTOR)
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    await phone.send("co op", "Tìm thấy")
    await phone.tap("Siêu thị Co.opmart Quảng Ngãi", "Cập nhật lần kiểm tra đó")
    await phone.tap("Kiểm tra mới", "Câu 1/11")  # a new check first ...
    await phone.tap("Có", "Câu 2/11")
    await phone.send("/back", "Câu 1/11")
    await phone.send("/back", "Gõ một phần tên cơ sở")  # ... then back to the site
    await phone.send("co op", "Tìm thấy")
    await phone.tap("Siêu thị Co.opmart Quảng Ngãi", "Cập nhật lần kiểm tra đó")
    review = await phone.tap("Cập nhật lần đó", "Xem lại")
    assert "Túi giấy" in review.text
    no_apology(tg, INSPECTOR)
    run, answers = await newest_run(db, INSPECTOR)
    assert run.supersedes_id == earlier and run.phase == "review"
    assert answers["nonbio_bags"].value_text == "yes"  # her own answer, newer, stays
    assert answers["bag_types"].value_json == ["paper"]  # the rest from the earlier check


async def test_forged_toggles_and_options_store_nothing(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    await phone.send("co op", "Tìm thấy")
    await phone.tap("Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")
    run, _answers = await newest_run(sqlite_db, INSPECTOR)
    forged = [
        f"m:{run.id}:nonbio_bags:yes",  # a toggle on a single choice
        f"m:{run.id}:nonbio_bags:_done",
        f"a:{run.id}:nonbio_bags:maybe",  # no such option
        f"a:{run.id}:nonbio_bags:",
    ]
    for data in forged:
        tg.user_presses_button(INSPECTOR, data, check=False)
        await phone.expect(STALE)
        await phone.expect("Câu 1/11")
    _run, answers = await newest_run(sqlite_db, INSPECTOR)
    assert answers == {}
    await phone.tap("Có", "Câu 2/11")
    for data in [
        f"m:{run.id}:bag_types:glass",  # no such option
        f"a:{run.id}:bag_types:paper",  # a single answer to a multiple choice
        f"m:{run.id}:bag_types:paper:x",
    ]:
        tg.user_presses_button(INSPECTOR, data, check=False)
        await phone.expect(STALE)
        await phone.expect("Câu 2/11")
    _run, answers = await newest_run(sqlite_db, INSPECTOR)
    assert set(answers) == {"nonbio_bags"} and answers["nonbio_bags"].value_text == "yes"


async def test_control_characters_are_cleaned_from_text(bot_on_both, tg, db):
    phone = Phone(tg, INSPECTOR)
    await start_trade_promotion(phone)
    await phone.send("Hội chợ\x00 hàng\x07 Việt\r\nxanh\x1b", "Câu 2/5")
    no_apology(tg, INSPECTOR)
    _run, answers = await newest_run(db, INSPECTOR)
    assert answers["event_name"].value_text == "Hội chợ hàng Việt\nxanh"


async def test_a_location_off_the_earth_is_refused(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    await phone.send_location(1000, 108.8, "Vị trí nhận được không hợp lệ")  # at the site prompt
    await phone.send("co op", "Tìm thấy")
    await phone.tap("Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")
    await phone.tap("Có", "Câu 2/11")
    await phone.send("1, 2", "Câu 3/11")
    for answer, expect in [
        ("50", "Câu 4/11"),
        ("mot phan", "Câu 5/11"),
        ("khong", "Câu 6/11"),
        ("khong", "Câu 7/10"),  # no Green Label: its count is not asked, the total drops
        ("co", "Câu 8/10"),
        ("bo qua", "Câu 9/10"),
    ]:
        await phone.send(answer, expect)
    await phone.send_location(1000, 108.8, "Vị trí nhận được không hợp lệ")
    await phone.expect("Câu 9/10")
    await phone.send_location(15.12, -200, "Vị trí nhận được không hợp lệ")
    _run, answers = await newest_run(sqlite_db, INSPECTOR)
    assert "location" not in answers
    await phone.send_location(15.12, 108.8, "Câu 10/10")
    _run, answers = await newest_run(sqlite_db, INSPECTOR)
    assert answers["location"].value_json == {"lat": 15.12, "lon": 108.8}


async def test_a_report_cannot_be_confirmed_for_an_impossible_year(bot, tg, sqlite_db):
    async with sqlite_db.session() as session:
        deadline = (await session.exec(select(Deadline))).first()
        if deadline is None:
            deadline = Deadline(
                title_vi="Báo cáo năm", title_en="Annual report", yearly_month=12, yearly_day=10
            )
            session.add(deadline)
            await session.commit()
            await session.refresh(deadline)
    phone = Phone(tg, HEAD)
    await phone.send("/start", "Chọn phiếu kiểm tra")  # a message with buttons to press on
    year = datetime.now().year
    for data in [
        f"rc:{deadline.id}:0:QLTM",
        f"rc:{deadline.id}:999999999:QLTM",
        f"rc:{deadline.id}:{year + 5}:QLTM",
        f"rc:{deadline.id}:2020:QLTM",
    ]:
        tg.user_presses_button(HEAD, data, check=False)
        await phone.expect(STALE)
        await phone.expect("Chọn phiếu kiểm tra")
    async with sqlite_db.session() as session:
        assert (await session.exec(select(ReportConfirmation))).all() == []
    tg.user_presses_button(HEAD, f"rc:{deadline.id}:{year}:QLTM", check=False)
    await phone.expect("Đã ghi nhận")
    no_apology(tg, HEAD)
