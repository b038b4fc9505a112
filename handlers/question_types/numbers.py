"""Types answered with a number, and how numbers are read and written (1.200 / 12,5)."""

from __future__ import annotations

import math
import re
from typing import Any

from handlers.catalog import t
from handlers.question_types.base import InvalidAnswer, QuestionType, Value, constraint_failed
from handlers.questions import Question


def format_number(value: float, language: str) -> str:
    """12500.5 -> '12.500,5' in Vietnamese, '12,500.5' in English."""
    whole = int(value)
    text = f"{whole:,}" if value == whole else f"{value:,.2f}".rstrip("0").rstrip(".")
    if language == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


_THOUSANDS = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")
# Larger numbers are no count or share anyone reports, and floats lose whole digits
# beyond it (a 400-digit number is infinity, which no integer or column takes).
NUMBER_LIMIT = 1e15


def parse_number(text: str) -> float | None:
    """Reads '1.200', '1,200', '12,5', '12.5', '1.234,5' as a number; None if not one."""
    text = text.strip().replace("\u00a0", " ").rstrip("%").strip()
    negative = text.startswith("-")
    text = text.lstrip("-").strip()
    if not text or not re.fullmatch(r"[\d.,\s]+", text) or not text[0].isdigit():
        return None
    if _THOUSANDS.match(text):
        # Groups of three after a separator: thousands, as in "1.200" or "1,200".
        number = float(re.sub(r"[.,\s]", "", text))
    elif "." in text and "," in text:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal_mark == "." else "."
        try:
            number = float(text.replace(thousands, "").replace(decimal_mark, "."))
        except ValueError:
            return None
    else:
        try:
            number = float(text.replace(",", ".").replace(" ", ""))
        except ValueError:
            return None
    if not math.isfinite(number) or abs(number) > NUMBER_LIMIT:
        return None
    return -number if negative else number


def finite(number: Any) -> bool:
    return (
        isinstance(number, int | float)
        and not isinstance(number, bool)
        and math.isfinite(number)
        and abs(number) <= NUMBER_LIMIT
    )


def valid_coordinates(lat: Any, lon: Any) -> bool:
    """A latitude and longitude on Earth (a forged or broken location is refused)."""
    return finite(lat) and finite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def whole_or_float(value: float | None) -> int | float | None:
    """12.0 -> 12 (an Excel cell shows no ".0"), 12.5 stays."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


class Integer(QuestionType):
    name = "integer"
    numeric = True
    own_keys = ("expect_integer", "expect_between")

    def options(self, question, language):
        return [
            (format_number(v, "en").replace(",", ""), format_number(v, language))
            for v in question.quick
        ]

    def _bounds(self, question: Question) -> tuple[float | None, float | None]:
        return question.constraint.get("min"), question.constraint.get("max")

    def _read(self, text: str) -> float | None:
        number = parse_number(text)
        return number if number is not None and number == int(number) else None

    def parse(self, question, text, context):
        number = self._read(text)
        if number is None:
            raise InvalidAnswer(t(context.language, f"expect_{self.name}"))
        low, high = self._bounds(question)
        if (low is not None and number < low) or (high is not None and number > high):
            raise InvalidAnswer(
                constraint_failed(
                    question,
                    context.language,
                    "expect_between",
                    low=format_number(low if low is not None else 0, context.language),
                    high=format_number(high if high is not None else number, context.language),
                )
            )
        return Value(number=number)

    def valid(self, question, value):
        number = value.number
        if value.text is not None or value.date is not None or value.json is not None:
            return False
        if not finite(number) or (self.name == "integer" and number != int(number)):
            return False
        low, high = self._bounds(question)
        return (low is None or number >= low) and (high is None or number <= high)

    def comparable(self, answer):
        return answer.value_number

    def display(self, question, answer, language):
        if answer.value_number is None:
            return ""
        return format_number(answer.value_number, language)

    def export_cell(self, question, answer, language):
        return whole_or_float(answer.value_number)


class Decimal(Integer):
    name = "decimal"
    own_keys = ("expect_decimal", "expect_between")

    def _read(self, text):
        return parse_number(text)


class Percent(Decimal):
    name = "percent"
    own_keys = ("expect_percent", "expect_between")

    def _bounds(self, question):
        return question.constraint.get("min", 0), question.constraint.get("max", 100)

    def display(self, question, answer, language):
        shown = super().display(question, answer, language)
        return f"{shown}%" if shown else ""
