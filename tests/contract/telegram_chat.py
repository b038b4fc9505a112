"""Telegram harnesses: the real channel polling the fake Bot API, or behind the webhook."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from storage.db import Database
from tests.contract.chat import Chat, Shown, label_matches, patched_turn
from tests.fake_telegram import FakeTelegram, SentRecord
from tests.telegram_harness import ADMIN, INSPECTOR, running_bot, seed
from tests.webhook_harness import SECRET, webhook_worker

USERS = {"inspector": (INSPECTOR, "Lê Thị Kiểm"), "admin": (ADMIN, "Trần Quản Trị")}
HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


class TelegramChat(Chat):
    channel = "telegram"
    has_buttons = True
    has_files = True
    has_photos = True
    has_location = True
    has_update_ids = True
    text_limit = 4096

    def __init__(self, tg: FakeTelegram, db: Database, role: str, http=None) -> None:
        self.tg, self.db = tg, db
        self.user_id, self.person_name = USERS[role]
        self.account = str(self.user_id)
        self.http = http  # webhook: updates are POSTed, else the bot polls the fake
        self.name = "telegram_webhook" if http else "telegram"
        self._last: dict | None = None
        self._who = dict(first_name=self.person_name, language_code="vi")

    async def _deliver(self, update: dict) -> None:
        self._last = update
        if self.http is not None:
            response = await self.http.post("/telegram", json=update, headers=HEADER)
            assert response.status_code == 200, response.text
        # polling: the fake's user_* methods queued it for getUpdates already

    async def send(self, text: str) -> None:
        await self._deliver(self.tg.user_sends_text(self.user_id, text, **self._who))

    def _button(self, label: str, on: Shown | None) -> tuple[int, str]:
        records = [on.handle] if on else list(reversed(self.tg.messages_to(self.user_id)))
        for record in records:
            for button in record.buttons:
                if label_matches(button.get("text", ""), label):
                    return record.message_id, button["callback_data"]
        raise AssertionError(f"no button {label!r} in chat {self.user_id}")

    async def choose(self, label: str, on: Shown | None = None) -> None:
        message_id, data = self._button(label, on)
        update = self.tg.user_presses_button(self.user_id, data, message_id=message_id, **self._who)
        await self._deliver(update)

    async def press_forged(self, data: str) -> None:
        newest = self.tg.messages_to(self.user_id)[-1]
        update = self.tg.user_presses_button(
            self.user_id, data, message_id=newest.message_id, check=False, **self._who
        )
        await self._deliver(update)

    async def send_photo(self, content: bytes) -> None:
        update = self.tg.user_sends_photo(self.user_id, content, first_name=self.person_name)
        await self._deliver(update)

    async def send_location(self, lat: float, lon: float) -> None:
        update = self.tg.user_sends_location(self.user_id, lat, lon, first_name=self.person_name)
        await self._deliver(update)

    async def deliver_again(self) -> None:
        assert self._last is not None
        if self.http is None:
            self.tg.push_update(self._last)  # keeps its update_id
        else:
            await self._deliver(self._last)

    async def _wait(self, predicate, timeout: float) -> SentRecord:
        record = await self.tg.wait_for_message(self.user_id, predicate, timeout=timeout)
        for earlier in self.tg.messages_to(self.user_id):
            if earlier is record:
                break
            earlier.consumed = True
        return record

    async def expect(self, fragment: str, timeout: float = 30.0) -> Shown:
        record = await self._wait(lambda r: fragment in (r.text or ""), timeout)
        return Shown(record.text or "", record, kind=_kind(record))

    async def expect_file(self, timeout: float = 30.0) -> Shown:
        record = await self._wait(lambda r: r.method == "sendDocument", timeout)
        document = record.message.get("document", {})
        return Shown(record.text or "", record, "document", {"name": document.get("file_name")})

    async def expect_nothing(self, within: float = 0.7) -> None:
        await self.tg.expect_no_message(self.user_id, within)

    def texts(self) -> list[str]:
        return [r.text or "" for r in self.tg.messages_to(self.user_id)]

    def failing(self, turn_method: str):
        return patched_turn(turn_method)


def _kind(record: SentRecord) -> str:
    return {"sendDocument": "document", "sendPhoto": "photo"}.get(record.method, "text")


@asynccontextmanager
async def telegram_chat(db: Database, url: str, media: Path, role: str, webhook: bool):
    async with FakeTelegram() as tg:
        await seed(db)
        if not webhook:
            async with running_bot(tg, url, media):
                yield TelegramChat(tg, db, role)
            return
        async with (
            webhook_worker(tg, url, media) as (base, _server),
            httpx.AsyncClient(base_url=base, timeout=60) as http,
        ):
            yield TelegramChat(tg, db, role, http)
