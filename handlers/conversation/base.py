"""What every part of a turn shares: the session, the person, the language, the run's
answers (read once per turn), and small helpers."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.catalog import LANGUAGES, keys, t
from handlers.checklist import Checklist
from handlers.messages import Inbound, Reply
from handlers.question_types import AnswerContext
from storage import runs
from storage.models import Answer, ChecklistRun, Person, utcnow

if TYPE_CHECKING:
    from handlers.engine import Engine


@cache
def _has_key(language: str, key: str) -> bool:
    return key in keys(language)


class TurnBase:
    """One inbound message being handled, inside the engine's transaction."""

    def __init__(
        self,
        engine: Engine,
        session: AsyncSession,
        inbound: Inbound,
        person: Person | None,
        photo_path: Path | None,
        prepared_report: list[Reply] | None = None,
    ) -> None:
        self.engine = engine
        self.session = session
        self.inbound = inbound
        self.person = person
        self.photo_path = photo_path
        # /summary, /export, /report read before the transaction (engine.prepare).
        self.prepared_report = prepared_report
        self._answers_cache: tuple[int, dict[str, Answer]] | None = None
        # Replies that ask a question of the open run: id(reply) -> "run id:question id".
        self._asking: dict[int, str] = {}
        hint = inbound.language_hint if inbound.language_hint in LANGUAGES else None
        self.lang = person.language if person else (hint or engine.settings.default_language)
        # Buttons (and a location button) on this channel; else texts say "gõ" (type).
        self.buttons = inbound.can_show_buttons

    def t(self, key: str, **values) -> str:
        """The text for ``key``; on a channel without buttons its ``<key>_typed``
        variant when the catalog has one (no "bấm", no location button)."""
        if not self.buttons and _has_key(self.lang, f"{key}_typed"):
            key = f"{key}_typed"
        return t(self.lang, key, **values)

    def count(self, number: int) -> str:
        """A count as the language writes it: 5.000 in Vietnamese, 5,000 in English."""
        return f"{number:,}".replace(",", "." if self.lang == "vi" else ",")

    @property
    def context(self) -> AnswerContext:
        return AnswerContext(self.lang, self.engine.now_local().date())

    async def _answers(self, run: ChecklistRun) -> dict[str, Answer]:
        """The run's answers, read once per turn; writes below keep this copy in step."""
        if self._answers_cache is None or self._answers_cache[0] != run.id:
            self._answers_cache = (run.id, await runs.answers_of(self.session, run.id))
        return self._answers_cache[1]

    def _forget_answers(self) -> None:
        """After writes that bypass ``_save`` (copy, delete): read them again."""
        self._answers_cache = None

    async def _save(self, run: ChecklistRun, question_id: str, **values) -> None:
        answers = await self._answers(run)
        answers[question_id] = await runs.save_answer(
            self.session, run, question_id, existing=answers.get(question_id), **values
        )
        await self.session.flush()

    def _checklist(self, run: ChecklistRun) -> Checklist:
        checklist = self.engine.checklists.get(run.checklist_id)
        if checklist is None:
            raise LookupError(f"checklist {run.checklist_id!r} of run {run.id} is not loaded")
        return checklist

    def _touch(self, run: ChecklistRun) -> None:
        run.updated_at = utcnow()
        self.session.add(run)

    def _move(self, run: ChecklistRun, phase: str, question_id: str | None, **more) -> None:
        """The run's new place (phase, current question, and any other fields)."""
        run.phase, run.current_question = phase, question_id
        for name, value in more.items():
            setattr(run, name, value)
        self._touch(run)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.engine.settings.timezone)
