"""Department annual reports (table dept_report): open a year's report where it
stopped, keep the answers as they come, submit (which confirms the department's
yearly deadlines, so its reminders stop), send back with a comment, and read the
submitted ones for the compiled report."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.filed_reports import FiledReport
from storage.models import (
    DEPARTMENTS,
    Deadline,
    Department,
    DeptReport,
    Person,
    ReportConfirmation,
    utcnow,
)


async def get_report(session: AsyncSession, department: str, year: int) -> DeptReport | None:
    statement = select(DeptReport).where(
        DeptReport.department_code == department, DeptReport.year == year
    )
    return (await session.exec(statement)).first()


async def open_report(session: AsyncSession, department: str, year: int) -> DeptReport:
    """The year's report for the department, made empty the first time. Two people
    opening it at once meet at the unique key: the loser reads the winner's row."""
    report = await get_report(session, department, year)
    if report is not None:
        return report
    report = DeptReport(department_code=department, year=year)
    try:
        async with session.begin_nested():
            session.add(report)
    except sa.exc.IntegrityError:
        report = await get_report(session, department, year)
        assert report is not None
    return report


def keep(report: DeptReport, answers: dict[str, Any], cursor: dict[str, Any]) -> None:
    """Stores the answers and the place in the form (new dicts: JSON columns notice
    a new value, not a change inside the old one)."""
    report.answers = dict(answers)
    report.cursor = dict(cursor)
    report.updated_at = utcnow()


async def _yearly_deadlines(session: AsyncSession, department: str) -> list[Deadline]:
    """The yearly deadlines that ask this department (an empty list asks everyone):
    the annual report's; a one-off deadline such as an inspection round is not."""
    deadlines = (await session.exec(select(Deadline).where(Deadline.active))).all()
    return [
        d
        for d in deadlines
        if d.yearly_month is not None and (not d.departments or department in d.departments)
    ]


async def submit(session: AsyncSession, report: DeptReport, person_id: int) -> list[int]:
    """Marks the report submitted and confirms the department's yearly deadlines for
    the year (the reminders stop); returns the deadline ids confirmed now."""
    from storage.reminders import confirm_report

    report.status = "submitted"
    report.submitted_at = utcnow()
    report.submitted_by_id = person_id
    report.cursor = {}
    report.updated_at = utcnow()
    session.add(report)
    confirmed = []
    for deadline in await _yearly_deadlines(session, report.department_code):
        _row, created = await confirm_report(
            session, deadline.id, report.department_code, report.year, person_id
        )
        if created:
            confirmed.append(deadline.id)
    await session.flush()
    return confirmed


async def send_back(session: AsyncSession, report: DeptReport, by_id: int, comment: str) -> None:
    """KTATMT returns the report for correction: it is open again and, until it is
    submitted again, the department's yearly deadlines are not confirmed."""
    report.status = "returned"
    report.returned_at = utcnow()
    report.returned_by_id = by_id
    report.return_comment = comment[:2000]
    report.cursor = {}
    report.updated_at = utcnow()
    session.add(report)
    ids = [d.id for d in await _yearly_deadlines(session, report.department_code)]
    if ids:
        await session.exec(
            sa.delete(ReportConfirmation).where(
                ReportConfirmation.department_code == report.department_code,
                ReportConfirmation.year == report.year,
                ReportConfirmation.deadline_id.in_(ids),
            )
        )
    await session.flush()


async def year_reports(session: AsyncSession, year: int) -> list[DeptReport]:
    """Every department's report row for the year, the plan's departments first."""
    known = [code for code, _vi, _en in DEPARTMENTS]
    rows = (await session.exec(select(DeptReport).where(DeptReport.year == year))).all()
    return sorted(
        rows,
        key=lambda r: (
            known.index(r.department_code) if r.department_code in known else len(known),
            r.department_code,
        ),
    )


async def filed_reports(session: AsyncSession, year: int) -> list[FiledReport]:
    """The submitted reports of the year as the compiled report reads them."""
    reports = [r for r in await year_reports(session, year) if r.status == "submitted"]
    if not reports:
        return []
    names = {
        d.code: d
        for d in (await session.exec(select(Department))).all()
        if d.code in {r.department_code for r in reports}
    }
    people_ids = {r.submitted_by_id for r in reports if r.submitted_by_id}
    people = {
        p.id: p.name
        for p in (await session.exec(select(Person).where(Person.id.in_(people_ids)))).all()
    }
    return [
        FiledReport(
            department_code=r.department_code,
            name_vi=names[r.department_code].name_vi,
            name_en=names[r.department_code].name_en,
            year=r.year,
            answers=dict(r.answers),
            submitted_at=r.submitted_at,
            submitted_by=people.get(r.submitted_by_id),
        )
        for r in reports
    ]
