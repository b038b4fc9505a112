"""What a pressed button or a typed choice means: one decoded payload, routed to the
job it asks for, or refused as stale when it does not fit the open run exactly."""

from __future__ import annotations

import re

from handlers import payloads as p
from handlers.catalog import LANGUAGES, t
from handlers.conversation.base import TurnBase
from handlers.messages import Choice, Reply
from handlers.question_types import QUESTION_TYPES, InvalidAnswer, parse_number
from storage import reminders, runs
from storage.models import ChecklistRun, Deadline, Department
from storage.textnorm import fold


def as_number(text: str) -> int | None:
    """A typed choice number; None for anything else (int() reads "²" too)."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def pick_by_label(text: str, choices: list[tuple[str, str]]) -> str | None:
    """The payload of the first choice whose label is the typed text, accents, case,
    marks (✅, «) and punctuation optional."""
    folded = fold(text)
    if not folded:
        return None
    return next((payload for payload, label in choices if fold(label) == folded), None)


def asking_key(run: ChecklistRun, question_id: str) -> str:
    """How an offered screen remembers which question it asks."""
    return f"{run.id}:{question_id}"


class Choices(TurnBase):
    async def _typed_report_done(self, text: str) -> str | None:
        """ "Đã nộp báo cáo" typed (where there are no buttons) confirms the report of
        the newest reminder this person got, whatever checklist is open."""
        if fold(text) not in {fold(t(language, "button_report_done")) for language in LANGUAGES}:
            return None
        pending = await reminders.latest_unconfirmed_reminder(self.session, self.person.id)
        if pending is None:
            return None
        deadline_id, department, year = pending
        return p.ConfirmReport(deadline_id, year, department).encode()

    async def _typed_choice(self, text: str, run: ChecklistRun | None) -> str | list[Reply] | None:
        """A typed answer on a channel without buttons (or typed instead of pressing):
        the payload of the offered choice it names, None when it is the answer to the
        open question (or a site search), or replies asking to pick from the screen.

        A number answers the prompt on screen: the n-th offered choice, except when the
        screen is a numeric or free-text question, where the digits are the answer. On
        another screen over an open question (resume, cancel), input that picks none of
        its choices is refused rather than stored as the answer behind it."""
        screen = await runs.offered_screen(self.session, self.person.id)
        number = as_number(text)
        if screen.legacy:  # remembered before labels were: as it was read then
            return self._legacy_typed_choice(number, run, screen.payloads)
        question = None
        if run is not None and run.phase == "question" and run.current_question:
            question = self._checklist(run).question(run.current_question)
        if question is not None and screen.question == asking_key(run, question.id):
            return self._typed_at_question(text, number, question, screen.choices)
        if number is not None and 1 <= number <= len(screen.choices):
            return screen.choices[number - 1][0]
        picked = pick_by_label(text, screen.choices)
        if picked is not None or question is None or not screen.choices:
            return picked
        # The question is behind another screen: say what this one offers, again.
        offered = [Choice(label, payload) for payload, label in screen.choices]
        return [Reply(self.t("typed_not_offered", count=len(offered)), offered)]

    @staticmethod
    def _typed_at_question(text, number, question, choices) -> str | None:
        kind = QUESTION_TYPES[question.type]
        if question.type == "text":
            return None  # a note "1" is the note (typed "bỏ qua" still skips)
        if kind.numeric and (number is not None or parse_number(text) is not None):
            return None
        if number is not None:
            return choices[number - 1][0] if number - 1 < len(choices) else None
        # Option names go to the question's own reading (every language, several
        # names for a multiple choice); Xong, Bỏ qua, « Quay lại by their names.
        moves = [c for c in choices if not p.answers_the_question(p.decode(c[0]))]
        return pick_by_label(text, moves)

    def _legacy_typed_choice(
        self, number: int | None, run: ChecklistRun | None, offered: list[str]
    ) -> str | None:
        if number is None:
            return None
        if run is not None and run.phase == "question":
            question = self._checklist(run).question(run.current_question or "")
            if question and (QUESTION_TYPES[question.type].numeric or question.type == "text"):
                return None
        index = number - 1
        return offered[index] if 0 <= index < len(offered) else None

    async def _button(self, data: str, run: ChecklistRun | None) -> list[Reply]:
        """Every payload names the run it belongs to; a payload that does not fit the
        open run exactly (old question, other person's run, garbage) writes nothing."""
        payload = p.decode(data)
        if isinstance(payload, p.OpenChecklist | p.StartAt):
            site_id = payload.site_id if isinstance(payload, p.StartAt) else None
            replies = await self._start_checklist(payload.checklist_id, site_id)
            return self._replacing_pressed(replies)
        if isinstance(payload, p.ConfirmReport):
            # A reminder's "report submitted": answered without touching an open checklist.
            return await self._confirm_report(payload)
        if run is None or payload is None or getattr(payload, "run_id", None) != run.id:
            return await self._stale(run)
        replies = await self._run_button(payload, run)
        if replies is None:
            return await self._stale(run)
        return self._replacing_pressed(replies)

    def _replacing_pressed(self, replies: list[Reply]) -> list[Reply]:
        """A pressed choice's answer takes the place of the message pressed (where the
        channel can edit), unless the turn already says what it replaces. A refusal
        (an old, forged or closed choice) does not: the pressed message stays as it was
        and the open question follows, as for every other stale press."""
        ref = self.inbound.message_ref
        stale = bool(replies) and replies[0].text == self.t("stale_button")
        if ref and replies and not stale and not any(r.replaces for r in replies):
            replies[0].replaces = ref
        return replies

    async def _run_button(self, payload: p.Payload, run: ChecklistRun) -> list[Reply] | None:
        """The replies to a button of the open run; None when it does not fit its phase."""
        checklist = self._checklist(run)
        phase = run.phase
        match payload:
            case p.ResumeRun():
                return await self._prompt(run)
            case p.DiscardRun() | p.ConfirmCancel():
                return await self._discard(run)
            case p.KeepRun():
                return [Reply(self.t("cancel_kept"))] + await self._prompt(run)
            case p.Back():
                return await self._go_back(run)
            case p.PickSite(site_id=site_id) if phase == "site" and site_id:
                return await self._pick_site(run, checklist, site_id)
            case p.SitePage(page=page, query=query) if phase == "site" and 0 < page < 100:
                return await self._find_sites(run, checklist, query, page)
            case p.ProposeSite() if phase == "site":
                return await self._propose_prompt(run)
            case p.NotThisSite() if run.site_id and not run.supersedes_id:
                return await self._not_this_site(run, checklist)
            case p.ReuseAnswers(source_id=source_id) if phase == "question" and run.site_id:
                return await self._reuse(run, checklist, source_id)
            case p.UpdateCheck() | p.NewCheck() if phase == "site_duplicate":
                update = isinstance(payload, p.UpdateCheck)
                return await self._resolve_duplicate(run, checklist, update)
            case p.Edit(question_id=question_id) if phase == "review":
                return await self._edit(run, checklist, question_id)
            case p.Submit() if phase == "review":
                return await self._submit(run, checklist)
            case p.Skip() | p.Pick() | p.Done() | p.Toggle() if (
                phase == "question" and payload.question_id == run.current_question
            ):
                return await self._question_button(payload, run, checklist)
        return None

    async def _question_button(self, payload, run, checklist) -> list[Reply] | None:
        question = checklist.question(payload.question_id)
        if question is None:
            return None
        kind = QUESTION_TYPES[question.type]
        # A toggle only on a multiple choice; a single answer only elsewhere.
        if isinstance(payload, p.Done | p.Toggle):
            if not kind.toggles:
                return None
            code = "_done" if isinstance(payload, p.Done) else payload.code
            return await self._toggle(run, checklist, question, code)
        if isinstance(payload, p.Skip):
            return await self._skip(run)
        if kind.toggles:
            return None
        try:
            value = kind.parse_option(question, payload.code, self.context)
        except InvalidAnswer:
            return None
        return await self._store(run, checklist, question, value)

    async def _confirm_report(self, payload: p.ConfirmReport) -> list[Reply]:
        deadline = await self.session.get(Deadline, payload.deadline_id)
        sane_years = range(
            self.engine.settings.targets.start_year, self.engine.now_local().year + 2
        )
        department = payload.department
        division = await self.session.get(Department, department)
        if deadline is None or payload.year not in sane_years or division is None:
            return await self._stale(await runs.open_run(self.session, self.person.id))
        if self.person.role != "admin" and not (
            self.person.role == "head" and self.person.department_code == department
        ):
            return [Reply(self.t("report_not_yours"))]
        _row, created = await reminders.confirm_report(
            self.session, deadline.id, department, payload.year, self.person.id
        )
        title = deadline.title_en if self.lang == "en" else deadline.title_vi
        name = division.name_en if self.lang == "en" else division.name_vi
        key = "report_confirmed" if created else "report_already_confirmed"
        return [Reply(self.t(key, department=name, title=title, year=payload.year))]

    async def _stale(self, run: ChecklistRun | None) -> list[Reply]:
        replies = [Reply(self.t("stale_button"))]
        return replies + (await self._prompt(run) if run else await self._menu())
