"""Review steps, the queue, answer history and the indicator rule, on SQLite and
PostgreSQL; two reviewers deciding at once on PostgreSQL: one wins, the other is told."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from handlers import review as rules
from storage import corrections, people, review, runs
from storage.models import Answer, ChecklistRun, Person, utcnow


async def _people(session) -> dict[str, Person]:
    found = {}
    for key, role, department in [
        ("inspector", "inspector", "QLTM"),
        ("other_inspector", "inspector", "QLCN"),
        ("head", "head", "QLTM"),
        ("other_head", "head", "QLCN"),
        ("admin", "admin", "KTATMT"),
        ("admin2", "admin", "KTATMT"),
    ]:
        found[key] = await people.add_person(
            session, name=key, role=role, department_code=department
        )
    await session.flush()
    return found


async def _check(session, person: Person, minutes_ago: int = 10, **answers) -> ChecklistRun:
    run = ChecklistRun(
        person_id=person.id,
        checklist_id="supermarket",
        checklist_version=1,
        status="submitted",
        phase="review",
        submitted_at=utcnow() - timedelta(minutes=minutes_ago),
    )
    session.add(run)
    await session.flush()
    for question_id, value in answers.items():
        session.add(Answer(run_id=run.id, question_id=question_id, value_text=value))
    await session.flush()
    return run


async def test_decisions_are_rows_and_a_stale_one_is_refused(db):
    async with db.session() as session:
        who = await _people(session)
        check = await _check(session, who["inspector"])
        assert await review.current(session, check.id) == ("received", 0)
        sent_back = await review.record(
            session,
            check.id,
            0,
            "needs_correction",
            who["head"].id,
            comment="Số liệu chưa khớp",
            question_ids=["q3", "q6"],
        )
        assert sent_back is not None and sent_back.seq == 1
        # A second decision made on the card as it was before: refused, nothing written.
        assert await review.record(session, check.id, 0, "approved", who["admin"].id) is None
        await review.record(session, check.id, 1, "corrected", who["inspector"].id)
        await review.record(session, check.id, 2, "approved", who["head"].id)
        await session.commit()
        steps = await review.events_of(session, check.id)
    assert [(s.seq, s.state) for s in steps] == [
        (1, "needs_correction"),
        (2, "corrected"),
        (3, "approved"),
    ]
    assert steps[0].question_ids == ["q3", "q6"] and steps[0].comment == "Số liệu chưa khớp"


async def test_the_queue_is_oldest_first_within_the_reviewers_scope(db):
    async with db.session() as session:
        who = await _people(session)
        old = await _check(session, who["inspector"], minutes_ago=60)
        new = await _check(session, who["inspector"], minutes_ago=5)
        elsewhere = await _check(session, who["other_inspector"], minutes_ago=90)
        own = await _check(session, who["admin"], minutes_ago=120)
        head = rules.scope_for(who["head"])
        admin = rules.scope_for(who["admin"])
        assert (await review.next_unreviewed(session, head)).id == old.id
        assert (await review.next_unreviewed(session, head, after=old)).id == new.id
        assert await review.next_unreviewed(session, head, after=new) is None
        # An admin sees every department's checks, but not their own.
        assert (await review.next_unreviewed(session, admin)).id == elsewhere.id
        assert await review.count_unreviewed(session, admin) == 3
        assert (await review.next_unreviewed(session, rules.scope_for(who["admin2"]))).id == own.id
        assert rules.scope_for(who["inspector"]) is None
        # Approved leaves the queue; sent back waits for the inspector, then comes back.
        await review.record(session, old.id, 0, "approved", who["head"].id)
        await review.record(session, new.id, 0, "needs_correction", who["head"].id)
        assert await review.next_unreviewed(session, head) is None
        assert [
            r.id for r, _ in await review.pending_corrections(session, who["inspector"].id)
        ] == [new.id]
        await review.record(session, new.id, 1, "corrected", who["inspector"].id)
        assert (await review.next_unreviewed(session, head)).id == new.id
        assert await review.pending_corrections(session, who["inspector"].id) == []


@pytest.mark.parametrize("rule", review.COUNT_RULES)
async def test_the_indicator_rule_in_sql_matches_the_rule_in_python(db, rule):
    async with db.session() as session:
        who = await _people(session)
        checks = {}
        for state in ("received", "approved", "needs_correction", "corrected", "rejected"):
            check = await _check(session, who["inspector"])
            path = {
                "received": [],
                "approved": ["approved"],
                "needs_correction": ["needs_correction"],
                "corrected": ["needs_correction", "corrected"],
                "rejected": ["needs_correction", "rejected"],
            }[state]
            for seq, step in enumerate(path):
                assert await review.record(session, check.id, seq, step, who["head"].id)
            checks[check.id] = state
        await session.flush()
        statement = select(ChecklistRun.id).where(
            ChecklistRun.status == "submitted", review.counted(ChecklistRun.id, rule)
        )
        counted = set((await session.exec(statement)).all())
        assert await review.states_of(session, list(checks)) == checks
    expected = {
        run_id for run_id, state in checks.items() if rules.counts_in_indicators(state, rule)
    }
    assert counted == expected
    assert counted != set(checks)  # both rules leave something out


async def test_a_correction_changes_only_what_differs_and_keeps_the_old_values(db):
    async with db.session() as session:
        who = await _people(session)
        check = await _check(session, who["inspector"], q1="yes", q3="40", q5="no")
        step = await review.record(session, check.id, 0, "needs_correction", who["head"].id)
        draft = await corrections.start_correction(session, check, step.seq, "q3", "zalo")
        assert draft.supersedes_id == check.id and draft.status == "draft"
        assert (await corrections.correction_of(session, draft.id)).run_id == check.id
        assert (await corrections.open_correction(session, check.id)).id == draft.id
        fixed = await runs.answers_of(session, draft.id)
        fixed["q3"].value_text = "75"
        fixed["q5"].skipped, fixed["q5"].value_text = True, None
        changes = await corrections.change_answers(
            session, check.id, fixed, changed_by_id=who["inspector"].id, reason="Số liệu"
        )
        await session.commit()
        after = await runs.answers_of(session, check.id)
        history = await corrections.changes_of(session, [check.id])
    assert [c.question_id for c in changes] == ["q3", "q5"]
    assert (
        after["q3"].value_text == "75" and after["q5"].skipped and after["q1"].value_text == "yes"
    )
    assert [(h.question_id, h.old_value["text"], h.new_value["text"]) for h in history] == [
        ("q3", "40", "75"),
        ("q5", "no", None),
    ]
    assert history[0].changed_by_id == who["inspector"].id and history[0].reason == "Số liệu"


async def test_nudges_are_claimed_once_a_day(db):
    async with db.session() as session:
        who = await _people(session)
        check = await _check(session, who["inspector"])
        today = utcnow().date()
        assert await review.claim_nudge(session, check.id, 1, today)
        assert not await review.claim_nudge(session, check.id, 1, today)
        assert await review.claim_nudge(session, check.id, 1, today + timedelta(days=1))
        assert await review.nudges_sent(session, check.id, 1) == 2


async def test_two_reviewers_at_once_on_postgresql_one_wins_the_other_is_told(db, database_target):
    if database_target.kind != "postgresql":
        pytest.skip("SQLite has one writer at a time: the engine's queue orders the two")
    async with db.session() as session:
        who = await _people(session)
        check = await _check(session, who["inspector"])
        await session.commit()
        check_id, head_id, admin_id = check.id, who["head"].id, who["admin"].id
    first_inserted = asyncio.Event()
    waited: list[float] = []

    async def approve():
        async with db.session() as session:
            won = await review.record(session, check_id, 0, "approved", head_id)
            first_inserted.set()
            await asyncio.sleep(0.5)  # still uncommitted while the other one tries
            await session.commit()
            return won

    async def reject():
        await first_inserted.wait()
        async with db.session() as session:
            # Both read the check before either committed: the same seq is expected.
            started = asyncio.get_running_loop().time()
            lost = await review.record(session, check_id, 0, "rejected", admin_id, comment="x")
            waited.append(asyncio.get_running_loop().time() - started)
            await session.commit()
            return lost

    won, lost = await asyncio.gather(approve(), reject())
    assert won is not None and lost is None
    assert waited[0] > 0.3  # refused at the unique key, after the first one committed
    async with db.session() as session:
        assert await review.current(session, check_id) == ("approved", 1)
