"""Typed numbers and typed labels on Zalo, where choices are a numbered list: a number
answers the prompt on screen (cancel, resume, menu, review), never the question behind
it; a numeric or free-text question takes digits only when it is the prompt.

End to end through the Zalo channel and the fake Zalo platform, on SQLite."""

from __future__ import annotations

from sqlmodel import select

from handlers.checklist import ChecklistRegistry
from handlers.question_types import QUESTION_TYPES
from storage.models import Answer, ChecklistRun, OfferedChoices
from tests.fake_zalo import ZaloPhone
from tests.test_zalo import INSPECTOR, open_supermarket_check, running_zalo_bot, seed

NOT_OFFERED = "Vui lòng chọn một trong"


async def newest_run(database):
    """The newest run and its answers by question id."""
    async with database.session() as session:
        run = (await session.exec(select(ChecklistRun).order_by(ChecklistRun.id.desc()))).first()
        answers = (await session.exec(select(Answer).where(Answer.run_id == run.id))).all()
        return run, {a.question_id: a for a in answers}


async def up_to_the_percent_question(phone: ZaloPhone) -> None:
    await open_supermarket_check(phone)
    await phone.send("co", "Câu 2/11")
    await phone.send("tui giay", "Câu 3/11")


async def test_at_a_percent_question_1_after_cancel_cancels(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        phone = ZaloPhone(zalo, INSPECTOR)
        await up_to_the_percent_question(phone)
        confirm = await phone.send("/cancel", "Hủy phiếu")
        assert "1. Hủy phiếu" in confirm.text
        await phone.send("1", "Đã hủy phiếu")
    run, answers = await newest_run(sqlite_db)
    assert run.status == "cancelled"
    assert "eco_bag_share" not in answers


async def test_at_a_percent_question_resume_and_discard_by_number(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        phone = ZaloPhone(zalo, INSPECTOR)
        await up_to_the_percent_question(phone)
        offer = await phone.send("/start", "Tiếp tục")
        assert "1. Tiếp tục" in offer.text and "2. Hủy phiếu này" in offer.text
        again = await phone.send("1", "Câu 3/11")  # "Tiếp tục": the question again
        assert "Ước tính tỷ lệ" in again.text
        run, answers = await newest_run(sqlite_db)
        assert run.status == "draft" and run.current_question == "eco_bag_share"
        assert "eco_bag_share" not in answers
        # Now the question is the prompt: digits are its answer.
        await phone.send("1", "Câu 4/11")
        _run, answers = await newest_run(sqlite_db)
        assert answers["eco_bag_share"].value_number == 1
        await phone.send("/start", "Tiếp tục")
        await phone.send("2", "Đã hủy phiếu")  # "Bỏ"
    run, answers = await newest_run(sqlite_db)
    assert run.status == "cancelled"
    assert "packaging_replaced" not in answers


async def test_a_number_not_on_screen_is_refused_not_stored_behind_it(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        phone = ZaloPhone(zalo, INSPECTOR)
        await up_to_the_percent_question(phone)
        await phone.send("/cancel", "Hủy phiếu")
        for typed in ("50", "50%", "co"):
            again = await phone.send(typed, NOT_OFFERED)
            assert "1. Hủy phiếu" in again.text  # the same screen, numbered the same
        _run, answers = await newest_run(sqlite_db)
        assert "eco_bag_share" not in answers
        await phone.send("2", "Tiếp tục phiếu")  # "Không, làm tiếp"
        await phone.expect("Câu 3/11")
        await phone.send("50", "Câu 4/11")
    run, answers = await newest_run(sqlite_db)
    assert run.status == "draft" and answers["eco_bag_share"].value_number == 50


async def test_labels_are_typed_on_every_screen(zalo, sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        phone = ZaloPhone(zalo, INSPECTOR)
        await phone.send("/start", "Chọn phiếu kiểm tra")
        await phone.send("kiem tra sieu thi, trung tam thuong mai", "Gõ một phần tên cơ sở")
        await phone.send("co op", "Tìm thấy")
        await phone.send("sieu thi co.opmart quang ngai", "Câu 1/11")
        await phone.send("co", "Câu 2/11")
        await phone.send("tui giay", "Câu 3/11")
        await phone.send("/cancel", "Hủy phiếu")
        await phone.send("khong, lam tiep", "Tiếp tục phiếu")
        await phone.expect("Câu 3/11")
        await phone.send("/start", "Tiếp tục")
        await phone.send("TIEP TUC", "Câu 3/11")
        await phone.send("quay lai", "Câu 2/11")  # « Quay lại, by its name
        await phone.send("xong", "Câu 3/11")  # Xong, by its name
        await phone.send("25", "Câu 4/11")
        for typed, expect in [
            ("mot phan", "Câu 5/11"),
            ("khong", "Câu 6/11"),
            ("khong", "Câu 7/10"),  # no Green Label: no count to ask
            ("co", "Câu 8/10"),
            ("bo qua", "Câu 9/10"),
            ("bo qua", "Câu 10/10"),
            ("bo qua", "Xem lại"),
        ]:
            await phone.send(typed, expect)
        await phone.send("sua: ty le tui than thien", "Câu 3/10")
        await phone.send("30", "Xem lại")
        await phone.send("gui", "Đã gửi phiếu")
    run, answers = await newest_run(sqlite_db)
    assert run.status == "submitted"
    assert answers["bag_types"].value_json == ["paper"]
    assert answers["eco_bag_share"].value_number == 30


async def test_a_note_of_1_is_saved_not_skipped(zalo, sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        phone = ZaloPhone(zalo, INSPECTOR)
        await up_to_the_percent_question(phone)
        for typed, expect in [
            ("50", "Câu 4/11"),
            ("chua", "Câu 5/11"),
            ("khong", "Câu 6/11"),
            ("khong", "Câu 7/10"),
            ("co", "Câu 8/10"),
            ("bo qua", "Câu 9/10"),
            ("bo qua", "Câu 10/10"),
        ]:
            await phone.send(typed, expect)
        review = await phone.send("1", "Xem lại")
        assert "\nGhi chú: 1\n" in review.text
    _run, answers = await newest_run(sqlite_db)
    assert answers["note"].value_text == "1" and not answers["note"].skipped


async def test_typed_names_add_to_ticked_items_and_commas_in_names_stay_whole(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        phone = ZaloPhone(zalo, INSPECTOR)
        await open_supermarket_check(phone)
        await phone.send("co", "Câu 2/11")
        ticked = await phone.send("1", "Câu 2/11")  # ticks "Túi phân hủy sinh học"
        assert "✅ Túi phân hủy sinh học" in ticked.text
        await phone.send("tui giay", "Câu 3/11")
        _run, answers = await newest_run(sqlite_db)
        assert answers["bag_types"].value_json == ["biodegradable", "paper"]
        await phone.send("/back", "Câu 2/11")
        await phone.send("Túi vải, dùng nhiều lần", "Câu 3/11")
        _run, answers = await newest_run(sqlite_db)
        assert answers["bag_types"].value_json == ["biodegradable", "paper", "cloth"]
        again = await phone.send("/back", "Câu 2/11")
        assert "✅ Túi vải, dùng nhiều lần" in again.text
    _run, answers = await newest_run(sqlite_db)
    bag_types = ChecklistRegistry.load().get("supermarket").question("bag_types")
    shown = QUESTION_TYPES["select_multiple"].display(bag_types, answers["bag_types"], "vi")
    assert shown == "Túi phân hủy sinh học; Túi giấy; Túi vải, dùng nhiều lần"


async def test_an_old_row_of_plain_payloads_is_still_read(zalo, sqlite_db, sqlite_target, tmp_path):
    """Offered choices remembered before labels were (a list of payloads) still work."""
    await seed(sqlite_db)
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media"):
        phone = ZaloPhone(zalo, INSPECTOR)
        await phone.send("/start", "Chọn phiếu kiểm tra")
        async with sqlite_db.session() as session:
            row = (await session.exec(select(OfferedChoices))).one()
            row.payloads = ["cl:supermarket"]
            session.add(row)
            await session.commit()
        await phone.send("1", "Gõ một phần tên cơ sở")
