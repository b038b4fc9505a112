"""Steps the contract stories share, written against the Chat interface only."""

from __future__ import annotations

from tests.contract.chat import APOLOGY_VI, Chat

JPEG = b"\xff\xd8\xff\xe0 contract suite jpeg"


async def say(chat: Chat, text: str, expect: str) -> str:
    await chat.send(text)
    return (await chat.expect(expect)).text


async def pick(chat: Chat, label: str, expect: str) -> str:
    await chat.choose(label)
    return (await chat.expect(expect)).text


async def open_supermarket_check(chat: Chat) -> None:
    await say(chat, "/start", "Chọn phiếu kiểm tra")
    await pick(chat, "Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    await say(chat, "co op", "Tìm thấy")
    await pick(chat, "Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")


async def up_to_the_percent_question(chat: Chat) -> None:
    await open_supermarket_check(chat)
    await pick(chat, "Có", "Câu 2/11")
    await pick(chat, "Túi giấy", "Câu 2/11")
    await pick(chat, "Xong", "Câu 3/11")


async def refused(chat: Chat, text: str, message: str, prompt: str) -> None:
    """Bad input: the polite "what is expected" message, the prompt again, nothing
    stored, never the apology."""
    before = await chat.newest_run()
    await chat.send(text)
    shown = await chat.expect(message)
    assert APOLOGY_VI not in shown.text
    await chat.expect(prompt)
    after = await chat.newest_run()
    assert _values(after) == _values(before), f"{text!r} changed the answers"


def _values(run_and_answers) -> dict:
    _run, answers = run_and_answers
    return {
        q: (a.value_text, a.value_number, a.value_date, a.value_json, a.skipped)
        for q, a in answers.items()
    }


def no_apology(chat: Chat) -> None:
    apologies = [text for text in chat.texts() if APOLOGY_VI in text]
    assert not apologies, apologies
