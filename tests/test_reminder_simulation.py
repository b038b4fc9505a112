"""One process ticking every hour from 1/11/2028 to 20/1/2029: a deadline on a Sunday,
one in early January across the year boundary, a 3-day outage and a confirmation. The
exact list of messages sent: every slot once, none skipped, none outside working hours."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from handlers.engine import Engine, EngineSettings
from handlers.messages import Inbound
from tests.test_reminder_calendar import (
    TZ,
    RecordingSender,
    add_head,
    deadline,
    only_deadlines,
    reminders_for,
)

HOLIDAYS = frozenset({date(2029, 1, 1)})
OUTAGE = (datetime(2028, 12, 12, 10, tzinfo=TZ), datetime(2028, 12, 15, 10, tzinfo=TZ))
CONFIRMED_AT = datetime(2028, 12, 18, 12, tzinfo=TZ)


def d(day: int, month: int, year: int = 2028) -> date:
    return date(year, month, day)


def expected() -> list[tuple[date, int, str, str]]:
    """(day, hour, recipient, what the text says), in order, by hand."""
    rows: list[tuple[date, int, str, str]] = []

    def heads(day, hour, phrase, who=("Head QLTM", "Head QLCN")):
        rows.extend((day, hour, name, phrase) for name in who)

    # The annual report, due Sunday 10/12/2028 (offsets 7, 1, 0; 10 overdue days).
    heads(d(4, 12), 8, "10/12/2028 — còn 6 ngày")  # 7 days before: Sunday 3/12 -> Monday
    heads(d(8, 12), 8, "10/12/2028 — còn 2 ngày")  # 1 day before and on the day: Friday
    for day, hour, late in ((d(11, 12), 8, 1), (d(12, 12), 8, 2), (d(15, 12), 10, 5)):
        heads(day, hour, f"Đã quá hạn {late} ngày (hạn 10/12/2028)")
        rows.append((day, hour, "Admin KTATMT", f"hạn 10/12/2028, đã quá {late} ngày"))
    # (13/12 and 14/12 fell in the outage: caught up once at 10:00 on 15/12.)
    heads(d(18, 12), 8, "Đã quá hạn 8 ngày (hạn 10/12/2028)")
    rows.append((d(18, 12), 8, "Admin KTATMT", "hạn 10/12/2028, đã quá 8 ngày"))
    # QLCN confirms at noon on 18/12: from then on only QLTM.
    for day, late in ((d(19, 12), 9), (d(20, 12), 10)):
        heads(day, 8, f"Đã quá hạn {late} ngày (hạn 10/12/2028)", who=("Head QLTM",))
        rows.append((day, 8, "Admin KTATMT", f"hạn 10/12/2028, đã quá {late} ngày"))
    rows.append((d(21, 12), 8, "Admin KTATMT", "bot ngừng nhắc"))
    # The yearly 10/01 report (QLTM only; offsets 14, 3, 0), due Wednesday 10/01/2029.
    rows.append((d(27, 12), 8, "Head QLTM", "10/01/2029 — còn 14 ngày"))
    # 3 days before is Sunday 7/1 -> Monday 8/1 (1/1 is a holiday, nothing then).
    rows.append((d(8, 1, 2029), 8, "Head QLTM", "10/01/2029 — còn 2 ngày"))
    rows.append((d(10, 1, 2029), 8, "Head QLTM", "Hôm nay (10/01/2029)"))
    for day in (11, 12, 15, 16, 17, 18, 19):
        late = day - 10
        rows.append((d(day, 1, 2029), 8, "Head QLTM", f"Đã quá hạn {late} ngày (hạn 10/01/2029)"))
        rows.append((d(day, 1, 2029), 8, "Admin KTATMT", f"hạn 10/01/2029, đã quá {late} ngày"))
    return rows


async def test_november_to_january_hour_by_hour(sqlite_db, tmp_path):
    await add_head(sqlite_db, "Head QLTM", "QLTM", "9001")
    await add_head(sqlite_db, "Head QLCN", "QLCN", "9002")
    await add_head(sqlite_db, "Admin KTATMT", "KTATMT", "9100", role="admin")
    annual, _ = await only_deadlines(
        sqlite_db,
        deadline(
            "Báo cáo năm",
            yearly_month=12,
            yearly_day=10,
            offsets=[7, 1, 0],
            departments=["QLTM", "QLCN"],
        ),
        deadline("Báo cáo tháng 1", yearly_month=1, yearly_day=10, offsets=[14, 3, 0]),
    )
    reminders = reminders_for(sqlite_db, HOLIDAYS, overdue_limit_days=10)
    engine = Engine(
        sqlite_db, reminders.checklists, EngineSettings(timezone=TZ, media_dir=tmp_path)
    )
    engine.now_local = lambda: CONFIRMED_AT  # the head presses the button in 2028
    sender = RecordingSender()
    moment = datetime(2028, 11, 1, tzinfo=TZ)
    while moment < datetime(2029, 1, 21, tzinfo=TZ):
        if moment == CONFIRMED_AT:
            replies = await engine.handle(
                Inbound(channel="telegram", sender_id="9002", payload=f"rc:{annual}:2028:QLCN")
            )
            assert "Đã ghi nhận" in replies[0].text
        if not (OUTAGE[0] <= moment < OUTAGE[1]):
            sender.now = moment
            await reminders.tick(moment, sender)
        moment += timedelta(hours=1)

    # Within one tick the sends run concurrently: compare in (day, hour, recipient) order.
    got = sorted((when.date(), when.hour, name, text) for when, name, text in sender.sent)
    want = sorted(expected())
    assert [(day, hour, name) for day, hour, name, _ in got] == [
        (day, hour, name) for day, hour, name, _ in want
    ]
    for (day, hour, name, text), (_, _, _, phrase) in zip(got, want, strict=True):
        assert phrase in text, (day, hour, name, text)
    assert all(time(8) <= time(hour) < time(18) for _, hour, _, _ in got)
