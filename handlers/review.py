"""Review of submitted checks, the rules: which step may follow which, who may review
whose check, and how a typed pick of answers reads. Pure: no database, no messenger.

    received ─▶ approved                                   (final)
    received ─▶ needs_correction ─▶ corrected ─▶ approved  (or sent back again)
    received / needs_correction / corrected ─▶ rejected    (final; counts nowhere)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.models import REVIEW_STATES, Person
from storage.review import COUNT_RULES, UNREVIEWED, ReviewScope

TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"approved", "needs_correction", "rejected"}),
    "corrected": frozenset({"approved", "needs_correction", "rejected"}),
    # Only the inspector corrects; a reviewer may still reject while waiting.
    "needs_correction": frozenset({"corrected", "rejected"}),
    "approved": frozenset(),
    "rejected": frozenset(),
}
assert set(TRANSITIONS) == set(REVIEW_STATES)

# A reviewer's choices on the review card, as their one-letter codes in button data.
DECISIONS = {"a": "approved", "c": "needs_correction", "r": "rejected"}
FINAL = frozenset(state for state, following in TRANSITIONS.items() if not following)


def can_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def waits_for_review(state: str) -> bool:
    return state in UNREVIEWED


def scope_for(reviewer: Person) -> ReviewScope | None:
    """Whose checks a person reviews: admins everyone's, a head their department's
    inspectors'; inspectors nobody's (None)."""
    if not reviewer.active:
        return None
    if reviewer.role == "admin":
        return ReviewScope(reviewer_id=reviewer.id)
    if reviewer.role == "head":
        return ReviewScope(
            reviewer_id=reviewer.id, department=reviewer.department_code, inspectors_only=True
        )
    return None


def may_review(reviewer: Person, inspector: Person) -> bool:
    """The same rule as scope_for, for one check (a /review <id>, a pressed button)."""
    scope = scope_for(reviewer)
    if scope is None or inspector.id == reviewer.id:
        return False
    if scope.department is not None and inspector.department_code != scope.department:
        return False
    return not scope.inspectors_only or inspector.role == "inspector"


def may_correct(person: Person, inspector_id: int) -> bool:
    """Only the inspector who filed a check corrects it."""
    return person.active and person.id == inspector_id


def counts_in_indicators(state: str, rule: str) -> bool:
    """The Python twin of storage.review.counted (tests hold the two together)."""
    if rule not in COUNT_RULES:
        raise ValueError(f"unknown review rule {rule!r}")
    return state == "approved" if rule == "approved" else state != "rejected"


@dataclass(frozen=True)
class Picks:
    """What a reviewer typed when asked which answers to send back: their numbers,
    and the comment when it came in the same message ("2 5 số liệu chưa khớp")."""

    numbers: tuple[int, ...]
    comment: str


_NUMBER = r"(?:câu\s*|cau\s*)?[0-9]{1,3}(?![0-9])"
# Numbers at the start, each after a space, comma, semicolon or "và"; a separator is
# taken only when a number follows, so "2 5 và 7 sai" keeps "sai" as the comment.
_LEADING_NUMBERS = re.compile(rf"\s*{_NUMBER}(?:\s*(?:,|;|\s|và|va|and)\s*{_NUMBER})*")


def read_picks(text: str, count: int) -> Picks | None:
    """The numbers at the start of ``text`` (1..count, several allowed, separated by
    spaces, commas or "và") and the rest as the comment; None when no number leads
    or one is out of range."""
    match = _LEADING_NUMBERS.match(text.lower())
    if match is None:
        return None
    numbers = [int(n) for n in re.findall(r"[0-9]{1,3}", match.group(0))]
    if not numbers or any(not 1 <= n <= count for n in numbers):
        return None
    comment = text[match.end() :].strip(" :-–,.;\n\t")
    return Picks(tuple(dict.fromkeys(numbers)), comment)
