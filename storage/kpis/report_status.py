"""Which departments have confirmed the year's annual reports (small tables)."""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

# The one copy of the due-date rule (a yearly 29/02 is 28/02 in a common year).
from storage.calendar import due_date
from storage.kpis.results import ReportStatus
from storage.kpis.scope import Scope, confirmation_t, person_t
from storage.models import DEPARTMENTS, Deadline, Department


async def _confirmations(session: AsyncSession, year: int) -> dict[tuple, tuple]:
    """(deadline id, department) -> (confirmed at, by whom) for the year."""
    statement = (
        sa.select(
            confirmation_t.c.deadline_id,
            confirmation_t.c.department_code,
            confirmation_t.c.confirmed_at,
            person_t.c.name,
        )
        .select_from(
            confirmation_t.join(person_t, person_t.c.id == confirmation_t.c.confirmed_by_id)
        )
        .where(confirmation_t.c.year == year)
    )
    return {(row[0], row[1]): (row[2], row[3]) for row in (await session.exec(statement)).all()}


async def _departments(session: AsyncSession) -> list[str]:
    """Every department code, the plan's known ones first in their order."""
    known = [code for code, _vi, _en in DEPARTMENTS]
    return sorted(
        (await session.exec(sa.select(Department.__table__.c.code))).scalars(),
        key=lambda code: (known.index(code) if code in known else len(known), code),
    )


async def report_statuses(session: AsyncSession, scope: Scope) -> tuple[ReportStatus, ...]:
    """Each active deadline due in the year × each department it asks, with the
    head's confirmation where there is one (confirmations of inactive deadlines too)."""
    deadlines = (await session.exec(select(Deadline))).all()
    confirmed = await _confirmations(session, scope.year)
    if not deadlines and not confirmed:
        return ()
    all_departments = await _departments(session)
    statuses = []
    for deadline in sorted(deadlines, key=lambda d: d.id):
        due = due_date(deadline, scope.year)
        has_confirmation = any(key[0] == deadline.id for key in confirmed)
        if due is None or (not deadline.active and not has_confirmation):
            continue
        departments = list(deadline.departments) or all_departments
        departments += [
            code for (d, code) in confirmed if d == deadline.id and code not in departments
        ]
        for code in departments:
            if scope.department and code != scope.department:
                continue
            at, by = confirmed.get((deadline.id, code), (None, None))
            if at is not None and at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            statuses.append(
                ReportStatus(deadline.id, deadline.title_vi, deadline.title_en, due, code, at, by)
            )
    return tuple(statuses)
