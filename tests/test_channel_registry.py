"""The channel registry: what each messenger can show, and a messenger that exists
only in this test ("pigeon") picked up by `fieldbot run`'s wiring (channels, the
webhook route, the outbox), by `fieldbot webhook` and by the reminders."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import httpx
import pytest

from bot.app import build_engine
from bot.channels import Capabilities, Parsed, registry, send_replies
from bot.channels.numbered import render_numbered
from bot.channels.registry import ChannelEntry, WebhookRoute
from bot.config import Config, defaults
from bot.liveness import Liveness
from bot.notify import Notifier
from bot.runner import _serve, build_channels
from bot.runtime import running
from handlers.messages import Choice, Inbound, Reply
from handlers.reminders import Message
from storage import people
from tests.bot_process import run_fieldbot, write_config
from tests.webhook_harness import SECRET, free_port

PIGEON_HEADER = "X-Pigeon-Secret"


class PigeonChannel:
    """A messenger without buttons whose messages are kept in a list."""

    name = "pigeon"

    def __init__(self, config: Config, engine) -> None:
        self.engine = engine
        self.intake = None
        self.capabilities = registry.capabilities_of(self.name)
        self.sent: list[tuple[str, str]] = []
        self.arrived = asyncio.Event()

    def parse(self, raw: Any) -> Parsed:
        inbound = Inbound(
            channel=self.name,
            sender_id=raw["from"],
            text=raw["text"],
            update_key=raw["id"],
            can_receive_files=self.capabilities.files,
            can_show_buttons=self.capabilities.buttons,
        )
        return Parsed(raw["from"], raw["from"], inbound)

    async def acknowledge(self, raw: Any) -> None:
        return None

    def render(self, replies: list[Reply], language: str) -> list[str]:
        return [render_numbered(reply, language) for reply in replies]

    async def send_part(self, chat_id: str, part: str) -> None:
        self.sent.append((chat_id, part))
        self.arrived.set()

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        await send_replies(self, self.engine, chat_id, replies)

    async def open(self) -> None:
        return None

    async def start_fetching(self, poll_timeout: int = 30) -> None:
        return None

    async def stop_fetching(self) -> None:
        return None

    async def close(self) -> None:
        return None


def pigeon_row(body: Any) -> tuple[str, str, Any] | None:
    if isinstance(body.get("id"), str) and isinstance(body.get("from"), str):
        return body["id"], body["from"], body
    return None


async def pigeon_admin(config: Config, action: str, url: str, secret: str | None) -> str:
    return f"pigeon: {action} {url} {'with' if secret else 'without'} a secret"


PIGEON = ChannelEntry(
    "pigeon",
    Capabilities(),
    factory=f"{__name__}:PigeonChannel",
    token=("pigeon", "token"),
    webhook=WebhookRoute(
        "/pigeon",
        PIGEON_HEADER,
        row_of=f"{__name__}:pigeon_row",
        admin=f"{__name__}:pigeon_admin",
    ),
)


@pytest.fixture
def pigeon():
    with registry.registered(PIGEON):
        yield PIGEON
    assert registry.entry("pigeon") is None


def config_for(url: str, tmp_path, **sections: dict) -> Config:
    config = Config(defaults()).with_values(
        database={"url": url}, bot={"media_dir": str(tmp_path / "media")}, **sections
    )
    return Config({**config.values, "pigeon": {"token": "coo-coo"}})


def test_the_registry_lists_each_channel_with_what_it_can_show():
    from bot.channels.telegram import TelegramChannel
    from bot.channels.zalo import ZaloChannel
    from tests.contract.conftest import CHANNELS

    shown = {entry.name: entry.capabilities for entry in registry.entries()}
    assert shown == {
        "telegram": Capabilities(buttons=True, edit=True, files=True, location=True),
        "zalo": Capabilities(buttons=False, edit=False, files=False, location=False),
        "terminal": Capabilities(buttons=False, edit=False, files=True, location=False),
    }
    # The order reminders try a person's accounts in: buttons first.
    assert [registry.preference(name) for name in ("telegram", "zalo", "terminal")] == [0, 1, 2]
    assert registry.capabilities_of("carrier-pigeon") == Capabilities()
    assert TelegramChannel.capabilities == shown["telegram"]
    assert ZaloChannel.capabilities == shown["zalo"]
    routes = {e.name: e.webhook.path for e in registry.entries() if e.webhook}
    assert routes == {"telegram": "/telegram", "zalo": "/zalo"}
    # The contract suite runs its stories over every registered channel.
    assert {kind.removesuffix("_webhook") for kind in CHANNELS} == set(shown)


def test_only_channels_with_a_token_are_started(tmp_path):
    config = Config(defaults()).with_values(zalo={"token": "zalo-token"})
    assert [entry.name for entry in registry.configured(config)] == ["zalo"]
    assert registry.configured(Config(defaults())) == []


async def test_a_registered_channel_is_run_behind_the_webhook(
    pigeon, sqlite_db, sqlite_target, tmp_path
):
    port = free_port()
    config = config_for(
        sqlite_target.url,
        tmp_path,
        webhook={
            "url": "https://bot.example.org",
            "secret": SECRET,
            "host": "127.0.0.1",
            "port": port,
        },
    )
    engine = build_engine(config, sqlite_db)
    channels = build_channels(config, engine)
    assert list(channels) == ["pigeon"] and isinstance(channels["pigeon"], PigeonChannel)
    bird = channels["pigeon"]
    stop = asyncio.Event()
    async with running(engine, channels, polling=False) as runtime:
        serving = asyncio.create_task(_serve(config, sqlite_db, runtime, Liveness(False), stop))
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                update = {"id": "u-1", "from": "777", "text": "/start"}
                for _ in range(600):  # until uvicorn listens
                    try:
                        refused = await http.post("/pigeon", json=update)
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.05)
                assert refused.status_code == 403
                headers = {PIGEON_HEADER: SECRET}
                assert (
                    await http.post("/pigeon", json={"x": 1}, headers=headers)
                ).status_code == 400
                assert (await http.post("/telegram", json={"update_id": 1})).status_code == 404
                answered = await http.post("/pigeon", json=update, headers=headers)
                assert answered.status_code == 200 and answered.text == "ok"
                await asyncio.wait_for(bird.arrived.wait(), 60)
        finally:
            stop.set()
            await serving
    # The engine's answer to a stranger, through the outbox to the pigeon, numbered.
    assert bird.sent and all(chat == "777" for chat, _ in bird.sent)


def test_fieldbot_webhook_talks_to_a_registered_channel(pigeon, tmp_path, capsys):
    from bot.cli.webhook import cmd_webhook

    config = config_for(
        "sqlite+aiosqlite://", tmp_path, webhook={"url": "https://bot.example.org/"}
    )
    assert cmd_webhook(argparse.Namespace(webhook_action="info"), config) == 0
    assert (
        capsys.readouterr().out == "pigeon: info https://bot.example.org/pigeon without a secret\n"
    )


async def test_a_reminder_on_a_channel_without_buttons_is_worded_to_type(
    pigeon, sqlite_db, tmp_path
):
    config = config_for("sqlite+aiosqlite://", tmp_path)
    bird = PigeonChannel(config, build_engine(config, sqlite_db))
    async with sqlite_db.session() as session:
        head = await people.add_person(
            session, name="Head", role="head", department_code="QLTM", accounts={"pigeon": "42"}
        )
        await session.commit()
    message = Message(
        [Reply("bấm nút", [Choice("Đã nộp báo cáo", "rc:1:2026:QLTM")])],
        [Reply("gõ “Đã nộp báo cáo”", [Choice("Đã nộp báo cáo", "rc:1:2026:QLTM")])],
    )
    assert await Notifier(sqlite_db, {"pigeon": bird})(head, message) == "pigeon"
    assert len(bird.sent) == 1 and bird.sent[0][0] == "42"
    assert bird.sent[0][1].startswith("gõ “Đã nộp báo cáo”\n1. Đã nộp báo cáo")


def test_a_tick_time_the_clock_cannot_use_stops_fieldbot_run_before_any_channel(
    sqlite_db, sqlite_target, tmp_path
):
    config = write_config(
        tmp_path / "config.toml",
        sqlite_target.url,
        tmp_path / "media",
        reminders={"enabled": True, "tick_time": "18:30"},
        telegram={
            "token": "123456:ABCdefGHIjklMNOpqrSTUvwx",
            "api_base_url": "http://127.0.0.1:9/bot",
        },
    )
    finished = run_fieldbot(config, "run")
    assert finished.returncode == 2, finished
    lines = finished.stderr.splitlines()
    assert lines == [
        "fieldbot: error: [reminders] tick_time must be before 18:00 (the end of the working "
        "day), got '18:30'"
    ], finished
