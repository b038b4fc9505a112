"""People, their messenger accounts and invites."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ROLES, ChannelAccount, Department, Invite, Person, utcnow


class PeopleError(ValueError):
    """A refused change to people or invites; ``reason`` is a catalog key suffix."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


async def find_by_account(session: AsyncSession, channel: str, external_id: str) -> Person | None:
    statement = (
        select(Person)
        .join(ChannelAccount, ChannelAccount.person_id == Person.id)
        .where(ChannelAccount.channel == channel, ChannelAccount.external_id == external_id)
    )
    return (await session.exec(statement)).first()


async def accounts_of(session: AsyncSession, person_id: int) -> list[ChannelAccount]:
    statement = select(ChannelAccount).where(ChannelAccount.person_id == person_id)
    return list((await session.exec(statement)).all())


async def accounts_of_many(
    session: AsyncSession, person_ids: list[int]
) -> dict[int, list[ChannelAccount]]:
    """accounts_of for many people in one statement (people without any are left out)."""
    found: dict[int, list[ChannelAccount]] = {}
    if not person_ids:
        return found
    statement = (
        select(ChannelAccount)
        .where(col(ChannelAccount.person_id).in_(person_ids))
        .order_by(col(ChannelAccount.id))
    )
    for account in (await session.exec(statement)).all():
        found.setdefault(account.person_id, []).append(account)
    return found


async def _check_role_and_department(
    session: AsyncSession, role: str, department_code: str
) -> None:
    if role not in ROLES:
        raise PeopleError("bad_role", f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if await session.get(Department, department_code) is None:
        codes = (await session.exec(select(Department.code))).all()
        raise PeopleError(
            "bad_department",
            f"unknown department {department_code!r} (known: {', '.join(codes)})",
        )


async def add_person(
    session: AsyncSession,
    *,
    name: str,
    role: str,
    department_code: str,
    language: str = "vi",
    accounts: dict[str, str] | None = None,
) -> Person:
    """Adds a person with their channel accounts ({"telegram": "123", ...}); no commit."""
    name = name.strip()
    if not name:
        raise PeopleError("empty_name", "the name must not be empty")
    await _check_role_and_department(session, role, department_code)
    for channel, external_id in (accounts or {}).items():
        if await find_by_account(session, channel, external_id):
            raise PeopleError(
                "account_taken", f"{channel} account {external_id} already belongs to someone"
            )
    person = Person(name=name, role=role, department_code=department_code, language=language)
    session.add(person)
    await session.flush()
    for channel, external_id in (accounts or {}).items():
        session.add(ChannelAccount(person_id=person.id, channel=channel, external_id=external_id))
    await session.flush()
    return person


async def list_people(session: AsyncSession) -> list[tuple[Person, list[ChannelAccount]]]:
    people = (await session.exec(select(Person).order_by(Person.id))).all()
    accounts = (await session.exec(select(ChannelAccount))).all()
    by_person: dict[int, list[ChannelAccount]] = {}
    for account in accounts:
        by_person.setdefault(account.person_id, []).append(account)
    return [(person, by_person.get(person.id, [])) for person in people]


async def set_active(session: AsyncSession, person_id: int, active: bool) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise PeopleError("unknown_person", f"no person with id {person_id}")
    person.active = active
    session.add(person)
    await session.flush()
    return person


def new_invite_code() -> str:
    # Letters and digits only: safe in a t.me/<bot>?start=<code> link and easy to type on Zalo.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


async def create_invite(
    session: AsyncSession,
    *,
    role: str,
    department_code: str,
    created_by_id: int | None = None,
    valid_days: int = 7,
    now: datetime | None = None,
) -> Invite:
    await _check_role_and_department(session, role, department_code)
    now = now or utcnow()
    invite = Invite(
        code=new_invite_code(),
        role=role,
        department_code=department_code,
        created_by_id=created_by_id,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    session.add(invite)
    await session.flush()
    return invite


def looks_like_invite_code(text: str) -> bool:
    text = text.strip().upper()
    return len(text) == 10 and text.isalnum()


async def redeem_invite(
    session: AsyncSession,
    *,
    code: str,
    channel: str,
    external_id: str,
    name: str,
    language: str = "vi",
    now: datetime | None = None,
) -> Person:
    """Registers the sender with the invite's role and department; no commit.

    Raises PeopleError with reason unknown / used / expired / already_registered.
    """
    now = now or utcnow()
    if await find_by_account(session, channel, external_id):
        raise PeopleError("already_registered")
    invite = await session.get(Invite, code.strip().upper(), with_for_update=True)
    if invite is None:
        raise PeopleError("invite_unknown")
    if invite.used_at is not None:
        raise PeopleError("invite_used")
    if invite.expires_at <= now:
        raise PeopleError("invite_expired")
    person = await add_person(
        session,
        name=name or "?",
        role=invite.role,
        department_code=invite.department_code,
        language=language,
        accounts={channel: external_id},
    )
    invite.used_at = now
    invite.used_by_id = person.id
    session.add(invite)
    try:
        await session.flush()
    except IntegrityError:
        raise PeopleError("already_registered") from None
    return person
