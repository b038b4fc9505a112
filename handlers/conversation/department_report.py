"""The department's annual report in the chat: /baocao (or the reminder's "Lập
báo cáo") opens the form where it stopped; answers are kept as they come (a long
answer over several messages until "Xong"); submitting confirms the report, so its
reminders stop. The head may name another person to fill it in; KTATMT (admins)
see every department's report, get its DOCX and can send it back with a comment.

A mixin placed before Commands and Choices: it takes /baocao, its own ``dr:``
payloads and, while a person is filling the form, their typed text; anything else
pauses the form and goes on to the rest of the turn."""

from __future__ import annotations

from handlers.catalog import LANGUAGES, t
from handlers.conversation.base import TurnBase
from handlers.messages import Choice, Reply, reply_to_json
from handlers.report_forms import screens
from handlers.report_forms.flow import Walk
from handlers.report_forms.form import load_form
from storage import dept_reports, inbox, people, runs
from storage.models import Department, DeptReport, Person
from storage.textnorm import fold

COMMAND = "/baocao"
# Keys of the cursor this module keeps beside the flow's own.
_OWN = ("by", "known", "return_by")
_TEXT = "dr:text"  # the typed text is the form's input (never sent as a choice)
# What the remembered screen says is being asked: the form, or KTATMT's comment. A
# turn looks at it before any query of its own (the screen is read for every typed
# message anyway), so a checklist turn costs no extra statement.
FORM_SCREEN, COMMENT_SCREEN = "dr:form", "dr:comment"


class DepartmentReports(TurnBase):
    # --- routing -------------------------------------------------------------------

    async def _screen_asks(self) -> str | None:
        return (await runs.offered_screen(self.session, self.person.id)).question

    async def _command(self, text: str) -> list[Reply]:
        command, _, argument = text.partition(" ")
        if command.lower().split("@")[0] == COMMAND:
            return await self._dr_command(argument.strip())
        if await self._screen_asks() == FORM_SCREEN:
            await self._dr_pause()
        return await super()._command(text)

    async def _cmd_help(self, argument: str) -> list[Reply]:
        replies = await super()._cmd_help(argument)
        key = {"head": "dr_help_head", "admin": "dr_help_admin"}.get(self.person.role)
        if key:
            replies[-1].text += "\n" + self.t(key)
        return replies

    async def _typed_report_done(self, text: str) -> str | None:
        asks = await self._screen_asks()
        if asks == COMMENT_SCREEN and await self._dr_awaiting_comment() is not None:
            return _TEXT
        if fold(text) in {fold(t(lang, "button_report_form")) for lang in LANGUAGES}:
            return screens.payload("op", self.engine.now_local().year)
        report = await self._dr_active() if asks == FORM_SCREEN else None
        if report is None:
            return await super()._typed_report_done(text)
        return await self._dr_typed_pick(report, text)

    async def _button(self, payload: str, run) -> list[Reply]:
        if payload == _TEXT:
            return await self._dr_text()
        read = screens.read_payload(payload)
        if read is None:
            if await self._screen_asks() == FORM_SCREEN:
                await self._dr_pause()
            return await super()._button(payload, run)
        kind, value = read
        if kind == "c":
            report = await self._dr_active()
            if report is None:
                return [Reply(self.t("stale_button"))] + await self._current_prompt()
            return await self._dr_step(report, code=value)
        if kind == "op":
            return await self._dr_open(value)
        if kind == "dg":
            return await self._dr_delegate(value)
        if kind == "rt":
            return await self._dr_ask_comment(value)
        return await self._dr_file(value)

    # --- finding the report --------------------------------------------------------

    async def _dr_rows(self) -> list[DeptReport]:
        year = self.engine.now_local().year
        rows = []
        for y in (year - 1, year, year + 1):
            rows += await dept_reports.year_reports(self.session, y)
        return rows

    async def _dr_active(self) -> DeptReport | None:
        """The report this person is filling in now (opened and not paused)."""
        for report in await self._dr_rows():
            if report.status != "submitted" and report.cursor.get("by") == self.person.id:
                return report
        return None

    async def _dr_awaiting_comment(self) -> DeptReport | None:
        for report in await self._dr_rows():
            if report.cursor.get("return_by") == self.person.id:
                return report
        return None

    async def _dr_pause(self) -> None:
        report = await self._dr_active()
        if report is not None:
            cursor = {k: v for k, v in report.cursor.items() if k != "by"}
            dept_reports.keep(report, report.answers, cursor)
            self.session.add(report)

    def _dr_department_of(self, person: Person, rows: list[DeptReport], year: int) -> str | None:
        """Whose report this person may fill: their own department's as its head (or
        an admin of it), or the one they were named for."""
        named = next((r for r in rows if r.year == year and r.delegate_id == person.id), None)
        if named is not None:
            return named.department_code
        if person.role in ("head", "admin"):
            return person.department_code
        return None

    async def _dr_department_name(self, code: str) -> str:
        department = await self.session.get(Department, code)
        if department is None:
            return code
        return department.name_en if self.lang == "en" else department.name_vi

    # --- the form ------------------------------------------------------------------

    def _dr_walk(self, report: DeptReport) -> Walk:
        flow_cursor = {k: v for k, v in report.cursor.items() if k not in _OWN}
        known = report.cursor.get("known", {})
        return Walk(load_form(), report.department_code, report.answers, flow_cursor, known)

    async def _dr_screen(self, report: DeptReport, walk: Walk, lead: list[str]) -> list[Reply]:
        name = await self._dr_department_name(report.department_code)
        head = {"year": report.year, "department": name}
        reply = screens.prompt_reply(walk, walk.prompt(), self.lang, head)
        self._asking[id(reply)] = FORM_SCREEN
        if lead:
            reply.text = "\n".join([*lead, reply.text])
        return [reply]

    async def _dr_open(self, year: int) -> list[Reply]:
        from handlers.report_forms.figures import known_figures

        now_year = self.engine.now_local().year
        if year not in range(now_year - 1, now_year + 2):
            return [Reply(self.t("stale_button"))]
        department = self._dr_department_of(self.person, await self._dr_rows(), year)
        if department is None:
            return [Reply(self.t("dr_not_yours"))]
        report = await dept_reports.open_report(self.session, department, year)
        name = await self._dr_department_name(department)
        if report.status == "submitted":
            day = self._local(report.submitted_at).strftime("%d/%m/%Y")
            return [Reply(self.t("dr_already_submitted", year=year, department=name, date=day))]
        await self._dr_pause()
        fresh = not report.cursor and not report.answers
        cursor = dict(report.cursor)
        if "known" not in cursor:
            settings = self.engine.report_settings
            cursor["known"] = await known_figures(self.session, department, year, settings)
        cursor["by"] = self.person.id
        dept_reports.keep(report, report.answers, cursor)
        self.session.add(report)
        lead = [self.t("dr_opened" if fresh else "dr_resumed", year=year, department=name)]
        if report.status == "returned" and report.return_comment:
            lead.append(self.t("dr_returned_note", comment=report.return_comment))
        return await self._dr_screen(report, self._dr_walk(report), lead)

    async def _dr_typed_pick(self, report: DeptReport, text: str) -> str:
        """A typed number or label picks a choice of the form's screen, except where
        the digits are the answer itself (a number question, a document field)."""
        from handlers.conversation.choices import as_number, pick_by_label

        screen = await runs.offered_screen(self.session, self.person.id)
        ours = [(p, label) for p, label in screen.choices if p.startswith("dr:c:")]
        walk = self._dr_walk(report)
        question = walk.question
        number = as_number(text)
        digits_answer = question is not None and (
            question.type == "integer" or (question.type == "group" and "f" in walk.cursor)
        )
        if number is not None and not digits_answer and 1 <= number <= len(ours):
            return ours[number - 1][0]
        return pick_by_label(text, ours) or _TEXT

    async def _dr_text(self) -> list[Reply]:
        text = (self.inbound.text or "").strip()
        waiting = await self._dr_awaiting_comment()
        if waiting is not None:
            return await self._dr_send_back(waiting, text)
        report = await self._dr_active()
        if report is None:
            return [Reply(self.t("no_open_run"))] + await self._menu()
        return await self._dr_step(report, text=text)

    async def _dr_step(self, report: DeptReport, text=None, code=None) -> list[Reply]:
        walk = self._dr_walk(report)
        if walk.at_review and code == "submit":
            return await self._dr_submit(report)
        lead_key, values = walk.step(text=text, code=code)
        own = {k: v for k, v in report.cursor.items() if k in _OWN}
        dept_reports.keep(report, walk.answers, {**walk.cursor, **own})
        self.session.add(report)
        lead = [self.t(lead_key, **values)] if lead_key else []
        return await self._dr_screen(report, walk, lead)

    async def _dr_submit(self, report: DeptReport) -> list[Reply]:
        await dept_reports.submit(self.session, report, self.person.id)
        name = await self._dr_department_name(report.department_code)
        return [Reply(self.t("dr_submitted", year=report.year, department=name))]

    # --- /baocao: heads, delegates, KTATMT -----------------------------------------

    async def _dr_command(self, argument: str) -> list[Reply]:
        year = self.engine.now_local().year
        words = argument.split()
        if words and words[0].isdigit() and len(words[0]) == 4:
            year = int(words.pop(0))
        if words and fold(words[0]) in ("giao", "delegate") and self.person.role == "head":
            return await self._dr_delegate_pick(year)
        if self.person.role == "admin":
            return await self._dr_list(year)
        return await self._dr_open(year)

    async def _dr_delegate_pick(self, year: int) -> list[Reply]:
        colleagues = [
            person
            for person, _accounts in await people.list_people(self.session)
            if person.department_code == self.person.department_code
            and person.active
            and person.id != self.person.id
        ]
        if not colleagues:
            return [Reply(self.t("dr_delegate_none"))]
        await dept_reports.open_report(self.session, self.person.department_code, year)
        choices = [Choice(p.name, screens.payload("dg", p.id)) for p in colleagues[:20]]
        return [Reply(self.t("dr_delegate_pick", year=year), choices)]

    async def _dr_delegate(self, person_id: int) -> list[Reply]:
        chosen = await self.session.get(Person, person_id)
        year = self.engine.now_local().year
        if (
            self.person.role != "head"
            or chosen is None
            or chosen.department_code != self.person.department_code
        ):
            return [Reply(self.t("stale_button"))]
        report = await dept_reports.open_report(self.session, self.person.department_code, year)
        report.delegate_id = chosen.id
        self.session.add(report)
        name = await self._dr_department_name(report.department_code)
        told = t(chosen.language, "dr_delegate_told", year=year, department=name)
        await self._dr_tell(chosen, Reply(told))
        return [Reply(self.t("dr_delegate_done", name=chosen.name, year=year))]

    async def _dr_tell(self, person: Person, reply: Reply) -> None:
        """A message to someone other than the sender, on each of their messengers
        (through the outbox, so it leaves only if this turn commits)."""
        for account in await people.accounts_of(self.session, person.id):
            inbox.add_replies(
                self.session,
                account.channel,
                account.external_id,
                person.language,
                [reply_to_json(reply)],
            )

    async def _dr_list(self, year: int) -> list[Reply]:
        from handlers.conversation.department_review import report_list

        return await report_list(self, year)

    async def _dr_ask_comment(self, report_id: int) -> list[Reply]:
        from handlers.conversation.department_review import ask_comment

        return await ask_comment(self, report_id)

    async def _dr_send_back(self, report: DeptReport, comment: str) -> list[Reply]:
        from handlers.conversation.department_review import send_back

        return await send_back(self, report, comment)

    async def _dr_file(self, report_id: int) -> list[Reply]:
        from handlers.conversation.department_review import report_file

        return await report_file(self, report_id)
