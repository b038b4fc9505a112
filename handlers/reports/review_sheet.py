"""What the export carries of the review (issue 13): the review state of each check
(a last column on every checklist sheet), the "Lịch sử sửa" sheet (every change to a
submitted answer: old and new value, who, when, why), and the line on the indicators
sheet saying which checks the indicators count."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handlers.catalog import t
from handlers.reports.answers import answer_text
from handlers.reports.cells import MOMENT
from handlers.reports.formatting import local_time
from storage import corrections
from storage import review as store


@dataclass
class ReviewData:
    rule: str = "all"
    # Check id -> state, for checks with a review step (the others are "received").
    states: dict[int, str] = field(default_factory=dict)
    # (change, check, who) rows, oldest first.
    changes: list[tuple[Any, Any, str]] = field(default_factory=list)


async def review_data(session, scope, rule: str) -> ReviewData:
    return ReviewData(
        rule,
        await store.reviewed_in(session, scope.start, scope.end),
        await corrections.changes_in(session, scope.start, scope.end),
    )


def state_label(review: ReviewData, run_id: int, language: str) -> str:
    return t(language, f"rv_state_{review.states.get(run_id, 'received')}")


def rule_line(review: ReviewData, language: str) -> list[Any]:
    """A row for the indicators sheet."""
    return [None, t(language, f"rv_rule_{review.rule}")]


def history_sheet(data, review: ReviewData, new_sheet) -> None:
    """One row per change; the person's name only in a personal export."""
    lang, registry = data.language, data.registry
    keys = ["rv_col_check", "rv_col_checklist", "rv_col_question", "rv_col_old", "rv_col_new"]
    keys += ["rv_col_who"] if data.personal else []
    keys += ["rv_col_when", "rv_col_why"]
    widths = [9, 24, 50, 24, 24, *([22] if data.personal else []), 17, 40]
    sheet = new_sheet(t(lang, "rv_sheet_history"), [t(lang, key) for key in keys], widths)
    for change, check, who in review.changes:
        checklist = registry.get(check.checklist_id)
        question = checklist.question(change.question_id) if checklist else None
        if not data.personal and question is not None and question.type == "location":
            continue
        values: list[Any] = [
            check.id,
            checklist.title_in(lang) if checklist else check.checklist_id,
            question.wording(lang) if question else change.question_id,
            _value(question, change.old_value, lang),
            _value(question, change.new_value, lang),
        ]
        if data.personal:
            values.append(who)
        when = local_time(change.changed_at, data.timezone).replace(tzinfo=None)
        values += [when, change.reason or None]
        sheet.append(values, {len(values) - 1: MOMENT})
    sheet.filter_rows()


def _value(question, value: dict | None, language: str) -> str:
    if value is None:
        return t(language, "rv_no_answer")
    if value.get("skipped"):
        return t(language, "answer_skipped")
    return answer_text(question, corrections.as_answer(value), language)
