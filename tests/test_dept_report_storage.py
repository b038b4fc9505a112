"""Department report storage on SQLite and PostgreSQL: one row per department and
year (opened twice, still one), submitting confirms the yearly deadline (so the
reminders stop) and only that one, sending back withdraws the confirmation, and
the compiled report reads only what was submitted, by name."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from storage import dept_reports, people
from storage.models import Deadline, DeptReport, ReportConfirmation


async def _head(session, code: str) -> int:
    person = await people.add_person(
        session, name=f"Trưởng {code}", role="head", department_code=code
    )
    return person.id


async def test_submit_confirms_the_yearly_deadline_and_send_back_withdraws_it(db):
    async with db.session() as session:
        head = await _head(session, "QLNL")
        # A one-off deadline (an inspection round) is not the annual report.
        session.add(Deadline(title_vi="Đợt kiểm tra", title_en="Round", due_date=date(2026, 9, 30)))
        first = await dept_reports.open_report(session, "QLNL", 2026)
        again = await dept_reports.open_report(session, "QLNL", 2026)
        assert first.id == again.id
        dept_reports.keep(first, {"facilities": 27, "difficulties": "Ít kinh phí."}, {"i": 3})
        await session.commit()
    async with db.session() as session:
        report = await dept_reports.get_report(session, "QLNL", 2026)
        assert report.answers["facilities"] == 27 and report.cursor == {"i": 3}
        assert await dept_reports.filed_reports(session, 2026) == []
        confirmed = await dept_reports.submit(session, report, head)
        await session.commit()
    async with db.session() as session:
        rows = (await session.exec(select(ReportConfirmation))).all()
        yearly = (await session.exec(select(Deadline).where(Deadline.yearly_month == 12))).one()
        assert [(r.deadline_id, r.department_code, r.year) for r in rows] == [
            (yearly.id, "QLNL", 2026)
        ] and confirmed == [yearly.id]
        (filed,) = await dept_reports.filed_reports(session, 2026)
        assert filed.name_vi == "Phòng Quản lý năng lượng" and filed.submitted_by == "Trưởng QLNL"
        assert filed.number("facilities") == 27 and filed.text("difficulties") == "Ít kinh phí."
        report = await dept_reports.get_report(session, "QLNL", 2026)
        await dept_reports.send_back(session, report, head, "Bổ sung số liệu")
        await session.commit()
    async with db.session() as session:
        assert (await session.exec(select(ReportConfirmation))).all() == []
        report = (await session.exec(select(DeptReport))).one()
        assert report.status == "returned" and report.return_comment == "Bổ sung số liệu"
        assert await dept_reports.filed_reports(session, 2026) == []
