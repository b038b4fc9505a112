"""A pytest plugin: no test's log or error output holds a bot token or what a test
user typed (issue 16: "grep of every log and error output finds no token and no
message text").

For the whole session, at the level the bot runs (INFO; text at DEBUG is allowed by
design), it keeps every log record written in this process, as the bot's own log
would write it (bot.logs: statement parameters and exception messages hidden), the
log files of `fieldbot run` processes (tests/bot_process.BotProcess, beside the
test's config in its tmp_path) and the stderr of `fieldbot` commands run with
subprocess.run. After each test they are searched for the fake servers' tokens and
for the texts and captions test users sent through the fake Telegram and Zalo
servers; a hit is an error in that test's teardown, naming what leaked and where.
Each xdist worker checks its own tests. ``@pytest.mark.log_text_allowed`` exempts a
test that asks for DEBUG output on purpose.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

# Shorter texts ("co", "75", "Có") also occur in ordinary log lines.
MIN_TEXT = 8


class _Audit(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        from bot.logs import _SQL_PARAMETERS, RedactSecrets

        # As the bot writes its log at INFO, but without replacing tokens, so that a
        # token reaching a log call is seen (that filter is a second defence only).
        self.hide = RedactSecrets([], hide_user_text=True)
        self.hide.redact = lambda text: _SQL_PARAMETERS.sub("[parameters: hidden]", text)
        self.formatter_ = logging.Formatter("%(levelname)s %(name)s: %(message)s")
        self.lines: list[str] = []
        self.stderr: list[str] = []
        self.tokens: set[str] = set()
        self.texts: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        copy = logging.makeLogRecord(record.__dict__)  # other handlers see the original
        try:
            self.hide.filter(copy)
            self.lines.append(self.formatter_.format(copy))
        except Exception:  # noqa: BLE001 - an unformattable record is not a leak
            pass

    def add_text(self, text: object) -> None:
        if isinstance(text, str) and len(text.strip()) >= MIN_TEXT and not text.startswith("/"):
            self.texts.add(text.strip())

    def add_token(self, token: str) -> None:
        self.tokens.add(token)
        self.tokens.add(token.split(":", 1)[-1])

    def leaks(self, where: str, output: str) -> list[str]:
        found = [f"token {t[:6]}… in {where}" for t in self.tokens if t in output]
        found += [f"typed text {t[:40]!r} in {where}" for t in self.texts if t in output]
        return found


AUDIT = _Audit()


def _record_sends() -> None:
    """Texts and captions of test users, and the fake servers' tokens."""
    from tests.fake_telegram import FakeTelegram
    from tests.fake_zalo import FakeZalo

    def wrap(cls, name, pick):
        original = getattr(cls, name)

        def recorded(self, *args, **kwargs):
            pick(self, args, kwargs)
            return original(self, *args, **kwargs)

        setattr(cls, name, recorded)

    def token(self, args, kwargs):
        AUDIT.add_token(kwargs.get("token") or (args[0] if args else None) or DEFAULTS[type(self)])

    def second(self, args, kwargs):
        AUDIT.add_text(kwargs.get("text", args[1] if len(args) > 1 else None))

    def caption(self, args, kwargs):
        AUDIT.add_text(kwargs.get("caption"))

    DEFAULTS = {FakeTelegram: _default(FakeTelegram), FakeZalo: _default(FakeZalo)}
    for cls in (FakeTelegram, FakeZalo):
        wrap(cls, "__init__", token)
    wrap(FakeTelegram, "user_sends_text", second)
    wrap(FakeTelegram, "user_sends_photo", caption)
    wrap(FakeZalo, "make_text", second)
    wrap(FakeZalo, "make_image", caption)


def _default(cls) -> str:
    import inspect

    return inspect.signature(cls.__init__).parameters["token"].default


def _record_fieldbot_stderr() -> None:
    original = subprocess.run

    def run(*args, **kwargs):
        result = original(*args, **kwargs)
        command = args[0] if args else kwargs.get("args")
        first = command[0] if isinstance(command, list | tuple) and command else command
        if "fieldbot" in str(first) and isinstance(result.stderr, str | bytes):
            stderr = result.stderr
            text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
            AUDIT.stderr.append(text)
        return result

    subprocess.run = run


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "log_text_allowed: the test asks for DEBUG output (text in logs) on purpose"
    )
    root = logging.getLogger()
    # The bot's level; httpx and apscheduler as bot/logs.py sets them (request URLs
    # carry the token by design of the Bot API, and never reach the bot's log).
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    root.addHandler(AUDIT)
    _record_sends()
    _record_fieldbot_stderr()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    root = logging.getLogger()
    if AUDIT not in root.handlers:  # a test replaced the root handlers and put them back
        root.addHandler(AUDIT)
    del AUDIT.lines[:], AUDIT.stderr[:]
    yield


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem) -> None:
    lines, AUDIT.lines = AUDIT.lines, []
    stderr, AUDIT.stderr = AUDIT.stderr, []
    if item.get_closest_marker("log_text_allowed"):
        return
    found = AUDIT.leaks("the log", "\n".join(lines))
    found += AUDIT.leaks("a fieldbot command's stderr", "\n".join(stderr))
    tmp_path = item.funcargs.get("tmp_path") if hasattr(item, "funcargs") else None
    if isinstance(tmp_path, Path):
        for log_file in tmp_path.rglob("*.log"):
            text = log_file.read_text(encoding="utf-8", errors="replace")
            found += AUDIT.leaks(f"{log_file.name} (fieldbot run)", text)
    if found:
        pytest.fail("leaked into log or error output: " + "; ".join(sorted(set(found))))
