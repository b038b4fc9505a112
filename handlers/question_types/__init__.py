"""The question types: each one owns its whole life — how it reads an answer (typed,
pressed, a photo, a location), what it offers, how it shows and exports a value,
and which catalog texts it needs.

One class per type, registered in QUESTION_TYPES (after goflow's registry of
actions); tests/test_question_types.py loops over the registry, so a new type
without a sample, or without its texts in every language, fails there by name.
Adding a type is one class plus its entry below.
"""

from __future__ import annotations

from handlers.question_types.base import (
    AnswerContext,
    InvalidAnswer,
    QuestionType,
    Value,
    constraint_failed,
)
from handlers.question_types.choices import SelectMultiple, SelectOne, YesNo, YesNoUnknown
from handlers.question_types.media import Location, Photo
from handlers.question_types.numbers import (
    NUMBER_LIMIT,
    Decimal,
    Integer,
    Percent,
    format_number,
    parse_number,
    valid_coordinates,
    whole_or_float,
)
from handlers.question_types.typed import Date, Text

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

__all__ = [
    "NUMBER_LIMIT",
    "QUESTION_TYPES",
    "AnswerContext",
    "InvalidAnswer",
    "QuestionType",
    "Value",
    "constraint_failed",
    "format_number",
    "parse_number",
    "valid_coordinates",
    "whole_or_float",
]
