"""The same checklist stories over every channel (tests/contract/conftest.py: ``chat``)."""

from __future__ import annotations

from pathlib import Path

from tests.contract.chat import APOLOGY_VI, Chat
from tests.contract.stories import JPEG, open_supermarket_check, pick, say


async def test_a_full_supermarket_check(chat: Chat):
    await open_supermarket_check(chat)
    await pick(chat, "Có", "Câu 2/11")
    await pick(chat, "Túi giấy", "Câu 2/11")
    await pick(chat, "Túi ni lông thường", "Câu 2/11")
    await pick(chat, "Xong", "Câu 3/11")
    await say(chat, "75%", "Câu 4/11")
    await pick(chat, "Một phần", "Câu 5/11")
    await pick(chat, "Không", "Câu 6/11")
    await pick(chat, "Có", "Câu 7/")
    await say(chat, "1.200", "Câu 8/")
    await pick(chat, "Có", "Câu 9/")
    if chat.has_photos:
        await chat.send_photo(JPEG)
        await chat.expect("Câu 10/")
    else:
        await say(chat, "bỏ qua", "Câu 10/")
    if chat.has_location:
        await chat.send_location(15.1205, 108.7923)
        await chat.expect("Câu 11/")
    else:  # typed coordinates, as the question's hint says
        await say(chat, "15.1205, 108.7923", "Câu 11/")
    review = await say(chat, "Quầy thu ngân có áp phích", "Xem lại")
    assert "1.200" in review and "75%" in review
    await pick(chat, "Gửi", "Đã gửi phiếu")

    run, answers = await chat.newest_run()
    assert run.status == "submitted" and run.checklist_id == "supermarket"
    assert run.channel == chat.channel
    assert answers["nonbio_bags"].value_text == "yes"
    assert answers["bag_types"].value_json == ["paper", "plastic"]
    assert answers["eco_bag_share"].value_number == 75
    assert answers["packaging_replaced"].value_text == "partial"
    assert answers["foam_trays"].value_text == "no"
    assert answers["eco_label_count"].value_number == 1200
    assert answers["location"].value_json == {"lat": 15.1205, "lon": 108.7923}
    assert answers["note"].value_text == "Quầy thu ngân có áp phích"
    if chat.has_photos:
        assert Path(answers["photo"].value_text).read_bytes() == JPEG
    else:
        assert answers["photo"].skipped
    assert not any(APOLOGY_VI in text for text in chat.texts())
    if chat.text_limit:
        assert all(len(text) <= chat.text_limit for text in chat.texts())
