"""A question as a checklist file defines it: plain data, no behaviour of its own.

Kept apart from checklist.py so that question_types.py (which reads these fields)
and checklist.py (which needs the types to load and to weigh conditions) import it
and not each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ChecklistError(Exception):
    """A checklist file that cannot be used; the message names file and question."""


@dataclass(frozen=True)
class Option:
    id: str
    label: dict[str, str]

    def label_in(self, language: str) -> str:
        return self.label.get(language) or self.label["vi"]


@dataclass(frozen=True)
class Condition:
    question_id: str
    operator: str
    value: str

    def holds(self, answer_value: Any) -> bool:
        if self.operator == "contains":
            return isinstance(answer_value, list) and self.value in answer_value
        if self.operator == "==":
            return answer_value == self.value
        return answer_value is not None and answer_value != self.value


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: dict[str, str]
    required: bool = True
    relevant: tuple[Condition, ...] = ()
    options: tuple[Option, ...] = ()
    constraint: dict[str, Any] = field(default_factory=dict)
    constraint_message: dict[str, str] = field(default_factory=dict)
    quick: tuple[float, ...] = ()
    # A few words for the review screen and its "Sửa: …" choices; the wording if none.
    short: dict[str, str] = field(default_factory=dict)

    def wording(self, language: str) -> str:
        return self.text.get(language) or self.text["vi"]

    def short_label(self, language: str) -> str:
        return self.short.get(language) or self.short.get("vi") or self.wording(language)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)
