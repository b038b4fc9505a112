"""The inspector's side of a review: the request to correct ("Phiếu … tại … cần sửa"),
"Sửa ngay" (a draft holding the check's answers, reopening only the questions asked,
each showing its current answer), the review screen, the resubmit (the changed
answers go back into the check, each change kept with who, when and why), the
reviewer told, and the pending corrections in /my.

Messages to someone other than the sender (the inspector, the reviewer) go to the
outbox in this turn's transaction: they leave once, with the decision, or not at all.
"""

from __future__ import annotations

from handlers import payloads as p
from handlers import review as rules
from handlers import review_messages
from handlers.catalog import LANGUAGES, t
from handlers.checklist import Checklist
from handlers.conversation.base import TurnBase
from handlers.messages import Choice, Reply
from storage import corrections, runs
from storage import review as store
from storage.models import ChecklistRun, Person, ReviewEvent
from storage.textnorm import fold


class Corrections(TurnBase):
    # --- telling the other person ------------------------------------------------------

    async def _rv_send_to(self, person: Person, replies: list[Reply], prefer: str = "") -> None:
        await review_messages.send_to(self.session, person, replies, prefer)

    async def _rv_about(self, check: ChecklistRun, language: str) -> dict[str, str]:
        return await review_messages.about(self.session, self._checklist(check), check, language)

    async def _rv_tell_inspector(self, check, inspector: Person, event: ReviewEvent) -> None:
        checklist = self._checklist(check)
        await review_messages.tell_inspector(
            self.session, checklist, check, inspector, event, self.person
        )

    # --- "Sửa ngay" -------------------------------------------------------------------

    async def _rv_typed_fix_now(self, text: str) -> str | None:
        """ "Sửa ngay" typed (Zalo has no buttons): the newest pending correction's."""
        if fold(text) not in {fold(t(language, "rv_button_fix")) for language in LANGUAGES}:
            return None
        pending = await store.pending_corrections(self.session, self.person.id)
        if not pending:
            return None
        check, event = pending[-1]
        return p.StartCorrection(check.id, event.seq).encode()

    async def _rv_start_fix(self, payload: p.StartCorrection, run: ChecklistRun | None):
        check = await self.session.get(ChecklistRun, payload.check_id)
        if (
            check is None
            or check.status != "submitted"
            or not rules.may_correct(self.person, check.person_id)
        ):
            return [Reply(self.t("rv_fix_not_pending", id=payload.check_id))]
        state, seq = await store.current(self.session, check.id)
        if state != "needs_correction" or seq != payload.seq:
            return [Reply(self.t("rv_fix_not_pending", id=check.id))]
        if run is not None:
            correction = await corrections.correction_of(self.session, run.id)
            if correction is not None and correction.run_id == check.id:
                return await self._prompt(run)  # already correcting it: carry on
            return [Reply(self.t("rv_fix_other_draft", id=check.id))] + await self._resume_offer(
                run
            )
        request = (await store.events_of(self.session, check.id))[-1]
        checklist = self._checklist(check)
        flagged = self._rv_flagged(
            checklist, await runs.answers_of(self.session, check.id), request
        )
        if not flagged:  # the questions are gone from the checklist: the review screen
            flagged = checklist.relevant_questions(await runs.answers_of(self.session, check.id))[
                :1
            ]
        draft = await corrections.start_correction(
            self.session, check, seq, flagged[0].id, self.inbound.channel
        )
        self._forget_answers()
        started = self.t("rv_fix_started", id=check.id, count=len(flagged))
        return [Reply(started)] + await self._question_prompt(draft, checklist)

    @staticmethod
    def _rv_flagged(checklist: Checklist, answers, request: ReviewEvent):
        return [q for q in checklist.relevant_questions(answers) if q.id in request.question_ids]

    # --- moving through a correction ---------------------------------------------------

    async def _advance(self, run, checklist: Checklist, after: str | None) -> list[Reply]:
        """In a correction: the next question asked about that is not answered again yet
        (or one that an answer made relevant), then the review screen."""
        correction = await corrections.correction_of(self.session, run.id) if run.editing else None
        if correction is None:
            return await super()._advance(run, checklist, after)
        answers = await self._answers(run)
        target = checklist.first_unanswered(answers)
        if target is None:
            request = (await store.events_of(self.session, correction.run_id))[
                correction.request_seq - 1
            ]
            target = next(
                (
                    q
                    for q in self._rv_flagged(checklist, answers, request)
                    if answers[q.id].answered_at <= correction.created_at
                ),
                None,
            )
        if target is None:
            self._move(run, "review", None, editing=False)
            shown = [Reply(self.t("rv_fix_review", id=correction.run_id))]
            return shown + await self._review_prompt(run, checklist)
        self._move(run, "question", target.id)
        return await self._question_prompt(run, checklist)

    async def _submit(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        correction = await corrections.correction_of(self.session, run.id)
        answers = await self._answers(run)
        if correction is None or checklist.first_unanswered(answers) is not None:
            return await super()._submit(run, checklist)
        obsolete = set(checklist.obsolete_answers(answers))
        fixed = {q: a for q, a in answers.items() if q not in obsolete}
        run.status = "cancelled"  # the draft was only the means; the check keeps its id
        self._move(run, "review", None)
        check = await self.session.get(ChecklistRun, correction.run_id)
        state, seq = await store.current(self.session, check.id)
        event = None
        if state == "needs_correction" and seq == correction.request_seq:
            event = await store.record(
                self.session,
                check.id,
                seq,
                "corrected",
                self.person.id,
                channel=self.inbound.channel,
            )
        if event is None:
            now, _ = await store.current(self.session, check.id)
            return [
                Reply(self.t("rv_resubmit_stale", id=check.id, state=self.t(f"rv_state_{now}")))
            ]
        request = (await store.events_of(self.session, check.id))[seq - 1]
        changes = await corrections.change_answers(
            self.session,
            check.id,
            fixed,
            changed_by_id=self.person.id,
            reason=request.comment,
            review_event_id=event.id,
        )
        await self._rv_tell_reviewer(check, request, len(changes))
        title = checklist.title_in(self.lang)
        return [Reply(self.t("rv_resubmitted", id=check.id, title=title, count=len(changes)))]

    async def _rv_tell_reviewer(
        self, check: ChecklistRun, request: ReviewEvent, count: int
    ) -> None:
        reviewer = await self.session.get(Person, request.actor_id)
        if reviewer is None or not reviewer.active:
            return
        about = await self._rv_about(check, reviewer.language)
        text = t(
            reviewer.language, "rv_told_corrected", inspector=self.person.name, count=count, **about
        )
        button = Choice(
            t(reviewer.language, "rv_button_open", id=check.id), p.ReviewOpen(check.id).encode()
        )
        await self._rv_send_to(reviewer, [Reply(text, [button])], prefer=request.channel)

    # --- /my -----------------------------------------------------------------------------

    async def _cmd_my(self, argument: str) -> list[Reply]:
        replies = await super()._cmd_my(argument)
        pending = await store.pending_corrections(self.session, self.person.id)
        if not pending:
            return replies
        lines, choices = [self.t("rv_my_pending")], []
        for check, event in pending:
            about = await self._rv_about(check, self.lang)
            lines.append(self.t("rv_my_pending_line", comment=event.comment, **about))
            fix = p.StartCorrection(check.id, event.seq).encode()
            choices.append(Choice(self.t("rv_button_fix_id", id=check.id), fix))
        return [Reply("\n".join(lines), choices)] + replies
