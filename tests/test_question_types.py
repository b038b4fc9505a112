"""Every registered question type, in every language, has all it needs: its texts in
the catalog (a missing hint_<type> used to crash at the first prompt), a display and
an export cell for a stored answer (a type the export did not know wrote blank
cells), buttons whose payloads survive the trip, and a readable refusal of bad input.

A new type in QUESTION_TYPES without an entry in SAMPLES fails here by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from handlers import payloads
from handlers.catalog import LANGUAGES, keys
from handlers.question_types import (
    QUESTION_TYPES,
    AnswerContext,
    InvalidAnswer,
    QuestionType,
    Value,
)
from handlers.questions import Option, Question
from storage.models import Answer

OPTIONS = (
    Option("paper", {"vi": "Túi giấy", "en": "Paper bags"}),
    Option("cloth", {"vi": "Túi vải, dùng nhiều lần", "en": "Cloth bags, reusable"}),
)


@dataclass(frozen=True)
class Sample:
    """A question of the type, a value it stores, and input it must refuse (None for
    a type that reads any text)."""

    question: Question
    value: Value
    bad_input: str | None = "xyz không phải câu trả lời"


def _question(kind: str, **more) -> Question:
    return Question(id="q1", type=kind, text={"vi": "Câu hỏi?", "en": "Question?"}, **more)


SAMPLES: dict[str, Sample] = {
    "yes_no": Sample(_question("yes_no"), Value(text="yes")),
    "yes_no_unknown": Sample(_question("yes_no_unknown"), Value(text="unknown")),
    "select_one": Sample(_question("select_one", options=OPTIONS), Value(text="cloth")),
    "select_multiple": Sample(
        _question("select_multiple", options=OPTIONS), Value(json=["paper", "cloth"])
    ),
    "integer": Sample(_question("integer", quick=(0, 25)), Value(number=1200)),
    "decimal": Sample(_question("decimal", quick=(12.5,)), Value(number=12.5)),
    "percent": Sample(_question("percent", quick=(50, 100)), Value(number=75)),
    "date": Sample(_question("date"), Value(date=date(2026, 2, 28))),
    "text": Sample(_question("text"), Value(text="Cửa hàng đóng cửa"), bad_input=None),
    "photo": Sample(_question("photo"), Value(text="/media/7/q1-ab12cd34.jpg")),
    "location": Sample(_question("location"), Value(json={"lat": 15.12, "lon": 108.8})),
}

CONTEXTS = {language: AnswerContext(language, date(2026, 3, 1)) for language in LANGUAGES}


def _answer(value: Value) -> Answer:
    return Answer(
        run_id=1,
        question_id="q1",
        value_text=value.text,
        value_number=value.number,
        value_date=value.date,
        value_json=value.json,
    )


def missing_texts(kind: QuestionType) -> list[str]:
    """ "<language>:<key>" for every text the type needs that a language lacks (the
    Vietnamese fallback does not count: an English speaker would read Vietnamese)."""
    return [
        f"{language}:{key}"
        for language in LANGUAGES
        for key in sorted(kind.catalog_keys())
        if key not in keys(language)
    ]


def test_every_registered_type_has_a_sample():
    missing = sorted(set(QUESTION_TYPES) - set(SAMPLES))
    assert not missing, f"add a Sample for question type(s) {missing} to SAMPLES"


@pytest.mark.parametrize("name", sorted(QUESTION_TYPES))
def test_the_type_has_its_texts_in_every_language(name):
    assert not missing_texts(QUESTION_TYPES[name]), f"{name}: {missing_texts(QUESTION_TYPES[name])}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(QUESTION_TYPES))
def test_the_type_shows_exports_and_offers_a_stored_answer(name, language):
    kind, sample = QUESTION_TYPES[name], SAMPLES[name]
    question, answer = sample.question, _answer(sample.value)
    assert kind.valid(question, sample.value), f"{name}: its own sample is not valid"
    assert isinstance(kind.hint(language), str)
    assert kind.display(question, answer, language), f"{name}: empty display ({language})"
    cell = kind.export_cell(question, answer, language)
    assert cell not in (None, ""), f"{name}: blank export cell ({language})"
    for code, label in kind.options(question, language):
        assert label, f"{name}: option {code!r} has no label in {language}"
        make = payloads.Toggle if kind.toggles else payloads.Pick
        data = make(7, question.id, code).encode()
        assert payloads.decode(data) == make(7, question.id, code), f"{name}: {data!r}"
        assert kind.toggles or kind.valid(
            question, kind.parse_option(question, code, CONTEXTS[language])
        )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(QUESTION_TYPES))
def test_the_type_refuses_bad_input_with_a_text_in_the_language(name, language):
    kind, sample = QUESTION_TYPES[name], SAMPLES[name]
    if sample.bad_input is None:
        assert kind.valid(
            sample.question, kind.parse(sample.question, "ghi chú", CONTEXTS[language])
        )
        return
    with pytest.raises(InvalidAnswer) as refused:
        kind.parse(sample.question, sample.bad_input, CONTEXTS[language])
    assert refused.value.message.strip()


@pytest.mark.parametrize("name", sorted(QUESTION_TYPES))
def test_non_text_input_goes_only_to_the_types_that_take_it(name):
    kind, context = QUESTION_TYPES[name], CONTEXTS["vi"]
    question = SAMPLES[name].question
    if kind.takes_photo:
        assert kind.valid(question, kind.from_photo(Path("/media/1/q1.jpg"), context))
    else:
        with pytest.raises(InvalidAnswer):
            kind.from_photo(Path("/media/1/q1.jpg"), context)
    if kind.takes_location:
        assert kind.valid(question, kind.from_location(15.1, 108.8, context))
        with pytest.raises(InvalidAnswer):
            kind.from_location(float("nan"), 200, context)
    else:
        with pytest.raises(InvalidAnswer):
            kind.from_location(15.1, 108.8, context)


def test_the_loop_names_a_type_whose_texts_are_missing():
    class Stamp(QuestionType):
        name = "stamp"
        own_keys = ("expect_stamp",)

    missing = missing_texts(Stamp())
    assert "vi:hint_stamp" in missing and "en:expect_stamp" in missing
