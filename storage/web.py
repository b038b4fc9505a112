"""The web console's storage: one-time sign-in links, browser sessions, the cookie key,
and the filtered table of submitted checks.

Links and session ids are random 256-bit tokens; only their SHA-256 is stored, so a
copy of the database signs nobody in. A link is spent by one UPDATE that also checks
it is unused and unexpired, so two clicks racing each other open one session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import review as review_store
from storage.kpis import CheckRow, attach_answers
from storage.models import (
    ROLES,
    ChecklistRun,
    Person,
    Site,
    WebLoginLink,
    WebSecret,
    WebSession,
    utcnow,
)
from storage.textnorm import fold

LINK_VALID = timedelta(minutes=10)
SESSION_VALID = timedelta(hours=8)
PAGE_SIZE = 25

_run = ChecklistRun.__table__
_person = Person.__table__
_site = Site.__table__


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- sign-in links and sessions -------------------------------------------------------


async def create_link(session: AsyncSession, person_id: int, now: datetime | None = None) -> str:
    """A new one-time token for the person (the caller commits)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        WebLoginLink(
            token_hash=token_hash(token),
            person_id=person_id,
            created_at=now,
            expires_at=now + LINK_VALID,
        )
    )
    await session.flush()
    return token


async def create_login_link(session: AsyncSession, person: Person, base_url: str) -> str:
    """The address of a new one-time sign-in link for ``person`` (the caller commits)."""
    token = await create_link(session, person.id)
    return f"{base_url.rstrip('/')}/login/{token}"


async def link_state(session: AsyncSession, token: str, now: datetime | None = None) -> str:
    """ "valid", "used", "expired" or "unknown" (shown before the person confirms)."""
    link = await session.get(WebLoginLink, token_hash(token))
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    return "expired" if link.expires_at <= (now or utcnow()) else "valid"


async def spend_link(session: AsyncSession, token: str, now: datetime | None = None) -> int | None:
    """Marks the link used and returns its person's id, or None if it was unknown,
    already used, expired, or its person is no longer active."""
    now = now or utcnow()
    table = WebLoginLink.__table__
    result = await session.exec(
        sa.update(table)
        .where(
            table.c.token_hash == token_hash(token),
            table.c.used_at.is_(None),
            table.c.expires_at > now,
        )
        .values(used_at=now)
    )
    if result.rowcount != 1:
        return None
    link = await session.get(WebLoginLink, token_hash(token))
    person = await session.get(Person, link.person_id)
    return person.id if person is not None and person.active else None


async def open_session(
    session: AsyncSession, person_id: int, user_agent: str = "", now: datetime | None = None
) -> str:
    """A new browser session; returns the session id for the cookie (the caller commits)."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id_hash=token_hash(session_id),
            person_id=person_id,
            csrf_token=secrets.token_urlsafe(32),
            user_agent=user_agent[:200],
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_VALID,
        )
    )
    await session.flush()
    return session_id


async def find_session(
    session: AsyncSession, session_id: str, now: datetime | None = None
) -> tuple[WebSession, Person] | None:
    """The live session and its (active) person, or None."""
    now = now or utcnow()
    row = await session.get(WebSession, token_hash(session_id))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    person = await session.get(Person, row.person_id)
    if person is None or not person.active:
        return None
    return row, person


async def revoke_session(session: AsyncSession, id_hash: str, now: datetime | None = None) -> bool:
    row = await session.get(WebSession, id_hash)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    session.add(row)
    await session.flush()
    return True


async def live_sessions(
    session: AsyncSession, now: datetime | None = None
) -> list[tuple[WebSession, Person]]:
    """Sessions not revoked and not expired, newest first, with their people."""
    now = now or utcnow()
    statement = (
        select(WebSession, Person)
        .join(Person, Person.id == WebSession.person_id)
        .where(WebSession.revoked_at.is_(None), WebSession.expires_at > now)
        .order_by(WebSession.created_at.desc())
    )
    return [(row, person) for row, person in (await session.exec(statement)).all()]


async def signing_secret(session: AsyncSession) -> str:
    """The database's cookie key, made on first use; two workers racing agree on one."""
    row = await session.get(WebSecret, 1)
    if row is None:
        try:
            async with session.begin_nested():
                session.add(WebSecret(id=1, secret=secrets.token_hex(32)))
        except sa.exc.IntegrityError:
            pass
        await session.commit()
        row = await session.get(WebSecret, 1)
    return row.secret


async def set_role(session: AsyncSession, person_id: int, role: str) -> Person | None:
    if role not in ROLES:
        return None
    person = await session.get(Person, person_id)
    if person is None:
        return None
    person.role = role
    session.add(person)
    await session.flush()
    return person


# --- the table of checks ---------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who is looking: admins see every check, heads their department's, inspectors
    their own."""

    person_id: int
    role: str
    department: str


@dataclass(frozen=True)
class CheckFilter:
    checklist: str = ""
    site: str = ""  # part of a site's name (accents aside) or its code
    commune: str = ""
    department: str = ""
    inspector: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    review: str = ""  # a review state (storage.models.REVIEW_STATES)
    sort: str = "-submitted"
    page: int = 1


SORTS = {
    "submitted": (_run.c.submitted_at, _run.c.id),
    "checklist": (_run.c.checklist_id, _run.c.submitted_at),
    "site": (_site.c.name, _run.c.submitted_at),
    "inspector": (_person.c.name, _run.c.submitted_at),
}

_COLUMNS = (
    _run.c.id,
    _run.c.checklist_id,
    _run.c.checklist_version,
    _run.c.submitted_at,
    _person.c.name,
    _person.c.department_code,
    _site.c.code,
    _site.c.name,
    _site.c.kind,
    _site.c.commune,
    _site.c.old_district,
)


def _local_bound(day: date, timezone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone).astimezone(UTC)


def _conditions(viewer: Viewer, wanted: CheckFilter, timezone: ZoneInfo) -> list[Any]:
    conditions: list[Any] = [_run.c.status == "submitted"]
    if viewer.role == "head":
        conditions.append(_person.c.department_code == viewer.department)
    elif viewer.role != "admin":
        conditions.append(_run.c.person_id == viewer.person_id)
    if wanted.checklist:
        conditions.append(_run.c.checklist_id == wanted.checklist)
    if wanted.site:
        folded = fold(wanted.site)
        conditions.append(
            sa.or_(_site.c.search_name.contains(folded), _site.c.code == wanted.site.strip())
        )
    if wanted.commune:
        conditions.append(_site.c.commune == wanted.commune)
    if wanted.department:
        conditions.append(_person.c.department_code == wanted.department)
    if wanted.inspector:
        conditions.append(_run.c.person_id == wanted.inspector)
    if wanted.date_from:
        conditions.append(_run.c.submitted_at >= _local_bound(wanted.date_from, timezone))
    if wanted.date_to:
        end = _local_bound(wanted.date_to + timedelta(days=1), timezone)
        conditions.append(_run.c.submitted_at < end)
    if wanted.review:
        conditions.append(review_store.state_of(_run.c.id) == wanted.review)
    return conditions


def _from():
    return _run.join(_person, _person.c.id == _run.c.person_id).outerjoin(
        _site, _site.c.id == _run.c.site_id
    )


def _ordering(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    columns = SORTS.get(sort.lstrip("-"), SORTS["submitted"])
    ordered = [column.desc() if descending else column.asc() for column in columns]
    return ordered + [_run.c.id.desc() if descending else _run.c.id.asc()]


async def find_checks(
    session: AsyncSession,
    viewer: Viewer,
    wanted: CheckFilter,
    timezone: ZoneInfo,
    *,
    paged: bool = True,
) -> tuple[list[CheckRow], int]:
    """The viewer's submitted checks matching the filter: one page (or all, for the
    download) with their answers, and how many match in all."""
    conditions = _conditions(viewer, wanted, timezone)
    count = sa.select(sa.func.count()).select_from(_from()).where(*conditions)
    total = (await session.exec(count)).one()[0]
    statement = sa.select(*_COLUMNS).select_from(_from()).where(*conditions)
    statement = statement.order_by(*_ordering(wanted.sort))
    if paged:
        statement = statement.limit(PAGE_SIZE).offset((max(wanted.page, 1) - 1) * PAGE_SIZE)
    checks = [CheckRow(*row) for row in (await session.exec(statement)).all()]
    return await attach_answers(session, checks), total


async def check_visible(session: AsyncSession, viewer: Viewer, run_id: int) -> CheckRow | None:
    """One submitted check with its answers if the viewer may see it."""
    conditions = [*_conditions(viewer, CheckFilter(), ZoneInfo("UTC")), _run.c.id == run_id]
    row = (await session.exec(sa.select(*_COLUMNS).select_from(_from()).where(*conditions))).first()
    if row is None:
        return None
    return (await attach_answers(session, [CheckRow(*row)]))[0]


async def submitted_times(
    session: AsyncSession, viewer: Viewer, since: datetime, until: datetime
) -> list[datetime]:
    """When the viewer's visible checks were submitted in [since, until)."""
    conditions = [
        *_conditions(viewer, CheckFilter(), ZoneInfo("UTC")),
        _run.c.submitted_at >= since,
        _run.c.submitted_at < until,
    ]
    statement = sa.select(_run.c.submitted_at).select_from(_from()).where(*conditions)
    return [row[0] for row in (await session.exec(statement)).all()]


async def filter_choices(session: AsyncSession, viewer: Viewer) -> dict[str, list[Any]]:
    """Communes and inspectors the filter menus offer (inspectors within the viewer's view)."""
    communes = (await session.exec(sa.select(sa.distinct(_site.c.commune)))).all()
    people = select(Person).order_by(Person.name)
    if viewer.role == "head":
        people = people.where(Person.department_code == viewer.department)
    elif viewer.role != "admin":
        people = people.where(Person.id == viewer.person_id)
    return {
        "communes": sorted(row[0] for row in communes if row[0]),
        "inspectors": list((await session.exec(people)).all()),
    }


async def reminder_history(
    session: AsyncSession, department: str | None, limit: int = 200
) -> list[tuple[Any, str]]:
    """The latest reminder deliveries (a head: the department's), with the recipient."""
    from storage.models import ReminderDelivery

    statement = (
        select(ReminderDelivery, Person.name)
        .join(Person, Person.id == ReminderDelivery.recipient_id)
        .order_by(ReminderDelivery.claimed_at.desc(), ReminderDelivery.id.desc())
        .limit(limit)
    )
    if department:
        statement = statement.where(ReminderDelivery.department_code == department)
    return [(row, name) for row, name in (await session.exec(statement)).all()]


async def confirmations(session: AsyncSession, year: int) -> list[Any]:
    from storage.models import ReportConfirmation

    statement = select(ReportConfirmation).where(ReportConfirmation.year == year)
    return list((await session.exec(statement)).all())
