"""What every messenger channel offers the inbox and outbox workers (bot/pipeline.py).

A channel turns a stored raw update into a ``Parsed`` (who sent it, where replies
go, the engine's Inbound) and turns replies into the messenger's messages
("parts"), sending one part at a time so a crash resends at most one. Which
channels exist, what each can show and how each is started is the registry's
(bot/channels/registry.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from handlers.messages import Inbound, Reply

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from handlers.engine import Engine


@dataclass(frozen=True)
class Capabilities:
    """What a messenger can show. Without buttons, choices are a numbered list and
    texts never say "bấm" (press); without edit, a message is never replaced."""

    buttons: bool = False  # choices as buttons (and a "send location" button)
    edit: bool = False  # a sent message edited in place
    files: bool = False  # documents delivered (else /export says where to get them)
    location: bool = False  # a shared location received


@dataclass(frozen=True)
class Parsed:
    sender: str
    chat_id: str | None
    inbound: Inbound | None
    # A catalog key to answer with instead of asking the engine (content we cannot use).
    notice: str | None = None


def polling_backoff(failures: int) -> float:
    """Seconds to wait after ``failures`` failed polls in a row: 0.5 s doubling up to 30 s,
    jittered so that several workers do not all come back at the same moment."""
    return min(0.5 * 2 ** min(failures - 1, 6), 30.0) * (0.75 + random.random() / 2)


class DeliveryError(Exception):
    """A message that did not leave. ``permanent``: trying again cannot help (the person
    blocked the bot, the message was refused); otherwise it is tried again later.
    The text is a short summary without tokens or message content."""

    def __init__(self, summary: str, permanent: bool = False) -> None:
        super().__init__(summary)
        self.permanent = permanent


class Channel(Protocol):
    name: str
    capabilities: Capabilities
    intake: Any  # bot.pipeline.Intake, set by the runtime

    def parse(self, raw: Any) -> Parsed:
        """Raises for an update that cannot be understood (it is then set aside)."""

    async def acknowledge(self, raw: Any) -> None:
        """Best-effort receipt before the turn (Telegram: the button stops spinning)."""

    def render(self, replies: list[Reply], language: str) -> list[Any]: ...

    async def send_part(self, chat_id: str, part: Any) -> None:
        """Raises DeliveryError when the part did not leave."""

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """Every part at once, raising on the first that fails (reminders use this)."""

    async def open(self) -> None:
        """Connects; a rejected token is raised."""

    async def start_fetching(self, poll_timeout: int = 30) -> None: ...

    async def stop_fetching(self) -> None: ...

    async def close(self) -> None: ...


async def person_language(
    session: AsyncSession, channel: str, external_id: str, default: str
) -> str:
    """The language of the person behind a messenger account, else ``default``."""
    # Imported here: the registry (and `fieldbot --help`) must not load SQLAlchemy.
    from storage import people

    person = await people.find_by_account(session, channel, external_id) if external_id else None
    return person.language if person else default


async def language_of(engine: Engine, channel: str, external_id: str) -> str:
    """``person_language`` in a session of its own; the default when the database
    cannot say (a language is not worth failing a send over)."""
    default = engine.settings.default_language
    try:
        async with engine.db.session() as session:
            return await person_language(session, channel, external_id, default)
    except Exception:  # noqa: BLE001 - the database may be why the turn failed
        return default


async def send_replies(
    channel: Channel,
    engine: Engine | None,
    chat_id: str,
    replies: list[Reply],
    language: str | None = None,
) -> None:
    """A channel's ``send``: rendered in the reader's language, part after part,
    raising on the first that does not leave (so a reminder can try another channel).
    ``language`` when the caller knows it (a reminder: its person's); else read."""
    if language is None:
        language = await language_of(engine, channel.name, chat_id)
    for part in channel.render(replies, language):
        await channel.send_part(chat_id, part)
