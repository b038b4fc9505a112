"""An inspector moves around a checklist: back, edit from the review, cancel, come back
after the bot restarted, meet a site someone already checked, look at her submissions."""

from __future__ import annotations

from sqlmodel import select

from storage import people
from storage.models import Answer, ChecklistRun
from tests.telegram_harness import ADMIN, HEAD, INSPECTOR, Phone, running_bot, seed

SECOND_INSPECTOR = 2001
COOPMART = "Siêu thị Co.opmart Quảng Ngãi"


async def runs_of(database, telegram_id: int) -> list[tuple[ChecklistRun, dict[str, Answer]]]:
    """Every run of the person, oldest first, with its answers by question id."""
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
            answers = (await session.exec(select(Answer).where(Answer.run_id == run.id))).all()
            result.append((run, {a.question_id: a for a in answers}))
        return result


async def last_run(database, telegram_id: int) -> tuple[ChecklistRun, dict[str, Answer]]:
    return (await runs_of(database, telegram_id))[-1]


def values(answers: dict[str, Answer]) -> dict[str, object]:
    """question id -> the stored value, for comparing whole runs."""
    return {
        qid: "skipped"
        if a.skipped
        else a.value_text
        if a.value_text is not None
        else a.value_number
        if a.value_number is not None
        else a.value_json
        for qid, a in answers.items()
    }


async def start_supermarket(
    phone: Phone, query: str = "co op quang ngai", site: str = COOPMART, expect: str = "Câu 1/11"
) -> None:
    await phone.send("/start", "Chào")  # "Chọn phiếu…", or recent sites first
    await phone.tap("Kiểm tra siêu thị", "một phần tên")
    # The search has one match: straight to it, the site named above what comes next.
    shown = await phone.send(query, expect)
    assert site in shown.text


async def answer_all(phone: Phone, eco_label: str = "Có"):
    """From question 1 to the review screen; returns the review message."""
    await phone.tap("Có", "Câu 2/11")
    await phone.tap("Túi giấy", "Câu 2/11")
    await phone.tap("Xong", "Câu 3/11")
    await phone.send("60", "Câu 4/11")
    await phone.tap("Một phần", "Câu 5/11")
    await phone.tap("Không", "Câu 6/11")
    if eco_label == "Có":
        await phone.tap("Có", "Câu 7/11")
        await phone.send("25", "Câu 8/11")
        total = 11
    else:
        await phone.tap("Không", "Câu 7/10")  # no count to ask: one question fewer
        total = 10
    await phone.tap("Có", f"Câu {total - 2}/{total}")
    await phone.tap("Bỏ qua", f"Câu {total - 1}/{total}")
    await phone.tap("Bỏ qua", f"Câu {total}/{total}")
    return await phone.tap("Bỏ qua", "Xem lại")


# --- /back ------------------------------------------------------------------------------


async def test_back_returns_to_the_previous_question_and_then_to_the_site_choice(
    bot, tg, sqlite_db
):
    phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
    await start_supermarket(phone)
    await phone.tap("Có", "Câu 2/11")
    await phone.tap("Túi giấy", "Câu 2/11")
    await phone.tap("Xong", "Câu 3/11")

    again = await phone.send("/back", "Câu 2/11")
    assert "Loại túi" in again.text
    assert "✅ Túi giấy" in [b["text"] for b in again.buttons]
    run, answers = await last_run(sqlite_db, INSPECTOR)
    assert run.current_question == "bag_types" and answers["bag_types"].value_json == ["paper"]

    first = await phone.tap("« Quay lại", "Câu 1/11")
    assert "(Trả lời hiện tại: Có)" in first.text
    run, _ = await last_run(sqlite_db, INSPECTOR)
    assert run.phase == "question" and run.current_question == "nonbio_bags"

    await phone.send("/back", "Gõ một phần tên")
    run, answers = await last_run(sqlite_db, INSPECTOR)
    assert run.phase == "site" and run.site_id is None
    assert set(answers) == {"nonbio_bags", "bag_types"}  # nothing lost on the way back

    shown = await phone.send("vincom quang ngai", "Câu 1/11")
    assert "Vincom Plaza Quảng Ngãi" in shown.text
    await phone.tap("Không", "Câu 2/11")
    runs = await runs_of(sqlite_db, INSPECTOR)
    assert len(runs) == 1, "going back to the site choice keeps the same draft"
    run, answers = runs[0]
    assert answers["nonbio_bags"].value_text == "no"
    assert run.current_question == "bag_types"


async def test_back_from_the_review_goes_to_the_last_question(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    await answer_all(phone)
    await phone.send("/back", "Câu 11/11")
    run, _ = await last_run(sqlite_db, INSPECTOR)
    assert run.phase == "question" and run.current_question == "note"
    await phone.send("Đã nhắc cửa hàng", "Xem lại")
    run, answers = await last_run(sqlite_db, INSPECTOR)
    assert run.phase == "review" and answers["note"].value_text == "Đã nhắc cửa hàng"


# --- edit from the review -----------------------------------------------------------------


async def test_an_answer_changed_from_the_review_shows_in_the_review(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    review = await answer_all(phone)
    assert "Thay bao bì nhựa: Một phần" in review.text
    question = await phone.tap("Sửa: Thay bao bì nhựa", "Câu 4/11")
    assert "(Trả lời hiện tại: Một phần)" in question.text
    review = await phone.tap("Chưa", "Xem lại")
    assert "Thay bao bì nhựa: Chưa" in review.text and "Một phần" not in review.text
    run, answers = await last_run(sqlite_db, INSPECTOR)
    assert run.phase == "review" and not run.editing
    assert answers["packaging_replaced"].value_text == "none"
    await phone.tap("✅ Gửi", "Đã gửi phiếu")
    run, answers = await last_run(sqlite_db, INSPECTOR)
    assert run.status == "submitted" and answers["packaging_replaced"].value_text == "none"
    assert len(answers) == 11


async def test_no_eco_label_after_all_removes_the_label_count(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    review = await answer_all(phone, eco_label="Có")
    assert "Số mã có Nhãn xanh: 25" in review.text
    await phone.tap("Sửa: Sản phẩm Nhãn xanh", "Câu 6/11")
    review = await phone.tap("Không", "Xem lại")
    assert "Số mã có Nhãn xanh" not in review.text
    assert "Sửa: Số mã có Nhãn xanh" not in [b["text"] for b in review.buttons]
    assert len([b for b in review.buttons if b["text"].startswith("Sửa: ")]) == 10
    await phone.tap("✅ Gửi", "Đã gửi phiếu")
    run, answers = await last_run(sqlite_db, INSPECTOR)
    assert run.status == "submitted"
    assert answers["eco_label"].value_text == "no"
    assert "eco_label_count" not in answers
    assert len(answers) == 10


async def test_eco_label_after_all_asks_for_the_count_before_the_review(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    review = await answer_all(phone, eco_label="Không")
    assert "Số mã có Nhãn xanh" not in review.text
    await phone.tap("Sửa: Sản phẩm Nhãn xanh", "Câu 6/10")
    count = await phone.tap("Có", "Câu 7/11")
    assert "Số mã sản phẩm có nhãn" in count.text
    run, _ = await last_run(sqlite_db, INSPECTOR)
    assert run.phase == "question" and run.current_question == "eco_label_count"
    review = await phone.send("40", "Xem lại")
    assert "Số mã có Nhãn xanh: 40" in review.text
    await phone.tap("✅ Gửi", "Đã gửi phiếu")
    run, answers = await last_run(sqlite_db, INSPECTOR)
    assert answers["eco_label"].value_text == "yes"
    assert answers["eco_label_count"].value_number == 40
    assert len(answers) == 11


# --- /cancel ----------------------------------------------------------------------------


async def test_cancel_asks_first_and_keeps_the_draft_unless_confirmed(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await phone.send("/cancel", "Không có phiếu nào đang làm")
    await start_supermarket(phone)
    await phone.tap("Có", "Câu 2/11")

    await phone.send("/cancel", "Hủy phiếu đang làm?")
    run, _ = await last_run(sqlite_db, INSPECTOR)
    assert run.status == "draft", "asking is not cancelling"
    await phone.tap("Không, làm tiếp", "Tiếp tục phiếu")
    await phone.expect("Câu 2/11")
    await phone.tap("Túi giấy", "Câu 2/11")
    await phone.tap("Xong", "Câu 3/11")
    run, answers = await last_run(sqlite_db, INSPECTOR)
    assert run.status == "draft" and set(answers) == {"nonbio_bags", "bag_types"}

    await phone.send("/cancel", "Hủy phiếu đang làm?")
    await phone.tap("Hủy phiếu", "Đã hủy phiếu")
    await phone.expect("Chọn phiếu kiểm tra")
    run, _ = await last_run(sqlite_db, INSPECTOR)
    assert run.status == "cancelled"
    await phone.send("/start", "Chọn phiếu kiểm tra")  # no draft offered any more
    assert not [r for r in tg.messages_to(INSPECTOR) if "đang làm dở" in (r.text or "")]


# --- resume after a restart ---------------------------------------------------------------


async def test_a_restarted_bot_continues_at_the_same_question(tg, db, database_target, tmp_path):
    await seed(db)
    phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
    async with running_bot(tg, database_target.url, tmp_path / "media"):
        await start_supermarket(phone)
        await phone.tap("Có", "Câu 2/11")
        await phone.send("1, 2", "Câu 3/11")
        await phone.send("30", "Câu 4/11")
    # The Application is gone; a new one on the same database takes over.
    async with running_bot(tg, database_target.url, tmp_path / "media"):
        offer = await phone.send("/start", "Anh/chị có một phiếu đang làm dở")
        assert COOPMART in offer.text
        assert [b["text"] for b in offer.buttons] == ["Tiếp tục", "Hủy phiếu này"]
        question = await phone.tap("Tiếp tục", "Câu 4/11")
        assert "Bao bì nhựa dùng một lần" in question.text
        runs = await runs_of(db, INSPECTOR)
        assert len(runs) == 1
        run, answers = runs[0]
        assert run.status == "draft" and run.current_question == "packaging_replaced"
        assert values(answers) == {
            "nonbio_bags": "yes",
            "bag_types": ["biodegradable", "paper"],
            "eco_bag_share": 30,
        }
        await phone.tap("Đã thay hoàn toàn", "Câu 5/11")
    run, answers = await last_run(db, INSPECTOR)
    assert answers["packaging_replaced"].value_text == "full"
    assert run.current_question == "foam_trays"


async def test_discarding_the_draft_offered_at_start(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    await phone.tap("Có", "Câu 2/11")
    await phone.send("/start", "Anh/chị có một phiếu đang làm dở")
    await phone.tap("Hủy phiếu này", "Đã hủy phiếu")
    await phone.expect("Chọn phiếu kiểm tra")
    run, _ = await last_run(sqlite_db, INSPECTOR)
    assert run.status == "cancelled"


# --- a site already checked this month ---------------------------------------------------


async def add_second_inspector(database) -> None:
    async with database.session() as session:
        await people.add_person(
            session,
            name="Nguyễn Văn Hai",
            role="inspector",
            department_code="QLTM",
            accounts={"telegram": str(SECOND_INSPECTOR)},
        )
        await session.commit()


async def test_a_site_checked_this_month_says_when_and_by_whom(bot, tg, sqlite_db):
    first = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
    await start_supermarket(first)
    await answer_all(first)
    await first.tap("✅ Gửi", "Đã gửi phiếu")
    earlier, _ = await last_run(sqlite_db, INSPECTOR)
    await add_second_inspector(sqlite_db)

    second = Phone(tg, SECOND_INSPECTOR, "Nguyễn Văn Hai")
    await start_supermarket(second, expect="Cập nhật lần kiểm tra đó hay tạo lần kiểm tra mới")
    notice = [r for r in tg.messages_to(SECOND_INSPECTOR) if "đã được" in (r.text or "")][-1]
    when = earlier.submitted_at.astimezone(bot.config.timezone).strftime("%d/%m/%Y %H:%M")
    assert f"{COOPMART} đã được Lê Thị Kiểm kiểm tra lúc {when}" in notice.text
    labels = {b["text"] for b in notice.buttons}  # the one match, with a way back
    assert labels == {"Cập nhật lần đó", "Kiểm tra mới", "Không phải cơ sở này"}
    draft, answers = await last_run(sqlite_db, SECOND_INSPECTOR)
    assert draft.phase == "site_duplicate" and draft.site_id is None and answers == {}

    await second.tap("Kiểm tra mới", "Câu 1/11")
    await answer_all(second, eco_label="Không")
    await second.tap("✅ Gửi", "Đã gửi phiếu")
    earlier, _ = await last_run(sqlite_db, INSPECTOR)
    new, answers = await last_run(sqlite_db, SECOND_INSPECTOR)
    assert earlier.status == "submitted", "a new check leaves the earlier one alone"
    assert new.status == "submitted" and new.site_id == earlier.site_id
    assert new.id != earlier.id and new.supersedes_id is None
    assert answers["eco_label"].value_text == "no" and len(answers) == 10


async def test_updating_an_earlier_check_copies_it_and_supersedes_it(bot, tg, sqlite_db):
    first = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
    await start_supermarket(first)
    await answer_all(first)
    await first.tap("✅ Gửi", "Đã gửi phiếu")
    earlier, earlier_answers = await last_run(sqlite_db, INSPECTOR)
    await add_second_inspector(sqlite_db)

    second = Phone(tg, SECOND_INSPECTOR, "Nguyễn Văn Hai")
    await start_supermarket(second, expect="đã được Lê Thị Kiểm kiểm tra")
    await second.tap("Cập nhật lần đó", "Đã sao chép các câu trả lời")
    review = await second.expect("Xem lại")
    assert "Thay bao bì nhựa: Một phần" in review.text and "Số mã có Nhãn xanh: 25" in review.text
    draft, copied = await last_run(sqlite_db, SECOND_INSPECTOR)
    assert draft.supersedes_id == earlier.id and draft.site_id == earlier.site_id
    assert values(copied) == values(earlier_answers)

    await second.tap("Sửa: Thay bao bì nhựa", "Câu 4/11")
    await second.tap("Đã thay hoàn toàn", "Xem lại")
    await second.tap("✅ Gửi", "Đã gửi phiếu")

    earlier_now, earlier_answers_now = await last_run(sqlite_db, INSPECTOR)
    update, answers = await last_run(sqlite_db, SECOND_INSPECTOR)
    assert earlier_now.status == "superseded"
    assert values(earlier_answers_now) == values(earlier_answers), "the old answers stay"
    assert update.status == "submitted" and update.supersedes_id == earlier.id
    assert values(answers) == {**values(earlier_answers), "packaging_replaced": "full"}


# --- /my and /help ------------------------------------------------------------------------


async def test_my_lists_the_submitted_checks_only(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await phone.send("/my", "Anh/chị chưa gửi phiếu nào")
    await start_supermarket(phone)
    await answer_all(phone)
    await phone.tap("✅ Gửi", "Đã gửi phiếu")
    await start_supermarket(phone, "vincom quang ngai", "Vincom Plaza Quảng Ngãi")
    await phone.send("/cancel", "Hủy phiếu đang làm?")
    await phone.tap("Hủy phiếu", "Đã hủy phiếu")

    mine = await phone.send("/my", "Các phiếu anh/chị đã gửi gần đây")
    lines = mine.text.splitlines()[1:]
    submitted, _ = (await runs_of(sqlite_db, INSPECTOR))[0]
    when = submitted.submitted_at.astimezone(bot.config.timezone).strftime("%d/%m/%Y %H:%M")
    assert lines == [f"• {when} — Kiểm tra siêu thị, trung tâm thương mại — {COOPMART}"]


async def test_help_explains_the_commands_of_each_role(bot, tg):
    inspector = await Phone(tg, INSPECTOR).send("/help", "/start")
    assert "/back" in inspector.text and "/cancel" in inspector.text
    assert "/invite" not in inspector.text and "/summary" not in inspector.text
    head = await Phone(tg, HEAD).send("/help", "/start")
    assert "/summary" in head.text and "/invite" not in head.text
    admin = await Phone(tg, ADMIN).send("/help", "/start")
    assert "/invite" in admin.text and "/export" in admin.text and "/back" in admin.text
    assert len({inspector.text, head.text, admin.text}) == 3
