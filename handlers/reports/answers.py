"""An answer as a workbook cell value and as text for the Word annexes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from handlers.catalog import t
from handlers.checklist import Question
from handlers.question_types import QUESTION_TYPES, format_number
from handlers.reports.formatting import day_text


def number_cell(value: float | None) -> int | float | None:
    """A stored number as a cell: whole numbers as integers (1, not 1.0)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _option_label(question: Question, code: str, language: str) -> str:
    option = question.option(code)
    return (option.label.get(language) or option.label["vi"]) if option else code


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
    """An answer as an Excel cell value: labels for choices, numbers as numbers,
    dates as dates, photo file names."""
    if answer is None:
        return None
    if question is None:
        return _stored_value(answer)
    kind = question.type
    if kind in ("yes_no", "yes_no_unknown"):
        code = answer.value_text
        return t(language, f"answer_{code}") if code in ("yes", "no", "unknown") else code
    if kind == "select_one":
        return _option_label(question, answer.value_text, language) if answer.value_text else None
    if kind == "select_multiple":
        codes = answer.value_json if isinstance(answer.value_json, list) else []
        # "; ": an option's label may hold a comma ("Túi vải, dùng nhiều lần").
        return "; ".join(_option_label(question, code, language) for code in codes) or None
    if kind in ("integer", "decimal", "percent"):
        return number_cell(answer.value_number)
    if kind == "date":
        return answer.value_date
    if kind == "photo":
        return Path(answer.value_text).name if answer.value_text else None
    if kind == "location":
        return QUESTION_TYPES[kind].display(question, answer, language) or None
    return answer.value_text


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
