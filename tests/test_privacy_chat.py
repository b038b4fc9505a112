"""Personal data in the chat, through the fake Telegram server and the real bot: the notice
and consent at registration, /privacy, a refusal that keeps nothing, and /forget approved
by an admin (the name and ids go from the database and the export; the check stays)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from storage import people
from storage.models import (
    AccessLog,
    ChannelAccount,
    ChecklistRun,
    Consent,
    Invite,
    Person,
    Site,
    utcnow,
)
from tests.telegram_harness import ADMIN, INSPECTOR, Phone


async def _invite(db) -> str:
    async with db.session() as session:
        invite = await people.create_invite(session, role="inspector", department_code="QLTM")
        await session.commit()
        return invite.code


async def _consents(db, user_id: int) -> list[Consent]:
    async with db.session() as session:
        statement = (
            select(Consent)
            .join(ChannelAccount, ChannelAccount.person_id == Consent.person_id)
            .where(ChannelAccount.external_id == str(user_id))
        )
        return list((await session.exec(statement)).all())


async def test_a_newcomer_reads_the_notice_and_agrees_before_anything_else(bot, tg, sqlite_db):
    code = await _invite(sqlite_db)
    phone = Phone(tg, 2001, name="Nguyễn Văn Mới")
    notice = await phone.send(f"/start {code}", "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15")
    assert "Nghị định số 356/2025/NĐ-CP" in notice.text and "5 năm" in notice.text
    question = await phone.expect("Anh/chị có đồng ý")
    assert [b["text"] for b in question.buttons] == ["Đồng ý", "Không đồng ý"]
    assert "bấm" not in notice.text + question.text
    [pending] = await _consents(sqlite_db, 2001)
    assert pending.decision == "pending" and pending.notice_version == "2026-01"

    # Nothing else works until the notice is answered.
    await phone.send("/start", "vui lòng chọn Đồng ý hoặc Không đồng ý")
    await phone.tap("Đồng ý", "Sở đã ghi nhận sự đồng ý")
    [consent] = await _consents(sqlite_db, 2001)
    assert consent.decision == "accepted"
    assert (utcnow() - consent.decided_at).total_seconds() < 60

    shown = await phone.send("/privacy", "Thông báo về xử lý dữ liệu cá nhân")
    local = consent.decided_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert f"Anh/chị đã đồng ý lúc {local:%H:%M %d/%m/%Y}" in shown.text
    assert "/forget" in (await phone.send("/help", "/privacy")).text


async def test_a_refusal_keeps_nothing_and_the_invite_still_works(bot, tg, sqlite_db):
    code = await _invite(sqlite_db)
    phone = Phone(tg, 2002, name="Trần Thị Từ Chối")
    await phone.send(f"/start {code}", "Anh/chị có đồng ý")
    await phone.tap("Không đồng ý", "đã được xóa, không lưu lại")
    async with sqlite_db.session() as session:
        assert await people.find_by_account(session, "telegram", "2002") is None
        names = (await session.exec(select(Person.name))).all()
        assert "Trần Thị Từ Chối" not in names
        invite = await session.get(Invite, code)
        assert invite.used_at is None and invite.used_by_id is None
    assert await _consents(sqlite_db, 2002) == []
    await phone.send("xin chào", "chưa được đăng ký")
    # Changing one's mind: the same code registers them.
    await phone.send(f"/start {code}", "Anh/chị có đồng ý")


async def _a_submitted_check(db, user_id: int) -> int:
    async with db.session() as session:
        person = await people.find_by_account(session, "telegram", str(user_id))
        site = (await session.exec(select(Site).where(Site.kind == "supermarket"))).first()
        run = ChecklistRun(
            person_id=person.id,
            site_id=site.id,
            checklist_id="supermarket",
            checklist_version=1,
            status="submitted",
            phase="review",
            submitted_at=utcnow(),
        )
        session.add(run)
        await session.commit()
        return run.id


def _workbook_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "export.xlsx"
    path.write_bytes(content)
    workbook = load_workbook(path, read_only=True)
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    return "\n".join(cells)


async def test_forget_approved_by_an_admin_pseudonymises_and_keeps_the_check(
    bot, tg, sqlite_db, tmp_path
):
    run_id = await _a_submitted_check(sqlite_db, INSPECTOR)
    inspector, admin = Phone(tg, INSPECTOR, "Kiểm"), Phone(tg, ADMIN, "Quản Trị")
    await inspector.send("/forget", "Anh/chị muốn đề nghị xóa thông tin cá nhân?")
    await inspector.tap("Gửi đề nghị", "Đã gửi đề nghị xóa thông tin cá nhân")
    request = await admin.expect("Đề nghị xóa thông tin cá nhân: Lê Thị Kiểm")
    assert [b["text"] for b in request.buttons] == ["Đồng ý xóa", "Không đồng ý"]
    await inspector.send("/forget", "Anh/chị muốn")
    await inspector.tap("Gửi đề nghị", "đang chờ quản trị viên quyết định")

    await admin.tap("Đồng ý xóa", "Đã xóa thông tin cá nhân của Lê Thị Kiểm")
    told = await inspector.expect("Quản trị viên đã chấp thuận")
    async with sqlite_db.session() as session:
        person = (await session.exec(select(Person).where(Person.name.like("Cán bộ #%")))).one()
        assert f"Cán bộ #{person.id}" in told.text
        assert "Lê Thị Kiểm" not in (await session.exec(select(Person.name))).all()
        accounts = (await session.exec(select(ChannelAccount.external_id))).all()
        assert str(INSPECTOR) not in accounts
        run = await session.get(ChecklistRun, run_id)
        assert run.status == "submitted" and run.person_id == person.id
    # A second admin's press (or a second press) decides nothing again.
    await admin.tap("Đồng ý xóa", "đã được quyết định trước đó")
    await inspector.send("/start", "chưa được đăng ký")

    year = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year
    tg.user_sends_text(ADMIN, f"/export {year}")
    record = await tg.wait_for_message(ADMIN, predicate=lambda r: r.method == "sendDocument")
    text = _workbook_text(next(iter(record.files.values())).content, tmp_path)
    assert f"Cán bộ #{person.id}" in text
    assert "Lê Thị Kiểm" not in text and str(INSPECTOR) not in text
    async with sqlite_db.session() as session:
        log = (await session.exec(select(AccessLog).order_by(AccessLog.id))).all()
    admin_id = await _person_id(sqlite_db, ADMIN)
    assert [(e.person_id, e.source, e.action) for e in log] == [
        (admin_id, "telegram", "forget_approved"),
        (admin_id, "telegram", "export"),
    ]
    assert log[1].detail == f"SXTDBV-{year}.xlsx"


async def _person_id(db, user_id: int) -> int:
    async with db.session() as session:
        return (await people.find_by_account(session, "telegram", str(user_id))).id


async def test_a_changed_notice_is_asked_again_and_a_refusal_keeps_the_checks(bot, tg, sqlite_db):
    """The operator changes [privacy] notice_version: everyone who accepted an earlier
    notice reads the new one before going on. An inspector who says no keeps their checks
    (the office's records), can do nothing else, and can still agree or ask to be forgotten."""
    async with sqlite_db.session() as session:
        person = await people.find_by_account(session, "telegram", str(INSPECTOR))
        accepted = utcnow()
        session.add(
            Consent(
                person_id=person.id,
                notice_version="2025-06",
                decision="accepted",
                channel="telegram",
                shown_at=accepted,
                decided_at=accepted,
            )
        )
        await session.commit()
        person_id = person.id
    phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
    await phone.send("/start", "đã được cập nhật")
    await phone.expect("Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15")
    await phone.expect("Anh/chị có đồng ý")
    await phone.tap("Không đồng ý", "không đồng ý với thông báo mới")
    async with sqlite_db.session() as session:
        assert (await session.get(Person, person_id)).name == "Lê Thị Kiểm"
    assert [c.decision for c in await _consents(sqlite_db, INSPECTOR)] == ["accepted", "declined"]

    await phone.send("/start", "chưa thể tiếp tục dùng bot")  # nothing else works
    await phone.send("/forget", "muốn đề nghị xóa thông tin cá nhân")
    await phone.send("/privacy", "Luật Bảo vệ dữ liệu cá nhân")
    await phone.expect("Anh/chị có đồng ý")
    await phone.tap("Đồng ý", "Sở đã ghi nhận sự đồng ý")
    await phone.expect("Chọn phiếu kiểm tra")
    latest = (await _consents(sqlite_db, INSPECTOR))[-1]
    assert latest.decision == "accepted" and latest.notice_version == "2026-01"
    await phone.send("/start", "Chọn phiếu kiểm tra")  # and the next turn is a normal one
