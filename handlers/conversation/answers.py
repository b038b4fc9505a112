"""Answering the open question: typed text, a photo, a location, a pressed option,
a skip, a tick of a multiple choice. Every value is checked by its type before it
is written."""

from __future__ import annotations

from handlers.checklist import Checklist, Question
from handlers.conversation.base import TurnBase
from handlers.conversation.choices import asking_key
from handlers.messages import Reply
from handlers.question_types import QUESTION_TYPES, InvalidAnswer, QuestionType, Value
from storage import runs
from storage.models import ChecklistRun
from storage.textnorm import fold

SKIP_WORDS = ("bo qua", "skip", "bq")


def is_skip_word(text: str) -> bool:
    return fold(text) in SKIP_WORDS


class Answers(TurnBase):
    async def _in_run(self, run: ChecklistRun, text: str) -> list[Reply]:
        checklist = self._checklist(run)
        if run.phase in ("site", "site_propose"):
            return await self._find_sites(run, checklist, text)
        if run.phase != "question":
            return [Reply(self.t("use_buttons"))] + await self._prompt(run)
        question = checklist.question(run.current_question or "")
        if question is None:
            return await self._advance(run, checklist, after=None)
        kind = QUESTION_TYPES[question.type]
        if not question.required and not self._shared_input(kind) and is_skip_word(text):
            return await self._skip(run)  # typed "bỏ qua", for every type
        too_long = self._too_long(question, text)
        if too_long is not None:
            return too_long + await self._question_prompt(run, checklist)
        try:
            value = await self._read_input(run, question, kind, text)
        except InvalidAnswer as invalid:
            return [Reply(invalid.message)] + await self._question_prompt(run, checklist)
        return await self._store(run, checklist, question, value)

    def _shared_input(self, kind: QuestionType) -> bool:
        """Whether the message carries the photo or location this type takes."""
        return (kind.takes_photo and self.photo_path is not None) or (
            kind.takes_location and self.inbound.location is not None
        )

    async def _read_input(self, run, question: Question, kind: QuestionType, text: str) -> Value:
        """The value the message gives the question; InvalidAnswer says what is wanted."""
        if kind.takes_photo and self.photo_path is not None:
            return kind.from_photo(self.photo_path, self.context)
        if kind.takes_location and self.inbound.location is not None:
            return kind.from_location(*self.inbound.location, self.context)
        if not text:
            # A sticker or an empty message at a choice: say to choose, not to type.
            offers = not kind.numeric and bool(kind.options(question, self.lang) or kind.toggles)
            if not offers:
                raise InvalidAnswer(self.t(kind.empty_input_key))
            sent = "photo" if self.inbound.photo else "location" if self.inbound.location else ""
            raise InvalidAnswer(self.t(f"{sent}_at_choice" if sent else "empty_at_choice"))
        value = kind.parse(question, text, self.context)
        if kind.toggles:
            # Typed names add to what is ticked already, as pressing them would.
            existing = (await self._answers(run)).get(question.id)
            ticked = existing.value_json if existing and not existing.skipped else None
            ticked = [c for c in ticked or [] if question.option(c) is not None]
            value = Value(json=kind.ordered(question, ticked + value.json))
        return value

    def _too_long(self, question: Question, text: str) -> list[Reply] | None:
        """A note over its limit: its length and the limit, and the text itself sent
        back as its own message, so the inspector shortens it instead of retyping it."""
        limit = question.constraint.get("max_length") if question.type == "text" else None
        if not limit or len(text) <= limit:
            return None
        said = self.t("note_too_long", length=self.count(len(text)), limit=self.count(limit))
        return [Reply(said), Reply(text)]

    async def _store(self, run, checklist, question: Question, value: Value) -> list[Reply]:
        if not QUESTION_TYPES[question.type].valid(question, value):
            return await self._stale(run)  # never stored, whatever a payload said
        await self._save(
            run,
            question.id,
            value_text=value.text,
            value_number=value.number,
            value_date=value.date,
            value_json=value.json,
        )
        return await self._answered_then_next(run, checklist, question)

    async def _answered_then_next(self, run, checklist, question: Question) -> list[Reply]:
        """The answered question's record (in place of its prompt), then what is next."""
        record = await self._answered(run, checklist, question)
        return [record] + await self._advance(run, checklist, after=question.id)

    async def _skip(self, run: ChecklistRun) -> list[Reply]:
        checklist = self._checklist(run)
        question = checklist.question(run.current_question or "")
        if question is None or question.required:
            return [Reply(self.t("cannot_skip"))] + await self._prompt(run)
        await self._save(run, question.id, skipped=True)
        return await self._answered_then_next(run, checklist, question)

    async def _toggle(
        self, run, checklist: Checklist, question: Question, code: str
    ) -> list[Reply]:
        answers = await self._answers(run)
        existing = answers.get(question.id)
        chosen = list((existing.value_json or []) if existing else [])
        if code == "_done":
            if not chosen:
                again = await self._question_prompt(run, checklist)
                return [Reply(self.t("expect_select_multiple"))] + again
            return await self._answered_then_next(run, checklist, question)
        if question.option(code) is None:
            return await self._stale(run)
        chosen = [c for c in chosen if question.option(c) is not None]
        chosen = [c for c in chosen if c != code] if code in chosen else chosen + [code]
        if not chosen:  # the last tick undone: no answer rather than an empty one
            if existing is not None:
                await runs.delete_answers(self.session, run.id, [question.id])
                self._forget_answers()
            return self._in_place(await self._question_prompt(run, checklist), run, question)
        # Kept in the options' order, so exports read the same whatever the tapping order.
        ordered = QUESTION_TYPES[question.type].ordered(question, chosen)
        await self._save(run, question.id, value_json=ordered)
        return self._in_place(await self._question_prompt(run, checklist), run, question)

    def _in_place(self, replies: list[Reply], run, question: Question) -> list[Reply]:
        """A tick redraws the question in its own message, not in a new copy."""
        replies[0].replaces = self.inbound.message_ref or asking_key(run, question.id)
        return replies
