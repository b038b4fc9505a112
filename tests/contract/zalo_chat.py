"""Zalo harnesses: the real channel polling the fake Zalo platform, or behind the webhook."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from storage.db import Database
from tests.contract.chat import Chat, Shown, number_of, patched_turn
from tests.fake_zalo import FakeZalo, SentRecord, update_body
from tests.test_zalo import ADMIN, INSPECTOR, running_zalo_bot, seed
from tests.webhook_harness import SECRET, zalo_webhook_worker

USERS = {"inspector": (INSPECTOR, "Lê Thị Kiểm"), "admin": (ADMIN, "Trần Quản Trị")}
HEADER = {"X-Bot-Api-Secret-Token": SECRET}


class ZaloChat(Chat):
    channel = "zalo"
    has_photos = True
    has_update_ids = True
    text_limit = 2000

    def __init__(self, zalo: FakeZalo, db: Database, role: str, http=None) -> None:
        self.zalo, self.db = zalo, db
        self.account, self.person_name = USERS[role]
        self.http = http
        self.name = "zalo_webhook" if http else "zalo"
        self._last: dict | None = None
        self._posts = 0

    async def _deliver(self, update: dict) -> None:
        """Polling: queued for getUpdates; webhook: POSTed (wrapped and bare in turn)."""
        self._last = update
        if self.http is None:
            self.zalo.push_update(update)
            return
        body = update_body(update, wrapped=self._posts % 2 == 0)
        self._posts += 1
        response = await self.http.post("/zalo", json=body, headers=HEADER)
        assert response.status_code == 200, response.text

    async def send(self, text: str) -> None:
        await self._deliver(self.zalo.make_text(self.account, text, display_name=self.person_name))

    async def choose(self, label: str, on: Shown | None = None) -> None:
        texts = [on.text] if on else [r.text or "" for r in reversed(self._messages())]
        await self.send(str(number_of(label, texts)))

    async def send_photo(self, content: bytes) -> None:
        await self._deliver(self.zalo.make_image(self.account, content))

    async def deliver_again(self) -> None:
        assert self._last is not None
        await self._deliver(self._last)  # the same message_id

    def _messages(self) -> list[SentRecord]:
        return self.zalo.messages_to(self.account)

    async def expect(self, fragment: str, timeout: float = 30.0) -> Shown:
        record = await self.zalo.wait_for_message(
            self.account, lambda r: fragment in (r.text or ""), timeout=timeout
        )
        for earlier in self._messages():
            if earlier is record:
                break
            earlier.consumed = True
        return Shown(record.text or "", record)

    async def expect_nothing(self, within: float = 0.7) -> None:
        await self.zalo.expect_no_message(self.account, within)

    def texts(self) -> list[str]:
        return [r.text or "" for r in self._messages()]

    def failing(self, turn_method: str):
        return patched_turn(turn_method)


@asynccontextmanager
async def zalo_chat(db: Database, url: str, media: Path, role: str, webhook: bool):
    async with FakeZalo() as zalo:
        await seed(db)
        if not webhook:
            async with running_zalo_bot(zalo, url, media):
                yield ZaloChat(zalo, db, role)
            return
        async with (
            zalo_webhook_worker(zalo, url, media) as (base, _server),
            httpx.AsyncClient(base_url=base, timeout=60) as http,
        ):
            yield ZaloChat(zalo, db, role, http)
