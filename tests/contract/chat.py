"""The one interface every channel's harness offers the contract stories.

A ``Chat`` is one person talking to the bot over one messenger. Stories use only
this interface and its capability flags, so a new messenger passes the suite by
adding one harness (see telegram_chat.py, zalo_chat.py, terminal_chat.py).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import select

from storage import people
from storage.db import Database
from storage.models import Answer, ChecklistRun

APOLOGY_VI = "Xin lỗi, đã có lỗi xảy ra"


@dataclass
class Shown:
    """A message the bot sent (on the terminal: one turn's output)."""

    text: str
    handle: Any = None  # the messenger's record (Telegram: for its buttons)
    kind: str = "text"  # text, document, photo
    extra: dict = field(default_factory=dict)


def numbered_choices(text: str) -> dict[int, str]:
    """The numbered choices in a text: {1: "label", ...} ("  1. Có" lines)."""
    choices: dict[int, str] = {}
    for line in text.splitlines():
        number, dot, label = line.strip().partition(". ")
        if dot and number.isdigit():
            choices[int(number)] = label
    return choices


def label_matches(shown: str, label: str) -> bool:
    """A choice shown as "▫️ Túi giấy" or "✅ Gửi" is the choice "Túi giấy" / "Gửi"."""
    return shown == label or shown.startswith(label) or shown.endswith(label)


def number_of(label: str, texts_newest_first: list[str]) -> int:
    for text in texts_newest_first:
        for number, shown in numbered_choices(text).items():
            if label_matches(shown, label):
                return number
    raise AssertionError(f"no numbered choice {label!r} in {texts_newest_first[:2]!r}")


class Chat:
    """One person's conversation with the bot over one channel."""

    name: str  # the parameter id: telegram, telegram_webhook, zalo, zalo_webhook, terminal
    channel: str  # the engine's channel name (accounts are per channel)
    account: str  # this person's account on the channel
    has_buttons = False  # choices are buttons (else a numbered list answered by number)
    has_files = False  # the bot can send a document
    has_photos = False  # the person can send a photo
    has_location = False  # the person can share a location
    has_update_ids = False  # the messenger may deliver one update twice (and we can)
    text_limit: int | None = None  # the longest message the messenger carries
    db: Database

    # --- the person acts ------------------------------------------------------------
    async def send(self, text: str) -> None:
        raise NotImplementedError

    async def choose(self, label: str, on: Shown | None = None) -> None:
        """Presses the button (or types the number) of the choice ``label`` on message
        ``on``, by default on the newest message offering it."""
        raise NotImplementedError

    async def send_photo(self, content: bytes) -> None:
        raise NotImplementedError

    async def send_location(self, lat: float, lon: float) -> None:
        raise NotImplementedError

    async def deliver_again(self) -> None:
        """The messenger delivers the person's last update once more (same id)."""
        raise NotImplementedError

    async def press_forged(self, data: str) -> None:
        """A button press whose data the bot never sent (buttons only)."""
        raise NotImplementedError

    # --- the bot answers --------------------------------------------------------------
    async def expect(self, fragment: str, timeout: float = 30.0) -> Shown:
        """Waits for a message containing ``fragment``; what came before counts as read."""
        raise NotImplementedError

    async def expect_nothing(self, within: float = 0.7) -> None:
        raise NotImplementedError

    async def expect_file(self, timeout: float = 30.0) -> Shown:
        raise NotImplementedError

    def texts(self) -> list[str]:
        """Every message the bot sent so far, oldest first."""
        raise NotImplementedError

    def failing(self, turn_method: str):
        """While open, ``handlers.engine.Turn.<turn_method>`` raises."""
        raise NotImplementedError

    # --- what the database holds ---------------------------------------------------------
    async def newest_run(self) -> tuple[ChecklistRun | None, dict[str, Answer]]:
        async with self.db.session() as session:
            person = await people.find_by_account(session, self.channel, self.account)
            assert person is not None, f"{self.account} is not seeded on {self.channel}"
            run = (
                await session.exec(
                    select(ChecklistRun)
                    .where(ChecklistRun.person_id == person.id)
                    .order_by(ChecklistRun.id.desc())
                )
            ).first()
            if run is None:
                return None, {}
            rows = (await session.exec(select(Answer).where(Answer.run_id == run.id))).all()
            return run, {a.question_id: a for a in rows}

    async def answer_count(self) -> int:
        async with self.db.session() as session:
            return len((await session.exec(select(Answer))).all())


@contextlib.asynccontextmanager
async def patched_turn(turn_method: str):
    """``Turn.<turn_method>`` raises while open (in this process)."""
    from handlers.engine import Turn

    original = getattr(Turn, turn_method)

    async def broken(self, *args, **kwargs):
        raise RuntimeError("contract suite: injected failure")

    setattr(Turn, turn_method, broken)
    try:
        yield
    finally:
        setattr(Turn, turn_method, original)
