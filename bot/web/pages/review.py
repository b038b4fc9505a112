"""Review from a check's page: its state and steps for everyone who may see it, and
for those who may review it (admins every check, heads their division's inspectors',
nobody their own) approve, send back with a comment and the answers concerned, or
reject with a reason.

The same rules and rows as the chat's /review (handlers/review.py, storage/review.py):
the form names the step the page showed, so a decision made meanwhile (in the chat or
another browser) wins and this one says so. The inspector is told in the chat through
the outbox (handlers/review_messages.py), in the decision's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import RedirectResponse, Response

from bot.web.app import Ctx
from handlers import review as rules
from handlers import review_messages
from storage import corrections
from storage import review as store

# The form's action -> the review step it records.
ACTIONS = {"approve": "approved", "send_back": "needs_correction", "reject": "rejected"}


@dataclass
class Panel:
    """What the check's page shows of its review."""

    state: str
    seq: int
    # (when, who, state, comment, answer numbers) oldest first.
    steps: list[tuple[Any, str, str, str, str]] = field(default_factory=list)
    # Whether the viewer may decide now, and the answers numbered as on the chat's card.
    may_decide: bool = False
    questions: list[tuple[int, str, str]] = field(default_factory=list)
    notice: str = ""  # "approved", "needs_correction", "rejected" (done), "stale", ...
    form: dict[str, Any] = field(default_factory=dict)  # what was typed, when sent back


async def panel(ctx: Ctx, check, checklist, notice: str = "", form=None) -> Panel:
    state, seq = await store.current(ctx.db, check.run_id)
    events = await store.events_of(ctx.db, check.run_id)
    names = await corrections.people_named(ctx.db, {event.actor_id for event in events})
    questions = checklist.relevant_questions(check.answers) if checklist else []
    numbered = {question.id: number for number, question in enumerate(questions, 1)}
    steps = [
        (
            event.at,
            names.get(event.actor_id, "?"),
            event.state,
            event.comment,
            ", ".join(str(numbered.get(q, "?")) for q in event.question_ids),
        )
        for event in events
    ]
    _run, inspector, _site = await store.card(ctx.db, check.run_id)
    may_decide = (
        checklist is not None
        and rules.waits_for_review(state)
        and rules.may_review(ctx.who.person, inspector)
    )
    wording = [
        (number, question.id, question.wording(ctx.language))
        for number, question in enumerate(questions, 1)
    ]
    return Panel(state, seq, steps, may_decide, wording, notice, dict(form or {}))


async def decide(ctx: Ctx, check, checklist) -> Response | Panel:
    """Records the decision the form asks for: a redirect to the check when done, else
    the panel to show again with why (``notice``; its status code in STATUS)."""
    form = ctx.request.state.form
    state = ACTIONS.get(str(form.get("action", "")))
    run, inspector, _site = await store.card(ctx.db, check.run_id)
    if checklist is None or not rules.may_review(ctx.who.person, inspector):
        return ctx.refuse()
    typed = {
        "comment": str(form.get("comment", "")).strip()[:1000],
        "questions": [str(q) for q in form.getlist("question")],
        "action": str(form.get("action", "")),
    }
    seq = str(form.get("seq", ""))
    current, now_seq = await store.current(ctx.db, check.run_id)
    if state is None:
        return await panel(ctx, check, checklist, "unknown_action", typed)
    if seq != str(now_seq) or not rules.can_move(current, state):
        return await panel(ctx, check, checklist, "stale", typed)
    relevant = [q.id for q in checklist.relevant_questions(check.answers)]
    picked = [q for q in relevant if q in typed["questions"]]
    if state == "needs_correction" and (not picked or not typed["comment"]):
        return await panel(ctx, check, checklist, "need_pick_and_comment", typed)
    if state == "rejected" and not typed["comment"]:
        return await panel(ctx, check, checklist, "need_reason", typed)
    event = await store.record(
        ctx.db,
        check.run_id,
        now_seq,
        state,
        ctx.who.person.id,
        channel="web",
        comment=typed["comment"] if state != "approved" else "",
        question_ids=picked if state == "needs_correction" else [],
    )
    if event is None:  # another reviewer's step went in between (PostgreSQL's unique key)
        return await panel(ctx, check, checklist, "stale", typed)
    await review_messages.tell_inspector(ctx.db, checklist, run, inspector, event, ctx.who.person)
    await ctx.db.commit()
    return RedirectResponse(f"/checks/{check.run_id}?decided={state}", status_code=303)


STATUS = {"stale": 409, "unknown_action": 422, "need_pick_and_comment": 422, "need_reason": 422}
