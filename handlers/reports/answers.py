"""An answer as workbook cells and as text for the Word annexes.

A question is one column, except where a spreadsheet filters better with more: a
multiple choice becomes one 0/1 column per option, a location two number columns
(latitude, longitude). Headers are the checklist's short labels."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from handlers.catalog import t
from handlers.checklist import Question
from handlers.question_types import QUESTION_TYPES, format_number
from handlers.reports.formatting import day_text

# Asides that help on a phone but not above a column: "(hoặc bấm Bỏ qua)",
# "(or press Skip)", "(dd/mm/yyyy)" (the cell is a date). "(%)" stays: it is the unit.
_ASIDE = re.compile(r"\s*\((?:hoặc bấm|or press|dd/mm/yyyy)[^)]*\)", re.IGNORECASE)
COORDINATES = "0.000000"


def number_cell(value: float | None) -> int | float | None:
    """A stored number as a cell: whole numbers as integers (1, not 1.0)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _stored_value(answer: Any) -> Any:
    """Without a question definition (removed from the checklist since) the stored
    column decides."""
    if answer.value_date is not None:
        return answer.value_date
    if answer.value_number is not None:
        return number_cell(answer.value_number)
    if isinstance(answer.value_json, list):
        return "; ".join(str(item) for item in answer.value_json)
    if isinstance(answer.value_json, dict) and {"lat", "lon"} <= set(answer.value_json):
        return f"{answer.value_json['lat']:.5f}, {answer.value_json['lon']:.5f}"
    if answer.value_json is not None:
        return str(answer.value_json)
    return answer.value_text


def answer_value(question: Question | None, answer: Any, language: str = "vi") -> Any:
    """An answer as one cell value, as its question type exports it (labels for
    choices, numbers as numbers, dates as dates, photo file names); the stored
    column for a question the checklist no longer has."""
    if answer is None:
        return None
    kind = QUESTION_TYPES.get(question.type) if question is not None else None
    if kind is None:
        return _stored_value(answer)
    return kind.export_cell(question, answer, language)


def answer_text(question: Question | None, answer: Any, language: str = "vi") -> str:
    """An answer as text for the Word annexes (dates dd/mm/yyyy, numbers 1.200)."""
    value = answer_value(question, answer, language)
    if value is None:
        return ""
    if isinstance(value, date):
        return day_text(value)
    if isinstance(value, int | float):
        shown = format_number(value, language)
        return f"{shown}%" if question is not None and question.type == "percent" else shown
    return str(value)


def column_header(question: Question, language: str) -> str:
    """The question's short label (``short`` in the checklist file), else its wording
    without the asides meant for the chat."""
    short = getattr(question, "short", None) or {}
    label = short.get(language) or short.get("vi")
    return label or " ".join(_ASIDE.sub("", question.wording(language)).split())


@dataclass(frozen=True)
class AnswerColumn:
    """One workbook column of a question's answers."""

    question_id: str
    header: str
    value: Callable[[Any], Any]  # the stored answer (or None) -> the cell
    number_format: str | None = None
    width: int = 24
    location: bool = False  # left out of a workbook without personal data


def _chosen(code: str) -> Callable[[Any], int | None]:
    def value(answer: Any) -> int | None:
        if answer is None or not isinstance(answer.value_json, list):
            return None
        return 1 if code in answer.value_json else 0

    return value


def _coordinate(axis: str) -> Callable[[Any], float | None]:
    def value(answer: Any) -> float | None:
        place = getattr(answer, "value_json", None)
        return float(place[axis]) if isinstance(place, dict) and axis in place else None

    return value


def answer_columns(question_id: str, question: Question | None, lang: str) -> list[AnswerColumn]:
    """The columns of one question: one, or one per option, or latitude and longitude."""
    if question is None:
        return [AnswerColumn(question_id, question_id, lambda answer: answer_value(None, answer))]
    header = column_header(question, lang)

    def part(name: str) -> str:
        return t(lang, "rep_col_part", question=header, part=name)

    if question.type == "select_multiple" and question.options:
        return [
            AnswerColumn(question_id, part(option.label_in(lang)), _chosen(option.id), width=14)
            for option in question.options
        ]
    if question.type == "location":
        return [
            AnswerColumn(
                question_id,
                part(t(lang, f"rep_col_{axis}")),
                _coordinate(axis),
                COORDINATES,
                12,
                location=True,
            )
            for axis in ("lat", "lon")
        ]
    return [AnswerColumn(question_id, header, lambda answer: answer_value(question, answer, lang))]
