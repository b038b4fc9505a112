"""Bad input and typed choices, the same on every channel.

``choose`` presses the button on Telegram and types the option's number on Zalo and
in the terminal; ``send`` of an option's name is the typed label (accents optional),
which every channel takes, buttons or not."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.contract.chat import Chat
from tests.contract.stories import (
    no_apology,
    open_supermarket_check,
    pick,
    refused,
    say,
    up_to_the_percent_question,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SUPERMARKET = "kiem tra sieu thi, trung tam thuong mai"  # the menu label, typed


async def test_bad_input_at_every_question_type_gets_what_is_expected(chat: Chat):
    await open_supermarket_check(chat)
    await refused(chat, "có lẽ", "Có, Không hoặc Không rõ", "Câu 1/11")  # yes/no/unknown
    await refused(chat, "   ", "Tin nhắn không có nội dung", "Câu 1/11")  # whitespace
    await pick(chat, "Có", "Câu 2/11")
    await refused(chat, "túi nhựa sinh học", "Vui lòng", "Câu 2/11")  # multiple choice
    await pick(chat, "Túi giấy", "Câu 2/11")
    await pick(chat, "Xong", "Câu 3/11")
    await refused(chat, "nhiều", "tỷ lệ phần trăm", "Câu 3/11")  # a word at a percent
    await refused(chat, "150", "0 đến 100", "Câu 3/11")  # too large
    await refused(chat, "1e999", "Vui lòng", "Câu 3/11")
    await say(chat, "50", "Câu 4/11")
    await refused(chat, "có thể", "Vui lòng chọn một trong", "Câu 4/11")  # single choice
    await pick(chat, "Chưa", "Câu 5/11")
    await refused(chat, "thỉnh thoảng", "Có hoặc Không", "Câu 5/11")  # yes/no
    await pick(chat, "Không", "Câu 6/11")
    await pick(chat, "Có", "Câu 7/")
    await refused(chat, "mười hai", "số nguyên", "Câu 7/")  # a word at an integer
    await refused(chat, "0", "từ 1 đến 10.000", "Câu 7/")  # below the minimum
    await refused(chat, "9" * 300, "Vui lòng", "Câu 7/")  # 300 digits
    await say(chat, "12", "Câu 8/")
    await pick(chat, "Không", "Câu 9/")
    await say(chat, "bỏ qua", "Câu 10/")
    await refused(chat, "ở đây", "Vui lòng gõ tọa độ", "Câu 10/")  # location
    await say(chat, "bỏ qua", "Câu 11/")
    await refused(chat, "x" * 600, "tối đa 500 ký tự", "Câu 11/")  # a too long note

    # A date and a free text: the trade fair checklist (no site).
    await say(chat, "/cancel", "Hủy phiếu đang làm?")
    await pick(chat, "Hủy phiếu", "Đã hủy phiếu")
    await say(chat, "/start", "Chọn phiếu kiểm tra")
    await pick(chat, "Hội chợ", "Câu 1/5")
    await refused(chat, " \t ", "Câu này cần một câu trả lời", "Câu 1/5")  # empty text
    await say(chat, "Hội chợ OCOP Quảng Ngãi", "Câu 2/5")
    await refused(chat, "ngày mai", "dd/mm/yyyy", "Câu 2/5")  # a word at a date
    future = (dt.datetime.now(VIETNAM).date() + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    await refused(chat, future, "không được sau hôm nay", "Câu 2/5")  # a future date
    await refused(chat, "31/02/2024", "không có thật", "Câu 2/5")
    await say(chat, "hom nay", "Câu 3/5")
    _run, answers = await chat.newest_run()
    assert answers["event_name"].value_text == "Hội chợ OCOP Quảng Ngãi"
    assert answers["event_date"].value_date == dt.datetime.now(VIETNAM).date()
    no_apology(chat)


async def test_menu_and_site_list_by_choice_and_by_typed_label(chat: Chat):
    await open_supermarket_check(chat)  # by choice (a typed number without buttons)
    await say(chat, "/cancel", "Hủy phiếu đang làm?")
    await say(chat, "huy phieu", "Đã hủy phiếu")
    await say(chat, "/start", "Chọn phiếu kiểm tra")
    await say(chat, SUPERMARKET, "Gõ một phần tên cơ sở")
    await say(chat, "co op", "Tìm thấy")
    await say(chat, "sieu thi co.opmart quang ngai", "Câu 1/11")
    run, answers = await chat.newest_run()
    assert run.status == "draft" and run.site_id is not None and not answers
    no_apology(chat)


async def test_resume_by_choice_and_by_typed_label_at_a_percent_question(chat: Chat):
    await up_to_the_percent_question(chat)
    await say(chat, "/start", "Tiếp tục hay hủy phiếu này?")
    await pick(chat, "Tiếp tục", "Câu 3/11")  # "1" on Zalo and the terminal: not 1%
    run, answers = await chat.newest_run()
    assert run.current_question == "eco_bag_share" and "eco_bag_share" not in answers
    await say(chat, "/start", "Tiếp tục hay hủy phiếu này?")
    await say(chat, "tiep tuc", "Câu 3/11")
    run, answers = await chat.newest_run()
    assert run.current_question == "eco_bag_share" and "eco_bag_share" not in answers
    await say(chat, "40", "Câu 4/11")  # the question is the prompt again: 40 is 40%
    _run, answers = await chat.newest_run()
    assert answers["eco_bag_share"].value_number == 40
    await say(chat, "/start", "Tiếp tục hay hủy phiếu này?")
    await say(chat, "huy phieu nay", "Đã hủy phiếu")
    run, answers = await chat.newest_run()
    assert run.status == "cancelled" and "packaging_replaced" not in answers

    await say(chat, "/start", "Chọn phiếu kiểm tra")
    await pick(chat, "Kiểm tra siêu thị", "một phần tên")
    await say(chat, "co op", "Tìm thấy")
    await pick(chat, "Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")
    await pick(chat, "Có", "Câu 2/11")
    await pick(chat, "Túi giấy", "Câu 2/11")
    await pick(chat, "Xong", "Câu 3/11")
    await say(chat, "/start", "Tiếp tục hay hủy phiếu này?")
    await pick(chat, "Hủy phiếu này", "Đã hủy phiếu")  # "2": not 2%
    run, answers = await chat.newest_run()
    assert run.status == "cancelled" and "eco_bag_share" not in answers
    no_apology(chat)


async def test_cancel_by_choice_and_by_typed_label_at_numeric_questions(chat: Chat):
    await up_to_the_percent_question(chat)
    await say(chat, "/cancel", "Hủy phiếu đang làm?")
    await pick(chat, "Không, làm tiếp", "Tiếp tục phiếu")
    await chat.expect("Câu 3/11")
    await say(chat, "/cancel", "Hủy phiếu đang làm?")
    await say(chat, "khong, lam tiep", "Tiếp tục phiếu")
    await chat.expect("Câu 3/11")
    run, answers = await chat.newest_run()
    assert run.status == "draft" and "eco_bag_share" not in answers
    await say(chat, "/cancel", "Hủy phiếu đang làm?")
    await pick(chat, "Hủy phiếu", "Đã hủy phiếu")  # "1" on Zalo and the terminal
    run, answers = await chat.newest_run()
    assert run.status == "cancelled" and "eco_bag_share" not in answers

    # At an integer question, by the typed label.
    await open_supermarket_check(chat)
    await pick(chat, "Có", "Câu 2/11")
    await pick(chat, "Túi giấy", "Câu 2/11")
    await pick(chat, "Xong", "Câu 3/11")
    await say(chat, "60", "Câu 4/11")
    await pick(chat, "Chưa", "Câu 5/11")
    await pick(chat, "Không", "Câu 6/11")
    await pick(chat, "Có", "Câu 7/")
    await say(chat, "/cancel", "Hủy phiếu đang làm?")
    await say(chat, "Hủy phiếu", "Đã hủy phiếu")
    run, answers = await chat.newest_run()
    assert run.status == "cancelled" and "eco_label_count" not in answers
    no_apology(chat)


async def test_typed_labels_through_a_check_its_review_and_the_same_site(chat: Chat):
    await open_supermarket_check(chat)
    await say(chat, "co", "Câu 2/11")
    await pick(chat, "Túi giấy", "Câu 2/11")
    # A typed name answers, adding to what is ticked; its comma does not split it.
    await say(chat, "túi vải, dùng nhiều lần", "Câu 3/11")
    await say(chat, "80", "Câu 4/11")
    await say(chat, "da thay hoan toan", "Câu 5/11")
    await say(chat, "khong", "Câu 6/11")
    await say(chat, "khong", "Câu 7/")
    await say(chat, "co", "Câu 8/")
    await say(chat, "bo qua", "Câu 9/")
    await say(chat, "bo qua", "Câu 10/")
    await say(chat, "bo qua", "Xem lại")
    # Review: edit by its typed label (no Green Label: 10 questions now).
    await say(chat, "sua: ty le tui than thien", "Câu 3/10")
    review = await say(chat, "50", "Xem lại")
    assert "50%" in review
    await pick(chat, "Sửa: Thay bao bì nhựa", "Câu 4/10")  # and by choice
    await say(chat, "mot phan", "Xem lại")
    await say(chat, "gui", "Đã gửi phiếu")
    run, answers = await chat.newest_run()
    assert run.status == "submitted"
    assert answers["nonbio_bags"].value_text == "yes"
    assert answers["bag_types"].value_json == ["paper", "cloth"]
    assert answers["eco_bag_share"].value_number == 50
    assert answers["packaging_replaced"].value_text == "partial"
    first_run = run.id

    # The same site again this month: a new check, by the typed label. (The menu now
    # offers the recent site first; the checklist's own choice is still on it.)
    await say(chat, "/start", "Chọn cơ sở đã kiểm tra gần đây")
    await say(chat, SUPERMARKET, "một phần tên")
    await say(chat, "co op", "Tìm thấy")
    await pick(chat, "Siêu thị Co.opmart Quảng Ngãi", "đã được")
    await say(chat, "kiem tra moi", "Câu 1/11")
    run, answers = await chat.newest_run()
    assert run.id != first_run and run.status == "draft" and not answers
    await say(chat, "/cancel", "Hủy phiếu đang làm?")
    await pick(chat, "Hủy phiếu", "Đã hủy phiếu")

    # And "update that check", by choice: the earlier answers come along.
    await say(chat, "/start", "Chọn cơ sở đã kiểm tra gần đây")
    await pick(chat, "Kiểm tra siêu thị", "một phần tên")
    await say(chat, "co op", "Tìm thấy")
    await pick(chat, "Siêu thị Co.opmart Quảng Ngãi", "đã được")
    await pick(chat, "Cập nhật lần đó", "Xem lại")
    await pick(chat, "Gửi", "Đã gửi phiếu")
    _run, answers = await chat.newest_run()
    assert answers["bag_types"].value_json == ["paper", "cloth"]
    no_apology(chat)


async def test_multiple_choice_and_numeric_answers_by_choice_and_by_typing(chat: Chat):
    await open_supermarket_check(chat)
    await pick(chat, "Không", "Câu 2/11")
    if chat.has_buttons:
        await pick(chat, "Túi phân hủy sinh học", "Câu 2/11")
        await pick(chat, "Túi vải, dùng nhiều lần", "Câu 2/11")
        await pick(chat, "Xong", "Câu 3/11")
    else:
        await say(chat, "1, 3", "Câu 3/11")  # numbers, as the hint says
    _run, answers = await chat.newest_run()
    assert answers["bag_types"].value_json == ["biodegradable", "cloth"]
    await say(chat, "/back", "Câu 2/11")
    await say(chat, "tui giay", "Câu 3/11")  # a typed name adds to what is ticked
    _run, answers = await chat.newest_run()
    assert answers["bag_types"].value_json == ["biodegradable", "paper", "cloth"]
    if chat.has_buttons:
        await pick(chat, "75", "Câu 4/11")  # a quick answer
    else:
        await say(chat, "75", "Câu 4/11")  # the value, not the 75th choice
    _run, answers = await chat.newest_run()
    assert answers["eco_bag_share"].value_number == 75
    no_apology(chat)
