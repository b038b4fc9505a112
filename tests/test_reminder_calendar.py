"""Reminders on every calendar: weekends and holidays never swallow one, deadlines early
in a year get their December reminders, catch-up waits for working hours, the overdue
limit ends with one last escalation, and a send whose bookkeeping fails is not repeated."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import OperationalError
from sqlmodel import select

from handlers.catalog import t
from handlers.checklist import ChecklistRegistry
from handlers.reminders import Reminders, ReminderSettings, due_date, slot_day
from storage import deliveries, people
from storage import reminders as store
from storage.models import Deadline, ReminderDelivery

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NEW_YEAR = frozenset({date(2027, 1, 1)})


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[datetime | None, str, str]] = []  # (tick, person, text)
        self.now: datetime | None = None

    async def __call__(self, person, message) -> str:
        for reply in message.shown(buttons=True):
            self.sent.append((self.now, person.name, reply.text))
        return "telegram"


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def reminders_for(db, holidays=frozenset(), **settings) -> Reminders:
    return Reminders(
        db,
        ChecklistRegistry.load(),
        ReminderSettings(
            timezone=TZ, holidays=holidays, tick_time=time(8, 0), bookkeeping_delay=0, **settings
        ),
    )


async def add_head(db, name="Head QLTM", department="QLTM", account="9001", role="head"):
    async with db.session() as session:
        person = await people.add_person(
            session,
            name=name,
            role=role,
            department_code=department,
            accounts={"telegram": account} if account else {},
        )
        await session.commit()
        return person


async def only_deadlines(db, *deadlines: Deadline) -> list[int]:
    """Replaces the default 10/12 deadline by these (for QLTM, escalated to KTATMT)."""
    async with db.session() as session:
        for existing in await store.active_deadlines(session):
            await store.remove_deadline(session, existing.id)
        ids = [(await store.add_deadline(session, deadline)).id for deadline in deadlines]
        await session.commit()
    return ids


def deadline(title: str, **values) -> Deadline:
    values.setdefault("offsets", [30, 14, 7, 3, 1, 0])
    values.setdefault("departments", ["QLTM"])
    values.setdefault("escalate_to", "KTATMT")
    return Deadline(title_vi=title, title_en=title, **values)


async def tick_days(reminders, sender, start, end, hours=(8,)):
    for day in days(start, end):
        for hour in hours:
            sender.now = at(day, hour)
            await reminders.tick(sender.now, sender)


# --- rule 2: weekends and holidays --------------------------------------------------


def test_a_slot_on_a_weekend_moves_back_when_moving_forward_would_reach_the_due_date():
    due = date(2028, 12, 10)  # a Sunday
    assert slot_day(due, 0, frozenset()) == date(2028, 12, 8)  # Friday
    assert slot_day(due, 1, frozenset()) == date(2028, 12, 8)  # Saturday 9/12 -> Friday
    assert slot_day(due, 3, frozenset()) == date(2028, 12, 7)  # a Thursday: stays
    assert slot_day(due, 7, frozenset()) == date(2028, 12, 4)  # Sunday 3/12 -> Monday
    assert slot_day(due, 14, frozenset()) == date(2028, 11, 27)  # Sunday 26/11 -> Monday
    # A holiday on the Friday pushes "on the day" back to Thursday.
    assert slot_day(due, 0, frozenset({date(2028, 12, 8)})) == date(2028, 12, 7)


async def test_a_sunday_deadline_is_reminded_on_the_friday_before_not_after(sqlite_db):
    await add_head(sqlite_db)
    sender = RecordingSender()
    await tick_days(reminders_for(sqlite_db), sender, date(2028, 11, 1), date(2028, 12, 11))
    to_head = [(when.date(), text) for when, name, text in sender.sent if name == "Head QLTM"]
    assert [day for day, _ in to_head] == [
        date(2028, 11, 10),
        date(2028, 11, 27),
        date(2028, 12, 4),
        date(2028, 12, 7),
        date(2028, 12, 8),  # "1 day before" and "on the day", both on Friday
        date(2028, 12, 11),  # the first overdue working day
    ]
    friday = dict(to_head)[date(2028, 12, 8)]
    assert "10/12/2028 — còn 2 ngày" in friday
    assert "quá hạn" not in " ".join(text for day, text in to_head if day <= date(2028, 12, 10))
    assert "Đã quá hạn 1 ngày" in dict(to_head)[date(2028, 12, 11)]


# --- issue 9: one due date, 29 February included --------------------------------


def test_a_yearly_29_february_falls_on_28_february_in_a_common_year():
    leap_day = deadline("Báo cáo 29/02", yearly_month=2, yearly_day=29)
    assert due_date(leap_day, 2027) == date(2027, 2, 28)
    assert due_date(leap_day, 2028) == date(2028, 2, 29)
    fixed = deadline("Hạn 15/01/2027", due_date=date(2027, 1, 15))
    assert due_date(fixed, 2027) == date(2027, 1, 15) and due_date(fixed, 2026) is None


async def test_a_yearly_29_february_deadline_never_breaks_a_tick(sqlite_db):
    await add_head(sqlite_db)
    await only_deadlines(
        sqlite_db, deadline("Báo cáo 29/02", yearly_month=2, yearly_day=29, offsets=[3, 0])
    )
    sender = RecordingSender()
    reminders = reminders_for(sqlite_db, overdue_limit_days=2)
    await tick_days(reminders, sender, date(2027, 2, 20), date(2027, 3, 5))
    # Due Sunday 28/02/2027: 3 days before on Thursday 25/02, "on the day" on Friday
    # 26/02, then overdue on 1/03 and 2/03 (the limit).
    assert [(when.date(), text.splitlines()[1]) for when, _, text in sender.sent] == [
        (date(2027, 2, 25), "Hạn nộp: 28/02/2027 — còn 3 ngày."),
        (date(2027, 2, 26), "Hạn nộp: 28/02/2027 — còn 2 ngày."),
        (date(2027, 3, 1), "Đã quá hạn 1 ngày (hạn 28/02/2027)."),
        (date(2027, 3, 2), "Đã quá hạn 2 ngày (hạn 28/02/2027)."),
    ]


async def test_the_report_statuses_use_the_same_due_date(sqlite_db):
    from storage.kpis import report_statuses
    from storage.kpis.scope import Scope

    await only_deadlines(
        sqlite_db, deadline("Báo cáo 29/02", yearly_month=2, yearly_day=29, departments=["QLTM"])
    )
    async with sqlite_db.session() as session:
        common = await report_statuses(session, Scope(year=2027))
        leap = await report_statuses(session, Scope(year=2028))
    assert [(s.department_code, s.due) for s in common] == [("QLTM", date(2027, 2, 28))]
    assert [(s.department_code, s.due) for s in leap] == [("QLTM", date(2028, 2, 29))]


# --- rule 3: deadlines early in the year --------------------------------------------


async def test_january_deadlines_get_their_december_reminders(sqlite_db):
    await add_head(sqlite_db)
    await only_deadlines(
        sqlite_db,
        deadline("Hạn hằng năm 10/01", yearly_month=1, yearly_day=10),
        deadline("Hạn 15/01/2027", due_date=date(2027, 1, 15)),
    )
    sender = RecordingSender()
    await tick_days(
        reminders_for(sqlite_db, NEW_YEAR), sender, date(2026, 12, 1), date(2027, 1, 18)
    )
    sent = [(when.date(), text) for when, name, text in sender.sent if name == "Head QLTM"]
    yearly = [day for day, text in sent if "10/01/2027" in text]
    fixed = [day for day, text in sent if "15/01/2027" in text]
    # 10/01/2027 is a Sunday: 30 days before is Friday 11/12; 14 days before is Sunday
    # 27/12 (-> Monday 28/12); 7 days before Sunday 3/1 (-> Monday 4/1); 3 days before
    # Thursday 7/1; 1 day before and on the day on Friday 8/1; then overdue.
    assert yearly[:5] == [
        date(2026, 12, 11),
        date(2026, 12, 28),
        date(2027, 1, 4),
        date(2027, 1, 7),
        date(2027, 1, 8),
    ]
    assert yearly[5:] == [date(2027, 1, 11), date(2027, 1, 12), date(2027, 1, 13)] + [
        date(2027, 1, 14),
        date(2027, 1, 15),
        date(2027, 1, 18),
    ]
    # 15/01/2027: 16/12, 1/1 is a holiday (-> Monday 4/1), 8/1, 12/1, 14/1, 15/1, then 18/1.
    assert fixed == [
        date(2026, 12, 16),
        date(2027, 1, 4),
        date(2027, 1, 8),
        date(2027, 1, 12),
        date(2027, 1, 14),
        date(2027, 1, 15),
        date(2027, 1, 18),
    ]
    # The December reminder of a January report shows the year's work it is about.
    december = next(text for day, text in sent if day == date(2026, 12, 11))
    assert "năm 2026" in december


# --- rule 4: catch-up in working hours ----------------------------------------------


async def test_after_an_outage_the_missed_reminder_waits_for_working_hours(sqlite_db):
    await add_head(sqlite_db)
    reminders = reminders_for(sqlite_db)
    sender = RecordingSender()
    # Down all of Friday 27/11/2026 (the 14-day slot) until a restart at 21:00.
    for moment in (
        at(date(2026, 11, 27), 21, 0),
        at(date(2026, 11, 27), 23, 30),
        at(date(2026, 11, 28), 10, 0),  # Saturday
        at(date(2026, 11, 30), 7, 59),  # Monday, before the tick time
        at(date(2026, 11, 30), 8, 0),
        at(date(2026, 11, 30), 9, 0),
        at(date(2026, 11, 30), 18, 0),
    ):
        sender.now = moment
        await reminders.tick(moment, sender)
    assert [(when, name) for when, name, _ in sender.sent] == [
        (at(date(2026, 11, 30), 8, 0), "Head QLTM")
    ]
    assert "còn 10 ngày" in sender.sent[0][2]


async def test_no_tick_sends_after_the_end_of_the_working_day(sqlite_db):
    await add_head(sqlite_db)
    sender = RecordingSender()
    await reminders_for(sqlite_db).tick(at(date(2026, 12, 3), 18, 5), sender)
    assert sender.sent == []


# --- rule 8: the overdue limit ------------------------------------------------------


async def test_overdue_reminders_stop_at_the_limit_with_one_last_escalation(sqlite_db):
    await add_head(sqlite_db)
    await add_head(sqlite_db, "Admin KTATMT", "KTATMT", "9100", role="admin")
    await only_deadlines(sqlite_db, deadline("Báo cáo quý", due_date=date(2026, 12, 10)))
    sender = RecordingSender()
    reminders = reminders_for(sqlite_db, overdue_limit_days=5)
    await tick_days(reminders, sender, date(2026, 12, 11), date(2026, 12, 31))
    head = [when.date() for when, name, _ in sender.sent if name == "Head QLTM"]
    # Overdue on working days up to 10 + 5 = 15/12, then no more.
    assert head == [date(2026, 12, d) for d in (11, 14, 15)]
    admin = [(when.date(), text) for when, name, text in sender.sent if name == "Admin KTATMT"]
    assert [day for day, _ in admin] == [date(2026, 12, d) for d in (11, 14, 15, 16)]
    assert "bot ngừng nhắc" in admin[-1][1] and "Phòng Quản lý thương mại" in admin[-1][1]


# --- rule 0: a send whose bookkeeping fails -----------------------------------------


def failing_record_outcome(monkeypatch, failures: int) -> list[int]:
    """Writing outcomes (record_outcomes, a batch of them at a time) raises "database
    is locked" for its next ``failures`` calls."""
    real = deliveries.record_outcomes
    left = [failures]

    async def flaky(session, outcomes):
        if left[0] > 0:
            left[0] -= 1
            raise OperationalError("UPDATE reminder_delivery", {}, Exception("database is locked"))
        await real(session, outcomes)

    monkeypatch.setattr(deliveries, "record_outcomes", flaky)
    return left


async def statuses(db) -> list[str]:
    async with db.session() as session:
        return [row.status for row in (await session.exec(select(ReminderDelivery))).all()]


async def test_a_failed_write_after_a_send_is_retried_not_the_message(db, monkeypatch):
    await add_head(db)
    failing_record_outcome(monkeypatch, 1)
    sender = RecordingSender()
    reminders = reminders_for(db)
    report = await reminders.tick(at(date(2026, 12, 3)), sender)
    assert report.sent == 1 and len(sender.sent) == 1
    assert await statuses(db) == ["sent"]
    for minute in (30, 60, 90):
        await reminders.tick(at(date(2026, 12, 3)) + timedelta(minutes=minute), sender)
    assert len(sender.sent) == 1


async def test_a_database_refusing_writes_for_a_while_never_duplicates_a_reminder(db, monkeypatch):
    await add_head(db)
    left = failing_record_outcome(monkeypatch, 5)  # more than one tick's tries
    sender = RecordingSender()
    reminders = reminders_for(db)
    await reminders.tick(at(date(2026, 12, 3)), sender)
    assert len(sender.sent) == 1
    assert await statuses(db) == ["sending"]  # delivered, not recorded yet
    # Another process (or a restart) finds it "sending" and sends nothing; the next
    # tick of this process writes the outcome.
    await reminders_for(db).tick(at(date(2026, 12, 3), 9), sender)
    assert len(sender.sent) == 1
    await reminders.tick(at(date(2026, 12, 3), 9, 30), sender)
    assert left[0] == 0 and await statuses(db) == ["sent"]
    for hour in range(10, 18):
        await reminders.tick(at(date(2026, 12, 3), hour), sender)
    assert len(sender.sent) == 1


# --- rule 10: what the reminder says -------------------------------------------------


async def test_each_department_sees_its_own_progress_in_its_own_terms(sqlite_db):
    for name, code, account in (
        ("Head TTKC", "TTKC", "9201"),
        ("Head KTATMT", "KTATMT", "9202"),
        ("Head KHAC", "KHAC", "9203"),
    ):
        await add_head(sqlite_db, name, code, account)
    sender = RecordingSender()
    await reminders_for(sqlite_db).tick(at(date(2026, 12, 3)), sender)
    text = {name: body for _, name, body in sender.sent if "Hạn nộp" in body}
    ttkc = text["Head TTKC"]
    assert "Tiến độ năm 2026 của Trung tâm Khuyến công và Xúc tiến thương mại:" in ttkc
    assert "– 0 mô hình sản xuất sạch hơn / SXTDBV ghi nhận" in ttkc
    assert "CCN đã kiểm tra" not in ttkc and "TTKC" not in ttkc
    # KTATMT's own reminder: its progress once, under its own name.
    ktatmt = text["Head KTATMT"]
    assert ktatmt.count("Tiến độ năm") == 1
    assert "Tiến độ năm 2026 của Phòng Kỹ thuật an toàn – Môi trường:" in ktatmt
    lines = ktatmt.splitlines()
    assert len(lines) == len(set(lines))  # each progress line once
    # A department without a checklist: no progress heading, no empty line.
    assert text["Head KHAC"].splitlines() == [
        "⏰ Báo cáo kết quả thực hiện SXTDBV hằng năm",
        "Hạn nộp: 10/12/2026 — còn 7 ngày.",
        t("vi", "dr_reminder_hint"),  # a yearly report can be written in the bot
        "Khi đơn vị đã nộp, anh/chị bấm nút hoặc gõ “Đã nộp báo cáo”.",
    ]
    assert "\n\n" not in "".join(text.values())
