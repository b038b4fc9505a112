"""Nudges: a pending correction once a working day, at most three times; an untouched
draft once after four working hours, closed as abandoned after fourteen days."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.checklist import ChecklistRegistry
from handlers.review_nudges import Nudges, NudgeSettings, working_hours_between
from storage import people, review
from storage.models import ChecklistRun

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SETTINGS = NudgeSettings(timezone=TZ, holidays=frozenset({datetime(2026, 9, 2).date()}))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_working_hours_count_office_hours_on_working_days_only():
    # Friday 15:00 to Monday 10:00: 2 h on Friday, 2 h on Monday.
    assert working_hours_between(local(2026, 5, 8, 15), local(2026, 5, 11, 10), SETTINGS) == 4
    # Evening to the next morning: only the morning counts.
    assert working_hours_between(local(2026, 5, 5, 20), local(2026, 5, 6, 9), SETTINGS) == 1
    # A holiday (2 September) counts nothing.
    assert working_hours_between(local(2026, 9, 2, 8), local(2026, 9, 2, 17), SETTINGS) == 0


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[int, list]] = []

    async def __call__(self, person, replies) -> str:
        self.sent.append((person.id, replies))
        return "telegram"


async def _people_and_check(db, asked_at: datetime):
    async with db.session() as session:
        inspector = await people.add_person(
            session, name="Lê Thị Kiểm", role="inspector", department_code="QLTM"
        )
        head = await people.add_person(session, name="Võ", role="head", department_code="QLTM")
        await session.flush()
        check = ChecklistRun(
            person_id=inspector.id,
            checklist_id="supermarket",
            checklist_version=1,
            status="submitted",
            phase="review",
            submitted_at=asked_at - timedelta(hours=1),
        )
        session.add(check)
        await session.flush()
        event = await review.record(
            session, check.id, 0, "needs_correction", head.id, comment="Số liệu chưa khớp"
        )
        event.at = asked_at
        session.add(event)
        await session.commit()
        return inspector, check


async def test_a_pending_correction_is_nudged_once_a_working_day_at_most_three_times(db):
    inspector, check = await _people_and_check(db, local(2026, 5, 4, 16))  # a Monday
    nudges, outbox = Nudges(db, ChecklistRegistry.load(), SETTINGS), Outbox()
    assert await nudges.tick(local(2026, 5, 4, 16, 30), outbox) == 0  # asked today
    for day in (5, 5, 6, 7, 8):  # Tuesday twice, then Wednesday to Friday
        await nudges.tick(local(2026, 5, day, 8), outbox)
    assert await nudges.tick(local(2026, 5, 9, 8), outbox) == 0  # Saturday
    assert [person for person, _replies in outbox.sent] == [inspector.id] * 3
    reply = outbox.sent[0][1][0]
    assert "Số liệu chưa khớp" in reply.text and reply.choices[0].label == "Sửa ngay"
    assert reply.choices[0].payload == f"fx:{check.id}:1"
    # Corrected: no more nudges (a new request would start its own three).
    async with db.session() as session:
        await review.record(session, check.id, 1, "corrected", inspector.id)
        await session.commit()
    assert await nudges.tick(local(2026, 5, 11, 8), Outbox()) == 0


async def test_an_untouched_draft_is_nudged_once_then_closed_as_abandoned(db):
    async with db.session() as session:
        person = await people.add_person(
            session, name="Lê Thị Kiểm", role="inspector", department_code="QLTM"
        )
        await session.flush()
        started = local(2026, 5, 4, 9)
        draft = ChecklistRun(
            person_id=person.id,
            checklist_id="supermarket",
            checklist_version=1,
            started_at=started,
            updated_at=started,
        )
        session.add(draft)
        await session.commit()
        draft_id = draft.id
    nudges, outbox = Nudges(db, ChecklistRegistry.load(), SETTINGS), Outbox()
    assert await nudges.tick(local(2026, 5, 4, 12), outbox) == 0  # three working hours
    assert await nudges.tick(local(2026, 5, 4, 14), outbox) == 1
    assert await nudges.tick(local(2026, 5, 5, 14), outbox) == 0  # once only
    labels = [choice.label for choice in outbox.sent[0][1][0].choices]
    assert labels == ["Tiếp tục", "Hủy phiếu này"]
    await nudges.tick(local(2026, 5, 19, 8), outbox)  # fifteen days later
    async with db.session() as session:
        assert (await session.get(ChecklistRun, draft_id)).status == "cancelled"


async def test_the_clock_reads_its_settings_from_the_configuration(tmp_path, sqlite_db):
    from bot.config import load_config
    from bot.review_clock import ReviewNudgeClock

    path = tmp_path / "config.toml"
    path.write_text("[review]\ncorrection_nudges = 2\ndraft_nudge_hours = 6\n", encoding="utf-8")
    clock = ReviewNudgeClock(load_config(path), sqlite_db, Outbox())
    settings = clock.nudges.settings
    assert (settings.correction_nudges, settings.draft_nudge_hours) == (2, 6)
    assert settings.draft_abandon_days == 14
    await clock.tick()  # nothing pending: nothing sent, nothing raised
