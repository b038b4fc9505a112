"""What the messenger does to updates and replies: repeats, stale and forged choices,
the wrong kind of content, long replies, files, and the apology when a turn fails."""

from __future__ import annotations

import pytest

from tests.contract.chat import APOLOGY_VI, Chat, Shown, label_matches
from tests.contract.stories import JPEG, no_apology, open_supermarket_check, pick, say

STALE = "Lựa chọn này đã cũ"


def old_button(shown: Shown, label: str) -> str:
    """The data of the button ``label`` on a message as it was shown (its handle is
    the messenger's record of that send, kept after later edits)."""
    for button in shown.handle.buttons:
        if label_matches(button.get("text", ""), label):
            return button["callback_data"]
    raise AssertionError(f"no button {label!r} on {shown.text!r}")


async def test_an_update_delivered_twice_is_applied_once(chat: Chat):
    if not chat.has_update_ids:
        pytest.skip("the terminal reads each line once: no messenger can repeat it")
    await open_supermarket_check(chat)
    await chat.choose("Có")
    await chat.expect("Câu 2/11")
    await chat.deliver_again()  # after it was applied
    await chat.expect_nothing()
    await chat.send("tui giay")
    await chat.deliver_again()  # right away
    await chat.expect("Câu 3/11")
    await chat.expect_nothing()
    _run, answers = await chat.newest_run()
    assert sorted(answers) == ["bag_types", "nonbio_bags"]
    assert answers["nonbio_bags"].value_text == "yes"
    assert answers["bag_types"].value_json == ["paper"]


async def test_stale_and_forged_choices_write_nothing_and_show_the_prompt(chat: Chat):
    await open_supermarket_check(chat)
    await chat.choose("Có")
    bag_question = await chat.expect("Câu 2/11")
    await pick(chat, "Túi giấy", "Câu 2/11")
    await pick(chat, "Xong", "Câu 3/11")
    await say(chat, "50", "Câu 4/11")
    await pick(chat, "Chưa", "Câu 5/11")  # Có / Không / « Quay lại
    run, before = await chat.newest_run()

    if chat.has_buttons:
        # Answered, the question was edited in place and lost its buttons; the old
        # button's data still arrives (from a phone that had not redrawn it yet).
        await chat.press_forged(old_button(bag_question, "Túi ni lông thường"))
        await chat.expect(STALE)
    else:
        await chat.choose("Túi ni lông thường", on=bag_question)  # an old number
    await chat.expect("Câu 5/11")
    if chat.has_buttons:
        await chat.press_forged(f"a:{run.id}:foam_trays:maybe")
        await chat.expect(STALE)
        await chat.expect("Câu 5/11")
        await chat.press_forged("x:999999")
        await chat.expect(STALE)
    else:
        await chat.send("99")  # a number never offered
    await chat.expect("Câu 5/11")
    _run, after = await chat.newest_run()
    assert sorted(after) == sorted(before)
    assert after["bag_types"].value_json == ["paper"] and "foam_trays" not in after
    await pick(chat, "Không", "Câu 6/11")  # and the conversation goes on
    no_apology(chat)


async def test_a_photo_where_text_is_expected_and_text_where_a_photo_is(chat: Chat):
    await open_supermarket_check(chat)
    if chat.has_photos:
        await chat.send_photo(JPEG)  # at a choice: the photo is not wanted, so choose
        refusal = await chat.expect("Vui lòng chọn một trong các lựa chọn")
        assert "không cần ảnh" in refusal.text and APOLOGY_VI not in refusal.text
        await chat.expect("Câu 1/11")
        _run, answers = await chat.newest_run()
        assert not answers
    for step, expect in [
        ("co", "Câu 2/11"),
        ("tui giay", "Câu 3/11"),
        ("50", "Câu 4/11"),
        ("chua", "Câu 5/11"),
        ("khong", "Câu 6/11"),
        ("khong", "Câu 7/"),
        ("co", "Câu 8/"),
    ]:
        await say(chat, step, expect)
    await say(chat, "đây là ảnh", "Câu này cần một ảnh")
    await chat.expect("Câu 8/")
    _run, answers = await chat.newest_run()
    assert "photo" not in answers
    if chat.has_photos:
        await chat.send_photo(JPEG)
        await chat.expect("Câu 9/")
        _run, answers = await chat.newest_run()
        assert answers["photo"].value_text and not answers["photo"].skipped
    else:
        await say(chat, "bỏ qua", "Câu 9/")
    no_apology(chat)


async def test_a_long_reply_arrives_whole_in_parts_within_the_limit(chat: Chat):
    """The site search echoes what was typed: 3,900 characters come back in one
    reply of about 3,970, longer than Zalo's 2,000 (nothing the bot sends is longer
    than Telegram's 4,096: a typed message is cut off at 4,000)."""
    await say(chat, "/start", "Chọn phiếu kiểm tra")
    await pick(chat, "Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    words = [f"khongcoten{i:03d}" + "x" * 16 for i in range(130)]
    query = " ".join(words)
    assert 3800 < len(query) < 4000
    await chat.send(query)
    await chat.expect("gõ tên khác")
    texts = chat.texts()
    last = max(i for i, text in enumerate(texts) if "gõ tên khác" in text)
    first = max(i for i, text in enumerate(texts[: last + 1]) if "Không tìm thấy" in text)
    parts = texts[first : last + 1]
    joined = " ".join(parts)
    assert all(word in joined for word in words), "a part of the reply was lost"
    if chat.text_limit:
        assert all(len(part) <= chat.text_limit for part in parts)
        assert len(parts) == (1 if chat.text_limit >= 4096 else 2)
    await say(chat, "co op", "Tìm thấy")  # and the search goes on


async def test_files_where_the_channel_has_them_and_directions_where_not(admin_chat: Chat):
    await admin_chat.send("/export")
    if admin_chat.has_files:
        shown = await admin_chat.expect_file(timeout=60)
        assert shown.extra["name"].endswith(".xlsx")
    else:
        shown = await admin_chat.expect("không gửi được tệp")
        assert "Telegram" in shown.text and "fieldbot export" in shown.text
    assert not any(APOLOGY_VI in text for text in admin_chat.texts())


async def test_a_failing_turn_gets_the_apology_in_the_persons_language(chat: Chat):
    await say(chat, "/lang en", "Language set to English")
    async with chat.failing("_cmd_help"):
        await chat.send("/help")
        await chat.expect("Sorry, something went wrong", timeout=60)
    await say(chat, "/help", "Commands")
    no_apology(chat)


async def test_after_lang_en_the_whole_screen_is_in_english(chat: Chat):
    await say(chat, "/lang en", "Language set to English")
    menu = await say(chat, "/start", "Choose a checklist")
    if not chat.has_buttons:  # the how-to-answer line of a numbered list too
        assert "Answer with a number" in menu and "Trả lời bằng số" not in menu
