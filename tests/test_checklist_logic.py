"""The checklist's own logic, without a messenger or a database: which questions
apply given the answers so far, and which comes next, before, or is still missing."""

from __future__ import annotations

import pytest

from handlers.checklist import ChecklistError, parse_checklist
from storage.models import Answer

FORM = """
id = "bags"
version = 1
departments = ["QLTM"]
[title]
vi = "Túi ni lông"
en = "Plastic bags"

[[question]]
id = "sells_bags"
type = "yes_no"
text = { vi = "Có bán túi?", en = "Sells bags?" }

[[question]]
id = "kinds"
type = "select_multiple"
relevant = "sells_bags == 'yes'"
text = { vi = "Loại túi?", en = "Which bags?" }
choices = [
  { id = "paper", vi = "Giấy", en = "Paper" },
  { id = "plastic", vi = "Ni lông", en = "Plastic" },
]

[[question]]
id = "plastic_share"
type = "percent"
relevant = "kinds contains 'plastic'"
text = { vi = "Tỷ lệ ni lông?", en = "Plastic share?" }

[[question]]
id = "note"
type = "text"
required = false
text = { vi = "Ghi chú", en = "Note" }
"""


@pytest.fixture
def checklist():
    return parse_checklist(FORM, "bags.toml")


def answers(**values) -> dict[str, Answer]:
    """Answers by question id: a str is a code, a list the ticked options, a number a
    number, None a skip."""
    made = {}
    for question_id, value in values.items():
        answer = Answer(run_id=1, question_id=question_id, skipped=value is None)
        if isinstance(value, str):
            answer.value_text = value
        elif isinstance(value, list):
            answer.value_json = value
        elif value is not None:
            answer.value_number = value
        made[question_id] = answer
    return made


def ids(questions) -> list[str]:
    return [q.id for q in questions]


def test_a_question_applies_only_when_its_condition_holds(checklist):
    assert ids(checklist.relevant_questions({})) == ["sells_bags", "note"]
    assert ids(checklist.relevant_questions(answers(sells_bags="no"))) == ["sells_bags", "note"]
    shown = checklist.relevant_questions(answers(sells_bags="yes", kinds=["paper", "plastic"]))
    assert ids(shown) == ["sells_bags", "kinds", "plastic_share", "note"]


def test_a_skipped_earlier_answer_makes_the_condition_false(checklist):
    kinds = checklist.question("kinds")
    assert not checklist.is_relevant(kinds, answers(sells_bags=None))


def test_next_question_skips_what_does_not_apply(checklist):
    assert checklist.next_question({}, after=None).id == "sells_bags"
    assert checklist.next_question(answers(sells_bags="no"), "sells_bags").id == "note"
    given = answers(sells_bags="yes", kinds=["paper"])
    assert checklist.next_question(given, "kinds").id == "note"
    assert checklist.next_question(answers(sells_bags="no", note="x"), "note") is None


def test_previous_question_and_the_review(checklist):
    given = answers(sells_bags="yes", kinds=["plastic"], plastic_share=40)
    assert checklist.previous_question(given, "note").id == "plastic_share"
    assert checklist.previous_question(answers(sells_bags="no"), "note").id == "sells_bags"
    assert checklist.previous_question(given, "sells_bags") is None
    assert checklist.previous_question(given, None).id == "note"  # from the review


def test_first_unanswered_counts_a_skip_as_an_answer(checklist):
    assert checklist.first_unanswered(answers(sells_bags="no")).id == "note"
    assert checklist.first_unanswered(answers(sells_bags="no", note=None)) is None
    assert checklist.first_unanswered(answers(sells_bags="yes", note=None)).id == "kinds"


def test_position_counts_among_the_questions_that_apply(checklist):
    note = checklist.question("note")
    assert checklist.position(note, answers(sells_bags="no")) == (2, 2)
    given = answers(sells_bags="yes", kinds=["plastic"])
    assert checklist.position(note, given) == (4, 4)


def test_answers_that_no_longer_apply_are_named(checklist):
    edited = answers(sells_bags="no", kinds=["plastic"], plastic_share=40, note="x")
    assert checklist.obsolete_answers(edited) == ["kinds", "plastic_share"]
    assert checklist.obsolete_answers(answers(sells_bags="yes", kinds=["paper"])) == []


def test_a_definition_a_type_cannot_work_with_names_file_and_question():
    broken = FORM.replace('{ id = "plastic", vi = "Ni lông", en = "Plastic" },', "")
    with pytest.raises(ChecklistError, match=r"bags.toml question 2 \(kinds\): .*two choices"):
        parse_checklist(broken, "bags.toml")
