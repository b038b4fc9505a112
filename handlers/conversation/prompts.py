"""What the person sees next: the menu, the open run's screen (site, "checked
recently", a question, the review)."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers import payloads
from handlers.checklist import Checklist
from handlers.conversation.base import TurnBase
from handlers.conversation.choices import asking_key
from handlers.messages import Choice, Reply
from handlers.question_types import QUESTION_TYPES
from storage import runs
from storage.models import ChecklistRun, Site

# Since ever: the last check of a site, however old, can be reused.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class Prompts(TurnBase):
    async def _menu(self) -> list[Reply]:
        run = await runs.open_run(self.session, self.person.id)
        if run is not None:
            return await self._resume_offer(run)
        allowed = self.engine.checklists.for_person(self.person.role, self.person.department_code)
        if not allowed:
            return [Reply(self.t("menu_none"))]
        by_id = {c.id: c for c in allowed}
        recent = await runs.recent_checks(self.session, self.person.id, list(by_id))
        # One step to a check at a site visited before: what most checks are.
        choices = [
            Choice(
                self.t("recent_site_label", site=site.name, title=by_id[cid].title_in(self.lang)),
                payloads.StartAt(cid, site.id).encode(),
            )
            for site, cid in recent
        ]
        choices += [
            Choice(c.title_in(self.lang), payloads.OpenChecklist(c.id).encode()) for c in allowed
        ]
        key = "menu_recent" if recent else "menu"
        return [Reply(self.t(key, name=self.person.name), choices)]

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
        if run.phase == "site_propose":
            return await self._propose_prompt(run)
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
        hint = self.t("hint_multiple" if kind.toggles else kind.hint_key)
        if hint:
            lines.append(hint)
        if not question.required:
            skip = payloads.Skip(run.id, question.id).encode()
            choices.append(Choice(self.t("button_skip"), skip))
        if position == 1 and not answers:
            choices += await self._reuse_choice(run, checklist)
        if position > 1 or checklist.needs_site:
            choices.append(Choice(self.t("button_back"), payloads.Back(run.id).encode()))
        reply = Reply(
            "\n".join(lines),
            choices,
            expects_number=kind.numeric,
            key=asking_key(run, question.id),
            asks_location=kind.takes_location and self.buttons,
        )
        self._asking[id(reply)] = asking_key(run, question.id)
        return [reply]

    async def _reuse_choice(self, run: ChecklistRun, checklist: Checklist) -> list[Choice]:
        """ "Dùng lại câu trả lời lần trước" on a fresh draft at a site checked before."""
        if not run.site_id or run.supersedes_id:
            return []
        found = await runs.latest_check_since(self.session, checklist.id, run.site_id, EPOCH)
        if found is None:
            return []
        when = self._local(found[0].submitted_at).strftime("%d/%m/%Y")
        reuse = payloads.ReuseAnswers(run.id, found[0].id).encode()
        return [Choice(self.t("button_reuse", when=when), reuse)]

    async def _answered(self, run: ChecklistRun, checklist: Checklist, question) -> Reply:
        """The question's message once answered: the question and the answer, no
        buttons, in place of the prompt (where the channel can edit)."""
        answers = await self._answers(run)
        position, total = checklist.position(question, answers)
        answer = answers.get(question.id)
        if answer is None or answer.skipped:
            shown = self.t("answer_skipped")
        else:
            shown = QUESTION_TYPES[question.type].display(question, answer, self.lang)
        header = self.t("question_header", n=position, total=total)
        text = f"{header}\n{question.wording(self.lang)}\n→ {shown}"
        replaces = self.inbound.message_ref or asking_key(run, question.id)
        return Reply(text, replaces=replaces, edit_only=True)

    async def _review_prompt(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        lines, choices = await self._review_lines(run, checklist)
        lines.append(self.t("review_hint"))
        choices.append(Choice(self.t("button_submit"), payloads.Submit(run.id).encode()))
        return [Reply("\n".join(lines), choices)]

    async def _review_lines(self, run, checklist: Checklist) -> tuple[list[str], list[Choice]]:
        """One line per answer under its short label; ✏️ where it differs from the
        check the draft reused; a "Sửa: <label>" choice per answer."""
        answers = await self._answers(run)
        earlier = (
            await runs.answers_of(self.session, run.reused_from_id) if run.reused_from_id else {}
        )
        site = await self.session.get(Site, run.site_id) if run.site_id else None
        lines = [self.t("review_title", title=checklist.title_in(self.lang))]
        if site:
            lines.append(self.t("review_site", site=site.name))
        choices, changed = [], False
        for question in checklist.relevant_questions(answers):
            answer = answers.get(question.id)
            if answer is None or answer.skipped:
                shown = self.t("answer_skipped")
            else:
                shown = QUESTION_TYPES[question.type].display(question, answer, self.lang)
            label = question.short_label(self.lang)
            mark = ""
            if run.reused_from_id and not same_answer(answer, earlier.get(question.id)):
                mark, changed = "✏️ ", True
            lines.append(f"{mark}{label}: {shown}")
            edit = payloads.Edit(run.id, question.id).encode()
            choices.append(Choice(self.t("button_edit", label=label), edit))
        if changed:
            lines.append(self.t("review_changed"))
        return lines, choices


def pick(run: ChecklistRun, question, code: str) -> str:
    return payloads.Pick(run.id, question.id, code).encode()


def toggle(run: ChecklistRun, question, code: str) -> str:
    return payloads.Toggle(run.id, question.id, code).encode()


def done(run: ChecklistRun, question) -> str:
    return payloads.Done(run.id, question.id).encode()


def same_answer(answer, earlier) -> bool:
    def value(a):
        if a is None or a.skipped:
            return None
        return (a.value_text, a.value_number, a.value_date, a.value_json)

    return value(answer) == value(earlier)
