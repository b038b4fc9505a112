"""A turn: one inbound message, routed to the job it is for."""

from __future__ import annotations

from handlers.conversation.answers import Answers
from handlers.conversation.choices import Choices
from handlers.conversation.commands import Commands
from handlers.conversation.corrections import Corrections
from handlers.conversation.department_report import DepartmentReports
from handlers.conversation.navigation import Navigation
from handlers.conversation.privacy import Privacy
from handlers.conversation.prompts import Prompts
from handlers.conversation.registration import Registration
from handlers.conversation.review import Review
from handlers.conversation.sites import Sites
from handlers.messages import Reply
from storage import runs
from storage.textnorm import clean_text

# Longest text we look at: anything longer is refused before parsing.
MAX_INPUT = 4000


class Turn(
    Review,
    Corrections,
    Registration,
    Privacy,
    DepartmentReports,
    Commands,
    Choices,
    Sites,
    Answers,
    Navigation,
    Prompts,
):
    """One inbound message being handled (see handlers/conversation/__init__.py)."""

    async def dispatch(self) -> list[Reply]:
        replies = await self._dispatch()
        if self.person is not None:
            await self._remember_screen(replies)
        return replies

    async def _remember_screen(self, replies: list[Reply]) -> None:
        """What a typed number or label will mean next time: the choices of this turn's
        replies, numbered in a row, and whether the last reply asks a question. A turn
        that shows neither (/help, /my) leaves the previous screen in place."""
        choices = [(c.payload, c.label) for r in replies for c in r.choices]
        asking = self._asking.get(id(replies[-1])) if replies else None
        if choices or asking:
            await runs.remember_screen(self.session, self.person.id, choices, asking)

    async def _dispatch(self) -> list[Reply]:
        text = clean_text(self.inbound.text or "").strip()
        if len(text) > MAX_INPUT:
            # The text goes back as it came, so the inspector can shorten it, not retype it.
            length, limit = self.count(len(text)), self.count(MAX_INPUT)
            refused = Reply(self.t("too_long", length=length, limit=limit))
            return [refused, Reply(text)] + await self._current_prompt()
        if self.person is None:
            return await self._stranger(text)
        if not self.person.active:
            return [Reply(self.t("account_inactive"))]
        if await self._awaiting_consent():  # the privacy notice comes first
            return await self._consent_turn(text)
        if text.startswith("/"):
            return await self._command(text)
        # One lookup of the open run serves the typed-choice, button and answer paths.
        run = await runs.open_run(self.session, self.person.id)
        inbound_payload = self.inbound.payload
        payload = clean_text(inbound_payload) if inbound_payload is not None else None
        if payload is None and text:
            payload = await self._typed_report_done(text)
            if payload is None:
                picked = await self._typed_choice(text, run)
                if isinstance(picked, list):
                    return picked
                payload = picked
        if payload is not None:
            return await self._button(payload, run)
        if run is None:
            return [Reply(self.t("no_open_run"))] + await self._menu()
        return await self._in_run(run, text)
