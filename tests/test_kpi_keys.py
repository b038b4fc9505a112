"""The ids the indicators key on (storage/kpis/keys.py) exist in the shipped
checklists: renaming a question or a choice in a TOML file would otherwise zero an
indicator without any error."""

from __future__ import annotations

from handlers.checklist import ChecklistRegistry
from storage.kpis import keys

YES_NO = {"yes_no": ("yes", "no"), "yes_no_unknown": ("yes", "no", "unknown")}
# A key without codes is a count (summed) or a name (the enterprise).
VALUE_TYPES = ("integer", "decimal", "percent", "text")


def key_problems(registry: ChecklistRegistry, table: dict) -> list[str]:
    problems = []
    for checklist_id, questions in table.items():
        checklist = registry.get(checklist_id)
        if checklist is None:
            problems.append(f"no checklist {checklist_id}")
            continue
        by_id = {question.id: question for question in checklist.questions}
        for question_id, codes in questions.items():
            question = by_id.get(question_id)
            if question is None:
                problems.append(f"{checklist_id}.toml has no question {question_id}")
                continue
            offered = YES_NO.get(question.type) or tuple(o.id for o in question.options)
            problems += [
                f"{checklist_id}.{question_id} offers no {code!r}"
                for code in codes
                if code not in offered
            ]
            if not codes and question.type not in VALUE_TYPES:
                problems.append(f"{checklist_id}.{question_id} is a {question.type}")
    return problems


def test_every_indicator_key_is_in_the_shipped_checklists():
    assert key_problems(ChecklistRegistry.load(), keys.KEYS) == []


def test_a_renamed_question_or_choice_is_named():
    renamed = {
        keys.SUPERMARKET: {"packaging_swapped": ("full",), keys.NONBIO_BAGS: ("maybe",)},
        keys.TRADE_PROMOTION: {"event_date": ()},
        "market_check": {"aware": ("yes",)},
    }
    assert key_problems(ChecklistRegistry.load(), renamed) == [
        "supermarket.toml has no question packaging_swapped",
        "supermarket.nonbio_bags offers no 'maybe'",
        "trade_promotion.event_date is a date",
        "no checklist market_check",
    ]


def test_the_site_kinds_counted_are_those_the_checklists_visit():
    registry = ChecklistRegistry.load()
    assert set(registry.get(keys.SUPERMARKET).site_kinds) == set(keys.RETAIL_KINDS)
    assert registry.get(keys.CLUSTER_AWARENESS).site_kinds == (keys.CLUSTER_KIND,)
    assert registry.get(keys.CLEANER_PRODUCTION).site_kinds == (keys.CLUSTER_KIND,)


def test_the_indexed_answers_are_indicator_keys_and_short():
    """Each answer with a partial index of its own (migration 0011) is one the
    indicators read, and a text one is capped by its checklist well under what an
    index entry may hold (PostgreSQL: ~2,700 bytes; 500 characters is 2,000 at most)."""
    from storage.models.runs import KPI_INDEXED_ANSWERS

    registry = ChecklistRegistry.load()
    questions = {
        question_id: registry.get(checklist_id).questions
        for checklist_id, ids in keys.KEYS.items()
        for question_id in ids
    }
    assert set(KPI_INDEXED_ANSWERS) <= set(questions)
    for question_id, column in KPI_INDEXED_ANSWERS.items():
        (question,) = [q for q in questions[question_id] if q.id == question_id]
        if column == "value_text" and question.type == "text":
            assert 0 < question.constraint.get("max_length", 0) <= 500, question_id


def test_k2s_run_index_holds_the_checklist_k2_counts():
    """ix_run_models (migration 0012) is partial on one checklist id, written out:
    renaming keys.CLEANER_PRODUCTION alone would leave K2 without its index."""
    from storage.models import ChecklistRun

    (index,) = [i for i in ChecklistRun.__table__.indexes if i.name == "ix_run_models"]
    where = str(index.dialect_options["sqlite"]["where"])
    assert where == str(index.dialect_options["postgresql"]["where"])
    assert where == f"checklist_id = '{keys.CLEANER_PRODUCTION}'"
