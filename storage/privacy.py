"""Personal data: consent to the privacy notice, the access log, and /forget.

Law 91/2025/QH15 and Decree 356/2025/NĐ-CP ask an office to tell people what it keeps,
keep their consent with its time, let them ask to be removed and log who looked at the
data. Removal is pseudonymisation: a person's submitted checks are the office's records
and stay, under a stable pseudonym; what identifies or reaches the person goes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import prefetch
from storage.models import (
    AccessLog,
    ChannelAccount,
    ChecklistRun,
    Consent,
    ForgetRequest,
    InboxUpdate,
    Invite,
    OfferedChoices,
    OutboxMessage,
    Person,
    utcnow,
)
from storage.retention import delete_runs

DEFAULT_PSEUDONYM = "Cán bộ #{number}"


class PrivacyError(ValueError):
    """A refused privacy action; ``reason`` is a catalog key suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- the access log --------------------------------------------------------------------


async def record_access(
    session: AsyncSession,
    who: Person | str,
    action: str,
    detail: str = "",
    *,
    source: str = "cli",
    now: datetime | None = None,
) -> AccessLog:
    """Notes that ``who`` (a person in a chat, or an operator's login at the command line
    or in the web console) did ``action`` ("export", "report", "summary", "users_list",
    "forget"...) on ``detail`` ("year=2026 personal=no"); no commit."""
    entry = AccessLog(
        at=now or utcnow(),
        person_id=who.id if isinstance(who, Person) else None,
        operator="" if isinstance(who, Person) else who[:100],
        source=source[:16],
        action=action[:32],
        detail=detail[:300],
    )
    session.add(entry)
    await session.flush()
    return entry


async def access_entries(session: AsyncSession, limit: int = 100) -> list[tuple[AccessLog, str]]:
    """The newest entries first, each with who did it (a person's current name, which is
    their pseudonym once they were forgotten, or the operator's login)."""
    statement = (
        select(AccessLog, Person.name)
        .outerjoin(Person, col(Person.id) == AccessLog.person_id)
        .order_by(col(AccessLog.at).desc(), col(AccessLog.id).desc())
        .limit(limit)
    )
    rows = (await session.exec(statement)).all()
    return [(entry, name or entry.operator) for entry, name in rows]


# --- consent -----------------------------------------------------------------------------


async def latest_consent(session: AsyncSession, person_id: int) -> Consent | None:
    statement = (
        select(Consent)
        .where(Consent.person_id == person_id)
        .order_by(col(Consent.id).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


async def ask_consent(
    session: AsyncSession, person: Person, version: str, channel: str, now: datetime | None = None
) -> Consent:
    """The notice was just shown to a newly registered person: until they accept, they
    can do nothing else (``awaiting_consent``)."""
    consent = Consent(
        person_id=person.id,
        notice_version=version,
        decision="pending",
        channel=channel,
        shown_at=now or utcnow(),
    )
    session.add(consent)
    await session.flush()
    return consent


async def consent_state(session: AsyncSession, person_id: int, version: str) -> str | None:
    """None (never asked: people an operator added at the command line see the notice
    with /privacy), "pending", "accepted", "declined" (an existing person said no to a
    changed notice), or "outdated": accepted, but an earlier version of the notice."""
    known, latest = prefetch.consent(session, person_id)  # read with the person
    if not known:
        consent = await latest_consent(session, person_id)
        latest = None if consent is None else f"{consent.decision}:{consent.notice_version}"
    if latest is None:
        return None
    decision, _, seen = latest.partition(":")
    return "outdated" if decision == "accepted" and seen != version else decision


async def accepted_before(session: AsyncSession, person_id: int) -> bool:
    """Whether the person ever accepted a notice (so has been using the bot)."""
    statement = select(Consent.id).where(
        Consent.person_id == person_id, Consent.decision == "accepted"
    )
    return (await session.exec(statement.limit(1))).first() is not None


async def refuse_changed_notice(session: AsyncSession, person: Person, now=None) -> None:
    """An existing person says no to a changed notice: recorded; their checks stay, and
    they can do nothing but accept (/privacy) or ask to be forgotten (/forget)."""
    consent = await latest_consent(session, person.id)
    if consent is not None and consent.decision == "pending":
        consent.decision, consent.decided_at = "declined", now or utcnow()
        session.add(consent)
        await session.flush()


async def accept(
    session: AsyncSession, person: Person, version: str, channel: str, now: datetime | None = None
) -> Consent:
    """Records the person's consent to ``version`` of the notice, with its time."""
    now = now or utcnow()
    consent = await latest_consent(session, person.id)
    if consent is None or consent.decision != "pending" or consent.notice_version != version:
        consent = Consent(
            person_id=person.id, notice_version=version, channel=channel, shown_at=now
        )
    consent.decision, consent.decided_at, consent.channel = "accepted", now, channel
    session.add(consent)
    await session.flush()
    return consent


async def decline(session: AsyncSession, person: Person) -> None:
    """A refusal at registration: the person, their account and the pending consent are
    removed (nothing of theirs is kept), and the invite can be used again until it expires,
    so they may change their mind."""
    await session.exec(
        update(Invite).where(Invite.used_by_id == person.id).values(used_at=None, used_by_id=None)
    )
    await _forget_messages(session, person.id)
    for table in (Consent, OfferedChoices, ChannelAccount, ForgetRequest, AccessLog):
        await session.exec(delete(table).where(table.person_id == person.id))
    drafts = select(ChecklistRun.id).where(ChecklistRun.person_id == person.id)
    await delete_runs(session, list((await session.exec(drafts)).all()))
    await session.delete(person)
    await session.flush()


# --- /forget -------------------------------------------------------------------------------


async def request_forget(session: AsyncSession, person: Person) -> tuple[ForgetRequest, bool]:
    """(the request, whether it is new): asking twice keeps one pending request."""
    statement = select(ForgetRequest).where(
        ForgetRequest.person_id == person.id, ForgetRequest.status == "pending"
    )
    pending = (await session.exec(statement)).first()
    if pending is not None:
        return pending, False
    request = ForgetRequest(person_id=person.id)
    session.add(request)
    await session.flush()
    return request, True


async def decide_forget(
    session: AsyncSession,
    request_id: int,
    admin: Person,
    approve: bool,
    *,
    pseudonym: str = DEFAULT_PSEUDONYM,
    now: datetime | None = None,
) -> tuple[ForgetRequest, list[ChannelAccount]]:
    """An admin's decision; on approval the person is pseudonymised. Returns the request and
    the accounts the person had (to tell them, before they are unreachable). A request
    already decided raises PrivacyError("forget_decided")."""
    request = await session.get(ForgetRequest, request_id, with_for_update=True)
    if request is None:
        raise PrivacyError("forget_unknown")
    if request.status != "pending":
        raise PrivacyError("forget_decided")
    request.status = "approved" if approve else "declined"
    request.decided_by_id, request.decided_at = admin.id, now or utcnow()
    session.add(request)
    accounts = list(
        (
            await session.exec(
                select(ChannelAccount).where(ChannelAccount.person_id == request.person_id)
            )
        ).all()
    )
    if approve:
        await pseudonymise(session, request.person_id, pseudonym)
    await session.flush()
    return request, accounts


async def _forget_messages(session: AsyncSession, person_id: int) -> None:
    """What the inbox and outbox kept of the person's conversations. Pending rows stay:
    the last reply tells the person they were removed (or that nothing was kept)."""
    accounts = (
        await session.exec(select(ChannelAccount).where(ChannelAccount.person_id == person_id))
    ).all()
    for account in accounts:
        await session.exec(
            delete(OutboxMessage).where(
                OutboxMessage.channel == account.channel,
                OutboxMessage.chat_id == account.external_id,
                OutboxMessage.status != "pending",
            )
        )
        # Inbox rows are scrubbed, not deleted: the row of the turn in progress (this very
        # refusal) is what its reply's outbox row will point to, and a kept update_key still
        # stops a redelivered update from being applied twice. The purge removes them later.
        await session.exec(
            update(InboxUpdate)
            .where(
                InboxUpdate.channel == account.channel,
                InboxUpdate.sender_key == account.external_id,
                InboxUpdate.status != "pending",
            )
            .values(raw={}, sender_key="")
        )


def pseudonym_for(person_id: int, template: str = DEFAULT_PSEUDONYM) -> str:
    return template.format(number=person_id)


async def pseudonymise(
    session: AsyncSession, person_id: int, template: str = DEFAULT_PSEUDONYM
) -> Person:
    """The person's checks stay, under a stable pseudonym ("Cán bộ #17"); their name, their
    messenger accounts (so they are no longer reachable), what the inbox and outbox kept of
    their conversations, and their unsubmitted drafts go. Photos in submitted checks stay:
    they are evidence of the check, removed only by the retention purge."""
    person = await session.get(Person, person_id)
    if person is None:
        raise PrivacyError("forget_unknown")
    await _forget_messages(session, person_id)
    await session.exec(delete(ChannelAccount).where(ChannelAccount.person_id == person_id))
    await session.exec(delete(OfferedChoices).where(OfferedChoices.person_id == person_id))
    drafts = select(ChecklistRun.id).where(
        ChecklistRun.person_id == person_id, ChecklistRun.status == "draft"
    )
    await delete_runs(session, list((await session.exec(drafts)).all()))
    person.name, person.active = pseudonym_for(person_id, template), False
    session.add(person)
    await session.flush()
    return person


async def pending_forget_requests(session: AsyncSession) -> list[tuple[ForgetRequest, Person]]:
    statement = (
        select(ForgetRequest, Person)
        .join(Person, col(Person.id) == ForgetRequest.person_id)
        .where(ForgetRequest.status == "pending")
        .order_by(col(ForgetRequest.id))
    )
    return list((await session.exec(statement)).all())
