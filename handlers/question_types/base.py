"""What every question type is: how it reads an answer (typed, pressed, a photo or a
location), what it offers, how it shows and exports a value, which texts it needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handlers.catalog import t
from handlers.questions import Question

if TYPE_CHECKING:
    from storage.models import Answer


class InvalidAnswer(Exception):
    """The input does not fit the question; ``message`` says what is expected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Value:
    """An answer's typed value, matching the Answer table's columns."""

    text: str | None = None
    number: float | None = None
    date: date | None = None
    json: Any = None


@dataclass
class AnswerContext:
    language: str
    today: date


def constraint_failed(question: Question, language: str, default_key: str, **values) -> str:
    if question.constraint_message:
        return question.constraint_message.get(language) or question.constraint_message["vi"]
    return t(language, default_key, **values)


class QuestionType:
    name = ""
    # Typed digits are the answer itself, not the number of a listed choice.
    numeric = False
    # Answered by pressing buttons that toggle (several choices).
    toggles = False
    # Non-text input this type takes as its answer (the channel's photo or location).
    takes_photo = False
    takes_location = False
    # Said when a message holds nothing this type can read (a sticker, a bare photo).
    empty_input_key = "expect_text_input"
    # The texts every type may say; subclasses add their own in ``own_keys``.
    _common_keys = ("expect_text_input", "stale_button", "current_answer", "button_skip")
    own_keys: tuple[str, ...] = ()

    def catalog_keys(self) -> set[str]:
        """Every catalog key this type may look up (the loop test checks each one
        exists in every language)."""
        return {self.hint_key, *self._common_keys, *self.own_keys}

    @property
    def hint_key(self) -> str:
        return f"hint_{self.name}"

    def hint(self, language: str) -> str:
        """The line under the question saying how to answer ("" for none)."""
        return t(language, self.hint_key)

    def validate_definition(self, question: Question) -> None:
        """Raises ChecklistError (without the file's name: the caller adds it) for
        a definition this type cannot work with."""

    def options(self, question: Question, language: str) -> list[tuple[str, str]]:
        """(option code, label) pairs offered as buttons."""
        return []

    def parse(self, question: Question, text: str, context: AnswerContext) -> Value:
        raise InvalidAnswer(t(context.language, f"expect_{self.name}"))

    def parse_option(self, question: Question, code: str, context: AnswerContext) -> Value:
        """A pressed button; the code was offered by ``options``."""
        for option_code, _label in self.options(question, context.language):
            if option_code == code:
                return self.parse(question, code, context)
        raise InvalidAnswer(t(context.language, "stale_button"))

    def from_photo(self, path: Path, context: AnswerContext) -> Value:
        """A photo the channel fetched (only for types that take one)."""
        raise InvalidAnswer(t(context.language, self.empty_input_key))

    def from_location(self, lat: Any, lon: Any, context: AnswerContext) -> Value:
        """A location the channel shared (only for types that take one)."""
        raise InvalidAnswer(t(context.language, self.empty_input_key))

    def valid(self, question: Question, value: Value) -> bool:
        """Whether a value may be stored as this question's answer: checked before
        every write, whatever the input or a (forged) button said."""
        return (
            isinstance(value.text, str)
            and bool(value.text)
            and value.number is None
            and value.date is None
            and value.json is None
        )

    def comparable(self, answer: Answer) -> Any:
        """The value that `relevant` conditions compare with."""
        return answer.value_text

    def display(self, question: Question, answer: Answer, language: str) -> str:
        return answer.value_text or ""

    def export_cell(self, question: Question, answer: Answer, language: str) -> Any:
        """The answer as an Excel cell: text, a number or a date (None for blank)."""
        return answer.value_text
