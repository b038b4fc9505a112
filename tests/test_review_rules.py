"""The review's pure rules: which step may follow which, who reviews whose check, how
typed picks read, and texts fit for channels without buttons."""

from __future__ import annotations

import pytest

from handlers import review as rules
from handlers.catalog import keys, t
from storage.models import REVIEW_STATES, Person


def person(id_: int, role: str, department: str = "QLTM", active: bool = True) -> Person:
    return Person(id=id_, name=f"p{id_}", role=role, department_code=department, active=active)


def test_final_states_lead_nowhere_and_only_an_inspector_corrects():
    assert rules.FINAL == {"approved", "rejected"}
    assert rules.can_move("received", "approved") and rules.can_move("corrected", "approved")
    assert rules.can_move("needs_correction", "corrected")
    assert not rules.can_move("needs_correction", "approved")  # it waits for the inspector
    assert not rules.can_move("received", "corrected")
    for state in REVIEW_STATES:
        assert not rules.can_move("approved", state) and not rules.can_move("rejected", state)


def test_who_reviews_whose_check():
    inspector, other = person(1, "inspector"), person(2, "inspector", "QLCN")
    head, other_head, admin = person(3, "head"), person(4, "head", "QLCN"), person(5, "admin")
    assert rules.may_review(head, inspector) and not rules.may_review(head, other)
    assert rules.may_review(other_head, other) and not rules.may_review(other_head, inspector)
    assert rules.may_review(admin, inspector) and rules.may_review(admin, other)
    assert not rules.may_review(inspector, inspector) and not rules.may_review(inspector, other)
    assert not rules.may_review(admin, admin)  # nobody reviews their own check
    assert not rules.may_review(head, person(6, "head"))  # a head reviews inspectors only
    assert not rules.may_review(person(7, "admin", active=False), inspector)
    assert rules.may_correct(inspector, 1) and not rules.may_correct(head, 1)


@pytest.mark.parametrize(
    ("typed", "numbers", "comment"),
    [
        ("2 5 Số liệu chưa khớp", (2, 5), "Số liệu chưa khớp"),
        ("2, 5 và 7 sai", (2, 5, 7), "sai"),
        ("câu 3: thiếu ảnh", (3,), "thiếu ảnh"),
        ("4 4 2", (4, 2), ""),
        ("10", (10,), ""),
    ],
)
def test_typed_picks_read_numbers_then_the_comment(typed, numbers, comment):
    assert rules.read_picks(typed, 10) == rules.Picks(numbers, comment)


@pytest.mark.parametrize("typed", ["", "Xong", "11 quá số câu", "0", "² 3", "1234"])
def test_typed_picks_refuse_what_is_not_a_question_number(typed):
    assert rules.read_picks(typed, 10) is None


def test_counts_in_indicators():
    assert [rules.counts_in_indicators(s, "all") for s in REVIEW_STATES] == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert [s for s in REVIEW_STATES if rules.counts_in_indicators(s, "approved")] == ["approved"]
    with pytest.raises(ValueError):
        rules.counts_in_indicators("approved", "some")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_review_texts_never_say_press(language):
    for key in sorted(k for k in keys(language) if k.startswith("rv_")):
        text = t(language, key).lower()
        assert "bấm" not in text and "press" not in text and "tap" not in text, key
