"""A running bot on the fake Telegram server, and phones that talk to it."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import build_engine
from bot.channels.telegram import TelegramChannel
from bot.config import Config, defaults
from bot.runtime import running
from handlers import report_worker
from storage import people, sites
from storage.db import Database
from tests.fake_telegram import FakeTelegram, SentRecord

# Telegram user ids of the seeded people.
INSPECTOR = 1001  # QLTM: supermarkets
CLUSTER_INSPECTOR = 1002  # QLCN: industrial clusters
ADMIN = 1003  # KTATMT
HEAD = 1004  # QLTM head


def bot_config(tg: FakeTelegram, database_url: str, media_dir: Path) -> Config:
    return Config(defaults()).with_values(
        database={"url": database_url},
        bot={"media_dir": str(media_dir)},
        telegram={
            "token": tg.token,
            "api_base_url": tg.api_base_url,
            "file_base_url": tg.file_base_url,
        },
    )


async def seed(database: Database) -> None:
    """The sample sites and one person of each kind, as an admin would set them up."""
    async with database.session() as session:
        rows, errors = sites.parse_sites_csv(sites.sample_sites_csv())
        assert not errors
        await sites.import_sites(session, rows)
        for name, role, department, user_id in [
            ("Lê Thị Kiểm", "inspector", "QLTM", INSPECTOR),
            ("Phạm Văn Cụm", "inspector", "QLCN", CLUSTER_INSPECTOR),
            ("Trần Quản Trị", "admin", "KTATMT", ADMIN),
            ("Võ Trưởng Phòng", "head", "QLTM", HEAD),
        ]:
            await people.add_person(
                session,
                name=name,
                role=role,
                department_code=department,
                accounts={"telegram": str(user_id)},
            )
        await session.commit()


async def add_inspectors(database: Database, user_ids) -> None:
    """More QLTM inspectors on Telegram, one per user id (for tests with many people)."""
    async with database.session() as session:
        for user_id in user_ids:
            await people.add_person(
                session,
                name=f"Thanh tra {user_id}",
                role="inspector",
                department_code="QLTM",
                accounts={"telegram": str(user_id)},
            )
        await session.commit()


@asynccontextmanager
async def running_bot(tg: FakeTelegram, database_url: str, media_dir: Path, **engine_kwargs):
    """The real bot (inbox, outbox, python-telegram-bot's Bot) polling the fake server."""
    config = bot_config(tg, database_url, media_dir)
    engine = build_engine(config, Database(database_url, **engine_kwargs))
    channel = TelegramChannel(config, engine)
    try:
        async with running(engine, {"telegram": channel}, poll_timeout=1) as runtime:
            report_worker.warm_up()  # once polling, as bot.runner.run_bot does
            channel.runtime = runtime
            yield channel
    finally:
        await engine.db.dispose()


class Phone:
    """One person's Telegram chat with the bot."""

    def __init__(
        self, tg: FakeTelegram, user_id: int, name: str = "Tester", language: str = "vi"
    ) -> None:
        self.tg = tg
        self.user_id = user_id
        self.name = name
        self.language = language

    async def expect(self, fragment: str, timeout: float = 15.0) -> SentRecord:
        """Waits for a bot message containing ``fragment``; everything before it counts
        as read, so a later expect never matches an older message."""
        record = await self.tg.wait_for_message(
            self.user_id, predicate=lambda r: fragment in (r.text or ""), timeout=timeout
        )
        for earlier in self.tg.messages_to(self.user_id):
            if earlier is record:
                break
            earlier.consumed = True
        return record

    async def send(self, text: str, expect: str) -> SentRecord:
        self.tg.user_sends_text(
            self.user_id, text, first_name=self.name, language_code=self.language
        )
        return await self.expect(expect)

    def _find(self, label: str) -> tuple[SentRecord, dict]:
        """The newest message with a button whose text is, starts or ends with label."""
        for record in reversed(self.tg.messages_to(self.user_id)):
            for button in record.buttons:
                text = button.get("text", "")
                if text == label or text.startswith(label) or text.endswith(label):
                    return record, button
        raise AssertionError(f"no button {label!r} in chat {self.user_id}")

    def button(self, label: str) -> tuple[int, str | None]:
        """(message id, callback data) of the newest button labelled so; the data is None
        for a reply keyboard's button."""
        record, button = self._find(label)
        return record.message_id, button.get("callback_data")

    async def tap(self, label: str, expect: str) -> SentRecord:
        record, button = self._find(label)
        if "callback_data" not in button:  # a reply keyboard's button sends its label
            return await self.send(button["text"], expect)
        self.tg.user_presses_button(
            self.user_id,
            button["callback_data"],
            message_id=record.message_id,
            first_name=self.name,
            language_code=self.language,
        )
        return await self.expect(expect)

    async def send_photo(self, content: bytes, expect: str) -> SentRecord:
        self.tg.user_sends_photo(self.user_id, content, first_name=self.name)
        return await self.expect(expect)

    async def send_location(self, lat: float, lon: float, expect: str) -> SentRecord:
        self.tg.user_sends_location(self.user_id, lat, lon, first_name=self.name)
        return await self.expect(expect)
