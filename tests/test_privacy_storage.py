"""Personal data in storage: pseudonymisation keeps the checks, the purge counts before it
removes, and the access log names who looked (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage import people, privacy, retention
from storage.models import (
    Answer,
    ChannelAccount,
    ChecklistRun,
    InboxUpdate,
    OutboxMessage,
    Person,
)

NOW = datetime(2032, 3, 1, 3, 0, tzinfo=UTC)


async def _inspector(session, name="Lê Thị Kiểm", telegram="1001") -> Person:
    return await people.add_person(
        session,
        name=name,
        role="inspector",
        department_code="QLTM",
        accounts={"telegram": telegram},
    )


def _run(person: Person, status: str, when: datetime) -> ChecklistRun:
    return ChecklistRun(
        person_id=person.id,
        checklist_id="supermarket",
        checklist_version=1,
        status=status,
        started_at=when,
        updated_at=when,
        submitted_at=when if status == "submitted" else None,
    )


async def test_a_forgotten_person_keeps_their_checks_under_a_pseudonym(db):
    async with db.session() as session:
        person = await _inspector(session)
        admin = await people.add_person(
            session, name="Trần Quản Trị", role="admin", department_code="KTATMT"
        )
        check, draft = _run(person, "submitted", NOW), _run(person, "draft", NOW)
        session.add_all([check, draft])
        # What the inbox kept of their messages is scrubbed (the keys stay, so a redelivered
        # update is still not applied twice); an update still waiting stays whole.
        body = {"message": {"text": "Nguyễn Văn A, 0905 123 456"}}
        for key, status in (("9", "done"), ("10", "set_aside"), ("11", "pending")):
            session.add(
                InboxUpdate(
                    channel="telegram", update_key=key, sender_key="1001", raw=body, status=status
                )
            )
        await session.flush()
        session.add(Answer(run_id=check.id, question_id="bags", value_text="yes"))
        session.add(Answer(run_id=draft.id, question_id="bags", value_text="no"))
        await session.flush()
        request, new = await privacy.request_forget(session, person)
        again, new_again = await privacy.request_forget(session, person)
        assert new and not new_again and again.id == request.id
        await privacy.decide_forget(session, request.id, admin, approve=True)
        await session.commit()
        person_id, check_id, draft_id = person.id, check.id, draft.id

    async with db.session() as session:
        person = await session.get(Person, person_id)
        assert person.name == f"Cán bộ #{person_id}" and not person.active
        assert (await session.exec(select(ChannelAccount))).all() == []
        assert await people.find_by_account(session, "telegram", "1001") is None
        inbox = (await session.exec(select(InboxUpdate).order_by(InboxUpdate.update_key))).all()
        kept = [(row.update_key, row.sender_key, row.raw) for row in inbox]
        assert kept == [("10", "", {}), ("11", "1001", body), ("9", "", {})]
        assert await session.get(ChecklistRun, check_id) is not None
        assert await session.get(ChecklistRun, draft_id) is None
        answers = (await session.exec(select(Answer.run_id))).all()
        assert answers == [check_id]
        try:
            await privacy.decide_forget(session, request.id, person, approve=False)
        except privacy.PrivacyError as refused:
            assert refused.reason == "forget_decided"
        else:
            raise AssertionError("a decided request was decided again")


async def test_the_purge_counts_then_removes_old_photos_locations_drafts_and_messages(db, tmp_path):
    media = tmp_path / "media"
    old, recent = NOW - timedelta(days=6 * 365), NOW - timedelta(days=30)
    async with db.session() as session:
        person = await _inspector(session)
        runs = [_run(person, "submitted", old), _run(person, "submitted", recent)]
        stale_draft, fresh_draft = _run(person, "draft", old), _run(person, "draft", NOW)
        session.add_all([*runs, stale_draft, fresh_draft])
        await session.flush()
        for run, when in ((runs[0], old), (runs[1], recent)):
            photo = media / str(run.id) / "photo-1.jpg"
            photo.parent.mkdir(parents=True)
            photo.write_bytes(b"jpeg")
            for question_id, values in (
                ("photo", {"value_text": str(photo)}),
                ("location", {"value_json": {"lat": 15.1, "lon": 108.8}}),
                ("bags", {"value_text": "yes"}),
            ):
                session.add(
                    Answer(run_id=run.id, question_id=question_id, answered_at=when, **values)
                )
        (media / str(stale_draft.id)).mkdir()
        (media / str(stale_draft.id) / "photo-2.jpg").write_bytes(b"jpeg")
        inbox_row = InboxUpdate(
            channel="telegram",
            update_key="1",
            sender_key="1001",
            raw={},
            status="done",
            received_at=old,
        )
        session.add(inbox_row)
        await session.flush()
        session.add(
            OutboxMessage(
                channel="telegram",
                chat_id="1001",
                replies=[],
                status="sent",
                created_at=old,
                inbox_id=inbox_row.id,
            )
        )
        await session.commit()

    options = dict(
        now=NOW,
        retention_years=5,
        draft_days=30,
        message_days=90,
        photo_questions={("supermarket", "photo")},
        media_dir=media,
    )
    async with db.session() as session:
        plan = await retention.plan_purge(session, **options)
        assert plan.counts() == {
            "photos": 1,
            "photo_files": 2,
            "locations": 1,
            "drafts": 1,
            "messages": 2,
        }
        await retention.apply_purge(session, plan)
        await session.commit()
    assert retention.remove_files(plan) == 2
    assert not (media / str(runs[0].id)).exists()
    assert (media / str(runs[1].id) / "photo-1.jpg").exists()
    assert not (media / str(stale_draft.id)).exists()
    async with db.session() as session:
        left = sorted((await session.exec(select(Answer.run_id, Answer.question_id))).all())
        assert left == sorted(
            [
                (runs[0].id, "bags"),
                (runs[1].id, "bags"),
                (runs[1].id, "photo"),
                (runs[1].id, "location"),
            ]
        )
        assert await session.get(ChecklistRun, fresh_draft.id) is not None
        again = await retention.plan_purge(session, **options)
        assert set(again.counts().values()) == {0}


async def test_the_access_log_names_the_person_or_the_operator(db):
    async with db.session() as session:
        person = await _inspector(session)
        await privacy.record_access(session, person, "export", "year=2026", source="telegram")
        await privacy.record_access(session, "operator:lan", "export", "year=2026 personal=no")
        await session.commit()
        entries = await privacy.access_entries(session)
    assert [(e.source, e.action, who) for e, who in entries] == [
        ("cli", "export", "operator:lan"),
        ("telegram", "export", "Lê Thị Kiểm"),
    ]
