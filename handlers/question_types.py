"""The question types: how each one reads an answer, offers choices and shows a value.

One class per type, registered in QUESTION_TYPES (after goflow's registry of
actions); tests loop over the registry so a new type without a test fails.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from handlers.catalog import t
from storage.textnorm import clean_text, fold

if TYPE_CHECKING:
    from handlers.checklist import Question
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


def _finite(number: Any) -> bool:
    return (
        isinstance(number, int | float)
        and not isinstance(number, bool)
        and math.isfinite(number)
        and abs(number) <= NUMBER_LIMIT
    )


def valid_coordinates(lat: Any, lon: Any) -> bool:
    """A latitude and longitude on Earth (a forged or broken location is refused)."""
    return _finite(lat) and _finite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


class QuestionType:
    name = ""
    # Typed digits are the answer itself, not the number of a listed choice.
    numeric = False
    # Answered by pressing buttons that toggle (several choices).
    toggles = False

    def validate_definition(self, question: Question, where: str) -> None:
        """Raises ChecklistError for a definition this type cannot work with."""

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


class YesNo(QuestionType):
    name = "yes_no"
    codes = ("yes", "no")
    _words = {
        "yes": {"co", "c", "yes", "y", "da", "co a", "dung"},
        "no": {"khong", "k", "ko", "no", "n", "chua"},
        "unknown": {"khong ro", "kr", "unknown", "dont know", "khong biet", "?"},
    }

    def options(self, question, language):
        return [(code, t(language, f"answer_{code}")) for code in self.codes]

    def parse(self, question, text, context):
        folded = fold(text) or text.strip()
        for code in self.codes:
            if folded == code or folded in self._words[code]:
                return Value(text=code)
        raise InvalidAnswer(t(context.language, f"expect_{self.name}"))

    def valid(self, question, value):
        return super().valid(question, value) and value.text in self.codes

    def display(self, question, answer, language):
        return t(language, f"answer_{answer.value_text}") if answer.value_text else ""


class YesNoUnknown(YesNo):
    name = "yes_no_unknown"
    codes = ("yes", "no", "unknown")


class SelectOne(QuestionType):
    name = "select_one"

    def validate_definition(self, question, where):
        from handlers.checklist import ChecklistError

        if not question.options:
            raise ChecklistError(f"{where}: a {self.name} question needs choices")

    def options(self, question, language):
        return [(o.id, o.label.get(language) or o.label["vi"]) for o in question.options]

    def _match(self, question: Question, text: str) -> str | None:
        folded = fold(text)
        for option in question.options:
            if folded in (option.id, *(fold(label) for label in option.label.values())):
                return option.id
        return None

    def parse(self, question, text, context):
        code = self._match(question, text)
        if code is None:
            raise InvalidAnswer(t(context.language, "expect_choice"))
        return Value(text=code)

    def valid(self, question, value):
        return super().valid(question, value) and question.option(value.text) is not None

    def display(self, question, answer, language):
        option = question.option(answer.value_text or "")
        return (option.label.get(language) or option.label["vi"]) if option else ""


class SelectMultiple(SelectOne):
    name = "select_multiple"
    toggles = True

    def parse(self, question, text, context):
        """Typed answers: '1, 3', '1 3' or the options' names separated by commas or
        semicolons (a name that itself holds a comma, "Túi vải, dùng nhiều lần", is
        read whole: the longest run of parts that names an option wins)."""
        chosen: list[str] = []
        if re.fullmatch(r"[\d,;\s]+", text):
            parts = [p for p in re.split(r"[,;\s]+", text) if p]
        else:
            parts = [p.strip() for p in re.split(r"[,;]", text)]
        index = 0
        while index < len(parts):
            part = parts[index]
            if not part:
                index += 1
                continue
            code, used = None, 1
            if part.isdecimal() and part.isascii():
                number = int(part) if len(part) < 4 else 0
                if 1 <= number <= len(question.options):
                    code = question.options[number - 1].id
            else:
                for end in range(len(parts), index, -1):
                    code = self._match(question, ",".join(parts[index:end]))
                    if code is not None:
                        used = end - index
                        break
            if code is None:
                raise InvalidAnswer(t(context.language, "expect_select_multiple"))
            if code not in chosen:
                chosen.append(code)
            index += used
        if not chosen:
            raise InvalidAnswer(t(context.language, "expect_select_multiple"))
        return Value(json=chosen)

    @staticmethod
    def ordered(question: Question, codes: list[str]) -> list[str]:
        """The option ids once each, in the options' order (exports read the same
        whatever the order they were picked in)."""
        order = [o.id for o in question.options]
        return sorted(set(codes), key=order.index)

    def valid(self, question, value):
        codes = value.json
        return (
            value.text is None
            and value.number is None
            and value.date is None
            and isinstance(codes, list)
            and bool(codes)
            and all(isinstance(c, str) and question.option(c) is not None for c in codes)
            and len(set(codes)) == len(codes)
        )

    def comparable(self, answer):
        return answer.value_json or []

    def display(self, question, answer, language):
        """Labels joined by "; " (a label may hold a comma)."""
        labels = []
        for code in answer.value_json or []:
            option = question.option(code)
            if option:
                labels.append(option.label.get(language) or option.label["vi"])
        return "; ".join(labels)


class Integer(QuestionType):
    name = "integer"
    numeric = True

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
        if not _finite(number) or (self.name == "integer" and number != int(number)):
            return False
        low, high = self._bounds(question)
        return (low is None or number >= low) and (high is None or number <= high)

    def comparable(self, answer):
        return answer.value_number

    def display(self, question, answer, language):
        if answer.value_number is None:
            return ""
        return format_number(answer.value_number, language)


class Decimal(Integer):
    name = "decimal"

    def _read(self, text):
        return parse_number(text)


class Percent(Decimal):
    name = "percent"

    def _bounds(self, question):
        return question.constraint.get("min", 0), question.constraint.get("max", 100)

    def display(self, question, answer, language):
        shown = super().display(question, answer, language)
        return f"{shown}%" if shown else ""


_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


class Date(QuestionType):
    name = "date"
    _today_words = {"hom nay", "today", "nay"}
    _yesterday_words = {"hom qua", "yesterday", "qua"}

    def options(self, question, language):
        return [("today", t(language, "answer_today"))]

    def parse(self, question, text, context):
        folded = fold(text)
        if folded in self._today_words:
            value = context.today
        elif folded in self._yesterday_words:
            value = context.today - timedelta(days=1)
        else:
            match = _DATE.match(text.strip())
            if not match:
                raise InvalidAnswer(t(context.language, "expect_date"))
            day, month, year = (int(part) for part in match.groups())
            try:
                value = date(year, month, day)
            except ValueError:
                raise InvalidAnswer(t(context.language, "expect_real_date")) from None
        if question.constraint.get("not_future") and value > context.today:
            raise InvalidAnswer(
                constraint_failed(
                    question,
                    context.language,
                    "expect_not_future",
                    today=context.today.strftime("%d/%m/%Y"),
                )
            )
        if value.year < 2000:
            raise InvalidAnswer(t(context.language, "expect_real_date"))
        return Value(date=value)

    def valid(self, question, value):
        return (
            isinstance(value.date, date)
            and value.date.year >= 2000
            and value.text is None
            and value.number is None
            and value.json is None
        )

    def comparable(self, answer):
        return answer.value_date.isoformat() if answer.value_date else None

    def display(self, question, answer, language):
        return answer.value_date.strftime("%d/%m/%Y") if answer.value_date else ""


class Text(QuestionType):
    name = "text"

    def validate_definition(self, question, where):
        from handlers.checklist import ChecklistError

        limit = question.constraint.get("max_length", 1000)
        if not isinstance(limit, int) or not 1 <= limit <= 4000:
            raise ChecklistError(f"{where}: max_length must be a whole number from 1 to 4000")

    def parse(self, question, text, context):
        text = clean_text(text).strip()
        limit = question.constraint.get("max_length", 1000)
        if not text:
            raise InvalidAnswer(t(context.language, "expect_text"))
        if len(text) > limit:
            raise InvalidAnswer(
                constraint_failed(
                    question,
                    context.language,
                    "expect_shorter",
                    limit=format_number(limit, context.language),
                    length=format_number(len(text), context.language),
                )
            )
        return Value(text=text)

    def valid(self, question, value):
        return (
            super().valid(question, value)
            and bool(value.text.strip())
            and len(value.text) <= question.constraint.get("max_length", 1000)
            and clean_text(value.text) == value.text
        )


class Photo(QuestionType):
    name = "photo"

    def display(self, question, answer, language):
        return t(language, "answer_photo") if answer.value_text else ""


class Location(QuestionType):
    name = "location"
    _PAIR = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")

    def parse(self, question, text, context):
        """Typed coordinates '15.12, 108.80' (Zalo and the terminal cannot share a location)."""
        match = self._PAIR.match(text)
        if match:
            lat, lon = float(match.group(1)), float(match.group(2))
            if valid_coordinates(lat, lon):
                return Value(json={"lat": lat, "lon": lon})
        raise InvalidAnswer(t(context.language, "expect_location"))

    def valid(self, question, value):
        place = value.json
        return (
            isinstance(place, dict)
            and set(place) == {"lat", "lon"}
            and valid_coordinates(place["lat"], place["lon"])
            and value.text is None
            and value.number is None
            and value.date is None
        )

    def comparable(self, answer):
        return answer.value_json

    def display(self, question, answer, language):
        if not answer.value_json:
            return ""
        return f"{answer.value_json['lat']:.5f}, {answer.value_json['lon']:.5f}"


QUESTION_TYPES: dict[str, QuestionType] = {
    kind.name: kind
    for kind in (
        YesNo(),
        YesNoUnknown(),
        SelectOne(),
        SelectMultiple(),
        Integer(),
        Decimal(),
        Percent(),
        Date(),
        Text(),
        Photo(),
        Location(),
    )
}
