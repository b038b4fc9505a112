"""Logging set-up that never lets a bot token, or what people typed, reach a log line;
and that bounds the volume: a repeating record is written once with a count.

What people type is personal data. Below DEBUG the log carries ids and kinds only:
the project's own messages name ids and exception types, and the messages of
exceptions in tracebacks (SQLAlchemy quotes the statement's parameters, asyncpg the
value, openpyxl the cell text) are hidden, except for system errors (OSError) and
the messenger libraries' own errors. ``FIELDBOT_LOG_LEVEL=DEBUG`` shows everything
but the tokens: for a short look at a problem only.
"""

from __future__ import annotations

import logging
import os
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

# Telegram tokens look like 123456:ABC...; Zalo's like <bot_id>:<secret>.
_TOKEN_SHAPE = re.compile(r"(?<![0-9])[0-9]{5,}:[A-Za-z0-9_-]{20,}")
# SQLAlchemy appends the statement's parameters (the answers themselves) to its errors.
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
HIDDEN = "(message hidden: it may hold what people typed; FIELDBOT_LOG_LEVEL=DEBUG shows it)"
# Exceptions whose messages the system or a messenger's API wrote, not a user.
_SAFE_MESSAGE_MODULES = ("telegram", "httpx", "httpcore", "ssl", "bot.channels.zalo")
LEVEL_VARIABLE = "FIELDBOT_LOG_LEVEL"


def hide_tokens(text: str) -> str:
    """Replaces anything shaped like a bot token."""
    return _TOKEN_SHAPE.sub("<token>", text)


def _message_is_safe(exc_type: type | None) -> bool:
    if exc_type is None or issubclass(exc_type, OSError):
        return True
    return (exc_type.__module__ or "").startswith(_SAFE_MESSAGE_MODULES)


def format_exception(exc_info, *, show_messages: bool = True) -> str:
    """A traceback as ``logging`` writes it; without ``show_messages`` every exception
    in the chain keeps its type and frames but not its message (see the module)."""
    formatter = logging.Formatter()
    if show_messages:
        return formatter.formatException(exc_info)
    _type, value, tb = exc_info
    report = traceback.TracebackException(type(value), value, tb, compact=True)
    pending, seen = [report], set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        exc_type = getattr(current, "exc_type", None)
        if not _message_is_safe(exc_type) and hasattr(current, "_str"):
            current._str = HIDDEN
        pending.extend((current.__cause__, current.__context__))
        pending.extend(getattr(current, "exceptions", None) or [])
    return "".join(report.format()).rstrip("\n")


class RedactSecrets(logging.Filter):
    """Replaces configured secrets and anything shaped like a bot token; with
    ``hide_user_text`` also the statement parameters SQLAlchemy quotes and the
    messages of exceptions in tracebacks (what people typed may be in them)."""

    def __init__(self, secrets: list[str], *, hide_user_text: bool = False) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]
        self.hide_user_text = hide_user_text

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        text = hide_tokens(text)
        if self.hide_user_text:
            text = _SQL_PARAMETERS.sub("[parameters: hidden]", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so the handler never sees the raw one.
            record.exc_text = self.redact(
                format_exception(record.exc_info, show_messages=not self.hide_user_text)
            )
            record.exc_info = None
        return True


@dataclass
class _Seen:
    since: float
    repeats: int
    last: logging.LogRecord


class CollapseRepeats(logging.Filter):
    """Writes a record that repeats within ``window`` seconds once, then once more per
    window with a count: "... (repeated N more times within 60 s)". When a
    repeating record stops, its count is written (through ``sink``) with the next
    record that passes, or by ``flush()``. Identical means same logger, level,
    message and exception. ``clock`` is injectable for tests."""

    def __init__(
        self,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sink: Callable[[logging.LogRecord], None] | None = None,
    ) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self.sink = sink
        self._seen: dict[tuple, _Seen] = {}

    @staticmethod
    def _key(record: logging.LogRecord) -> tuple:
        exception = record.exc_text or ""
        if record.exc_info and record.exc_info[0] is not None:
            exception = record.exc_info[0].__name__
        return (record.name, record.levelno, record.getMessage(), exception.rsplit("\n", 1)[-1])

    def _counted(self, record: logging.LogRecord, repeats: int) -> logging.LogRecord:
        counted = logging.makeLogRecord(record.__dict__)
        counted.msg = (
            f"{record.getMessage()} (repeated {repeats} more times within {self.window:g} s)"
        )
        counted.args = None
        return counted

    def _close_stale(self, now: float, keep: tuple | None = None) -> None:
        for key, seen in list(self._seen.items()):
            if key == keep or now - seen.since < self.window:
                continue
            del self._seen[key]
            if seen.repeats and self.sink is not None:
                self.sink(self._counted(seen.last, seen.repeats))

    def flush(self) -> None:
        """Writes the counts still pending (at shut-down)."""
        for seen in self._seen.values():
            if seen.repeats and self.sink is not None:
                self.sink(self._counted(seen.last, seen.repeats))
        self._seen.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        key = self._key(record)
        self._close_stale(now, keep=key)
        seen = self._seen.get(key)
        if seen is not None and now - seen.since < self.window:
            seen.repeats += 1
            seen.last = record
            return False
        if seen is not None and seen.repeats:
            # The window is over: this record carries the count of the ones not written.
            record.msg = self._counted(record, seen.repeats).msg
            record.args = None
        self._seen[key] = _Seen(now, 0, record)
        return True


class _CollapsingHandler(logging.StreamHandler):
    """A stream handler whose CollapseRepeats writes pending counts on close."""

    def __init__(self, collapse: CollapseRepeats) -> None:
        super().__init__()
        self.collapse = collapse
        collapse.sink = self._emit_locked

    def _emit_locked(self, record: logging.LogRecord) -> None:
        # Called from the filter, before Handler.handle takes the lock.
        with self.lock:
            self.emit(record)

    def close(self) -> None:
        self.collapse.flush()
        super().close()


def level_from_environment(default: int = logging.INFO) -> int:
    """``FIELDBOT_LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR), else ``default``."""
    name = os.environ.get(LEVEL_VARIABLE, "").strip().upper()
    level = logging.getLevelName(name) if name else default
    return level if isinstance(level, int) else default


def setup_logging(secrets: list[str], level: int | None = None) -> None:
    level = level_from_environment() if level is None else level
    collapse = CollapseRepeats()
    handler = _CollapsingHandler(collapse)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Order matters: redact first, so repeats are compared (and counted) as written.
    handler.addFilter(RedactSecrets(secrets, hide_user_text=level > logging.DEBUG))
    handler.addFilter(collapse)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
