"""The running bot's log at the default level (issue 16): what an inspector types
never appears in it, not even when a turn fails with an error that quotes it."""

from __future__ import annotations

import logging

import pytest

from bot.logs import HIDDEN, setup_logging
from bot.pipeline import MAX_TURN_ATTEMPTS
from handlers.engine import Turn
from tests.telegram_harness import INSPECTOR, Phone

TYPED_SEARCH = "co op quang ngai"
TYPED_NOTE = "Chị Lan, số nhà 12 Lê Lợi, 0905 123 456"


@pytest.fixture
def info_log(monkeypatch, capsys):
    """The CLI's logging at its default level, written to the captured stderr."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    monkeypatch.delenv("FIELDBOT_LOG_LEVEL", raising=False)
    capsys.readouterr()
    yield lambda: capsys.readouterr().err
    root.handlers[:], level = saved
    root.setLevel(level)


async def test_typed_text_stays_out_of_the_log_even_in_a_failing_turn(
    bot, tg, monkeypatch, info_log
):
    setup_logging([tg.token])
    phone = Phone(tg, INSPECTOR)
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    await phone.send(TYPED_SEARCH, "Câu 1/11")  # one match: straight to its first question

    async def crash_quoting_the_text(self, run, text: str):
        # As a library would: its message quotes the value it could not take.
        raise RuntimeError(f"cannot store {text!r}")

    monkeypatch.setattr(Turn, "_in_run", crash_quoting_the_text)
    await phone.send(TYPED_NOTE, "Xin lỗi, đã có lỗi xảy ra")

    written = info_log()
    # The failure is logged: which update, which kind of error, the traceback's frames.
    assert f"failed (RuntimeError), attempt {MAX_TURN_ATTEMPTS}" in written, written
    assert f"RuntimeError: {HIDDEN}" in written
    # Nothing typed, no token.
    for typed in (TYPED_SEARCH, TYPED_NOTE, "0905 123 456", "Lê Lợi"):
        assert typed not in written
    assert tg.token not in written
