"""What the person sees next: the menu, the open run's screen (site, "checked
recently", a question, the review)."""

from __future__ import annotations

from handlers import payloads
from handlers.checklist import Checklist
from handlers.conversation.base import TurnBase
from handlers.conversation.choices import asking_key
from handlers.messages import Choice, Reply
from handlers.question_types import QUESTION_TYPES
from storage import runs
from storage.models import ChecklistRun, Site


class Prompts(TurnBase):
    async def _menu(self) -> list[Reply]:
        run = await runs.open_run(self.session, self.person.id)
        if run is not None:
            return await self._resume_offer(run)
        allowed = self.engine.checklists.for_person(self.person.role, self.person.department_code)
        if not allowed:
            return [Reply(self.t("menu_none"))]
        choices = [
            Choice(c.title_in(self.lang), payloads.OpenChecklist(c.id).encode()) for c in allowed
        ]
        return [Reply(self.t("menu", name=self.person.name), choices)]

    async def _resume_offer(self, run: ChecklistRun) -> list[Reply]:
        checklist = self._checklist(run)
        site = await self.session.get(Site, run.site_id) if run.site_id else None
        text = self.t(
            "resume_offer",
            title=checklist.title_in(self.lang),
            site=site.name if site else "—",
            started=self._local(run.started_at).strftime("%d/%m/%Y %H:%M"),
        )
        choices = [
            Choice(self.t("button_resume"), payloads.ResumeRun(run.id).encode()),
            Choice(self.t("button_discard"), payloads.DiscardRun(run.id).encode()),
        ]
        return [Reply(text, choices)]

    async def _current_prompt(self) -> list[Reply]:
        if self.person is None:
            return []
        run = await runs.open_run(self.session, self.person.id)
        return await self._prompt(run) if run else []

    async def _prompt(self, run: ChecklistRun) -> list[Reply]:
        checklist = self._checklist(run)
        if run.phase == "site":
            return await self._site_prompt(run, checklist)
        if run.phase == "site_duplicate":
            return await self._duplicate_prompt(run, checklist)
        if run.phase == "review":
            return await self._review_prompt(run, checklist)
        return await self._question_prompt(run, checklist)

    async def _question_prompt(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        question = checklist.question(run.current_question or "")
        if question is None:  # the file changed under an open draft: move on
            return await self._advance(run, checklist, after=None)
        answers = await self._answers(run)
        kind = QUESTION_TYPES[question.type]
        position, total = checklist.position(question, answers)
        lines = [self.t("question_header", n=position, total=total), question.wording(self.lang)]
        existing = answers.get(question.id)
        if kind.toggles:
            chosen = set((existing.value_json or []) if existing else [])
            choices = [
                Choice(("✅ " if code in chosen else "▫️ ") + label, toggle(run, question, code))
                for code, label in kind.options(question, self.lang)
            ]
            choices.append(Choice(self.t("button_done"), done(run, question)))
        else:
            choices = [
                Choice(label, pick(run, question, code))
                for code, label in kind.options(question, self.lang)
            ]
            answered = existing is not None and not existing.skipped
            shown = kind.display(question, existing, self.lang) if answered else ""
            if shown:
                lines.append(self.t("current_answer", value=shown))
        hint = kind.hint(self.lang)
        if hint:
            lines.append(hint)
        if not question.required:
            skip = payloads.Skip(run.id, question.id).encode()
            choices.append(Choice(self.t("button_skip"), skip))
        if position > 1 or checklist.needs_site:
            choices.append(Choice(self.t("button_back"), payloads.Back(run.id).encode()))
        reply = Reply("\n".join(lines), choices, expects_number=kind.numeric)
        self._asking[id(reply)] = asking_key(run, question.id)
        return [reply]

    async def _review_prompt(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        answers = await self._answers(run)
        site = await self.session.get(Site, run.site_id) if run.site_id else None
        lines = [self.t("review_title", title=checklist.title_in(self.lang))]
        if site:
            lines.append(self.t("review_site", site=site.name))
        choices = []
        for number, question in enumerate(checklist.relevant_questions(answers), 1):
            answer = answers.get(question.id)
            if answer is None or answer.skipped:
                shown = self.t("answer_skipped")
            else:
                shown = QUESTION_TYPES[question.type].display(question, answer, self.lang)
            lines.append(f"{number}. {question.wording(self.lang)}\n   → {shown}")
            edit = payloads.Edit(run.id, question.id).encode()
            choices.append(Choice(self.t("button_edit", n=number), edit))
        lines.append(self.t("review_hint"))
        choices.append(Choice(self.t("button_submit"), payloads.Submit(run.id).encode()))
        return [Reply("\n".join(lines), choices)]


def pick(run: ChecklistRun, question, code: str) -> str:
    return payloads.Pick(run.id, question.id, code).encode()


def toggle(run: ChecklistRun, question, code: str) -> str:
    return payloads.Toggle(run.id, question.id, code).encode()


def done(run: ChecklistRun, question) -> str:
    return payloads.Done(run.id, question.id).encode()
