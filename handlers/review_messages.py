"""Messages about a review to someone other than the person acting: the inspector told
of a decision, the reviewer told of a correction. The chat's review and the web
console's send them through here, so the words and the way are the same.

They go to the outbox in the caller's transaction: they leave once, with the decision,
or not at all. A worker (this process's or another's sweep) delivers them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import payloads as p
from handlers.catalog import t
from handlers.messages import Choice, Reply, reply_to_json
from storage import inbox, people, runs
from storage.models import ChecklistRun, Person, ReviewEvent, Site

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from handlers.checklist import Checklist

# Where a message to a person goes when the check does not say: buttons first.
CHANNELS = ("telegram", "zalo")


async def send_to(
    session: AsyncSession, person: Person, replies: list[Reply], prefer: str = ""
) -> None:
    """Queues ``replies`` to one of the person's accounts (``prefer`` first), and makes
    their choices what a typed "1" means unless the person has a checklist open."""
    accounts = await people.accounts_of(session, person.id)
    order = [prefer, *CHANNELS]
    accounts = [a for a in accounts if a.channel != "terminal"]
    if not accounts:
        return
    account = min(accounts, key=lambda a: order.index(a.channel) if a.channel in order else 9)
    inbox.add_replies(
        session,
        account.channel,
        account.external_id,
        person.language,
        [reply_to_json(reply) for reply in replies],
    )
    choices = [(c.payload, c.label) for reply in replies for c in reply.choices]
    if choices and await runs.open_run(session, person.id) is None:
        await runs.remember_screen(session, person.id, choices, None)


async def about(
    session: AsyncSession, checklist: Checklist, check: ChecklistRun, language: str
) -> dict[str, str]:
    """What a message names a check by: its number, checklist and site."""
    site = await session.get(Site, check.site_id) if check.site_id else None
    return {
        "id": check.id,
        "title": checklist.title_in(language),
        "site": site.name if site else "—",
    }


async def tell_inspector(
    session: AsyncSession,
    checklist: Checklist,
    check: ChecklistRun,
    inspector: Person,
    event: ReviewEvent,
    reviewer: Person,
) -> None:
    """The inspector is told of ``event`` (approved, rejected, or asked to correct with
    the answers concerned and a "Sửa ngay" button), on the messenger the check came from."""
    language = inspector.language
    named = await about(session, checklist, check, language)
    if event.state == "approved":
        replies = [Reply(t(language, "rv_told_approved", **named))]
    elif event.state == "rejected":
        replies = [Reply(t(language, "rv_told_rejected", comment=event.comment, **named))]
    else:
        replies = [await _request(session, checklist, check, event, language, named, reviewer)]
    await send_to(session, inspector, replies, prefer=check.channel)


async def _request(session, checklist, check, event, language, named, reviewer) -> Reply:
    answers = await runs.answers_of(session, check.id)
    lines = [
        t(language, "rv_asked", comment=event.comment, title=named["title"], site=named["site"]),
        t(language, "rv_asked_by", reviewer=reviewer.name),
        t(language, "rv_asked_questions"),
    ]
    for number, question in enumerate(checklist.relevant_questions(answers), 1):
        if question.id in event.question_ids:
            lines.append(f"{number}. {question.wording(language)}")
    fix = Choice(t(language, "rv_button_fix"), p.StartCorrection(check.id, event.seq).encode())
    return Reply("\n".join(lines), [fix])
