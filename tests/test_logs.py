"""bot/logs.py: no token and no typed text in the log at the default level, and a
repeating record written once per window with a count (issue 16)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from bot.logs import HIDDEN, CollapseRepeats, RedactSecrets, level_from_environment, setup_logging

TOKEN = "123456:SECRET-token-abcdefghijklmnopqrstu"
TYPED = "Ghi chú của chị Lan: số điện thoại 0905 123 456"


def record(message: str = "Zalo getUpdates failed (%s)", *args, level=logging.WARNING):
    if not args and "%s" in message:
        args = ("x",)
    return logging.LogRecord("bot.channels.zalo", level, __file__, 1, message, args, None)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_repeating_record_is_written_once_per_window_with_a_count():
    clock, written = Clock(), []
    collapse = CollapseRepeats(60, clock=clock, sink=written.append)

    def feed(item: logging.LogRecord) -> None:
        if collapse.filter(item):
            written.append(item)

    # The same error every second for two minutes and a bit: three lines.
    for second in range(125):
        clock.now = 1000.0 + second
        feed(record())
    assert [r.getMessage() for r in written] == [
        "Zalo getUpdates failed (x)",
        "Zalo getUpdates failed (x) (repeated 59 more times within 60 s)",
        "Zalo getUpdates failed (x) (repeated 59 more times within 60 s)",
    ]
    # Another message, another level or another logger is not a repeat.
    written.clear()
    feed(record("Zalo getUpdates failed (%s)", "y"))
    feed(record(level=logging.ERROR))
    other = record()
    other.name = "bot.channels.telegram"
    feed(other)
    assert len(written) == 3

    # It stops repeating: its count comes out with the next record after the window.
    written.clear()
    clock.now += 61
    feed(record("reminder tick failed", level=logging.ERROR))
    messages = [r.getMessage() for r in written]
    assert "Zalo getUpdates failed (x) (repeated 4 more times within 60 s)" in messages
    assert messages[-1] == "reminder tick failed"

    # A record seen once and not again leaves no count; flush writes what is pending.
    written.clear()
    feed(record("once"))
    for _ in range(3):
        feed(record("thrice"))
    collapse.flush()
    assert [r.getMessage() for r in written] == [
        "once",
        "thrice",
        "thrice (repeated 2 more times within 60 s)",
    ]


def failing_insert(note: str) -> sa.exc.DBAPIError:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        connection.execute(
            sa.text("CREATE TABLE answer (value_text TEXT CHECK (length(value_text) < 5))")
        )
        try:
            connection.execute(sa.text("INSERT INTO answer VALUES (:v)"), {"v": note})
        except sa.exc.DBAPIError as error:
            return error
    raise AssertionError("the insert did not fail")


def log_failures(caplog_stream) -> str:
    log = logging.getLogger("bot.pipeline")
    try:
        raise failing_insert(TYPED)
    except sa.exc.DBAPIError:
        log.exception("telegram update 17 failed (IntegrityError), attempt 3: set aside")
    try:
        try:
            raise ValueError(f"not a number: {TYPED!r}")
        except ValueError as error:
            raise RuntimeError(f"turn failed for {TYPED}") from error
    except RuntimeError:
        log.exception("zalo update 18 failed")
    try:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
    except OSError:
        log.exception("reminder tick failed")
    log.error("str(error) logged by a library: %s", f"[parameters: ('{TYPED}',)]")
    log.warning("a token in a message: %s", TOKEN)
    for handler in logging.getLogger().handlers:
        handler.flush()
    return caplog_stream()


@pytest.fixture
def fresh_root(monkeypatch):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    monkeypatch.delenv("FIELDBOT_LOG_LEVEL", raising=False)
    yield monkeypatch
    root.handlers[:], level = saved
    root.setLevel(level)


def test_the_default_level_logs_no_typed_text_and_no_token(fresh_root, capsys):
    setup_logging([TOKEN])
    assert logging.getLogger().level == logging.INFO
    written = log_failures(lambda: capsys.readouterr().err)
    assert TYPED not in written and "0905" not in written
    assert TOKEN not in written and "SECRET-token" not in written
    # Ids, kinds and exception types stay, and so do system errors' messages.
    assert "telegram update 17 failed (IntegrityError), attempt 3: set aside" in written
    assert "sqlalchemy.exc.IntegrityError: " + HIDDEN in written
    assert "sqlite3.IntegrityError: " + HIDDEN in written
    assert "ValueError: " + HIDDEN in written and "RuntimeError: " + HIDDEN in written
    assert "Connect call failed ('127.0.0.1', 5432)" in written
    assert "[parameters: hidden]" in written
    assert "Traceback (most recent call last)" in written


def test_debug_level_shows_typed_text_but_never_the_token(fresh_root, capsys):
    fresh_root.setenv("FIELDBOT_LOG_LEVEL", "debug")
    setup_logging([TOKEN])
    assert logging.getLogger().level == logging.DEBUG
    written = log_failures(lambda: capsys.readouterr().err)
    assert TYPED in written
    assert TOKEN not in written and "SECRET-token" not in written


@pytest.mark.parametrize(
    ("value", "level"),
    [("", logging.INFO), ("DEBUG", logging.DEBUG), ("warning", logging.WARNING), ("loud", 20)],
)
def test_fieldbot_log_level(monkeypatch, value, level):
    monkeypatch.setenv("FIELDBOT_LOG_LEVEL", value)
    assert level_from_environment() == level


def test_redact_secrets_keeps_its_old_behaviour_by_default():
    redact = RedactSecrets([TOKEN])
    item = record("%s [parameters: ('x',)]", TOKEN)
    assert redact.filter(item)
    assert item.getMessage() == "<token> [parameters: ('x',)]"
