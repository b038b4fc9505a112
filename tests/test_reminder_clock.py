"""The reminder clock accepts every tick_time the configuration accepts, and its ticks
cover the whole working day."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config, ConfigError, defaults
from bot.scheduler import reminder_settings, tick_times, tick_trigger

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def fire_times(trigger, day: datetime) -> list[time]:
    """Every moment the trigger fires on one day."""
    moments, previous = [], None
    now = day.replace(hour=0, minute=0)
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire.date() != day.date():
            return moments
        moments.append(fire.time())
        previous, now = fire, fire + timedelta(seconds=1)


@pytest.mark.parametrize("tick", ["07:45", "08:00", "13:10", "17:59"])
@pytest.mark.parametrize("retry", [1, 30, 45, 60, 90])
def test_every_tick_time_makes_a_trigger_covering_the_rest_of_the_day(tick, retry):
    config = Config(defaults()).with_values(reminders={"tick_time": tick, "retry_minutes": retry})
    settings = reminder_settings(config)
    trigger = tick_trigger(settings.tick_time, retry, TZ)
    thursday = datetime(2026, 12, 3, tzinfo=TZ)
    fired = fire_times(trigger, thursday)
    assert fired == tick_times(settings.tick_time, retry)
    assert fired[0] == settings.tick_time and fired[-1] < time(18, 0)
    minutes = [m.hour * 60 + m.minute for m in fired]
    assert all(b - a == retry for a, b in zip(minutes, minutes[1:], strict=False))
    assert 18 * 60 - minutes[-1] <= retry  # nothing left uncovered at the end of the day
    assert fire_times(trigger, datetime(2026, 12, 5, tzinfo=TZ)) == []  # Saturday


@pytest.mark.parametrize("tick", ["18:00", "23:30"])
def test_a_tick_time_after_the_working_day_is_a_one_line_error(tick):
    config = Config(defaults()).with_values(reminders={"tick_time": tick})
    with pytest.raises(ConfigError) as raised:
        reminder_settings(config)
    assert "tick_time" in str(raised.value) and "\n" not in str(raised.value)


def test_the_configured_overdue_limit_and_the_calendar_default_agree():
    """bot/config.py keeps its defaults free of the handlers (the CLI parser must not
    import SQLModel), so the 31 days are written twice: they must stay the same."""
    from handlers.reminders import OVERDUE_LIMIT_DAYS, ReminderSettings

    configured = reminder_settings(Config(defaults())).overdue_limit_days
    assert configured == OVERDUE_LIMIT_DAYS == ReminderSettings(timezone=TZ).overdue_limit_days
