"""Review from a check's page, through the ASGI app: who may decide (admins every
check, heads their division's inspectors', nobody their own), the CSRF token, a step
taken meanwhile (in the chat or another browser), the message queued for the inspector
in the chat, the state in the table and its filter, and the access log."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage import review as review_store
from storage.models import AccessLog, OutboxMessage, Person
from tests.telegram_harness import INSPECTOR
from tests.web.test_permissions import csrf


async def decide(client, run_id: int, **fields):
    """Opens the check's page (as a person does before deciding) and sends the form."""
    page = (await client.get(f"/checks/{run_id}")).text
    seq = page.split('name="seq" value="', 1)[1].split('"', 1)[0] if 'name="seq"' in page else "0"
    data = {"csrf": await csrf(client), "seq": seq, **fields}
    return await client.post(f"/checks/{run_id}/review", data=data)


async def state_of(console, run_id: int) -> tuple[str, int]:
    async with console.database.session() as session:
        return await review_store.current(session, run_id)


async def outbox_to(console, chat_id: int) -> list[dict]:
    async with console.database.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [r for row in rows if row.chat_id == str(chat_id) for r in row.replies]


# (who, which check, what the page and the form answer): the inspector's own check,
# another division's inspector, the head of the inspector's division, the admin on the
# inspector's check and on the admin's own.
CASES = [
    ("inspector", "with_photo", "own"),
    ("cluster_inspector", "with_photo", "hidden"),
    ("head", "with_photo", "may"),
    ("head", "by_admin", "hidden"),
    ("admin", "with_photo", "may"),
    ("admin", "by_admin", "own"),
]


@pytest.mark.parametrize(("who", "check", "expected"), CASES)
async def test_who_may_decide_on_a_check(console, who, check, expected):
    run_id = console.runs[check]
    async with console.signed_in(who) as client:
        page = await client.get(f"/checks/{run_id}")
        answer = await client.post(
            f"/checks/{run_id}/review",
            data={"csrf": await csrf(client), "seq": "0", "action": "approve"},
        )
    if expected == "hidden":
        assert page.status_code == 404 and answer.status_code == 404
    elif expected == "own":
        assert page.status_code == 200 and "Chờ duyệt" in page.text
        assert 'id="review-decision"' not in page.text
        assert answer.status_code == 403
    else:
        assert 'id="review-decision"' in page.text and "Yêu cầu sửa" in page.text
        assert answer.status_code == 303
    assert (await state_of(console, run_id))[0] == ("approved" if expected == "may" else "received")


async def test_a_head_approves_and_the_inspector_is_told_in_the_chat(console):
    run_id = console.runs["with_photo"]
    async with console.signed_in("head") as client:
        answer = await decide(client, run_id, action="approve")
        assert answer.status_code == 303
        page = (await client.get(answer.headers["location"])).text
        assert "Đã duyệt phiếu" in page and 'id="review-decision"' not in page
        assert "Võ Trưởng Phòng" in page.split('id="review-steps"', 1)[1]
        table = (await client.get("/checks", params={"review": "approved"})).text
        assert "1 phiếu" in table and "Đã duyệt" in table
        assert "1 phiếu" in (await client.get("/checks", params={"review": "received"})).text
    told = await outbox_to(console, INSPECTOR)
    assert len(told) == 1 and f"Phiếu #{run_id}" in told[0]["text"]
    assert "đã được duyệt" in told[0]["text"]
    async with console.database.session() as session:
        event = (await review_store.events_of(session, run_id))[-1]
        entries = (await session.exec(select(AccessLog))).all()
    assert (event.state, event.channel) == ("approved", "web")
    assert {(e.source, e.action) for e in entries} >= {("web", "check_view")}


async def test_a_correction_asked_from_the_web_names_the_answers_and_offers_sua_ngay(console):
    run_id = console.runs["with_photo"]
    async with console.signed_in("admin") as client:
        none_ticked = await decide(client, run_id, action="send_back", comment="Ảnh mờ")
        assert none_ticked.status_code == 422 and "ít nhất một câu" in none_ticked.text
        no_comment = await decide(client, run_id, action="send_back", question="photo")
        assert no_comment.status_code == 422
        answer = await decide(
            client, run_id, action="send_back", question=["photo", "note"], comment="Ảnh mờ"
        )
        assert answer.status_code == 303
    async with console.database.session() as session:
        event = (await review_store.events_of(session, run_id))[-1]
    assert (event.state, event.comment) == ("needs_correction", "Ảnh mờ")
    assert set(event.question_ids) == {"photo", "note"}
    (told,) = await outbox_to(console, INSPECTOR)
    assert "Ảnh mờ" in told["text"] and "Trần Quản Trị" in told["text"]
    assert [label for label, _data in told["choices"]] == ["Sửa ngay"]


async def test_a_rejection_needs_a_reason_which_the_inspector_reads(console):
    run_id = console.runs["plain"]
    async with console.signed_in("head") as client:
        assert (await decide(client, run_id, action="reject")).status_code == 422
        assert (await decide(client, run_id, action="delete")).status_code == 422
        assert (await state_of(console, run_id)) == ("received", 0)
        answer = await decide(client, run_id, action="reject", comment="Trùng phiếu hôm trước")
        assert answer.status_code == 303
    (told,) = await outbox_to(console, INSPECTOR)
    assert "bị từ chối: Trùng phiếu hôm trước" in told["text"]


async def test_a_decision_taken_meanwhile_wins_and_the_page_says_so(console):
    """The head and the admin open the same check; the admin approves first (or a head
    decides in the chat): the head's request to correct changes nothing."""
    run_id = console.runs["with_photo"]
    head = await console.open_signed_in("head")
    admin = await console.open_signed_in("admin")
    page = (await head.get(f"/checks/{run_id}")).text
    assert 'name="seq" value="0"' in page
    assert (await decide(admin, run_id, action="approve")).status_code == 303
    late = await head.post(
        f"/checks/{run_id}/review",
        data={
            "csrf": await csrf(head),
            "seq": "0",
            "action": "send_back",
            "question": "photo",
            "comment": "x",
        },
    )
    assert late.status_code == 409
    assert "Người khác đã quyết định phiếu này trước (hiện: Đã duyệt)" in late.text
    assert (await state_of(console, run_id)) == ("approved", 1)
    # A step recorded elsewhere (the chat) after the page was drawn: the same.
    other = console.runs["plain"]
    assert 'name="seq" value="0"' in (await head.get(f"/checks/{other}")).text
    async with console.database.session() as session:
        admin_person = (await session.exec(select(Person).where(Person.role == "admin"))).one()
        await review_store.record(session, other, 0, "rejected", admin_person.id, comment="x")
        await session.commit()
    late = await head.post(
        f"/checks/{other}/review",
        data={"csrf": await csrf(head), "seq": "0", "action": "approve"},
    )
    assert late.status_code == 409 and "Bị từ chối" in late.text
    assert len(await outbox_to(console, INSPECTOR)) == 1  # only the admin's approval
    await head.aclose()
    await admin.aclose()


async def test_a_decision_needs_the_sessions_csrf_token(console):
    run_id = console.runs["with_photo"]
    async with console.signed_in("admin") as client:
        token = await csrf(client)
        for fields in ({}, {"csrf": token[::-1]}):
            answer = await client.post(
                f"/checks/{run_id}/review", data={"seq": "0", "action": "approve", **fields}
            )
            assert answer.status_code == 403 and "Biểu mẫu không hợp lệ" in answer.text
    assert (await state_of(console, run_id)) == ("received", 0)
    assert await outbox_to(console, INSPECTOR) == []


async def test_the_excel_download_is_in_the_access_log_with_each_rows_state(console):
    import io

    from openpyxl import load_workbook

    async with console.signed_in("head") as client:
        assert (await decide(client, console.runs["plain"], action="approve")).status_code == 303
        answer = await client.get("/checks.xlsx", params={"review": "approved"})
    rows = list(load_workbook(io.BytesIO(answer.content)).worksheets[0].values)
    assert len(rows) == 2 and rows[1][0] == console.runs["plain"] and rows[1][-1] == "Đã duyệt"
    async with console.database.session() as session:
        entries = (await session.exec(select(AccessLog).where(AccessLog.action == "export"))).all()
    assert len(entries) == 1 and entries[0].source == "web" and "checks=1" in entries[0].detail
