"""A token the platform rejects (issue 16, "Secrets and logs"): the real `fieldbot`
command, run as a process against the fake Bot API servers (which answer 401 to any
other token), prints one line naming the configuration key, never the token, and
exits 2 — not python-telegram-bot's traceback that quotes the token."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass

import pytest

from bot.cli.common import TELEGRAM_REJECTED, ZALO_REJECTED
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo

WRONG_TELEGRAM = "987654:WRONG-secret-part-abcdefghijklmnop"
WRONG_ZALO = "1234567890123:WRONG-zalo-secret-abcdefghijkl"
# A generous bound for a hung process only; a passing run ends as soon as it fails.
HANG = 120


@dataclass
class Finished:
    code: int
    out: str
    err: str


@pytest.fixture
async def fake_telegram():
    async with FakeTelegram() as tg:
        yield tg


async def fieldbot(tmp_path, *args: str, config: str, **environment: str) -> Finished:
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith("FIELDBOT_")}
    env.update(environment)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(tmp_path / "config.toml"),
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), HANG)
    except TimeoutError:
        process.kill()
        await process.communicate()
        raise AssertionError(f"fieldbot {' '.join(args)} did not stop") from None
    return Finished(process.returncode, out.decode(), err.decode())


def telegram_config(tg: FakeTelegram) -> str:
    return f'[telegram]\napi_base_url = "{tg.api_base_url}"\nfile_base_url = "{tg.file_base_url}"\n'


def assert_rejected(result: Finished, line: str, token: str, *, only_line: bool = True) -> None:
    everything = result.out + result.err
    assert result.code == 2, result
    assert token not in everything and token.split(":")[1] not in everything, result
    assert "Traceback" not in everything, result
    lines = result.err.splitlines()
    assert lines[-1] == f"fieldbot: error: {line}", result
    if only_line:
        assert len(lines) == 1 and result.out == "", result


async def test_reminders_run_once_with_a_rejected_telegram_token(
    fake_telegram, sqlite_db, sqlite_target, tmp_path
):
    result = await fieldbot(
        tmp_path,
        "reminders",
        "run-once",
        config=telegram_config(fake_telegram),
        FIELDBOT_DATABASE_URL=sqlite_target.url,
        FIELDBOT_TELEGRAM_TOKEN=WRONG_TELEGRAM,
    )
    assert_rejected(result, TELEGRAM_REJECTED, WRONG_TELEGRAM)
    assert "[telegram] token" in result.err and "FIELDBOT_TELEGRAM_TOKEN" in result.err


async def test_webhook_info_with_a_rejected_telegram_token(fake_telegram, tmp_path):
    result = await fieldbot(
        tmp_path,
        "webhook",
        "info",
        config=telegram_config(fake_telegram),
        FIELDBOT_TELEGRAM_TOKEN=WRONG_TELEGRAM,
    )
    assert_rejected(result, TELEGRAM_REJECTED, WRONG_TELEGRAM)


async def test_run_with_a_rejected_telegram_token(
    fake_telegram, sqlite_db, sqlite_target, tmp_path
):
    result = await fieldbot(
        tmp_path,
        "run",
        config=telegram_config(fake_telegram),
        FIELDBOT_DATABASE_URL=sqlite_target.url,
        FIELDBOT_TELEGRAM_TOKEN=WRONG_TELEGRAM,
    )
    # The runner may log that it stops; the error itself is the last, single line.
    assert_rejected(result, TELEGRAM_REJECTED, WRONG_TELEGRAM, only_line=False)
    assert result.err.count("rejected") == 1


async def test_webhook_info_with_a_rejected_zalo_token(tmp_path):
    async with FakeZalo() as zalo:
        result = await fieldbot(
            tmp_path,
            "webhook",
            "info",
            config=f'[zalo]\napi_base_url = "{zalo.api_base_url}"\n',
            FIELDBOT_ZALO_TOKEN=WRONG_ZALO,
        )
    assert_rejected(result, ZALO_REJECTED, WRONG_ZALO)
