"""An inspector types something the question cannot use: she is told clearly what is
expected, gets the same question again, and the conversation goes on from there.

End to end through the real Application and the fake Bot API, on SQLite (the subject here
is the engine's reading of answers, not the database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from handlers.checklist import Option, Question
from handlers.question_types import QUESTION_TYPES, AnswerContext, InvalidAnswer, Value
from storage import people
from storage.models import Answer, ChecklistRun
from tests.telegram_harness import CLUSTER_INSPECTOR, INSPECTOR, Phone

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # the default bot.timezone


async def open_run_of(database, telegram_id: int):
    """The person's newest run and its answers by question id."""
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


async def refused(phone: Phone, text: str, error: str, header: str, wording: str):
    """Sends a bad answer: the error comes first, then the same question again."""
    message = await phone.send(text, error)
    again = await phone.expect(header)
    assert wording in again.text, again.text
    assert again.message_id == message.message_id + 1, "the question must follow the error"
    return message


async def start_supermarket(phone: Phone) -> None:
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    first = await phone.send("co op quang ngai", "Câu 1/11")  # one match: straight to it
    assert "Cơ sở: Siêu thị Co.opmart Quảng Ngãi" in first.text


async def up_to_eco_label_count(phone: Phone) -> None:
    await start_supermarket(phone)
    await phone.tap("Có", "Câu 2/11")
    await phone.send("1, 2", "Câu 3/11")
    await phone.send("50", "Câu 4/11")
    await phone.tap("Một phần", "Câu 5/11")
    await phone.tap("Không", "Câu 6/11")
    await phone.tap("Có", "Câu 7/11")


async def up_to_photo(phone: Phone) -> None:
    await up_to_eco_label_count(phone)
    await phone.send("3", "Câu 8/11")
    await phone.tap("Có", "Câu 9/11")


# --- end to end, question type by question type ---------------------------------------


async def test_yes_no_questions_refuse_a_maybe_and_accept_typed_words(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
    await start_supermarket(phone)
    # Question 1 also allows "Không rõ".
    await refused(
        phone,
        "có lẽ",
        "Vui lòng trả lời Có, Không hoặc Không rõ",
        "Câu 1/11",
        "túi ni lông khó phân hủy",
    )
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert run.current_question == "nonbio_bags" and answers == {}
    await phone.send("không rõ", "Câu 2/11")
    await phone.tap("Túi giấy", "Câu 2/11")
    await phone.tap("Xong", "Câu 3/11")
    await phone.send("0", "Câu 4/11")
    await phone.tap("Chưa", "Câu 5/11")
    await refused(phone, "có lẽ", "Vui lòng trả lời Có hoặc Không.", "Câu 5/11", "hộp xốp")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert run.current_question == "foam_trays" and "foam_trays" not in answers
    await phone.send("khong", "Câu 6/11")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert answers["nonbio_bags"].value_text == "unknown"
    assert answers["foam_trays"].value_text == "no"
    assert run.current_question == "eco_label"


async def test_a_single_choice_refuses_garbage_and_accepts_a_typed_number(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    await phone.tap("Không", "Câu 2/11")
    await phone.tap("Túi giấy", "Câu 2/11")
    await phone.tap("Xong", "Câu 3/11")
    await phone.tap("100", "Câu 4/11")
    await refused(
        phone, "asdf qwerty", "Vui lòng chọn một trong các lựa chọn", "Câu 4/11", "Bao bì nhựa"
    )
    await refused(phone, "9", "Vui lòng chọn một trong các lựa chọn", "Câu 4/11", "Bao bì nhựa")
    await refused(phone, "²", "Vui lòng chọn một trong các lựa chọn", "Câu 4/11", "Bao bì nhựa")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert run.current_question == "packaging_replaced"
    assert "packaging_replaced" not in answers
    await phone.send("2", "Câu 5/11")  # the second choice: "Một phần"
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert answers["packaging_replaced"].value_text == "partial"
    assert answers["eco_bag_share"].value_number == 100


async def test_multiple_choice_needs_at_least_one_and_takes_typed_numbers(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    await phone.tap("Có", "Câu 2/11")
    message_id, done = phone.button("Xong")
    tg.user_presses_button(INSPECTOR, done, message_id=message_id)
    await phone.expect("Vui lòng chọn ít nhất một mục")
    again = await phone.expect("Câu 2/11")
    assert "Loại túi" in again.text
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert run.current_question == "bag_types" and "bag_types" not in answers
    await refused(phone, "7, 9", "Vui lòng chọn ít nhất một mục", "Câu 2/11", "Loại túi")
    await refused(phone, "①, ③", "Vui lòng chọn ít nhất một mục", "Câu 2/11", "Loại túi")
    await phone.send("1, 3", "Câu 3/11")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert answers["bag_types"].value_json == ["biodegradable", "cloth"]
    assert run.current_question == "eco_bag_share"


async def test_whole_numbers_refuse_words_fractions_and_numbers_out_of_bounds(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await up_to_eco_label_count(phone)
    wording = "Số mã sản phẩm có nhãn"
    await refused(phone, "abc", "Vui lòng nhập một số nguyên", "Câu 7/11", wording)
    await refused(phone, "12,5", "Vui lòng nhập một số nguyên", "Câu 7/11", wording)
    await refused(phone, "0", "Nhập một số nguyên từ 1 đến 10.000.", "Câu 7/11", wording)
    await refused(phone, "20.000", "Nhập một số nguyên từ 1 đến 10.000.", "Câu 7/11", wording)
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert run.current_question == "eco_label_count" and "eco_label_count" not in answers
    await phone.send("1.500", "Câu 8/11")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert answers["eco_label_count"].value_number == 1500


async def test_a_percentage_over_100_is_refused(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await start_supermarket(phone)
    await phone.tap("Có", "Câu 2/11")
    await phone.send("2", "Câu 2/11")  # toggles the second bag type
    await phone.tap("Xong", "Câu 3/11")
    wording = "tỷ lệ túi thân thiện"
    await refused(phone, "150", "Nhập một số từ 0 đến 100.", "Câu 3/11", wording)
    await refused(phone, "nhiều", "Vui lòng nhập tỷ lệ phần trăm", "Câu 3/11", wording)
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert run.current_question == "eco_bag_share" and "eco_bag_share" not in answers
    assert answers["bag_types"].value_json == ["paper"]
    await phone.send("12,5%", "Câu 4/11")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert answers["eco_bag_share"].value_number == 12.5


async def test_dates_must_be_real_well_formed_and_not_in_the_future(bot, tg, sqlite_db):
    phone = Phone(tg, CLUSTER_INSPECTOR, "Phạm Văn Cụm")
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Tuyên truyền", "Gõ một phần tên")
    first = await phone.send("dong dinh", "Câu 1/")  # one match: straight to it
    assert "Cơ sở: Cụm công nghiệp Đồng Dinh" in first.text
    await phone.tap("Đã", "Câu 2/")
    wording = "Ngày tổ chức"
    await refused(phone, "31/02/2026", "Ngày này không có thật", "Câu 2/", wording)
    await refused(phone, "2026-11-05", "Vui lòng nhập ngày dạng dd/mm/yyyy", "Câu 2/", wording)
    today = dt.datetime.now(VIETNAM).date()
    later = (today + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    await refused(phone, later, "Ngày tổ chức không được sau hôm nay.", "Câu 2/", wording)
    run, answers = await open_run_of(sqlite_db, CLUSTER_INSPECTOR)
    assert run.current_question == "session_date" and "session_date" not in answers
    await phone.send("hôm nay", "Câu 3/")
    run, answers = await open_run_of(sqlite_db, CLUSTER_INSPECTOR)
    assert answers["session_date"].value_date in (today, dt.datetime.now(VIETNAM).date())
    assert run.current_question == "session_form"


async def test_a_note_over_its_limit_and_a_huge_message_are_refused(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await up_to_photo(phone)
    await phone.tap("Bỏ qua", "Câu 10/11")
    await phone.tap("Bỏ qua", "Câu 11/11")
    wording = "Ghi chú thêm"
    # Each says its length and the limit, and sends the text back to be shortened.
    said = await phone.send("x" * 501, "Nội dung dài 501 ký tự, tối đa 500 ký tự")
    back = await phone.expect("x" * 501)
    assert back.text == "x" * 501 and back.message_id == said.message_id + 1
    again = await phone.expect("Câu 11/11")
    assert wording in again.text and again.message_id == back.message_id + 1
    said = await phone.send("y" * 5000, "Tin nhắn dài 5.000 ký tự, vượt quá giới hạn 4.000")
    first = await phone.expect("yyyy")
    second = await phone.expect("yyyy")  # Telegram carries 4,096 characters a message
    assert first.text + second.text == "y" * 5000
    again = await phone.expect("Câu 11/11")
    assert wording in again.text and again.message_id == second.message_id + 1
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert run.current_question == "note" and "note" not in answers
    note = "Quầy thu ngân có áp phích. " + "z" * 400
    await phone.send(note, "Xem lại")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert answers["note"].value_text == note.strip()
    assert run.phase == "review"


async def test_a_photo_question_answered_with_text_asks_for_a_photo(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await up_to_photo(phone)
    await refused(phone, "ảnh đây", "Câu này cần một ảnh", "Câu 9/11", "Chụp ảnh quầy thu ngân")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert run.current_question == "photo" and "photo" not in answers
    await phone.send_photo(b"\xff\xd8 jpeg", "Câu 10/11")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    with open(answers["photo"].value_text, "rb") as stored:
        assert stored.read() == b"\xff\xd8 jpeg"


async def test_typing_bo_qua_skips_an_optional_question_of_any_type(bot, tg, sqlite_db):
    """The prompts say "(hoặc bấm Bỏ qua)"; on a phone without the buttons (or when the
    inspector just types it) the words must skip the photo as they skip the note."""
    phone = Phone(tg, INSPECTOR)
    await up_to_photo(phone)
    await phone.send("bỏ qua", "Câu 10/11")
    await phone.send("Bo qua", "Câu 11/11")
    await phone.send("bỏ qua", "Xem lại")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert answers["photo"].skipped and answers["location"].skipped and answers["note"].skipped


async def test_typed_coordinates_answer_the_location_question(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await up_to_photo(phone)
    await phone.tap("Bỏ qua", "Câu 10/11")
    wording = "Gửi vị trí hiện tại"
    await refused(phone, "gần chợ", "Vui lòng gõ tọa độ", "Câu 10/11", wording)
    await refused(phone, "95, 200", "Vui lòng gõ tọa độ", "Câu 10/11", wording)
    await phone.send("15.1, 108.8", "Câu 11/11")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert answers["location"].value_json == {"lat": 15.1, "lon": 108.8}
    assert run.current_question == "note"


async def test_an_english_speaking_inspector_gets_english_errors(bot, tg, sqlite_db):
    phone = Phone(tg, INSPECTOR)
    await phone.send("/lang en", "Language set to English")
    await phone.send("/start", "Choose a checklist")
    await phone.tap("Supermarket / trade centre check", "Type part of the site")
    first = await phone.send("co op quang ngai", "Question 1/11")
    assert "Site: Siêu thị Co.opmart Quảng Ngãi" in first.text
    await refused(
        phone,
        "perhaps",
        "Please answer Yes, No or Don't know.",
        "Question 1/11",
        "non-biodegradable plastic bags",
    )
    await phone.tap("Yes", "Question 2/11")
    await phone.tap("Done", "Please choose at least one option")
    await phone.expect("Question 2/11")
    await phone.send("2", "Question 2/11")
    await phone.tap("Done", "Question 3/11")
    await refused(phone, "150", "Enter a number from 0 to 100.", "Question 3/11", "eco-friendly")
    await phone.send("40", "Question 4/11")
    await refused(
        phone,
        "whatever",
        "Please choose one of the options",
        "Question 4/11",
        "single-use plastic packaging",
    )
    await phone.tap("Fully replaced", "Question 5/11")
    await refused(phone, "maybe", "Please answer Yes or No.", "Question 5/11", "foam boxes")
    await phone.send("no", "Question 6/11")
    await phone.tap("Yes", "Question 7/11")
    await refused(phone, "lots", "Please enter a whole number", "Question 7/11", "labelled")
    await refused(phone, "0", "Enter a whole number from 1 to 10,000.", "Question 7/11", "labelled")
    await phone.send("1,200", "Question 8/11")
    run, answers = await open_run_of(sqlite_db, INSPECTOR)
    assert answers["eco_label_count"].value_number == 1200
    assert answers["packaging_replaced"].value_text == "full"
    assert answers["foam_trays"].value_text == "no"
    assert run.current_question == "awareness_materials"
    # Nothing Vietnamese leaked into the conversation after the switch.
    texts = [r.text or "" for r in tg.messages_to(INSPECTOR)]
    assert not [text for text in texts if "Vui lòng" in text or "Câu " in text]


# --- every question type, straight through its parser ------------------------------------

TODAY = dt.date(2026, 5, 20)


def question(kind: str, **extra) -> Question:
    return Question(id="q", type=kind, text={"vi": "Câu hỏi", "en": "A question"}, **extra)


BAGS = (
    Option("biodegradable", {"vi": "Túi phân hủy sinh học", "en": "Biodegradable bags"}),
    Option("paper", {"vi": "Túi giấy", "en": "Paper bags"}),
    Option("cloth", {"vi": "Túi vải", "en": "Cloth bags"}),
)


class Refused:
    """The answer is refused with a message containing ``fragment``."""

    def __init__(self, fragment: str) -> None:
        self.fragment = fragment

    def __repr__(self) -> str:
        return f"Refused({self.fragment!r})"


# type -> (question, typed text, language, expected Value or Refused)
CASES: dict[str, list[tuple[Question, str, str, Value | Refused]]] = {
    "yes_no": [
        (question("yes_no"), "Có", "vi", Value(text="yes")),
        (question("yes_no"), "khong", "vi", Value(text="no")),
        (question("yes_no"), "có lẽ", "vi", Refused("Vui lòng trả lời Có hoặc Không")),
        (question("yes_no"), "không rõ", "vi", Refused("Vui lòng trả lời Có hoặc Không")),
        (question("yes_no"), "maybe", "en", Refused("Please answer Yes or No.")),
    ],
    "yes_no_unknown": [
        (question("yes_no_unknown"), "không rõ", "vi", Value(text="unknown")),
        (question("yes_no_unknown"), "ko", "vi", Value(text="no")),
        (question("yes_no_unknown"), "có lẽ", "vi", Refused("Có, Không hoặc Không rõ")),
    ],
    "select_one": [
        (question("select_one", options=BAGS), "tui giay", "vi", Value(text="paper")),
        (question("select_one", options=BAGS), "Cloth bags", "en", Value(text="cloth")),
        (
            question("select_one", options=BAGS),
            "túi nhựa",
            "vi",
            Refused("Vui lòng chọn một trong các lựa chọn"),
        ),
    ],
    "select_multiple": [
        (
            question("select_multiple", options=BAGS),
            "1, 3",
            "vi",
            Value(json=["biodegradable", "cloth"]),
        ),
        (
            question("select_multiple", options=BAGS),
            "Túi vải; túi giấy",
            "vi",
            Value(json=["cloth", "paper"]),
        ),
        (
            question("select_multiple", options=BAGS),
            "4",
            "vi",
            Refused("Vui lòng chọn ít nhất một mục"),
        ),
        (
            question("select_multiple", options=BAGS),
            " , ",
            "vi",
            Refused("Vui lòng chọn ít nhất một mục"),
        ),
        (
            question("select_multiple", options=BAGS),
            "1, ²",
            "vi",
            Refused("Vui lòng chọn ít nhất một mục"),
        ),
        (
            question("select_multiple", options=BAGS),
            "²",
            "vi",
            Refused("Vui lòng chọn ít nhất một mục"),
        ),
    ],
    "integer": [
        (question("integer"), "1.200", "vi", Value(number=1200)),
        (question("integer"), "12,5", "vi", Refused("Vui lòng nhập một số nguyên")),
        (question("integer"), "abc", "vi", Refused("Vui lòng nhập một số nguyên")),
        (
            question("integer", constraint={"min": 1, "max": 10}),
            "11",
            "vi",
            Refused("Vui lòng nhập một số từ 1 đến 10."),
        ),
    ],
    "decimal": [
        (question("decimal"), "12,5", "vi", Value(number=12.5)),
        (question("decimal"), "12.5", "en", Value(number=12.5)),
        (question("decimal"), "1.234,5", "vi", Value(number=1234.5)),
        (question("decimal"), "mười hai", "vi", Refused("Vui lòng nhập một số, ví dụ 12,5.")),
        (question("decimal"), "lots", "en", Refused("Please enter a number, e.g. 12.5.")),
        (
            question("decimal", constraint={"min": 0, "max": 10}),
            "10,5",
            "vi",
            Refused("Vui lòng nhập một số từ 0 đến 10."),
        ),
        (
            question(
                "decimal",
                constraint={"min": 0, "max": 10},
                constraint_message={"vi": "Từ 0 đến 10 tấn.", "en": "From 0 to 10 t."},
            ),
            "-1",
            "vi",
            Refused("Từ 0 đến 10 tấn."),
        ),
    ],
    "percent": [
        (question("percent"), "75%", "vi", Value(number=75)),
        (question("percent"), "150", "vi", Refused("Vui lòng nhập một số từ 0 đến 100.")),
        (question("percent"), "nhiều", "vi", Refused("Vui lòng nhập tỷ lệ phần trăm")),
    ],
    "date": [
        (question("date"), "05/11/2025", "vi", Value(date=dt.date(2025, 11, 5))),
        (question("date"), "hôm nay", "vi", Value(date=TODAY)),
        (question("date"), "hom nay", "vi", Value(date=TODAY)),
        (question("date"), "today", "en", Value(date=TODAY)),
        (question("date"), "31/02/2026", "vi", Refused("Ngày này không có thật")),
        (question("date"), "2026-11-05", "vi", Refused("Vui lòng nhập ngày dạng dd/mm/yyyy")),
        (
            question("date", constraint={"not_future": True}),
            "21/05/2026",
            "vi",
            Refused("Ngày không được sau hôm nay (20/05/2026)"),
        ),
    ],
    "text": [
        (question("text"), "  Có áp phích  ", "vi", Value(text="Có áp phích")),
        (
            question("text", constraint={"max_length": 10}),
            "x" * 11,
            "vi",
            Refused("Nội dung quá dài (11 ký tự); tối đa 10 ký tự."),
        ),
        (question("text"), "   ", "vi", Refused("Vui lòng nhập nội dung.")),
    ],
    "photo": [
        (question("photo", required=False), "đây là ảnh", "vi", Refused("Câu này cần một ảnh")),
    ],
    "location": [
        (question("location"), "15.1, 108.8", "vi", Value(json={"lat": 15.1, "lon": 108.8})),
        (question("location"), "15.12 108.80", "vi", Value(json={"lat": 15.12, "lon": 108.8})),
        (question("location"), "95, 200", "vi", Refused("Vui lòng gõ tọa độ")),
        (question("location"), "chợ Quảng Ngãi", "en", Refused("Please type coordinates")),
    ],
}


def test_every_registered_question_type_has_parse_cases():
    missing = sorted(set(QUESTION_TYPES) - set(CASES))
    assert not missing, f"question types without cases in CASES: {missing}"
    for kind, cases in CASES.items():
        assert kind in QUESTION_TYPES, f"CASES names an unknown type {kind!r}"
        assert any(isinstance(c[3], Value) for c in cases) or kind == "photo", kind
        assert any(isinstance(c[3], Refused) for c in cases), f"{kind}: no bad input case"


@pytest.mark.parametrize(
    ("kind", "question", "text", "language", "expected"),
    [(kind, *case) for kind, cases in CASES.items() for case in cases],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else None,
)
def test_each_question_type_reads_or_refuses_typed_input(kind, question, text, language, expected):
    assert question.type == kind
    context = AnswerContext(language, TODAY)
    parser = QUESTION_TYPES[kind]
    if isinstance(expected, Refused):
        with pytest.raises(InvalidAnswer) as refused_answer:
            parser.parse(question, text, context)
        assert expected.fragment in refused_answer.value.message
    else:
        assert parser.parse(question, text, context) == expected
