"""Moving through a checklist: the next question that applies, back, edit from the
review, submit, discard. Which question comes next is the checklist's pure logic
(Checklist.next_question and friends); this module moves the run there."""

from __future__ import annotations

from handlers.checklist import Checklist
from handlers.conversation.base import TurnBase
from handlers.messages import Reply
from storage import runs
from storage.kpis.keys import note_enterprise
from storage.models import ChecklistRun, utcnow


class Navigation(TurnBase):
    async def _advance(self, run, checklist: Checklist, after: str | None) -> list[Reply]:
        """Moves to the next question that applies; after an edit from the review,
        to the first relevant unanswered one, or back to the review."""
        answers = await self._answers(run)
        if run.editing or after is None and run.phase == "review":
            target = checklist.first_unanswered(answers)
        else:
            target = checklist.next_question(answers, after)
        if target is None:
            self._move(run, "review", None, editing=False)
            return await self._review_prompt(run, checklist)
        self._move(run, "question", target.id)
        return await self._question_prompt(run, checklist)

    async def _go_back(self, run: ChecklistRun) -> list[Reply]:
        checklist = self._checklist(run)
        if run.phase in ("site", "site_duplicate", "site_propose"):
            self._move(run, "site", run.current_question, pending_site_id=None)
            return await self._site_prompt(run, checklist)
        answers = await self._answers(run)
        if run.phase == "review":
            previous = checklist.previous_question(answers, None)
        elif run.current_question:
            previous = checklist.previous_question(answers, run.current_question)
        else:
            previous = None
        if previous is None:
            if checklist.needs_site and run.supersedes_id is None:
                self._move(run, "site", None, site_id=None)
                return await self._site_prompt(run, checklist)
            return [Reply(self.t("at_first_question"))] + await self._prompt(run)
        self._move(run, "question", previous.id, editing=False)
        return await self._question_prompt(run, checklist)

    async def _edit(self, run, checklist: Checklist, question_id: str) -> list[Reply]:
        question = checklist.question(question_id)
        if question is None:
            return await self._stale(run)
        self._move(run, "question", question.id, editing=True)
        return await self._question_prompt(run, checklist)

    async def _submit(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        answers = await self._answers(run)
        missing = checklist.first_unanswered(answers)
        if missing is not None:
            self._move(run, "question", missing.id, editing=True)
            return [Reply(self.t("answer_missing"))] + await self._question_prompt(run, checklist)
        # Answers to questions that no longer apply (an edit changed a condition) go.
        obsolete = checklist.obsolete_answers(answers)
        await runs.delete_answers(self.session, run.id, obsolete)
        note_enterprise(run, {q: a for q, a in answers.items() if q not in obsolete})
        self._forget_answers()
        if run.supersedes_id:
            earlier = await self.session.get(ChecklistRun, run.supersedes_id)
            if earlier is not None and earlier.status == "submitted":
                earlier.status = "superseded"
                self.session.add(earlier)
        run.status = "submitted"
        run.submitted_at = utcnow()
        self._move(run, "review", None)
        when = self._local(run.submitted_at).strftime("%d/%m/%Y %H:%M")
        done = self.t("submitted", title=checklist.title_in(self.lang), when=when)
        if self.inbound.message_ref:
            # The review becomes the record of what was sent: one message, no buttons.
            lines, _choices = await self._review_lines(run, checklist)
            return [Reply("\n".join(lines) + "\n\n" + done, replaces=self.inbound.message_ref)]
        return [Reply(done)]

    async def _discard(self, run: ChecklistRun) -> list[Reply]:
        run.status = "cancelled"
        self._touch(run)
        await self.session.flush()
        return [Reply(self.t("cancelled"))] + await self._menu()
