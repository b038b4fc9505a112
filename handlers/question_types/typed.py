"""Types answered by typing: a date, a note."""

from __future__ import annotations

import re
from datetime import date, timedelta

from handlers.catalog import t
from handlers.question_types.base import InvalidAnswer, QuestionType, Value, constraint_failed
from handlers.question_types.numbers import format_number
from handlers.questions import ChecklistError
from storage.textnorm import clean_text, fold

_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


class Date(QuestionType):
    name = "date"
    _today_words = {"hom nay", "today", "nay"}
    _yesterday_words = {"hom qua", "yesterday", "qua"}
    own_keys = ("answer_today", "expect_date", "expect_real_date", "expect_not_future")

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

    def export_cell(self, question, answer, language):
        return answer.value_date


class Text(QuestionType):
    name = "text"

    own_keys = ("expect_text", "expect_shorter")

    def validate_definition(self, question):
        limit = question.constraint.get("max_length", 1000)
        if not isinstance(limit, int) or not 1 <= limit <= 4000:
            raise ChecklistError("max_length must be a whole number from 1 to 4000")

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
